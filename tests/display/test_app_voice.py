"""The display app's voice, fed what a display hears of the real engine (in this process, no
hub): a speaker that comes back after the first call, a call cut short by its window's pause."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from display.audio import FakePlayer
from display.main import DisplayApp, DisplayOptions
from display.model import hall_screen
from display.settings import DisplaySettings
from display.voice import FakeVoice
from tests.display.test_model import Hall
from tests.fakes import FakeClock


class GatedPlayer:
    """Plays at once, but holds the first sound until ``gate`` is set: the speaker is busy
    while the hall goes on."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.played: list[Path] = []

    def is_available(self) -> bool:
        return True

    def play(self, wav: Path, volume: float) -> None:
        assert self.gate.wait(30), "the test never let the speaker go on"
        self.played.append(wav)


@pytest.fixture
def voice(tmp_path: Path) -> FakeVoice:
    return FakeVoice(tmp_path / "voice", seconds=0.2)


@pytest.fixture
def apps() -> Iterator[list[DisplayApp]]:
    made: list[DisplayApp] = []
    yield made
    for app in made:
        app.close()


def start(qtbot: QtBot, apps: list[DisplayApp], hall: Hall, clock: FakeClock, voice: FakeVoice,
          player: FakePlayer | GatedPlayer, tmp_path: Path) -> DisplayApp:
    app = DisplayApp(DisplayOptions(mode="hall"), DisplaySettings(repeat=1), clock=clock,
                     voice=voice, player=player, work_dir=tmp_path / "announce")
    apps.append(app)
    qtbot.addWidget(app.view)
    app.model.on_snapshot(*hall.snapshot())
    app.model.on_status(True, "connected")
    return app


def do(app: DisplayApp, hall: Hall, action: str, *args: object) -> None:
    for frame in hall.do(action, *args):
        app.model.on_event(frame)


def said(voice: FakeVoice) -> list[str]:
    return [text for text, lang in voice.spoken if lang == "zh"]


def test_a_speaker_back_after_the_first_call_is_heard_without_a_restart(
    qtbot: QtBot, apps: list[DisplayApp], hall: Hall, clock: FakeClock, voice: FakeVoice,
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    """The USB speaker was unplugged at the first call: the display said nothing all day."""
    caplog.set_level(logging.INFO, logger="display")
    player = FakePlayer(clock, available=False)
    hall.open_window(1)  # in the snapshot: the announcer's thread may ask before the events
    hall.issue("social", 3)  # that follow a call are applied (the open window's was not fed)
    app = start(qtbot, apps, hall, clock, voice, player, tmp_path)
    do(app, hall, "call_next", 1)
    qtbot.waitUntil(lambda: "no sound output" in caplog.text, timeout=5000)
    player.available = True
    clock.advance(61)
    do(app, hall, "call_next", 1)
    qtbot.waitUntil(lambda: len(player.played) == 1, timeout=5000)
    assert said(voice) == ["请C零零二号到一号窗口办理"]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == [
        "announcements are silent: no sound output",
        "announcements can be heard again (the sound output is back)",
    ]


def test_a_call_withdrawn_by_a_pause_is_said_and_shown_when_the_window_resumes(
    qtbot: QtBot, apps: list[DisplayApp], hall: Hall, clock: FakeClock, voice: FakeVoice,
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    """Windows 1, 2 and 4 call in the same second; window 4 pauses before A001's turn comes
    (withdrawn: intended) and resumes 12 s later still calling A001, which was never said."""
    caplog.set_level(logging.INFO, logger="display")
    player = GatedPlayer()
    for window, clerk in ((1, "1001"), (2, "1002"), (4, "1003")):
        hall.open_window(window, clerk)  # in the snapshot, as in the test above
    hall.issue("social", 2)
    hall.issue("hukou")
    app = start(qtbot, apps, hall, clock, voice, player, tmp_path)
    for window in (1, 2, 4):
        do(app, hall, "call_next", window)
    qtbot.waitUntil(lambda: len(voice.spoken) > 0, timeout=5000)  # C001 is being said
    clock.advance(2)
    do(app, hall, "pause", 4)
    player.gate.set()
    qtbot.waitUntil(lambda: "call of A001 to window 4 not said: window 4 is paused" in caplog.text,
                    timeout=5000)
    assert said(voice) == ["请C零零一号到一号窗口办理", "请C零零二号到二号窗口办理"]
    clock.advance(12)
    do(app, hall, "resume", 4)
    qtbot.waitUntil(lambda: len(player.played) == 3, timeout=5000)
    assert said(voice)[-1] == "请A零零一号到四号窗口办理"
    screen = hall_screen(app.board, "zh")
    assert screen.newest is not None and screen.newest.number == "A001" and screen.newest.fresh
    do(app, hall, "pause", 4)  # a second pause and resume: it has been said now
    do(app, hall, "resume", 4)
    # what a resume owes is queued at once, in this thread, with its log line: none this time
    assert caplog.text.count("window 4 resumed: saying call of A001") == 1
    assert app.announcer is not None and app.announcer.pending() == []
    qtbot.wait(300)
    assert len(player.played) == 3
