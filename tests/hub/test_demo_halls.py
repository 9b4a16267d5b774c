"""hall-demo --config FILE on a hall other than the county's: the demo's window, window screen,
appointments and waiting citizens all come from that hall; the county demo is as it was."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hub.config import load_hall
from hub.demo import appointment_services, demo_apps, waiting_services
from tests.hub.test_demo import run_demo
from tests.hubproc import COUNTY

SMALL_HALL = """\
[hall]
name = "小厅"
timezone = "Asia/Shanghai"
languages = ["zh", "en"]
day_starts = "05:00"

[[departments]]
id = "d1"
name = "部门一"

[[services]]
id = "s1"
department = "d1"
name = "业务一"
prefix = "A"
minutes = 5

[[services]]
id = "s2"
department = "d1"
name = "业务二"
prefix = "B"
minutes = 5

[[windows]]
number = 9
name = "九号窗口"
zone = "西区"
serves = ["s2", "s1"]

[[windows]]
number = 7
name = "七号窗口"
zone = "东区"
serves = ["s1"]
"""


def test_the_county_demo_keeps_window_1_and_its_services() -> None:
    hall = load_hall(COUNTY)
    apps = {app.name: app for app in demo_apps(hall)}
    assert list(apps) == ["kiosk-1", "counter-1", "rating-1", "display-hall", "display-w1", "desk-1"]
    assert apps["counter-1"].window == apps["rating-1"].window == 1
    assert apps["display-w1"].args == ("--windowed", "--mode", "window", "--window", "1",
                                       "--voice", "off")
    assert appointment_services(hall) == ["social", "realty", "startup"]
    assert waiting_services(hall) == ["social", "medical", "social", "fund", "hukou", "idcard",
                                      "pay", "tax"]


def test_another_hall_gets_its_first_window_and_its_own_services(tmp_path: Path) -> None:
    (tmp_path / "hall.toml").write_text(SMALL_HALL, encoding="utf-8")
    hall = load_hall(tmp_path / "hall.toml")
    apps = {app.name: app for app in demo_apps(hall)}
    assert list(apps) == ["kiosk-1", "counter-7", "rating-7", "display-hall", "display-w7", "desk-1"]
    assert "7" in apps["display-w7"].args
    assert appointment_services(hall) == ["s1", "s2"]
    assert waiting_services(hall) == ["s1"] * 8  # what window 7's clerk can call


def test_the_demo_runs_a_small_hall_without_unknown_windows_or_services(tmp_path: Path) -> None:
    run = run_demo(tmp_path, SMALL_HALL, 10)
    data = tmp_path / "data"
    assert run.returncode == 0, run.stderr[-2000:]
    assert "apps: kiosk-1, counter-7, rating-7, display-hall, display-w7, desk-1;" in run.stdout
    assert "8 citizens already waiting" in run.stdout
    with sqlite3.connect(data / "hall.db") as db:
        windows = {w for (w,) in db.execute("SELECT window FROM devices WHERE NOT revoked")}
        booked = [s for (s,) in db.execute("SELECT service FROM appointments")]
        waiting = {s for (s,) in db.execute("SELECT service FROM tickets")}
    assert windows <= {None, 7, 9}
    assert sorted(booked) == ["s1", "s2"]
    assert waiting == {"s1"}
    everything = run.stdout + run.stderr + "".join(
        log.read_text(encoding="utf-8", errors="replace") for log in data.glob("*.log"))
    for wrong in ("there is no window", "there is no service", "not issued", "Traceback",
                  "exited"):
        assert wrong not in everything
    hub_log = (data / "hub.log").read_text(encoding="utf-8")
    for device in ("kiosk-1", "counter-7", "rating-7", "display-hall", "display-w7", "desk-1"):
        assert f"device {device} (" in hub_log
