"""Whether a service is open now, as a device works it out from the hub's snapshot.

A snapshot gives each service's ``hours_today`` (``["08:30-11:30", "13:30-17:00"]``; none: open
all day) and ``closed_today``. A kiosk or a hall screen may keep one snapshot for the whole day
(it is taken again only after a reconnect or at the day's start), so it must not keep the
``open`` that snapshot gave: it reads the hours again against the hall's local time, and a
service opens and closes on the screen at its hour. The hub sends the hours in force (none
when it takes tickets at any hour), so they and its own ``open`` agree. Only a snapshot
without hours (another hub) is taken at its word.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from typing import Any

logger = logging.getLogger(__name__)


def hours_open(spans: list[str], now: time) -> bool:
    """Whether ``now`` falls in one of the spans ("08:30-11:30"); no spans is always open."""
    if not spans:
        return True
    for span in spans:
        start, _, end = span.partition("-")
        try:
            if time.fromisoformat(start) <= now < time.fromisoformat(end):
                return True
        except ValueError:
            logger.warning("cannot read opening hours %r", span)
            return True
    return False


@dataclass(frozen=True)
class Opening:
    """A snapshot's word on when one service takes tickets today."""

    hours: tuple[str, ...] | None  # "08:30-11:30" …; () open all day; None: the snapshot had none
    closed_today: bool = False
    said_open: bool = True  # its ``open`` when the snapshot was taken

    @classmethod
    def of(cls, service: Mapping[str, Any]) -> Opening:
        spans = service.get("hours_today")
        return cls(tuple(str(s) for s in spans) if isinstance(spans, list) else None,
                   bool(service.get("closed_today")), bool(service.get("open", True)))

    def open_at(self, now: time) -> bool:
        """Whether tickets may be taken at the hall's local time ``now``."""
        if self.closed_today:
            return False
        if self.hours is None:
            return self.said_open
        return hours_open(list(self.hours), now)
