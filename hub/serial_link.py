"""A serial line to one of the hall's small devices: a window's LED sign, a keypad, a scanner.

A device is named by a SPEC ``serial:DEV[:BAUD]`` (``serial:/dev/hall-sign``,
``serial:/dev/ttyUSB0:19200``; the baud rate defaults to 9600), parsed by :func:`parse_serial_spec`.

A :class:`SerialLink` is opened explicitly with :meth:`SerialLink.open`. From then on one background
thread reads the line and hands every chunk of received bytes to ``on_data``; when the device
vanishes (a USB-serial adapter unplugged) the link reports ``is_available() == False``, keeps trying
to open the same path, and calls ``on_connect`` each time the device is back. Writes go straight to
the port from the caller's thread. pyserial's errors never leave this module: they become
:class:`SerialLinkError`, saying in plain words what is wrong (no such device, permission denied,
not a serial device: :func:`open_problem`).

Logging stays readable while a device is away: one warning when it is lost (or cannot be opened at
the start), then the retries at DEBUG unless the reason changes (a device plugged in with the wrong
permissions, say).

Callbacks run on the link's thread; a Qt app hands them to its GUI thread itself.

:class:`FrameSplitter` cuts the received bytes into frames (a scanner's codes ending in CR/LF).
:class:`NoiseReport` warns about junk on a line once per burst, so line noise or a wrong baud rate
cannot flood the log.
"""

from __future__ import annotations

import errno
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol

import serial

from hub.errors import HubError
from hub.settings_file import ascii_digits

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
    a last part with a ``/``, a ``.`` or a ``-`` after its first character belongs to the path,
    as in udev's by-path and by-id names. Any other last part is the baud rate, and must be a
    whole number from 1 to :data:`MAX_BAUD` (``serial:DEV:abc`` is an error, not a device).
    """
    usage = " or ".join(["serial:DEV[:BAUD]", *alternatives])
    problem = f"{what} spec {spec!r} not understood"
    scheme, sep, rest = spec.partition(":")
    if scheme != "serial" or not sep or not rest:
        raise SerialLinkError(f"{problem}: use {usage}")
    head, sep, tail = rest.rpartition(":")
    if not sep or _part_of_path(tail):
        return SerialSpec(device=rest)
    if not head or not tail:
        raise SerialLinkError(f"{problem}: use {usage}")
    if not ascii_digits(tail) or not 0 < int(tail) <= MAX_BAUD:
        raise SerialLinkError(
            f"{problem}: the baud rate {tail!r} must be a whole number from 1 to {MAX_BAUD} "
            f"(9600, 19200, 115200…); use {usage}"
        )
    return SerialSpec(device=head, baud=int(tail))


def _part_of_path(tail: str) -> bool:
    """Whether the text after a spec's last colon is the end of a device path, not a baud rate."""
    return "/" in tail or "." in tail or "-" in tail[1:]


def _errno(err: BaseException) -> int | None:
    """The OS error number behind ``err`` (pyserial keeps it in its exception or the one before)."""
    seen: BaseException | None = err
    while seen is not None:
        number = getattr(seen, "errno", None)
        if number is None and seen.args and isinstance(seen.args[0], int):
            number = seen.args[0]  # termios.error(25, 'Inappropriate ioctl for device')
        if isinstance(number, int):
            return number
        seen = seen.__cause__ or seen.__context__
    return None


def open_problem(device: str, err: BaseException) -> str:
    """Why ``device`` cannot be opened, in a technician's words (``err`` as pyserial raised it)."""
    number = _errno(err)
    if number in (errno.ENOENT, errno.ENODEV, errno.ENXIO):
        return f"no such device {device} (not plugged in, or no udev rule gives it this name?)"
    if number in (errno.EACCES, errno.EPERM):
        return f"permission denied on {device} (is this app's user in the dialout group?)"
    if number == errno.EISDIR:
        return f"{device} is not a serial device: it is a folder"
    if number == errno.ENOTTY:
        return f"{device} is not a serial device (a file or another kind of device)"
    if number == errno.EBUSY:
        return f"{device} is busy: another program has it open"
    return str(err)


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
#: One read takes up to this much of what a device sends in one go (a code, a frame, a burst).
READ_CHUNK = 4096
_LOST = "lost"  # SerialLink._reported after the "lost" warning


def burst_gap(baud: int) -> float:
    """A pause on the line longer than this ends what the device sent in one go: three
    characters' time (ten bits each), and at least 5 ms."""
    return max(0.005, 30 / baud)


def open_pyserial(spec: SerialSpec) -> SerialPort:
    """Open the port with pyserial: 8N1, no flow control, bounded read and write timeouts; a read
    returns once the line pauses (:func:`burst_gap`), so it holds a whole code, frame or burst."""
    port: SerialPort = serial.Serial(
        port=spec.device,
        baudrate=spec.baud,
        timeout=READ_TIMEOUT,
        write_timeout=WRITE_TIMEOUT,
        inter_byte_timeout=burst_gap(spec.baud),
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
        # what the last warning about this device said: an open failure that says it again, or
        # the first one after the "lost" warning, is logged at DEBUG only
        self._reported: str | None = None

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
        except SerialLinkError as err:
            if required:
                raise
            self._report_open_failure(err)
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
            problem = open_problem(self.spec.device, err)
            raise SerialLinkError(f"cannot open {self.name} at {self.spec}: {problem}") from err
        with self._lock:
            self._port = port
        logger.info("%s at %s connected", self.name, self.spec)
        self._reported = None
        if self._on_connect is not None:
            try:
                self._on_connect()
            except Exception:
                logger.exception("%s: on_connect failed", self.name)

    def _drop(self, port: SerialPort, err: BaseException) -> None:
        """Forget a port that failed (call with the lock held)."""
        if self._port is port:
            self._port = None
            logger.warning(
                "%s at %s lost (unplugged?): %s; will keep trying to open it", self.name, self.spec, err
            )
            self._reported = _LOST
        _close_quietly(port)

    def _report_open_failure(self, err: SerialLinkError) -> None:
        """Warn that the device cannot be opened, unless the last warning already said so."""
        message = str(err)
        quiet = self._reported in (message, _LOST)
        logger.log(logging.DEBUG if quiet else logging.WARNING, "%s; will keep trying", message)
        self._reported = message

    def _run(self) -> None:
        while not self._stop.is_set():
            port = self._port
            if port is None:
                try:
                    self._connect()
                except SerialLinkError as err:
                    self._report_open_failure(err)
                    self._stop.wait(self._retry_interval)
                continue
            try:
                data = port.read(max(READ_CHUNK, port.in_waiting))
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


#: A burst of junk on a line is over when none came for this long.
NOISE_QUIET_S = 1.0


class NoiseReport:
    """Warns about junk a device sent once per burst, not once per byte or frame.

    The first junk after a clear spell is a warning; the rest of the burst is only counted, until
    the line has been clear of junk for ``quiet`` seconds. The count is logged (at INFO) when the
    line is heard again: a good frame after the burst (:meth:`clear`) or the next burst's first junk.
    Good frames inside a burst do not end it: random noise holds bytes that look like keys.
    """

    def __init__(
        self,
        log: logging.Logger,
        who: str,
        unit: str,
        *,
        quiet: float = NOISE_QUIET_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log = log
        self._who = who
        self._unit = unit
        self._quiet = quiet
        self._clock = clock
        self._last: float | None = None  # when the current burst's last junk came
        self._more = 0  # junk counted since the burst's warning

    def junk(self, count: int, message: str, *args: object) -> None:
        """``count`` more of the unit were dropped; ``message % args`` says what, if it is news."""
        now = self._clock()
        if self._in_burst(now):
            self._more += count
            self._last = now
            return
        self._summarise()
        self._last = now
        self._log.warning(
            "%s: " + message + " (more %s are not logged until the line is clear for %g s; many "
            "of them mean line noise, a loose cable or a wrong baud rate)",
            self._who, *args, self._unit, self._quiet, stacklevel=2,
        )

    def clear(self) -> None:
        """Something good came: if a burst is over, say how much it dropped after its warning."""
        if self._last is not None and not self._in_burst(self._clock()):
            self._summarise()

    def reset(self) -> None:
        """Forget the burst (the device was plugged in again: its junk is news again)."""
        self._summarise()

    def _in_burst(self, now: float) -> bool:
        return self._last is not None and now - self._last <= self._quiet

    def _summarise(self) -> None:
        if self._more:
            self._log.info("%s: %d more %s dropped after the warning about them",
                           self._who, self._more, self._unit)
        self._last = None
        self._more = 0


DropListener = Callable[[str, bytes], None]


def _log_drop(reason: str, data: bytes) -> None:
    logger.warning("%s: %r dropped", reason, data[:80])


class FrameSplitter:
    """Cuts a byte stream into frames, each ended by any one of the ``terminators`` bytes.

    For a scanner (codes end with CR, LF or CRLF) the defaults do: empty frames (the LF of a CRLF)
    are dropped. With ``start`` (e.g. ``b"\\x02"``) bytes before a start byte are thrown away and
    the start byte is not part of the frame. A frame growing past ``max_length`` without an end is
    thrown away up to its end, so line noise cannot grow the buffer for ever. With ``gap`` (seconds)
    a half-received frame is thrown away when nothing more came for longer than that (a scanner
    sends a code in one go: a stale half is noise, not the start of the next code).

    Bytes thrown away go to ``on_drop(reason, data)``; by default each is logged as a warning.
    """

    def __init__(
        self,
        terminators: bytes = b"\r\n",
        *,
        start: bytes = b"",
        max_length: int = 4096,
        gap: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_drop: DropListener = _log_drop,
    ) -> None:
        if not terminators:
            raise ValueError("a frame splitter needs at least one terminator byte")
        if len(start) > 1:
            raise ValueError("a frame's start must be one byte")
        if gap is not None and gap <= 0:
            raise ValueError("a frame splitter's gap must be more than 0 seconds")
        self._ends = frozenset(terminators)
        self._start = start[0] if start else None
        self._max = max_length
        self._gap = gap
        self._clock = clock
        self._on_drop = on_drop
        self._buffer = bytearray()
        self._in_frame = self._start is None
        self._skipping = False
        self._last = 0.0

    def feed(self, data: bytes) -> list[bytes]:
        """Take received bytes; return the frames they completed, in order."""
        if not data:
            return []
        self._drop_if_stale()
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
                    self._on_drop("frame cut by a new start", bytes(self._buffer))
                self._buffer.clear()
            else:
                self._buffer.append(byte)
                if len(self._buffer) > self._max:
                    reason = f"frame longer than {self._max} bytes without an end"
                    self._on_drop(reason, bytes(self._buffer))
                    self._buffer.clear()
                    self._skipping = True
        return frames

    def _drop_if_stale(self) -> None:
        """Forget a half frame if the line was quiet for longer than the gap since its last byte."""
        now = self._clock()
        stale = self._gap is not None and now - self._last > self._gap
        self._last = now
        if not stale:
            return
        if self._buffer:
            self._on_drop(f"half a frame with nothing more for over {self._gap:g} s",
                          bytes(self._buffer))
        self.reset()

    @property
    def pending(self) -> bytes:
        """Bytes received since the last complete frame."""
        return bytes(self._buffer)

    def reset(self) -> None:
        """Forget a half-received frame (e.g. after the device reconnected)."""
        self._buffer.clear()
        self._in_frame = self._start is None
        self._skipping = False
