"""The kiosk's building blocks: labelled big buttons (tiles), a keypad, a touch-scrolled list."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics, QResizeEvent
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

from hub.qtype import BoldLabel

W = TypeVar("W", bound=QWidget)

QWIDGETSIZE_MAX = 16777215


def label(role: str, text: str = "", *, wrap: bool = True,
          align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignCenter) -> QLabel:
    widget = BoldLabel(text)
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


class FitLabel(BoldLabel):
    """One line of large type (never wrapped, as a code must not be) that shrinks its type
    below the style sheet's size when its words would not fit its width."""

    def __init__(self, role: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("role", role)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(False)
        # the layout gives the width; the words fit into it, not it around the words
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.type_px, self.spacing_px = 0, 0.0
        self.shown_px = 0

    def set_type(self, type_px: int, spacing_px: float) -> None:
        """The style sheet's type size and letter spacing for this label (the largest type)."""
        self.type_px, self.spacing_px = type_px, spacing_px
        self.fit()

    def setText(self, text: str) -> None:
        super().setText(text)
        self.fit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.fit()

    def _width(self, px: int) -> int:
        """The width the words take in ``px`` type, with QLabel's indent of half an x each side
        (a framed label's size hint counts it)."""
        font = QFont(self.font())
        font.setPixelSize(px)
        font.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, self.spacing_px * px / self.type_px)
        metrics = QFontMetrics(font)
        return metrics.horizontalAdvance(self.text()) + 2 * (metrics.horizontalAdvance("x") // 2)

    def fit(self) -> None:
        if self.type_px <= 0 or self.width() <= 1:
            return
        room = self.contentsRect().width() - 2 * self.margin()
        px = self.type_px
        wide = self._width(px)
        if wide > room:
            px = max(8, int(px * room / wide))
            while px > 8 and self._width(px) > room:
                px -= 1
        self.shown_px = px
        spacing = round(self.spacing_px * px / self.type_px, 1)
        sheet = "" if px == self.type_px else f"font-size: {px}px; letter-spacing: {spacing}px;"
        if sheet != self.styleSheet():
            self.setStyleSheet(sheet)


class Tile(QPushButton):
    """A big button with a title and one or two lines under it, all wrapped, none clipped.

    The tile measures what its words need (:meth:`need`) whenever its words, its type or its width
    change. Alone in a layout it keeps its minimum height at that need, and its maximum at
    ``cap`` or the need, whichever is larger; in a :class:`TouchList` the list sets the height
    of each row from its tiles' needs (``managed``), and the tile tells it when its need changed.
    """

    #: the words need another height than they did (the width or the words changed)
    measured = Signal()

    def __init__(self, key: str, role: str = "tile", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.setProperty("role", role)
        self.setProperty("available", True)
        self.setProperty("dense", False)
        self.floor = 0
        self.border = 0
        self.cap = QWIDGETSIZE_MAX
        self.managed = False  # a TouchList sets the height
        self.margin = 0  # around the words, in the comfortable density
        self.density = 0
        self._measured = -1
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

    def need(self, width: int) -> int:
        """The height the wrapped words need at ``width``, never below the floor for a finger."""
        # the style sheet's border lies inside the button but outside what the layout counts
        return max(self.floor, self.box.totalHeightForWidth(max(1, width)) + 2 * self.border)

    def hasHeightForWidth(self) -> bool:
        return not self.managed  # a TouchList gives its tiles fixed heights

    def heightForWidth(self, width: int) -> int:
        """As tall as the wrapped lines need (a push button alone would not ask)."""
        return self.need(width)

    def remeasure(self) -> None:
        """Measure the words again at the tile's width; keep the limits of a tile on its own."""
        need = self.need(self.width())
        if not self.managed:
            if need != self.minimumHeight():
                self.setMinimumHeight(need)
            top = max(self.cap, need)  # a cap on the height never clips the words
            if top != self.maximumHeight():
                self.setMaximumHeight(top)
        if need != self._measured:
            self._measured = need
            self.measured.emit()

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        # a label's words or type changed (set_language, a new style sheet): the layout asks again
        if event.type() == QEvent.Type.LayoutRequest:
            self.remeasure()
        return handled

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.remeasure()

    def sizeHint(self) -> QSize:
        hint = self.box.totalSizeHint()
        return QSize(hint.width(), self.need(max(1, self.width())))

    def minimumSizeHint(self) -> QSize:
        return self.box.totalMinimumSize()

    def show_text(self, title: str, sub: str, hours: str = "", available: bool = True) -> None:
        self.title.setText(title)
        self.sub.setText(sub)
        self.sub.setVisible(bool(sub))
        self.hours.setText(hours)
        self.hours.setVisible(bool(hours))
        set_property(self, "available", available)
        self.remeasure()

    def set_margins(self, margin: int) -> None:
        self.margin = margin
        self._apply_density()

    def set_density(self, density: int) -> None:
        """0: the kiosk's comfortable tile; 1: less room around the words; 2: also smaller type
        (the style sheet's ``dense`` tiles). For a grid that must fit the screen."""
        if density != self.density:
            self.density = density
            # the type first, then the measure: measured the other way round, the tile found
            # its words' height changed once the new type was applied, and the list fitted
            # again, for ever
            set_property(self, "dense", density >= 2)
            self._apply_density()

    def _apply_density(self) -> None:
        margin = self.margin if self.density == 0 else max(2, self.margin // 2)
        self.box.setContentsMargins(margin, margin, margin, margin)
        self.box.setSpacing(max(2, margin // 3))
        self.remeasure()


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
    """A vertical area that scrolls by dragging a finger (buttons inside still take taps).

    It sets the height of its rows of :class:`Tile` itself (a grid in a scroll area does not ask
    a tile's height for its width): the tiles of a row share one height, as tall as the row's
    words need. When every row fits, the rows share the visible height, each up to ``cap``
    (with ``densest`` > 0, tiles first get denser rather than scroll). When they do not fit,
    the list scrolls: with ``uniform`` rows, all rows get one height such that a whole number of
    rows fills the view, and a flick stops on a row, so that no row is ever cut at the edge.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.inner = QWidget()
        self.grid = QGridLayout(self.inner)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.setWidget(self.inner)
        QScroller.grabGesture(self.viewport(), QScroller.ScrollerGestureType.LeftMouseButtonGesture)
        self.widgets: list[QWidget] = []
        self.columns, self.spacing = 1, 0
        self.cap = QWIDGETSIZE_MAX  # the tallest row when there is room to spare
        self.densest = 0  # how dense tiles may get to fit without scrolling
        self.uniform = False
        self.scrolling = False
        self.row_heights: list[int] = []
        self._room: tuple[int, int, int, tuple[str, ...]] | None = None  # what it was fitted to
        self._found = 0  # the density it found (densest + 1: none fitted, the list scrolls)
        self._fitting = False
        self._later = QTimer(self, singleShot=True, interval=0)
        self._later.timeout.connect(self.fit)

    def place(self, widgets: list[QWidget], columns: int, spacing: int) -> None:
        """Lay ``widgets`` out in ``columns`` equal columns, row by row."""
        while self.grid.count():
            self.grid.takeAt(0)
        for widget in self.widgets:
            if isinstance(widget, Tile) and widget not in widgets:
                widget.measured.disconnect(self._remeasured)
        for widget in widgets:
            if isinstance(widget, Tile) and widget not in self.widgets:
                widget.managed = True
                widget.measured.connect(self._remeasured)
        self.widgets = list(widgets)
        self.columns, self.spacing = columns, spacing
        self._room = None  # other tiles: every density is tried again
        for i, widget in enumerate(widgets):
            self.grid.addWidget(widget, i // columns, i % columns)
        for column in range(4):
            self.grid.setColumnStretch(column, 1 if column < columns else 0)
        self.grid.setSpacing(spacing)
        self.fit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit()

    def _remeasured(self) -> None:
        if not self._fitting:  # a tile's words or width changed: fit again once things settle
            self._later.start()

    def _row_needs(self, tiles: list[Tile], width: int, density: int) -> list[int]:
        columns, spacing = self.columns, self.spacing
        # a pixel less than the grid's share: its columns may differ by one
        column = max(1, (width - (columns - 1) * spacing) // columns - 1)
        for tile in tiles:
            tile.set_density(density)
        return [max(tile.need(column) for tile in tiles[row:row + columns])
                for row in range(0, len(tiles), columns)]

    def fit(self) -> None:
        """Set the rows' heights (and whether the list scrolls) for the list's size."""
        tiles = [w for w in self.widgets if isinstance(w, Tile)]
        area = self.contentsRect()
        if self._fitting or not tiles or len(tiles) != len(self.widgets) or area.height() < 1:
            return
        self._fitting = True
        try:
            self._fit(tiles, area.width(), area.height())
        finally:
            self._fitting = False

    def _fit(self, tiles: list[Tile], width: int, height: int) -> None:
        spacing = self.spacing
        gaps = spacing * ((len(tiles) + self.columns - 1) // self.columns - 1)
        heights: list[int] | None = None
        # the same tiles with the same names in the same room (only a waiting count or the
        # like changed): start from the density found last time, rather than restyle every
        # tile through the lighter ones on each event; one that no longer fits still gives way
        room = (width, height, self.columns, tuple(tile.title.text() for tile in tiles))
        start = self._found if room == self._room else 0
        self._room, self._found = room, self.densest + 1
        for density in range(start, self.densest + 1):
            needs = self._row_needs(tiles, width, density)
            if sum(needs) + gaps <= height:
                heights = _share(needs, height - gaps, self.cap)
                self._found = density
                break
        scrolling = heights is None
        snap = 0
        if heights is None:
            bar = self.verticalScrollBar().sizeHint().width()
            needs = self._row_needs(tiles, width - bar, 0)
            heights = needs
            if self.uniform:  # a whole number of equal rows fills the view
                tallest = max(needs)
                rows = max(1, (height + spacing) // (tallest + spacing))
                row = max(tallest, (height + spacing) // rows - spacing)
                heights, snap = [row] * len(needs), row + spacing
        self.scrolling, self.row_heights = scrolling, heights
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn if scrolling
                                        else Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        if snap:
            QScroller.scroller(self.viewport()).setSnapPositionsY(0.0, float(snap))
        else:
            QScroller.scroller(self.viewport()).setSnapPositionsY([])
        for i, tile in enumerate(tiles):
            row_height = heights[i // self.columns]
            if tile.minimumHeight() != row_height or tile.maximumHeight() != row_height:
                tile.setFixedHeight(row_height)


def _share(needs: list[int], room: int, cap: int) -> list[int]:
    """Rows as tall as they need, the short ones grown alike (up to ``cap``) to fill ``room``."""
    low, high = 0, max(0, min(cap, room))
    while low < high:  # the tallest common height the room takes
        mid = (low + high + 1) // 2
        if sum(max(need, mid) for need in needs) <= room:
            low = mid
        else:
            high = mid - 1
    return [max(need, low) for need in needs]
