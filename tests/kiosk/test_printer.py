"""Ticket printer backends: SPEC parsing, real status bytes, and tickets over a real serial line,
a real TCP socket and a real file."""

from __future__ import annotations

import logging
import re
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import serial
from PySide6.QtGui import QImage

from kiosk.errors import (
    KioskError,
    PrinterError,
    PrinterNotReadyError,
    PrinterOfflineError,
    PrinterSpecError,
)
from kiosk.model import PRINT_RETRY_S, KioskModel, Screen
from kiosk.printer import (
    SPEC_HELP,
    WRITE_TIMEOUT_S,
    EscposPrinter,
    FakePrinter,
    PreviewPrinter,
    TicketPrinter,
    open_printer,
    parse_spec,
)
from kiosk.printer_status import PrinterStatus, status_from_replies
from kiosk.raster import ensure_qt_app, ticket_image
from kiosk.ticket import PrintMode, TicketContent, ticket_bytes
from kiosk.ui.printjobs import InlinePrintJobs
from tests.fakes import FakeClock
from tests.kiosk.escpos_decode import decode
from tests.kiosk.fake_printers import (
    COVER_OPEN,
    NEAR_END,
    PAPER_OUT,
    READY,
    STATUS_REQUESTS,
    FakeNetPrinter,
    StatusRequests,
    answer_with,
    garbage,
)
from tests.kiosk.test_model import RecordingBus, snapshot, ticket
from tests.serial_pair import SocatPair, socat_pair, wait_for

TICKET = TicketContent(
    hall_name="县政务服务中心",
    hall_name_en="County Government Service Center",
    service_name="医保业务",
    service_name_en="Medical insurance",
    number="C007",
    ticket_id="T20261123-C007-01aa",
    ahead=5,
    est_wait_min=30,
    issued_at=datetime(2026, 11, 23, 2, 0, tzinfo=UTC),
    timezone="Asia/Shanghai",
)

GARBAGE = [b"\xff\x00garbage", b"garbage!" * 8192]  # a short answer, and a 64 KB flood


@pytest.fixture(scope="module", autouse=True)
def qt() -> None:
    ensure_qt_app()


# --- SPEC --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "kind", "args"),
    [
        ("preview:/tmp/tickets", "preview", ("/tmp/tickets",)),
        ("usb:0416:5011", "usb", (0x0416, 0x5011)),
        ("usb:0x04b8:0x0e15", "usb", (0x04B8, 0x0E15)),
        ("serial:/dev/ttyUSB0", "serial", ("/dev/ttyUSB0", 9600)),
        ("serial:/dev/ttyS1:19200", "serial", ("/dev/ttyS1", 19200)),
        ("net:192.168.1.50", "net", ("192.168.1.50", 9100)),
        ("net:printer.lan:9101", "net", ("printer.lan", 9101)),
        ("net:[fe80::1]:9100", "net", ("fe80::1", 9100)),
        ("net:printer.lan:65535", "net", ("printer.lan", 65535)),
        ("file:/dev/usb/lp0", "file", ("/dev/usb/lp0",)),
    ],
)
def test_spec_is_parsed(spec: str, kind: str, args: tuple[object, ...]) -> None:
    assert parse_spec(spec) == (kind, args)


@pytest.mark.parametrize(
    "spec",
    ["xyz", "lpt:1", "usb:0416", "usb:zz:5011", "usb:10000:1", "net:", "net:host:port",
     "serial:", "preview:", "serial:/dev/ttyS0:0", "net:host:0", "net:host:99999",
     "net:[::1]:65536", "net:host:²", "serial:/dev/ttyS0:²", "net:host:９１００"],
)
def test_bad_spec_is_refused_with_the_forms_that_work(spec: str) -> None:
    with pytest.raises(PrinterSpecError) as caught:
        open_printer(spec)
    message = str(caught.value)
    assert f"printer spec {spec!r} not understood" in message
    assert SPEC_HELP in message
    assert isinstance(caught.value, PrinterError) and isinstance(caught.value, KioskError)


def test_no_spec_is_a_preview_in_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    printer = open_printer(None, "image", 80)
    assert isinstance(printer, PreviewPrinter)
    assert printer.directory == tmp_path / "hall-kiosk" / "tickets"
    assert (printer.mode, printer.paper) == (PrintMode.IMAGE, 80)


def test_paper_must_be_58_or_80() -> None:
    with pytest.raises(PrinterSpecError, match="58 or 80"):
        open_printer("preview:/tmp/x", "text", 76)


# --- status bytes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("replies", "status"),
    [
        (READY, PrinterStatus.OK),
        (NEAR_END, PrinterStatus.PAPER_NEAR_END),
        (PAPER_OUT, PrinterStatus.PAPER_OUT),
        ({1: 0x12, 2: 0x12, 4: 0x72}, PrinterStatus.PAPER_OUT),
        (COVER_OPEN, PrinterStatus.COVER_OPEN),
        ({1: 0x1A, 2: 0x12, 4: 0x12}, PrinterStatus.OFFLINE),
        ({1: None, 2: None, 4: None}, PrinterStatus.OFFLINE),
        ({1: 0xFF, 2: 0x12, 4: 0x12}, PrinterStatus.UNREADABLE),
        ({1: 0x12, 2: 0x00, 4: 0x12}, PrinterStatus.UNREADABLE),
        ({1: 0xFF, 2: None, 4: None}, PrinterStatus.UNREADABLE),
    ],
)
def test_status_from_real_time_replies(replies: dict[int, int | None], status: PrinterStatus) -> None:
    assert status_from_replies(replies[1], replies[2], replies[4]) is status


def test_answers_that_cannot_be_read_stop_printing_but_a_printer_that_cannot_say_does_not() -> None:
    assert not PrinterStatus.UNREADABLE.can_print
    assert PrinterStatus.UNKNOWN.can_print


# --- serial, through a socat pty pair ----------------------------------------------------------


@pytest.fixture
def serial_line() -> Iterator[tuple[str, serial.Serial]]:
    """(the printer's end for the kiosk, the other end opened as the "printer")."""
    with socat_pair() as (kiosk_end, printer_end):
        port = serial.Serial(printer_end, 19200, timeout=0.1)
        try:
            yield kiosk_end, port
        finally:
            port.close()


class StatusAnswerer(threading.Thread):
    """The printer's side of DLE EOT: answers each request with the byte for its ``n``."""

    def __init__(self, port: serial.Serial, replies: dict[int, int]) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.replies = replies
        self.requests: list[bytes] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            request = self.port.read(3)
            if len(request) == 3 and request[:2] == b"\x10\x04":
                self.requests.append(request)
                self.port.write(bytes([self.replies[request[2]]]))


class Receiver(threading.Thread):
    """The printer's side of the line taking data as fast as it comes, as a real one does, and
    answering DLE EOT with ``replies`` (``None``: a printer that never answers)."""

    def __init__(self, port: serial.Serial, replies: dict[int, int] | None = READY) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.replies = replies
        self.data = bytearray()
        self.stop = threading.Event()

    def run(self) -> None:
        requests = StatusRequests()
        while not self.stop.is_set():
            chunk = self.port.read(65536)
            self.data.extend(chunk)
            for n in requests.feed(chunk):
                if self.replies is not None:
                    self.port.write(bytes([self.replies[n]]))


@pytest.mark.parametrize("mode", list(PrintMode))
def test_serial_printer_gets_the_exact_bytes(
    serial_line: tuple[str, serial.Serial], mode: PrintMode
) -> None:
    kiosk_end, port = serial_line
    receiver = Receiver(port)
    receiver.start()
    printer = open_printer(f"serial:{kiosk_end}:19200", mode, 58)
    try:
        assert printer.is_available()
        sent = printer.print_content(TICKET)
        assert sent == ticket_bytes(TICKET, mode, 58)
        assert wait_for(lambda: len(receiver.data) >= len(sent), timeout=10)
        # the ticket, then the status requests that confirm the printer took it
        assert bytes(receiver.data) == sent + STATUS_REQUESTS
        # time for the line to send it: an image ticket at 19200 baud takes 30 s and more
        assert isinstance(printer, EscposPrinter) and printer._device is not None
        assert printer._device.device.write_timeout == pytest.approx(
            WRITE_TIMEOUT_S + len(sent) * 10 / 19200)
    finally:
        printer.close()
        receiver.stop.set()
        receiver.join(timeout=5)
    if mode is PrintMode.TEXT:
        assert "C007" in decode(sent).text


def test_serial_printer_that_takes_a_ticket_without_confirming_it_has_not_printed(
    serial_line: tuple[str, serial.Serial],
) -> None:
    kiosk_end, port = serial_line
    receiver = Receiver(port, replies=None)
    receiver.start()
    printer = open_printer(f"serial:{kiosk_end}:19200")
    assert isinstance(printer, EscposPrinter)
    printer.confirm_timeout = 0.5
    try:
        with pytest.raises(PrinterOfflineError, match="did not confirm the ticket"):
            printer.print_content(TICKET)
    finally:
        printer.close()
        receiver.stop.set()
        receiver.join(timeout=5)
    assert bytes(receiver.data).startswith(ticket_bytes(TICKET, PrintMode.TEXT, 58))


@pytest.mark.parametrize(
    ("replies", "status"),
    [(PAPER_OUT, PrinterStatus.PAPER_OUT), (READY, PrinterStatus.OK),
     (NEAR_END, PrinterStatus.PAPER_NEAR_END), (COVER_OPEN, PrinterStatus.COVER_OPEN)],
)
def test_serial_status_is_asked_with_dle_eot(
    serial_line: tuple[str, serial.Serial], replies: dict[int, int], status: PrinterStatus
) -> None:
    kiosk_end, port = serial_line
    answerer = StatusAnswerer(port, replies)
    answerer.start()
    printer = open_printer(f"serial:{kiosk_end}:19200")
    try:
        assert printer.status() is status
    finally:
        printer.close()
        answerer.stop.set()
        answerer.join(timeout=5)
    assert answerer.requests == [b"\x10\x04\x01", b"\x10\x04\x02", b"\x10\x04\x04"]


def test_serial_printer_that_does_not_answer_is_offline(
    serial_line: tuple[str, serial.Serial],
) -> None:
    kiosk_end, port = serial_line
    printer = open_printer(f"serial:{kiosk_end}")
    assert isinstance(printer, EscposPrinter)
    printer.status_timeout = 0.2
    try:
        assert printer.status() is PrinterStatus.OFFLINE
    finally:
        printer.close()
    assert port.read(3) == b"\x10\x04\x01"  # it did ask


def test_a_serial_printer_pulled_out_while_open_is_offline_and_closes_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A hung-up line fails tcflush and tcdrain with termios.error, which is no OSError: it
    must still be "offline" (it came out as "unknown", which the kiosk tries, and went on
    issuing tickets it could not print)."""
    pair = SocatPair()
    try:
        kiosk_end, printer_end = pair.start()
        with serial.Serial(printer_end, 19200, timeout=0.1) as port:
            answerer = StatusAnswerer(port, READY)
            answerer.start()
            printer = open_printer(f"serial:{kiosk_end}:19200")
            assert isinstance(printer, EscposPrinter)
            assert printer.status() is PrinterStatus.OK
            answerer.stop.set()
            answerer.join(timeout=5)
        pair.stop()  # the cable is pulled; the kiosk's end of the line is still open
        with caplog.at_level(logging.DEBUG, logger="kiosk.printer"):
            assert printer.status() is PrinterStatus.OFFLINE
            assert "failed: Input/output error" in printer.status_detail()
            with pytest.raises(PrinterOfflineError) as caught:
                printer.print_content(TICKET)
            assert "\n" not in str(caught.value)
            printer.close()
        assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    finally:
        pair.close()


def test_missing_serial_port_is_offline_and_printing_fails_plainly(tmp_path: Path) -> None:
    printer = open_printer(f"serial:{tmp_path}/ttyUSB9")
    assert not printer.is_available()
    assert printer.status() is PrinterStatus.OFFLINE
    assert printer.status_detail() == (f"cannot open printer serial {tmp_path}/ttyUSB9: "
                                      "no such serial device")
    with pytest.raises(PrinterOfflineError, match="cannot open printer serial") as caught:
        printer.print_content(TICKET)
    assert "no such serial device" in str(caught.value) and "\n" not in str(caught.value)


def test_a_file_that_is_not_a_serial_port_is_offline_and_says_so(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a port")
    printer = open_printer(f"serial:{tmp_path}/notes.txt")
    assert printer.status() is PrinterStatus.OFFLINE
    assert "is not a serial device" in printer.status_detail()


# --- network, through a real socket on localhost -----------------------------------------------


@pytest.fixture
def net_printer() -> Iterator[FakeNetPrinter]:
    with FakeNetPrinter(answer_with(NEAR_END)) as server:
        yield server


def test_network_printer_gets_the_exact_bytes_and_answers_status(
    net_printer: FakeNetPrinter,
) -> None:
    printer = open_printer(net_printer.spec, "text", 80)
    assert printer.is_available()
    sent = printer.print_content(TICKET)
    # the ticket, then on the same connection the status requests that confirm it was taken
    assert bytes(net_printer.received) == sent + STATUS_REQUESTS
    assert printer.status() is PrinterStatus.PAPER_NEAR_END
    assert printer.status_detail() == ""
    printer.close()


def test_a_network_printer_at_an_ipv6_address_prints() -> None:
    """net:[ADDR]:PORT is accepted, so it must work (python-escpos opens IPv4 sockets only)."""
    with FakeNetPrinter(answer_with(READY), host="::1") as server:
        assert server.spec.startswith("net:[::1]:")
        printer = open_printer(server.spec, "text", 58)
        try:
            assert printer.status() is PrinterStatus.OK
            sent = printer.print_content(TICKET)
            assert bytes(server.received).startswith(STATUS_REQUESTS + sent)
        finally:
            printer.close()


@pytest.mark.parametrize("mode", list(PrintMode))
def test_network_printer_hanging_up_in_the_middle_of_a_ticket_has_not_printed(
    mode: PrintMode,
) -> None:
    mid_ticket = 4096 if mode is PrintMode.IMAGE else 512  # a text ticket is under 1 KB
    assert len(ticket_bytes(TICKET, mode, 80)) > mid_ticket
    with FakeNetPrinter(answer_with(READY), hang_up_after=mid_ticket) as server:
        printer = open_printer(server.spec, mode, 80)
        assert printer.status() is PrinterStatus.OK  # it answers while there is no ticket
        with pytest.raises(PrinterOfflineError) as caught:
            printer.print_content(TICKET)
        assert server.hung_up == 1
    message = str(caught.value)
    assert message.startswith(f"printer net 127.0.0.1:{server.port} ")
    # usually the bytes were all in the socket's buffers before it closed; if not, sending failed
    assert "did not confirm the ticket" in message or "stopped taking data" in message
    assert "\n" not in message


def test_network_printer_that_never_confirms_a_ticket_has_not_printed() -> None:
    with FakeNetPrinter(None) as server:
        printer = open_printer(server.spec)
        assert isinstance(printer, EscposPrinter)
        printer.confirm_timeout = 0.3
        with pytest.raises(PrinterOfflineError, match=r"did not confirm the ticket .*0\.3 s"):
            printer.print_content(TICKET)
        assert bytes(server.received) == ticket_bytes(TICKET, PrintMode.TEXT, 58) + b"\x10\x04\x01"


def test_network_printer_out_of_paper_after_a_ticket_has_not_printed_it() -> None:
    length = len(ticket_bytes(TICKET, PrintMode.TEXT, 58))

    def paper_ends_in_the_ticket(n: int, taken: int) -> bytes:
        return bytes([(PAPER_OUT if taken > length else READY)[n]])

    with FakeNetPrinter(paper_ends_in_the_ticket) as server:
        printer = open_printer(server.spec)
        assert printer.status() is PrinterStatus.OK
        with pytest.raises(PrinterNotReadyError, match="paper_out") as caught:
            printer.print_content(TICKET)
    assert caught.value.status is PrinterStatus.PAPER_OUT


def kiosk_on(printer: TicketPrinter) -> tuple[KioskModel, RecordingBus, FakeClock]:
    """The kiosk's view-model printing on ``printer`` (in this thread), its hub a recording."""
    clock = FakeClock()
    bus = RecordingBus()
    model = KioskModel(bus, InlinePrintJobs(printer), clock=clock,
                       monotonic=lambda: clock.now().timestamp())
    model.on_status(True, "connected")
    model.on_snapshot(7, snapshot())
    return model, bus, clock


def test_the_kiosk_retries_and_reports_a_ticket_the_network_printer_hung_up_on() -> None:
    with FakeNetPrinter(answer_with(READY), hang_up_after=512) as server:
        model, bus, clock = kiosk_on(open_printer(server.spec))
        model.choose_department("hrss")
        model.choose_service("social")
        bus.answer("issue", True, {"ticket": ticket("C010")})
        assert model.screen is Screen.UNPRINTED and model.unprinted_number == "C010"
        assert {"printer": "offline", "unprinted": "C010"} in bus.statuses()
        server.hang_up_after = None  # the printer is fixed
        clock.advance(PRINT_RETRY_S)
        model.tick()
        assert model.screen is Screen.DONE and model.unprinted_number is None
        assert {"printer": "ok", "reprinted": "C010"} in bus.statuses()
        assert server.hung_up == 1


def test_a_ticket_cut_short_by_the_paper_end_is_sent_again_only_with_a_new_roll() -> None:
    """Out of paper, a printer keeps what it is sent: sent every 3 s for three minutes, the
    ticket came out sixty times over when the roll was changed."""
    paper = {"in": True}

    def answer(n: int, taken: int) -> bytes:
        return bytes([(READY if paper["in"] else PAPER_OUT)[n]])

    with FakeNetPrinter(answer) as server:
        model, bus, clock = kiosk_on(open_printer(server.spec))
        model.choose_department("hrss")
        model.choose_service("social")
        paper["in"] = False  # the roll ends in the middle of the ticket
        bus.answer("issue", True, {"ticket": ticket("C010")})
        assert model.screen is Screen.UNPRINTED and model.printer_status is PrinterStatus.PAPER_OUT
        once = ticket_bytes(model.ticket_content(ticket("C010")), PrintMode.TEXT, 58).count(b"C010")
        for _ in range(20):  # a minute of the UNPRINTED screen
            clock.advance(PRINT_RETRY_S)
            model.tick()
        assert bytes(server.received).count(b"C010") == once
        paper["in"] = True  # the new roll
        clock.advance(PRINT_RETRY_S)
        model.tick()
        assert model.screen is Screen.DONE and model.unprinted_number is None
        assert bytes(server.received).count(b"C010") == 2 * once
        assert {"printer": "ok", "reprinted": "C010"} in bus.statuses()


@pytest.mark.parametrize("answer", GARBAGE, ids=["short", "flood"])
def test_the_kiosk_issues_nothing_while_the_printer_answers_garbage(answer: bytes) -> None:
    with FakeNetPrinter(garbage(answer)) as server:
        model, bus, _ = kiosk_on(open_printer(server.spec))
        model.choose_department("hrss")
        model.choose_service("social")
        assert model.screen is Screen.OUT_OF_SERVICE
        assert not bus.ops("issue")
        assert {"printer": "unreadable"} in bus.statuses()


@pytest.mark.parametrize("answer", GARBAGE, ids=["short", "flood"])
def test_network_printer_answering_garbage_cannot_print(
    answer: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with FakeNetPrinter(garbage(answer)) as server:
        printer = open_printer(server.spec)
        caplog.set_level(logging.INFO, logger="kiosk")
        assert printer.status() is PrinterStatus.UNREADABLE
        assert not printer.status().can_print
        assert "not ESC/POS status" in printer.status_detail()
        assert server.spec[4:] in printer.status_detail()
        with pytest.raises(PrinterNotReadyError) as caught:
            printer.print_content(TICKET)
        assert caught.value.status is PrinterStatus.UNREADABLE
    assert server.requests[0] == 1


def test_garbage_answers_are_logged_once_per_change_not_on_every_poll(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def warnings() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]

    with FakeNetPrinter(garbage(b"\xff\x00garbage")) as server:
        printer = open_printer(server.spec)
        caplog.set_level(logging.INFO, logger="kiosk")
        for _ in range(3):
            assert printer.status() is PrinterStatus.UNREADABLE
        assert len(warnings()) == 1
        assert "not ESC/POS status" in warnings()[0] and "ff 00 67" in warnings()[0]
        server.answer = answer_with(READY)
        assert printer.status() is PrinterStatus.OK
        server.answer = garbage(b"\x00")
        assert printer.status() is PrinterStatus.UNREADABLE
        assert printer.status() is PrinterStatus.UNREADABLE
        assert len(warnings()) == 2


def test_unreachable_network_printer_is_offline() -> None:
    with socket.create_server(("127.0.0.1", 0)) as closed:
        port = closed.getsockname()[1]
    printer = open_printer(f"net:127.0.0.1:{port}")
    assert not printer.is_available()
    assert printer.status() is PrinterStatus.OFFLINE
    assert "Connection refused" in printer.status_detail()
    with pytest.raises(PrinterOfflineError, match=re.escape("cannot open printer net 127.0.0.1")):
        printer.print_ticket(b"\x1b@")


# --- file and USB ------------------------------------------------------------------------------


def test_file_printer_writes_the_ticket(tmp_path: Path) -> None:
    target = tmp_path / "lp0"
    printer = open_printer(f"file:{target}", "image", 58)
    assert printer.is_available()
    sent = printer.print_content(TICKET)
    assert target.read_bytes() == sent
    assert printer.status() is PrinterStatus.UNKNOWN  # a file cannot say whether paper is left


def test_missing_line_printer_device_is_offline() -> None:
    printer = open_printer("file:/dev/usb/no-such-lp9")
    assert not printer.is_available()
    assert printer.status() is PrinterStatus.OFFLINE
    assert printer.status_detail() == "cannot open printer file /dev/usb/no-such-lp9: no such device"
    with pytest.raises(PrinterOfflineError, match="no-such-lp9"):
        printer.print_content(TICKET)


@pytest.mark.parametrize(("where", "why"), [("missing/lp0", "does not exist"),
                                             (".", "is a folder")])
def test_a_file_printer_that_cannot_be_written_is_offline_and_says_why(
    tmp_path: Path, where: str, why: str
) -> None:
    printer = open_printer(f"file:{tmp_path / where}")
    assert not printer.is_available()
    assert printer.status() is PrinterStatus.OFFLINE
    assert why in printer.status_detail()
    with pytest.raises(PrinterOfflineError, match=why):
        printer.print_content(TICKET)


def test_absent_usb_printer_is_offline() -> None:
    printer = open_printer("usb:0416:5011")
    assert not printer.is_available()
    assert printer.status() is PrinterStatus.OFFLINE
    assert "no USB device 0416:5011 is connected" in printer.status_detail()  # pyusb is there
    with pytest.raises(PrinterOfflineError, match="usb 0416:5011"):
        printer.print_content(TICKET)


# --- preview and fake --------------------------------------------------------------------------


@pytest.mark.parametrize("mode", list(PrintMode))
def test_preview_writes_bytes_and_the_paper_picture(tmp_path: Path, mode: PrintMode) -> None:
    printer = open_printer(f"preview:{tmp_path}/out", mode, 58)
    assert printer.is_available() and printer.status() is PrinterStatus.OK
    sent = printer.print_content(TICKET)
    assert (tmp_path / "out" / "C007.bin").read_bytes() == sent == ticket_bytes(TICKET, mode, 58)
    png = QImage(str(tmp_path / "out" / "C007.png"))
    assert png.width() == 384
    if mode is PrintMode.IMAGE:
        raster = decode(sent).image()
        grey = png.convertToFormat(QImage.Format.Format_Grayscale8)
        assert raster.rows == [[grey.pixelColor(x, y).value() < 128 for x in range(grey.width())]
                               for y in range(grey.height())]
        assert png == ticket_image(TICKET, 58).convertToFormat(png.format())


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="needs Linux's /proc")
def test_a_preview_folder_that_cannot_be_written_is_offline(tmp_path: Path) -> None:
    """Found by a file actually made: /proc lets root write by its permission bits, but no file
    can be made there, so a kiosk told preview:/proc/x takes no number it cannot print."""
    assert open_printer("preview:/proc/nope").status() is PrinterStatus.OFFLINE
    assert open_printer(f"preview:{tmp_path}/new/folder").status() is PrinterStatus.OK
    assert list(tmp_path.iterdir()) == []  # the check leaves nothing behind


def test_preview_set_to_paper_out_refuses_to_print(tmp_path: Path) -> None:
    printer = open_printer(f"preview:{tmp_path}")
    assert isinstance(printer, PreviewPrinter)
    printer.set_status(PrinterStatus.PAPER_OUT)
    assert printer.status() is PrinterStatus.PAPER_OUT
    with pytest.raises(PrinterNotReadyError) as caught:
        printer.print_content(TICKET)
    assert caught.value.status is PrinterStatus.PAPER_OUT
    assert list(tmp_path.iterdir()) == []


def test_fake_printer_records_and_can_be_unplugged() -> None:
    fake = FakePrinter()
    printer: TicketPrinter = fake
    sent = printer.print_content(TICKET)
    assert fake.printed == [sent] and fake.contents == [TICKET]
    fake.set_status(PrinterStatus.PAPER_NEAR_END)
    printer.print_ticket(b"\x1b@")
    fake.available = False
    assert printer.status() is PrinterStatus.OFFLINE and not printer.is_available()
    with pytest.raises(PrinterOfflineError):
        printer.print_ticket(b"\x1b@")
    fake.available = True
    fake.set_status(PrinterStatus.COVER_OPEN)
    with pytest.raises(PrinterNotReadyError):
        printer.print_ticket(b"\x1b@")
    printer.close()
    assert fake.closed and len(fake.printed) == 2
