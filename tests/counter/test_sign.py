"""The window's LED sign: what it shows, its frames, and a real serial sign through socat."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
import serial

from counter.errors import CounterError, SignError
from counter.sign import (
    PLAIN_FRAMING,
    RS485_FRAMING,
    FakeSign,
    SerialSign,
    SignConfig,
    SignFraming,
    SignKind,
    decode_sign_frame,
    encode_sign_text,
    follow_window,
    open_sign,
    read_sign_config,
    sign_config_from_toml,
    sign_text_for,
)
from hub.serial_link import SerialSpec
from tests.serial_pair import socat_pair, wait_for

FAST_RETRY = 0.05


def window(state: str, current: dict[str, Any] | None = None, number: int = 5) -> dict[str, Any]:
    return {
        "number": number,
        "name": "综合受理 5",
        "zone": "综合服务区",
        "serves": ["hukou"],
        "state": state,
        "clerk": "王芳" if state != "closed" else None,
        "current": current,
    }


def ticket(number: str, state: str) -> dict[str, Any]:
    return {"id": "t1", "number": number, "service": "hukou", "state": state, "window": 5}


@pytest.mark.parametrize(
    ("state", "lang", "kind", "text"),
    [
        (window("open", ticket("A012", "called")), "zh", SignKind.CALL, "请A012号到5号窗口"),
        (window("open", ticket("A012", "called")), "en", SignKind.CALL, "A012 to window 5"),
        (window("open", ticket("B103", "serving")), "zh", SignKind.CALL, "请B103号到5号窗口"),
        (window("open"), "zh", SignKind.IDLE, "5号窗口 欢迎您"),
        (window("open"), "en", SignKind.IDLE, "Window 5 open"),
        (window("open", ticket("A012", "done")), "zh", SignKind.IDLE, "5号窗口 欢迎您"),
        (window("paused", ticket("A012", "serving")), "zh", SignKind.PAUSED, "暂停服务"),
        (window("paused"), "en", SignKind.PAUSED, "Service paused"),
        (window("closed"), "zh", SignKind.CLOSED, "暂停办理"),
        (window("closed"), "en", SignKind.CLOSED, "Window closed"),
    ],
)
def test_sign_follows_the_window(state: dict[str, Any], lang: str, kind: SignKind, text: str) -> None:
    assert sign_text_for(state, 5, lang) == (kind, text)


def test_follow_window_drives_the_sign() -> None:
    sign = FakeSign("zh")
    assert follow_window(sign, window("open", ticket("A012", "called")), 5) is SignKind.CALL
    assert follow_window(sign, window("paused"), 5) is SignKind.PAUSED
    assert follow_window(sign, window("open"), 5) is SignKind.IDLE
    assert follow_window(sign, window("closed"), 5) is SignKind.CLOSED
    assert sign.shown == [
        (SignKind.CALL, "请A012号到5号窗口"),
        (SignKind.PAUSED, "暂停服务"),
        (SignKind.IDLE, "5号窗口 欢迎您"),
        (SignKind.CLOSED, "暂停办理"),
    ]
    assert sign.last == (SignKind.CLOSED, "暂停办理")


def test_fake_sign_reports_availability_and_close() -> None:
    sign = FakeSign("en", available=False)
    assert not sign.is_available()
    sign.available = True
    assert sign.is_available()
    sign.show_call("A001", 2)
    sign.close()
    assert not sign.is_available()
    assert sign.last == (SignKind.CALL, "A001 to window 2")


def test_rs485_frame_layout_by_hand() -> None:
    # STX, address 1, length 2, "A1", xor of 01 02 41 31 = 0x73, ETX
    assert RS485_FRAMING.frame(b"A1") == b"\x02\x01\x02A1\x73\x03"
    summed = SignFraming(prefix=b"\x02", suffix=b"\x03", address=1, length=1, checksum="sum8")
    assert summed.frame(b"A1") == b"\x02\x01\x02A1\x75\x03"
    assert PLAIN_FRAMING.frame("暂停".encode("gb2312")) == "暂停\r\n".encode("gb2312")
    two = SignFraming(prefix=b"", suffix=b"", length=2)
    assert two.frame(b"x" * 300) == b"\x01\x2c" + b"x" * 300


def test_rs485_clear_command_is_an_empty_valid_frame() -> None:
    assert RS485_FRAMING.frame(b"") == RS485_FRAMING.clear


@pytest.mark.parametrize(
    ("frame", "problem"),
    [
        (b"\x02\x01\x02A1\x74\x03", "checksum"),
        (b"\x02\x02\x02A1\x70\x03", "address"),
        (b"\x02\x01\x03A1\x72\x03", "says 3 bytes"),
        (b"\x01\x02A1\x73\x03", "prefix"),
    ],
)
def test_bad_frames_are_refused(frame: bytes, problem: str) -> None:
    with pytest.raises(SignError, match=problem):
        RS485_FRAMING.unframe(frame)


@pytest.mark.parametrize("encoding", ["gb2312", "gbk", "gb18030"])
def test_chinese_text_round_trips(encoding: str) -> None:
    config = SignConfig(framing=RS485_FRAMING, encoding=encoding)  # type: ignore[arg-type]
    frame = encode_sign_text("请A012号到5号窗口", config)
    assert decode_sign_frame(frame, config) == "请A012号到5号窗口"


def test_text_outside_the_encoding_is_replaced_not_fatal() -> None:
    gb2312 = SignConfig(encoding="gb2312")
    assert encode_sign_text("A012 😀 請", gb2312) == b"A012 ? ?\r\n"  # emoji, a traditional form
    ascii_sign = SignConfig(encoding="ascii")
    assert encode_sign_text("请A012号", ascii_sign) == b"?A012?\r\n"
    assert encode_sign_text("A\x07B\tC", ascii_sign) == b"ABC\r\n"


def test_long_text_wraps_at_max_chars() -> None:
    config = SignConfig(framing=RS485_FRAMING, encoding="gb2312")
    frame = encode_sign_text("请A012号到5号窗口办理户籍业务手续谢谢", config)
    assert decode_sign_frame(frame, config) == "请A012号到5号窗口办理户籍业\n务手续谢谢"
    english = SignConfig(framing=RS485_FRAMING, encoding="ascii", lang="en")
    frame = encode_sign_text("Window 12 is closed for lunch", english)
    assert decode_sign_frame(frame, english) == "Window 12 is\nclosed for lunch"


def test_text_too_long_for_the_length_field_is_cut() -> None:
    config = SignConfig(framing=SignFraming(length=1, suffix=b""), encoding="gb2312")
    frame = encode_sign_text("号" * 200, config)
    assert frame[0] == 254 and len(frame) == 255
    assert decode_sign_frame(frame, config) == "号" * 127


def test_sign_settings_from_toml() -> None:
    table = tomllib.loads(
        """
        [sign]
        preset = "rs485"
        encoding = "gbk"
        lang = "en"
        address = 7
        checksum = "sum8"
        prefix = [170, 85]
        suffix = "\\u0003"
        max_chars = 8
        """
    )["sign"]
    config = sign_config_from_toml(table)
    assert config.encoding == "gbk" and config.lang == "en"
    assert config.framing.prefix == b"\xaa\x55"
    assert config.framing.suffix == b"\x03"
    assert config.framing.address == 7 and config.framing.length == 1  # from the preset
    assert config.framing.frame(b"A") == b"\xaa\x55\x07\x01A\x49\x03"
    assert sign_config_from_toml({}) == SignConfig()


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ({"preset": "bright"}, "preset"),
        ({"encoding": "utf-8"}, "encoding"),
        ({"checksum": "crc16"}, "checksum"),
        ({"address": 300}, "address"),
        ({"length": 3}, "length"),
        ({"prefix": "请"}, "prefix"),
        ({"suffix": [1, 256]}, "suffix"),
        ({"max_chars": "8"}, "max_chars"),
        ({"colour": "red"}, "unknown sign keys"),
        ({"lang": "fr"}, "sign key 'lang' is 'fr': there are texts for zh, en"),
        ({"lang": 1}, "'lang' must be a string"),
    ],
)
def test_bad_sign_settings_say_what_is_wrong(table: dict[str, object], problem: str) -> None:
    with pytest.raises(SignError, match=problem) as caught:
        sign_config_from_toml(table)
    assert isinstance(caught.value, CounterError)


def test_sign_settings_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "window-5.toml"
    path.write_text('[sign]\npreset = "rs485"\nencoding = "gb18030"\n', encoding="utf-8")
    assert read_sign_config(path) == SignConfig(framing=RS485_FRAMING, encoding="gb18030")
    with pytest.raises(SignError, match="cannot read"):
        read_sign_config(tmp_path / "missing.toml")


def test_the_counters_device_file_may_hold_the_sign_and_the_keypad(tmp_path: Path) -> None:
    path = tmp_path / "counter-5.toml"
    path.write_text('hub = "ws://hub:8765/"\ndevice = "counter-5"\ntoken = "t"\n'
                    'ca_file = "/etc/hall/hub.pem"\n\n[sign]\nlang = "en"\n\n'
                    '[keypad]\ndebounce_ms = 200\n', encoding="utf-8")
    assert read_sign_config(path) == SignConfig(lang="en")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[sign]\nencodng = "gbk"\n', "unknown sign keys ['encodng']: known are preset, "),
        ('[sign]\nlength = "1"\n', "sign key 'length' must be a whole number"),
        ('[sign]\nlength = 3\n', "sign length field of 3 bytes: use 0, 1 or 2"),
        ('[sign]\nlang = "fr"\n', "sign key 'lang' is 'fr': there are texts for zh, en"),
        ('[sgin]\nencoding = "gbk"\n', "unknown table [sgin]: this file may hold [sign] and [keypad]"),
        ('[sign]\n[sign.extra]\nx = 1\n', "unknown sign keys ['extra']"),
        ('encoding = "gbk"\n[sign]\n', "sign key 'encoding' is above the [sign] header: move it "
                                        "into the [sign] table"),
        ('sign = "rs485"\n', "[sign] must be a table"),
    ],
)
def test_sign_file_errors_name_the_file(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "window-5.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SignError) as caught:
        read_sign_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {problem}")
    assert "\n" not in message


def test_sign_spec_errors_are_plain() -> None:
    with pytest.raises(SignError, match=r"sign spec 'led' not understood: use serial:DEV\[:BAUD\]"):
        open_sign("led")
    assert isinstance(open_sign("fake", SignConfig(lang="en")), FakeSign)


def read_frame(port: serial.Serial, expected: bytes) -> bytes:
    got: bytes = port.read(len(expected))
    return got


@pytest.mark.parametrize("encoding", ["gb2312", "gbk", "gb18030"])
def test_serial_sign_frames_arrive_byte_exact(pty_pair: tuple[str, str], encoding: str) -> None:
    a, b = pty_pair
    config = SignConfig(framing=RS485_FRAMING, encoding=encoding)  # type: ignore[arg-type]
    sign = SerialSign(SerialSpec(a), config)
    assert sign.open(required=True)
    try:
        with serial.Serial(b, 9600, timeout=2.0) as other:
            sign.show_call("A012", 5)
            payload = "请A012号到5号窗口".encode(encoding)
            body = bytes([0x01, len(payload)]) + payload
            check = 0
            for byte in body:
                check ^= byte
            expected = b"\x02" + body + bytes([check]) + b"\x03"
            frame = read_frame(other, expected)
            assert frame == expected
            assert frame[3:-2].decode(encoding) == "请A012号到5号窗口"
            assert decode_sign_frame(frame, config) == "请A012号到5号窗口"

            sign.show_paused(5)
            expected = encode_sign_text("暂停服务", config)
            assert decode_sign_frame(read_frame(other, expected), config) == "暂停服务"
    finally:
        sign.close()


def test_plain_serial_sign_in_english(pty_pair: tuple[str, str]) -> None:
    a, b = pty_pair
    sign = SerialSign(SerialSpec(a), SignConfig(encoding="ascii", lang="en"))
    sign.open(required=True)
    try:
        with serial.Serial(b, 9600, timeout=2.0) as other:
            sign.show_call("A012", 5)
            sign.show_closed(5)
            expected = b"A012 to window 5\r\nWindow closed\r\n"
            assert other.read(len(expected)) == expected
    finally:
        sign.close()


def test_closing_blanks_the_sign(pty_pair: tuple[str, str]) -> None:
    a, b = pty_pair
    sign = SerialSign(SerialSpec(a), SignConfig(framing=RS485_FRAMING))
    sign.open(required=True)
    with serial.Serial(b, 9600, timeout=2.0) as other:
        sign.show_idle(5)
        shown = encode_sign_text("5号窗口 欢迎您", sign.config)
        sign.close()
        assert other.read(len(shown) + 5) == shown + RS485_FRAMING.clear
    assert not sign.is_available()


def test_sign_plugged_in_late_shows_the_last_text(tmp_path: Path) -> None:
    links = (tmp_path / "hall-sign", tmp_path / "host")
    config = SignConfig(framing=RS485_FRAMING)
    sign = SerialSign(SerialSpec(str(links[0])), config, retry_interval=FAST_RETRY)
    assert sign.open() is False
    try:
        sign.show_call("A007", 5)  # nobody there: remembered, no error
        assert sign.text == "请A007号到5号窗口"
        with socat_pair(links) as (_, b), serial.Serial(b, 9600, timeout=2.0) as other:
            assert wait_for(sign.is_available)
            expected = encode_sign_text("请A007号到5号窗口", config)
            assert other.read(len(expected)) == expected
    finally:
        sign.close()
