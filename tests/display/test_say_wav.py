"""``hall-display --say-call … --wav FILE`` where FILE cannot be written: one plain line saying so
and why, found before anything is synthesised."""

from __future__ import annotations

from pathlib import Path

import pytest

from display.audio import CHIME, check_writable, join_wavs
from display.errors import AudioError
from display.main import main
from display.say import say_call
from display.voice import FakeVoice

needs_proc = pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")


@needs_proc
def test_a_wav_that_cannot_be_written_is_one_line_saying_why(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--say-call", "A001", "3", "--lang", "zh", "--wav", "/proc/nope/x.wav"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "hall-display: cannot write /proc/nope/x.wav: No such file or directory\n"


@pytest.mark.parametrize(("target", "why"), [
    ("file/call.wav", "{tmp}/file is not a folder"),
    ("folder", "it is a folder"),
])
def test_the_wav_is_checked_before_the_voice_is_asked(
        target: str, why: str, tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("in the way")
    voice = FakeVoice(tmp_path / "voice")
    with pytest.raises(AudioError) as raised:
        say_call("A001", 3, "zh", tmp_path / target, voice)
    assert str(raised.value) == f"cannot write {tmp_path / target}: {why.format(tmp=tmp_path)}"
    assert voice.spoken == []


@needs_proc
def test_joining_into_a_file_that_cannot_be_written_says_write_not_join(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match=r"^cannot write /proc/nope/x\.wav: No such file"):
        join_wavs([CHIME], Path("/proc/nope/x.wav"))


def test_a_writable_wav_passes_the_check_and_leaves_nothing_behind(tmp_path: Path) -> None:
    out = tmp_path / "new" / "folder" / "call.wav"
    check_writable(out)  # the folders are made, as writing the file would
    assert out.parent.is_dir() and list(out.parent.iterdir()) == []
