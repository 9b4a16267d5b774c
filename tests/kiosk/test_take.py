"""``hall-kiosk --take SERVICE`` end to end: a real hub, the real preview printer, real bytes."""

from __future__ import annotations

import contextlib
import socket
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QImage

from kiosk.main import main
from kiosk.printer import EscposPrinter
from kiosk.ticket import PrintMode
from tests.hubproc import HubProcess, self_signed
from tests.kiosk.escpos_decode import decode
from tests.kiosk.fake_printers import (
    COVER_OPEN,
    PAPER_OUT,
    READY,
    STATUS_REQUESTS,
    FakeNetPrinter,
    answer_with,
    garbage,
)


def bus_args(hub: HubProcess, device: str = "kiosk-1") -> list[str]:
    return ["--hub", hub.url, "--device", device, "--token", hub.tokens[device]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("mode", ["text", "image"])
def test_take_prints_a_ticket_into_the_preview_folder(
        hub: HubProcess, tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: str) -> None:
    folder = tmp_path / "tickets"
    code = main(["--take", "social", "--printer", f"preview:{folder}", "--print-mode", mode,
                 "--lang", "en", *bus_args(hub)])
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[-1] == "C001"
    data = (folder / "C001.bin").read_bytes()
    assert data.startswith(b"\x1b@")
    decoded = decode(data)
    assert decoded.cuts == 1
    image = QImage(str(folder / "C001.png"))
    assert not image.isNull() and image.width() == 384
    if mode == "text":
        assert decoded.qr_codes == ["20261123-C001"] or decoded.qr_codes[0].endswith("-C001")
        assert "C001" in decoded.text and "Social insurance" in decoded.text
        assert "社会保险" in decoded.text
    else:
        assert decoded.image().width == 384
    assert "C001" in lines[0] and str(folder) in lines[1]
    assert lines[0].startswith("ticket C001: Social insurance (")  # --lang en: English first


def test_a_second_take_is_the_next_number(hub: HubProcess, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    for _ in range(2):
        assert main(["--take", "hukou", "--printer", f"preview:{tmp_path / 't'}", *bus_args(hub)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "A002"
    assert sorted(p.name for p in (tmp_path / "t").glob("*")) == ["A001.bin", "A001.png", "A002.bin",
                                                          "A002.png"]


def test_an_unknown_service_is_one_plain_line(hub: HubProcess, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--take", "passport", "--printer", f"preview:{tmp_path / 't'}", *bus_args(hub)])
    out, err = capsys.readouterr()
    assert code != 0 and out == ""
    lines = err.strip().splitlines()
    assert lines[-1].startswith("hall-kiosk: ") and "passport" in lines[-1]
    assert not list((tmp_path / "t").glob("*"))


def test_an_offline_printer_issues_nothing(hub: HubProcess, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--take", "social", "--printer", f"net:127.0.0.1:{free_port()}", *bus_args(hub)])
    _, err = capsys.readouterr()
    assert code != 0 and "printer" in err.strip().splitlines()[-1]
    assert main(["--take", "social", "--printer", f"preview:{tmp_path / 't'}", *bus_args(hub)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "C001"  # nothing was issued before


def one_failure_line(capsys: pytest.CaptureFixture[str]) -> str:
    """The one line a failed --take leaves on stderr (and nothing on stdout)."""
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hall-kiosk: "), err
    return lines[0]


def next_number_is(hub: HubProcess, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                   number: str) -> None:
    assert main(["--take", "social", "--printer", f"preview:{tmp_path / 'next'}", *bus_args(hub)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == number


@pytest.mark.parametrize("mode", [m.value for m in PrintMode])
def test_a_network_printer_confirming_the_ticket_prints_it(
        hub: HubProcess, mode: str, capsys: pytest.CaptureFixture[str]) -> None:
    with FakeNetPrinter(answer_with(READY)) as printer:
        code = main(["--take", "social", "--printer", printer.spec, "--print-mode", mode,
                     *bus_args(hub)])
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[-1] == "C001"
    printed = int(lines[1].split()[1])  # "printed N bytes to the printer"
    received, asked = bytes(printer.received), len(STATUS_REQUESTS)
    assert received[:asked] == STATUS_REQUESTS  # can it print?
    ticket = received[asked:asked + printed]
    assert received[asked + printed:] == STATUS_REQUESTS  # after the ticket: did it take it?
    assert ticket.startswith(b"\x1b@") and decode(ticket).cuts == 1


@pytest.mark.parametrize("mode", [m.value for m in PrintMode])
def test_a_network_printer_hanging_up_mid_ticket_is_an_unprinted_ticket(
        hub: HubProcess, tmp_path: Path, mode: str, capsys: pytest.CaptureFixture[str]) -> None:
    mid_ticket = 4096 if mode == "image" else 512  # a text ticket is under 1 KB
    with FakeNetPrinter(answer_with(READY), hang_up_after=mid_ticket) as printer:
        code = main(["--take", "social", "--printer", printer.spec, "--print-mode", mode,
                     *bus_args(hub)])
    assert code != 0
    line = one_failure_line(capsys)
    assert "ticket C001 was issued but not printed" in line
    assert f"net 127.0.0.1:{printer.port}" in line
    assert printer.hung_up == 1
    next_number_is(hub, tmp_path, capsys, "C002")  # C001 was issued: the hub counted it


@pytest.mark.parametrize("answer", [b"\xff\x00garbage", b"garbage!" * 8192],
                         ids=["short", "flood"])
def test_a_printer_answering_garbage_issues_nothing(
        hub: HubProcess, tmp_path: Path, answer: bytes, capsys: pytest.CaptureFixture[str]) -> None:
    with FakeNetPrinter(garbage(answer)) as printer:
        code = main(["--take", "social", "--printer", printer.spec, *bus_args(hub)])
    assert code != 0
    line = one_failure_line(capsys)
    assert "the printer cannot print (unreadable" in line and "no ticket was issued" in line
    assert "not ESC/POS status" in line and f"127.0.0.1:{printer.port}" in line
    next_number_is(hub, tmp_path, capsys, "C001")


def _serial_missing(tmp_path: Path) -> tuple[str, str]:
    return f"serial:{tmp_path}/ttyUSB9", "no such serial device"


def _serial_not_a_port(tmp_path: Path) -> tuple[str, str]:
    (tmp_path / "notes.txt").write_text("not a port")
    return f"serial:{tmp_path}/notes.txt", "is not a serial device"


def _file_in_no_folder(tmp_path: Path) -> tuple[str, str]:
    return f"file:{tmp_path}/missing/lp0", f"folder {tmp_path}/missing does not exist"


def _file_is_a_folder(tmp_path: Path) -> tuple[str, str]:
    return f"file:{tmp_path}", "is a folder"


def _usb_absent(tmp_path: Path) -> tuple[str, str]:
    # pyusb and libusb are installed with the hall (a USB printer is looked for, not refused)
    return "usb:0416:5011", "no USB device 0416:5011 is connected"


def _net_refused(tmp_path: Path) -> tuple[str, str]:
    port = free_port()
    return f"net:127.0.0.1:{port}", f"net 127.0.0.1:{port}: Connection refused"


def _preview_in_a_file(tmp_path: Path) -> tuple[str, str]:
    (tmp_path / "notes").write_text("not a folder")
    return f"preview:{tmp_path}/notes", f"the preview folder {tmp_path}/notes cannot be made"


@pytest.mark.parametrize(("replies", "said"), [(PAPER_OUT, "(out of paper"),
                                               (COVER_OPEN, "(cover open")])
def test_a_printer_out_of_paper_or_open_is_said_in_words(
        hub: HubProcess, tmp_path: Path, replies: dict[int, int], said: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The technician's line says "out of paper", not the hub's code paper_out."""
    with FakeNetPrinter(answer_with(replies)) as printer:
        assert main(["--take", "social", "--printer", printer.spec, *bus_args(hub)]) != 0
    line = one_failure_line(capsys)
    assert line.startswith(f"hall-kiosk: the printer cannot print {said}"), line
    next_number_is(hub, tmp_path, capsys, "C001")


@pytest.mark.parametrize("case", [_serial_missing, _serial_not_a_port, _file_in_no_folder,
                                  _file_is_a_folder, _usb_absent, _net_refused,
                                  _preview_in_a_file],
                         ids=lambda case: case.__name__.strip("_"))
def test_a_printer_that_cannot_print_says_why_in_the_one_line(
        hub: HubProcess, tmp_path: Path, case: object,
        capsys: pytest.CaptureFixture[str]) -> None:
    spec, why = case(tmp_path)  # type: ignore[operator]
    assert main(["--take", "social", "--printer", spec, *bus_args(hub)]) != 0
    line = one_failure_line(capsys)
    assert line.startswith("hall-kiosk: the printer cannot print (offline: ")
    assert why in line and line.endswith("no ticket was issued")
    next_number_is(hub, tmp_path, capsys, "C001")


@pytest.mark.parametrize("port", ["0", "65536", "99999"])
def test_a_network_port_out_of_range_is_one_plain_line(
        port: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--take", "social", "--printer", f"net:127.0.0.1:{port}", "--device", "k",
                 "--token", "t"])
    assert code != 0
    line = one_failure_line(capsys)
    assert f"printer spec 'net:127.0.0.1:{port}' not understood" in line
    assert "1-65535" in line


def test_an_unreachable_hub_is_one_plain_line(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--take", "social", "--printer", f"preview:{tmp_path / 't'}",
                 "--hub", f"ws://127.0.0.1:{free_port()}/", "--device", "kiosk-1", "--token", "x"])
    _, err = capsys.readouterr()
    assert code != 0
    assert "unreachable" in err.strip().splitlines()[-1]


def test_a_hub_name_that_cannot_be_found_is_said_in_words(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """"[Errno -2] Name or service not known" became words and what to check. (The resolver
    is this machine's: its answer for a name that is nowhere is given here, not looked up.)"""
    real = socket.getaddrinfo

    def nowhere(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "no-such-hall-hub.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", nowhere)
    code = main(["--take", "social", "--printer", f"preview:{tmp_path / 't'}",
                 "--hub", "ws://no-such-hall-hub.invalid:8765/", "--device", "kiosk-1",
                 "--token", "x"])
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert code != 0 and "name cannot be found" in last and "Errno" not in last, last


def test_wss_to_a_plain_port_says_what_to_check(
        hub: HubProcess, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """wss:// to a port that answers in plain text said "it is not a usable PEM file (wrong
    version number)", as if --ca-file were wrong; to the plain hub, that the connection was
    cut. Both now say to check ws:// or wss:// and the port."""
    plain = socket.create_server(("127.0.0.1", 0))
    port = plain.getsockname()[1]

    def answer() -> None:  # an HTTP server, say, on the port given by mistake
        with contextlib.suppress(OSError):
            while True:
                conn, _ = plain.accept()
                with conn:
                    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    threading.Thread(target=answer, daemon=True).start()
    try:
        for url, words in ((f"wss://127.0.0.1:{port}/", "secure connection failed"),
                           (hub.url.replace("ws://", "wss://"), "cut while opening it")):
            assert main(["--take", "social", "--printer", f"preview:{tmp_path / 't'}",
                         "--hub", url, "--device", "kiosk-1", "--token", "x"]) != 0
            last = capsys.readouterr().err.strip().splitlines()[-1]
            assert words in last and "ws:// or wss://" in last and "PEM" not in last, last
    finally:
        plain.close()


def test_take_from_a_wss_hub_trusting_its_certificate(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cert, key = self_signed(tmp_path / "tls")
    hub = HubProcess(tmp_path / "hub", extra=("--cert", str(cert), "--key", str(key)))
    hub.enroll_standard().start()
    try:
        assert hub.url.startswith("wss://")
        take = ["--take", "social", "--printer", f"preview:{tmp_path / 't'}", *bus_args(hub)]
        assert main([*take, "--ca-file", str(cert)]) == 0
        assert capsys.readouterr().out.strip().splitlines()[-1] == "C001"
        # without it, the system's certificates do not vouch for the hall's own
        assert main(take) != 0
        last = capsys.readouterr().err.strip().splitlines()[-1]
        assert "cannot connect" in last and "not trusted" in last and "--ca-file" in last
        assert main([*take, "--ca-file", str(tmp_path / "nowhere.pem")]) != 0
        assert "nowhere.pem" in capsys.readouterr().err.strip().splitlines()[-1]
        # ws:// to it: the line says what to check (it said "did not receive a valid HTTP
        # response" alone)
        plain = [a.replace("wss://", "ws://") for a in take]
        assert main(plain) != 0
        last = capsys.readouterr().err.strip().splitlines()[-1]
        assert "unreachable" in last and "ws:// or wss://" in last, last
    finally:
        hub.stop()


def test_take_with_a_token_the_hub_refuses_stops_at_once(
        hub: HubProcess, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Retrying will not mend a refused token: the one-shot run says so without waiting out
    its connect timeout."""
    assert main(["--take", "social", "--printer", f"preview:{tmp_path / 't'}", "--hub", hub.url,
                 "--device", "kiosk-1", "--token", "0" * 48]) != 0
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert "cannot connect" in last and "token" in last, last  # not "unreachable": no wait
    assert not (tmp_path / "t").exists()


def test_take_with_another_role_s_token_says_which_role_it_needs(
        hub: HubProcess, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A kiosk given a counter's name and token connected and worked as that counter."""
    assert main(["--take", "social", "--printer", f"preview:{tmp_path / 't'}", "--hub", hub.url,
                 "--device", "counter-1", "--token", hub.tokens["counter-1"]]) != 0
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert "cannot connect" in last and "counter-1 is enrolled with the role counter" in last, last
    assert "--role kiosk" in last
    assert not (tmp_path / "t").exists()
    # an admin's may take a test ticket (as the hub lets an admin issue)
    assert main(["--take", "social", "--printer", f"preview:{tmp_path / 't'}", "--hub", hub.url,
                 "--device", "admin-1", "--token", hub.tokens["admin-1"]]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "C001"


def test_take_from_a_wss_hub_whose_certificate_is_for_another_name(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Trusted, but issued for hall-hub, not 127.0.0.1: the address is what is wrong."""
    cert, key = self_signed(tmp_path / "tls", name="hall-hub", alt="DNS:hall-hub")
    hub = HubProcess(tmp_path / "hub", extra=("--cert", str(cert), "--key", str(key)))
    hub.enroll_standard().start()
    try:
        assert main(["--take", "social", "--printer", f"preview:{tmp_path / 't'}",
                     *bus_args(hub), "--ca-file", str(cert)]) != 0
        last = capsys.readouterr().err.strip().splitlines()[-1]
        assert "not for this address" in last and "subjectAltName" in last, last
    finally:
        hub.stop()


@pytest.mark.parametrize("argv", [["--paper", "70"], ["--print-mode", "foo"], ["--lang", "fr"],
                                  ["--take"], ["--take", ""], ["--take", " "]])
def test_a_mistaken_flag_is_one_plain_line(argv: list[str],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--take", "social", "--device", "k", "--token", "t", *argv])
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and err.startswith("hall-kiosk: ")
    assert argv[0] in err


def test_a_ticket_issued_but_failing_to_print_in_any_way_still_says_its_number(
        hub: HubProcess, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Not only printer errors: whatever goes wrong after the hub issued the ticket, the one
    line names the number (the citizen's place in the queue) and the hub hears it is unprinted."""
    def broken(self: object, data: bytes) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(EscposPrinter, "print_ticket", broken)
    with FakeNetPrinter(answer_with(READY)) as printer:
        assert main(["--take", "social", "--printer", printer.spec, *bus_args(hub)]) == 1
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert "ticket C001 was issued but not printed: RuntimeError: boom" in last, last


def test_a_take_prints_nothing_on_stderr_unless_asked(
        hub: HubProcess, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A script reads stdout, a technician the one line of a failure: no log chatter by default."""
    take = ["--take", "hukou", "--printer", f"preview:{tmp_path / 't'}", *bus_args(hub)]
    assert main(take) == 0
    assert capsys.readouterr().err == ""
    assert main([*take, "--log-level", "INFO"]) == 0
    assert "bus connected" in capsys.readouterr().err


def test_bad_arguments_are_one_plain_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--take", "social", "--printer", "lpt:1", "--device", "k", "--token", "t"])
    assert code != 0
    assert "printer spec 'lpt:1' not understood" in capsys.readouterr().err
    settings = tmp_path / "kiosk.toml"
    settings.write_text('idle_seconds = 1\n')
    assert main(["--settings", str(settings), "--device", "k", "--token", "t", "--take", "x"]) != 0
    assert "idle_seconds" in capsys.readouterr().err
