"""The rating pad: its view-model with a hand-moved clock, then offscreen against a real hub."""

from __future__ import annotations

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
    CLERK_PHOTOS,
    THANKS_SECONDS,
    PadState,
    RatingPad,
    clerk_photo,
)
from counter.main import PadApp
from hub.client import DeviceSettings
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


def test_the_pad_against_a_real_hub(qtbot: QtBot, hall: HubProcess, artifacts: Path) -> None:
    folder = artifacts / "counter"
    folder.mkdir(exist_ok=True)
    admin = QtPeer(qtbot, hall, "admin-1")
    clock = Ticks()
    bus = QtBus(DeviceSettings(hall.url, "rating-1", hall.tokens["rating-1"]))
    app = PadApp(bus, lang="zh", clock=clock)
    view, pad = app.view, app.pad
    qtbot.addWidget(view)
    view.resize(1024, 600)
    view.show()
    bus.start()
    try:
        qtbot.waitUntil(lambda: pad.window == 1 and pad.connected, timeout=WAIT)
        assert view.name.text() == "本窗口暂停办理"
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
