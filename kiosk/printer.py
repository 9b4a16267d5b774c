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
time is offline. ``status()`` is cheap enough to call before each ticket; printing itself does
not ask, so a printer that never answers status requests still prints.

python-escpos, pyserial and socket errors leave this module as :class:`PrinterError` subclasses.
"""

from __future__ import annotations

import abc
import logging
import os
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from escpos.exceptions import Error as EscposError
from escpos.printer import File, Network, Serial, Usb

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
    status_from_replies,
    status_request,
)
from kiosk.ticket import PrintMode, TicketContent, paper_dots, ticket_bytes

logger = logging.getLogger(__name__)

SPEC_HELP = "preview:DIR | usb:VID:PID | serial:DEV[:BAUD] | net:HOST[:PORT] | file:PATH"
DEFAULT_BAUD = 9600
DEFAULT_NET_PORT = 9100
#: How long a printer has to answer one real-time status request.
STATUS_TIMEOUT_S = 0.5
CONNECT_TIMEOUT_S = 3.0
WRITE_TIMEOUT_S = 10.0


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


def _refuse_unless_ready(status: PrinterStatus) -> None:
    if not status.can_print:
        raise PrinterNotReadyError(status, f"printer cannot print: {status.value}")


# --- preview and fake --------------------------------------------------------------------------


@dataclass
class PreviewPrinter(_Rendering):
    """Writes tickets to a directory instead of paper; the default when no printer is set.

    Always ready, unless a test or the demo sets another status with :meth:`set_status`.
    """

    directory: Path = field(default_factory=default_preview_dir)
    _status: PrinterStatus = PrinterStatus.OK
    _raw_count: int = 0

    def set_status(self, status: PrinterStatus) -> None:
        self._status = status

    def status(self) -> PrinterStatus:
        return self._status

    def is_available(self) -> bool:
        target = self.directory
        while not target.exists() and target != target.parent:
            target = target.parent
        return target.is_dir() and os.access(target, os.W_OK)

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
    present: Callable[[], bool]
    drain: Callable[[Any], None] | None = None  # drop stale input before asking for status


@dataclass
class EscposPrinter(_Rendering):
    """A real printer reached through a :class:`Link`."""

    link: Link | None = None
    status_timeout: float = STATUS_TIMEOUT_S
    _device: Any = None

    def _open(self) -> Any:
        assert self.link is not None
        if self._device is None:
            try:
                self._device = self.link.connect()
            except (EscposError, OSError, RuntimeError, ValueError) as err:
                raise PrinterOfflineError(f"cannot open printer {self.link.name}: {err}") from err
        return self._device

    def _done(self, failed: bool = False) -> None:
        assert self.link is not None
        if self._device is not None and (failed or not self.link.keep_open):
            self.close()

    def print_ticket(self, data: bytes) -> None:
        assert self.link is not None
        printer = self._open()
        try:
            printer._raw(data)
        except (EscposError, OSError) as err:  # serial.SerialException is an OSError
            self._done(failed=True)
            raise PrinterOfflineError(f"printer {self.link.name} stopped taking data: {err}") from err
        self._done()

    def status(self) -> PrinterStatus:
        assert self.link is not None
        if self.link.read_byte is None:
            return PrinterStatus.UNKNOWN if self.is_available() else PrinterStatus.OFFLINE
        try:
            printer = self._open()
        except PrinterOfflineError as err:
            logger.info("%s", err)
            return PrinterStatus.OFFLINE
        read = self.link.read_byte
        replies: dict[int, int | None] = {}
        try:
            if self.link.drain is not None:
                self.link.drain(printer.device)
            for n in (PRINTER_STATUS, OFFLINE_CAUSE, PAPER_SENSOR):
                printer._raw(status_request(n))
                replies[n] = read(printer.device, self.status_timeout)
                if replies[n] is None:
                    break
        except (EscposError, OSError) as err:
            logger.info("status request to %s failed: %s", self.link.name, err)
            self._done(failed=True)
            return PrinterStatus.OFFLINE
        self._done()
        status = status_from_replies(
            replies.get(PRINTER_STATUS), replies.get(OFFLINE_CAUSE), replies.get(PAPER_SENSOR)
        )
        logger.debug("printer %s status %s from %s", self.link.name, status.value, replies)
        return status

    def is_available(self) -> bool:
        assert self.link is not None
        return self._device is not None or self.link.present()

    def close(self) -> None:
        device, self._device = self._device, None
        if device is None:
            return
        try:
            device.close()
        except (EscposError, OSError) as err:
            logger.info("closing printer: %s", err)


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
    return reply[0] if reply else None


def _serial_link(device: str, baud: int) -> Link:
    def connect() -> Any:
        printer = Serial(devfile=device, baudrate=baud, timeout=STATUS_TIMEOUT_S, dsrdtr=False)
        printer.open()
        printer.device.write_timeout = WRITE_TIMEOUT_S
        return printer

    def drain(port: Any) -> None:
        port.reset_input_buffer()

    return Link(f"serial {device}", connect, _read_serial_byte, keep_open=True,
                present=lambda: os.path.exists(device), drain=drain)


def _network_link(host: str, port: int) -> Link:
    def connect() -> Any:
        printer = Network(host=host, port=port, timeout=CONNECT_TIMEOUT_S)
        printer.open()
        return printer

    def present() -> bool:
        try:
            with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S):
                return True
        except OSError:
            return False

    return Link(f"net {host}:{port}", connect, _read_socket_byte, keep_open=False,
                present=present)


def _file_link(path: str) -> Link:
    def connect() -> Any:
        printer = File(devfile=path)
        printer.open()
        return printer

    def present() -> bool:
        if os.path.exists(path):
            return os.access(path, os.W_OK)
        parent = os.path.dirname(path) or "."
        return not path.startswith("/dev/") and os.access(parent, os.W_OK)

    return Link(f"file {path}", connect, None, keep_open=False, present=present)


def _usb_link(vendor: int, product: int) -> Link:
    name = f"usb {vendor:04x}:{product:04x}"

    def connect() -> Any:
        if not Usb.is_usable():
            raise RuntimeError("USB printers need the pyusb package and libusb")
        printer = Usb(idVendor=vendor, idProduct=product)
        printer.open()
        return printer

    def present() -> bool:
        if not Usb.is_usable():
            return False
        import usb.core  # type: ignore[import-not-found]  # pyusb: optional, untyped

        return usb.core.find(idVendor=vendor, idProduct=product) is not None

    return Link(name, connect, None, keep_open=True, present=present)


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
    if not text.isdigit() or int(text) <= 0:
        raise _bad_spec(spec, f"{text!r} is not a {what}")
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
        if colon and baud.isdigit():
            return kind, (device, _port_number(spec, baud, "baud rate"))
        return kind, (rest, DEFAULT_BAUD)
    if kind == "net":
        match = re.fullmatch(r"\[(?P<v6>[^\]]+)\](?::(?P<p6>\d+))?|(?P<host>[^:]+)(?::(?P<port>[^:]*))?",
                             rest)
        if not match:
            raise _bad_spec(spec, "use net:HOST[:PORT], IPv6 as [ADDR]:PORT")
        host = match["v6"] or match["host"]
        port = match["p6"] if match["v6"] else match["port"]
        return kind, (host, DEFAULT_NET_PORT if port is None else _port_number(spec, port, "port"))
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
