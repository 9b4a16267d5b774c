"""The hall bus: message schema shared by the hub and every device (docs/protocol.md).

Requests are parsed and checked here (``parse_request``), replies are built here (``reply_ok``,
``reply_error``), and ``event_for`` and ``snapshot_for`` trim what each role may see (displays get
no personal data); the hub frames events itself, so that each event's data is encoded once. Every
app imports this module; nothing here does I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import orjson

from hub.errors import RequestError

PROTOCOL_VERSION = 1
MAX_FRAME = 64 * 1024
DEFAULT_PORT = 8765


class Role(StrEnum):
    KIOSK = "kiosk"
    COUNTER = "counter"
    DISPLAY = "display"
    DESK = "desk"
    ADMIN = "admin"


class Code(StrEnum):
    BAD_REQUEST = "bad_request"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    INVALID_STATE = "invalid_state"
    UNKNOWN_SERVICE = "unknown_service"
    SERVICE_CLOSED = "service_closed"
    QUOTA_REACHED = "quota_reached"
    QUEUE_EMPTY = "queue_empty"
    RATE_LIMITED = "rate_limited"
    INTERNAL = "internal"


TICKET_STATES = ("waiting", "called", "serving", "done", "no_show", "cancelled")
PRIORITIES = ("normal", "green", "appointment")
WINDOW_STATES = ("closed", "open", "paused")
#: window states by how soon a ticket sent to such a window is called (lists to send to)
CALLED_SOONEST = ("open", "paused", "closed")


def send_order(state: object, number: int) -> tuple[int, int]:
    """Sort key of a window in a list to send a ticket to: open ones first, then paused, then
    closed (nobody there would call it), each by number."""
    rank = CALLED_SOONEST.index(state) if state in CALLED_SOONEST else len(CALLED_SOONEST)
    return rank, number
SCORES = {1: "dissatisfied", 2: "basically_satisfied", 3: "satisfied", 4: "very_satisfied"}

ALL = frozenset(Role)
STAFF = frozenset({Role.DESK, Role.ADMIN})
COUNTER = frozenset({Role.COUNTER, Role.ADMIN})

# event name -> roles that receive it
EVENT_ROLES: dict[str, frozenset[Role]] = {
    "ticket_issued": ALL - {Role.DISPLAY},
    "ticket_called": ALL,
    "ticket_started": ALL,
    "ticket_finished": ALL,
    "ticket_no_show": ALL,
    "ticket_cancelled": ALL,
    "ticket_reinstated": ALL,
    "ticket_transferred": ALL,
    "ticket_prioritised": ALL,
    "ticket_rated": STAFF,
    "ticket_followed_up": STAFF,
    "queue_changed": ALL,
    "window_changed": ALL,
    "announcement": ALL,
    "device_alert": STAFF,
    "day_started": ALL,
}

# ---------------------------------------------------------------------------------- parameters

Check = Callable[[Any], str | None]


def _int_range(low: int, high: int) -> Check:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int):
            return "must be a whole number"
        if not low <= value <= high:
            return f"must be from {low} to {high}"
        return None
    return check


def _text(low: int, high: int, pattern: str | None = None) -> Check:
    regex = re.compile(pattern) if pattern else None

    def check(value: Any) -> str | None:
        if not isinstance(value, str):
            return "must be a string"
        if not low <= len(value) <= high:
            return f"must be {low} to {high} characters long"
        if regex is not None and not regex.fullmatch(value):
            return f"'{value}' is not of the expected form"
        return None
    return check


def _one_of(*choices: str) -> Check:
    def check(value: Any) -> str | None:
        if value not in choices:
            return "must be one of " + ", ".join(f'"{c}"' for c in choices)
        return None
    return check


#: a device's status: parts in one report, and parts the hub keeps of one device
STATUS_PARTS_MAX = 32


def _status(value: Any) -> str | None:
    if not isinstance(value, dict) or not value:
        return "must be a non-empty object like {\"printer\": \"paper_out\"}"
    if len(value) > STATUS_PARTS_MAX:
        return f"has too many entries ({STATUS_PARTS_MAX} at most)"
    for key, item in value.items():
        if not isinstance(key, str) or not 1 <= len(key) <= 64:
            return "keys must be names of 1 to 64 characters"
        if item is not None and not isinstance(item, str | int | float | bool):
            return f"'{key}' must be a string, number, true/false or null"
        if isinstance(item, str) and len(item) > 200:
            return f"'{key}' is longer than 200 characters"
    return None


#: the longest waiting promise a report is asked to measure against, in minutes (a day)
WAIT_TARGET_MAX = 1440


def _minutes(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "must be a number of minutes"
    if not 0 < value <= WAIT_TARGET_MAX:
        return f"must be more than 0 and at most {WAIT_TARGET_MAX} minutes"
    return None


def _minutes_by_service(value: Any) -> str | None:
    if not isinstance(value, dict):
        return "must be an object of service ids and minutes, like {\"realty\": 45}"
    if len(value) > 256:
        return "has too many services (256 at most)"
    for key, item in value.items():
        if not 1 <= len(key) <= LOOKUP_MAX:
            return f"keys must be service ids of 1 to {LOOKUP_MAX} characters"
        problem = _minutes(item)
        if problem:
            return f"'{key}' {problem}"
    return None


@dataclass(frozen=True)
class Param:
    name: str
    check: Check
    required: bool = True
    # what the hub keeps of a value that passed the check (a staff number sent as a number is
    # kept as the text it is stored under)
    convert: Callable[[Any], Any] | None = None


def _text_or_whole(low: int, high: int) -> Check:
    """Text, or a whole number written as one (a staff number or a PIN of digits)."""
    text = _text(low, high)

    def check(value: Any) -> str | None:
        if isinstance(value, int) and not isinstance(value, bool):
            return text(str(value))
        return text(value)
    return check


WINDOW = Param("window", _int_range(1, 999))
DEVICE_NAME = Param("device", _text(1, 64))
#: the longest name a request may give for something the hub looks up (a service, a ticket's
#: number or id, an appointment code, a clerk, a PIN). Any string up to it that names nothing
#: is answered with the op's own code (unknown_service, not_found, unauthorized), as a name
#: that is merely wrong should be; only a longer one is an absurd size (bad_request).
LOOKUP_MAX = 256
LOOKUP = _text(1, LOOKUP_MAX)
TICKET_REF_MAX = 64  # the longest ticket reference the hall's own apps let a person type
TICKET_REF = Param("ticket", LOOKUP)
SERVICE_ID = LOOKUP
POSITION2 = _one_of("first", "last")
NOTE_MAX = 500  # a follow-up's note, in characters (the desk's entry line holds no more)
ANNOUNCE_MAX = 500  # an announcement's text
REASON_MAX = 200  # a cancel's or a pause's reason
CODE_MAX = 64  # the longest check-in code the importer takes and the kiosk's scanner reads


@dataclass(frozen=True)
class OpSpec:
    name: str
    roles: frozenset[Role]
    params: tuple[Param, ...] = ()
    mutates: bool = True
    # exactly one of these may and must be given (transfer / reassign targets)
    one_of: tuple[str, ...] = ()
    windowed: bool = False  # acts on params["window"]: counters only on their own window


OPS: dict[str, OpSpec] = {spec.name: spec for spec in [
    OpSpec("hello", ALL, (DEVICE_NAME, Param("token", _text(1, 256)),
                          Param("protocol", _int_range(1, 99))), mutates=False),
    OpSpec("sync", ALL, mutates=False),
    OpSpec("issue", frozenset({Role.KIOSK, Role.DESK, Role.ADMIN}),
           (Param("service", SERVICE_ID), Param("priority", _one_of(*PRIORITIES), False),
            # the citizen's language, recorded with the ticket (one not the hall's as none)
            Param("lang", _text(1, 35), False))),
    OpSpec("check_in", frozenset({Role.KIOSK, Role.DESK}), (Param("code", LOOKUP),)),
    OpSpec("sign_in", COUNTER, (WINDOW, Param("clerk", _text_or_whole(1, LOOKUP_MAX), convert=str),
                                Param("pin", _text_or_whole(1, LOOKUP_MAX), convert=str)),
           windowed=True),
    OpSpec("sign_out", COUNTER, (WINDOW,), windowed=True),
    OpSpec("call_next", COUNTER, (WINDOW,), windowed=True),
    OpSpec("call_number", COUNTER, (WINDOW, Param("number", LOOKUP)), windowed=True),
    OpSpec("recall", COUNTER, (WINDOW,), windowed=True),
    OpSpec("start", COUNTER, (WINDOW,), windowed=True),
    OpSpec("no_show", COUNTER, (WINDOW,), windowed=True),
    OpSpec("finish", COUNTER, (WINDOW,), windowed=True),
    OpSpec("transfer", COUNTER,
           (WINDOW, Param("to_service", SERVICE_ID, False), Param("to_window", _int_range(1, 999),
                                                                    False),
            Param("position", POSITION2),
            # (added) the ticket the clerk means, by id or number: refused if the window now
            # calls another (a call from its keypad may not have reached the screen yet)
            Param("ticket", LOOKUP, False)), one_of=("to_service", "to_window"),
           windowed=True),
    OpSpec("pause", COUNTER, (WINDOW, Param("reason", _text(0, REASON_MAX), False)),
           windowed=True),
    OpSpec("resume", COUNTER, (WINDOW,), windowed=True),
    OpSpec("rate", COUNTER, (TICKET_REF, Param("score", _int_range(1, 4)))),
    OpSpec("reassign", STAFF,
           (TICKET_REF, Param("to_service", SERVICE_ID, False),
            Param("to_window", _int_range(1, 999), False),
            Param("position", _one_of("first", "last", "keep"))),
           one_of=("to_service", "to_window")),
    OpSpec("prioritise", STAFF, (TICKET_REF,)),
    OpSpec("reinstate", STAFF, (TICKET_REF, Param("position", POSITION2))),
    OpSpec("cancel", STAFF, (TICKET_REF, Param("reason", _text(0, REASON_MAX), False))),
    OpSpec("follow_up", STAFF, (TICKET_REF, Param("note", _text(1, NOTE_MAX)))),
    OpSpec("find", ALL - {Role.DISPLAY}, (TICKET_REF,), mutates=False),
    OpSpec("window_figures", COUNTER, (WINDOW,), mutates=False, windowed=True),
    OpSpec("announce", STAFF, (Param("text", _text(1, ANNOUNCE_MAX)),
                               Param("lang", _text(2, 3, r"[a-z]{2,3}"), False))),
    OpSpec("device_status", ALL, (Param("status", _status),)),
    OpSpec("report", STAFF, (Param("from", _text(10, 10, r"\d{4}-\d{2}-\d{2}")),
                             Param("to", _text(10, 10, r"\d{4}-\d{2}-\d{2}")),
                             # the hall's waiting promise, as the desk is set to watch it
                             Param("wait_min", _minutes, False),
                             Param("wait_min_by_service", _minutes_by_service, False)),
           mutates=False),
    OpSpec("follow_ups", STAFF, (), mutates=False),
    OpSpec("devices", STAFF, (), mutates=False),
]}

REQ_ID = _text(1, 64)


@dataclass(frozen=True)
class Request:
    op: str
    id: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def spec(self) -> OpSpec:
        return OPS[self.op]


class BadFrame(RequestError):
    """A frame that is not a valid request; ``req_id`` is its id if it could be read."""

    def __init__(self, message: str, req_id: str | None = None,
                 code: str = Code.BAD_REQUEST) -> None:
        super().__init__(code, message)
        self.req_id = req_id


def parse_request(frame: str | bytes) -> Request:
    """A checked request from one text frame; raises BadFrame saying what is wrong."""
    if isinstance(frame, bytes):
        raise BadFrame("binary frames are not accepted: send UTF-8 JSON text frames")
    try:
        message = orjson.loads(frame)
    except (orjson.JSONDecodeError, RecursionError) as err:
        raise BadFrame(f"frame is not JSON: {err}", _id_of_unusable(frame)) from None
    if not isinstance(message, dict):
        raise BadFrame(f"frame must be a JSON object, not {type(message).__name__}")
    raw_id = message.get("id")
    req_id = raw_id if REQ_ID(raw_id) is None else None
    if req_id is None:
        raise BadFrame("request 'id' is missing or not a string of 1 to 64 characters")
    op = message.get("op")
    if not isinstance(op, str) or op not in OPS:
        raise BadFrame(f"unknown op {op!r}; known ops: {', '.join(sorted(OPS))}", req_id)
    spec = OPS[op]
    params: dict[str, Any] = {}
    for param in spec.params:
        if param.name not in message or message[param.name] is None:
            if param.required:
                raise BadFrame(f"{op}: '{param.name}' is missing", req_id)
            continue
        problem = param.check(message[param.name])
        if problem:
            raise BadFrame(f"{op}: '{param.name}' {problem}", req_id)
        value = message[param.name]
        params[param.name] = param.convert(value) if param.convert else value
    if spec.one_of:
        given = [name for name in spec.one_of if name in params]
        if len(given) != 1:
            raise BadFrame(f"{op}: give exactly one of " + " or ".join(spec.one_of), req_id)
    return Request(op, req_id, params)


def _id_of_unusable(frame: str) -> str | None:
    """The id of a frame refused only for a number no JSON number can hold (1e999, NaN,
    Infinity, which Python's own reader takes), so the refusal names the request."""
    try:
        # integers are not read: one longer than Python's 4,300 digits would raise
        message = json.loads(frame, parse_int=lambda _digits: 0)
    except (ValueError, RecursionError):
        return None
    raw_id = message.get("id") if isinstance(message, dict) else None
    if REQ_ID(raw_id) is not None:
        return None
    try:  # Python reads a lone surrogate ("\ud800") that no reply can carry back
        encode(raw_id)
    except TypeError:
        return None
    return str(raw_id)


def encode(message: Any) -> str:
    """Compact UTF-8 JSON (what json.dumps gives with ensure_ascii=False and no spaces)."""
    return orjson.dumps(message, option=orjson.OPT_NON_STR_KEYS).decode()


def reply_ok(req_id: str | None, result: dict[str, Any]) -> dict[str, Any]:
    return {"re": req_id, "ok": True, "result": result}


def reply_error(req_id: str | None, code: str, message: str) -> dict[str, Any]:
    return {"re": req_id, "ok": False, "error": {"code": str(code), "message": message}}


# --------------------------------------------------------------------------------- visibility

DISPLAY_TICKET_FIELDS = ("number", "service", "window")


def public_ticket(ticket: dict[str, Any]) -> dict[str, Any]:
    """A ticket as a display may see it: number, service and window only."""
    return {key: ticket.get(key) for key in DISPLAY_TICKET_FIELDS}


def _public_window(window: dict[str, Any]) -> dict[str, Any]:
    current = window.get("current")
    return {**window, "current": public_ticket(current) if current else None}


def event_for(role: Role, name: str, data: dict[str, Any]) -> dict[str, Any] | None:
    """The event data ``role`` receives, or None if the role does not receive this event."""
    if role not in EVENT_ROLES.get(name, ALL):
        return None
    if role != Role.DISPLAY:
        return data
    trimmed = dict(data)
    if isinstance(trimmed.get("ticket"), dict):
        trimmed["ticket"] = public_ticket(trimmed["ticket"])
    if isinstance(trimmed.get("window"), dict):
        trimmed["window"] = _public_window(trimmed["window"])
    return trimmed


def ticket_for(role: Role, ticket: dict[str, Any]) -> dict[str, Any]:
    """A ticket as ``role`` may see it in a snapshot or a lookup: a display sees its number,
    service and window; a kiosk or counter all but its rating (ratings go to desk and admin):
    ``score`` null, as on every ticket in the events they receive, and no ``follow_up``."""
    if role == Role.DISPLAY:
        return public_ticket(ticket)
    if role in EVENT_ROLES["ticket_rated"] or (ticket.get("score") is None
                                               and "follow_up" not in ticket):
        return ticket
    out = {key: value for key, value in ticket.items() if key != "follow_up"}
    out["score"] = None
    return out


#: the roles whose snapshot carries the waiting list (protocol.md: desk, counter and admin)
WAITING_ROLES = frozenset({Role.DESK, Role.COUNTER, Role.ADMIN})


def snapshot_for(role: Role, snapshot: dict[str, Any]) -> dict[str, Any]:
    """The snapshot ``role`` receives: no waiting list for kiosks and displays, no personal data
    for displays, ratings and the devices' state only for the roles that get their events."""
    out = dict(snapshot)
    if role not in WAITING_ROLES:
        out.pop("waiting", None)
    if role not in EVENT_ROLES["device_alert"]:
        out.pop("devices", None)
    if role not in EVENT_ROLES["ticket_rated"]:
        out["windows"] = [{**w, "current": ticket_for(role, w["current"])} if w.get("current")
                          else w for w in snapshot["windows"]]
        out["recent_calls"] = [{**c, "ticket": ticket_for(role, c["ticket"])}
                               for c in snapshot["recent_calls"]]
    return out


def ticket_number(prefix: str, n: int) -> str:
    """A001 .. A999, then A1000 and on."""
    return f"{prefix}{n:03d}"
