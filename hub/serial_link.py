"""A serial line to one of the hall's small devices: a window's LED sign, a keypad, a scanner.

A device is named by a SPEC ``serial:DEV[:BAUD]`` (``serial:/dev/hall-sign``,
``serial:/dev/ttyUSB0:19200``; the baud rate defaults to 9600), parsed by :func:`parse_serial_spec`.

A :class:`SerialLink` is opened explicitly with :meth:`SerialLink.open`. From then on one background
thread reads the line and hands every chunk of received bytes to ``on_data``; when the device
vanishes (a USB-serial adapter unplugged) the link reports ``is_available() == False``, keeps trying
to open the same path, and calls ``on_connect`` each time the device is back. Writes go straight to
the port from the caller's thread. pyserial's errors never leave this module: they become
:class:`SerialLinkError`.

Callbacks run on the link's thread; a Qt app hands them to its GUI thread itself.

:class:`FrameSplitter` cuts the received bytes into frames (a scanner's codes ending in CR/LF).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol

import serial

from hub.errors import HubError

logger = logging.getLogger(__name__)

DEFAULT_BAUD = 9600
MAX_BAUD = 4_000_000


class SerialLinkError(HubError):
    """A serial device cannot be named, opened, read or written."""


@dataclass(frozen=True)
class SerialSpec:
    """Where a serial device is: its path (or COM port) and its baud rate."""

    device: str
    baud: int = DEFAULT_BAUD

    def __str__(self) -> str:
        return f"serial:{self.device}:{self.baud}"


def parse_serial_spec(
    spec: str, *, what: str = "device", alternatives: Sequence[str] = ()
) -> SerialSpec:
    """Read ``serial:DEV[:BAUD]``; ``what`` and ``alternatives`` only shape the error message.

    A path may itself hold colons (``/dev/serial/by-path/pci-0000:00:14.0-usb-0:1:1.0-port0``):
    only a last part made of digits is taken as the baud rate.
    """
    usage = " or ".join(["serial:DEV[:BAUD]", *alternatives])
    problem = SerialLinkError(f"{what} spec {spec!r} not understood: use {usage}")
    scheme, sep, rest = spec.partition(":")
    if scheme != "serial" or not sep or not rest:
        raise problem
    device, baud = rest, DEFAULT_BAUD
    head, sep, tail = rest.rpartition(":")
    if sep and tail.isdigit():
        device, baud = head, int(tail)
    elif sep and not tail:
        raise problem
    if not device or not 0 < baud <= MAX_BAUD:
        raise problem
    return SerialSpec(device=device, baud=baud)


class SerialPort(Protocol):
    """The part of ``serial.Serial`` a link uses (a test may hand in its own)."""

    @property
    def in_waiting(self) -> int: ...

    def read(self, size: int = 1) -> bytes: ...

    def write(self, data: bytes) -> int | None: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...


READ_TIMEOUT = 0.1
WRITE_TIMEOUT = 1.0


def open_pyserial(spec: SerialSpec) -> SerialPort:
    """Open the port with pyserial: 8N1, no flow control, bounded read and write timeouts."""
    port: SerialPort = serial.Serial(
        port=spec.device,
        baudrate=spec.baud,
        timeout=READ_TIMEOUT,
        write_timeout=WRITE_TIMEOUT,
    )
    return port


class SerialLink:
    """One serial device: opened by :meth:`open`, read by a thread, reconnected when it is back."""

    def __init__(
        self,
        spec: SerialSpec,
        *,
        name: str = "serial device",
        on_data: Callable[[bytes], None] | None = None,
        on_connect: Callable[[], None] | None = None,
        retry_interval: float = 1.0,
        opener: Callable[[SerialSpec], SerialPort] = open_pyserial,
    ) -> None:
        self.spec = spec
        self.name = name
        self._on_data = on_data
        self._on_connect = on_connect
        self._retry_interval = retry_interval
        self._opener = opener
        self._lock = threading.Lock()
        self._port: SerialPort | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._warned_missing = False

    def __repr__(self) -> str:
        return f"SerialLink({self.name!r}, {self.spec})"

    def open(self, *, required: bool = False) -> bool:
        """Open the device now and start the reader thread; True if the device answered.

        If the device is missing: with ``required`` raise :class:`SerialLinkError` (and start
        nothing); otherwise log it and let the thread keep trying until it appears.
        Opening an open link changes nothing.
        """
        if self._thread is not None:
            return self.is_available()
        try:
            self._connect()
        except SerialLinkError:
            if required:
                raise
            logger.warning("%s at %s is not there yet; will keep trying", self.name, self.spec)
            self._warned_missing = True
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"serial-link {self.name}", daemon=True
        )
        self._thread.start()
        return self.is_available()

    def is_available(self) -> bool:
        """True while the device is open and has not failed."""
        return self._port is not None

    def write(self, data: bytes) -> None:
        """Send ``data`` and wait until it has left; :class:`SerialLinkError` if it cannot."""
        with self._lock:
            port = self._port
            if port is None:
                raise SerialLinkError(f"{self.name} at {self.spec} is not connected")
            try:
                port.write(data)
                port.flush()
            except (OSError, ValueError) as err:
                self._drop(port, err)
                raise SerialLinkError(f"{self.name} at {self.spec}: write failed: {err}") from err

    def close(self) -> None:
        """Stop the reader thread and close the device. The link may be opened again later."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5 * READ_TIMEOUT + self._retry_interval + 1.0)
        with self._lock:
            port, self._port = self._port, None
        if port is not None:
            _close_quietly(port)
            logger.info("%s at %s closed", self.name, self.spec)

    def __enter__(self) -> SerialLink:
        self.open(required=True)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _connect(self) -> None:
        try:
            port = self._opener(self.spec)
        except (OSError, ValueError) as err:
            raise SerialLinkError(f"cannot open {self.name} at {self.spec}: {err}") from err
        with self._lock:
            self._port = port
        logger.info("%s at %s connected", self.name, self.spec)
        self._warned_missing = False
        if self._on_connect is not None:
            try:
                self._on_connect()
            except Exception:
                logger.exception("%s: on_connect failed", self.name)

    def _drop(self, port: SerialPort, err: BaseException) -> None:
        """Forget a port that failed (call with the lock held)."""
        if self._port is port:
            self._port = None
            logger.warning("%s at %s lost: %s", self.name, self.spec, err)
        _close_quietly(port)

    def _run(self) -> None:
        while not self._stop.is_set():
            port = self._port
            if port is None:
                try:
                    self._connect()
                except SerialLinkError as err:
                    level = logging.DEBUG if self._warned_missing else logging.WARNING
                    logger.log(level, "%s", err)
                    self._warned_missing = True
                    self._stop.wait(self._retry_interval)
                continue
            try:
                data = port.read(max(1, port.in_waiting))
            except (OSError, ValueError, TypeError) as err:
                # TypeError: pyserial reading a port that another thread has just closed.
                if self._stop.is_set():
                    break
                with self._lock:
                    self._drop(port, err)
                continue
            if data and self._on_data is not None:
                try:
                    self._on_data(data)
                except Exception:
                    logger.exception("%s: handling received bytes %r failed", self.name, data)


def _close_quietly(port: SerialPort) -> None:
    try:
        port.close()
    except (OSError, ValueError) as err:
        logger.debug("closing a failed port: %s", err)


class FrameSplitter:
    """Cuts a byte stream into frames, each ended by any one of the ``terminators`` bytes.

    For a scanner (codes end with CR, LF or CRLF) the defaults do: empty frames (the LF of a CRLF)
    are dropped. With ``start`` (e.g. ``b"\\x02"``) bytes before a start byte are thrown away and
    the start byte is not part of the frame. A frame growing past ``max_length`` without an end is
    thrown away up to its end, so line noise cannot grow the buffer for ever.
    """

    def __init__(
        self, terminators: bytes = b"\r\n", *, start: bytes = b"", max_length: int = 4096
    ) -> None:
        if not terminators:
            raise ValueError("a frame splitter needs at least one terminator byte")
        if len(start) > 1:
            raise ValueError("a frame's start must be one byte")
        self._ends = frozenset(terminators)
        self._start = start[0] if start else None
        self._max = max_length
        self._buffer = bytearray()
        self._in_frame = self._start is None
        self._skipping = False

    def feed(self, data: bytes) -> list[bytes]:
        """Take received bytes; return the frames they completed, in order."""
        frames: list[bytes] = []
        for byte in data:
            if self._skipping:
                if byte in self._ends or byte == self._start:
                    self._skipping = False
                    self._in_frame = byte == self._start or self._start is None
                continue
            if not self._in_frame:
                self._in_frame = byte == self._start
                continue
            if byte in self._ends:
                if self._buffer:
                    frames.append(bytes(self._buffer))
                self._buffer.clear()
                self._in_frame = self._start is None
            elif byte == self._start:
                if self._buffer:
                    logger.warning("frame cut by a new start: %r dropped", bytes(self._buffer))
                self._buffer.clear()
            else:
                self._buffer.append(byte)
                if len(self._buffer) > self._max:
                    logger.warning("frame longer than %d bytes without an end: dropped", self._max)
                    self._buffer.clear()
                    self._skipping = True
        return frames

    @property
    def pending(self) -> bytes:
        """Bytes received since the last complete frame."""
        return bytes(self._buffer)

    def reset(self) -> None:
        """Forget a half-received frame (e.g. after the device reconnected)."""
        self._buffer.clear()
        self._in_frame = self._start is None
        self._skipping = False
