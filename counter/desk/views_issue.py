"""Issue on a citizen's behalf: services grouped by department, the green channel, appointment
check-in, and the ticket just taken, large enough to read out."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from counter.desk.model import DeskModel
from counter.desk.views_common import GREEN, DeskPage, card, combo, label, scaled, set_role
from counter.keypad import Debouncer

MAX_COLUMNS = 4  # departments a row at most, however wide the screen


class IssuePage(DeskPage):
    def __init__(self, model: DeskModel, parent: QWidget | None = None) -> None:
        super().__init__(model, parent)
        t = model.t
        self._clicks = Debouncer(QGuiApplication.styleHints().mouseDoubleClickInterval() / 1000,
                                 time.monotonic)
        outer = QHBoxLayout(self)

        left = QVBoxLayout()
        options = QHBoxLayout()
        self.green = set_role(QPushButton(t("green_channel")), "green")
        self.green.setCheckable(True)
        self.green.setToolTip(t("green_channel_who"))
        scaled(self.green, 1.1, bold=True)
        self.ticket_lang = combo([(t(f"lang_{lang}"), lang) for lang in model.languages()])
        self.print_ticket = QCheckBox(t("print_ticket"))
        self.print_ticket.setChecked(model.printer is not None)
        self.print_ticket.setEnabled(model.printer is not None)
        options.addWidget(self.green)
        options.addWidget(label(t("green_channel_who"), role="hint"), 1)
        options.addWidget(label(t("ticket_lang"), wrap=False))
        options.addWidget(self.ticket_lang)
        options.addWidget(self.print_ticket)
        left.addLayout(options)

        self.services_area = QScrollArea()
        self.services_area.setWidgetResizable(True)
        # as many departments a row as the width holds: never scrolled sideways
        self.services_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._viewport = self.services_area.viewport()
        self._viewport.installEventFilter(self)
        self.services_host = QWidget()
        self.services_host.setObjectName("page")
        self.services_layout = QVBoxLayout(self.services_host)
        self.services_area.setWidget(self.services_host)
        left.addWidget(self.services_area, 1)
        outer.addLayout(left, 3)

        right = QVBoxLayout()
        last_frame, last = card()
        last.addWidget(label(t("last_issued"), factor=1.1, bold=True))
        self.last_number = label(t("last_none"), factor=3.2, bold=True)
        self.last_number.setObjectName("last_number")
        self.last_text = label(t("last_none_hint"), role="hint")
        last.addWidget(self.last_number)
        last.addWidget(self.last_text)
        right.addWidget(last_frame)

        check_box = QGroupBox(t("check_in_title"))
        check = QVBoxLayout(check_box)
        check.addWidget(label(t("check_in_hint"), role="hint"))
        row = QHBoxLayout()
        self.code = QLineEdit()
        self.code.setPlaceholderText(t("check_in_placeholder"))
        self.check_button = set_role(QPushButton(t("check_in")), "primary")
        row.addWidget(self.code, 1)
        row.addWidget(self.check_button)
        check.addLayout(row)
        right.addWidget(check_box)
        right.addStretch(1)
        outer.addLayout(right, 2)

        self.buttons: dict[str, QPushButton] = {}
        self.boxes: list[QGroupBox] = []
        self.columns = 0
        self.grid: QGridLayout | None = None
        self._shape: list[tuple[str, list[str]]] = []
        self.check_button.clicked.connect(self._check_in)
        self.code.returnPressed.connect(self._check_in)
        self.green.toggled.connect(lambda _on: self.refresh())
        model.changed.connect(self.refresh)
        model.busy_changed.connect(self.refresh)
        model.status_changed.connect(lambda _ok, _d: self.refresh())
        model.issued.connect(self._on_issued)
        self.refresh()

    def _build(self, shape: list[tuple[str, list[str]]]) -> None:
        """Departments side by side, each with its services one under another: a county hall's
        dozen services fit a desk screen without scrolling (``_arrange`` places them)."""
        while self.services_layout.count():
            item = self.services_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.buttons.clear()
        self.boxes = []
        self.columns = 0
        if not shape:
            self.services_layout.addWidget(label(self.model.t("no_services"), role="empty"))
        grid_host = QWidget()
        self.grid = QGridLayout(grid_host)
        self.grid.setContentsMargins(0, 0, 0, 0)
        for did, service_ids in shape:
            box = QGroupBox(self.model.department_name(did))
            column = QVBoxLayout(box)
            for sid in service_ids:
                button = set_role(QPushButton(), "service")
                button.clicked.connect(lambda _checked=False, s=sid: self._issue(s))
                column.addWidget(button)
                self.buttons[sid] = button
            column.addStretch(1)
            self.boxes.append(box)
        self.services_layout.addWidget(grid_host)
        self.services_layout.addStretch(1)

    def column_width(self) -> int:
        """The width one department needs (its widest box, with the grid's spacing)."""
        if not self.boxes or self.grid is None:
            return 0
        return max(box.sizeHint().width() for box in self.boxes) + max(0, self.grid.spacing())

    def _arrange(self) -> None:
        """Lay the departments out in as many columns as the area's width holds."""
        if self.grid is None or not self.boxes:
            return
        width = self.column_width()
        area = self.services_area
        margins = self.services_layout.contentsMargins()
        # counted as if the vertical scroll bar were there, so that it coming and going with
        # the new arrangement cannot change the count back
        chrome = (margins.left() + margins.right() + 2 * area.frameWidth()
                  + area.verticalScrollBar().sizeHint().width())
        room = area.width() - chrome
        area.setMinimumWidth(width + chrome)  # one column always fits
        columns = max(1, min(MAX_COLUMNS, len(self.boxes), (room + self.grid.spacing()) // width))
        if columns == self.columns:
            return
        self.columns = columns
        for box in self.boxes:
            self.grid.removeWidget(box)
        for c in range(self.grid.columnCount()):
            self.grid.setColumnStretch(c, 0)
        for index, box in enumerate(self.boxes):
            self.grid.addWidget(box, index // columns, index % columns)
        for c in range(columns):
            self.grid.setColumnStretch(c, 1)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._viewport and event.type() == QEvent.Type.Resize:
            self._arrange()
        return super().eventFilter(watched, event)

    def refresh(self) -> None:
        m, t = self.model, self.model.t
        shape = [(did, [str(s["id"]) for s in services])
                 for did, _name, services in m.departments()]
        if shape != self._shape:
            self._shape = shape
            self._build(shape)
        able = m.can_act() and not m.busy("issue", "check_in")
        for sid, button in self.buttons.items():
            service: dict[str, Any] = m.watch.services.get(sid, {})
            is_open = m.service_open(service)
            quota = service.get("quota_left")
            lines = [f"{m.service_name(sid)}  {service.get('prefix', '')}"]
            if not is_open:
                lines.append(t("service_closed_now"))
            elif quota == 0:
                lines.append(t("quota_none"))
            else:
                lines.append(self._waiting_line(sid, service))
            button.setText("\n".join(lines))
            button.setEnabled(able and is_open and quota != 0)
        self._arrange()  # the texts may have changed the width a department needs
        self.check_button.setEnabled(able)
        self.code.setEnabled(m.can_act())
        self.green.setStyleSheet(f"padding: 0.6em 1.2em; border: 2px solid {GREEN};"
                                 if self.green.isChecked() else "padding: 0.6em 1.2em;")

    def _waiting_line(self, sid: str, service: dict[str, Any]) -> str:
        """Who waits and how long, as far as it can be said: with no window open for the
        service, nobody is served on arrival and no estimate holds."""
        m, t = self.model, self.model.t
        waiting = service.get("waiting") or 0
        state = m.service_window_state(sid)
        if state != "open":
            if waiting:
                return t(f"service_waiting_{state}", count=waiting)
            return t(f"service_no_window_{state}")
        if waiting:
            return t("service_waiting", count=waiting, minutes=service.get("est_wait_min") or 0)
        return t("service_waiting_none")

    def _issue(self, service: str) -> None:
        if not self._clicks.accept(service):
            return  # a double click takes one ticket, not two
        lang = self.ticket_lang.currentData()
        self.model.issue(service, green=self.green.isChecked(),
                         lang=str(lang) if lang else None,
                         print_ticket=self.print_ticket.isChecked())

    def _check_in(self) -> None:
        if self.model.check_in(self.code.text(), print_ticket=self.print_ticket.isChecked()):
            self.code.clear()

    def _on_issued(self, ticket: dict[str, Any] | None) -> None:
        m = self.model
        if ticket is None:  # a new hall day: yesterday's ticket is not "just taken"
            self.last_number.setText(m.t("last_none"))
            self.last_text.setText(m.t("last_none_hint"))
            return
        self.last_number.setText(str(ticket.get("number", "")))
        words = [m.service_name(ticket.get("service")), m.t("ahead", ahead=ticket.get("ahead") or 0)]
        if ticket.get("priority") != "normal":
            words.insert(1, m.priority_name(ticket.get("priority")))
        self.last_text.setText(" · ".join(words))
        self.green.setChecked(False)
