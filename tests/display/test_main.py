"""``hall-display`` from the command line: the one-shot ``--say-call``, plain errors, settings, and
a full run against a real hub."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import wave
from datetime import UTC, datetime
from pathlib import Path

import pytest

import display.audio
import display.main
from display.audio import FakePlayer
from display.main import DisplayOptions, main, speaks
from display.settings import DisplaySettings, SettingsError, load_settings
from hub.clock import SystemClock
from tests.hubproc import ROOT, HubProcess, app_stops_on_signal


def run_display(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-m", "display.main", *args], capture_output=True,
                          text=True, encoding="utf-8", cwd=ROOT, env=env, timeout=timeout, check=False)


def frames(path: Path) -> int:
    with wave.open(str(path), "rb") as w:
        return w.getnframes()


@pytest.mark.parametrize(("lang", "sentence"), [
    ("zh", "请A012号到5号窗口办理"),
    ("en", "Number A012, please go to window 5"),
])
def test_say_call_writes_the_wav_and_prints_the_sentence_last(
    tmp_path: Path, lang: str, sentence: str
) -> None:
    wav = tmp_path / f"call-{lang}.wav"
    done = run_display("--say-call", "A012", "5", "--lang", lang, "--wav", str(wav))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # the sentence is the output; no log lines unless asked
    assert done.stdout.endswith(sentence + "\n")
    assert done.stdout.splitlines()[-1] == sentence
    assert frames(wav) > 22050  # the chime and the sentence: well over a second


@pytest.mark.parametrize(("args", "says"), [
    (["--say-call", "A0123X", "5", "--wav", "x.wav"], "ticket number 'A0123X'"),
    (["--say-call", "A012", "five", "--wav", "x.wav"], "window 'five' is not a whole number"),
    (["--say-call", "A012", "٥", "--wav", "x.wav"], "window '٥' is not a whole number"),
    (["--say-call", "A012", "-1", "--wav", "x.wav"], "window -1 is not between 1 and 999"),
    (["--say-call", "A012", "0", "--wav", "x.wav"], "window 0 is not between 1 and 999"),
    (["--say-call", "A012", "5", "--lang", "", "--wav", "x.wav"], "--lang is empty"),
    (["--say-call", "A012", "5", "--lang", "fr", "--wav", "x.wav"], "language 'fr'"),
    (["--say-call", "A012", "--lang", "zh", "--wav", "x.wav"], "--say-call: expected 2 arguments"),
    (["--mode", "lobby"], "argument --mode: invalid choice: 'lobby'"),
    (["--mode", "window", "--device", "d", "--token", "t"], "--mode window needs --window N"),
    (["--mode", "zone", "--device", "d", "--token", "t"], "--mode zone needs --zone Z"),
    (["--mode", "hall"], "say who this device is"),
    (["--lang", "fr", "--device", "d", "--token", "t"], "--lang fr: no such language"),
    (["--settings", "/nonexistent/display.toml", "--device", "d", "--token", "t"],
     "cannot read the settings file /nonexistent/display.toml"),
])
def test_a_bad_argument_is_one_plain_line_and_a_failure(
    args: list[str], says: str, capsys: pytest.CaptureFixture[str], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    try:
        code = main(args)
    except SystemExit as exited:  # argparse's own checks
        code = exited.code
    out, err = capsys.readouterr()
    assert code != 0
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("hall-display: ") and says in err
    assert not (tmp_path / "x.wav").exists()


@pytest.mark.parametrize("target", ["/dev/null", "folder", "file/call.wav"])
def test_say_call_to_somewhere_that_is_not_a_wav_file_is_one_line(
        target: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A device node is never replaced by a WAV file, nor a folder; a file in the way of the
    folders to make is a plain failure."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("in the way")
    assert main(["--say-call", "A012", "5", "--wav", target]) == 1
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and target in err, err
    assert Path("/dev/null").is_char_device()


def test_say_call_without_wav_plays_on_the_speaker(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    speaker = FakePlayer(SystemClock())
    monkeypatch.setattr(display.main, "CommandPlayer", lambda: speaker)
    assert main(["--say-call", "B017", "12", "--lang", "zh"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "请B017号到12号窗口办理"
    assert len(speaker.played) == 1 and speaker.played[0].volume == 1.0
    assert main(["--say-call", "b017", "12", "--lang", "zh"]) == 0  # either case, as call_number
    assert capsys.readouterr().out.splitlines()[-1] == "请B017号到12号窗口办理"


def test_say_call_without_wav_or_sound_output_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(display.audio, "has_sound_output", lambda: False)
    assert main(["--say-call", "B017", "12"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == ("hall-display: no sound output on this machine; give --wav FILE to write "
                           "the announcement to a file")


def test_the_settings_file(tmp_path: Path) -> None:
    path = tmp_path / "display.toml"
    path.write_text(
        'voice = "off"\nrepeat = 3\nmax_age_s = 90\nhighlight_s = 6\nlanguages = ["zh"]\n'
        'announce_zones = ["综合服务区"]\ndefault_volume = 0.8\n'
        '[[volume]]\nstart = "12:00"\nend = "13:30"\nvolume = 0.4\n'
        '[[volume]]\nstart = 18:00:00\nend = 08:00:00\nvolume = 0\n',
        encoding="utf-8",
    )
    settings = load_settings(path)
    assert (settings.voice, settings.repeat, settings.max_age_s, settings.highlight_s) == (False, 3, 90, 6)
    assert settings.languages == ("zh",) and settings.announce_zones == ("综合服务区",)
    schedule = settings.schedule("Asia/Shanghai")
    assert schedule.volume_at(datetime(2026, 11, 23, 4, 30, tzinfo=UTC)) == 0.4  # 12:30 in Shanghai
    assert schedule.volume_at(datetime(2026, 11, 23, 14, 0, tzinfo=UTC)) == 0.0  # 22:00: quiet
    assert schedule.volume_at(datetime(2026, 11, 23, 2, 0, tzinfo=UTC)) == 0.8  # 10:00
    assert load_settings(None) == DisplaySettings()


@pytest.mark.parametrize(("text", "says"), [
    ("repeat = 0\n", "repeat must be between 1 and 5"),
    ("repeat = 1.5\n", "repeat must be a whole number"),
    ("voice = \"loud\"\n", "voice must be"),
    ("volumes = 1\n", "unknown setting volumes"),
    ("[[volume]]\nstart = \"25:00\"\nend = \"08:00\"\nvolume = 0\n", "volume:"),
    ("[[volume]]\nstart = \"12:00\"\nend = \"13:00\"\nvolume = 2\n", "volume 2.0 is not between 0 and 1"),
    ("[[volume]]\nstart = \"12:00\"\n", "needs exactly start, end and volume"),
    ("repeat = \n", "not valid TOML"),
    ('languages = ["zh", "fr"]\n', "languages: no strings for fr"),
])
def test_a_bad_settings_file_says_what_is_wrong(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "display.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError, match=says.replace("(", r"\(")):
        load_settings(path)


def test_which_displays_speak_by_default() -> None:
    assert speaks(DisplayOptions("hall"), DisplaySettings())
    assert speaks(DisplayOptions("zone", zone="z"), DisplaySettings())
    assert not speaks(DisplayOptions("window", window=1), DisplaySettings())
    assert not speaks(DisplayOptions("hall"), DisplaySettings(voice=False))
    assert speaks(DisplayOptions("window", window=1, voice=True), DisplaySettings(voice=False))


def test_the_display_runs_against_a_hub_and_stops_on_sigterm(hub: HubProcess, tmp_path: Path) -> None:
    text = app_stops_on_signal(
        "display.main",
        ["--mode", "zone", "--zone", "综合服务区", "--hub", hub.url, "--device", "display-1",
         "--token", hub.tokens["display-1"], "--windowed", "--voice", "off"],
        tmp_path / "display.log", signal.SIGTERM)
    assert "voice off" in text and "display stopped" in text
