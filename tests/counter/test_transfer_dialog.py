"""The transfer dialog offscreen, over the view-model and a bus that records requests: the choice
follows the window or service picked while the lists change, and the dialog acts only on the
ticket it was opened for."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from counter.keypad import KeypadAction
from counter.model import ClerkModel, NoticeKind, TransferTarget
from counter.views import ClerkWindow
from counter.views_dialogs import TransferDialog
from tests.counter.test_model import called, event, make, snapshot, window


def open_dialog(qtbot: QtBot, model: ClerkModel) -> TransferDialog:
    dialog = TransferDialog(model, lambda *chosen: None)
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog


def rows(dialog: TransferDialog, tab: int) -> list[str]:
    entries = dialog.service_list if tab == 0 else dialog.window_list
    return [entries.item(row).text() for row in range(entries.count())]


def pick(dialog: TransferDialog, tab: int, starts: str) -> None:
    dialog.tabs.setCurrentIndex(tab)
    entries = dialog.service_list if tab == 0 else dialog.window_list
    entries.setCurrentRow(next(i for i, text in enumerate(rows(dialog, tab))
                               if text.startswith(starts)))


def test_the_chosen_window_stays_chosen_when_the_list_resorts(qtbot: QtBot) -> None:
    model, _, _ = make(window(current=called()), lang="zh")
    dialog = open_dialog(qtbot, model)
    pick(dialog, 1, "2号窗口")  # closed: after the open window 4
    assert rows(dialog, 1)[1].startswith("2号窗口")
    chosen = dialog.chosen()
    assert chosen is not None and chosen.window == 2
    # a clerk signs in at window 2: open windows come first, so its row changes
    model.on_event(event("window_changed", window=window(2)))
    assert rows(dialog, 1)[0].startswith("2号窗口")
    chosen = dialog.chosen()
    assert chosen is not None and chosen.window == 2
    assert dialog.window_list.currentItem().text().startswith("2号窗口")
    assert dialog.ok_button.isEnabled()


def test_a_chosen_window_that_goes_leaves_nothing_chosen(qtbot: QtBot) -> None:
    model, _, _ = make(window(current=called()), lang="zh")
    dialog = open_dialog(qtbot, model)
    pick(dialog, 1, "4号窗口")
    hall = snapshot(window(current=called()))
    hall["windows"] = [w for w in hall["windows"] if w["number"] != 4] + [window(5)]
    model.on_snapshot(6, hall)
    assert dialog.chosen() is None and not dialog.ok_button.isEnabled()
    assert dialog.window_list.selectedItems() == []


def test_the_chosen_service_stays_chosen_when_the_list_changes(qtbot: QtBot) -> None:
    model, _, _ = make(window(current=called()), lang="zh")
    dialog = open_dialog(qtbot, model)
    pick(dialog, 0, "户籍业务")
    hall: dict[str, Any] = snapshot(window(current=called()))
    hall["services"] = hall["services"][::-1]  # the hall's order changed: hukou comes first now
    model.on_snapshot(6, hall)
    chosen = dialog.chosen()
    assert chosen is not None and chosen.service == "hukou"
    hall["services"] = [s for s in hall["services"] if s["id"] != "hukou"]
    model.on_snapshot(7, hall)
    assert dialog.chosen() is None and not dialog.ok_button.isEnabled()


def test_the_dialog_closes_when_its_ticket_is_no_longer_current(qtbot: QtBot) -> None:
    """Opened for C001; the keypad's call key finishes C001 and calls C002: OK must not send
    C002 away (the hub's transfer acts on whatever the window calls now)."""
    model, bus, _ = make(window(current=called("C001")), lang="zh")
    clerk = ClerkWindow(model)
    qtbot.addWidget(clerk)
    clerk.open_transfer()
    dialog = clerk.transfer_dialog
    assert dialog is not None and dialog.isVisible()
    pick(dialog, 0, "医保业务")
    model.press(KeypadAction.CALL_NEXT)
    bus.reply(True, {"ticket": called("C002")})
    assert model.current is not None and model.current["number"] == "C002"
    assert not dialog.isVisible()
    QTest.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    dialog.accept()  # an OK that got through anyway: the model still checks the ticket
    assert bus.ops() == ["call_next"]
    assert model.notice is not None and model.notice.text == "C001 已不是本窗口当前的号码，没有转移。"


def test_the_dialog_stays_while_its_ticket_is_served(qtbot: QtBot) -> None:
    model, _, _ = make(window(current=called("C001")), lang="zh")
    dialog = open_dialog(qtbot, model)
    model.on_event(event("window_changed", window=window(current=called("C001", "serving"))))
    assert dialog.isVisible()
    model.on_event(event("window_changed", window=window()))  # finished at another device
    assert not dialog.isVisible()


def test_a_transfer_for_another_ticket_than_the_current_is_not_sent() -> None:
    model, bus, _ = make(window(current=called("C002")), lang="zh")
    assert not model.transfer(TransferTarget("医保业务", service="medical"), "first",
                              ticket=called("C001"))
    assert bus.sent == []
    assert model.notice is not None and model.notice.kind is NoticeKind.ERROR
    assert model.notice.text == "C001 已不是本窗口当前的号码，没有转移。"
    model.set_lang("en")
    assert model.notice.text == "C001 is no longer this window's current ticket: nothing was moved."
    assert model.transfer(TransferTarget("Medical insurance", service="medical"), "first",
                          ticket=called("C002"))
    # the hub is told which ticket is meant: it refuses if its window calls another by now
    assert bus.sent[-1].params == {"window": 1, "to_service": "medical", "position": "first",
                                   "ticket": called("C002")["id"]}


def test_a_dialog_opened_again_replaces_the_one_before(qtbot: QtBot) -> None:
    """Each dialog follows every change of the model: those closed were kept, hidden, all
    day (a clerk transfers and pauses hundreds of times)."""
    model, _bus, _ = make(window(current=called("C001")), lang="zh")
    clerk = ClerkWindow(model)
    qtbot.addWidget(clerk)
    for _ in range(3):
        clerk.open_transfer()
        assert clerk.transfer_dialog is not None
        clerk.transfer_dialog.reject()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert len(clerk.findChildren(TransferDialog)) == 1
