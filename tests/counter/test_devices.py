"""The window's devices wired to the bus: the sign follows the hub, the keypad drives the clerk.

The last test runs the whole chain on real serial lines (two socat pty pairs) and a real hub:
bytes typed on the caller keypad's line make calls happen, and the calls make the expected
frames appear on the LED sign's line.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import serial
from pytestqt.qtbot import QtBot

from counter.devices import DeviceWatch, KeypadBridge, SignFollower
from counter.keypad import FakeKeypad, KeypadAction, KeypadConfig, SerialKeypad
from counter.main import CounterApp, main
from counter.model import ClerkModel
from counter.sign import RS485_FRAMING, FakeSign, SerialSign, SignConfig, SignKind, decode_sign_frame
from hub.client import DeviceSettings
from hub.qtbus import QtBus
from hub.serial_link import SerialSpec
from tests.counter.test_model import RecordingBus, called, event, make, snapshot, window
from tests.hubproc import HubProcess
from tests.qtpeer import WAIT, QtPeer
from tests.serial_pair import socat_pair


def test_the_sign_follows_the_snapshot_and_the_events() -> None:
    sign = FakeSign("zh")
    follower = SignFollower(sign, 1)
    follower.on_snapshot(1, snapshot(window(state="closed")))
    assert sign.last == (SignKind.CLOSED, "暂停办理")
    follower.on_event(event("window_changed", window=window()))
    assert sign.last == (SignKind.IDLE, "1号窗口 欢迎您")
    follower.on_event(event("ticket_called", ticket=called("C001"), window=1, calls=1))
    follower.on_event(event("ticket_called", ticket=called("C001"), window=1, calls=2))
    assert sign.shown[-2:] == [(SignKind.CALL, "请C001号到1号窗口")] * 2
    follower.on_event(event("ticket_called", ticket={**called("A001"), "window": 4}, window=4))
    follower.on_event(event("window_changed", window=window(4, state="paused")))
    assert sign.last == (SignKind.CALL, "请C001号到1号窗口")
    follower.on_event(event("window_changed", window=window(state="paused", current=called())))
    assert sign.last == (SignKind.PAUSED, "暂停服务")
    assert follower.shown is SignKind.PAUSED


def test_a_paused_window_s_sign_says_paused_through_a_recall() -> None:
    """The counter refuses a recall while paused, but another device (the admin's) may do one:
    the window still calls nobody, so its sign keeps "paused" until it resumes."""
    sign = FakeSign("zh")
    follower = SignFollower(sign, 1)
    follower.on_snapshot(1, snapshot(window(state="paused", current=called())))
    assert sign.last == (SignKind.PAUSED, "暂停服务")
    follower.on_event(event("ticket_called", ticket={**called(), "calls": 2}, window=1, calls=2))
    assert sign.last == (SignKind.PAUSED, "暂停服务") and follower.shown is SignKind.PAUSED
    follower.on_event(event("window_changed", window=window(current=called())))
    assert sign.last == (SignKind.CALL, "请C001号到1号窗口")
    follower.on_event(event("ticket_called", ticket={**called(), "calls": 3}, window=1, calls=3))
    assert sign.shown == [(SignKind.PAUSED, "暂停服务")] + [(SignKind.CALL, "请C001号到1号窗口")] * 2


def test_a_sign_without_a_window_shows_nothing() -> None:
    sign = FakeSign("zh")
    follower = SignFollower(sign)
    follower.on_snapshot(1, snapshot())
    follower.on_event(event("ticket_called", ticket=called(), window=1, calls=1))
    assert sign.shown == []


def test_device_watch_reports_changes_only() -> None:
    bus = RecordingBus()
    sign, keypad = FakeSign(), FakeKeypad()
    watch = DeviceWatch(bus)
    watch.add("sign", sign)
    watch.add("keypad", keypad)
    assert watch.check() == {"sign": "ok", "keypad": "ok"}
    assert watch.check() == {}
    sign.available = False
    assert watch.check() == {"sign": "offline"}
    assert [(s.op, s.params) for s in bus.sent] == [
        ("device_status", {"status": {"sign": "ok", "keypad": "ok"}}),
        ("device_status", {"status": {"sign": "offline"}}),
    ]
    bus.reply(False, {"code": "unavailable", "message": "x"})
    assert watch.check() == {"sign": "offline", "keypad": "ok"}  # not taken: sent again
    assert watch.check(force=True) == {"sign": "offline", "keypad": "ok"}


def test_keypad_keys_reach_the_view_model(qtbot: QtBot) -> None:
    model, bus, _ = make(window(current=called()))
    keypad = FakeKeypad()
    bridge = KeypadBridge(keypad)
    bridge.pressed.connect(model.press)
    bridge.start()
    with qtbot.waitSignal(bridge.pressed, timeout=1000):
        keypad.press("recall")
    assert [(s.op, s.params) for s in bus.sent] == [("recall", {"window": 1})]
    bridge.close()
    keypad.press(KeypadAction.FINISH)
    assert len(bus.sent) == 1


class SignLine:
    """The far end of the sign's serial line: collects frames and decodes them."""

    def __init__(self, path: str, config: SignConfig) -> None:
        self.port = serial.Serial(path, 9600, timeout=0)
        self.config = config
        self.buffer = b""
        self.texts: list[str] = []

    def poll(self) -> list[str]:
        self.buffer += self.port.read(4096)
        framing = self.config.framing
        while True:
            start = self.buffer.find(framing.prefix)
            if start < 0 or len(self.buffer) < start + 3:
                break
            length = self.buffer[start + 2]
            end = start + 3 + length + 2
            if len(self.buffer) < end:
                break
            frame, self.buffer = self.buffer[start:end], self.buffer[end:]
            self.texts.append(decode_sign_frame(frame, self.config))
        return self.texts

    def last(self) -> str | None:
        texts = self.poll()
        return texts[-1] if texts else None

    def close(self) -> None:
        self.port.close()


@pytest.fixture
def keypad_pair() -> Iterator[tuple[str, str]]:
    with socat_pair() as paths:
        yield paths


def start_counter(qtbot: QtBot, hub: HubProcess, sign: SerialSign, keypad: SerialKeypad | None
                  ) -> tuple[CounterApp, QtBus]:
    bus = QtBus(DeviceSettings(hub.url, "counter-1", hub.tokens["counter-1"]))
    app = CounterApp(bus, lang="zh", sign=sign, keypad=keypad)
    qtbot.addWidget(app.window)
    bus.start()
    qtbot.waitUntil(lambda: app.model.synced, timeout=WAIT)
    return app, bus


def test_keypad_bytes_make_calls_and_calls_make_sign_frames(
    qtbot: QtBot, hub: HubProcess, pty_pair: tuple[str, str], keypad_pair: tuple[str, str]
) -> None:
    config = SignConfig(framing=RS485_FRAMING, encoding="gb2312", lang="zh")
    sign_end, far_sign = pty_pair
    keypad_end, far_keypad = keypad_pair
    line = SignLine(far_sign, config)
    pad = serial.Serial(far_keypad, 9600, timeout=0)
    admin = QtPeer(qtbot, hub, "admin-1")
    sign = SerialSign(SerialSpec(sign_end), config, retry_interval=0.05)
    sign.open(required=True)
    # no debounce: this test presses the same key again within the usual 0.3 s
    keypad = SerialKeypad(SerialSpec(keypad_end), KeypadConfig(debounce=0.0), retry_interval=0.05)
    app, bus = start_counter(qtbot, hub, sign, keypad)
    model: ClerkModel = app.model
    try:
        qtbot.waitUntil(lambda: line.last() == "暂停办理", timeout=WAIT)  # window 1 is closed

        model.sign_in("1001", "1234")
        qtbot.waitUntil(lambda: line.last() == "1号窗口 欢迎您", timeout=WAIT)

        number = admin.ask("issue", service="social")["ticket"]["number"]
        pad.write(b"1")  # the call key
        qtbot.waitUntil(lambda: line.last() == f"请{number}号到1号窗口", timeout=WAIT)
        current: dict[str, Any] = model.current or {}
        assert current["number"] == number

        calls_shown = line.texts.count(f"请{number}号到1号窗口")
        pad.write(b"\x02K2\x03")  # the recall key, framed
        qtbot.waitUntil(lambda: line.poll().count(f"请{number}号到1号窗口") == calls_shown + 1,
                        timeout=WAIT)
        # the sign follows the bus's events, the clerk's screen its replies too: either may be
        # first
        qtbot.waitUntil(lambda: model.current is not None and model.current["calls"] == 2,
                        timeout=WAIT)

        pad.write(b"4\r\n")  # finish
        qtbot.waitUntil(lambda: line.last() == "1号窗口 欢迎您", timeout=WAIT)
        assert admin.ask("find", ticket=number)["ticket"]["state"] == "done"

        pad.write(b"6")  # pause
        qtbot.waitUntil(lambda: line.last() == "暂停服务", timeout=WAIT)
        qtbot.waitUntil(lambda: model.paused, timeout=WAIT)

        # the sign follows the bus, not the clerk: another device resumes the window
        admin.ask("resume", window=1)
        qtbot.waitUntil(lambda: line.last() == "1号窗口 欢迎您", timeout=WAIT)

        devices = admin.ask("sync")["snapshot"]["devices"]
        assert devices["counter-1"] == {"sign": "ok", "keypad": "ok"}

        second = admin.ask("issue", service="social")["ticket"]["number"]
        pad.write(b"1")
        qtbot.waitUntil(lambda: line.last() == f"请{second}号到1号窗口", timeout=WAIT)
    finally:
        bus.stop()
        app.close()

    # the client restarts: the new one puts the window's state back on the sign from the hub
    qtbot.waitUntil(lambda: line.last() == "", timeout=WAIT)  # closing blanked the sign
    sign = SerialSign(SerialSpec(sign_end), config, retry_interval=0.05)
    sign.open(required=True)
    app, bus = start_counter(qtbot, hub, sign, None)
    try:
        qtbot.waitUntil(lambda: line.last() == f"请{second}号到1号窗口", timeout=WAIT)
    finally:
        bus.stop()
        app.close()
        admin.bus.stop()
        pad.close()
        line.close()


DEVICE_ARGS = ["--device", "counter-1", "--token", "x"]


class AppMustNotStart:
    """Stands in for QApplication: a file that should have been refused must not start the app."""

    @staticmethod
    def instance() -> None:
        raise AssertionError("hall-counter took the file and started")


@pytest.mark.parametrize(
    ("option", "text", "problem"),
    [
        ("--sign-config", '[sign]\nencodng = "gbk"\n', "unknown sign keys ['encodng']: known are "),
        ("--sign-config", '[sign]\nlength = "1"\n', "sign key 'length' must be a whole number"),
        ("--sign-config", '[sgin]\nencoding = "gbk"\n', "unknown table [sgin]: this file may hold "),
        ("--sign-config", '[sign]\nlang = "fr"\n', "sign key 'lang' is 'fr': there are texts for "),
        ("--keypad-config", "[keypad]\nbogus = 1\n", "unknown keypad keys ['bogus']: known are "),
        ("--keypad-config", '[keypad.keys]\ncall_now = "1"\n', "keypad action 'call_now' unknown"),
        ("--keypad-config", "[kepad]\ndebounce_ms = 200\n", "unknown table [kepad]: this file "),
        ("--keypad-config", "debounce_ms = 200\n", "keypad key 'debounce_ms' is above the [keypad] "),
    ],
)
def test_a_wrong_sign_or_keypad_file_is_one_line_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    option: str, text: str, problem: str
) -> None:
    monkeypatch.setattr("counter.main.QApplication", AppMustNotStart)
    path = tmp_path / "counter-1.toml"
    path.write_text(text, encoding="utf-8")
    assert main([*DEVICE_ARGS, "--sign", "fake", option, str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"hall-counter: {path}: {problem}")
