"""The hall's voice: text in, a WAV file out.

``Pyttsx3Voice`` drives espeak-ng through pyttsx3. pyttsx3 keeps one espeak instance per
process with a process-wide callback, its engines are not reusable across threads, and a second
``runAndWait`` on the same engine can hang or write the previous text (pyttsx3 issues #126, #131,
#170, #194). In 2.99 the espeak driver also prints "Audio saved to ..." on stdout, and its
``runAndWait`` can return before espeak's own thread has written the file (measured here: about
half of the English sentences came out missing when the process exited at once). So every
synthesis runs in a short-lived child process (``python -m display.voice``) with a fresh engine,
under a timeout, and waits for the driver's "finished-utterance" before it exits: nothing can
hang the display, and nothing leaks into its stdout. That costs about 0.15 s a sentence; WAVs
are cached by (language, rate, text), so a repeated sentence returns at once.

Voices are chosen by language, not by name: for Chinese ``cmn-latn-pinyin`` first, because in
espeak-ng 1.51 the plain ``cmn`` voice reads many characters as pinyin spelled out in English
(espeak-ng issues #1236, #1370), then ``cmn``; for English ``en-gb``, ``en``, ``en-us``. MBROLA
voices are skipped (they need a separate program).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import subprocess
import sys
import threading
import time
import wave
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from display.errors import VoiceError

logger = logging.getLogger(__name__)

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RATE = 150  # words a minute; espeak's own default (175) is too quick for a hall
SAMPLE_RATE = 22050

VOICE_PREFERENCES: dict[str, tuple[str, ...]] = {
    "zh": ("cmn-latn-pinyin", "cmn", "zh-cmn", "zh"),
    "en": ("en-gb", "en", "en-us"),
}


class Voice(Protocol):
    def synthesise(self, text: str, lang: str) -> Path:
        """A WAV file of ``text`` spoken in ``lang``; VoiceError if it cannot be made."""
        ...

    def is_available(self) -> bool:
        """Whether the engine is installed and has a voice for at least one hall language."""
        ...


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hall-queue" / "voice"


@dataclass(frozen=True)
class EngineVoice:
    """A voice the engine offers: espeak's identifier (``sit/cmn``) and its language codes."""

    id: str
    languages: tuple[str, ...] = field(default_factory=tuple)


def choose_voice(
    voices: Iterable[EngineVoice], lang: str, preferences: Sequence[str] | None = None
) -> EngineVoice | None:
    """The best voice for ``lang``: the first preference that a voice's language or file name
    matches exactly, else any voice whose language starts with the language code."""
    usable = [v for v in voices if not v.id.lower().startswith("mb/")]
    wanted = list(preferences or VOICE_PREFERENCES.get(lang, (lang,)))

    def names(v: EngineVoice) -> set[str]:
        return {code.lower() for code in v.languages} | {v.id.lower().rsplit("/", 1)[-1]}

    for code in wanted:
        for v in usable:
            if code.lower() in names(v):
                return v
    for code in wanted:
        for v in usable:
            if any(n.startswith(code.lower() + "-") for n in names(v)):
                return v
    return None


def engine_text(text: str) -> str:
    """Text as espeak reads it best: capital letters side by side are spelled one by one."""
    return re.sub(r"(?<=[A-Z])(?=[A-Z])", " ", text)


class Pyttsx3Voice:
    """espeak-ng through pyttsx3, one child process per sentence, results cached on disk."""

    def __init__(
        self,
        cache_dir: Path | None = None,
        rate: int = DEFAULT_RATE,
        preferences: Mapping[str, Sequence[str]] | None = None,
        timeout_s: float = 30.0,
        max_files: int = 600,
    ) -> None:
        self.cache_dir = cache_dir or default_cache_dir()
        self.max_files = max_files  # a sentence is ~200 kB; the least recently used go first
        self.rate = rate
        self.preferences = {**VOICE_PREFERENCES, **(preferences or {})}
        self.timeout_s = timeout_s
        self._voices: list[EngineVoice] | None = None

    def cache_path(self, text: str, lang: str) -> Path:
        key = json.dumps([lang, self.rate, text, list(self.preferences.get(lang, ()))])
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
        return self.cache_dir / f"{lang}-{digest}.wav"

    def synthesise(self, text: str, lang: str) -> Path:
        if not text.strip():
            raise VoiceError("nothing to say")
        out = self.cache_path(text, lang)
        if _has_frames(out):
            with contextlib.suppress(OSError):
                os.utime(out)
            return out
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        request = {
            "text": engine_text(text),
            "lang": lang,
            "rate": self.rate,
            "out": str(out),
            "preferences": list(self.preferences.get(lang, (lang,))),
            "timeout_s": max(self.timeout_s - 5.0, 1.0),
        }
        started = time.perf_counter()
        answer = self._run_worker("synthesise", request)
        logger.info(
            "synthesised %d characters of %s with %s in %.2fs",
            len(text), lang, answer.get("voice"), time.perf_counter() - started,
        )  # fmt: skip
        if not _has_frames(out):
            raise VoiceError(f"the speech engine wrote no sound for {text!r}")
        self._prune()
        return out

    def _prune(self) -> None:
        try:
            files = sorted(self.cache_dir.glob("*.wav"), key=lambda p: p.stat().st_mtime)
            for old in files[: max(len(files) - self.max_files, 0)]:
                old.unlink(missing_ok=True)
        except OSError as err:
            logger.warning("could not prune the voice cache %s: %s", self.cache_dir, err)

    def voices(self) -> list[EngineVoice]:
        """The voices espeak offers (asked once, in a child process)."""
        if self._voices is None:
            answer = self._run_worker("voices", {})
            self._voices = [
                EngineVoice(str(v["id"]), tuple(str(c) for c in v["languages"])) for v in answer["voices"]
            ]
        return self._voices

    def voice_for(self, lang: str) -> EngineVoice | None:
        return choose_voice(self.voices(), lang, self.preferences.get(lang))

    def is_available(self) -> bool:
        try:
            return any(self.voice_for(lang) for lang in self.preferences)
        except VoiceError as err:
            logger.warning("no speech engine: %s", err)
            return False

    def _run_worker(self, command: str, request: dict[str, Any]) -> dict[str, Any]:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PACKAGE_ROOT), env.get("PYTHONPATH", "")) if p)
        env["PYTHONIOENCODING"] = "utf-8"
        try:
            result = subprocess.run(
                [sys.executable, "-m", "display.voice", command],
                input=json.dumps(request),
                capture_output=True,
                text=True,
                encoding="utf-8",
                env=env,
                timeout=self.timeout_s,
                check=False,
            )
        except subprocess.TimeoutExpired as err:
            raise VoiceError(f"the speech engine hung for {self.timeout_s:.0f}s") from err
        except OSError as err:
            raise VoiceError(f"cannot start the speech engine: {err}") from err
        lines = result.stdout.strip().splitlines()
        if result.returncode != 0 or not lines:
            detail = (result.stderr.strip().splitlines() or [f"exit {result.returncode}"])[-1]
            raise VoiceError(f"the speech engine failed: {detail}")
        try:
            answer: dict[str, Any] = json.loads(lines[-1])
        except json.JSONDecodeError as err:
            raise VoiceError(f"the speech engine answered {lines[-1]!r}") from err
        return answer


def _has_frames(path: Path) -> bool:
    try:
        with wave.open(str(path), "rb") as w:
            return w.getnframes() > 0
    except (OSError, EOFError, wave.Error):
        return False


class FakeVoice:
    """Writes ``seconds`` of silence for every sentence and records what it was asked to say."""

    def __init__(self, directory: Path, seconds: float = 1.0, available: bool = True) -> None:
        self.directory = directory
        self.seconds = seconds
        self.available = available
        self.spoken: list[tuple[str, str]] = []

    def is_available(self) -> bool:
        return self.available

    def synthesise(self, text: str, lang: str) -> Path:
        if not self.available:
            raise VoiceError("the fake voice is switched off")
        self.spoken.append((text, lang))
        digest = hashlib.sha256(f"{lang}\n{text}".encode()).hexdigest()[:24]
        out = self.directory / f"fake-{lang}-{digest}.wav"
        if not out.exists():
            self.directory.mkdir(parents=True, exist_ok=True)
            with wave.open(str(out), "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(SAMPLE_RATE)
                w.writeframes(b"\0\0" * int(SAMPLE_RATE * self.seconds))
        return out


# The child process: ``python -m display.voice synthesise|voices``, a JSON request on stdin,
# a JSON answer on the last line of stdout.


def _engine() -> Any:
    import pyttsx3

    return pyttsx3.init()


def _engine_voices(engine: Any) -> list[EngineVoice]:
    return [
        EngineVoice(str(v.id), tuple(str(code) for code in (v.languages or ())))
        for v in engine.getProperty("voices")
    ]


def _synthesise_here(request: dict[str, Any]) -> dict[str, Any]:
    engine = _engine()
    voice = choose_voice(_engine_voices(engine), request["lang"], request["preferences"])
    if voice is None:
        raise VoiceError(f"espeak has no voice for {request['lang']!r}")
    out = Path(request["out"])
    tmp = out.with_name(f".{out.stem}.{os.getpid()}.wav")
    # espeak's retrieval mode synthesises on a thread of its own: runAndWait can return before
    # the file is written, so wait for the driver to report the utterance finished.
    finished = threading.Event()
    outcome: dict[str, Any] = {}

    def on_finished(**event: Any) -> None:
        outcome.update(event)
        finished.set()

    engine.connect("finished-utterance", on_finished)
    engine.connect("error", on_finished)
    engine.setProperty("voice", voice.id)
    engine.setProperty("rate", int(request["rate"]))
    engine.save_to_file(request["text"], str(tmp))
    engine.runAndWait()
    if not finished.wait(float(request.get("timeout_s", 20.0))):
        tmp.unlink(missing_ok=True)
        raise VoiceError("espeak did not finish the utterance")
    if "exception" in outcome or not outcome.get("completed", True):
        tmp.unlink(missing_ok=True)
        raise VoiceError(f"espeak stopped: {outcome.get('exception', 'utterance cut short')}")
    if not _has_frames(tmp):
        tmp.unlink(missing_ok=True)
        raise VoiceError(f"espeak wrote no sound for {request['text']!r}")
    tmp.replace(out)
    return {"voice": voice.id, "out": str(out)}


def _worker(argv: Sequence[str]) -> int:
    if len(argv) != 1 or argv[0] not in ("synthesise", "voices"):
        print("usage: python -m display.voice synthesise|voices < request.json", file=sys.stderr)
        return 2
    request = json.loads(sys.stdin.read() or "{}")
    try:
        with contextlib.redirect_stdout(sys.stderr):  # pyttsx3 prints on stdout
            if argv[0] == "voices":
                answer: dict[str, Any] = {
                    "voices": [
                        {"id": v.id, "languages": list(v.languages)} for v in _engine_voices(_engine())
                    ]
                }
            else:
                answer = _synthesise_here(request)
    except (VoiceError, RuntimeError, OSError, ValueError, ImportError) as err:
        print(f"{type(err).__name__}: {err}", file=sys.stderr)
        return 1
    print(json.dumps(answer, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(_worker(sys.argv[1:]))
