"""``hall-kiosk --take SERVICE`` end to end: a real hub, the real preview printer, real bytes."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from kiosk.main import main
from tests.hubproc import HubProcess, self_signed
from tests.kiosk.escpos_decode import decode


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


def test_an_unreachable_hub_is_one_plain_line(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--take", "social", "--printer", f"preview:{tmp_path / 't'}",
                 "--hub", f"ws://127.0.0.1:{free_port()}/", "--device", "kiosk-1", "--token", "x"])
    _, err = capsys.readouterr()
    assert code != 0
    assert "unreachable" in err.strip().splitlines()[-1]


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
        assert "unreachable" in last and "certificate" in last
        assert main([*take, "--ca-file", str(tmp_path / "nowhere.pem")]) != 0
        assert "nowhere.pem" in capsys.readouterr().err.strip().splitlines()[-1]
    finally:
        hub.stop()


@pytest.mark.parametrize("argv", [["--paper", "70"], ["--print-mode", "foo"], ["--lang", "fr"],
                                  ["--take"]])
def test_a_mistaken_flag_is_one_plain_line(argv: list[str],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--take", "social", "--device", "k", "--token", "t", *argv])
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and err.startswith("hall-kiosk: ")
    assert argv[0] in err


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
