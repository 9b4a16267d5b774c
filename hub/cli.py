"""``hall-hub``: serve the hall, check its configuration, enrol devices and clerks, import
appointments, print reports (docs/config.md)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import fcntl
import io
import json
import logging
import os
import re
import signal
import ssl
import sys
import unicodedata
from collections.abc import Coroutine, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hub import loglines
from hub.appargs import AppParser
from hub.config import Hall, load_hall, read_hall
from hub.errors import ConfigError, HubError, StoreError, plain_reason
from hub.i18n import percent
from hub.protocol import CODE_MAX, DEFAULT_PORT, DEVICE_NAME, WAIT_TARGET_MAX, WINDOW, Role
from hub.reports import WAIT_TARGET_MIN, Targets, named_report
from hub.server import HallServer, Limits
from hub.settings_file import ascii_digits
from hub.store import AppointmentRow, Store, default_db_path

logger = logging.getLogger(__name__)


class CliError(HubError):
    """A command line that cannot be carried out; the message says why."""


class ListenError(CliError):
    """``serve`` could not listen where it was told (the port taken, an address not this
    machine's): it served nothing."""


def _store(args: argparse.Namespace, *, existing: bool = False) -> Store:
    """The hall's database; ``existing`` for a command that only reads or takes away (a
    mistyped --db must not leave an empty database, nor answer "no devices enrolled")."""
    path = Path(args.db) if args.db else default_db_path()
    if existing and not path.exists():
        raise CliError(f"there is no hall database at {path} (give the hub's own with --db)")
    return Store(path)


def _wait_minutes(text: str) -> float:
    """argparse's type for a waiting promise in minutes (bounded as the ``report`` op's)."""
    try:
        minutes = float(text)
    except ValueError:
        minutes = -1.0
    if not 0 < minutes <= WAIT_TARGET_MAX:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of minutes (more than 0, "
                                         f"at most {WAIT_TARGET_MAX})")
    return minutes


def port_number(text: str) -> int:
    """argparse's type for a TCP port."""
    if not ascii_digits(text) or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"'{text}' is not a port number (0 to 65535; 0 picks "
                                         "a free one)")
    return int(text)


def _rate(text: str) -> tuple[float, float]:
    try:
        rate_text, _, burst_text = text.partition("/")
        rate = float(rate_text)
        burst = float(burst_text) if burst_text else rate * 2
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not RATE or RATE/BURST, e.g. 1000/2000") \
            from None
    if rate <= 0 or burst < 1:
        raise argparse.ArgumentTypeError("rate and burst must be positive")
    return rate, burst


# ------------------------------------------------------------------------------ commands

def cmd_serve(args: argparse.Namespace) -> int:
    hall = load_hall(args.config)
    if bool(args.cert) != bool(args.key):
        raise CliError("--cert and --key go together: give both for wss://, or neither")
    context = None
    if args.cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        asked: list[bool] = []

        def no_pass_phrase() -> str:  # not asked at a terminal: the hub starts unattended
            asked.append(True)
            return ""

        try:
            context.load_cert_chain(args.cert, args.key, password=no_pass_phrase)
        except (OSError, ssl.SSLError) as err:
            if asked:
                raise CliError(f"the key {args.key} is encrypted with a pass phrase, which "
                               "the hub, starting unattended, cannot type: give it the key "
                               "unencrypted (openssl pkey -in KEY -out PLAIN.pem), readable "
                               "by the hub's user alone") from err
            raise CliError(f"cannot load the certificate {args.cert} / key {args.key}: "
                           f"{plain_reason(err)} (--cert is the certificate, --key its key)") \
                from err
    db = Path(args.db) if args.db else default_db_path()
    made = not db.exists()
    new_folders = [f for f in (db.parent, *db.parent.parents) if not f.exists()]  # deepest first
    lock = _serving_alone(db)
    try:
        if made:
            logger.warning("there is no database at %s: a new, empty one is made, with no device "
                           "enrolled (if the hall's is elsewhere, or on a disk not mounted, "
                           "stop and check --db)", db)
        store = Store(db)
        try:
            store.check_writable()
        except StoreError:
            store.close()
            raise
        rate, burst = args.rate_limit
        return _run_loop(_serve(hall, store, args.host, args.port, context, args.always_open,
                                Limits(rate=rate, burst=burst)))
    except ListenError:
        if made:  # it never served: a mistyped --db must not stay behind as an empty hall
            for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm"),
                         _lock_path(db)):
                path.unlink(missing_ok=True)
            for folder in new_folders:
                with contextlib.suppress(OSError):
                    folder.rmdir()
        raise
    finally:
        os.close(lock)


def _lock_path(db: Path) -> Path:
    """``DB.lock`` beside the real file: one lock for one database, whatever path (a symlink)
    names it."""
    real = db.resolve()
    return real.with_name(real.name + ".lock")


def _serving_alone(db: Path) -> int:
    """Make sure no other hub serves this database, and none will while this one runs: two would
    hand out the same numbers and fail each other's commits. Returns the lock (an open file,
    ``DB.lock``, holding the hub's pid), to be closed when the hub stops; it goes with the
    process however that ends, SIGKILL and power cuts included."""
    lock = _lock_path(db)
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as err:
        raise CliError(f"cannot create the lock file {lock}: {err.strerror or err}") from err
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
        os.close(fd)
        raise CliError(f"another hub (pid {holder}) is already serving {db}; stop it first "
                       "(two hubs on one database would hand out the same numbers)") from None
    # the pid only helps a technician: a full disk must not keep the hub from starting (it
    # serves what it has, and tells why changes fail)
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def _run_loop(main: Coroutine[Any, Any, int]) -> int:
    """Run the hub on uvloop (a dependency on Linux): its event loop and sockets are written in
    C, and the hub's own time per request falls by about a tenth (README, figures). asyncio's
    loop where uvloop is not installed: the hub behaves the same on either."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


async def _serve(hall: Hall, store: Store, host: str, port: int, context: ssl.SSLContext | None,
                 always_open: bool, limits: Limits) -> int:
    loop = asyncio.get_running_loop()
    # the hub logs every state change: its lines leave together (hub/loglines.py)
    root = logging.getLogger()
    handlers, root.handlers = root.handlers, [loglines.LoopLines(sys.stderr, loop)]
    try:
        return await _serve_logged(hall, store, host, port, context, always_open, limits)
    finally:
        for handler in root.handlers:
            handler.close()  # writes what is left
        root.handlers = handlers


async def _serve_logged(hall: Hall, store: Store, host: str, port: int,
                        context: ssl.SSLContext | None, always_open: bool, limits: Limits) -> int:
    server = HallServer(hall, store, always_open=always_open, limits=limits)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        bound = await server.start(host, port, context)
    except OSError as err:
        await server.stop()
        raise ListenError(f"cannot listen on {host}:{port}: {err.strerror or err}") from err
    scheme = "wss" if context else "ws"
    print(f"hall-hub: {hall.name} listening on {scheme}://{host}:{bound}/ (db {store.path})",
          flush=True)
    await stop.wait()
    logger.info("stopping on signal")
    await server.stop()
    return 0


def cmd_check_config(args: argparse.Namespace) -> int:
    hall, problems = read_hall(args.file)  # each problem printed once, warnings not logged
    for problem in problems:
        print(f"{args.file}: {problem}")
    if hall is None:
        errors = [p for p in problems if not p.warning]
        print(f"{args.file}: {len(errors)} error(s): the hub will not start with this file")
        return 1
    print(f"{args.file}: OK: {hall.name}, {len(hall.departments)} departments, "
          f"{len(hall.services)} services, {len(hall.windows)} windows")
    return 0


def cmd_device_add(args: argparse.Namespace) -> int:
    problem = DEVICE_NAME.check(args.name)
    if problem or not args.name.strip():
        raise CliError(f"a device's name {problem or 'must not be blank'} (it is what the "
                       "device says in its hello)")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in args.name):
        # a line break would split `device list` and the log (a full-width space is fine)
        raise CliError(f"a device's name must not hold a line break, a tab or another control "
                       f"character: {args.name!r}")
    window_problem = WINDOW.check(args.window) if args.window is not None else None
    if window_problem:
        raise CliError(f"--window {window_problem}")
    if args.role == Role.COUNTER and args.window is None:
        raise CliError("a counter is bound to one window: give --window N")
    if args.role != Role.COUNTER and args.window is not None and args.role != Role.DISPLAY:
        raise CliError(f"--window is for counters (and window displays), not for a {args.role}")
    if args.config and args.window is not None:
        hall = load_hall(args.config)
        if args.window not in hall.windows:
            raise CliError(f"there is no window {args.window} in {args.config}")
    store = _store(args)
    try:
        token = store.add_device(args.name, args.role, args.window)
    finally:
        store.close()
    print(f"enrolled {args.name} as {args.role}" + (f" at window {args.window}"
                                                      if args.window else ""))
    print("its token (shown once; the hub keeps only a hash):")
    print(token)
    return 0


def cmd_device_list(args: argparse.Namespace) -> int:
    store = _store(args, existing=True)
    try:
        devices = store.devices()
    finally:
        store.close()
    if args.name is not None:
        devices = [d for d in devices if d.name == args.name]
        if not devices:
            raise CliError(f"no device named '{args.name}' is enrolled (hall-hub device list "
                           "shows them all)")
    if not devices:
        print("no devices enrolled")
    for d in devices:
        window = f"window {d.window}" if d.window is not None else "-"
        state = "revoked" if d.revoked else "active"
        print(f"{d.name:24} {d.role:8} {window:10} {state:8} enrolled {d.created_at[:19]}")
    return 0


def cmd_device_revoke(args: argparse.Namespace) -> int:
    store = _store(args, existing=True)
    try:
        revoked = store.revoke_device(args.name)
    finally:
        store.close()
    if not revoked:
        raise CliError(f"no active device named '{args.name}'")
    print(f"revoked {args.name}: its token no longer opens a connection")
    return 0


def cmd_clerk_add(args: argparse.Namespace) -> int:
    # the digits 0-9 a counter's keypad sends: a full-width "１２３４" typed through a Chinese
    # input method would be stored as a PIN nobody can key in
    if not ascii_digits(args.pin) or not 4 <= len(args.pin) <= 12:
        raise CliError("the PIN must be 4 to 12 digits 0-9")
    for what, text in (("staff number", args.id), ("name", args.name)):
        if not text.strip() or len(text) > CLERK_TEXT_MAX:
            raise CliError(f"the clerk's {what} must be 1 to {CLERK_TEXT_MAX} characters, not "
                           "blank")
    store = _store(args)
    try:
        before = store.clerk_names([args.id]).get(args.id)
        store.add_clerk(args.id, args.name, args.pin)
    finally:
        store.close()
    if before is None:
        print(f"clerk {args.id} ({args.name}) can now sign in")
    else:  # the same staff number: a new PIN (or name), said as such
        renamed = f", was {before}" if before != args.name else ""
        print(f"clerk {args.id} ({args.name}{renamed}) already enrolled: the new PIN replaces "
              "the old one")
    return 0


CLERK_TEXT_MAX = 64

APPOINTMENT_COLUMNS = "code,service,date,start,end[,name,phone]"
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def read_appointments(path: Path, tz: ZoneInfo, hall: Hall | None) -> list[AppointmentRow]:
    """Rows of ``code,service,date,start,end[,name,phone]``; raises CliError listing every bad
    line (by the line of the file it starts on) and importing nothing."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise CliError(f"cannot read {path}: {plain_reason(err)}") from err
    rows: list[AppointmentRow] = []
    problems: list[str] = []
    seen: dict[str, int] = {}  # code -> the line it was first on
    reader = csv.reader(io.StringIO(text, newline=""))
    header_possible = True
    for lineno, cells in _records(reader, path):
        if not cells or not "".join(cells).strip():
            continue
        cells = [c.strip() for c in cells]
        if header_possible and cells[0].lower() == "code":
            header_possible = False
            continue
        header_possible = False
        where = f"{path}:{lineno}"
        if not 5 <= len(cells) <= 7:
            problems.append(f"{where}: {len(cells)} column(s); a row is {APPOINTMENT_COLUMNS}")
            continue
        code, service, day, start, end, name, phone = [*cells, "", ""][:7]
        if not code or len(code) > CODE_MAX:
            problems.append(f"{where}: the code must be 1 to {CODE_MAX} characters")
            continue
        if code in seen:
            problems.append(f"{where}: code '{code}' is already booked on line {seen[code]}")
            continue
        seen[code] = lineno
        if hall is not None and service not in hall.services:
            problems.append(f"{where}: service '{service}' is not in this hall")
            continue
        try:
            if not ISO_DATE.fullmatch(day):
                raise ValueError(day)
            slot_day = date.fromisoformat(day)
            begin = datetime.combine(slot_day, datetime.strptime(start, "%H:%M").time(), tz)
            finish = datetime.combine(slot_day, datetime.strptime(end, "%H:%M").time(), tz)
        except ValueError:
            problems.append(f"{where}: date must be YYYY-MM-DD and times HH:MM "
                            f"(got '{day}', '{start}', '{end}')")
            continue
        if finish <= begin:
            problems.append(f"{where}: the slot ends at {end}, before it starts at {start}")
            continue
        rows.append(AppointmentRow(code=code, service=service, date=slot_day.isoformat(),
                                   slot_start=begin.isoformat(), slot_end=finish.isoformat(),
                                   name=name or None, phone=phone or None))
    if problems:
        raise CliError("nothing imported:\n" + "\n".join(problems))
    return rows


def _records(reader: Any, path: Path) -> Iterator[tuple[int, list[str]]]:
    """Each record of the CSV with the line of the file it starts on; a record the csv module
    cannot read (a field over its size limit, say) is a CliError naming its line."""
    read_to = 0  # the file's lines read so far: the next record starts after them
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise CliError(f"nothing imported: {path}:{read_to + 1}: {err}") from err
        yield read_to + 1, cells
        read_to = reader.line_num


def _timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as err:  # "Asia" is a folder of zones
        raise CliError(f"--timezone {name!r} is not a time zone (Asia/Shanghai, say)") from err


def cmd_appointments_import(args: argparse.Namespace) -> int:
    hall = load_hall(args.config) if args.config else None
    tz = hall.timezone if hall else _timezone(args.timezone)
    rows = read_appointments(Path(args.file), tz, hall)
    store = _store(args)
    try:
        count = store.add_appointments(rows)
    finally:
        store.close()
    print(f"imported {count} appointments from {args.file}")
    return 0


def _day(text: str) -> str:
    """argparse's type for a hall day."""
    try:
        if ISO_DATE.fullmatch(text):
            return date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2026-11-23")


def cmd_report(args: argparse.Namespace) -> int:
    if args.first > args.last:
        raise CliError(f"--from {args.first} is after --to {args.last}")
    hall = load_hall(args.config)
    store = _store(args, existing=True)
    try:
        report = named_report(hall, store, args.first, args.last,
                              Targets.of_hall(hall, args.wait_min))
    finally:
        store.close()
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    print(f"{hall.name}: {args.first} .. {args.last} (waits over {args.wait_min:g} min and "
          "services over their minutes counted)")
    for group in ("total", "service", "window", "clerk"):
        # a window or a clerk takes no tickets: what came to it is what it handled
        first = "handled" if group in ("window", "clerk") else "issued"
        print(f"\n{'all' if group == 'total' else 'by ' + group}\n{'':14}{first:>8}"
              f"{'served':>8}{'sent on':>8}{'no-show':>8}{'cancel':>8}{'unserved':>9}"
              f"{'wait':>7}{'>target':>8}{'service':>8}{'over':>6}{'satisf.':>9}")
        rows = {"": report["total"]} if group == "total" else report[f"by_{group}"]
        for key, f in rows.items():
            sat = percent(f["satisfaction"]) if f["satisfaction"] is not None else "-"
            wait, service = (("-" if f[k] is None else f[k])
                             for k in ("mean_wait_min", "mean_service_min"))
            print(f"{key:14}{f['handled' if first == 'handled' else 'issued']:>8}"
                  f"{f['served']:>8}{f['transferred']:>8}{f['no_show']:>8}{f['cancelled']:>8}"
                  f"{f['day_end']:>9}{wait:>7}{f['over_wait']:>8}"
                  f"{service:>8}{f['over_time']:>6}{sat:>9}")
    if report["dissatisfied"]:
        print("\ndissatisfied ratings and their follow-up:")
        for item in report["dissatisfied"]:
            follow = item["follow_up"]
            done = (f"followed up {follow['at']} by {follow['by']}: {follow['note']}" if follow
                    else "TO FOLLOW UP")
            print(f"  {item['day']} {item['ticket']} window {item['window']} clerk "
                  f"{item['clerk']}  {done}")
    return 0


# ------------------------------------------------------------------------------ parser

def build_parser() -> argparse.ArgumentParser:
    # a mistake on the command line is one plain line, as for every app (AppParser); the
    # subcommands' parsers are of the same class
    parser = AppParser(prog="hall-hub", description="The hall's hub.")
    parser.add_argument("--log-level", default="INFO",
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_db(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--db", help=f"the hall's database (default {default_db_path()})")
        return p

    serve = with_db(commands.add_parser("serve", help="run the hall bus"))
    serve.add_argument("--config", required=True, help="the hall's TOML file")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=port_number, default=DEFAULT_PORT)
    serve.add_argument("--cert", help="PEM certificate: serve wss://")
    serve.add_argument("--key", help="PEM private key of --cert")
    serve.add_argument("--always-open", action="store_true",
                       help="ignore opening hours (training and demos)")
    serve.add_argument("--rate-limit", type=_rate, default=(1000.0, 2000.0), metavar="R[/B]",
                       help="requests a second per device, and burst (default 1000/2000)")
    serve.set_defaults(func=cmd_serve)

    check = commands.add_parser("check-config", help="check a hall's TOML file")
    check.add_argument("file")
    check.set_defaults(func=cmd_check_config)

    device = commands.add_parser("device", help="enrol, list and revoke devices")
    device_cmds = device.add_subparsers(dest="device_command", required=True, metavar="ACTION")
    add = with_db(device_cmds.add_parser("add", help="enrol a device and print its token"))
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--window", type=int)
    add.add_argument("--config", help="check --window against this hall")
    add.set_defaults(func=cmd_device_add)
    listing = with_db(device_cmds.add_parser("list", help="list devices (or one of them)"))
    listing.add_argument("name", nargs="?", help="only this device")
    listing.set_defaults(func=cmd_device_list)
    revoke = with_db(device_cmds.add_parser("revoke", help="revoke a device's token"))
    revoke.add_argument("name")
    revoke.set_defaults(func=cmd_device_revoke)

    clerk = commands.add_parser("clerk", help="window staff")
    clerk_cmds = clerk.add_subparsers(dest="clerk_command", required=True, metavar="ACTION")
    clerk_add = with_db(clerk_cmds.add_parser("add", help="add a clerk (or change the PIN)"))
    clerk_add.add_argument("id", help="staff number")
    clerk_add.add_argument("--name", required=True)
    clerk_add.add_argument("--pin", required=True)
    clerk_add.set_defaults(func=cmd_clerk_add)

    appointments = commands.add_parser("appointments", help="booked appointments")
    app_cmds = appointments.add_subparsers(dest="app_command", required=True, metavar="ACTION")
    imp = with_db(app_cmds.add_parser(
        "import", help="import a CSV: code,service,date,start,end[,name,phone]"))
    imp.add_argument("file")
    imp.add_argument("--config", help="check services against this hall and use its time zone")
    imp.add_argument("--timezone", default="Asia/Shanghai")
    imp.set_defaults(func=cmd_appointments_import)

    report = with_db(commands.add_parser("report", help="figures for a period"))
    report.add_argument("--config", required=True)
    report.add_argument("--from", dest="first", required=True, type=_day, help="YYYY-MM-DD")
    report.add_argument("--to", dest="last", required=True, type=_day, help="YYYY-MM-DD")
    report.add_argument("--json", action="store_true")
    report.add_argument("--wait-min", type=_wait_minutes, default=WAIT_TARGET_MIN,
                        help=f"the hall's waiting promise, in minutes (default "
                             f"{WAIT_TARGET_MIN:g}, as the desk's)")
    report.set_defaults(func=cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level, stream=sys.stderr, format=loglines.FORMAT)
    # the hub logs every state change, so a line must be cheap: leave out what the format never
    # shows (the "Optimization" advice of the logging documentation)
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    logging._srcfile = None  # no caller look-up: the format has no file or line
    try:
        return int(args.func(args))
    except ConfigError as err:
        print(f"hall-hub: the hall configuration is wrong:\n{err}", file=sys.stderr)
        return 2
    except (CliError, StoreError) as err:
        print(f"hall-hub: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `hall-hub check-config FILE | head`: the reader has had enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 141


if __name__ == "__main__":
    sys.exit(main())
