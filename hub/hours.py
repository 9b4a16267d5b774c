"""When the hall and each service take tickets, and which hall day a moment belongs to."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hub.config import Hall, Service, Span


def hall_day(hall: Hall, moment: datetime) -> date:
    """The hall day of ``moment``: the local date, counted from ``day_starts``."""
    local = moment.astimezone(hall.timezone)
    shift = timedelta(hours=hall.day_starts.hour, minutes=hall.day_starts.minute)
    return (local - shift).date()


def spans_today(hall: Hall, service: Service | None, moment: datetime) -> list[Span]:
    """The opening spans that apply on the local weekday of ``moment``; [] means always open."""
    weekday = moment.astimezone(hall.timezone).weekday()
    if service is not None and service.hours:
        if hall.hours and not any(weekday in rule.days for rule in hall.hours):
            return [Span(service.hours[0].open, service.hours[0].open)]  # hall closed all day
        return list(service.hours)
    if not hall.hours:
        return []
    spans = [rule.span for rule in hall.hours if weekday in rule.days]
    # a day with no rule is a closed day: an empty span says so
    return spans or [Span(hall.hours[0].span.open, hall.hours[0].span.open)]


def hall_open(hall: Hall, moment: datetime) -> bool:
    spans = spans_today(hall, None, moment)
    now = moment.astimezone(hall.timezone).time()
    return not spans or any(span.contains(now) for span in spans)


def service_open(hall: Hall, service: Service, moment: datetime) -> bool:
    """Tickets may be taken: the hall is open and, if the service has hours, so is the service."""
    if not hall_open(hall, moment):
        return False
    if not service.hours:
        return True
    now = moment.astimezone(hall.timezone).time()
    return any(span.contains(now) for span in service.hours)


def describe(spans: list[Span]) -> list[str]:
    return [f"{s.open:%H:%M}-{s.close:%H:%M}" for s in spans if s.open < s.close]
