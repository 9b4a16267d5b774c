# mypy: disable-error-code="no-untyped-call"
# (pytest-qt's key and mouse helpers carry no type hints)
"""The desk over two hall days, against a real hub whose clock the test moves: ratings still to
follow up from earlier days, the report's clerks and transfers, the dates of the reports page
when the hall day changes under a desk left open overnight."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QDate
from PySide6.QtWidgets import QTableWidget
from pytestqt.qtbot import QtBot

from counter.desk.views import DeskWindow
from hub.protocol import NOTE_MAX
from tests.counter.desk.test_app import (  # noqa: F401 (app_font: the fixture, autouse)
    WAIT_MS,
    Device,
    app_font,
    click,
    desk,
    shoot,
)
from tests.movedhub import MovedClock, MovedHub

HALL = ZoneInfo("Asia/Shanghai")


def at(day: str, hhmm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=HALL)


def next_hall_day(hub: MovedHub, moment: datetime) -> None:
    """Move the hall's clock on; a request makes the hub start the new hall day at once."""
    hub.clock.set(moment)
    kiosk = Device(hub, "kiosk-2")
    try:
        kiosk.request("sync")
    finally:
        kiosk.close()


def serve(counter: Device, window: int, score: int | None = None) -> str:
    ticket = counter.request("call_next", window=window)["ticket"]
    counter.request("finish", window=window)
    if score is not None:
        counter.request("rate", ticket=ticket["id"], score=score)
    return str(ticket["number"])


def open_follow_ups(window: DeskWindow) -> list[tuple[str, str, bool]]:
    return [(f.day, f.ticket, f.done) for f in window.watch.follow.items]


def column_text(table: QTableWidget, column: int) -> list[str]:
    return [item.text() if (item := table.item(r, column)) else ""
            for r in range(table.rowCount())]


def table_text(window: DeskWindow, column: int) -> list[str]:
    return column_text(window.reports.table, column)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_desk_left_open_overnight(tmp_path: Path, qtbot: QtBot, artifacts: Path,
                                    lang: str) -> None:
    clock = MovedClock(tmp_path / "clock", at("2026-12-04", "10:00"))
    hub = MovedHub(tmp_path / "hub", clock)
    hub.enroll_standard().start()
    folder = artifacts / "desk"
    kiosk = Device(hub, "kiosk-1")
    try:
        # Friday: two citizens dissatisfied at window 2 (王五, 1003), nobody follows them up
        two = Device(hub, "counter-2")
        two.request("sign_in", window=2, clerk="1003", pin="3456")
        for _ in range(2):
            kiosk.request("issue", service="social")
        assert [serve(two, 2, score=1) for _ in range(2)] == ["C001", "C002"]
        two.close()

        # Saturday morning, before the desk opens: 李四 (1002) serves a citizen who is
        # "basically satisfied" and signs out; window 1 sends one citizen on to pay
        next_hall_day(hub, at("2026-12-05", "09:00"))
        for service in ("hukou", "social", "social", "medical"):
            kiosk.request("issue", service=service)
        four = Device(hub, "counter-4")
        four.request("sign_in", window=4, clerk="1002", pin="2345")
        assert serve(four, 4, score=2) == "A001"
        four.request("sign_out", window=4)
        four.close()
        one = Device(hub, "counter-1")
        one.request("sign_in", window=1, clerk="1001", pin="1234")
        assert one.request("call_next", window=1)["ticket"]["number"] == "C001"
        one.request("transfer", window=1, to_service="pay", position="last")

        with desk(hub, qtbot, tmp_path, lang, clock=clock) as window:
            m, watch, reports = window.model, window.watch, window.reports
            assert m.watch.day == "2026-12-05"
            # Friday's ratings, still to follow up, are asked for when the desk connects
            qtbot.waitUntil(lambda: open_follow_ups(window) == [
                ("2026-12-04", "C001", False), ("2026-12-04", "C002", False)], timeout=WAIT_MS)
            follow = watch.follow
            assert column_text(follow.table, 0) == ["12-04", "12-04"]
            assert not follow.table.isColumnHidden(0)
            # 王五 is not signed in anywhere today: named by the hub
            assert column_text(follow.table, 4)[0] == "王五 (1003)"
            alerts = [m.alert_text(a) for a in m.active_alerts() if a.kind == "dissatisfied"]
            assert len(alerts) == 2 and all("2026-12-04" in text and "王五" in text
                                            for text in alerts), alerts

            # today: one rating, "basically satisfied": satisfied, as 好差评 counts it
            qtbot.waitUntil(lambda: m.indicators.rated == 1, timeout=WAIT_MS)
            assert m.indicators.satisfaction == 1.0
            assert watch.tile_ratings.value.text() == "100%"
            assert watch.tile_ratings.note.text() == m.t("ratings_note_one", bad=0)
            assert watch.tile_ratings.note.text() in ("今日评价 1 次 · 不满意 0 次",
                                                      "1 rating today · 0 dissatisfied")

            # a note at its limit says so instead of cutting what is typed without a word
            follow.table.selectRow(0)
            assert follow.left.isHidden()
            follow.note.insert("回" * (NOTE_MAX - 30))
            assert not follow.left.isHidden()
            assert follow.left.text() == m.t("follow_note_left", left=30)
            follow.note.insert("访" * 40)
            assert len(follow.note.text()) == NOTE_MAX
            assert follow.left.text() == m.t("follow_note_full", limit=NOTE_MAX)
            window.resize(1280, 800)
            window.tabs.setCurrentWidget(watch)
            shoot(window, folder, f"{lang}-overnight-0-watch-note-full")
            follow.note.clear()
            assert follow.left.isHidden()
            follow.note.insert("已电话回访，致歉并说明办理时限")
            click(qtbot, follow.record)
            qtbot.waitUntil(lambda: open_follow_ups(window)[0] == ("2026-12-04", "C001", True),
                            timeout=WAIT_MS)
            assert [a.params["number"] for a in m.indicators.alerts
                    if a.kind == "dissatisfied"] == ["C002"]

            # C002 today is served and is dissatisfied too
            assert serve(one, 1, score=1) == "C002"
            qtbot.waitUntil(lambda: ("2026-12-05", "C002", False) in open_follow_ups(window),
                            timeout=WAIT_MS)
            assert column_text(follow.table, 0)[2] == m.t("follow_today")
            window.resize(1280, 800)
            window.tabs.setCurrentWidget(watch)
            shoot(window, folder, f"{lang}-overnight-1-watch-friday-open")

            # the week's report: clerks named though not signed in, the hall's order,
            # and the citizen sent on from window 1
            window.tabs.setCurrentWidget(reports)
            assert reports.anchor.date() == QDate(2026, 12, 5)
            reports.period.setCurrentIndex(reports.period.findData("week"))
            click(qtbot, reports.show_button)
            qtbot.waitUntil(lambda: m.report is not None, timeout=WAIT_MS)
            assert m.report is not None
            services = [str(s["id"]) for s in m.watch.snapshot["services"]]
            shown = [k for k in services if k in m.report["by_service"]]
            assert table_text(window, 0)[:-1] == [m.service_name(k) for k in shown]
            assert shown != sorted(shown)  # the hall's order is not the alphabet's
            reports.group.setCurrentIndex(reports.group.findData("clerk"))
            assert table_text(window, 0) == ["张三 (1001)", "李四 (1002)", "王五 (1003)",
                                             m.t("group_total")]
            last = reports.table.columnCount() - 1
            assert table_text(window, last)[1] == "100.0%"  # 李四: "basically satisfied"
            reports.group.setCurrentIndex(reports.group.findData("window"))
            shoot(window, folder, f"{lang}-overnight-2-reports-week-window")
            # the whole table at 1280x800: no column out of sight
            assert reports.table.horizontalScrollBar().maximum() == 0
            click(qtbot, reports.export_button)
            exported = tmp_path / "report-2026-11-30-2026-12-06.csv"
            qtbot.waitUntil(exported.exists, timeout=WAIT_MS)
            csv = exported.read_text(encoding="utf-8-sig").splitlines()
            header = csv[0].split(",")
            sent_on = header.index(m.t("col_transferred"))  # in the CSV, beside "served"
            assert header[sent_on - 1] == m.t("col_served")
            by_window = {line.split(",")[1]: line.split(",") for line in csv[1:]
                         if line.startswith(m.t("group_window") + ",")}
            assert by_window["1"][sent_on] == "1" and by_window["2"][sent_on] == "0"
            assert any(",1002,李四 (1002)," in line for line in csv)
            assert any(line.startswith("2026-12-04,C002,") and ",王五 (1003)," in line
                       for line in csv)

            # the person sets the period's last day; the hall day ends in the night
            reports.period.setCurrentIndex(reports.period.findData("custom"))
            reports.last.setDate(QDate(2026, 12, 10))
            next_hall_day(hub, at("2026-12-06", "05:01"))
            qtbot.waitUntil(lambda: m.watch.day == "2026-12-06", timeout=WAIT_MS)
            assert reports.anchor.date() == QDate(2026, 12, 6)
            assert reports.first.date() == QDate(2026, 12, 6)
            assert reports.last.date() == QDate(2026, 12, 10)  # the person's own
            # what is still to follow up stays; what was followed up goes with its day
            qtbot.waitUntil(lambda: open_follow_ups(window) == [
                ("2026-12-04", "C002", False), ("2026-12-05", "C002", False)], timeout=WAIT_MS)
            assert [a.params["number"] for a in m.active_alerts()
                    if a.kind == "dissatisfied"] == ["C002", "C002"]
            window.tabs.setCurrentWidget(watch)
            shoot(window, folder, f"{lang}-overnight-3-watch-sunday")
        one.close()
    finally:
        kiosk.close()
        hub.stop()
