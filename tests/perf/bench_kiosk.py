"""Kiosk benchmark: touch to the last byte handed to the printer backend, app start to first
frame, and memory. Starts its own real hub on loopback.

    .venv/bin/python tests/perf/bench_kiosk.py

* touch -> last byte: a real mouse click on a service tile of the real window (offscreen), the
  printer's status check, the ``issue`` request to the hub over the real socket, the ticket laid
  out and encoded (text and image mode), until the backend's ``print_ticket`` returns.
* start -> first frame: ``hall-kiosk --windowed`` as its own process, until the window's first
  paint is logged; then that process's RSS once it shows the hall.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import psutil  # type: ignore[import-untyped]  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from hub.client import DeviceSettings  # noqa: E402
from kiosk.model import Screen  # noqa: E402
from kiosk.printer import FakePrinter  # noqa: E402
from kiosk.settings import KioskSettings  # noqa: E402
from kiosk.ticket import PrintMode  # noqa: E402
from kiosk.ui.app import Kiosk  # noqa: E402
from kiosk.ui.screens import HomePage, ServicesPage  # noqa: E402
from tests.hubproc import HubProcess  # noqa: E402

TOUCHES = 150


class TimedPrinter(FakePrinter):
    """A fake backend that notes when the last byte of each ticket was handed to it."""

    handed: list[float]

    def print_ticket(self, data: bytes) -> None:
        super().print_ticket(data)
        self.handed.append(time.perf_counter())


def wait(app: QApplication, condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError("the kiosk did not get there in time")
        app.processEvents()


def percentiles(values: list[float]) -> str:
    q = statistics.quantiles(values, n=100)
    return f"p50 {q[49]:.1f} ms  p95 {q[94]:.1f} ms  p99 {q[98]:.1f} ms  max {max(values):.1f} ms"


def touches(hub: HubProcess, mode: PrintMode, device: str) -> list[float]:
    printer = TimedPrinter(mode, 58)
    printer.handed = []
    kiosk = Kiosk(DeviceSettings(hub.url, device, hub.tokens[device]), KioskSettings(), printer)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    window, model = kiosk.window, kiosk.model
    window.resize(1080, 1920)
    window.show()
    kiosk.start()
    wait(app, lambda: model.screen is Screen.HOME and model.connected)
    home, services = window.pages[Screen.HOME], window.pages[Screen.SERVICES]
    assert isinstance(home, HomePage) and isinstance(services, ServicesPage)
    latencies: list[float] = []
    try:
        for i in range(TOUCHES + 5):
            model.home()
            QTest.mouseClick(home.tiles["hrss"], Qt.MouseButton.LeftButton)
            app.processEvents()
            before = len(printer.handed)
            start = time.perf_counter()
            QTest.mouseClick(services.tiles["social"], Qt.MouseButton.LeftButton)
            wait(app, lambda b=before: len(printer.handed) > b)
            if i >= 5:  # the first few warm up fonts and caches
                latencies.append((printer.handed[-1] - start) * 1000)
            wait(app, lambda: model.screen is Screen.DONE)
    finally:
        kiosk.close()
    return latencies


def start_up(hub: HubProcess, folder: Path) -> tuple[float, float]:
    args = [sys.executable, "-m", "kiosk.main", "--windowed", "--hub", hub.url,
            "--device", "kiosk-2", "--token", hub.tokens["kiosk-2"],
            "--printer", f"preview:{folder}", "--log-level", "DEBUG"]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONUNBUFFERED": "1"}
    started = time.perf_counter()
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    first_frame = shown = 0.0
    try:
        for line in proc.stderr:
            if "first frame" in line and not first_frame:
                first_frame = (time.perf_counter() - started) * 1000
            if re.search(r"screen \w+ -> home", line):
                shown = 1.0
            if first_frame and shown:
                break
        time.sleep(1.0)  # let it settle before reading its memory
        rss = psutil.Process(proc.pid).memory_info().rss / 2**20
    finally:
        proc.terminate()
        proc.wait(10)
    return first_frame, rss


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-kiosk-") as tmp:
        hub = HubProcess(Path(tmp) / "hub", extra=("--rate-limit", "100000/200000"))
        hub.enroll_standard().start()
        try:
            from kiosk.raster import ensure_qt_app

            ensure_qt_app()
            for mode, device in ((PrintMode.TEXT, "kiosk-1"), (PrintMode.IMAGE, "kiosk-1")):
                values = touches(hub, mode, device)
                print(f"touch -> last byte, {mode.value} mode, {len(values)} tickets: "
                      f"{percentiles(values)}")
            rss = psutil.Process().memory_info().rss / 2**20
            print(f"RSS of the benchmark process after {2 * (TOUCHES + 5)} tickets: {rss:.0f} MB")
            first_frame, app_rss = start_up(hub, Path(tmp) / "tickets")
            print(f"hall-kiosk start -> first frame: {first_frame:.0f} ms")
            print(f"hall-kiosk RSS showing the hall: {app_rss:.0f} MB")
        finally:
            hub.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
