"""The rating pad: its view-model with a hand-moved clock, then offscreen against a real hub."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from counter.evaluator import (
    ASK_SECONDS,
    CALL_GRACE_SECONDS,
    SEND_WAIT_SECONDS,
    THANKS_SECONDS,
    PadState,
    RatingPad,
)
from counter.main import PadApp
from hub.client import DeviceSettings
from hub.photos import CLERK_PHOTOS, clerk_photo, own_photo
from hub.qtbus import QtBus
from tests.counter.test_model import RecordingBus, event, ticket, window
from tests.hubproc import HubProcess
from tests.qtpeer import WAIT, QtPeer


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def state(pad: RatingPad) -> PadState:
    return pad.state


def finished(number: str = "C001", at: int = 1, **more: Any) -> dict[str, Any]:
    return event("ticket_finished", ticket=ticket(number, "done", window=at, clerk="1001", **more))


def make_pad(lang: str = "zh") -> tuple[RatingPad, RecordingBus, Ticks]:
    bus, clock = RecordingBus(), Ticks()
    pad = RatingPad(bus, lang=lang, clock=clock)
    pad.set_window(1)
    pad.on_snapshot(3, {"windows": [window(1), window(2, "closed")]})
    return pad, bus, clock


def test_at_rest_the_pad_shows_the_clerk() -> None:
    pad, _, _ = make_pad()
    assert pad.state is PadState.REST
    assert (pad.clerk_name, pad.clerk_id, pad.window_open) == ("张三", "1001", True)
    pad.on_event(event("window_changed", window=window(1, "closed")))
    assert not pad.window_open and pad.clerk_id is None
    assert pad.photo == CLERK_PHOTOS / "placeholder.png"


def test_a_finish_at_this_window_asks_for_a_rating() -> None:
    pad, bus, _ = make_pad()
    pad.on_event(finished("A001", at=4))
    pad.on_event(finished("C009", score=3))
    assert pad.state is PadState.REST
    pad.on_event(finished("C001"))
    assert state(pad) is PadState.ASKING and pad.can_rate()
    assert pad.seconds_left() == ASK_SECONDS
    assert pad.rate(4)
    assert not pad.rate(4)  # a second touch while sending does nothing
    assert [(s.op, s.params) for s in bus.sent] == [
        ("rate", {"ticket": "20261123-C001", "score": 4})
    ]
    bus.reply(True, {"ticket": ticket("C001", "done", score=4)})
    assert state(pad) is PadState.THANKED
    pad.tick()
    assert state(pad) is PadState.THANKED


def test_the_thanks_end_by_themselves(qtbot: QtBot) -> None:
    pad, bus, clock = make_pad()
    pad.on_event(finished())
    pad.rate(1)
    bus.reply(True, {"ticket": ticket("C001", "done", score=1)})
    clock.now += THANKS_SECONDS
    with qtbot.waitSignal(pad.changed, timeout=1000):
        pad.tick()
    assert pad.state is PadState.REST and pad.ticket is None


def test_no_answer_leaves_the_ticket_unrated() -> None:
    pad, bus, clock = make_pad()
    pad.on_event(finished())
    clock.now += ASK_SECONDS - 1
    pad.tick()
    assert pad.state is PadState.ASKING and pad.seconds_left() == 1
    clock.now += 1
    pad.tick()
    assert state(pad) is PadState.REST
    assert bus.sent == []
    assert not pad.rate(3)


def test_a_newer_finish_replaces_the_question() -> None:
    pad, bus, clock = make_pad()
    pad.on_event(finished("C001"))
    clock.now += 20
    pad.on_event(finished("C002"))
    assert pad.ticket is not None and pad.ticket["number"] == "C002"
    assert pad.seconds_left() == ASK_SECONDS
    pad.rate(2)
    assert bus.sent[0].params["ticket"] == "20261123-C002"


@pytest.mark.parametrize(
    ("code", "text"),
    [("invalid_state", "该业务已经评价过了。"),
     ("unavailable", "暂时无法提交评价，请告知窗口工作人员。"),
     ("forbidden", "评价未能提交，请告知窗口工作人员。")],
)
def test_a_refused_rating_says_so_then_rests(code: str, text: str) -> None:
    pad, bus, clock = make_pad()
    pad.on_event(finished())
    pad.rate(3)
    bus.reply(False, {"code": code, "message": "x"})
    assert pad.state is PadState.FAILED and pad.error == text
    clock.now += 10
    pad.tick()
    assert state(pad) is PadState.REST


def test_a_clerk_signing_out_ends_the_question() -> None:
    """The hub takes a window's ratings only while a clerk is signed in there: a sign-out ends
    the question, and a rating refused because of one is not called "rated already"."""
    pad, bus, _ = make_pad()
    pad.on_event(finished())
    pad.on_event(event("window_changed", window=window(1, "paused")))
    assert pad.state is PadState.ASKING  # a pause keeps the clerk signed in
    pad.on_event(event("window_changed", window=window(1, "closed")))
    assert state(pad) is PadState.REST and not pad.rate(4)
    pad.on_event(event("window_changed", window=window(1)))
    pad.on_event(finished("C002"))
    pad.rate(4)
    pad.window_state = {**pad.window_state, "state": "closed", "clerk": None}  # crossed on the way
    bus.reply(False, {"code": "invalid_state", "message": "window 1 is closed"})
    assert pad.state is PadState.FAILED and pad.error == "评价未能提交，请告知窗口工作人员。"


def called_here(number: str, state: str = "called") -> dict[str, Any]:
    return ticket(number, state, window=1, clerk="1001", calls=1)


def test_the_next_citizen_served_here_ends_the_question() -> None:
    """Whoever stands at the window once the next ticket is served is not the one asked."""
    pad, bus, _ = make_pad()
    pad.on_event(finished("C001"))
    pad.on_event(event("ticket_started", ticket={**called_here("A001", "serving"), "window": 4}))
    pad.on_event(event("ticket_called", ticket=called_here("C001"), window=1, calls=1))  # itself
    assert pad.state is PadState.ASKING and pad.seconds_left() == ASK_SECONDS
    pad.on_event(event("ticket_started", ticket=called_here("C002", "serving")))
    assert state(pad) is PadState.REST and not pad.rate(1)
    assert bus.sent == []


def test_a_call_of_the_next_ticket_leaves_a_short_grace() -> None:
    """The clerk finishes C001 and calls C002 at once (or calls C002 without finishing: the
    hub finishes C001 in that call): C001, still at the pad, may rate for a few seconds; C002
    cannot be at the window yet."""
    pad, bus, clock = make_pad()
    pad.on_event(finished("C001"))
    clock.now += 3
    pad.on_event(event("ticket_called", ticket=called_here("C002"), window=1, calls=1))
    pad.on_event(event("window_changed", window=window(1, current=called_here("C002"))))
    assert pad.state is PadState.ASKING and pad.seconds_left() == CALL_GRACE_SECONDS
    clock.now += CALL_GRACE_SECONDS - 1
    pad.tick()
    assert pad.rate(4)  # C001's own rating, in the grace
    assert bus.sent[0].params == {"ticket": "20261123-C001", "score": 4}

    pad.on_event(finished("C002"))  # not asked while C001's rating is on its way
    bus.reply(True, {"ticket": ticket("C001", "done", score=4)})
    clock.now += THANKS_SECONDS
    pad.tick()
    pad.on_event(finished("C003"))
    clock.now += 1
    pad.on_event(event("ticket_called", ticket=called_here("C004"), window=1, calls=1))
    clock.now += CALL_GRACE_SECONDS
    pad.tick()
    assert state(pad) is PadState.REST  # nobody rated C003 in the grace: left unrated
    assert len(bus.sent) == 1


def test_a_grace_never_lengthens_the_question() -> None:
    pad, _, clock = make_pad()
    pad.on_event(finished("C001"))
    clock.now += ASK_SECONDS - 2
    pad.on_event(event("ticket_called", ticket=called_here("C002"), window=1, calls=1))
    assert pad.seconds_left() == 2


def test_a_snapshot_after_a_reconnect_ends_the_question_as_the_events_would() -> None:
    pad, _, _ = make_pad()
    pad.on_event(finished("C001"))
    pad.on_snapshot(9, {"windows": [window(1, current=called_here("C002"))]})
    assert pad.state is PadState.ASKING and pad.seconds_left() == CALL_GRACE_SECONDS
    pad.on_snapshot(10, {"windows": [window(1, current=called_here("C002", "serving"))]})
    assert state(pad) is PadState.REST
    pad.on_event(finished("C002"))
    pad.on_snapshot(11, {"windows": [window(1, "closed")]})  # the clerk signed out meanwhile
    assert state(pad) is PadState.REST


def test_a_rating_the_hub_does_not_answer_yet_is_thanked_and_sent_later() -> None:
    """It waits with its id and no timeout (the bus sends it again after a reconnect, and the
    hub records it then): the pad must not say it failed."""
    pad, bus, clock = make_pad()
    pad.on_event(finished("C001"))
    assert pad.rate(4)
    assert pad.state is PadState.SENDING and pad.seconds_left() == 0
    clock.now += SEND_WAIT_SECONDS
    pad.tick()
    assert state(pad) is PadState.THANKED and pad.later
    assert pad.t("pad_thanks_later") == "您的评价已记下，网络恢复后将自动提交。"
    bus.reply(True, {"ticket": ticket("C001", "done", score=4)})  # the hub is back
    assert pad.state is PadState.THANKED and not pad.later
    clock.now += THANKS_SECONDS
    pad.tick()
    assert state(pad) is PadState.REST
    assert len(bus.sent) == 1


def test_a_rating_pressed_while_the_hub_is_away_is_kept() -> None:
    pad, bus, clock = make_pad()
    pad.on_event(finished("C001"))
    pad.on_status(False, "the hub refuses connections")
    assert pad.can_rate() and pad.rate(2)
    assert state(pad) is PadState.THANKED and pad.later
    assert bus.sent[0].params == {"ticket": "20261123-C001", "score": 2}
    clock.now += THANKS_SECONDS
    pad.tick()
    pad.on_event(finished("C002"))
    bus.reply(True, {"ticket": ticket("C001", "done", score=2)}, index=0)  # back, C002 asked
    assert pad.state is PadState.ASKING and pad.ticket is not None
    assert pad.ticket["number"] == "C002"


def test_the_hub_going_away_while_sending_thanks_at_once() -> None:
    pad, bus, _ = make_pad()
    pad.on_event(finished("C001"))
    pad.rate(3)
    pad.on_status(False, "gone")
    assert state(pad) is PadState.THANKED and pad.later
    # the hub refuses it when back, while the thanks still show: that is said
    bus.reply(False, {"code": "forbidden", "message": "x"})
    assert state(pad) is PadState.FAILED and pad.error == "评价未能提交，请告知窗口工作人员。"


def test_the_question_is_in_the_citizens_language() -> None:
    pad, _, _ = make_pad("zh")
    pad.on_event(finished(lang="en"))
    assert pad.lang == "en" and pad.t("pad_ask") == "Please rate our service"
    pad.rate(4)
    assert pad.lang == "en"
    pad.tick()


def test_scores_outside_one_to_four_are_a_bug() -> None:
    pad, _, _ = make_pad()
    pad.on_event(finished())
    with pytest.raises(ValueError):
        pad.rate(5)


def test_clerk_photo_or_the_placeholder(tmp_path: Path) -> None:
    (tmp_path / "placeholder.png").write_bytes(b"")
    (tmp_path / "1001.png").write_bytes(b"")
    assert clerk_photo("1001", tmp_path) == tmp_path / "1001.png"
    assert clerk_photo("1002", tmp_path) == tmp_path / "placeholder.png"
    assert clerk_photo("../1001", tmp_path) == tmp_path / "placeholder.png"
    assert clerk_photo(None, tmp_path) == tmp_path / "placeholder.png"
    assert own_photo("1001", tmp_path) == tmp_path / "1001.png"
    assert own_photo("1002", tmp_path) is None and own_photo("../1001", tmp_path) is None
    assert (CLERK_PHOTOS / "placeholder.png").is_file()


# ---------------------------------------------------------------------------------- real hub


@pytest.fixture
def hall(tmp_path: Path) -> Iterator[HubProcess]:
    """The standard test hall plus the rating pad of window 1, enrolled as a counter of window 1."""
    proc = HubProcess(tmp_path / "hub").enroll_standard()
    proc.enroll("rating-1", "counter", 1)
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


def shoot(app: PadApp, folder: Path, name: str) -> None:
    pad = app.pad
    for lang in ("zh", "en"):
        pad.default_lang = lang
        pad.changed.emit()
        QApplication.sendPostedEvents()
        QApplication.processEvents()
        assert app.view.grab().save(str(folder / f"{name}-{lang}.png"))
    pad.default_lang = "zh"
    pad.changed.emit()


def open_pad(qtbot: QtBot, hall: HubProcess, size: tuple[int, int]
             ) -> tuple[PadApp, QtBus, Ticks]:
    """Window 1's rating pad on the real hub, shown at ``size``, its bus started."""
    clock = Ticks()
    bus = QtBus(DeviceSettings(hall.url, "rating-1", hall.tokens["rating-1"]))
    app = PadApp(bus, lang="zh", clock=clock)
    qtbot.addWidget(app.view)
    app.view.resize(*size)
    app.view.show()
    bus.start()
    return app, bus, clock


def test_the_pad_against_a_real_hub(qtbot: QtBot, hall: HubProcess, artifacts: Path) -> None:
    folder = artifacts / "counter"
    folder.mkdir(exist_ok=True)
    admin = QtPeer(qtbot, hall, "admin-1")
    app, bus, clock = open_pad(qtbot, hall, (1024, 600))
    view, pad = app.view, app.pad
    try:
        qtbot.waitUntil(lambda: pad.window == 1 and pad.connected, timeout=WAIT)
        assert view.name.text() == "本窗口暂未开放"
        shoot(app, folder, "pad-closed")

        admin.ask("sign_in", window=1, clerk="1001", pin="1234")
        qtbot.waitUntil(lambda: view.name.text() == "张三", timeout=WAIT)
        assert view.staff.text() == "工号 1001"
        assert view.photo.pixmap() is not None and not view.photo.pixmap().isNull()
        shoot(app, folder, "pad-rest")

        first = admin.ask("issue", service="social")["ticket"]
        admin.ask("call_next", window=1)
        admin.ask("finish", window=1)
        qtbot.waitUntil(lambda: pad.state is PadState.ASKING, timeout=WAIT)
        assert view.stack.currentWidget() is view.ask
        assert view.ask_ticket.text() == f"{first['number']}号 · 业务已办结"
        shoot(app, folder, "pad-asking")
        for _ in range(2):  # the first resize is held to the landscape layout's minimum width
            view.resize(600, 1024)
            QApplication.processEvents()
        qtbot.waitUntil(lambda: view.size().toTuple() == (600, 1024), timeout=WAIT)
        shoot(app, folder, "pad-asking-portrait")
        view.resize(1024, 600)

        button = view.score_buttons[4]
        assert button.text() == "非常满意"
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: pad.state is PadState.THANKED, timeout=WAIT)
        assert view.thanks_text.text() == "感谢您的评价！"
        shoot(app, folder, "pad-thanked")
        assert admin.ask("find", ticket=first["id"])["ticket"]["score"] == 4

        # the next citizen does not answer: the ticket stays unrated
        second = admin.ask("issue", service="social")["ticket"]
        admin.ask("call_next", window=1)
        admin.ask("finish", window=1)
        qtbot.waitUntil(lambda: pad.ticket is not None and pad.ticket["id"] == second["id"],
                        timeout=WAIT)
        clock.now += ASK_SECONDS
        qtbot.waitUntil(lambda: pad.state is PadState.REST, timeout=WAIT)
        assert view.stack.currentWidget() is view.rest
        assert admin.ask("find", ticket=second["id"])["ticket"]["score"] is None

        # a ticket served at another window is not this pad's to rate
        admin.ask("sign_in", window=2, clerk="1002", pin="2345")
        admin.ask("issue", service="social")
        admin.ask("call_next", window=2)
        admin.ask("finish", window=2)
        admin.ask("pause", window=1, reason="break")  # an event of window 1 after those
        qtbot.waitUntil(lambda: pad.window_state.get("state") == "paused", timeout=WAIT)
        assert pad.state is PadState.REST
    finally:
        bus.stop()
        admin.bus.stop()
        app.close()


def test_the_next_citizen_cannot_rate_the_last_one_s_service(
    qtbot: QtBot, hall: HubProcess, artifacts: Path
) -> None:
    """The clerk calls C002 without finishing C001 (the hub finishes C001 in that call): the
    pad asks about C001 only for the grace, and not once C002 is served. Then a rating pressed
    while the hub is away is thanked for, not called failed, and recorded once it is back."""
    folder = artifacts / "counter"
    folder.mkdir(exist_ok=True)
    admin = QtPeer(qtbot, hall, "admin-1")
    app, bus, clock = open_pad(qtbot, hall, (800, 480))
    view, pad = app.view, app.pad
    try:
        qtbot.waitUntil(lambda: pad.window == 1 and pad.connected, timeout=WAIT)
        admin.ask("sign_in", window=1, clerk="1001", pin="1234")
        first, second, third = (admin.ask("issue", service="social")["ticket"] for _ in range(3))
        admin.ask("call_next", window=1)
        admin.ask("start", window=1)
        admin.ask("call_next", window=1)  # finishes the first
        qtbot.waitUntil(lambda: pad.seconds_left() == CALL_GRACE_SECONDS, timeout=WAIT)
        assert pad.ticket is not None and pad.ticket["id"] == first["id"]
        assert view.ask_ticket.text() == f"{first['number']}号 · 业务已办结"
        assert view.seconds.text() == f"{int(CALL_GRACE_SECONDS)}秒后自动结束"
        shoot(app, folder, "pad-asking-while-next-called")
        admin.ask("start", window=1)  # the second citizen is at the window now
        qtbot.waitUntil(lambda: pad.state is PadState.REST, timeout=WAIT)
        assert view.stack.currentWidget() is view.rest
        assert admin.ask("find", ticket=first["id"])["ticket"]["score"] is None

        admin.ask("finish", window=1)
        qtbot.waitUntil(lambda: pad.ticket is not None and pad.ticket["id"] == second["id"],
                        timeout=WAIT)
        hall.kill()
        qtbot.waitUntil(lambda: not pad.connected, timeout=WAIT)
        QTest.mouseClick(view.score_buttons[4], Qt.MouseButton.LeftButton)
        assert pad.state is PadState.THANKED and pad.later
        assert view.thanks_text.text() == "感谢您的评价！"
        assert view.thanks_more.text() == "您的评价已记下，网络恢复后将自动提交。"
        shoot(app, folder, "pad-thanked-sent-later")
        hall.start()
        qtbot.waitUntil(lambda: pad.connected and not pad.later, timeout=20_000)
        assert view.thanks_more.text() == "欢迎再次光临。"
        assert admin.ask("find", ticket=second["id"])["ticket"]["score"] == 4

        # a press the hub takes its time over: "sending", with no countdown, never "failed"
        admin.ask("call_next", window=1)
        admin.ask("finish", window=1)
        qtbot.waitUntil(lambda: pad.ticket is not None and pad.ticket["id"] == third["id"],
                        timeout=WAIT)
        hub_process = hall.proc
        assert hub_process is not None
        hub_process.send_signal(signal.SIGSTOP)  # the hub hangs: a request gets no answer
        try:
            QTest.mouseClick(view.score_buttons[3], Qt.MouseButton.LeftButton)
            assert pad.state is PadState.SENDING
            assert view.ask_title.text() == "正在提交…" and view.seconds.text() == ""
            assert not view.score_buttons[3].isEnabled()
            shoot(app, folder, "pad-sending")
            clock.now += SEND_WAIT_SECONDS
            qtbot.waitUntil(lambda: pad.state is PadState.THANKED and pad.later, timeout=WAIT)
        finally:
            hub_process.send_signal(signal.SIGCONT)
        qtbot.waitUntil(lambda: not pad.later, timeout=WAIT)
        assert admin.ask("find", ticket=third["id"])["ticket"]["score"] == 3
    finally:
        bus.stop()
        admin.bus.stop()
        app.close()
