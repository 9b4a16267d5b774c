"""``hall-kiosk``: the touchscreen kiosk at the hall's entrance, or (``--take SERVICE``) one test
ticket from a shell."""

from __future__ import annotations

import argparse
import logging
import sys

from hub.appargs import AppParser, add_bus_arguments, fail, settings_from_args, setup_logging
from hub.client import DeviceSettings
from hub.errors import HubError
from hub.i18n import languages
from kiosk.errors import KioskError
from kiosk.printer import SPEC_HELP, TicketPrinter, default_preview_dir, open_printer
from kiosk.scanner import open_scanner
from kiosk.settings import KioskSettings, load_settings

logger = logging.getLogger(__name__)

PROG = "hall-kiosk"


def build_parser() -> argparse.ArgumentParser:
    parser = AppParser(
        prog=PROG,
        description="The ticket kiosk at the hall's entrance (full screen, touch). "
                    "With --take SERVICE it issues and prints one ticket and exits.")
    parser.add_argument("--printer", metavar="SPEC",
                        help=f"the ticket printer: {SPEC_HELP} (default: preview into "
                             f"{default_preview_dir()}, writing NUMBER.bin and NUMBER.png)")
    parser.add_argument("--print-mode", choices=["text", "image"],
                        help="text: the printer's Chinese font; image: the ticket as a raster "
                             "(default text)")
    parser.add_argument("--paper", type=int, choices=[58, 80], help="paper width in mm (default 58)")
    parser.add_argument("--lang", choices=languages(),
                        help="the language shown first (default: the hall's first language)")
    parser.add_argument("--take", metavar="SERVICE",
                        help="issue one ticket of SERVICE as if touched, print it, print the "
                             "ticket number alone on the last line, and exit")
    parser.add_argument("--settings", metavar="FILE",
                        help="kiosk settings (TOML): technician_pin, idle_seconds, scanner, "
                             "printer, print_mode, paper, lang")
    parser.add_argument("--windowed", action="store_true",
                        help="a normal window instead of full screen")
    parser.add_argument("--orientation", choices=["portrait", "landscape", "auto"], default="auto",
                        help="screen layout (default: from the screen's shape)")
    add_bus_arguments(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.take is not None and not args.take.strip():
        parser.error("--take needs a service id, e.g. --take social")
    setup_logging(args.log_level, one_shot=args.take is not None)
    try:
        settings = load_settings(args.settings).override(
            printer=args.printer, print_mode=args.print_mode, paper=args.paper, lang=args.lang)
        # all three may issue (an admin, a technician testing with --take, cannot check in)
        bus = settings_from_args(args, roles=("kiosk", "desk", "admin"))
        try:  # a scanner spec it cannot read: said now, naming the file it is in
            scanner = open_scanner(settings.scanner)
        except KioskError as err:
            raise KioskError(f"{args.settings}: {err}") from err
        printer = open_printer(settings.printer, settings.print_mode, settings.paper)
    except (KioskError, HubError) as err:
        return fail(PROG, str(err))
    if args.take is not None:
        return take(bus, args.take, settings, printer)
    from kiosk.ui.app import run  # Qt widgets only for the screen

    return run(bus, settings, printer, scanner=scanner, windowed=args.windowed,
               orientation=args.orientation)


def take(bus: DeviceSettings, service: str, settings: KioskSettings, printer: TicketPrinter) -> int:
    """The one-shot test ticket: the number alone on the last line of stdout."""
    from kiosk.take import take_ticket

    try:
        taken = take_ticket(bus, service, settings.lang, printer)
    except KioskError as err:
        return fail(PROG, str(err), 1)
    except Exception as err:  # the one-shot's boundary: still one line (the details at DEBUG)
        logger.debug("the test ticket failed", exc_info=True)
        return fail(PROG, f"the test ticket failed: {type(err).__name__}: {err} "
                          f"(--log-level DEBUG shows where)", 1)
    finally:
        printer.close()
    content = taken.content
    # the service named as the ticket leads with it (--lang en: English first)
    named = content.service_name_en if content.languages[0] == "en" and \
        content.service_name_en else content.service_name
    print(f"ticket {content.number}: {named} "
          f"({content.ahead} ahead, about {content.est_wait_min} min)")
    print(f"printed {taken.printed_bytes} bytes to {taken.where}")
    print(content.number)
    return 0


if __name__ == "__main__":
    sys.exit(main())
