"""The queue engine, op by op and rule by rule, as tables of scenarios (no I/O, fake clock)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hub.config import load_hall, parse_hall
from hub.engine import HallEngine
from hub.errors import RequestError
from hub.lines import calling_order
from hub.model import Appointment, Clerk
from tests.fakes import FakeClock
from tests.hubproc import COUNTY

HALL = load_hall(COUNTY)
ZHANG = Clerk("1001", "张三")
LI = Clerk("1002", "李四")


def engine(clock: FakeClock | None = None, **kwargs: Any) -> HallEngine:
    return HallEngine(HALL, clock or FakeClock(), **kwargs)


def numbers(e: HallEngine, window: int, count: int) -> list[str]:
    out = []
    for _ in range(count):
        out.append(e.call_next(window).result["ticket"]["number"])
    return out


def refused(code: str, call: Any, *args: Any, **kwargs: Any) -> RequestError:
    with pytest.raises(RequestError) as info:
        call(*args, **kwargs)
    assert info.value.code == code, info.value.message
    return info.value


def names(outcome: Any) -> list[str]:
    return [event.name for event in outcome.events]


# ------------------------------------------------------------------------------ issuing

def test_numbers_run_per_service_and_carry_their_prefix() -> None:
    e = engine()
    got = [e.issue(s).result["ticket"]["number"] for s in
           ["social", "social", "hukou", "social", "idcard", "hukou"]]
    assert got == ["C001", "C002", "A001", "C003", "B001", "A002"]


def test_numbers_go_past_999() -> None:
    e = engine()
    e.next_seqno["pay"] = 999
    assert e.issue("pay").result["ticket"]["number"] == "P999"
    assert e.issue("pay").result["ticket"]["number"] == "P1000"


def test_issue_events_and_figures() -> None:
    e = engine()
    e.issue("social")
    out = e.issue("social")
    assert names(out) == ["ticket_issued", "queue_changed"]
    ticket = out.result["ticket"]
    assert ticket["state"] == "waiting" and ticket["priority"] == "normal"
    assert ticket["ahead"] == 1
    assert ticket["est_wait_min"] == 10  # 1 ahead x 10 min, no window open yet counts as one
    queue = out.events[1].data
    assert queue == {"service": "social", "waiting": 2, "est_wait_min": 20}


@pytest.mark.parametrize("service, kwargs, code", [
    ("nope", {}, "unknown_service"),
])
def test_issue_refusals(service: str, kwargs: dict[str, Any], code: str) -> None:
    e = engine()
    refused(code, e.issue, service, **kwargs)
    assert e.take_changes() == ([], [])


@pytest.mark.parametrize("lang, recorded", [
    (None, None), ("zh", "zh"), ("zh-CN", "zh"), ("EN", "en"), ("en_GB", "en"), ("fr", None)])
def test_the_citizens_language_is_recorded_as_one_of_the_halls(lang: str | None,
                                                                recorded: str | None) -> None:
    e = engine()
    number = e.issue("social", lang=lang).result["ticket"]["number"]
    assert e.today(number).lang == recorded  # type: ignore[union-attr]


def test_quota_is_per_day() -> None:
    clock = FakeClock()
    e = engine(clock)
    e.issued_today["realty"] = 119
    e.issue("realty")
    refused("quota_reached", e.issue, "realty")
    clock.advance(hours=24)
    e.tick()
    assert e.issue("realty").result["ticket"]["number"] == "F001"


@pytest.mark.parametrize("local, service, open_", [
    ("2026-11-23 08:29", "social", False),  # Monday before opening
    ("2026-11-23 08:30", "social", True),
    ("2026-11-23 17:29", "social", True),
    ("2026-11-23 17:30", "social", False),
    ("2026-11-28 10:00", "social", True),  # Saturday morning
    ("2026-11-28 12:30", "social", False),
    ("2026-11-29 10:00", "social", False),  # Sunday
    ("2026-11-23 12:00", "marriage", False),  # marriage: 08:30-11:30 and 14:00-17:00
    ("2026-11-23 14:00", "marriage", True),
    ("2026-11-28 10:00", "marriage", True),  # Saturday: the hall's 09:00-12:00 narrowed
    ("2026-11-28 08:45", "marriage", False),  # by marriage's 08:30-11:30 ...
    ("2026-11-28 11:45", "marriage", False),
])
def test_opening_hours(local: str, service: str, open_: bool) -> None:
    moment = datetime.fromisoformat(local).replace(tzinfo=HALL.timezone).astimezone(UTC)
    e = engine(FakeClock(moment))
    view = next(s for s in e.snapshot()["services"] if s["id"] == service)
    assert view["open"] is open_
    if open_:
        e.issue(service)
        assert "08:29" not in view["hours_today"][0]
    else:
        refused("service_closed", e.issue, service)
    assert engine(FakeClock(moment), always_open=True).issue(service)


# ------------------------------------------------------------------------------ routing

def test_fifo_window_takes_the_longest_waiting_across_its_services() -> None:
    clock = FakeClock()
    e = engine(clock)
    for service in ["medical", "social", "fund", "social"]:
        e.issue(service)
        clock.advance(10)
    e.sign_in(1, ZHANG)
    assert numbers(e, 1, 4) == ["E001", "C001", "K001", "C002"]


def test_priority_classes_green_then_appointment_then_normal() -> None:
    clock = FakeClock()
    e = engine(clock)
    e.issue("social")
    clock.advance(10)
    slot = clock.now() + timedelta(minutes=10)
    e.check_in(Appointment("AP1", "social", e.day, slot, slot + timedelta(minutes=30)))
    clock.advance(10)
    e.issue("medical", priority="green")
    e.sign_in(1, ZHANG)
    assert numbers(e, 1, 3) == ["E001", "C002", "C001"]


def test_appointments_are_called_in_the_order_they_checked_in() -> None:
    """Within the class, the one that has waited longest (its place in line: issue time), not
    the earliest slot: a citizen who checked in first is called first."""
    clock = FakeClock()
    e = engine(clock)
    late = clock.now() + timedelta(minutes=20)
    e.check_in(Appointment("LATE", "social", e.day, late, late + timedelta(minutes=30)))
    clock.advance(60)
    early = clock.now() - timedelta(minutes=10)
    e.check_in(Appointment("EARLY", "social", e.day, early, early + timedelta(minutes=30)))
    e.sign_in(1, ZHANG)
    assert numbers(e, 1, 2) == ["C001", "C002"]


def test_ordered_window_takes_services_in_its_order() -> None:
    clock = FakeClock()
    e = engine(clock)
    e.issue("hukou")  # window 5 serves ["idcard", "hukou"], ordered
    clock.advance(60)
    e.issue("idcard")
    e.sign_in(5, ZHANG)
    e.sign_in(4, LI)  # window 4 serves ["hukou", "idcard"], fifo
    assert numbers(e, 5, 1) == ["B001"]
    e.issue("idcard")
    assert numbers(e, 4, 1) == ["A001"]


def test_tickets_sent_to_a_window_come_first_there_only() -> None:
    clock = FakeClock()
    e = engine(clock)
    e.issue("social")
    clock.advance(10)
    e.issue("medical")
    e.sign_in(1, ZHANG)
    e.sign_in(2, LI)
    e.call_next(1)  # C001
    e.transfer(1, to_window=2)  # C001 now waits for window 2 only
    clock.advance(10)
    e.issue("social")
    assert numbers(e, 1, 2) == ["E001", "C002"]
    assert numbers(e, 2, 1) == ["C001"]


def test_first_placement_goes_before_others_in_its_class() -> None:
    clock = FakeClock()
    e = engine(clock)
    for _ in range(3):
        e.issue("social")
        clock.advance(10)
    e.sign_in(1, ZHANG)
    e.call_next(1)  # C001
    e.transfer(1, to_service="social", position="first")
    assert numbers(e, 1, 3) == ["C001", "C002", "C003"]


def test_last_placement_goes_to_the_back() -> None:
    clock = FakeClock()
    e = engine(clock)
    for _ in range(3):
        e.issue("social")
        clock.advance(10)
    e.sign_in(1, ZHANG)
    e.call_next(1)
    e.transfer(1, to_service="social", position="last")
    assert numbers(e, 1, 3) == ["C002", "C003", "C001"]


def test_a_called_ticket_leaves_the_line_at_once() -> None:
    e = engine()
    e.issue("social")
    e.sign_in(1, ZHANG)
    e.sign_in(2, LI)
    e.call_next(1)
    refused("queue_empty", e.call_next, 2)
    assert e.snapshot()["services"][2]["waiting"] == 0


# ------------------------------------------------------------------------------ the window

def test_sign_in_out_pause_resume() -> None:
    e = engine()
    assert e.sign_in(1, ZHANG).result["window"]["state"] == "open"
    assert e.sign_in(1, ZHANG).events == []  # the same clerk again: accepted, nothing changes
    refused("invalid_state", e.resume, 1)
    out = e.pause(1, "午休")
    assert out.result["window"] == {**out.result["window"], "state": "paused", "reason": "午休"}
    refused("invalid_state", e.pause, 1)
    refused("invalid_state", e.call_next, 1)
    assert e.resume(1).result["window"]["state"] == "open"
    out = e.sign_out(1)
    assert out.result["window"]["state"] == "closed" and out.result["window"]["clerk"] is None
    refused("invalid_state", e.sign_out, 1)


@pytest.mark.parametrize("op", ["call_next", "recall", "start", "no_show", "finish", "pause",
                                "resume", "sign_out"])
def test_window_ops_need_a_clerk(op: str) -> None:
    e = engine()
    e.issue("social")
    refused("invalid_state", getattr(e, op), 1)
    refused("not_found", getattr(e, op), 99)


def test_a_clerk_moving_window_leaves_the_first() -> None:
    e = engine()
    e.sign_in(1, ZHANG)
    e.sign_in(2, ZHANG)
    windows = {w["number"]: w for w in e.snapshot()["windows"]}
    assert windows[1]["state"] == "closed" and windows[2]["clerk"] == "1001"


@pytest.mark.parametrize("op, states, after", [
    ("recall", ["called"], "called"),
    ("start", ["called"], "serving"),
    ("no_show", ["called"], "no_show"),
    ("finish", ["called", "serving"], "done"),
])
def test_current_ticket_ops(op: str, states: list[str], after: str) -> None:
    for state in ["called", "serving"]:
        clock = FakeClock()
        e = engine(clock)
        e.issue("social")
        e.sign_in(1, ZHANG)
        e.call_next(1)
        if state == "serving":
            e.start(1)
        clock.advance(60)
        if state not in states:
            refused("invalid_state", getattr(e, op), 1)
            continue
        ticket = getattr(e, op)(1).result["ticket"]
        assert ticket["state"] == after
        if op == "recall":
            assert ticket["calls"] == 2


def test_recall_announces_again() -> None:
    e = engine()
    e.issue("social")
    e.sign_in(1, ZHANG)
    e.call_next(1)
    out = e.recall(1)
    assert names(out) == ["ticket_called"]
    assert out.events[0].data["calls"] == 2 and out.events[0].data["window"] == 1


def test_call_next_finishes_the_current_ticket_first() -> None:
    e = engine()
    e.issue("social")
    e.issue("social")
    e.sign_in(1, ZHANG)
    e.call_next(1)
    out = e.call_next(1)
    assert names(out)[:2] == ["ticket_finished", "ticket_called"]
    assert e.ticket("C001").state == "done"


def test_queue_empty_changes_nothing() -> None:
    e = engine()
    e.issue("social")
    e.sign_in(1, ZHANG)
    e.call_next(1)
    e.take_changes()
    refused("queue_empty", e.call_next, 1)
    assert e.ticket("C001").state == "called"
    assert e.take_changes() == ([], [])


def test_call_number() -> None:
    e = engine()
    for _ in range(3):
        e.issue("social")
    e.sign_in(4, ZHANG)  # any window may call a given number
    assert e.call_number(4, "C003").result["ticket"]["window"] == 4
    refused("invalid_state", e.call_number, 4, "C003")
    refused("not_found", e.call_number, 4, "C404")


def test_transfer_to_a_service_keeps_the_number() -> None:
    e = engine()
    e.issue("social")
    e.sign_in(1, ZHANG)
    e.call_next(1)
    e.start(1)
    out = e.transfer(1, to_service="pay")
    assert names(out)[0] == "ticket_transferred"
    assert out.events[0].data["from_service"] == "social"
    assert out.events[0].data["from_window"] == 1
    ticket = out.result["ticket"]
    assert (ticket["number"], ticket["service"], ticket["state"]) == ("C001", "pay", "waiting")
    e.sign_in(11, LI)
    assert numbers(e, 11, 1) == ["C001"]


def test_a_transfer_names_the_ticket_it_means() -> None:
    """The counter says which ticket it means: a call from its keypad may have replaced it
    before the screen knew (the transfer would have moved the next citizen)."""
    e = engine()
    e.issue("social")
    e.issue("social")
    e.sign_in(1, ZHANG)
    first = e.call_next(1).result["ticket"]
    e.call_next(1)  # the keypad: C001 finished, C002 called
    with pytest.raises(RequestError) as refused:
        e.transfer(1, to_service="pay", meant=first["id"])
    assert refused.value.code == "invalid_state"
    assert "window 1 now calls C002, not " in refused.value.message
    assert e.transfer(1, to_service="pay", meant="c002").result["ticket"]["number"] == "C002"


def test_a_ticket_sent_on_waits_from_then_and_says_so() -> None:
    """``queued_at``: when it began to wait for its current service (the reports count its
    wait from there; the desk does too)."""
    clock = FakeClock()
    e = engine(clock)
    issued = e.issue("social").result["ticket"]
    assert issued["queued_at"] == issued["issued_at"]
    e.sign_in(1, ZHANG)
    e.call_next(1)
    clock.advance(minutes=20)
    sent = e.transfer(1, to_service="pay").result["ticket"]
    assert sent["issued_at"] == issued["issued_at"]
    assert sent["queued_at"] == clock.now().isoformat()


@pytest.mark.parametrize("kwargs, code", [
    ({"to_service": "nope"}, "unknown_service"),
    ({"to_window": 42}, "not_found"),
])
def test_transfer_refusals(kwargs: dict[str, Any], code: str) -> None:
    e = engine()
    e.issue("social")
    e.sign_in(1, ZHANG)
    refused("invalid_state", e.transfer, 1, to_service="pay")  # nothing called yet
    e.call_next(1)
    refused(code, e.transfer, 1, **kwargs)
    assert e.ticket("C001").state == "called"


# ------------------------------------------------------------------------------ the desk

def test_a_ticket_sent_to_a_window_beside_an_appointment_placed_first_is_called() -> None:
    """A window line's places and a service line's are not comparable (an appointment placed
    first is ordered by when it was placed, others by their time in line): taking the window's
    ticket out of its line looked through every line and raised TypeError, and from then on
    every call at that window failed."""
    clock = FakeClock()
    e = engine(clock)
    e.sign_in(1, ZHANG)
    slot = clock.now() + timedelta(minutes=10)
    appointment = e.check_in(Appointment("AP1", "social", e.day, slot,
                                         slot + timedelta(minutes=30))).result["ticket"]
    normal = e.issue("social").result["ticket"]
    e.reassign(normal["number"], to_window=1, position="keep")
    e.reassign(appointment["number"], to_service="social", position="first")
    assert numbers(e, 1, 2) == [normal["number"], appointment["number"]]


def test_reassign_keep_first_last() -> None:
    clock = FakeClock()
    e = engine(clock)
    e.issue("hukou")  # A001 took the wrong service
    clock.advance(60)
    e.issue("social")
    clock.advance(60)
    e.issue("social")
    e.reassign("A001", to_service="social", position="keep")
    e.sign_in(1, ZHANG)
    assert numbers(e, 1, 1) == ["A001"]  # kept its place: it came first
    refused("invalid_state", e.reassign, "A001", to_service="social")
    refused("not_found", e.reassign, "Z999", to_service="social")
    refused("unknown_service", e.reassign, "C001", to_service="nope")
    e.reassign("C002", to_service="social", position="first")
    assert numbers(e, 1, 1) == ["C002"]


def test_no_show_then_reinstate_first() -> None:
    clock = FakeClock()
    e = engine(clock)
    for _ in range(3):
        e.issue("social")
    e.sign_in(1, ZHANG)
    e.call_next(1)
    e.no_show(1)
    refused("invalid_state", e.reinstate, "C002")
    out = e.reinstate("C001")
    assert names(out)[0] == "ticket_reinstated" and out.result["ticket"]["state"] == "waiting"
    assert numbers(e, 1, 1) == ["C001"]


def test_prioritise_and_cancel() -> None:
    e = engine()
    e.issue("social")
    e.issue("social")
    e.prioritise("C002")
    refused("invalid_state", e.prioritise, "C002")
    e.sign_in(1, ZHANG)
    assert numbers(e, 1, 1) == ["C002"]
    out = e.cancel("C002", "left the hall")
    assert out.result["ticket"]["state"] == "cancelled"
    assert e.snapshot()["windows"][0]["current"] is None
    refused("invalid_state", e.cancel, "C002")
    e.cancel("C001")
    refused("queue_empty", e.call_next, 1)


def test_rate_once_after_done_only() -> None:
    e = engine()
    e.issue("social")
    e.sign_in(1, ZHANG)
    e.call_next(1)
    refused("invalid_state", e.rate, "C001", 4)
    e.finish(1)
    refused("forbidden", e.rate, "C001", 4, window=2)
    out = e.rate("C001", 4, window=1)
    assert out.events[0].name == "ticket_rated" and out.events[0].data["score"] == 4
    refused("invalid_state", e.rate, "C001", 3)
    refused("not_found", e.rate, "C404", 3)


def test_window_figures_are_the_signed_in_clerk_s_day_at_that_window() -> None:
    clock = FakeClock()
    e = engine(clock)
    nobody = e.window_figures(1).result
    assert (nobody["window"], nobody["clerk"], nobody["figures"]["served"]) == (1, None, 0)
    for _ in range(4):
        e.issue("social")
    e.sign_in(1, ZHANG)
    e.call_next(1)  # C001: 5 minutes, very satisfied
    clock.advance(minutes=5)
    e.call_next(1)  # finishes C001; C002: a no-show
    e.rate("C001", 4)
    e.no_show(1)
    e.call_next(1)  # C003: started after a minute, finished 9 minutes later
    clock.advance(minutes=1)
    e.start(1)
    clock.advance(minutes=9)
    e.finish(1)
    e.issue("hukou")
    e.sign_in(4, LI)
    e.call_next(4)  # A001, at another window by another clerk: not Zhang's
    e.finish(4)
    figures = e.window_figures(1).result
    assert (figures["clerk"], figures["day"]) == ("1001", e.day)
    got = figures["figures"]
    assert (got["issued"], got["served"], got["no_show"], got["mean_service_min"]) == (
        3, 2, 1, 7.0)
    assert (got["rated"], got["ratings"]) == (1, {"1": 0, "2": 0, "3": 0, "4": 1})
    assert e.window_figures(4).result["figures"]["served"] == 1
    e.sign_in(1, LI)  # another clerk at window 1: that clerk's figures there (none)
    assert e.window_figures(1).result["figures"]["served"] == 0
    refused("not_found", e.window_figures, 99)


def finished_and_rated(e: HallEngine, score: int | None) -> str:
    number = e.issue("social").result["ticket"]["number"]
    e.sign_in(1, ZHANG)
    e.call_next(1)
    e.finish(1)
    if score is not None:
        e.rate(number, score)
    return str(number)


@pytest.mark.parametrize("score", [None, 2, 3, 4])
def test_only_a_dissatisfied_rating_is_followed_up(score: int | None) -> None:
    e = engine()
    number = finished_and_rated(e, score)
    e.take_changes()
    error = refused("invalid_state", e.follow_up, number, "called back")
    assert "dissatisfied" in error.message
    assert e.take_changes()[0] == []


def test_a_dissatisfied_rating_is_followed_up_once() -> None:
    clock = FakeClock()
    e = engine(clock)
    number = finished_and_rated(e, 1)
    e.take_changes()
    refused("bad_request", e.follow_up, number, "   ")
    refused("not_found", e.follow_up, "C404", "called back")
    clock.advance(minutes=30)
    out = e.follow_up(number, " 电话回访，已解释办理时限 ", "desk-1")
    follow = {"note": "电话回访，已解释办理时限", "at": out.result["ticket"]["follow_up"]["at"],
              "by": "desk-1"}
    assert follow["at"] == clock.now().isoformat(timespec="seconds")
    assert names(out) == ["ticket_followed_up"]
    assert out.events[0].data == {"ticket": out.result["ticket"], "follow_up": follow}
    tickets, _ = e.take_changes()
    assert [t.number for t in tickets] == [number] and tickets[0].follow_up_note == follow["note"]
    error = refused("invalid_state", e.follow_up, number, "again")
    assert "already" in error.message


def test_a_ticket_of_an_earlier_day_is_followed_up_from_the_store_copy() -> None:
    yesterday = engine()
    number = finished_and_rated(yesterday, 1)
    stored = yesterday.ticket(number)
    today = engine(day="2099-01-01")
    out = today.follow_up(stored.id, "visited", "desk-1", stored)
    assert out.result["ticket"]["id"] == stored.id
    assert [t.id for t in today.take_changes()[0]] == [stored.id]
    assert stored.id not in today.tickets  # an earlier day's ticket does not join today's
    # a second request read the store before the first was written: the engine remembers
    fresh = replace(stored, follow_up_note=None, followed_up_at=None, followed_up_by=None)
    refused("invalid_state", today.follow_up, stored.id, "again", "desk-2", fresh)


def test_announce_and_device_status() -> None:
    e = engine()
    assert e.announce("  请保管好随身物品 ").events[0].data == {"text": "请保管好随身物品",
                                                               "lang": "zh"}
    refused("bad_request", e.announce, "   ")
    out = e.report_device("kiosk-1", {"printer": "paper_out"})
    assert out.events[0].data == {"device": "kiosk-1", "status": {"printer": "paper_out"}}
    assert e.snapshot()["devices"]["kiosk-1"] == {"printer": "paper_out"}


def test_a_device_keeps_its_newest_parts_and_no_more() -> None:
    """Parts merge (a printer, then a scanner), but a device sending ever new names keeps the
    newest 32: every staff snapshot carries them."""
    e = engine()
    e.report_device("kiosk-1", {"printer": "paper_out"})
    e.report_device("kiosk-1", {"scanner": "ok"})
    assert e.snapshot()["devices"]["kiosk-1"] == {"printer": "paper_out", "scanner": "ok"}
    for n in range(400):
        e.report_device("kiosk-1", {f"part{n}-{k}": "x" * 200 for k in range(32)})
    e.report_device("kiosk-1", {"printer": "ok"})
    kept = e.snapshot()["devices"]["kiosk-1"]
    assert len(kept) == 32 and kept["printer"] == "ok" and "part399-31" in kept


# ------------------------------------------------------------------------------ appointments

@pytest.mark.parametrize("minutes_to_slot, ok", [(31, False), (30, True), (0, True),
                                                 (-29, True), (-31, False)])
def test_check_in_window(minutes_to_slot: int, ok: bool) -> None:
    clock = FakeClock()
    e = engine(clock)
    start = clock.now() + timedelta(minutes=minutes_to_slot)
    appointment = Appointment("AP7", "social", e.day, start, start + timedelta(minutes=30))
    if ok:
        ticket = e.check_in(appointment).result["ticket"]
        assert ticket["priority"] == "appointment" and ticket["appointment"] is True
        refused("invalid_state", e.check_in, appointment)  # twice
    else:
        refused("invalid_state", e.check_in, appointment)


def test_check_in_another_day() -> None:
    clock = FakeClock()
    e = engine(clock)
    start = clock.now() + timedelta(days=1)
    refused("invalid_state", e.check_in,
            Appointment("AP8", "social", "2026-11-24", start, start + timedelta(minutes=30)))


SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_a_slot_before_day_starts_belongs_to_the_hall_day_before() -> None:
    """With day_starts 05:00, a 03:44-04:14 slot on the 24th is in the hall day of the 23rd: it
    is checked in then (its booked date is the 24th), and a ticket of the 23rd it is."""
    clock = FakeClock(datetime(2026, 11, 24, 3, 54, tzinfo=SHANGHAI))
    e = engine(clock)
    assert e.day == "2026-11-23"
    slot = datetime(2026, 11, 24, 3, 44, tzinfo=SHANGHAI)
    ticket = e.check_in(Appointment("U2", "social", "2026-11-24", slot,
                                    slot + timedelta(minutes=30))).result["ticket"]
    assert ticket["priority"] == "appointment" and ticket["id"].startswith("20261123-")


def test_a_slot_of_another_hall_day_is_refused_saying_which_day_it_is_in() -> None:
    """At 10:00 on the 24th, a 03:44 slot booked for the 24th is in the 23rd's hall day."""
    clock = FakeClock(datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI))
    e = engine(clock)
    slot = datetime(2026, 11, 24, 3, 44, tzinfo=SHANGHAI)
    err = refused("invalid_state", e.check_in,
                  Appointment("U3", "social", "2026-11-24", slot, slot + timedelta(minutes=30)))
    assert err.message == ("appointment U3 is booked for 2026-11-24 03:44, in the hall day of "
                           "2026-11-23, not today (2026-11-24)")


def test_an_appointment_for_a_service_the_hall_does_not_offer_is_invalid_state() -> None:
    """Imported without the hall file to check it against: check_in's errors stay the
    contract's (not_found, invalid_state)."""
    clock = FakeClock()
    e = engine(clock)
    start = clock.now()
    refused("invalid_state", e.check_in,
            Appointment("U1", "nosuch", "2026-11-23", start, start + timedelta(minutes=30)))


# ------------------------------------------------------------------------------ estimates

def test_estimates_learn_from_todays_service_times() -> None:
    clock = FakeClock()
    e = engine(clock)
    for _ in range(4):
        e.issue("pay")  # configured 3 minutes
    assert e.service_view("pay")["est_wait_min"] == 12
    e.sign_in(11, ZHANG)
    e.sign_in(12, LI)
    e.call_next(11)
    e.start(11)
    clock.advance(minutes=6)
    e.finish(11)  # observed mean is now 6 minutes; two windows open for pay
    assert e.service_view("pay")["est_wait_min"] == 9  # 3 waiting x 6 / 2
    assert e.ticket_view(e.ticket("P004"))["ahead"] == 2


def test_pausing_a_window_changes_the_estimate() -> None:
    e = engine()
    e.issue("pay")
    e.issue("pay")
    e.sign_in(11, ZHANG)
    e.sign_in(12, LI)
    out = e.pause(12)
    assert {"service": "pay", "waiting": 2, "est_wait_min": 6} in [
        ev.data for ev in out.events if ev.name == "queue_changed"]


# ------------------------------------------------------------------------------ the day

def test_day_rollover_closes_out_and_restarts_numbering() -> None:
    clock = FakeClock(datetime(2026, 11, 23, 20, 0, tzinfo=UTC))  # 04:00 on the 24th in Shanghai
    e = engine(clock, always_open=True)
    assert e.day == "2026-11-23"  # before day_starts (05:00): still the 23rd's hall day
    e.issue("social")
    e.issue("social")
    e.sign_in(1, ZHANG)
    e.call_next(1)
    e.take_changes()
    assert e.tick().events == []
    clock.advance(hours=1, seconds=1)  # 05:00:01 local
    out = e.tick()
    # what the day's end closes, each with its event, then the new day and its empty queue
    assert names(out) == ["ticket_cancelled", "ticket_cancelled", "window_changed",
                          "day_started", "queue_changed"]
    assert [ev.data["ticket"]["number"] for ev in out.events[:2]] == ["C001", "C002"]
    assert all(ev.data["ticket"]["state"] == "cancelled" for ev in out.events[:2])
    assert out.events[2].data["window"]["number"] == 1
    assert out.events[2].data["window"]["state"] == "closed"
    assert out.events[3].data == {"day": "2026-11-24"}
    assert out.events[4].data == {"service": "social", "waiting": 0, "est_wait_min": 0}
    assert e.tick().events == []  # once
    tickets, windows = e.take_changes()
    assert {t.number: (t.state, t.reason) for t in tickets} == {
        "C001": ("cancelled", "day_end"), "C002": ("cancelled", "day_end")}
    assert windows and all(w.state == "closed" for w in windows)
    assert e.issue("social").result["ticket"]["number"] == "C001"
    assert e.ticket("C001").day == "2026-11-24"


def test_a_clock_set_back_never_takes_the_hall_back_a_day() -> None:
    """A machine that starts before its clock is set, or an NTP step back: the day already
    begun keeps its waiting citizens in their order, and its numbers carry on; a day forward
    still rolls."""
    clock = FakeClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))  # 10:00 in Shanghai
    e = engine(clock, always_open=True)
    e.issue("social")
    e.issue("social")
    e.take_changes()
    for back in (timedelta(days=2), timedelta(days=9000)):  # two days; before the year 2002
        clock.set(datetime(2026, 11, 23, 2, 0, tzinfo=UTC) - back)
        assert e.tick().events == []
        assert e.day == "2026-11-23"
    assert e.take_changes() == ([], [])
    third = e.issue("social").result["ticket"]
    assert third["id"] == "20261123-C003"
    assert third["ahead"] == 2  # behind those who came before it, whatever the clock said
    assert [t.state for t in e.tickets.values()] == ["waiting"] * 3
    clock.set(datetime(2026, 11, 24, 2, 0, tzinfo=UTC))  # the clock right, a day on
    assert "day_started" in names(e.tick())
    assert e.issue("social").result["ticket"]["id"] == "20261124-C001"


# ------------------------------------------------------------------------------ restore

def test_restore_carries_on_numbering_and_lines() -> None:
    clock = FakeClock()
    e = engine(clock)
    for service in ["social", "social", "medical"]:
        e.issue(service)
        clock.advance(5)
    e.sign_in(1, ZHANG)
    e.call_next(1)
    tickets, windows = e.take_changes()
    again = HallEngine(HALL, clock, day=e.day, tickets=[t for t in tickets], windows=windows)
    assert again.issue("social").result["ticket"]["number"] == "C003"
    assert again.snapshot()["windows"][0]["current"]["number"] == "C001"
    assert numbers(again, 1, 2) == ["C002", "E001"]


def test_snapshot_shapes() -> None:
    e = engine()
    e.issue("social")
    snap = e.snapshot()
    assert set(snap) >= {"day", "hall", "services", "windows", "recent_calls", "waiting"}
    assert set(snap["services"][0]) >= {"id", "name", "prefix", "department", "open", "waiting",
                                        "est_wait_min", "quota_left"}
    assert set(snap["windows"][0]) >= {"number", "name", "zone", "serves", "state", "clerk",
                                       "current"}
    assert set(snap["waiting"][0]) >= {"id", "number", "service", "state", "priority",
                                       "issued_at", "window", "calls", "ahead", "est_wait_min"}
    realty = next(s for s in snap["services"] if s["id"] == "realty")
    assert realty["quota_left"] == 120


def test_small_township_hall() -> None:
    text = """
[hall]
name = "某某镇便民服务中心"
[[departments]]
id = "all"
name = "综合"
[[services]]
id = "general"
department = "all"
name = "综合业务"
prefix = "A"
[[windows]]
number = 1
name = "1号窗口"
serves = ["general"]
"""
    hall, problems = parse_hall(text)
    # what it left out runs with defaults, each named once in a warning (a window's name and
    # zone are not: it has no zone, and its name is its number)
    assert hall is not None and all(p.warning for p in problems)
    assert sorted(p.message.rsplit("' is missing", 1)[0].rsplit("'", 1)[1]
                  for p in problems) == [
        "day_starts", "languages", "minutes", "timezone"]
    e = HallEngine(hall, FakeClock())
    e.issue("general")
    e.sign_in(1, ZHANG)
    assert e.call_next(1).result["ticket"]["number"] == "A001"


def test_the_days_end_sends_no_queue_of_a_service_the_hall_no_longer_has() -> None:
    """A ticket kept from before the hall file dropped its service is closed like any other;
    its service's queue is shown nowhere, so no queue_changed is sent for it."""
    clock = FakeClock()
    e = engine(clock)
    e.issue("social")
    [kept], _ = e.take_changes()
    gone = replace(kept, service="gone", issued_service="gone")
    again = HallEngine(e.hall, clock, day=e.day, tickets=[gone])
    clock.advance(hours=20)
    out = again.tick()
    assert names(out) == ["ticket_cancelled", "day_started"]


def test_a_prefix_given_to_another_service_mid_day_never_gives_a_number_twice() -> None:
    """The hall file edited and the hub restarted during the day: medical takes the C of
    social (now K). Medical's first ticket must not be the C001 a citizen already holds (the
    store would have put the new ticket in the place of the old one)."""
    clock = FakeClock()
    e = engine(clock)
    e.issue("social")
    e.issue("social")
    tickets, _ = e.take_changes()
    services = dict(HALL.services)
    services["social"] = replace(services["social"], prefix="K")
    services["medical"] = replace(services["medical"], prefix="C")
    again = HallEngine(replace(HALL, services=services), clock, day=e.day, tickets=tickets)
    assert again.issue("medical").result["ticket"]["number"] == "C003"
    assert again.issue("social").result["ticket"]["number"] == "K003"
    assert again.issue("medical").result["ticket"]["number"] == "C004"
    assert sorted(again.by_number) == ["C001", "C002", "C003", "C004", "K003"]


def without_window(number: int) -> Any:
    return replace(HALL, windows={n: w for n, w in HALL.windows.items() if n != number})


def test_a_window_left_out_of_the_hall_file_sends_its_tickets_back_to_their_service() -> None:
    """The hall file edited and the hub restarted mid-day without window 2: the citizen called
    there is called again first by another window, and those sent to window 2 alone wait for
    their service (no window would ever call them)."""
    clock = FakeClock()
    e = engine(clock)
    for _ in range(4):
        e.issue("social")
    e.sign_in(2, LI)
    e.call_next(2)  # C001
    e.reassign("C002", to_window=2)
    tickets, windows = e.take_changes()
    again = HallEngine(without_window(2), clock, day=e.day, tickets=tickets, windows=windows)
    assert {t.number: (t.state, t.window, t.to_window) for t in again.tickets.values()} == {
        "C001": ("waiting", None, None), "C002": ("waiting", None, None),
        "C003": ("waiting", None, None), "C004": ("waiting", None, None)}
    changed, _ = again.take_changes()
    assert sorted(t.number for t in changed) == ["C001", "C002"]  # saved with the next commit
    again.sign_in(1, ZHANG)
    assert numbers(again, 1, 4) == ["C001", "C002", "C003", "C004"]


def test_a_window_put_back_in_the_hall_file_comes_back_as_it_should_be() -> None:
    """Window 2 left out of the hall file while clerk 1002 (李四) was signed in there with C001
    called, then put back: on the same day after the desk cancelled C001 and the clerk moved to
    window 1, and on a later day. Its row kept what it was: it must not bring back a cancelled
    ticket (which the next call would have made "done"), a clerk at two windows, or
    yesterday's clerk and ticket (whose actions failed with an internal error)."""
    clock = FakeClock()
    e = engine(clock)
    e.issue("social")
    e.sign_in(2, LI)
    e.call_next(2)  # C001 at window 2
    tickets, windows = e.take_changes()
    gone = HallEngine(without_window(2), clock, day=e.day, tickets=tickets, windows=windows)
    clock.advance(60)
    gone.cancel("C001")
    gone.sign_in(1, LI)
    stored = {w.number: w for w in windows}
    tickets, moved = gone.take_changes()
    stored.update({w.number: w for w in moved})
    back = HallEngine(HALL, clock, day=e.day, tickets=tickets, windows=stored.values())
    assert (back.windows[2].state, back.windows[2].clerk, back.windows[2].current) == (
        "closed", None, None)
    assert (back.windows[1].state, back.windows[1].clerk) == ("open", "1002")
    assert back.ticket("C001").state == "cancelled"
    _, changed = back.take_changes()
    assert [w.number for w in changed] == [2]

    clock.advance(hours=24)  # the next day, window 2 still out of the file: its row stays open
    e = engine(clock)
    assert e.day != back.day
    tomorrow = HallEngine(HALL, clock, day=e.day, tickets=[], windows=windows)
    assert (tomorrow.windows[2].state, tomorrow.windows[2].current) == ("closed", None)
    tomorrow.issue("social")
    tomorrow.sign_in(2, LI)
    assert tomorrow.call_next(2).result["ticket"]["number"] == "C001"


# ------------------------------------------------------------------------------ place in line

def test_the_place_in_line_a_ticket_shows_is_the_order_it_is_called_in() -> None:
    """A counter lists its waiting tickets by the fields of their views (hub.lines.calling_order:
    priority class, then those placed first, then line_ord). That must be the hub's calling
    order, also for tickets issued within the same second, sent on "last", reinstated "first"
    and given priority."""
    clock = FakeClock()
    e = engine(clock)
    e.sign_in(1, ZHANG)
    e.sign_in(3, LI)
    for _ in range(5):
        e.issue("social")  # the same second: C001..C005
    e.call_next(3)  # C001 at window 3 ...
    e.transfer(3, to_service="social", position="last")  # ... sent back to the end
    e.call_next(3)  # C002 ...
    e.no_show(3)
    e.reinstate("C002", position="first")
    e.prioritise("C005")
    e.issue("social")  # C006
    e.call_number(3, "C004")
    e.transfer(3, to_service="social", position="first")
    views = [e.ticket_view(t) for t in e.tickets.values() if t.state == "waiting"]
    spec = HALL.windows[1]
    order = calling_order(1, spec.serves, spec.policy == "ordered")
    listed = [v["number"] for v in sorted(views, key=order)]
    called = [e.call_next(1).result["ticket"]["number"] for _ in views]
    assert listed == called == ["C005", "C002", "C004", "C003", "C001", "C006"]


def test_the_days_newest_announcements_are_in_the_snapshot_until_the_day_ends() -> None:
    clock = FakeClock()
    e = engine(clock)
    for n in range(7):
        e.announce(f"通知 {n}")
    said = e.snapshot()["announcements"]
    assert [a["text"] for a in said] == ["通知 6", "通知 5", "通知 4", "通知 3", "通知 2"]
    assert said[0] == {"text": "通知 6", "lang": "zh", "at": clock.now().isoformat()}
    clock.advance(hours=24)
    e.tick()
    assert e.snapshot()["announcements"] == []

