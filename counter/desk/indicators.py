"""The hall's live indicators and the alerts a hall manager must see (电子监察).

Pure: :class:`HallWatch` mirrors what the desk was told (the snapshot, the events after it and
today's report figures) and :func:`compute` turns that, the targets and the time from a
``hub.clock.Clock`` into :class:`Indicators`. No Qt, no network; :func:`load_targets` is the one
place that reads a file (the desk settings TOML given with ``--settings``)::

    [targets]
    max_wait_min = 30          # alert when someone has waited longer (minutes)
    max_pause_min = 15         # alert when a window has been paused longer (minutes)
    dissatisfied = true        # alert on every "dissatisfied" rating
    unserved = true            # alert when people wait for a service no open window calls

    [targets.max_wait_by_service]   # stricter or looser promises for single services
    realty = 45
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from counter.desk.errors import SettingsError
from hub.protocol import WAIT_TARGET_MAX
from hub.reports import share
from hub.settings_file import read_toml

logger = logging.getLogger(__name__)

Level = Literal["ok", "warning", "alarm"]

# what a device may say about one of its parts (kiosk printers: kiosk.printer_status.PrinterStatus)
OK_VALUES = frozenset({"ok", "online", "ready", "normal", "connected", "true"})
WARNING_VALUES = frozenset({"paper_near_end", "near_end", "low", "unknown", "degraded"})


# ---------------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class Targets:
    """The hall's published promises, as the desk alerts on them."""

    max_wait_min: float = 30.0
    max_pause_min: float = 15.0
    max_wait_by_service: Mapping[str, float] = field(default_factory=dict)
    dissatisfied: bool = True
    unserved: bool = True

    def wait_target(self, service: str) -> float:
        return self.max_wait_by_service.get(service, self.max_wait_min)


# a target longer than a day is a mistake (nan and inf included); the waiting ones go to the
# hub with each report, which takes none longer
MINUTES_MAX = WAIT_TARGET_MAX


def _minutes(value: Any, where: str) -> float:
    if (isinstance(value, bool) or not isinstance(value, int | float)
            or not 0 < value <= MINUTES_MAX):  # False for nan too
        raise SettingsError(f"{where} must be a number of minutes above 0 and at most "
                            f"{MINUTES_MAX}, not {value!r}")
    return float(value)


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise SettingsError(f"{where} must be true or false, not {value!r}")
    return value


def targets_from_dict(data: Mapping[str, Any], source: str = "settings") -> Targets:
    """Targets from the parsed settings; raises SettingsError naming the bad key."""
    misspelt = sorted(set(data) - {"targets"})
    if misspelt:
        raise SettingsError(f"{source}: unknown {', '.join(misspelt)} (the desk settings have "
                            "one table, [targets])")
    section = data.get("targets", {})
    if not isinstance(section, dict):
        raise SettingsError(f"{source}: [targets] must be a table")
    known = {"max_wait_min", "max_pause_min", "max_wait_by_service", "dissatisfied", "unserved"}
    unknown = sorted(set(section) - known)
    if unknown:
        raise SettingsError(f"{source}: unknown key(s) in [targets]: {', '.join(unknown)} "
                            f"(known: {', '.join(sorted(known))})")
    defaults = Targets()
    by_service_raw = section.get("max_wait_by_service", {})
    if not isinstance(by_service_raw, dict):
        raise SettingsError(f"{source}: [targets.max_wait_by_service] must be a table of "
                            "service = minutes")
    by_service = {str(sid): _minutes(v, f"{source}: targets.max_wait_by_service.{sid}")
                  for sid, v in by_service_raw.items()}
    return Targets(
        max_wait_min=_minutes(section.get("max_wait_min", defaults.max_wait_min),
                              f"{source}: targets.max_wait_min"),
        max_pause_min=_minutes(section.get("max_pause_min", defaults.max_pause_min),
                               f"{source}: targets.max_pause_min"),
        max_wait_by_service=by_service,
        dissatisfied=_flag(section.get("dissatisfied", True), f"{source}: targets.dissatisfied"),
        unserved=_flag(section.get("unserved", True), f"{source}: targets.unserved"),
    )


def load_targets(path: str | Path | None) -> Targets:
    """The targets in the desk settings file, or the defaults when there is none."""
    if path is None:
        return Targets()
    data = read_toml(path, "desk settings file", SettingsError)
    return targets_from_dict(data, str(path))


# ---------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class ServiceLine:
    id: str
    waiting: int
    longest_wait_min: int | None  # of those waiting now
    longest_number: str | None
    over_target: int  # how many have waited longer than the target
    open_windows: int
    target_min: float


@dataclass(frozen=True)
class WindowLine:
    number: int
    state: str  # closed | open | paused
    clerk_name: str | None
    reason: str | None
    for_min: int | None  # minutes in this state
    since_exact: bool  # False: the desk first saw it so, it may be longer
    current: str | None  # number being called or served
    over_limit: bool  # paused longer than the target


@dataclass(frozen=True)
class DeviceLine:
    device: str
    part: str
    value: str
    level: Level


@dataclass(frozen=True)
class FollowUp:
    """A "dissatisfied" rating to follow up, and how it was (``at`` is None until then)."""

    ticket: str  # its number
    day: str
    service: str
    window: int | None
    clerk: str | None
    id: str = ""  # the ticket's id: names it on any day
    note: str | None = None
    at: str | None = None  # ISO 8601, when the follow-up was recorded
    by: str | None = None  # the desk that recorded it

    @property
    def done(self) -> bool:
        return self.at is not None

    def with_follow_up(self, follow_up: Mapping[str, Any] | None) -> FollowUp:
        if not isinstance(follow_up, Mapping):
            return self
        return replace(self, note=_text_or_none(follow_up.get("note")),
                       at=_text_or_none(follow_up.get("at")),
                       by=_text_or_none(follow_up.get("by")))


def _follow_key(item: FollowUp) -> str:
    return item.id or f"{item.day}/{item.ticket}"


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def follow_ups_of(report: Mapping[str, Any], day: str = "") -> list[FollowUp]:
    """The report's "dissatisfied" list as FollowUps."""
    out = []
    for item in report.get("dissatisfied") or []:
        if isinstance(item, Mapping):
            window = item.get("window")
            out.append(FollowUp(
                str(item.get("ticket")), str(item.get("day") or day), str(item.get("service")),
                window if isinstance(window, int) else None, _text_or_none(item.get("clerk")),
                str(item.get("id") or "")).with_follow_up(item.get("follow_up")))
    return out


@dataclass(frozen=True)
class Moved:
    """Where a waiting ticket came from when it was moved (a clerk's transfer, a desk's
    reassign): ``from_window`` None when it was moved from the line, not from a window;
    both None when the desk only knows that it was moved (see ``DeskModel.moved_from``)."""

    from_service: str | None
    from_window: int | None


@dataclass(frozen=True)
class Alert:
    key: str  # stable while the same thing is wrong; acknowledging hides this key
    kind: str  # long_wait | long_pause | unserved | held | device | offline | dissatisfied
    level: Level
    params: Mapping[str, Any]


@dataclass(frozen=True)
class Indicators:
    services: tuple[ServiceLine, ...] = ()
    windows: tuple[WindowLine, ...] = ()
    devices: tuple[DeviceLine, ...] = ()
    devices_online: tuple[int, int] | None = None  # connected, enrolled (None: not known yet)
    waiting_total: int = 0
    longest_wait_min: int | None = None
    windows_open: int = 0
    windows_paused: int = 0
    windows_closed: int = 0
    no_shows: int | None = None  # None: today's figures not known yet
    ratings: Mapping[int, int] = field(default_factory=dict)  # score -> count today
    rated: int = 0
    # 满意率 as 好差评 counts it: every rating but "dissatisfied" (basically satisfied included)
    satisfaction: float | None = None
    follow_ups: tuple[FollowUp, ...] = ()
    alerts: tuple[Alert, ...] = ()


# ---------------------------------------------------------------------------------- the mirror


def parse_time(text: Any) -> datetime | None:
    """An ISO 8601 time from the hub, or None."""
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def device_level(value: Any) -> Level:
    if value is None or value is True:
        return "ok"
    if value is False:
        return "alarm"
    text = str(value).strip().lower()
    if text in OK_VALUES:
        return "ok"
    if text in WARNING_VALUES:
        return "warning"
    return "alarm"


@dataclass
class _WindowSince:
    state: str
    since: datetime
    exact: bool


class HallWatch:
    """What the desk knows of the hall: the snapshot, patched by the events that follow it."""

    def __init__(self) -> None:
        self.day = ""
        self.seq = 0
        self.snapshot: dict[str, Any] = {}
        self.services: dict[str, dict[str, Any]] = {}
        self.windows: dict[int, dict[str, Any]] = {}
        self.waiting: dict[str, dict[str, Any]] = {}  # ticket id -> ticket, in the hub's order
        self.devices: dict[str, dict[str, Any]] = {}
        # the enrolled devices and whether each is connected (op devices); None: not asked yet
        self.connections: dict[str, Mapping[str, Any]] | None = None
        self.missed: dict[str, dict[str, Any]] = {}  # no-shows seen today, not reinstated
        self.moved: dict[str, Moved] = {}  # ticket id -> where it was last moved from today
        self.clerk_names: dict[str, str] = {}  # seen signed in at a window
        self.clerks_heard: dict[str, str] = {}  # named by the hub's reports and follow-ups
        self._since: dict[int, _WindowSince] = {}
        self._report: dict[str, Any] | None = None
        self._no_show_delta = 0
        self._rating_delta: dict[int, int] = {}
        self._follow_extra: list[FollowUp] = []
        self._followed: dict[str, Mapping[str, Any]] = {}  # ticket id -> its follow-up
        # the hub's unanswered "dissatisfied" ratings of the last days (op follow_ups), and
        # those of the days the desk saw end: kept until each is followed up
        self._open: list[FollowUp] = []

    # ------------------------------------------------------------------ feeding

    def apply_snapshot(self, seq: int, snapshot: Mapping[str, Any], now: datetime) -> None:
        day = str(snapshot.get("day", ""))
        if day != self.day:
            self._new_day(day)
        self.seq = seq
        self.snapshot = dict(snapshot)
        self.services = {str(s["id"]): dict(s) for s in snapshot.get("services", [])}
        self.windows = {}
        for window in snapshot.get("windows", []):
            self._set_window(window, now, exact=False)
        self.waiting = {str(t["id"]): dict(t) for t in snapshot.get("waiting", [])}
        for ticket_id in list(self.missed):
            if ticket_id in self.waiting:
                del self.missed[ticket_id]
        devices = snapshot.get("devices") or {}
        self.devices = {str(name): dict(status) for name, status in devices.items()
                        if isinstance(status, Mapping)}

    def apply_event(self, frame: Mapping[str, Any], now: datetime) -> bool:
        """Apply one event frame; False if it is older than what the desk already has."""
        seq = frame.get("seq")
        if isinstance(seq, int):
            if seq <= self.seq:
                return False
            self.seq = seq
        name = str(frame.get("event", ""))
        data: Mapping[str, Any] = frame.get("data") or {}
        at = parse_time(frame.get("at")) or now
        ticket = data.get("ticket")
        if isinstance(ticket, Mapping) and name.startswith("ticket_"):
            self._ticket_event(name, dict(ticket), data)
        if name == "queue_changed":
            service = self.services.get(str(data.get("service")))
            if service is not None:
                service["waiting"] = data.get("waiting", service.get("waiting"))
                service["est_wait_min"] = data.get("est_wait_min", service.get("est_wait_min"))
        elif name == "window_changed" and isinstance(data.get("window"), Mapping):
            self._set_window(data["window"], at, exact=True)
        elif name == "device_alert":
            device = str(data.get("device", "?"))
            status = data.get("status")
            if isinstance(status, Mapping):
                self.devices.setdefault(device, {}).update(status)
        elif name == "day_started":
            self._new_day(str(data.get("day", "")))
            self.waiting.clear()
            for service in self.services.values():
                service["waiting"] = 0
        return True

    def apply_devices(self, payload: Mapping[str, Any]) -> None:
        """The hub's list of enrolled devices, each connected or not (op ``devices``)."""
        listed = payload.get("devices") or []
        self.connections = {str(d["name"]): d for d in listed
                            if isinstance(d, Mapping) and "name" in d and not d.get("revoked")}

    def apply_report_today(self, report: Mapping[str, Any]) -> bool:
        """Take today's report figures as the base of the day's counts (events add to them)."""
        if report.get("from") != self.day or report.get("to") != self.day:
            return False
        self._report = dict(report)
        self.hear_clerks(report)
        self._no_show_delta = 0
        self._rating_delta = {}
        self._follow_extra = []
        return True

    def apply_follow_ups(self, result: Mapping[str, Any]) -> None:
        """Take the hub's unanswered "dissatisfied" ratings (op ``follow_ups``). One of them
        followed up since the desk last asked stays, shown followed up, until the day ends."""
        fresh = follow_ups_of(result)
        known = {_follow_key(f) for f in fresh}
        kept = [f for f in self._open if f.id in self._followed and _follow_key(f) not in known]
        self._open = sorted(kept + fresh, key=lambda f: f.day)
        self.hear_clerks(result)

    def hear_clerks(self, result: Mapping[str, Any]) -> None:
        """The clerks' names a report or the follow-ups name (by staff number)."""
        names = result.get("clerks")
        if isinstance(names, Mapping):
            self.clerks_heard.update({str(k): str(v) for k, v in names.items() if v})

    def clerk_label(self, clerk: str | None) -> str:
        """A clerk's name as the desk knows it, else the staff number ("-" for none)."""
        if not clerk:
            return "-"
        return self.clerk_names.get(clerk) or self.clerks_heard.get(clerk) or clerk

    @property
    def has_today(self) -> bool:
        return self._report is not None

    def _new_day(self, day: str) -> None:
        # what is still to follow up stays, with its day, until it is (or the hub says so)
        self._open = [f for f in self.follow_ups() if not f.done] if self.day else []
        self.day = day
        self.missed.clear()
        self.moved.clear()
        self._report = None
        self._no_show_delta = 0
        self._rating_delta = {}
        self._follow_extra = []
        self._followed = {}

    def _set_window(self, window: Mapping[str, Any], at: datetime, *, exact: bool) -> None:
        number = int(window["number"])
        self.windows[number] = dict(window)
        state = str(window.get("state", "closed"))
        given = parse_time(window.get("since"))
        if window.get("clerk") and window.get("clerk_name"):
            self.clerk_names[str(window["clerk"])] = str(window["clerk_name"])
        known = self._since.get(number)
        if given is not None:
            self._since[number] = _WindowSince(state, given, True)
        elif known is None or known.state != state:
            self._since[number] = _WindowSince(state, at, exact)

    def _ticket_event(self, name: str, ticket: dict[str, Any], data: Mapping[str, Any]) -> None:
        ticket_id = str(ticket.get("id"))
        if ticket.get("state") == "waiting":
            if ticket_id in self.waiting:
                self.waiting[ticket_id] = ticket
            elif name == "ticket_reinstated" and ticket.get("ahead") == 0:
                self.waiting = {ticket_id: ticket, **self.waiting}
            else:
                self.waiting[ticket_id] = ticket
        else:
            self.waiting.pop(ticket_id, None)
        if name == "ticket_no_show":
            self.missed[ticket_id] = ticket
            self._no_show_delta += 1
        elif name == "ticket_reinstated":
            self.missed.pop(ticket_id, None)
            self._no_show_delta -= 1
        elif name == "ticket_cancelled":
            self.missed.pop(ticket_id, None)
        elif name == "ticket_transferred":
            self.moved[ticket_id] = _moved_of(data)
        elif name == "ticket_followed_up" and isinstance(data.get("follow_up"), Mapping):
            self._followed[ticket_id] = data["follow_up"]
        elif name == "ticket_rated":
            score = data.get("score", ticket.get("score"))
            if isinstance(score, int) and 1 <= score <= 4:
                self._rating_delta[score] = self._rating_delta.get(score, 0) + 1
                if score == 1:
                    self._follow_extra.append(FollowUp(
                        str(ticket.get("number")), self.day, str(ticket.get("service")),
                        ticket.get("window"), ticket.get("clerk"), ticket_id))

    def window_state_for(self, service: str, to_window: Any = None) -> str:
        """Whether a ticket of ``service`` (sent to window ``to_window``, if any) would be
        called now: "open" if a window that calls it is open, else "paused" if one is
        paused (it is called once that resumes), else "closed" (nobody signed in)."""
        if isinstance(to_window, int) and not isinstance(to_window, bool):
            windows = [self.windows.get(to_window) or {}]
        else:
            windows = [w for w in self.windows.values() if service in w.get("serves", [])]
        states = {str(w.get("state", "closed")) for w in windows}
        return next((s for s in ("open", "paused") if s in states), "closed")

    # ------------------------------------------------------------------ today's counts

    def no_shows(self) -> int | None:
        if self._report is None:
            return None
        return max(0, int(self._report["total"].get("no_show", 0)) + self._no_show_delta)

    def ratings(self) -> dict[int, int]:
        base: Mapping[str, Any] = (self._report or {}).get("total", {}).get("ratings", {})
        return {score: int(base.get(str(score), 0)) + self._rating_delta.get(score, 0)
                for score in (1, 2, 3, 4)}

    def follow_ups(self) -> list[FollowUp]:
        """The "dissatisfied" ratings to show, oldest day first: those of earlier days not yet
        followed up (or followed up today), then today's (today's report and those rated
        since), each with its follow-up as last heard of."""
        out = follow_ups_of(self._report or {}, self.day)
        seen = {_follow_key(f) for f in out}
        out += [f for f in self._follow_extra if _follow_key(f) not in seen]
        seen = {_follow_key(f) for f in out}
        out = sorted([f for f in self._open if _follow_key(f) not in seen] + out,
                     key=lambda f: f.day)
        return [f.with_follow_up(self._followed.get(f.id)) if f.id else f for f in out]

    def window_since(self, number: int) -> tuple[datetime, bool] | None:
        known = self._since.get(number)
        return (known.since, known.exact) if known else None


def _moved_of(data: Mapping[str, Any]) -> Moved:
    """Where a ``ticket_transferred`` event says the ticket came from."""
    service, window = data.get("from_service"), data.get("from_window")
    return Moved(str(service) if service else None,
                 window if isinstance(window, int) and not isinstance(window, bool) else None)


# ---------------------------------------------------------------------------------- computing


def _whole_minutes(since: datetime | None, now: datetime) -> int | None:
    if since is None:
        return None
    return max(0, int((now - since).total_seconds() // 60))


def waiting_since(ticket: Mapping[str, Any]) -> datetime | None:
    """When a ticket began to wait for its current service: its issue, or, sent on from
    another service's window, then (the hub's ``queued_at``; the reports count from it too)."""
    return parse_time(ticket.get("queued_at")) or parse_time(ticket.get("issued_at"))


def waited_min(ticket: Mapping[str, Any], now: datetime) -> int | None:
    """Whole minutes a ticket has waited for its current service."""
    return _whole_minutes(waiting_since(ticket), now)


def _held_for_closed_windows(watch: HallWatch) -> list[Alert]:
    """Tickets sent to one window (reassigned or transferred there) while nobody is signed in
    at it: no other window calls them, so they wait until someone opens it."""
    held: dict[int, list[str]] = {}
    for ticket in watch.waiting.values():
        to_window = ticket.get("to_window")
        if isinstance(to_window, int) and not isinstance(to_window, bool):
            state = (watch.windows.get(to_window) or {}).get("state", "closed")
            if state == "closed":
                held.setdefault(to_window, []).append(str(ticket.get("number")))
    alerts = []
    for number, tickets in sorted(held.items()):
        window = watch.windows.get(number) or {}
        alerts.append(Alert(f"held:{number}", "held", "warning", {
            "window": number, "name": window.get("name", ""), "name_en": window.get("name_en"),
            "count": len(tickets), "number": min(tickets)}))
    return alerts


def compute(watch: HallWatch, targets: Targets, now: datetime) -> Indicators:
    """The live indicators and every alert that holds at ``now``."""
    by_service: dict[str, list[tuple[int, str]]] = {}
    sent_to_a_window: dict[str, int] = {}
    # the longest waiting first: waits are whole minutes, and among equal ones the first in
    # line is the one to name
    for ticket in sorted(watch.waiting.values(),
                         key=lambda t: waiting_since(t) or now):
        of = str(ticket.get("service"))
        by_service.setdefault(of, []).append((waited_min(ticket, now) or 0,
                                              str(ticket.get("number"))))
        if ticket.get("to_window"):
            sent_to_a_window[of] = sent_to_a_window.get(of, 0) + 1
    alerts: list[Alert] = []

    services: list[ServiceLine] = []
    for sid, service in watch.services.items():
        waits = by_service.get(sid, [])
        longest = max(waits, key=lambda wait: wait[0], default=None)  # the first of equals
        target = targets.wait_target(sid)
        over = sum(1 for minutes, _ in waits if minutes > target)
        open_windows = sum(1 for w in watch.windows.values()
                           if w.get("state") == "open" and sid in w.get("serves", []))
        waiting = max(int(service.get("waiting") or 0), len(waits))
        line = ServiceLine(sid, waiting, longest[0] if longest else None,
                           longest[1] if longest else None, over, open_windows, target)
        services.append(line)
        names = {"service": service.get("name", sid), "service_en": service.get("name_en")}
        if over and longest is not None:
            alerts.append(Alert(f"long_wait:{sid}:{longest[1]}", "long_wait", "alarm", {
                **names, "count": over, "number": longest[1], "minutes": longest[0],
                "target": round(target)}))
        # those sent to one window wait for it, not for this service's windows (a closed one
        # is the "held" alert below)
        for_the_service = waiting - sent_to_a_window.get(sid, 0)
        if targets.unserved and for_the_service > 0 and not open_windows:
            alerts.append(Alert(f"unserved:{sid}", "unserved", "warning",
                                {**names, "count": for_the_service}))

    if targets.unserved:
        alerts += _held_for_closed_windows(watch)

    windows: list[WindowLine] = []
    for number, window in sorted(watch.windows.items()):
        state = str(window.get("state", "closed"))
        since = watch.window_since(number)
        for_min = _whole_minutes(since[0], now) if since else None
        over = (state == "paused" and for_min is not None and for_min >= targets.max_pause_min)
        current = window.get("current")
        windows.append(WindowLine(
            number, state, window.get("clerk_name"), window.get("reason"), for_min,
            since[1] if since else False,
            str(current["number"]) if isinstance(current, Mapping) else None, over))
        if over and since is not None:
            alerts.append(Alert(f"long_pause:{number}:{since[0].isoformat()}", "long_pause",
                                "alarm", {"window": number, "name": window.get("name"),
                                          "name_en": window.get("name_en"),
                                          "minutes": for_min, "exact": since[1],
                                          "reason": window.get("reason") or "",
                                          "limit": round(targets.max_pause_min)}))

    devices = _connection_lines(watch, alerts)
    for device, status in sorted(watch.devices.items()):
        for part, value in sorted(status.items()):
            level = device_level(value)
            text = "" if value is None else str(value).lower()
            devices.append(DeviceLine(device, part, text, level))
            if level != "ok":
                alerts.append(Alert(f"device:{device}:{part}:{text}", "device", level,
                                    {"device": device, "part": part, "status": text}))

    follow_ups = watch.follow_ups()
    if targets.dissatisfied:
        for follow in follow_ups:
            if follow.done:
                continue
            alerts.append(Alert(f"dissatisfied:{follow.day}:{follow.ticket}", "dissatisfied",
                                "alarm", {"number": follow.ticket, "service": _service_name(
                                    watch, follow.service), "service_en": _service_name(
                                    watch, follow.service, "name_en"),
                                    "window": follow.window if follow.window is not None else "-",
                                    "clerk": watch.clerk_label(follow.clerk),
                                    "day": follow.day, "today": follow.day == watch.day}))

    ratings = watch.ratings()
    rated = sum(ratings.values())
    satisfied = ratings[2] + ratings[3] + ratings[4]  # only "dissatisfied" is a bad rating
    states = [w.state for w in windows]
    all_waits = [minutes for waits in by_service.values() for minutes, _ in waits]
    order = {"alarm": 0, "warning": 1, "ok": 2}
    alerts.sort(key=lambda a: order[a.level])
    return Indicators(
        services=tuple(services), windows=tuple(windows), devices=tuple(devices),
        devices_online=(None if watch.connections is None else (
            sum(bool(d.get("connected")) for d in watch.connections.values()),
            len(watch.connections))),
        waiting_total=sum(s.waiting for s in services),
        longest_wait_min=max(all_waits, default=None),
        windows_open=states.count("open"), windows_paused=states.count("paused"),
        windows_closed=states.count("closed"),
        no_shows=watch.no_shows(), ratings=ratings, rated=rated,
        satisfaction=share(satisfied, rated),
        follow_ups=tuple(follow_ups), alerts=tuple(alerts),
    )


#: the devices that stay connected all day: one of them gone is an alarm (a desk or an admin
#: console is closed when its user leaves)
ALWAYS_ON = frozenset({"display", "kiosk", "counter"})


def _connection_lines(watch: HallWatch, alerts: list[Alert]) -> list[DeviceLine]:
    """Each enrolled device's connection: a screen, kiosk or counter that was connected today
    and is not now (a hall screen gone dark, a kiosk switched off) is an alarm; one not seen
    today is listed, not alarmed (a spare, or one not switched on yet), and so is a desk or
    console closed."""
    lines: list[DeviceLine] = []
    for device, known in sorted((watch.connections or {}).items()):
        if known.get("connected"):
            lines.append(DeviceLine(device, "connection", "connected", "ok"))
        elif known.get("since") and known.get("role") not in ALWAYS_ON:
            lines.append(DeviceLine(device, "connection", "closed", "ok"))
        elif known.get("since"):
            lines.append(DeviceLine(device, "connection", "offline", "alarm"))
            since = parse_time(known.get("since"))
            alerts.append(Alert(f"offline:{device}:{known.get('since')}", "offline", "alarm",
                                {"device": device, "since": since}))
        else:
            lines.append(DeviceLine(device, "connection", "not_seen", "ok"))
    return lines


def _service_name(watch: HallWatch, sid: str, key: str = "name") -> str:
    service = watch.services.get(sid)
    if service is None:
        return sid
    return str(service.get(key) or service.get("name") or sid)
