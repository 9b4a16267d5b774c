"""What the hall's screens show, as plain data: the board and the three modes' view-models.

``HallBoard`` follows the bus: a snapshot rebuilds it, each event updates it, and the events
that must be heard come back as cues (``CallCue``, ``MessageCue``). It also knows whether a call
is still current (``call_over``): the announcer asks it just before it speaks. It never touches
Qt, a clock it was not given, or the network, so tests feed it the hub's own dicts.

``hall_screen``, ``window_screen`` and ``zone_screen`` turn the board into what one mode shows,
every string already taken from the catalogue, in the screen's primary language (large) and its
second language (smaller). ``DisplayModel`` is the thin QObject that the views and the bus wire to.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PySide6.QtCore import QObject, Signal, Slot

from display.announcer import MAX_AGE_S  # also: a missed call older is not said after a resync
from hub.clock import Clock
from hub.i18n import pause_reason_in, tr
from hub.opening import Opening
from hub.photos import CLERK_PHOTOS, own_photo

logger = logging.getLogger(__name__)

KEEP_CALLS = 10
KEEP_NOTICES = 3
DEFAULT_TZ = "Asia/Shanghai"

#: The events after which a ticket's call is over, and how the log says it.
ENDED = {
    "ticket_finished": "finished",
    "ticket_no_show": "marked no-show",
    "ticket_transferred": "transferred",
    "ticket_cancelled": "cancelled",
}


# ---------------------------------------------------------------------------------- the board


@dataclass(frozen=True)
class Call:
    """A ticket called to a window. ``seen_at`` is when this display learnt of it live (its own
    clock), or None when it came in a snapshot (then it is not news any more)."""

    number: str
    window: int
    service: str | None = None
    at: datetime | None = None
    calls: int = 1
    seen_at: datetime | None = None


@dataclass(frozen=True)
class Window:
    number: int
    name: str
    name_en: str | None
    zone: str
    state: str  # closed | open | paused
    zone_en: str | None = None
    clerk: str | None = None
    clerk_name: str | None = None
    reason: str | None = None
    current: str | None = None  # the number it is calling or serving


@dataclass(frozen=True)
class ServiceQueue:
    id: str
    name: str
    name_en: str | None
    prefix: str
    waiting: int
    est_wait_min: int | None
    opening: Opening  # open now is worked out from it as the day goes on

    def open_at(self, local: time) -> bool:
        return self.opening.open_at(local)


@dataclass(frozen=True)
class Notice:
    """A desk announcement as it scrolls along the bottom of the hall screen."""

    text: str
    lang: str
    at: datetime


@dataclass(frozen=True)
class CallCue:
    number: str
    window: int
    recall: bool = False


@dataclass(frozen=True)
class MessageCue:
    text: str
    lang: str


@dataclass(frozen=True)
class ResumeCue:
    """``window`` resumed after a pause still calling ``number`` (not yet being served): its
    call is said again if the pause kept it from being said (the announcer knows)."""

    number: str
    window: int


Cue = CallCue | MessageCue | ResumeCue


def _heard(before: Call, call: Call) -> bool:
    """Whether the display already heard ``call`` (a snapshot's recent call): the same number
    at the same window, at the snapshot's time or later. A snapshot gives times to the second
    where events give milliseconds, and after a hub restart a recalled ticket's first call time."""
    if before.window != call.window:
        return False
    if before.at is None or call.at is None:
        return before.at is call.at
    return before.at >= call.at.replace(microsecond=0)


def _parse_at(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _window(data: Mapping[str, Any]) -> Window:
    current = data.get("current")
    return Window(
        number=int(data["number"]),
        name=str(data.get("name") or ""),
        name_en=data.get("name_en"),
        zone=str(data.get("zone") or ""),
        zone_en=data.get("zone_en"),
        state=str(data.get("state") or "closed"),
        clerk=data.get("clerk"),
        clerk_name=data.get("clerk_name"),
        reason=data.get("reason"),
        current=current.get("number") if isinstance(current, Mapping) else None,
    )


def _service(data: Mapping[str, Any]) -> ServiceQueue:
    return ServiceQueue(
        id=str(data["id"]),
        name=str(data.get("name") or data["id"]),
        name_en=data.get("name_en"),
        prefix=str(data.get("prefix") or ""),
        waiting=int(data.get("waiting") or 0),
        est_wait_min=data.get("est_wait_min"),
        opening=Opening.of(data),
    )


class HallBoard:
    """The hall as this display knows it, rebuilt from snapshots and kept up by events."""

    def __init__(
        self,
        clock: Clock,
        *,
        highlight_s: float = 10.0,
        max_age_s: float = MAX_AGE_S,
        keep_calls: int = KEEP_CALLS,
        keep_notices: int = KEEP_NOTICES,
        photos: Path = CLERK_PHOTOS,
    ) -> None:
        self.clock = clock
        self.photos = photos  # where this machine keeps the clerks' photos
        self.highlight_s = highlight_s
        self.max_age_s = max_age_s
        self.keep_calls = keep_calls
        self.keep_notices = keep_notices
        self.synced = False
        self.connected = False
        self.detail = ""
        self.seq = 0
        self.day = ""
        self.hall_name = ""
        self.hall_name_en: str | None = None
        self.languages: tuple[str, ...] = ("zh", "en")
        self.timezone: tzinfo = ZoneInfo(DEFAULT_TZ)
        self.timezone_name = DEFAULT_TZ
        self.services: dict[str, ServiceQueue] = {}
        self.windows: dict[int, Window] = {}
        self.calls: list[Call] = []  # newest first, one per ticket number
        self.notices: list[Notice] = []  # newest first
        # ticket number -> how its call ended (finished, no-show …), until it is called again
        self.ended: dict[str, str] = {}
        # tickets whose citizen came to the desk (ticket_started): no call of theirs is owed
        self.started: set[str] = set()

    # -- feeding

    def _take_announcements(self, announcements: Any) -> None:
        """The day's announcements the hub holds (newest first): a screen switched on, or
        cut off, when one was made shows it like the others (shown, not said: it was said
        when it was made)."""
        if not isinstance(announcements, list):
            return  # a hub that does not send them: the notices heard stay
        notices = []
        for item in announcements:
            text = str(item.get("text") or "").strip() if isinstance(item, Mapping) else ""
            if text:
                notices.append(Notice(text, str(item.get("lang") or self.languages[0]),
                                      _parse_at(item.get("at")) or self.clock.now()))
        self.notices = notices[: self.keep_notices]

    def apply_snapshot(self, seq: int, snapshot: Mapping[str, Any]) -> list[Cue]:
        """Rebuild from a snapshot. On a resync, the calls made while this display was cut off
        that are still current (each window's newest, if the window still calls it) and younger
        than ``max_age_s`` come back as cues, so they are still heard."""
        now = self.clock.now()
        hall = snapshot.get("hall") or {}
        self.seq = seq
        day = str(snapshot.get("day") or "")
        if day != self.day:
            self.notices = []
            self.ended = {}
            self.started = set()
        self.day = day
        self.hall_name = str(hall.get("name") or "")
        self.hall_name_en = hall.get("name_en")
        self.languages = tuple(hall.get("languages") or ("zh",))
        self._take_announcements(snapshot.get("announcements"))
        self._set_timezone(str(hall.get("timezone") or DEFAULT_TZ))
        self.services = {s["id"]: _service(s) for s in snapshot.get("services") or ()}
        self.windows = {int(w["number"]): _window(w) for w in snapshot.get("windows") or ()}
        ended = dict(self.ended)  # as this display last knew it, for telling a recall below
        for window in self.windows.values():  # called again while this display was cut off
            if window.current is not None:
                self.ended.pop(window.current, None)
        known = {c.number: c for c in self.calls}
        resync = self.synced
        calls: list[Call] = []
        missed: list[Call] = []
        moved_on: set[int] = set()  # windows with a newer call in the snapshot (newest first)
        for entry in snapshot.get("recent_calls") or ():
            ticket = entry.get("ticket") or {}
            number = ticket.get("number")
            if not isinstance(number, str):
                continue
            call = Call(number, int(entry["window"]), ticket.get("service"), _parse_at(entry.get("at")))
            before = known.get(number)
            if before is not None and _heard(before, call):
                call = replace(call, at=before.at, calls=before.calls, seen_at=before.seen_at)
            elif (resync and call.window not in moved_on and call.at is not None
                  and self.call_over(number, call.window) is None
                  and (now - call.at).total_seconds() <= self.max_age_s):
                # missed while cut off: still news. A display's snapshot does not carry the
                # ticket's count of calls: called again at the window it was called to, and
                # not ended in between, it is a recall (said and shown as 再次呼叫)
                again = (before is not None and before.window == call.window
                         and number not in ended)
                call = replace(call, seen_at=call.at,
                               calls=before.calls + 1 if before is not None and again else 1)
                missed.append(call)
            moved_on.add(call.window)
            calls.append(call)
            if len(calls) == self.keep_calls:
                break
        self.calls = calls
        self.synced = True
        if missed:
            logger.info("heard of %d calls made while cut off: %s", len(missed),
                        ", ".join(c.number for c in missed))
        return [CallCue(c.number, c.window, recall=c.calls > 1) for c in reversed(missed)]

    def apply_event(self, frame: Mapping[str, Any]) -> list[Cue]:
        """Apply one event frame; returns what must be said."""
        name = frame.get("event")
        data = frame.get("data") or {}
        if isinstance(frame.get("seq"), int):
            self.seq = frame["seq"]
        if name == "ticket_called":
            return self._called(data, _parse_at(frame.get("at")))
        if name in ENDED or name == "ticket_reinstated":
            self._ended(name, data)
        elif name == "ticket_started":
            number = (data.get("ticket") or {}).get("number")
            if isinstance(number, str):
                self.started.add(number)
        elif name == "window_changed" and isinstance(data.get("window"), Mapping):
            window = _window(data["window"])
            before = self.windows.get(window.number)
            self.windows[window.number] = window
            if (before is not None and before.state == "paused" and window.state == "open"
                    and window.current is not None and window.current == before.current
                    and window.current not in self.started):
                return [ResumeCue(window.current, window.number)]
        elif name == "queue_changed" and data.get("service") in self.services:
            sid = data["service"]
            self.services[sid] = replace(
                self.services[sid],
                waiting=int(data.get("waiting") or 0),
                est_wait_min=data.get("est_wait_min"),
            )
        elif name == "announcement":
            text = str(data.get("text") or "").strip()
            if text:
                lang = str(data.get("lang") or self.languages[0])
                self.notices = [Notice(text, lang, self.clock.now()), *self.notices][: self.keep_notices]
                return [MessageCue(text, lang)]
        elif name == "day_started":
            self.calls = []
            self.notices = []
            self.ended = {}
            self.started = set()
            self.day = str(data.get("day") or self.day)
        return []

    def _called(self, data: Mapping[str, Any], at: datetime | None) -> list[Cue]:
        ticket = data.get("ticket") or {}
        number = ticket.get("number")
        window = data.get("window", ticket.get("window"))
        if not isinstance(number, str) or not isinstance(window, int):
            logger.warning("a ticket_called event without number or window: %s", data)
            return []
        calls = int(data.get("calls") or 1)
        self.ended.pop(number, None)
        self.started.discard(number)
        call = Call(number, window, ticket.get("service"), at, calls, self.clock.now())
        self.calls = [call, *(c for c in self.calls if c.number != number)][: self.keep_calls]
        if window in self.windows:
            self.windows[window] = replace(self.windows[window], current=number)
        return [CallCue(number, window, recall=calls > 1)]

    def _ended(self, name: str, data: Mapping[str, Any]) -> None:
        ticket = data.get("ticket") or {}
        number = ticket.get("number")
        if not isinstance(number, str):
            return
        if name == "ticket_reinstated":  # waiting again: its next call is a new one
            self.ended.pop(number, None)
            return
        self.ended[number] = ENDED[name]
        for window in list(self.windows.values()):  # its window_changed follows; be sure
            if window.current == number:
                self.windows[window.number] = replace(window, current=None)

    def renew(self, number: str, window: int) -> None:
        """The call of ``number`` to ``window`` is said again (it was owed after its window's
        pause): it is news again, at the top and highlighted, like any call being said."""
        found = next((c for c in self.calls if c.number == number and c.window == window), None)
        if found is None:
            return
        self.calls = [replace(found, seen_at=self.clock.now()), *(c for c in self.calls if c is not found)]

    def call_over(self, number: str, window: int) -> str | None:
        """Why the call of ``number`` to ``window`` is over, or None while it stands: the ticket
        was finished, marked no-show, transferred or cancelled; its window calls another ticket,
        is paused or closed (signed out). What the board does not know (a window it has not
        heard of) stands.

        The announcer's worker thread asks this while the Qt thread applies events: it only
        reads whole dict entries (atomic in CPython), never iterates what may change."""
        ended = self.ended.get(number)
        if ended is not None:
            return f"{number} was {ended}"
        shown = self.windows.get(window)
        if shown is None:
            return None
        if shown.state == "closed":
            return f"window {window} is closed"
        if shown.state == "paused":
            return f"window {window} is paused"
        if shown.current != number:
            return (f"window {window} calls {shown.current} now" if shown.current
                    else f"window {window} calls no ticket now")
        return None

    def set_status(self, connected: bool, detail: str) -> None:
        self.connected = connected
        self.detail = detail

    def _set_timezone(self, name: str) -> None:
        if name == self.timezone_name:
            return
        try:
            self.timezone = ZoneInfo(name)
            self.timezone_name = name
        except (ZoneInfoNotFoundError, ValueError):
            logger.warning("unknown timezone %r; the clock shows %s", name, self.timezone_name)

    # -- reading

    @property
    def stale(self) -> bool:
        """True while what is on the board may be out of date (cut off from the hub)."""
        return not self.connected

    def newest(self) -> Call | None:
        return self.calls[0] if self.calls else None

    def is_fresh(self, call: Call) -> bool:
        """Whether ``call`` is still news: heard live less than ``highlight_s`` ago, and still
        current (not once its ticket was marked no-show, transferred …)."""
        if call.seen_at is None or self.stale:
            return False
        if self.clock.now() - call.seen_at >= timedelta(seconds=self.highlight_s):
            return False
        return self.call_over(call.number, call.window) is None

    def zones(self) -> list[str]:
        seen: dict[str, None] = {}
        for window in self.windows.values():
            seen.setdefault(window.zone)
        return list(seen)

    def zone_of(self, window: int) -> str | None:
        found = self.windows.get(window)
        return found.zone if found else None


# ---------------------------------------------------------------------- the screens' models


@dataclass(frozen=True)
class Text:
    """One thing said in the screen's two languages: ``primary`` large, ``secondary`` small
    (empty when the hall speaks one language)."""

    primary: str
    secondary: str = ""


@dataclass(frozen=True)
class Langs:
    primary: str
    secondary: str | None

    def text(self, key: str, **params: object) -> Text:
        return Text(
            tr(self.primary, key, **params),
            tr(self.secondary, key, **params) if self.secondary else "",
        )

    def name(self, zh: str, en: str | None) -> Text:
        """A name from the hall file (Chinese, with an optional English form)."""
        first = en if self.primary == "en" and en else zh
        if self.secondary is None:
            return Text(first)
        second = en if self.secondary == "en" and en else zh
        return Text(first, "" if second == first else second)


def screen_langs(board: HallBoard, requested: str | None) -> Langs:
    """The screen's primary language (``requested``, else the hall's first) and its second."""
    spoken = list(board.languages) or ["zh"]
    primary = requested or spoken[0]
    secondary = next((lang for lang in spoken if lang != primary), None)
    return Langs(primary, secondary)


@dataclass(frozen=True)
class Header:
    title: Text
    date: str
    clock: str
    status: Text | None  # "connecting" / "reconnecting", or None when live
    stale: bool


@dataclass(frozen=True)
class CallRow:
    number: str
    window: Text
    fresh: bool


@dataclass(frozen=True)
class NewestCall:
    number: str
    window: int
    sentence: Text  # 请 A012 号到 5 号窗口 / A012 → Window 5, with {number} {window} slots filled
    fresh: bool
    recall: bool


@dataclass(frozen=True)
class QueueRow:
    name: Text
    prefix: str
    waiting: int
    wait: Text  # "3 人等候" / "3 waiting", or "not open"
    open: bool


@dataclass(frozen=True)
class HallScreen:
    header: Header
    newest: NewestCall | None
    now_calling: Text
    no_calls: Text
    recent_title: Text
    recent: list[CallRow]
    waiting_title: Text
    queues: list[QueueRow]
    ticker: str


@dataclass(frozen=True)
class WindowScreen:
    header: Header
    found: bool
    title: Text  # 5号窗口 / Window 5
    name: Text
    state: str  # open | paused | closed | unknown
    calling_label: Text
    calling: str | None
    fresh: bool
    idle: Text  # what shows instead of a number: please wait / paused / closed
    state_text: Text | None  # 暂停服务 (+ reason) / 暂停办理
    clerk: Text | None
    clerk_name: str = ""  # the part of ``clerk`` a screen may cut (never the staff number)
    photo: Path | None = None  # the clerk's photo on this machine (亮身份), if there is one


@dataclass(frozen=True)
class WindowCard:
    number: int
    title: Text
    name: Text
    state: str
    calling: str | None
    state_text: Text | None
    fresh: bool


@dataclass(frozen=True)
class ZoneScreen:
    header: Header
    found: bool
    zone: str
    cards: list[WindowCard]
    missing: Text


def header(board: HallBoard, langs: Langs, title: Text | None = None) -> Header:
    now = board.clock.now().astimezone(board.timezone)
    if not board.synced:
        status: Text | None = langs.text("display.connecting")
    elif board.stale:
        status = langs.text("display.reconnecting")
    else:
        status = None
    return Header(
        title=title or langs.name(board.hall_name, board.hall_name_en),
        date=tr(langs.primary, "display.date", year=now.year, month=now.month, day=now.day,
                weekday=tr(langs.primary, f"display.weekday_{now.weekday()}")),
        clock=f"{now:%H:%M}",
        status=status,
        stale=board.stale,
    )


def hall_screen(board: HallBoard, lang: str | None = None) -> HallScreen:
    langs = screen_langs(board, lang)
    newest = board.newest()
    shown_newest = None
    if newest is not None:
        shown_newest = NewestCall(
            number=newest.number,
            window=newest.window,
            sentence=langs.text("display.newest", number=newest.number, window=newest.window),
            fresh=board.is_fresh(newest),
            recall=newest.calls > 1,
        )
    recent = [
        CallRow(c.number, langs.text("display.window_label", window=c.window), board.is_fresh(c))
        for c in board.calls[1:]
    ]
    # a screen keeps its snapshot all day: the hours, not the snapshot's "open", say what is
    # open now (a screen switched on before opening shows the services open at their hour)
    local = board.clock.now().astimezone(board.timezone).time()
    queues = [
        QueueRow(
            name=langs.name(s.name, s.name_en),
            prefix=s.prefix,
            waiting=s.waiting,
            wait=(langs.text("display.waiting_count", count=s.waiting) if is_open
                  else langs.text("display.service_closed")),
            open=is_open,
        )
        for s, is_open in ((s, s.open_at(local)) for s in board.services.values())
    ]
    return HallScreen(
        header=header(board, langs),
        newest=shown_newest,
        now_calling=langs.text("display.recall" if newest is not None and newest.calls > 1
                               else "display.now_calling"),
        no_calls=langs.text("display.no_calls"),
        recent_title=langs.text("display.recent_calls"),
        recent=recent,
        waiting_title=langs.text("display.waiting_title"),
        queues=queues,
        ticker=ticker_line(board, langs),
    )


def ticker_line(board: HallBoard, langs: Langs) -> str:
    """The desk's announcements, newest first; the hall's welcome when there are none."""
    if board.notices:
        return "　◆　".join(n.text for n in board.notices)
    name = langs.name(board.hall_name, board.hall_name_en)
    parts = [tr(langs.primary, "display.welcome", hall=name.primary)]
    if langs.secondary:
        parts.append(tr(langs.secondary, "display.welcome", hall=name.secondary or name.primary))
    return "　◆　".join(parts)


def _state_text(window: Window, langs: Langs, hall_languages: Sequence[str],
                short: bool = False) -> Text | None:
    if window.state == "paused":
        text = langs.text("display.paused")
        if window.reason:
            def with_reason(said: str, lang: str | None) -> str:
                if not said:
                    return said
                reason = pause_reason_in(window.reason or "", lang, hall_languages)
                return f"{said}（{reason}）" if lang == "zh" else f"{said} ({reason})"
            split = pause_reason_in(window.reason, langs.primary, hall_languages) != window.reason
            return Text(with_reason(text.primary, langs.primary),
                        with_reason(text.secondary, langs.secondary) if split else text.secondary)
        return text
    if window.state == "closed":
        return langs.text("display.card_closed" if short else "display.closed")
    return None


def _fresh_at(board: HallBoard, window: int) -> bool:
    return any(c.window == window and board.is_fresh(c) for c in board.calls)


def window_screen(board: HallBoard, number: int, lang: str | None = None) -> WindowScreen:
    langs = screen_langs(board, lang)
    title = langs.text("display.window_label", window=number)
    window = board.windows.get(number)
    if window is None:
        return WindowScreen(
            header=header(board, langs, title), found=False, title=title, name=Text(""),
            state="unknown", calling_label=langs.text("display.now_calling"), calling=None,
            fresh=False, idle=langs.text("display.no_such_window", window=number) if board.synced
            else langs.text("display.connecting"),
            state_text=None, clerk=None,
        )  # fmt: skip
    clerk = None
    if window.clerk_name or window.clerk:
        clerk = langs.text("display.clerk", name=window.clerk_name or "", staff=window.clerk or "")
    calling = window.current if window.state != "closed" else None
    return WindowScreen(
        header=header(board, langs, title),
        found=True,
        title=title,
        name=langs.name(window.name, window.name_en),
        state=window.state,
        calling_label=langs.text("display.now_calling"),
        calling=calling,
        fresh=calling is not None and _fresh_at(board, number),
        idle=_state_text(window, langs, board.languages) or langs.text("display.window_idle"),
        state_text=_state_text(window, langs, board.languages),
        clerk=clerk if window.state != "closed" else None,
        clerk_name=window.clerk_name or "",
        photo=own_photo(window.clerk, board.photos) if window.state != "closed" else None,
    )


def zone_screen(board: HallBoard, zone: str, lang: str | None = None) -> ZoneScreen:
    langs = screen_langs(board, lang)
    windows = [w for w in board.windows.values() if w.zone == zone]
    cards = [
        WindowCard(
            number=w.number,
            title=langs.text("display.window_label", window=w.number),
            name=langs.name(w.name, w.name_en),
            state=w.state,
            calling=w.current if w.state != "closed" else None,
            state_text=_state_text(w, langs, board.languages, short=True),
            fresh=w.state != "closed" and w.current is not None and _fresh_at(board, w.number),
        )
        for w in windows
    ]
    missing = (langs.text("display.no_such_zone", zone=zone, zones="、".join(board.zones()))
               if board.synced else langs.text("display.connecting"))
    zone_en = next((w.zone_en for w in windows if w.zone_en), None)
    title = langs.name(zone, zone_en)  # the zone in both languages, if it has an English name
    if not title.secondary:  # else the hall's name under it
        title = Text(title.primary, board.hall_name if langs.primary == "zh"
                     else board.hall_name_en or board.hall_name)
    return ZoneScreen(
        header=header(board, langs, title),
        found=bool(windows),
        zone=zone,
        cards=cards,
        missing=missing,
    )


# ------------------------------------------------------------------------- which calls to say


@dataclass(frozen=True)
class Audience:
    """Which calls this display says aloud: those to windows in ``zones`` (all when empty) or to
    ``windows`` (when given). Desk announcements are said by every display that speaks."""

    zones: tuple[str, ...] = ()
    windows: tuple[int, ...] = ()

    def hears(self, cue: Cue, board: HallBoard) -> bool:
        if isinstance(cue, MessageCue):
            return True
        if self.windows:
            return cue.window in self.windows
        if self.zones:
            return board.zone_of(cue.window) in self.zones
        return True


def audience_for(mode: str, window: int | None, zone: str | None, zones: Sequence[str]) -> Audience:
    """The default audience of a mode: the hall screen says every call, a zone screen its zone's
    calls, a window screen its window's; ``announce_zones`` from the settings overrides."""
    if zones:
        return Audience(zones=tuple(zones))
    if mode == "zone" and zone:
        return Audience(zones=(zone,))
    if mode == "window" and window is not None:
        return Audience(windows=(window,))
    return Audience()


# ---------------------------------------------------------------------------- the Qt model


class DisplayModel(QObject):
    """The board behind Qt signals: the bus feeds the slots; ``changed`` tells the screen to
    repaint; ``cued`` carries each thing to say (``CallCue`` / ``MessageCue``)."""

    changed = Signal()
    cued = Signal(object)

    def __init__(self, board: HallBoard, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.board = board

    @Slot(int, object)
    def on_snapshot(self, seq: int, snapshot: dict[str, Any]) -> None:
        cues = self.board.apply_snapshot(seq, snapshot)
        self.changed.emit()
        for cue in cues:
            self.cued.emit(cue)

    @Slot(object)
    def on_event(self, frame: dict[str, Any]) -> None:
        cues = self.board.apply_event(frame)
        self.changed.emit()
        for cue in cues:
            self.cued.emit(cue)

    @Slot(bool, str)
    def on_status(self, connected: bool, detail: str) -> None:
        was = self.board.connected
        self.board.set_status(connected, detail)
        if was != connected:
            self.changed.emit()
