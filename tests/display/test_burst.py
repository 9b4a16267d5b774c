"""A burst of calls in a real hall: a real hub, six windows calling in the same second, the
hall screen's speaker with the real espeak-ng voice. The time the speaker takes is the real
length of each WAV, on a clock the player moves on (so the test does not wait 80 s of speech).
The WAVs played are kept under tests/artifacts/display/burst/ for a person to listen to.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from display.audio import CHIME, wav_duration
from display.main import DisplayApp, DisplayOptions
from display.settings import DisplaySettings
from display.speech import call_sentence
from display.voice import Pyttsx3Voice
from hub.client import DeviceSettings
from hub.config import load_hall
from tests.hubproc import COUNTY, HubProcess
from tests.qtpeer import QtPeer

CLERKS = {1: "1001", 2: "1002", 3: "1003", 4: "1004", 5: "1005", 6: "1006", 7: "1007"}
PINS = {"1001": "1234", "1002": "2345", "1003": "3456", "1004": "4567", "1005": "5678",
        "1006": "6789", "1007": "7890"}


class SpeakerClock:
    """The display's clock: starts now and moves on only as the speaker plays (any thread)."""

    def __init__(self) -> None:
        self._now = datetime.now(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)


class HeldPlayer:
    """Keeps a copy of every WAV it plays and moves the clock on by its length; holds the
    first one until ``release`` (the speaker is busy while the hall goes on)."""

    def __init__(self, folder: Path, clock: SpeakerClock) -> None:
        self.folder = folder
        self.clock = clock
        self.playing = threading.Event()
        self.gate = threading.Event()
        self.played: list[tuple[Path, datetime, datetime]] = []

    def is_available(self) -> bool:
        return True

    def play(self, wav: Path, volume: float) -> None:
        copy = self.folder / f"played-{len(self.played):02d}.wav"
        shutil.copy(wav, copy)
        start = self.clock.now()
        self.playing.set()
        assert self.gate.wait(30), "the test never let the speaker go on"
        self.clock.advance(wav_duration(copy))
        self.played.append((copy, start, self.clock.now()))


class RecordingVoice(Pyttsx3Voice):
    def __init__(self, cache_dir: Path) -> None:
        super().__init__(cache_dir=cache_dir)
        self.said: list[tuple[str, str]] = []

    def synthesise(self, text: str, lang: str) -> Path:
        wav = super().synthesise(text, lang)
        self.said.append((text, lang))
        return wav


@pytest.fixture
def big_hub(tmp_path: Path) -> Iterator[HubProcess]:
    hub = HubProcess(tmp_path / "hub").enroll_standard()
    for window in (3, 5, 6, 7):
        hub.enroll(f"counter-{window}", "counter", window)
    for clerk in ("1004", "1005", "1006", "1007"):
        hub.add_clerk(clerk, f"办事员{clerk}", PINS[clerk])
    hub.start()
    try:
        yield hub
    finally:
        hub.stop()


def rms(wav: Path) -> float:
    stat = subprocess.run(["sox", str(wav), "-n", "stat"], capture_output=True, text=True).stderr
    match = re.search(r"RMS\s+amplitude:\s+([0-9.]+)", stat)
    assert match, stat
    return float(match.group(1))


def test_a_burst_from_six_windows_is_all_said_and_a_no_show_withdrawn(
    qtbot: QtBot, big_hub: HubProcess, tmp_path: Path, artifacts: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="display")
    folder = artifacts / "display" / "burst"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    clock = SpeakerClock()
    player = HeldPlayer(folder, clock)
    voice = RecordingVoice(tmp_path / "voice")
    app = DisplayApp(DisplayOptions(mode="hall"), DisplaySettings(), clock=clock, voice=voice,
                     player=player, work_dir=tmp_path / "announce")
    peers: list[QtPeer] = []
    try:
        qtbot.addWidget(app.view)
        app.start(DeviceSettings(big_hub.url, "display-1", big_hub.tokens["display-1"]))
        qtbot.waitUntil(lambda: app.board.synced and app.board.connected, timeout=10000)
        kiosk = QtPeer(qtbot, big_hub, "kiosk-1")
        counters = {w: QtPeer(qtbot, big_hub, f"counter-{w}") for w in CLERKS}
        peers += [kiosk, *counters.values()]
        hall = load_hall(COUNTY)
        for window, clerk in CLERKS.items():
            counters[window].ask("sign_in", window=window, clerk=clerk, pin=PINS[clerk])
            for _ in range(2):
                kiosk.ask("issue", service=hall.windows[window].serves[0])

        replies: dict[int, dict[str, Any]] = {}
        for window in range(1, 7):  # six windows in the same second, not waiting for replies
            counters[window].bus.request(
                "call_next", {"window": window},
                on_done=lambda ok, payload, w=window: replies.__setitem__(w, payload))
        qtbot.waitUntil(lambda: len(replies) == 6, timeout=10000)
        called = {w: r["ticket"]["number"] for w, r in replies.items()}
        qtbot.waitUntil(player.playing.is_set, timeout=30000)  # the first call is on the speaker

        missed = counters[7].ask("call_next", window=7)["ticket"]["number"]
        qtbot.waitUntil(lambda: app.announcer is not None and
                        missed in [a.number for a in app.announcer.pending()], timeout=5000)
        counters[7].ask("no_show", window=7)  # nobody came while the speaker was busy
        qtbot.waitUntil(lambda: app.board.call_over(missed, 7) is not None, timeout=5000)
        player.gate.set()

        def drained() -> bool:
            return (app.announcer is not None and not app.announcer.pending()
                    and "not said" in caplog.text and len(player.played) >= 6)

        qtbot.waitUntil(drained, timeout=120000)
    finally:
        for peer in peers:
            peer.bus.stop()
        app.close()

    zh = [text for text, lang in voice.said if lang == "zh"]
    expected = {call_sentence(number, window, "zh").spoken for window, number in called.items()}
    assert set(zh) == expected  # all six said, the no-show never
    assert call_sentence(missed, 7, "zh").spoken not in zh
    # in the burst each is said once (the last too: the no-show's call still waited then)
    assert len(player.played) == 6
    assert sorted(zh[:6]) == sorted(expected)
    withdrawn = [r for r in caplog.records if "not said" in r.getMessage()]
    assert [(r.levelname, r.getMessage()) for r in withdrawn] == [
        ("WARNING", f"call of {missed} to window 7 not said: {missed} was marked no-show")]
    for wav, _, _ in player.played:  # real speech
        assert rms(wav) > 0.02
    firsts = [wav for wav, _, _ in player.played[:6]]
    for wav in firsts:
        assert wav_duration(wav) > wav_duration(CHIME) + 2.0
    starts = [start for _, start, _ in player.played]
    ends = [end for _, _, end in player.played]
    assert all(after >= before for before, after in zip(ends, starts[1:], strict=False))
    # the sixth call is said well within what a burst of six takes said once each
    assert (ends[5] - starts[0]).total_seconds() == pytest.approx(
        sum(wav_duration(w) for w in firsts), abs=0.5)
