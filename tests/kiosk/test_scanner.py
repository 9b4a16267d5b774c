"""Appointment scanners: keyboard-wedge bursts, and a serial scanner over a real pty pair."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import serial

from hub.serial_link import NOISE_QUIET_S, parse_serial_spec
from kiosk.scanner import (
    SERIAL_GAP_S,
    FakeScanner,
    KeyboardScanner,
    ScannerError,
    SerialScanner,
    clean_code,
    open_scanner,
)
from tests.serial_pair import socat_pair, wait_for


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


@pytest.mark.parametrize("raw", ["\ufffd\ufffd\ufffd", "APT\ufffd42"])
def test_bytes_that_were_not_text_are_no_code(raw: str) -> None:
    assert clean_code(raw) is None


def test_a_code_may_be_any_printable_text() -> None:
    assert clean_code("预约0043") == "预约0043"
    assert clean_code("ＡＰＴ0042") == "ＡＰＴ0042"


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


class Codes:
    def __init__(self) -> None:
        self.codes: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, code: str) -> None:
        with self._lock:
            self.codes.append(code)


@contextmanager
def scanner_line(got: Codes) -> Iterator[serial.Serial]:
    """A serial scanner on the kiosk's end of a pty pair; the test writes as the scanner."""
    with socat_pair() as (scanner_end, kiosk_end):
        scanner = SerialScanner(parse_serial_spec(f"serial:{kiosk_end}"))
        scanner.start(got)
        try:
            assert scanner.is_available()
            with serial.Serial(scanner_end, 9600, timeout=1) as device:
                yield device
        finally:
            scanner.close()


def send(device: serial.Serial, *chunks: bytes) -> None:
    for chunk in chunks:
        device.write(chunk)
    device.flush()


def test_a_serial_scanner_reads_codes_over_a_real_line() -> None:
    got = Codes()
    with scanner_line(got) as device:
        send(device,
             b"APT-20261123-0042\r\n",
             b"\xff\r",  # line noise: not a code
             "预约0043\r".encode())  # a QR code's UTF-8 text is a code
        assert wait_for(lambda: got.codes == ["APT-20261123-0042", "预约0043"])


def test_junk_from_a_serial_scanner_is_dropped_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    got = Codes()
    with caplog.at_level(logging.INFO), scanner_line(got) as device:
        send(device,
             b"ab\r" * 30_000,  # too short to be codes
             b"\xff\xfe\xfd\r" * 100,  # not text: was U+FFFD x 3, "a code"
             b"\xc0" * 1000 + b"\r")  # longer than any code, no end in time
        time.sleep(NOISE_QUIET_S + 0.5)  # the junk has been read, the line is quiet
        send(device, b"880003\r")
        assert wait_for(lambda: got.codes == ["880003"])
    ours = [r for r in caplog.records if r.name == "kiosk.scanner"]
    warnings = [r.getMessage() for r in ours if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].startswith("serial scanner: something that is not a code: b'ab' dropped")
    summaries = [r.getMessage() for r in ours if r.levelno == logging.INFO and "more" in r.getMessage()]
    assert len(summaries) == 1 and "more things that are not codes dropped" in summaries[0]


def test_a_stale_half_code_is_not_glued_to_the_next_one(caplog: pytest.LogCaptureFixture) -> None:
    got = Codes()
    with caplog.at_level(logging.WARNING), scanner_line(got) as device:
        send(device, b"x")  # a scan cut short, or noise
        time.sleep(SERIAL_GAP_S + 0.5)
        send(device, b"880003\r")
        assert wait_for(lambda: got.codes == ["880003"])
        send(device, b"8800")  # a code in two reads, close together, is one code
        time.sleep(SERIAL_GAP_S / 3)
        send(device, b"04\r")
        assert wait_for(lambda: got.codes == ["880003", "880004"])
    warnings = [r.getMessage() for r in caplog.records if r.name == "kiosk.scanner"]
    assert len(warnings) == 1 and "b'x' dropped" in warnings[0]
