"""The hub's log: one line per state change, cheap enough to write for every request.

A record is formatted where it is logged (its time stamp is formatted once per second, not once
per line), and the lines leave together in one write at most every ``PACE_S``: a hub answering
one device after another would otherwise write its log once per request. A warning or an error
is written at once, with the lines before it. A log thread (logging's QueueListener) costs the
loop more than this: it takes the GIL from the loop for every line it formats, and the loop waits
for it to give it back (``tests/perf/bench_hub.py``).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import TextIO

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
PACE_S = 0.05  # seconds a line may wait to be written with the next ones


class LineFormatter(logging.Formatter):
    """``FORMAT``, with the seconds of the time stamp formatted once per second."""

    def __init__(self) -> None:
        super().__init__(FORMAT)
        self._second = -1
        self._stamp = ""

    def format(self, record: logging.LogRecord) -> str:
        """``FORMAT`` put together directly (the same text as ``logging.Formatter``'s, tested);
        a record with a traceback or stack goes the general way."""
        if record.exc_info or record.exc_text or record.stack_info:
            return super().format(record)
        record.message = record.getMessage()
        return f"{self.formatTime(record)} {record.levelname} {record.name}: {record.message}"

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        if datefmt is not None:
            return super().formatTime(record, datefmt)
        second = int(record.created)
        if second != self._second:
            self._stamp = time.strftime("%Y-%m-%d %H:%M:%S", self.converter(record.created))
            self._second = second
        return f"{self._stamp},{int(record.msecs):03d}"


class LoopLines(logging.Handler):
    """Writes the lines logged on ``loop`` together, at most every ``pace`` seconds; warnings
    and worse at once, with what waits before them.

    Records logged by other threads (the store's) are written on the loop's next turn. Once the
    loop is closed, each line is written at once (after those that waited)."""

    def __init__(self, stream: TextIO, loop: asyncio.AbstractEventLoop,
                 pace: float = PACE_S) -> None:
        super().__init__()
        self.stream = stream
        self.loop = loop
        self.pace = pace
        self._loop_thread = threading.get_ident()
        self._lines: list[str] = []
        self._due = False
        self.setFormatter(LineFormatter())

    def emit(self, record: logging.LogRecord) -> None:  # called under self.lock
        try:
            self._lines.append(self.format(record))
            if self.loop.is_closed():  # nobody would write it later
                self.flush()
                return
            urgent = record.levelno >= logging.WARNING
            if self._due and not urgent:
                return
            self._due = True
            if threading.get_ident() != self._loop_thread:
                self.loop.call_soon_threadsafe(self.flush)
            elif urgent:
                self.loop.call_soon(self.flush)
            else:
                self.loop.call_later(self.pace, self.flush)
        except RuntimeError:  # the loop closed meanwhile (another thread): write now
            self.flush()
        except Exception:
            self.handleError(record)

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]  # created by Handler.__init__
            lines, self._lines = self._lines, []
            self._due = False
        if lines:
            try:
                self.stream.write("\n".join(lines) + "\n")
                self.stream.flush()
            except (OSError, ValueError):  # stderr closed or gone: nothing sensible to do
                pass

    def close(self) -> None:
        self.flush()
        super().close()
