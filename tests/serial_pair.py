"""A real serial line for tests: two pseudo-terminals joined by socat.

    with socat_pair() as (a, b):   # bytes written to a come out of b, and back
        ...

Optionally each end also gets a stable symlink (``links=(path_a, path_b)``), the way udev gives
``/dev/hall-sign``; stopping socat removes the links and starting it again brings them back, so a
test can pull the "cable" out and plug it in again (:meth:`SocatPair.stop`, :meth:`SocatPair.start`).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

PTY_LINE = re.compile(r"PTY is (\S+)")
READY_LINE = "starting data transfer loop"
START_TIMEOUT = 5.0


class SocatError(RuntimeError):
    """socat is missing or did not bring its ptys up."""


class SocatPair:
    """``socat -d -d pty,raw,echo=0 pty,raw,echo=0``, started and stopped on demand."""

    def __init__(self, links: tuple[Path, Path] | None = None) -> None:
        self.links = links
        self.paths: tuple[str, str] | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_dir = tempfile.TemporaryDirectory(prefix="socat-")
        self._log = Path(self._log_dir.name) / "stderr.log"

    def start(self) -> tuple[str, str]:
        """Start socat; the two ends' paths (the links, if any, else the /dev/pts paths)."""
        socat = shutil.which("socat")
        if socat is None:
            raise SocatError("socat is not installed (apt-get install socat)")
        ends = []
        for i in range(2):
            options = "pty,raw,echo=0"
            if self.links is not None:
                options += f",link={self.links[i]}"
            ends.append(options)
        with self._log.open("wb") as log:
            self._proc = subprocess.Popen([socat, "-d", "-d", *ends], stderr=log)
        ptys = self._wait_ready()
        self.paths = (str(self.links[0]), str(self.links[1])) if self.links else ptys
        return self.paths

    def _wait_ready(self) -> tuple[str, str]:
        assert self._proc is not None
        deadline = time.monotonic() + START_TIMEOUT
        text = ""
        while time.monotonic() < deadline:
            text = self._log.read_text(errors="replace")
            ptys = PTY_LINE.findall(text)
            if len(ptys) == 2 and READY_LINE in text:
                return ptys[0], ptys[1]
            if self._proc.poll() is not None:
                break
            time.sleep(0.01)
        self.stop()
        raise SocatError(f"socat did not open two ptys: {text!r}")

    def stop(self) -> None:
        """Stop socat: both ends vanish, as if the cable were pulled."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=START_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def close(self) -> None:
        self.stop()
        self._log_dir.cleanup()


@contextmanager
def socat_pair(links: tuple[Path, Path] | None = None) -> Iterator[tuple[str, str]]:
    """A running socat pty pair for the ``with`` block; yields the two ends' paths."""
    pair = SocatPair(links)
    try:
        yield pair.start()
    finally:
        pair.close()


def wait_for(condition: Callable[[], object], timeout: float = 5.0) -> bool:
    """Poll ``condition()`` until true or ``timeout`` seconds pass (for a real device to answer)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return bool(condition())
