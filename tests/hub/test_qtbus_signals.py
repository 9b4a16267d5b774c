"""An app told to stop (systemd's SIGTERM, Ctrl-C) while it is still starting stops all the same."""

from __future__ import annotations

import os
import signal

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from hub.qtbus import quit_on_signals


def test_a_signal_before_the_event_loop_runs_still_ends_it(qapp: QApplication) -> None:
    """The desk was sent SIGINT between connecting and ``exec``: ``quit`` did nothing then,
    and the app ran on until it was killed."""
    saved = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT)}
    told: list[str] = []
    try:
        wake = quit_on_signals(qapp, lambda: told.append("before"))
        os.kill(os.getpid(), signal.SIGTERM)  # Python runs the handler at once, before exec
        assert told == ["before"]
        QTimer.singleShot(5000, lambda: qapp.exit(1))  # had the quit been lost
        assert qapp.exec() == 0
        wake.stop()
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
