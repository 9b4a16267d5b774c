"""The guidance desk's view-model: the hall as the desk sees it, and every desk command.

Fed snapshots, events and connection status (from ``hub.qtbus.QtBus`` in the app, from plain
dicts in tests), it keeps a :class:`~counter.desk.indicators.HallWatch`, sends one request per
command (a fresh request id per click) through anything with QtBus's ``request``, and says what
became of each command in plain words (``result``). Nothing here draws.
"""

from __future__ import annotations

import errno
import functools
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from counter.desk.errors import PeriodError
from counter.desk.indicators import (
    Alert,
    FollowUp,
    HallWatch,
    Indicators,
    Moved,
    Targets,
    compute,
    follow_ups_of,
    parse_time,
    waited_min,
)
from counter.desk.periods import period_range
from counter.desk.report_table import CSV_COLUMNS, GROUPS, CsvSection, report_csv
from counter.desk.reprint import PRINTABLE_STATES, DeskPrinter, PrintOutcome, ticket_content
from hub.client import new_request_id
from hub.clock import Clock
from hub.engine import read_check_in_refusal
from hub.i18n import catalogue, pause_reason_in, tr, visible
from hub.opening import Opening
from hub.protocol import ANNOUNCE_MAX, CODE_MAX, NOTE_MAX, REASON_MAX, TICKET_REF_MAX

logger = logging.getLogger(__name__)

ReplyHandler = Callable[[bool, dict[str, Any]], None]
CANCEL_REASONS = ("left", "duplicate", "wrong_service", "asked")
#: Ticket events after which the desk asks the hub for a fresh waiting line (order, ahead).
REFRESH_DELAY_MS = 700
#: the longest text (a cancel reason, an announcement) the result line repeats whole
ECHO_MAX = 40
CLOCK_TICK_MS = 15_000
#: how long the result line shows what became of a click: a success is read at once, a refusal
#: may need a second look; after that an old line ("× 08:20 ...") would read as news at 09:40
RESULT_SHOWN_OK_S = 20
RESULT_SHOWN_ERROR_S = 60


#: the longest texts the hub takes, in characters
TEXT_LIMITS = {"text": ANNOUNCE_MAX, "note": NOTE_MAX, "reason": REASON_MAX,
               "ticket": TICKET_REF_MAX, "code": CODE_MAX}

#: errno -> the catalogue's words for why a file could not be written
WRITE_ERRORS = {errno.ENOENT: "write_no_folder", errno.EACCES: "write_no_permission",
                errno.EPERM: "write_no_permission", errno.EISDIR: "write_is_folder",
                errno.ENOSPC: "write_disk_full", errno.EROFS: "write_read_only"}


class Bus(Protocol):
    """What the desk needs of the bus (``hub.qtbus.QtBus`` has it)."""

    def request(self, op: str, params: dict[str, Any] | None = None, *,
                on_done: ReplyHandler | None = None, req_id: str | None = None,
                timeout: float | None = 10.0) -> str: ...

    def forget(self, req_id: str) -> None:
        """Stop resending a request after a reconnect."""


@dataclass(frozen=True)
class ActionResult:
    """What the desk tells the person who clicked."""

    ok: bool
    text: str
    op: str
    at: datetime


@dataclass(frozen=True)
class WaitingRow:
    id: str
    number: str
    service: str
    service_name: str
    priority: str
    waited_min: int | None
    ahead: int | None
    est_wait_min: int | None
    to_window: int | None
    moved: Moved | None = None  # where it was transferred or reassigned from
    window_state: str = "open"  # of the windows that would call it (HallWatch.window_state_for)


def result_shown(result: ActionResult, now: datetime) -> bool:
    """Whether the result line still shows ``result`` at ``now``."""
    keep = RESULT_SHOWN_OK_S if result.ok else RESULT_SHOWN_ERROR_S
    return (now - result.at).total_seconds() < keep


def shortened(text: str, limit: int = ECHO_MAX) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis, for the one-line result."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def pick(lang: str, zh: Any, en: Any) -> str:
    """A name in the desk's language: the English one when asked for and present."""
    if lang == "en" and en:
        return str(en)
    return str(zh or en or "")


class DeskModel(QObject):
    changed = Signal()  # the waiting line, services or windows changed
    indicators_changed = Signal(object)  # Indicators
    status_changed = Signal(bool, str)
    result = Signal(object)  # ActionResult
    busy_changed = Signal()
    found = Signal(object)  # the ticket being looked at (dict), or None
    issued = Signal(object)  # a ticket just taken at the desk (dict), or None: a new day
    report_ready = Signal(object)  # the report dict
    announced = Signal(object)  # {"text", "lang", "at"}, or None: a new day cleared them
    printer_changed = Signal(str)  # "" when the last ticket printed, else the problem

    def __init__(self, bus: Bus | None, clock: Clock, *, lang: str = "zh",
                 targets: Targets | None = None, printer: DeskPrinter | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bus = bus
        self.clock = clock
        self.lang = lang
        self.targets = targets or Targets()
        self.printer = printer
        self.watch = HallWatch()
        self.connected = False
        self.status_detail = ""
        self.pending: dict[str, str] = {}  # request id -> op
        # the request the hub did not answer in time, sent again with its id if the person
        # clicks the same again: had the hub done it, it answers as before (one ticket, not two)
        self._unanswered: tuple[str, str] | None = None  # (op and params, request id)
        self.looked_up: dict[str, Any] | None = None
        self.last_issued: dict[str, Any] | None = None
        self.report: dict[str, Any] | None = None
        self.indicators = Indicators()
        self.acknowledged: set[str] = set()
        self.history: list[ActionResult] = []
        self.announcements: list[dict[str, Any]] = []
        self.printer_problem = ""
        self._refresh_line = False
        self._refresh_today = False
        self._refresh_open = False  # the hub's unanswered "dissatisfied" ratings (follow_ups)
        self._refresh_devices = False  # which enrolled devices are connected (devices)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REFRESH_DELAY_MS)
        self._timer.timeout.connect(self.refresh_now)
        self._tick = QTimer(self)
        self._tick.setInterval(CLOCK_TICK_MS)
        self._tick.timeout.connect(self.recompute)
        self._tick.timeout.connect(self._tick_devices)
        if printer is not None:
            printer.printed.connect(self._on_printed)

    def shutdown(self) -> None:
        """Stop the timers (before the model goes away: a timer firing on a model that Python
        has already collected crashes Qt)."""
        self._timer.stop()
        self._tick.stop()

    def start_clock(self) -> None:
        """Recompute waiting times and alerts as time passes (the app calls this)."""
        self._tick.start()

    # ------------------------------------------------------------------ fed by the bus

    @Slot(int, object)
    def on_snapshot(self, seq: int, snapshot: dict[str, Any]) -> None:
        """A snapshot from the bus: the desk (re)connected, or events were missed. What the
        desk learnt from events alone is read again: today's figures, the ticket looked up
        and the missed tickets (served, rated, cancelled or called meanwhile)."""
        self._apply_snapshot(seq, snapshot)
        self._refresh_today = self._refresh_open = self._refresh_devices = True
        self._schedule()
        self._read_again()

    def _apply_snapshot(self, seq: int, snapshot: dict[str, Any]) -> None:
        day_before = self.watch.day
        self.watch.apply_snapshot(seq, snapshot, self.clock.now())
        if self.watch.day != day_before:
            self._refresh_open = True
            if day_before:
                self._forget_yesterday()
        waiting = self.looked_up and self.watch.waiting.get(str(self.looked_up.get("id")))
        if waiting and waiting != self.looked_up:  # its place in line as it is now
            self.looked_up = dict(waiting)
            self.found.emit(self.looked_up)
        if self.watch.day != day_before or not self.watch.has_today:
            self._refresh_today = True
            self._schedule()
        self.recompute()

    def _read_again(self) -> None:
        """Ask the hub for the looked-up ticket and each missed one as they are now."""
        if self.bus is None:
            return
        ids = list(self.watch.missed)
        if self.looked_up and self.looked_up.get("id") not in ids:
            ids.append(str(self.looked_up.get("id")))
        for ticket_id in ids:
            self.bus.request("find", {"ticket": ticket_id}, req_id=new_request_id(),
                             on_done=functools.partial(self._read_back, ticket_id))

    def _read_back(self, ticket_id: str, ok: bool, payload: dict[str, Any]) -> None:
        if not ok:
            if payload.get("code") == "not_found":  # a day closed out meanwhile
                self.watch.missed.pop(ticket_id, None)
                self.changed.emit()
            return
        ticket = dict(payload.get("ticket") or {})
        if ticket_id in self.watch.missed:
            if ticket.get("state") == "no_show":
                self.watch.missed[ticket_id] = ticket
            else:
                del self.watch.missed[ticket_id]
        if self.looked_up and self.looked_up.get("id") == ticket_id:
            self.looked_up = ticket
            self.found.emit(ticket)
        self.changed.emit()

    @Slot(object)
    def on_event(self, frame: dict[str, Any]) -> None:
        if not self.watch.apply_event(frame, self.clock.now()):
            return
        name = str(frame.get("event", ""))
        data: Mapping[str, Any] = frame.get("data") or {}
        ticket = data.get("ticket")
        if isinstance(ticket, Mapping) and self.looked_up and ticket.get("id") == self.looked_up.get(
                "id"):
            self.looked_up = dict(ticket)
            self.found.emit(self.looked_up)
        if name.startswith("ticket_") or name == "queue_changed":
            self._refresh_line = True
        if name in ("ticket_no_show", "ticket_reinstated", "ticket_rated"):
            self._refresh_today = True
        if name == "day_started":
            self._refresh_line = self._refresh_today = self._refresh_open = True
            self._forget_yesterday()
        if name == "ticket_followed_up":
            self._report_followed_up(data)
        if name == "announcement":
            self.announcements.insert(0, {"text": data.get("text", ""), "lang": data.get("lang"),
                                          "at": parse_time(frame.get("at")) or self.clock.now()})
            del self.announcements[20:]
            self.announced.emit(self.announcements[0])
        self._schedule()
        self.recompute()

    def _forget_yesterday(self) -> None:
        """A new hall day: the ticket looked up, the last one issued here and the
        announcements were yesterday's (shown with no date, they read as today's)."""
        if self.looked_up is not None:
            self.looked_up = None
            self.found.emit(None)
        if self.last_issued is not None:
            self.last_issued = None
            self.issued.emit(None)
        if self.announcements:
            self.announcements.clear()
            self.announced.emit(None)

    @Slot(bool, str)
    def on_status(self, connected: bool, detail: str) -> None:
        self.connected = connected
        self.status_detail = detail
        self.status_changed.emit(connected, detail)

    def _schedule(self) -> None:
        if ((self._refresh_line or self._refresh_today or self._refresh_open
             or self._refresh_devices) and not self._timer.isActive()):
            self._timer.start()

    def _tick_devices(self) -> None:
        """Which devices are connected is asked for again at every clock tick (no event tells
        of a device that went dark)."""
        self._refresh_devices = True
        self._schedule()

    @Slot()
    def refresh_now(self) -> None:
        """Ask the hub for the waiting line (exact order and "ahead"), today's figures and,
        after a (re)connect or a new hall day, the "dissatisfied" ratings still to follow up
        (of earlier days too)."""
        if self.bus is None or not self.connected:
            return
        if self._refresh_line:
            self._refresh_line = False
            self.bus.request("sync", {}, on_done=self._synced, req_id=new_request_id())
        if self._refresh_today and self.watch.day:
            self._refresh_today = False
            day = self.watch.day
            self.bus.request("report", {"from": day, "to": day, **self._report_targets()},
                             on_done=self._today, req_id=new_request_id())
        if self._refresh_open:
            self._refresh_open = False
            self.bus.request("follow_ups", {}, on_done=self._open_follow_ups,
                             req_id=new_request_id())
        if self._refresh_devices:
            self._refresh_devices = False
            self.bus.request("devices", {}, on_done=self._devices, req_id=new_request_id())

    def _synced(self, ok: bool, payload: dict[str, Any]) -> None:
        if ok and isinstance(payload.get("snapshot"), dict):
            seq = int(payload.get("seq", 0))
            if seq < self.watch.seq:
                # events newer than this snapshot came in first (replies and events reach the
                # GUI thread by different paths): it would turn the line back; ask again
                self._refresh_line = True
                self._schedule()
                return
            self._apply_snapshot(seq, payload["snapshot"])  # the desk's own: nothing missed
        elif not ok:
            logger.info("refreshing the waiting line failed: %s", payload.get("message"))

    def _today(self, ok: bool, payload: dict[str, Any]) -> None:
        if ok and self.watch.apply_report_today(payload):
            self.recompute()
        elif not ok:
            logger.info("today's figures could not be read: %s", payload.get("message"))

    def _devices(self, ok: bool, payload: dict[str, Any]) -> None:
        self._take(ok, payload, self.watch.apply_devices, "the devices' connections")

    def _open_follow_ups(self, ok: bool, payload: dict[str, Any]) -> None:
        self._take(ok, payload, self.watch.apply_follow_ups, "the ratings to follow up")

    def _take(self, ok: bool, payload: dict[str, Any], apply: Callable[[dict[str, Any]], None],
              what: str) -> None:
        """A reply the watch takes whole; a refusal is only logged (asked again later)."""
        if ok:
            apply(payload)
            self.recompute()
        else:
            logger.info("%s could not be read: %s", what, payload.get("message"))

    @Slot()
    def recompute(self) -> None:
        self.indicators = compute(self.watch, self.targets, self.clock.now())
        # "seen" lasts while the alert does: the same fault again (paper out once more) is news
        self.acknowledged &= {alert.key for alert in self.indicators.alerts}
        self.changed.emit()
        self.indicators_changed.emit(self.indicators)

    # ------------------------------------------------------------------ what the views show

    def active_alerts(self) -> list[Alert]:
        return [a for a in self.indicators.alerts if a.key not in self.acknowledged]

    def acknowledge(self, key: str) -> None:
        """The manager has seen (or followed up) this alert: hide it until something else goes
        wrong."""
        self.acknowledged.add(key)
        self.indicators_changed.emit(self.indicators)

    def hall_name(self) -> str:
        hall = self.watch.snapshot.get("hall") or {}
        return pick(self.lang, hall.get("name"), hall.get("name_en"))

    def languages(self) -> list[str]:
        hall = self.watch.snapshot.get("hall") or {}
        return [str(x) for x in hall.get("languages") or ("zh", "en")]

    def service_name(self, sid: str | None) -> str:
        service = self.watch.services.get(str(sid))
        if service is None:
            return str(sid or "-")
        return pick(self.lang, service.get("name"), service.get("name_en"))

    def window_name(self, number: Any) -> str:
        try:
            window = self.watch.windows.get(int(number))
        except (TypeError, ValueError):
            window = None
        label = tr(self.lang, "common.window", window=number)
        if window is None:
            return label
        return f"{label} · {pick(self.lang, window.get('name'), window.get('name_en'))}"

    def department_name(self, did: str) -> str:
        hall = self.watch.snapshot.get("hall") or {}
        for department in hall.get("departments", []):
            if department.get("id") == did:
                return pick(self.lang, department.get("name"), department.get("name_en"))
        return did

    def clerk_name(self, clerk: str, names: Mapping[str, Any] | None = None) -> str:
        """"name (staff number)": the name from ``names`` (a report's ``clerks``), else as the
        desk knows it (signed in at a window, named by the hub before), else the number."""
        name = (names or {}).get(clerk) or self.watch.clerk_label(clerk)
        return f"{name} ({clerk})" if name and name != clerk else clerk

    def report_clerks(self) -> Mapping[str, Any]:
        """The names of the shown report's clerks, as the hub gave them."""
        clerks = (self.report or {}).get("clerks")
        return clerks if isinstance(clerks, Mapping) else {}

    def report_order(self, group: str) -> list[str]:
        """The hall's own order of a report's rows (report_table.Order): services,
        departments and windows as the hall lists them; clerks and days sort by themselves."""
        hall = self.watch.snapshot.get("hall") or {}
        if group == "service":
            return [str(s.get("id")) for s in self.watch.snapshot.get("services", [])]
        if group == "department":
            return [str(d.get("id")) for d in hall.get("departments", [])]
        if group == "window":
            return [str(w.get("number")) for w in self.watch.snapshot.get("windows", [])]
        return []

    def name_of(self, group: str, key: str) -> str:
        """A report row's name (report_table.Namer)."""
        if group == "service":
            return self.service_name(key)
        if group == "department":
            return self.department_name(key)
        if group == "window":
            return self.window_name(key)
        if group == "clerk":
            return self.clerk_name(key, self.report_clerks())
        return key

    def departments(self) -> list[tuple[str, str, list[dict[str, Any]]]]:
        """(id, name, services) per department, in the hall's order; services open or not."""
        hall = self.watch.snapshot.get("hall") or {}
        order = [str(d.get("id")) for d in hall.get("departments", [])]
        groups: dict[str, list[dict[str, Any]]] = {did: [] for did in order}
        for service in self.watch.services.values():
            groups.setdefault(str(service.get("department")), []).append(service)
        return [(did, self.department_name(did), services)
                for did, services in groups.items() if services]

    def window_numbers(self) -> list[int]:
        return sorted(self.watch.windows)

    def waiting_rows(self, query: str = "", service: str | None = None) -> list[WaitingRow]:
        """The waiting line in the hub's order, filtered by number or service name."""
        now = self.clock.now()
        needle = query.strip().lower()
        rows: list[WaitingRow] = []
        for ticket in self.watch.waiting.values():
            sid = str(ticket.get("service"))
            if service and sid != service:
                continue
            name = self.service_name(sid)
            number = str(ticket.get("number"))
            if needle and needle not in number.lower() and needle not in name.lower():
                continue
            rows.append(WaitingRow(str(ticket.get("id")), number, sid, name,
                                   str(ticket.get("priority", "normal")),
                                   waited_min(ticket, now), ticket.get("ahead"),
                                   ticket.get("est_wait_min"), ticket.get("to_window"),
                                   self.moved_from(ticket),
                                   self.watch.window_state_for(sid, ticket.get("to_window"))))
        return rows

    def moved_from(self, ticket: Mapping[str, Any]) -> Moved | None:
        """Where a waiting ticket was transferred or reassigned from: as the event said (seen
        today), else, for one moved before the desk started, the service its number's prefix
        belongs to, when that is not its service now."""
        moved = self.watch.moved.get(str(ticket.get("id")))
        if moved is not None:
            return moved
        prefix = str(ticket.get("number") or "").rstrip("0123456789")  # A001 -> A
        own = (self.watch.services.get(str(ticket.get("service"))) or {}).get("prefix")
        if not prefix or not own or prefix == own:
            return None
        origin = next((sid for sid, service in self.watch.services.items()
                       if service.get("prefix") == prefix), None)
        return Moved(origin, None)

    def moved_text(self, moved: Moved, service: str) -> str:
        """"from window 5" / "from Medical insurance" / "transferred"; "" for a ticket sent to
        a window of its own service (the window column says where)."""
        if moved.from_window is not None:
            return self.t("moved_from_window", window=moved.from_window)
        if moved.from_service is not None:
            if moved.from_service == service:
                return ""
            return self.t("moved_from_service", service=self.service_name(moved.from_service))
        return self.t("moved")

    def service_window_state(self, sid: str) -> str:
        """"open", "paused" or "closed": the best state of the windows serving ``sid``."""
        return self.watch.window_state_for(sid)

    def waiting_ticket(self, ticket_id: str) -> dict[str, Any] | None:
        return self.watch.waiting.get(ticket_id)

    def missed(self) -> list[dict[str, Any]]:
        """No-shows seen today and not reinstated, newest first."""
        return list(reversed(self.watch.missed.values()))

    def current_result(self) -> ActionResult | None:
        """What the result line shows now: the last result, until it is old
        (``result_shown``)."""
        if self.history and result_shown(self.history[0], self.clock.now()):
            return self.history[0]
        return None

    def busy(self, *ops: str) -> bool:
        return any(op in ops for op in self.pending.values())

    def can_act(self) -> bool:
        return self.connected and self.bus is not None

    # ------------------------------------------------------------------ words

    def t(self, key: str, **params: object) -> str:
        return tr(self.lang, f"desk.{key}", **params)

    def service_open(self, service: Mapping[str, Any]) -> bool:
        """Whether a service takes tickets now: its hours against the hall's local time (the
        snapshot's ``open`` is that of the moment it was taken; the desk keeps it all day)."""
        local = self.clock.now().astimezone(self._hall_zone())  # (None: this machine's)
        return Opening.of(service).open_at(local.time())

    def local_time(self, value: Any, fmt: str = "%H:%M") -> str:
        """A hub time (ISO 8601) in the hall's time zone."""
        moment = parse_time(value) if not isinstance(value, datetime) else value
        if moment is None:
            return "-"
        zone = self._hall_zone()
        return (moment.astimezone(zone) if zone else moment).strftime(fmt)

    def _hall_zone(self) -> ZoneInfo | None:
        """The hall's time zone, as the snapshot names it (None: none, or one not known)."""
        zone = (self.watch.snapshot.get("hall") or {}).get("timezone")
        if not zone:
            return None
        try:
            return ZoneInfo(str(zone))
        except (ZoneInfoNotFoundError, ValueError):
            logger.warning("unknown hall time zone %r", zone)
            return None

    def state_name(self, state: Any) -> str:
        return tr(self.lang, f"states.{state}")

    def priority_name(self, priority: Any) -> str:
        return self.t(f"priority_{priority}")

    def position_name(self, position: str) -> str:
        return self.t(f"position_{position}")

    def reason_text(self, reason: str) -> str:
        return self.t(f"reason_{reason}") if reason in CANCEL_REASONS else reason

    def said_reason(self, reason: Any) -> str:
        """A window's pause reason in the desk's language (a listed one goes out in each)."""
        languages = [str(x) for x in (self.watch.snapshot.get("hall") or {}).get(
            "languages") or []]
        return pause_reason_in(str(reason), self.lang, languages)

    def alert_text(self, alert: Alert) -> str:
        params: dict[str, Any] = dict(alert.params)
        if alert.kind in ("long_wait", "unserved", "dissatisfied"):
            params["service"] = pick(self.lang, params.get("service"), params.get("service_en"))
        if alert.kind in ("long_pause", "held"):
            params["name"] = pick(self.lang, params.get("name"), params.get("name_en"))
        if alert.kind == "long_pause":
            key = "alert_long_pause" if params.get("exact") else "alert_long_pause_least"
            text = self.t(key, **params)
            if params.get("reason"):
                text += self.t("alert_pause_reason", reason=self.said_reason(params["reason"]))
            return text
        if alert.kind == "offline":
            params["since"] = self.local_time(params.get("since"))
        if alert.kind == "device":
            params["part"] = self.device_part(str(params.get("part")))
            params["status"] = self.device_status(str(params.get("status")))
        if alert.kind == "dissatisfied" and params.get("today") is False:
            return self.t("alert_dissatisfied_day", **params)  # an earlier day's, still open
        return self.t(f"alert_{alert.kind}", **params)

    def device_part(self, part: str) -> str:
        return self._known(f"device_part_{part}", part)

    def device_status(self, status: str) -> str:
        return self._known(f"device_status_{status}", status)

    def _known(self, key: str, fallback: str) -> str:
        if f"desk.{key}" in catalogue(self.lang) or f"desk.{key}" in catalogue("zh"):
            return self.t(key)
        return fallback

    def error_text(self, op: str, error: Mapping[str, Any], number: str = "") -> str:
        """A refusal from the hub in the desk's words (the hub's own words as a last resort)."""
        code = str(error.get("code", "internal"))
        if op == "check_in" and code == "invalid_state":
            said = self._check_in_refusal(number, str(error.get("message", "")))
            if said:
                return said
        for key in (f"err_{op}_{code}", f"err_{code}"):
            if f"desk.{key}" in catalogue(self.lang) or f"desk.{key}" in catalogue("zh"):
                return self.t(key, number=number or "-", message=error.get("message", ""))
        return self.t("err_other", message=error.get("message") or code)

    def _check_in_refusal(self, code: str, message: str) -> str | None:
        """Why an appointment cannot be checked in (engine.read_check_in_refusal): checked in
        already (and its ticket, to reprint), not today, too early (from when), or over (an
        ordinary ticket then). None for anything else."""
        refusal = read_check_in_refusal(code, message)
        if refusal.reason == "already":
            if refusal.ticket:
                return self.t("err_check_in_already_ticket", number=code, ticket=refusal.ticket)
            return self.t("err_check_in_already", number=code)
        if refusal.reason == "booked_for":
            return self.t("err_check_in_not_today", number=code)
        if refusal.reason == "opens" and refusal.time:
            return self.t("err_check_in_early", number=code, time=refusal.time,
                          opens=refusal.opens)
        if refusal.reason == "ended" and refusal.time:
            return self.t("err_check_in_over", number=code, time=refusal.time)
        return None

    def printer_text(self, problem: str) -> str:
        return self._known(f"printer_{problem}", self.t("printer_error"))

    # ------------------------------------------------------------------ commands

    def _say(self, ok: bool, text: str, op: str) -> None:
        result = ActionResult(ok, text, op, self.clock.now())
        self.history.insert(0, result)
        del self.history[100:]
        (logger.info if ok else logger.warning)("desk %s: %s", op, text)
        self.result.emit(result)

    def _fits(self, op: str, text: str, limit: int) -> bool:
        """Whether ``text`` is within what the hub takes; if not, says so (and nothing is sent)."""
        if len(text) <= limit:
            return True
        self._say(False, self.t("err_too_long", limit=limit, count=len(text)), op)
        return False

    def _send(self, op: str, params: dict[str, Any], on_ok: Callable[[dict[str, Any]], None],
              number: str = "") -> str | None:
        """One request with a fresh id (one per click; a click repeating one the hub did not
        answer in time sends it again with its id); its answer goes to ``on_ok`` or, when
        refused, to the person in plain words. None when nothing was sent."""
        if not self.can_act() or self.bus is None:
            self._say(False, self.t("err_offline"), op)
            return None
        what = json.dumps([op, params], sort_keys=True, default=str)
        unanswered, self._unanswered = self._unanswered, None
        req_id = unanswered[1] if unanswered and unanswered[0] == what else new_request_id()
        self.pending[req_id] = op
        self.busy_changed.emit()

        def done(ok: bool, payload: dict[str, Any]) -> None:
            self.pending.pop(req_id, None)
            self.busy_changed.emit()
            if ok:
                on_ok(payload)
                return
            if payload.get("code") == "unavailable" and self.bus is not None:
                # not sent again by itself after a reconnect, where nobody would hear of it
                # (a ticket issued then would wait in line for nobody)
                self.bus.forget(req_id)
                self._unanswered = (what, req_id)
            self._say(False, self.error_text(op, payload, number), op)

        self.bus.request(op, params, on_done=done, req_id=req_id)
        return req_id

    def _ticket_reply(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        ticket = dict(payload.get("ticket") or {})
        if self.looked_up and ticket.get("id") == self.looked_up.get("id"):
            self.looked_up = ticket
            self.found.emit(ticket)
        return ticket

    def issue(self, service: str, green: bool = False, lang: str | None = None,
              print_ticket: bool = True) -> str | None:
        """Take a ticket for a citizen (the green channel for the elderly, disabled, pregnant and
        servicemen) and print it on the desk's printer."""
        params: dict[str, Any] = {"service": service}
        if green:
            params["priority"] = "green"
        if lang:
            params["lang"] = lang

        def issued(payload: dict[str, Any]) -> None:
            ticket = self._ticket_reply(payload)
            self.last_issued = ticket
            self.issued.emit(ticket)
            key = "issued_green" if ticket.get("priority") == "green" else "issued"
            self._say(True, self.t(key, number=ticket.get("number"),
                                   service=self.service_name(ticket.get("service")),
                                   ahead=ticket.get("ahead") or 0), "issue")
            if print_ticket:
                self._print(ticket, lang)

        return self._send("issue", params, issued)

    def check_in(self, code: str, print_ticket: bool = True) -> str | None:
        code = code.strip()
        if not code:
            self._say(False, self.t("err_no_code"), "check_in")
            return None
        if not self._fits("check_in", code, TEXT_LIMITS["code"]):
            return None

        def checked(payload: dict[str, Any]) -> None:
            ticket = self._ticket_reply(payload)
            self.last_issued = ticket
            self.issued.emit(ticket)
            self._say(True, self.t("checked_in", code=code, number=ticket.get("number"),
                                   service=self.service_name(ticket.get("service"))), "check_in")
            if print_ticket:
                self._print(ticket)

        return self._send("check_in", {"code": code}, checked, code)

    def reassign(self, ticket: Mapping[str, Any], to_service: str | None = None,
                 to_window: int | None = None, position: str = "keep") -> str | None:
        number = str(ticket.get("number", ""))
        if (to_service is None) == (to_window is None):
            self._say(False, self.t("err_no_target"), "reassign")
            return None
        params: dict[str, Any] = {"ticket": ticket.get("id") or number, "position": position}
        if to_service is not None:
            params["to_service"] = to_service
            target = self.service_name(to_service)
        else:
            params["to_window"] = to_window
            target = self.window_name(to_window)

        def moved(payload: dict[str, Any]) -> None:
            moved_ticket = self._ticket_reply(payload)
            self._say(True, self.t("reassigned", number=moved_ticket.get("number", number),
                                   target=target, position=self.position_name(position),
                                   ahead=moved_ticket.get("ahead") or 0), "reassign")

        return self._send("reassign", params, moved, number)

    def prioritise(self, ticket: Mapping[str, Any]) -> str | None:
        number = str(ticket.get("number", ""))

        def done(payload: dict[str, Any]) -> None:
            given = self._ticket_reply(payload)
            self._say(True, self.t("prioritised", number=given.get("number", number),
                                   ahead=given.get("ahead") or 0), "prioritise")

        return self._send("prioritise", {"ticket": ticket.get("id") or number}, done, number)

    def reinstate(self, ticket: Mapping[str, Any], position: str = "first") -> str | None:
        number = str(ticket.get("number", ""))

        def done(payload: dict[str, Any]) -> None:
            back = self._ticket_reply(payload)
            self._say(True, self.t("reinstated", number=back.get("number", number),
                                   position=self.position_name(position),
                                   ahead=back.get("ahead") or 0), "reinstate")

        return self._send("reinstate", {"ticket": ticket.get("id") or number,
                                        "position": position}, done, number)

    def cancel(self, ticket: Mapping[str, Any], reason: str) -> str | None:
        number = str(ticket.get("number", ""))
        reason = reason.strip()
        if not reason:
            self._say(False, self.t("err_no_reason", number=number), "cancel")
            return None
        words = self.reason_text(reason)
        if not self._fits("cancel", words, TEXT_LIMITS["reason"]):
            return None

        def done(payload: dict[str, Any]) -> None:
            gone = self._ticket_reply(payload)
            self._say(True, self.t("cancelled", number=gone.get("number", number),
                                   reason=shortened(words)), "cancel")

        return self._send("cancel", {"ticket": ticket.get("id") or number, "reason": words},
                          done, number)

    def follow_up(self, item: FollowUp, note: str) -> str | None:
        """Record how a "dissatisfied" rating was followed up (a call, a visit, an apology),
        on the hub, once; an earlier day's ticket is named by its id."""
        note = note.strip()
        if not note:
            self._say(False, self.t("err_no_follow_note", number=item.ticket), "follow_up")
            return None
        if not self._fits("follow_up", note, TEXT_LIMITS["note"]):
            return None

        def done(_payload: dict[str, Any]) -> None:
            self._say(True, self.t("followed_up", number=item.ticket, day=item.day), "follow_up")

        return self._send("follow_up", {"ticket": item.id or item.ticket, "note": note}, done,
                          item.ticket)

    def report_follow_ups(self) -> list[FollowUp]:
        """The shown report's "dissatisfied" ratings and their follow-ups."""
        return follow_ups_of(self.report) if self.report is not None else []

    def follow_up_names(self, item: FollowUp, clerks: Mapping[str, Any] | None = None
                        ) -> tuple[str, str, str]:
        """A follow-up's service, window and clerk as the desk names them ("-" if none), on
        screen and in the CSV alike (``clerks``: a report's names, first)."""
        return (self.service_name(item.service),
                self.window_name(item.window) if item.window is not None else "-",
                self.clerk_name(item.clerk, clerks) if item.clerk else "-")

    def _report_followed_up(self, data: Mapping[str, Any]) -> None:
        """A follow-up recorded (here or at another desk) shows in the report on screen."""
        ticket = data.get("ticket")
        if self.report is None or not isinstance(ticket, Mapping):
            return
        for item in self.report.get("dissatisfied") or []:
            if isinstance(item, dict) and item.get("id") == ticket.get("id"):
                item["follow_up"] = data.get("follow_up")
                self.report_ready.emit(self.report)
                return

    def lookup(self, number: str) -> str | None:
        """Find a ticket of today by its number (A001) or id."""
        wanted = number.strip().upper()
        if not wanted:
            self._say(False, self.t("err_no_number"), "find")
            return None
        if not self._fits("find", wanted, TEXT_LIMITS["ticket"]):
            return None

        def found(payload: dict[str, Any]) -> None:
            ticket = dict(payload.get("ticket") or {})
            self.looked_up = ticket
            if ticket.get("state") == "no_show":  # find looks in today's tickets only
                self.watch.missed[str(ticket.get("id"))] = ticket
                self.changed.emit()
            self.found.emit(ticket)
            self._say(True, self.t("found", number=ticket.get("number"),
                                   state=self.state_name(ticket.get("state"))), "find")

        return self._send("find", {"ticket": wanted}, found, wanted)

    def reprint(self, ticket: Mapping[str, Any]) -> str | None:
        """Print a lost ticket again: asks the hub for the ticket as it is now (people ahead,
        wait), then prints it on the desk's printer."""
        number = str(ticket.get("number", ""))
        if self.printer is None:
            self._say(False, self.t("err_no_printer"), "reprint")
            return None

        def found(payload: dict[str, Any]) -> None:
            now = self._ticket_reply(payload)
            if now.get("state") not in PRINTABLE_STATES:
                self._say(False, self.t("err_reprint_state", number=now.get("number", number),
                                        state=self.state_name(now.get("state"))), "reprint")
                return
            self._print(now, reprint=True)

        return self._send("find", {"ticket": ticket.get("id") or number}, found, number)

    def announce(self, text: str, lang: str | None = None) -> str | None:
        words = text.strip()
        if not visible(words):  # spaces or zero-width characters alone: nothing to show
            self._say(False, self.t("err_no_text"), "announce")
            return None
        if not self._fits("announce", words, TEXT_LIMITS["text"]):
            return None
        params: dict[str, Any] = {"text": words}
        if lang:
            params["lang"] = lang

        def done(_payload: dict[str, Any]) -> None:
            self._say(True, self.t("announced", text=shortened(words)), "announce")

        return self._send("announce", params, done)

    def load_report(self, kind: str, anchor: date, first: date | None = None,
                    last: date | None = None) -> str | None:
        try:
            start, end = period_range(kind, anchor, first, last)
        except PeriodError as err:
            words = self.t(f"err_{err.key}", **err.params) if err.key else str(err)
            self._say(False, self.t("err_period", message=words), "report")
            return None

        def done(payload: dict[str, Any]) -> None:
            self.report = payload
            self.watch.hear_clerks(payload)
            self.report_ready.emit(payload)
            total = payload.get("total") or {}
            self._say(True, self.t("report_done", first=start.isoformat(), last=end.isoformat(),
                                   issued=total.get("issued", 0)), "report")

        return self._send("report", {"from": start.isoformat(), "to": end.isoformat(),
                                     **self._report_targets()}, done)

    def _report_targets(self) -> dict[str, Any]:
        """The waiting promise this desk watches, for the report to count waits against."""
        return {"wait_min": self.targets.max_wait_min,
                "wait_min_by_service": dict(self.targets.max_wait_by_service)}

    def report_csv(self) -> str:
        if self.report is None:
            return ""
        headers = {c: self.t(f"col_{c}") for c in ("group", "key", "name", *CSV_COLUMNS)}
        groups = {g: self.t(f"group_{g}") for g in (*GROUPS, "total")}
        follow_ups = self.report_follow_ups()
        sections = [self._follow_up_section(follow_ups)] if follow_ups else []
        return report_csv(self.report, self.name_of, headers, groups, self.t("group_total"),
                          sections, self.report_order)

    def _follow_up_section(self, items: list[FollowUp]) -> CsvSection:
        """The period's dissatisfied ratings and how each was followed up, for the CSV."""
        t = self.t
        header = [t(f"col_{c}") for c in ("day", "number", "service", "window", "clerk",
                                         "follow_up", "follow_at", "follow_by", "follow_note")]
        clerks = self.report_clerks()
        rows = [[item.day, item.ticket, *self.follow_up_names(item, clerks),
                 t("follow_done_short") if item.done else t("follow_pending"),
                 self.local_time(item.at, "%Y-%m-%d %H:%M") if item.done else "",
                 item.by or "", item.note or ""] for item in items]
        return CsvSection(t("report_follow_title"), header, rows)

    def _why_not_written(self, err: OSError) -> str:
        """The usual reasons a file cannot be written, in the person's language."""
        key = WRITE_ERRORS.get(err.errno or 0)
        return self.t(key) if key else (err.strerror or str(err))

    def export_report(self, path: str | Path) -> bool:
        """Write the report shown as CSV (UTF-8 with BOM, so spreadsheets read the Chinese)."""
        if self.report is None:
            self._say(False, self.t("err_no_report"), "export")
            return False
        target = Path(path)
        try:
            target.write_text(self.report_csv(), encoding="utf-8-sig", newline="")
        except OSError as err:
            self._say(False, self.t("err_export", path=str(target),
                                    message=self._why_not_written(err)), "export")
            return False
        self._say(True, self.t("exported", path=str(target)), "export")
        return True

    # ------------------------------------------------------------------ printing

    def _print(self, ticket: Mapping[str, Any], lang: str | None = None,
               reprint: bool = False) -> None:
        if self.printer is None:
            return
        try:
            content = ticket_content(ticket, self.watch.snapshot, lang)
        except ValueError as err:
            self._say(False, self.t("err_other", message=str(err)), "print")
            return
        if reprint:
            self._say(True, self.t("printing", number=content.number), "print")
        self.printer.submit(content)
        self.busy_changed.emit()

    @Slot(object)
    def _on_printed(self, outcome: PrintOutcome) -> None:
        self.busy_changed.emit()
        problem = "" if outcome.ok else outcome.problem
        if problem != self.printer_problem:
            self.printer_problem = problem
            self.printer_changed.emit(problem)
        if outcome.ok:
            self._say(True, self.t("printed", number=outcome.number), "print")
        else:
            self._say(False, self.t("not_printed", number=outcome.number,
                                    problem=self.printer_text(outcome.problem)), "print")

    def printing(self) -> bool:
        return self.printer is not None and self.printer.pending > 0
