"""The desk's view-model without a screen or a hub: fed snapshot and event dicts, its requests
answered by a hand-written bus, its tickets printed by the kiosk's fake and preview printers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from counter.desk.indicators import FollowUp, Targets
from counter.desk.model import ActionResult, DeskModel
from counter.desk.reprint import DeskPrinter, ticket_content
from kiosk.printer import FakePrinter, PreviewPrinter
from kiosk.printer_status import PrinterStatus
from kiosk.ticket import PrintMode, TextBlock, ticket_layout
from tests.counter.desk.test_indicators import DAY, iso, report, snapshot, ticket, window
from tests.fakes import FakeClock

Reply = tuple[bool, dict[str, Any]]


@dataclass
class Sent:
    op: str
    params: dict[str, Any]
    req_id: str
    on_done: Callable[[bool, dict[str, Any]], None] | None


@dataclass
class AnsweringBus:
    """Answers each request at once with what ``answers[op]`` says (a reply or a function)."""

    answers: dict[str, Reply | Callable[[dict[str, Any]], Reply]] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    hold: bool = False  # keep requests unanswered (call ``answer`` later)
    forgotten: list[str] = field(default_factory=list)

    def request(self, op: str, params: dict[str, Any] | None = None, *,
                on_done: Callable[[bool, dict[str, Any]], None] | None = None,
                req_id: str | None = None, timeout: float | None = 10.0) -> str:
        assert req_id, "the desk gives every request its own id"
        sent = Sent(op, dict(params or {}), req_id, on_done)
        self.sent.append(sent)
        if not self.hold:
            self.answer(sent)
        return req_id

    def forget(self, req_id: str) -> None:
        self.forgotten.append(req_id)

    def answer(self, sent: Sent) -> None:
        answer = self.answers.get(sent.op, (True, {}))
        ok, payload = answer(sent.params) if callable(answer) else answer
        if sent.on_done is not None:
            sent.on_done(ok, payload)

    def ops(self) -> list[str]:
        return [s.op for s in self.sent]


MADE: list[DeskModel] = []


@pytest.fixture(autouse=True)
def qt(qapp: QApplication) -> Iterator[None]:
    """Signals and timers of the view-model need a Qt application (no window is shown); the
    models made are shut down after each test, so no timer outlives its model."""
    yield
    while MADE:
        MADE.pop().shutdown()
    qapp.processEvents()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def bus() -> AnsweringBus:
    return AnsweringBus()


def make_model(bus: AnsweringBus, clock: FakeClock, lang: str = "zh",
               printer: DeskPrinter | None = None) -> tuple[DeskModel, list[ActionResult]]:
    model = DeskModel(bus, clock, lang=lang, targets=Targets(), printer=printer)
    MADE.append(model)
    said: list[ActionResult] = []
    model.result.connect(said.append)
    model.on_snapshot(10, snapshot([ticket("C001", "social", clock.now()),
                                    ticket("C002", "social", clock.now(), ahead=1)],
                                   [window(1, "open")]))
    model.on_status(True, "connected")
    return model, said


C001 = ticket("C001", "social", FakeClock().now())
LAST_WEEK = FollowUp("C007", "2026-11-16", "social", 1, "1001", "20261116-C007")
TODAY = FollowUp("C001", DAY, "social", 1, None)  # heard as an event, before any report


# ---------------------------------------------------------------------------------- commands


@pytest.mark.parametrize(("call", "op", "params"), [
    (lambda m: m.issue("social"), "issue", {"service": "social"}),
    (lambda m: m.issue("social", green=True, lang="en", print_ticket=False), "issue",
     {"service": "social", "priority": "green", "lang": "en"}),
    (lambda m: m.check_in(" AB12 ", print_ticket=False), "check_in", {"code": "AB12"}),
    (lambda m: m.reassign(C001, to_service="realty", position="first"), "reassign",
     {"ticket": "20261123-C001", "to_service": "realty", "position": "first"}),
    (lambda m: m.reassign(C001, to_window=4), "reassign",
     {"ticket": "20261123-C001", "to_window": 4, "position": "keep"}),
    (lambda m: m.prioritise(C001), "prioritise", {"ticket": "20261123-C001"}),
    (lambda m: m.reinstate(C001, "last"), "reinstate",
     {"ticket": "20261123-C001", "position": "last"}),
    (lambda m: m.cancel(C001, "left"), "cancel", {"ticket": "20261123-C001",
                                                  "reason": "群众已离开"}),
    (lambda m: m.cancel(C001, "走错了大厅"), "cancel", {"ticket": "20261123-C001",
                                                         "reason": "走错了大厅"}),
    (lambda m: m.lookup(" c001 "), "find", {"ticket": "C001"}),
    (lambda m: m.follow_up(LAST_WEEK, " 已电话回访 "), "follow_up",
     {"ticket": "20261116-C007", "note": "已电话回访"}),
    (lambda m: m.follow_up(TODAY, "called back"), "follow_up",
     {"ticket": "C001", "note": "called back"}),
    (lambda m: m.announce(" 请保持安静 ", "zh"), "announce", {"text": "请保持安静", "lang": "zh"}),
    (lambda m: m.load_report("week", date(2026, 11, 25)), "report",
     {"from": "2026-11-23", "to": "2026-11-29", "wait_min": 30.0, "wait_min_by_service": {}}),
])
def test_each_command_sends_one_request(bus: AnsweringBus, clock: FakeClock,
                                        call: Callable[[DeskModel], object], op: str,
                                        params: dict[str, Any]) -> None:
    bus.hold = True
    model, _said = make_model(bus, clock)
    req_id = call(model)
    assert [(s.op, s.params) for s in bus.sent] == [(op, params)]
    assert req_id == bus.sent[0].req_id
    assert model.busy(op)
    bus.answer(bus.sent[0])
    assert not model.busy(op)


def test_every_click_has_its_own_request_id(bus: AnsweringBus, clock: FakeClock) -> None:
    model, _said = make_model(bus, clock)
    model.prioritise(C001)
    model.prioritise(C001)
    assert len({s.req_id for s in bus.sent}) == 2


@pytest.mark.parametrize(("call", "words"), [
    (lambda m: m.cancel(C001, "  "), "请先选择或填写取消 C001 的原因"),
    (lambda m: m.lookup(""), "请先输入要查找的号码"),
    (lambda m: m.announce("   "), "请先输入广播内容"),
    (lambda m: m.follow_up(LAST_WEEK, "  "), "请先写明对 C007 的回访情况"),
    (lambda m: m.check_in(""), "请先输入预约签到码"),
    (lambda m: m.reassign(C001), "请选择要改到的业务或窗口"),
    (lambda m: m.load_report("custom", date(2026, 11, 23), date(2026, 11, 23),
                             date(2026, 11, 1)), "时段有误"),
    (lambda m: m.reprint(C001), "本台没有配置打印机"),
])
def test_what_cannot_be_sent_is_said_and_not_sent(bus: AnsweringBus, clock: FakeClock,
                                                  call: Callable[[DeskModel], object],
                                                  words: str) -> None:
    model, said = make_model(bus, clock)
    assert call(model) is None
    assert bus.sent == []
    assert not said[-1].ok and words in said[-1].text


def test_nothing_is_sent_while_the_hub_is_unreachable(bus: AnsweringBus, clock: FakeClock) -> None:
    model, said = make_model(bus, clock)
    statuses: list[tuple[bool, str]] = []
    model.status_changed.connect(lambda ok, detail: statuses.append((ok, detail)))
    model.on_status(False, "the hub refuses connections")
    assert not model.can_act()
    assert model.issue("social") is None
    assert bus.sent == []
    assert "没有连接到服务中心" in said[-1].text
    assert statuses == [(False, "the hub refuses connections")]


@pytest.mark.parametrize(("lang", "call", "reply", "words"), [
    ("zh", lambda m: m.issue("social", print_ticket=False),
     {"ticket": ticket("C003", "social", FakeClock().now(), ahead=2)},
     "已取号 C003（社会保险），前面 2 人"),
    ("en", lambda m: m.issue("social", green=True, print_ticket=False),
     {"ticket": ticket("C003", "social", FakeClock().now(), priority="green")},
     "Issued green-channel ticket C003 (Social insurance); 0 ahead."),
    ("zh", lambda m: m.reassign(C001, to_service="realty", position="first"),
     {"ticket": ticket("C001", "realty", FakeClock().now())},
     "C001 已改派到 不动产登记（排到最前），前面 0 人"),
    ("en", lambda m: m.reassign(C001, to_window=1, position="keep"),
     {"ticket": ticket("C001", "social", FakeClock().now(), to_window=1, ahead=3)},
     "C001 moved to Window 1"),
    ("zh", lambda m: m.cancel(C001, "duplicate"), {"ticket": ticket("C001", "social",
                                                                    FakeClock().now(),
                                                                    "cancelled")},
     "C001 已取消，原因：重复取号"),
    ("zh", lambda m: m.reinstate(C001, "first"), {"ticket": C001},
     "C001 已恢复排队（排到最前）"),
    ("en", lambda m: m.lookup("C001"), {"ticket": {**C001, "state": "no_show"}},
     "Found C001: "),
    ("zh", lambda m: m.announce("请保持安静"), {}, "广播已发出：请保持安静"),
    ("zh", lambda m: m.follow_up(LAST_WEEK, "已上门回访"), {}, "C007（2026-11-16）的回访已记录"),
    ("en", lambda m: m.follow_up(LAST_WEEK, "visited"), {},
     "Follow-up of C007 (2026-11-16) recorded."),
])
def test_results_in_plain_words(bus: AnsweringBus, clock: FakeClock, lang: str,
                                call: Callable[[DeskModel], object], reply: dict[str, Any],
                                words: str) -> None:
    op = {"issue", "reassign", "cancel", "reinstate", "announce", "follow_up"}
    bus.answers = {name: (True, reply) for name in (*op, "find")}
    model, said = make_model(bus, clock, lang)
    call(model)
    assert said[-1].ok, said[-1].text
    assert words in said[-1].text


@pytest.mark.parametrize(("lang", "call", "error", "words"), [
    ("zh", lambda m: m.reassign(C001, to_service="realty"),
     {"code": "invalid_state", "message": "C001 is called"}, "C001 已不在等候中（可能刚被叫号）"),
    ("en", lambda m: m.reinstate(C001), {"code": "invalid_state", "message": "..."},
     "C001 did not miss its call"),
    ("zh", lambda m: m.lookup("Z999"), {"code": "not_found", "message": "no ticket Z999"},
     "今天没有 Z999 这个号"),
    ("zh", lambda m: m.issue("marriage"), {"code": "service_closed", "message": "closed"},
     "不在办理时间"),
    ("en", lambda m: m.check_in("X1"), {"code": "not_found", "message": "no appointment"},
     "no appointment with check-in code X1"),
    ("zh", lambda m: m.prioritise(C001), {"code": "unavailable", "message": "no answer in 10 s"},
     "服务中心没有应答"),
    ("en", lambda m: m.announce("hi"), {"code": "teapot", "message": "I am a teapot"},
     "That did not work: I am a teapot"),
    ("zh", lambda m: m.follow_up(LAST_WEEK, "回访"), {"code": "invalid_state", "message": "..."},
     "C007 已经回访过"),
    ("en", lambda m: m.follow_up(LAST_WEEK, "x"), {"code": "not_found", "message": "..."},
     "Ticket C007 cannot be found."),
])
def test_refusals_in_plain_words(bus: AnsweringBus, clock: FakeClock, lang: str,
                                 call: Callable[[DeskModel], object], error: dict[str, Any],
                                 words: str) -> None:
    bus.answers = {op: (False, error) for op in ("reassign", "reinstate", "find", "issue",
                                                 "check_in", "prioritise", "announce",
                                                 "follow_up")}
    model, said = make_model(bus, clock, lang)
    call(model)
    assert not said[-1].ok
    assert words in said[-1].text


def test_a_click_the_hub_did_not_answer_is_not_resent_alone_and_a_repeat_keeps_its_id(
        bus: AnsweringBus, clock: FakeClock) -> None:
    """Unanswered in time, an issue is not sent again after a reconnect behind the desk's back
    (a ticket nobody holds would wait in line); the clerk's second click sends it with the
    same id, so a hub that did issue it answers with that ticket instead of a second one."""
    bus.answers = {"issue": (False, {"code": "unavailable", "message": "no answer in 10 s"})}
    model, said = make_model(bus, clock)
    model.issue("pay")
    first = bus.sent[-1]
    assert bus.forgotten == [first.req_id] and not said[-1].ok
    bus.answers = {"issue": (True, {"ticket": ticket("P001", "pay", clock.now())})}
    model.issue("pay")
    assert bus.sent[-1].req_id == first.req_id
    model.issue("pay")  # answered: the next click is a new request
    assert bus.sent[-1].req_id != first.req_id
    bus.answers = {"issue": (False, {"code": "unavailable", "message": "no answer in 10 s"})}
    model.issue("pay")
    model.issue("realty")  # another action: its own id
    assert bus.sent[-1].req_id != bus.sent[-2].req_id


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_what_the_desk_itself_refuses_is_in_the_persons_language(
        bus: AnsweringBus, clock: FakeClock, tmp_path: Path, lang: str) -> None:
    """Periods, files and texts too long for the hub: no English from the code or the OS on a
    Chinese screen, and nothing sent that the hub would refuse."""
    model, said = make_model(bus, clock, lang)
    sent = len(bus.sent)
    model.load_report("custom", date(2026, 3, 10), date(2026, 3, 10), date(2026, 3, 1))
    model.load_report("custom", date(2026, 3, 10), date(2025, 1, 1), date(2026, 3, 1))
    model.announce("请" * 501)
    model.lookup("C" * 65)
    model.cancel(C001, "x" * 201)
    assert len(bus.sent) == sent
    texts = [r.text for r in said[-5:]]
    if lang == "zh":
        assert texts == ["时段有误：结束日期（2026-03-01）早于开始日期（2026-03-10）",
                         "时段有误：自定义时段最长 400 天",
                         "太长了：最多 500 个字，现在是 501 个。没有发送。",
                         "太长了：最多 64 个字，现在是 65 个。没有发送。",
                         "太长了：最多 200 个字，现在是 201 个。没有发送。"]
    else:
        assert "it ends (2026-03-01) before it starts (2026-03-10)" in texts[0]
        assert texts[2] == "Too long: at most 500 characters, this is 501. Nothing was sent."
    bus.answers = {"report": (True, report())}
    model.load_report("day", date(2026, 11, 23))
    model.export_report(tmp_path / "no such folder" / "report.csv")
    model.export_report(tmp_path)
    missing, folder = [r.text for r in said[-2:]]
    if lang == "zh":
        assert missing == f"无法写入 {tmp_path / 'no such folder' / 'report.csv'}：文件夹不存在"
        assert folder == f"无法写入 {tmp_path}：这是一个文件夹，请给出文件名"
    else:
        assert missing.endswith("the folder does not exist") and "No such file" not in missing
        assert folder.endswith("that is a folder: give a file name")


# ---------------------------------------------------------------------------------- the line


def test_waiting_rows_search_and_times(bus: AnsweringBus, clock: FakeClock) -> None:
    model, _said = make_model(bus, clock)
    model.on_event({"event": "ticket_issued", "seq": 11, "at": iso(clock.now()),
                    "data": {"ticket": ticket("F001", "realty", clock.now())}})
    clock.advance(minutes=12)
    rows = model.waiting_rows()
    assert [(r.number, r.service_name, r.waited_min) for r in rows] == [
        ("C001", "社会保险", 12), ("C002", "社会保险", 12), ("F001", "不动产登记", 12)]
    assert [r.number for r in model.waiting_rows("c00")] == ["C001", "C002"]
    assert [r.number for r in model.waiting_rows("不动产")] == ["F001"]
    assert [r.number for r in model.waiting_rows(service="realty")] == ["F001"]
    assert model.waiting_rows("Z") == []


def test_ticket_events_refresh_the_line_and_todays_figures(bus: AnsweringBus,
                                                           clock: FakeClock) -> None:
    fresh = snapshot([ticket("C002", "social", clock.now())])
    bus.answers = {"sync": (True, {"seq": 20, "snapshot": fresh}), "report": (True, report(2))}
    model, _said = make_model(bus, clock)
    model.refresh_now()  # the first snapshot asks for today's figures and what to follow up
    assert bus.ops() == ["report", "follow_ups", "devices"]
    assert model.indicators.no_shows == 2
    model.on_event({"event": "ticket_no_show", "seq": 11, "at": iso(clock.now()),
                    "data": {"ticket": ticket("C001", "social", clock.now(), "no_show",
                                              window=1)}})
    assert model.indicators.no_shows == 3  # at once, before the hub is asked again
    assert [t["number"] for t in model.missed()] == ["C001"]
    model.refresh_now()
    assert bus.ops() == ["report", "follow_ups", "devices", "sync", "report"]
    assert [r.number for r in model.waiting_rows()] == ["C002"]
    assert model.watch.seq == 20


def test_a_sync_older_than_the_events_already_seen_is_not_applied(bus: AnsweringBus,
                                                                  clock: FakeClock) -> None:
    stale = snapshot([ticket("C001", "social", clock.now()), ticket("C002", "social",
                                                                    clock.now())])
    bus.answers = {"sync": (True, {"seq": 11, "snapshot": stale}), "report": (True, report())}
    model, _said = make_model(bus, clock)
    model.on_event({"event": "ticket_called", "seq": 12, "at": iso(clock.now()),
                    "data": {"ticket": ticket("C001", "social", clock.now(), "called", window=1),
                             "window": 1}})
    model.refresh_now()
    assert [r.number for r in model.waiting_rows()] == ["C002"]  # C001 stays called
    assert model.watch.seq == 12


def test_the_ticket_looked_at_follows_events(bus: AnsweringBus, clock: FakeClock) -> None:
    bus.answers = {"find": (True, {"ticket": C001})}
    model, _said = make_model(bus, clock)
    seen: list[dict[str, Any]] = []
    model.found.connect(seen.append)
    model.lookup("C001")
    model.on_event({"event": "ticket_called", "seq": 11, "at": iso(clock.now()),
                    "data": {"ticket": {**C001, "state": "called", "window": 1}, "window": 1}})
    assert [t["state"] for t in seen] == ["waiting", "called"]


def test_announcements_are_kept_newest_first(bus: AnsweringBus, clock: FakeClock) -> None:
    model, _said = make_model(bus, clock)
    for seq, text in enumerate(("一", "二"), start=11):
        model.on_event({"event": "announcement", "seq": seq, "at": iso(clock.now()),
                        "data": {"text": text, "lang": "zh"}})
    assert [a["text"] for a in model.announcements] == ["二", "一"]


def test_acknowledged_alerts_are_hidden_until_something_else_goes_wrong(
        bus: AnsweringBus, clock: FakeClock) -> None:
    model, _said = make_model(bus, clock)
    clock.advance(minutes=45)
    model.recompute()
    alert = model.active_alerts()[0]
    assert alert.kind == "long_wait"
    assert "社会保险：2 人等候超过 30 分钟，最久的 C001 已等 45 分钟" in model.alert_text(alert)
    model.acknowledge(alert.key)
    assert model.active_alerts() == []
    model.on_event({"event": "device_alert", "seq": 11, "at": iso(clock.now()),
                    "data": {"device": "kiosk-1", "status": {"printer": "paper_out"}}})
    assert [model.alert_text(a) for a in model.active_alerts()] == ["kiosk-1：打印机缺纸"]


def test_an_alert_seen_that_clears_and_comes_back_is_shown_again(
        bus: AnsweringBus, clock: FakeClock) -> None:
    model, _said = make_model(bus, clock)

    def printer(status: str, seq: int) -> None:
        model.on_event({"event": "device_alert", "seq": seq, "at": iso(clock.now()),
                        "data": {"device": "kiosk-1", "status": {"printer": status}}})

    printer("paper_out", 11)
    alert = model.active_alerts()[0]
    model.acknowledge(alert.key)
    assert model.active_alerts() == []
    printer("ok", 12)
    printer("paper_out", 13)  # the new roll ran out too
    assert [model.alert_text(a) for a in model.active_alerts()] == ["kiosk-1：打印机缺纸"]


def test_after_a_reconnect_the_desk_reads_again_what_it_knew_from_events(
        bus: AnsweringBus, clock: FakeClock) -> None:
    """While it was away C002 (missed) was cancelled, C001 (looked up) served and rated
    "dissatisfied": the snapshot of the reconnect does not say so, the desk asks."""
    model, _said = make_model(bus, clock)
    c001, c002 = ticket("C001", "social", clock.now()), ticket("C002", "social", clock.now())
    bus.answers = {"find": (True, {"ticket": c001})}
    model.lookup("C001")
    model.on_event({"event": "ticket_no_show", "seq": 11, "at": iso(clock.now()),
                    "data": {"ticket": {**c002, "state": "no_show"}}})
    assert list(model.watch.missed) == [c002["id"]]
    served = {**c001, "state": "done", "window": 1, "clerk": "1001", "score": 1}
    bus.answers = {
        "find": lambda params: (True, {"ticket": served if params["ticket"] == c001["id"]
                                       else {**c002, "state": "cancelled"}}),
        "report": (True, report(ratings={"1": 1}, dissatisfied=[{
            "ticket": "C001", "day": DAY, "service": "social", "window": 1, "clerk": "1001",
            "id": served["id"]}])),
    }
    sent = len(bus.sent)
    model.on_snapshot(20, snapshot([]))
    model.refresh_now()
    asked = [(s.op, s.params) for s in bus.sent[sent:]]
    assert ("find", {"ticket": c002["id"]}) in asked and ("find", {"ticket": c001["id"]}) in asked
    assert ("report", {"from": model.watch.day, "to": model.watch.day, "wait_min": 30.0,
                       "wait_min_by_service": {}}) in asked
    assert model.watch.missed == {} and model.looked_up == served
    assert any(a.kind == "dissatisfied" for a in model.active_alerts())


@pytest.mark.parametrize(("lang", "event", "words"), [
    ("zh", {"event": "window_changed", "data": {"window": window(1, "paused", reason="午休")}},
     "1号窗口（综合受理 1）已暂停 20 分钟，超过 15 分钟，原因：午休"),
    ("en", {"event": "window_changed", "data": {"window": window(1, "paused")}},
     "Window 1 (Comprehensive 1) paused for 20 min, over 15 min"),
    ("en", {"event": "ticket_rated", "data": {"ticket": ticket(
        "C009", "social", FakeClock().now(), "done", window=1, clerk="1001"), "score": 1}},
     "C009 (Social insurance, window 1, 张三) rated \"dissatisfied\": please follow up"),
])
def test_alert_words(bus: AnsweringBus, clock: FakeClock, lang: str, event: dict[str, Any],
                     words: str) -> None:
    model, _said = make_model(bus, clock, lang)
    model.on_event({**event, "seq": 11, "at": iso(clock.now())})
    clock.advance(minutes=20)
    model.recompute()
    assert words in [model.alert_text(a) for a in model.active_alerts()]


@pytest.mark.parametrize(("lang", "words"), [
    ("zh", "3号窗口（综合受理 3）无人签到，有 1 人指定在该窗口等候（如 C003），请开窗或改派"),
    ("en", "Window 3 (Comprehensive 3) has nobody signed in, yet 1 waiting ticket(s) are sent to "
           "it (such as C003): open it or reassign them"),
])
def test_a_ticket_sent_to_a_window_nobody_opened_is_an_alert(
        bus: AnsweringBus, clock: FakeClock, lang: str, words: str) -> None:
    model, _said = make_model(bus, clock, lang)
    model.on_event({"event": "window_changed", "seq": 11, "at": iso(clock.now()),
                    "data": {"window": window(3, "closed")}})
    model.on_event({"event": "ticket_reassigned", "seq": 12, "at": iso(clock.now()),
                    "data": {"ticket": ticket("C003", "social", clock.now(), to_window=3)}})
    assert words in [model.alert_text(a) for a in model.active_alerts()]


# ---------------------------------------------------------------------------------- printing


def test_a_ticket_issued_at_the_desk_is_printed(qtbot: QtBot, bus: AnsweringBus,
                                                clock: FakeClock) -> None:
    fake = FakePrinter(PrintMode.TEXT, 80)
    printer = DeskPrinter(fake)
    issued = ticket("C003", "social", clock.now(), ahead=2, est_wait_min=20, priority="green")
    bus.answers = {"issue": (True, {"ticket": issued})}
    model, said = make_model(bus, clock, printer=printer)
    with qtbot.waitSignal(printer.printed, timeout=10_000):
        model.issue("social", green=True, lang="en")
    printer.close()
    assert said[-1].ok and "C003 号票已打印" in said[-1].text
    content = fake.contents[0]
    assert (content.number, content.service_name, content.ahead, content.priority) == (
        "C003", "社会保险", 2, "green")
    assert content.languages == ("en", "zh")  # the citizen's language leads
    assert fake.printed[0].startswith(b"\x1b@")


def test_a_printer_out_of_paper_is_said(qtbot: QtBot, bus: AnsweringBus, clock: FakeClock) -> None:
    fake = FakePrinter(PrintMode.TEXT, 58, current_status=PrinterStatus.PAPER_OUT)
    printer = DeskPrinter(fake)
    bus.answers = {"find": (True, {"ticket": C001})}
    model, said = make_model(bus, clock, printer=printer)
    problems: list[str] = []
    model.printer_changed.connect(problems.append)
    with qtbot.waitSignal(printer.printed, timeout=10_000):
        model.reprint(C001)
    printer.close()
    assert problems == ["paper_out"]
    assert not said[-1].ok and "C001 没有打印出来：缺纸" in said[-1].text


def test_reprint_reads_the_ticket_again_and_writes_the_preview(
        qtbot: QtBot, tmp_path: Path, bus: AnsweringBus, clock: FakeClock) -> None:
    preview = PreviewPrinter(PrintMode.IMAGE, 58, tmp_path)
    printer = DeskPrinter(preview)
    bus.answers = {"find": (True, {"ticket": {**C001, "ahead": 4, "est_wait_min": 40}})}
    model, said = make_model(bus, clock, printer=printer)
    with qtbot.waitSignal(printer.printed, timeout=20_000):
        model.reprint({"id": C001["id"], "number": "C001"})
    printer.close()
    assert bus.sent[-1].op == "find"
    assert said[-1].ok, said[-1].text
    assert (tmp_path / "C001.png").stat().st_size > 0
    assert (tmp_path / "C001.bin").read_bytes().startswith(b"\x1b@")


@pytest.mark.parametrize("state", ["done", "cancelled"])
def test_a_finished_ticket_is_not_reprinted(bus: AnsweringBus, clock: FakeClock,
                                            state: str) -> None:
    fake = FakePrinter()
    printer = DeskPrinter(fake)
    bus.answers = {"find": (True, {"ticket": {**C001, "state": state}})}
    model, said = make_model(bus, clock, printer=printer)
    model.reprint(C001)
    printer.close()
    assert fake.printed == []
    assert not said[-1].ok and "不能补打" in said[-1].text


def test_ticket_content_uses_the_hall_and_its_zone(clock: FakeClock) -> None:
    content = ticket_content(ticket("C001", "social", clock.now(), ahead=3, est_wait_min=30),
                             snapshot())
    assert (content.hall_name, content.service_name_en, content.timezone) == (
        "县政务服务中心", "Social insurance", "Asia/Shanghai")
    assert content.local_issued_at.hour == 10
    with pytest.raises(ValueError, match="issue time"):
        ticket_content({"number": "C001", "issued_at": None}, snapshot())


@pytest.mark.parametrize(("state", "extra", "zh", "en"), [
    ("called", {"window": 1, "calls": 1}, "您的号已叫到，请到 1 号窗口",
     "Your number has been called: go to window 1"),
    ("serving", {"window": 1}, "您的号已叫到，请到 1 号窗口",
     "Your number has been called: go to window 1"),
    ("no_show", {"window": 1}, "此号已过号，请到导办台申请恢复排队",
     "This number was missed: ask at the guidance desk to be put back in the queue"),
    ("waiting", {"to_window": 4, "ahead": 0}, "将由 4 号窗口叫号", "Window 4 will call you"),
])
def test_a_reprint_says_where_to_go_for_a_ticket_past_waiting(
        clock: FakeClock, state: str, extra: dict[str, Any], zh: str, en: str) -> None:
    """A ticket reprinted once called read "nobody ahead of you: listen for your number",
    with no window; a missed one the same, and one sent to a window did not name it."""
    content = ticket_content(ticket("C001", "social", clock.now(), state, **extra), snapshot())
    lines = [b.text for b in ticket_layout(content).blocks if isinstance(b, TextBlock)]
    assert zh in lines and en in lines, lines
    if state != "waiting":
        assert not any("listen for your number" in line for line in lines)


# ---------------------------------------------------------------------------------- reports


def test_a_report_is_shown_and_exported_as_csv(bus: AnsweringBus, clock: FakeClock,
                                               tmp_path: Path) -> None:
    figures = {"issued": 5, "served": 4, "transferred": 1, "no_show": 1, "cancelled": 0,
               "mean_wait_min": 3.5, "max_wait_min": 8.0, "mean_service_min": 6.0, "rated": 2,
               "satisfaction": 1.0, "ratings": {"4": 2}}
    rep = {"from": DAY, "to": DAY, "total": figures, "by_service": {"social": figures},
           "by_window": {"1": figures}, "by_clerk": {"1001": figures, "1002": figures},
           "by_department": {}, "by_day": {DAY: figures}, "dissatisfied": [],
           "clerks": {"1001": "张三", "1002": "李四"}}
    bus.answers = {"report": (True, rep)}
    model, said = make_model(bus, clock)
    assert not model.export_report(tmp_path / "r.csv")  # nothing to export yet
    model.load_report("day", date(2026, 11, 23))
    assert model.report == rep
    assert "报表已生成：2026-11-23 至 2026-11-23，共取号 5" in said[-1].text
    assert model.export_report(tmp_path / "r.csv")
    data = (tmp_path / "r.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # spreadsheets read UTF-8 with a BOM
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("分组,代码,名称,取号,办结,转出,过号")
    assert "按业务,social,社会保险,5,4,1,1,0,3.5,8.0,6.0,2,100.0%,-,-,-,-,-,-" in lines
    # a window or clerk takes no tickets: no "issued" (what it handled is in its own column)
    assert "按窗口,1,1号窗口 · 综合受理 1,-,4,1,1,0,3.5,8.0,6.0,2,100.0%,-,-,-,-,-,-" in lines
    assert "按工作人员,1001,张三 (1001),-,4,1,1,0,3.5,8.0,6.0,2,100.0%,-,-,-,-,-,-" in lines
    # 1002 has not signed in while this desk runs: the report names him
    assert "按工作人员,1002,李四 (1002),-,4,1,1,0,3.5,8.0,6.0,2,100.0%,-,-,-,-,-,-" in lines
    assert "不满意评价（需回访）" not in lines  # none this period: no second table
    assert not model.export_report(tmp_path / "missing" / "r.csv")
    assert "无法写入" in said[-1].text


def test_the_csv_lists_the_dissatisfied_ratings_and_their_follow_up(
        bus: AnsweringBus, clock: FakeClock, tmp_path: Path) -> None:
    pending = {"ticket": "C007", "id": "20261116-C007", "day": "2026-11-16", "service": "social",
               "window": 1, "clerk": "1001", "follow_up": None}
    done = {"ticket": "C002", "id": "20261117-C002", "day": "2026-11-17", "service": "social",
            "window": None, "clerk": None,
            "follow_up": {"note": "已电话回访, 说明时限", "at": "2026-11-18T02:05:00+00:00",
                          "by": "desk-2"}}
    bus.answers = {"report": (True, {"from": "2026-11-16", "to": "2026-11-22", "total": {},
                                     "dissatisfied": [pending, done]})}
    for lang, title, rows in (
            ("zh", "不满意评价（需回访）", [
                "日期,号码,业务,窗口,工作人员,回访,回访时间,记录台,回访情况",
                "2026-11-16,C007,社会保险,1号窗口 · 综合受理 1,张三 (1001),待回访,,,",
                '2026-11-17,C002,社会保险,-,-,已回访,2026-11-18 10:05,desk-2,"已电话回访, 说明时限"']),
            ("en", "Dissatisfied ratings to follow up", [
                "Day,Number,Service,Window,Clerk,Follow-up,Followed up at,Recorded by,What was done",
                "2026-11-16,C007,Social insurance,Window 1 · Comprehensive 1,张三 (1001),To follow up,,,",
                "2026-11-17,C002,Social insurance,-,-,Followed up,2026-11-18 10:05,desk-2,"
                '"已电话回访, 说明时限"'])):
        model, _said = make_model(bus, clock, lang=lang)
        model.load_report("week", date(2026, 11, 16))
        assert model.export_report(tmp_path / f"{lang}.csv")
        lines = (tmp_path / f"{lang}.csv").read_text(encoding="utf-8-sig").splitlines()
        at = lines.index(title)
        assert lines[at - 1] == ""  # a blank line after the figures
        assert lines[at + 1:] == rows


def test_a_follow_up_heard_as_an_event_shows_in_the_report_on_screen(
        bus: AnsweringBus, clock: FakeClock) -> None:
    item = {"ticket": "C007", "id": "20261116-C007", "day": "2026-11-16", "service": "social",
            "window": 1, "clerk": "1001", "follow_up": None}
    bus.answers = {"report": (True, {"from": "2026-11-16", "to": "2026-11-22",
                                     "total": {}, "dissatisfied": [item]})}
    model, _said = make_model(bus, clock)
    model.load_report("week", date(2026, 11, 16))
    assert [f.done for f in model.report_follow_ups()] == [False]
    shown: list[object] = []
    model.report_ready.connect(shown.append)
    done = {"note": "已上门回访", "at": "2026-11-23T10:00:00+08:00", "by": "desk-2"}
    model.on_event({"event": "ticket_followed_up", "seq": 11, "at": "2026-11-23T02:00:00Z",
                    "data": {"ticket": {**ticket("C007", "social", clock.now(), "done"),
                                        "id": "20261116-C007", "follow_up": done},
                             "follow_up": done}})
    (follow,) = model.report_follow_ups()
    assert (follow.done, follow.note, follow.by, follow.id) == (True, "已上门回访", "desk-2",
                                                                 "20261116-C007")
    assert len(shown) == 1


def test_the_clock_moves_waiting_times(bus: AnsweringBus, clock: FakeClock) -> None:
    model, _said = make_model(bus, clock)
    clock.advance(timedelta(minutes=7).total_seconds())
    model.recompute()
    assert model.indicators.longest_wait_min == 7


def test_the_desk_asks_what_to_follow_up_when_it_connects_and_on_a_new_day(
        bus: AnsweringBus, clock: FakeClock) -> None:
    earlier = {"ticket": "C007", "id": "20261116-C007", "day": "2026-11-16", "service": "social",
               "window": 2, "clerk": "1003", "follow_up": None}
    bus.answers = {"follow_ups": (True, {"dissatisfied": [earlier], "clerks": {"1003": "王五"}})}
    model, _said = make_model(bus, clock)
    model.refresh_now()
    assert bus.ops().count("follow_ups") == 1
    assert [(f.day, f.ticket) for f in model.indicators.follow_ups] == [("2026-11-16", "C007")]
    (alert,) = [a for a in model.active_alerts() if a.kind == "dissatisfied"]
    assert model.alert_text(alert) == (
        "2026-11-16 的 C007（社会保险，2号窗口，王五）评价为“不满意”，尚未回访")
    model.refresh_now()  # nothing new: not asked again
    assert bus.ops().count("follow_ups") == 1
    model.on_event({"event": "day_started", "seq": 11, "at": iso(clock.now()),
                    "data": {"day": "2026-11-24"}})
    assert [f.ticket for f in model.indicators.follow_ups] == ["C007"]  # kept meanwhile
    model.refresh_now()
    assert bus.ops().count("follow_ups") == 2


def test_a_long_reason_or_announcement_is_shortened_on_the_result_line(
        bus: AnsweringBus, clock: FakeClock) -> None:
    model, said = make_model(bus, clock)
    model.cancel(C001, "原" * 200)
    assert bus.sent[-1].params["reason"] == "原" * 200  # the hub gets it whole
    assert said[-1].ok and said[-1].text == f"C001 已取消，原因：{'原' * 39}…。"
    model.announce("请" * 500)
    assert said[-1].text == f"广播已发出：{'请' * 39}…"
    model.cancel(C001, "走错了大厅")
    assert said[-1].text == "C001 已取消，原因：走错了大厅。"


def test_reports_count_waits_against_the_promise_this_desk_watches(bus: AnsweringBus,
                                                                   clock: FakeClock) -> None:
    model, _ = make_model(bus, clock)
    model.targets = Targets(max_wait_min=20, max_wait_by_service={"realty": 45})
    model.load_report("week", date(2026, 11, 23))
    assert bus.sent[-1].op == "report"
    assert bus.sent[-1].params == {"from": "2026-11-23", "to": "2026-11-29", "wait_min": 20,
                                   "wait_min_by_service": {"realty": 45}}


def test_a_service_opens_on_the_desk_at_its_hour(bus: AnsweringBus, clock: FakeClock) -> None:
    """The desk keeps its snapshot all day: one taken before opening said every service was
    closed, and the issue tab kept its buttons off."""
    clock.set(clock.now().replace(hour=0, minute=10))  # 08:10 in Shanghai
    model, _ = make_model(bus, clock)
    social = {**model.watch.services["social"], "open": False, "hours_today": ["08:30-17:30"]}
    assert not model.service_open(social)
    clock.advance(minutes=30)
    assert model.service_open(social)
    assert not model.service_open({**social, "closed_today": True})
    assert not model.service_open({"id": "x", "open": False})  # no hours sent: as it was said


def test_a_hall_screen_gone_dark_is_an_alarm_on_the_desk(bus: AnsweringBus,
                                                         clock: FakeClock) -> None:
    """A screen says nothing of itself once it is dark: the desk asks the hub which devices
    are connected, at every snapshot and every clock tick."""
    since = iso(clock.now())
    listed = [{"name": "display-1", "role": "display", "window": None, "revoked": False,
               "connected": False, "since": since, "status": None},
              {"name": "kiosk-1", "role": "kiosk", "window": None, "revoked": False,
               "connected": True, "since": since, "status": None},
              {"name": "counter-9", "role": "counter", "window": 9, "revoked": False,
               "connected": False, "since": None, "status": None},
              {"name": "old-kiosk", "role": "kiosk", "window": None, "revoked": True,
               "connected": False, "since": None, "status": None},
              {"name": "desk-2", "role": "desk", "window": None, "revoked": False,
               "connected": False, "since": since, "status": None}]  # closed by its user
    bus.answers = {"devices": (True, {"devices": listed})}
    model, _ = make_model(bus, clock)
    model.refresh_now()
    assert "devices" in bus.ops()
    lines = {(d.device, d.value, d.level) for d in model.indicators.devices}
    assert lines == {("display-1", "offline", "alarm"), ("kiosk-1", "connected", "ok"),
                     ("counter-9", "not_seen", "ok"),  # not seen today: listed, not alarmed
                     ("desk-2", "closed", "ok")}
    assert model.indicators.devices_online == (1, 4)
    [alert] = [a for a in model.active_alerts() if a.kind == "offline"]
    assert model.alert_text(alert) == "display-1：10:00 起与服务中心断开"
    asked = bus.ops().count("devices")
    model._tick.timeout.emit()  # the clock's tick asks again
    model.refresh_now()
    assert bus.ops().count("devices") == asked + 1


@pytest.mark.parametrize(("lang", "shown"), [("zh", "系统故障"), ("en", "System problem")])
def test_a_listed_pause_reason_reads_in_the_desks_language(bus: AnsweringBus, clock: FakeClock,
                                                           lang: str, shown: str) -> None:
    model, _ = make_model(bus, clock, lang=lang)
    assert model.said_reason("系统故障 / System problem") == shown
    assert model.said_reason("去档案室 / 取材料") == "去档案室 / 取材料"  # typed by hand


def test_the_ticket_looked_up_follows_its_place_in_line(bus: AnsweringBus,
                                                        clock: FakeClock) -> None:
    """Looked up at 09:00 with four ahead, C005 read "four ahead" at 09:25 while the queue
    page said one: the looked-up ticket is taken from each new waiting line."""
    bus.answers = {"find": (True, {"ticket": ticket("C002", "social", clock.now(), ahead=1)})}
    model, _said = make_model(bus, clock)
    shown: list[Any] = []
    model.found.connect(shown.append)
    model.lookup("C002")
    assert shown[-1]["ahead"] == 1
    clock.advance(minutes=25)
    # C001 is called; the desk reads the waiting line again (a sync), where C002 is next
    bus.answers["sync"] = (True, {"seq": 11, "snapshot": snapshot(
        [ticket("C002", "social", clock.now() - timedelta(minutes=25), ahead=0)],
        [window(1, "open", current=ticket("C001", "social", clock.now(), "called", window=1))])})
    model.on_event({"event": "ticket_called", "seq": 11, "at": iso(clock.now()),
                    "data": {"ticket": ticket("C001", "social", clock.now(), "called", window=1),
                             "window": 1, "calls": 1}})
    model.refresh_now()
    assert "sync" in bus.ops()
    assert model.looked_up is not None and model.looked_up["ahead"] == 0
    assert shown[-1]["ahead"] == 0


def test_a_new_day_clears_yesterdays_ticket_looked_up_last_issued_and_announcements(
        bus: AnsweringBus, clock: FakeClock) -> None:
    """At 08:40 the next day the Issue page still showed yesterday's C004 as just taken, the
    Find page yesterday's C002 as waiting (with its actions enabled), and the announcements
    yesterday's, with no date."""
    bus.answers = {"find": (True, {"ticket": C001}),
                   "issue": (True, {"ticket": ticket("C004", "social", clock.now(), ahead=1)})}
    model, _said = make_model(bus, clock)
    model.lookup("C001")
    model.issue("social")
    model.on_event({"event": "announcement", "seq": 11, "at": iso(clock.now()),
                    "data": {"text": "今天17:30下班", "lang": "zh"}})
    assert model.looked_up and model.last_issued and model.announcements
    found: list[Any] = []
    issued: list[Any] = []
    model.found.connect(found.append)
    model.issued.connect(issued.append)
    model.on_event({"event": "day_started", "seq": 12, "at": iso(clock.now()),
                    "data": {"day": "2026-11-24"}})
    assert (model.looked_up, model.last_issued, model.announcements) == (None, None, [])
    assert found == [None] and issued == [None]


def test_an_announcement_of_nothing_visible_is_refused_here(bus: AnsweringBus,
                                                           clock: FakeClock) -> None:
    """Zero-width characters alone went to the hub, whose refusal came back in English."""
    model, said = make_model(bus, clock)
    model.announce("\u200b\u200b ")
    assert "announce" not in bus.ops()
    assert not said[-1].ok and said[-1].text == model.t("err_no_text")


@pytest.mark.parametrize(("message", "zh", "en"), [
    ("appointment YY09:30 has already been checked in: its ticket is P004",
     "预约 YY09:30 已经签到过，号码是 P004：号票丢失可在“查号补打”页补打。",
     "Appointment YY09:30 has already been checked in as P004: a lost ticket can be reprinted "
     "on the Find / reprint page."),
    ("appointment YY09:30 is booked for 2026-11-25 10:00, in the hall day of 2026-11-25, not "
     "today (2026-11-23)", "预约 YY09:30 不是今天的预约，请在预约的日期前来。",
     "Appointment YY09:30 is not for today: the citizen comes on the day booked."),
    ("appointment YY09:30 is at 10:30: check-in opens 30 minutes before",
     "预约 YY09:30 的时间是 10:30，10:00 起才能签到。",
     "Appointment YY09:30 is at 10:30; check-in opens at 10:00."),
    ("appointment YY09:30 ended at 09:00: please take an ordinary ticket",
     "预约 YY09:30 的时段已于 09:00 结束，请取普通号。",
     "Appointment YY09:30 ended at 09:00: give an ordinary ticket."),
])
def test_a_check_in_refused_says_why_and_what_to_do(bus: AnsweringBus, clock: FakeClock,
                                                    message: str, zh: str, en: str) -> None:
    """One line for every refusal ("already, not today or outside its time") left the desk
    officer unable to tell "come back at 10:00" from "take an ordinary ticket", or to find a
    lost ticket's number (a code that looks like a time is not taken for the slot's)."""
    model, _said = make_model(bus, clock)
    error = {"code": "invalid_state", "message": message}
    assert model.error_text("check_in", error, "YY09:30") == zh
    english, _ = make_model(bus, clock, lang="en")
    assert english.error_text("check_in", error, "YY09:30") == en

