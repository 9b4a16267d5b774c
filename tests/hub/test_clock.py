"""The hall's clock: the system's, and a word in the log when it goes back."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from hub.clock import HallClock, HubTime
from tests.fakes import FakeClock

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_a_clock_behind_the_hall_is_told_once_and_its_catching_up_too(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="hub.clock")
    system = FakeClock(T0)
    clock = HallClock(system)
    assert clock.now() == T0
    system.set(T0 - timedelta(days=2))  # stepped back
    assert clock.now() == T0 - timedelta(days=2)  # the clock's time, whatever it is
    system.advance(hours=1)
    clock.now()
    told = [r for r in caplog.records if r.levelname == "WARNING"]
    assert len(told) == 1 and "(2026-11-21T02:00:00+00:00)" in told[0].message
    assert "set the clock right" in told[0].message
    system.set(T0 + timedelta(seconds=5))
    assert clock.now() == T0 + timedelta(seconds=5)
    assert "caught up" in caplog.records[-1].message


def test_a_start_behind_the_newest_recorded_time_is_told(
        caplog: pytest.LogCaptureFixture) -> None:
    clock = HallClock(FakeClock(T0 - timedelta(days=9000)))  # a machine without a clock battery
    clock.recorded(None)
    clock.recorded(T0)
    clock.recorded(T0 - timedelta(hours=1))  # only the newest counts
    clock.now()
    assert len(caplog.records) == 1 and "(2026-11-23T02:00:00+00:00)" in caplog.records[0].message


def test_a_step_back_of_a_few_milliseconds_is_not_worth_a_line(
        caplog: pytest.LogCaptureFixture) -> None:
    system = FakeClock(T0)
    clock = HallClock(system)
    clock.now()
    system.set(T0 - timedelta(milliseconds=300))
    clock.now()
    assert caplog.records == []


def test_an_apps_clock_goes_by_the_hubs_once_it_is_seconds_off(
        caplog: pytest.LogCaptureFixture) -> None:
    """A counter PC whose clock was off showed "called 87:21:47 ago"."""
    local = FakeClock(T0)
    ticks = [100.0]  # the monotonic clock

    def tick(seconds: float) -> None:
        ticks[0] += seconds
        local.advance(seconds=seconds)

    hub_time = HubTime(local, lambda: ticks[0])
    assert hub_time.now() == T0 and hub_time() == T0
    hub_time.heard((T0 + timedelta(seconds=1.5)).isoformat())  # a little off: no matter
    assert hub_time.now() == T0
    hub_time.heard(T0 + timedelta(hours=1, seconds=1))  # the hub is an hour ahead
    hub_time.heard(T0 + timedelta(hours=1))  # a frame that was longer on its way
    assert hub_time.now() == T0 + timedelta(hours=1, seconds=1)  # the nearest sample
    tick(30)
    assert hub_time() == T0 + timedelta(hours=1, seconds=31)
    for wrong in ("yesterday", None, 5, datetime(2026, 11, 23, 2, 0)):  # naive: no zone
        hub_time.heard(wrong)  # type: ignore[arg-type]
    assert hub_time.now() == T0 + timedelta(hours=1, seconds=31)
    # NTP sets this machine's clock right, with no word from the hub: the time goes on
    local.set(T0 + timedelta(hours=1, seconds=31))
    tick(5)
    assert hub_time.now() == T0 + timedelta(hours=1, seconds=36) == local.now()
    hub_time.heard(local.now())  # and the next word finds the two clocks agree
    tick(5)
    assert hub_time.now() == local.now()
    # the hub's clock stepped back an hour: followed once KEEP samples have come
    for _ in range(HubTime.KEEP):
        tick(1)
        hub_time.heard(local.now() - timedelta(hours=1))
    assert hub_time.now() == local.now() - timedelta(hours=1)
    told = [r.getMessage() for r in caplog.records if r.name == "hub.clock"]
    assert told == ["this machine's clock is 3601 s behind the hub's: this app shows the hub's "
                    "time; set the clock right (NTP)"]
