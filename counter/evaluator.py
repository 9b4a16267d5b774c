"""The rating pad (一事一评价): the small citizen-facing screen at a window, as a view-model.

At rest the pad shows who serves at its window (亮身份: name, staff number, photo). When the hub
reports a ticket finished at this window, the pad asks the citizen to rate it (its number large on
the question) with four buttons and sends ``rate``; with no answer within :data:`ASK_SECONDS` the
ticket stays unrated and the pad goes back to rest. After an answer it thanks the citizen for
:data:`THANKS_SECONDS`.

Only the citizen just served may rate. The question ends when the next citizen is served at this
window (``ticket_started`` of another ticket), and :data:`CALL_GRACE_SECONDS` after another ticket
is called here: the citizen who just finished, still at the window, can rate while the clerk
calls the next one at once (also when the call itself finishes the ticket), but the one called
cannot yet have heard the call, got up and walked to the window.

A press is never lost and never called failed while it may still be recorded: the request waits,
with its id, until the hub answers (the bus sends it again after a reconnect). If the hub has not
answered within :data:`SEND_WAIT_SECONDS`, or is away, the citizen is thanked and told the rating
goes once the connection is back. Only the hub's refusal, or a bus that is not running, fails.

Time comes from an injected monotonic clock and moves on in :meth:`RatingPad.tick` (the app calls it
a few times a second), so tests move time by hand.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from counter.model import Requester
from hub.i18n import tr
from hub.photos import CLERK_PHOTOS, clerk_photo

logger = logging.getLogger(__name__)

ASK_SECONDS = 30.0
THANKS_SECONDS = 5.0
ERROR_SECONDS = 5.0
#: the question's time left once another ticket is called here: the hall's call (a chime, then
#: "请C002号到1号窗口办理" in each language) takes 3-4 s to be said, and the one called must then
#: get up and walk to the window, while the citizen who just finished stands at the pad
CALL_GRACE_SECONDS = 6.0
#: how long the citizen sees "sending" before being thanked with "it goes once the connection
#: is back" (the hub answers a rating in milliseconds when it is there)
SEND_WAIT_SECONDS = 4.0
SCORES = (4, 3, 2, 1)  # very satisfied first, as the buttons read
SCORE_KEYS = {4: "very_satisfied", 3: "satisfied", 2: "basically_satisfied", 1: "dissatisfied"}

MonotonicClock = Callable[[], float]


class PadState(StrEnum):
    REST = "rest"
    ASKING = "asking"
    SENDING = "sending"
    THANKED = "thanked"
    FAILED = "failed"


class RatingPad(QObject):
    """The pad's state; :attr:`changed` is emitted whenever what it shows changes."""

    changed = Signal()

    def __init__(
        self,
        bus: Requester,
        *,
        lang: str = "zh",
        clock: MonotonicClock = time.monotonic,
        photos: Path = CLERK_PHOTOS,
    ) -> None:
        super().__init__()
        self._bus = bus
        self.default_lang = lang
        self._clock = clock
        self._photos = photos
        self.window: int | None = None
        self.window_state: dict[str, Any] = {}
        self.connected = False
        self.state = PadState.REST
        self.ticket: dict[str, Any] | None = None
        self.error = ""
        self.later = False  # thanked before the hub answered: the rating goes once it is back
        self._until = 0.0
        self._req_id: str | None = None

    # ------------------------------------------------------------------ feeding

    def set_window(self, window: int | None) -> None:
        self.window = window

    def on_status(self, connected: bool, detail: str) -> None:
        self.connected = connected
        if not connected and self.state is PadState.SENDING:
            self._thank(later=True)
        self.changed.emit()

    def on_snapshot(self, seq: int, snapshot: Mapping[str, Any]) -> None:
        for window in snapshot.get("windows", []):
            if window.get("number") == self.window:
                self.window_state = dict(window)
        self.connected = True
        if self.state is PadState.ASKING and not self.window_open:
            logger.info("window closed while the pad was away: no rating asked")
            self._rest()
            return
        if self._next_citizen(self.window_state.get("current")):
            return
        self.changed.emit()

    def on_event(self, frame: Mapping[str, Any]) -> None:
        name = frame.get("event")
        data = frame.get("data") or {}
        if name == "window_changed":
            window = data.get("window") or {}
            if window.get("number") == self.window:
                self.window_state = dict(window)
                if self.state is PadState.ASKING and not self.window_open:
                    # the hub takes a window's ratings only while a clerk is signed in there
                    logger.info("window closed: %s is no longer asked for a rating",
                                self.ticket.get("number") if self.ticket else None)
                    self._rest()
                    return
                if self._next_citizen(self.window_state.get("current")):
                    return
                self.changed.emit()
        elif name == "ticket_finished":
            ticket = data.get("ticket") or {}
            if ticket.get("window") == self.window and ticket.get("score") is None:
                self._ask(ticket)
        elif name in ("ticket_called", "ticket_started"):
            ticket = data.get("ticket") or {}
            if ticket.get("window") == self.window:
                self._next_citizen(ticket)

    def _next_citizen(self, ticket: object) -> bool:
        """Another ticket called or served at this window while the pad asks: a ticket being
        served ends the question now, a called one after :data:`CALL_GRACE_SECONDS`. Returns
        whether the pad changed (and said so)."""
        if self.state is not PadState.ASKING or self.ticket is None:
            return False
        if not isinstance(ticket, Mapping) or ticket.get("id") in (None, self.ticket.get("id")):
            return False
        asked = self.ticket.get("number")
        if ticket.get("state") == "serving":
            logger.info("%s is served here: %s is no longer asked for a rating",
                        ticket.get("number"), asked)
            self._rest()
            return True
        if ticket.get("state") == "called":
            until = self._clock() + CALL_GRACE_SECONDS
            if until < self._until:
                logger.info("%s is called here: %s is asked for %g s more", ticket.get("number"),
                            asked, CALL_GRACE_SECONDS)
                self._until = until
                self.changed.emit()
                return True
        return False

    def _ask(self, ticket: dict[str, Any]) -> None:
        if self.state is PadState.SENDING:
            logger.info("ticket %s finished while a rating is being sent: not asked",
                        ticket.get("number"))
            return
        logger.info("asking for a rating of %s", ticket.get("number"))
        self.ticket = ticket
        self.state = PadState.ASKING
        self._req_id = None
        self._until = self._clock() + ASK_SECONDS
        self.changed.emit()

    def tick(self) -> None:
        """Let time pass: an unanswered question or a thank-you ends; a rating the hub has not
        answered yet is thanked for (it is still sent)."""
        if self._clock() < self._until:
            return
        if self.state is PadState.SENDING:
            self._thank(later=True)
            self.changed.emit()
        elif self.state in (PadState.ASKING, PadState.THANKED, PadState.FAILED):
            if self.state is PadState.ASKING and self.ticket is not None:
                logger.info("no rating for %s: left unrated", self.ticket.get("number"))
            self._rest()

    def _thank(self, *, later: bool) -> None:
        if later:
            logger.info("rating of %s not answered yet: thanked; it is sent once the hub is back",
                        self.ticket.get("number") if self.ticket else None)
        self.state = PadState.THANKED
        self.later = later
        self._until = self._clock() + THANKS_SECONDS

    def _rest(self) -> None:
        self.state = PadState.REST
        self.ticket = None
        self.error = ""
        self.later = False
        self.changed.emit()

    # ------------------------------------------------------------------ reading

    @property
    def lang(self) -> str:
        """The ticket's language while asking (the citizen chose it at the kiosk), else the pad's."""
        if self.ticket is not None and self.state is not PadState.REST:
            lang = self.ticket.get("lang")
            if isinstance(lang, str) and lang:
                return lang
        return self.default_lang

    def t(self, key: str, **params: object) -> str:
        return tr(self.lang, f"counter.{key}", **params)

    @property
    def clerk_id(self) -> str | None:
        clerk = self.window_state.get("clerk")
        return str(clerk) if clerk else None

    @property
    def clerk_name(self) -> str:
        return str(self.window_state.get("clerk_name") or "")

    @property
    def photo(self) -> Path:
        return clerk_photo(self.clerk_id, self._photos)

    @property
    def window_open(self) -> bool:
        return self.window_state.get("state") in ("open", "paused") and self.clerk_id is not None

    def seconds_left(self) -> float:
        return max(0.0, self._until - self._clock()) if self.state is PadState.ASKING else 0.0

    def can_rate(self) -> bool:
        """While asking; also while the hub is away (the press is kept and sent when it is
        back)."""
        return self.state is PadState.ASKING and self.ticket is not None

    # ------------------------------------------------------------------ commands

    def rate(self, score: int) -> bool:
        """The citizen pressed a score (4 very satisfied … 1 dissatisfied); one request per press."""
        if score not in SCORES:
            raise ValueError(f"score {score} is not 1-4")
        if not self.can_rate() or self.ticket is None:
            return False
        ticket = self.ticket
        self.state = PadState.SENDING
        self._until = self._clock() + SEND_WAIT_SECONDS
        self.changed.emit()
        # no timeout: the request waits for the hub's answer, sent again with its id after a
        # reconnect, so the rating counts once and the pad only says what the hub answered
        self._req_id = self._bus.request(
            "rate",
            {"ticket": ticket["id"], "score": score},
            on_done=lambda ok, payload: self._rated(ticket, score, ok, payload),
            req_id=self._req_id,
            timeout=None,
        )
        if self.state is PadState.SENDING and not self.connected:
            self._thank(later=True)
            self.changed.emit()
        return True

    def _rated(self, ticket: dict[str, Any], score: int, ok: bool, payload: dict[str, Any]) -> None:
        shown = self.ticket is ticket and self.state in (PadState.SENDING, PadState.THANKED)
        if ok:
            logger.info("%s rated %d", ticket.get("number"), score)
            if shown and self.state is PadState.SENDING:
                self._thank(later=False)
            elif shown:
                self.later = False  # still thanking: the rating is in now
            if shown:
                self.changed.emit()
            return
        code = str(payload.get("code", "internal"))
        logger.warning("rating %d of %s not taken: %s", score, ticket.get("number"), payload)
        if not shown:
            return  # the citizen has gone
        if code == "invalid_state" and self.window_open:
            self.error = self.t("rate_error_rated")
        elif code == "unavailable":  # with no timeout: the bus is not running, nothing went
            self.error = self.t("rate_error_offline")
        else:
            self.error = self.t("rate_error_other")
        self.state = PadState.FAILED
        self.later = False
        self._until = self._clock() + ERROR_SECONDS
        self.changed.emit()
