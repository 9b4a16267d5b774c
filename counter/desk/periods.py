"""Report periods (周记、月评、季小结、年考核): the first and last day a report covers.

Pure; days are the hall's days (``YYYY-MM-DD``, the snapshot's ``day``), weeks start on Monday.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Literal

from counter.desk.errors import PeriodError

PeriodKind = Literal["day", "week", "month", "quarter", "year", "custom"]
PERIODS: tuple[PeriodKind, ...] = ("day", "week", "month", "quarter", "year", "custom")
#: The longest custom period the desk asks the hub for (a little more than a year).
MAX_DAYS = 400


def period_range(kind: str, anchor: date, first: date | None = None,
                 last: date | None = None) -> tuple[date, date]:
    """The days of the period of ``kind`` that holds ``anchor`` (``custom``: first .. last)."""
    if kind == "day":
        return anchor, anchor
    if kind == "week":
        monday = anchor - timedelta(days=anchor.weekday())
        return monday, monday + timedelta(days=6)
    if kind == "month":
        days = calendar.monthrange(anchor.year, anchor.month)[1]
        return anchor.replace(day=1), anchor.replace(day=days)
    if kind == "quarter":
        start_month = 3 * ((anchor.month - 1) // 3) + 1
        end_month = start_month + 2
        days = calendar.monthrange(anchor.year, end_month)[1]
        return date(anchor.year, start_month, 1), date(anchor.year, end_month, days)
    if kind == "year":
        return date(anchor.year, 1, 1), date(anchor.year, 12, 31)
    if kind == "custom":
        if first is None or last is None:
            raise PeriodError("a custom period needs a first and a last day",
                              "period_incomplete")
        if last < first:
            raise PeriodError(f"the period ends ({last}) before it starts ({first})",
                              "period_reversed", first=first.isoformat(), last=last.isoformat())
        if (last - first).days + 1 > MAX_DAYS:
            raise PeriodError(f"a custom period may cover {MAX_DAYS} days at most",
                              "period_too_long", days=MAX_DAYS)
        return first, last
    raise PeriodError(f"unknown period {kind!r}; use one of {', '.join(PERIODS)}")
