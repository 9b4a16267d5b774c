"""The display's board and view-models, fed with what the real engine sends a display."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from display.model import (
    Audience,
    CallCue,
    DisplayModel,
    HallBoard,
    MessageCue,
    ResumeCue,
    Text,
    audience_for,
    hall_screen,
    screen_langs,
    window_screen,
    zone_screen,
)
from hub.config import load_hall
from hub.engine import HallEngine
from hub.model import Clerk
from hub.protocol import Role, event_for, snapshot_for
from tests.fakes import FakeClock
from tests.hubproc import COUNTY


class Hall:
    """The real engine, and what a display hears of it: snapshots and event frames."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.engine = HallEngine(load_hall(COUNTY), clock, always_open=True)
        self.seq = 0

    def snapshot(self) -> tuple[int, dict[str, Any]]:
        return self.seq, snapshot_for(Role.DISPLAY, self.engine.snapshot())

    def do(self, action: str, *args: Any) -> list[dict[str, Any]]:
        outcome = getattr(self.engine, action)(*args)
        frames = []
        for event in outcome.events:
            self.seq += 1
            data = event_for(Role.DISPLAY, event.name, event.data)
            if data is not None:
                frames.append({"event": event.name, "seq": self.seq,
                               "at": self.clock.now().isoformat(), "data": data})
        return frames

    def open_window(self, number: int, clerk: str = "1001", name: str = "张三") -> None:
        self.do("sign_in", number, Clerk(clerk, name))

    def issue(self, service: str, count: int = 1) -> None:
        for _ in range(count):
            self.do("issue", service)


@pytest.fixture
def board(hall: Hall, clock: FakeClock) -> HallBoard:
    board = HallBoard(clock, highlight_s=10, max_age_s=60)
    board.apply_snapshot(*hall.snapshot())
    board.set_status(True, "connected")
    return board


def feed(board: HallBoard, frames: list[dict[str, Any]]) -> list[object]:
    cues: list[object] = []
    for frame in frames:
        cues += board.apply_event(frame)
    return cues


def test_an_empty_hall_shows_its_name_queues_and_no_calls(board: HallBoard) -> None:
    screen = hall_screen(board, "zh")
    assert screen.header.title.primary == "县政务服务中心"
    assert screen.header.title.secondary == "County Government Service Center"
    assert screen.header.status is None
    assert screen.newest is None and screen.recent == []
    assert screen.no_calls.primary.startswith("暂无叫号")
    assert screen.no_calls.secondary.startswith("No calls yet")
    assert len(screen.queues) == 12
    assert screen.queues[0].name.primary == "户籍业务"
    assert screen.queues[0].wait.primary == "0 人等候"
    assert "欢迎来到县政务服务中心" in screen.ticker and "Welcome to the County" in screen.ticker
    assert screen.header.date == "2026年11月23日 星期一" and screen.header.clock == "10:00"


def test_a_screen_switched_on_before_opening_shows_services_open_at_their_hour() -> None:
    # Monday 08:10 in Shanghai; the screen keeps this snapshot all day
    clock = FakeClock(datetime(2026, 11, 23, 0, 10, tzinfo=UTC))
    engine = HallEngine(load_hall(COUNTY), clock)
    board = HallBoard(clock)
    board.apply_snapshot(0, snapshot_for(Role.DISPLAY, engine.snapshot()))

    def shown() -> dict[str, str]:
        return {q.prefix: q.wait.primary for q in hall_screen(board).queues if q.prefix in ("A", "J")}

    assert shown() == {"A": "暂停取号", "J": "暂停取号"}  # hukou; J: marriage (08:30-11:30, 14:00-)
    clock.advance(minutes=30)  # 08:40: open, with no new snapshot
    assert shown() == {"A": "0 人等候", "J": "0 人等候"}
    assert all(q.open for q in hall_screen(board).queues if q.prefix in ("A", "J"))
    clock.advance(hours=3, minutes=10)  # 11:50: marriage's lunch break
    assert shown() == {"A": "0 人等候", "J": "暂停取号"}
    clock.advance(hours=5, minutes=50)  # 17:40: the hall has closed
    assert shown() == {"A": "暂停取号", "J": "暂停取号"}


def test_english_first_puts_english_large_and_chinese_small(board: HallBoard) -> None:
    screen = hall_screen(board, "en")
    assert screen.header.title.primary == "County Government Service Center"
    assert screen.header.title.secondary == "县政务服务中心"
    assert screen.header.date == "Monday, 2026-11-23"
    assert screen.queues[0].name.primary == "Household registration"
    assert screen.queues[0].name.secondary == "户籍业务"


def test_a_call_becomes_the_newest_highlighted_and_is_cued(
    hall: Hall, board: HallBoard, clock: FakeClock
) -> None:
    hall.open_window(4, "1002", "李四")
    hall.issue("hukou", 2)
    feed(board, hall.do("sign_in", 5, Clerk("1003", "王五")))
    cues = feed(board, hall.do("call_next", 4))
    assert cues == [CallCue("A001", 4)]
    screen = hall_screen(board, "zh")
    assert screen.newest is not None
    assert screen.newest.sentence.primary == "请 A001 号到 4 号窗口"
    assert screen.newest.sentence.secondary == "A001 → Window 4"
    assert screen.newest.fresh
    assert screen.queues[0].waiting == 1 and screen.queues[0].wait.secondary == "1 waiting"
    clock.advance(9)
    assert hall_screen(board, "zh").newest.fresh  # type: ignore[union-attr]
    clock.advance(2)
    assert not hall_screen(board, "zh").newest.fresh  # type: ignore[union-attr]


def test_a_recall_is_cued_as_a_recall_and_moves_to_the_top(hall: Hall, board: HallBoard) -> None:
    hall.open_window(1)
    hall.open_window(2, "1002", "李四")
    hall.issue("social", 3)
    feed(board, hall.do("call_next", 1))
    feed(board, hall.do("call_next", 2))
    assert [c.number for c in board.calls[:2]] == ["C002", "C001"]
    cues = feed(board, hall.do("recall", 1))
    assert cues == [CallCue("C001", 1, recall=True)]
    screen = hall_screen(board, "zh")
    assert screen.newest is not None and screen.newest.number == "C001" and screen.newest.recall
    assert screen.now_calling.primary == "再次呼叫"
    assert [row.number for row in screen.recent] == ["C002"]  # one line per ticket


def test_a_burst_keeps_the_last_ten_calls_newest_first(hall: Hall, board: HallBoard) -> None:
    hall.open_window(1)
    hall.issue("social", 14)
    for _ in range(14):
        feed(board, hall.do("call_next", 1))
    screen = hall_screen(board, "en")
    assert screen.newest is not None and screen.newest.number == "C014"
    assert [r.number for r in screen.recent] == [f"C{n:03d}" for n in range(13, 4, -1)]
    assert screen.recent[0].window.primary == "Window 1" and screen.recent[0].window.secondary == "1号窗口"


@pytest.mark.parametrize(
    ("action", "args", "why"),
    [
        ("no_show", (1,), "C001 was marked no-show"),
        ("transfer", (1, "medical"), "C001 was transferred"),
        ("finish", (1,), "C001 was finished"),
        ("cancel", ("C001",), "C001 was cancelled"),
        ("sign_out", (1,), "C001 was finished"),  # signing out finishes the ticket served
        ("pause", (1, "午休"), "window 1 is paused"),
        ("call_next", (1,), "C001 was finished"),  # calling next finishes the one called
    ],
)
def test_a_call_is_over_once_its_ticket_or_window_moves_on(
    hall: Hall, board: HallBoard, action: str, args: tuple[Any, ...], why: str
) -> None:
    hall.open_window(1)
    hall.open_window(2, "1002", "李四")
    hall.issue("social", 3)
    feed(board, hall.do("call_next", 1))
    feed(board, hall.do("call_next", 2))
    assert board.call_over("C001", 1) is None and board.call_over("C002", 2) is None
    assert hall_screen(board, "zh").recent[0].fresh  # C001, window 1: still news
    feed(board, hall.do(action, *args))
    assert board.call_over("C001", 1) == why
    screen = hall_screen(board, "zh")
    c001 = [r for r in screen.recent if r.number == "C001"]
    assert c001 == [] or not c001[0].fresh  # no longer highlighted as its window's call
    assert not (screen.newest is not None and screen.newest.number == "C001" and screen.newest.fresh)


def test_a_ticket_called_again_is_current_again(hall: Hall, board: HallBoard) -> None:
    hall.open_window(1)
    hall.open_window(2, "1002", "李四")
    hall.issue("social", 2)
    feed(board, hall.do("call_next", 1))
    feed(board, hall.do("no_show", 1))
    assert board.call_over("C001", 1) == "C001 was marked no-show"
    feed(board, hall.do("reinstate", "C001"))
    feed(board, hall.do("call_next", 2))  # reinstated first: window 2 calls it
    assert board.call_over("C001", 2) is None
    assert board.call_over("C001", 1) == "window 1 calls no ticket now"
    feed(board, hall.do("transfer", 2, None, 1))  # sent to window 1, which calls it
    assert board.call_over("C001", 2) == "C001 was transferred"
    feed(board, hall.do("call_next", 1))
    assert board.call_over("C001", 1) is None
    board.apply_event({"event": "day_started", "seq": 999, "data": {"day": "2026-11-24"}})
    assert board.ended == {}


def test_a_window_the_board_has_not_heard_of_lets_its_call_stand(clock: FakeClock) -> None:
    assert HallBoard(clock).call_over("C001", 1) is None  # before the first snapshot


def test_cut_off_the_board_dims_and_says_reconnecting(board: HallBoard, hall: Hall) -> None:
    hall.open_window(1)
    hall.issue("social")
    feed(board, hall.do("call_next", 1))
    board.set_status(False, "the hub refuses connections")
    screen = hall_screen(board, "zh")
    assert screen.header.stale
    assert screen.header.status is not None
    assert (screen.header.status.primary, screen.header.status.secondary) == ("重新连接中", "Reconnecting")
    assert screen.newest is not None and not screen.newest.fresh  # never news while stale


def test_before_the_first_snapshot_it_says_connecting(clock: FakeClock) -> None:
    board = HallBoard(clock)
    screen = hall_screen(board, "zh")
    assert screen.header.status is not None and screen.header.status.primary == "正在连接服务中心…"
    assert window_screen(board, 5, "zh").idle.primary == "正在连接服务中心…"


def test_a_resync_rebuilds_from_recent_calls_and_cues_only_missed_recent_calls(
    hall: Hall, clock: FakeClock
) -> None:
    board = HallBoard(clock, max_age_s=60)
    hall.open_window(1)
    hall.open_window(2, "1002", "李四")
    hall.issue("social", 4)
    hall.do("call_next", 1)  # C001, before this display started: shown, not news, not said
    assert board.apply_snapshot(*hall.snapshot()) == []
    assert [c.number for c in board.calls] == ["C001"] and not board.is_fresh(board.calls[0])
    board.set_status(True, "connected")
    board.set_status(False, "lost")
    clock.advance(120)
    hall.do("call_next", 2)  # C002, two minutes before the resync: too old to say
    clock.advance(110)
    hall.do("call_next", 1)  # C003, while cut off, 10 s before the resync
    clock.advance(10)
    cues = board.apply_snapshot(*hall.snapshot())
    board.set_status(True, "connected")
    assert cues == [CallCue("C003", 1)]
    assert [c.number for c in board.calls] == ["C003", "C002", "C001"]
    assert not board.is_fresh(board.calls[0])  # called 10 s ago: no longer highlighted
    # a snapshot that brings nothing new cues nothing
    assert board.apply_snapshot(*hall.snapshot()) == []


def test_a_resync_does_not_cue_a_missed_call_that_is_over(hall: Hall, clock: FakeClock) -> None:
    board = HallBoard(clock)
    hall.open_window(1)
    hall.open_window(2, "1002", "李四")
    hall.issue("social", 3)
    board.apply_snapshot(*hall.snapshot())
    board.set_status(True, "connected")
    board.set_status(False, "lost")
    hall.do("call_next", 1)  # C001, then marked no-show, while this display was cut off
    hall.do("no_show", 1)
    hall.do("call_next", 2)  # C002: still called
    clock.advance(5)
    assert board.apply_snapshot(*hall.snapshot()) == [CallCue("C002", 2)]
    assert board.call_over("C001", 1) == "window 1 calls no ticket now"


def test_a_call_heard_live_is_not_said_again_by_the_snapshot_of_a_reconnect(
    hall: Hall, clock: FakeClock
) -> None:
    """Events carry milliseconds, a snapshot's recent calls whole seconds: C001, heard and said,
    came back as a recall on every reconnect."""
    board = HallBoard(clock, max_age_s=60)
    hall.open_window(1)
    hall.issue("social", 2)
    board.apply_snapshot(*hall.snapshot())
    board.set_status(True, "connected")
    clock.advance(0.786)
    assert feed(board, hall.do("call_next", 1)) == [CallCue("C001", 1)]
    heard_at = board.calls[0].at
    clock.advance(5)
    board.set_status(False, "lost")
    assert board.apply_snapshot(*hall.snapshot()) == []
    assert board.calls[0].at == heard_at  # the board keeps the time it heard


def test_a_window_that_called_twice_while_cut_off_has_only_its_newest_call_said(
    hall: Hall, clock: FakeClock
) -> None:
    board = HallBoard(clock, max_age_s=60)
    hall.open_window(1)
    hall.issue("social", 3)
    board.apply_snapshot(*hall.snapshot())
    board.set_status(True, "connected")
    board.set_status(False, "lost")
    hall.do("call_next", 1)  # C001, then C002: window 1 calls C002 now
    clock.advance(5)
    hall.do("call_next", 1)
    clock.advance(5)
    assert board.apply_snapshot(*hall.snapshot()) == [CallCue("C002", 1)]
    assert [c.number for c in board.calls] == ["C002", "C001"]


def test_a_recall_missed_while_cut_off_is_shown_as_a_recall(hall: Hall, clock: FakeClock) -> None:
    """Said as a recall after the resync, it was shown as a new call (正在叫号): the snapshot's
    ticket carries how many times it was called."""
    board = HallBoard(clock, max_age_s=60)
    hall.open_window(2, "1002", "李四")
    hall.issue("social", 2)
    board.apply_snapshot(*hall.snapshot())
    board.set_status(True, "connected")
    assert feed(board, hall.do("call_next", 2)) == [CallCue("C001", 2)]
    clock.advance(5)
    board.set_status(False, "lost")
    hall.do("recall", 2)  # while this display was cut off
    clock.advance(5)
    assert board.apply_snapshot(*hall.snapshot()) == [CallCue("C001", 2, recall=True)]
    board.set_status(True, "connected")
    assert board.calls[0].calls == 2
    screen = hall_screen(board, "zh")
    assert screen.newest is not None and screen.newest.recall and screen.newest.fresh
    assert screen.now_calling.primary == "再次呼叫"


def test_a_window_resuming_while_still_calling_cues_its_call(hall: Hall, board: HallBoard) -> None:
    """The announcer decides whether the call is owed (withdrawn during the pause); the board
    says the window resumed still calling that ticket, and not once it is being served."""
    hall.open_window(4, "1002", "李四")
    hall.issue("hukou", 2)
    feed(board, hall.do("call_next", 4))
    assert feed(board, hall.do("pause", 4, "午休")) == []
    assert board.call_over("A001", 4) == "window 4 is paused"
    assert feed(board, hall.do("resume", 4)) == [ResumeCue("A001", 4)]
    assert board.call_over("A001", 4) is None
    feed(board, hall.do("start", 4))  # the citizen came to the desk
    feed(board, hall.do("pause", 4))
    assert feed(board, hall.do("resume", 4)) == []
    feed(board, hall.do("call_next", 4))  # A002: called again, owed again
    feed(board, hall.do("pause", 4))
    assert feed(board, hall.do("resume", 4)) == [ResumeCue("A002", 4)]


def test_a_call_said_again_after_a_resume_is_news_again(
    hall: Hall, board: HallBoard, clock: FakeClock
) -> None:
    hall.open_window(1)
    hall.open_window(4, "1002", "李四")
    hall.issue("hukou")
    hall.issue("social")
    feed(board, hall.do("call_next", 4))
    feed(board, hall.do("call_next", 1))
    clock.advance(14)
    assert not any(board.is_fresh(c) for c in board.calls)
    board.renew("A001", 4)
    screen = hall_screen(board, "zh")
    assert screen.newest is not None and screen.newest.number == "A001" and screen.newest.fresh
    assert not screen.newest.recall and screen.now_calling.primary == "正在叫号"
    assert [r.number for r in screen.recent] == ["C001"]
    board.renew("A009", 4)  # not on the board: nothing changes
    assert [c.number for c in board.calls] == ["A001", "C001"]


def test_the_window_screen_shows_the_clerk_the_call_and_a_pause(hall: Hall, board: HallBoard) -> None:
    assert window_screen(board, 5, "zh").state_text is not None  # closed before anyone signs in
    feed(board, hall.do("sign_in", 5, Clerk("1003", "王五")))
    hall.issue("idcard")
    feed(board, hall.do("call_next", 5))
    screen = window_screen(board, 5, "zh")
    assert screen.found and screen.title.primary == "5号窗口" and screen.title.secondary == "Window 5"
    assert screen.name.primary == "户政 2" and screen.name.secondary == "Household 2"
    assert screen.calling == "B001" and screen.fresh
    assert screen.clerk is not None
    assert screen.clerk.primary == "工作人员 王五　工号 1003"
    assert screen.clerk.secondary == "Clerk 王五 · Staff no. 1003"
    assert screen.state_text is None
    feed(board, hall.do("finish", 5))
    feed(board, hall.do("pause", 5, "午休"))
    paused = window_screen(board, 5, "zh")
    assert paused.state == "paused" and paused.calling is None
    assert paused.state_text is not None and paused.state_text.primary == "暂停服务（午休）"
    assert paused.state_text.secondary == "Paused"
    assert window_screen(board, 5, "en").state_text.primary == "Paused (午休)"  # type: ignore[union-attr]
    feed(board, hall.do("resume", 5))
    feed(board, hall.do("pause", 5, "会议 / Meeting"))  # a reason from the clerk's list
    paused = window_screen(board, 5, "zh")
    assert paused.state_text == Text("暂停服务（会议）", "Paused (Meeting)")
    assert window_screen(board, 5, "en").state_text == Text("Paused (Meeting)", "暂停服务（会议）")
    assert zone_screen(board, "行政审批区", "zh").cards[1].state_text == Text(
        "暂停服务（会议）", "Paused (Meeting)")
    feed(board, hall.do("sign_out", 5))
    closed = window_screen(board, 5, "en")
    assert closed.state == "closed" and closed.clerk is None
    assert closed.state_text is not None and closed.state_text.primary == "This window is closed"


def test_a_window_the_hall_does_not_have(board: HallBoard) -> None:
    screen = window_screen(board, 99, "zh")
    assert not screen.found
    assert screen.idle.primary == "本大厅没有99号窗口"
    assert screen.idle.secondary == "This hall has no window 99"


def test_the_zone_screen_shows_only_its_windows(hall: Hall, board: HallBoard) -> None:
    hall.open_window(4, "1002", "李四")
    hall.open_window(1)
    hall.issue("hukou")
    hall.issue("social")
    feed(board, hall.do("call_next", 4))
    feed(board, hall.do("call_next", 1))
    screen = zone_screen(board, "行政审批区", "zh")
    assert screen.found
    assert [c.number for c in screen.cards] == [4, 5, 6, 7, 8, 9, 10]
    four = screen.cards[0]
    assert four.calling == "A001" and four.fresh and four.state_text is None
    assert screen.cards[1].calling is None and screen.cards[1].state_text is not None
    assert screen.cards[1].state_text.primary == "暂未开放"
    missing = zone_screen(board, "二楼", "zh")
    assert not missing.found
    assert "综合服务区、行政审批区、文印缴费区" in missing.missing.primary


def test_a_zone_board_is_titled_with_the_zone_in_the_screens_languages(
        board: HallBoard, hall: Hall, clock: FakeClock) -> None:
    assert zone_screen(board, "行政审批区", "en").header.title == Text(
        "行政审批区", "County Government Service Center")  # no English name: the hall's under it
    named = replace(hall.engine.hall, windows={
        n: replace(w, zone_en="Approvals") if w.zone == "行政审批区" else w
        for n, w in hall.engine.hall.windows.items()})
    hall.engine = HallEngine(named, clock, always_open=True)
    board.apply_snapshot(*hall.snapshot())
    assert zone_screen(board, "行政审批区", "en").header.title == Text("Approvals", "行政审批区")
    assert zone_screen(board, "行政审批区", "zh").header.title == Text("行政审批区", "Approvals")


def test_announcements_scroll_and_are_cued(board: HallBoard, hall: Hall) -> None:
    cues = feed(board, hall.do("announce", "大厅17:30停止取号", "zh"))
    assert cues == [MessageCue("大厅17:30停止取号", "zh")]
    assert hall_screen(board, "zh").ticker == "大厅17:30停止取号"
    for n in range(4):
        feed(board, hall.do("announce", f"message {n}", "en"))
    assert hall_screen(board, "zh").ticker == "message 3　◆　message 2　◆　message 1"


def test_a_new_day_clears_calls_and_announcements(board: HallBoard, hall: Hall) -> None:
    hall.open_window(1)
    hall.issue("social")
    feed(board, hall.do("call_next", 1))
    feed(board, hall.do("announce", "hello", "en"))
    board.apply_event({"event": "day_started", "seq": 999, "data": {"day": "2026-11-24"}})
    assert board.calls == [] and board.notices == []


def test_a_hall_of_one_language_shows_one_line(clock: FakeClock, hall: Hall) -> None:
    board = HallBoard(clock)
    seq, snapshot = hall.snapshot()
    snapshot["hall"] = {**snapshot["hall"], "languages": ["zh"]}
    board.apply_snapshot(seq, snapshot)
    langs = screen_langs(board, None)
    assert (langs.primary, langs.secondary) == ("zh", None)
    assert hall_screen(board).header.title.secondary == ""


def test_which_calls_a_display_announces(board: HallBoard) -> None:
    in_zone, elsewhere = CallCue("A001", 4), CallCue("C001", 1)
    message = MessageCue("hello", "en")
    hall = audience_for("hall", None, None, ())
    assert hall == Audience() and hall.hears(in_zone, board) and hall.hears(elsewhere, board)
    zone = audience_for("zone", None, "行政审批区", ())
    assert zone.hears(in_zone, board) and not zone.hears(elsewhere, board) and zone.hears(message, board)
    window = audience_for("window", 1, None, ())
    assert window.hears(elsewhere, board) and not window.hears(in_zone, board)
    configured = audience_for("hall", None, None, ["综合服务区"])
    assert configured.hears(elsewhere, board) and not configured.hears(in_zone, board)


def test_the_qt_model_signals_changes_and_cues(qtbot: Any, hall: Hall, clock: FakeClock) -> None:
    model = DisplayModel(HallBoard(clock))
    cues: list[object] = []
    model.cued.connect(cues.append)
    with qtbot.waitSignal(model.changed, timeout=1000):
        model.on_snapshot(*hall.snapshot())
    with qtbot.waitSignal(model.changed, timeout=1000):
        model.on_status(True, "connected")
    hall.open_window(1)
    hall.issue("social")
    for frame in hall.do("call_next", 1):
        model.on_event(frame)
    assert cues == [CallCue("C001", 1)]


def test_a_screen_switched_on_after_an_announcement_shows_it(hall: Hall,
                                                             clock: FakeClock) -> None:
    """The day's announcements come in the snapshot: a screen switched on (or back from a cut)
    shows the notice the others show; it is not said again."""
    hall.do("announce", "婚姻登记今天中午暂停", "zh")
    late = HallBoard(clock, highlight_s=10, max_age_s=60)
    cues = late.apply_snapshot(*hall.snapshot())
    assert not [c for c in cues if isinstance(c, MessageCue)]
    assert hall_screen(late, "zh").ticker == "婚姻登记今天中午暂停"
