"""The voice (espeak-ng through pyttsx3, for real) and the speaker adapters."""

from __future__ import annotations

import re
import subprocess
import wave
from pathlib import Path
from typing import Any

import pytest

from display.audio import (
    CHIME,
    CommandPlayer,
    has_sound_output,
    join_wavs,
    scaled_copy,
    wav_duration,
    wav_format,
)
from display.errors import AudioError, VoiceError
from display.voice import EngineVoice, FakeVoice, Pyttsx3Voice, choose_voice, engine_text

# The voices espeak-ng 1.51 lists through pyttsx3 (a few of them).
ESPEAK_VOICES = [
    EngineVoice("gmw/en", ("en-gb",)),
    EngineVoice("gmw/en-us", ("en-us",)),
    EngineVoice("mb/mb-us1", ("en-us",)),
    EngineVoice("sit/cmn", ("cmn",)),
    EngineVoice("sit/cmn-latn-pinyin", ("cmn-latn-pinyin",)),
    EngineVoice("sit/yue", ("yue",)),
    EngineVoice("roa/fr", ("fr-fr",)),
]


def sox_seconds(path: Path) -> float:
    out = subprocess.run(["sox", "--i", "-D", str(path)], capture_output=True, text=True, check=True)
    return float(out.stdout)


def sox_rms(path: Path) -> float:
    out = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True, check=True)
    match = re.search(r"RMS\s+amplitude:\s+([0-9.]+)", out.stderr)
    assert match, out.stderr
    return float(match.group(1))


def write_wav(path: Path, samples: list[int], rate: int = 22050) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(s.to_bytes(2, "little", signed=True) for s in samples))
    return path


@pytest.fixture(scope="module")
def real_voice(tmp_path_factory: pytest.TempPathFactory) -> Pyttsx3Voice:
    return Pyttsx3Voice(cache_dir=tmp_path_factory.mktemp("voice-cache"))


@pytest.mark.parametrize(
    ("lang", "preferences", "chosen"),
    [
        ("zh", None, "sit/cmn-latn-pinyin"),
        ("en", None, "gmw/en"),
        ("zh", ["cmn"], "sit/cmn"),
        ("en", ["en-us"], "gmw/en-us"),
        ("fr", None, "roa/fr"),  # no exact match: the language code as a prefix
        ("de", None, None),
    ],
)
def test_voices_are_chosen_by_language(lang: str, preferences: list[str] | None, chosen: str | None) -> None:
    voice = choose_voice(ESPEAK_VOICES, lang, preferences)
    assert (voice.id if voice else None) == chosen


def test_mbrola_voices_are_never_chosen() -> None:
    only_mbrola = [EngineVoice("mb/mb-us1", ("en-us",))]
    assert choose_voice(only_mbrola, "en") is None


def test_letters_side_by_side_are_spelled() -> None:
    assert engine_text("请AB零一二号") == "请A B零一二号"
    assert engine_text("Number A, zero") == "Number A, zero"


def test_fake_voice_writes_real_silence_and_records(tmp_path: Path) -> None:
    voice = FakeVoice(tmp_path, seconds=0.5)
    wav = voice.synthesise("请A零一二号到五号窗口办理", "zh")
    assert wav_duration(wav) == pytest.approx(0.5)
    assert voice.spoken == [("请A零一二号到五号窗口办理", "zh")]
    voice.available = False
    assert not voice.is_available()
    with pytest.raises(VoiceError):
        voice.synthesise("x", "en")


def test_the_real_voice_is_available_with_chinese_and_english(real_voice: Pyttsx3Voice) -> None:
    assert real_voice.is_available()
    zh, en = real_voice.voice_for("zh"), real_voice.voice_for("en")
    assert zh is not None and "cmn" in zh.id
    assert en is not None and en.languages[0].startswith("en")


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("请A零一二号到五号窗口办理", "zh"),
        ("Number A, zero, one, two, please go to window 5.", "en"),
    ],
)
def test_real_speech_is_a_plausible_non_silent_wav(real_voice: Pyttsx3Voice, text: str, lang: str) -> None:
    wav = real_voice.synthesise(text, lang)
    assert 1.0 <= sox_seconds(wav) <= 10.0
    assert sox_rms(wav) > 0.02
    assert wav_format(wav).rate == 22050


def test_a_cached_sentence_does_not_start_the_engine(
    real_voice: Pyttsx3Voice, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = real_voice.synthesise("请B零零三号到十二号窗口办理", "zh")

    def no_engine(command: str, request: dict[str, Any]) -> dict[str, Any]:
        raise AssertionError("the engine ran for a cached sentence")

    monkeypatch.setattr(real_voice, "_run_worker", no_engine)
    assert real_voice.synthesise("请B零零三号到十二号窗口办理", "zh") == first
    assert real_voice.cache_path("请B零零三号到十二号窗口办理", "en") != first


def test_sentences_one_after_another_are_all_complete(tmp_path: Path) -> None:
    # pyttsx3 2.99 can return from runAndWait before espeak has written the file.
    voice = Pyttsx3Voice(cache_dir=tmp_path)
    for window in (3, 4, 5, 6):
        text = f"Number C, zero, zero, {window}, please go to window {window}."
        wav = voice.synthesise(text, "en")
        assert sox_seconds(wav) > 2.0 and sox_rms(wav) > 0.02


def test_a_hung_engine_is_a_voice_error(tmp_path: Path) -> None:
    voice = Pyttsx3Voice(cache_dir=tmp_path, timeout_s=0.001)
    with pytest.raises(VoiceError, match="hung"):
        voice.synthesise("请A零一二号到五号窗口办理", "zh")


def test_a_language_without_a_voice_is_a_voice_error(tmp_path: Path) -> None:
    voice = Pyttsx3Voice(cache_dir=tmp_path, preferences={"xx": ["no-such-voice"]})
    with pytest.raises(VoiceError, match="no voice"):
        voice.synthesise("hello", "xx")


def test_the_voice_cache_keeps_the_most_recent_files(tmp_path: Path) -> None:
    voice = Pyttsx3Voice(cache_dir=tmp_path, max_files=2)
    for n in (1, 2, 3):
        voice.synthesise(f"window {n}", "en")
    assert len(list(tmp_path.glob("*.wav"))) == 2
    assert not voice.cache_path("window 1", "en").exists()


def test_join_puts_gaps_between_the_parts(tmp_path: Path) -> None:
    a = write_wav(tmp_path / "a.wav", [1000] * 22050)
    b = write_wav(tmp_path / "b.wav", [-1000] * 11025)
    out = join_wavs([a, b, a], tmp_path / "out.wav", gap_s=0.5)
    assert wav_duration(out) == pytest.approx(1.0 + 0.5 + 0.5 + 0.5 + 1.0)


def test_join_converts_a_part_in_another_format_with_sox(tmp_path: Path) -> None:
    other = write_wav(tmp_path / "16k.wav", [500] * 16000, rate=16000)
    out = join_wavs([CHIME, other], tmp_path / "out.wav", gap_s=0.0)
    assert wav_format(out) == wav_format(CHIME)
    assert wav_duration(out) == pytest.approx(wav_duration(CHIME) + 1.0, abs=0.01)


def test_joining_nothing_or_a_broken_file_is_an_audio_error(tmp_path: Path) -> None:
    with pytest.raises(AudioError):
        join_wavs([], tmp_path / "out.wav")
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF nonsense")
    with pytest.raises(AudioError):
        join_wavs([broken], tmp_path / "out.wav")


def test_the_chime_is_a_short_16_bit_mono_ding_dong() -> None:
    fmt = wav_format(CHIME)
    assert (fmt.channels, fmt.sample_width, fmt.rate) == (1, 2, 22050)
    assert 0.5 <= sox_seconds(CHIME) <= 1.5
    assert sox_rms(CHIME) > 0.05


def test_scaling_halves_the_samples(tmp_path: Path) -> None:
    loud = write_wav(tmp_path / "loud.wav", [10000, -10000, 2000])
    quiet = scaled_copy(loud, 0.5, tmp_path / "quiet.wav")
    with wave.open(str(quiet), "rb") as w:
        frames = w.readframes(3)
    samples = [int.from_bytes(frames[i : i + 2], "little", signed=True) for i in (0, 2, 4)]
    assert samples == [5000, -5000, 1000]


def fake_program(path: Path, body: str) -> str:
    path.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    path.chmod(0o755)
    return str(path)


def test_sox_play_gets_the_volume(tmp_path: Path) -> None:
    log = tmp_path / "args"
    player = CommandPlayer(fake_program(tmp_path / "play", f'echo "$@" > {log}'))
    player.play(CHIME, 0.25)
    assert log.read_text().split() == ["-q", "-v", "0.250", str(CHIME)]


def test_aplay_gets_a_scaled_copy(tmp_path: Path) -> None:
    kept = tmp_path / "played.wav"
    player = CommandPlayer(fake_program(tmp_path / "aplay", f'cp "$2" {kept}'))
    player.play(CHIME, 0.5)
    assert sox_rms(kept) == pytest.approx(sox_rms(CHIME) / 2, rel=0.02)


def test_a_failing_player_is_an_audio_error(tmp_path: Path) -> None:
    player = CommandPlayer(fake_program(tmp_path / "play", "echo 'no device' >&2; exit 1"))
    with pytest.raises(AudioError, match="no device"):
        player.play(CHIME, 1.0)


def test_no_player_program_means_not_available(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    player = CommandPlayer()
    assert player.program is None and not player.is_available()
    with pytest.raises(AudioError):
        player.play(CHIME, 1.0)


def test_a_sound_server_counts_as_sound_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULSE_SERVER", "unix:/run/pulse/native")
    assert has_sound_output()
