"""hall-demo (the README's first command): the hub and every app start and stay up together."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.hubproc import COUNTY, ROOT


def test_the_demo_hall_starts_every_app_and_stops_them(tmp_path: Path) -> None:
    """Started from another folder with relative paths, as a technician would type them."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    (tmp_path / "hall.toml").write_text(COUNTY.read_text(encoding="utf-8"), encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-c", "import sys; from hub.demo import main; sys.exit(main())",
         "--config", "hall.toml", "--port", "0", "--data", "data", "--exit-after", "12"],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
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
