"""The hall's clock never goes back before what the hall has recorded."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from hub.clock import HallClock
from tests.fakes import FakeClock

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_a_clock_behind_stands_still_at_the_last_moment_and_is_told_once(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="hub.clock")
    system = FakeClock(T0)
    clock = HallClock(system)
    assert clock.now() == T0  # nothing recorded yet: the system's time
    system.set(T0 - timedelta(days=2))  # stepped back, or a restart before the clock is set
    assert clock.now() == T0
    system.advance(hours=1)
    assert clock.now() == T0
    told = [r for r in caplog.records if r.levelname == "WARNING"]
    assert len(told) == 1 and "2026-11-21T02:00:00+00:00" in told[0].message
    assert "set the clock right" in told[0].message
    system.set(T0 + timedelta(seconds=5))  # set right: the time goes on from there
    assert clock.now() == T0 + timedelta(seconds=5)
    assert "caught up" in caplog.records[-1].message


def test_a_restart_holds_the_hall_to_the_last_recorded_moment(
        caplog: pytest.LogCaptureFixture) -> None:
    clock = HallClock(FakeClock(T0 - timedelta(days=9000)))  # a machine without a clock battery
    clock.hold_at_least(None)
    clock.hold_at_least(T0)
    clock.hold_at_least(T0 - timedelta(hours=1))  # the floor only rises
    assert clock.now() == T0
    assert len(caplog.records) == 1


def test_a_step_back_of_a_few_milliseconds_is_not_worth_a_line(
        caplog: pytest.LogCaptureFixture) -> None:
    system = FakeClock(T0)
    clock = HallClock(system)
    clock.now()
    system.set(T0 - timedelta(milliseconds=300))
    assert clock.now() == T0
    assert caplog.records == []
