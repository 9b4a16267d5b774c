"""``hall-desk``: the guidance desk console.

    hall-desk --hub ws://HOST:8765/ --device desk-1 --token TOKEN
              [--windowed] [--lang zh|en] [--printer SPEC] [--print-mode text|image]
              [--paper 58|80] [--settings FILE]

``--printer`` takes the kiosk's SPEC (preview:DIR | usb:VID:PID | serial:DEV[:BAUD] |
net:HOST[:PORT] | file:PATH); without it tickets go to a preview folder. ``--settings`` is the
desk settings TOML with the supervision targets (see ``counter.desk.indicators``).
A bad argument prints one plain line and exits non-zero; an unreachable hub is shown on screen.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from counter.desk.errors import SettingsError
from counter.desk.indicators import load_targets
from hub.appargs import AppParser, add_bus_arguments, fail, settings_from_args, setup_logging
from hub.errors import HubError
from kiosk.errors import PrinterSpecError

logger = logging.getLogger(__name__)
PROG = "hall-desk"
# the kiosk's printer SPECs (kiosk.printer.SPEC_HELP): that module is imported only after logging
# is set up, because python-escpos configures the root logger when it is first imported
SPEC_HELP = "preview:DIR | usb:VID:PID | serial:DEV[:BAUD] | net:HOST[:PORT] | file:PATH"


def build_parser() -> argparse.ArgumentParser:
    parser = AppParser(prog=PROG, description="Guidance desk console (咨询导办台).")
    add_bus_arguments(parser)
    parser.add_argument("--windowed", action="store_true",
                        help="a normal window instead of full screen")
    parser.add_argument("--lang", choices=["zh", "en"], default="zh",
                        help="the console's language (default zh)")
    parser.add_argument("--printer", metavar="SPEC",
                        help=f"the desk's ticket printer: {SPEC_HELP} "
                             "(default: preview in ~/.cache/hall-desk/tickets)")
    parser.add_argument("--print-mode", choices=["text", "image"], default="text",
                        help="printer fonts (text) or a drawn image (image)")
    parser.add_argument("--paper", type=int, choices=[58, 80], default=80,
                        help="paper width in mm (default 80)")
    parser.add_argument("--settings", metavar="FILE",
                        help="desk settings TOML: waiting and pause targets for alerts")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.log_level)
    from kiosk.printer import open_printer

    try:
        settings = settings_from_args(args, roles=("desk", "admin"))
        targets = load_targets(args.settings)
        spec = args.printer or f"preview:{_default_preview()}"
        ticket_printer = open_printer(spec, args.print_mode, args.paper)
    except (HubError, SettingsError, PrinterSpecError) as err:
        return fail(PROG, str(err))

    from PySide6.QtWidgets import QApplication

    from counter.desk.model import DeskModel
    from counter.desk.reprint import DeskPrinter
    from counter.desk.views import DeskWindow
    from hub.qtbus import QtBus, quit_on_signals

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName(PROG)
    bus = QtBus(settings)
    printer = DeskPrinter(ticket_printer)
    model = DeskModel(bus, bus.hub_time, lang=args.lang, targets=targets, printer=printer)
    bus.snapshot.connect(model.on_snapshot)
    bus.bus_event.connect(model.on_event)
    bus.status.connect(model.on_status)
    window = DeskWindow(model, device=settings.device)
    _wake = quit_on_signals(app)  # Ctrl-C and SIGTERM close the console cleanly
    model.on_status(False, "")
    model.start_clock()
    bus.start()
    if args.windowed:
        window.resize(1600, 900)
        window.show()
    else:
        window.showFullScreen()
    logger.info("desk %s started against %s (printer %s)", settings.device, settings.hub, spec)
    try:
        return int(app.exec())
    finally:
        model.shutdown()
        bus.stop()
        printer.close()


def _default_preview() -> Path:
    from counter.desk.reprint import default_desk_preview_dir

    return default_desk_preview_dir()


if __name__ == "__main__":
    sys.exit(main())
