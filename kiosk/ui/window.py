"""The kiosk's window: a header (hall name, clock, language switch), the current screen, and a
footer; it wires the view-model to the screens, touches to the idle timer, and keystrokes to the
keyboard-wedge scanner.

A long press on the hall's name (the technician's hidden gesture) opens the PIN pad; without the
PIN the full-screen window cannot be closed.
"""

from __future__ import annotations

import logging
from functools import partial

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.model import KioskModel, Screen
from kiosk.scanner import KeyboardScanner
from kiosk.ui.screens import (
    CheckInPage,
    HomePage,
    MessagePage,
    NumberPage,
    Page,
    ServicesPage,
    TechnicianPage,
)
from kiosk.ui.style import Metrics, stylesheet
from kiosk.ui.widgets import button, discard, named

logger = logging.getLogger(__name__)

TICK_MS = 250
LONG_PRESS_MS = 3000


class KioskWindow(QWidget):
    #: a code from a scanner on another thread, handed to the GUI thread
    code_scanned = Signal(str)

    def __init__(self, model: KioskModel, *, orientation: str = "auto",
                 keyboard_scanner: KeyboardScanner | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.orientation = orientation
        self.keyboard_scanner = keyboard_scanner
        self.long_press_ms = LONG_PRESS_MS
        self.may_close = False
        self._painted = False
        self.had_hub = False  # connected (or had a snapshot) at least once
        self.metrics = Metrics(1080, 1920, orientation)
        self.setWindowTitle("hall-kiosk")
        self.code_scanned.connect(model.scanned)

        self.header = named(QWidget(), "header")
        self.hall_name = named(QLabel(), "hallName")
        self.hall_name.setWordWrap(True)
        self.clock = named(QLabel(), "clock")
        self.clock.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.languages = QHBoxLayout()
        head = self.head = QHBoxLayout(self.header)
        head.addWidget(self.hall_name, 1)
        head.addWidget(self.clock)
        head.addLayout(self.languages)
        self.language_buttons: dict[str, QPushButton] = {}

        self.pages: dict[Screen, Page] = {}
        self.stack = QStackedWidget()
        home, services = HomePage(model), ServicesPage(model)
        check_in, message = CheckInPage(model), MessagePage(model)
        number, technician = NumberPage(model), TechnicianPage(model)
        for screen, page in [
            (Screen.HOME, home), (Screen.SERVICES, services), (Screen.CHECK_IN, check_in),
            (Screen.ISSUING, message), (Screen.NOTICE, message), (Screen.OUT_OF_SERVICE, message),
            (Screen.PAUSED, message), (Screen.STARTING, message), (Screen.DONE, number),
            (Screen.UNPRINTED, number), (Screen.TECHNICIAN, technician),
        ]:
            self.pages[screen] = page
            if self.stack.indexOf(page) < 0:
                self.stack.addWidget(page)

        self.footer = named(QWidget(), "footer")
        self.help = QLabel()
        self.hub_lost = named(QLabel(), "hubLost")
        foot = self.foot = QHBoxLayout(self.footer)
        foot.addWidget(self.help, 1)
        foot.addWidget(self.hub_lost)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.header)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.footer)

        self.long_press = QTimer(self, singleShot=True)
        self.long_press.timeout.connect(model.technician_gesture)
        self.hall_name.installEventFilter(self)
        self.ticker = QTimer(self, interval=TICK_MS)
        self.ticker.timeout.connect(self._tick)
        model.changed.connect(self.refresh)
        model.quit_requested.connect(self._leave)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self._apply_metrics()
        self.refresh()

    # ------------------------------------------------------------------ painting

    @property
    def page(self) -> Page:
        return self.pages[self.model.screen]

    def refresh(self) -> None:
        m = self.model
        self.hall_name.setText(m.hall_name)
        self.clock.setText(m.clock_text())
        self._language_buttons()
        self.help.setText(m.t("help"))
        # a loss only once the kiosk has had the hub: before that, the screen says it connects
        self.had_hub = self.had_hub or m.connected or bool(m.hall)
        lost = self.had_hub and not m.connected
        self.hub_lost.setText("● " + m.t("hub_lost") if lost else "")
        self.hub_lost.setVisible(lost)
        self.help.setVisible(not lost)  # one line: the lost hub is what matters then
        page = self.page
        page.refresh()
        self.stack.setCurrentWidget(page)

    def _language_buttons(self) -> None:
        m = self.model
        others = [lang for lang in m.languages if lang != m.lang]
        if list(self.language_buttons) != others:
            discard(list(self.language_buttons.values()))
            self.language_buttons = {}
            for lang in others:
                widget = button("", m.language_name(lang), partial(self.model.set_language, lang))
                widget.setObjectName("language")
                self.languages.addWidget(widget)
                self.language_buttons[lang] = widget

    def _tick(self) -> None:
        self.model.tick()
        self.clock.setText(self.model.clock_text())

    def _apply_metrics(self) -> None:
        size = self.size()
        self.metrics = Metrics(max(1, size.width()), max(1, size.height()), self.orientation)
        m = self.metrics
        self.setStyleSheet(stylesheet(m))
        pad = m.px(24)
        self.head.setContentsMargins(pad * 2, pad, pad, pad)
        self.head.setSpacing(pad * 2)
        self.foot.setContentsMargins(pad * 2, pad // 2, pad * 2, pad // 2)
        for page in set(self.pages.values()):
            page.relayout(m)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            logger.info("first frame on screen (%dx%d)", self.width(), self.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._apply_metrics()

    def start(self) -> None:
        self.ticker.start()

    # ------------------------------------------------------------------ input

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if watched is self.hall_name:
            if kind == QEvent.Type.MouseButtonPress:
                self.long_press.start(self.long_press_ms)
            elif kind == QEvent.Type.MouseButtonRelease:
                self.long_press.stop()
        if kind in (QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin):
            self.model.touched()
        elif kind == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            return self._key(event)
        return False

    def _key(self, event: QKeyEvent) -> bool:
        """Every key comes from the scanner (a kiosk has no keyboard): eat it."""
        if self.keyboard_scanner is None or event.isAutoRepeat():
            return self.keyboard_scanner is not None
        ends = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Tab)
        text = "\r" if event.key() in ends else event.text()
        code = self.keyboard_scanner.feed(text)
        if code is not None:
            self.model.scanned(code)
        return True

    def _leave(self) -> None:
        self.may_close = True
        self.close()
        app = QApplication.instance()
        if app is not None:
            app.quit()

    def closeEvent(self, event: QCloseEvent) -> None:
        full_screen = bool(self.windowState() & Qt.WindowState.WindowFullScreen)
        if full_screen and not self.may_close:
            logger.info("closing the full-screen kiosk needs the technician's PIN")
            event.ignore()
            return
        self.ticker.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        event.accept()
