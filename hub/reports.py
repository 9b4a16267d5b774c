"""Supervision reports (电子监察): figures per service, department, window and clerk over days."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from hub.config import Hall
from hub.model import Ticket


@dataclass
class _Figures:
    issued: int = 0
    served: int = 0
    no_show: int = 0
    cancelled: int = 0
    wait_s: list[float] = field(default_factory=list)
    service_s: list[float] = field(default_factory=list)
    scores: dict[int, int] = field(default_factory=lambda: {1: 0, 2: 0, 3: 0, 4: 0})

    def add(self, t: Ticket) -> None:
        self.issued += 1
        if t.state == "done":
            self.served += 1
        elif t.state == "no_show":
            self.no_show += 1
        elif t.state == "cancelled":
            self.cancelled += 1
        if t.called_at:
            self.wait_s.append(max(0.0, (t.called_at - t.issued_at).total_seconds()))
        begun = t.started_at or t.called_at
        if t.state == "done" and t.finished_at and begun:
            self.service_s.append(max(0.0, (t.finished_at - begun).total_seconds()))
        if t.score:
            self.scores[t.score] += 1

    def view(self) -> dict[str, Any]:
        rated = sum(self.scores.values())
        return {
            "issued": self.issued, "served": self.served, "no_show": self.no_show,
            "cancelled": self.cancelled,
            "mean_wait_min": _mean_min(self.wait_s), "max_wait_min": _max_min(self.wait_s),
            "mean_service_min": _mean_min(self.service_s),
            "ratings": {str(k): v for k, v in self.scores.items()}, "rated": rated,
            "satisfaction": round((self.scores[3] + self.scores[4]) / rated, 3) if rated else None,
        }


def figures(tickets: Iterable[Ticket]) -> dict[str, Any]:
    """The report's figures (issued, served, waits, service times, ratings) of ``tickets``."""
    total = _Figures()
    for t in tickets:
        total.add(t)
    return total.view()


def _mean_min(values: list[float]) -> float | None:
    return round(sum(values) / len(values) / 60, 1) if values else None


def _max_min(values: list[float]) -> float | None:
    return round(max(values) / 60, 1) if values else None


def build_report(hall: Hall, tickets: list[Ticket], first_day: str, last_day: str
                 ) -> dict[str, Any]:
    """Figures for the days ``first_day`` .. ``last_day`` (inclusive), and the tickets rated
    "dissatisfied", each with its follow-up (null until one is recorded)."""
    total = _Figures()
    groups: dict[str, dict[str, _Figures]] = {
        "service": defaultdict(_Figures), "department": defaultdict(_Figures),
        "window": defaultdict(_Figures), "clerk": defaultdict(_Figures), "day": defaultdict(_Figures),
    }
    follow_up: list[dict[str, Any]] = []
    for t in tickets:
        total.add(t)
        groups["service"][t.service].add(t)
        service = hall.services.get(t.service)
        groups["department"][service.department if service else "?"].add(t)
        groups["day"][t.day].add(t)
        if t.window is not None:
            groups["window"][str(t.window)].add(t)
        if t.clerk:
            groups["clerk"][t.clerk].add(t)
        if t.score == 1:
            follow_up.append({"ticket": t.number, "id": t.id, "day": t.day,
                              "service": t.service, "window": t.window, "clerk": t.clerk,
                              "follow_up": t.follow_up_view()})
    return {
        "from": first_day, "to": last_day, "total": total.view(),
        **{f"by_{name}": {key: figures.view() for key, figures in sorted(group.items())}
           for name, group in groups.items()},
        "dissatisfied": follow_up,
    }
