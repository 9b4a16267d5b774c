"""The caller keypad (呼叫器): the clerk's buttons for calling, recalling, finishing, pausing.

A keypad delivers :class:`KeypadAction` values to one callback; each action's value is the name of
the hub operation it asks for (``call_next``, ``recall``…). Three keypads:

- :class:`SerialKeypad` reads a serial caller pad; a :class:`KeypadDecoder` turns its bytes into
  actions. Callbacks run on the serial link's thread.
- :class:`KeyboardKeypad` maps key names the Qt app hands it (``"F1"``, ``"Key_F1"``,
  ``"Num+1"``) to actions, on the caller's thread. It imports no Qt.
- :class:`FakeKeypad` presses actions in tests.

Settings come from a ``[keypad]`` TOML table (every key optional)::

    [keypad]
    debounce_ms = 300          # the same action again within this time is one press
    frame_timeout_ms = 500     # a half-received frame older than this is thrown away
    ignore = "\\r\\n"           # bytes skipped between frames without a warning

    [keypad.keys]              # bytes -> action; REPLACES the default map below
    call_next = ["1", "\\u0002K1\\u0003"]   # a string of U+0000..U+00FF characters, or a
    recall = "2"                            # list of numbers [2, 75, 49, 3]; several per action
    no_show = "3"

    [keypad.keyboard]          # key names -> action; REPLACES the default F1..F7 map
    call_next = ["F1", "Num+1"]

Default serial map: ``1`` call_next, ``2`` recall, ``3`` no_show, ``4`` finish, ``5`` start,
``6`` pause, ``7`` resume, and the same digits framed as STX ``K`` digit ETX (``b"\\x02K1\\x03"``).
No byte sequence may begin another one. Unknown bytes are skipped: the first of a burst is a
warning (how many, and what they began with), the rest of the burst is only counted
(:class:`hub.serial_link.NoiseReport`), so line noise or a pad at the wrong baud rate cannot flood
the log. A key after the noise still acts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from counter.errors import KeypadError
from hub.serial_link import (
    NoiseReport,
    SerialLink,
    SerialLinkError,
    SerialPort,
    SerialSpec,
    open_pyserial,
    parse_serial_spec,
)

logger = logging.getLogger(__name__)

MonotonicClock = Callable[[], float]


class KeypadAction(StrEnum):
    """A button's meaning; the value is the hub operation it asks for."""

    CALL_NEXT = "call_next"
    RECALL = "recall"
    START = "start"
    NO_SHOW = "no_show"
    FINISH = "finish"
    PAUSE = "pause"
    RESUME = "resume"


ActionListener = Callable[[KeypadAction], None]


class Keypad(Protocol):
    """A clerk's keypad: :meth:`start` it with a callback that receives each action."""

    def start(self, on_action: ActionListener) -> None: ...

    def is_available(self) -> bool: ...

    def close(self) -> None: ...


_DIGITS = {
    "1": KeypadAction.CALL_NEXT,
    "2": KeypadAction.RECALL,
    "3": KeypadAction.NO_SHOW,
    "4": KeypadAction.FINISH,
    "5": KeypadAction.START,
    "6": KeypadAction.PAUSE,
    "7": KeypadAction.RESUME,
}
DEFAULT_SERIAL_KEYS: Mapping[bytes, KeypadAction] = {
    **{digit.encode(): action for digit, action in _DIGITS.items()},
    **{b"\x02K" + digit.encode() + b"\x03": action for digit, action in _DIGITS.items()},
}
DEFAULT_KEYBOARD_KEYS: Mapping[str, KeypadAction] = {
    f"F{digit}": action for digit, action in _DIGITS.items()
}


def key_name(name: str) -> str:
    """A key's name as the keypad compares it: ``"Qt.Key.Key_F1"``, ``"Key_F1"`` -> ``"f1"``."""
    name = name.strip()
    if "." in name and not name.endswith("."):
        name = name.rsplit(".", 1)[1]
    name = name.removeprefix("Key_")
    return name.lower()


@dataclass(frozen=True)
class KeypadConfig:
    """How bytes and keys become actions, and how long one press lasts."""

    keys: Mapping[bytes, KeypadAction] = field(default_factory=lambda: dict(DEFAULT_SERIAL_KEYS))
    keyboard: Mapping[str, KeypadAction] = field(
        default_factory=lambda: dict(DEFAULT_KEYBOARD_KEYS)
    )
    debounce: float = 0.3
    frame_timeout: float = 0.5
    ignore: bytes = b"\r\n"

    def __post_init__(self) -> None:
        if not self.keys:
            raise KeypadError("a serial keypad needs at least one key")
        for code in self.keys:
            if not code:
                raise KeypadError("a keypad key cannot be an empty byte sequence")
            for other in self.keys:
                if other != code and other.startswith(code):
                    raise KeypadError(f"keypad key {code!r} begins key {other!r}: make them differ")
        names = [key_name(name) for name in self.keyboard]
        if len(set(names)) != len(names):
            raise KeypadError(f"keyboard keys {sorted(self.keyboard)} name one key twice")
        if self.debounce < 0 or self.frame_timeout <= 0:
            raise KeypadError("keypad debounce must be >= 0 and frame timeout > 0")


def _action(value: object) -> KeypadAction:
    try:
        return KeypadAction(str(value))
    except ValueError as err:
        known = ", ".join(a.value for a in KeypadAction)
        raise KeypadError(f"keypad action {value!r} unknown: use one of {known}") from err


def _codes(action: str, value: object) -> list[bytes]:
    several = isinstance(value, list) and value and not isinstance(value[0], int)
    values = value if several and isinstance(value, list) else [value]
    codes: list[bytes] = []
    for item in values:
        if isinstance(item, str):
            try:
                codes.append(item.encode("latin-1"))
            except UnicodeEncodeError as err:
                raise KeypadError(
                    f"keypad key for {action!r}: only characters U+0000..U+00FF are bytes"
                ) from err
        elif isinstance(item, list) and all(isinstance(b, int) and 0 <= b <= 0xFF for b in item):
            codes.append(bytes(item))
        else:
            raise KeypadError(f"keypad key for {action!r} must be a string or numbers 0-255")
    return codes


def _names(action: str, value: object) -> list[str]:
    values = value if isinstance(value, list) else [value]
    if not all(isinstance(v, str) and v.strip() for v in values):
        raise KeypadError(f"keyboard key for {action!r} must be a key name or a list of them")
    return [str(v) for v in values]


def _milliseconds(table: Mapping[str, object], key: str, default: float) -> float:
    value = table.get(key)
    if value is None:
        return default
    if (isinstance(value, bool) or not isinstance(value, int | float)
            or not 0 <= value <= MAX_MILLISECONDS):  # nan and inf too
        raise KeypadError(f"keypad key {key!r} must be a number of milliseconds from 0 to "
                          f"{MAX_MILLISECONDS}")
    return float(value) / 1000


MAX_MILLISECONDS = 10_000  # a press or a frame that lasts longer than this is not one


KEYPAD_KEYS = ("debounce_ms", "frame_timeout_ms", "ignore", "keys", "keyboard")


def keypad_config_from_toml(table: Mapping[str, object]) -> KeypadConfig:
    """Read a ``[keypad]`` table (keys in the module docstring); :class:`KeypadError` if wrong."""
    unknown = sorted(set(table) - set(KEYPAD_KEYS))
    if unknown:
        raise KeypadError(f"unknown keypad keys {unknown}: known are {', '.join(KEYPAD_KEYS)}")
    default = KeypadConfig()
    keys = dict(default.keys)
    raw_keys = table.get("keys")
    if raw_keys is not None:
        if not isinstance(raw_keys, Mapping):
            raise KeypadError("[keypad.keys] must be a table of action = bytes")
        keys = {}
        for action, value in raw_keys.items():
            for code in _codes(action, value):
                if code in keys:
                    raise KeypadError(f"keypad key {code!r} given to two actions")
                keys[code] = _action(action)
    keyboard = dict(default.keyboard)
    raw_keyboard = table.get("keyboard")
    if raw_keyboard is not None:
        if not isinstance(raw_keyboard, Mapping):
            raise KeypadError("[keypad.keyboard] must be a table of action = key name")
        keyboard = {
            name: _action(action)
            for action, value in raw_keyboard.items()
            for name in _names(action, value)
        }
    ignore = table.get("ignore", "\r\n")
    if not isinstance(ignore, str):
        raise KeypadError("keypad key 'ignore' must be a string")
    return KeypadConfig(
        keys=keys,
        keyboard=keyboard,
        debounce=_milliseconds(table, "debounce_ms", default.debounce),
        frame_timeout=_milliseconds(table, "frame_timeout_ms", default.frame_timeout),
        ignore=_codes("ignore", ignore)[0],
    )


class Debouncer:
    """Lets an action through unless the same action came less than ``interval`` seconds ago.

    A repeat inside the interval also restarts it, so a pad that repeats while a button is held
    gives one action per press.
    """

    def __init__(self, interval: float, clock: MonotonicClock) -> None:
        self._interval = interval
        self._clock = clock
        self._last: dict[str, float] = {}

    def accept(self, action: str) -> bool:
        now = self._clock()
        last = self._last.get(action)
        self._last[action] = now
        if last is not None and now - last < self._interval:
            logger.debug("%s repeated after %.3f s: one press", action, now - last)
            return False
        return True


#: How many of a burst's unknown bytes the warning shows.
STRAY_SAMPLE = 16


class KeypadDecoder:
    """Turns a serial keypad's byte stream into actions (pure: bytes and clock in, actions out)."""

    def __init__(self, config: KeypadConfig, clock: MonotonicClock = time.monotonic) -> None:
        self._keys = dict(config.keys)
        self._by_start: dict[int, list[bytes]] = {}
        for code in self._keys:
            self._by_start.setdefault(code[0], []).append(code)
        self._ignore = frozenset(config.ignore)
        self._frame_timeout = config.frame_timeout
        self._clock = clock
        self._debouncer = Debouncer(config.debounce, clock)
        self._buffer = b""
        self._since = 0.0
        self._noise = NoiseReport(logger, "keypad", "unknown bytes", clock=clock)

    def feed(self, data: bytes) -> list[KeypadAction]:
        """Take received bytes; return the actions they complete, repeats removed."""
        now = self._clock()
        if self._buffer and now - self._since > self._frame_timeout:
            self._stray(f"unfinished frame of {len(self._buffer)} bytes", self._buffer,
                        len(self._buffer))
            self._buffer = b""
        if not self._buffer:
            self._since = now
        received = self._buffer + data
        actions = [action for action in self._parse(received) if self._debouncer.accept(action)]
        if len(self._buffer) < len(received):
            self._since = now  # what is left began after what was taken: its frame starts now
        return actions

    def reset(self) -> None:
        """Forget a half-received frame (the pad reconnected): its unknown bytes are news again."""
        self._buffer = b""
        self._noise.reset()

    def _parse(self, buffer: bytes) -> list[KeypadAction]:
        """The keys in ``buffer``, in order; unknown bytes are skipped, a key's beginning is kept."""
        actions: list[KeypadAction] = []
        stray = bytearray()  # the first STRAY_SAMPLE unknown bytes since the last key
        stray_count = 0
        pos = 0
        while pos < len(buffer):
            code = self._key_at(buffer, pos)
            if code is None and self._begins_key(buffer, pos):
                break  # the rest of this key is still on its way
            if code is None:
                byte = buffer[pos]
                pos += 1
                if byte in self._ignore and byte not in self._by_start:
                    continue
                stray_count += 1
                if len(stray) < STRAY_SAMPLE:
                    stray.append(byte)
                continue
            if stray_count:
                self._stray(_unknown_bytes(stray_count), bytes(stray), stray_count)
                stray.clear()
                stray_count = 0
            self._noise.clear()
            actions.append(self._keys[code])
            pos += len(code)
        if stray_count:
            self._stray(_unknown_bytes(stray_count), bytes(stray), stray_count)
        self._buffer = buffer[pos:]
        return actions

    def _key_at(self, buffer: bytes, pos: int) -> bytes | None:
        """The key whose bytes start at ``pos``, if one does."""
        for code in self._by_start.get(buffer[pos], ()):
            if buffer.startswith(code, pos):
                return code
        return None

    def _begins_key(self, buffer: bytes, pos: int) -> bool:
        """Whether the bytes from ``pos`` to the end are the first part of a key."""
        rest = len(buffer) - pos
        return any(
            len(code) > rest and buffer.startswith(code[:rest], pos)
            for code in self._by_start.get(buffer[pos], ())
        )

    def _stray(self, what: str, sample: bytes, count: int) -> None:
        shown = repr(sample) + ("…" if count > len(sample) else "")
        self._noise.junk(count, "%s ignored: %s", what, shown)


def _unknown_bytes(count: int) -> str:
    return "1 unknown byte" if count == 1 else f"{count} unknown bytes"


class SerialKeypad:
    """A caller pad on a serial line; :meth:`start` opens it (missing pads are waited for)."""

    def __init__(
        self,
        spec: SerialSpec,
        config: KeypadConfig | None = None,
        *,
        clock: MonotonicClock = time.monotonic,
        retry_interval: float = 1.0,
        opener: Callable[[SerialSpec], SerialPort] = open_pyserial,
    ) -> None:
        self.config = config or KeypadConfig()
        self._decoder = KeypadDecoder(self.config, clock)
        self._listener: ActionListener | None = None
        self._link = SerialLink(
            spec,
            name="caller keypad",
            on_data=self._received,
            on_connect=self._decoder.reset,
            retry_interval=retry_interval,
            opener=opener,
        )

    def __repr__(self) -> str:
        return f"SerialKeypad({self._link.spec})"

    def start(self, on_action: ActionListener, *, required: bool = False) -> None:
        """Deliver actions to ``on_action`` (on the link's thread) from now on.

        ``required``: raise :class:`KeypadError` if the pad is not there, instead of waiting.
        """
        self._listener = on_action
        try:
            self._link.open(required=required)
        except SerialLinkError as err:
            raise KeypadError(str(err)) from err

    def is_available(self) -> bool:
        return self._link.is_available()

    def close(self) -> None:
        self._listener = None
        self._link.close()

    def _received(self, data: bytes) -> None:
        for action in self._decoder.feed(data):
            _deliver(self._listener, action)


def _deliver(listener: ActionListener | None, action: KeypadAction) -> None:
    if listener is None:
        logger.debug("keypad %s pressed with nobody listening", action)
        return
    logger.info("keypad: %s", action)
    try:
        listener(action)
    except Exception:
        logger.exception("keypad action %s failed", action)


class KeyboardKeypad:
    """The counter's own keys as keypad buttons; the Qt app feeds :meth:`key_pressed`."""

    def __init__(
        self,
        keys: Mapping[str, KeypadAction] | None = None,
        *,
        debounce: float = 0.3,
        clock: MonotonicClock = time.monotonic,
    ) -> None:
        source = DEFAULT_KEYBOARD_KEYS if keys is None else keys
        self._keys = {key_name(name): action for name, action in source.items()}
        self._debouncer = Debouncer(debounce, clock)
        self._listener: ActionListener | None = None

    def action_for(self, name: str) -> KeypadAction | None:
        """The action a key stands for, or None if it is not a keypad key."""
        return self._keys.get(key_name(name))

    def key_pressed(self, name: str, *, auto_repeat: bool = False) -> KeypadAction | None:
        """Hand in one key press; the action delivered (None: not a keypad key, or a repeat)."""
        action = self.action_for(name)
        if action is None or auto_repeat or not self._debouncer.accept(action):
            return None
        _deliver(self._listener, action)
        return action

    def start(self, on_action: ActionListener) -> None:
        self._listener = on_action

    def is_available(self) -> bool:
        return True

    def close(self) -> None:
        self._listener = None


class FakeKeypad:
    """A keypad pressed by a test (or by a demo), recording every action it delivered."""

    def __init__(self, *, available: bool = True) -> None:
        self.available = available
        self.pressed: list[KeypadAction] = []
        self._listener: ActionListener | None = None

    def start(self, on_action: ActionListener) -> None:
        self._listener = on_action

    def press(self, action: KeypadAction | str) -> None:
        """Press the button for ``action`` (an action or its name)."""
        pressed = _action(action)
        self.pressed.append(pressed)
        _deliver(self._listener, pressed)

    def is_available(self) -> bool:
        return self.available

    def close(self) -> None:
        self._listener = None


KEYPAD_SPEC_ALTERNATIVES = ("keyboard",)


def keypad_from_spec(
    spec: str, config: KeypadConfig | None = None, *, clock: MonotonicClock = time.monotonic
) -> SerialKeypad | KeyboardKeypad:
    """The keypad named by ``--keypad SPEC`` (``serial:DEV[:BAUD]`` or ``keyboard``), unstarted."""
    config = config or KeypadConfig()
    if spec == "keyboard":
        return KeyboardKeypad(config.keyboard, debounce=config.debounce, clock=clock)
    try:
        serial_spec = parse_serial_spec(spec, what="keypad", alternatives=KEYPAD_SPEC_ALTERNATIVES)
    except SerialLinkError as err:
        raise KeypadError(str(err)) from err
    return SerialKeypad(serial_spec, config, clock=clock)
