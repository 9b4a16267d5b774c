"""The clerk client's small dialogs: transfer, call a number, pause with a reason.

Each dialog is opened without blocking (``open()``) and hands its answer to a callback when the
clerk presses OK, so tests drive them like a person would. Their words follow the model's
language while they are open.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from counter.model import ClerkModel, TransferTarget
from hub.i18n import PAUSE_REASONS

DIALOG_STYLE = """
QPushButton { min-height: 1.6em; min-width: 6em; padding: 6px 16px; }
QListWidget { font-size: 14pt; }
QListWidget::item { padding: 6px; }
QTabBar::tab { padding: 8px 18px; }
"""


#: the longest pause reason a clerk can type (it shows on the window's banner and screen)
PAUSE_REASON_MAX = 40
#: the transfer dialog's width: the windows' long English entries ("Window 12 · Collection
#: (nobody signed in: called once someone is)") fit on one line at 1280 px, and wrap below it
TRANSFER_WIDTH = 820

class _Dialog(QDialog):
    """A dialog with a title line, OK and Cancel, sized to its parent screen."""

    def __init__(self, model: ClerkModel, name: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.model = model
        self.setObjectName(name)
        self.setStyleSheet(DIALOG_STYLE)
        self.layout_ = QVBoxLayout(self)
        self.title = QLabel()
        self.title.setObjectName("dialogTitle")
        self.title.setWordWrap(True)
        self.layout_.addWidget(self.title)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.ok_button: QPushButton = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.cancel_button: QPushButton = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        if parent is not None:
            size = parent.size()
            self.resize(max(520, size.width() * 2 // 5), max(240, size.height() // 3))
        model.changed.connect(self.retranslate)

    def finish_layout(self) -> None:
        self.layout_.addWidget(self.buttons)
        self.retranslate()

    def retranslate(self) -> None:
        self.ok_button.setText(self.model.t("ok"))
        self.cancel_button.setText(self.model.t("cancel"))


class TransferDialog(_Dialog):
    """Pick a service or a window, and whether the ticket goes to the front or the back.

    It is for the ticket current when it opened (its title names it): it closes once another
    ticket (or none) is current, and hands that ticket to ``on_chosen`` with the choice.
    """

    def __init__(
        self,
        model: ClerkModel,
        on_chosen: Callable[[TransferTarget, str, Mapping[str, Any]], object],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(model, "transferDialog", parent)
        self.ticket: dict[str, Any] = dict(model.current or {})
        self.number = str(self.ticket.get("number", ""))
        self._on_chosen = on_chosen
        self.prompt = QLabel()
        self.layout_.addWidget(self.prompt)
        self.tabs = QTabWidget()
        self.service_list = QListWidget()
        self.window_list = QListWidget()
        for entries in (self.service_list, self.window_list):
            # an entry too long for the dialog wraps: no horizontal scrollbar hides its end
            entries.setWordWrap(True)
            entries.setResizeMode(QListView.ResizeMode.Adjust)
            entries.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.tabs.addTab(self.service_list, "")
        self.tabs.addTab(self.window_list, "")
        self.layout_.addWidget(self.tabs, 1)
        positions = QHBoxLayout()
        self.first = QRadioButton()
        self.last = QRadioButton()
        # a citizen sent on (to the pay window after acceptance) has waited once already
        self.first.setChecked(True)
        positions.addWidget(self.first)
        positions.addWidget(self.last)
        positions.addStretch(1)
        self.layout_.addLayout(positions)
        if parent is not None:
            width = min(max(self.width(), TRANSFER_WIDTH), max(self.width(), parent.width() - 80))
            self.resize(width, max(480, parent.height() * 3 // 4))
        self.service_list.currentItemChanged.connect(self._update)
        self.window_list.currentItemChanged.connect(self._update)
        self.tabs.currentChanged.connect(self._update)
        model.changed.connect(self._close_if_ticket_gone)
        self.finish_layout()

    def _close_if_ticket_gone(self) -> None:
        # the keypad's call key (or another device) may finish this ticket and call the next
        # while the dialog is open: its choice was for this ticket, not for the next one
        if self.isVisible() and (self.model.current or {}).get("id") != self.ticket.get("id"):
            self.reject()

    def retranslate(self) -> None:
        super().retranslate()
        m = self.model
        self.setWindowTitle(m.t("transfer_title", number=self.number))
        self.title.setText(m.t("transfer_title", number=self.number))
        self.prompt.setText(m.t("transfer_pick"))
        self.tabs.setTabText(0, m.t("transfer_to_service"))
        self.tabs.setTabText(1, m.t("transfer_to_window"))
        self.last.setText(m.t("position_last"))
        self.first.setText(m.t("position_first"))
        services, windows = m.transfer_targets()
        self._fill(self.service_list, [replace(target, label=service_choice(m, target))
                                       for target in services])
        self._fill(self.window_list, windows)
        self._update()

    @staticmethod
    def _fill(widget: QListWidget, targets: list[TransferTarget]) -> None:
        """(Re)write the list in the current words, keeping the chosen service or window: a
        window whose state changes moves in the list (open ones first), and the row chosen
        before would then be another window. One that is gone leaves nothing chosen."""
        chosen = _target(widget.currentItem()) if widget.selectedItems() else None
        widget.blockSignals(True)
        widget.clear()
        for target in targets:
            item = QListWidgetItem(target.label)
            item.setData(Qt.ItemDataRole.UserRole, target)
            widget.addItem(item)
            if chosen is not None and _same_place(target, chosen):
                widget.setCurrentItem(item)
        widget.blockSignals(False)

    def chosen(self) -> TransferTarget | None:
        widget = self.service_list if self.tabs.currentIndex() == 0 else self.window_list
        item = widget.currentItem()
        if item is None or not item.isSelected():
            return None
        return _target(item)

    def position(self) -> str:
        return "first" if self.first.isChecked() else "last"

    def _update(self) -> None:
        self.ok_button.setEnabled(self.chosen() is not None)

    def accept(self) -> None:
        target = self.chosen()
        if target is None:
            return
        super().accept()
        self._on_chosen(target, self.position(), self.ticket)


def _target(item: QListWidgetItem | None) -> TransferTarget | None:
    target = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
    return target if isinstance(target, TransferTarget) else None


def _same_place(one: TransferTarget, other: TransferTarget) -> bool:
    """The same service or window, whatever the words (they follow the language and state)."""
    return (one.service, one.window) == (other.service, other.window)


def service_choice(model: ClerkModel, target: TransferTarget) -> str:
    """A service in the transfer list with whether a window calls it now, as the window list
    says of each window: how many are open, else paused (called once one resumes), else
    closed (called once someone signs in)."""
    serving = [w for w in model.windows.values() if target.service in w.get("serves", ())]
    open_count = sum(1 for w in serving if w.get("state") == "open")
    if open_count:
        key = "service_choice_one" if open_count == 1 else "service_choice"
    elif any(w.get("state") == "paused" for w in serving):
        key = "service_choice_paused"
    else:
        key = "service_choice_closed"
    return model.t(key, name=target.label, count=open_count)


class CallNumberDialog(_Dialog):
    """Type the number to call (a citizen who comes back, a ticket sent to this window)."""

    def __init__(
        self, model: ClerkModel, on_chosen: Callable[[str], object], parent: QWidget | None = None
    ) -> None:
        super().__init__(model, "callNumberDialog", parent)
        self._on_chosen = on_chosen
        self.prompt = QLabel()
        self.layout_.addWidget(self.prompt)
        self.number = QLineEdit()
        self.number.setMaxLength(8)
        self.number.setPlaceholderText("C012")
        self.layout_.addWidget(self.number)
        self.layout_.addStretch(1)
        self.number.textChanged.connect(lambda text: self.ok_button.setEnabled(bool(text.strip())))
        self.finish_layout()
        self.ok_button.setEnabled(False)

    def retranslate(self) -> None:
        super().retranslate()
        self.setWindowTitle(self.model.t("call_number_title"))
        self.title.setText(self.model.t("call_number_title"))
        self.prompt.setText(self.model.t("call_number_prompt"))

    def accept(self) -> None:
        text = self.number.text().strip()
        if not text:
            return
        super().accept()
        self._on_chosen(text)


class PauseDialog(_Dialog):
    """Pause the window, with a reason picked from the usual ones or typed."""

    def __init__(
        self, model: ClerkModel, on_chosen: Callable[[str], object], parent: QWidget | None = None
    ) -> None:
        super().__init__(model, "pauseDialog", parent)
        self._on_chosen = on_chosen
        self.prompt = QLabel()
        self.layout_.addWidget(self.prompt)
        self.reason = QComboBox()
        self.reason.setEditable(True)
        self.reason.addItems(["" for _ in PAUSE_REASONS])
        line = self.reason.lineEdit()
        if line is not None:  # a reason fits the window's banner and the hall's screens
            line.setMaxLength(PAUSE_REASON_MAX)
        self.layout_.addWidget(self.reason)
        self.layout_.addStretch(1)
        self.finish_layout()
        self.reason.setCurrentIndex(0)

    def retranslate(self) -> None:
        super().retranslate()
        m = self.model
        self.setWindowTitle(m.t("pause_title"))
        self.title.setText(m.t("pause_title"))
        self.prompt.setText(m.t("pause_prompt"))
        typed = self.reason.currentText()
        index = self.reason.currentIndex()
        preset = index >= 0 and typed == self.reason.itemText(index)
        for i, key in enumerate(PAUSE_REASONS):
            self.reason.setItemText(i, m.t(f"pause_reason_{key}"))
        if not preset:
            self.reason.setCurrentText(typed)

    def accept(self) -> None:
        super().accept()
        typed = self.reason.currentText()
        index = self.reason.currentIndex()
        if 0 <= index < len(PAUSE_REASONS) and typed == self.reason.itemText(index):
            typed = self.model.preset_reason(PAUSE_REASONS[index])  # for every screen of the hall
        self._on_chosen(typed)
