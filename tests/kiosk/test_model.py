"""The kiosk's view-model without a screen or a hub: fed snapshots and events, answering its
requests by hand, printing on a FakePrinter (real ESC/POS bytes)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import time
from typing import Any

import pytest

from hub.opening import hours_open
from kiosk.errors import PrinterOfflineError
from kiosk.model import (
    DONE_SECONDS,
    PAUSE_AFTER_S,
    PRINT_RETRY_S,
    KioskModel,
    Screen,
)
from kiosk.printer import FakePrinter
from kiosk.printer_status import PrinterStatus
from kiosk.ticket import PrintMode, TicketContent
from kiosk.ui.printjobs import InlinePrintJobs
from tests.fakes import FakeClock


def on(model: KioskModel, screen: Screen) -> bool:
    """Whether the model shows ``screen`` (a call, so that mypy does not narrow across touches)."""
    return model.screen is screen


def ticket(number: str = "C003", service: str = "social", ahead: int = 2) -> dict[str, Any]:
    return {"id": f"20261123-{number}", "number": number, "service": service, "state": "waiting",
            "priority": "normal", "issued_at": "2026-11-23T02:00:00+00:00", "window": None,
            "calls": 0, "ahead": ahead, "est_wait_min": 20}


def snapshot() -> dict[str, Any]:
    """A kiosk snapshot of the county hall (10:00 on a Monday in Shanghai)."""
    departments = [{"id": "police", "name": "公安户政", "name_en": "Household Registration"},
                   {"id": "hrss", "name": "人力资源和社会保障",
                    "name_en": "Human Resources and Social Security"},
                   {"id": "realty", "name": "不动产登记", "name_en": "Real Estate Registration"},
                   {"id": "civil", "name": "民政", "name_en": "Civil Affairs"}]

    def service(sid: str, dept: str, name: str, name_en: str, **extra: Any) -> dict[str, Any]:
        return {"id": sid, "name": name, "name_en": name_en, "department": dept, "open": True,
                "hours_today": ["08:30-17:30"], "closed_today": False, "waiting": 0,
                "est_wait_min": 0, "quota_left": None, **extra}

    return {
        "day": "2026-11-23",
        "hall": {"name": "县政务服务中心", "name_en": "County Government Service Center",
                 "languages": ["zh", "en"], "timezone": "Asia/Shanghai", "open": True,
                 "departments": departments},
        "services": [
            service("hukou", "police", "户籍业务", "Household registration"),
            service("social", "hrss", "社会保险", "Social insurance", waiting=2, est_wait_min=20),
            service("realty", "realty", "不动产登记", "Real estate registration", quota_left=2),
            service("marriage", "civil", "婚姻登记", "Marriage registration",
                    hours_today=["08:30-09:30", "14:00-17:00"], open=False),
        ],
        "windows": [], "recent_calls": [],
    }


@dataclass
class Sent:
    op: str
    params: dict[str, Any]
    req_id: str
    on_done: Callable[[bool, dict[str, Any]], None] | None


class RecordingBus:
    """Records what the kiosk asks; the test answers."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self.forgotten: list[str] = []
        self.count = 0

    def request(self, op: str, params: dict[str, Any] | None = None, *,
                on_done: Callable[[bool, dict[str, Any]], None] | None = None,
                req_id: str | None = None, timeout: float | None = 10.0) -> str:
        self.count += 1
        req_id = req_id or f"auto-{self.count}"
        self.sent.append(Sent(op, dict(params or {}), req_id, on_done))
        return req_id

    def forget(self, req_id: str) -> None:
        self.forgotten.append(req_id)

    def ops(self, op: str) -> list[Sent]:
        return [s for s in self.sent if s.op == op]

    def answer(self, op: str, ok: bool, payload: dict[str, Any]) -> None:
        pending = self.ops(op)[-1]
        assert pending.on_done is not None
        pending.on_done(ok, payload)

    def statuses(self) -> list[dict[str, Any]]:
        return [s.params["status"] for s in self.ops("device_status")]


class FlakyPrinter(FakePrinter):
    """A fake printer whose next ``failures`` tickets jam (its status still says ok)."""

    failures = 0

    def print_ticket(self, data: bytes) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise PrinterOfflineError("paper jam")
        super().print_ticket(data)


@dataclass
class Rig:
    model: KioskModel
    bus: RecordingBus
    printer: FlakyPrinter
    clock: FakeClock

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.model.tick()


@pytest.fixture
def rig() -> Rig:
    clock = FakeClock()
    bus = RecordingBus()
    printer = FlakyPrinter(PrintMode.TEXT, 58)
    model = KioskModel(bus, InlinePrintJobs(printer), idle_seconds=30, technician_pin="2468",
                       clock=clock, monotonic=lambda: clock.now().timestamp())
    model.on_status(True, "connected")
    model.on_snapshot(7, snapshot())
    return Rig(model, bus, printer, clock)


def test_starts_waiting_for_the_hub_and_shows_departments_once_it_answers() -> None:
    model = KioskModel(RecordingBus(), InlinePrintJobs(FakePrinter()), clock=FakeClock())
    assert on(model, Screen.STARTING)
    model.on_snapshot(1, snapshot())
    assert on(model, Screen.HOME)
    assert [d.name for d in model.departments()] == ["公安户政", "人力资源和社会保障", "不动产登记", "民政"]


def test_services_show_waiting_and_unavailable_ones_say_why_and_when(rig: Rig) -> None:
    m = rig.model
    social = m.service("social")
    assert social is not None and social.available
    assert social.status == "等候2人 · 约20分钟"
    marriage = m.service("marriage")
    assert marriage is not None and marriage.state == "closed"
    assert marriage.status == "暂停取号：不在办理时间"
    assert marriage.hours == "今日办理时间 08:30–09:30、14:00–17:00"
    civil = next(d for d in m.departments() if d.id == "civil")
    assert not civil.available and civil.summary == "暂停取号"
    m.set_language("en")
    assert m.service("marriage").hours == "Today 08:30–09:30, 14:00–17:00"  # type: ignore[union-attr]
    assert m.service("hukou").status == "No wait"  # type: ignore[union-attr]
    assert m.department_name == "" and m.hall_name == "County Government Service Center"


def test_an_idle_kiosk_is_drawn_again_when_a_service_opens_or_closes(rig: Rig) -> None:
    """At 08:31 an untouched kiosk still showed every department "暂停取号": it was drawn
    again only after a touch or an event."""
    drawn: list[str] = []
    rig.model.changed.connect(lambda: drawn.append("x"))
    rig.advance(1)
    drawn.clear()
    rig.advance(60)  # 10:01, nothing opened or closed: not drawn again for it
    assert drawn == []
    rig.clock.advance(hours=7, minutes=29)  # 17:30 in Shanghai: the hall's hours end
    rig.model.tick()
    assert drawn == ["x"] and rig.model.service("hukou").state == "closed"  # type: ignore[union-attr]
    rig.model.tick()
    assert drawn == ["x"]  # once


def test_opening_hours_are_followed_by_the_clock_from_the_hours_the_hub_sent(rig: Rig) -> None:
    assert hours_open([], time(3, 0))
    rig.clock.advance(hours=8)  # 18:00 in Shanghai: the hall's hours are over
    assert rig.model.service("hukou").state == "closed"  # type: ignore[union-attr]
    always = snapshot()  # a hub run with --always-open sends no hours: open at any hour
    for service in always["services"]:
        service["hours_today"] = []
    rig.model.on_snapshot(8, always)
    assert rig.model.service("hukou").state == "open"  # type: ignore[union-attr]


def test_live_queue_figures_and_quota_come_from_events(rig: Rig) -> None:
    m = rig.model
    m.on_event({"event": "queue_changed", "seq": 8,
                "data": {"service": "hukou", "waiting": 5, "est_wait_min": 33}})
    assert m.service("hukou").status == "等候5人 · 约33分钟"  # type: ignore[union-attr]
    for n in (1, 2):
        m.on_event({"event": "ticket_issued", "seq": 8 + n,
                    "data": {"ticket": ticket(f"F00{n}", "realty")}})
    realty = m.service("realty")
    assert realty is not None and realty.state == "quota"
    assert realty.status == "暂停取号：今日号已取完"


def test_a_touch_issues_one_ticket_in_the_chosen_language_and_prints_it(rig: Rig) -> None:
    m = rig.model
    m.set_language("en")
    m.choose_department("hrss")
    assert on(m, Screen.SERVICES)
    m.choose_service("social")
    m.choose_service("social")  # a second tap while the first is on its way
    issued = rig.bus.ops("issue")
    assert len(issued) == 1
    assert issued[0].params == {"service": "social", "lang": "en"}
    assert on(m, Screen.ISSUING)
    rig.bus.answer("issue", True, {"ticket": ticket()})
    assert on(m, Screen.DONE)
    content: TicketContent = rig.printer.contents[0]
    assert (content.number, content.service_name_en, content.ahead) == ("C003", "Social insurance", 2)
    assert tuple(content.languages) == ("en", "zh")
    assert content.timezone == "Asia/Shanghai"
    assert rig.printer.printed[0].startswith(b"\x1b@")
    assert m.ticket_lines() == ["Social insurance", "2 ahead of you, about 20 min"]
    rig.advance(DONE_SECONDS)
    assert on(m, Screen.HOME) and m.lang == "zh"  # the next citizen starts in Chinese


def test_a_touch_that_meets_a_lost_hub_is_retried_with_the_same_id(rig: Rig) -> None:
    m = rig.model
    m.choose_department("hrss")
    m.choose_service("social")
    first = rig.bus.ops("issue")[0]
    m.on_status(False, "the hub does not answer")
    rig.bus.answer("issue", False, {"code": "unavailable", "message": "no answer in 5 s"})
    assert on(m, Screen.PAUSED) and m.paused_pending
    m.on_status(True, "connected")
    again = rig.bus.ops("issue")
    assert len(again) == 2 and again[1].req_id == first.req_id
    rig.bus.answer("issue", True, {"ticket": ticket()})
    assert on(m, Screen.DONE)
    assert len(rig.printer.contents) == 1


def test_a_touch_given_up_while_the_hub_is_away_is_never_sent_again(rig: Rig) -> None:
    m = rig.model
    m.choose_department("hrss")
    m.choose_service("social")
    first = rig.bus.ops("issue")[0]
    m.on_status(False, "the hub does not answer")
    rig.bus.answer("issue", False, {"code": "unavailable", "message": "no answer in 5 s"})
    assert on(m, Screen.PAUSED) and m.paused_pending
    m.cancel_waiting()  # the citizen walks to the desk instead
    assert rig.bus.forgotten == [first.req_id]  # the bus will not resend it
    m.on_status(True, "connected")
    assert len(rig.bus.ops("issue")) == 1 and on(m, Screen.HOME)


def test_a_hub_that_does_not_answer_while_connected_lets_the_citizen_stop_waiting(
        rig: Rig) -> None:
    """A frozen hub keeps the connection up for a while: after the request's timeout the
    paused screen (with its "stop waiting"), not "please wait" for ever; the answer, if it
    comes, still gives the ticket."""
    m = rig.model
    m.choose_department("hrss")
    m.choose_service("social")
    first = rig.bus.ops("issue")[0]
    rig.bus.answer("issue", False, {"code": "unavailable", "message": "no answer in 5 s"})
    assert on(m, Screen.PAUSED) and m.paused_pending
    waiting = rig.bus.ops("issue")
    assert len(waiting) == 2 and waiting[1].req_id == first.req_id  # still waited for
    rig.bus.answer("issue", True, {"ticket": ticket()})
    assert on(m, Screen.DONE) and len(rig.printer.contents) == 1
    m.finish()
    m.choose_department("hrss")
    m.choose_service("social")
    rig.bus.answer("issue", False, {"code": "unavailable", "message": "no answer in 5 s"})
    m.cancel_waiting()
    assert rig.bus.forgotten == [rig.bus.ops("issue")[-1].req_id]
    rig.advance(0.5)
    assert on(m, Screen.HOME)


def test_a_touch_just_after_the_hub_went_away_is_kept_until_it_is_back(rig: Rig) -> None:
    """The paused screen says the ticket is issued when the hub is back: so it is, after the
    printer is asked, as for any touch."""
    m = rig.model
    m.choose_department("hrss")
    m.on_status(False, "refused")  # the paused screen is not up yet (PAUSE_AFTER_S)
    m.choose_service("social")
    assert on(m, Screen.PAUSED) and m.paused_pending
    assert not rig.bus.ops("issue")
    m.on_status(True, "connected")
    [sent] = rig.bus.ops("issue")
    assert sent.params == {"service": "social", "lang": "zh"}
    rig.bus.answer("issue", True, {"ticket": ticket()})
    assert on(m, Screen.DONE)


def test_a_touch_kept_for_the_hub_is_not_sent_if_the_printer_ran_out_meanwhile(
        rig: Rig) -> None:
    m = rig.model
    m.choose_department("hrss")
    m.on_status(False, "refused")
    m.choose_service("social")
    rig.printer.set_status(PrinterStatus.PAPER_OUT)
    m.on_status(True, "connected")
    assert not rig.bus.ops("issue") and on(m, Screen.OUT_OF_SERVICE)


def test_the_hub_gone_for_a_few_seconds_pauses_issuing_until_it_is_back(rig: Rig) -> None:
    m = rig.model
    m.on_status(False, "refused")
    rig.advance(PAUSE_AFTER_S - 1)
    assert on(m, Screen.HOME)
    rig.advance(1.5)
    assert on(m, Screen.PAUSED) and not m.paused_pending
    m.choose_department("hrss")  # touches on the paused screen do nothing
    assert not rig.bus.ops("issue")
    m.on_status(True, "connected")
    assert on(m, Screen.HOME)


def test_no_paper_means_no_ticket_and_the_hub_is_told(rig: Rig) -> None:
    m = rig.model
    rig.printer.set_status(PrinterStatus.PAPER_OUT)
    m.choose_department("hrss")
    m.choose_service("social")
    assert not rig.bus.ops("issue")
    assert on(m, Screen.OUT_OF_SERVICE)
    assert m.printer_problem() == "打印纸已用完"
    assert {"printer": "paper_out"} in rig.bus.statuses()
    m.back()
    m.home()
    assert on(m, Screen.OUT_OF_SERVICE)  # nowhere to go while there is no paper
    rig.printer.set_status(PrinterStatus.OK)
    rig.advance(3)  # the printer is asked again every few seconds while it is down
    assert on(m, Screen.HOME)
    assert rig.bus.statuses()[-1] == {"printer": "ok"}


def test_a_ticket_issued_but_not_printed_stays_on_screen_and_is_printed_again(rig: Rig) -> None:
    m = rig.model
    rig.printer.failures = 2
    m.choose_department("hrss")
    m.choose_service("social")
    rig.bus.answer("issue", True, {"ticket": ticket("C009")})
    assert on(m, Screen.UNPRINTED) and m.unprinted_number == "C009"
    assert {"printer": "offline", "unprinted": "C009"} in rig.bus.statuses()
    rig.advance(60)  # the idle timeout does not take the number away
    assert on(m, Screen.UNPRINTED)
    rig.advance(PRINT_RETRY_S)
    assert on(m, Screen.DONE) and len(rig.printer.contents) == 1
    assert {"printer": "ok", "reprinted": "C009"} in rig.bus.statuses()
    assert len(rig.bus.ops("issue")) == 1


def test_the_citizen_may_leave_with_the_number_noted(rig: Rig) -> None:
    rig.printer.failures = 100
    rig.model.choose_department("hrss")
    rig.model.choose_service("social")
    rig.bus.answer("issue", True, {"ticket": ticket("C010")})
    rig.model.finish()
    assert rig.model.unprinted_number is None
    assert on(rig.model, Screen.OUT_OF_SERVICE)  # the printer failed: not for the next one
    rig.printer.failures = 0
    rig.advance(3)  # until the printer says it is fine again
    assert on(rig.model, Screen.HOME)


def test_refusals_are_said_in_plain_words(rig: Rig) -> None:
    m = rig.model
    m.choose_department("realty")
    m.choose_service("realty")
    rig.bus.answer("issue", False, {"code": "quota_reached", "message": "quota of 120 reached"})
    assert on(m, Screen.NOTICE) and m.notice is not None
    assert m.notice.title == "不动产登记" and "已经取完" in m.notice.body
    assert m.service("realty").state == "quota"  # type: ignore[union-attr]
    m.back()
    m.choose_department("civil")
    m.choose_service("marriage")  # closed: explained without asking the hub
    assert m.notice is not None and "不在办理时间" in m.notice.body
    assert len(rig.bus.ops("issue")) == 1


@pytest.mark.parametrize(("code", "message", "expected"), [
    ("not_found", "no appointment with code 555", "没有找到预约码 555"),
    ("invalid_state", "appointment 555 has already been checked in", "已经签到过了"),
    ("invalid_state", "appointment 555 is booked for 2026-11-24, not today", "不是今天的预约"),
    ("invalid_state", "appointment 555 is at 15:00: check-in opens 30 minutes before",
     "您预约的时间是 15:00，14:30 起才能签到"),
    ("invalid_state", "appointment 555 ended at 09:00: please take an ordinary ticket",
     "您预约的时段已于 09:00 结束"),
    ("invalid_state", "appointment BK-10:15-77 is at 15:00: check-in opens 30 minutes before",
     "您预约的时间是 15:00，14:30 起才能签到"),  # a code holding a time
    ("invalid_state", "check-in opens 30 minutes before the slot", "还没到签到时间"),  # no time
    ("invalid_state", "that appointment ended", "已经过了"),
    ("invalid_state", "something new", "现在不能签到"),
])
def test_check_in_errors(rig: Rig, code: str, message: str, expected: str) -> None:
    m = rig.model
    m.open_check_in()
    for digit in "555":
        m.key(digit)
    m.submit_code()
    assert rig.bus.ops("check_in")[0].params == {"code": "555"}
    rig.bus.answer("check_in", False, {"code": code, "message": message})
    assert on(m, Screen.NOTICE) and m.notice is not None and expected in m.notice.body


def test_back_from_a_refusal_returns_to_where_the_citizen_was(rig: Rig) -> None:
    """To the keypad with the code as typed ("check it and enter again"), or to the
    department's services; not to the start, where everything would be chosen again."""
    m = rig.model
    m.open_check_in()
    for digit in "5556":
        m.key(digit)
    m.submit_code()
    rig.bus.answer("check_in", False, {"code": "not_found", "message": "no appointment"})
    assert on(m, Screen.NOTICE)
    m.back()
    assert on(m, Screen.CHECK_IN) and m.code == "5556"
    m.backspace()
    assert m.code == "555"
    m.back()
    assert on(m, Screen.HOME)
    m.choose_department("civil")
    m.choose_service("marriage")  # closed now
    assert on(m, Screen.NOTICE)
    m.back()
    assert on(m, Screen.SERVICES) and m.department == "civil"
    m.back()
    assert on(m, Screen.HOME)


def test_a_scanned_code_checks_in_from_the_start_screen(rig: Rig) -> None:
    rig.model.scanned("APT-20261123-0042")
    assert rig.bus.ops("check_in")[0].params == {"code": "APT-20261123-0042"}
    appointment = {**ticket("C004"), "priority": "appointment"}
    rig.bus.answer("check_in", True, {"ticket": appointment})
    assert on(rig.model, Screen.DONE)
    assert rig.printer.contents[0].priority == "appointment"


def test_idle_takes_a_citizen_back_to_the_start_in_the_hall_s_language(rig: Rig) -> None:
    m = rig.model
    m.set_language("en")
    m.open_check_in()
    m.key("1")
    rig.advance(20)
    m.touched()
    rig.advance(20)
    assert on(m, Screen.CHECK_IN)  # a touch 20 s ago: still there
    rig.advance(11)
    assert on(m, Screen.HOME) and m.lang == "zh" and m.code == ""


def test_the_technician_leaves_only_with_the_pin(rig: Rig) -> None:
    m = rig.model
    left: list[bool] = []
    m.quit_requested.connect(lambda: left.append(True))
    m.technician_gesture()
    assert on(m, Screen.TECHNICIAN)
    for digit in "1111":
        m.key(digit)
    m.submit_pin()
    assert m.pin_wrong and not left
    for digit in "2468":
        m.key(digit)
    m.submit_pin()
    assert left == [True]


def test_printer_changes_are_reported_once_each(rig: Rig) -> None:
    rig.advance(11)
    rig.printer.set_status(PrinterStatus.PAPER_NEAR_END)
    rig.advance(11)
    rig.advance(11)
    assert rig.bus.statuses() == [{"printer": "ok"}, {"printer": "paper_near_end"}]
    assert on(rig.model, Screen.HOME)  # near the end still prints

