"""What every page of the desk console shares: type, colours, small building blocks.

Sizes are in points and layouts stretch, so the console reads the same on a 1920x1080 desk
screen and on a portrait one; nothing here knows about the bus.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHeaderView,
    QLabel,
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


def cell(text: object, *, color: str | None = None, background: str | None = None,
         bold: bool = False, align_right: bool = False, data: object = None) -> QTableWidgetItem:
    item = QTableWidgetItem("" if text is None else str(text))
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
