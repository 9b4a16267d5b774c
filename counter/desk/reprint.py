"""Tickets printed at the desk: issued on a citizen's behalf, or a lost one printed again.

The paper is the kiosk's (``kiosk.ticket.TicketContent`` laid out and encoded by the kiosk's
printing layer, ``kiosk.printer.open_printer``); the desk only builds the content from the hub's
ticket and the snapshot, and prints off the GUI thread, one ticket at a time.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from counter.desk.indicators import parse_time
from kiosk.errors import PrinterError, PrinterNotReadyError
from kiosk.printer import TicketPrinter
from kiosk.ticket import TicketContent

logger = logging.getLogger(__name__)

PRINTABLE_STATES = ("waiting", "called", "serving", "no_show")


def default_desk_preview_dir() -> Path:
    """Where the desk's preview printer writes when no --printer is given."""
    from kiosk.printer import default_preview_dir

    return default_preview_dir().parent.parent / "hall-desk" / "tickets"


def ticket_content(ticket: Mapping[str, Any], snapshot: Mapping[str, Any],
                   lang: str | None = None) -> TicketContent:
    """The paper ticket for ``ticket`` (a TICKET of the hub), as the kiosk would print it.

    ``lang`` (the citizen's language) leads on the paper when the hall has it. Raises
    ValueError when the ticket lacks what a ticket must show."""
    hall: Mapping[str, Any] = snapshot.get("hall") or {}
    service: Mapping[str, Any] = next(
        (s for s in snapshot.get("services", []) if s.get("id") == ticket.get("service")), {})
    languages = [str(x) for x in hall.get("languages") or ("zh", "en")]
    wanted = lang or ticket.get("lang")
    if wanted in languages:
        languages.remove(str(wanted))
        languages.insert(0, str(wanted))
    issued_at = parse_time(ticket.get("issued_at"))
    if issued_at is None:
        raise ValueError(f"ticket {ticket.get('number')} has no issue time")
    priority = ticket.get("priority")
    return TicketContent(
        hall_name=str(hall.get("name") or ""),
        hall_name_en=hall.get("name_en"),
        service_name=str(service.get("name") or ticket.get("service") or ""),
        service_name_en=service.get("name_en"),
        number=str(ticket.get("number") or ""),
        ticket_id=str(ticket.get("id") or ""),
        ahead=int(ticket.get("ahead") or 0),
        est_wait_min=int(ticket.get("est_wait_min") or 0),
        issued_at=issued_at,
        languages=tuple(languages),
        priority=priority if priority in ("normal", "green", "appointment") else "normal",
        timezone=hall.get("timezone"),
        state=str(ticket.get("state") or "waiting"),
        window=_window(ticket.get("window")),
        to_window=_window(ticket.get("to_window")),
    )


def _window(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


@dataclass(frozen=True)
class PrintOutcome:
    """What became of one ticket sent to the desk printer."""

    number: str
    ok: bool
    problem: str = ""  # a PrinterStatus value ("paper_out" ...) or "offline" / "error"
    detail: str = ""  # the printer layer's own words, for the log and a technician


def print_ticket(printer: TicketPrinter, content: TicketContent) -> PrintOutcome:
    """Print now (blocking); never raises for a printer that cannot print."""
    try:
        printer.print_content(content)
    except PrinterNotReadyError as err:
        logger.warning("ticket %s not printed: %s", content.number, err)
        return PrintOutcome(content.number, False, err.status.value, str(err))
    except PrinterError as err:
        logger.warning("ticket %s not printed: %s", content.number, err)
        return PrintOutcome(content.number, False, "offline", str(err))
    return PrintOutcome(content.number, True)


class DeskPrinter(QObject):
    """The desk's printer, driven from the GUI thread: ``submit`` returns at once and
    ``printed(PrintOutcome)`` arrives in the GUI thread when the paper is out (or is not)."""

    printed = Signal(object)
    _finished = Signal(object)

    def __init__(self, printer: TicketPrinter, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.printer = printer
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="desk-printer")
        self._finished.connect(self._deliver)
        self.pending = 0

    def submit(self, content: TicketContent) -> None:
        self.pending += 1
        future = self._pool.submit(print_ticket, self.printer, content)

        def done(result: Future[PrintOutcome]) -> None:
            try:
                outcome = result.result()
            except Exception as err:  # a bug in the printing layer: say so, keep the desk up
                logger.exception("printing ticket %s failed", content.number)
                outcome = PrintOutcome(content.number, False, "error", str(err))
            self._finished.emit(outcome)

        future.add_done_callback(done)

    @Slot(object)
    def _deliver(self, outcome: PrintOutcome) -> None:
        self.pending -= 1
        self.printed.emit(outcome)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.printer.close()
