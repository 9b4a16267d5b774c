"""hall-demo (the README's first command): the hub and every app start and stay up together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import psutil
import pytest

from tests.hubproc import COUNTY, ROOT


def run_demo(folder: Path, hall: str, seconds: int) -> subprocess.CompletedProcess[str]:
    """hall-demo on the hall file ``hall`` (its text), started in ``folder`` with relative
    paths as a technician would type them, its data in ``folder/data``, for ``seconds``."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    (folder / "hall.toml").write_text(hall, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-c", "import sys; from hub.demo import main; sys.exit(main())",
         "--config", "hall.toml", "--port", "0", "--data", "data", "--exit-after", str(seconds)],
        capture_output=True, text=True, cwd=folder, env=env, timeout=120)


def test_the_demo_hall_starts_every_app_and_stops_them(tmp_path: Path) -> None:
    run = run_demo(tmp_path, COUNTY.read_text(encoding="utf-8"), 12)
    data = tmp_path / "data"
    assert run.returncode == 0, run.stderr[-2000:]
    assert "apps: kiosk-1, counter-1, rating-1, display-hall, display-w1, desk-1;" in run.stdout
    assert "8 citizens already waiting" in run.stdout
    assert "exited" not in run.stderr  # no app died on the way
    for log in data.glob("*.log"):
        text = log.read_text(encoding="utf-8", errors="replace")
        assert "Traceback" not in text, f"{log.name}:\n{text[-2000:]}"
    hub_log = (data / "hub.log").read_text(encoding="utf-8")
    for device in ("kiosk-1", "counter-1", "rating-1", "display-hall", "display-w1", "desk-1"):
        assert f"device {device} (" in hub_log  # each app said hello to the hub
    assert "stopping on signal" in hub_log  # and everything was stopped at the end


def children_of(data: Path, demo: int) -> list[psutil.Process]:
    """The hub and apps of the demo (pid ``demo``) whose data folder is ``data``, running."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        if proc.pid != demo and any(str(data) in part for part in proc.info["cmdline"] or []):
            found.append(proc)
    return found


@pytest.mark.parametrize(("sig", "apps"), [(signal.SIGTERM, True), (signal.SIGKILL, False)])
def test_the_demo_leaves_nothing_running_when_it_is_stopped(tmp_path: Path, sig: int,
                                                            apps: bool) -> None:
    """SIGTERM (systemd, kill) stops everything as Ctrl-C does; even a demo killed outright
    takes its hub along (which would otherwise keep the port)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    data = tmp_path / "data"
    demo = subprocess.Popen(
        [sys.executable, "-c", "import sys; from hub.demo import main; sys.exit(main())",
         "--port", "0", "--data", str(data), *([] if apps else ["--no-apps"])],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=env)
    try:
        assert demo.stdout is not None
        for line in demo.stdout:
            if line.startswith("Press Ctrl-C"):
                break
        assert len(children_of(data, demo.pid)) == (7 if apps else 1), "not all started"
        demo.send_signal(sig)
        code = demo.wait(30)
        assert code == (0 if sig == signal.SIGTERM else -signal.SIGKILL)
        deadline = time.monotonic() + 15
        while children_of(data, demo.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not children_of(data, demo.pid)
    finally:
        demo.kill()
        for proc in children_of(data, demo.pid):
            proc.kill()


@pytest.mark.parametrize(("args", "words"), [
    (["--data", "afile"], "is a file, not a folder"),
    (["--exit-after", "-1"], "'-1' is not a number of seconds above 0"),
    (["--exit-after", "nan"], "'nan' is not a number of seconds above 0"),
])
def test_a_wrong_demo_argument_is_one_plain_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch, args: list[str],
                                                 words: str) -> None:
    """--data naming a file gave a traceback; a negative --exit-after started the whole hall."""
    from hub.demo import main
    (tmp_path / "afile").write_text("", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    refused: AbstractContextManager[object] = (
        pytest.raises(SystemExit) if args[0] == "--exit-after" else nullcontext())  # argparse's
    with refused:
        assert main([*args, "--no-apps", "--port", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and words in err[0] and "Traceback" not in err[0], err
