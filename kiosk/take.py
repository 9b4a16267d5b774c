"""``hall-kiosk --take SERVICE``: a technician's test ticket, with no screen.

Connect to the hub, ask the printer whether it can print (nothing is issued if it cannot, and
the error says why), issue one ticket as a touch would, print it, and say what happened; the
caller prints the ticket number alone on the last line of stdout.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from hub.client import BusClient, BusError, DeviceSettings, new_request_id
from kiosk.errors import KioskError, PrinterError
from kiosk.model import ticket_content
from kiosk.printer import PreviewPrinter, TicketPrinter
from kiosk.printer_status import PrinterStatus
from kiosk.raster import ensure_qt_app
from kiosk.ticket import PrintMode, TicketContent

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 5.0
REQUEST_TIMEOUT_S = 10.0


class TakeError(KioskError):
    """The test ticket could not be taken; the message says why, in one line."""


@dataclass(frozen=True)
class TakenTicket:
    content: TicketContent
    printed_bytes: int
    where: str  # the printer, or the preview folder


def take_ticket(settings: DeviceSettings, service: str, lang: str | None,
                printer: TicketPrinter, *, timeout: float = CONNECT_TIMEOUT_S) -> TakenTicket:
    """Issue one ticket of ``service`` and print it; raises :class:`TakeError`."""
    status = _printer_status(printer)
    if not status.can_print:
        raise TakeError(f"the printer cannot print ({_why(printer, status)}): no ticket was issued")
    if printer.mode is PrintMode.IMAGE or isinstance(printer, PreviewPrinter):
        ensure_qt_app()  # Qt draws the image ticket and the preview PNG
    return asyncio.run(_take(settings, service, lang, printer, timeout, status))


async def _take(settings: DeviceSettings, service: str, lang: str | None,
                printer: TicketPrinter, timeout: float, status: PrinterStatus) -> TakenTicket:
    client = settings.client(open_timeout=timeout)
    runner = asyncio.create_task(client.run())
    try:
        try:
            await client.wait_ready(timeout, until_refused=True)
        except TimeoutError:
            raise TakeError(f"the hub at {settings.hub} is unreachable: "
                            f"{client.last_error or 'it does not answer'}") from None
        except BusError as err:
            # refused for good (certificate, token): said at once, not after the timeout
            raise TakeError(f"cannot connect to the hub at {settings.hub}: {err.message}") from None
        hall = client.snapshot.get("hall") or {}
        services = {s["id"]: s for s in client.snapshot.get("services") or []}
        languages = [str(code) for code in hall.get("languages") or ["zh"]]
        chosen = lang or languages[0]
        await _report(client, {"printer": status.value})
        try:
            reply = await client.request("issue", req_id=new_request_id(),
                                         timeout=REQUEST_TIMEOUT_S, service=service, lang=chosen)
        except BusError as err:
            raise TakeError(_refusal(err, service)) from err
        content = ticket_content(reply["ticket"], hall, services, chosen, languages)
        try:
            data = printer.print_content(content)
        except Exception as err:  # issued: whatever failed, the number must be said
            if not isinstance(err, PrinterError):
                logger.debug("printing ticket %s failed", content.number, exc_info=True)
            await _report(client, {"printer": _status_after(printer).value,
                                   "unprinted": content.number})
            raise TakeError(f"ticket {content.number} was issued but not printed: "
                            f"{_said(err)}") from err
        where = str(printer.directory) if isinstance(printer, PreviewPrinter) else "the printer"
        return TakenTicket(content, len(data), where)
    finally:
        await client.close()
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner


async def _report(client: BusClient, status: dict[str, str]) -> None:
    try:
        await client.request("device_status", timeout=REQUEST_TIMEOUT_S, status=status)
    except BusError as err:
        logger.warning("device_status not taken: %s", err)


class _SaidInTheErrorLine(logging.Filter):
    """Holds back the printer layer's warnings: the one line of a failed --take says them."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno < logging.WARNING


def _printer_status(printer: TicketPrinter) -> PrinterStatus:
    """Whether the printer can print; what it finds wrong goes into the error, not the log."""
    printer_log = logging.getLogger("kiosk.printer")
    held = _SaidInTheErrorLine()
    printer_log.addFilter(held)
    try:
        return printer.status()
    finally:
        printer_log.removeFilter(held)


def _why(printer: TicketPrinter, status: PrinterStatus) -> str:
    """The status, and what the printer layer found (a one-shot run does not show its log)."""
    detail = printer.status_detail()
    said = STATUS_WORDS.get(status, status.value)
    return f"{said}: {detail}" if detail else said


#: a printer's state as the technician's line says it (the hub is told the codes)
STATUS_WORDS = {PrinterStatus.PAPER_OUT: "out of paper", PrinterStatus.COVER_OPEN: "cover open",
                PrinterStatus.PAPER_NEAR_END: "paper near its end"}


def _status_after(printer: TicketPrinter) -> PrinterStatus:
    """The printer's state after a failed ticket, for the hub; offline if it cannot even say."""
    try:
        return printer.status()
    except Exception:  # it just failed: its status may fail as well
        return PrinterStatus.OFFLINE


def _said(err: BaseException) -> str:
    """A printer error in its own words; anything else with its kind, as the log would name it."""
    return str(err) if isinstance(err, PrinterError) else f"{type(err).__name__}: {err}"


def _refusal(err: BusError, service: str) -> str:
    if err.code == "unknown_service":
        return err.message or f"there is no service '{service}' in this hall"
    if err.code == "unavailable":
        return f"the hub did not answer: {err.message}"
    return f"the hub refused the ticket ({err.code}): {err.message}"
