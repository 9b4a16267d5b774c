"""Time for the hall's rules comes in through a ``Clock``; nothing in the engine reads it itself."""

from __future__ import annotations

import logging
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
