"""Large bold type, which Qt draws thin: for the tickets, the hall's screens and every app.

Qt draws type of 64 px and more as outlines, and then leaves out the bold it makes up for a
font that has no bold face of its own, such as WenQuanYi Micro Hei (the hall's Chinese font): a
display's "A012" and a ticket's number came out as thin as regular type. Such text is drawn
here as its outline, filled and stroked.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QFontInfo,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QLabel

#: the size from which Qt draws glyphs as outlines rather than from its glyph cache
OUTLINE_PX = 64
#: the stroke around the outline, as a share of the type's size: about the weight Qt adds
STROKE_SHARE = 1 / 24


@cache
def _has_bold_face(family: str) -> bool:
    return any("bold" in style.lower() for style in QFontDatabase.styles(family))


def pixels(font: QFont) -> int:
    """The size of ``font`` in pixels, also when it was given in points (style sheets' "pt")."""
    return font.pixelSize() if font.pixelSize() > 0 else QFontInfo(font).pixelSize()


def stroked_bold(font: QFont) -> bool:
    """Whether bold ``font`` must be emboldened by hand: this large, and with no bold face."""
    return font.bold() and pixels(font) >= OUTLINE_PX and not _has_bold_face(font.family())


def draw_stroked(painter: QPainter, box: QRectF, align: Qt.AlignmentFlag, text: str,
                 font: QFont, colour: QColor) -> None:
    """``text`` on one line in ``box``, placed as ``drawText`` places it (left, centred or right;
    its line centred upright), as its outline filled and stroked in ``colour``."""
    metrics = QFontMetricsF(font)
    advance = metrics.horizontalAdvance(text)
    if align & Qt.AlignmentFlag.AlignHCenter:
        x = box.left() + (box.width() - advance) / 2
    elif align & Qt.AlignmentFlag.AlignRight:
        x = box.right() - advance
    else:
        x = box.left()
    baseline = box.top() + (box.height() - metrics.height()) / 2 + metrics.ascent()
    path = QPainterPath()
    path.addText(x, baseline, font, text)
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.fillPath(path, colour)
    painter.strokePath(path, QPen(colour, pixels(font) * STROKE_SHARE, Qt.PenStyle.SolidLine,
                                  Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
    painter.restore()


def draw_line(painter: QPainter, box: QRectF, align: Qt.AlignmentFlag, text: str, font: QFont,
              colour: QColor) -> None:
    """``text`` on one line in ``box`` (vertically centred): ``drawText``, or stroked when Qt
    would lose its bold."""
    if stroked_bold(font):
        draw_stroked(painter, box, align, text, font, colour)
        return
    painter.setFont(font)
    painter.setPen(colour)
    painter.drawText(box, int(align | Qt.AlignmentFlag.AlignVCenter), text)


class BoldLabel(QLabel):
    """A label whose large bold type stays bold: a line of it that fits is drawn as its outline,
    stroked; anything else (wrapped lines, rich text) as Qt draws it."""

    def paintEvent(self, event: QPaintEvent) -> None:
        font, text = self.font(), self.text()
        box = QRectF(self.contentsRect())
        if (stroked_bold(font) and text and "\n" not in text and "<" not in text
                and self.alignment() & Qt.AlignmentFlag.AlignVCenter
                and QFontMetricsF(font).horizontalAdvance(text) <= box.width()):
            painter = QPainter(self)
            draw_line(painter, box, self.alignment() & Qt.AlignmentFlag.AlignHorizontal_Mask,
                      text, font, self.palette().color(self.foregroundRole()))
            painter.end()
            return
        super().paintEvent(event)
