"""What a ticket printer says about itself, read with ESC/POS real-time status requests.

``DLE EOT n`` (``10 04 n``) asks the printer for one status byte, answered even while it is
offline or its buffer is full. Each reply byte has bit 0 = 0, bit 1 = 1, bit 4 = 1, bit 7 = 0
(so ``byte & 0x93 == 0x12``); the other bits mean, per the ESC/POS command reference:

    n = 1  printer status        bit 3: offline;  bit 5: waiting for online recovery
    n = 2  offline cause         bit 2: cover open;  bit 3: paper fed with the FEED button;
                                 bit 5: printing stopped at paper end;  bit 6: an error occurred
    n = 3  error cause           bit 3: auto-cutter error;  bit 5: unrecoverable error;
                                 bit 6: auto-recoverable error (e.g. head too hot)
    n = 4  roll paper sensor     bits 2-3: paper near its end;  bits 5-6: paper not present

A printer that cannot be asked (a file, USB without read-back) is ``unknown`` and still tried;
one that is asked and answers with bytes that are no such reply is ``unreadable`` and is not:
whatever is on the line (another device, a wrong port or baud rate) cannot be trusted to print.
"""

from __future__ import annotations

import enum

DLE_EOT = b"\x10\x04"
PRINTER_STATUS = 1
OFFLINE_CAUSE = 2
ERROR_CAUSE = 3
PAPER_SENSOR = 4

_FIXED_MASK = 0x93
_FIXED_BITS = 0x12


class PrinterStatus(enum.Enum):
    """The printer's state as the kiosk cares about it."""

    OK = "ok"
    PAPER_NEAR_END = "paper_near_end"
    PAPER_OUT = "paper_out"
    OFFLINE = "offline"
    COVER_OPEN = "cover_open"
    UNKNOWN = "unknown"  # the printer cannot be asked
    UNREADABLE = "unreadable"  # asked, it answers with bytes that are not ESC/POS status

    @property
    def can_print(self) -> bool:
        """Whether a ticket sent now would come out (near-end still prints; unknown is tried)."""
        return self in (PrinterStatus.OK, PrinterStatus.PAPER_NEAR_END, PrinterStatus.UNKNOWN)


def status_request(n: int) -> bytes:
    """The ``DLE EOT n`` real-time status request."""
    if n not in (PRINTER_STATUS, OFFLINE_CAUSE, ERROR_CAUSE, PAPER_SENSOR):
        raise ValueError(f"DLE EOT has no status {n}")
    return DLE_EOT + bytes([n])


def is_status_byte(value: int) -> bool:
    """Whether ``value`` has the fixed bits every ``DLE EOT`` reply carries."""
    return 0 <= value <= 0xFF and value & _FIXED_MASK == _FIXED_BITS


def status_from_replies(
    printer: int | None, offline_cause: int | None, paper: int | None
) -> PrinterStatus:
    """Combine the replies to ``DLE EOT 1``, ``2`` and ``4`` into one status.

    ``None`` is a request the printer did not answer. No answer to the printer-status request
    means the printer is offline (switched off, unplugged or hung); a reply that is not a status
    byte means something else is on the line: ``unreadable`` (the caller says so in its log).
    """
    if printer is None:
        return PrinterStatus.OFFLINE
    replies = [r for r in (printer, offline_cause, paper) if r is not None]
    if not all(is_status_byte(r) for r in replies):
        return PrinterStatus.UNREADABLE
    paper_out = paper is not None and paper & 0x60 != 0
    paper_near_end = paper is not None and paper & 0x0C != 0
    if offline_cause is not None:
        if offline_cause & 0x04:
            return PrinterStatus.COVER_OPEN
        if offline_cause & 0x20:
            return PrinterStatus.PAPER_OUT
    if paper_out:
        return PrinterStatus.PAPER_OUT
    if printer & 0x08:
        return PrinterStatus.OFFLINE
    if paper_near_end:
        return PrinterStatus.PAPER_NEAR_END
    return PrinterStatus.OK
