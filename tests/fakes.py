"""Hand-written fakes shared by the tests (device fakes live beside their adapters)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        # a Monday, 10:00 in Shanghai: the county hall is open
        self._now = start or datetime(2026, 11, 23, 2, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float = 0, **kwargs: float) -> datetime:
        self._now += timedelta(seconds=seconds, **kwargs)
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment
