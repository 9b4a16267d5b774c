"""The window's LED sign: what it shows, and the bytes a serial sign needs to show it.

The sign follows its window: the app hands each ``ticket_called`` of its window to
:meth:`WindowSign.show_call`, and each ``window_changed`` of its window to :func:`follow_window`,
which asks :func:`window_sign_kind` what to show. The words come from the catalogue's ``[counter]``
section (``sign_call``, ``sign_paused``, ``sign_closed``, ``sign_idle``) in the sign's language.

Signs differ from hall to hall, so :class:`SerialSign` takes a :class:`SignConfig`: the text
encoding and a :class:`SignFraming`. Both are read from a small TOML table (the ``[sign]`` table of
a counter's device file, say); every key is optional::

    [sign]
    preset = "rs485"        # "plain" (text + CRLF, the default) or "rs485"; the keys below
                            # override the preset's values
    encoding = "gb2312"     # gb2312 | gbk | gb18030 | ascii; characters outside it show as "?"
    lang = "zh"             # catalogue language of the texts (one of assets/i18n)
    prefix = "\\u0002"      # bytes before the frame (STX); a string of U+0000..U+00FF
                            # characters, or a list of numbers such as [2]
    address = 1             # the sign's address byte (0-255); leave out for none
    length = 1              # bytes of the payload-length field: 0 (none), 1, or 2 (big-endian)
    checksum = "xor"        # none | xor | sum8, over address + length + payload
    suffix = "\\u0003"      # bytes after the frame (ETX)
    max_chars = 16          # characters per line (0: no limit); longer text wraps onto lines
    line_break = "\\n"      # bytes between lines of one text
    clear = "\\u0002\\u0001\\u0000\\u0001\\u0003"   # sent as-is to blank the sign (on close)

:func:`read_sign_config` reads the table from a file and names the file in every error. Besides
``[sign]`` such a file may hold ``[keypad]`` (and the device file's own keys): any other table is a
mistake (a misspelt ``[sgin]``), and so is a sign key above the ``[sign]`` header.

A frame is ``prefix [address] [length] payload [checksum] suffix``; the payload is the text in
the encoding. Control characters in a text are dropped; a payload too long for its length field
is cut at a character.
"""

from __future__ import annotations

import logging
import textwrap
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, Protocol, cast, get_args

from counter.errors import SignError
from hub.i18n import languages, tr
from hub.serial_link import (
    SerialLink,
    SerialLinkError,
    SerialPort,
    SerialSpec,
    open_pyserial,
    parse_serial_spec,
)
from hub.settings_file import read_table

logger = logging.getLogger(__name__)

Checksum = Literal["none", "xor", "sum8"]
Encoding = Literal["gb2312", "gbk", "gb18030", "ascii"]
CHECKSUMS: tuple[str, ...] = get_args(Checksum)
ENCODINGS: tuple[str, ...] = get_args(Encoding)


class SignKind(StrEnum):
    """What the sign is showing."""

    CALL = "call"
    PAUSED = "paused"
    CLOSED = "closed"
    IDLE = "idle"


class WindowSign(Protocol):
    """The LED sign above one window. Showing never fails because the sign is unplugged."""

    def show_call(self, number: str, window: int) -> None: ...

    def show_paused(self, window: int) -> None: ...

    def show_closed(self, window: int) -> None: ...

    def show_idle(self, window: int) -> None: ...

    def is_available(self) -> bool: ...

    def close(self) -> None: ...


def sign_text(kind: SignKind, lang: str, window: int, number: str = "") -> str:
    """The catalogue's words for ``kind`` (「请A012号到5号窗口」, 「暂停服务」…)."""
    return tr(lang, f"counter.sign_{kind.value}", number=number, window=window)


SHOWN_WHILE_CURRENT = ("called", "serving")


def window_sign_kind(window_state: Mapping[str, Any], window: int) -> tuple[SignKind, str]:
    """What the sign of ``window`` shows for a protocol WINDOW object, and the ticket number
    called (``""`` unless the kind is :attr:`SignKind.CALL`).

    Closed and paused windows say so; an open window shows the call of its current ticket while
    that ticket is called or being served, and its idle greeting otherwise.
    """
    number = window_state.get("number")
    if number is not None and number != window:
        logger.warning("sign of window %s given the state of window %s", window, number)
    state = window_state.get("state")
    if state == "closed":
        return SignKind.CLOSED, ""
    if state == "paused":
        return SignKind.PAUSED, ""
    if state != "open":
        logger.warning("window %s in unknown state %r: sign shows idle", window, state)
    current = window_state.get("current")
    if isinstance(current, Mapping) and current.get("state") in SHOWN_WHILE_CURRENT:
        ticket_number = current.get("number")
        if isinstance(ticket_number, str) and ticket_number:
            return SignKind.CALL, ticket_number
    return SignKind.IDLE, ""


def sign_text_for(window_state: Mapping[str, Any], window: int, lang: str) -> tuple[SignKind, str]:
    """What the sign of ``window`` shows for a protocol WINDOW object, in words of ``lang``."""
    kind, number = window_sign_kind(window_state, window)
    return kind, sign_text(kind, lang, window, number)


def follow_window(sign: WindowSign, window_state: Mapping[str, Any], window: int) -> SignKind:
    """Put on ``sign`` what :func:`window_sign_kind` decides; return what it shows."""
    kind, number = window_sign_kind(window_state, window)
    if kind is SignKind.CALL:
        sign.show_call(number, window)
    elif kind is SignKind.PAUSED:
        sign.show_paused(window)
    elif kind is SignKind.CLOSED:
        sign.show_closed(window)
    else:
        sign.show_idle(window)
    return kind


def _checksum(kind: Checksum, data: bytes) -> bytes:
    if kind == "xor":
        value = 0
        for byte in data:
            value ^= byte
        return bytes([value])
    if kind == "sum8":
        return bytes([sum(data) & 0xFF])
    return b""


@dataclass(frozen=True)
class SignFraming:
    """How a sign wants its text: ``prefix [address] [length] payload [checksum] suffix``."""

    prefix: bytes = b""
    suffix: bytes = b"\r\n"
    address: int | None = None
    length: int = 0
    checksum: Checksum = "none"
    max_chars: int = 0
    line_break: bytes = b"\r\n"
    clear: bytes = b""

    def __post_init__(self) -> None:
        if self.address is not None and not 0 <= self.address <= 0xFF:
            raise SignError(f"sign address {self.address} is not a byte (0-255)")
        if self.length not in (0, 1, 2):
            raise SignError(f"sign length field of {self.length} bytes: use 0, 1 or 2")
        if self.checksum not in CHECKSUMS:
            raise SignError(f"sign checksum {self.checksum!r}: use one of {', '.join(CHECKSUMS)}")
        if self.max_chars < 0:
            raise SignError(f"sign max_chars {self.max_chars} is negative")

    @property
    def max_payload(self) -> int | None:
        """The most payload bytes the length field can count (None: no limit)."""
        return {0: None, 1: 0xFF, 2: 0xFFFF}[self.length]

    def frame(self, payload: bytes) -> bytes:
        """The bytes that carry ``payload`` to the sign."""
        limit = self.max_payload
        if limit is not None and len(payload) > limit:
            raise SignError(f"sign payload of {len(payload)} bytes exceeds the length field")
        body = b"" if self.address is None else bytes([self.address])
        if self.length:
            body += len(payload).to_bytes(self.length, "big")
        body += payload
        return self.prefix + body + _checksum(self.checksum, body) + self.suffix

    def unframe(self, frame: bytes) -> bytes:
        """The payload of a frame built by :meth:`frame`; :class:`SignError` if it is not valid."""
        if not frame.startswith(self.prefix) or not frame.endswith(self.suffix):
            raise SignError(f"sign frame {frame!r} lacks its prefix or suffix")
        body = frame[len(self.prefix) : len(frame) - len(self.suffix)]
        check_len = 0 if self.checksum == "none" else 1
        if check_len:
            body, check = body[:-check_len], body[-check_len:]
            if _checksum(self.checksum, body) != check:
                raise SignError(f"sign frame {frame!r} fails its {self.checksum} checksum")
        head = (0 if self.address is None else 1) + self.length
        if len(body) < head:
            raise SignError(f"sign frame {frame!r} is too short")
        if self.address is not None and body[0] != self.address:
            raise SignError(f"sign frame {frame!r} is for address {body[0]}, not {self.address}")
        payload = body[head:]
        if self.length:
            declared = int.from_bytes(body[head - self.length : head], "big")
            if declared != len(payload):
                raise SignError(
                    f"sign frame {frame!r} says {declared} bytes, carries {len(payload)}"
                )
        return payload


PLAIN_FRAMING = SignFraming()
RS485_FRAMING = SignFraming(
    prefix=b"\x02",
    suffix=b"\x03",
    address=0x01,
    length=1,
    checksum="xor",
    max_chars=16,
    line_break=b"\n",
    clear=b"\x02\x01\x00\x01\x03",
)
SIGN_PRESETS: dict[str, SignFraming] = {"plain": PLAIN_FRAMING, "rs485": RS485_FRAMING}


@dataclass(frozen=True)
class SignConfig:
    """A sign's framing, the encoding of its text, and the language it speaks."""

    framing: SignFraming = field(default_factory=SignFraming)
    encoding: Encoding = "gb2312"
    lang: str = "zh"

    def __post_init__(self) -> None:
        if self.encoding not in ENCODINGS:
            raise SignError(f"sign encoding {self.encoding!r}: use one of {', '.join(ENCODINGS)}")


def _bytes_value(key: str, value: object) -> bytes:
    if isinstance(value, str):
        try:
            return value.encode("latin-1")
        except UnicodeEncodeError as err:
            raise SignError(f"sign key {key!r}: only characters U+0000..U+00FF are bytes") from err
    if isinstance(value, list) and all(isinstance(b, int) and 0 <= b <= 0xFF for b in value):
        return bytes(value)
    raise SignError(f"sign key {key!r} must be a string or a list of numbers 0-255")


def _int_value(key: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SignError(f"sign key {key!r} must be a whole number")
    return value


FRAMING_BYTES = ("prefix", "suffix", "line_break", "clear")
FRAMING_INTS = ("address", "length", "max_chars")
SIGN_KEYS = ("preset", "encoding", "lang", "checksum", *FRAMING_BYTES, *FRAMING_INTS)


def sign_config_from_toml(table: Mapping[str, object]) -> SignConfig:
    """Read a ``[sign]`` table (keys in this module's docstring); :class:`SignError` if wrong."""
    unknown = sorted(set(table) - set(SIGN_KEYS))
    if unknown:
        raise SignError(f"unknown sign keys {unknown}: known are {', '.join(SIGN_KEYS)}")
    preset = table.get("preset", "plain")
    if not isinstance(preset, str) or preset not in SIGN_PRESETS:
        raise SignError(f"sign preset {preset!r}: use one of {', '.join(SIGN_PRESETS)}")
    changes: dict[str, Any] = {}
    for key in FRAMING_BYTES:
        if key in table:
            changes[key] = _bytes_value(key, table[key])
    for key in FRAMING_INTS:
        if key in table:
            changes[key] = _int_value(key, table[key])
    if "checksum" in table:
        changes["checksum"] = table["checksum"]
    framing = replace(SIGN_PRESETS[preset], **changes)
    encoding = table.get("encoding", "gb2312")
    return SignConfig(framing=framing, encoding=cast(Encoding, encoding), lang=_lang(table))


def _lang(table: Mapping[str, object]) -> str:
    lang = table.get("lang", "zh")
    if not isinstance(lang, str):
        raise SignError("sign key 'lang' must be a string")
    known = languages()
    if lang not in known:
        raise SignError(f"sign key 'lang' is {lang!r}: there are texts for {', '.join(known)}")
    return lang


#: The tables a counter's settings file may hold: one file may serve the sign and the keypad, and
#: be the device file too (whose own keys are not tables).
COUNTER_FILE_TABLES = ("sign", "keypad")


def read_sign_config(path: Path, table: str = "sign") -> SignConfig:
    """The :class:`SignConfig` in table ``table`` of a TOML file (defaults if there is none).

    Every :class:`SignError` names the file.
    """
    section = read_table(path, "sign settings file", table, kind="sign", keys=SIGN_KEYS,
                         tables=tuple(dict.fromkeys((table, *COUNTER_FILE_TABLES))),
                         error=SignError)
    try:
        return sign_config_from_toml(section)
    except SignError as err:
        raise SignError(f"{path}: {err}") from err


def _lines(text: str, max_chars: int) -> list[str]:
    lines: list[str] = []
    for raw in text.splitlines() or [""]:
        line = "".join(ch for ch in raw if ch.isprintable())
        if max_chars and len(line) > max_chars:
            lines.extend(textwrap.wrap(line, width=max_chars) or [""])
        else:
            lines.append(line)
    return lines


def encode_sign_text(text: str, config: SignConfig) -> bytes:
    """The exact frame that shows ``text``; unencodable characters become ``?``."""
    framing = config.framing
    lines = _lines(text, framing.max_chars)
    payload = framing.line_break.join(
        line.encode(config.encoding, errors="replace") for line in lines
    )
    limit = framing.max_payload
    if limit is not None and len(payload) > limit:
        joined = "\n".join(lines)
        while joined and len(_encode_lines(joined, config)) > limit:
            joined = joined[:-1]
        logger.warning("sign text %r cut to %r to fit the frame", text, joined)
        payload = _encode_lines(joined, config)
    return framing.frame(payload)


def _encode_lines(joined: str, config: SignConfig) -> bytes:
    return config.framing.line_break.join(
        line.encode(config.encoding, errors="replace") for line in joined.split("\n")
    )


def decode_sign_frame(frame: bytes, config: SignConfig) -> str:
    """The text a frame shows (lines joined with newlines); :class:`SignError` if not valid."""
    payload = config.framing.unframe(frame)
    parts = payload.split(config.framing.line_break) if config.framing.line_break else [payload]
    return "\n".join(part.decode(config.encoding, errors="replace") for part in parts)


class SerialSign:
    """A sign on a serial line (RS-232/RS-485 through a USB adapter).

    Call :meth:`open` once. While the sign is unplugged, showing something only remembers it; the
    last text is sent again as soon as the sign is back.
    """

    def __init__(
        self,
        spec: SerialSpec,
        config: SignConfig | None = None,
        *,
        retry_interval: float = 1.0,
        opener: Callable[[SerialSpec], SerialPort] = open_pyserial,
    ) -> None:
        self.config = config or SignConfig()
        self._lock = threading.Lock()
        self._last_frame: bytes | None = None
        self.text: str | None = None
        self._link = SerialLink(
            spec,
            name="window sign",
            on_connect=self._repaint,
            retry_interval=retry_interval,
            opener=opener,
        )

    def __repr__(self) -> str:
        return f"SerialSign({self._link.spec})"

    def open(self, *, required: bool = False) -> bool:
        """Open the sign's line; True if the sign is there. ``required``: raise if it is not."""
        try:
            return self._link.open(required=required)
        except SerialLinkError as err:
            raise SignError(str(err)) from err

    def show_call(self, number: str, window: int) -> None:
        self.show_text(sign_text(SignKind.CALL, self.config.lang, window, number))

    def show_paused(self, window: int) -> None:
        self.show_text(sign_text(SignKind.PAUSED, self.config.lang, window))

    def show_closed(self, window: int) -> None:
        self.show_text(sign_text(SignKind.CLOSED, self.config.lang, window))

    def show_idle(self, window: int) -> None:
        self.show_text(sign_text(SignKind.IDLE, self.config.lang, window))

    def show_text(self, text: str) -> None:
        """Show any text (a technician's test line, say)."""
        frame = encode_sign_text(text, self.config)
        with self._lock:
            self.text = text
            self._last_frame = frame
        logger.debug("sign shows %r", text)
        self._send(frame)

    def clear(self) -> None:
        """Blank the sign with the configured clear command (nothing if there is none)."""
        with self._lock:
            self.text = None
            self._last_frame = None
        if self.config.framing.clear:
            self._send(self.config.framing.clear)

    def is_available(self) -> bool:
        return self._link.is_available()

    def close(self) -> None:
        """Blank the sign if it can be blanked, then let go of the line."""
        if self.is_available():
            self.clear()
        self._link.close()

    def _send(self, data: bytes) -> None:
        if not self._link.is_available():
            logger.debug("sign not connected: %r waits for it", data)
            return
        try:
            self._link.write(data)
        except SerialLinkError as err:
            logger.warning("sign did not take the text; will resend when it is back: %s", err)

    def _repaint(self) -> None:
        with self._lock:
            frame = self._last_frame
        if frame is not None:
            self._send(frame)


class FakeSign:
    """A sign that only remembers what it was asked to show, for tests and hallless runs."""

    def __init__(self, lang: str = "zh", *, available: bool = True) -> None:
        self.lang = lang
        self.available = available
        self.closed = False
        self.shown: list[tuple[SignKind, str]] = []

    def show_call(self, number: str, window: int) -> None:
        self._show(SignKind.CALL, sign_text(SignKind.CALL, self.lang, window, number))

    def show_paused(self, window: int) -> None:
        self._show(SignKind.PAUSED, sign_text(SignKind.PAUSED, self.lang, window))

    def show_closed(self, window: int) -> None:
        self._show(SignKind.CLOSED, sign_text(SignKind.CLOSED, self.lang, window))

    def show_idle(self, window: int) -> None:
        self._show(SignKind.IDLE, sign_text(SignKind.IDLE, self.lang, window))

    @property
    def last(self) -> tuple[SignKind, str] | None:
        """What the sign shows now (None before anything was shown)."""
        return self.shown[-1] if self.shown else None

    def is_available(self) -> bool:
        return self.available and not self.closed

    def close(self) -> None:
        self.closed = True

    def _show(self, kind: SignKind, text: str) -> None:
        logger.info("sign: %s", text)
        self.shown.append((kind, text))


SIGN_SPEC_ALTERNATIVES = ("fake",)


def open_sign(
    spec: str, config: SignConfig | None = None, *, retry_interval: float = 1.0
) -> WindowSign:
    """The sign named by ``--sign SPEC`` (``serial:DEV[:BAUD]`` or ``fake``), opened.

    A serial sign that is not plugged in yet is not an error: it is picked up when it appears.
    """
    config = config or SignConfig()
    if spec == "fake":
        return FakeSign(config.lang)
    try:
        serial_spec = parse_serial_spec(spec, what="sign", alternatives=SIGN_SPEC_ALTERNATIVES)
    except SerialLinkError as err:
        raise SignError(str(err)) from err
    sign = SerialSign(serial_spec, config, retry_interval=retry_interval)
    sign.open()
    return sign
