"""The full-screen kiosk: the Qt application, the bus, the printer's thread, the scanner, the
window, wired together; returns when the technician leaves with the PIN."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QApplication

from hub.client import DeviceSettings
from hub.qtbus import QtBus, quit_on_signals
from kiosk.model import KioskModel
from kiosk.printer import TicketPrinter
from kiosk.raster import ensure_qt_app
from kiosk.scanner import KeyboardScanner, Scanner
from kiosk.settings import KioskSettings
from kiosk.ui.printjobs import ThreadedPrintJobs
from kiosk.ui.window import KioskWindow

logger = logging.getLogger(__name__)

WINDOWED_SIZE = {"portrait": (608, 1080), "landscape": (1280, 720), "auto": (608, 1080)}


class Kiosk:
    """Everything the running kiosk holds, built in order and closed in reverse."""

    def __init__(self, bus_settings: DeviceSettings, settings: KioskSettings,
                 printer: TicketPrinter, *, orientation: str = "auto",
                 scanner: Scanner | None = None) -> None:
        ensure_qt_app()
        self.bus = QtBus(bus_settings)
        self.jobs = ThreadedPrintJobs(printer)
        self.model = KioskModel(self.bus, self.jobs, device=bus_settings.device,
                                idle_seconds=settings.idle_seconds,
                                technician_pin=settings.technician_pin, lang=settings.lang,
                                clock=self.bus.hub_time)
        self.bus.snapshot.connect(self.model.on_snapshot)
        self.bus.bus_event.connect(self.model.on_event)
        self.bus.status.connect(self.model.on_status)
        self.scanner = scanner
        keyboard = scanner if isinstance(scanner, KeyboardScanner) else None
        self.window = KioskWindow(self.model, orientation=orientation, keyboard_scanner=keyboard)
        if scanner is not None and keyboard is None:
            scanner.start(self.window.code_scanned.emit)  # from the scanner's thread

    def start(self) -> None:
        self.window.start()
        self.bus.start()

    def close(self) -> None:
        self.window.ticker.stop()
        self.bus.stop()
        self.jobs.close()
        if self.scanner is not None:
            self.scanner.close()
        self.window.may_close = True
        self.window.close()


def run(bus_settings: DeviceSettings, settings: KioskSettings, printer: TicketPrinter, *,
        scanner: Scanner | None = None, windowed: bool = False, orientation: str = "auto") -> int:
    """Run the kiosk until the technician leaves, or SIGTERM/SIGINT (a clean close either way)."""
    app = ensure_qt_app()
    assert isinstance(app, QApplication)
    kiosk = Kiosk(bus_settings, settings, printer, orientation=orientation, scanner=scanner)
    window = kiosk.window
    if windowed:
        window.resize(*WINDOWED_SIZE[orientation])
        window.show()
    else:
        window.setWindowFlag(Qt.WindowType.FramelessWindowHint)
        window.showFullScreen()
        QApplication.setOverrideCursor(QCursor(Qt.CursorShape.BlankCursor))
    kiosk.start()
    logger.info("kiosk %s started (%s printer, %s mode, %d mm)", bus_settings.device,
                type(printer).__name__, printer.mode.value, printer.paper)
    def let_close() -> None:
        # systemd or Ctrl-C: the full-screen window's PIN guard is for citizens, not for them
        window.may_close = True

    wake = quit_on_signals(app, let_close)
    try:
        return app.exec()
    finally:
        wake.stop()
        kiosk.close()
        logger.info("kiosk stopped")
