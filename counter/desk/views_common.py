"""What every page of the desk console shares: type, colours, small building blocks.

Sizes are in points and layouts stretch, so the console reads the same on a 1920x1080 desk
screen and on a portrait one; nothing here knows about the bus.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHeaderView,
    QLabel,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from counter.desk.model import DeskModel

W = TypeVar("W", bound=QWidget)


class DeskPage(QWidget):
    """A tab of the console: it keeps the view-model and takes the pages' common look."""

    def __init__(self, model: DeskModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.setObjectName("page")

BASE_POINTS = 13

GREEN = "#1b7f3b"
GREEN_SOFT = "#e3f4e8"
RED = "#b3261e"
RED_SOFT = "#fde7e5"
AMBER = "#8a5a00"
AMBER_SOFT = "#fff3d6"
BLUE = "#1f4e99"
GREY = "#5f6368"
PAPER = "#ffffff"
BACKGROUND = "#f3f5f8"

STYLE = f"""
QMainWindow, QWidget#page {{ background: {BACKGROUND}; }}
QGroupBox {{ font-weight: bold; border: 1px solid #c9ced6; border-radius: 6px;
             margin-top: 1.2em; padding: 0.6em 0.5em 0.5em 0.5em; background: {PAPER}; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 0.8em; padding: 0 0.3em; color: {BLUE}; }}
QPushButton {{ padding: 0.45em 1em; border-radius: 5px; border: 1px solid #9aa4b2;
               background: #fdfdfd; }}
QPushButton:hover {{ background: #eef3fb; }}
QPushButton:disabled {{ color: #9aa0a6; background: #eceff1; border-color: #d0d4da; }}
QPushButton[role="primary"] {{ background: {BLUE}; color: white; border-color: {BLUE};
                              font-weight: bold; }}
QPushButton[role="primary"]:disabled {{ background: #9db0cf; border-color: #9db0cf; }}
QPushButton[role="danger"] {{ color: {RED}; border-color: {RED}; }}
QPushButton[role="danger"]:disabled {{ color: #d9a09b; border-color: #e6c3bf; }}
QPushButton[role="green"] {{ color: {GREEN}; border-color: {GREEN}; }}
QPushButton[role="green"]:disabled {{ color: #9aa0a6; border-color: #d0d4da; }}
QPushButton[role="green"]:checked {{ background: {GREEN}; color: white; font-weight: bold; }}
QPushButton[role="service"] {{ text-align: left; padding: 0.5em 0.8em; }}
QTabBar::tab {{ padding: 0.55em 1.4em; font-size: {BASE_POINTS + 1}pt; }}
QTabBar::tab:selected {{ font-weight: bold; color: {BLUE}; }}
QTableWidget {{ background: {PAPER}; gridline-color: #e1e4e8; }}
QHeaderView::section {{ background: #e8ecf2; padding: 0.35em; border: none;
                        border-right: 1px solid #d5dae1; font-weight: bold; }}
QLineEdit, QComboBox, QDateEdit, QPlainTextEdit {{ padding: 0.3em; }}
QLabel[role="hint"] {{ color: {GREY}; }}
QLabel[role="warning"] {{ color: {AMBER}; background: {AMBER_SOFT}; padding: 0.3em 0.5em;
                          border-radius: 4px; }}
QLabel[role="empty"] {{ color: {GREY}; font-size: {BASE_POINTS + 2}pt; padding: 2em; }}
"""


def base_font(family: str) -> QFont:
    font = QFont(family)
    font.setPointSize(BASE_POINTS)
    return font


def scaled(widget: QWidget, factor: float, bold: bool = False) -> None:
    """Make ``widget``'s type ``factor`` times the console's base size."""
    font = QFont(widget.font())
    font.setPointSizeF(BASE_POINTS * factor)
    font.setBold(bold)
    widget.setFont(font)


def label(text: str = "", *, role: str | None = None, factor: float = 1.0, bold: bool = False,
          wrap: bool = True) -> QLabel:
    widget = QLabel(text)
    widget.setWordWrap(wrap)
    if role:
        widget.setProperty("role", role)
    if factor != 1.0 or bold:
        scaled(widget, factor, bold)
    return widget


def empty_state(text: str) -> QLabel:
    widget = label(text, role="empty")
    widget.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return widget


def set_role(widget: W, role: str) -> W:
    widget.setProperty("role", role)
    return widget


def table(headers: list[str], *, stretch: int | None = 0) -> QTableWidget:
    """A read-only table with whole-row selection; column ``stretch`` takes the spare width
    (None: every column as wide as its contents, like a spreadsheet)."""
    widget = QTableWidget(0, len(headers))
    widget.setHorizontalHeaderLabels(headers)
    widget.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    widget.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    widget.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    widget.verticalHeader().setVisible(False)
    widget.setAlternatingRowColors(True)
    header = widget.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    if stretch is not None:
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return widget


def compact_rows(widget: QTableWidget) -> None:
    """Rows one line of text high, with a little air: more of a long table on a short screen
    (text that wraps still makes its row taller, where a ColumnFitter fits them)."""
    widget.verticalHeader().setDefaultSectionSize(round(widget.fontMetrics().height() * 1.3))


def cell(text: object, *, color: str | None = None, background: str | None = None,
         bold: bool = False, align_right: bool = False, data: object = None,
         tip: bool = False) -> QTableWidgetItem:
    """A table cell; ``tip``: its whole text as a tooltip too (for a column that may elide)."""
    item = QTableWidgetItem("" if text is None else str(text))
    if tip:
        item.setToolTip(item.text())
    if color:
        item.setForeground(QColor(color))
    if background:
        item.setBackground(QColor(background))
    if bold:
        font = item.font()
        font.setBold(True)
        item.setFont(font)
    if align_right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    if data is not None:
        item.setData(Qt.ItemDataRole.UserRole, data)
    return item


def natural_width(widget: QTableWidget) -> int:
    """How wide ``widget`` must be to show every column whole (header and cells), no scrolling
    sideways; with room for its vertical scroll bar."""
    header = widget.horizontalHeader()
    columns = sum(max(header.sectionSizeHint(c), widget.sizeHintForColumn(c))
                  for c in range(widget.columnCount()) if not widget.isColumnHidden(c))
    frame = 2 * widget.frameWidth()
    return columns + frame + widget.verticalScrollBar().sizeHint().width()


class ColumnFitter(QObject):
    """Fits a word-wrapping table to its width, again on every resize (call ``fit`` after
    filling it too): every column as wide as its contents and column ``grow`` the rest, but
    ``grow`` keeps at least ``share`` of the width; for that the ``shrink`` columns narrow in
    proportion (their text wraps onto more lines) down to their header's width. The rows are
    then as tall as their text."""

    def __init__(self, widget: QTableWidget, grow: int, *, share: float = 0.0,
                 shrink: tuple[int, ...] = ()) -> None:
        super().__init__(widget)
        self.table = widget
        self.grow = grow
        self.share = share
        self.shrink = shrink
        widget.setWordWrap(True)
        header = widget.horizontalHeader()
        header.setStretchLastSection(False)
        for c in range(widget.columnCount()):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.Fixed)
        self._viewport = widget.viewport()
        self._viewport.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # by the kept reference: the table may be half torn down when its viewport hears last
        if watched is self._viewport and event.type() == QEvent.Type.Resize:
            self.fit()
        return False

    def widths(self, room: int) -> list[int]:
        """The columns' widths in ``room`` pixels."""
        widget, header = self.table, self.table.horizontalHeader()
        count = widget.columnCount()
        heads = [0 if widget.isColumnHidden(c) else header.sectionSizeHint(c)
                 for c in range(count)]
        natural = [0 if widget.isColumnHidden(c) else max(heads[c], widget.sizeHintForColumn(c))
                   for c in range(count)]
        widths = list(natural)
        others = sum(w for c, w in enumerate(widths) if c != self.grow)
        floor = max(heads[self.grow], round(room * self.share))
        over = others + floor - room
        floors = {c: max(heads[c], self._longest_word(c)) for c in self.shrink}
        give = {c: natural[c] - floors[c] for c in self.shrink if natural[c] > floors[c]}
        if over > 0 and give:
            scale = min(1.0, over / sum(give.values()))
            for c, spare in give.items():
                widths[c] = natural[c] - round(spare * scale)
            others = sum(w for c, w in enumerate(widths) if c != self.grow)
        widths[self.grow] = max(heads[self.grow], room - others)
        return widths

    def _longest_word(self, column: int) -> int:
        """The widest word of ``column``: narrower, a word would be cut, not wrapped."""
        widget = self.table
        metrics = widget.fontMetrics()
        words = {word for r in range(widget.rowCount())
                 if (item := widget.item(r, column)) is not None for word in item.text().split()}
        padding = 2 * widget.style().pixelMetric(widget.style().PixelMetric.PM_FocusFrameHMargin) + 4
        return max((metrics.horizontalAdvance(word) for word in words), default=0) + padding

    def fit(self) -> None:
        widget = self.table
        header = widget.horizontalHeader()
        for c, width in enumerate(self.widths(widget.viewport().width())):
            if not widget.isColumnHidden(c) and header.sectionSize(c) != width:
                header.resizeSection(c, width)
        widget.resizeRowsToContents()


class VerticalScroll(QScrollArea):
    """Scrolls a panel up and down, never sideways, and never squashes it: the panel keeps at
    least its minimum size inside, the area asks the layout for the panel's full minimum width
    and only ``min_height`` of its height (a screen too short shows a scroll bar instead)."""

    def __init__(self, widget: QWidget, min_height: int = 120,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.min_height = min_height
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizeAdjustPolicy(QScrollArea.SizeAdjustPolicy.AdjustIgnored)
        self.setWidget(widget)
        widget.setAutoFillBackground(False)  # setWidget turned it on
        # show the card or page behind it, not the palette's window colour (by name: a style
        # without a selector would reach every button and box inside)
        viewport = self.viewport()
        viewport.setObjectName("scroll_viewport")
        viewport.setAutoFillBackground(False)
        self.setStyleSheet("QScrollArea, QWidget#scroll_viewport { background: transparent; }")
        self._panel = widget
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # (QScrollArea watches the panel too, from within __init__: before _panel is set)
        if watched is getattr(self, "_panel", None) and event.type() in (
                QEvent.Type.LayoutRequest, QEvent.Type.Show, QEvent.Type.Hide):
            self.updateGeometry()  # the panel's size changed: let the page's layout know
        return super().eventFilter(watched, event)

    def _bar(self) -> int:
        return self.verticalScrollBar().sizeHint().width() + 2 * self.frameWidth()

    def minimumSizeHint(self) -> QSize:
        widget = self.widget()
        inner = widget.minimumSizeHint() if widget is not None else QSize(0, 0)
        return QSize(inner.width() + self._bar(), min(inner.height(), self.min_height))

    def sizeHint(self) -> QSize:
        widget = self.widget()
        inner = widget.sizeHint() if widget is not None else QSize(0, 0)
        return QSize(inner.width() + self._bar(), inner.height())


def combo(items: list[tuple[str, object]]) -> QComboBox:
    widget = QComboBox()
    for text, data in items:
        widget.addItem(text, data)
    return widget


def card(layout_margin: float = 0.8) -> tuple[QFrame, QVBoxLayout]:
    """A white panel with a thin border, and its layout."""
    frame = QFrame()
    frame.setObjectName("card")
    frame.setStyleSheet("QFrame#card { background: white; border: 1px solid #c9ced6; "
                        "border-radius: 6px; }")
    layout = QVBoxLayout(frame)
    margin = round(layout_margin * BASE_POINTS)
    layout.setContentsMargins(margin, margin, margin, margin)
    return frame, layout


def page() -> QWidget:
    widget = QWidget()
    widget.setObjectName("page")
    return widget
