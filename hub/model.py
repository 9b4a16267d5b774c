"""The things of the hall the engine keeps: tickets, windows and appointments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

PRIORITY_RANK = {"green": 0, "appointment": 1, "normal": 2}
OPEN_STATES = ("waiting", "called", "serving")


def ticket_id(day: str, number: str) -> str:
    """Ticket ids begin with their hall day (20261123-A001): unique across days, and sorted by
    day, so the store finds a day's tickets by key range without a second index."""
    return f"{day.replace('-', '')}-{number}"


def day_id_range(first_day: str, last_day: str) -> tuple[str, str]:
    """The ids of tickets of days first_day..last_day are >= low and < high."""
    return f"{first_day.replace('-', '')}-", f"{last_day.replace('-', '')}."


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


@dataclass(frozen=True)
class Leg:
    """An earlier service of a ticket at a window, after which the window sent it on to another
    service or window (一窗受理: accepted here, then on to pay or to a back office). The ticket
    itself holds its current service; its legs keep what the reports count of the earlier ones."""

    service: str
    window: int
    clerk: str | None
    queued_at: datetime  # when it began to wait for this service
    called_at: datetime
    started_at: datetime | None
    ended_at: datetime  # when it was sent on

    def to_json(self) -> dict[str, Any]:
        return {"service": self.service, "window": self.window, "clerk": self.clerk,
                "queued_at": self.queued_at.isoformat(), "called_at": self.called_at.isoformat(),
                "started_at": self.started_at.isoformat() if self.started_at else None,
                "ended_at": self.ended_at.isoformat()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Leg:
        started = data.get("started_at")
        return cls(service=data["service"], window=data["window"], clerk=data.get("clerk"),
                   queued_at=datetime.fromisoformat(data["queued_at"]),
                   called_at=datetime.fromisoformat(data["called_at"]),
                   started_at=datetime.fromisoformat(started) if started else None,
                   ended_at=datetime.fromisoformat(data["ended_at"]))


@dataclass
class Ticket:
    id: str
    day: str
    number: str
    seqno: int  # the numeric part of the number
    service: str  # the service it is queued for now (changes on transfer)
    issued_service: str  # the service whose numbering it took
    state: str
    priority: str
    issued_at: datetime
    line_at: datetime  # its place in line: issue time, or re-queue time for "last"
    line_ord: int  # tie-break between equal line times, grows with every queueing
    lang: str | None = None
    window: int | None = None  # window it is called to / served at
    to_window: int | None = None  # waiting for this window only (a transfer to a window)
    first: bool = False  # placed at the front of its line
    calls: int = 0
    called_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    clerk: str | None = None
    score: int | None = None
    appointment: str | None = None
    reason: str | None = None  # why it was cancelled
    issued_by: str | None = None  # the device that issued it
    # a "dissatisfied" rating followed up (一事一评价: dissatisfaction is followed up)
    follow_up_note: str | None = None
    followed_up_at: datetime | None = None
    followed_up_by: str | None = None  # the desk device that recorded it
    legs: tuple[Leg, ...] = ()  # earlier services at windows, sent on after each (oldest first)

    @property
    def queued_at(self) -> datetime:
        """When it began to wait for its current service: its issue, or its last leg's end."""
        return self.legs[-1].ended_at if self.legs else self.issued_at

    def sort_key(self) -> tuple[int, int, datetime, int]:
        """Place within its priority class: those placed first (in the order they were placed
        there), then the one longest in line."""
        if self.first:
            return (0, self.line_ord, self.line_at, 0)
        return (1, 0, self.line_at, self.line_ord)

    def class_key(self) -> tuple[int, int, int, datetime, int]:
        return (PRIORITY_RANK[self.priority], *self.sort_key())

    def to_dict(self, ahead: int | None = None, est_wait_min: int | None = None) -> dict[str, Any]:
        view: dict[str, Any] = {
            "id": self.id,
            "number": self.number,
            "service": self.service,
            "state": self.state,
            "priority": self.priority,
            "issued_at": iso(self.issued_at),
            # when it began to wait for its current service (sent on: when; the reports count
            # its wait from here, and so does the desk)
            "queued_at": iso(self.queued_at),
            "window": self.window,
            "calls": self.calls,
            "ahead": ahead,
            "est_wait_min": est_wait_min,
            "to_window": self.to_window,
            "called_at": iso(self.called_at),
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
            "clerk": self.clerk,
            "score": self.score,
            "lang": self.lang,
            "appointment": self.appointment is not None,
            # its place in line: waiting tickets are called by priority class, then those placed
            # first, then line_ord (see WaitingLines), which a counter's list follows
            "first": self.first,
            "line_ord": self.line_ord,
        }
        if self.followed_up_at is not None:
            view["follow_up"] = self.follow_up_view()
        return view

    def follow_up_view(self) -> dict[str, Any] | None:
        if self.followed_up_at is None:
            return None
        return {"note": self.follow_up_note, "at": iso(self.followed_up_at),
                "by": self.followed_up_by}


@dataclass
class WindowState:
    number: int
    state: str = "closed"  # closed | open | paused
    clerk: str | None = None
    clerk_name: str | None = None
    current: str | None = None  # ticket id being called or served
    reason: str | None = None  # pause reason
    since: datetime | None = None  # when the state last changed


@dataclass(frozen=True)
class Appointment:
    code: str
    service: str
    date: str  # YYYY-MM-DD, hall-local
    slot_start: datetime
    slot_end: datetime
    ticket_id: str | None = None


@dataclass(frozen=True)
class Clerk:
    id: str
    name: str
