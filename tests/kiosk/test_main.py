"""``hall-kiosk`` from its command line: a mistake in its settings file is one plain line naming
the file and the key, before anything starts; the running kiosk stops cleanly on a signal."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from kiosk.main import main
from tests.hubproc import HubProcess, app_stops_on_signal


@pytest.mark.parametrize(("text", "says"), [
    ("idle_seconds = 1\n", "idle_seconds must be a number from 5 to 3600"),
    ("idle_seconds = nan\n", "idle_seconds"),
    ("idle_seconds = inf\n", "idle_seconds"),
    ('lang = "fr"\n', "lang 'fr' has no strings here (there are zh, en)"),
    ('scanner = "bogus:xx"\n', "scanner"),
    ('scaner = "keyboard"\n', "unknown key(s) scaner"),
    ('technician_pin = "²²²²"\n', "technician_pin must be 4 to 12 digits"),
])
def test_a_mistake_in_the_settings_is_one_line_and_nothing_starts(
        text: str, says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    code = main(["--settings", str(path), "--device", "k", "--token", "t", "--take", "social",
                 "--printer", f"preview:{tmp_path / 't'}"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and says in err and str(path) in err, err
    assert not (tmp_path / "t").exists()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("screen", [["--windowed"], []], ids=["windowed", "full-screen"])
def test_the_kiosk_runs_against_a_hub_and_stops_cleanly_on_a_signal(
        signum: int, screen: list[str], hub: HubProcess, tmp_path: Path) -> None:
    """Ctrl-C (hall-demo stops everything with it) and systemd's SIGTERM close the kiosk the
    same way the technician's PIN does, also full screen, where a citizen cannot close it."""
    text = app_stops_on_signal(
        "kiosk.main",
        ["--hub", hub.url, "--device", "kiosk-1", "--token", hub.tokens["kiosk-1"], *screen,
         "--printer", f"preview:{tmp_path / 't'}"],
        tmp_path / "kiosk.log", signum)
    assert "kiosk stopped" in text
