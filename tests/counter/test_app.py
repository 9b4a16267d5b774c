"""The clerk client offscreen against a real hub on loopback: every action, screenshots, a lost hub."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QListWidget, QWidget
from pytestqt.qtbot import QtBot

from counter.main import CounterApp, main
from counter.model import Action, NoticeKind
from counter.sign import FakeSign, SignKind
from hub.client import DeviceSettings
from hub.qtbus import QtBus
from tests.hubproc import HubProcess
from tests.qtpeer import WAIT, QtPeer


class Desk(QtPeer):
    """The guidance desk's bus, used by the tests to issue and look up tickets."""

    def issue(self, service: str) -> str:
        return str(self.ask("issue", service=service)["ticket"]["number"])

    def state(self, number: str) -> str:
        return str(self.ask("find", ticket=number)["ticket"]["state"])


@pytest.fixture
def desk(qtbot: QtBot, hub: HubProcess) -> Iterator[Desk]:
    desk = Desk(qtbot, hub, "desk-1")
    yield desk
    desk.bus.stop()


def open_counter(qtbot: QtBot, hub: HubProcess) -> CounterApp:
    """Window 1's clerk client, on screen and synced with the hub."""
    bus = QtBus(DeviceSettings(hub.url, "counter-1", hub.tokens["counter-1"]))
    app = CounterApp(bus, lang="zh")
    qtbot.addWidget(app.window)
    app.window.resize(1280, 800)
    app.window.show()
    bus.start()
    qtbot.waitUntil(lambda: app.model.synced and app.model.window == 1, timeout=WAIT)
    return app


@pytest.fixture
def counter(qtbot: QtBot, hub: HubProcess) -> Iterator[CounterApp]:
    app = open_counter(qtbot, hub)
    yield app
    app.bus.stop()
    app.close()


def shoot(widget: QWidget, app: CounterApp, folder: Path, name: str) -> None:
    """Save the screen in Chinese and in English."""
    for lang in ("zh", "en"):
        app.model.set_lang(lang)
        QApplication.sendPostedEvents()
        QApplication.processEvents()
        assert widget.grab().save(str(folder / f"{name}-{lang}.png"))
    app.model.set_lang("zh")


_CLICKED: dict[tuple[int, Action], float] = {}


def past_double_click(qtbot: QtBot, app: CounterApp, action: Action) -> None:
    """Wait until a press of ``action`` is no longer part of a double click with its last one
    (which the window takes as one press): a person's next press comes later."""
    gap = QGuiApplication.styleHints().mouseDoubleClickInterval() / 1000 + 0.05
    since = time.monotonic() - _CLICKED.get((id(app), action), float("-inf"))
    if since < gap:
        qtbot.wait(int((gap - since) * 1000) + 1)


def click(qtbot: QtBot, app: CounterApp, action: Action) -> None:
    """A person's press of a button."""
    past_double_click(qtbot, app, action)
    button = app.window.work_page.buttons[action]
    assert button.isEnabled(), f"{action} is disabled: {app.model.notice}"
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    _CLICKED[(id(app), action)] = time.monotonic()


def settle(qtbot: QtBot, app: CounterApp) -> None:
    qtbot.waitUntil(lambda: app.model.pending is None, timeout=WAIT)


def notice(app: CounterApp) -> str:
    assert app.model.notice is not None
    return app.model.notice.text


@pytest.fixture
def screens(artifacts: Path) -> Path:
    folder = artifacts / "counter"
    folder.mkdir(exist_ok=True)
    return folder


def test_every_action_against_a_real_hub(
    qtbot: QtBot, counter: CounterApp, desk: Desk, screens: Path
) -> None:
    app, window, model = counter, counter.window, counter.model
    assert window.stack.currentWidget() is window.sign_in_page
    shoot(window, app, screens, "signin")

    page = window.sign_in_page
    QTest.keyClicks(page.staff, "1001")
    QTest.keyClicks(page.pin, "9999")
    QTest.mouseClick(page.button, Qt.MouseButton.LeftButton)
    settle(qtbot, app)
    assert notice(app) == "工号或密码不正确。"
    assert model.notice is not None and model.notice.kind is NoticeKind.ERROR
    assert page.message.isVisible() and page.message.text() == "工号或密码不正确。"
    shoot(window, app, screens, "error-signin")

    QTest.keyClicks(page.pin, "1234")
    QTest.keyClick(page.pin, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.work_page, timeout=WAIT)
    assert notice(app) == "张三已在1号窗口签到。"
    assert "张三" in window.clerk.text()
    shoot(window, app, screens, "idle")

    click(qtbot, app, Action.CALL_NEXT)
    settle(qtbot, app)
    assert notice(app) == "目前没有人等候本窗口。"
    shoot(window, app, screens, "error-queue-empty")

    numbers = [desk.issue("social") for _ in range(4)] + [desk.issue("medical")]
    qtbot.waitUntil(lambda: len(model.waiting) == 5, timeout=WAIT)
    assert window.work_page.waiting_count.text() == "5人等候"

    # F1 (the keypad's call key on the keyboard) calls the first
    QTest.keyClick(window, Qt.Key.Key_F1)
    _CLICKED[(id(app), Action.CALL_NEXT)] = time.monotonic()  # the key clicks the button
    settle(qtbot, app)
    assert window.work_page.number.text() == numbers[0]
    assert notice(app) == f"已呼叫 {numbers[0]}。"
    shoot(window, app, screens, "calling")

    click(qtbot, app, Action.RECALL)
    settle(qtbot, app)
    assert notice(app) == f"已重呼 {numbers[0]}（第2次）。"
    assert "第2次呼叫" in window.work_page.state.text()

    click(qtbot, app, Action.START)
    settle(qtbot, app)
    assert "办理中" in window.work_page.state.text()
    shoot(window, app, screens, "serving")

    click(qtbot, app, Action.FINISH)
    settle(qtbot, app)
    assert notice(app) == f"{numbers[0]} 已办结。"
    assert desk.state(numbers[0]) == "done"
    qtbot.waitUntil(lambda: model.figures().served == 1, timeout=WAIT)
    assert window.work_page.figures_served.text() == "已办结 1 件"

    # a double click calls one ticket, not two, also when the hub answers the first click
    # before the second comes (a double click's clicks are 100-300 ms apart)
    button = window.work_page.buttons[Action.CALL_NEXT]
    past_double_click(qtbot, app, Action.CALL_NEXT)
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    settle(qtbot, app)
    qtbot.wait(120)
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    QTest.mouseDClick(button, Qt.MouseButton.LeftButton)
    _CLICKED[(id(app), Action.CALL_NEXT)] = time.monotonic()
    settle(qtbot, app)
    qtbot.wait(100)
    assert window.work_page.number.text() == numbers[1]
    assert desk.state(numbers[2]) == "waiting"

    click(qtbot, app, Action.NO_SHOW)
    settle(qtbot, app)
    assert notice(app) == f"{numbers[1]} 已记为过号。"
    assert desk.state(numbers[1]) == "no_show"

    click(qtbot, app, Action.CALL_NEXT)
    settle(qtbot, app)
    assert window.work_page.number.text() == numbers[2]

    # transfer to a service, at the front
    click(qtbot, app, Action.TRANSFER)
    dialog = window.transfer_dialog
    assert dialog is not None and dialog.isVisible()
    assert not dialog.ok_button.isEnabled()
    medical = _select(dialog.service_list, "医保业务")
    assert medical
    dialog.first.setChecked(True)
    shoot(dialog, app, screens, "transfer-dialog")
    QTest.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    settle(qtbot, app)
    assert notice(app) == f"{numbers[2]} 已转到 医保业务（排在最前）。"
    assert model.current is None
    assert desk.ask("find", ticket=numbers[2])["ticket"]["service"] == "medical"

    # call a number typed in the dialog
    click(qtbot, app, Action.CALL_NUMBER)
    number_dialog = window.call_number_dialog
    assert number_dialog is not None
    QTest.keyClicks(number_dialog.number, numbers[4].lower())
    shoot(number_dialog, app, screens, "call-number-dialog")
    QTest.keyClick(number_dialog.number, Qt.Key.Key_Return)
    settle(qtbot, app)
    assert window.work_page.number.text() == numbers[4]

    # transfer to window 4, at the back
    click(qtbot, app, Action.TRANSFER)
    dialog = window.transfer_dialog
    assert dialog is not None
    dialog.tabs.setCurrentIndex(1)
    assert _select(dialog.window_list, "4号窗口")
    assert dialog.first.isChecked()  # the citizen has waited once: first, unless told
    dialog.last.setChecked(True)
    QTest.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    settle(qtbot, app)
    assert desk.ask("find", ticket=numbers[4])["ticket"]["to_window"] == 4

    # a number that is not waiting
    click(qtbot, app, Action.CALL_NUMBER)
    number_dialog = window.call_number_dialog
    assert number_dialog is not None
    QTest.keyClicks(number_dialog.number, numbers[0])
    QTest.keyClick(number_dialog.number, Qt.Key.Key_Return)
    settle(qtbot, app)
    assert notice(app) == f"{numbers[0]} 不在等候中，不能呼叫。"

    # pause with a reason, then resume
    click(qtbot, app, Action.PAUSE)
    pause = window.pause_dialog
    assert pause is not None
    shoot(pause, app, screens, "pause-dialog")
    pause.reason.setCurrentText("午餐休息")
    pause.accept()
    settle(qtbot, app)
    assert model.paused and model.pause_reason == "午餐休息"
    assert window.work_page.paused_banner.isVisible()
    assert not window.work_page.buttons[Action.CALL_NEXT].isEnabled()
    shoot(window, app, screens, "paused")
    QTest.keyClick(window, Qt.Key.Key_F1)  # the call key while paused says why
    assert notice(app) == "窗口暂停中，请先恢复服务再叫号。"
    click(qtbot, app, Action.RESUME)
    settle(qtbot, app)
    assert not model.paused and notice(app) == "已恢复服务。"
    # a listed reason goes out in the hall's languages, for every screen of the hall
    click(qtbot, app, Action.PAUSE)
    pause.reason.setCurrentIndex(1)
    pause.accept()
    settle(qtbot, app)
    assert model.paused and model.window_state is not None
    assert model.window_state["reason"] == "会议 / Meeting"  # every screen's languages go out
    assert model.pause_reason == "会议"  # the clerk's banner says it in the clerk's language
    click(qtbot, app, Action.RESUME)
    settle(qtbot, app)

    # sign out waits for the current ticket
    click(qtbot, app, Action.CALL_NEXT)
    settle(qtbot, app)
    assert not window.work_page.buttons[Action.SIGN_OUT].isEnabled()
    QTest.keyClick(window, Qt.Key.Key_F12)
    assert notice(app) == "请先办结或转移当前号码，再签退。"
    QTest.keyClick(window, Qt.Key.Key_F4)  # the keypad's finish key
    settle(qtbot, app)
    click(qtbot, app, Action.SIGN_OUT)
    settle(qtbot, app)
    assert notice(app) == "已签退。"
    assert window.stack.currentWidget() is window.sign_in_page


def _select(widget: QListWidget, text: str) -> bool:
    for row in range(widget.count()):
        item = widget.item(row)
        if text in item.text():
            widget.setCurrentItem(item)
            return True
    return False


def test_portrait_layout_stacks_the_panels(
    qtbot: QtBot, counter: CounterApp, desk: Desk, screens: Path
) -> None:
    window = counter.window
    counter.model.sign_in("1002", "2345")
    qtbot.waitUntil(lambda: counter.model.signed_in, timeout=WAIT)
    desk.issue("social")
    counter.model.call_next()
    settle(qtbot, counter)
    window.resize(1080, 1920)
    qtbot.waitUntil(lambda: window.height() == 1920, timeout=WAIT)
    assert window.work_page.box.direction().name == "TopToBottom"
    shoot(window, counter, screens, "calling-portrait")


def test_a_restarted_counter_shows_the_clerk_s_whole_day(
    qtbot: QtBot, hub: HubProcess, counter: CounterApp, desk: Desk, screens: Path
) -> None:
    model = counter.model
    model.sign_in("1001", "1234")
    qtbot.waitUntil(lambda: model.signed_in and model.pending is None, timeout=WAIT)
    # more than the snapshot's recent calls (10): the figures are the hub's, not a tally of them
    numbers = [desk.issue("social") for _ in range(12)]
    for _ in numbers:
        model.call_next()
        settle(qtbot, counter)
        model.finish()
        settle(qtbot, counter)
    qtbot.waitUntil(lambda: model.figures().served == 12, timeout=WAIT)
    counter.bus.stop()
    counter.close()

    again = open_counter(qtbot, hub)
    try:
        qtbot.waitUntil(lambda: again.model.figures().served == 12, timeout=WAIT)
        assert again.window.work_page.figures_served.text() == "已办结 12 件"
        shoot(again.window, again, screens, "restarted-figures")
    finally:
        again.bus.stop()
        again.close()


def test_a_lost_hub_disables_the_actions_and_comes_back(
    qtbot: QtBot, hub: HubProcess, counter: CounterApp, screens: Path
) -> None:
    window, model = counter.window, counter.model
    model.sign_in("1001", "1234")
    call = window.work_page.buttons[Action.CALL_NEXT]
    # the window_changed event (signed in) and the sign_in reply (pending cleared) reach the
    # model through different paths of the bus thread: wait for both, in either order
    qtbot.waitUntil(lambda: model.signed_in and model.pending is None, timeout=WAIT)
    assert call.isEnabled()
    hub.kill()
    qtbot.waitUntil(lambda: not model.connected, timeout=WAIT)
    assert window.offline.isVisible()
    assert not call.isEnabled()
    # the hint no longer sends the clerk to a button that cannot be pressed
    state = window.work_page.state
    assert state.text() == model.t("no_current_offline") != model.t("no_current_hint")
    shoot(window, counter, screens, "offline")
    hub.start()
    qtbot.waitUntil(lambda: model.connected and call.isEnabled(), timeout=20_000)
    assert not window.offline.isVisible()
    assert state.text() == model.t("no_current_hint")
    assert model.signed_in  # the hub kept the clerk signed in


def test_bad_arguments_say_what_is_wrong(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--sign", "usb:1:2", "--device", "counter-1", "--token", "x"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["hall-counter: sign spec 'usb:1:2' not understood: use serial:DEV[:BAUD] or fake"]
    assert main(["--keypad", "serial:"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--device NAME --token TOKEN" in err[0]
    assert main(["--keypad", "bogus", "--device", "counter-1", "--token", "x"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "keypad spec 'bogus' not understood" in err[0]


# ------------------------------------------------------------------ the list in calling order


@pytest.fixture
def hall3(tmp_path: Path) -> Iterator[HubProcess]:
    """The standard test hall plus window 3's counter (policy "ordered": medical, social, fund)."""
    proc = HubProcess(tmp_path / "hub").enroll_standard()
    proc.enroll("counter-3", "counter", 3)
    proc.add_clerk("1004", "赵六", "4567")
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


def open_window(qtbot: QtBot, hub: HubProcess, device: str) -> CounterApp:
    bus = QtBus(DeviceSettings(hub.url, device, hub.tokens[device]))
    app = CounterApp(bus, lang="zh")
    qtbot.addWidget(app.window)
    app.window.resize(1280, 800)
    app.window.show()
    bus.start()
    qtbot.waitUntil(lambda: app.model.synced and app.model.window is not None, timeout=WAIT)
    return app


def mixed_line(desk: Desk, admin: QtPeer, hub: HubProcess, target: int, code: str) -> None:
    """Every way a ticket takes its place in line, within a second or two: issued in the same
    second, sent back "last" by window 2, sent to the target window alone ("last", then
    "first"), missed at window 2 and reinstated "first", given the green channel, checked in
    for an appointment."""
    for service in ("social", "medical", "fund", "social", "employ", "medical", "fund", "social"):
        desk.issue(service)
    admin.ask("call_next", window=2)
    admin.ask("transfer", window=2, to_service="social", position="last")
    for position in ("last", "first"):
        admin.ask("call_next", window=2)
        admin.ask("transfer", window=2, to_window=target, position=position)
    missed = admin.ask("call_next", window=2)["ticket"]["number"]
    admin.ask("no_show", window=2)
    desk.ask("reinstate", ticket=missed, position="first")
    green = desk.issue("fund")
    desk.ask("prioritise", ticket=green)
    hub.book(code, "medical", str(desk.ask("sync")["snapshot"]["day"]))
    desk.ask("check_in", code=code)
    desk.issue("social")
    desk.issue("medical")


def called_in_turn(admin: QtPeer, window: int, count: int) -> list[str]:
    return [str(admin.ask("call_next", window=window)["ticket"]["number"]) for _ in range(count)]


def test_the_waiting_list_is_the_order_the_hub_calls_in(
    qtbot: QtBot, hall3: HubProcess, screens: Path
) -> None:
    desk, admin = Desk(qtbot, hall3, "desk-1"), QtPeer(qtbot, hall3, "admin-1")
    one, three = open_window(qtbot, hall3, "counter-1"), open_window(qtbot, hall3, "counter-3")
    try:
        for window, clerk, pin in ((1, "1001", "1234"), (2, "1002", "2345"), (3, "1004", "4567")):
            admin.ask("sign_in", window=window, clerk=clerk, pin=pin)
        for app, code in ((one, "AP-1"), (three, "AP-3")):
            target = app.model.window
            assert target is not None
            mixed_line(desk, admin, hall3, target, code)
            expected = 12 if target == 1 else 11  # window 3 does not serve employ
            qtbot.waitUntil(lambda a=app, n=expected: len(a.model.waiting) == n, timeout=WAIT)
            listed = [str(t["number"]) for t in app.model.waiting]
            kinds = {(t["priority"], t["first"], t["to_window"] is not None)
                     for t in app.model.waiting}
            assert {("green", False, False), ("appointment", False, False),
                    ("normal", True, False), ("normal", True, True),
                    ("normal", False, True)} <= kinds
            page = app.window.work_page
            qtbot.waitUntil(lambda p=page, n=listed: p.waiting_list.text() == "  ".join(n),
                            timeout=WAIT)
            shoot(app.window, app, screens, f"waiting-order-window{target}")
            assert called_in_turn(admin, target, len(listed)) == listed, target
            qtbot.waitUntil(lambda a=app: not a.model.waiting, timeout=WAIT)
    finally:
        for app in (one, three):
            app.bus.stop()
            app.close()
        desk.bus.stop()
        admin.bus.stop()


def test_a_long_line_lists_thirty_numbers_within_the_panel(
    qtbot: QtBot, hub: HubProcess, counter: CounterApp, screens: Path
) -> None:
    """The list stopped at six numbers above an empty panel: it now holds thirty, wrapped."""
    admin = QtPeer(qtbot, hub, "admin-1")
    try:
        admin.ask("sign_in", window=1, clerk="1001", pin="1234")
        numbers = [str(admin.ask("issue", service="social")["ticket"]["number"])
                   for _ in range(34)]
        page = counter.window.work_page
        qtbot.waitUntil(lambda: page.waiting_list.text() == "  ".join(numbers[:30]) + "  …",
                        timeout=WAIT)
        for width, height in ((1024, 600), (1080, 1920), (1280, 800)):
            counter.window.resize(width, height)
            QApplication.sendPostedEvents()
            QApplication.processEvents()
            label = page.waiting_list
            panel = label.parentWidget()
            assert label.geometry().bottom() <= panel.contentsRect().bottom(), (width, height)
            assert label.heightForWidth(label.width()) <= label.height(), (width, height)
            shoot(counter.window, counter, screens, f"waiting-thirty-{width}x{height}")
    finally:
        admin.bus.stop()


# ------------------------------------------------------------------ notices, pause, transfer


def test_old_notices_go_and_a_paused_window_does_not_recall(
    qtbot: QtBot, hub: HubProcess, desk: Desk, screens: Path
) -> None:
    admin = QtPeer(qtbot, hub, "admin-1")
    sign = FakeSign("zh")
    bus = QtBus(DeviceSettings(hub.url, "counter-1", hub.tokens["counter-1"]))
    app = CounterApp(bus, lang="zh", sign=sign)
    window, model, page = app.window, app.model, app.window.work_page
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    bus.start()
    try:
        qtbot.waitUntil(lambda: model.synced, timeout=WAIT)
        model.sign_in("1001", "1234")
        qtbot.waitUntil(lambda: model.signed_in and model.pending is None, timeout=WAIT)

        # "nobody is waiting" goes once someone waits
        click(qtbot, app, Action.CALL_NEXT)
        settle(qtbot, app)
        assert window.notice.isVisible() and window.notice.text() == "目前没有人等候本窗口。"
        numbers = [desk.issue("social") for _ in range(3)]
        qtbot.waitUntil(lambda: page.waiting_count.text() == "3人等候", timeout=WAIT)
        assert model.notice is None and not window.notice.isVisible()
        shoot(window, app, screens, "notice-gone-when-someone-waits")

        # "the hub is unreachable" goes once it is back
        hub.kill()
        qtbot.waitUntil(lambda: not model.connected, timeout=WAIT)
        QTest.keyClick(window, Qt.Key.Key_F1)
        assert notice(app) == "与服务中心断开，请稍候再试。"
        hub.start()
        qtbot.waitUntil(lambda: model.connected and model.synced, timeout=20_000)
        qtbot.waitUntil(lambda: not window.notice.isVisible(), timeout=WAIT)
        assert window.connection.text() == "已连接服务中心" and model.notice is None
        shoot(window, app, screens, "notice-gone-when-hub-back")

        # a paused window does not recall, and its sign keeps saying "paused"
        click(qtbot, app, Action.CALL_NEXT)
        settle(qtbot, app)
        model.pause()
        settle(qtbot, app)
        assert not page.buttons[Action.RECALL].isEnabled()
        QTest.keyClick(window, Qt.Key.Key_F2)  # the keypad's recall key
        assert notice(app) == "窗口暂停中，请先恢复服务再叫号。"
        assert desk.ask("find", ticket=numbers[0])["ticket"]["calls"] == 1
        qtbot.waitUntil(lambda: sign.last == (SignKind.PAUSED, "暂停服务"), timeout=WAIT)
        admin.ask("recall", window=1)  # the hub takes it from another device
        admin.ask("resume", window=1)
        qtbot.waitUntil(lambda: sign.last == (SignKind.CALL, f"请{numbers[0]}号到1号窗口"),
                        timeout=WAIT)
        paused_at = max(i for i, shown in enumerate(sign.shown) if shown[0] is SignKind.PAUSED)
        assert sign.shown[paused_at + 1:] == [(SignKind.CALL, f"请{numbers[0]}号到1号窗口")]

        # sent to a window nobody is signed in at: named, with a warning; the dialog's entries
        # are whole in English at 1280 px
        qtbot.waitUntil(lambda: not model.paused, timeout=WAIT)
        model.set_lang("en")
        click(qtbot, app, Action.TRANSFER)
        dialog = window.transfer_dialog
        assert dialog is not None
        dialog.tabs.setCurrentIndex(1)
        QApplication.processEvents()
        entries = dialog.window_list
        assert not entries.horizontalScrollBar().isVisible()
        widest = max(entries.visualItemRect(entries.item(row)).right()
                     for row in range(entries.count()))
        assert widest <= entries.viewport().width()
        assert _select(entries, "Window 2 ·")
        dialog.last.setChecked(True)
        assert entries.item(entries.currentRow()).text().endswith(
            "(nobody signed in: called once someone is)")
        shoot(dialog, app, screens, "transfer-to-window")
        model.set_lang("en")
        QTest.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        settle(qtbot, app)
        assert model.notice is not None and model.notice.kind is NoticeKind.WARN
        model.set_lang("zh")
        assert notice(app) == (f"{numbers[0]} 已转到2号窗口（综合受理 2），排在最后。"
                               "注意：该窗口现在无人签到，有人签到后才会叫到。")
        shoot(window, app, screens, "transfer-to-closed-window")

        # one rating is "once"; the scores line holds each score with its count
        click(qtbot, app, Action.CALL_NEXT)
        settle(qtbot, app)
        click(qtbot, app, Action.FINISH)
        settle(qtbot, app)
        admin.ask("rate", ticket=numbers[1], score=4)
        model.refresh_figures(force=True)
        qtbot.waitUntil(lambda: model.figures().rated == 1, timeout=WAIT)
        model.set_lang("en")
        assert page.figures_ratings.text() == "Rated once, 100% satisfied"
        assert page.figures_scores.text() == ("Very\u00a0satisfied\u00a01 · Satisfied\u00a00 · "
                                              "Basically\u00a0satisfied\u00a00 · "
                                              "Dissatisfied\u00a00")
        assert page.state.text() == 'Press "Call next" to call the next citizen.'
        shoot(window, app, screens, "figures-one-rating")
    finally:
        bus.stop()
        app.close()
        admin.bus.stop()
