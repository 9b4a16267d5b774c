"""The display app offscreen against a real hub: screens follow the bus, calls are announced.

Screenshots of every mode, in Chinese and English, landscape and portrait, with no calls and
after a burst of calls, go to tests/artifacts/display/.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from display.audio import FakePlayer
from display.main import DisplayApp, DisplayOptions
from display.model import hall_screen, window_screen, zone_screen
from display.settings import DisplaySettings
from display.speech import call_sentence
from display.views import BoardView, Screen, mark_call
from display.voice import FakeVoice
from hub.client import DeviceSettings
from hub.clock import SystemClock
from tests.hubproc import HubProcess
from tests.qtpeer import QtPeer

SIZES = {"landscape": (1920, 1080), "portrait": (1080, 1920)}
PINS = {"1001": "1234", "1002": "2345", "1003": "3456"}


@pytest.fixture
def peers(qtbot: QtBot, hub: HubProcess) -> Iterator[Callable[[str], QtPeer]]:
    made: dict[str, QtPeer] = {}

    def peer(device: str) -> QtPeer:
        if device not in made:
            made[device] = QtPeer(qtbot, hub, device)
        return made[device]

    yield peer
    for p in made.values():
        p.bus.stop()


@pytest.fixture
def voice(tmp_path: Path) -> FakeVoice:
    return FakeVoice(tmp_path / "voice", seconds=0.2)


@pytest.fixture
def player() -> FakePlayer:
    return FakePlayer(SystemClock())


@pytest.fixture
def shots(artifacts: Path) -> Path:
    folder = artifacts / "display"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture
def start_display(
    qtbot: QtBot, hub: HubProcess, voice: FakeVoice, player: FakePlayer, tmp_path: Path
) -> Iterator[Callable[..., DisplayApp]]:
    apps: list[DisplayApp] = []

    def start(options: DisplayOptions, settings: DisplaySettings | None = None,
              the_player: FakePlayer | None = None) -> DisplayApp:
        app = DisplayApp(options, settings or DisplaySettings(), voice=voice,
                         player=the_player or player, work_dir=tmp_path / "announce")
        apps.append(app)
        qtbot.addWidget(app.view)
        app.view.resize(*SIZES["landscape"])
        app.view.show()
        app.start(DeviceSettings(hub.url, "display-1", hub.tokens["display-1"]))
        qtbot.waitUntil(lambda: app.board.synced and app.board.connected, timeout=10000)
        return app

    yield start
    for app in apps:
        app.close()


def sign_in(peer: QtPeer, window: int, clerk: str) -> None:
    peer.ask("sign_in", window=window, clerk=clerk, pin=PINS[clerk])


def shoot(app: DisplayApp, build: Callable[[str], Screen], folder: Path, name: str) -> list[Path]:
    """Save the board in zh and en, landscape and portrait; returns the files."""
    saved = []
    for lang in ("zh", "en"):
        for shape, size in SIZES.items():
            view = BoardView(app.model, lambda lang=lang: build(lang))  # type: ignore[misc]
            view.resize(*size)
            path = folder / f"{name}-{lang}-{shape}.png"
            assert view.grab().save(str(path))
            view.close()
            view.deleteLater()
            saved.append(path)
    return saved


def test_the_hall_screen_follows_a_burst_of_calls_and_announces_each(
    qtbot: QtBot, hub: HubProcess, peers: Callable[[str], QtPeer], start_display: Callable[..., DisplayApp],
    voice: FakeVoice, player: FakePlayer, shots: Path,
) -> None:
    app = start_display(DisplayOptions(mode="hall"), DisplaySettings(repeat=1))
    assert app.board.hall_name == "县政务服务中心"
    empty = hall_screen(app.board, "zh")
    assert empty.newest is None and len(empty.queues) == 12
    shoot(app, lambda lang: hall_screen(app.board, lang), shots, "hall-empty")

    kiosk, desk = peers("kiosk-1"), peers("desk-1")
    counters = {1: peers("counter-1"), 2: peers("counter-2"), 4: peers("counter-4")}
    sign_in(counters[1], 1, "1001")
    sign_in(counters[2], 2, "1002")
    sign_in(counters[4], 4, "1003")
    for service in ("social", "social", "medical", "hukou", "idcard", "social", "employ"):
        kiosk.ask("issue", service=service)
    qtbot.waitUntil(lambda: app.board.services["social"].waiting == 3, timeout=5000)

    called = []
    for window in (1, 2, 4, 1, 4, 2):
        called.append((counters[window].ask("call_next", window=window)["ticket"]["number"], window))
    counters[1].ask("recall", window=1)
    desk.ask("announce", text="各位市民请注意：大厅将于17:30停止取号，请合理安排时间。", lang="zh")
    qtbot.waitUntil(lambda: bool(app.board.notices), timeout=5000)

    screen = hall_screen(app.board, "zh")
    last_number = called[3][0]  # window 1's second call, then recalled: newest again
    assert screen.newest is not None and screen.newest.number == last_number and screen.newest.recall
    assert screen.newest.sentence.primary == f"请 {last_number} 号到 1 号窗口"
    assert [(r.number, int(r.window.secondary.split()[-1])) for r in screen.recent] == [
        c for c in reversed(called) if c[0] != last_number
    ]
    assert screen.ticker.startswith("各位市民请注意")
    shoot(app, lambda lang: hall_screen(app.board, lang), shots, "hall-burst")

    # six calls, the recall and the desk's message, said one after the other (the recall may be
    # merged with its call if that was not said yet: the announcer says a number once per turn)
    def message_said() -> bool:
        return any(text.startswith("各位市民请注意") for text, _ in voice.spoken) and \
            app.announcer is not None and not app.announcer.pending() and len(player.played) >= 7

    qtbot.waitUntil(message_said, timeout=20000)
    said = [text for text, lang in voice.spoken if lang == "zh"]
    assert said[0] == f"请{called[0][0][0]}零零一号到一号窗口办理"
    assert said[-1].startswith("各位市民请注意：大厅将于十七点三十分停止取号")
    assert {call_sentence(number, window, "zh").spoken for number, window in called} <= set(said)
    assert 7 <= len(player.played) <= 8
    for before, after in zip(player.played, player.played[1:], strict=False):
        assert after.start >= before.end


def test_the_window_screen_shows_its_clerk_call_and_pause(
    qtbot: QtBot, peers: Callable[[str], QtPeer], start_display: Callable[..., DisplayApp], shots: Path,
) -> None:
    app = start_display(DisplayOptions(mode="window", window=1))
    assert not app.speaking and app.announcer is None  # window screens only show, by default
    closed = window_screen(app.board, 1, "zh")
    assert closed.state == "closed" and closed.calling is None
    shoot(app, lambda lang: window_screen(app.board, 1, lang), shots, "window-closed")

    counter, kiosk = peers("counter-1"), peers("kiosk-1")
    sign_in(counter, 1, "1001")
    kiosk.ask("issue", service="medical")
    number = counter.ask("call_next", window=1)["ticket"]["number"]
    qtbot.waitUntil(lambda: window_screen(app.board, 1).calling == number, timeout=5000)
    screen = window_screen(app.board, 1, "zh")
    assert screen.clerk is not None and screen.clerk.primary == "工作人员 张三　工号 1001"
    assert screen.fresh
    shoot(app, lambda lang: window_screen(app.board, 1, lang), shots, "window-calling")

    counter.ask("finish", window=1)
    counter.ask("pause", window=1, reason="午休")
    qtbot.waitUntil(lambda: window_screen(app.board, 1).state == "paused", timeout=5000)
    paused = window_screen(app.board, 1, "zh")
    assert paused.state_text is not None and paused.state_text.primary == "暂停服务（午休）"
    shoot(app, lambda lang: window_screen(app.board, 1, lang), shots, "window-paused")
    assert app.announcer is None


def test_the_zone_screen_announces_only_its_zone(
    qtbot: QtBot, peers: Callable[[str], QtPeer], start_display: Callable[..., DisplayApp],
    voice: FakeVoice, player: FakePlayer, shots: Path,
) -> None:
    app = start_display(DisplayOptions(mode="zone", zone="综合服务区"))
    shoot(app, lambda lang: zone_screen(app.board, "综合服务区", lang), shots, "zone-empty")
    kiosk = peers("kiosk-1")
    for service in ("social", "hukou", "medical"):
        kiosk.ask("issue", service=service)
    sign_in(peers("counter-4"), 4, "1003")
    sign_in(peers("counter-1"), 1, "1001")
    sign_in(peers("counter-2"), 2, "1002")
    peers("counter-4").ask("call_next", window=4)  # another zone: shown elsewhere, not said here
    first = peers("counter-1").ask("call_next", window=1)["ticket"]["number"]
    second = peers("counter-2").ask("call_next", window=2)["ticket"]["number"]
    qtbot.waitUntil(lambda: app.announcer is not None and not app.announcer.pending()
                    and len({text for text, lang in voice.spoken if lang == "zh"}) == 2, timeout=10000)
    said = [text for text, lang in voice.spoken if lang == "zh"]
    assert (first, second) == ("C001", "E001")
    assert set(said) == {"请C零零一号到一号窗口办理", "请E零零一号到二号窗口办理"}  # not window 4's A001
    peers("counter-2").ask("pause", window=2, reason="培训")
    qtbot.waitUntil(lambda: zone_screen(app.board, "综合服务区").cards[1].state == "paused", timeout=5000)
    screen = zone_screen(app.board, "综合服务区", "zh")
    assert [(c.number, c.calling) for c in screen.cards] == [(1, first), (2, second), (3, None)]
    shoot(app, lambda lang: zone_screen(app.board, "综合服务区", lang), shots, "zone-burst")


def test_a_lost_hub_shows_reconnecting_then_the_screen_is_rebuilt(
    qtbot: QtBot, hub: HubProcess, peers: Callable[[str], QtPeer], start_display: Callable[..., DisplayApp],
    shots: Path,
) -> None:
    app = start_display(DisplayOptions(mode="hall"), DisplaySettings(voice=False))
    counter, kiosk = peers("counter-1"), peers("kiosk-1")
    sign_in(counter, 1, "1001")
    kiosk.ask("issue", service="social")
    kiosk.ask("issue", service="social")
    first = counter.ask("call_next", window=1)["ticket"]["number"]
    qtbot.waitUntil(lambda: app.board.newest() is not None, timeout=5000)

    hub.kill()
    qtbot.waitUntil(lambda: not app.board.connected, timeout=10000)
    screen = hall_screen(app.board, "zh")
    assert screen.header.stale and screen.header.status is not None
    assert screen.newest is not None and screen.newest.number == first and not screen.newest.fresh
    shoot(app, lambda lang: hall_screen(app.board, lang), shots, "hall-reconnecting")

    hub.start()
    qtbot.waitUntil(lambda: app.board.connected, timeout=20000)
    second = counter.ask("call_next", window=1)["ticket"]["number"]
    qtbot.waitUntil(lambda: app.board.newest() is not None and app.board.newest().number == second,  # type: ignore[union-attr]
                    timeout=10000)
    screen = hall_screen(app.board, "zh")
    assert screen.header.status is None and not screen.header.stale
    assert [r.number for r in screen.recent] == [first]


def test_with_no_sound_output_the_screen_goes_on_and_says_so_once(
    qtbot: QtBot, peers: Callable[[str], QtPeer], start_display: Callable[..., DisplayApp],
    caplog: pytest.LogCaptureFixture,
) -> None:
    mute = FakePlayer(SystemClock(), available=False)
    caplog.set_level(logging.INFO, logger="display")
    app = start_display(DisplayOptions(mode="hall"), the_player=mute)
    counter, kiosk = peers("counter-1"), peers("kiosk-1")
    sign_in(counter, 1, "1001")
    for _ in range(2):
        kiosk.ask("issue", service="social")
    counter.ask("call_next", window=1)
    number = counter.ask("call_next", window=1)["ticket"]["number"]
    qtbot.waitUntil(lambda: app.board.newest() is not None and app.board.newest().number == number,  # type: ignore[union-attr]
                    timeout=5000)
    # the announcer drains its queue silently, and looks for the speaker again later
    qtbot.waitUntil(lambda: app.announcer is not None and not app.announcer.pending(), timeout=5000)
    qtbot.waitUntil(lambda: "no sound output" in caplog.text, timeout=5000)
    qtbot.wait(200)
    warnings = [r for r in caplog.records
                if "no sound output" in r.getMessage() and r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in warnings] == ["announcements are silent: no sound output"]
    assert mute.played == []


def test_the_newest_call_marks_its_number_and_window() -> None:
    assert mark_call("请 A012 号到 12 号窗口", "A012", 12) == "请 \x01A012\x02 号到 \x0112\x02 号窗口"
    assert mark_call("A012 → Window 5", "A012", 5) == "\x01A012\x02 → Window \x015\x02"
    assert mark_call("no number here", "A012", 5) == "no number here"


def test_a_zone_the_hall_does_not_have_is_a_warning_naming_its_zones(
    qtbot: QtBot, peers: Callable[[str], QtPeer], start_display: Callable[..., DisplayApp],
    caplog: pytest.LogCaptureFixture, shots: Path,
) -> None:
    caplog.set_level(logging.INFO, logger="display")
    app = start_display(DisplayOptions(mode="zone", zone="一楼大厅"), DisplaySettings(voice=False))
    assert not zone_screen(app.board, "一楼大厅").found
    peers("kiosk-1").ask("issue", service="social")  # more events: still one warning
    qtbot.waitUntil(lambda: app.board.services["social"].waiting == 1, timeout=5000)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == ["there is no zone '一楼大厅' in this hall; its zones are: "
                        "综合服务区, 行政审批区, 文印缴费区 (check --zone/--window)"]
    shoot(app, lambda lang: zone_screen(app.board, "一楼大厅", lang), shots, "zone-missing")
