"""The caller keypad: bytes and keys to actions, and a real serial pad through socat."""

from __future__ import annotations

import logging
import random
import threading
import time
import tomllib
from pathlib import Path

import pytest
import serial

from counter.errors import KeypadError
from counter.keypad import (
    DEFAULT_SERIAL_KEYS,
    FakeKeypad,
    KeyboardKeypad,
    KeypadAction,
    KeypadConfig,
    KeypadDecoder,
    SerialKeypad,
    keypad_config_from_toml,
    keypad_from_spec,
)
from hub.serial_link import NOISE_QUIET_S, SerialSpec
from tests.serial_pair import wait_for

A = KeypadAction


class ManualClock:
    """Monotonic seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Collected:
    def __init__(self) -> None:
        self.actions: list[KeypadAction] = []
        self._lock = threading.Lock()

    def __call__(self, action: KeypadAction) -> None:
        with self._lock:
            self.actions.append(action)


def test_actions_are_the_hub_operations() -> None:
    assert [a.value for a in KeypadAction] == [
        "call_next",
        "recall",
        "start",
        "no_show",
        "finish",
        "pause",
        "resume",
    ]


@pytest.mark.parametrize(
    ("data", "actions"),
    [
        (b"1", [A.CALL_NEXT]),
        (b"2", [A.RECALL]),
        (b"3", [A.NO_SHOW]),
        (b"4", [A.FINISH]),
        (b"5", [A.START]),
        (b"6", [A.PAUSE]),
        (b"7", [A.RESUME]),
        (b"\x02K1\x03", [A.CALL_NEXT]),
        (b"\x02K7\x03", [A.RESUME]),
        (b"1\r\n4\r\n", [A.CALL_NEXT, A.FINISH]),
        (b"\x02K2\x031", [A.RECALL, A.CALL_NEXT]),
    ],
)
def test_default_map(data: bytes, actions: list[KeypadAction]) -> None:
    assert KeypadDecoder(KeypadConfig(), ManualClock()).feed(data) == actions


def test_a_frame_split_over_reads_is_one_press() -> None:
    decoder = KeypadDecoder(KeypadConfig(), ManualClock())
    assert decoder.feed(b"\x02") == []
    assert decoder.feed(b"K") == []
    assert decoder.feed(b"3\x03") == [A.NO_SHOW]


def test_unknown_bytes_are_logged_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    decoder = KeypadDecoder(KeypadConfig(), ManualClock())
    with caplog.at_level(logging.WARNING, logger="counter.keypad"):
        assert decoder.feed(b"9x\x02Z\x034") == [A.FINISH]
    stray = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(stray) == 1
    assert stray[0].startswith("keypad: 5 unknown bytes ignored: b'9x\\x02Z\\x03' (more unknown bytes")


def test_a_burst_of_unknown_bytes_is_one_warning_and_a_key_after_it_acts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = ManualClock()
    decoder = KeypadDecoder(KeypadConfig(), clock)
    noise = random.Random(7).randbytes(1_000_000)  # holds "1".."7" too: those are keys
    with caplog.at_level(logging.INFO, logger="counter.keypad"):
        assert decoder.feed(b"z" * 3000) == []  # was a RecursionError: one call per byte
        for i in range(0, len(noise), 4096):
            decoder.feed(noise[i : i + 4096])
            clock.advance(0.01)
        clock.advance(NOISE_QUIET_S + 0.5)
        assert decoder.feed(b"\x02K4\x03") == [A.FINISH]
        clock.advance(NOISE_QUIET_S + 0.5)
        assert decoder.feed(b"zz") == []  # a new burst is news again
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert warnings[0].startswith("keypad: 3000 unknown bytes ignored: b'zzzzzzzzzzzzzzzz'…")
    assert warnings[1].startswith("keypad: 2 unknown bytes ignored: b'zz'")
    summaries = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert len(summaries) == 1
    assert "more unknown bytes dropped after the warning" in summaries[0]


def test_a_stale_half_frame_is_part_of_the_burst(caplog: pytest.LogCaptureFixture) -> None:
    clock = ManualClock()
    decoder = KeypadDecoder(KeypadConfig(frame_timeout=0.5), clock)
    with caplog.at_level(logging.WARNING, logger="counter.keypad"):
        assert decoder.feed(b"\x02K") == []
        clock.advance(0.6)
        assert decoder.feed(b"zz") == []
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage().split(" (")[0] for r in warnings] == [
        "keypad: unfinished frame of 2 bytes ignored: b'\\x02K'"
    ]


def test_line_ends_between_keys_are_skipped_quietly(caplog: pytest.LogCaptureFixture) -> None:
    decoder = KeypadDecoder(KeypadConfig(), ManualClock())
    with caplog.at_level(logging.WARNING, logger="counter.keypad"):
        assert decoder.feed(b"\r\n\r\n") == []
    assert caplog.records == []


def test_a_double_send_within_the_debounce_acts_once() -> None:
    clock = ManualClock()
    decoder = KeypadDecoder(KeypadConfig(debounce=0.3), clock)
    assert decoder.feed(b"11") == [A.CALL_NEXT]
    clock.advance(0.1)
    assert decoder.feed(b"1") == []
    clock.advance(0.29)
    assert decoder.feed(b"1") == []  # still the same press: the pad repeats while held
    clock.advance(0.31)
    assert decoder.feed(b"1") == [A.CALL_NEXT]


def test_debounce_is_per_action() -> None:
    decoder = KeypadDecoder(KeypadConfig(debounce=0.3), ManualClock())
    assert decoder.feed(b"41") == [A.FINISH, A.CALL_NEXT]


def test_no_debounce_when_set_to_zero() -> None:
    decoder = KeypadDecoder(KeypadConfig(debounce=0.0), ManualClock())
    assert decoder.feed(b"22") == [A.RECALL, A.RECALL]


def test_a_stale_half_frame_is_thrown_away() -> None:
    clock = ManualClock()
    decoder = KeypadDecoder(KeypadConfig(frame_timeout=0.5), clock)
    assert decoder.feed(b"\x02K") == []
    clock.advance(0.6)
    assert decoder.feed(b"5") == [A.START]
    assert decoder.feed(b"\x02K") == []
    clock.advance(0.2)
    assert decoder.feed(b"6\x03") == [A.PAUSE]


def test_a_frame_begun_in_the_read_that_ended_another_has_its_own_time() -> None:
    """The second key's frame starts at 0.4 s, with the end of the first: at 0.6 s it is fresh."""
    clock = ManualClock()
    framed = {b"\x02K5\x03": A.START, b"\x02K6\x03": A.PAUSE}  # no one-byte keys to fall back on
    decoder = KeypadDecoder(KeypadConfig(keys=framed, frame_timeout=0.5), clock)
    assert decoder.feed(b"\x02K") == []
    clock.advance(0.4)
    assert decoder.feed(b"6\x03\x02K") == [A.PAUSE]
    clock.advance(0.2)
    assert decoder.feed(b"5\x03") == [A.START]


def test_keypad_settings_from_toml() -> None:
    table = tomllib.loads(
        """
        [keypad]
        debounce_ms = 150
        frame_timeout_ms = 250
        ignore = " "

        [keypad.keys]
        call_next = ["A", "\\u001bOP"]
        recall = [27, 79, 81]
        finish = "F"

        [keypad.keyboard]
        call_next = ["F9", "Num+1"]
        pause = "Key_Pause"
        """
    )["keypad"]
    config = keypad_config_from_toml(table)
    assert config.debounce == pytest.approx(0.15)
    assert config.frame_timeout == pytest.approx(0.25)
    assert config.keys == {b"A": A.CALL_NEXT, b"\x1bOP": A.CALL_NEXT, b"\x1bOQ": A.RECALL, b"F": A.FINISH}
    decoder = KeypadDecoder(config, ManualClock())
    assert decoder.feed(b" \x1bOQ F 1") == [A.RECALL, A.FINISH]
    keyboard = KeyboardKeypad(config.keyboard)
    assert keyboard.action_for("F9") is A.CALL_NEXT
    assert keyboard.action_for("F1") is None
    assert keyboard.action_for("Pause") is A.PAUSE


def test_default_settings_from_an_empty_table() -> None:
    assert keypad_config_from_toml({}) == KeypadConfig()
    assert KeypadConfig().keys == DEFAULT_SERIAL_KEYS


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ({"keys": {"call_next": "1", "recall": "12"}}, "begins key"),
        ({"keys": {"call_next": "1", "recall": "1"}}, "two actions"),
        ({"keys": {"call_now": "1"}}, "action 'call_now' unknown"),
        ({"keys": {"call_next": "一"}}, "U\\+0000"),
        ({"keys": {"call_next": ""}}, "empty"),
        ({"keys": {}}, "at least one key"),
        ({"keyboard": {"call_next": "F1", "recall": "Key_F1"}}, "twice"),
        ({"debounce_ms": "fast"}, "milliseconds"),
        ({"frame_timeout_ms": float("nan")}, "from 0 to 10000"),
        ({"debounce_ms": float("inf")}, "from 0 to 10000"),
        ({"debounce_ms": -1}, "from 0 to 10000"),
        ({"beep": True}, "unknown keypad keys"),
    ],
)
def test_bad_keypad_settings_say_what_is_wrong(table: dict[str, object], problem: str) -> None:
    with pytest.raises(KeypadError, match=problem):
        keypad_config_from_toml(table)


@pytest.mark.parametrize("name", ["F1", "f1", "Key_F1", "Qt.Key.Key_F1", " F1 "])
def test_keyboard_key_names_from_qt(name: str) -> None:
    assert KeyboardKeypad().action_for(name) is A.CALL_NEXT


def test_keyboard_keypad_delivers_and_ignores_repeats() -> None:
    clock = ManualClock()
    got = Collected()
    keypad = KeyboardKeypad(clock=clock)
    keypad.start(got)
    assert keypad.key_pressed("F4") is A.FINISH
    assert keypad.key_pressed("F1", auto_repeat=True) is None
    assert keypad.key_pressed("Return") is None
    clock.advance(0.5)
    assert keypad.key_pressed("F1") is A.CALL_NEXT
    assert keypad.key_pressed("F1") is None  # the same press, reported twice
    assert keypad.is_available()
    keypad.close()
    clock.advance(1.0)
    assert keypad.key_pressed("F2") is A.RECALL  # still mapped, but nobody listens
    assert got.actions == [A.FINISH, A.CALL_NEXT]


def test_fake_keypad_presses_by_name_or_action() -> None:
    got = Collected()
    keypad = FakeKeypad()
    keypad.start(got)
    keypad.press("call_next")
    keypad.press(A.NO_SHOW)
    with pytest.raises(KeypadError):
        keypad.press("explode")
    assert got.actions == keypad.pressed == [A.CALL_NEXT, A.NO_SHOW]


def test_keypad_spec() -> None:
    assert isinstance(keypad_from_spec("keyboard"), KeyboardKeypad)
    keypad = keypad_from_spec("serial:/dev/hall-keypad:19200")
    assert isinstance(keypad, SerialKeypad)
    assert not keypad.is_available()
    with pytest.raises(KeypadError) as caught:
        keypad_from_spec("foo")
    assert str(caught.value) == ("keypad spec 'foo' not understood: use serial:DEV[:BAUD] or keyboard")


def test_a_missing_pad_is_an_error_only_when_required(tmp_path: Path) -> None:
    keypad = SerialKeypad(SerialSpec(f"{tmp_path}/hall-keypad"), retry_interval=0.05)
    with pytest.raises(KeypadError, match="cannot open caller keypad"):
        keypad.start(Collected(), required=True)
    keypad.start(Collected())
    assert not keypad.is_available()
    keypad.close()


def test_serial_pad_presses_arrive_as_actions(pty_pair: tuple[str, str]) -> None:
    a, b = pty_pair
    clock = ManualClock()
    got = Collected()
    keypad = SerialKeypad(SerialSpec(a), clock=clock)
    keypad.start(got, required=True)
    try:
        assert keypad.is_available()
        with serial.Serial(b, 9600, timeout=2.0) as pad:
            pad.write(b"1")
            pad.flush()
            assert wait_for(lambda: got.actions == [A.CALL_NEXT])
            pad.write(b"\x02K4\x03")
            pad.flush()
            assert wait_for(lambda: len(got.actions) == 2)
            pad.write(b"\x02K")  # half a frame now, the rest later
            pad.flush()
            pad.write(b"2\x03" + b"?" + b"66")
            pad.flush()
            assert wait_for(lambda: len(got.actions) == 4)
            clock.advance(1.0)
            pad.write(b"7")
            pad.flush()
            assert wait_for(lambda: len(got.actions) == 5)
    finally:
        keypad.close()
    assert got.actions == [A.CALL_NEXT, A.FINISH, A.RECALL, A.PAUSE, A.RESUME]
    assert not keypad.is_available()


def test_a_failing_handler_does_not_lose_the_next_press(pty_pair: tuple[str, str]) -> None:
    a, b = pty_pair
    handled: list[KeypadAction] = []

    def handler(action: KeypadAction) -> None:
        handled.append(action)
        if action is A.CALL_NEXT:
            raise RuntimeError("hub unreachable")

    keypad = SerialKeypad(SerialSpec(a), clock=ManualClock())
    keypad.start(handler, required=True)
    try:
        with serial.Serial(b, 9600, timeout=2.0) as pad:
            pad.write(b"12")
            pad.flush()
            assert wait_for(lambda: handled == [A.CALL_NEXT, A.RECALL])
    finally:
        keypad.close()


def test_a_flood_of_noise_on_a_real_line_is_one_warning_and_the_next_key_acts(
    pty_pair: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    a, b = pty_pair
    got = Collected()
    keypad = SerialKeypad(SerialSpec(a))
    keys = set(b"1234567\x02")
    noise = bytes(byte for byte in random.Random(3).randbytes(200_000) if byte not in keys)
    with caplog.at_level(logging.INFO):
        keypad.start(got, required=True)
        try:
            with serial.Serial(b, 9600, timeout=2.0) as pad:
                pad.write(b"z" * 3000 + noise)
                pad.flush()
                time.sleep(NOISE_QUIET_S + 0.5)  # the flood has been read, the line is quiet
                pad.write(b"\x02K1\x03")
                pad.flush()
                assert wait_for(lambda: got.actions == [A.CALL_NEXT])
        finally:
            keypad.close()
    ours = [r for r in caplog.records if r.name in ("counter.keypad", "hub.serial_link")]
    assert [r for r in ours if r.levelno >= logging.ERROR] == []  # no RecursionError
    warnings = [r.getMessage() for r in ours if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and warnings[0].startswith("keypad: ")
    # a read takes what the pad sent in one go: the warning shows a sample, not the first byte
    assert "b'zzzzzzzzzzzzzzzz'" in warnings[0], warnings[0]
    assert any("more unknown bytes dropped after the warning" in r.getMessage() for r in ours)
