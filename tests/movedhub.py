"""A real hub process whose clock the test moves: the hall's days can end while a desk is open.

Run as ``python -m tests.movedhub serve ...`` (what :class:`MovedHub` starts), it
is ``hall-hub`` (``hub.cli``) with its system clock moved on by the seconds written in the file
``$HALL_CLOCK_FILE`` (read at every look at the clock, so the test moves it while it runs).
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.hubproc import HubProcess

CLOCK_FILE = "HALL_CLOCK_FILE"


class MovedClock:
    """The wall clock moved to ``start``, and on from there as the test says; the hub reads
    the same offset from ``path``."""

    def __init__(self, path: Path, start: datetime) -> None:
        self.path = path
        self.set(start)

    def set(self, moment: datetime) -> None:
        self.offset = moment - datetime.now(UTC)
        self.path.write_text(repr(self.offset.total_seconds()), encoding="utf-8")

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


class MovedHub(HubProcess):
    """A HubProcess on a MovedClock."""

    def __init__(self, folder: Path, clock: MovedClock) -> None:
        super().__init__(folder)
        self.clock = clock
        self.module = "tests.movedhub"
        self.env = {CLOCK_FILE: str(clock.path)}


def _moved_now(_clock: object) -> datetime:
    seconds = float(Path(os.environ[CLOCK_FILE]).read_text(encoding="utf-8"))
    return datetime.now(UTC) + timedelta(seconds=seconds)


if __name__ == "__main__":
    import hub.clock
    from hub.cli import main

    hub.clock.SystemClock.now = _moved_now  # type: ignore[method-assign,assignment]
    sys.exit(main())
