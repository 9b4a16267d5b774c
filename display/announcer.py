"""The announcement queue: calls, recalls and desk messages, spoken one at a time, in order.

Feeding and speaking are apart. Whatever hears the bus (an asyncio task, the Qt thread) feeds
the queue with ``call``, ``recall`` and ``message``, which return at once; one worker drains it
with ``announce_next`` (blocking: it synthesises and plays), either in a thread of its own
(``threading.Thread(target=announcer.run_forever)``) or as an asyncio task (``await
announcer.run()``, which drives the same loop through ``asyncio.to_thread``). ``close()`` stops
the worker after the announcement in progress.

Each announcement is the chime, then the sentence in each of the hall's languages, the whole
round of sentences ``repeat`` times, joined into one WAV and played once, so two announcements
never overlap. When its turn comes, a call queued more than ``max_age_s`` ago is dropped (the
clerk has moved on); a recall is a new announcement even if the number was said before; a call
queued twice before it was said is said once. The volume follows a schedule of local-time rules,
and volume 0 means quiet hours: nothing is said. With no voice or no player, the queue is still
drained, silently, and that is logged once.

Time comes from the injected ``Clock``; tests drive it by hand.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, time, tzinfo
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from display.audio import CHIME, Player, join_wavs
from display.errors import AudioError, VoiceError
from display.speech import Sentence, call_sentence, message_sentence
from display.voice import Voice, default_cache_dir
from hub.clock import Clock

logger = logging.getLogger(__name__)

Kind = Literal["call", "recall", "message"]
Result = Literal["announced", "stale", "quiet", "silent", "failed"]


@dataclass(frozen=True)
class VolumeRule:
    """From ``start`` to ``end`` (local time, may run past midnight) play at ``volume`` (0..1)."""

    start: time
    end: time
    volume: float

    def covers(self, moment: time) -> bool:
        if self.start == self.end:
            return True
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


@dataclass(frozen=True)
class VolumeSchedule:
    """The first rule that covers the local time decides the volume; else ``default``."""

    rules: tuple[VolumeRule, ...] = ()
    tz: tzinfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    default: float = 1.0

    @classmethod
    def parse(
        cls,
        rules: Sequence[tuple[str, str, float]],
        timezone: str = "Asia/Shanghai",
        default: float = 1.0,
    ) -> VolumeSchedule:
        """Rules as ``("HH:MM", "HH:MM", volume)``; ``ValueError`` if a time or volume is bad."""
        parsed = []
        for start, end, volume in rules:
            if not 0.0 <= volume <= 1.0:
                raise ValueError(f"volume {volume} is not between 0 and 1")
            parsed.append(VolumeRule(time.fromisoformat(start), time.fromisoformat(end), volume))
        return cls(tuple(parsed), ZoneInfo(timezone), default)

    def volume_at(self, instant: datetime) -> float:
        local = instant.astimezone(self.tz).time().replace(tzinfo=None)
        for rule in self.rules:
            if rule.covers(local):
                return rule.volume
        return self.default


@dataclass(frozen=True)
class Announcement:
    kind: Kind
    sentences: tuple[Sentence, ...]
    queued_at: datetime
    number: str | None = None
    window: int | None = None


@dataclass(frozen=True)
class Outcome:
    """What became of one announcement when its turn came."""

    announcement: Announcement
    result: Result
    volume: float = 0.0
    at: datetime | None = None


def compose(
    sentences: Sequence[Sentence],
    voice: Voice,
    out: Path,
    chime: Path | None = CHIME,
    repeat: int = 1,
    gap_s: float = 0.4,
) -> Path:
    """One WAV: the chime, then every sentence's spoken form in turn, the round ``repeat`` times.

    Raises VoiceError or AudioError.
    """
    spoken = [voice.synthesise(s.spoken, s.lang) for s in sentences]
    parts = ([chime] if chime is not None else []) + spoken * max(repeat, 1)
    return join_wavs(parts, out, gap_s)


class Announcer:
    def __init__(
        self,
        voice: Voice,
        player: Player,
        clock: Clock,
        languages: Sequence[str],
        *,
        chime: Path | None = CHIME,
        repeat: int = 2,
        max_age_s: float = 60.0,
        schedule: VolumeSchedule | None = None,
        work_dir: Path | None = None,
        gap_s: float = 0.4,
    ) -> None:
        if not languages:
            raise ValueError("an announcer needs at least one language")
        self.voice = voice
        self.player = player
        self.clock = clock
        self.languages = tuple(languages)
        self.chime = chime
        self.repeat = repeat
        self.max_age_s = max_age_s
        self.schedule = schedule or VolumeSchedule()
        self.work_dir = work_dir or default_cache_dir().parent / "announcements"
        self.gap_s = gap_s
        self._queue: deque[Announcement] = deque()
        self._ready = threading.Condition()
        self._speaking = threading.Lock()
        self._closed = False
        self._silent: str | None = None
        self._checked = False
        self._failing: str | None = None  # the last failure, said once while it lasts

    # Feeding: any thread, returns at once.

    def call(self, number: str, window: int) -> Announcement:
        """Queue the call of ticket ``number`` to ``window`` (BadCall if either is wrong)."""
        return self._enqueue_call("call", number, window)

    def recall(self, number: str, window: int) -> Announcement:
        """Queue a recall: said again even if the number was announced before."""
        return self._enqueue_call("recall", number, window)

    def message(self, texts: Mapping[str, str]) -> Announcement:
        """Queue a desk announcement, ``{lang: text}``; languages the hall does not speak are
        left out, and a message is never dropped for age."""
        sentences = tuple(
            message_sentence(texts[lang], lang) for lang in self.languages if texts.get(lang, "").strip()
        )
        if not sentences:
            raise ValueError(f"a message needs text in one of {', '.join(self.languages)}")
        item = Announcement("message", sentences, self.clock.now())
        with self._ready:
            self._queue.append(item)
            self._ready.notify()
        return item

    def pending(self) -> list[Announcement]:
        with self._ready:
            return list(self._queue)

    def _enqueue_call(self, kind: Kind, number: str, window: int) -> Announcement:
        sentences = tuple(call_sentence(number, window, lang) for lang in self.languages)
        item = Announcement(kind, sentences, self.clock.now(), number, window)
        with self._ready:
            # A window calls one ticket at a time: its calls not said yet are over (in a burst,
            # old calls were said and the numbers the windows were calling dropped as stale).
            over = [q for q in self._queue if q.kind != "message" and q.window == window
                    and q.number != number]
            for queued in over:
                self._queue.remove(queued)
                logger.info("%s of %s to window %d not said: the window calls %s now",
                            queued.kind, queued.number, window, number)
            for i, queued in enumerate(self._queue):
                if queued.kind != "message" and (queued.number, queued.window) == (number, window):
                    # Not said yet: say it once, in its place, and count its age from now.
                    self._queue[i] = replace(queued, kind=kind, queued_at=item.queued_at)
                    return self._queue[i]
            self._queue.append(item)
            self._ready.notify()
        return item

    # Draining: one worker; announcements never overlap even if two workers run.

    def announce_next(self, timeout: float | None = 0.0) -> Outcome | None:
        """Take the next announcement (waiting up to ``timeout`` seconds for one, ``None`` to
        wait until one comes or ``close()``) and announce it, blocking until it has been played.
        Returns what became of it, or None if there was none."""
        with self._speaking:
            with self._ready:
                if timeout is None or timeout > 0:
                    self._ready.wait_for(lambda: bool(self._queue) or self._closed, timeout)
                if not self._queue:
                    return None
                item = self._queue.popleft()
            return self._announce(item)

    def run_forever(self, poll_s: float = 0.5) -> None:
        """Drain the queue until ``close()``; for a worker thread."""
        while not self._closed:
            try:
                self.announce_next(timeout=poll_s)
            except Exception:
                logger.exception("announcement failed")

    async def run(self, poll_s: float = 0.5) -> None:
        """Drain the queue until cancelled or ``close()``; for an asyncio task."""
        try:
            await asyncio.to_thread(self.run_forever, poll_s)
        finally:
            self.close()

    def close(self) -> None:
        with self._ready:
            self._closed = True
            self._ready.notify_all()

    def _announce(self, item: Announcement) -> Outcome:
        now = self.clock.now()
        label = item.number or item.sentences[0].text
        age = (now - item.queued_at).total_seconds()
        if item.kind != "message" and age > self.max_age_s:
            logger.info("dropped %s of %s: queued %.0fs ago", item.kind, label, age)
            return Outcome(item, "stale", at=now)
        silent = self._silent_reason()
        if silent is not None:
            return Outcome(item, "silent", at=now)
        volume = self.schedule.volume_at(now)
        if volume <= 0.0:
            logger.info("quiet hours: %s of %s not said", item.kind, label)
            return Outcome(item, "quiet", at=now)
        try:
            wav = compose(
                item.sentences,
                self.voice,
                self.work_dir / "announcement.wav",
                self.chime,
                self.repeat,
                self.gap_s,
            )
            self.player.play(wav, volume)
        except (VoiceError, AudioError) as err:
            problem = _same_problem(err)
            if problem != self._failing:  # a sound server that is down: said once, not per call
                logger.error("could not announce %s of %s: %s", item.kind, label, err)
            else:
                logger.info("could not announce %s of %s either (same problem)", item.kind, label)
            self._failing = problem
            return Outcome(item, "failed", volume, now)
        if self._failing is not None:
            logger.warning("announcements work again")
            self._failing = None
        logger.info("announced %s of %s at volume %.2f", item.kind, label, volume)
        return Outcome(item, "announced", volume, now)

    def _silent_reason(self) -> str | None:
        if not self._checked:
            self._checked = True
            if not self.voice.is_available():
                self._silent = "no speech engine"
            elif not self.player.is_available():
                self._silent = "no sound output"
            if self._silent is not None:
                logger.warning("announcements are silent: %s", self._silent)
        return self._silent


def _same_problem(err: Exception) -> str:
    """What a failure is, without the sentence it failed on: the same fault on every call reads
    the same ("wrote no sound for '请A012…'" and "… for '请A013…'" are one problem)."""
    return f"{type(err).__name__}: " + re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", str(err))
