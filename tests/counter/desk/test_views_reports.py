"""The reports tab over a realistic hall day, without a hub: the hub's own report of the day
(``hub.reports.build_report``) answered by a hand-written bus. What the table shows for
transfers, citizens unserved at the day's end, the targets and windows; week and month rows;
screenshots in Chinese and English."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QTableWidget, QTableWidgetItem
from pytestqt.qtbot import QtBot

from counter.desk import report_table
from counter.desk.indicators import Targets
from counter.desk.model import DeskModel
from counter.desk.report_table import GROUPS, report_csv, report_rows
from counter.desk.views import DeskWindow
from counter.desk.views_reports import ReportsPage
from hub.engine import HallEngine
from hub.reports import Targets as ReportTargets
from hub.reports import build_report
from tests.counter.desk.test_model import AnsweringBus
from tests.fakes import FakeClock
from tests.hub.test_reports import HALL
from tests.hub.test_reports_day import DAY, day_ended, hall_day


def the_days_report() -> dict[str, Any]:
    e, clock = hall_day()
    report = build_report(HALL, day_ended(e, clock), DAY, DAY)
    report["clerks"] = {"1001": "张三"}
    return report


@pytest.fixture
def page(qapp: QApplication, qtbot: QtBot, request: pytest.FixtureRequest) -> Iterator[ReportsPage]:
    lang = getattr(request, "param", "zh")
    clock = FakeClock()
    bus = AnsweringBus(answers={"report": (True, the_days_report())})
    model = DeskModel(bus, clock, lang=lang, targets=Targets())
    model.on_snapshot(10, HallEngine(HALL, clock).snapshot())
    model.on_status(True, "connected")
    view = ReportsPage(model, ask_path=lambda _name: None)
    qtbot.addWidget(view)
    view.resize(1280, 720)
    model.load_report("day", date.fromisoformat(DAY))
    yield view
    model.shutdown()


def text(item: QTableWidgetItem | None) -> str:
    assert item is not None
    return item.text()


def headers(table: QTableWidget) -> list[str]:
    return [text(table.horizontalHeaderItem(c)) for c in range(table.columnCount())]


def row_of(table: QTableWidget, name: str) -> dict[str, str]:
    heads = headers(table)
    names = [text(table.item(r, 0)) for r in range(table.rowCount())]
    assert name in names, names
    r = names.index(name)
    return {heads[c]: text(table.item(r, c)) for c in range(1, table.columnCount())}


def group_by(view: ReportsPage, group: str) -> None:
    view.group.setCurrentIndex(view.group.findData(group))


def test_the_table_shows_transfers_apart_from_what_was_finished(page: ReportsPage) -> None:
    group_by(page, "clerk")
    zhang = row_of(page.table, "张三 (1001)")
    assert (zhang["办结"], zhang["转出"]) == ("2", "1")


def test_a_window_or_clerk_shows_what_it_handled_not_tickets_issued(page: ReportsPage) -> None:
    for group in ("window", "clerk"):
        group_by(page, group)
        assert "取号" not in headers(page.table) and headers(page.table)[1] == "接待"
        assert row_of(page.table, "合计")["接待"] == "3"
    assert page.chart.base == "handled"
    group_by(page, "service")
    assert headers(page.table)[1] == "取号"
    assert row_of(page.table, "社会保险")["取号"] == "4"
    assert page.chart.base == "issued"


def test_citizens_unserved_at_the_day_end_are_apart_from_cancellations(page: ReportsPage) -> None:
    group_by(page, "service")
    total = row_of(page.table, "合计")
    assert (total["取消"], total["日终未办理"]) == ("1", "2")
    assert "日终未办理 2 人" in page.targets_line.text()


def test_waits_and_services_over_the_targets(page: ReportsPage) -> None:
    group_by(page, "service")
    total = row_of(page.table, "合计")
    assert total["等候超30分钟"] == "2 (66.7%)"
    assert total["超时办理"] == "1 (33.3%)"
    assert "等候不超过 30 分钟，超时 2 人次（66.7%）" in page.targets_line.text()


def test_a_service_with_a_promise_of_its_own_is_named_not_hidden_under_one_heading(
        qapp: QApplication, qtbot: QtBot) -> None:
    """With social promised 20 minutes, the column read "等候超30分钟" all the same."""
    e, clock = hall_day()
    report = build_report(HALL, day_ended(e, clock), DAY, DAY,
                          ReportTargets.of_hall(HALL, 30, {"social": 20}))
    bus = AnsweringBus(answers={"report": (True, report)})
    model = DeskModel(bus, clock, lang="zh", targets=Targets())
    model.on_snapshot(10, HallEngine(HALL, clock).snapshot())
    model.on_status(True, "connected")
    view = ReportsPage(model, ask_path=lambda _name: None)
    qtbot.addWidget(view)
    model.load_report("day", date.fromisoformat(DAY))
    assert "超时等候" in headers(view.table) and "等候超30分钟" not in headers(view.table)
    assert view.targets_line.text().startswith("承诺：等候不超过 30 分钟（社会保险不超过 20 分钟），")
    model.shutdown()


def test_a_year_can_be_broken_down_by_month_and_a_quarter_by_week(page: ReportsPage) -> None:
    assert {"day", "week", "month"} <= {page.group.itemData(i) for i in range(page.group.count())}
    group_by(page, "week")
    assert row_of(page.table, "2026-11-23 ~ 11-23")["取号"] == "5"  # a day report: one day of it
    group_by(page, "month")
    assert row_of(page.table, "2026-11")["办结"] == "2"


def test_a_week_is_named_by_its_days_in_the_report() -> None:
    week_name = report_table.week_name
    quarter = {"from": "2026-01-01", "to": "2026-03-31"}
    assert week_name(quarter, "2025-12-29") == "2026-01-01 ~ 01-04"
    assert week_name(quarter, "2026-03-30") == "2026-03-30 ~ 03-31"
    assert week_name({"from": "2025-12-01", "to": "2026-01-31"}, "2025-12-29") == (
        "2025-12-29 ~ 2026-01-04")
    assert week_name({}, "2026-01-05") == "2026-01-05"


def test_the_csv_keeps_its_columns_and_adds_the_new_ones_after_them() -> None:
    report = the_days_report()
    text = report_csv(report, lambda _g, key: key, {}, {}, "total")
    lines = text.splitlines()
    assert lines[0] == ("group,key,name,issued,served,transferred,no_show,cancelled,"
                        "mean_wait_min,max_wait_min,mean_service_min,rated,satisfaction,"
                        "handled,day_end,over_wait,over_wait_share,over_time,over_time_share")
    assert lines[1] == "total,,total,5,2,1,0,1,30.7,47.0,7.0,0,-,3,2,2,66.7%,1,33.3%"
    window = next(line for line in lines if line.startswith("window,1,"))
    assert window == "window,1,1,-,2,1,0,0,30.7,47.0,7.0,0,-,3,0,2,66.7%,1,33.3%"
    assert {line.split(",")[0] for line in lines[1:]} == {"total", *GROUPS}
    assert [r.key for r in report_rows(report, "month", lambda _g, k: k)] == ["2026-11"]
    assert report_table.columns("clerk")[0] == "handled"
    assert report_table.columns("day")[0] == "issued"


@pytest.fixture
def app_font(qapp: QApplication) -> Iterator[None]:
    """The desk window sets the application's font; give the next tests theirs back."""
    font = QFont(qapp.font())
    yield
    qapp.setFont(font)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080)])
def test_screenshots_of_the_report_of_a_hall_day(qapp: QApplication, qtbot: QtBot,
                                                 artifacts: Path, app_font: None, lang: str,
                                                 size: tuple[int, int]) -> None:
    clock = FakeClock()
    bus = AnsweringBus(answers={"report": (True, the_days_report())})
    model = DeskModel(bus, clock, lang=lang, targets=Targets())
    model.on_snapshot(10, HallEngine(HALL, clock).snapshot())
    model.on_status(True, "connected")
    window = DeskWindow(model, device="desk-1", ask_path=lambda _name: None)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    try:
        window.tabs.setCurrentWidget(window.reports)
        click = window.reports.show_button.click
        click()
        assert model.report is not None
        folder = artifacts / "desk"
        folder.mkdir(parents=True, exist_ok=True)
        for group in ("service", "window", "month"):
            group_by(window.reports, group)
            QApplication.processEvents()
            name = f"{lang}-reports-day-{size[0]}x{size[1]}-{group}.png"
            assert window.grab().save(str(folder / name))
            # every column in view: no scrolling sideways to find a figure
            assert not window.reports.table.horizontalScrollBar().isVisible(), name
    finally:
        model.shutdown()
