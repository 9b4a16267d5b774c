"""When the hall and each service take tickets, and which hall day a moment belongs to."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from hub.config import Hall, Service, Span


def hall_day(hall: Hall, moment: datetime) -> date:
    """The hall day of ``moment``: the local date, counted from ``day_starts``."""
    local = moment.astimezone(hall.timezone)
    shift = timedelta(hours=hall.day_starts.hour, minutes=hall.day_starts.minute)
    return (local - shift).date()


def next_day_start(hall: Hall, moment: datetime) -> datetime:
    """The instant the hall day after the one of ``moment`` begins (its local day_starts)."""
    following = hall_day(hall, moment) + timedelta(days=1)
    return datetime.combine(following, hall.day_starts, hall.timezone)


CLOSED_ALL_DAY = [Span(time(0), time(0))]


def spans_today(hall: Hall, service: Service | None, moment: datetime) -> list[Span]:
    """The opening spans on the local weekday of ``moment``: the hall's, narrowed by the
    service's own hours if it has any. [] means always open; an empty span, closed all day."""
    weekday = moment.astimezone(hall.timezone).weekday()
    hall_spans: list[Span] = []
    if hall.hours:
        hall_spans = [rule.span for rule in hall.hours if weekday in rule.days]
        if not hall_spans:
            return CLOSED_ALL_DAY
    if service is None or not service.hours:
        return hall_spans
    if not hall_spans:
        return list(service.hours)
    narrowed = [Span(max(h.open, s.open), min(h.close, s.close))
                for h in hall_spans for s in service.hours]
    return [span for span in narrowed if span.open < span.close] or CLOSED_ALL_DAY


def _open(hall: Hall, service: Service | None, moment: datetime) -> bool:
    spans = spans_today(hall, service, moment)
    now = moment.astimezone(hall.timezone).time()
    return not spans or any(span.contains(now) for span in spans)


def hall_open(hall: Hall, moment: datetime) -> bool:
    return _open(hall, None, moment)


def service_open(hall: Hall, service: Service, moment: datetime) -> bool:
    """Tickets may be taken: the hall is open and, if the service has hours, so is the service."""
    return _open(hall, service, moment)


def describe(spans: list[Span]) -> list[str]:
    return [f"{s.open:%H:%M}-{s.close:%H:%M}" for s in spans if s.open < s.close]
