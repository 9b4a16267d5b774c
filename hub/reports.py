"""Supervision reports (电子监察): figures per service, department, window and clerk over days."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from hub.config import Hall
from hub.model import Leg, Ticket

if TYPE_CHECKING:
    from hub.store import Store


@dataclass
class _Figures:
    """One group's figures. A ticket counts once as issued (to the service it was taken for);
    each service at a window counts as served: the ticket's last one when it is done, and each
    earlier one after which the window sent it on (its legs, also counted as transferred)."""

    issued: int = 0
    served: int = 0
    transferred: int = 0
    no_show: int = 0
    cancelled: int = 0
    wait_s: list[float] = field(default_factory=list)
    service_s: list[float] = field(default_factory=list)
    scores: dict[int, int] = field(default_factory=lambda: {1: 0, 2: 0, 3: 0, 4: 0})

    def leg(self, leg: Leg) -> None:
        """An earlier service at a window, after which the ticket was sent on."""
        self.served += 1
        self.transferred += 1
        self.wait_s.append(_seconds(leg.queued_at, leg.called_at))
        self.service_s.append(_seconds(leg.started_at or leg.called_at, leg.ended_at))

    def last(self, t: Ticket) -> None:
        """The ticket's current service: its state, wait, service time and rating."""
        if t.state == "done":
            self.served += 1
        elif t.state == "no_show":
            self.no_show += 1
        elif t.state == "cancelled":
            self.cancelled += 1
        if t.called_at:
            self.wait_s.append(_seconds(t.queued_at, t.called_at))
        begun = t.started_at or t.called_at
        if t.state == "done" and t.finished_at and begun:
            self.service_s.append(_seconds(begun, t.finished_at))
        if t.score:
            self.scores[t.score] += 1

    def handled_leg(self, leg: Leg) -> None:
        """An earlier service, at this window or by this clerk: it came to them."""
        self.issued += 1
        self.leg(leg)

    def handled_last(self, t: Ticket) -> None:
        """The ticket's current service, at this window or by this clerk: it came to them."""
        self.issued += 1
        self.last(t)

    def add(self, t: Ticket) -> None:
        """A whole ticket: issued, its legs and its current service."""
        self.issued += 1
        for leg in t.legs:
            self.leg(leg)
        self.last(t)

    def view(self) -> dict[str, Any]:
        rated = sum(self.scores.values())
        return {
            "issued": self.issued, "served": self.served, "transferred": self.transferred,
            "no_show": self.no_show, "cancelled": self.cancelled,
            "mean_wait_min": _mean_min(self.wait_s), "max_wait_min": _max_min(self.wait_s),
            "mean_service_min": _mean_min(self.service_s),
            "ratings": {str(k): v for k, v in self.scores.items()}, "rated": rated,
            # 好差评: only "dissatisfied" is a bad rating; basically satisfied counts as satisfied
            "satisfaction": round((rated - self.scores[1]) / rated, 3) if rated else None,
        }


def _seconds(begun: datetime, ended: datetime) -> float:
    return max(0.0, (ended - begun).total_seconds())


def figures(tickets: Iterable[Ticket]) -> dict[str, Any]:
    """The report's figures (issued, served, waits, service times, ratings) of ``tickets``."""
    total = _Figures()
    for t in tickets:
        total.add(t)
    return total.view()


def window_figures(tickets: Iterable[Ticket], window: int, clerk: str) -> dict[str, Any]:
    """The figures of one clerk at one window, as the report counts them for either: each
    ticket that came to them (issued), each service they did (served), sent on, missed."""
    mine = _Figures()
    for t in tickets:
        for leg in t.legs:
            if (leg.window, leg.clerk) == (window, clerk):
                mine.handled_leg(leg)
        if (t.window, t.clerk) == (window, clerk):
            mine.handled_last(t)
    return mine.view()


def _mean_min(values: list[float]) -> float | None:
    return round(sum(values) / len(values) / 60, 1) if values else None


def _max_min(values: list[float]) -> float | None:
    return round(max(values) / 60, 1) if values else None


def build_report(hall: Hall, tickets: list[Ticket], first_day: str, last_day: str
                 ) -> dict[str, Any]:
    """Figures for the days ``first_day`` .. ``last_day`` (inclusive), and the tickets rated
    "dissatisfied", each with its follow-up (null until one is recorded).

    By service and department a ticket is issued where it was taken, and each of its services
    counts where it was done; by window and clerk, "issued" counts the tickets that came to
    them."""
    total = _Figures()
    groups: dict[str, dict[str, _Figures]] = {
        "service": defaultdict(_Figures), "department": defaultdict(_Figures),
        "window": defaultdict(_Figures), "clerk": defaultdict(_Figures), "day": defaultdict(_Figures),
    }
    by_service, by_department = groups["service"], groups["department"]
    by_window, by_clerk = groups["window"], groups["clerk"]

    def department(sid: str) -> _Figures:
        service = hall.services.get(sid)
        return by_department[service.department if service else "?"]

    def handlers(window: int | None, clerk: str | None) -> list[_Figures]:
        """The window and the clerk a service was done by, as far as it was."""
        return ([by_window[str(window)]] if window is not None else []) + \
            ([by_clerk[clerk]] if clerk else [])

    follow_up: list[dict[str, Any]] = []
    for t in tickets:
        total.add(t)
        groups["day"][t.day].add(t)
        by_service[t.issued_service].issued += 1
        department(t.issued_service).issued += 1
        for leg in t.legs:
            by_service[leg.service].leg(leg)
            department(leg.service).leg(leg)
            for place in handlers(leg.window, leg.clerk):
                place.handled_leg(leg)
        by_service[t.service].last(t)
        department(t.service).last(t)
        for place in handlers(t.window, t.clerk):
            place.handled_last(t)
        if t.score == 1:
            follow_up.append(dissatisfied_item(t))
    return {
        "from": first_day, "to": last_day, "total": total.view(),
        **{f"by_{name}": {key: figures.view() for key, figures in sorted(group.items())}
           for name, group in groups.items()},
        "dissatisfied": follow_up,
    }


def dissatisfied_item(t: Ticket) -> dict[str, Any]:
    """A "dissatisfied" rating as reports and ``follow_ups`` list it."""
    return {"ticket": t.number, "id": t.id, "day": t.day, "service": t.service,
            "window": t.window, "clerk": t.clerk, "follow_up": t.follow_up_view()}


def named_report(hall: Hall, store: Store, first_day: str, last_day: str) -> dict[str, Any]:
    """:func:`build_report` over the store's tickets of those days, with ``clerks``: the names
    of the clerks it names (those of its dissatisfied ratings are among them). Reads the disk."""
    report = build_report(hall, store.tickets_between(first_day, last_day), first_day, last_day)
    report["clerks"] = store.clerk_names(report["by_clerk"])
    return report

