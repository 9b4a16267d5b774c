"""Large bold type (hub/qtype.py): bold at any size, placed where drawText places it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter

from hub.qtype import OUTLINE_PX, draw_line, stroked_bold
from kiosk.raster import ensure_qt_app, font_family

BOX = QRectF(0, 0, 900, 240)


def drawn(px: int, bold: bool, align: Qt.AlignmentFlag, *, plain: bool = False) -> QImage:
    ensure_qt_app()
    font = QFont(font_family())
    font.setPixelSize(px)
    font.setBold(bold)
    image = QImage(900, 240, QImage.Format.Format_Grayscale8)
    image.fill(QColor("white"))
    painter = QPainter(image)
    if plain:  # what Qt itself draws
        painter.setFont(font)
        painter.setPen(QColor("black"))
        painter.drawText(BOX, int(align | Qt.AlignmentFlag.AlignVCenter), "请A012号")
    else:
        draw_line(painter, BOX, align, "请A012号", font, QColor("black"))
    painter.end()
    return image


def ink(image: QImage) -> int:
    return sum(1 for y in range(0, 240, 2) for x in range(0, 900, 2)
               if image.pixelColor(x, y).value() < 128)


def inked(image: QImage) -> QRect:
    xs = [x for x in range(900) for y in range(0, 240, 3) if image.pixelColor(x, y).value() < 128]
    ys = [y for y in range(240) for x in range(0, 900, 3) if image.pixelColor(x, y).value() < 128]
    return QRect(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))


@pytest.mark.parametrize("px", [OUTLINE_PX, 150])
def test_large_bold_type_is_bold(px: int) -> None:
    """Qt alone draws it as thin as regular type (the first assertion says so, so that this
    test notices the day Qt draws it bold itself and the stroke doubles the weight)."""
    left = Qt.AlignmentFlag.AlignLeft
    assert ink(drawn(px, True, left, plain=True)) < 1.05 * ink(drawn(px, False, left, plain=True))
    assert ink(drawn(px, True, left)) > 1.25 * ink(drawn(px, False, left))


def test_smaller_bold_type_is_left_to_qt() -> None:
    font = QFont(font_family())
    font.setPixelSize(OUTLINE_PX - 1)
    font.setBold(True)
    assert not stroked_bold(font)
    font.setPixelSize(OUTLINE_PX)
    assert stroked_bold(font)
    font.setBold(False)
    assert not stroked_bold(font)


@pytest.mark.parametrize("align", [Qt.AlignmentFlag.AlignLeft, Qt.AlignmentFlag.AlignHCenter,
                                   Qt.AlignmentFlag.AlignRight])
def test_stroked_type_sits_where_qt_would_put_it(align: Qt.AlignmentFlag) -> None:
    ours, qts = inked(drawn(150, True, align)), inked(drawn(150, True, align, plain=True))
    assert abs(ours.center().x() - qts.center().x()) <= 4
    assert abs(ours.center().y() - qts.center().y()) <= 4


def test_a_size_in_points_counts_in_pixels() -> None:
    """Style sheets in points ("60pt") leave pixelSize() at -1: the counter's number was thin."""
    ensure_qt_app()
    font = QFont(font_family())
    font.setPointSize(80)  # at least 80 px at any screen's 72 dpi or more
    font.setBold(True)
    assert font.pixelSize() == -1 and stroked_bold(font)
