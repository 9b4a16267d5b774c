"""The rating pad's screen: it paints a :class:`counter.evaluator.RatingPad`.

Three pages: at rest the clerk's photo, name, staff number and window (亮身份); while asking, the
ticket's number large (so nobody rates another's service), the question and four big score
buttons; afterwards a thank-you (or, rarely, why the rating was not taken). Text sizes
follow the screen's shorter side, so the same pad reads well on a 7-inch landscape panel and on a
portrait one.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from counter.evaluator import SCORE_KEYS, SCORES, PadState, RatingPad
from hub.i18n import tr
from hub.qtype import BoldLabel

logger = logging.getLogger(__name__)

SCORE_COLOURS = {4: "#2e7d32", 3: "#558b2f", 2: "#f9a825", 1: "#c62828"}
#: White reads on the green and red buttons; on the amber one it read at 2:1, dark text reads at 7.7:1.
SCORE_TEXT = {4: "white", 3: "white", 2: "#1d2733", 1: "white"}


def _style(unit: int) -> str:
    """The pad's style sheet for a text unit of ``unit`` pixels (a twentieth of the short side)."""
    buttons = "\n".join(
        f"QPushButton#score{s} {{ background: {c}; color: {SCORE_TEXT[s]}; }}"
        for s, c in SCORE_COLOURS.items()
    )
    return f"""
QWidget {{ font-family: "WenQuanYi Micro Hei"; font-size: {unit}px; color: #1d2733; }}
#ratingPad {{ background: #f3f6fa; }}
#padWindow {{ font-size: {unit}px; color: #51606f; }}
#padName {{ font-size: {int(unit * 2.2)}px; font-weight: bold; }}
#padStaff {{ font-size: {int(unit * 1.2)}px; color: #34475a; }}
#padWelcome {{ font-size: {int(unit * 1.1)}px; color: #1f4e79; }}
#padAsk {{ font-size: {int(unit * 1.3)}px; font-weight: bold; color: #34475a; }}
#padTicket {{ font-size: {int(unit * 1.8)}px; font-weight: bold; color: #1f4e79; }}
#padSeconds {{ color: #51606f; }}
#padThanks {{ font-size: {int(unit * 2.2)}px; font-weight: bold; color: #2e7d32; }}
#padThanks[failed="true"] {{ color: #b71c1c; font-size: {int(unit * 1.4)}px; }}
#padOffline {{ background: #c62828; color: white; padding: {unit // 3}px; }}
QPushButton {{ font-size: {int(unit * 1.4)}px; font-weight: bold; border: none;
               border-radius: {unit // 2}px; padding: {unit // 2}px; }}
QPushButton:disabled {{ background: #b0bac5; }}
{buttons}
"""


def _label(name: str) -> QLabel:
    label = BoldLabel()
    label.setObjectName(name)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    return label


class RatingPadView(QWidget):
    def __init__(self, pad: RatingPad) -> None:
        super().__init__()
        self.setObjectName("ratingPad")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.pad = pad
        self._unit = 0
        self._photo_path = ""
        layout = QVBoxLayout(self)
        self.offline = _label("padOffline")
        layout.addWidget(self.offline)
        self.stack = QStackedWidget()
        layout.addWidget(self.stack, 1)

        self.rest = QWidget()
        rest = QVBoxLayout(self.rest)
        self.photo = QLabel()
        self.photo.setObjectName("padPhoto")
        self.photo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.photo.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.window_label = _label("padWindow")
        self.name = _label("padName")
        self.staff = _label("padStaff")
        self.welcome = _label("padWelcome")
        rest.addWidget(self.window_label)
        rest.addWidget(self.photo, 3)
        for widget in (self.name, self.staff, self.welcome):
            rest.addWidget(widget)
        self.stack.addWidget(self.rest)

        self.ask = QWidget()
        ask = QVBoxLayout(self.ask)
        self.ask_title = _label("padAsk")
        self.ask_ticket = _label("padTicket")
        ask.addWidget(self.ask_ticket)
        ask.addWidget(self.ask_title)
        self.grid = QGridLayout()
        self.score_buttons: dict[int, QPushButton] = {}
        for score in SCORES:
            button = QPushButton()
            button.setObjectName(f"score{score}")
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
            button.clicked.connect(lambda _=False, s=score: self.pad.rate(s))
            self.score_buttons[score] = button
        self._columns = 0
        self._arrange(2)
        ask.addLayout(self.grid, 1)
        self.seconds = _label("padSeconds")
        ask.addWidget(self.seconds)
        self.stack.addWidget(self.ask)

        self.thanks = QWidget()
        thanks = QVBoxLayout(self.thanks)
        self.thanks_text = _label("padThanks")
        self.thanks_more = _label("padWelcome")
        thanks.addStretch(1)
        thanks.addWidget(self.thanks_text)
        thanks.addWidget(self.thanks_more)
        thanks.addStretch(1)
        self.stack.addWidget(self.thanks)

        pad.changed.connect(self.refresh)
        self.timer = QTimer(self)
        self.timer.setInterval(250)
        self.timer.timeout.connect(self._tick)
        self.timer.start()
        self._rescale()
        self.refresh()

    def _tick(self) -> None:
        self.pad.tick()
        if self.pad.state is PadState.ASKING:
            self._paint_seconds()

    def _paint_seconds(self) -> None:
        """The countdown while asking; none while sending (nothing ends then)."""
        pad = self.pad
        asking = pad.state is PadState.ASKING
        self.seconds.setText(
            pad.t("pad_seconds_left", seconds=int(pad.seconds_left() + 0.99)) if asking else "")

    def refresh(self) -> None:
        pad = self.pad
        self.offline.setVisible(not pad.connected)
        self.offline.setText(tr(pad.lang, "common.hub_unreachable"))
        if pad.state is PadState.REST:
            self._paint_rest()
            self.stack.setCurrentWidget(self.rest)
        elif pad.state in (PadState.ASKING, PadState.SENDING):
            self._paint_ask()
            self.stack.setCurrentWidget(self.ask)
        else:
            failed = pad.state is PadState.FAILED
            self.thanks_text.setProperty("failed", "true" if failed else "false")
            self.thanks_text.style().unpolish(self.thanks_text)
            self.thanks_text.style().polish(self.thanks_text)
            self.thanks_text.setText(pad.error if failed else pad.t("pad_thanks"))
            more = "pad_thanks_later" if pad.later else "pad_thanks_more"
            self.thanks_more.setText("" if failed else pad.t(more))
            self.stack.setCurrentWidget(self.thanks)

    def _paint_rest(self) -> None:
        pad = self.pad
        window = pad.window if pad.window is not None else ""
        self.window_label.setText(pad.t("window_number", window=window))
        if pad.window_open:
            self.name.setText(pad.clerk_name)
            self.staff.setText(pad.t("pad_staff", id=pad.clerk_id))
            self.welcome.setText(pad.t("pad_welcome"))
        else:
            self.name.setText(pad.t("pad_closed"))
            self.staff.setText("")
            self.welcome.setText("")
        self.photo.setVisible(pad.window_open)
        if pad.window_open:
            self._paint_photo()

    def _paint_photo(self) -> None:
        photo = self.pad.photo
        side = max(1, int(min(self.width() * 0.5, self.height() * 0.45)))
        try:
            stamp = photo.stat().st_mtime_ns
        except OSError:
            stamp = 0
        path = f"{photo}@{stamp}@{side}"
        if path == self._photo_path:
            return
        pixmap = QPixmap(str(photo))
        if pixmap.isNull():
            logger.warning("clerk photo %s cannot be read", photo)
            self.photo.clear()
            return
        self._photo_path = path
        self.photo.setPixmap(
            pixmap.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                          Qt.TransformationMode.SmoothTransformation)
        )

    def _paint_ask(self) -> None:
        pad = self.pad
        self.ask_title.setText(pad.t("pad_sending") if pad.state is PadState.SENDING else pad.t("pad_ask"))
        number = (pad.ticket or {}).get("number", "")
        self.ask_ticket.setText(pad.t("pad_ticket", number=number))
        for score, button in self.score_buttons.items():
            button.setText(pad.t(f"score_{SCORE_KEYS[score]}"))
            button.setEnabled(pad.can_rate())
        self._paint_seconds()

    def _arrange(self, columns: int) -> None:
        """Score buttons in a 2 x 2 block (landscape) or one column (portrait)."""
        if columns == self._columns:
            return
        self._columns = columns
        for button in self.score_buttons.values():
            self.grid.removeWidget(button)
        for index, score in enumerate(SCORES):
            self.grid.addWidget(self.score_buttons[score], index // columns, index % columns)

    def _rescale(self) -> None:
        unit = max(12, min(self.width(), self.height()) // 20)
        if unit != self._unit:
            self._unit = unit
            self.setStyleSheet(_style(unit))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange(1 if self.height() > self.width() else 2)
        self._rescale()
        self._photo_path = ""
        if self.pad.state is PadState.REST and self.pad.window_open:
            self._paint_photo()
