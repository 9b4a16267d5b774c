"""Appointment scanners: keyboard-wedge bursts, and a serial scanner over a real pty pair."""

from __future__ import annotations

import threading

import pytest
import serial

from hub.serial_link import parse_serial_spec
from kiosk.scanner import (
    FakeScanner,
    KeyboardScanner,
    ScannerError,
    SerialScanner,
    clean_code,
    open_scanner,
)
from tests.serial_pair import socat_pair


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_of_keys_ended_by_enter_is_one_code() -> None:
    ticks = Ticks()
    codes: list[str] = []
    scanner = KeyboardScanner(ticks)
    scanner.start(codes.append)
    for char in "APT0042":
        assert scanner.feed(char) is None
        ticks.now += 0.01
    assert scanner.feed("\r") == "APT0042"
    assert codes == ["APT0042"]


def test_a_stale_half_code_is_dropped_and_short_noise_is_not_a_code() -> None:
    ticks = Ticks()
    scanner = KeyboardScanner(ticks)
    for char in "999":
        scanner.feed(char)
    ticks.now += 5  # a pause: the next burst is a new code
    for char in "12345":
        scanner.feed(char)
    assert scanner.feed("\n") == "12345"
    scanner.feed("7")
    assert scanner.feed("\t") is None  # one stray key is not a code


def test_codes_are_cleaned() -> None:
    assert clean_code("  ABC-123\x00 ") == "ABC-123"
    assert clean_code("ab") is None
    assert clean_code("x" * 65) is None


def test_scanner_specs() -> None:
    assert open_scanner(None) is None and open_scanner("") is None
    assert isinstance(open_scanner("keyboard"), KeyboardScanner)
    serial_scanner = open_scanner("serial:/dev/ttyACM0:115200")
    assert isinstance(serial_scanner, SerialScanner)
    assert serial_scanner.spec.baud == 115200
    with pytest.raises(ScannerError, match="keyboard"):
        open_scanner("usb:1234")


def test_the_fake_scanner_hands_on_codes_until_closed() -> None:
    codes: list[str] = []
    fake = FakeScanner()
    fake.start(codes.append)
    fake.scan("A1B2")
    fake.close()
    fake.scan("C3D4")
    assert codes == ["A1B2"] and not fake.is_available()


def test_a_serial_scanner_reads_codes_over_a_real_line() -> None:
    got: list[str] = []
    arrived = threading.Event()

    def on_code(code: str) -> None:
        got.append(code)
        if len(got) == 2:
            arrived.set()

    with socat_pair() as (scanner_end, kiosk_end):
        scanner = SerialScanner(parse_serial_spec(f"serial:{kiosk_end}"))
        scanner.start(on_code)
        try:
            assert scanner.is_available()
            with serial.Serial(scanner_end, 9600, timeout=1) as device:
                device.write(b"APT-20261123-0042\r\n")
                device.write(b"\xff\r")  # line noise: not a code
                device.write("预约0043\r".encode())
                device.flush()
            assert arrived.wait(5)
        finally:
            scanner.close()
    assert got == ["APT-20261123-0042", "预约0043"]
