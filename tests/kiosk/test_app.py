"""The kiosk app offscreen against a real hub: touches on the real widgets, the real bus, the
preview printer writing real bytes. One kiosk for the module (the app is long-running, like a
real kiosk); each test starts from the start screen. Screenshots go to tests/artifacts/kiosk/."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from hub.client import BusClient, DeviceSettings
from kiosk.errors import PrinterOfflineError
from kiosk.model import KioskModel, Screen
from kiosk.printer import PreviewPrinter
from kiosk.printer_status import PrinterStatus
from kiosk.scanner import KeyboardScanner
from kiosk.settings import KioskSettings
from kiosk.ticket import PrintMode, TicketContent
from kiosk.ui.app import Kiosk
from kiosk.ui.screens import CheckInPage, HomePage, NumberPage, ServicesPage, TechnicianPage
from kiosk.ui.window import KioskWindow
from tests.hubproc import HubProcess
from tests.kiosk.conftest import opened

PORTRAIT, LANDSCAPE = (1080, 1920), (1920, 1080)
PIN = "2468"


class JammingPreview(PreviewPrinter):
    """The preview printer, whose next ``failures`` tickets jam while its status says ok."""

    failures = 0

    def print_content(self, content: TicketContent) -> bytes:
        if self.failures > 0:
            self.failures -= 1
            raise PrinterOfflineError("paper jam")
        return super().print_content(content)


class Shifted:
    """time.monotonic, which a test may move forward (for the hub-lost grace period)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.offset


@pytest.fixture(scope="module")
def kiosk(hall: HubProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kiosk]:
    printer = JammingPreview(PrintMode.TEXT, 58, tmp_path_factory.mktemp("tickets"))
    settings = KioskSettings(technician_pin=PIN, idle_seconds=30)
    app = Kiosk(DeviceSettings(hall.url, "kiosk-1", hall.tokens["kiosk-1"]), settings, printer,
                scanner=KeyboardScanner())
    app.model.monotonic = Shifted()
    with opened(app, PORTRAIT):
        yield app


@pytest.fixture
def k(kiosk: Kiosk, qtbot: QtBot) -> Kiosk:
    """The kiosk on its start screen, portrait, in Chinese, printer ready."""
    printer = kiosk.jobs.printer
    assert isinstance(printer, JammingPreview)
    printer.failures = 0
    printer.set_status(PrinterStatus.OK)
    kiosk.window.resize(*PORTRAIT)
    kiosk.model.idle_seconds = 30
    qtbot.waitUntil(lambda: kiosk.model.connected, timeout=15000)
    kiosk.model.home()
    qtbot.waitUntil(lambda: kiosk.model.screen is Screen.HOME, timeout=5000)
    return kiosk


def tap(qtbot: QtBot, widget: QWidget) -> None:
    assert widget.isVisible(), widget
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton)


def tickets(k: Kiosk) -> Path:
    printer = k.jobs.printer
    assert isinstance(printer, PreviewPrinter)
    return printer.directory


def admin_snapshot(hall: HubProcess) -> dict[str, Any]:
    async def fetch() -> dict[str, Any]:
        client = BusClient(hall.url, "admin-1", hall.tokens["admin-1"])
        runner = asyncio.create_task(client.run())
        try:
            await client.wait_ready(10)
            return dict((await client.request("sync"))["snapshot"])
        finally:
            await client.close()
            runner.cancel()

    return asyncio.run(fetch())


def take_service(qtbot: QtBot, k: Kiosk, dept: str, service: str) -> None:
    home = k.window.pages[Screen.HOME]
    assert isinstance(home, HomePage)
    tap(qtbot, home.tiles[dept])
    services = k.window.pages[Screen.SERVICES]
    assert isinstance(services, ServicesPage)
    tap(qtbot, services.tiles[service])


def test_pick_a_service_and_take_the_ticket(k: Kiosk, qtbot: QtBot) -> None:
    take_service(qtbot, k, "hrss", "social")
    qtbot.waitUntil(lambda: k.model.screen is Screen.DONE, timeout=5000)
    number = k.window.pages[Screen.DONE]
    assert isinstance(number, NumberPage)
    printed = number.number.text()
    assert printed.startswith("C")
    assert (tickets(k) / f"{printed}.bin").read_bytes().startswith(b"\x1b@")
    assert (tickets(k) / f"{printed}.png").exists()
    assert "请取走您的号票" in number.take.text()
    tap(qtbot, number.action)
    assert k.model.screen is Screen.HOME


def test_waiting_figures_follow_the_hall_live(k: Kiosk, qtbot: QtBot, hall: HubProcess) -> None:
    home = k.window.pages[Screen.HOME]
    assert isinstance(home, HomePage)
    tap(qtbot, home.tiles["police"])
    services = k.window.pages[Screen.SERVICES]
    assert isinstance(services, ServicesPage)
    assert services.tiles["hukou"].sub.text() == "无需等候"

    async def issue_at_the_desk() -> None:
        client = BusClient(hall.url, "desk-1", hall.tokens["desk-1"])
        runner = asyncio.create_task(client.run())
        try:
            await client.wait_ready(10)
            await client.request("issue", service="hukou")
        finally:
            await client.close()
            runner.cancel()

    asyncio.run(issue_at_the_desk())
    qtbot.waitUntil(lambda: services.tiles["hukou"].sub.text().startswith("等候1人"), timeout=5000)


def test_switch_language_and_back_to_chinese_when_idle(k: Kiosk, qtbot: QtBot) -> None:
    tap(qtbot, k.window.language_buttons["en"])
    home = k.window.pages[Screen.HOME]
    assert isinstance(home, HomePage)
    assert home.title.text() == "Choose a department"
    assert home.tiles["hrss"].title.text() == "Human Resources and Social Security"
    assert k.window.hall_name.text() == "County Government Service Center"
    assert list(k.window.language_buttons) == ["zh"]
    assert k.window.language_buttons["zh"].text() == "中文"
    k.model.idle_seconds = 0.3
    qtbot.waitUntil(lambda: k.model.lang == "zh", timeout=3000)
    assert home.title.text() == "请选择办理部门"


def test_idle_goes_back_to_the_start(k: Kiosk, qtbot: QtBot) -> None:
    home = k.window.pages[Screen.HOME]
    assert isinstance(home, HomePage)
    tap(qtbot, home.check_in)
    assert k.model.screen is Screen.CHECK_IN
    k.model.idle_seconds = 0.3
    qtbot.waitUntil(lambda: k.model.screen is Screen.HOME, timeout=3000)


def book(hall: HubProcess, k: Kiosk, code: str, service: str = "social") -> None:
    day = (str(k.bus.client.snapshot["day"]) if k.bus.client
           else datetime.now(UTC).date().isoformat())
    hall.book(code, service, day)


def test_check_in_an_appointment_on_the_keypad(k: Kiosk, qtbot: QtBot, hall: HubProcess) -> None:
    book(hall, k, "8801")
    home = k.window.pages[Screen.HOME]
    assert isinstance(home, HomePage)
    tap(qtbot, home.check_in)
    page = k.window.pages[Screen.CHECK_IN]
    assert isinstance(page, CheckInPage)
    assert not page.confirm.isEnabled()
    for digit in "8809":
        tap(qtbot, page.keypad.keys[digit])
    tap(qtbot, page.keypad.delete_key)
    tap(qtbot, page.keypad.keys["1"])
    assert page.code.text() == "8801"
    tap(qtbot, page.confirm)
    qtbot.waitUntil(lambda: k.model.screen is Screen.DONE, timeout=5000)
    assert k.model.ticket is not None and k.model.ticket["priority"] == "appointment"
    number = k.model.ticket["number"]
    assert (tickets(k) / f"{number}.bin").exists()
    # the same code again: already checked in, said in plain words
    k.model.home()
    tap(qtbot, home.check_in)
    for digit in "8801":
        tap(qtbot, page.keypad.keys[digit])
    tap(qtbot, page.confirm)
    qtbot.waitUntil(lambda: k.model.screen is Screen.NOTICE, timeout=5000)
    assert k.model.notice is not None and "已经签到过了" in k.model.notice.body


def test_check_in_from_a_keyboard_wedge_scanner(k: Kiosk, qtbot: QtBot, hall: HubProcess) -> None:
    book(hall, k, "APT-7730", "medical")
    QTest.keyClicks(k.window, "APT-7730")
    QTest.keyClick(k.window, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: k.model.screen is Screen.DONE, timeout=5000)
    assert k.model.ticket is not None and k.model.ticket["number"].startswith("E")
    k.model.home()
    QTest.keyClicks(k.window, "NO-SUCH-CODE")
    QTest.keyClick(k.window, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: k.model.screen is Screen.NOTICE, timeout=5000)
    assert k.model.notice is not None and "没有找到预约码 NO-SUCH-CODE" in k.model.notice.body


def test_out_of_paper_issues_nothing_and_alerts_the_desk(k: Kiosk, qtbot: QtBot,
                                                         hall: HubProcess) -> None:
    before = sorted(p.name for p in tickets(k).glob("*.bin"))
    printer = k.jobs.printer
    assert isinstance(printer, PreviewPrinter)
    printer.set_status(PrinterStatus.PAPER_OUT)
    take_service(qtbot, k, "tax", "tax")
    qtbot.waitUntil(lambda: k.model.screen is Screen.OUT_OF_SERVICE, timeout=5000)
    assert sorted(p.name for p in tickets(k).glob("*.bin")) == before
    qtbot.waitUntil(lambda: admin_snapshot(hall)["devices"].get("kiosk-1", {}).get("printer")
                    == "paper_out", timeout=5000)
    printer.set_status(PrinterStatus.OK)  # a new roll: back by itself
    qtbot.waitUntil(lambda: k.model.screen is Screen.HOME, timeout=5000)


def test_a_jammed_print_keeps_the_number_on_screen_until_printed(k: Kiosk, qtbot: QtBot) -> None:
    printer = k.jobs.printer
    assert isinstance(printer, JammingPreview)
    printer.failures = 1
    take_service(qtbot, k, "tax", "tax")
    qtbot.waitUntil(lambda: k.model.screen is Screen.UNPRINTED, timeout=5000)
    number = k.model.unprinted_number
    page = k.window.pages[Screen.UNPRINTED]
    assert isinstance(page, NumberPage)
    assert page.number.text() == number
    qtbot.waitUntil(lambda: k.model.screen is Screen.DONE, timeout=10000)  # printed on a retry
    assert (tickets(k) / f"{number}.bin").exists()


def test_hub_lost_pauses_issuing_and_it_comes_back(k: Kiosk, qtbot: QtBot, hall: HubProcess) -> None:
    hall.kill()
    try:
        qtbot.waitUntil(lambda: k.model.screen is Screen.PAUSED, timeout=15000)
        assert "服务中心连接中断" in k.window.hub_lost.text()
    finally:
        hall.start()
    qtbot.waitUntil(lambda: k.model.screen is Screen.HOME, timeout=15000)
    assert k.window.hub_lost.text() == ""


class HeldChecks:
    """Print jobs whose status checks wait until released (to see the issuing screen)."""

    def __init__(self, jobs: Any) -> None:
        self.jobs = jobs
        self.held: list[Callable[[PrinterStatus], None]] = []

    def check(self, on_done: Callable[[PrinterStatus], None]) -> None:
        self.held.append(on_done)

    def print_ticket(self, content: TicketContent, on_done: Any) -> None:
        self.jobs.print_ticket(content, on_done)


def test_screenshots_of_every_screen(k: Kiosk, qtbot: QtBot, artifacts: Path) -> None:
    out = artifacts / "kiosk" / "screens"
    out.mkdir(parents=True, exist_ok=True)
    m, window = k.model, k.window
    shot_names: list[str] = []

    def shoot(name: str, orientation: str) -> None:
        for lang in ("zh", "en"):
            m.set_language(lang)
            QApplication.processEvents()
            path = out / f"{orientation}_{name}_{lang}.png"
            assert window.grab().save(str(path))
            shot_names.append(path.name)

    starting = KioskWindow(KioskModel(k.bus, k.jobs), orientation="auto")
    for orientation, size in (("portrait", PORTRAIT), ("landscape", LANDSCAPE)):
        starting.resize(*size)
        for lang in ("zh", "en"):
            starting.model.set_language(lang)
            starting.grab().save(str(out / f"{orientation}_starting_{lang}.png"))

        window.resize(*size)
        m.home()
        shoot("home", orientation)
        m.choose_department("hrss")
        shoot("services", orientation)
        m.home()
        assert k.bus.client is not None
        real = k.bus.client.snapshot
        doctored: dict[str, Any] = {**real, "services": [dict(s) for s in real["services"]]}
        for service in doctored["services"]:
            if service["id"] == "hukou":
                service["quota_left"] = 0
            if service["id"] == "idcard":
                service.update(open=False, hours_today=["08:30-11:30", "14:00-17:00"])
        m.on_snapshot(0, doctored)
        m.choose_department("police")
        shoot("services_unavailable", orientation)
        m.on_snapshot(0, real)
        m.home()
        m.open_check_in()
        for digit in "20261123":
            m.key(digit)
        shoot("check_in", orientation)
        m.home()
        m.choose_department("fund")
        held = HeldChecks(k.jobs)
        m.jobs = held
        m.choose_service("fund")
        shoot("issuing", orientation)
        m.jobs = k.jobs
        held.held[0](PrinterStatus.OK)
        qtbot.waitUntil(lambda: m.screen is Screen.DONE, timeout=5000)
        shoot("done", orientation)
        printer = k.jobs.printer
        assert isinstance(printer, JammingPreview)
        printer.failures = 1000
        m.home()
        m.choose_department("fund")
        m.choose_service("fund")
        qtbot.waitUntil(lambda: m.screen is Screen.UNPRINTED, timeout=5000)
        shoot("unprinted", orientation)
        printer.failures = 0
        m.finish()
        qtbot.waitUntil(lambda: m.screen is Screen.HOME, timeout=5000)
        m.open_check_in()
        m.key("4")
        m.key("0")
        m.key("4")
        m.submit_code()
        qtbot.waitUntil(lambda: m.screen is Screen.NOTICE, timeout=5000)
        shoot("notice", orientation)
        m.home()
        printer.set_status(PrinterStatus.PAPER_OUT)
        m.choose_department("fund")
        m.choose_service("fund")
        qtbot.waitUntil(lambda: m.screen is Screen.OUT_OF_SERVICE, timeout=5000)
        shoot("out_of_service", orientation)
        printer.set_status(PrinterStatus.UNREADABLE)
        qtbot.waitUntil(lambda: m.printer_status is PrinterStatus.UNREADABLE,
                        timeout=5000)
        shoot("out_of_service_unreadable", orientation)
        printer.set_status(PrinterStatus.OK)
        qtbot.waitUntil(lambda: m.screen is Screen.HOME, timeout=5000)
        clock = m.monotonic
        assert isinstance(clock, Shifted)
        m.on_status(False, "the hub does not answer")
        clock.offset += 10
        m.tick()
        shoot("paused", orientation)
        m.on_status(True, "connected")
        m.technician_gesture()
        m.key("1")
        m.submit_pin()
        m.key("1")
        shoot("technician", orientation)
        m.home()
    starting.deleteLater()
    assert len(shot_names) == 2 * 2 * 12


def test_the_technician_leaves_with_the_pin_after_a_long_press(k: Kiosk, qtbot: QtBot) -> None:
    window = k.window
    window.long_press_ms = 50
    window.model.quit_requested.disconnect(window._leave)  # keep the module's app running
    QTest.mousePress(window.hall_name, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: k.model.screen is Screen.TECHNICIAN, timeout=3000)
    QTest.mouseRelease(window.hall_name, Qt.MouseButton.LeftButton)
    page = window.pages[Screen.TECHNICIAN]
    assert isinstance(page, TechnicianPage)
    for digit in "1357":
        tap(qtbot, page.keypad.keys[digit])
    tap(qtbot, page.confirm)
    assert page.wrong.text() == "密码不正确，请重新输入"
    assert page.wrong.isVisible()
    for digit in PIN:
        tap(qtbot, page.keypad.keys[digit])
    with qtbot.waitSignal(k.model.quit_requested, timeout=2000):
        tap(qtbot, page.confirm)
