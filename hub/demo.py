"""``hall-demo``: the whole demo hall on this desktop.

A hub on the demo hall (``assets/county.toml``) in a fresh data folder, demo devices and clerks
enrolled, a few appointments booked for today, a handful of citizens already waiting, and every
app opened: the kiosk, one window's clerk client and rating pad, a hall screen, that window's
screen, and the guidance desk. Ctrl-C stops them all together.

Any valid hall may be given with ``--config``: the demo's window, appointments and waiting
citizens are taken from that hall (window 1 and the county's services when the hall has them, else
its first window and its own services).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from hub.appargs import AppParser
from hub.cli import port_number
from hub.client import BusClient, BusError
from hub.config import Hall, load_hall
from hub.errors import ConfigError, HubError, plain_reason
from hub.protocol import DEFAULT_PORT
from hub.store import AppointmentRow, Store

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
DEMO_HALL = ROOT / "assets" / "county.toml"
KIOSK_PIN = "0000"
CLERKS = [("1001", "张三", "1234"), ("1002", "李四", "2345"), ("1003", "王五", "3456")]
# What the demo uses in the county hall; another hall gets its own windows and services instead.
DEMO_WINDOW = 1
APPOINTMENT_SERVICES = ("social", "realty", "startup")
WAITING_SERVICES = ("social", "medical", "social", "fund", "hukou", "idcard", "pay", "tax")


@dataclass(frozen=True)
class App:
    name: str  # device name
    role: str
    window: int | None
    module: str  # where main() lives
    args: tuple[str, ...]


def demo_window(hall: Hall) -> int:
    """The window whose clerk client, rating pad and screen the demo opens: window 1 when the
    hall has one (the county hall), else the hall's lowest-numbered window."""
    return DEMO_WINDOW if DEMO_WINDOW in hall.windows else min(hall.windows)


def demo_apps(hall: Hall) -> list[App]:
    window = demo_window(hall)
    return [
        App("kiosk-1", "kiosk", None, "kiosk.main", ("--windowed",)),
        App(f"counter-{window}", "counter", window, "counter.main", ("--windowed",)),
        App(f"rating-{window}", "counter", window, "counter.main", ("--windowed", "--evaluator")),
        App("display-hall", "display", None, "display.main", ("--windowed", "--mode", "hall")),
        App(f"display-w{window}", "display", None, "display.main",
            ("--windowed", "--mode", "window", "--window", str(window), "--voice", "off")),
        App("desk-1", "desk", None, "counter.desk.main", ("--windowed",)),
    ]


def appointment_services(hall: Hall) -> list[str]:
    """Up to three services to book appointments for: the county demo's ones that this hall
    has, then the hall's other services in order."""
    chosen = [s for s in APPOINTMENT_SERVICES if s in hall.services]
    chosen += [s for s in hall.services if s not in chosen]
    return chosen[:len(APPOINTMENT_SERVICES)]


def waiting_services(hall: Hall) -> list[str]:
    """The services of the citizens already waiting: the county demo's ones that this hall has,
    made up to as many with the services the demo window serves (so its clerk has someone to
    call)."""
    chosen = [s for s in WAITING_SERVICES if s in hall.services]
    served = hall.windows[demo_window(hall)].serves
    while len(chosen) < len(WAITING_SERVICES):
        chosen.append(served[len(chosen) % len(served)])
    return chosen


def _write_device_file(folder: Path, url: str, name: str, token: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(f'hub = "{url}"\ndevice = "{name}"\ntoken = "{token}"\n', encoding="utf-8")
    path.chmod(0o600)
    return path


def _kiosk_settings(folder: Path) -> tuple[str, ...]:
    """The demo kiosk prints to a preview folder (PNG + ESC/POS bytes) and knows a PIN."""
    path = folder / "kiosk-settings.toml"
    path.write_text(f'technician_pin = "{KIOSK_PIN}"\nprinter = "preview:{folder / "tickets"}"\n',
                    encoding="utf-8")
    return ("--settings", str(path))


def _book_appointments(store: Store, hall: Hall) -> list[str]:
    now = datetime.now(hall.timezone)
    codes = []
    for i, service in enumerate(appointment_services(hall)):
        start = now + timedelta(minutes=10 * i)
        code = f"YY{now:%m%d}{i + 1:02d}"
        codes.append(f"{code} ({service}, {start:%H:%M})")
        store.add_appointments([AppointmentRow(
            code=code, service=service, date=start.date().isoformat(),
            slot_start=start.isoformat(), slot_end=(start + timedelta(minutes=30)).isoformat(),
            name="演示预约", phone=None)])
    return codes


async def _seed(url: str, device: str, token: str, services: list[str]) -> int:
    """A few citizens already waiting, so the clerk has someone to call."""
    client = BusClient(url, device, token)
    runner = asyncio.create_task(client.run())
    issued = 0
    try:
        await client.wait_ready(10)
        for service in services:
            try:
                await client.request("issue", service=service)
                issued += 1
            except BusError as err:
                logger.warning("demo ticket for %s not issued: %s", service, err.message)
    finally:
        await client.close()
        runner.cancel()
    return issued


def launcher() -> list[str]:
    """What to start a child process with so that it dies with its parent: setpriv
    (util-linux) has the kernel send it SIGTERM when the parent dies, however it dies, so no hub
    or app is left behind holding the port or the screen."""
    return ["setpriv", "--pdeathsig", "TERM", "--"] if shutil.which("setpriv") else []


def _interrupt(signum: int, _frame: object) -> None:
    """SIGTERM (systemd, kill) and SIGHUP (the terminal closed) stop the hall as Ctrl-C does."""
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _start_hub(config: Path, db: Path, port: int, log: Path,
               procs: dict[str, subprocess.Popen[str]]) -> str:
    """Start the hub (in ``procs`` at once, so that a stop while it starts stops it too) and
    return its URL once it listens."""
    with open(log, "a", encoding="utf-8") as log_file:
        proc = procs["hub"] = subprocess.Popen(
            [*launcher(), sys.executable, "-m", "hub.cli", "serve", "--config", str(config),
             "--db", str(db), "--port", str(port), "--always-open"],
            stdout=subprocess.PIPE, stderr=log_file, text=True, cwd=ROOT)
    assert proc.stdout is not None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if "listening on " in line:
            return line.split("listening on ", 1)[1].split()[0]
    raise HubError(f"the hub did not start; see {log}")


def _stop(procs: dict[str, subprocess.Popen[str]]) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    for proc in procs.values():
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()


def _seconds(text: str) -> float:
    """argparse's type for --exit-after: a time to run, more than none."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds above 0")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = AppParser(prog="hall-demo", description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(DEMO_HALL), help="the hall (default: the demo)")
    parser.add_argument("--data", help="data folder (default: a fresh temporary one)")
    parser.add_argument("--port", type=port_number, default=DEFAULT_PORT)
    parser.add_argument("--no-apps", action="store_true", help="run the hub only")
    parser.add_argument("--exit-after", type=_seconds, metavar="SECONDS",
                        help="stop everything after this long (for checks and CI)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s hall-demo: %(message)s")
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)

    config = Path(args.config).resolve()  # the hub and the apps run from the project's folder
    try:
        hall = load_hall(config)
    except ConfigError as err:
        print(f"hall-demo: the hall configuration is wrong:\n{err}", file=sys.stderr)
        return 2
    folder = Path(args.data).resolve() if args.data else Path(tempfile.mkdtemp(prefix="hall-demo-"))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        db = folder / "hall.db"
        store = Store(db)
    except FileExistsError:
        print(f"hall-demo: --data {folder} is a file, not a folder", file=sys.stderr)
        return 2
    except (OSError, HubError) as err:
        print(f"hall-demo: cannot use the data folder {folder}: {plain_reason(err)}",
              file=sys.stderr)
        return 2
    tokens: dict[str, str] = {}
    apps = demo_apps(hall)
    try:
        for app in apps:
            if app.name not in {d.name for d in store.devices() if not d.revoked}:
                tokens[app.name] = store.add_device(app.name, app.role, app.window)
            else:
                store.revoke_device(app.name)
                tokens[app.name] = store.add_device(app.name, app.role, app.window)
        for clerk_id, name, pin in CLERKS:
            store.add_clerk(clerk_id, name, pin)
        appointments = _book_appointments(store, hall)
    finally:
        store.close()

    procs: dict[str, subprocess.Popen[str]] = {}
    try:
        url = _start_hub(config, db, args.port, folder / "hub.log", procs)
        hub = procs["hub"]
        issued = asyncio.run(_seed(url, "desk-1", tokens["desk-1"], waiting_services(hall)))
        env = dict(os.environ)
        if not any(env.get(k) for k in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")):
            print("hall-demo: no screen found here: the apps run offscreen (nothing to see); "
                  "run this on a desktop to see them")
            env["QT_QPA_PLATFORM"] = "offscreen"
        started = []
        for app in [] if args.no_apps else apps:
            if importlib.util.find_spec(app.module) is None:
                logger.info("%s is not part of this build yet: not started", app.module)
                continue
            device_file = _write_device_file(folder, url, app.name, tokens[app.name])
            code = f"import sys; from {app.module} import main; sys.exit(main(sys.argv[1:]))"
            extra = _kiosk_settings(folder) if app.role == "kiosk" else ()
            with open(folder / f"{app.name}.log", "a", encoding="utf-8") as log_file:
                procs[app.name] = subprocess.Popen(
                    [*launcher(), sys.executable, "-c", code, "--device-file", str(device_file),
                     *app.args, *extra],
                    stdout=log_file, stderr=subprocess.STDOUT, text=True, cwd=ROOT, env=env)
            started.append(app.name)
        print(f"\nThe demo hall is running: {hall.name}, hub at {url}")
        print(f"  data and logs: {folder}")
        print(f"  apps: {', '.join(started) or 'none'}; {issued} citizens already waiting")
        print("  clerks (staff number / PIN): " + ", ".join(f"{c} {n} / {p}" for c, n, p in CLERKS))
        print("  appointments to check in at the kiosk: " + "; ".join(appointments))
        print(f"  technician PIN to leave the kiosk (long-press the hall's name): {KIOSK_PIN}; "
              f"printed tickets: {folder / 'tickets'}")
        print("Press Ctrl-C to stop everything.\n", flush=True)
        deadline = time.monotonic() + args.exit_after if args.exit_after else None
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.5)
            if hub.poll() is not None:
                print(f"hall-demo: the hub stopped (exit {hub.returncode}); see {folder}/hub.log",
                      file=sys.stderr)
                return 1
            for name, proc in list(procs.items()):
                if name != "hub" and proc.poll() is not None:
                    print(f"hall-demo: {name} exited ({proc.returncode}); see "
                          f"{folder}/{name}.log", file=sys.stderr)
                    del procs[name]
        return 0
    except HubError as err:
        print(f"hall-demo: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nhall-demo: stopping the hall")
        return 0
    finally:
        _stop(procs)
