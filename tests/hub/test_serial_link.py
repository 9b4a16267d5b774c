"""The shared serial link, over a real socat pty pair."""

from __future__ import annotations

import errno
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial

from hub.errors import HubError
from hub.serial_link import (
    DEFAULT_BAUD,
    FrameSplitter,
    NoiseReport,
    SerialLink,
    SerialLinkError,
    SerialPort,
    SerialSpec,
    parse_serial_spec,
)
from tests.serial_pair import SocatPair, socat_pair, wait_for

FAST_RETRY = 0.05


@pytest.fixture
def pair() -> Iterator[tuple[str, str]]:
    with socat_pair() as paths:
        yield paths


class Received:
    """Collects what a link's thread delivers."""

    def __init__(self) -> None:
        self.data = b""
        self.connects = 0
        self._lock = threading.Lock()

    def on_data(self, data: bytes) -> None:
        with self._lock:
            self.data += data

    def on_connect(self) -> None:
        self.connects += 1


def open_other_end(path: str) -> serial.Serial:
    return serial.Serial(path, DEFAULT_BAUD, timeout=2.0)


@pytest.mark.parametrize(
    ("spec", "device", "baud"),
    [
        ("serial:/dev/ttyUSB0", "/dev/ttyUSB0", 9600),
        ("serial:/dev/hall-sign:19200", "/dev/hall-sign", 19200),
        ("serial:COM3:115200", "COM3", 115200),
        (
            "serial:/dev/serial/by-path/pci-0000:00:14.0-usb-0:1.2:1.0-port0",
            "/dev/serial/by-path/pci-0000:00:14.0-usb-0:1.2:1.0-port0",
            9600,
        ),
        (  # a CDC-ACM scanner's by-path name has no -port0
            "serial:/dev/serial/by-path/pci-0000:00:14.0-usb-0:1:1.0",
            "/dev/serial/by-path/pci-0000:00:14.0-usb-0:1:1.0",
            9600,
        ),
        (
            "serial:/dev/serial/by-path/pci-0000:00:14.0-usb-0:1.2:1.0-port0:19200",
            "/dev/serial/by-path/pci-0000:00:14.0-usb-0:1.2:1.0-port0",
            19200,
        ),
        (
            "serial:/dev/serial/by-id/usb-Espressif_JTAG_7C:DF:A1:00:11:22-if00",
            "/dev/serial/by-id/usb-Espressif_JTAG_7C:DF:A1:00:11:22-if00",
            9600,
        ),
    ],
)
def test_spec_names_device_and_baud(spec: str, device: str, baud: int) -> None:
    assert parse_serial_spec(spec) == SerialSpec(device, baud)


@pytest.mark.parametrize(
    "spec", ["foo", "serial:", "serial", "usb:1a86:7523", "serial:/dev/x:", "serial::9600", ":9"]
)
def test_spec_not_understood_is_said_plainly(spec: str) -> None:
    with pytest.raises(SerialLinkError) as caught:
        parse_serial_spec(spec, what="keypad", alternatives=("keyboard",))
    assert str(caught.value) == (f"keypad spec {spec!r} not understood: use serial:DEV[:BAUD] or keyboard")
    assert isinstance(caught.value, HubError)


@pytest.mark.parametrize(
    ("spec", "baud"),
    [
        ("serial:DEV:abc", "abc"),
        ("serial:/dev/hall-sign:-5", "-5"),
        ("serial:/dev/hall-sign:0", "0"),
        ("serial:/dev/hall-sign:96k", "96k"),
        ("serial:/dev/hall-sign:+9600", "+9600"),
        ("serial:/dev/hall-sign:4000001", "4000001"),
        ("serial:/dev/hall-sign:²", "²"),  # a digit to str.isdigit, not to int()
        ("serial:/dev/hall-sign:１２００", "１２００"),
    ],
)
def test_a_baud_rate_that_is_not_a_positive_whole_number_is_a_spec_error(
    spec: str, baud: str
) -> None:
    with pytest.raises(SerialLinkError) as caught:
        parse_serial_spec(spec, what="sign", alternatives=("fake",))
    assert str(caught.value) == (
        f"sign spec {spec!r} not understood: the baud rate {baud!r} must be a whole number from 1 "
        "to 4000000 (9600, 19200, 115200…); use serial:DEV[:BAUD] or fake"
    )


def test_spec_prints_back_as_a_spec() -> None:
    assert str(parse_serial_spec("serial:/dev/hall-keypad")) == "serial:/dev/hall-keypad:9600"


def test_bytes_go_both_ways(pair: tuple[str, str]) -> None:
    a, b = pair
    got = Received()
    link = SerialLink(parse_serial_spec(f"serial:{a}"), on_data=got.on_data)
    assert not link.is_available()
    assert link.open(required=True)
    try:
        with open_other_end(b) as other:
            link.write(b"\x02hello\x03")
            assert other.read(7) == b"\x02hello\x03"
            other.write(bytes(range(256)))
            other.flush()
            assert wait_for(lambda: len(got.data) >= 256)
            assert got.data == bytes(range(256))
    finally:
        link.close()
    assert not link.is_available()


def test_a_missing_device_is_an_error_only_when_required(tmp_path: Path) -> None:
    spec = SerialSpec(str(tmp_path / "hall-sign"))
    link = SerialLink(spec, retry_interval=FAST_RETRY)
    with pytest.raises(SerialLinkError, match="cannot open"):
        link.open(required=True)
    assert link.open() is False
    try:
        assert not link.is_available()
        with pytest.raises(SerialLinkError, match="not connected"):
            link.write(b"x")
    finally:
        link.close()


def test_a_path_that_is_no_serial_device_is_said_plainly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    passwd = tmp_path / "passwd"
    passwd.write_text("root:x:0:0::/root:/bin/sh\n")
    missing = tmp_path / "hall-sign"
    cases = [
        (passwd, f"{passwd} is not a serial device (a file or another kind of device)"),
        (tmp_path, f"{tmp_path} is not a serial device: it is a folder"),
        (missing, f"no such device {missing} (not plugged in, or no udev rule gives it this name?)"),
    ]
    for path, problem in cases:
        link = SerialLink(SerialSpec(str(path)), name="window sign", retry_interval=60)
        with pytest.raises(SerialLinkError) as caught:
            link.open(required=True)
        assert str(caught.value) == f"cannot open window sign at serial:{path}:9600: {problem}"
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="hub.serial_link"):
            assert link.open() is False
            link.close()
        warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert warnings == [f"{caught.value}; will keep trying"]


class Refusing:
    """An opener that fails as pyserial does, with an error number a test can change."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.calls = 0

    def __call__(self, spec: SerialSpec) -> SerialPort:
        self.calls += 1
        text = errno.errorcode[self.number]
        raise serial.SerialException(self.number, f"could not open port {spec.device}: {text}")


def test_retries_warn_again_only_when_the_reason_changes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    opener = Refusing(errno.ENOENT)
    link = SerialLink(SerialSpec("/dev/hall-sign"), name="window sign", opener=opener,
                      retry_interval=FAST_RETRY)
    with caplog.at_level(logging.DEBUG, logger="hub.serial_link"):
        link.open()
        try:
            assert wait_for(lambda: opener.calls >= 4)
            opener.number = errno.EACCES  # plugged in, but the user may not open it
            calls = opener.calls
            assert wait_for(lambda: opener.calls >= calls + 4)
        finally:
            link.close()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "cannot open window sign at serial:/dev/hall-sign:9600: no such device /dev/hall-sign "
        "(not plugged in, or no udev rule gives it this name?); will keep trying",
        "cannot open window sign at serial:/dev/hall-sign:9600: permission denied on "
        "/dev/hall-sign (is this app's user in the dialout group?); will keep trying",
    ]
    assert sum(r.levelno == logging.DEBUG for r in caplog.records) >= 6


def test_pyserial_refusing_settings_becomes_our_error(pair: tuple[str, str]) -> None:
    link = SerialLink(SerialSpec(pair[0], baud=-5))
    with pytest.raises(SerialLinkError) as caught:
        link.open(required=True)
    assert isinstance(caught.value.__cause__, ValueError)


class BrokenPort:
    """A port whose cable is cut the moment anything is written."""

    in_waiting = 0

    def __init__(self) -> None:
        self.closed = False

    def read(self, size: int = 1) -> bytes:
        return b""

    def write(self, data: bytes) -> int | None:
        raise serial.SerialTimeoutException("Write timeout")

    def flush(self) -> None:
        return None

    def close(self) -> None:
        self.closed = True


def test_a_failed_write_is_our_error_and_marks_the_device_lost() -> None:
    port = BrokenPort()
    link = SerialLink(SerialSpec("/dev/hall-sign"), opener=lambda spec: port, retry_interval=60)
    link.open(required=True)
    try:
        with pytest.raises(SerialLinkError, match="write failed") as caught:
            link.write(b"x")
        assert isinstance(caught.value.__cause__, serial.SerialException)
        assert not link.is_available()
        assert port.closed
    finally:
        link.close()


def test_device_appearing_later_is_picked_up(tmp_path: Path) -> None:
    links = (tmp_path / "hall-keypad", tmp_path / "host")
    got = Received()
    link = SerialLink(
        SerialSpec(str(links[0])),
        on_data=got.on_data,
        on_connect=got.on_connect,
        retry_interval=FAST_RETRY,
    )
    assert link.open() is False
    try:
        with socat_pair(links) as (_, b), open_other_end(b) as other:
            assert wait_for(link.is_available)
            assert wait_for(lambda: got.connects == 1)  # on_connect follows the port opening
            other.write(b"5")
            other.flush()
            assert wait_for(lambda: got.data == b"5")
    finally:
        link.close()


def test_link_reconnects_when_the_device_comes_back(tmp_path: Path) -> None:
    links = (tmp_path / "hall-sign", tmp_path / "host")
    socat = SocatPair(links)
    got = Received()
    _, b = socat.start()
    link = SerialLink(
        SerialSpec(str(links[0])),
        on_data=got.on_data,
        on_connect=got.on_connect,
        retry_interval=FAST_RETRY,
    )
    try:
        assert link.open(required=True)
        socat.stop()  # the USB-serial adapter is pulled out
        assert wait_for(lambda: not link.is_available())
        with pytest.raises(SerialLinkError):
            link.write(b"lost")
        socat.start()  # and plugged in again
        assert wait_for(link.is_available)
        assert wait_for(lambda: got.connects == 2)  # on_connect follows the port opening
        with open_other_end(b) as other:
            link.write(b"back")
            assert other.read(4) == b"back"
            other.write(b"ok")
            other.flush()
            assert wait_for(lambda: got.data == b"ok")
    finally:
        link.close()
        socat.close()


def test_an_unplugged_device_is_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    links = (tmp_path / "hall-keypad", tmp_path / "host")
    socat = SocatPair(links)
    socat.start()
    link = SerialLink(SerialSpec(str(links[0])), name="caller keypad", retry_interval=FAST_RETRY)
    try:
        assert link.open(required=True)
        with caplog.at_level(logging.WARNING, logger="hub.serial_link"):
            socat.stop()  # the USB-serial adapter is pulled out
            assert wait_for(lambda: not link.is_available())
            time.sleep(10 * FAST_RETRY)  # several attempts to open it again
        warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(warnings) == 1
        assert warnings[0].startswith(f"caller keypad at serial:{links[0]}:9600 lost (unplugged?)")
        socat.start()
        assert wait_for(link.is_available)
    finally:
        link.close()
        socat.close()


def test_a_failing_callback_does_not_stop_the_reader(pair: tuple[str, str]) -> None:
    a, b = pair
    seen: list[bytes] = []

    def on_data(data: bytes) -> None:
        seen.append(data)
        if len(seen) == 1:
            raise RuntimeError("the app choked on it")

    with SerialLink(SerialSpec(a), on_data=on_data), open_other_end(b) as other:
        other.write(b"1")
        other.flush()
        assert wait_for(lambda: len(seen) == 1)
        other.write(b"2")
        other.flush()
        assert wait_for(lambda: b"".join(seen) == b"12")


def test_link_opens_again_after_close(pair: tuple[str, str]) -> None:
    a, b = pair
    link = SerialLink(SerialSpec(a))
    link.open(required=True)
    link.close()
    assert link.open(required=True)
    try:
        with open_other_end(b) as other:
            link.write(b"again")
            assert other.read(5) == b"again"
    finally:
        link.close()


@pytest.mark.parametrize(
    ("chunks", "frames"),
    [
        ([b"6901234567892\r\n"], [b"6901234567892"]),
        ([b"A1\rB2\nC3\r\n"], [b"A1", b"B2", b"C3"]),
        ([b"https://hall/ap", b"pt?c=42", b"\r", b"\n"], [b"https://hall/appt?c=42"]),
        ([b"\r\n\r\n"], []),
    ],
)
def test_splitter_cuts_scanner_codes(chunks: list[bytes], frames: list[bytes]) -> None:
    splitter = FrameSplitter()
    out: list[bytes] = []
    for chunk in chunks:
        out += splitter.feed(chunk)
    assert out == frames
    assert splitter.pending == b""


def test_splitter_keeps_an_unfinished_code_until_it_ends() -> None:
    splitter = FrameSplitter()
    assert splitter.feed(b"12345") == []
    assert splitter.pending == b"12345"
    splitter.reset()
    assert splitter.feed(b"678\n") == [b"678"]


def test_splitter_with_start_byte_drops_noise_before_it() -> None:
    splitter = FrameSplitter(b"\x03", start=b"\x02")
    assert splitter.feed(b"noise\x02K1\x03\x02K") == [b"K1"]
    assert splitter.feed(b"2\x03junk\x03") == [b"K2"]


def test_splitter_throws_away_endless_lines() -> None:
    splitter = FrameSplitter(max_length=8)
    assert splitter.feed(b"0123456789abcdef") == []
    assert splitter.feed(b"rest of it\nok\n") == [b"ok"]


class Clock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def test_splitter_with_a_gap_drops_a_stale_half_frame() -> None:
    clock = Clock()
    dropped: list[tuple[str, bytes]] = []
    splitter = FrameSplitter(gap=0.3, clock=clock, on_drop=lambda why, data: dropped.append((why, data)))
    assert splitter.feed(b"x") == []
    clock.now += 2.0
    assert splitter.feed(b"880003\r") == [b"880003"]
    assert dropped == [("half a frame with nothing more for over 0.3 s", b"x")]
    assert splitter.feed(b"8800") == []
    clock.now += 0.1
    assert splitter.feed(b"04\r") == [b"880004"]  # close together: one frame


def test_splitter_without_a_gap_waits_for_the_end() -> None:
    clock = Clock()
    splitter = FrameSplitter(clock=clock)
    assert splitter.feed(b"x") == []
    clock.now += 60.0
    assert splitter.feed(b"880003\r") == [b"x880003"]


def test_noise_report_warns_once_per_burst(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    log = logging.getLogger("tests.noise")
    noise = NoiseReport(log, "scanner", "frames", quiet=1.0, clock=clock)
    with caplog.at_level(logging.INFO, logger="tests.noise"):
        for _ in range(1000):
            noise.junk(1, "%r dropped", b"ab")
            clock.now += 0.001
            noise.clear()  # a good frame inside the burst does not end it
        clock.now += 0.5
        noise.junk(1, "%r dropped", b"cd")
        clock.now += 1.5
        noise.clear()
        noise.junk(2, "%r dropped", b"ef")
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", "scanner: b'ab' dropped (more frames are not logged until the line is clear "
                    "for 1 s; many of them mean line noise, a loose cable or a wrong baud rate)"),
        ("INFO", "scanner: 1000 more frames dropped after the warning about them"),
        ("WARNING", "scanner: b'ef' dropped (more frames are not logged until the line is clear "
                    "for 1 s; many of them mean line noise, a loose cable or a wrong baud rate)"),
    ]


def test_splitter_needs_a_terminator() -> None:
    with pytest.raises(ValueError):
        FrameSplitter(b"")
