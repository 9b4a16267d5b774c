"""The hall's speaker: play a WAV file, and join a chime and sentences into one.

``Player.play`` blocks until the sound has finished (or failed), so the announcer's worker, which
runs in a thread of its own, knows when the speaker is free again; call it from a thread, never
from the asyncio loop or the Qt thread.

The real adapter runs a separate player program, sox's ``play`` (which can set the volume) or
else ALSA's ``aplay`` (the file is scaled first). With no program or no sound output at all,
``is_available()`` is False and the app stays silent.
"""

from __future__ import annotations

import array
import contextlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from display.errors import AudioError
from hub.clock import Clock

logger = logging.getLogger(__name__)

CHIME = Path(__file__).resolve().parent.parent / "assets" / "chime.wav"
PLAY_MARGIN_S = 10.0  # how much longer than the sound itself a player may take before we stop it


class Player(Protocol):
    def play(self, wav: Path, volume: float) -> None:
        """Play ``wav`` at ``volume`` (0..1), returning when it has finished; AudioError if not."""
        ...

    def is_available(self) -> bool:
        """Whether there is a player program and somewhere for the sound to go."""
        ...


@dataclass(frozen=True)
class WavFormat:
    channels: int
    sample_width: int
    rate: int


def wav_format(path: Path) -> WavFormat:
    try:
        with wave.open(str(path), "rb") as w:
            return WavFormat(w.getnchannels(), w.getsampwidth(), w.getframerate())
    except (OSError, EOFError, wave.Error) as err:
        raise AudioError(f"cannot read WAV file {path}: {err}") from err


def wav_duration(path: Path) -> float:
    """Length of a WAV file in seconds."""
    try:
        with wave.open(str(path), "rb") as w:
            return w.getnframes() / w.getframerate()
    except (OSError, EOFError, wave.Error) as err:
        raise AudioError(f"cannot read WAV file {path}: {err}") from err


def check_writable(out: Path, probe: bool = True) -> None:
    """AudioError saying plainly why a WAV file cannot be written to ``out`` (its folders are
    made if missing), so a caller can find out before it synthesises anything. ``probe``: a
    file is made beside it for real (what the permission bits cannot tell); a caller about to
    write it anyway leaves that to its own write, which fails in the same words."""
    try:
        if out.is_dir():
            raise AudioError(f"cannot write {out}: it is a folder")
        if out.exists() and not out.is_file():  # /dev/full, /dev/null: never replaced by a WAV
            raise AudioError(f"cannot write {out}: it is not a regular file")
        for folder in out.parents:  # the nearest one that exists
            if folder.exists():
                if not folder.is_dir():
                    raise AudioError(f"cannot write {out}: {folder} is not a folder")
                break
        out.parent.mkdir(parents=True, exist_ok=True)
        if probe:
            with tempfile.TemporaryFile(dir=out.parent):  # what join_wavs does: a file beside it
                pass
    except OSError as err:
        raise AudioError(f"cannot write {out}: {err.strerror or err}") from err


def _frames(part: Path) -> bytes:
    try:
        with wave.open(str(part), "rb") as w:
            return w.readframes(w.getnframes())
    except (OSError, EOFError, wave.Error) as err:
        raise AudioError(f"cannot read WAV file {part}: {err}") from err


def join_wavs(parts: Sequence[Path], out: Path, gap_s: float = 0.3, lead_s: float = 0.0) -> Path:
    """Write ``parts`` one after another into ``out``, ``gap_s`` of silence between them (and
    ``lead_s`` before the first).

    The result takes the first part's format; a part in another format is converted with sox.
    AudioError saying which file is wrong: a part that cannot be read, or ``out`` that cannot be
    written.
    """
    if not parts:
        raise AudioError("nothing to join")
    target = wav_format(parts[0])
    check_writable(out, probe=False)  # every announcement comes here: its own write probes
    frame = target.channels * target.sample_width
    gap = b"\0" * (int(target.rate * gap_s) * frame)
    lead = b"\0" * (int(target.rate * lead_s) * frame)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    with tempfile.TemporaryDirectory(prefix="hall-join-") as scratch:
        try:
            # the file opened first: a wave writer never half-made (it complains when collected)
            with open(tmp, "wb") as file, wave.open(file, "wb") as joined:
                joined.setnchannels(target.channels)
                joined.setsampwidth(target.sample_width)
                joined.setframerate(target.rate)
                joined.writeframes(lead)
                for i, part in enumerate(parts):
                    if i:
                        joined.writeframes(gap)
                    source = part
                    if wav_format(part) != target:
                        source = _convert(part, target, Path(scratch) / f"{i}.wav")
                    joined.writeframes(_frames(source))
            tmp.replace(out)
        except (OSError, EOFError, wave.Error, AudioError) as err:
            with contextlib.suppress(OSError):  # not there, or its folder cannot be
                tmp.unlink()
            if isinstance(err, AudioError):  # a part: it says which
                raise
            reason = err.strerror if isinstance(err, OSError) and err.strerror else err
            raise AudioError(f"cannot write {out}: {reason}") from err
    return out


def _convert(part: Path, target: WavFormat, out: Path) -> Path:
    sox = shutil.which("sox")
    if sox is None:
        raise AudioError(f"{part} is in another format than the first part and sox is missing")
    command = [
        sox, str(part), "-r", str(target.rate), "-c", str(target.channels),
        "-b", str(8 * target.sample_width), str(out),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    if result.returncode != 0:
        raise AudioError(f"sox could not convert {part}: {result.stderr.strip()}")
    return out


def scaled_copy(wav: Path, volume: float, out: Path) -> Path:
    """A copy of a 16-bit WAV file with every sample multiplied by ``volume`` (0..1)."""
    volume = min(max(volume, 0.0), 1.0)
    try:
        with wave.open(str(wav), "rb") as w:
            params = w.getparams()
            if params.sampwidth != 2:
                raise AudioError(f"{wav} is not 16-bit, cannot scale its volume")
            samples = array.array("h", w.readframes(params.nframes))
        if sys.byteorder == "big":
            samples.byteswap()
        scaled = array.array("h", (int(s * volume) for s in samples))
        if sys.byteorder == "big":
            scaled.byteswap()
        with wave.open(str(out), "wb") as w:
            w.setparams(params)
            w.writeframes(scaled.tobytes())
    except (OSError, EOFError, wave.Error) as err:
        raise AudioError(f"cannot scale {wav}: {err}") from err
    return out


def has_sound_output() -> bool:
    """Whether this machine has an ALSA sound card or a PulseAudio/PipeWire server to play to."""
    if os.environ.get("PULSE_SERVER"):
        return True
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and any((Path(runtime) / name).exists() for name in ("pulse/native", "pipewire-0")):
        return True
    try:
        cards = Path("/proc/asound/cards").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return bool(cards.strip()) and "no soundcards" not in cards


class CommandPlayer:
    """Plays through sox's ``play`` or ALSA's ``aplay``, whichever is installed (sox first)."""

    def __init__(self, program: str | None = None) -> None:
        self._program = program or shutil.which("play") or shutil.which("aplay")

    @property
    def program(self) -> str | None:
        return self._program

    def is_available(self) -> bool:
        return self._program is not None and has_sound_output()

    def play(self, wav: Path, volume: float) -> None:
        if self._program is None:
            raise AudioError("no player program: install sox (play) or alsa-utils (aplay)")
        volume = min(max(volume, 0.0), 1.0)
        timeout = wav_duration(wav) + PLAY_MARGIN_S
        with tempfile.TemporaryDirectory(prefix="hall-play-") as scratch:
            if Path(self._program).name == "aplay":
                source = wav if volume >= 1.0 else scaled_copy(wav, volume, Path(scratch) / "s.wav")
                command = [self._program, "-q", str(source)]
            else:
                command = [self._program, "-q", "-v", f"{volume:.3f}", str(wav)]
            try:
                result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
            except subprocess.TimeoutExpired as err:
                raise AudioError(f"{self._program} did not finish {wav} in {timeout:.0f}s") from err
            except OSError as err:
                raise AudioError(f"cannot run {self._program}: {err}") from err
        if result.returncode != 0:
            lines = result.stderr.strip().splitlines()
            raise AudioError(f"{self._program} failed on {wav}: {lines[-1] if lines else result.returncode}")


@dataclass(frozen=True)
class Played:
    wav: Path
    volume: float
    start: datetime
    end: datetime


class FakePlayer:
    """Records what it was asked to play, with start and end times from the injected clock.

    ``wait`` stands in for the time playing takes: it is called with the sound's length in
    seconds, so a test passes a function that moves its fake clock on.
    """

    def __init__(
        self,
        clock: Clock,
        wait: Callable[[float], None] | None = None,
        available: bool = True,
    ) -> None:
        self.clock = clock
        self.wait = wait
        self.available = available
        self.played: list[Played] = []

    def is_available(self) -> bool:
        return self.available

    def play(self, wav: Path, volume: float) -> None:
        if not self.available:
            raise AudioError("the fake player is switched off")
        duration = wav_duration(wav)
        start = self.clock.now()
        if self.wait is not None:
            self.wait(duration)
        self.played.append(Played(wav, volume, start, self.clock.now()))
