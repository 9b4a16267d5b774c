"""The printer, used off the GUI thread: status checks and tickets run one at a time on a worker
thread, and their results come back to the GUI thread as Qt signals.

:class:`InlinePrintJobs` does the same work in the caller's thread (view-model tests, benchmarks).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from kiosk.errors import PrinterError, PrinterNotReadyError, PrinterOfflineError
from kiosk.model import PrintOutcome
from kiosk.printer import TicketPrinter
from kiosk.printer_status import PrinterStatus
from kiosk.ticket import TicketContent

logger = logging.getLogger(__name__)


def read_status(printer: TicketPrinter) -> PrinterStatus:
    try:
        return printer.status()
    except PrinterError as err:
        logger.warning("printer status: %s", err)
        return PrinterStatus.OFFLINE
    except Exception:  # a device-thread boundary: a bug must not take the kiosk down
        logger.exception("reading the printer's status failed")
        return PrinterStatus.OFFLINE  # not "unknown": that is tried, and this printer failed


def print_once(printer: TicketPrinter, content: TicketContent) -> PrintOutcome:
    """Print one ticket; what happened, and the printer's state after it."""
    try:
        printer.print_content(content)
    except PrinterNotReadyError as err:
        return PrintOutcome(False, err.status, str(err))
    except PrinterOfflineError as err:
        return PrintOutcome(False, PrinterStatus.OFFLINE, str(err))
    except PrinterError as err:
        return PrintOutcome(False, read_status(printer), str(err))
    except Exception as err:  # a device-thread boundary
        logger.exception("printing ticket %s failed", content.number)
        return PrintOutcome(False, read_status(printer), str(err))
    return PrintOutcome(True, read_status(printer))


class InlinePrintJobs:
    """The printer asked in the caller's thread: callbacks run before the call returns."""

    def __init__(self, printer: TicketPrinter) -> None:
        self.printer = printer

    def check(self, on_done: Callable[[PrinterStatus], None]) -> None:
        on_done(read_status(self.printer))

    def print_ticket(self, content: TicketContent,
                     on_done: Callable[[PrintOutcome], None]) -> None:
        on_done(print_once(self.printer, content))

    def close(self) -> None:
        self.printer.close()


class ThreadedPrintJobs(QObject):
    """The printer on its own thread, one job at a time, in order; results in the GUI thread."""

    _finished = Signal(object, object)

    def __init__(self, printer: TicketPrinter, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.printer = printer
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-printer")
        self._finished.connect(self._deliver)

    def check(self, on_done: Callable[[PrinterStatus], None]) -> None:
        self._submit(lambda: read_status(self.printer), on_done)

    def print_ticket(self, content: TicketContent,
                     on_done: Callable[[PrintOutcome], None]) -> None:
        self._submit(lambda: print_once(self.printer, content), on_done)

    def _submit(self, job: Callable[[], Any], on_done: Callable[[Any], None]) -> None:
        def run() -> None:
            self._finished.emit(on_done, job())

        self._pool.submit(run)

    @Slot(object, object)
    def _deliver(self, on_done: Callable[[Any], None], result: Any) -> None:
        on_done(result)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.printer.close()
