"""What a walk through a hall day with the real apps found, each fixed and kept so: the
supervision page on 1366x768 and 1280x720 desk screens, no "served on arrival" or "0 min" while
no window is open, an old result leaving the result line, transferred tickets shown as such,
and the clerk's transfer dialog putting the citizen first and naming the open windows.

The hall is the county hall of ``assets/county.toml`` run by the real engine on a fake clock;
its events reach the desk (and the counter) as the bus would bring them. Screenshots go to
tests/artifacts/desk/walkthrough/ and tests/artifacts/counter/."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QListWidget, QTableWidget, QWidget
from pytestqt.qtbot import QtBot

from counter.desk.indicators import Targets
from counter.desk.model import DeskModel
from counter.desk.views import DeskWindow
from counter.model import ClerkModel
from counter.views_dialogs import TransferDialog
from hub.config import load_hall
from hub.engine import HallEngine, Outcome
from hub.model import Clerk
from tests.fakes import FakeClock
from tests.hubproc import COUNTY

HALL = load_hall(COUNTY)
DAY = "2026-11-23"  # FakeClock's Monday
ZHANG, LI, WANG = Clerk("1001", "张三"), Clerk("1002", "李四"), Clerk("1003", "王五")
SMALL_SCREENS = ((1366, 768), (1280, 720))


@pytest.fixture(autouse=True)
def app_font(qapp: QApplication) -> Iterator[None]:
    """The desk sets the application's font; give the next tests theirs back."""
    font = QFont(qapp.font())
    yield
    qapp.setFont(font)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def hall(clock: FakeClock) -> Iterator[LiveHall]:
    """The hall; its desks' timers stopped afterwards (none outlives its model)."""
    live = LiveHall(clock)
    yield live
    for model in live.desks:
        model.shutdown()


@pytest.fixture
def shots(artifacts: Path) -> Path:
    folder = artifacts / "desk" / "walkthrough"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# ---------------------------------------------------------------------------------- the hall


@dataclass
class LiveHall:
    """The engine of a real hall on a fake clock; ``apply`` hands an outcome's events to the
    desks attached, as the hub's broadcast does, and the desk's requests are answered from the
    engine (sync) or with today's figures (report, follow_ups)."""

    clock: FakeClock
    engine: HallEngine = field(init=False)
    seq: int = 0
    desks: list[DeskModel] = field(default_factory=list)
    devices: dict[str, Any] = field(default_factory=dict)
    dissatisfied: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.engine = HallEngine(HALL, self.clock)

    def snapshot(self) -> dict[str, Any]:
        return {**self.engine.snapshot(), "devices": self.devices}

    def apply(self, outcome: Outcome) -> dict[str, Any]:
        for event in outcome.events:
            self.seq += 1
            frame = {"event": event.name, "seq": self.seq,
                     "at": self.clock.now().isoformat(), "data": event.data}
            for model in self.desks:
                model.on_event(frame)
        return outcome.result

    # the desk's bus
    def request(self, op: str, params: dict[str, Any] | None = None, *,
                on_done: Any = None, req_id: str | None = None,
                timeout: float | None = 10.0) -> str:
        answers: dict[str, dict[str, Any]] = {
            "sync": {"seq": self.seq, "snapshot": self.snapshot()},
            "report": {"from": DAY, "to": DAY, "dissatisfied": self.dissatisfied,
                       "total": {"issued": 20, "no_show": 1,
                                 "ratings": {"1": len(self.dissatisfied), "4": 2}}},
            "follow_ups": {"dissatisfied": []},
        }
        if on_done is not None:
            on_done(True, answers.get(op, {}))
        return req_id or op

    def forget(self, req_id: str) -> None:
        pass

    def desk(self, lang: str) -> DeskModel:
        model = DeskModel(self, self.clock, lang=lang, targets=Targets())
        model.on_status(True, "connected")
        model.on_snapshot(self.seq, self.snapshot())
        model.refresh_now()
        self.desks.append(model)
        return model


def busy_morning(hall: LiveHall) -> None:
    """09:40 of the walk: people have waited over an hour for services whose windows nobody
    opened, three windows open, one ticket sent on to the pay window, devices in trouble."""
    e = hall.engine
    for service in ("social", "social", "medical", "hukou", "employ", "fund", "social",
                    "social", "medical", "social", "medical", "realty", "tax", "startup"):
        hall.apply(e.issue(service))
    hall.clock.advance(minutes=70)
    hall.apply(e.sign_in(1, ZHANG))
    hall.apply(e.sign_in(4, LI))
    hall.apply(e.sign_in(11, WANG))
    hall.apply(e.call_next(1))
    hall.apply(e.transfer(1, to_service="pay", position="first"))
    hall.devices.update({"kiosk-1": {"printer": "paper_near_end"},
                         "kiosk-2": {"printer": "paper_out"}})
    hall.dissatisfied.append({"ticket": "B001", "id": f"{DAY.replace('-', '')}-B001",
                              "day": DAY, "service": "idcard", "window": 4, "clerk": "1002"})


def desk_window(qtbot: QtBot, model: DeskModel, size: tuple[int, int]) -> DeskWindow:
    window = DeskWindow(model, device="desk-1")
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    settle(window, size)
    return window


def settle(window: QWidget, size: tuple[int, int]) -> None:
    window.resize(*size)
    for _ in range(3):  # tables fit their rows, the layout follows
        QApplication.processEvents()
    assert (window.width(), window.height()) == size, "the window cannot be this small"


def shoot(widget: QWidget, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    QApplication.processEvents()
    assert widget.grab().save(str(path))
    return path


def rows_seen(table: QTableWidget) -> int:
    """How many rows of ``table`` show whole without scrolling."""
    room = table.viewport().rect()
    return sum(1 for r in range(table.rowCount())
               if room.contains(table.visualRect(table.model().index(r, 0))))


def items_seen(entries: QListWidget) -> int:
    room: QRect = entries.viewport().rect()
    return sum(1 for r in range(entries.count())
               if room.contains(entries.visualItemRect(entries.item(r))))


def cell_text(table: QTableWidget, row: int, column: int) -> str:
    item = table.item(row, column)
    return item.text() if item is not None else ""


def queue_row(window: DeskWindow, number: str) -> int:
    table = window.queue.table
    return next(r for r in range(table.rowCount()) if cell_text(table, r, 0) == number)


# ---------------------------------------------------------------------------------- 1. watch


@pytest.mark.parametrize("size", [*SMALL_SCREENS, (1920, 1080)], ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_watch_page_shows_the_alerts_and_the_tables_on_a_desk_screen(
        qtbot: QtBot, hall: LiveHall, shots: Path, lang: str, size: tuple[int, int]) -> None:
    busy_morning(hall)
    model = hall.desk(lang)
    window = desk_window(qtbot, model, size)
    window.tabs.setCurrentWidget(window.watch)
    settle(window, size)
    shoot(window, shots, f"{lang}-watch-{size[0]}x{size[1]}")
    watch = window.watch
    alerts = len(model.active_alerts())
    assert alerts >= 8
    # every alert at once, or all but one or two a manager scrolls to on the smallest screen
    assert items_seen(watch.alerts) >= min(alerts, 8 if size[1] >= 768 else 7)
    # twelve windows, a dozen services: a good part of each table, not two lines
    least = 10 if size[1] >= 1080 else 5
    assert rows_seen(watch.services) >= least
    assert rows_seen(watch.windows) >= least


# ---------------------------------------------------------------------------------- 2. no window


def test_the_issue_page_says_when_no_window_serves_a_service(qtbot: QtBot, hall: LiveHall,
                                                             shots: Path) -> None:
    hall.apply(hall.engine.issue("social"))
    model = hall.desk("zh")
    window = desk_window(qtbot, model, SMALL_SCREENS[0])
    window.tabs.setCurrentWidget(window.issue)
    buttons = window.issue.buttons
    t = model.t
    # nobody signed in anywhere: nobody is served on arrival, and there is no estimate
    assert buttons["idcard"].text().endswith(t("service_no_window_closed"))
    assert buttons["social"].text().endswith(t("service_waiting_closed", count=1))
    shoot(window, shots, "zh-issue-no-window-1366x768")
    hall.apply(hall.engine.sign_in(4, LI))  # window 4 serves hukou and idcard
    assert buttons["idcard"].text().endswith(t("service_waiting_none"))
    hall.apply(hall.engine.pause(4, "午休"))
    assert buttons["idcard"].text().endswith(t("service_no_window_paused"))
    model.lang = "en"
    window.issue.refresh()
    assert buttons["idcard"].text().endswith("window paused: served once it resumes")
    assert buttons["realty"].text().endswith("no window open for this service yet")


def test_the_queue_gives_no_estimate_while_no_window_would_call_the_ticket(
        qtbot: QtBot, hall: LiveHall, shots: Path) -> None:
    for service in ("social", "social", "hukou"):
        hall.apply(hall.engine.issue(service))
    model = hall.desk("zh")
    window = desk_window(qtbot, model, SMALL_SCREENS[0])
    table = window.queue.table
    assert cell_text(table, queue_row(window, "C001"), 5) == model.t("est_closed")
    shoot(window, shots, "zh-queue-no-window-1366x768")
    hall.apply(hall.engine.sign_in(1, ZHANG))  # serves social
    model.refresh_now()
    # the first in line is next ("0 分钟" read as no wait beside a long one waited already)
    assert cell_text(table, queue_row(window, "C001"), 5) == model.t("est_next") == "下一位"
    assert cell_text(table, queue_row(window, "C002"), 5) == model.t("minutes_short", minutes=10)
    assert cell_text(table, queue_row(window, "A001"), 5) == model.t("est_closed")
    hall.apply(hall.engine.pause(1, "午休"))
    assert cell_text(table, queue_row(window, "C001"), 5) == model.t("est_paused")


# ---------------------------------------------------------------------------------- 3. result line


def test_an_old_result_leaves_the_result_line(qtbot: QtBot, hall: LiveHall) -> None:
    clock = hall.clock
    model = hall.desk("zh")
    window = desk_window(qtbot, model, SMALL_SCREENS[0])
    line = window.result_line
    model.lookup("")  # refused: nothing to look for
    refusal = model.t("err_no_number")
    assert refusal in line.text()
    clock.advance(seconds=59)
    window.ticker.timeout.emit()
    assert refusal in line.text(), "a refusal stays a minute"
    clock.advance(seconds=2)
    window.ticker.timeout.emit()
    assert line.text() == model.t("result_none")

    model.announce("请保持安静")
    assert model.t("announced", text="请保持安静") in line.text()
    clock.advance(seconds=19)
    window.ticker.timeout.emit()
    assert "请保持安静" in line.text()
    clock.advance(seconds=2)
    window.ticker.timeout.emit()
    assert line.text() == model.t("result_none")


# ---------------------------------------------------------------------------------- 4. transfers


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_transferred_ticket_shows_where_it_came_from(qtbot: QtBot, hall: LiveHall,
                                                       shots: Path, lang: str) -> None:
    for service in ("medical", "pay", "social"):
        hall.apply(hall.engine.issue(service))
    hall.apply(hall.engine.sign_in(3, ZHANG))  # medical first
    model = hall.desk(lang)
    window = desk_window(qtbot, model, SMALL_SCREENS[0])
    hall.apply(hall.engine.call_next(3))
    hall.apply(hall.engine.transfer(3, to_service="pay", position="first"))
    model.refresh_now()
    table = window.queue.table
    moved = model.t("moved_from_window", window=3)
    assert cell_text(table, queue_row(window, "E001"), 2) == moved
    assert cell_text(table, queue_row(window, "P001"), 2) == ""
    # reassigned at a desk, from the line of another service
    hall.apply(hall.engine.reassign("C001", to_service="medical"))
    assert cell_text(table, queue_row(window, "C001"), 2) == model.t(
        "moved_from_service", service=model.service_name("social"))
    shoot(window, shots, f"{lang}-queue-transferred-1366x768")
    window.resize(1920, 1080)
    shoot(window, shots, f"{lang}-queue-transferred-1920x1080")

    # a desk started after the transfer knows it by the number: E001 is not a pay number
    later = hall.desk(lang)
    moved_before = next(r for r in later.waiting_rows() if r.number == "E001").moved
    assert moved_before is not None
    assert later.moved_text(moved_before, "pay") == later.t(
        "moved_from_service", service=later.service_name("medical"))


# ---------------------------------------------------------------------------------- 5. counter


def counter_at(hall: LiveHall, number: int, lang: str = "zh") -> ClerkModel:
    model = ClerkModel(hall, lang=lang, clock=hall.clock.now)
    model.set_window(number)
    model.on_status(True, "connected")
    model.on_snapshot(hall.seq, hall.engine.snapshot())
    return model


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_transfer_dialog_sends_the_citizen_first_and_names_open_windows(
        qtbot: QtBot, hall: LiveHall, artifacts: Path, lang: str) -> None:
    hall.apply(hall.engine.issue("medical"))
    hall.apply(hall.engine.sign_in(3, ZHANG))
    hall.apply(hall.engine.sign_in(11, LI))  # the pay window
    hall.apply(hall.engine.sign_in(6, WANG))
    hall.apply(hall.engine.pause(6, "午休"))  # realty's first window, paused; 7 closed
    hall.apply(hall.engine.call_next(3))
    model = counter_at(hall, 3, lang)
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.resize(1366, 768)
    chosen: list[tuple[Any, str]] = []
    dialog = TransferDialog(model, lambda target, position, _ticket: chosen.append((target, position)),
                            parent)
    dialog.show()
    QApplication.processEvents()
    assert dialog.position() == "first" and dialog.first.isChecked()
    entries = [dialog.service_list.item(r) for r in range(dialog.service_list.count())]
    texts = {entry.data(Qt.ItemDataRole.UserRole).service: entry.text() for entry in entries}
    name = model.service_name
    t = model.t
    assert texts["pay"] == t("service_choice_one", name=name("pay"))
    assert texts["social"] == t("service_choice_one", name=name("social"))  # window 3 itself
    assert texts["realty"] == t("service_choice_paused", name=name("realty"))
    assert texts["marriage"] == t("service_choice_closed", name=name("marriage"))
    row = next(r for r, entry in enumerate(entries)
               if entry.data(Qt.ItemDataRole.UserRole).service == "pay")
    dialog.service_list.setCurrentRow(row)
    dialog.grab().save(str(artifacts / "counter" / f"{lang}-transfer-dialog-service-first.png"))
    dialog.accept()
    assert [(target.service, position) for target, position in chosen] == [("pay", "first")]

    # "at the back" is one click away
    dialog = TransferDialog(model, lambda target, position, _ticket: chosen.append((target, position)),
                            parent)
    dialog.show()
    dialog.last.click()
    dialog.service_list.setCurrentRow(row)
    dialog.accept()
    assert chosen[-1][1] == "last"


def test_the_desk_queue_transfer_scene_at_the_wide_desk(qtbot: QtBot, hall: LiveHall,
                                                        shots: Path) -> None:
    """The reviewer's 09:40 scene, for a person to look at: queue and issue pages, 1920x1080."""
    clock = hall.clock
    busy_morning(hall)
    for lang in ("zh", "en"):
        model = hall.desk(lang)
        window = desk_window(qtbot, model, (1920, 1080))
        model.lookup("")
        clock.advance(minutes=1)
        window.ticker.timeout.emit()
        assert window.result_line.text() == model.t("result_none")
        shoot(window, shots, f"{lang}-queue-0940-1920x1080")
        window.tabs.setCurrentWidget(window.issue)
        shoot(window, shots, f"{lang}-issue-0940-1920x1080")
        settle(window, SMALL_SCREENS[0])
        shoot(window, shots, f"{lang}-issue-0940-1366x768")
        window.tabs.setCurrentWidget(window.queue)
        shoot(window, shots, f"{lang}-queue-0940-1366x768")
        model.shutdown()
        window.close()

