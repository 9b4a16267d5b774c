"""The kiosk's screens. Each only paints what the view-model says and hands touches back to it.

Every screen has ``refresh(model)`` (the model changed) and ``relayout(metrics)`` (the window
changed size or orientation).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QBoxLayout,
    QHBoxLayout,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from kiosk.model import KioskModel, Screen
from kiosk.ui.style import Metrics
from kiosk.ui.widgets import (
    QWIDGETSIZE_MAX,
    FitLabel,
    Keypad,
    Tile,
    TouchList,
    button,
    discard,
    label,
    set_property,
)


class Page(QWidget):
    def __init__(self, model: KioskModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.box = QVBoxLayout(self)
        # one page's needs must not size the window for the others (the stack takes the largest)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)

    def refresh(self) -> None:
        """Show the model's current state."""

    def relayout(self, m: Metrics) -> None:
        margin = m.px(40)
        self.box.setContentsMargins(margin, margin, margin, margin)
        self.box.setSpacing(m.px(26))
        for action in self.findChildren(QPushButton):
            if action.property("role") in ("action", "secondary"):
                action.setMinimumWidth(m.px(300))


class HomePage(Page):
    """Departments as big tiles, and appointment check-in."""

    def __init__(self, model: KioskModel, parent: QWidget | None = None) -> None:
        super().__init__(model, parent)
        self.title = label("title")
        self.hint = label("hint")
        self.list = TouchList()
        # the hall's departments fit the screen (denser tiles rather than a cut-off row); a hall
        # with far more scrolls by whole rows
        self.list.uniform, self.list.densest = True, 2
        self.empty = label("body")
        self.check_in = Tile("check_in", "checkIn")
        self.check_in.clicked.connect(model.open_check_in)
        for widget in (self.title, self.hint):
            self.box.addWidget(widget)
        self.body = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self.body.addWidget(self.list, 1)
        self.body.addWidget(self.empty, 1)
        self.body.addWidget(self.check_in)
        self.box.addLayout(self.body, 1)
        self.tiles: dict[str, Tile] = {}
        self.columns, self.spacing, self.margin = 2, 20, 20
        self.floor, self.border = 0, 0

    def refresh(self) -> None:
        m = self.model
        self.title.setText(m.t("home_title"))
        self.hint.setText(m.t("home_hint"))
        departments = m.departments()
        if [d.id for d in departments] != list(self.tiles):
            discard(list(self.tiles.values()))
            self.tiles = {}
            for dept in departments:
                tile = Tile(dept.id)
                tile.floor, tile.border = self.floor, self.border
                tile.set_margins(self.margin)
                tile.clicked.connect(lambda _=False, d=dept.id: self.model.choose_department(d))
                self.tiles[dept.id] = tile
            self._place()
        for dept in departments:
            self.tiles[dept.id].show_text(dept.name, dept.summary, available=dept.available)
        self.list.fit()  # the words changed: the rows' heights too
        self.empty.setText(m.t("home_empty"))
        self.empty.setVisible(not departments)
        self.list.setVisible(bool(departments))
        self.check_in.show_text(m.t("check_in_button"), m.t("check_in_button_sub"))

    def _place(self) -> None:
        self.list.place(list(self.tiles.values()), self.columns, self.spacing)

    def relayout(self, m: Metrics) -> None:
        super().relayout(m)
        self.columns, self.spacing, self.margin = m.grid_columns, m.px(24), m.px(22)
        self.floor, self.border = m.target, m.px(6)
        for tile in [*self.tiles.values(), self.check_in]:
            tile.floor, tile.border = self.floor, self.border
            tile.set_margins(self.margin)
        self.list.cap = m.px(250)
        # landscape: check-in is a column beside the departments, which keep the full height
        self.body.setDirection(QBoxLayout.Direction.TopToBottom if m.portrait
                               else QBoxLayout.Direction.LeftToRight)
        self.body.setSpacing(m.px(24))
        self.check_in.setSizePolicy(
            QSizePolicy.Policy.Expanding if m.portrait else QSizePolicy.Policy.Preferred,
            QSizePolicy.Policy.Preferred if m.portrait else QSizePolicy.Policy.Expanding)
        # a narrow column: the width is the departments' (their names wrap less)
        self.check_in.setMaximumWidth(QWIDGETSIZE_MAX if m.portrait else m.px(340))
        self.check_in.cap = QWIDGETSIZE_MAX if m.portrait else m.px(520)
        self.check_in.remeasure()
        self._place()


class ServicesPage(Page):
    """One department's services: people waiting and the wait, or why it is unavailable."""

    def __init__(self, model: KioskModel, parent: QWidget | None = None) -> None:
        super().__init__(model, parent)
        top = QHBoxLayout()
        self.back = button("secondary", "", model.back)
        self.title = label("title", align=Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        top.addWidget(self.back)
        top.addWidget(self.title, 1)
        self.box.addLayout(top)
        self.hint = label("hint", align=Qt.AlignmentFlag.AlignLeft)
        self.list = TouchList()
        self.empty = label("body")
        for widget in (self.hint, self.list, self.empty):
            self.box.addWidget(widget)
        self.box.setStretch(2, 1)
        self.tiles: dict[str, Tile] = {}
        self.columns, self.spacing, self.margin = 1, 20, 20
        self.floor, self.border = 0, 0

    def refresh(self) -> None:
        m = self.model
        self.back.setText("‹ " + m.t("back"))
        self.title.setText(m.department_name)
        self.hint.setText(m.t("services_title"))
        services = m.services(m.department) if m.department else []
        if [s.id for s in services] != list(self.tiles):
            discard(list(self.tiles.values()))
            self.tiles = {}
            for service in services:
                tile = Tile(service.id)
                tile.floor, tile.border = self.floor, self.border
                tile.set_margins(self.margin)
                tile.clicked.connect(lambda _=False, s=service.id: self.model.choose_service(s))
                self.tiles[service.id] = tile
            self.list.place(list(self.tiles.values()), self.columns, self.spacing)
        for service in services:
            self.tiles[service.id].show_text(service.name, service.status, service.hours,
                                             service.available)
        self.list.fit()  # the words changed: the rows' heights too
        self.empty.setText(m.t("services_empty"))
        self.empty.setVisible(not services)

    def relayout(self, m: Metrics) -> None:
        super().relayout(m)
        self.columns, self.spacing, self.margin = m.service_columns, m.px(24), m.px(22)
        self.floor, self.border = m.target, m.px(6)
        self.list.cap = m.px(300)
        for tile in self.tiles.values():
            tile.floor, tile.border = self.floor, self.border
            tile.set_margins(self.margin)
        self.list.place(list(self.tiles.values()), self.columns, self.spacing)


class KeypadPage(Page):
    """Words on one side, a keypad on the other (stacked in portrait), actions at the bottom."""

    def __init__(self, model: KioskModel, on_confirm: Callable[[], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(model, parent)
        self.keypad = Keypad()
        self.keypad.digit.connect(model.key)
        self.keypad.delete.connect(model.backspace)
        self.keypad.cleared.connect(model.clear)
        self.back = button("secondary", "", model.back)
        self.confirm = button("action", "", on_confirm)
        self.split = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self.left = QVBoxLayout()
        self.split.addLayout(self.left)
        self.split.addWidget(self.keypad, 1)
        self.action_row = QHBoxLayout()
        self.action_row.addWidget(self.back, 1)
        self.action_row.addWidget(self.confirm, 2)
        self.box.addLayout(self.split, 1)
        self.box.addLayout(self.action_row)

    def words(self, *widgets: QWidget) -> None:
        for widget in widgets:
            self.left.addWidget(widget)
        self.left.addStretch(1)

    def relayout(self, m: Metrics) -> None:
        super().relayout(m)
        self.split.setDirection(QBoxLayout.Direction.TopToBottom if m.portrait
                                else QBoxLayout.Direction.LeftToRight)
        self.split.setSpacing(m.px(40))
        self.split.setStretch(0, 0 if m.portrait else 1)
        self.left.setSpacing(m.px(24))
        self.keypad.set_spacing(m.px(18))
        self.action_row.setSpacing(m.px(24))


class CheckInPage(KeypadPage):
    """The appointment code on an on-screen keypad (or from the scanner)."""

    def __init__(self, model: KioskModel, parent: QWidget | None = None) -> None:
        super().__init__(model, model.submit_code, parent)
        self.title = label("title")
        self.prompt = label("body")
        self.scan = label("hint")
        self.code = FitLabel("code")  # up to CODE_LENGTH_MAX digits, or a scanned code
        self.words(self.title, self.prompt, self.scan, self.code)

    def relayout(self, m: Metrics) -> None:
        super().relayout(m)
        self.code.set_type(m.code_px, m.code_spacing)

    def refresh(self) -> None:
        m = self.model
        self.title.setText(m.t("check_in_title"))
        self.prompt.setText(m.t("check_in_prompt"))
        self.scan.setText(m.t("check_in_scan"))
        self.code.setText(m.code or m.t("check_in_empty"))
        set_property(self.code, "empty", not m.code)
        self.keypad.set_words(m.t("clear"), m.t("delete"))
        self.back.setText("‹ " + m.t("back"))
        self.confirm.setText(m.t("confirm"))
        self.confirm.setEnabled(bool(m.code))


class MessagePage(Page):
    """A message in large type: please wait, paused, out of service, a refusal."""

    def __init__(self, model: KioskModel, parent: QWidget | None = None) -> None:
        super().__init__(model, parent)
        self.title = label("big")
        self.body = label("body")
        self.detail = label("hint")
        self.action = button("action", "", self._act)
        self.box.addStretch(2)
        for widget in (self.title, self.body, self.detail):
            self.box.addWidget(widget)
        self.box.addStretch(1)
        self.box.addWidget(self.action, 0, Qt.AlignmentFlag.AlignHCenter)
        self.box.addStretch(2)

    def _act(self) -> None:
        if self.model.screen is Screen.PAUSED:
            self.model.cancel_waiting()
        else:
            self.model.back()

    def refresh(self) -> None:
        m = self.model
        title, body, detail, action, alert = "", "", "", "", False
        if m.screen is Screen.ISSUING:
            title = m.t("issuing")
        elif m.screen is Screen.STARTING:
            title = m.t("starting")
        elif m.screen is Screen.NOTICE and m.notice is not None:
            title, body, action = m.notice.title, m.notice.body, "‹ " + m.t("back")
        elif m.screen is Screen.OUT_OF_SERVICE:
            title, body, alert = m.t("out_title"), m.t("out_body"), True
            detail = m.t("out_reason", reason=m.printer_problem())
        elif m.screen is Screen.PAUSED:
            title, body, alert = m.t("paused_title"), m.t("paused_body"), True
            if m.paused_pending:
                detail, action = m.t("paused_pending"), m.t("paused_cancel")
        set_property(self.title, "role", "bigAlert" if alert else "big")
        self.title.setText(title)
        self.body.setText(body)
        self.body.setVisible(bool(body))
        self.detail.setText(detail)
        self.detail.setVisible(bool(detail))
        self.action.setText(action)
        self.action.setVisible(bool(action))


class NumberPage(Page):
    """The ticket's number in very large type: "please take your ticket", or, when the printer
    failed, the number to remember while it prints again."""

    def __init__(self, model: KioskModel, parent: QWidget | None = None) -> None:
        super().__init__(model, parent)
        self.caption = label("body")
        self.number = label("number", wrap=False)
        self.lines = label("body")
        self.take = label("take")
        self.retry = label("hint")
        self.action = button("action", "", model.finish)
        self.box.addStretch(1)
        for widget in (self.caption, self.number, self.lines, self.take, self.retry):
            self.box.addWidget(widget)
        self.box.addStretch(1)
        self.box.addWidget(self.action, 0, Qt.AlignmentFlag.AlignHCenter)
        self.box.addStretch(1)

    def refresh(self) -> None:
        m = self.model
        unprinted = m.screen is Screen.UNPRINTED
        number = m.unprinted_number if unprinted else (m.ticket or {}).get("number", "")
        set_property(self.caption, "role", "bigAlert" if unprinted else "body")
        set_property(self.number, "role", "numberAlert" if unprinted else "number")
        set_property(self.take, "role", "body" if unprinted else "take")
        self.caption.setText(m.t("unprinted_title") if unprinted else m.t("your_number"))
        self.number.setText(str(number or ""))
        self.lines.setText("\n".join(m.ticket_lines()))
        self.take.setText(m.t("unprinted_body") if unprinted else "↓ " + m.t("take_ticket") + " ↓")
        self.retry.setText(m.t("unprinted_retrying"))
        self.retry.setVisible(unprinted)
        self.action.setText(m.t("unprinted_button") if unprinted else m.t("done_button"))


class TechnicianPage(KeypadPage):
    """The PIN pad that lets a technician leave the full-screen app."""

    def __init__(self, model: KioskModel, parent: QWidget | None = None) -> None:
        super().__init__(model, model.submit_pin, parent)
        self.title = label("title")
        self.prompt = label("body")
        self.pin = FitLabel("code")
        self.wrong = label("alert")
        self.words(self.title, self.prompt, self.pin, self.wrong)

    def relayout(self, m: Metrics) -> None:
        super().relayout(m)
        self.pin.set_type(m.code_px, m.code_spacing)

    def refresh(self) -> None:
        m = self.model
        self.title.setText(m.t("technician_title"))
        self.prompt.setText(m.t("technician_prompt"))
        self.pin.setText("●" * len(m.pin) if m.pin else " ")
        message = ""
        if m.technician_pin is None:
            message = m.t("technician_no_pin")
        elif m.pin_wrong:
            message = m.t("technician_wrong")
        self.wrong.setText(message)
        self.wrong.setVisible(bool(message))
        self.keypad.set_words(m.t("clear"), m.t("delete"))
        self.back.setText(m.t("cancel"))
        self.confirm.setText(m.t("confirm"))
        self.confirm.setEnabled(bool(m.pin) and m.technician_pin is not None)
