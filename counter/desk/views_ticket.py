"""One ticket and everything the desk can do to it: reassign, priority, reinstate, reprint, cancel.

Used by the waiting line (the selected ticket) and by the lookup page (the ticket found).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from counter.desk.indicators import waited_min
from counter.desk.model import CANCEL_REASONS, DeskModel
from counter.desk.reprint import PRINTABLE_STATES
from counter.desk.views_common import GREEN, GREEN_SOFT, VerticalScroll, combo, label, set_role
from hub.i18n import tr
from hub.protocol import send_order

ACTIVE = ("waiting", "called", "serving", "no_show")
AT_WINDOW = ("called", "serving")  # a clerk has the ticket: cancelling it asks first

Confirm = Callable[[str, str], bool]  # (title, question) -> go ahead?


class TicketPanel(QWidget):
    def __init__(self, model: DeskModel, empty_hint: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.ticket: dict[str, Any] | None = None
        t = model.t
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

        self.hint = label(empty_hint, role="hint", factor=1.1)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.hint)

        self.body = QWidget()
        self.body.setObjectName("ticket_body")
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.number = label("", factor=3.0, bold=True, wrap=False)
        self.number.setObjectName("ticket_number")
        self.tag = label("", bold=True, wrap=False)
        self.tag.setStyleSheet(f"color: {GREEN}; background: {GREEN_SOFT}; padding: 0.2em 0.6em;"
                               " border-radius: 4px;")
        top.addWidget(self.number)
        top.addWidget(self.tag, 0, Qt.AlignmentFlag.AlignVCenter)
        top.addStretch(1)
        body.addLayout(top)
        self.summary = label("", factor=1.15)
        self.details = label("", role="hint")
        body.addWidget(self.summary)
        body.addWidget(self.details)

        # reassign
        self.move_box = QGroupBox(t("reassign_title"))
        grid = QGridLayout(self.move_box)
        self.to_service = QRadioButton(t("to_service"))
        self.to_window = QRadioButton(t("to_window"))
        self.to_service.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.to_service)
        group.addButton(self.to_window)
        self.service_choice = QComboBox()
        self.window_choice = QComboBox()
        for choice in (self.service_choice, self.window_choice):
            # a long name is cut short in the box, not the panel made wider (the list shows all)
            choice.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            choice.setMinimumContentsLength(16)
        self.position = combo([(model.position_name(p), p) for p in ("keep", "first", "last")])
        self.move_button = set_role(QPushButton(t("reassign")), "primary")
        # said before sending when the chosen window is not open: allowed (a clerk may be about
        # to sign in there), but the ticket is not called until it opens
        self.window_warning = label("", role="warning")
        self.window_warning.setObjectName("window_warning")
        self.window_warning.hide()
        grid.addWidget(self.to_service, 0, 0)
        grid.addWidget(self.service_choice, 0, 1)
        grid.addWidget(self.to_window, 1, 0)
        grid.addWidget(self.window_choice, 1, 1)
        grid.addWidget(QLabel(t("position")), 2, 0)
        grid.addWidget(self.position, 2, 1)
        send = QHBoxLayout()
        send.addWidget(self.window_warning, 1)
        send.addWidget(self.move_button, 0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        grid.addLayout(send, 3, 0, 1, 2)
        grid.setColumnStretch(1, 1)
        body.addWidget(self.move_box)

        # priority, reprint, reinstate
        self.more_box = QGroupBox(t("more_title"))
        more = QGridLayout(self.more_box)
        self.green_button = set_role(QPushButton(t("prioritise")), "green")
        self.reprint_button = QPushButton(t("reprint"))
        self.reinstate_position = combo([(model.position_name(p), p) for p in ("first", "last")])
        self.reinstate_button = QPushButton(t("reinstate"))
        more.addWidget(self.green_button, 0, 0)
        more.addWidget(self.reprint_button, 0, 1)
        more.addWidget(label(t("reinstate_label"), wrap=False), 1, 0)
        row = QHBoxLayout()
        row.addWidget(self.reinstate_position, 1)
        row.addWidget(self.reinstate_button)
        more.addLayout(row, 1, 1)
        more.setColumnStretch(1, 1)
        body.addWidget(self.more_box)

        # cancel
        self.cancel_box = QGroupBox(t("cancel_title"))
        cancel = QHBoxLayout(self.cancel_box)
        self.reason = QComboBox()
        self.reason.setEditable(True)
        self.reason.addItem("", "")
        for reason in CANCEL_REASONS:
            self.reason.addItem(model.reason_text(reason), reason)
        self.reason.setCurrentIndex(0)
        line = self.reason.lineEdit()
        if line is not None:
            line.setPlaceholderText(t("reason_placeholder"))
        self.cancel_button = set_role(QPushButton(t("cancel")), "danger")
        cancel.addWidget(QLabel(t("reason")))
        cancel.addWidget(self.reason, 1)
        cancel.addWidget(self.cancel_button)
        body.addWidget(self.cancel_box)
        body.addStretch(1)
        # a short screen scrolls the actions rather than squashing them over one another
        self.actions_scroll = VerticalScroll(self.body)
        layout.addWidget(self.actions_scroll, 1)

        #: asks before cancelling a ticket a window has called or is serving; tests replace it
        self.confirm: Confirm = self._ask

        self.move_button.clicked.connect(self._reassign)
        self.green_button.clicked.connect(self._prioritise)
        self.reprint_button.clicked.connect(self._reprint)
        self.reinstate_button.clicked.connect(self._reinstate)
        self.cancel_button.clicked.connect(self._cancel)
        self.reason.currentTextChanged.connect(lambda _text: self.refresh_actions())
        self.to_service.toggled.connect(lambda _on: self.refresh_actions())
        self.window_choice.currentIndexChanged.connect(lambda _i: self._warn_window())
        model.changed.connect(self._fill_windows)
        model.busy_changed.connect(self.refresh_actions)
        model.status_changed.connect(lambda _ok, _detail: self.refresh_actions())
        self.set_ticket(None)

    # ------------------------------------------------------------------ showing

    def fill_targets(self) -> None:
        """The services and windows a ticket can be moved to (after each snapshot)."""
        current_service = self.service_choice.currentData()
        current_window = self.window_choice.currentData()
        self.service_choice.clear()
        for _did, department, services in self.model.departments():
            for service in services:
                self.service_choice.addItem(f"{self.model.service_name(service['id'])} "
                                            f"({service.get('prefix', '')}) · {department}",
                                            service["id"])
        index = self.service_choice.findData(current_service)
        if index >= 0:
            self.service_choice.setCurrentIndex(index)
        self._fill_windows()
        if current_window is not None:
            self._choose_window(current_window)

    def window_state(self, number: Any) -> str:
        try:
            window = self.model.watch.windows.get(int(number)) or {}
        except (TypeError, ValueError):
            window = {}
        return str(window.get("state", "closed"))

    def _window_entries(self) -> list[tuple[str, int]]:
        """Every window with its state, open ones first (then paused, then closed)."""
        m = self.model
        numbers = sorted(m.window_numbers(),
                         key=lambda n: send_order(self.window_state(n), n))
        entries = []
        for number in numbers:
            text = m.t("window_with_state", window=m.window_name(number),
                       state=m.t(f"window_{self.window_state(number)}"))
            entries.append((text, number))
        return entries

    def _fill_windows(self) -> None:
        """The window list, again when a window opens, pauses or closes (the choice kept)."""
        entries = self._window_entries()
        shown = [(self.window_choice.itemText(i), self.window_choice.itemData(i))
                 for i in range(self.window_choice.count())]
        if entries == shown:
            return
        current = self.window_choice.currentData()
        self.window_choice.blockSignals(True)
        self.window_choice.clear()
        for text, number in entries:
            self.window_choice.addItem(text, number)
        self.window_choice.blockSignals(False)
        self._choose_window(current)

    def _choose_window(self, number: Any) -> None:
        index = self.window_choice.findData(number)
        self.window_choice.setCurrentIndex(max(0, index) if self.window_choice.count() else -1)
        self._warn_window()

    def _warn_window(self) -> None:
        """Say, next to the button, that the chosen window is not open."""
        number = self.window_choice.currentData()
        state = self.window_state(number) if number is not None else "open"
        warn = (self.to_window.isChecked() and state != "open"
                and self.ticket is not None and self.ticket.get("state") == "waiting")
        if warn:
            self.window_warning.setText(self.model.t(f"reassign_to_{state}",
                                                     window=self.model.window_name(number)))
        self.window_warning.setVisible(warn)

    def set_ticket(self, ticket: Mapping[str, Any] | None) -> None:
        before = self.ticket.get("id") if self.ticket else None
        self.ticket = dict(ticket) if ticket is not None else None
        if ticket is None or ticket.get("id") != before:
            self.actions_scroll.verticalScrollBar().setValue(0)  # another ticket: from its number down
        self.hint.setVisible(ticket is None)
        self.actions_scroll.setVisible(ticket is not None)
        if ticket is not None:
            self._describe(ticket)
        self.refresh_actions()

    def _describe(self, ticket: Mapping[str, Any]) -> None:
        m, t = self.model, self.model.t
        self.number.setText(str(ticket.get("number", "")))
        priority = str(ticket.get("priority", "normal"))
        self.tag.setText(m.priority_name(priority) if priority != "normal" else "")
        self.tag.setVisible(priority != "normal")
        parts = [m.service_name(ticket.get("service")), m.state_name(ticket.get("state"))]
        state = ticket.get("state")
        if state == "waiting":
            waited = waited_min(ticket, m.clock.now())
            parts.append(t("waited", minutes=waited if waited is not None else "-"))
            parts.append(t("ahead", ahead=ticket.get("ahead") or 0))
            if ticket.get("to_window"):
                parts.append(t("for_window", window=m.window_name(ticket["to_window"])))
        elif ticket.get("window"):
            parts.append(m.window_name(ticket["window"]))
        self.summary.setText(" · ".join(str(p) for p in parts))
        self.details.setText(t("details", time=m.local_time(ticket.get("issued_at")),
                               calls=ticket.get("calls") or 0))

    def refresh_actions(self) -> None:
        ticket = self.ticket
        state = ticket.get("state") if ticket else None
        able = ticket is not None and self.model.can_act() and not self.model.busy(
            "reassign", "prioritise", "reinstate", "cancel", "find")
        waiting = state == "waiting"
        self.move_box.setEnabled(able and waiting)
        self.service_choice.setEnabled(self.to_service.isChecked())
        self.window_choice.setEnabled(not self.to_service.isChecked())
        self.green_button.setEnabled(able and waiting and ticket is not None
                                     and ticket.get("priority") != "green")
        self.reprint_button.setEnabled(able and state in PRINTABLE_STATES
                                       and self.model.printer is not None)
        missed = state == "no_show"
        self.reinstate_position.setEnabled(able and missed)
        self.reinstate_button.setEnabled(able and missed)
        self.cancel_box.setEnabled(able and state in ACTIVE)
        self.cancel_button.setEnabled(able and state in ACTIVE
                                      and bool(self.reason.currentText().strip()))
        self._warn_window()

    # ------------------------------------------------------------------ actions

    def _reason(self) -> str:
        text = self.reason.currentText().strip()
        index = self.reason.findText(text)
        data = self.reason.itemData(index) if index >= 0 else None
        return str(data) if data else text

    def _reassign(self) -> None:
        if self.ticket is None:
            return
        position = str(self.position.currentData())
        if self.to_service.isChecked():
            self.model.reassign(self.ticket, to_service=self.service_choice.currentData(),
                                position=position)
        else:
            self.model.reassign(self.ticket, to_window=self.window_choice.currentData(),
                                position=position)

    def _prioritise(self) -> None:
        if self.ticket is not None:
            self.model.prioritise(self.ticket)

    def _reprint(self) -> None:
        if self.ticket is not None:
            self.model.reprint(self.ticket)

    def _reinstate(self) -> None:
        if self.ticket is not None:
            self.model.reinstate(self.ticket, str(self.reinstate_position.currentData()))

    def cancel_question(self, ticket: Mapping[str, Any]) -> str | None:
        """What to ask before cancelling ``ticket``: None unless a window has it."""
        state = ticket.get("state")
        if state not in AT_WINDOW:
            return None
        window = ticket.get("window")
        where = tr(self.model.lang, "common.window", window=window) if window else "-"
        return self.model.t(f"confirm_cancel_{state}", number=ticket.get("number", ""),
                            window=where)

    def _ask(self, title: str, question: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Warning, title, question,
                          QMessageBox.StandardButton.NoButton, self)
        go = box.addButton(self.model.t("cancel"), QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton(self.model.t("cancel_keep"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)
        box.exec()
        return box.clickedButton() is go

    def _cancel(self) -> None:
        ticket = self.ticket
        if ticket is None:
            return
        question = self.cancel_question(ticket)
        if question is not None and not self.confirm(self.model.t("confirm_cancel_title"),
                                                     question):
            return
        if self.model.cancel(ticket, self._reason()):
            self.reason.setCurrentIndex(0)
