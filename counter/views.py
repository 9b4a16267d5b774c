"""The clerk client's window: it paints a :class:`counter.model.ClerkModel` and wires its buttons.

Layout: a top bar (hall, window, clerk, connection, devices, language), a red banner while the
hub is unreachable, then either the sign-in page or the work page (current ticket and the action
buttons on one side, the waiting line and the clerk's figures on the other; side by side on a
landscape screen, stacked on a portrait one), and the result of the last action at the bottom.

Keys: the keypad's keyboard map (F1 call next … F7 resume by default) goes through a
:class:`counter.keypad.KeyboardKeypad`, so a USB caller pad that types keys works like the
buttons; F8 transfer, F9 call a number, F12 sign out.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication, QKeyEvent, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from counter.evaluator import SCORE_KEYS
from counter.keypad import (
    DEFAULT_KEYBOARD_KEYS,
    Debouncer,
    KeyboardKeypad,
    KeypadAction,
    key_name,
)
from counter.model import Action, ClerkModel, TransferTarget, duration_text, waiting_numbers
from counter.views_dialogs import CallNumberDialog, PauseDialog, TransferDialog
from hub.i18n import percent
from hub.qtype import BoldLabel

logger = logging.getLogger(__name__)

NBSP = "\u00a0"
EXTRA_KEYS = {Action.TRANSFER: "F8", Action.CALL_NUMBER: "F9", Action.SIGN_OUT: "F12"}
STYLE = """
QWidget { font-family: "WenQuanYi Micro Hei"; font-size: 13pt; color: #1d2733; }
#clerkWindow, #signInPage, #workPage { background: #eef2f6; }
#topBar { background: #1f4e79; }
#topBar QLabel { color: white; }
#hallName { font-size: 11pt; color: #d6e2ee; }
#windowName { font-size: 17pt; font-weight: bold; }
#connection, #devices { font-size: 11pt; color: #d6e2ee; }
#offlineBanner { background: #c62828; color: white; font-weight: bold; padding: 8px; }
#pausedBanner { background: #f9a825; color: #1d2733; font-weight: bold; padding: 8px; }
QFrame#panel { background: white; border: 1px solid #c9d3de; border-radius: 8px; }
#panelTitle { color: #51606f; font-size: 12pt; }
#ticketNumber { font-size: 60pt; font-weight: bold; color: #1f4e79; }
#ticketNumber[empty="true"] { font-size: 30pt; color: #8593a3; }
#ticketService { font-size: 18pt; }
#ticketState { font-size: 15pt; color: #2e7d32; }
#waitingCount { font-size: 26pt; font-weight: bold; }
#waitingList { font-size: 16pt; color: #1f4e79; }
#figuresServed { font-size: 20pt; font-weight: bold; }
#hint { color: #51606f; }
QPushButton { background: white; border: 1px solid #9fb0c2; border-radius: 8px; padding: 10px;
              min-height: 2.6em; }
QPushButton:hover { background: #e3ecf5; }
QPushButton:disabled { color: #a6b1bd; background: #f4f6f8; border-color: #d5dce4; }
QPushButton#primary { background: #1f4e79; color: white; font-size: 17pt; font-weight: bold; }
QPushButton#primary:disabled { background: #8ea7bf; color: #e8eef4; }
QPushButton#langButton { background: transparent; color: white; border: 1px solid white;
                         min-height: 1.2em; padding: 4px 12px; }
#notice { padding: 10px; font-size: 14pt; border-radius: 6px; }
#notice[kind="ok"] { background: #e3f1e4; color: #1b5e20; }
#notice[kind="error"] { background: #fde4e4; color: #b71c1c; font-weight: bold; }
#notice[kind="info"] { background: #e8edf3; color: #34475a; }
#notice[kind="warn"] { background: #fff3cd; color: #7a4f01; font-weight: bold; }
#dialogTitle { font-size: 16pt; font-weight: bold; }
QLineEdit { padding: 8px; font-size: 16pt; }
"""


def _label(name: str, text: str = "", *, wrap: bool = True) -> QLabel:
    label = BoldLabel(text)
    label.setObjectName(name)
    label.setWordWrap(wrap)
    return label


def _panel(title: str) -> tuple[QFrame, QVBoxLayout, QLabel]:
    frame = QFrame()
    frame.setObjectName("panel")
    layout = QVBoxLayout(frame)
    heading = _label("panelTitle", title)
    layout.addWidget(heading)
    return frame, layout, heading


def _restyle(widget: QWidget, prop: str, value: Any) -> None:
    if widget.property(prop) != value:
        widget.setProperty(prop, value)
        widget.style().unpolish(widget)
        widget.style().polish(widget)


class SignInPage(QWidget):
    def __init__(self, model: ClerkModel) -> None:
        super().__init__()
        self.setObjectName("signInPage")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.model = model
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        frame, layout, self.title = _panel("")
        frame.setMaximumWidth(640)
        frame.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.title.setObjectName("dialogTitle")
        self.hint = _label("hint")
        layout.addWidget(self.hint)
        grid = QGridLayout()
        self.staff_label = QLabel()
        self.pin_label = QLabel()
        self.staff = QLineEdit()
        self.staff.setObjectName("staffNumber")
        self.staff.setMaxLength(32)
        self.pin = QLineEdit()
        self.pin.setObjectName("pin")
        self.pin.setMaxLength(64)
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        grid.addWidget(self.staff_label, 0, 0)
        grid.addWidget(self.staff, 0, 1)
        grid.addWidget(self.pin_label, 1, 0)
        grid.addWidget(self.pin, 1, 1)
        layout.addLayout(grid)
        self.button = QPushButton()
        self.button.setObjectName("primary")
        layout.addWidget(self.button)
        self.message = _label("notice")
        layout.addWidget(self.message)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(frame, 4)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)
        self.button.clicked.connect(self.submit)
        self.staff.returnPressed.connect(self.pin.setFocus)
        self.pin.returnPressed.connect(self.submit)

    def submit(self) -> None:
        if self.model.sign_in(self.staff.text(), self.pin.text()):
            self.pin.clear()
            self.pin.setFocus()

    def refresh(self) -> None:
        m = self.model
        self.title.setText(f"{m.t('sign_in_title')} · {m.window_name()}")
        self.hint.setText(m.t("sign_in_hint"))
        self.staff_label.setText(m.t("staff_number"))
        self.pin_label.setText(m.t("pin"))
        self.button.setText(m.t("action_sign_in"))
        self.button.setEnabled(m.enabled(Action.SIGN_IN))
        notice = m.notice
        self.message.setVisible(notice is not None)
        if notice is not None:
            self.message.setText(notice.text)
            _restyle(self.message, "kind", notice.kind.value)


class WorkPage(QWidget):
    def __init__(self, model: ClerkModel, keys: dict[Action, str]) -> None:
        super().__init__()
        self.setObjectName("workPage")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.model = model
        self.keys = keys
        self.box = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)

        left = QVBoxLayout()
        self.paused_banner = _label("pausedBanner")
        left.addWidget(self.paused_banner)
        ticket, ticket_layout, self.current_title = _panel("")
        self.number = _label("ticketNumber", wrap=False)
        self.number.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.service = _label("ticketService")
        self.service.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.state = _label("ticketState")
        self.state.setAlignment(Qt.AlignmentFlag.AlignCenter)
        for widget in (self.number, self.service, self.state):
            ticket_layout.addWidget(widget)
        left.addWidget(ticket, 2)

        grid = QGridLayout()
        self.buttons: dict[Action, QPushButton] = {}
        placement = [
            (Action.CALL_NEXT, 0, 0, 1, 3),
            (Action.RECALL, 1, 0, 1, 1),
            (Action.START, 1, 1, 1, 1),
            (Action.FINISH, 1, 2, 1, 1),
            (Action.NO_SHOW, 2, 0, 1, 1),
            (Action.TRANSFER, 2, 1, 1, 1),
            (Action.CALL_NUMBER, 2, 2, 1, 1),
            (Action.PAUSE, 3, 0, 1, 2),
            (Action.RESUME, 3, 0, 1, 2),
            (Action.SIGN_OUT, 3, 2, 1, 1),
        ]
        for action, row, col, rows, cols in placement:
            button = QPushButton()
            button.setObjectName("primary" if action is Action.CALL_NEXT else f"button_{action}")
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
            grid.addWidget(button, row, col, rows, cols)
            self.buttons[action] = button
        left.addLayout(grid, 2)
        self.box.addLayout(left, 3)

        right = QVBoxLayout()
        waiting, waiting_layout, self.waiting_title = _panel("")
        self.waiting_count = _label("waitingCount")
        self.waiting_longest = _label("waitingLongest")
        self.waiting_list = _label("waitingList")
        for widget in (self.waiting_count, self.waiting_longest, self.waiting_list):
            waiting_layout.addWidget(widget)
        waiting_layout.addStretch(1)
        right.addWidget(waiting, 1)
        figures, figures_layout, self.figures_title = _panel("")
        self.figures_served = _label("figuresServed")
        self.figures_mean = _label("figuresMean")
        self.figures_ratings = _label("figuresRatings")
        self.figures_scores = _label("figuresScores")
        self.figures_note = _label("hint")
        for widget in (self.figures_served, self.figures_mean, self.figures_ratings,
                       self.figures_scores, self.figures_note):
            figures_layout.addWidget(widget)
        figures_layout.addStretch(1)
        right.addWidget(figures, 1)
        self.box.addLayout(right, 2)

    def set_portrait(self, portrait: bool) -> None:
        direction = QBoxLayout.Direction.TopToBottom if portrait else QBoxLayout.Direction.LeftToRight
        if self.box.direction() != direction:
            self.box.setDirection(direction)

    def refresh(self) -> None:
        m = self.model
        self.current_title.setText(m.t("current_title"))
        self.paused_banner.setVisible(m.paused)
        reason = m.pause_reason
        self.paused_banner.setText(
            m.t("status_paused", reason=reason) if reason else m.t("status_paused_plain")
        )
        for action, button in self.buttons.items():
            key = self.keys.get(action)
            text = m.t(f"action_{action}")
            button.setText(f"{text}  [{key}]" if key else text)
            button.setEnabled(m.enabled(action))
        self.buttons[Action.PAUSE].setVisible(not m.paused)
        self.buttons[Action.RESUME].setVisible(m.paused)
        self.refresh_current()
        self.refresh_waiting()
        self.refresh_figures()

    def refresh_current(self) -> None:
        m = self.model
        current = m.current
        if current is None:
            self.number.setText(m.t("no_current"))
            _restyle(self.number, "empty", "true")
            self.service.setText("")
            self.state.setText(m.t("no_current_offline") if not m.connected else
                               m.t("no_current_paused") if m.paused else m.t("no_current_hint"))
            return
        _restyle(self.number, "empty", "false")
        self.number.setText(str(current.get("number", "")))
        service = m.service_name(current.get("service"))
        priority = current.get("priority")
        if priority in ("green", "appointment"):
            service = f"{service} · {m.t(f'priority_{priority}')}"
        self.service.setText(service)
        elapsed = duration_text(m.current_elapsed() or 0)
        if current.get("state") == "serving":
            self.state.setText(m.t("current_serving", elapsed=elapsed))
        else:
            self.state.setText(m.t("current_called", elapsed=elapsed, calls=current.get("calls", 1)))

    def refresh_waiting(self) -> None:
        m = self.model
        self.waiting_title.setText(m.t("waiting_title"))
        tickets = m.waiting
        if not tickets:
            self.waiting_count.setText(m.t("waiting_count", count=0))
            self.waiting_longest.setText(m.t("waiting_none"))
            self.waiting_list.setText("")
            return
        self.waiting_count.setText(m.t("waiting_count", count=len(tickets)))
        longest = m.longest_wait_seconds() or 0
        self.waiting_longest.setText(m.t("waiting_longest", minutes=int(longest // 60)))
        numbers = waiting_numbers(tickets)
        more = "  …" if len(tickets) > len(numbers) else ""
        self.waiting_list.setText("  ".join(numbers) + more)

    def refresh_figures(self) -> None:
        m = self.model
        figures = m.figures()
        self.figures_title.setText(m.t("figures_title"))
        self.figures_served.setText(m.t("figures_served", count=figures.served))
        self.figures_mean.setText(
            m.t("figures_mean", time=duration_text(figures.mean_seconds))
            if figures.mean_seconds is not None
            else m.t("figures_mean_none")
        )
        if figures.rated:
            # 满意率 as the desk and the reports count it: every rating but "dissatisfied"
            satisfied = figures.rated - figures.scores.get(1, 0)
            self.figures_ratings.setText(m.t(
                "figures_ratings_one" if figures.rated == 1 else "figures_ratings",
                rated=figures.rated, share=percent(satisfied / figures.rated)))
            keys = SCORE_KEYS
            # each score and its count held together (no-break spaces): the line wraps only
            # between scores, never leaving a count alone on a line
            self.figures_scores.setText(" · ".join(
                f"{m.t(f'score_{keys[s]}')} {figures.scores.get(s, 0)}".replace(" ", NBSP)
                for s in keys))
        else:
            self.figures_ratings.setText(m.t("figures_ratings_none"))
            self.figures_scores.setText("")
        self.figures_note.setText(m.t("figures_note"))


class ClerkWindow(QWidget):
    """The counter client. ``keyboard`` maps keys to keypad actions (the F-key shortcuts)."""

    def __init__(
        self,
        model: ClerkModel,
        keyboard_keys: Mapping[str, KeypadAction] | None = None,
        *,
        debounce: float = 0.3,
        device_status: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.setObjectName("clerkWindow")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(STYLE)
        self.model = model
        keyboard_keys = DEFAULT_KEYBOARD_KEYS if keyboard_keys is None else keyboard_keys
        self.keyboard = KeyboardKeypad(keyboard_keys, debounce=debounce)
        self.keyboard.start(self._keypad_pressed)
        self.device_status: dict[str, str] = dict(device_status or {})
        self.transfer_dialog: TransferDialog | None = None
        self.call_number_dialog: CallNumberDialog | None = None
        self.pause_dialog: PauseDialog | None = None
        self.keys: dict[Action, str] = {}
        for name, key_action in keyboard_keys.items():
            self.keys.setdefault(Action(key_action.value), name)
        for action, name in EXTRA_KEYS.items():
            if self.keyboard.action_for(name) is None:
                self.keys[action] = name

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        top = QWidget()
        top.setObjectName("topBar")
        top.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        top_layout = QHBoxLayout(top)
        self.hall = _label("hallName")
        self.window_title = _label("windowName")
        self.clerk = _label("clerkLine")
        self.connection = _label("connection")
        self.devices = _label("devices")
        for label in (self.clerk, self.connection, self.devices):
            label.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.lang_button = QPushButton()
        self.lang_button.setObjectName("langButton")
        self.lang_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        names = QVBoxLayout()
        names.addWidget(self.hall)
        names.addWidget(self.window_title)
        top_layout.addLayout(names, 3)
        who = QVBoxLayout()
        who.addWidget(self.clerk)
        who.addWidget(self.connection)
        who.addWidget(self.devices)
        top_layout.addLayout(who, 2)
        top_layout.addSpacing(12)
        top_layout.addWidget(self.lang_button)
        layout.addWidget(top)
        self.offline = _label("offlineBanner")
        layout.addWidget(self.offline)

        body = QWidget()
        body_layout = QVBoxLayout(body)
        self.stack = QStackedWidget()
        self.sign_in_page = SignInPage(model)
        self.work_page = WorkPage(model, self.keys)
        self.stack.addWidget(self.sign_in_page)
        self.stack.addWidget(self.work_page)
        body_layout.addWidget(self.stack, 1)
        self.notice = _label("notice")
        body_layout.addWidget(self.notice)
        layout.addWidget(body, 1)

        buttons = self.work_page.buttons
        # a clerk's double click on "call next" is one press: the hub answers the first click
        # before the second, and the second would call (and so skip) another citizen
        clicks = Debouncer(QGuiApplication.styleHints().mouseDoubleClickInterval() / 1000,
                           time.monotonic)

        def once(action: Action, handler: Callable[[], object]) -> Callable[[], None]:
            def clicked() -> None:
                if clicks.accept(action):
                    handler()
            return clicked

        for action, handler in ((Action.CALL_NEXT, model.call_next), (Action.RECALL, model.recall),
                                (Action.START, model.start), (Action.NO_SHOW, model.no_show),
                                (Action.FINISH, model.finish), (Action.RESUME, model.resume),
                                (Action.SIGN_OUT, model.sign_out),
                                (Action.TRANSFER, self.open_transfer),
                                (Action.CALL_NUMBER, self.open_call_number),
                                (Action.PAUSE, self.open_pause)):
            buttons[action].clicked.connect(once(action, handler))
        for button in buttons.values():
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.lang_button.clicked.connect(self.toggle_lang)
        self._extra: dict[str, Callable[[], object]] = {
            key_name(EXTRA_KEYS[Action.TRANSFER]): self.open_transfer,
            key_name(EXTRA_KEYS[Action.CALL_NUMBER]): self.open_call_number,
            key_name(EXTRA_KEYS[Action.SIGN_OUT]): model.sign_out,
        }

        model.changed.connect(self.refresh)
        self.clock = QTimer(self)
        self.clock.setInterval(1000)
        self.clock.timeout.connect(self.tick)
        self.clock.start()
        self.refresh()

    # ------------------------------------------------------------------ painting

    def refresh(self) -> None:
        m = self.model
        name = m.hall.get("name_en") if m.lang != "zh" and m.hall.get("name_en") else m.hall.get("name")
        self.hall.setText(str(name or ""))
        self.window_title.setText(f"{m.t('window_number', window=m.window)} · {m.window_name()}"
                                  if m.window is not None else "")
        self.setWindowTitle(f"{m.t('app_title')} · {m.window_name()}")
        self.clerk.setText(
            m.t("clerk_line", name=m.clerk_name, id=m.clerk_id) if m.signed_in else m.t("status_closed")
        )
        if m.connected:
            self.connection.setText(m.t("status_connected"))
        else:
            self.connection.setText(m.t("status_connecting"))
        self.offline.setVisible(not m.connected)
        self.offline.setText(m.t("status_offline"))
        self.offline.setToolTip(m.status_detail)
        self.devices.setVisible(bool(self.device_status))
        self.devices.setText(
            "  ".join(
                m.t("device_state", device=m.t(f"device_{device}"), status=m.t(f"device_{status}"))
                for device, status in self.device_status.items()
            )
        )
        self.lang_button.setText(m.t("lang_toggle"))
        self.lang_button.setVisible(len(self._languages()) > 1)
        self.stack.setCurrentWidget(self.work_page if m.signed_in else self.sign_in_page)
        self.sign_in_page.refresh()
        self.work_page.refresh()
        notice = m.notice
        self.notice.setVisible(notice is not None and m.signed_in)
        if notice is not None:
            self.notice.setText(notice.text)
            _restyle(self.notice, "kind", notice.kind.value)
        if not m.signed_in:
            for dialog in (self.transfer_dialog, self.call_number_dialog, self.pause_dialog):
                if dialog is not None and dialog.isVisible():
                    dialog.reject()

    def tick(self) -> None:
        if self.model.signed_in:
            self.work_page.refresh_current()
            self.work_page.refresh_waiting()
        else:
            self.sign_in_page.refresh()  # an old error leaves the page after a while

    def set_device_status(self, status: dict[str, str]) -> None:
        self.device_status = dict(status)
        self.refresh()

    def resizeEvent(self, event: QResizeEvent) -> None:
        size = event.size()
        self.work_page.set_portrait(size.height() > size.width())
        super().resizeEvent(event)

    def _languages(self) -> list[str]:
        languages = self.model.hall.get("languages")
        return [str(x) for x in languages] if isinstance(languages, list) and languages else ["zh", "en"]

    def toggle_lang(self) -> None:
        languages = self._languages()
        index = languages.index(self.model.lang) if self.model.lang in languages else -1
        self.model.set_lang(languages[(index + 1) % len(languages)])

    # ------------------------------------------------------------------ keys and dialogs

    def keyPressEvent(self, event: QKeyEvent) -> None:
        name = QKeySequence(event.keyCombination()).toString()
        if self.keyboard.action_for(name) is not None:
            self.keyboard.key_pressed(name, auto_repeat=event.isAutoRepeat())
            event.accept()
            return
        extra = self._extra.get(key_name(name))
        if extra is not None:
            if not event.isAutoRepeat():
                extra()
            event.accept()
            return
        super().keyPressEvent(event)

    def _keypad_pressed(self, action: KeypadAction) -> None:
        self.model.press(action)

    def open_transfer(self) -> None:
        if not self.model.enabled(Action.TRANSFER):
            self.model.press_refused(Action.TRANSFER)
            return
        _discard(self.transfer_dialog)
        self.transfer_dialog = TransferDialog(self.model, self._transfer, self)
        self.transfer_dialog.open()

    def _transfer(self, target: TransferTarget, position: str, ticket: Mapping[str, Any]) -> None:
        self.model.transfer(target, position, ticket=ticket)

    def open_call_number(self) -> None:
        if not self.model.enabled(Action.CALL_NUMBER):
            self.model.press_refused(Action.CALL_NUMBER)
            return
        _discard(self.call_number_dialog)
        self.call_number_dialog = CallNumberDialog(self.model, self.model.call_number, self)
        self.call_number_dialog.open()

    def open_pause(self) -> None:
        if not self.model.enabled(Action.PAUSE):
            self.model.press_refused(Action.PAUSE)
            return
        _discard(self.pause_dialog)
        self.pause_dialog = PauseDialog(self.model, self.model.pause, self)
        self.pause_dialog.open()


def _discard(dialog: QDialog | None) -> None:
    """The dialog opened before this one: deleted, not left hidden under the window (each
    follows every change of the model, and a clerk opens hundreds in a day)."""
    if dialog is not None:
        dialog.deleteLater()
