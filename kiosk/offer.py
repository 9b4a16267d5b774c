"""The kiosk's offer: the hall's departments and services as a citizen sees them, and whether a
ticket can be taken for each now.

It keeps what the hub's snapshot said about each service and follows the events that change it
(people waiting, the estimated wait, a quota running down) and the hub's refusals. Whether a
service is open is its hours against the hall's local time (:mod:`hub.opening`), so a service
opens and closes on the screen at its hour without waiting for the hub; a refusal as closed
holds for a minute (this kiosk's clock may be ahead of the hub's). Wording comes from the
kiosk's catalogue through the callables it is given, so a language switch re-words everything.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time as clock_time
from typing import Any

from hub.opening import Opening

logger = logging.getLogger(__name__)

Wording = Callable[..., str]  # a catalogue key and its parameters: the text in the kiosk's language
Naming = Callable[[dict[str, Any]], str]  # a hall, department or service: its name in that language

REFUSAL_HOLDS_S = 60.0  # a service the hub refused as closed shows closed this long


@dataclass(frozen=True)
class ServiceView:
    id: str
    name: str
    department: str
    waiting: int
    est_wait_min: int
    state: str  # "open", "closed" or "quota"
    status: str  # "3 waiting · about 20 min", or why it is unavailable
    hours: str  # "Today 08:30-17:30", "" when always open

    @property
    def available(self) -> bool:
        return self.state == "open"


@dataclass(frozen=True)
class DepartmentView:
    id: str
    name: str
    summary: str
    available: bool


class Offer:
    def __init__(self, t: Wording, named: Naming, local_time: Callable[[], clock_time],
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._t, self._named, self._local_time = t, named, local_time
        self._monotonic = monotonic
        self.by_id: dict[str, dict[str, Any]] = {}  # the snapshot's services, kept up to date
        self._departments: list[dict[str, Any]] = []
        self._refused: dict[str, float] = {}  # refused as closed: until when (monotonic)

    # ------------------------------------------------------------------ from the hub

    def load(self, hall: dict[str, Any], services: list[dict[str, Any]]) -> None:
        """A snapshot: everything is as the hub says now."""
        self._departments = list(hall.get("departments") or [])
        self.by_id = {s["id"]: dict(s) for s in services}
        self._refused.clear()

    def queue_changed(self, data: dict[str, Any]) -> bool:
        """The people waiting for a service and its estimated wait; whether it is one shown here."""
        service = self.by_id.get(data.get("service", ""))
        if service is None:
            return False
        service["waiting"] = data.get("waiting", service.get("waiting", 0))
        service["est_wait_min"] = data.get("est_wait_min", service.get("est_wait_min", 0))
        return True

    def ticket_issued(self, ticket: dict[str, Any]) -> bool:
        """A ticket issued anywhere in the hall takes one from its service's quota; whether that
        changed anything shown here."""
        service = self.by_id.get(ticket.get("service", ""))
        if service is None or service.get("quota_left") is None:
            return False
        service["quota_left"] = max(0, int(service["quota_left"]) - 1)
        return True

    def refused(self, sid: str, code: str) -> None:
        """The hub refused a ticket for this service: it shows as unavailable (a closed one for
        :data:`REFUSAL_HOLDS_S`, or until the next snapshot)."""
        if code == "service_closed":
            self._refused[sid] = self._monotonic() + REFUSAL_HOLDS_S
        elif code == "quota_reached" and sid in self.by_id:
            self.by_id[sid]["quota_left"] = 0

    # ------------------------------------------------------------------ what the screen shows

    def states(self) -> tuple[str, ...]:
        """Each service's state now (open, closed, quota): what changes at an hour's turn."""
        return tuple(self._state(s) for s in self.by_id.values())

    def services(self, department: str | None = None) -> list[ServiceView]:
        return [self._service_view(s) for s in self.by_id.values()
                if department is None or s.get("department") == department]

    def service(self, sid: str) -> ServiceView | None:
        raw = self.by_id.get(sid)
        return self._service_view(raw) if raw else None

    def departments(self) -> list[DepartmentView]:
        """The departments with at least one service, each with a line on what waits there."""
        views = []
        for dept in self._departments:
            services = self.services(dept["id"])
            if not services:
                continue
            open_services = [s for s in services if s.available]
            if open_services:
                waiting = sum(s.waiting for s in open_services)
                summary = self._t("department_summary", services=len(services), waiting=waiting)
            else:
                summary = self._t("department_unavailable")
            views.append(DepartmentView(dept["id"], self._named(dept), summary, bool(open_services)))
        return views

    def department_name(self, dept_id: str | None) -> str:
        for dept in self._departments:
            if dept["id"] == dept_id:
                return self._named(dept)
        return ""

    def _state(self, service: dict[str, Any]) -> str:
        quota = service.get("quota_left")
        if quota is not None and quota <= 0:
            return "quota"
        if self._refused.get(service["id"], 0.0) > self._monotonic():
            return "closed"
        return "open" if Opening.of(service).open_at(self._local_time()) else "closed"

    def _service_view(self, service: dict[str, Any]) -> ServiceView:
        state = self._state(service)
        waiting = int(service.get("waiting") or 0)
        est = int(service.get("est_wait_min") or 0)
        spans = service.get("hours_today") or []
        if service.get("closed_today"):
            hours = self._t("hours_none_today")
        elif spans:
            hours = self._t("hours_today", hours=self._t("hours_separator").join(
                span.replace("-", "–") for span in spans))
        else:
            hours = ""
        if state == "quota":
            status = self._t("unavailable_quota")
        elif state == "closed":
            status = self._t("unavailable_closed")
        elif waiting == 0:
            status = self._t("no_wait")
        else:
            status = self._t("waiting", waiting=waiting, minutes=max(1, est))
        return ServiceView(service["id"], self._named(service), str(service.get("department")),
                           waiting, est, state, status, hours)
