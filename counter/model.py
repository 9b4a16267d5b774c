"""The clerk's view-model: what the counter client shows and the commands its buttons send.

:class:`ClerkModel` holds the state of one window as the hub describes it (fed snapshots, events
and the bus status, exactly as :class:`hub.qtbus.QtBus` delivers them) and turns each press of a
button, a shortcut or a keypad key into one hub request. It imports no widgets: tests drive it with
plain dicts and a fake bus.

Rules it keeps:

- One request at a time. While a request is in flight every action is disabled, so a double click
  or a bouncing key makes one request, never two. Each press gets its own request id, except that
  pressing the same action again after the hub did not answer retries the *same* request (the hub
  then answers it once, whatever happened to the first attempt).
- An action is enabled only when the hub would accept it (signed in, a ticket called, not paused…)
  and the hub is reachable; a keypad key pressed when its action is not possible says why.
- Every reply ends in a :class:`Notice` in plain words, in the screen's language. A notice whose
  cause is gone goes: "nobody is waiting" once someone waits, "the hub is unreachable" once it
  is back; an error on the sign-in page after :data:`SIGN_IN_ERROR_SECONDS` (the next clerk
  must not find the last one's wrong PIN).
- The waiting list is in the hub's calling order (:meth:`ClerkModel.waiting`), from each
  ticket's place in line (``first``, ``line_ord``) and the window's ``serves`` and ``policy``.
- Recall, like a call, is refused while the window is paused: the clerk resumes first (the
  window's sign and screens say "paused" until then).

The clerk's figures (served today, mean service time, ratings) are the hub's (op
``window_figures``): asked after each sync and sign-in, on each ``ticket_finished`` and
``ticket_no_show`` at this window (also those of a call that finishes the ticket before it), and
now and then for two minutes after a finish, since counters do not receive ``ticket_rated``
and the citizen rates on another device. So they are the day's whole figures also after a
restart of this client.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import partial
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal

from counter.errors import CounterError
from counter.keypad import KeypadAction
from hub.i18n import catalogue, listed_pause_reason, pause_reason_in, tr
from hub.lines import calling_order
from hub.protocol import send_order
from hub.settings_file import ascii_digits

logger = logging.getLogger(__name__)

ReplyHandler = Callable[[bool, dict[str, Any]], None]
WallClock = Callable[[], datetime]

# how long after a finish the client still asks the hub for its figures (the rating comes later)
RATING_LOOKUP_SECONDS = 120.0
#: a window's state -> how the transfer list names it (a closed window calls nobody)
WINDOW_CHOICE = {"open": "window_choice", "paused": "window_choice_paused"}
#: A press not answered in this time says so, and then waits on for the hub's answer.
REQUEST_TIMEOUT_S = 10.0
#: The waiting numbers the clerk sees, in the order the window calls them (lines wrap in the
#: panel, which has room for this many on the smallest counter screen).
SHOWN_WAITING = 30
#: an error on the sign-in page (wrong PIN, "sign in first") is gone after this long
SIGN_IN_ERROR_SECONDS = 60.0
#: notices that hold only while the hub is unreachable, or while nobody waits
OFFLINE_NOTICES = frozenset({"counter.refused_offline"})
EMPTY_NOTICES = frozenset({"counter.error_queue_empty", "counter.error_call_next_queue_empty"})


def utc_now() -> datetime:
    return datetime.now(UTC)


class Requester(Protocol):
    """The part of :class:`hub.qtbus.QtBus` the model uses (a test hands in its own)."""

    def request(
        self,
        op: str,
        params: dict[str, Any] | None = None,
        *,
        on_done: ReplyHandler | None = None,
        req_id: str | None = None,
        timeout: float | None = 10.0,
    ) -> str: ...


class Action(StrEnum):
    """What a clerk can do; the value is the hub operation."""

    SIGN_IN = "sign_in"
    CALL_NEXT = "call_next"
    CALL_NUMBER = "call_number"
    RECALL = "recall"
    START = "start"
    NO_SHOW = "no_show"
    FINISH = "finish"
    TRANSFER = "transfer"
    PAUSE = "pause"
    RESUME = "resume"
    SIGN_OUT = "sign_out"


# the states of the current ticket each ticket action needs (as the hub checks them)
NEEDS_STATE: dict[Action, tuple[str, ...]] = {
    Action.RECALL: ("called",),
    Action.START: ("called",),
    Action.NO_SHOW: ("called",),
    Action.FINISH: ("called", "serving"),
    Action.TRANSFER: ("called", "serving"),
}


class NoticeKind(StrEnum):
    OK = "ok"
    ERROR = "error"
    INFO = "info"
    WARN = "warn"  # done, but the clerk should know something (sent to an unstaffed window)


@dataclass(frozen=True)
class Notice:
    """The result of the last action, in words for the clerk."""

    kind: NoticeKind
    text: str


class Words:
    """Catalogue words not yet put into a language: a key and its parameters, which may themselves
    be :class:`Words` or callables giving text (a service's name), all rendered at display time so
    a notice follows the screen when the clerk switches languages."""

    def __init__(self, key: str, *, section: str = "counter", **params: object) -> None:
        self.key = f"{section}.{key}" if section else key
        self.params = params

    def render(self, lang: str) -> str:
        values: dict[str, object] = {}
        for name, value in self.params.items():
            if isinstance(value, Words):
                value = value.render(lang)
            elif callable(value):
                value = value()
            values[name] = value
        return tr(lang, self.key, **values)

    def __repr__(self) -> str:
        return f"Words({self.key!r}, {self.params!r})"


@dataclass(frozen=True)
class Figures:
    served: int
    mean_seconds: float | None
    rated: int
    scores: dict[int, int]

    @classmethod
    def of(cls, figures: Mapping[str, Any]) -> Figures:
        """From the hub's figures (a report's FIGURES)."""
        mean = figures.get("mean_service_min")
        ratings = figures.get("ratings") or {}
        scores = {int(k): int(v) for k, v in ratings.items() if str(k).isdigit() and v}
        return cls(served=int(figures.get("served") or 0),
                   mean_seconds=float(mean) * 60 if isinstance(mean, int | float) else None,
                   rated=int(figures.get("rated") or 0), scores=scores)


@dataclass(frozen=True)
class TransferTarget:
    """A place the current ticket can be sent: a service (``service``) or a window (``window``)."""

    label: str
    service: str | None = None
    window: int | None = None


def parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        logger.warning("time %r from the hub not understood", value)
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def duration_text(seconds: float) -> str:
    """``4:05`` or ``1:02:03``."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def normalise_number(text: str) -> str | None:
    """A ticket number as typed (``" c12 "``, or full-width ``"Ｃ12"`` from a Chinese input
    method) in the hub's form (``"C012"``), or None if it is not one."""
    cleaned = unicodedata.normalize("NFKC", text).strip().upper()
    letters = "".join(ch for ch in cleaned if ch.isalpha())
    digits = cleaned[len(letters) :]
    if not 1 <= len(letters) <= 2 or not cleaned.startswith(letters) or not letters.isascii():
        return None
    if not ascii_digits(digits) or len(digits) > 5:
        return None
    return f"{letters}{int(digits):03d}"


class ClerkModel(QObject):
    """One window's counter: state from the bus, commands to the hub. Emits :attr:`changed`."""

    changed = Signal()

    def __init__(
        self, bus: Requester, *, lang: str = "zh", clock: WallClock = utc_now
    ) -> None:
        super().__init__()
        self._bus = bus
        self.lang = lang
        self._clock = clock
        self.window: int | None = None
        self.connected = False
        self.status_detail = ""
        self.synced = False
        self.day = ""
        self.hall: dict[str, Any] = {}
        self.services: dict[str, dict[str, Any]] = {}
        self.windows: dict[int, dict[str, Any]] = {}
        self._waiting: dict[str, dict[str, Any]] = {}
        self._figures: tuple[str, Figures] | None = None  # the hub's: (clerk, figures)
        self._figures_asked = False  # a window_figures request is on its way
        self._figures_again = False  # something changed meanwhile: ask once more
        self._last_finish: datetime | None = None  # of a ticket at this window (for ratings)
        self.pending: Action | None = None
        self._notice: tuple[NoticeKind, Words] | None = None
        self._said_at: datetime | None = None

    # ------------------------------------------------------------------ feeding

    def set_window(self, window: int | None) -> None:
        """The window this device is enrolled with (the hello's ``window``)."""
        if window != self.window:
            self.window = window
            self.changed.emit()

    def set_lang(self, lang: str) -> None:
        self.lang = lang
        self.changed.emit()

    def on_status(self, connected: bool, detail: str) -> None:
        self.connected = connected
        self.status_detail = detail
        self._drop_stale_notice()
        self.changed.emit()

    def on_snapshot(self, seq: int, snapshot: Mapping[str, Any]) -> None:
        was_signed_in = self.signed_in
        day = str(snapshot.get("day", ""))
        if day != self.day:
            self._figures = None
            self._last_finish = None
            self.day = day
        self.hall = dict(snapshot.get("hall") or {})
        self.services = {s["id"]: s for s in snapshot.get("services", []) if "id" in s}
        self.windows = {w["number"]: w for w in snapshot.get("windows", []) if "number" in w}
        self._waiting = {}
        for ticket in snapshot.get("waiting", []):
            self._place(ticket)
        self.synced = True
        self.connected = True
        self._signed_out_elsewhere(was_signed_in)
        self._drop_stale_notice()
        self.refresh_figures(force=True)
        logger.debug("snapshot %d: window %s is %s", seq, self.window, self.window_state)
        self.changed.emit()

    def _signed_out_elsewhere(self, was_signed_in: bool) -> None:
        """The window closed, not by this clerk's sign-out here (a new hall day, or the clerk
        signed in at another window): the last action's words would mislead; say why."""
        if was_signed_in and not self.signed_in and self.pending is not Action.SIGN_OUT:
            self._say(NoticeKind.INFO, Words("signed_out_elsewhere"), emit=False)

    def on_event(self, frame: Mapping[str, Any]) -> None:
        name = frame.get("event")
        data = frame.get("data") or {}
        if name == "window_changed":
            window = data.get("window") or {}
            if "number" in window:
                was_signed_in = self.signed_in
                self.windows[window["number"]] = window
                self._signed_out_elsewhere(was_signed_in)
        elif name == "queue_changed":
            service = self.services.get(str(data.get("service")))
            if service is not None:
                service["waiting"] = data.get("waiting", service.get("waiting"))
                service["est_wait_min"] = data.get("est_wait_min", service.get("est_wait_min"))
        ticket = data.get("ticket")
        if isinstance(ticket, dict) and "id" in ticket:
            self._ticket_changed(str(name), ticket)
        self._drop_stale_notice()
        self.changed.emit()

    def _ticket_changed(self, event: str, ticket: dict[str, Any]) -> None:
        self._place(ticket)
        mine = self.window_state
        if mine is not None:
            current = mine.get("current")
            if isinstance(current, dict) and current.get("id") == ticket["id"]:
                here = ticket.get("window") == self.window and ticket.get("state") in (
                    "called",
                    "serving",
                )
                mine["current"] = ticket if here else None
        if event in ("ticket_finished", "ticket_no_show") and ticket.get("window") == self.window:
            if event == "ticket_finished":
                self._last_finish = self._clock()
            self.refresh_figures(force=True)

    def _place(self, ticket: dict[str, Any]) -> None:
        """Keep ``ticket`` in this window's waiting list if it waits for this window."""
        ticket_id = str(ticket["id"])
        if ticket.get("state") == "waiting" and self._waits_here(ticket):
            self._waiting[ticket_id] = ticket
        else:
            self._waiting.pop(ticket_id, None)

    def _waits_here(self, ticket: Mapping[str, Any]) -> bool:
        to_window = ticket.get("to_window")
        if to_window is not None:
            return bool(to_window == self.window)
        state = self.window_state
        return state is not None and ticket.get("service") in state.get("serves", ())

    # ------------------------------------------------------------------ reading

    @property
    def window_state(self) -> dict[str, Any] | None:
        return self.windows.get(self.window) if self.window is not None else None

    @property
    def clerk_id(self) -> str | None:
        state = self.window_state
        return state.get("clerk") if state else None

    @property
    def clerk_name(self) -> str:
        state = self.window_state
        return str(state.get("clerk_name") or "") if state else ""

    @property
    def signed_in(self) -> bool:
        state = self.window_state
        return state is not None and state.get("state") != "closed" and bool(state.get("clerk"))

    @property
    def paused(self) -> bool:
        state = self.window_state
        return state is not None and state.get("state") == "paused"

    @property
    def pause_reason(self) -> str:
        """Why the window is paused, in this clerk's language (a listed reason comes in each)."""
        state = self.window_state
        return self.said_reason(str(state.get("reason") or "") if state else "")

    def said_reason(self, reason: str) -> str:
        """A pause reason in this clerk's language (a listed one goes out in each)."""
        hall_languages = [str(lang) for lang in self.hall.get("languages") or []]
        return pause_reason_in(reason, self.lang, hall_languages)

    @property
    def current(self) -> dict[str, Any] | None:
        state = self.window_state
        current = state.get("current") if state else None
        if isinstance(current, dict) and current.get("state") in ("called", "serving"):
            return current
        return None

    @property
    def waiting(self) -> list[dict[str, Any]]:
        """Tickets waiting for this window, in the order the hub will call them."""
        state = self.window_state or {}
        order = calling_order(self.window, [str(s) for s in state.get("serves") or ()],
                              state.get("policy") == "ordered")
        return sorted(self._waiting.values(), key=order)

    def longest_wait_seconds(self) -> float | None:
        times = [parse_time(t.get("issued_at")) for t in self._waiting.values()]
        known = [t for t in times if t is not None]
        if not known:
            return None
        return (self._clock() - min(known)).total_seconds()

    def figures(self) -> Figures:
        """The signed-in clerk's figures at this window today, as the hub last gave them."""
        known = self._figures
        if known is None or known[0] != self.clerk_id:
            return Figures(served=0, mean_seconds=None, rated=0, scores={})
        return known[1]

    def enabled(self, action: Action) -> bool:
        """Whether ``action`` can be pressed now."""
        if not self.connected or not self.synced or self.pending is not None:
            return False
        if self.window is None or self.window_state is None:
            return False
        if action is Action.SIGN_IN:
            return not self.signed_in
        if not self.signed_in:
            return False
        current = self.current
        if action in (Action.CALL_NEXT, Action.CALL_NUMBER):
            return not self.paused
        if action is Action.RECALL and self.paused:
            return False  # a paused window calls nobody: its sign and screens say "paused"
        if action is Action.PAUSE:
            return not self.paused
        if action is Action.RESUME:
            return self.paused
        if action is Action.SIGN_OUT:
            return current is None
        return current is not None and current.get("state") in NEEDS_STATE[action]

    # ------------------------------------------------------------------ words

    def t(self, key: str, **params: object) -> str:
        return tr(self.lang, f"counter.{key}", **params)

    def service_name(self, service_id: str | None) -> str:
        service = self.services.get(str(service_id))
        if service is None:
            return str(service_id or "")
        if self.lang != "zh" and service.get("name_en"):
            return str(service["name_en"])
        return str(service.get("name", service_id))

    def window_name(self, number: int | None = None) -> str:
        number = self.window if number is None else number
        state = self.windows.get(number) if number is not None else None
        if state is None:
            return self.t("window_number", window=number) if number is not None else ""
        name = state.get("name_en") if self.lang != "zh" and state.get("name_en") else None
        return str(name or state.get("name") or self.t("window_number", window=number))

    def current_elapsed(self) -> float | None:
        """Seconds since the current ticket was called (or since serving began)."""
        current = self.current
        if current is None:
            return None
        key = "started_at" if current.get("state") == "serving" else "called_at"
        since = parse_time(current.get(key))
        return (self._clock() - since).total_seconds() if since else None

    def transfer_targets(self) -> tuple[list[TransferTarget], list[TransferTarget]]:
        """Where the current ticket can go: (services, other windows), in the hall's order."""
        services = [
            TransferTarget(self.service_name(sid), service=sid)
            for sid in self.services
            if not self.current or sid != self.current.get("service")
        ]
        windows = [
            TransferTarget(
                self.t(WINDOW_CHOICE.get(state, "window_choice_closed"), window=number,
                       name=self.window_name(number)),
                window=number,
            )
            for number, state in sorted(
                ((n, str(w.get("state", "closed"))) for n, w in self.windows.items()),
                key=lambda item: send_order(item[1], item[0]))
            if number != self.window
        ]
        return services, windows

    # ------------------------------------------------------------------ commands

    def sign_in(self, clerk: str, pin: str) -> bool:
        clerk, pin = clerk.strip(), pin.strip()
        if not clerk or not pin:
            self._say(NoticeKind.ERROR, Words("need_clerk_and_pin"))
            return False
        return self._send(Action.SIGN_IN, {"clerk": clerk, "pin": pin})

    def sign_out(self) -> bool:
        return self._send(Action.SIGN_OUT, {})

    def call_next(self) -> bool:
        return self._send(Action.CALL_NEXT, {})

    def call_number(self, number: str) -> bool:
        normal = normalise_number(number)
        if normal is None:
            self._say(NoticeKind.ERROR, Words("bad_number", number=number.strip()))
            return False
        return self._send(Action.CALL_NUMBER, {"number": normal})

    def recall(self) -> bool:
        return self._send(Action.RECALL, {})

    def start(self) -> bool:
        return self._send(Action.START, {})

    def no_show(self) -> bool:
        return self._send(Action.NO_SHOW, {})

    def finish(self) -> bool:
        return self._send(Action.FINISH, {})

    def transfer(self, target: TransferTarget, position: str = "last", *,
                 ticket: Mapping[str, Any] | None = None) -> bool:
        """Send the current ticket to ``target``. With ``ticket`` (the one the clerk chose to
        transfer), only if it is still the current one: the hub's ``transfer`` moves whatever
        the window calls now, and a call from the keypad may have replaced it meanwhile."""
        if position not in ("first", "last"):
            raise CounterError(f"transfer position {position!r}: use first or last")
        if ticket is not None and (self.current or {}).get("id") != ticket.get("id"):
            self._say(NoticeKind.ERROR, Words("refused_transfer_gone", number=ticket.get("number")))
            return False
        params: dict[str, Any] = {"position": position}
        if ticket is not None and ticket.get("id"):
            params["ticket"] = ticket["id"]  # the hub refuses if the window calls another now
        if target.service is not None:
            params["to_service"] = target.service
        elif target.window is not None:
            params["to_window"] = target.window
        else:
            raise CounterError("a transfer needs a service or a window")
        return self._send(Action.TRANSFER, params)

    def pause(self, reason: str = "") -> bool:
        reason = reason.strip()
        return self._send(Action.PAUSE, {"reason": reason} if reason else {})

    def preset_reason(self, key: str) -> str:
        """A listed pause reason as the hall's screens show it: in each of the hall's languages
        ("午休 / Lunch break"), whatever language this clerk's screen is in."""
        return listed_pause_reason(key, [str(lang) for lang in self.hall.get("languages") or []])

    def resume(self) -> bool:
        return self._send(Action.RESUME, {})

    def press(self, key: KeypadAction | Action) -> bool:
        """A keypad key or a shortcut: the same command as its button (pause without a reason)."""
        action = Action(key.value)
        simple: dict[Action, Callable[[], bool]] = {
            Action.CALL_NEXT: self.call_next,
            Action.RECALL: self.recall,
            Action.START: self.start,
            Action.NO_SHOW: self.no_show,
            Action.FINISH: self.finish,
            Action.PAUSE: self.pause,
            Action.RESUME: self.resume,
            Action.SIGN_OUT: self.sign_out,
        }
        command = simple.get(action)
        if command is None:
            raise CounterError(f"{action} needs more than a key press")
        return command()

    def press_refused(self, action: Action) -> None:
        """Say why ``action`` cannot be done now (a shortcut pressed while its button is grey)."""
        if not self.enabled(action):
            self._say(NoticeKind.ERROR, self._refusal(action))

    def refresh_figures(self, force: bool = False) -> bool:
        """Ask the hub for the clerk's figures: at once if ``force`` (something changed at this
        window), else (the app's timer) only while a recent finish may still be rated. Returns
        whether a request went (or will go, once the one on its way is answered)."""
        if not self.connected or not self.synced or self.window is None or not self.signed_in:
            return False
        if not force:
            last = self._last_finish
            if last is None or (self._clock() - last).total_seconds() > RATING_LOOKUP_SECONDS:
                return False
        if self._figures_asked:
            self._figures_again = True
            return True
        self._figures_asked = True
        self._bus.request("window_figures", {"window": self.window}, on_done=self._figured)
        return True

    def _figured(self, ok: bool, payload: dict[str, Any]) -> None:
        self._figures_asked = False
        if ok and payload.get("window") == self.window and isinstance(payload.get("figures"),
                                                                      dict):
            clerk = payload.get("clerk")
            try:
                self._figures = (str(clerk), Figures.of(payload["figures"])) if clerk else None
            except (TypeError, ValueError, AttributeError):
                logger.warning("window %s: figures the hub sent cannot be read: %s", self.window,
                               payload)
            self.changed.emit()
        elif not ok:
            logger.info("window %s: figures not available: %s", self.window, payload)
        if self._figures_again:
            self._figures_again = False
            self.refresh_figures(force=True)

    def _refusal(self, action: Action) -> Words:
        """Why ``action`` cannot be done now, for a key pressed when its button is disabled."""
        if not self.connected:
            return Words("refused_offline")
        if self.pending is not None:
            return Words("refused_busy", action=Words(f"action_{self.pending.value}"))
        if not self.signed_in:
            return Words("refused_signed_out")
        if action in (Action.CALL_NEXT, Action.CALL_NUMBER, Action.RECALL) and self.paused:
            return Words("refused_paused")
        if action is Action.PAUSE:
            return Words("refused_already_paused")
        if action is Action.RESUME:
            return Words("refused_not_paused")
        if action is Action.SIGN_OUT:
            return Words("refused_sign_out_current")
        if self.current is None:
            return Words("refused_no_ticket")
        return Words(
            "refused_state",
            number=self.current.get("number", ""),
            state=Words(f"states.{self.current.get('state')}", section=""),
        )

    def _send(self, action: Action, params: dict[str, Any]) -> bool:
        if not self.enabled(action):
            if self.pending is None or action is not self.pending:
                self._say(NoticeKind.ERROR, self._refusal(action))
            return False
        assert self.window is not None
        params = {"window": self.window, **params}
        self.pending = action
        self._say(NoticeKind.INFO, Words("sending", action=Words(f"action_{action}")))
        logger.info("window %s: %s %s", self.window, action, {k: v for k, v in params.items()
                                                             if k != "pin"})
        self._request(action, params, None, REQUEST_TIMEOUT_S)
        return True

    def _request(self, action: Action, params: dict[str, Any], req_id: str | None,
                 timeout: float | None) -> None:
        holder: dict[str, str] = {}

        def done(ok: bool, payload: dict[str, Any]) -> None:
            self._replied(action, params, holder.get("id", ""), ok, payload,
                          waited_out=timeout is None)

        holder["id"] = self._bus.request(action.value, params, on_done=done, req_id=req_id,
                                         timeout=timeout)

    def _replied(
        self, action: Action, params: dict[str, Any], req_id: str, ok: bool,
        payload: dict[str, Any], *, waited_out: bool = False,
    ) -> None:
        code = "" if ok else str(payload.get("code", "internal"))
        if code == "unavailable" and req_id and not waited_out and self.pending is action:
            # it may yet reach the hub (the bus sends it again, with its id, after a
            # reconnect): wait for its answer with the buttons held, so that nothing else is
            # done meanwhile and the same press is not done twice
            logger.info("window %s: %s not answered yet; waiting for the hub", self.window, action)
            self._say(NoticeKind.ERROR, Words("waiting_for_hub", action=Words(f"action_{action}")))
            self._request(action, params, req_id, None)
            return
        if self.pending is action:
            self.pending = None
        if ok:
            self._apply_result(action, payload)
            self._say(*self._success(action, params, payload), emit=False)
        else:
            logger.info("window %s: %s refused: %s", self.window, action, payload)
            self._say(NoticeKind.ERROR, self._error_text(action, params, payload), emit=False)
        self.changed.emit()

    def _apply_result(self, action: Action, result: Mapping[str, Any]) -> None:
        window = result.get("window")
        if isinstance(window, dict) and "number" in window:
            self.windows[window["number"]] = window
        ticket = result.get("ticket")
        if isinstance(ticket, dict) and "id" in ticket:
            self._place(ticket)
            state = self.window_state
            if state is not None:
                at_window = ticket.get("window") == self.window
                if at_window and ticket.get("state") in ("called", "serving"):
                    state["current"] = ticket
                elif isinstance(state.get("current"), dict) and (
                    state["current"].get("id") == ticket["id"]
                ):
                    state["current"] = None
        if action is Action.SIGN_IN:  # a finish or a no-show asks when its event comes
            self.refresh_figures(force=True)

    def _success(
        self, action: Action, params: Mapping[str, Any], result: Mapping[str, Any]
    ) -> tuple[NoticeKind, Words]:
        """What a done action says; a transfer to a window nobody serves now warns."""
        if action is Action.TRANSFER and params.get("to_window") is not None:
            number = (result.get("ticket") or {}).get("number", "")
            to_window = params["to_window"]
            state = str((self.windows.get(to_window) or {}).get("state", "closed"))
            words = partial(Words, number=number, window=to_window,
                            name=partial(self.window_name, to_window),
                            position=Words(f"position_{params.get('position', 'last')}"))
            if state in ("closed", "paused"):
                return NoticeKind.WARN, words(f"done_transfer_window_{state}")
            return NoticeKind.OK, words("done_transfer_window")
        return NoticeKind.OK, self._success_text(action, params, result)

    def _success_text(
        self, action: Action, params: Mapping[str, Any], result: Mapping[str, Any]
    ) -> Words:
        ticket = result.get("ticket") or {}
        number = ticket.get("number", "")
        if action is Action.SIGN_IN:
            return Words("done_sign_in", name=self.clerk_name, window=self.window)
        if action is Action.SIGN_OUT:
            return Words("done_sign_out")
        if action is Action.PAUSE:
            reason = params.get("reason")
            return (Words("done_pause_reason", reason=partial(self.said_reason, reason)) if reason
                    else Words("done_pause"))
        if action is Action.RESUME:
            return Words("done_resume")
        if action is Action.RECALL:
            return Words("done_recall", number=number, calls=ticket.get("calls", ""))
        if action is Action.TRANSFER:
            target = (
                partial(self.service_name, params["to_service"])
                if "to_service" in params
                else partial(self.window_name, params.get("to_window"))
            )
            place = Words(f"position_{params.get('position', 'last')}")
            return Words("done_transfer", number=number, target=target, position=place)
        return Words(f"done_{action.value}", number=number)

    def _error_text(
        self, action: Action, params: Mapping[str, Any], payload: Mapping[str, Any]
    ) -> Words:
        code = str(payload.get("code", "internal"))
        message = str(payload.get("message", ""))
        if code == "unauthorized" and "locked" in message:
            code = "locked"
        if action is Action.CALL_NUMBER and code == "invalid_state" and " is no_show," in message:
            code = "no_show"  # missed its call: the desk reinstates it (engine.call_number's words)
        words = catalogue("zh")
        for key in (f"error_{action.value}_{code}", f"error_{code}"):
            if f"counter.{key}" in words:
                return Words(key, number=params.get("number", ""), clerk=params.get("clerk", ""))
        return Words("error_other", code=code, message=message)

    def _say(self, kind: NoticeKind, words: Words, *, emit: bool = True) -> None:
        self._notice = (kind, words)
        self._said_at = self._clock()
        if emit:
            self.changed.emit()

    def _drop_stale_notice(self) -> None:
        """Forget a notice whose cause is gone: "the hub is unreachable" once it answers again,
        "nobody is waiting" once someone waits for this window."""
        if self._notice is None or self.pending is not None:
            return
        key = self._notice[1].key
        if (key in OFFLINE_NOTICES and self.connected and self.synced) or (
            key in EMPTY_NOTICES and self._waiting
        ):
            logger.debug("window %s: notice %s no longer holds", self.window, key)
            self._notice = None

    @property
    def notice(self) -> Notice | None:
        """The result of the last action, in the screen's language now; on the sign-in page an
        error only for :data:`SIGN_IN_ERROR_SECONDS` (it was the last clerk's)."""
        if self._notice is None:
            return None
        kind, words = self._notice
        if kind is NoticeKind.ERROR and not self.signed_in and self._said_at is not None and (
            (self._clock() - self._said_at).total_seconds() >= SIGN_IN_ERROR_SECONDS
        ):
            return None
        return Notice(kind, words.render(self.lang))


def waiting_numbers(tickets: Iterable[Mapping[str, Any]], limit: int = SHOWN_WAITING) -> list[str]:
    """The first ``limit`` ticket numbers of a waiting list."""
    return [str(t.get("number", "")) for t in list(tickets)[:limit]]
