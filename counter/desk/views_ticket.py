"""One ticket and everything the desk can do to it: reassign, priority, reinstate, reprint, cancel.

Used by the waiting line (the selected ticket) and by the lookup page (the ticket found).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from counter.desk.indicators import waited_min
from counter.desk.model import CANCEL_REASONS, DeskModel
from counter.desk.reprint import PRINTABLE_STATES
from counter.desk.views_common import GREEN, GREEN_SOFT, combo, label, set_role

ACTIVE = ("waiting", "called", "serving", "no_show")


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
        self.position = combo([(model.position_name(p), p) for p in ("keep", "first", "last")])
        self.move_button = set_role(QPushButton(t("reassign")), "primary")
        grid.addWidget(self.to_service, 0, 0)
        grid.addWidget(self.service_choice, 0, 1)
        grid.addWidget(self.to_window, 1, 0)
        grid.addWidget(self.window_choice, 1, 1)
        grid.addWidget(QLabel(t("position")), 2, 0)
        grid.addWidget(self.position, 2, 1)
        grid.addWidget(self.move_button, 3, 1, Qt.AlignmentFlag.AlignRight)
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
        layout.addWidget(self.body)

        self.move_button.clicked.connect(self._reassign)
        self.green_button.clicked.connect(self._prioritise)
        self.reprint_button.clicked.connect(self._reprint)
        self.reinstate_button.clicked.connect(self._reinstate)
        self.cancel_button.clicked.connect(self._cancel)
        self.reason.currentTextChanged.connect(lambda _text: self.refresh_actions())
        self.to_service.toggled.connect(lambda _on: self.refresh_actions())
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
        self.window_choice.clear()
        for number in self.model.window_numbers():
            self.window_choice.addItem(self.model.window_name(number), number)
        for choice, value in ((self.service_choice, current_service),
                              (self.window_choice, current_window)):
            index = choice.findData(value)
            if index >= 0:
                choice.setCurrentIndex(index)

    def set_ticket(self, ticket: Mapping[str, Any] | None) -> None:
        self.ticket = dict(ticket) if ticket is not None else None
        self.hint.setVisible(ticket is None)
        self.body.setVisible(ticket is not None)
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

    def _cancel(self) -> None:
        if self.ticket is not None and self.model.cancel(self.ticket, self._reason()):
            self.reason.setCurrentIndex(0)
