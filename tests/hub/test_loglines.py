"""The hub's log handler: lines written together at a pace, warnings at once, nothing lost."""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from collections.abc import Iterator

import pytest

from hub.loglines import FORMAT, LineFormatter, LoopLines


class Stream:
    """A stderr that remembers each write."""

    def __init__(self) -> None:
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return len(text)

    def flush(self) -> None:
        pass


@pytest.fixture
def log() -> Iterator[logging.Logger]:
    logger = logging.getLogger("hub.test_loglines")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    yield logger
    for handler in logger.handlers:
        handler.close()
    logger.handlers = []


def attach(log: logging.Logger, pace: float) -> tuple[LoopLines, Stream]:
    stream = Stream()
    handler = LoopLines(stream, asyncio.get_running_loop(), pace=pace)  # type: ignore[arg-type]
    log.handlers = [handler]
    return handler, stream


async def test_lines_leave_together_once_the_pace_has_passed(log: logging.Logger) -> None:
    _, stream = attach(log, pace=0.2)
    for number in ("A001", "A002", "A003"):
        log.info("issued %s", number)
    await asyncio.sleep(0.05)
    assert stream.writes == []  # not yet: more lines may join them
    await asyncio.sleep(0.3)
    assert len(stream.writes) == 1
    lines = stream.writes[0].splitlines()
    assert [line.rsplit(" ", 1)[1] for line in lines] == ["A001", "A002", "A003"]
    assert " INFO hub.test_loglines: issued A001" in lines[0]


async def test_a_warning_is_written_at_once_with_the_lines_before_it(
        log: logging.Logger) -> None:
    _, stream = attach(log, pace=10.0)
    log.info("issued A001")
    log.warning("device kiosk-1 fell behind")
    for _ in range(3):
        await asyncio.sleep(0)
    assert len(stream.writes) == 1
    assert stream.writes[0].splitlines()[1].endswith("WARNING hub.test_loglines: device "
                                                     "kiosk-1 fell behind")
    assert "issued A001" in stream.writes[0].splitlines()[0]


async def test_lines_from_another_thread_are_written_by_the_loop(log: logging.Logger) -> None:
    _, stream = attach(log, pace=10.0)
    writer = threading.Thread(target=log.info, args=("checkpoint: %d frames", 12))
    writer.start()
    writer.join()
    for _ in range(3):
        await asyncio.sleep(0)
    assert len(stream.writes) == 1 and stream.writes[0].endswith("checkpoint: 12 frames\n")


def test_closing_writes_what_waits_and_a_closed_loop_writes_each_line(
        log: logging.Logger) -> None:
    async def run() -> tuple[LoopLines, Stream]:
        handler, stream = attach(log, pace=10.0)
        log.info("issued A001")
        return handler, stream

    loop = asyncio.new_event_loop()
    handler, stream = loop.run_until_complete(run())
    loop.close()
    assert stream.writes == []
    log.info("hall bus stopped")  # the loop is gone: written at once, after what waited
    assert len(stream.writes) == 1 and stream.writes[0].count("\n") == 2
    log.info("one more")
    handler.close()
    assert len(stream.writes) == 2 and stream.writes[1].endswith("one more\n")


def test_a_line_reads_as_logging_would_format_it() -> None:
    lean, general = LineFormatter(), logging.Formatter(FORMAT)
    record = logging.LogRecord("hub.engine", logging.INFO, __file__, 1, "issued %s for %s (%s)",
                               ("A001", "社保", "normal"), None)
    assert lean.format(record) == general.format(record)
    assert lean.format(record).endswith(" INFO hub.engine: issued A001 for 社保 (normal)")
    try:
        raise ValueError("disk full")
    except ValueError:
        failed = logging.LogRecord("hub.server", logging.ERROR, __file__, 1, "commit failed",
                                   (), sys.exc_info())
    assert lean.format(failed) == general.format(failed)
    assert "Traceback" in lean.format(failed) and "disk full" in lean.format(failed)
