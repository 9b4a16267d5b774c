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
    """The hall's time: the system's clock, but never earlier than a moment the hall has already
    recorded. A machine that starts before its clock is set (no clock battery, NTP not yet
    answered) or a clock stepped back would otherwise put new tickets ahead of older ones in line
    and take the hall back to a day it has closed. While the clock is behind, the hall's time
    stands still at the last moment it recorded; the log says so once, and again when the clock
    has caught up."""

    TOLD_AFTER = timedelta(seconds=1)  # an NTP step of a few milliseconds is not worth a line

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.floor: datetime | None = None
        self.behind = False

    def hold_at_least(self, moment: datetime | None) -> None:
        """Never give a time before ``moment`` (the last one the hall recorded)."""
        if moment is not None and (self.floor is None or moment > self.floor):
            self.floor = moment

    def now(self) -> datetime:
        now = self.clock.now()
        floor = self.floor
        if floor is not None and now < floor:
            if not self.behind and floor - now > self.TOLD_AFTER:
                self.behind = True
                logger.warning("this machine's clock (%s) is behind the last moment the hall "
                               "recorded (%s): the hall's time stands still there until the "
                               "clock catches up; set the clock right (NTP)",
                               now.isoformat(timespec="seconds"),
                               floor.isoformat(timespec="seconds"))
            return floor
        if self.behind:
            self.behind = False
            logger.info("this machine's clock has caught up with the hall's time")
        self.floor = now
        return now
