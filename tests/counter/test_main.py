"""``hall-counter``, its rating pad and ``hall-desk`` as processes: each runs against a real hub
and stops cleanly on Ctrl-C (hall-demo stops everything with it) and on systemd's SIGTERM."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.hubproc import HubProcess, app_stops_on_signal

SIGNALS = [signal.SIGINT, signal.SIGTERM]


@pytest.mark.parametrize("signum", SIGNALS)
@pytest.mark.parametrize("pad", [[], ["--evaluator"]], ids=["clerk", "rating-pad"])
def test_the_clerk_client_and_the_rating_pad_stop_cleanly_on_a_signal(
        signum: int, pad: list[str], hub: HubProcess, tmp_path: Path) -> None:
    text = app_stops_on_signal(
        "counter.main",
        ["--hub", hub.url, "--device", "counter-2", "--token", hub.tokens["counter-2"],
         "--windowed", "--log-level", "INFO", *pad],
        tmp_path / "counter.log", signum)
    assert "started as counter-2" in text


@pytest.mark.parametrize("signum", SIGNALS)
def test_the_guidance_desk_stops_cleanly_on_a_signal(
        signum: int, hub: HubProcess, tmp_path: Path) -> None:
    text = app_stops_on_signal(
        "counter.desk.main",
        ["--hub", hub.url, "--device", "desk-1", "--token", hub.tokens["desk-1"], "--windowed",
         "--printer", f"preview:{tmp_path / 'tickets'}", "--log-level", "INFO"],
        tmp_path / "desk.log", signum)
    assert "desk desk-1 started" in text
