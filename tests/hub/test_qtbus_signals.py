"""An app told to stop (systemd's SIGTERM, Ctrl-C) while it is still starting stops all the same."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# in a process of its own: an application whose event loop has run and quit stays quitting,
# and would end every later test's waits in this one at once
STARTING_APP = """
import os, signal, sys
from PySide6.QtCore import QCoreApplication, QTimer
from hub.qtbus import quit_on_signals

app = QCoreApplication(sys.argv[:1])
told = []
wake = quit_on_signals(app, lambda: told.append("before"))
os.kill(os.getpid(), signal.{signal})  # Python runs the handler at once, before exec
assert told == ["before"], told
QTimer.singleShot(5000, lambda: app.exit(3))  # had the quit been lost
sys.exit(app.exec())
"""


def test_a_signal_before_the_event_loop_runs_still_ends_it() -> None:
    """The desk was sent SIGINT between connecting and ``exec``: ``quit`` did nothing then,
    and the app ran on until it was killed."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    for name in ("SIGTERM", "SIGINT"):
        done = subprocess.run([sys.executable, "-c", STARTING_APP.format(signal=name)],
                              env=env, cwd=ROOT, capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, (name, done.returncode, done.stderr)
