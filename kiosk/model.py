"""The kiosk's view-model: what the screen shows and what a touch does, without a screen.

It is fed the hub's snapshots, events and connection status (from :class:`hub.qtbus.QtBus`), the
printer's status and print results (from a :class:`PrintJobs`), and the citizen's touches
(commands such as :meth:`KioskModel.choose_service`). It asks the hub through a :class:`Bus` and
the printer through :class:`PrintJobs`, both of which answer later through callbacks, so nothing
here blocks. Time comes from an injected monotonic clock and wall clock; :meth:`KioskModel.tick`
(called by the app about every quarter second) runs the timeouts. Every change emits ``changed``.

The rules a citizen relies on:

* one touch is one request id; a touch that meets an unreachable hub is sent again with the same
  id when the hub is back, so it never becomes two tickets;
* nothing is issued unless the printer says it can print (asked before every ticket);
* a ticket the hub issued but the printer did not print stays on screen, in very large type,
  while the print is retried, and is reported to the hub (the guidance desk is alerted).
"""

from __future__ import annotations

import enum
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject, Signal

from hub.clock import Clock, SystemClock
from hub.engine import read_check_in_refusal
from hub.i18n import languages as catalogue_languages
from hub.i18n import tr
from kiosk.offer import DepartmentView, Offer, ServiceView
from kiosk.printer_status import PrinterStatus
from kiosk.ticket import Priority, TicketContent

logger = logging.getLogger(__name__)

ReplyHandler = Callable[[bool, dict[str, Any]], None]

REQUEST_TIMEOUT_S = 5.0  # a touch waits this long for the hub before "ticket issuing paused"
PAUSE_AFTER_S = 3.0  # the hub gone this long: the paused screen
DONE_SECONDS = 10.0  # the confirmation screen, then back to the start
PRINT_RETRY_S = 3.0
PRINTER_POLL_S = 10.0
PRINTER_POLL_DOWN_S = 2.0  # while out of service: notice the new paper roll quickly
UNPRINTED_HOLD_S = 180.0  # an unprinted number stays this long when nobody says they noted it
PENDING_TOUCH_S = 120.0  # a touch waits this long for the hub to come back
CODE_LENGTH_MAX = 20  # digits on the on-screen keypad


class Screen(enum.StrEnum):
    STARTING = "starting"  # no snapshot yet
    HOME = "home"  # departments and appointment check-in
    SERVICES = "services"  # one department's services
    CHECK_IN = "check_in"  # the code keypad
    ISSUING = "issuing"  # a touch on its way
    DONE = "done"  # the number, "please take your ticket"
    UNPRINTED = "unprinted"  # issued, not printed: the number full-screen, printing retried
    NOTICE = "notice"  # a refusal in plain words
    OUT_OF_SERVICE = "out_of_service"  # the printer cannot print: to the guidance desk
    PAUSED = "paused"  # the hub is unreachable
    TECHNICIAN = "technician"  # the PIN pad that leaves the app


#: Screens a citizen is in the middle of; the idle timeout takes them back to the start.
BROWSING = {Screen.SERVICES, Screen.CHECK_IN, Screen.NOTICE, Screen.TECHNICIAN}
#: Screens that the printer's or the hub's trouble may replace.
REPLACEABLE = {Screen.HOME, Screen.SERVICES, Screen.CHECK_IN, Screen.NOTICE, Screen.STARTING}


class Bus(Protocol):
    """The part of :class:`hub.qtbus.QtBus` the kiosk uses."""

    def request(self, op: str, params: dict[str, Any] | None = None, *,
                on_done: ReplyHandler | None = None, req_id: str | None = None,
                timeout: float | None = 10.0) -> str: ...

    def forget(self, req_id: str) -> None: ...


@dataclass(frozen=True)
class PrintOutcome:
    printed: bool
    status: PrinterStatus
    message: str = ""


class PrintJobs(Protocol):
    """The printer, asked off the GUI thread; callbacks come back on the GUI thread."""

    def check(self, on_done: Callable[[PrinterStatus], None]) -> None: ...

    def print_ticket(self, content: TicketContent,
                     on_done: Callable[[PrintOutcome], None]) -> None: ...


@dataclass(frozen=True)
class Notice:
    title: str
    body: str


@dataclass(frozen=True)
class NoticeSpec:
    """What a notice says, kept as catalogue keys so a language switch re-words it."""

    service: str | None  # the title is this service's name; else "appointment check-in"
    key: str | None  # the body's key (None: the service's own status line)
    params: tuple[tuple[str, str], ...] = ()


@dataclass
class Touch:
    """One touch that asks the hub for a ticket: its request id never changes."""

    op: str
    params: dict[str, Any]
    started: float
    req_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    waiting_for_hub: bool = False
    # the hub may have it: after a reconnect it is sent again as it was (never re-checked
    # against the printer); if the citizen stops waiting, the hub may still issue its ticket
    sent: bool = False


def ticket_content(ticket: dict[str, Any], hall: dict[str, Any],
                   services: dict[str, dict[str, Any]], lang: str,
                   hall_languages: list[str]) -> TicketContent:
    """What the paper says: the hub's ticket, the names from the snapshot, the citizen's
    language first and the hall's others after it."""
    service = services.get(ticket["service"], {})
    langs = [lang, *[other for other in hall_languages if other != lang]]
    priority: Priority = ticket.get("priority", "normal")
    return TicketContent(
        hall_name=str(hall.get("name", "")), hall_name_en=hall.get("name_en"),
        service_name=str(service.get("name", ticket["service"])),
        service_name_en=service.get("name_en"),
        number=str(ticket["number"]), ticket_id=str(ticket["id"]),
        ahead=int(ticket.get("ahead") or 0), est_wait_min=int(ticket.get("est_wait_min") or 0),
        issued_at=datetime.fromisoformat(ticket["issued_at"]), languages=langs,
        priority=priority, timezone=hall.get("timezone"),
    )


class KioskModel(QObject):
    changed = Signal()
    quit_requested = Signal()

    def __init__(self, bus: Bus, jobs: PrintJobs, *, device: str = "kiosk",
                 idle_seconds: float = 30.0, technician_pin: str | None = None,
                 lang: str | None = None, clock: Clock | None = None,
                 monotonic: Callable[[], float] = time.monotonic,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bus, self.jobs, self.device = bus, jobs, device
        self.idle_seconds = idle_seconds
        self.technician_pin = technician_pin
        self.clock = clock or SystemClock()
        self.monotonic = monotonic
        self.preferred_lang = lang
        self.languages: list[str] = catalogue_languages()
        self.lang = lang if lang in self.languages else self.languages[0]
        self.hall: dict[str, Any] = {}
        self.connected = False
        self.screen = Screen.STARTING
        self.department: str | None = None
        self.code = ""
        self.pin = ""
        self.pin_wrong = False
        self._notice: NoticeSpec | None = None
        self.ticket: dict[str, Any] | None = None  # the last ticket issued here
        self.printer_status = PrinterStatus.UNKNOWN
        self.touch: Touch | None = None
        self.offer = Offer(self.t, self._named, lambda: self.local_now().time())
        self._offered: tuple[str, ...] = ()  # the services' states the screen last showed
        now = monotonic()
        self._last_touch = now
        self._screen_since = now
        self._lost_since: float | None = now
        self._unprinted: TicketContent | None = None
        self._job: TicketContent | None = None  # the ticket just issued, on its first print
        self._printing = False
        self._next_print = 0.0
        self._next_poll = now
        self._polling = False
        self._reported: PrinterStatus | None = None

    # ------------------------------------------------------------------ from the hub

    def on_snapshot(self, seq: int, snapshot: dict[str, Any]) -> None:
        self.hall = dict(snapshot.get("hall") or {})
        hall_langs = [lang for lang in self.hall.get("languages") or []
                      if lang in catalogue_languages()]
        self.languages = hall_langs or catalogue_languages()
        if self.lang not in self.languages:
            self.lang = self.default_lang
        self.offer.load(self.hall, list(snapshot.get("services") or []))
        if self.screen is Screen.STARTING:
            self.home()
        logger.debug("snapshot %d: %d services", seq, len(self.offer.by_id))
        self.changed.emit()

    def on_event(self, frame: dict[str, Any]) -> None:
        name, data = frame.get("event"), frame.get("data") or {}
        if name == "queue_changed":
            shown = self.offer.queue_changed(data)
        elif name == "ticket_issued":
            shown = self.offer.ticket_issued(data.get("ticket") or {})
        else:
            shown = False
        if shown:
            self.changed.emit()

    def on_status(self, connected: bool, detail: str) -> None:
        was = self.connected
        self.connected = connected
        if connected:
            self._lost_since = None
            if not was:
                self._reported = None  # tell the hub the printer's state again
                self._next_poll = self.monotonic()
                touch = self.touch
                if touch is not None and touch.waiting_for_hub:
                    touch.waiting_for_hub = False
                    self._show(Screen.ISSUING)
                    if touch.sent:  # the same request again: the hub answers it once
                        self._send(touch)
                    else:  # made while the hub was away: the printer is asked first, as ever
                        self.jobs.check(lambda status: self._checked(touch, status))
                elif self.screen is Screen.PAUSED:
                    self._show(Screen.HOME)
        else:
            if self._lost_since is None:
                self._lost_since = self.monotonic()
            logger.info("hub unreachable: %s", detail)
        self.changed.emit()

    # ------------------------------------------------------------------ what the screen shows

    @property
    def default_lang(self) -> str:
        if self.preferred_lang in self.languages:
            return str(self.preferred_lang)
        return self.languages[0]

    def t(self, key: str, **params: object) -> str:
        return tr(self.lang, f"kiosk.{key}", **params)

    def local_now(self) -> datetime:
        now = self.clock.now()
        zone = self.hall.get("timezone")
        # before the first snapshot: the machine's own zone (set to the hall's), not UTC
        return now.astimezone(ZoneInfo(zone)) if zone else now.astimezone()

    def _named(self, thing: dict[str, Any], key: str = "name") -> str:
        if self.lang != "zh":
            other = thing.get(f"{key}_{self.lang}")
            if other:
                return str(other)
        return str(thing.get(key) or thing.get("id") or "")

    @property
    def hall_name(self) -> str:
        return self._named(self.hall) if self.hall else self.t("title_fallback")

    def clock_text(self) -> str:
        now = self.local_now()
        weekday = self.t(f"weekday_{now.weekday()}")
        return self.t("clock", date=f"{now:%Y-%m-%d}", weekday=weekday, time=f"{now:%H:%M}")

    def language_name(self, lang: str) -> str:
        """A language's own name for itself: the switch reads "English" to an English reader."""
        return tr(lang, "kiosk.language_name")

    def services(self, department: str | None = None) -> list[ServiceView]:
        return self.offer.services(department)

    def service(self, sid: str) -> ServiceView | None:
        return self.offer.service(sid)

    def departments(self) -> list[DepartmentView]:
        return self.offer.departments()

    @property
    def department_name(self) -> str:
        return self.offer.department_name(self.department)

    @property
    def notice(self) -> Notice | None:
        spec = self._notice
        if spec is None:
            return None
        if spec.service is None:
            return Notice(self.t("check_in_title"), self.t(spec.key or "check_in_other",
                                                           **dict(spec.params)))
        view = self.service(spec.service)
        title = view.name if view else spec.service
        first = self.t(spec.key) if spec.key else (view.status if view else "")
        return Notice(title, "\n".join(part for part in (first, view.hours if view else "") if part))

    @property
    def paused_pending(self) -> bool:
        return self.touch is not None and self.screen is Screen.PAUSED

    def printer_problem(self) -> str:
        return self.t(f"printer_{self.printer_status.value}")

    def ticket_lines(self) -> list[str]:
        """What the confirmation screen says under the number."""
        if self.ticket is None:
            return []
        service = self.offer.by_id.get(self.ticket.get("service", ""), {})
        lines = [self._named(service)] if service else []
        ahead = int(self.ticket.get("ahead") or 0)
        if ahead <= 0:
            lines.append(self.t("ahead_none"))
        else:
            lines.append(self.t("ahead", ahead=ahead,
                                minutes=max(1, int(self.ticket.get("est_wait_min") or 0))))
        return lines

    # ------------------------------------------------------------------ touches

    def touched(self) -> None:
        """Any touch on the screen: the idle timeout starts again."""
        self._last_touch = self.monotonic()

    def set_language(self, lang: str) -> None:
        if lang in self.languages and lang != self.lang:
            self.lang = lang
            self.changed.emit()

    def choose_department(self, dept: str) -> None:
        if self.screen is not Screen.HOME:
            return
        self.department = dept
        self._show(Screen.SERVICES)

    def choose_service(self, sid: str) -> None:
        if self.screen is not Screen.SERVICES or self.touch is not None:
            return
        view = self.service(sid)
        if view is None:
            return
        if not view.available:
            self._show_notice(NoticeSpec(sid, None))
            return
        self._begin(Touch("issue", {"service": sid, "lang": self.lang}, self.monotonic()))

    def open_check_in(self) -> None:
        if self.screen is Screen.HOME:
            self.code = ""
            self._show(Screen.CHECK_IN)

    def key(self, digit: str) -> None:
        if self.screen is Screen.CHECK_IN and digit.isdigit() and len(self.code) < CODE_LENGTH_MAX:
            self.code += digit
            self.changed.emit()
        elif self.screen is Screen.TECHNICIAN and digit.isdigit() and len(self.pin) < 12:
            self.pin += digit
            self.pin_wrong = False
            self.changed.emit()

    def backspace(self) -> None:
        if self.screen is Screen.CHECK_IN:
            self.code = self.code[:-1]
        elif self.screen is Screen.TECHNICIAN:
            self.pin = self.pin[:-1]
        self.changed.emit()

    def clear(self) -> None:
        self.code = "" if self.screen is Screen.CHECK_IN else self.code
        self.pin = "" if self.screen is Screen.TECHNICIAN else self.pin
        self.changed.emit()

    def submit_code(self) -> None:
        if self.screen is Screen.CHECK_IN and self.code and self.touch is None:
            self._begin(Touch("check_in", {"code": self.code}, self.monotonic()))

    def scanned(self, code: str) -> None:
        """A code from the scanner: checked in from the start screen or the keypad screen."""
        self.touched()
        if self.screen not in (Screen.HOME, Screen.CHECK_IN, Screen.SERVICES, Screen.NOTICE):
            logger.info("scanned code ignored on the %s screen", self.screen.value)
            return
        if self.touch is None:
            self.code = code
            self._begin(Touch("check_in", {"code": code}, self.monotonic()))

    def back(self) -> None:
        """One step back: from a refusal to where the citizen was (the keypad with the code as
        typed, to be corrected; the department's services), otherwise to the start."""
        if self.screen is Screen.NOTICE and self._notice is not None:
            if self._notice.service is None:
                self._show(Screen.CHECK_IN)
                return
            if self.department is not None:
                self._show(Screen.SERVICES)
                return
        if self.screen in (Screen.SERVICES, Screen.CHECK_IN, Screen.NOTICE, Screen.TECHNICIAN):
            self._show(Screen.HOME)

    def finish(self) -> None:
        """"Done" on the confirmation screen, or "I have noted my number" on the unprinted one."""
        if self.screen is Screen.DONE:
            self.home()
        elif self.screen is Screen.UNPRINTED:
            self._give_up_printing()

    def cancel_waiting(self) -> None:
        """The citizen stops waiting for the hub to come back (the paused screen's button)."""
        if self.touch is not None and self.screen is Screen.PAUSED:
            logger.info("touch %s given up while the hub was unreachable", self.touch.req_id)
            self.bus.forget(self.touch.req_id)  # not sent later: nobody would hold the ticket
            self.touch = None
            self.changed.emit()

    def home(self) -> None:
        """Back to the start (or to the out-of-service screen while the printer cannot print)."""
        self.lang = self.default_lang
        self.department = None
        self.code = ""
        self._show(Screen.HOME if self.printer_status.can_print else Screen.OUT_OF_SERVICE)

    def technician_gesture(self) -> None:
        if self.screen in (Screen.ISSUING, Screen.UNPRINTED):
            return
        self.pin, self.pin_wrong = "", False
        self._show(Screen.TECHNICIAN)

    def submit_pin(self) -> None:
        if self.screen is not Screen.TECHNICIAN:
            return
        if self.technician_pin is not None and self.pin == self.technician_pin:
            logger.info("technician PIN accepted: leaving the kiosk app")
            self.pin = ""
            self.quit_requested.emit()
            return
        logger.warning("wrong technician PIN entered")
        self.pin, self.pin_wrong = "", True
        self.changed.emit()

    # ------------------------------------------------------------------ a touch's journey

    def _begin(self, touch: Touch) -> None:
        self.touched()
        if not self.printer_status.can_print:
            self._show(Screen.OUT_OF_SERVICE)
            return
        self.touch = touch
        if not self.connected:  # kept, as the paused screen says, until the hub is back
            touch.waiting_for_hub = True
            self._show(Screen.PAUSED)
            return
        self._show(Screen.ISSUING)
        self.jobs.check(lambda status: self._checked(touch, status))

    def _checked(self, touch: Touch, status: PrinterStatus) -> None:
        self._printer_is(status)
        if touch is not self.touch:
            return
        if not status.can_print:
            logger.warning("not issuing: the printer is %s", status.value)
            self.touch = None
            self._show(Screen.OUT_OF_SERVICE)
            return
        self._send(touch)

    def _send(self, touch: Touch) -> None:
        logger.info("%s %s (request %s)", touch.op, touch.params, touch.req_id)
        touch.sent = True
        self.bus.request(touch.op, touch.params, req_id=touch.req_id, timeout=REQUEST_TIMEOUT_S,
                         on_done=lambda ok, payload: self._replied(touch, ok, payload))

    def _replied(self, touch: Touch, ok: bool, payload: dict[str, Any]) -> None:
        if touch is not self.touch:
            logger.info("late reply to a touch given up: %s", payload)
            return
        if ok:
            self.touch = None
            self.ticket = dict(payload["ticket"])
            content = self.ticket_content(self.ticket)
            self._job = content
            self._print(content)
            return
        code = str(payload.get("code", "internal"))
        if code == "unavailable":
            # no answer in time: the paused screen, where the citizen may stop waiting; the
            # request stays with the bus, which sends it again after a reconnect
            touch.waiting_for_hub = True
            self._show(Screen.PAUSED)
            if self.connected:  # the hub is there but slow (or frozen): wait on for its answer
                self._send(touch)
            return
        self.touch = None
        message = str(payload.get("message", ""))
        logger.info("%s refused: %s %s", touch.op, code, message)
        self._refusal(touch, code, message)

    def _refusal(self, touch: Touch, code: str, message: str) -> None:
        if touch.op == "issue":
            sid = touch.params["service"]
            self.offer.refused(sid, code)
            key = code if code in ("service_closed", "quota_reached", "unknown_service") else "other"
            self._show_notice(NoticeSpec(sid, f"refused_{key}"))
            return
        params = [("code", str(touch.params["code"]))]
        if code == "not_found":
            reason = "not_found"
        elif code == "invalid_state":
            refusal = read_check_in_refusal(str(touch.params["code"]), message)
            reason = refusal.reason or "invalid_state"
            if refusal.time:  # the hub named the slot's start or end, in hall time
                reason += "_at"
                params += [("time", refusal.time), ("opens", refusal.opens or "")]
        else:
            reason = "other"
        self._show_notice(NoticeSpec(None, f"check_in_{reason}", tuple(params)))

    def ticket_content(self, ticket: dict[str, Any]) -> TicketContent:
        return ticket_content(ticket, self.hall, self.offer.by_id, self.lang, self.languages)

    def _print(self, content: TicketContent) -> None:
        self._printing = True
        self.jobs.print_ticket(content, lambda outcome: self._printed(content, outcome))

    def _printed(self, content: TicketContent, outcome: PrintOutcome) -> None:
        self._printing = False
        fresh = content is self._job  # the first print of the ticket just issued
        self._job = None
        self._printer_is(outcome.status)
        if outcome.printed:
            if self._unprinted is content:
                logger.info("ticket %s printed on a retry", content.number)
                self._report({"printer": outcome.status.value, "reprinted": content.number})
                self._unprinted = None
                self._show(Screen.DONE)
            elif fresh:
                self._show(Screen.DONE)
            return
        logger.error("ticket %s issued but not printed: %s", content.number, outcome.message)
        if fresh:
            self._unprinted = content
            self._report({"printer": outcome.status.value, "unprinted": content.number})
            self._show(Screen.UNPRINTED)
        self._next_print = self.monotonic() + PRINT_RETRY_S

    def _give_up_printing(self) -> None:
        if self._unprinted is not None:
            logger.warning("ticket %s left unprinted: the citizen noted the number",
                           self._unprinted.number)
        self._unprinted = None
        self.home()

    @property
    def unprinted_number(self) -> str | None:
        return self._unprinted.number if self._unprinted else None

    # ------------------------------------------------------------------ the printer

    def _printer_is(self, status: PrinterStatus) -> None:
        changed = status is not self.printer_status
        self.printer_status = status
        if status is not self._reported and self.connected:
            self._reported = status
            self._report({"printer": status.value})
        if not changed:
            return
        logger.info("printer is now %s", status.value)
        if not status.can_print:  # watch for the new paper roll closely
            self._next_poll = min(self._next_poll, self.monotonic() + PRINTER_POLL_DOWN_S)
        if not status.can_print and self.screen in REPLACEABLE:
            self._show(Screen.OUT_OF_SERVICE)
        elif status.can_print and self.screen is Screen.OUT_OF_SERVICE:
            self.home()
        else:
            self.changed.emit()

    def _report(self, status: dict[str, Any]) -> None:
        if not self.connected:
            return
        def done(ok: bool, payload: dict[str, Any]) -> None:
            if not ok:
                logger.warning("device_status %s not taken: %s", status, payload)

        self.bus.request("device_status", {"status": status}, timeout=REQUEST_TIMEOUT_S,
                         on_done=done)

    def _polled(self, status: PrinterStatus) -> None:
        self._polling = False
        self._printer_is(status)

    # ------------------------------------------------------------------ time

    def tick(self) -> None:
        """Run the timeouts; the app calls this a few times a second."""
        now = self.monotonic()
        if (not self.connected and self._lost_since is not None
                and now - self._lost_since >= PAUSE_AFTER_S
                and (self.screen in REPLACEABLE or self.screen is Screen.OUT_OF_SERVICE)):
            self._show(Screen.PAUSED)
        touch = self.touch
        if touch is not None and touch.waiting_for_hub and now - touch.started > PENDING_TOUCH_S:
            logger.warning("touch %s given up: the hub did not come back", touch.req_id)
            self.bus.forget(touch.req_id)
            self.touch = None
            self.home()
        if self.screen is Screen.PAUSED and self.touch is None and self.connected:
            self.home()
        self._poll_printer(now)
        # a ticket not printed is sent again only to a printer that says it can print: a printer
        # out of paper keeps what it is sent, and would print a pile of copies with the new roll
        if (self._unprinted is not None and not self._printing and not self._polling
                and now >= self._next_print and self.printer_status.can_print):
            self._print(self._unprinted)
        if self.screen is Screen.UNPRINTED and now - self._screen_since > UNPRINTED_HOLD_S:
            self._give_up_printing()
        idle = now - max(self._last_touch, self._screen_since)
        if self.screen is Screen.DONE and now - self._screen_since >= DONE_SECONDS:
            self.home()
        elif self.screen in BROWSING and idle >= self.idle_seconds:
            logger.info("idle for %.0f s on the %s screen: back to the start", idle, self.screen)
            self.home()
        elif self.screen is Screen.HOME and self.lang != self.default_lang \
                and idle >= self.idle_seconds:
            self.home()
        # a service opens or closes at its hour (or a refusal's hold ends) with nobody touching
        # the screen and no word from the hub: the screen is drawn again then
        states = self.offer.states()
        if states != self._offered:
            self._offered = states
            self.changed.emit()

    def _poll_printer(self, now: float) -> None:
        if self._polling or self.touch is not None or self._printing or now < self._next_poll:
            return
        down = self.screen is Screen.OUT_OF_SERVICE or not self.printer_status.can_print
        self._next_poll = now + (PRINTER_POLL_DOWN_S if down else PRINTER_POLL_S)
        self._polling = True
        self.jobs.check(self._polled)

    # ------------------------------------------------------------------ helpers

    def _show_notice(self, spec: NoticeSpec) -> None:
        self._notice = spec
        self._show(Screen.NOTICE)

    def _show(self, screen: Screen) -> None:
        if screen is not self.screen:
            logger.debug("screen %s -> %s", self.screen.value, screen.value)
            self.screen = screen
            self._screen_since = self.monotonic()
        if screen is Screen.HOME:
            self._notice = None
        self.changed.emit()
