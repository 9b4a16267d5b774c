"""The appointment scanner: a barcode/QR reader that hands the kiosk the code it read.

Two kinds are in use in halls:

* a **keyboard-wedge** scanner is a USB keyboard to the computer: it "types" the code very fast
  and presses Enter. :class:`KeyboardScanner` is fed the characters the Qt app receives
  (:meth:`KeyboardScanner.feed`); a burst of characters ended by Enter or Tab is one code.
  It imports no Qt.
* a **serial** scanner (``serial:/dev/ttyACM0[:BAUD]``, often a USB CDC device) sends the code
  followed by CR and/or LF; :class:`SerialScanner` reads it through :class:`hub.serial_link.SerialLink`
  on the link's own thread and calls back on that thread (the Qt app hands the code to its GUI
  thread itself). A half code with nothing more for :data:`SERIAL_GAP_S` is thrown away, so it
  cannot glue itself to the next code.

A code is printable text (:func:`clean_code`): a serial scanner's bytes are read as UTF-8, as a QR
code carries text, so a booking system's code in Chinese stays scannable; bytes that are not text
are junk: dropped, and warned about once per burst
(:class:`hub.serial_link.NoiseReport`), so a noisy line or a wrong baud rate cannot flood the log.

:class:`FakeScanner` scans codes in tests and in the demo. ``open_scanner(SPEC)`` turns the
``scanner`` setting into one of them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

from hub.protocol import CODE_MAX
from hub.serial_link import (
    FrameSplitter,
    NoiseReport,
    SerialLink,
    SerialLinkError,
    SerialPort,
    SerialSpec,
    open_pyserial,
    parse_serial_spec,
)
from kiosk.errors import KioskError

logger = logging.getLogger(__name__)

CodeListener = Callable[[str], None]

#: Characters of one keyboard-wedge code arrive closer together than this (scanners type a
#: character every few milliseconds; a pause longer than this starts a new code).
KEYSTROKE_GAP_S = 0.3
#: A serial scanner sends a whole code in one go: a half code older than this is noise.
SERIAL_GAP_S = KEYSTROKE_GAP_S
MIN_CODE_LENGTH = 3
MAX_CODE_LENGTH = CODE_MAX  # the hub's longest appointment code
_ENDS = ("\r", "\n", "\t")
_NOT_TEXT = "\ufffd"  # what decoding puts where the bytes were not UTF-8


class ScannerError(KioskError):
    """A scanner SPEC is not understood, or the scanner cannot be opened."""


class Scanner(Protocol):
    """A code reader: :meth:`start` it with a callback that receives each code read."""

    def start(self, on_code: CodeListener) -> None: ...

    def is_available(self) -> bool: ...

    def close(self) -> None: ...


def clean_code(raw: str) -> str | None:
    """A code as the hub wants it: printable, trimmed, 3-64 characters; None if it is not one.

    Control characters (a scanner's prefix or suffix bytes) are left out; U+FFFD (bytes that
    were not text) makes it no code.
    """
    code = "".join(c for c in raw if c.isprintable()).strip()
    if _NOT_TEXT in code or not MIN_CODE_LENGTH <= len(code) <= MAX_CODE_LENGTH:
        return None
    return code


class KeyboardScanner:
    """A keyboard-wedge scanner: the app feeds it every character typed, it finds the codes."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buffer: list[str] = []
        self._last = 0.0
        self._on_code: CodeListener | None = None

    def start(self, on_code: CodeListener) -> None:
        self._on_code = on_code

    def is_available(self) -> bool:
        """A keyboard wedge needs nothing opened: it is there whenever a key arrives."""
        return True

    def close(self) -> None:
        self._on_code = None
        self._buffer.clear()

    def feed(self, text: str) -> str | None:
        """Take the text of one key press; return (and hand on) the code it completes, if any."""
        now = self._clock()
        if self._buffer and now - self._last > KEYSTROKE_GAP_S:
            logger.debug("keyboard scanner: dropped a stale partial code %r", "".join(self._buffer))
            self._buffer.clear()
        self._last = now
        if text in _ENDS:
            raw, self._buffer = "".join(self._buffer), []
            code = clean_code(raw)
            if code is None:
                return None
            logger.info("keyboard scanner read a code of %d characters", len(code))
            if self._on_code is not None:
                self._on_code(code)
            return code
        if text and text.isprintable() and len(self._buffer) < MAX_CODE_LENGTH:
            self._buffer.append(text)
        return None


class SerialScanner:
    """A scanner on a serial line: each code ends with CR and/or LF."""

    def __init__(
        self,
        spec: SerialSpec,
        opener: Callable[[SerialSpec], SerialPort] = open_pyserial,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.spec = spec
        self._splitter = FrameSplitter(
            b"\r\n",
            max_length=4 * MAX_CODE_LENGTH,
            gap=SERIAL_GAP_S,
            clock=clock,
            on_drop=self._junk,
        )
        self._on_code: CodeListener | None = None
        self._noise = NoiseReport(logger, "serial scanner", "things that are not codes",
                                  clock=clock)
        self._link = SerialLink(spec, name="barcode scanner", on_data=self._received,
                                on_connect=self._connected, opener=opener)

    def start(self, on_code: CodeListener) -> None:
        """Open the line (or keep trying in the background until the scanner is plugged in)."""
        self._on_code = on_code
        self._link.open()

    def is_available(self) -> bool:
        return self._link.is_available()

    def close(self) -> None:
        self._link.close()
        self._on_code = None

    def _connected(self) -> None:
        """A scanner plugged in again starts afresh: no half code, and its junk is news again."""
        self._splitter.reset()
        self._noise.reset()

    def _received(self, data: bytes) -> None:
        for frame in self._splitter.feed(data):
            code = clean_code(frame.decode("utf-8", errors="replace"))
            if code is None:
                self._junk("something that is not a code", frame)
                continue
            self._noise.clear()
            logger.info("serial scanner read a code of %d characters", len(code))
            if self._on_code is not None:
                self._on_code(code)

    def _junk(self, what: str, data: bytes) -> None:
        self._noise.junk(1, "%s: %r dropped", what, data[:80])


class FakeScanner:
    """A scanner for tests and the demo: :meth:`scan` reads a code."""

    def __init__(self) -> None:
        self._on_code: CodeListener | None = None
        self.closed = False

    def start(self, on_code: CodeListener) -> None:
        self._on_code = on_code

    def is_available(self) -> bool:
        return not self.closed

    def close(self) -> None:
        self.closed = True

    def scan(self, code: str) -> None:
        if self._on_code is not None and not self.closed:
            self._on_code(code)


def open_scanner(spec: str | None) -> Scanner | None:
    """The scanner a setting names: ``keyboard``, ``serial:DEV[:BAUD]``, or none for ""/None."""
    if not spec:
        return None
    if spec == "keyboard":
        return KeyboardScanner()
    try:
        serial_spec = parse_serial_spec(spec, what="scanner", alternatives=["keyboard"])
    except SerialLinkError as err:
        raise ScannerError(str(err)) from err
    return SerialScanner(serial_spec)
