"""Ticket printers: one small protocol, the real backends behind it, a preview and a fake.

The bytes come from :mod:`kiosk.ticket`; a backend only moves them. ``open_printer(SPEC)``
turns the ``--printer`` argument of ``hall-kiosk`` into a backend::

    preview:DIR        each ticket to DIR as NUMBER.bin (the exact bytes) and NUMBER.png (the paper)
    usb:VID:PID        hex ids, e.g. usb:0416:5011 (python-escpos Usb, needs pyusb)
    serial:DEV[:BAUD]  e.g. serial:/dev/ttyUSB0:19200 (default 9600)
    net:HOST[:PORT]    raw TCP, default port 9100
    file:PATH          a character device or file, e.g. file:/dev/usb/lp0

Serial and network printers are asked for their state with the ESC/POS real-time status
requests (``DLE EOT 1/2/4``, :mod:`kiosk.printer_status`); a printer that does not answer in
time is offline, one that answers with bytes that are no status is unreadable. ``status()`` is
cheap enough to call before each ticket, and ``status_detail()`` then says in a technician's
words why the printer cannot print. After each ticket the same requests go down the connection
the ticket took: a printer that hangs up, goes quiet or stops there has not printed it, and
``print_ticket`` raises. File and USB printers cannot answer; their tickets count as printed
once written (a serial printer wired to send nothing back is configured as ``file:DEV``).

python-escpos, pyserial and socket errors leave this module as :class:`PrinterError` subclasses.
"""

from __future__ import annotations

import abc
import contextlib
import logging
import os
import re
import socket
import stat
import tempfile
import termios
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from escpos.exceptions import Error as EscposError
from escpos.printer import File, Network, Serial, Usb

from hub.settings_file import ascii_digits
from kiosk.errors import (
    PrinterNotReadyError,
    PrinterOfflineError,
    PrinterSpecError,
)
from kiosk.printer_status import (
    OFFLINE_CAUSE,
    PAPER_SENSOR,
    PRINTER_STATUS,
    PrinterStatus,
    is_status_byte,
    status_from_replies,
    status_request,
)
from kiosk.ticket import PrintMode, TicketContent, paper_dots, ticket_bytes

#: What a printer's connection raises when the device fails: python-escpos's errors, OSError
#: (serial.SerialException and socket errors are OSErrors) and termios.error, which a serial
#: line that hung up (a USB adapter pulled out) raises from tcflush and tcdrain.
DEVICE_ERRORS: tuple[type[BaseException], ...] = (EscposError, OSError, termios.error)
#: ... and opening one: a device that is not there (RuntimeError), a bad setting (ValueError).
OPEN_ERRORS: tuple[type[BaseException], ...] = (*DEVICE_ERRORS, RuntimeError, ValueError)

logger = logging.getLogger(__name__)

SPEC_HELP = "preview:DIR | usb:VID:PID | serial:DEV[:BAUD] | net:HOST[:PORT] | file:PATH"
DEFAULT_BAUD = 9600
DEFAULT_NET_PORT = 9100
#: How long a printer has to answer one real-time status request.
STATUS_TIMEOUT_S = 0.5
#: How long a printer has to answer the first status request after a ticket: the request may
#: wait behind the ticket's last bytes until the printer's buffer takes it.
CONFIRM_TIMEOUT_S = 5.0
#: Ports a network printer may listen on.
NET_PORTS = range(1, 65536)
#: How many bytes of an answer that is not a status the log and the error show.
ANSWER_SHOWN = 16
CONNECT_TIMEOUT_S = 3.0
WRITE_TIMEOUT_S = 10.0  # beyond the time a serial line needs for the bytes (8N1: 10 bits each)
BITS_PER_BYTE = 10


def default_preview_dir() -> Path:
    """Where ``preview`` writes when no printer is configured."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "hall-kiosk" / "tickets"


class TicketPrinter(Protocol):
    """A thermal ticket printer, real or not."""

    @property
    def mode(self) -> PrintMode: ...

    @property
    def paper(self) -> int: ...

    def print_ticket(self, data: bytes) -> None:
        """Send ESC/POS bytes to the paper. Raises :class:`PrinterError`."""

    def print_content(self, content: TicketContent) -> bytes:
        """Render ``content`` in this printer's mode and paper, print it, return the bytes."""

    def status(self) -> PrinterStatus: ...

    def status_detail(self) -> str:
        """Why the last :meth:`status` was not ok, for a technician ("" when it has no more to say)."""

    def is_available(self) -> bool:
        """Whether the printer's device or host is there to be opened (no paper check)."""

    def close(self) -> None: ...


@dataclass
class _Rendering(abc.ABC):
    """The mode and paper a printer renders tickets in (shared by every backend)."""

    mode: PrintMode
    paper: int

    def __post_init__(self) -> None:
        paper_dots(self.paper)

    @abc.abstractmethod
    def print_ticket(self, data: bytes) -> None:
        """Send the bytes to this backend's paper."""

    def print_content(self, content: TicketContent) -> bytes:
        data = ticket_bytes(content, self.mode, self.paper)
        self.print_ticket(data)
        logger.info("printed ticket %s (%d bytes, %s mode)", content.number, len(data),
                    self.mode.value)
        return data

    def status_detail(self) -> str:
        return ""


def _refuse_unless_ready(status: PrinterStatus) -> None:
    if not status.can_print:
        raise PrinterNotReadyError(status, f"printer cannot print: {status.value}")


# --- preview and fake --------------------------------------------------------------------------


@dataclass
class PreviewPrinter(_Rendering):
    """Writes tickets to a directory instead of paper; the default when no printer is set.

    Ready while its directory can be written (or made), unless a test or the demo sets another
    status with :meth:`set_status`; offline otherwise, so that no ticket is issued to a folder
    that cannot take it.
    """

    directory: Path = field(default_factory=default_preview_dir)
    _status: PrinterStatus = PrinterStatus.OK
    _raw_count: int = 0

    def set_status(self, status: PrinterStatus) -> None:
        self._status = status

    def status(self) -> PrinterStatus:
        if self._status is PrinterStatus.OK and not self.is_available():
            return PrinterStatus.OFFLINE
        return self._status

    def status_detail(self) -> str:
        if self.is_available():
            return ""
        return f"the preview folder {self.directory} cannot be made or written"

    def is_available(self) -> bool:
        target = self.directory
        while not target.exists() and target != target.parent:
            target = target.parent
        if not target.is_dir():
            return False
        try:  # a file made for real: the permission bits alone say yes to root in /proc
            with tempfile.TemporaryFile(dir=target):
                return True
        except OSError:
            return False

    def print_ticket(self, data: bytes) -> None:
        """Bytes with no ticket content: written as ``raw-N.bin``."""
        self._raw_count += 1
        self._write(f"raw-{self._raw_count}.bin", data)

    def print_content(self, content: TicketContent) -> bytes:
        from kiosk.raster import preview_image

        _refuse_unless_ready(self._status)
        data = ticket_bytes(content, self.mode, self.paper)
        name = re.sub(r"[^A-Za-z0-9_-]", "_", content.number)
        self._write(f"{name}.bin", data)
        png = self.directory / f"{name}.png"
        if not preview_image(content, self.mode, self.paper).save(str(png)):
            raise PrinterOfflineError(f"cannot write ticket preview {png}")
        logger.info("ticket %s previewed in %s", content.number, self.directory)
        return data

    def _write(self, name: str, data: bytes) -> None:
        _refuse_unless_ready(self._status)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            (self.directory / name).write_bytes(data)
        except OSError as err:
            raise PrinterOfflineError(f"cannot write ticket preview to {self.directory}: "
                                      f"{err.strerror or err}") from err

    def close(self) -> None:
        """Nothing to release."""


@dataclass
class FakePrinter(_Rendering):
    """A printer for tests and screenless runs: records what it was sent; state is settable."""

    mode: PrintMode = PrintMode.TEXT
    paper: int = 58
    printed: list[bytes] = field(default_factory=list)
    contents: list[TicketContent] = field(default_factory=list)
    current_status: PrinterStatus = PrinterStatus.OK
    available: bool = True
    closed: bool = False

    def set_status(self, status: PrinterStatus) -> None:
        self.current_status = status

    def status(self) -> PrinterStatus:
        return self.current_status if self.available else PrinterStatus.OFFLINE

    def status_detail(self) -> str:
        return "" if self.available else "fake printer is unplugged"

    def is_available(self) -> bool:
        return self.available

    def print_ticket(self, data: bytes) -> None:
        if not self.available:
            raise PrinterOfflineError("fake printer is unplugged")
        _refuse_unless_ready(self.current_status)
        self.printed.append(data)

    def print_content(self, content: TicketContent) -> bytes:
        data = super().print_content(content)
        self.contents.append(content)
        return data

    def close(self) -> None:
        self.closed = True


# --- real printers through python-escpos -------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """How to reach one printer: open a python-escpos printer, and maybe read status bytes."""

    name: str  # for messages: "serial /dev/ttyUSB0"
    connect: Callable[[], Any]  # returns an opened python-escpos printer
    read_byte: Callable[[Any, float], int | None] | None  # None: this link cannot read
    keep_open: bool  # serial and USB stay open; network and file connect per ticket
    missing: Callable[[], str]  # why the printer is not there to be opened; "" if it may be
    drain: Callable[[Any], None] | None = None  # drop stale input before asking for status
    # a slow line (serial): get ready to send this many bytes, and wait until they are sent
    sending: Callable[[Any, int], None] | None = None
    sent: Callable[[Any], None] | None = None


@dataclass
class EscposPrinter(_Rendering):
    """A real printer reached through a :class:`Link`."""

    link: Link | None = None
    status_timeout: float = STATUS_TIMEOUT_S
    confirm_timeout: float = CONFIRM_TIMEOUT_S
    _device: Any = None
    _detail: str = ""
    _noted: tuple[PrinterStatus, str] | None = None  # the condition the log last told of

    def _open(self) -> Any:
        assert self.link is not None
        if self._device is None:
            try:
                self._device = self.link.connect()
            except OPEN_ERRORS as err:
                raise PrinterOfflineError(
                    f"cannot open printer {self.link.name}: {_plain(err)}") from err
        return self._device

    def _done(self, failed: bool = False) -> None:
        assert self.link is not None
        if self._device is not None and (failed or not self.link.keep_open):
            self.close()

    def print_ticket(self, data: bytes) -> None:
        """Send the ticket; where the link can read, the printer must then confirm it."""
        assert self.link is not None
        printer = self._open()
        try:
            if self.link.sending is not None:
                self.link.sending(printer.device, len(data))
            printer._raw(data)
            if self.link.sent is not None:  # the confirmation's time starts once it is all out
                self.link.sent(printer.device)
        except DEVICE_ERRORS as err:
            self._done(failed=True)
            raise PrinterOfflineError(
                f"printer {self.link.name} stopped taking data: {_plain(err)}") from err
        if self.link.read_byte is not None:
            self._confirm(printer)
        self._done()

    def _confirm(self, printer: Any) -> None:
        """Ask for the status down the connection the ticket took: bytes sent are not a ticket
        printed until the printer answers, after them, that it can still print."""
        assert self.link is not None
        name = self.link.name
        try:
            replies, status, answered = self._query(printer, self.confirm_timeout)
        except DEVICE_ERRORS as err:
            self._done(failed=True)
            raise PrinterOfflineError(f"printer {name} did not confirm the ticket "
                                      f"({_plain(err)}): it may not have printed") from err
        if replies[PRINTER_STATUS] is None:
            self._done(failed=True)
            raise PrinterOfflineError(
                f"printer {name} did not confirm the ticket (no answer to a status request "
                f"within {self.confirm_timeout:g} s): it may not have printed")
        if status is PrinterStatus.UNREADABLE:
            self._done(failed=True)
            raise PrinterNotReadyError(status, f"{_unreadable(name)}{answered}: "
                                               "the ticket may not have printed")
        if not status.can_print:
            self._done(failed=True)
            raise PrinterNotReadyError(
                status, f"printer {name} is {status.value} after the ticket: it may not have printed")

    def status(self) -> PrinterStatus:
        assert self.link is not None
        if self.link.read_byte is None:
            problem = "" if self._device is not None else self.link.missing()
            if problem:
                return self._note(PrinterStatus.OFFLINE,
                                  f"cannot open printer {self.link.name}: {problem}")
            return self._note(PrinterStatus.UNKNOWN)
        try:
            printer = self._open()
        except PrinterOfflineError as err:
            return self._note(PrinterStatus.OFFLINE, str(err))
        try:
            replies, status, answered = self._query(printer, self.status_timeout)
        except DEVICE_ERRORS as err:
            self._done(failed=True)
            return self._note(PrinterStatus.OFFLINE, f"status request to printer {self.link.name} "
                                                     f"failed: {_plain(err)}")
        self._done()
        logger.debug("printer %s status %s from %s", self.link.name, status.value, replies)
        if replies[PRINTER_STATUS] is None:
            return self._note(status, f"printer {self.link.name} did not answer a status request "
                                      f"within {self.status_timeout:g} s (switched off, unplugged "
                                      "or hung?)")
        if status is PrinterStatus.UNREADABLE:
            return self._note(status, _unreadable(self.link.name), answered)
        return self._note(status)

    def status_detail(self) -> str:
        return self._detail

    def _query(self, printer: Any, timeout: float
               ) -> tuple[dict[int, int | None], PrinterStatus, str]:
        """Ask for the status: the replies, what they mean and, when they mean nothing, what
        came back (for the technician)."""
        replies = self._ask(printer, timeout)
        status = _status_of(replies)
        answered = self._answered(printer, replies) if status is PrinterStatus.UNREADABLE else ""
        return replies, status, answered

    def _ask(self, printer: Any, timeout: float) -> dict[int, int | None]:
        """Send ``DLE EOT`` 1, 2 and 4, one byte back for each, until one gets no status byte.

        ``timeout`` is for the first answer, the others get :attr:`status_timeout`.
        """
        assert self.link is not None and self.link.read_byte is not None
        if self.link.drain is not None:
            self.link.drain(printer.device)
        replies: dict[int, int | None] = {}
        for n in (PRINTER_STATUS, OFFLINE_CAUSE, PAPER_SENSOR):
            printer._raw(status_request(n))
            reply = replies[n] = self.link.read_byte(printer.device, timeout)
            if reply is None or not is_status_byte(reply):
                break
            timeout = self.status_timeout
        return replies

    def _answered(self, printer: Any, replies: dict[int, int | None]) -> str:
        """What came back, in hex: the replies and a few bytes that followed (for the log)."""
        assert self.link is not None and self.link.read_byte is not None
        got = [r for r in replies.values() if r is not None]
        try:
            while len(got) < ANSWER_SHOWN and (byte := self.link.read_byte(printer.device,
                                                                            0.05)) is not None:
                got.append(byte)
        except DEVICE_ERRORS:  # it hung up after answering: what it said is enough
            pass
        return f" (it answered {bytes(got[:ANSWER_SHOWN]).hex(' ')})"

    def _note(self, status: PrinterStatus, detail: str = "", evidence: str = "") -> PrinterStatus:
        """Keep what :meth:`status` found; say it in the log when it changes, not on every poll."""
        self._detail = detail + evidence
        if (status, detail) != self._noted:
            self._noted = (status, detail)
            if detail:
                level = logging.WARNING if status is PrinterStatus.UNREADABLE else logging.INFO
                logger.log(level, "%s", self._detail)
        return status

    def is_available(self) -> bool:
        assert self.link is not None
        return self._device is not None or not self.link.missing()

    def close(self) -> None:
        device, self._device = self._device, None
        if device is None:
            return
        try:
            device.close()
        except DEVICE_ERRORS as err:
            logger.info("closing printer: %s", _plain(err))
            # a line that hung up fails python-escpos's flush before its close: close the port
            # itself, or the escpos object tries (and fails, loudly) again when collected
            port = getattr(device, "device", None)
            if port is not None and hasattr(port, "close"):
                with contextlib.suppress(*DEVICE_ERRORS):
                    port.close()


def _status_of(replies: dict[int, int | None]) -> PrinterStatus:
    return status_from_replies(
        replies.get(PRINTER_STATUS), replies.get(OFFLINE_CAUSE), replies.get(PAPER_SENSOR)
    )


def _unreadable(name: str) -> str:
    return (f"printer {name} answers status requests with bytes that are not ESC/POS status: "
            "is that a receipt printer, and is the --printer spec right?")


def _plain(err: BaseException) -> str:
    """What went wrong, in one line: the innermost cause (python-escpos wraps it in two lines)."""
    while (inner := err.__cause__ or err.__context__) is not None:
        err = inner
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    if len(err.args) == 2 and isinstance(err.args[0], int) and isinstance(err.args[1], str):
        return err.args[1]  # termios.error: (errno, message)
    return " ".join(str(err).split()) or type(err).__name__


def _read_serial_byte(port: Any, timeout: float) -> int | None:
    port.timeout = timeout
    reply = port.read(1)
    return reply[0] if reply else None


def _read_socket_byte(sock: socket.socket, timeout: float) -> int | None:
    sock.settimeout(timeout)
    try:
        reply = sock.recv(1)
    except TimeoutError:
        return None
    if not reply:
        raise ConnectionError("the printer closed the connection")
    return reply[0]


def _refuse_if_missing(missing: Callable[[], str]) -> None:
    problem = missing()
    if problem:
        raise RuntimeError(problem)


def _serial_link(device: str, baud: int) -> Link:
    def missing() -> str:
        try:
            mode = os.stat(device).st_mode
        except FileNotFoundError:
            return "no such serial device"
        except OSError as err:
            return _plain(err)
        return "" if stat.S_ISCHR(mode) else "it is not a serial device"

    def connect() -> Any:
        _refuse_if_missing(missing)
        printer = Serial(devfile=device, baudrate=baud, timeout=STATUS_TIMEOUT_S, dsrdtr=False)
        printer.open()
        printer.device.write_timeout = WRITE_TIMEOUT_S
        return printer

    def drain(port: Any) -> None:
        port.reset_input_buffer()

    def sending(port: Any, size: int) -> None:
        # an image ticket is 50-100 KB: at 9600 baud that takes most of two minutes to send
        port.write_timeout = WRITE_TIMEOUT_S + size * BITS_PER_BYTE / baud

    def sent(port: Any) -> None:
        port.flush()  # tcdrain: no flow control, so it returns once the line has sent it all

    return Link(f"serial {device}", connect, _read_serial_byte, keep_open=True,
                missing=missing, drain=drain, sending=sending, sent=sent)


def _network_link(host: str, port: int) -> Link:
    def connect() -> Any:
        printer = Network(host=host, port=port, timeout=CONNECT_TIMEOUT_S)
        # python-escpos opens IPv4 sockets only: connect by any address family ourselves
        printer.device = socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S)
        return printer

    def missing() -> str:
        try:
            with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S):
                return ""
        except OSError as err:
            return f"nothing answers at {host}:{port} ({_plain(err)})"

    return Link(f"net {host}:{port}", connect, _read_socket_byte, keep_open=False,
                missing=missing)


def _file_link(path: str) -> Link:
    def missing() -> str:
        if os.path.isdir(path):
            return "it is a folder, not a printer device or file"
        if os.path.exists(path):
            return "" if os.access(path, os.W_OK) else "no permission to write to it"
        if path.startswith("/dev/"):
            return "no such device"
        parent = os.path.dirname(path) or "."
        if not os.path.isdir(parent):
            return f"folder {parent} does not exist"
        return "" if os.access(parent, os.W_OK) else f"no permission to create it in {parent}"

    def connect() -> Any:
        _refuse_if_missing(missing)
        printer = File(devfile=path)
        printer.open()
        return printer

    return Link(f"file {path}", connect, None, keep_open=False, missing=missing)


def _usb_link(vendor: int, product: int) -> Link:
    name = f"usb {vendor:04x}:{product:04x}"

    def missing() -> str:
        if not Usb.is_usable():
            return "USB printers need the pyusb package and libusb"
        import usb.core  # type: ignore[import-untyped]  # pyusb has no types

        if usb.core.find(idVendor=vendor, idProduct=product) is None:
            return f"no USB device {vendor:04x}:{product:04x} is connected"
        return ""

    def connect() -> Any:
        _refuse_if_missing(missing)
        printer = Usb(idVendor=vendor, idProduct=product)
        printer.open()
        return printer

    return Link(name, connect, None, keep_open=True, missing=missing)


# --- SPEC --------------------------------------------------------------------------------------


def _bad_spec(spec: str, why: str = "") -> PrinterSpecError:
    detail = f" ({why})" if why else ""
    return PrinterSpecError(f"printer spec {spec!r} not understood{detail}: use {SPEC_HELP}")


def _hex_id(spec: str, text: str) -> int:
    try:
        value = int(text, 16)
    except ValueError:
        raise _bad_spec(spec, f"{text!r} is not a hex USB id") from None
    if not 0 <= value <= 0xFFFF:
        raise _bad_spec(spec, f"{text!r} is not a 16-bit USB id")
    return value


def _port_number(spec: str, text: str, what: str) -> int:
    if not ascii_digits(text) or int(text) <= 0:
        raise _bad_spec(spec, f"{text!r} is not a {what}")
    return int(text)


def _net_port(spec: str, text: str) -> int:
    if not ascii_digits(text) or int(text) not in NET_PORTS:
        raise _bad_spec(spec, f"{text!r} is not a TCP port: ports are "
                              f"{NET_PORTS.start}-{NET_PORTS.stop - 1}")
    return int(text)


def parse_spec(spec: str) -> tuple[str, tuple[str | int, ...]]:
    """``(kind, arguments)`` of a printer SPEC, e.g. ``("serial", ("/dev/ttyS0", 9600))``."""
    kind, sep, rest = spec.partition(":")
    if not sep or not rest:
        raise _bad_spec(spec)
    if kind in ("preview", "file"):
        return kind, (rest,)
    if kind == "usb":
        parts = rest.split(":")
        if len(parts) != 2:
            raise _bad_spec(spec, "USB needs VID:PID")
        return kind, (_hex_id(spec, parts[0]), _hex_id(spec, parts[1]))
    if kind == "serial":
        device, colon, baud = rest.rpartition(":")
        if colon and baud.isdigit():  # ² too: _port_number refuses it
            return kind, (device, _port_number(spec, baud, "baud rate"))
        return kind, (rest, DEFAULT_BAUD)
    if kind == "net":
        match = re.fullmatch(r"\[(?P<v6>[^\]]+)\](?::(?P<p6>\d+))?|(?P<host>[^:]+)(?::(?P<port>[^:]*))?",
                             rest)
        if not match:
            raise _bad_spec(spec, "use net:HOST[:PORT], IPv6 as [ADDR]:PORT")
        host = match["v6"] or match["host"]
        port = match["p6"] if match["v6"] else match["port"]
        return kind, (host, DEFAULT_NET_PORT if port is None else _net_port(spec, port))
    raise _bad_spec(spec)


def open_printer(
    spec: str | None,
    mode: PrintMode | str = PrintMode.TEXT,
    paper: int = 58,
) -> TicketPrinter:
    """The printer a ``--printer`` SPEC names; no SPEC is a preview in the default directory.

    Nothing is opened yet: a printer that is not there fails on its first ticket (or says
    ``offline`` when asked for its status). A SPEC that names no backend raises
    :class:`PrinterSpecError`.
    """
    print_mode = PrintMode(mode)
    try:
        paper_dots(paper)
    except ValueError as err:
        raise PrinterSpecError(str(err)) from err
    if not spec:
        return PreviewPrinter(print_mode, paper, default_preview_dir())
    kind, args = parse_spec(spec)
    if kind == "preview":
        return PreviewPrinter(print_mode, paper, Path(str(args[0])).expanduser())
    if kind == "serial":
        link = _serial_link(str(args[0]), int(args[1]))
    elif kind == "net":
        link = _network_link(str(args[0]), int(args[1]))
    elif kind == "file":
        link = _file_link(str(args[0]))
    else:
        link = _usb_link(int(args[0]), int(args[1]))
    logger.info("ticket printer: %s, %s mode, %d mm paper", link.name, print_mode.value, paper)
    return EscposPrinter(print_mode, paper, link)
