"""The kiosk's exceptions, one tree.

    KioskError                    anything the kiosk raises on purpose
    └── PrinterError              the ticket printer cannot be used
        ├── PrinterSpecError      a ``--printer`` SPEC that names no known backend
        ├── PrinterOfflineError   the printer cannot be opened, reached or written to
        └── PrinterNotReadyError  the printer answers but cannot print (paper out, cover open)

Device adapters translate python-escpos, pyserial and socket errors into these
(``raise PrinterOfflineError(...) from err``), so the app handles one family of errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiosk.printer_status import PrinterStatus


class KioskError(Exception):
    """Root of every error the kiosk raises on purpose."""


class PrinterError(KioskError):
    """The ticket printer cannot be used; the message says why, for a technician."""


class PrinterSpecError(PrinterError):
    """A printer SPEC string that names no known backend or has a bad part."""


class PrinterOfflineError(PrinterError):
    """The printer cannot be opened, reached or written to."""


class PrinterNotReadyError(PrinterError):
    """The printer is reachable but reports it cannot print; ``status`` says why."""

    def __init__(self, status: PrinterStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
