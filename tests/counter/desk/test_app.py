# mypy: disable-error-code="no-untyped-call"
# (pytest-qt's key and mouse helpers carry no type hints)
"""The desk console against a real hub: every action driven through the widgets, kiosks and
counters played by raw WebSocket clients, screenshots of every tab in Chinese and English."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QSize, Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton, QTableWidget
from pytestqt.qtbot import QtBot
from websockets.sync.client import ClientConnection, connect

from counter.desk.indicators import Targets
from counter.desk.main import main
from counter.desk.model import DeskModel
from counter.desk.reprint import DeskPrinter
from counter.desk.views import DeskWindow
from counter.desk.views_lookup import PRESETS
from counter.desk.views_ticket import TicketPanel
from hub.client import DeviceSettings
from hub.clock import Clock
from hub.i18n import tr
from hub.protocol import CALLED_SOONEST
from hub.qtbus import QtBus
from kiosk.printer import PreviewPrinter
from kiosk.ticket import PrintMode
from tests.hubproc import HubProcess

WAIT_MS = 10_000
SIZE = (1920, 1080)


class Device:
    """A kiosk or counter of the test, speaking the bus with a plain WebSocket."""

    def __init__(self, hub: HubProcess, name: str) -> None:
        # unbounded queue: the events this helper never reads must not hold up its close
        self._connection = connect(hub.url, open_timeout=5, max_queue=None, close_timeout=2)
        self.ws: ClientConnection = self._connection.__enter__()
        self.request("hello", device=name, token=hub.tokens[name], protocol=1)

    def request(self, op: str, **params: Any) -> dict[str, Any]:
        req_id = uuid.uuid4().hex
        self.ws.send(json.dumps({"op": op, "id": req_id, **params}))
        while True:
            message = json.loads(self.ws.recv(timeout=10))
            if message.get("re") == req_id:
                assert message["ok"], message["error"]
                result: dict[str, Any] = message["result"]
                return result

    def close(self) -> None:
        self._connection.__exit__(None, None, None)


class AheadClock:
    """The wall clock, moved on: waits and pauses look as long as in a busy afternoon."""

    def __init__(self, minutes: float = 0) -> None:
        self.offset = timedelta(minutes=minutes)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture(autouse=True)
def app_font(qapp: QApplication) -> Iterator[None]:
    """The desk sets the application's font; give the next tests theirs back."""
    font = QFont(qapp.font())
    yield
    qapp.setFont(font)


@contextmanager
def desk(hub: HubProcess, qtbot: QtBot, tmp_path: Path, lang: str = "zh",
         ahead_min: float = 0, clock: Clock | None = None) -> Iterator[DeskWindow]:
    bus = QtBus(DeviceSettings(hub.url, "desk-1", hub.tokens["desk-1"]))
    printer = DeskPrinter(PreviewPrinter(PrintMode.TEXT, 80, tmp_path / f"tickets-{lang}"))
    model = DeskModel(bus, clock or AheadClock(ahead_min), lang=lang, targets=Targets(),
                      printer=printer)
    bus.snapshot.connect(model.on_snapshot)
    bus.bus_event.connect(model.on_event)
    bus.status.connect(model.on_status)
    window = DeskWindow(model, device="desk-1", ask_path=lambda name: str(tmp_path / name))
    qtbot.addWidget(window)
    window.resize(*SIZE)
    window.show()
    bus.start()
    try:
        qtbot.waitUntil(lambda: model.connected and bool(model.watch.services), timeout=WAIT_MS)
        yield window
    finally:
        model.shutdown()
        bus.stop()
        printer.close()


def said(window: DeskWindow, words: str, ok: bool = True) -> bool:
    """Whether the last thing the desk said holds ``words`` (else shows what it said)."""
    history = window.model.history
    if history and history[0].ok == ok and words in history[0].text:
        return True
    print("desk said:", history[0].text if history else None)
    return False


def click(qtbot: QtBot, button: QPushButton) -> None:
    assert button.isEnabled(), f"{button.text()!r} is disabled"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def shoot(window: DeskWindow, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    QApplication.processEvents()  # let pending layout requests land before the grab
    assert window.grab().save(str(path))
    return path


# ---------------------------------------------------------------------------------- actions


def test_every_desk_action_against_a_real_hub(hub: HubProcess, qtbot: QtBot,
                                              tmp_path: Path) -> None:
    kiosk = Device(hub, "kiosk-1")
    counter = Device(hub, "counter-1")
    try:
        numbers = [kiosk.request("issue", service=s)["ticket"]["number"]
                   for s in ("social", "social", "medical", "hukou")]
        assert numbers == ["C001", "C002", "E001", "A001"]
        with desk(hub, qtbot, tmp_path) as window:
            m = window.model
            queue = window.queue
            qtbot.waitUntil(lambda: queue.table.rowCount() == 4, timeout=WAIT_MS)

            # issue on behalf, green channel, printed on the desk's printer
            window.tabs.setCurrentWidget(window.issue)
            window.issue.green.setChecked(True)
            click(qtbot, window.issue.buttons["social"])
            qtbot.waitUntil(lambda: said(window, "C003 号票已打印"), timeout=WAIT_MS)
            assert (tmp_path / "tickets-zh" / "C003.png").exists()
            assert window.issue.last_number.text() == "C003"
            assert not window.issue.green.isChecked()
            qtbot.waitUntil(lambda: queue.table.rowCount() == 5, timeout=WAIT_MS)

            # reassign C002 to medical insurance, to the front
            window.tabs.setCurrentWidget(queue)
            assert queue.select_number("C002")
            panel = queue.panel
            panel.service_choice.setCurrentIndex(panel.service_choice.findData("medical"))
            panel.position.setCurrentIndex(panel.position.findData("first"))
            click(qtbot, panel.move_button)
            qtbot.waitUntil(lambda: said(window, "C002 已改派到 医保业务（排到最前）"),
                            timeout=WAIT_MS)
            c002 = f"{m.watch.day.replace('-', '')}-C002"
            qtbot.waitUntil(lambda: m.watch.waiting[c002]["service"] == "medical",
                            timeout=WAIT_MS)

            # green channel for C001
            assert queue.select_number("C001")
            click(qtbot, panel.green_button)
            qtbot.waitUntil(lambda: said(window, "C001 已改为绿色通道优先"), timeout=WAIT_MS)

            # cancel E001: only with a reason
            assert queue.select_number("E001")
            assert not panel.cancel_button.isEnabled()
            panel.reason.setCurrentIndex(panel.reason.findData("left"))
            click(qtbot, panel.cancel_button)
            qtbot.waitUntil(lambda: said(window, "E001 已取消，原因：群众已离开"), timeout=WAIT_MS)
            qtbot.waitUntil(lambda: not queue.select_number("E001"), timeout=WAIT_MS)

            # a counter misses a citizen; the desk reinstates them from the missed list
            counter.request("sign_in", window=1, clerk="1001", pin="1234")
            called = counter.request("call_next", window=1)["ticket"]["number"]
            counter.request("no_show", window=1)
            window.tabs.setCurrentWidget(window.lookup)
            lookup = window.lookup
            qtbot.waitUntil(lambda: lookup.missed.count() == 1, timeout=WAIT_MS)
            item = lookup.missed.item(0)
            assert item is not None and called in item.text()
            qtbot.mouseClick(lookup.missed.viewport(), Qt.MouseButton.LeftButton,
                             pos=lookup.missed.visualItemRect(item).center())
            qtbot.waitUntil(lambda: lookup.panel.reinstate_button.isEnabled(), timeout=WAIT_MS)
            click(qtbot, lookup.panel.reinstate_button)
            qtbot.waitUntil(lambda: said(window, f"{called} 已恢复排队（排到最前），前面 0 人"),
                            timeout=WAIT_MS)
            qtbot.waitUntil(lambda: lookup.missed.count() == 0, timeout=WAIT_MS)

            # a lost ticket: found by its number, printed again
            lookup.number.clear()
            qtbot.keyClicks(lookup.number, "a001")
            click(qtbot, lookup.find_button)
            qtbot.waitUntil(lambda: said(window, "找到 A001：等待中"), timeout=WAIT_MS)
            click(qtbot, lookup.panel.reprint_button)
            qtbot.waitUntil(lambda: said(window, "A001 号票已打印"), timeout=WAIT_MS)
            assert (tmp_path / "tickets-zh" / "A001.bin").read_bytes().startswith(b"\x1b@")
            lookup.number.clear()
            qtbot.keyClicks(lookup.number, "Z999")
            qtbot.keyClick(lookup.number, Qt.Key.Key_Return)
            qtbot.waitUntil(lambda: said(window, "今天没有 Z999 这个号", ok=False), timeout=WAIT_MS)

            # a stale ticket is refused in plain words
            stale = m.watch.waiting[f"{m.watch.day.replace('-', '')}-A001"]
            window_4 = Device(hub, "counter-4")
            try:
                window_4.request("sign_in", window=4, clerk="1002", pin="2345")
                window_4.request("call_number", window=4, number="A001")
            finally:
                window_4.close()
            m.reassign(stale, to_service="idcard")
            qtbot.waitUntil(lambda: said(window, "A001 已不在等候中", ok=False), timeout=WAIT_MS)

            # announcement
            window.tabs.setCurrentWidget(window.announce)
            announce = window.announce
            click(qtbot, announce.preset_buttons[0])
            click(qtbot, announce.send)
            qtbot.waitUntil(lambda: said(window, "广播已发出"), timeout=WAIT_MS)
            qtbot.waitUntil(lambda: announce.recent.count() == 1, timeout=WAIT_MS)
            assert announce.text.toPlainText() == ""
            # a preset taken in Chinese, then English chosen: the English preset (the Chinese
            # went out tagged "en", for the English voice to read)
            click(qtbot, announce.preset_buttons[0])
            announce.lang.setCurrentIndex(announce.lang.findData("en"))
            assert announce.text.toPlainText() == tr("en", f"desk.{PRESETS[0]}")
            announce.lang.setCurrentIndex(announce.lang.findData("zh"))
            assert announce.text.toPlainText() == tr("zh", f"desk.{PRESETS[0]}")
            announce.text.setPlainText("\u200b \u200b")  # nothing to see: not sent
            assert not announce.send.isEnabled()
            announce.text.clear()

            # appointment check-in
            hub.book("YY2026", "pay", m.watch.day)
            window.tabs.setCurrentWidget(window.issue)
            qtbot.keyClicks(window.issue.code, "YY2026")
            click(qtbot, window.issue.check_button)
            qtbot.waitUntil(lambda: said(window, "P001 号票已打印"), timeout=WAIT_MS)
            assert any("预约 YY2026 已签到，号码 P001（缴费）" in r.text for r in m.history)
            qtbot.keyClicks(window.issue.code, "YY2026")
            click(qtbot, window.issue.check_button)
            # checked in already: its number, to reprint a lost ticket
            qtbot.waitUntil(lambda: said(window, "预约 YY2026 已经签到过，号码是 P001：号票丢失"
                                                 "可在“查号补打”页补打。", ok=False),
                            timeout=WAIT_MS)

            # supervision: a pause, a kiosk out of paper, a dissatisfied citizen
            served = counter.request("call_next", window=1)["ticket"]
            counter.request("finish", window=1)
            counter.request("rate", ticket=served["id"], score=1)
            counter.request("pause", window=1, reason="午休")
            kiosk.request("device_status", status={"printer": "paper_out"})
            watch = window.watch
            window.tabs.setCurrentWidget(watch)
            qtbot.waitUntil(lambda: {a.kind for a in m.active_alerts()} >= {"device",
                                                                             "dissatisfied"},
                            timeout=WAIT_MS)
            texts = [watch.alerts.item(i).text() for i in range(watch.alerts.count())]  # type: ignore[union-attr]
            assert "kiosk-1：打印机缺纸" in texts
            assert any(f"{served['number']}（" in t and "不满意" in t for t in texts)
            qtbot.waitUntil(lambda: m.indicators.windows_paused == 1, timeout=WAIT_MS)
            qtbot.waitUntil(lambda: m.indicators.rated == 1, timeout=WAIT_MS)
            # today's figures come from a report the desk asks for a moment after the events
            qtbot.waitUntil(lambda: m.indicators.no_shows is not None, timeout=WAIT_MS)
            qtbot.waitUntil(lambda: watch.tile_no_shows.value.text()
                            == str(m.indicators.no_shows), timeout=WAIT_MS)
            count = watch.alerts.count()
            watch.alerts.setCurrentRow(0)
            click(qtbot, watch.ack)
            assert watch.alerts.count() == count - 1

            # the dissatisfied citizen is called back, and the desk records it on the hub
            panel = watch.follow
            qtbot.waitUntil(lambda: [f.ticket for f in panel.items] == [served["number"]],
                            timeout=WAIT_MS)
            assert not panel.record.isEnabled()  # no rating chosen
            panel.table.selectRow(0)
            assert not panel.record.isEnabled()  # nothing written down yet
            panel.note.insert("已电话回访，说明了办理时限")  # as an input method enters it
            assert panel.record.isEnabled()
            click(qtbot, panel.record)
            qtbot.waitUntil(lambda: panel.items[0].done, timeout=WAIT_MS)
            assert (panel.items[0].note, panel.items[0].by) == ("已电话回访，说明了办理时限",
                                                                "desk-1")
            # the reply and the event reach the window by different paths: wait for both
            qtbot.waitUntil(lambda: said(window, f"{served['number']}（{m.watch.day}）的回访已记录。"),
                            timeout=WAIT_MS)
            assert panel.note.text() == "" and not panel.record.isEnabled()
            assert "已回访" in panel.table.item(0, 5).text()  # after its day,
            assert panel.table.isColumnHidden(0)  # not shown: only today's are listed
            assert "dissatisfied" not in {a.kind for a in m.indicators.alerts}

            # reports: today's figures, exported as CSV
            window.tabs.setCurrentWidget(window.reports)
            reports = window.reports
            click(qtbot, reports.show_button)
            qtbot.waitUntil(lambda: m.report is not None, timeout=WAIT_MS)
            assert reports.table.rowCount() >= 3
            assert [(f.ticket, f.done) for f in reports.follow.items] == [
                (served["number"], True)]
            assert reports.follow.table.rowCount() == 1
            click(qtbot, reports.export_button)
            day = m.watch.day
            exported = tmp_path / f"report-{day}-{day}.csv"
            qtbot.waitUntil(exported.exists, timeout=WAIT_MS)
            assert "社会保险" in exported.read_text(encoding="utf-8-sig")
    finally:
        kiosk.close()
        counter.close()


def test_a_ticket_called_away_leaves_no_row_highlighted_and_a_click_selects_again(
        hub: HubProcess, qtbot: QtBot, tmp_path: Path) -> None:
    kiosk = Device(hub, "kiosk-1")
    counter = Device(hub, "counter-1")
    try:
        for _ in range(3):
            kiosk.request("issue", service="social")  # C001, C002, C003
        with desk(hub, qtbot, tmp_path) as window:
            queue = window.queue
            qtbot.waitUntil(lambda: queue.table.rowCount() == 3, timeout=WAIT_MS)
            assert queue.select_number("C001")
            assert queue.panel.ticket is not None and queue.panel.ticket["number"] == "C001"
            counter.request("sign_in", window=1, clerk="1001", pin="1234")
            assert counter.request("call_next", window=1)["ticket"]["number"] == "C001"
            qtbot.waitUntil(lambda: queue.table.rowCount() == 2, timeout=WAIT_MS)
            assert queue.panel.ticket is None
            # C002 moved up into C001's row: it is not shown chosen beside an empty panel
            assert queue.table.selectedItems() == []
            first = queue.table.item(0, 0)
            assert first is not None and first.text() == "C002"
            qtbot.mouseClick(queue.table.viewport(), Qt.MouseButton.LeftButton,
                             pos=queue.table.visualItemRect(first).center())
            assert queue.panel.ticket is not None and queue.panel.ticket["number"] == "C002"
    finally:
        kiosk.close()
        counter.close()


def test_a_double_click_on_a_service_takes_one_ticket(hub: HubProcess, qtbot: QtBot,
                                                      tmp_path: Path) -> None:
    """The hub answers the first click before the second comes (a double click's clicks are
    100-300 ms apart): the second must not take another ticket."""
    with desk(hub, qtbot, tmp_path) as window:
        window.tabs.setCurrentWidget(window.issue)
        button = window.issue.buttons["medical"]
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: bool(window.model.last_issued), timeout=WAIT_MS)
        qtbot.wait(120)
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        qtbot.wait(300)
        assert window.model.last_issued["number"] == "E001"
        qtbot.waitUntil(lambda: not window.model.printing(), timeout=WAIT_MS)
        qtbot.wait(500)  # a person's next press, not a double click: a ticket
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window.model.last_issued["number"] == "E002", timeout=WAIT_MS)


def test_an_empty_hall_and_a_hub_that_goes_away(hub: HubProcess, qtbot: QtBot, tmp_path: Path,
                                               artifacts: Path) -> None:
    folder = artifacts / "desk"
    with desk(hub, qtbot, tmp_path) as window:
        # the empty states
        assert window.queue.stack.currentWidget() is window.queue.empty
        shoot(window, folder, "zh-0-queue-empty")
        window.tabs.setCurrentWidget(window.watch)
        assert window.watch.alert_stack.currentIndex() == 1
        shoot(window, folder, "zh-0-watch-empty")
        window.tabs.setCurrentWidget(window.reports)
        shoot(window, folder, "zh-0-reports-empty")

        # the hub goes away: everything that would send waits, and says why
        button = window.issue.buttons["social"]
        assert button.isEnabled() and not window.banner.isVisible()
        hub.kill()
        qtbot.waitUntil(lambda: not window.model.connected, timeout=WAIT_MS)
        assert window.banner.isVisible()
        assert "连接已中断" in window.banner.text()
        assert not button.isEnabled()
        assert not window.lookup.find_button.isEnabled()
        assert not window.reports.show_button.isEnabled()
        assert window.connection.text() == "● 未连接服务中心"
        window.model.announce("测试")
        assert said(window, "没有连接到服务中心", ok=False)
        window.tabs.setCurrentWidget(window.issue)
        shoot(window, folder, "zh-offline")
        hub.start()
        qtbot.waitUntil(lambda: window.model.connected, timeout=20_000)
        assert button.isEnabled() and not window.banner.isVisible()


# ---------------------------------------------------------------------------------- screens


def busy_hall(hub: HubProcess) -> None:
    """A morning in the demo hall: people waiting, windows open and paused, a missed citizen,
    ratings, a kiosk printer running out of paper."""
    kiosk = Device(hub, "kiosk-1")
    kiosk2 = Device(hub, "kiosk-2")
    counters = {n: Device(hub, f"counter-{n}") for n in (1, 2, 4)}
    try:
        for service in ("social", "social", "medical", "social", "hukou", "idcard", "realty",
                        "tax", "medical", "fund", "hukou", "social"):
            kiosk.request("issue", service=service)
        counters[1].request("sign_in", window=1, clerk="1001", pin="1234")
        counters[2].request("sign_in", window=2, clerk="1003", pin="3456")
        counters[4].request("sign_in", window=4, clerk="1002", pin="2345")
        for score in (4, 1, 3):
            served = counters[1].request("call_next", window=1)["ticket"]
            counters[1].request("finish", window=1)
            counters[1].request("rate", ticket=served["id"], score=score)
        counters[4].request("call_next", window=4)
        counters[4].request("no_show", window=4)
        counters[4].request("call_next", window=4)
        counters[4].request("start", window=4)
        counters[1].request("call_next", window=1)
        kiosk.request("device_status", status={"printer": "paper_near_end"})
        kiosk2.request("device_status", status={"printer": "paper_out"})
    finally:
        for device in (kiosk, kiosk2, *counters.values()):
            device.close()


def test_a_screen_gone_dark_before_a_restart_of_the_hub_is_still_an_alarm(
        hub: HubProcess, qtbot: QtBot, tmp_path: Path, artifacts: Path) -> None:
    """A hall screen unplugged in the morning, then the hub restarted at noon (an update): the
    desk opened after the restart still shows the screen offline, since the morning."""
    screen = Device(hub, "display-1")
    screen.close()
    admin = Device(hub, "admin-1")
    try:
        gone = None
        for _ in range(200):  # the hub hears of the close when its socket shuts
            listed = {d["name"]: d for d in admin.request("devices")["devices"]}
            if not listed["display-1"]["connected"]:
                gone = listed["display-1"]["since"]
                break
    finally:
        admin.close()
    assert gone is not None
    assert hub.stop() == 0
    hub.start()
    with desk(hub, qtbot, tmp_path) as window:
        m = window.model
        qtbot.waitUntil(lambda: m.indicators.devices_online is not None, timeout=WAIT_MS)
        offline = [a for a in m.active_alerts() if a.kind == "offline"]
        assert [a.params["device"] for a in offline] == ["display-1"]
        assert offline[0].params["since"] == datetime.fromisoformat(gone)
        window.tabs.setCurrentWidget(window.watch)
        window.watch.side.setCurrentIndex(1)
        shoot(window, artifacts / "desk", "zh-devices-after-a-restart")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_screenshots_of_every_tab(hub: HubProcess, qtbot: QtBot, tmp_path: Path,
                                  artifacts: Path, lang: str) -> None:
    busy_hall(hub)
    folder = artifacts / "desk"
    with desk(hub, qtbot, tmp_path, lang, ahead_min=38) as window:
        m = window.model
        qtbot.waitUntil(lambda: m.indicators.no_shows is not None, timeout=WAIT_MS)
        pausing = Device(hub, "counter-2")  # seen live, so the desk knows since when
        try:
            pausing.request("pause", window=2, reason="午休")
        finally:
            pausing.close()
        qtbot.waitUntil(lambda: m.indicators.windows_paused == 1, timeout=WAIT_MS)
        m.announce("请有序排队，留意叫号。" if lang == "zh" else "Please listen for your number.",
                   lang)
        qtbot.waitUntil(lambda: len(m.announcements) == 1, timeout=WAIT_MS)
        assert window.queue.select_number("C004")
        qtbot.waitUntil(lambda: window.queue.panel.ticket is not None, timeout=WAIT_MS)
        shoot(window, folder, f"{lang}-1-queue")
        window.issue.green.setChecked(True)
        window.tabs.setCurrentWidget(window.issue)
        click(qtbot, window.issue.buttons["medical"])
        qtbot.waitUntil(lambda: not window.model.printing() and bool(window.model.last_issued),
                        timeout=WAIT_MS)
        shoot(window, folder, f"{lang}-2-issue")
        window.tabs.setCurrentWidget(window.lookup)
        qtbot.keyClicks(window.lookup.number, "A001")
        click(qtbot, window.lookup.find_button)
        qtbot.waitUntil(lambda: window.lookup.panel.ticket is not None, timeout=WAIT_MS)
        shoot(window, folder, f"{lang}-3-lookup")
        window.tabs.setCurrentWidget(window.announce)
        window.announce.text.setPlainText(m.t("preset_lunch"))
        shoot(window, folder, f"{lang}-4-announce")
        window.tabs.setCurrentWidget(window.watch)
        qtbot.waitUntil(lambda: len(m.active_alerts()) >= 4, timeout=WAIT_MS)
        shoot(window, folder, f"{lang}-5-watch")
        # the devices: the hall's kiosks and counters of busy_hall() went away since
        qtbot.waitUntil(lambda: m.indicators.devices_online is not None, timeout=WAIT_MS)
        assert "offline" in {a.kind for a in m.active_alerts()}
        window.watch.side.setCurrentIndex(1)
        shoot(window, folder, f"{lang}-5-watch-devices")
        window.watch.side.setCurrentIndex(0)
        window.tabs.setCurrentWidget(window.reports)
        click(qtbot, window.reports.show_button)
        qtbot.waitUntil(lambda: m.report is not None, timeout=WAIT_MS)
        shoot(window, folder, f"{lang}-6-reports")
        window.reports.group.setCurrentIndex(window.reports.group.findData("window"))
        shoot(window, folder, f"{lang}-7-reports-window")
        kinds = {a.kind for a in m.active_alerts()}
        assert {"long_wait", "long_pause", "device", "dissatisfied"} <= kinds
        follow = window.reports.follow
        follow.table.selectRow(0)
        follow.note.insert("已电话回访，致歉并说明办理时限" if lang == "zh"
                           else "Called back; apologised and explained the time limit")
        click(qtbot, follow.record)
        qtbot.waitUntil(lambda: bool(follow.items) and follow.items[0].done
                        and not m.busy("follow_up"), timeout=WAIT_MS)
        shoot(window, folder, f"{lang}-8-reports-followed-up")
        assert "dissatisfied" not in {a.kind for a in m.indicators.alerts}


# ---------------------------------------------------------------------------------- small screens

SCREENS = ((1280, 800), (1600, 900))


def fits(window: DeskWindow, what: str) -> None:
    """The window can be as small as a full-screen window on a 1280x800 screen."""
    QApplication.processEvents()
    hint = window.minimumSizeHint()
    assert hint.width() <= 1280 and hint.height() <= 800, f"{what}: needs {hint}"


def not_squashed(panel: TicketPanel) -> None:
    """Every action of the ticket panel at its full height (the panel scrolls instead)."""
    body = panel.body
    assert body.height() >= body.minimumSizeHint().height()
    for widget in (panel.move_button, panel.green_button, panel.reinstate_button,
                   panel.cancel_button, panel.reason, panel.window_choice):
        assert widget.height() >= widget.minimumSizeHint().height(), widget


def whole(table: QTableWidget, column: int) -> bool:
    """Whether ``column`` shows its longest text whole (no "…")."""
    return table.rowCount() == 0 or table.columnWidth(column) >= table.sizeHintForColumn(column)


def rows_fitted(table: QTableWidget) -> bool:
    return all(table.rowHeight(r) >= table.sizeHintForRow(r) for r in range(table.rowCount()))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_desk_fits_1280x800_and_1600x900(hub: HubProcess, qtbot: QtBot, tmp_path: Path,
                                             artifacts: Path, lang: str) -> None:
    busy_hall(hub)
    folder = artifacts / "desk"
    with desk(hub, qtbot, tmp_path, lang, ahead_min=38) as window:
        m = window.model
        qtbot.waitUntil(lambda: m.indicators.no_shows is not None and bool(m.indicators.follow_ups),
                        timeout=WAIT_MS)
        fits(window, "start")
        assert window.queue.select_number("C004")
        qtbot.waitUntil(lambda: window.queue.panel.ticket is not None, timeout=WAIT_MS)
        fits(window, "a ticket selected")
        serving = next(w.current for w in m.indicators.windows if w.number == 4)
        assert serving
        window.tabs.setCurrentWidget(window.lookup)
        qtbot.keyClicks(window.lookup.number, serving)
        click(qtbot, window.lookup.find_button)
        qtbot.waitUntil(lambda: window.lookup.panel.ticket is not None, timeout=WAIT_MS)
        fits(window, "a ticket looked up")
        # a long follow-up note, to be wrapped in its row
        follow = window.watch.follow
        qtbot.waitUntil(lambda: follow.table.rowCount() >= 1, timeout=WAIT_MS)
        follow.table.selectRow(0)
        follow.note.insert("已电话回访，致歉并说明办理时限，群众表示理解" if lang == "zh"
                           else "Called back; apologised and explained the time limit")
        click(qtbot, follow.record)
        qtbot.waitUntil(lambda: follow.items[0].done and not m.busy("follow_up"),
                        timeout=WAIT_MS)

        def every_page(tag: str, size: tuple[int, int]) -> None:
            window.resize(*size)
            QApplication.processEvents()
            assert window.size() == QSize(*size), f"{tag}: the window is {window.size()}"
            name = f"{lang}-fit-{size[0]}x{size[1]}{tag}"
            window.tabs.setCurrentWidget(window.queue)
            shoot(window, folder, f"{name}-1-queue")
            not_squashed(window.queue.panel)
            assert whole(window.queue.table, 1)  # the service
            header = window.queue.table.horizontalHeader()
            assert all(header.sectionSize(c) >= header.sectionSizeHint(c)
                       for c in range(header.count())), "a header of the line is cut"
            window.tabs.setCurrentWidget(window.issue)
            shoot(window, folder, f"{name}-2-issue")
            area = window.issue.services_area
            assert area.horizontalScrollBar().maximum() == 0
            for box in window.issue.boxes:
                right = box.mapTo(area.viewport(), QPoint(box.width(), 0)).x()
                assert right <= area.viewport().width(), box.title()
            window.tabs.setCurrentWidget(window.lookup)
            shoot(window, folder, f"{name}-3-lookup")
            not_squashed(window.lookup.panel)
            window.tabs.setCurrentWidget(window.announce)
            shoot(window, folder, f"{name}-4-announce")
            window.tabs.setCurrentWidget(window.watch)
            shoot(window, folder, f"{name}-5-watch")
            watch = window.watch
            assert whole(watch.services, 0) and whole(watch.windows, 0), "a name is cut"
            assert rows_fitted(watch.follow.table)
            followed = watch.follow.table.item(0, 5)
            assert followed is not None and followed.toolTip() == followed.text()
            window.tabs.setCurrentWidget(window.reports)
            shoot(window, folder, f"{name}-6-reports")

        for size in SCREENS:
            every_page("", size)
        window.resize(*SIZE)
        QApplication.processEvents()
        assert rows_fitted(window.watch.follow.table)  # and again once wider

        # offline: the red banner takes a line, and the window still fits
        hub.kill()
        qtbot.waitUntil(lambda: not m.connected, timeout=WAIT_MS)
        assert window.banner.isVisible()
        fits(window, "offline")
        for size in SCREENS:
            every_page("-offline", size)


def test_reassigning_shows_window_states_and_cancelling_at_a_window_asks(
        hub: HubProcess, qtbot: QtBot, tmp_path: Path, artifacts: Path) -> None:
    kiosk = Device(hub, "kiosk-1")
    counters = {n: Device(hub, f"counter-{n}") for n in (1, 2, 4)}
    try:
        for service in ("social", "social", "social", "hukou"):
            kiosk.request("issue", service=service)
        counters[1].request("sign_in", window=1, clerk="1001", pin="1234")
        called = counters[1].request("call_next", window=1)["ticket"]["number"]
        counters[4].request("sign_in", window=4, clerk="1002", pin="2345")
        serving = counters[4].request("call_next", window=4)["ticket"]["number"]
        counters[4].request("start", window=4)
        counters[2].request("sign_in", window=2, clerk="1003", pin="3456")
        counters[2].request("pause", window=2, reason="午休")
        with desk(hub, qtbot, tmp_path) as window:
            m = window.model
            queue, panel = window.queue, window.queue.panel
            qtbot.waitUntil(lambda: queue.table.rowCount() == 2, timeout=WAIT_MS)
            assert queue.select_number("C003")

            # the windows with their states, open ones first
            choice = panel.window_choice
            numbers = [choice.itemData(i) for i in range(choice.count())]
            states = [panel.window_state(n) for n in numbers]
            assert states == sorted(states, key=CALLED_SOONEST.index)
            assert numbers[:3] == [1, 4, 2] and states[:3] == ["open", "open", "paused"]
            assert set(states[3:]) == {"closed"}
            texts = {choice.itemData(i): choice.itemText(i) for i in range(choice.count())}
            assert texts[1] == f"{m.window_name(1)}（开放）"
            assert texts[2] == f"{m.window_name(2)}（暂停）"
            assert texts[3] == f"{m.window_name(3)}（关闭）"

            # a window that is not open: said next to the button, and still allowed
            panel.to_window.setChecked(True)
            choice.setCurrentIndex(choice.findData(1))
            assert panel.window_warning.isHidden()
            choice.setCurrentIndex(choice.findData(2))
            assert panel.window_warning.isVisible()
            assert panel.window_warning.text() == m.t("reassign_to_paused",
                                                      window=m.window_name(2))
            choice.setCurrentIndex(choice.findData(3))
            assert panel.window_warning.text() == m.t("reassign_to_closed",
                                                      window=m.window_name(3))
            panel.to_service.setChecked(True)
            assert panel.window_warning.isHidden()  # only about a window
            panel.to_window.setChecked(True)
            assert panel.window_warning.isVisible()
            window.resize(1280, 800)
            shoot(window, artifacts / "desk", "zh-fit-1280x800-reassign-closed-window")
            click(qtbot, panel.move_button)
            qtbot.waitUntil(lambda: said(window, "C003 已改派到"), timeout=WAIT_MS)
            c003 = f"{m.watch.day.replace('-', '')}-C003"
            qtbot.waitUntil(lambda: m.watch.waiting[c003].get("to_window") == 3, timeout=WAIT_MS)

            # cancelling a ticket a window is serving asks first, naming the window
            lookup = window.lookup
            window.tabs.setCurrentWidget(lookup)
            asked: list[tuple[str, str]] = []
            answer = [False]

            def confirm(title: str, question: str) -> bool:
                asked.append((title, question))
                return answer[0]

            lookup.panel.confirm = confirm
            qtbot.keyClicks(lookup.number, serving)
            click(qtbot, lookup.find_button)
            qtbot.waitUntil(lambda: lookup.panel.ticket is not None
                            and lookup.panel.ticket.get("state") == "serving", timeout=WAIT_MS)
            lookup.panel.reason.setCurrentIndex(lookup.panel.reason.findData("asked"))
            sent = len(m.history)
            click(qtbot, lookup.panel.cancel_button)
            question = m.t("confirm_cancel_serving", number=serving, window="4号窗口")
            assert asked == [(m.t("confirm_cancel_title"), question)]
            assert "4号窗口" in question or question == "desk.confirm_cancel_serving"  # (merged?)
            assert len(m.history) == sent and not m.busy("cancel")  # nothing sent: the clerk said no
            answer[0] = True
            click(qtbot, lookup.panel.cancel_button)
            qtbot.waitUntil(lambda: said(window, f"{serving} 已取消"), timeout=WAIT_MS)
            assert len(asked) == 2

            # a called ticket asks too; a waiting one cancels as before
            asked.clear()
            lookup.number.clear()
            qtbot.keyClicks(lookup.number, called)
            click(qtbot, lookup.find_button)
            qtbot.waitUntil(lambda: lookup.panel.ticket is not None
                            and lookup.panel.ticket.get("number") == called, timeout=WAIT_MS)
            assert lookup.panel.ticket.get("state") == "called"
            lookup.panel.reason.setCurrentIndex(lookup.panel.reason.findData("left"))
            click(qtbot, lookup.panel.cancel_button)
            qtbot.waitUntil(lambda: said(window, f"{called} 已取消"), timeout=WAIT_MS)
            assert asked == [(m.t("confirm_cancel_title"),
                              m.t("confirm_cancel_called", number=called, window="1号窗口"))]
            asked.clear()
            lookup.number.clear()
            qtbot.keyClicks(lookup.number, "C003")
            click(qtbot, lookup.find_button)
            qtbot.waitUntil(lambda: lookup.panel.ticket is not None
                            and lookup.panel.ticket.get("number") == "C003", timeout=WAIT_MS)
            lookup.panel.reason.setCurrentIndex(lookup.panel.reason.findData("left"))
            click(qtbot, lookup.panel.cancel_button)
            qtbot.waitUntil(lambda: said(window, "C003 已取消"), timeout=WAIT_MS)
            assert asked == []

            # the real question: keeping the ticket is the default and Esc's answer
            shown: list[str] = []

            def reply(go: bool) -> None:
                box = QApplication.activeModalWidget()
                assert isinstance(box, QMessageBox)
                shown.append(box.text())
                if go:
                    button = next(b for b in box.buttons()
                                  if box.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole)
                    button.click()
                else:
                    qtbot.keyClick(box, Qt.Key.Key_Escape)

            QTimer.singleShot(0, lambda: reply(False))
            assert lookup.panel._ask("title", "B001 ?") is False
            QTimer.singleShot(0, lambda: reply(True))
            assert lookup.panel._ask("title", "B001 ?") is True
            assert shown == ["B001 ?", "B001 ?"]
    finally:
        kiosk.close()
        for device in counters.values():
            device.close()


# ---------------------------------------------------------------------------------- command line


@pytest.mark.parametrize(("argv", "words"), [
    (["--device", "desk-1"], "say who this device is"),
    (["--device", "d", "--token", "t", "--hub", "http://x/"], "ws:// or wss://"),
    (["--device", "d", "--token", "t", "--printer", "lpt:1"], "printer spec"),
    (["--device", "d", "--token", "t", "--settings", "/nonexistent/desk.toml"], "does not exist"),
])
def test_a_bad_argument_is_one_plain_line(capsys: pytest.CaptureFixture[str], argv: list[str],
                                          words: str) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("hall-desk: ") and words in err[0]
