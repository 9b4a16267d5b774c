"""Time for the hall's rules comes in through a ``Clock``; nothing in the engine reads it itself."""

from __future__ import annotations

import logging
from collections import deque
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
    hub's. Every time the hub states (an event's ``at``, a snapshot's ``now``) is a sample of the
    hub's clock minus the time the frame took to come; the largest of the recent ones is the
    nearest. Only a difference larger than :attr:`TRUSTED_SKEW` is applied (a clock a little
    off is no matter, and the time shown must not jitter with the network), and it is said in
    the log once. Thread-safe for one thread hearing and any reading. A ``Clock``, and
    callable for the models that take a function."""

    TRUSTED_SKEW = timedelta(seconds=2)
    KEEP = 32

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or SystemClock()
        self.offset = timedelta(0)
        self._samples: deque[timedelta] = deque(maxlen=self.KEEP)
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
        sample = hub_now - self.clock.now()
        if self._samples and abs(sample - max(self._samples)) > self.TRUSTED_SKEW:
            self._samples.clear()  # a clock stepped (here or at the hub): the old ones are wrong
        self._samples.append(sample)
        nearest = max(self._samples)
        applied = nearest if abs(nearest) > self.TRUSTED_SKEW else timedelta(0)
        if applied and not self._told:
            self._told = True
            logger.warning("this machine's clock is %.0f s %s the hub's: this app shows the "
                           "hub's time; set the clock right (NTP)", abs(applied.total_seconds()),
                           "behind" if applied > timedelta(0) else "ahead of")
        self.offset = applied

    def now(self) -> datetime:
        return self.clock.now() + self.offset

    def __call__(self) -> datetime:
        return self.now()
