"""The kiosk's offer on its own: the hub's word against the opening hours, refusals, events."""

from __future__ import annotations

from datetime import time
from typing import Any

from kiosk.offer import Offer

HALL = {"departments": [{"id": "civil", "name": "民政"}, {"id": "empty", "name": "空"}]}


def service(sid: str, **fields: Any) -> dict[str, Any]:
    return {"id": sid, "name": sid, "department": "civil", "waiting": 0, "est_wait_min": 0,
            "open": True, "hours_today": [], **fields}


class Clock:
    def __init__(self, now: time) -> None:
        self.now = now
        self.seconds = 0.0


def offer_at(clock: Clock) -> Offer:
    """An offer whose wording is the catalogue key and its parameters, at the clock's time."""
    return Offer(lambda key, **params: f"{key}{sorted(params.items()) if params else ''}",
                 lambda thing: str(thing["name"]), lambda: clock.now, lambda: clock.seconds)


def test_the_hours_open_and_close_a_service_on_time_whatever_the_snapshot_said() -> None:
    # a kiosk keeps one snapshot all day: switched on before opening, it said closed
    clock = Clock(time(8, 0))
    offer = offer_at(clock)
    offer.load(HALL, [service("by_hours", hours_today=["08:30-09:30"], open=False),
                      service("afternoon", hours_today=["10:00-12:00"], open=False),
                      service("always", hours_today=[], open=True),
                      service("not_today", hours_today=[], closed_today=True, open=False),
                      service("other_hub", open=False),
                      # the hub's clock was a minute behind this kiosk's when it said closed
                      service("early_bird", hours_today=["07:59-09:30"], open=False)])
    del offer.by_id["other_hub"]["hours_today"]  # a snapshot without hours: its word holds
    states = ["closed", "closed", "open", "closed", "closed", "open"]
    assert [s.state for s in offer.services()] == states
    clock.now = time(9, 0)
    assert [s.state for s in offer.services()] == ["open", *states[1:]]
    clock.now = time(9, 45)
    assert [s.state for s in offer.services()] == [*states[:5], "closed"]
    assert offer.service("by_hours").status == "unavailable_closed"  # type: ignore[union-attr]
    clock.now = time(10, 0)
    assert offer.service("afternoon").state == "open"  # type: ignore[union-attr]


def test_a_refusal_closes_the_service_for_a_minute_or_until_the_next_snapshot() -> None:
    clock = Clock(time(9, 0))
    offer = offer_at(clock)
    offer.load(HALL, [service("marriage")])
    offer.refused("marriage", "service_closed")
    assert offer.service("marriage").state == "closed"  # type: ignore[union-attr]
    offer.load(HALL, [service("marriage")])
    assert offer.service("marriage").state == "open"  # type: ignore[union-attr]
    offer.refused("marriage", "service_closed")  # this kiosk's clock is ahead of the hub's
    clock.seconds += 59
    assert offer.service("marriage").state == "closed"  # type: ignore[union-attr]
    clock.seconds += 2
    assert offer.service("marriage").state == "open"  # type: ignore[union-attr]


def test_the_quota_runs_down_with_every_ticket_in_the_hall_and_a_refusal_ends_it() -> None:
    offer = offer_at(Clock(time(9, 0)))
    offer.load(HALL, [service("realty", quota_left=2), service("open_ended")])
    assert offer.ticket_issued({"service": "realty"})
    assert offer.service("realty").state == "open"  # type: ignore[union-attr]
    assert offer.ticket_issued({"service": "realty"})
    assert offer.service("realty").state == "quota"  # type: ignore[union-attr]
    assert not offer.ticket_issued({"service": "open_ended"})  # no quota: nothing shown changes
    offer.load(HALL, [service("realty", quota_left=5)])
    offer.refused("realty", "quota_reached")
    assert offer.service("realty").status == "unavailable_quota"  # type: ignore[union-attr]


def test_waiting_follows_the_events_and_departments_sum_their_open_services() -> None:
    offer = offer_at(Clock(time(9, 0)))
    offer.load(HALL, [service("a", waiting=1), service("b", waiting=4, open=False, closed_today=True)])
    assert offer.queue_changed({"service": "a", "waiting": 3, "est_wait_min": 12})
    assert not offer.queue_changed({"service": "elsewhere", "waiting": 9})
    assert offer.service("a").status == "waiting[('minutes', 12), ('waiting', 3)]"  # type: ignore[union-attr]
    [civil] = offer.departments()  # a department without services is not offered
    assert civil.summary == "department_summary[('services', 2), ('waiting', 3)]"
    assert civil.available and offer.department_name("civil") == "民政"
    offer.refused("a", "service_closed")
    assert offer.departments()[0].summary == "department_unavailable"
    assert not offer.departments()[0].available
