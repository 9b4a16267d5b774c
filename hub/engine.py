"""The hall's rules: a pure, synchronous queue engine.

Commands go in (``issue``, ``call_next``, ``transfer`` ...), an ``Outcome`` comes out: the result
for the device that asked and the events for everybody. The engine does no I/O and never reads
the clock itself; the store persists what ``take_changes()`` hands it, and rebuilds an engine
with ``HallEngine(..., tickets=..., windows=...)``. A refused command raises ``RequestError``
before it changes anything. Call ``tick()`` before each command: it closes the day when the clock
has passed ``day_starts``.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hub import hours, reports
from hub.clock import Clock
from hub.config import Hall, Service
from hub.errors import RequestError
from hub.i18n import visible
from hub.lines import WaitingLines
from hub.model import (
    OPEN_STATES,
    Appointment,
    Clerk,
    Leg,
    Ticket,
    WindowState,
    iso,
    ticket_id,
)
from hub.protocol import STATUS_PARTS_MAX, Code, ticket_number

logger = logging.getLogger(__name__)

RECENT_CALLS = 10
# calls kept, more than a snapshot shows: a ticket called twice is shown once
CALLS_KEPT = RECENT_CALLS * 3
CHECK_IN_EARLY = timedelta(minutes=30)
ANNOUNCEMENTS_KEPT = 5  # the day's newest, in every snapshot
_CLOCK_TIME = re.compile(r"\b[0-2]\d:[0-5]\d\b")
_TICKET_NAMED = re.compile(r"its ticket is (\S+)$")


@dataclass(frozen=True)
class CheckInRefusal:
    """Why ``check_in`` answered ``invalid_state``, read back from its message (below), for
    the kiosk and the desk to say in their own words."""

    reason: str  # "already", "booked_for", "opens", "ended", or "" (another reason)
    time: str | None = None  # the slot's start ("opens") or end ("ended"), hall time HH:MM
    opens: str | None = None  # when check-in opens ("opens")
    ticket: str | None = None  # the ticket of an appointment checked in already


def read_check_in_refusal(code: str, message: str) -> CheckInRefusal:
    """The reason of a ``check_in`` refusal for appointment ``code`` (whose text may itself
    look like a time: only what follows it is read)."""
    lowered = message.lower()
    reason = next((word for word in ("already", "booked for", "opens", "ended")
                   if word in lowered), "").replace(" ", "_")
    times = _CLOCK_TIME.findall(message.split(code, 1)[-1])
    if reason == "already":
        named = _TICKET_NAMED.search(message)
        return CheckInRefusal(reason, ticket=named.group(1) if named else None)
    if reason in ("opens", "ended") and times:
        slot = datetime.strptime(times[-1], "%H:%M")
        opens = f"{slot - CHECK_IN_EARLY:%H:%M}" if reason == "opens" else None
        return CheckInRefusal(reason, times[-1], opens)
    return CheckInRefusal(reason)


@dataclass(frozen=True)
class EngineEvent:
    name: str
    data: dict[str, Any]


@dataclass
class Outcome:
    result: dict[str, Any]
    events: list[EngineEvent] = field(default_factory=list)


@dataclass
class _ServiceStats:
    seconds: float = 0.0
    count: int = 0


class HallEngine:
    def __init__(self, hall: Hall, clock: Clock, *, always_open: bool = False,
                 day: str | None = None, tickets: Iterable[Ticket] = (),
                 windows: Iterable[WindowState] = (),
                 calls: Iterable[tuple[str, int, datetime]] | None = None,
                 announcements: Iterable[tuple[str, str, datetime]] = ()) -> None:
        """``calls``: the day's newest calls, oldest first, as the store read them from its
        ``ticket_called`` events (recalls and calls of tickets since moved on included); without
        them each ticket's own first call stands in. ``announcements``: the day's newest
        (text, lang, at), newest first, from its ``announcement`` events."""
        self.hall = hall
        self.clock = clock
        self.always_open = always_open
        self.day = day or hours.hall_day(hall, clock.now()).isoformat()
        self.tickets: dict[str, Ticket] = {}
        self.by_number: dict[str, Ticket] = {}
        self.lines = WaitingLines(hall.services)
        self.windows: dict[int, WindowState] = {n: WindowState(n) for n in hall.windows}
        self._serving = {sid: tuple(w.number for w in hall.windows_serving(sid))
                         for sid in hall.services}  # the hall does not change while it runs
        self.next_seqno: dict[str, int] = {sid: 1 for sid in hall.services}
        self.issued_today: dict[str, int] = {sid: 0 for sid in hall.services}
        self.stats: dict[str, _ServiceStats] = {sid: _ServiceStats() for sid in hall.services}
        self.used_codes: set[str] = set()
        self.calls: list[tuple[str, int, datetime]] = []  # (ticket id, window, at), oldest first
        # the day's newest announcements, newest first: a screen switched on (or cut off) when
        # one was made shows it too
        self.announcements = list(announcements)[:ANNOUNCEMENTS_KEPT]
        self.next_ord = 1
        self.latest_line_at: datetime | None = None  # the newest place in line given
        self.device_status: dict[str, dict[str, Any]] = {}
        self._dirty_tickets: dict[str, Ticket] = {}
        self._dirty_windows: set[int] = set()
        self._events: list[EngineEvent] = []
        self._touched: set[str] = set()
        self._last_queue: dict[str, tuple[int, int]] = {}
        self._earlier: dict[str, Ticket] = {}  # tickets of earlier days followed up today
        for ticket in tickets:
            self._restore_ticket(ticket)
        if calls is not None:
            self.calls = [call for call in calls if call[0] in self.tickets][-CALLS_KEPT:]
        for window in windows:
            if window.number in self.windows:
                self._restore_window(window)
        self._restore_clerks_at_one_window()
        for ticket in list(self.tickets.values()):
            self._restore_at_a_window_gone(ticket)
        for sid in hall.services:
            self._last_queue[sid] = self._queue_figures(sid)

    # ------------------------------------------------------------------ restore and persistence

    def _restore_window(self, window: WindowState) -> None:
        """A window as the store kept it, less what no longer holds. A window the hall file left
        out for a while kept its row as it was: open since an earlier day (the day's end did not
        close it), or with a ticket that has since moved on."""
        since_day = hours.hall_day(self.hall, window.since).isoformat() if window.since else None
        ticket = self.tickets.get(window.current) if window.current else None
        if window.state != "closed" and since_day is not None and since_day < self.day:
            logger.warning("window %d was left %s since %s: closed, as at the day's end",
                           window.number, window.state, since_day)
            window = self._closed_at_restore(window.number)
        elif window.current and (ticket is None or ticket.window != window.number
                                 or ticket.state not in ("called", "serving")):
            logger.warning("window %d kept ticket %s, which is no longer there: it has none now",
                           window.number, window.current)
            window.current = None
            self._dirty_windows.add(window.number)
        self.windows[window.number] = window

    def _closed_at_restore(self, number: int) -> WindowState:
        """A window found open at start that must not be: closed now, and written so."""
        self._dirty_windows.add(number)
        return WindowState(number, since=self._now())

    def _restore_clerks_at_one_window(self) -> None:
        """A clerk is at one window only: signed in at two (one of them left out of the hall
        file meanwhile), the clerk stays at the one signed in at last."""
        latest: dict[str, WindowState] = {}
        oldest = datetime.min.replace(tzinfo=UTC)
        for window in sorted(self.windows.values(), key=lambda w: w.since or oldest):
            if window.state == "closed" or window.clerk is None:
                continue
            earlier = latest.get(window.clerk)
            if earlier is not None:
                logger.warning("clerk %s was signed in at windows %d and %d: window %d is "
                               "closed", window.clerk, earlier.number, window.number,
                               earlier.number)
                ticket = self.tickets.get(earlier.current) if earlier.current else None
                if ticket is not None:  # the citizen is not sent home: called again first
                    self._queue(ticket, "first")
                    self._save(ticket)
                self.windows[earlier.number] = self._closed_at_restore(earlier.number)
            latest[window.clerk] = window

    def _restore_at_a_window_gone(self, ticket: Ticket) -> None:
        """A ticket sent to, or called at, a window the hall file no longer has waits for its
        service again (first in line, if it had been called): no window would ever call it."""
        if ticket.state == "waiting" and ticket.to_window not in (None, *self.hall.windows):
            logger.warning("ticket %s waited for window %s, which this hall no longer has: it "
                           "waits for its service", ticket.number, ticket.to_window)
            ticket.to_window = None
            self.lines.add(ticket)  # add moves it from the window's line to its service's
            self._save(ticket)
        elif ticket.state in ("called", "serving") and ticket.window not in self.hall.windows:
            logger.warning("ticket %s was at window %s, which this hall no longer has: it waits "
                           "first in line for its service", ticket.number, ticket.window)
            ticket.to_window = None
            self._queue(ticket, "first")
            self._save(ticket)

    def _restore_ticket(self, ticket: Ticket) -> None:
        if ticket.service not in self.hall.services:
            logger.warning("ticket %s is for service %r, which this hall no longer has; it is "
                           "kept, and no window calls it next: reassign it, call it by number "
                           "or cancel it", ticket.number, ticket.service)
        self.tickets[ticket.id] = ticket
        self.by_number[ticket.number] = ticket
        if ticket.issued_service in self.next_seqno:
            self.next_seqno[ticket.issued_service] = max(self.next_seqno[ticket.issued_service],
                                                         ticket.seqno + 1)
            self.issued_today[ticket.issued_service] += 1
        self.next_ord = max(self.next_ord, ticket.line_ord + 1)
        self._line_time(ticket.line_at)
        if ticket.state == "waiting":
            self.lines.add(ticket)
        if ticket.appointment:
            self.used_codes.add(ticket.appointment)
        if ticket.called_at and ticket.window is not None:
            self.calls.append((ticket.id, ticket.window, ticket.called_at))
            self.calls.sort(key=lambda call: call[2])
            del self.calls[:-CALLS_KEPT]
        if ticket.state == "done" and ticket.finished_at:
            self._observe(ticket)
        for leg in ticket.legs:
            self._observe_leg(leg)

    def take_changes(self) -> tuple[list[Ticket], list[WindowState]]:
        """Tickets and windows changed since the last call, for the store to write."""
        tickets = list(self._dirty_tickets.values())
        windows = [self.windows[n] for n in sorted(self._dirty_windows)]
        self._dirty_tickets.clear()
        self._dirty_windows.clear()
        return tickets, windows

    # ------------------------------------------------------------------ helpers

    def _now(self) -> datetime:
        return self.clock.now()

    def discard(self) -> None:
        """Forget the rows and events of a change that failed half-way (the hub then rebuilds
        the engine from the store): none of it is written or sent."""
        self._events.clear()
        self._touched.clear()
        self.take_changes()

    def _emit(self, name: str, data: dict[str, Any]) -> None:
        self._events.append(EngineEvent(name, data))

    def _done(self, result: dict[str, Any]) -> Outcome:
        # (a kept ticket of a service the hall no longer has touches a queue nobody shows)
        for sid in sorted(self._touched & self.hall.services.keys()):
            figures = self._queue_figures(sid)
            if self._last_queue.get(sid) != figures:
                self._last_queue[sid] = figures
                self._emit("queue_changed", {"service": sid, "waiting": figures[0],
                                             "est_wait_min": figures[1]})
        self._touched.clear()
        events, self._events = self._events, []
        return Outcome(result, events)

    def _save(self, ticket: Ticket) -> None:
        self._dirty_tickets[ticket.id] = ticket
        self._touched.add(ticket.service)

    def _save_window(self, window: WindowState) -> None:
        self._dirty_windows.add(window.number)
        self._emit("window_changed", {"window": self.window_view(window.number)})
        self._touched.update(self.hall.windows[window.number].serves)

    def _service(self, sid: str) -> Service:
        service = self.hall.services.get(sid)
        if service is None:
            raise RequestError(Code.UNKNOWN_SERVICE, f"there is no service '{sid}' in this hall; "
                               f"services are: {', '.join(self.hall.services)}")
        return service

    def _window(self, number: int, *, signed_in: bool = True) -> WindowState:
        window = self.windows.get(number)
        if window is None:
            raise RequestError(Code.NOT_FOUND, f"there is no window {number} in this hall")
        if signed_in and window.state == "closed":
            raise RequestError(Code.INVALID_STATE,
                               f"window {number} is closed: a clerk must sign in first")
        return window

    def _current(self, window: WindowState, states: tuple[str, ...], action: str) -> Ticket:
        if window.current is None:
            raise RequestError(Code.INVALID_STATE,
                               f"window {window.number} has no ticket to {action}")
        ticket = self.tickets[window.current]
        if ticket.state not in states:
            raise RequestError(Code.INVALID_STATE, f"cannot {action} {ticket.number}: it is "
                               f"{ticket.state}, not {' or '.join(states)}")
        return ticket

    def today(self, ref: str) -> Ticket | None:
        """A ticket of today by id or by number, or None."""
        return self.tickets.get(ref) or self.by_number.get(ref.upper())

    def ticket(self, ref: str) -> Ticket:
        """A ticket of today by id or by number; not_found otherwise."""
        found = self.today(ref)
        if found is None:
            raise RequestError(Code.NOT_FOUND, f"no ticket '{ref}' today ({self.day})")
        return found

    def _new_ord(self) -> int:
        self.next_ord += 1
        return self.next_ord - 1

    def _line_time(self, now: datetime) -> datetime:
        """A new place in line is never before the newest one given: a clock stepped back, or a
        hub started before its machine's clock is set, would put the ticket ahead of those
        already waiting (the order of equal times is their line_ord)."""
        if self.latest_line_at is not None and now < self.latest_line_at:
            return self.latest_line_at
        self.latest_line_at = now
        return now

    def _queue(self, ticket: Ticket, position: str) -> None:
        """Put a ticket (back) in the waiting line of its service."""
        now = self._now()
        if position == "first":
            ticket.first = True
            ticket.line_ord = self._new_ord()
        elif position == "last":
            ticket.first = False
            ticket.line_at = self._line_time(now)
            ticket.line_ord = self._new_ord()
        ticket.state = "waiting"
        ticket.window = None
        ticket.calls = 0
        ticket.called_at = None
        ticket.started_at = None
        self.lines.add(ticket)

    def _unqueue(self, ticket: Ticket) -> None:
        self.lines.remove(ticket)

    def _observe(self, ticket: Ticket) -> None:
        self._observe_span(ticket.service, ticket.started_at or ticket.called_at,
                           ticket.finished_at)

    def _observe_leg(self, leg: Leg) -> None:
        self._observe_span(leg.service, leg.started_at or leg.called_at, leg.ended_at)

    def _observe_span(self, sid: str, begun: datetime | None, ended: datetime | None) -> None:
        """A service's observed time at a window, for its waiting estimates."""
        if begun and ended and sid in self.stats:
            stats = self.stats[sid]
            stats.seconds += max(0.0, (ended - begun).total_seconds())
            stats.count += 1

    # ------------------------------------------------------------------ estimates

    def mean_minutes(self, sid: str) -> float:
        stats = self.stats.get(sid)
        if stats and stats.count:
            return stats.seconds / stats.count / 60
        return self.hall.services[sid].minutes

    def open_windows(self, sid: str) -> int:
        windows = self.windows
        return sum(windows[number].state == "open" for number in self._serving.get(sid, ()))

    def estimate(self, sid: str, ahead: int) -> int:
        if sid not in self.hall.services:
            return 0
        return math.ceil(ahead * self.mean_minutes(sid) / max(1, self.open_windows(sid)))

    def _queue_figures(self, sid: str) -> tuple[int, int]:
        waiting = self.lines.count(sid)
        return waiting, self.estimate(sid, waiting)

    def ahead_of(self, ticket: Ticket) -> int:
        return self.lines.ahead(ticket) if ticket.state == "waiting" else 0

    def ticket_view(self, ticket: Ticket) -> dict[str, Any]:
        if ticket.state != "waiting":
            return ticket.to_dict()
        ahead = self.ahead_of(ticket)
        return ticket.to_dict(ahead, self.estimate(ticket.service, ahead))

    # ------------------------------------------------------------------ views

    def window_view(self, number: int) -> dict[str, Any]:
        spec = self.hall.windows[number]
        state = self.windows[number]
        current = self.tickets.get(state.current) if state.current else None
        return {
            "number": number, "name": spec.name, "name_en": spec.name_en, "zone": spec.zone,
            "zone_en": spec.zone_en,
            "serves": list(spec.serves), "policy": spec.policy, "state": state.state,
            "clerk": state.clerk, "clerk_name": state.clerk_name, "reason": state.reason,
            "since": iso(state.since),
            "current": self.ticket_view(current) if current else None,
        }

    def service_view(self, sid: str) -> dict[str, Any]:
        service = self.hall.services[sid]
        department = self.hall.departments.get(service.department)
        waiting, est = self._queue_figures(sid)
        quota_left = (max(0, service.daily_quota - self.issued_today[sid])
                      if service.daily_quota is not None else None)
        now = self._now()
        # the hours in force: devices work ``open`` out from them as the day goes on
        spans = [] if self.always_open else hours.spans_today(self.hall, service, now)
        return {
            "id": sid, "name": service.name, "name_en": service.name_en,
            "prefix": service.prefix, "department": service.department,
            "department_name": department.name if department else service.department,
            "department_name_en": department.name_en if department else None,
            "open": self.always_open or hours.service_open(self.hall, service, now),
            "hours_today": hours.describe(spans),
            "closed_today": spans == hours.CLOSED_ALL_DAY,
            "waiting": waiting, "est_wait_min": est, "quota_left": quota_left,
            "minutes": service.minutes, "windows": [w.number for w in
                                                    self.hall.windows_serving(sid)],
        }

    def recent_calls(self) -> list[dict[str, Any]]:
        seen: set[str] = set()
        out: list[dict[str, Any]] = []
        for called, window, at in reversed(self.calls):
            if called in seen or called not in self.tickets:
                continue
            seen.add(called)
            out.append({"ticket": self.ticket_view(self.tickets[called]), "window": window,
                        "at": iso(at)})
            if len(out) == RECENT_CALLS:
                break
        return out

    def waiting_list(self) -> list[dict[str, Any]]:
        line = sorted(self.lines, key=lambda t: t.class_key())
        return [self.ticket_view(t) for t in line]

    def snapshot(self, waiting: bool = True) -> dict[str, Any]:
        """The hall as the contract's SNAPSHOT; without ``waiting`` (a kiosk's or a display's,
        which do not get it), the waiting list is not built: with hundreds waiting it is most of
        the cost, and a device that syncs in a loop would hold up every window."""
        hall = self.hall
        out = {
            "day": self.day,
            "hall": {"name": hall.name, "name_en": hall.name_en, "languages": list(hall.languages),
                     "timezone": hall.timezone.key, "day_starts": f"{hall.day_starts:%H:%M}",
                     "open": self.always_open or hours.hall_open(hall, self._now()),
                     "departments": [{"id": d.id, "name": d.name, "name_en": d.name_en}
                                     for d in hall.departments.values()]},
            "services": [self.service_view(sid) for sid in hall.services],
            "windows": [self.window_view(n) for n in sorted(hall.windows)],
            "recent_calls": self.recent_calls(),
            "announcements": [{"text": text, "lang": lang, "at": iso(at)}
                              for text, lang, at in self.announcements],
            "devices": dict(self.device_status),
            "now": iso(self._now()),  # the hub's time: a device with its clock off goes by it
        }
        if waiting:
            out["waiting"] = self.waiting_list()
        return out

    # ------------------------------------------------------------------ the day

    def tick(self) -> Outcome:
        """Close the day if the clock has passed ``day_starts``: open tickets are cancelled and
        windows closed, each with its event as at any other time (a device that follows the
        events alone sees the hall as it is), then ``day_started`` and the emptied queues."""
        today = hours.hall_day(self.hall, self._now()).isoformat()
        if today <= self.day:  # ISO dates: a hall day never goes back (a clock set back, a
            return self._done({})  # day_starts moved later): its tickets and numbers carry on
        closed = 0
        for ticket in self.tickets.values():
            if ticket.state in OPEN_STATES:
                ticket.state = "cancelled"
                ticket.reason = "day_end"
                self._save(ticket)
                self._emit("ticket_cancelled", {"ticket": self.ticket_view(ticket)})
                closed += 1
        for window in self.windows.values():
            if window.state != "closed" or window.current:
                window.state, window.clerk, window.clerk_name = "closed", None, None
                window.current, window.reason, window.since = None, None, self._now()
                self._save_window(window)
        logger.info("day %s closed (%d open tickets cancelled); day %s starts",
                    self.day, closed, today)
        self.day = today
        self.tickets.clear()
        self.by_number.clear()
        self.lines = WaitingLines(self.hall.services)
        self.next_seqno = {sid: 1 for sid in self.hall.services}
        self.issued_today = {sid: 0 for sid in self.hall.services}
        self.stats = {sid: _ServiceStats() for sid in self.hall.services}
        self.used_codes.clear()
        self.calls.clear()
        self.announcements.clear()
        self._earlier.clear()
        self._emit("day_started", {"day": today})
        self._touched.update(self.hall.services)  # queue_changed where one was not empty
        return self._done({})

    # ------------------------------------------------------------------ issuing

    def _new_ticket(self, service: Service, priority: str, lang: str | None,
                    line_at: datetime, device: str | None) -> Ticket:
        seqno = self.next_seqno[service.id]
        number = ticket_number(service.prefix, seqno)
        while number in self.by_number:  # the hall file gave this prefix to another service
            seqno += 1  # during the day: a number a citizen holds is never given again
            number = ticket_number(service.prefix, seqno)
        ticket = Ticket(
            id=ticket_id(self.day, number), day=self.day, number=number, seqno=seqno,
            service=service.id, issued_service=service.id, state="waiting", priority=priority,
            issued_at=self._now(), line_at=self._line_time(line_at), line_ord=self._new_ord(),
            lang=lang, issued_by=device,
        )
        self.next_seqno[service.id] = seqno + 1
        self.issued_today[service.id] += 1
        self.tickets[ticket.id] = ticket
        self.by_number[number] = ticket
        self.lines.add(ticket)
        self._save(ticket)
        return ticket

    def hall_language(self, lang: str | None) -> str | None:
        """The hall's language a citizen chose (``zh``, ``zh-CN`` and ``ZH`` are ``zh``), or
        None if it is none of the hall's: the language is only recorded with the ticket, so
        an unknown one costs the citizen nothing."""
        if lang is None:
            return None
        primary = lang.replace("_", "-").split("-", 1)[0].lower()
        return primary if primary in self.hall.languages else None

    def issue(self, service_id: str, priority: str = "normal", lang: str | None = None,
              device: str | None = None) -> Outcome:
        service = self._service(service_id)
        lang = self.hall_language(lang)
        now = self._now()
        if not self.always_open and not hours.service_open(self.hall, service, now):
            spans = hours.describe(hours.spans_today(self.hall, service, now))
            when = ", ".join(spans) if spans else "not today"
            raise RequestError(Code.SERVICE_CLOSED,
                               f"{service.name} ({service.id}) is not taking tickets now; "
                               f"hours today: {when}")
        if service.daily_quota is not None and self.issued_today[service.id] >= service.daily_quota:
            raise RequestError(Code.QUOTA_REACHED, f"{service.name} ({service.id}) has issued all "
                               f"{service.daily_quota} tickets of today")
        ticket = self._new_ticket(service, priority, lang, now, device)
        view = self.ticket_view(ticket)
        data = {"ticket": view}  # the same object: the hub encodes it once
        self._emit("ticket_issued", data)
        logger.info("issued %s for %s (%s) by %s", ticket.number, service.id, priority, device)
        return self._done(data)

    def check_in(self, appointment: Appointment, device: str | None = None) -> Outcome:
        """Turn a booked appointment into an ``appointment`` ticket (30 min early to slot end)."""
        service = self.hall.services.get(appointment.service)
        if service is None:  # imported without the hall file to check it against
            raise RequestError(Code.INVALID_STATE, f"appointment {appointment.code} is for "
                               f"service '{appointment.service}', which this hall does not offer")
        now = self._now()
        if appointment.code in self.used_codes or appointment.ticket_id:
            # its ticket named: a citizen who lost it gets it reprinted at the desk
            taken = next((t.number for t in self.tickets.values()
                          if t.appointment == appointment.code), None)
            raise RequestError(Code.INVALID_STATE,
                               f"appointment {appointment.code} has already been checked in"
                               + (f": its ticket is {taken}" if taken else ""))
        # the hall day the slot is in: a slot before day_starts belongs to the day before
        slot_day = hours.hall_day(self.hall, appointment.slot_start).isoformat()
        if slot_day != self.day:
            local = appointment.slot_start.astimezone(self.hall.timezone)
            raise RequestError(Code.INVALID_STATE, f"appointment {appointment.code} is booked for "
                               f"{local:%Y-%m-%d %H:%M}, in the hall day of {slot_day}, "
                               f"not today ({self.day})")
        if now < appointment.slot_start - CHECK_IN_EARLY:
            local = appointment.slot_start.astimezone(self.hall.timezone)
            raise RequestError(Code.INVALID_STATE, f"appointment {appointment.code} is at "
                               f"{local:%H:%M}: check-in opens 30 minutes before")
        if now > appointment.slot_end:
            local = appointment.slot_end.astimezone(self.hall.timezone)
            raise RequestError(Code.INVALID_STATE, f"appointment {appointment.code} ended at "
                               f"{local:%H:%M}: please take an ordinary ticket")
        # its place in line is its check-in, as for any ticket (protocol.md: "issue time");
        # the appointment class puts it before ordinary tickets
        ticket = self._new_ticket(service, "appointment", None, now, device)
        ticket.appointment = appointment.code
        self.used_codes.add(appointment.code)
        view = self.ticket_view(ticket)
        data = {"ticket": view}  # the same object: the hub encodes it once
        self._emit("ticket_issued", data)
        logger.info("checked in appointment %s as %s", appointment.code, ticket.number)
        return self._done(data)

    # ------------------------------------------------------------------ the window's clerk

    def sign_in(self, number: int, clerk: Clerk) -> Outcome:
        window = self._window(number, signed_in=False)
        if window.clerk == clerk.id:
            return self._done({"window": self.window_view(number)})
        for other in self.windows.values():
            if other.clerk == clerk.id and other.number != number:
                self._close_window(other)
        if window.current:
            self._finish(self.tickets[window.current], window)
        window.clerk, window.clerk_name = clerk.id, clerk.name
        if window.state == "closed":
            window.state, window.reason = "open", None
        window.since = self._now()
        self._save_window(window)
        logger.info("window %d: clerk %s signed in", number, clerk.id)
        return self._done({"window": self.window_view(number)})

    def _close_window(self, window: WindowState) -> None:
        if window.current:
            self._finish(self.tickets[window.current], window)
        logger.info("window %d: clerk %s signed out", window.number, window.clerk)
        window.state, window.clerk, window.clerk_name, window.reason = "closed", None, None, None
        window.since = self._now()
        self._save_window(window)

    def sign_out(self, number: int) -> Outcome:
        window = self._window(number)
        self._close_window(window)
        return self._done({"window": self.window_view(number)})

    def pause(self, number: int, reason: str | None = None) -> Outcome:
        window = self._window(number)
        if window.state == "paused":
            raise RequestError(Code.INVALID_STATE, f"window {number} is already paused")
        window.state, window.reason, window.since = "paused", reason or None, self._now()
        self._save_window(window)
        logger.info("window %d paused (%s)", number, reason or "no reason given")
        return self._done({"window": self.window_view(number)})

    def resume(self, number: int) -> Outcome:
        window = self._window(number)
        if window.state != "paused":
            raise RequestError(Code.INVALID_STATE, f"window {number} is not paused")
        window.state, window.reason, window.since = "open", None, self._now()
        self._save_window(window)
        logger.info("window %d resumed", number)
        return self._done({"window": self.window_view(number)})

    # ------------------------------------------------------------------ calling

    def next_for(self, number: int) -> Ticket | None:
        """The ticket window ``number`` would call next (see "Who is called next")."""
        spec = self.hall.windows[number]
        direct = self.lines.head_of_window(number)
        if direct is not None:
            return direct
        heads = [t for t in (self.lines.head_of_service(sid) for sid in spec.serves) if t]
        if spec.policy == "ordered":
            return heads[0] if heads else None
        return min(heads, key=lambda t: t.class_key()) if heads else None

    def _callable(self, number: int) -> WindowState:
        window = self._window(number)
        if window.state == "paused":
            raise RequestError(Code.INVALID_STATE, f"window {number} is paused: resume it to call")
        return window

    def _call(self, window: WindowState, ticket: Ticket) -> Outcome:
        if window.current:
            self._finish(self.tickets[window.current], window)
        now = self._now()
        self._unqueue(ticket)
        ticket.state, ticket.window, ticket.calls = "called", window.number, 1
        ticket.called_at, ticket.clerk, ticket.first, ticket.to_window = now, window.clerk, False, None
        window.current = ticket.id
        self.calls.append((ticket.id, window.number, now))
        del self.calls[:-CALLS_KEPT]
        self._save(ticket)
        view = self.ticket_view(ticket)
        self._emit("ticket_called", {"ticket": view, "window": window.number, "calls": 1})
        self._save_window(window)
        logger.info("window %d calls %s", window.number, ticket.number)
        return self._done({"ticket": view})

    def call_next(self, number: int) -> Outcome:
        window = self._callable(number)
        ticket = self.next_for(number)
        if ticket is None:
            serves = ", ".join(self.hall.windows[number].serves)
            raise RequestError(Code.QUEUE_EMPTY, f"nobody is waiting for window {number} "
                               f"({serves})")
        return self._call(window, ticket)

    def call_number(self, number: int, ticket_number_: str) -> Outcome:
        window = self._callable(number)
        ticket = self.ticket(ticket_number_)
        if ticket.state != "waiting":
            raise RequestError(Code.INVALID_STATE, f"{ticket.number} is {ticket.state}, "
                               "not waiting: only a waiting ticket can be called")
        return self._call(window, ticket)

    def recall(self, number: int) -> Outcome:
        window = self._window(number)
        ticket = self._current(window, ("called",), "recall")
        ticket.calls += 1
        now = self._now()
        self.calls.append((ticket.id, number, now))
        del self.calls[:-CALLS_KEPT]
        self._save(ticket)
        view = self.ticket_view(ticket)
        self._emit("ticket_called", {"ticket": view, "window": number, "calls": ticket.calls})
        logger.info("window %d recalls %s (call %d)", number, ticket.number, ticket.calls)
        return self._done({"ticket": view})

    def start(self, number: int) -> Outcome:
        window = self._window(number)
        ticket = self._current(window, ("called",), "start serving")
        ticket.state, ticket.started_at = "serving", self._now()
        self._save(ticket)
        view = self.ticket_view(ticket)
        self._emit("ticket_started", {"ticket": view})
        self._save_window(window)
        logger.info("window %d starts serving %s", number, ticket.number)
        return self._done({"ticket": view})

    def no_show(self, number: int) -> Outcome:
        window = self._window(number)
        ticket = self._current(window, ("called",), "mark as no-show")
        ticket.state, ticket.finished_at = "no_show", self._now()
        window.current = None
        self._save(ticket)
        view = self.ticket_view(ticket)
        self._emit("ticket_no_show", {"ticket": view})
        self._save_window(window)
        logger.info("window %d: %s did not come (no-show)", number, ticket.number)
        return self._done({"ticket": view})

    def _finish(self, ticket: Ticket, window: WindowState) -> None:
        ticket.state, ticket.finished_at = "done", self._now()
        window.current = None
        self._observe(ticket)
        self._save(ticket)
        self._emit("ticket_finished", {"ticket": self.ticket_view(ticket)})
        self._dirty_windows.add(window.number)
        logger.info("window %d finished %s", window.number, ticket.number)

    def finish(self, number: int) -> Outcome:
        window = self._window(number)
        ticket = self._current(window, ("called", "serving"), "finish")
        self._finish(ticket, window)
        self._save_window(window)
        return self._done({"ticket": self.ticket_view(ticket)})

    # ------------------------------------------------------------------ moving tickets

    def _move(self, ticket: Ticket, to_service: str | None, to_window: int | None,
              position: str, window: WindowState | None) -> Outcome:
        from_service, from_window = ticket.service, ticket.window
        self._unqueue(ticket)
        self._touched.add(from_service)
        if window is not None:
            window.current = None
        if to_service is not None:
            ticket.service, ticket.to_window = to_service, None
        else:
            ticket.to_window = to_window
        self._queue(ticket, position)
        self._save(ticket)
        view = self.ticket_view(ticket)
        self._emit("ticket_transferred", {"ticket": view, "from_service": from_service,
                                          "from_window": from_window})
        if window is not None:
            self._save_window(window)
        logger.info("%s moved from %s/window %s to %s (%s)", ticket.number, from_service,
                    from_window, to_service or f"window {to_window}", position)
        return self._done({"ticket": view})

    def _check_target(self, to_service: str | None, to_window: int | None) -> None:
        if to_service is not None:
            self._service(to_service)
        elif to_window is not None and to_window not in self.windows:
            raise RequestError(Code.NOT_FOUND, f"there is no window {to_window} in this hall")

    def transfer(self, number: int, to_service: str | None = None, to_window: int | None = None,
                 position: str = "last", meant: str | None = None) -> Outcome:
        window = self._window(number)
        self._check_target(to_service, to_window)
        ticket = self._current(window, ("called", "serving"), "transfer")
        if meant is not None and self.today(meant) is not ticket:  # "c001" as any op takes it
            raise RequestError(Code.INVALID_STATE, f"window {number} now calls {ticket.number}, "
                               f"not {meant}: nothing was transferred")
        # the service done here stays in the reports as the ticket's leg at this window
        now = self._now()
        leg = Leg(service=ticket.service, window=number, clerk=ticket.clerk,
                  queued_at=ticket.queued_at, called_at=ticket.called_at or now,
                  started_at=ticket.started_at, ended_at=now)
        ticket.legs = (*ticket.legs, leg)
        ticket.clerk = None
        self._observe_leg(leg)
        return self._move(ticket, to_service, to_window, position, window)

    def reassign(self, ref: str, to_service: str | None = None, to_window: int | None = None,
                 position: str = "keep") -> Outcome:
        ticket = self.ticket(ref)
        self._check_target(to_service, to_window)
        if ticket.state != "waiting":
            raise RequestError(Code.INVALID_STATE, f"{ticket.number} is {ticket.state}: only a "
                               "waiting ticket can be reassigned")
        return self._move(ticket, to_service, to_window, position, None)

    def prioritise(self, ref: str) -> Outcome:
        ticket = self.ticket(ref)
        if ticket.state != "waiting":
            raise RequestError(Code.INVALID_STATE, f"{ticket.number} is {ticket.state}: only a "
                               "waiting ticket can be given priority")
        if ticket.priority == "green":
            raise RequestError(Code.INVALID_STATE, f"{ticket.number} already has priority")
        ticket.priority = "green"
        self.lines.add(ticket)  # a new place in line
        self._save(ticket)
        view = self.ticket_view(ticket)
        self._emit("ticket_prioritised", {"ticket": view})
        logger.info("%s given priority (green channel)", ticket.number)
        return self._done({"ticket": view})

    def reinstate(self, ref: str, position: str = "first") -> Outcome:
        ticket = self.ticket(ref)
        if ticket.state != "no_show":
            raise RequestError(Code.INVALID_STATE, f"{ticket.number} is {ticket.state}: only a "
                               "missed (no-show) ticket can be reinstated")
        ticket.finished_at, ticket.to_window = None, None
        self._queue(ticket, position)
        self._save(ticket)
        view = self.ticket_view(ticket)
        self._emit("ticket_reinstated", {"ticket": view})
        logger.info("%s reinstated (%s)", ticket.number, position)
        return self._done({"ticket": view})

    def cancel(self, ref: str, reason: str | None = None) -> Outcome:
        ticket = self.ticket(ref)
        if ticket.state in ("done", "cancelled"):
            raise RequestError(Code.INVALID_STATE, f"{ticket.number} is already {ticket.state}")
        self._unqueue(ticket)
        window = next((w for w in self.windows.values() if w.current == ticket.id), None)
        ticket.state, ticket.reason, ticket.finished_at = "cancelled", reason or "desk", self._now()
        self._save(ticket)
        view = self.ticket_view(ticket)
        self._emit("ticket_cancelled", {"ticket": view})
        if window is not None:
            window.current = None
            self._save_window(window)
        logger.info("%s cancelled (%s)", ticket.number, ticket.reason)
        return self._done({"ticket": view})

    # ------------------------------------------------------------------ the rest

    def rate(self, ref: str, score: int, window: int | None = None) -> Outcome:
        """A citizen's rating of a finished ticket. ``window``: the counter's own window, which
        must be the one that served it and have a clerk signed in (as for its other ops)."""
        ticket = self.ticket(ref)
        if ticket.state != "done":
            raise RequestError(Code.INVALID_STATE, f"{ticket.number} is {ticket.state}: only a "
                               "finished ticket can be rated")
        if window is not None and ticket.window != window:
            raise RequestError(Code.FORBIDDEN, f"{ticket.number} was served at window "
                               f"{ticket.window}, not {window}: a window rates only its own tickets")
        if window is not None:
            self._window(window)  # a clerk signed in there
        if ticket.score is not None:
            raise RequestError(Code.INVALID_STATE, f"{ticket.number} has already been rated")
        ticket.score = score
        self._save(ticket)
        view = self.ticket_view(ticket)
        self._emit("ticket_rated", {"ticket": view, "score": score})
        logger.info("%s rated %d at window %s", ticket.number, score, ticket.window)
        return self._done({"ticket": view})

    def follow_up(self, ref: str, note: str, by: str | None = None,
                  stored: Ticket | None = None) -> Outcome:
        """Record how a "dissatisfied" rating was followed up (once). ``stored`` is the ticket
        as the store has it when it is not one of today's: a follow-up often comes days after
        the rating."""
        ticket = (self._earlier.setdefault(stored.id, stored) if stored is not None
                  else self.ticket(ref))
        note = note.strip()
        if not visible(note):
            raise RequestError(Code.BAD_REQUEST, "follow_up: 'note' is blank: say what was done")
        if ticket.score != 1:
            rated = "was not rated" if ticket.score is None else f"was rated {ticket.score}"
            raise RequestError(Code.INVALID_STATE, f"{ticket.number} of {ticket.day} {rated}: "
                               "only a ticket rated dissatisfied (1) is followed up")
        if ticket.followed_up_at is not None:
            raise RequestError(Code.INVALID_STATE, f"{ticket.number} of {ticket.day} was "
                               f"followed up already ({iso(ticket.followed_up_at)})")
        ticket.follow_up_note, ticket.followed_up_by = note, by
        ticket.followed_up_at = self._now()
        self._dirty_tickets[ticket.id] = ticket
        view = self.ticket_view(ticket)
        self._emit("ticket_followed_up", {"ticket": view, "follow_up": ticket.follow_up_view()})
        logger.info("%s of %s followed up by %s: %s", ticket.number, ticket.day, by, note)
        return self._done({"ticket": view})

    def find(self, ref: str) -> Outcome:
        return self._done({"ticket": self.ticket_view(self.ticket(ref))})

    def window_figures(self, number: int) -> Outcome:
        """Today's figures of the clerk signed in at a window, over the tickets called to that
        window by that clerk (as the reports count them): what the clerk's screen shows, the
        same after a restart of the counter as before. Nobody signed in: ``clerk`` null and
        figures of no ticket."""
        window = self._window(number, signed_in=False)
        clerk = window.clerk
        figures = (reports.window_figures(self.tickets.values(), number, clerk) if clerk
                   else reports.figures(()))
        return self._done({"window": number, "clerk": clerk, "day": self.day,
                           "figures": figures})

    def announce(self, text: str, lang: str | None = None) -> Outcome:
        text = text.strip()
        if not visible(text):
            raise RequestError(Code.BAD_REQUEST, "announce: 'text' is blank")
        lang = lang or self.hall.languages[0]
        if lang not in self.hall.languages:  # the displays would have no voice to say it in
            raise RequestError(Code.BAD_REQUEST, f"announce: lang '{lang}' is not one of the "
                               f"hall's languages ({', '.join(self.hall.languages)})")
        self._emit("announcement", {"text": text, "lang": lang})
        self.announcements = [(text, lang, self._now()), *self.announcements][:ANNOUNCEMENTS_KEPT]
        logger.info("announcement (%s): %s", lang, text)
        return self._done({})

    def report_device(self, device: str, status: dict[str, Any]) -> Outcome:
        """A device's parts as it last reported each; the newest STATUS_PARTS_MAX are kept, so
        a device sending ever new names cannot swell every staff snapshot."""
        known = self.device_status.get(device, {})
        merged = {key: value for key, value in known.items() if key not in status}
        merged.update(status)  # the parts just reported are the newest
        self.device_status[device] = dict(list(merged.items())[-STATUS_PARTS_MAX:])
        self._emit("device_alert", {"device": device, "status": status})
        logger.info("device %s reports %s", device, status)
        return self._done({})

