"""A real hub, started as its own process on a free loopback port, for tests and benchmarks."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hub.demo import launcher
from hub.store import AppointmentRow, Store

ROOT = Path(__file__).resolve().parent.parent
COUNTY = ROOT / "assets" / "county.toml"

# devices and clerks every test hall has
DEVICES = {
    "kiosk-1": ("kiosk", None),
    "kiosk-2": ("kiosk", None),
    "counter-1": ("counter", 1),
    "counter-2": ("counter", 2),
    "counter-4": ("counter", 4),
    "display-1": ("display", None),
    "desk-1": ("desk", None),
    "admin-1": ("admin", None),
}
CLERKS = {"1001": ("张三", "1234"), "1002": ("李四", "2345"), "1003": ("王五", "3456")}


def self_signed(folder: Path, *, name: str = "localhost",
                alt: str = "IP:127.0.0.1") -> tuple[Path, Path]:
    """A certificate for a hub (by default on 127.0.0.1) and its key (openssl, valid one day)."""
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / "hub.pem", folder / "hub.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", f"/CN={name}", "-addext", f"subjectAltName={alt}",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


class HubProcess:
    def __init__(self, folder: Path, config: Path = COUNTY, *, always_open: bool = True,
                 extra: tuple[str, ...] = ()) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.config = config
        self.db = folder / "hall.db"
        self.always_open = always_open
        self.extra = extra
        self.port = 0
        self.url = ""
        self.tokens: dict[str, str] = {}
        self.proc: subprocess.Popen[str] | None = None
        self.log = folder / "hub.log"
        self.module = "hub.cli"  # what runs as the hub (a test may wrap hub.cli)
        self.env: dict[str, str] = {}  # added to the hub's environment

    def enroll(self, name: str, role: str, window: int | None = None) -> str:
        store = Store(self.db)
        try:
            token = store.add_device(name, role, window)
        finally:
            store.close()
        self.tokens[name] = token
        return token

    def add_clerk(self, clerk_id: str, name: str, pin: str) -> None:
        store = Store(self.db)
        try:
            store.add_clerk(clerk_id, name, pin)
        finally:
            store.close()

    def book(self, code: str, service: str, day: str) -> None:
        """An appointment on ``day`` whose slot runs from now to an hour from now: it can be
        checked in at once. (A slot begun 10 minutes ago was, from 05:00 to 05:10 in the hall,
        in the hall day before: tests run then failed.)"""
        now = datetime.now(UTC)
        store = Store(self.db)
        try:
            store.add_appointments([AppointmentRow(
                code=code, service=service, date=day,
                slot_start=now.isoformat(),
                slot_end=(now + timedelta(minutes=50)).isoformat())])
        finally:
            store.close()

    def enroll_standard(self) -> HubProcess:
        for name, (role, window) in DEVICES.items():
            self.enroll(name, role, window)
        for clerk_id, (name, pin) in CLERKS.items():
            self.add_clerk(clerk_id, name, pin)
        return self

    def start(self, timeout: float = 20.0) -> HubProcess:
        # the hub dies with the test process, however it dies: a crashed run leaves no hub
        args = [*launcher(), sys.executable, "-m", self.module, "serve", "--config", str(self.config),
                "--db", str(self.db), "--host", "127.0.0.1", "--port", str(self.port)]
        if self.always_open:
            args.append("--always-open")
        args += list(self.extra)
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **self.env}
        with open(self.log, "a") as log:
            self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, text=True,
                                         cwd=ROOT, env=env)
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            match = re.search(r"listening on (wss?://[^/]+:(\d+)/)", line)
            if match:
                self.url, self.port = match.group(1), int(match.group(2))
                return self
        self.stop()
        raise RuntimeError(f"the hub did not start; its log:\n{self.log.read_text()}")

    def kill(self) -> None:
        """Power cut: SIGKILL, nothing flushed on the way out."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
            self.proc = None

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait(5)
        self.proc = None
        return code


def app_stops_on_signal(module: str, args: list[str], log: Path, signum: int) -> str:
    """Run ``python -m MODULE ARGS`` offscreen until it says "bus connected", send ``signum``,
    and return its log once it has exited with 0 (the test fails otherwise)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    with open(log, "w", encoding="utf-8") as err:
        proc = subprocess.Popen([sys.executable, "-m", module, *args],
                                stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 30
        while "bus connected" not in log.read_text(encoding="utf-8"):
            assert proc.poll() is None, log.read_text(encoding="utf-8")
            assert time.monotonic() < deadline, log.read_text(encoding="utf-8")
            time.sleep(0.1)
        proc.send_signal(signum)
        assert proc.wait(15) == 0, log.read_text(encoding="utf-8")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    return log.read_text(encoding="utf-8")
