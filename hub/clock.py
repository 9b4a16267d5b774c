"""Time for the hall's rules comes in through a ``Clock``; nothing in the engine reads it itself."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

logger = logging.getLogger(__name__)


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class HallClock:
    """The system's clock, watched: a machine that starts before its clock is set (no clock
    battery, NTP not yet answered), or a clock stepped back, gives times before those the hall
    has already recorded. The engine keeps its day and its lines in order whatever the clock
    says; this says in the log, once, that the clock is behind, and again when it has caught
    up, since the hours, the times printed and the figures follow the clock."""

    TOLD_AFTER = timedelta(seconds=1)  # an NTP step of a few milliseconds is not worth a line

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.latest: datetime | None = None  # the newest time recorded or given
        self.behind = False

    def recorded(self, moment: datetime | None) -> None:
        """The newest time the hall recorded before this start."""
        if moment is not None and (self.latest is None or moment > self.latest):
            self.latest = moment

    def now(self) -> datetime:
        now = self.clock.now()
        latest = self.latest
        if latest is not None and now < latest:
            if not self.behind and latest - now > self.TOLD_AFTER:
                self.behind = True
                logger.warning("this machine's clock (%s) is behind the newest time the hall "
                               "recorded (%s): the hall keeps its day and its waiting lines in "
                               "order, but its hours and the times it prints follow the clock; "
                               "set the clock right (NTP)", now.isoformat(timespec="seconds"),
                               latest.isoformat(timespec="seconds"))
            return now
        if self.behind:
            self.behind = False
            logger.info("this machine's clock has caught up with the hall's newest time")
        self.latest = now
        return now


class HubTime:
    """A device's clock set by the hub's: a counter PC or a screen whose clock is off showed
    "called 87:21:47 ago" and waits of thousands of minutes, since the times it is sent are the
    hub's. Every time the hub states (an event's ``at``, a snapshot's ``now``) is a sample of
    the hub's clock, minus the time the frame took to come. While this machine's clock is
    within :attr:`TRUSTED_SKEW` of the hub's (the usual case), its own clock is the time. Off
    by more, the time is the hub's, carried on by the monotonic clock from the nearest of the
    last :attr:`KEEP` samples (the one that came fastest): this machine's clock set right
    (NTP, a little after boot) changes nothing then, and a frame late on its way does not
    turn the time back. The hub's own clock stepped back is followed once :attr:`KEEP` samples
    have come. Said in the log once. Thread-safe for one thread hearing and any reading.
    A ``Clock``, and callable for the models that take a function."""

    TRUSTED_SKEW = timedelta(seconds=2)
    KEEP = 8

    def __init__(self, clock: Clock | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock or SystemClock()
        self.monotonic = monotonic
        self._anchors: deque[datetime] = deque(maxlen=self.KEEP)  # hub time at monotonic 0
        self._anchor: datetime | None = None  # the nearest: what now() reads (set whole)
        self._told = False

    def heard(self, hub_now: datetime | str | None) -> None:
        """The hub said it was ``hub_now`` (an ISO 8601 text or a datetime; anything else is
        ignored) just now."""
        if isinstance(hub_now, str):
            try:
                hub_now = datetime.fromisoformat(hub_now)
            except ValueError:
                return
        if not isinstance(hub_now, datetime) or hub_now.tzinfo is None:
            return
        elapsed = timedelta(seconds=self.monotonic())
        self._anchors.append(hub_now - elapsed)
        nearest = max(self._anchors)
        skew = nearest + elapsed - self.clock.now()
        if abs(skew) <= self.TRUSTED_SKEW:
            self._anchor = None
            return
        if not self._told:
            self._told = True
            logger.warning("this machine's clock is %.0f s %s the hub's: this app shows the "
                           "hub's time; set the clock right (NTP)", abs(skew.total_seconds()),
                           "behind" if skew > timedelta(0) else "ahead of")
        self._anchor = nearest

    def now(self) -> datetime:
        anchor = self._anchor
        if anchor is None:
            return self.clock.now()
        return anchor + timedelta(seconds=self.monotonic())

    def __call__(self) -> datetime:
        return self.now()
