"""Supervision reports (电子监察): figures per service, department, window and clerk, and per
day, week and month (周记、月评、季小结、年考核), measured against the hall's published targets."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from hub.config import Hall
from hub.model import Leg, Ticket

if TYPE_CHECKING:
    from hub.store import Store


#: The hall's waiting promise when none is given (服务承诺: nobody waits longer than this many
#: minutes): the desk's alert threshold by default (``counter.desk.indicators.Targets``).
WAIT_TARGET_MIN = 30.0
#: why the hub cancels the tickets still open when the hall day ends (``HallEngine.tick``)
DAY_END = "day_end"


@dataclass(frozen=True)
class Targets:
    """The published targets a report measures against (限时办结, 服务承诺): a wait longer
    than ``wait_min`` (or its service's own in ``wait_min_by_service``), and a service at a
    window longer than its expected duration (``minutes`` of the service in the hall config)."""

    wait_min: float = WAIT_TARGET_MIN
    wait_min_by_service: Mapping[str, float] = field(default_factory=dict)
    service_min: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def of_hall(cls, hall: Hall, wait_min: float = WAIT_TARGET_MIN,
                wait_min_by_service: Mapping[str, float] | None = None) -> Targets:
        return cls(wait_min, dict(wait_min_by_service or {}),
                   {sid: s.minutes for sid, s in hall.services.items()})

    def wait_over(self, service: str, seconds: float) -> bool:
        return seconds > self.wait_min_by_service.get(service, self.wait_min) * 60

    def service_over(self, service: str, seconds: float) -> bool:
        expected = self.service_min.get(service)
        return expected is not None and seconds > expected * 60

    def view(self) -> dict[str, Any]:
        return {"wait_min": self.wait_min, "wait_min_by_service": dict(self.wait_min_by_service),
                "service_min": dict(self.service_min)}


@dataclass
class _Figures:
    """One group's figures. A ticket counts once as issued (to the service it was taken for).
    Each service at a window counts as handled, and as what became of it: served (finished:
    only the ticket's last service, when done), transferred (an earlier one, after which the
    window sent the ticket on), no-show, cancelled by the desk, or left unserved when the day
    ended. A window or clerk takes no tickets: its rows count what they handled (``place``).
    With ``targets``, waits and services over them are counted too."""

    targets: Targets | None = None
    place: bool = False
    issued: int = 0
    handled: int = 0
    served: int = 0
    transferred: int = 0
    no_show: int = 0
    cancelled: int = 0
    day_end: int = 0
    over_wait: int = 0
    over_time: int = 0
    wait_s: list[float] = field(default_factory=list)
    service_s: list[float] = field(default_factory=list)
    scores: dict[int, int] = field(default_factory=lambda: {1: 0, 2: 0, 3: 0, 4: 0})

    def _waited(self, service: str, seconds: float) -> None:
        self.wait_s.append(seconds)
        if self.targets is not None and self.targets.wait_over(service, seconds):
            self.over_wait += 1

    def _timed(self, service: str, seconds: float) -> None:
        self.service_s.append(seconds)
        if self.targets is not None and self.targets.service_over(service, seconds):
            self.over_time += 1

    def leg(self, leg: Leg) -> None:
        """An earlier service at a window, after which the ticket was sent on: handled and
        transferred, not finished."""
        self.handled += 1
        self.transferred += 1
        self._waited(leg.service, _seconds(leg.queued_at, leg.called_at))
        self._timed(leg.service, _seconds(leg.started_at or leg.called_at, leg.ended_at))

    def last(self, t: Ticket) -> None:
        """The ticket's current service: its state, wait, service time and rating."""
        if t.window is not None:
            self.handled += 1
        if t.state == "done":
            self.served += 1
        elif t.state == "no_show":
            self.no_show += 1
        elif t.state == "cancelled" and t.reason == DAY_END:
            self.day_end += 1
        elif t.state == "cancelled":
            self.cancelled += 1
        if t.called_at:
            self._waited(t.service, _seconds(t.queued_at, t.called_at))
        begun = t.started_at or t.called_at
        if t.state == "done" and t.finished_at and begun:
            self._timed(t.service, _seconds(begun, t.finished_at))
        if t.score:
            self.scores[t.score] += 1

    def add(self, t: Ticket) -> None:
        """A whole ticket: issued, its legs and its current service."""
        self.issued += 1
        for leg in t.legs:
            self.leg(leg)
        self.last(t)

    def view(self) -> dict[str, Any]:
        rated = sum(self.scores.values())
        targets = self.targets is not None
        return {
            # a window or clerk: "issued" repeats "handled" (the CLI's table reads it)
            "issued": self.handled if self.place else self.issued, "served": self.served,
            "transferred": self.transferred,
            "no_show": self.no_show, "cancelled": self.cancelled,
            "mean_wait_min": _mean_min(self.wait_s), "max_wait_min": _max_min(self.wait_s),
            "mean_service_min": _mean_min(self.service_s),
            "ratings": {str(k): v for k, v in self.scores.items()}, "rated": rated,
            # 好差评: only "dissatisfied" is a bad rating; basically satisfied counts as satisfied
            "satisfaction": share(rated - self.scores[1], rated),
            "handled": self.handled, "day_end": self.day_end,
            "waits": len(self.wait_s), "timed": len(self.service_s),
            "over_wait": self.over_wait if targets else None,
            "over_wait_share": share(self.over_wait, len(self.wait_s)) if targets else None,
            "over_time": self.over_time if targets else None,
            "over_time_share": share(self.over_time, len(self.service_s)) if targets else None,
        }


def share(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` to three decimals, and never all or none unless it is: 1,999
    satisfied of 2,000 is 0.999, not 1.0 (which the desk would show as 100% beside a
    dissatisfied rating), and one wait over its target in 2,000 is 0.001, not 0. None for
    nothing counted."""
    if not whole:
        return None
    rounded = round(part / whole, 3)
    if rounded == 1 and part < whole:
        return 0.999
    if rounded == 0 and part > 0:
        return 0.001
    return rounded


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
    ticket that came to them (handled), each they finished (served), sent on, missed."""
    mine = _Figures(place=True)
    for t in tickets:
        for leg in t.legs:
            if (leg.window, leg.clerk) == (window, clerk):
                mine.leg(leg)
        if (t.window, t.clerk) == (window, clerk):
            mine.last(t)
    return mine.view()


def _mean_min(values: list[float]) -> float | None:
    return round(sum(values) / len(values) / 60, 1) if values else None


def _max_min(values: list[float]) -> float | None:
    return round(max(values) / 60, 1) if values else None


def week_of(day: str) -> str:
    """The week a hall day is in, named by its Monday (``YYYY-MM-DD``)."""
    moment = date.fromisoformat(day)
    return (moment - timedelta(days=moment.weekday())).isoformat()


def month_of(day: str) -> str:
    """The month a hall day is in (``YYYY-MM``)."""
    return day[:7]


def build_report(hall: Hall, tickets: list[Ticket], first_day: str, last_day: str,
                 targets: Targets | None = None) -> dict[str, Any]:
    """Figures for the days ``first_day`` .. ``last_day`` (inclusive), and the tickets rated
    "dissatisfied", each with its follow-up (null until one is recorded).

    By service and department a ticket is issued where it was taken, and each of its services
    counts where it was done; windows and clerks count what they handled. By day, week
    (``by_week``, keyed by its Monday) and month (``by_month``, ``YYYY-MM``) whole tickets
    count on their hall day. Waits and services are measured against ``targets`` (default: the
    hall's expected durations and :data:`WAIT_TARGET_MIN`), which the report names."""
    targets = targets or Targets.of_hall(hall)

    def group(place: bool = False) -> defaultdict[str, _Figures]:
        return defaultdict(lambda: _Figures(targets, place))

    total = _Figures(targets)
    groups: dict[str, defaultdict[str, _Figures]] = {
        "service": group(), "department": group(), "window": group(True), "clerk": group(True),
        "day": group(), "week": group(), "month": group(),
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
        for name, key in (("day", t.day), ("week", week_of(t.day)), ("month", month_of(t.day))):
            groups[name][key].add(t)
        by_service[t.issued_service].issued += 1
        department(t.issued_service).issued += 1
        for leg in t.legs:
            by_service[leg.service].leg(leg)
            department(leg.service).leg(leg)
            for place in handlers(leg.window, leg.clerk):
                place.leg(leg)
        by_service[t.service].last(t)
        department(t.service).last(t)
        for place in handlers(t.window, t.clerk):
            place.last(t)
        if t.score == 1:
            follow_up.append(dissatisfied_item(t))
    return {
        "from": first_day, "to": last_day, "targets": targets.view(), "total": total.view(),
        **{f"by_{name}": {key: figures.view() for key, figures in sorted(group.items())}
           for name, group in groups.items()},
        "dissatisfied": follow_up,
    }


def dissatisfied_item(t: Ticket) -> dict[str, Any]:
    """A "dissatisfied" rating as reports and ``follow_ups`` list it."""
    return {"ticket": t.number, "id": t.id, "day": t.day, "service": t.service,
            "window": t.window, "clerk": t.clerk, "follow_up": t.follow_up_view()}


def named_report(hall: Hall, store: Store, first_day: str, last_day: str,
                 targets: Targets | None = None) -> dict[str, Any]:
    """:func:`build_report` over the store's tickets of those days, with ``clerks``: the names
    of the clerks it names (those of its dissatisfied ratings are among them). Reads the disk."""
    report = build_report(hall, store.tickets_between(first_day, last_day), first_day, last_day,
                          targets)
    report["clerks"] = store.clerk_names(report["by_clerk"])
    return report

