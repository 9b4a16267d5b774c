"""The kiosk's building blocks: labelled big buttons (tiles), a keypad, a touch-scrolled list."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QScroller,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

W = TypeVar("W", bound=QWidget)


def label(role: str, text: str = "", *, wrap: bool = True,
          align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignCenter) -> QLabel:
    widget = QLabel(text)
    widget.setProperty("role", role)
    widget.setWordWrap(wrap)
    widget.setAlignment(align)
    return widget


def button(role: str, text: str, on_click: Callable[[], None]) -> QPushButton:
    widget = QPushButton(text)
    widget.setProperty("role", role)
    widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    widget.clicked.connect(on_click)
    return widget


def named(widget: W, name: str) -> W:
    """``widget`` with an object name the style sheet uses."""
    widget.setObjectName(name)
    return widget


def discard(widgets: list[QWidget]) -> None:
    """Take widgets off the screen now (deleteLater alone leaves them showing until the event
    loop runs) and let Qt delete them."""
    for widget in widgets:
        widget.hide()
        widget.setParent(None)
        widget.deleteLater()


def set_property(widget: QWidget, name: str, value: object) -> None:
    """Change a property the style sheet looks at, and restyle the widget."""
    if widget.property(name) == value:
        return
    widget.setProperty(name, value)
    for child in [widget, *widget.findChildren(QWidget)]:
        child.style().unpolish(child)
        child.style().polish(child)


class Tile(QPushButton):
    """A big button with a title and one or two lines under it, all wrapped, none clipped."""

    def __init__(self, key: str, role: str = "tile", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.setProperty("role", role)
        self.setProperty("available", True)
        self.floor = 0
        self.border = 0
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        layout = self.box = QVBoxLayout(self)
        self.title = label("tileTitle")
        self.sub = label("tileSub")
        self.hours = label("tileHours")
        layout.addStretch(1)
        for part in (self.title, self.sub, self.hours):
            part.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            layout.addWidget(part)
        layout.addStretch(1)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        """As tall as the wrapped lines need (a push button alone would not ask)."""
        return max(self.minimumHeight(), self.box.totalHeightForWidth(width))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # the style sheet's border lies inside the button but outside what the layout counts
        need = max(self.floor, self.box.totalHeightForWidth(self.width()) + 2 * self.border)
        if need != self.minimumHeight():  # a grid in a scroll area does not ask heightForWidth
            self.setMinimumHeight(need)
        if need > self.maximumHeight():  # a cap on the height never clips the words
            self.setMaximumHeight(need)

    def sizeHint(self) -> QSize:
        hint = self.box.totalSizeHint()
        return QSize(hint.width(), self.heightForWidth(max(1, self.width())))

    def minimumSizeHint(self) -> QSize:
        return self.box.totalMinimumSize()

    def show_text(self, title: str, sub: str, hours: str = "", available: bool = True) -> None:
        self.title.setText(title)
        self.sub.setText(sub)
        self.sub.setVisible(bool(sub))
        self.hours.setText(hours)
        self.hours.setVisible(bool(hours))
        set_property(self, "available", available)

    def set_margins(self, margin: int) -> None:
        self.box.setContentsMargins(margin, margin, margin, margin)
        self.box.setSpacing(max(2, margin // 3))


class Keypad(QWidget):
    """0-9 with "clear" and "delete": big keys for a finger."""

    digit = Signal(str)
    delete = Signal()
    cleared = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.keys: dict[str, QPushButton] = {}
        for i, key in enumerate("123456789"):
            self._add(key, "key", i // 3, i % 3)
        self.clear_key = self._add("C", "keyAlt", 3, 0)
        self._add("0", "key", 3, 1)
        self.delete_key = self._add("⌫", "keyAlt", 3, 2)

    def _add(self, key: str, role: str, row: int, column: int) -> QPushButton:
        def pressed() -> None:
            if key == "C":
                self.cleared.emit()
            elif key == "⌫":
                self.delete.emit()
            else:
                self.digit.emit(key)

        widget = button(role, key, pressed)
        widget.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.grid.addWidget(widget, row, column)
        self.keys[key] = widget
        return widget

    def set_words(self, clear: str, delete: str) -> None:
        self.clear_key.setText(clear)
        self.delete_key.setText(delete)

    def set_spacing(self, spacing: int) -> None:
        self.grid.setSpacing(spacing)


class TouchList(QScrollArea):
    """A vertical area that scrolls by dragging a finger (buttons inside still take taps)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.inner = QWidget()
        self.grid = QGridLayout(self.inner)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.setWidget(self.inner)
        QScroller.grabGesture(self.viewport(), QScroller.ScrollerGestureType.LeftMouseButtonGesture)

    def place(self, widgets: list[QWidget], columns: int, spacing: int) -> None:
        """Lay ``widgets`` out in ``columns`` equal columns, row by row."""
        while self.grid.count():
            self.grid.takeAt(0)
        for i, widget in enumerate(widgets):
            self.grid.addWidget(widget, i // columns, i % columns)
        for column in range(4):
            self.grid.setColumnStretch(column, 1 if column < columns else 0)
        self.grid.setSpacing(spacing)
