"""The announcement queue: calls, recalls and desk messages, spoken one at a time.

Feeding and speaking are apart. Whatever hears the bus (an asyncio task, the Qt thread) feeds
the queue with ``call``, ``recall`` and ``message``, which return at once; one worker drains it
with ``announce_next`` (blocking: it synthesises and plays), either in a thread of its own
(``threading.Thread(target=announcer.run_forever)``) or as an asyncio task (``await
announcer.run()``, which drives the same loop through ``asyncio.to_thread``). ``close()`` stops
the worker after the announcement in progress.

An announcement is the chime, then the sentence in each of the hall's languages: one round,
said ``repeat`` times while nothing else waits. Each round is played whole, so two
announcements never overlap, and before each further round the queue is looked at: when
anything else waits, the announcement in progress stops after the round said (in a burst each
call is said once; the repeat is for a quiet hall).

What is said next, and what is never said:

- Calls go first, in the order they came; desk messages that have not started wait until no
  call does. A message is never dropped.
- A call is said while it is still *current*: just before it is said (and before each further
  round) the announcer asks ``current(number, window)`` (the display's board), which answers
  why the call is over — the ticket was finished, marked no-show, transferred or cancelled, its
  window calls another ticket, is paused or closed — or None while it stands. A call that is
  over is withdrawn. There is no age limit in a working hall; ``max_age_s`` is a last-resort
  safety, far above what a full hall's queue waits (which is bounded by its windows).
- The queue holds at most one call per window: a window's newer call supersedes its call not
  said yet, and a recall of a ticket whose call is still queued is said once, in its place.
- Every call not said is logged at WARNING with why (superseded, withdrawn, too old, quiet
  hours); a failing voice or player is an ERROR once while it lasts.
- A call withdrawn because its window paused before its turn came is owed: when the window
  resumes still calling that ticket, ``resumed`` queues it again, once.

The volume follows a schedule of local-time rules, and volume 0 means quiet hours: nothing is
said. With no voice or no player, the queue is still drained, silently; they are looked for
again at most every ``recheck_s`` (a USB speaker plugged back, a sound server up late), and
each change is logged once. Time comes from the injected ``Clock``; tests drive it by hand.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
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
Result = Literal["announced", "withdrawn", "stale", "quiet", "silent", "failed"]
#: Why the call of ``number`` to ``window`` is over (a short phrase), or None while it stands.
Current = Callable[[str, int], str | None]

#: The last-resort age of a call still current but not yet said: a hall of a hundred windows
#: all calling at once says its last call after some twenty minutes.
MAX_AGE_S = 1800.0
#: How often, at most, the voice and the sound output are looked at again (when a call comes
#: to be said): a speaker plugged back is heard within this time, not after a restart.
RECHECK_S = 30.0


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

    @property
    def label(self) -> str:
        return f"{self.kind} of {self.number} to window {self.window}" if self.number \
            else f"message {self.sentences[0].text[:24]!r}"


@dataclass(frozen=True)
class Outcome:
    """What became of one announcement when its turn came: ``rounds`` said (0 if none), and
    for a call not said, ``why``."""

    announcement: Announcement
    result: Result
    volume: float = 0.0
    at: datetime | None = None
    rounds: int = 0
    why: str | None = None


def compose(
    sentences: Sequence[Sentence],
    voice: Voice,
    out: Path,
    chime: Path | None = CHIME,
    repeat: int = 1,
    gap_s: float = 0.4,
    lead_s: float = 0.0,
) -> Path:
    """One WAV: the chime, then every sentence's spoken form in turn, the round ``repeat`` times,
    after ``lead_s`` of silence.

    Raises VoiceError or AudioError.
    """
    spoken = [voice.synthesise(s.spoken, s.lang) for s in sentences]
    parts = ([chime] if chime is not None else []) + spoken * max(repeat, 1)
    return join_wavs(parts, out, gap_s, lead_s)


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
        max_age_s: float = MAX_AGE_S,
        current: Current | None = None,
        schedule: VolumeSchedule | None = None,
        work_dir: Path | None = None,
        gap_s: float = 0.4,
        recheck_s: float = RECHECK_S,
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
        self.current: Current = current or (lambda number, window: None)
        self.schedule = schedule or VolumeSchedule()
        self.work_dir = work_dir or default_cache_dir().parent / "announcements"
        self.gap_s = gap_s
        self.recheck_s = recheck_s
        self._queue: deque[Announcement] = deque()
        self._ready = threading.Condition()
        self._speaking = threading.Lock()
        self._closed = False
        self._silent: str | None = None
        self._checked_at: datetime | None = None  # when the voice and player were looked at
        # window -> its call withdrawn unsaid (the window paused first): owed if it resumes
        self._withdrawn: dict[int, Announcement] = {}
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
        left out. A message waits while calls do, and is never dropped."""
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

    def resumed(self, number: str, window: int) -> Announcement | None:
        """``window`` resumed and still calls ``number``: if that call was withdrawn before it
        was said (the window paused first), queue it again, once, so the citizen hears it.
        Returns what was queued, or None when nothing was owed (it was said, or never queued)."""
        with self._ready:
            owed = self._withdrawn.pop(window, None)
        if owed is None or owed.number != number:
            return None
        logger.info("window %d resumed: saying %s, withdrawn while it was paused", window, owed.label)
        return self._enqueue_call(owed.kind, number, window)

    def pending(self) -> list[Announcement]:
        """What waits, in the order it will be said (calls first)."""
        with self._ready:
            return sorted(self._queue, key=lambda a: a.kind == "message")

    def _enqueue_call(self, kind: Kind, number: str, window: int) -> Announcement:
        sentences = tuple(call_sentence(number, window, lang) for lang in self.languages)
        item = Announcement(kind, sentences, self.clock.now(), number, window)
        with self._ready:
            self._withdrawn.pop(window, None)  # this call is said instead of one owed
            # A window calls one ticket at a time: its call not said yet is over.
            over = [q for q in self._queue if q.kind != "message" and q.window == window
                    and q.number != number]
            for queued in over:
                self._queue.remove(queued)
                logger.warning("%s not said: window %d calls %s now", queued.label, window, number)
            for i, queued in enumerate(self._queue):
                if queued.kind != "message" and (queued.number, queued.window) == (number, window):
                    # Not said yet: say it once, in its place.
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
                item = next((q for q in self._queue if q.kind != "message"), self._queue[0])
                self._queue.remove(item)
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

    def _over(self, item: Announcement) -> str | None:
        """Why ``item`` is not to be said (any more), or None."""
        if item.number is None or item.window is None:
            return None
        try:
            return self.current(item.number, item.window)
        except Exception:  # the board's question must not stop the voice: say the call
            logger.exception("could not tell whether %s is still current", item.label)
            return None

    def _waiting(self) -> bool:
        with self._ready:
            return bool(self._queue)

    def _announce(self, item: Announcement) -> Outcome:
        now = self.clock.now()
        age = (now - item.queued_at).total_seconds()
        if item.kind != "message" and age > self.max_age_s:
            why = f"queued {age:.0f}s ago (the limit is {self.max_age_s:.0f}s)"
            logger.warning("%s not said: %s", item.label, why)
            return Outcome(item, "stale", at=now, why=why)
        over = self._over(item)
        if over is not None:
            logger.warning("%s not said: %s", item.label, over)
            if item.window is not None:  # owed if its window resumes still calling it
                with self._ready:
                    self._withdrawn[item.window] = item
            return Outcome(item, "withdrawn", at=now, why=over)
        silent = self._silent_reason()
        if silent is not None:
            logger.info("%s not said: %s", item.label, silent)
            return Outcome(item, "silent", at=now, why=silent)
        volume = self.schedule.volume_at(now)
        if volume <= 0.0:
            logger.warning("%s not said: quiet hours", item.label)
            return Outcome(item, "quiet", at=now, why="quiet hours")
        rounds = 0
        try:
            while True:
                wav = compose(item.sentences, self.voice, self.work_dir / "announcement.wav",
                              self.chime if rounds == 0 else None, 1, self.gap_s,
                              lead_s=self.gap_s if rounds else 0.0)
                self.player.play(wav, volume)
                rounds += 1
                if rounds >= self.repeat:
                    break
                if self._waiting():
                    logger.info("%s said once: others wait", item.label)
                    break
                over = self._over(item)
                if over is not None:
                    logger.info("%s said once: %s", item.label, over)
                    break
        except (VoiceError, AudioError) as err:
            problem = _same_problem(err)
            if problem != self._failing:  # a sound server that is down: said once, not per call
                logger.error("could not announce %s: %s", item.label, err)
            else:
                logger.info("could not announce %s either (same problem)", item.label)
            self._failing = problem
            return Outcome(item, "failed", volume, now, rounds, why=str(err))
        if self._failing is not None:
            logger.warning("announcements work again")
            self._failing = None
        logger.info("announced %s at volume %.2f (%d times)", item.label, volume, rounds)
        return Outcome(item, "announced", volume, now, rounds)

    def _silent_reason(self) -> str | None:
        """Why nothing can be said now (no speech engine, no sound output), or None. Asked
        again at most every ``recheck_s``, so a speaker missing at the first call (unplugged,
        the sound server not up yet) is heard once it is back; said once each way."""
        now = self.clock.now()
        if self._checked_at is not None:
            since = (now - self._checked_at).total_seconds()
            if 0.0 <= since < self.recheck_s:  # a clock set back: look again
                return self._silent
        self._checked_at = now
        if not self.voice.is_available():
            silent: str | None = "no speech engine"
        elif not self.player.is_available():
            silent = "no sound output"
        else:
            silent = None
        if silent is not None and silent != self._silent:
            logger.warning("announcements are silent: %s", silent)
        elif silent is None and self._silent is not None:
            logger.warning("announcements can be heard again (the %s is back)",
                           self._silent.removeprefix("no "))
        self._silent = silent
        return silent


def _same_problem(err: Exception) -> str:
    """What a failure is, without the sentence it failed on: the same fault on every call reads
    the same ("wrote no sound for '请A012…'" and "… for '请A013…'" are one problem)."""
    return f"{type(err).__name__}: " + re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", str(err))
