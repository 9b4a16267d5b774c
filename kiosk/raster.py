"""Drawing tickets with Qt: the image-mode ticket, the text-mode preview, and the raster bytes.

Everything here draws into a :class:`QImage` offscreen, at the printer's width in dots
(384 for 58 mm paper, 576 for 80 mm), and ends in pure black and white: a thermal head has no
grey. The image that is rasterised for ``GS v 0`` is the very image a preview PNG shows.

* :func:`ticket_image` is the image-mode ticket: proportional WenQuanYi Micro Hei type.
* :func:`text_preview_image` is what a text-mode ticket looks like on paper: the same lines,
  sizes and wrapping the printer uses (12 x 24 dot font A cells, ``GS !`` magnification),
  drawn with WenQuanYi in those cells.

A :class:`QGuiApplication` must exist before Qt draws text; :func:`ensure_qt_app` makes one
(offscreen when there is no display).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import qrcode
from escpos.printer import Dummy
from PIL import Image
from PySide6.QtCore import QCoreApplication, QRect, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QFontMetrics,
    QImage,
    QPainter,
    QPen,
)
from PySide6.QtWidgets import QApplication

from hub.qtype import draw_line
from kiosk.errors import KioskError
from kiosk.ticket import (
    CELL_HEIGHT,
    CELL_WIDTH,
    QR_MODULE_DOTS,
    GapBlock,
    PrintedLine,
    PrintMode,
    QrBlock,
    Role,
    RuleBlock,
    TextBlock,
    TextStyle,
    TicketContent,
    char_columns,
    paper_dots,
    rule_text,
    text_columns,
    text_lines,
    ticket_layout,
    wrap_text,
)

logger = logging.getLogger(__name__)

FONT_FAMILY = "WenQuanYi Micro Hei"
FONT_FILES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/wqy-microhei/wqy-microhei.ttc"),
)
#: The printer's default line spacing (ESC 2): 1/6 inch, 34 dots at 203 dpi.
LINE_FEED_DOTS = 34
#: Lines fed by python-escpos's ``cut()`` before it cuts (``ESC d 6``).
CUT_FEED_LINES = 6

_app: QApplication | None = None


def ensure_qt_app() -> QCoreApplication:
    """The running Qt application, or a new one (``offscreen`` when there is no display).

    Qt draws no text before a :class:`QGuiApplication` exists; call this first.
    """
    global _app
    instance = QCoreApplication.instance()
    if instance is not None:
        return instance
    has_display = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    if not os.environ.get("QT_QPA_PLATFORM") and not has_display:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    # a QApplication (a QGuiApplication that also allows widgets), so a GUI started later in
    # the same process finds a usable instance
    _app = QApplication([])
    return _app


@cache
def font_family() -> str:
    """WenQuanYi Micro Hei, loaded from its file if fontconfig does not list it, or else any
    installed font that covers Simplified Chinese."""
    ensure_qt_app()
    if FONT_FAMILY in QFontDatabase.families():
        return FONT_FAMILY
    for path in FONT_FILES:
        if path.exists():
            families = QFontDatabase.applicationFontFamilies(
                QFontDatabase.addApplicationFont(str(path))
            )
            if families:
                return families[0]
    chinese = QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese)
    if chinese:
        logger.warning("%s is not installed; drawing tickets with %s", FONT_FAMILY, chinese[0])
        return chinese[0]
    raise KioskError(f"no Chinese font to draw tickets with: install {FONT_FAMILY}")


def ticket_font(pixel_size: int, bold: bool = False) -> QFont:
    font = QFont(font_family())
    font.setPixelSize(pixel_size)
    font.setBold(bold)
    font.setHintingPreference(QFont.HintingPreference.PreferFullHinting)
    return font


# --- image mode --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageStyle:
    """A role's type in image mode, in dots on 58 mm paper (80 mm scales it up)."""

    pixels: int
    bold: bool = False


IMAGE_STYLES: dict[Role, ImageStyle] = {
    Role.TITLE: ImageStyle(30, bold=True),
    Role.SUBTITLE: ImageStyle(22),
    Role.SERVICE: ImageStyle(44, bold=True),
    Role.SERVICE_SUB: ImageStyle(24),
    Role.LABEL: ImageStyle(22),
    Role.NUMBER: ImageStyle(150, bold=True),
    Role.TAG: ImageStyle(26, bold=True),
    Role.BODY: ImageStyle(28, bold=True),
    Role.BODY_SUB: ImageStyle(22),
    Role.SMALL: ImageStyle(22),
    Role.NOTICE: ImageStyle(24),
    Role.NOTICE_SUB: ImageStyle(22),
}
_MARGIN = 8
_SCALE = {58: 1.0, 80: 1.3}


@dataclass(frozen=True)
class _Op:
    """One thing to draw at a height: a line of text, a dashed rule or a QR code."""

    kind: str
    top: int
    height: int
    text: str = ""
    font: QFont | None = None
    align: str = "center"
    invert: bool = False


def _image_font(block: TextBlock, paper: int, width: int) -> QFont:
    style = IMAGE_STYLES[block.role]
    pixels = round(style.pixels * _SCALE[paper])
    font = ticket_font(pixels, style.bold)
    # the number as large as fits, never wrapped; names shrink a little to stay on one line
    smallest = {Role.NUMBER: 24, Role.SERVICE: 30, Role.TITLE: 22}.get(block.role, pixels)
    while pixels > smallest and QFontMetrics(font).horizontalAdvance(block.text) > width:
        pixels -= 2
        font = ticket_font(pixels, style.bold)
    return font


def _qr_matrix(data: str) -> list[list[bool]]:
    """The QR symbol's modules, error correction M, no quiet zone."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(data)
    code.make(fit=True)
    return [[bool(cell) for cell in row] for row in code.get_matrix()]


def ticket_image(content: TicketContent, paper: int = 58) -> QImage:
    """The whole ticket drawn for image mode: black and white, ``paper_dots(paper)`` wide."""
    width = paper_dots(paper)
    inner = width - 2 * _MARGIN
    ensure_qt_app()
    ops: list[_Op] = []
    y = _MARGIN
    module = QR_MODULE_DOTS[paper]
    for block in ticket_layout(content).blocks:
        if isinstance(block, TextBlock):
            font = _image_font(block, paper, inner)
            metrics = QFontMetrics(font)
            invert = block.role is Role.TAG
            limit = inner - (16 if invert else 0)
            lines = wrap_text(block.text, limit, metrics.horizontalAdvance)
            step = metrics.height() + (8 if invert else max(2, metrics.height() // 8))
            if block.role is Role.NUMBER:
                step = metrics.ascent() + metrics.descent() // 2
            for line in lines:
                ops.append(_Op("text", y, step, line, font, block.align, invert))
                y += step
            if block.align == "left":
                y += 6
        elif isinstance(block, RuleBlock):
            ops.append(_Op("rule", y + 10, 2))
            y += 22
        elif isinstance(block, QrBlock):
            size = len(_qr_matrix(block.data)) * module
            y += 2 * module
            ops.append(_Op("qr", y, size, block.data))
            y += size + 2 * module
        elif isinstance(block, GapBlock):
            y += 12
    height = y + 3 * _MARGIN
    image = QImage(width, height, QImage.Format.Format_Grayscale8)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
    for op in ops:
        _draw_op(painter, op, width, inner, module)
    painter.end()
    return monochrome(image)


def _draw_op(painter: QPainter, op: _Op, width: int, inner: int, module: int) -> None:
    if op.kind == "rule":
        pen = QPen(QColor("black"), op.height)
        pen.setDashPattern([4, 2])
        painter.setPen(pen)
        painter.drawLine(_MARGIN, op.top, width - _MARGIN, op.top)
        return
    if op.kind == "qr":
        _draw_qr(painter, op.text, width, op.top, module)
        return
    assert op.font is not None
    align = Qt.AlignmentFlag.AlignLeft if op.align == "left" else Qt.AlignmentFlag.AlignHCenter
    rect = QRectF(_MARGIN, op.top, inner, op.height)
    ink = QColor("black")
    if op.invert:
        text_width = QFontMetrics(op.font).horizontalAdvance(op.text) + 16
        box = QRect((width - text_width) // 2, op.top + 2, text_width, op.height - 4)
        painter.fillRect(box, ink)
        ink = QColor("white")
    draw_line(painter, rect, align, op.text, op.font, ink)


def monochrome(image: QImage) -> QImage:
    """``image`` in pure black (0) and white (255), as 8-bit grey: each dot is burnt or not."""
    mono = image.convertToFormat(
        QImage.Format.Format_Mono,
        Qt.ImageConversionFlag.ThresholdDither | Qt.ImageConversionFlag.MonoOnly,
    )
    return mono.convertToFormat(QImage.Format.Format_Grayscale8)


# --- text mode preview -------------------------------------------------------------------------


def text_preview_image(content: TicketContent, paper: int = 58) -> QImage:
    """What a text-mode ticket looks like: the printer's lines drawn in its font cells."""
    width = paper_dots(paper)
    ensure_qt_app()
    module = QR_MODULE_DOTS[paper]
    rows: list[PrintedLine | QrBlock | None] = []  # None: a line feed with nothing printed
    for block in ticket_layout(content).blocks:
        if isinstance(block, TextBlock):
            rows.extend(text_lines(block, paper))
        elif isinstance(block, RuleBlock):
            rows.append(PrintedLine(rule_text(paper), TextStyle(), "left"))
        elif isinstance(block, QrBlock):
            rows.extend([block, None])
        else:
            rows.append(None)
    rows.extend([None] * CUT_FEED_LINES)
    height = sum(_row_height(row, module) for row in rows)
    image = QImage(width, height, QImage.Format.Format_Grayscale8)
    image.fill(QColor("white"))
    painter = QPainter(image)
    y = 0
    for row in rows:
        if isinstance(row, PrintedLine):
            _draw_printer_line(painter, row, width, y, _row_height(row, module))
        elif isinstance(row, QrBlock):
            _draw_qr(painter, row.data, width, y, module)
        y += _row_height(row, module)
    painter.end()
    return monochrome(image)


def _row_height(row: PrintedLine | QrBlock | None, module: int) -> int:
    """Dots the paper moves for a row: a line is at least the line spacing, and taller when
    magnified; a QR symbol is as tall as its modules."""
    if isinstance(row, PrintedLine):
        return max(LINE_FEED_DOTS, CELL_HEIGHT * row.style.height)
    if isinstance(row, QrBlock):
        return len(_qr_matrix(row.data)) * module
    return LINE_FEED_DOTS


def _draw_qr(painter: QPainter, data: str, width: int, top: int, module: int) -> None:
    matrix = _qr_matrix(data)
    left = (width - len(matrix) * module) // 2
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                painter.fillRect(left + c * module, top + r * module, module, module,
                                 QColor("black"))


def _draw_printer_line(
    painter: QPainter, line: PrintedLine, width: int, top: int, advance: int
) -> None:
    style = line.style
    line_width = text_columns(line.text) * CELL_WIDTH * style.width
    left = (width - line_width) // 2 if line.align == "center" else 0
    cells_height = CELL_HEIGHT * style.height
    cells_top = top + advance - cells_height  # characters sit on the line's baseline
    if style.invert:
        painter.fillRect(left, cells_top, line_width, cells_height, QColor("black"))
    painter.save()
    painter.setPen(QColor("white" if style.invert else "black"))
    font = ticket_font(CELL_HEIGHT - 2, style.bold)
    metrics = QFontMetrics(font)
    painter.setFont(font)
    painter.translate(left, cells_top)
    painter.scale(style.width, style.height)
    x = 0
    for char in line.text:
        cell = CELL_WIDTH * char_columns(char)
        glyph = metrics.horizontalAdvance(char)
        painter.save()
        painter.translate(x, 0)
        if glyph > cell:  # the printer's font A is narrow: squeeze wide Latin letters (m, W)
            painter.scale(cell / glyph, 1)
            cell = glyph
        painter.drawText(QRect(0, 0, cell, CELL_HEIGHT), int(Qt.AlignmentFlag.AlignCenter), char)
        painter.restore()
        x += CELL_WIDTH * char_columns(char)
    painter.restore()


# --- both --------------------------------------------------------------------------------------


def preview_image(content: TicketContent, mode: PrintMode, paper: int = 58) -> QImage:
    """What the paper will look like in ``mode``."""
    if mode is PrintMode.IMAGE:
        return ticket_image(content, paper)
    return text_preview_image(content, paper)


def to_pil(image: QImage) -> Image.Image:
    """A black-and-white QImage as a Pillow ``L`` image (same dots)."""
    grey = image.convertToFormat(QImage.Format.Format_Grayscale8)
    data = bytes(grey.constBits())
    return Image.frombuffer(
        "L", (grey.width(), grey.height()), data, "raw", "L", grey.bytesPerLine(), 1
    ).copy()


def image_escpos(image: QImage) -> bytes:
    """``ESC @``, the image as ``GS v 0`` raster(s), then feed and cut."""
    printer = Dummy()
    # python-escpos print()s a warning for a profile with no paper width: give it this image's
    # (on this instance only; the profile's class data stays shared and untouched).
    profile = printer.profile
    profile.profile_data = {
        **profile.profile_data,
        "media": {"width": {"pixels": image.width()}, "dpi": 203},
    }
    printer.hw("INIT")
    printer.image(to_pil(monochrome(image)), impl="bitImageRaster")
    printer.cut()
    return bytes(printer.output)
