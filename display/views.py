"""The screens: one widget that paints whichever mode's view-model it is given.

Everything is laid out in fractions of the screen and every line of text is shrunk until it fits
its box, so nothing clips on 1920x1080 landscape or 1080x1920 portrait (or any size between).
The widget only wires signals and paints: what to show comes from ``display.model``.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QRect, QRectF, Qt, QTimer
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import QWidget

from display.model import (
    CallRow,
    DisplayModel,
    HallScreen,
    Header,
    QueueRow,
    Text,
    WindowCard,
    WindowScreen,
    ZoneScreen,
)
from hub.qtype import draw_line

logger = logging.getLogger(__name__)

FONT_FAMILY = "WenQuanYi Micro Hei"
MARK = "\x01"  # around the parts of a sentence painted in the accent colour
END_MARK = "\x02"

Screen = HallScreen | WindowScreen | ZoneScreen


class Colours:
    """The board's colours: dark blue ground, white words, gold numbers, red for news."""

    background: QColor = QColor("#0b1e3a")
    panel: QColor = QColor("#132c52")
    panel_edge: QColor = QColor("#23467a")
    text: QColor = QColor("#ffffff")
    soft: QColor = QColor("#b8c6dc")
    accent: QColor = QColor("#ffd84d")  # ticket numbers
    fresh: QColor = QColor("#c0262d")  # the newest call, while it is news
    fresh_edge: QColor = QColor("#ffd84d")
    warn: QColor = QColor("#ffb020")  # paused, reconnecting
    dim: QColor = QColor("#6d7d96")  # calls shown while cut off from the hub
    closed: QColor = QColor("#4a5a74")


COLOURS = Colours()


def font(px: float, bold: bool = False) -> QFont:
    f = QFont(FONT_FAMILY)
    f.setPixelSize(max(1, int(px)))
    f.setBold(bold)
    return f


def fitted(text: str, box: QRectF, px: float, bold: bool = False, min_px: float = 8,
           min_share: float = 0.0) -> QFont:
    """The largest font up to ``px`` in which ``text`` fits ``box`` on one line, but no smaller
    than ``min_px`` nor than ``min_share`` of the largest the box takes."""
    px = min(px, box.height() * 0.92)
    min_px = max(min_px, px * min_share)
    while True:
        f = font(px, bold)
        if px <= min_px or QFontMetricsF(f).horizontalAdvance(text) <= box.width():
            return f
        px = max(min_px, px * 0.92)


#: A long text shrinks to fit its box down to this share of its size, and is then cut with
#: "…": a whole window name in 8 px is not read across a hall. Ticket numbers are never cut.
SHRINK_LIMIT = 0.55
#: A name that fits on one line at this share of its size stays on one line; else it may take
#: two lines, where its box has room for them.
ONE_LINE_SHARE = 0.8
#: A line must not start with these (a name wraps before the word, not before its comma).
NO_LINE_START = "）)]】」』、，,。.：:；;！!？?·・"


def common_px(texts: Sequence[str], box: QRectF, px: float, bold: bool = False,
              floor_share: float = SHRINK_LIMIT) -> float:
    """One size for a column of texts (all in boxes like ``box``): the one the longest of them
    allows, among those that fit at ``ONE_LINE_SHARE`` of the box's natural size or more. A
    longer text does not make the others small: it shrinks alone, down to ``floor_share`` of
    the natural size (``draw_text``'s floor), and is cut if it must."""
    natural = min(px, box.height() * 0.92)
    sizes = [fitted(t, box, px, bold).pixelSize() for t in texts if t]
    most = [size for size in sizes if size >= natural * ONE_LINE_SHARE]
    return float(min(most)) if most else max(natural * floor_share, float(max(sizes, default=1)))


def cut_count(texts: Sequence[str], box: QRectF, px: float, bold: bool = False,
              floor_share: float = SHRINK_LIMIT) -> int:
    """How many of ``texts`` do not fit ``box`` even at the floor (``common_px``): cut."""
    floor = min(px, box.height() * 0.92) * floor_share
    return sum(1 for t in texts if t and fitted(t, box, px, bold).pixelSize() < floor)


def draw_text(p: QPainter, box: QRectF, text: str, px: float, colour: QColor, *,
              bold: bool = False, align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft,
              floor: float | None = None, cut: str | None = None) -> float:
    """Draw ``text`` on one line in ``box``, shrunk to fit down to ``floor`` px (default: the
    SHRINK_LIMIT share of ``px``), then cut with "…". With ``cut`` (a part of ``text``, such as
    a clerk's name), only that part is cut and the rest is kept whole (a staff number is never
    cut), shrunk further if it must be. Returns the size drawn in (0: not drawn)."""
    if not text or box.width() <= 0 or box.height() <= 0:
        return 0.0
    f = fitted(text, box, px, bold, min_px=floor if floor is not None else 8,
               min_share=0.0 if floor is not None else SHRINK_LIMIT)
    metrics = QFontMetricsF(f)
    if metrics.horizontalAdvance(text) <= box.width():
        shown = text
    elif cut and cut in text:
        head, _, tail = text.partition(cut)
        kept = f"{head}…{tail}"
        if metrics.horizontalAdvance(kept) > box.width():
            f = fitted(kept, box, f.pixelSize(), bold, min_px=1)
            metrics = QFontMetricsF(f)
        room = box.width() - metrics.horizontalAdvance(head + tail)
        shown = head + metrics.elidedText(cut, Qt.TextElideMode.ElideRight, room) + tail
        if cut not in shown and "…" not in shown:  # no room even for "…"
            shown = kept
    else:
        shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, box.width())
    draw_line(p, box, align, shown, f, colour)
    return float(f.pixelSize())


def draw_number(p: QPainter, box: QRectF, number: str, px: float, colour: QColor, *,
                align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft) -> float:
    """A ticket number, bold, as large as ``px`` and never cut: shrunk until it fits, however
    long it is (a citizen reads their number whole or not at all). Returns its size."""
    if not number or box.width() <= 0 or box.height() <= 0:
        return 0.0
    f = fitted(number, box, px, True, min_px=1)
    draw_line(p, box, align, number, f, colour)
    return float(f.pixelSize())


def wrap_two(text: str, f: QFont, width: float) -> list[str] | None:
    """``text`` on one line, or on two of ``width`` in ``f`` (broken at a space if it has
    spaces, else between two characters, never before punctuation), the two as even as can be;
    None if it does not fit two lines."""
    metrics = QFontMetricsF(f)
    if metrics.horizontalAdvance(text) <= width:
        return [text]
    if " " in text.strip():
        breaks = [(text[:i].rstrip(), text[i + 1:].lstrip()) for i, c in enumerate(text) if c == " "]
    else:
        breaks = [(text[:i], text[i:]) for i in range(1, len(text)) if text[i] not in NO_LINE_START]
    best: tuple[float, list[str]] | None = None
    for first, second in breaks:
        if not first or not second:
            continue
        widest = max(metrics.horizontalAdvance(first), metrics.horizontalAdvance(second))
        if widest <= width and (best is None or widest < best[0]):
            best = (widest, [first, second])
    return best[1] if best else None


def draw_name(p: QPainter, box: QRectF, room: QRectF, text: Text, colour: QColor, *,
              bold: bool = False, split: float = 0.62) -> None:
    """A name (primary language large, second smaller) laid out in ``box`` as ``draw_two``
    would; a name that would have to shrink a lot may instead take two lines, larger, reaching
    down into ``room`` (``box`` and the free space below it): the primary language first, then
    the second too if there is room for both."""
    top, bottom = two_boxes(box, split)
    primary = _two_lines(text.primary, box.width(), top.height(), bold)
    if primary is None:
        draw_two(p, box, text, colour, bold=bold, split=split)
        return
    lines, px = primary
    line_h = px / 0.92
    below_h = bottom.height()
    second: tuple[list[str], float] | None = None
    if text.secondary:
        second = _two_lines(text.secondary, box.width(), min(below_h, line_h * 0.85), False)
        if second is not None and len(lines) * line_h + len(second[0]) * second[1] / 0.92 > room.height():
            second = None  # the second language on one line, as draw_two puts it
    needed = len(lines) * line_h + (len(second[0]) * second[1] / 0.92 if second else below_h if
                                     text.secondary else 0.0)
    if needed > room.height() + 0.5:
        draw_two(p, box, text, colour, bold=bold, split=split)
        return
    y = box.top()
    for line in lines:
        draw_text(p, QRectF(box.left(), y, box.width(), line_h), line, px, colour, bold=bold)
        y += line_h
    if not text.secondary:
        return
    if second is None:
        draw_text(p, QRectF(box.left(), y, box.width(), below_h), text.secondary,
                  min(below_h * 0.85, px), COLOURS.soft)
        return
    for line in second[0]:
        h = second[1] / 0.92
        draw_text(p, QRectF(box.left(), y, box.width(), h), line, second[1], COLOURS.soft)
        y += h


def _two_lines(words: str, width: float, line_h: float, bold: bool) -> tuple[list[str], float] | None:
    """``words`` in two lines of ``width``, at the largest size (up to what a line ``line_h`` high
    takes) at which they fit, if that is clearly larger than on one line; else None (one line
    it is, shrunk and cut if it must)."""
    px = line_h * 0.92
    one = fitted(words, QRectF(0, 0, width, line_h), px, bold, min_px=1).pixelSize()
    if one >= px * ONE_LINE_SHARE:
        return None
    size = px
    while size > one * 1.15:
        wrapped = wrap_two(words, font(size, bold), width)
        if wrapped is not None:
            return wrapped, size
        size *= 0.94
    return None


def draw_marked(p: QPainter, box: QRectF, text: str, px: float, colour: QColor, accent: QColor,
                *, bold: bool = True, align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignHCenter) -> None:
    """One line whose parts between MARK and END_MARK are painted in ``accent``."""
    parts: list[tuple[str, bool]] = []
    for i, chunk in enumerate(text.split(MARK)):
        marked, _, rest = chunk.partition(END_MARK) if i else ("", "", chunk)
        if marked:
            parts.append((marked, True))
        if rest:
            parts.append((rest, False))
    plain = "".join(t for t, _ in parts)
    f = fitted(plain, box, px, bold)
    metrics = QFontMetricsF(f)
    width = metrics.horizontalAdvance(plain)
    centred = align == Qt.AlignmentFlag.AlignHCenter
    x = box.left() + (box.width() - width) / 2 if centred else box.left()
    for chunk, accented in parts:
        advance = metrics.horizontalAdvance(chunk)
        draw_line(p, QRectF(x, box.top(), advance + 2, box.height()), Qt.AlignmentFlag.AlignLeft,
                  chunk, f, accent if accented else colour)
        x += advance


def two_boxes(box: QRectF, split: float) -> tuple[QRectF, QRectF]:
    top = QRectF(box.left(), box.top(), box.width(), box.height() * split)
    return top, QRectF(box.left(), top.bottom(), box.width(), box.height() - top.height())


def draw_two(p: QPainter, box: QRectF, text: Text, colour: QColor, *, bold: bool = False,
             align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft, split: float = 0.62,
             second: QColor | None = None, px: tuple[float, float] | None = None,
             floor: tuple[float, float] | None = None, cut: str | None = None) -> None:
    """Primary language on top (large), second language below (smaller); ``px`` caps the two
    sizes (to give a column of names one size), ``floor`` is the least each shrinks to before
    it is cut, and ``cut`` the part of both lines that may be cut (see ``draw_text``)."""
    if not text.secondary:
        draw_text(p, box, text.primary, px[0] / split if px else box.height(), colour, bold=bold,
                  align=align, floor=floor[0] if floor else None, cut=cut)
        return
    top, bottom = two_boxes(box, split)
    used = draw_text(p, top, text.primary, px[0] if px else top.height(), colour, bold=bold,
                     align=align, floor=floor[0] if floor else None, cut=cut)
    below = px[1] if px else bottom.height() * 0.85
    if used:  # the second language never outgrows the first
        below = min(below, used)
    draw_text(p, bottom, text.secondary, below, second or COLOURS.soft, align=align,
              floor=min(floor[1], below) if floor else None, cut=cut)


#: A line must not end with these (a reason wraps before its bracket, not after it).
NO_LINE_END = "（([【「『"


def _breakable(text: str, i: int) -> bool:
    """Whether a line may end before ``text[i]``: at a space, or next to a Chinese character."""
    before, after = text[i - 1], text[i]
    if after in NO_LINE_START or before in NO_LINE_END:
        return False
    return " " in (before, after) or before >= "\u2e80" or after >= "\u2e80"


def wrap_lines(text: str, f: QFont, width: float, most: int | None = None) -> list[str]:
    """``text`` broken into lines of ``width`` in ``f``, each as full as it can be (at a space or
    between Chinese characters; a word wider than a line is broken where it must); with ``most``,
    no more lines than that, the last cut with "…" if text is left over."""
    metrics = QFontMetricsF(f)
    lines: list[str] = []
    rest = text.strip()
    while rest:
        if most is not None and len(lines) == most - 1:
            lines.append(metrics.elidedText(rest, Qt.TextElideMode.ElideRight, width))
            break
        if metrics.horizontalAdvance(rest) <= width:
            lines.append(rest)
            break
        low, high = 1, len(rest)  # the longest head that fits
        while low < high:
            mid = (low + high + 1) // 2
            if metrics.horizontalAdvance(rest[:mid].rstrip()) <= width:
                low = mid
            else:
                high = mid - 1
        at = next((i for i in range(low, 0, -1) if _breakable(rest, i)), low)
        lines.append(rest[:at].rstrip())
        rest = rest[at:].lstrip()
    return lines


def draw_wrapped(p: QPainter, box: QRectF, room: QRectF, text: Text, colour: QColor, *,
                 bold: bool = False, align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft,
                 split: float = 0.62, second: QColor | None = None,
                 floor: tuple[float, float] | None = None, wrap_floor: float = SHRINK_LIMIT) -> None:
    """``text`` as ``draw_two`` draws it in ``box`` if neither language is cut there; else (a
    clerk's long typed pause reason) each language wraps onto as many lines as ``room`` (the
    free space around ``box``) has, centred in it, the first as large as lets it all fit but no
    smaller than ``wrap_floor`` of its size in ``box`` (the second no larger than the first), and
    only the last line that fits is cut with "…"."""
    top, bottom = two_boxes(box, split) if text.secondary else (box, QRectF())
    natural = top.height() * 0.92
    least = floor[0] if floor else natural * SHRINK_LIMIT
    natural2 = bottom.height() * 0.85
    least2 = floor[1] if floor else natural2 * SHRINK_LIMIT

    def cut(words: str, line: QRectF, px: float, least: float) -> bool:
        f = fitted(words, line, px, bold if line is top else False, min_px=least)
        return QFontMetricsF(f).horizontalAdvance(words) > line.width()

    if not cut(text.primary, top, natural, least) and not (
            text.secondary and cut(text.secondary, bottom, min(natural2, natural), least2)):
        draw_two(p, box, text, colour, bold=bold, align=align, split=split, second=second, floor=floor)
        return
    width = room.width()
    smallest = min(least, natural * wrap_floor)
    px = natural
    while True:
        px2 = min(natural2, px)
        first = wrap_lines(text.primary, font(px, bold), width)
        other = wrap_lines(text.secondary, font(px2), width) if text.secondary else []
        needed = len(first) * px / 0.92 + len(other) * px2 / 0.92
        if needed <= room.height() or px <= smallest:
            break
        px = max(smallest, px * 0.94)
    if needed > room.height():  # too long even at the least size: as many lines as there is room for
        other = wrap_lines(text.secondary, font(px2), width, 1) if text.secondary else []
        left = room.height() - len(other) * px2 / 0.92
        first = wrap_lines(text.primary, font(px, bold), width, max(1, int(left // (px / 0.92))))
        needed = len(first) * px / 0.92 + len(other) * px2 / 0.92
    y = room.top() + max(0.0, (room.height() - needed) / 2)
    for line in first:
        draw_text(p, QRectF(room.left(), y, width, px / 0.92), line, px, colour, bold=bold, align=align,
                  floor=1)
        y += px / 0.92
    for line in other:
        draw_text(p, QRectF(room.left(), y, width, px2 / 0.92), line, px2, second or COLOURS.soft,
                  align=align, floor=1)
        y += px2 / 0.92


def two_px(texts: Sequence[Text], box: QRectF, split: float, bold: bool = False) -> tuple[float, float]:
    """The two sizes that let every one of ``texts`` fit boxes like ``box`` (but for those too
    long even at the floor: see ``common_px``)."""
    top, bottom = two_boxes(box, split)
    return (common_px([t.primary for t in texts], top, top.height(), bold),
            common_px([t.secondary for t in texts], bottom, bottom.height() * 0.85))


def two_floor(box: QRectF, split: float, share: float = SHRINK_LIMIT) -> tuple[float, float]:
    """The least size the two lines of a box like ``box`` shrink to before they are cut."""
    top, bottom = two_boxes(box, split)
    return (top.height() * 0.92 * share, bottom.height() * 0.85 * share)


#: The clerk's name and staff number (亮身份) shrink to this share of their size before the
#: name is cut: a name of four parts ("阿卜杜热合曼·买买提明·艾尔肯江") is read whole, smaller.
CLERK_SHRINK_LIMIT = 0.3

#: What a window shows instead of a number ("暂停服务（午餐）") is drawn as large as the number's
#: box allows, which is very large: it may shrink further than a name before it is cut.
IDLE_SHRINK_LIMIT = 0.3


def panel(p: QPainter, box: QRectF, fill: QColor, edge: QColor | None = None, width: float = 2) -> None:
    radius = min(box.width(), box.height()) * 0.06
    p.setPen(QPen(edge, width) if edge is not None else Qt.PenStyle.NoPen)
    p.setBrush(fill)
    p.drawRoundedRect(box, radius, radius)
    p.setBrush(Qt.BrushStyle.NoBrush)


def inset(box: QRectF, dx: float, dy: float | None = None) -> QRectF:
    dy = dx if dy is None else dy
    return box.adjusted(dx, dy, -dx, -dy)


def rows(box: QRectF, fractions: Sequence[float]) -> list[QRectF]:
    """Split ``box`` top to bottom by ``fractions`` of its height."""
    out, y = [], box.top()
    for fraction in fractions:
        h = box.height() * fraction
        out.append(QRectF(box.left(), y, box.width(), h))
        y += h
    return out


def columns(box: QRectF, fractions: Sequence[float]) -> list[QRectF]:
    out, x = [], box.left()
    for fraction in fractions:
        w = box.width() * fraction
        out.append(QRectF(x, box.top(), w, box.height()))
        x += w
    return out


def grid(box: QRectF, count: int, cols: int, gap: float) -> list[QRectF]:
    if count <= 0:
        return []
    cols = max(1, min(cols, count))
    lines = math.ceil(count / cols)
    w = (box.width() - gap * (cols - 1)) / cols
    h = (box.height() - gap * (lines - 1)) / lines
    return [QRectF(box.left() + (i % cols) * (w + gap), box.top() + (i // cols) * (h + gap), w, h)
            for i in range(count)]


def mark(number: str) -> str:
    return f"{MARK}{number}{END_MARK}"


class BoardView(QWidget):
    """A full-screen board. ``build`` makes the view-model of this display's mode from the model's
    board; the view rebuilds it when the model changes and once a second (clock, highlight)."""

    def __init__(self, model: DisplayModel, build: Callable[[], Screen], *,
                 orientation: str = "auto", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.build = build
        self.orientation = orientation
        self.shown: Screen = build()
        self.ticker_offset = 0.0
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMinimumSize(320, 240)
        model.changed.connect(self.refresh)
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self.refresh)
        self._tick.start()
        self._scroll = QTimer(self)
        self._scroll.setInterval(40)
        self._scroll.timeout.connect(self._advance_ticker)
        self._scroll.start()

    def refresh(self) -> None:
        self.shown = self.build()
        self.update()

    def portrait(self) -> bool:
        if self.orientation == "auto":
            return self.height() > self.width()
        return self.orientation == "portrait"

    def _advance_ticker(self) -> None:
        if isinstance(self.shown, HallScreen):
            self.ticker_offset += max(2.0, min(self.width(), self.height()) / 360)
            self.update(self._ticker_rect())

    def _ticker_rect(self) -> QRect:
        """The part of the widget the ticker covers (all of it when the picture is turned)."""
        if self._turned():
            return self.rect()
        return hall_layout(QRectF(self.rect()))["ticker"].toAlignedRect()

    def _turned(self) -> bool:
        return self.orientation != "auto" and self.portrait() != (self.height() > self.width())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        try:
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
            w, h = float(self.width()), float(self.height())
            if self._turned():  # a screen mounted the other way round than its picture
                p.translate(w, 0)
                p.rotate(90)
                w, h = h, w
            box = QRectF(0, 0, w, h)
            screen = self.shown
            if isinstance(screen, HallScreen) and event.rect() == self._ticker_rect() != self.rect():
                # only the ticker moved: paint it alone (25 times a second, so keep it cheap)
                paint_ticker(p, hall_layout(box)["ticker"], screen.ticker, self.ticker_offset)
                return
            p.fillRect(box, COLOURS.background)
            if isinstance(screen, HallScreen):
                paint_hall(p, box, screen, self.ticker_offset)
            elif isinstance(screen, WindowScreen):
                paint_window(p, box, screen)
            else:
                paint_zone(p, box, screen)
        finally:
            p.end()


# ----------------------------------------------------------------------------------- header


def paint_header(p: QPainter, box: QRectF, header: Header, portrait: bool) -> None:
    pad = box.height() * 0.12
    inner = inset(box, pad * 1.5, pad)
    title, right = columns(inner, (0.62, 0.38) if not portrait else (0.58, 0.42))
    draw_two(p, title, header.title, COLOURS.text, bold=True)
    clock, date = rows(right, (0.62, 0.38))
    draw_text(p, clock, header.clock, clock.height(), COLOURS.text, bold=True,
              align=Qt.AlignmentFlag.AlignRight)
    draw_text(p, date, header.date, date.height() * 0.85, COLOURS.soft, align=Qt.AlignmentFlag.AlignRight)
    if header.status is not None:
        mark_box = QRectF(right.left(), clock.top(), right.width() * 0.55, clock.height())
        paint_status(p, mark_box, header.status)
    p.setPen(QPen(COLOURS.panel_edge, max(1.0, box.height() * 0.02)))
    p.drawLine(box.bottomLeft(), box.bottomRight())


def paint_status(p: QPainter, box: QRectF, status: Text) -> None:
    """The small "reconnecting" mark: discreet, but there."""
    text = f"⟳ {status.primary}" + (f" · {status.secondary}" if status.secondary else "")
    pill = QRectF(box.left(), box.top() + box.height() * 0.2, box.width(), box.height() * 0.6)
    panel(p, pill, QColor(0, 0, 0, 90), COLOURS.warn, 1.5)
    draw_text(p, inset(pill, pill.height() * 0.3, pill.height() * 0.12), text, pill.height() * 0.6,
              COLOURS.warn, align=Qt.AlignmentFlag.AlignHCenter)


# -------------------------------------------------------------------------------- hall mode


def hall_layout(box: QRectF) -> dict[str, QRectF]:
    """Where each part of the hall screen goes, landscape or portrait."""
    portrait = box.height() > box.width()
    if portrait:
        head, newest, recent, waiting, ticker = rows(box, (0.08, 0.21, 0.33, 0.32, 0.06))
    else:
        head, body, ticker = rows(box, (0.12, 0.81, 0.07))
        left, recent = columns(body, (0.6, 0.4))
        newest, waiting = rows(left, (0.44, 0.56))
    return {"head": head, "newest": newest, "recent": recent, "waiting": waiting, "ticker": ticker}


def paint_hall(p: QPainter, box: QRectF, screen: HallScreen, ticker_offset: float) -> None:
    portrait = box.height() > box.width()
    gap = min(box.width(), box.height()) * 0.02
    parts = hall_layout(box)
    paint_header(p, parts["head"], screen.header, portrait)
    stale = screen.header.stale
    paint_newest(p, inset(parts["newest"], gap, gap / 2), screen, stale)
    paint_recent(p, inset(parts["recent"], gap, gap / 2), screen, stale, cols=2 if portrait else 1)
    paint_queues(p, inset(parts["waiting"], gap, gap / 2), screen)
    paint_ticker(p, parts["ticker"], screen.ticker, ticker_offset)


def paint_newest(p: QPainter, box: QRectF, screen: HallScreen, stale: bool) -> None:
    call = screen.newest
    fresh = call is not None and call.fresh and not stale
    panel(p, box, COLOURS.fresh if fresh else COLOURS.panel,
          COLOURS.fresh_edge if fresh else COLOURS.panel_edge, max(2.0, box.height() * 0.015))
    inner = inset(box, box.width() * 0.04, box.height() * 0.07)
    if call is None:
        draw_two(p, inset(inner, 0, inner.height() * 0.25), screen.no_calls, COLOURS.soft,
                 align=Qt.AlignmentFlag.AlignHCenter)
        return
    label, sentence, second = rows(inner, (0.2, 0.5, 0.3))
    colour = COLOURS.dim if stale else COLOURS.text
    accent = COLOURS.dim if stale else COLOURS.accent
    draw_two(p, label, screen.now_calling, COLOURS.soft if not fresh else COLOURS.text,
             align=Qt.AlignmentFlag.AlignHCenter, split=0.58,
             second=COLOURS.soft if not fresh else COLOURS.text)
    marked = Text(
        mark_call(call.sentence.primary, call.number, call.window),
        call.sentence.secondary,
    )
    draw_marked(p, sentence, marked.primary, sentence.height(), colour, accent)
    second_colour = COLOURS.dim if stale else COLOURS.text if fresh else COLOURS.soft
    draw_text(p, inset(second, 0, second.height() * 0.1), marked.secondary, second.height() * 0.8,
              second_colour, align=Qt.AlignmentFlag.AlignHCenter)


def mark_call(sentence: str, number: str, window: int) -> str:
    """``sentence`` with the ticket number and, after it, the window number marked for accent."""
    at = sentence.find(number)
    if at < 0:
        return sentence
    head, tail = sentence[:at], sentence[at + len(number):]
    digits = str(window)
    w = tail.find(digits)
    if w >= 0:
        tail = f"{tail[:w]}{mark(digits)}{tail[w + len(digits):]}"
    return f"{head}{mark(number)}{tail}"


def paint_recent(p: QPainter, box: QRectF, screen: HallScreen, stale: bool, cols: int) -> None:
    panel(p, box, COLOURS.panel, COLOURS.panel_edge)
    inner = inset(box, box.width() * 0.04 / cols, box.height() * 0.03)
    title, body = rows(inner, (0.11, 0.89))
    draw_two(p, title, screen.recent_title, COLOURS.soft, bold=True, split=0.6)
    shown: list[CallRow] = screen.recent
    slots = 10 if cols == 2 else 9
    cells = grid(body, slots, cols, inner.height() * 0.012)
    if not shown:
        draw_text(p, QRectF(body.left(), body.top(), body.width(), body.height() * 0.15), "—",
                  body.height() * 0.08, COLOURS.dim, align=Qt.AlignmentFlag.AlignHCenter)
        return
    for cell, row in zip(cells, shown, strict=False):
        paint_call_row(p, cell, row, stale)


def paint_call_row(p: QPainter, box: QRectF, row: CallRow, stale: bool) -> None:
    if row.fresh and not stale:  # called moments ago: a red bar before the number
        p.fillRect(QRectF(box.left(), box.top() + box.height() * 0.15, box.width() * 0.012,
                          box.height() * 0.7), COLOURS.fresh_edge)
    p.setPen(QPen(COLOURS.panel_edge, 1))
    p.drawLine(box.bottomLeft(), box.bottomRight())
    number, arrow, window = columns(inset(box, box.width() * 0.03, box.height() * 0.1), (0.42, 0.1, 0.48))
    draw_number(p, number, row.number, number.height() * 0.8, COLOURS.dim if stale else COLOURS.accent)
    draw_text(p, arrow, "→", arrow.height() * 0.6, COLOURS.soft, align=Qt.AlignmentFlag.AlignHCenter)
    draw_two(p, window, row.window, COLOURS.dim if stale else COLOURS.text, bold=True, split=0.6)


def paint_queues(p: QPainter, box: QRectF, screen: HallScreen) -> None:
    """Every service's queue, in as many columns as give its names the largest letters."""
    panel(p, box, COLOURS.panel, COLOURS.panel_edge)
    inner = inset(box, box.width() * 0.025, box.height() * 0.04)
    title, body = rows(inner, (0.14, 0.86))
    draw_two(p, title, screen.waiting_title, COLOURS.soft, bold=True, split=0.6)
    queues: list[QueueRow] = screen.queues
    if not queues:
        return
    best: tuple[float, list[QRectF], tuple[tuple[float, float], tuple[float, float]],
                float] | None = None
    for cols in (1, 2, 3, 4):
        cells = grid(body, len(queues), cols, inner.width() * 0.015)
        share, count_sizes = count_share(cells[0], [q.wait for q in queues])
        name, _ = queue_boxes(cells[0], share)
        sizes = (two_px([q.name for q in queues], name, 0.6), count_sizes)
        score = min(sizes[0][0], sizes[1][0]) + min(sizes[0][1], sizes[1][1])
        top = two_boxes(name, 0.6)[0]
        cut = cut_count([q.name.primary for q in queues], top, top.height())
        score *= 1 - cut / len(queues)  # every name cut costs its share of the panel
        if best is None or score > best[0]:
            best = (score, cells, sizes, share)
    assert best is not None
    _, cells, sizes, share = best
    for cell, queue in zip(cells, queues, strict=False):
        paint_queue(p, cell, queue, sizes, screen.header.stale, share)


#: The share of a service's tile its waiting count takes, and the most it may take when a
#: count grows long ("1000 人等候" shrank to 10 px: the figure read when the line is longest).
COUNT_SHARE = 0.32
COUNT_SHARE_MOST = 0.46


def count_share(box: QRectF, counts: Sequence[Text]) -> tuple[float, tuple[float, float]]:
    """The share of a tile like ``box`` its counts take, and their two sizes: the sizes they
    take at ``COUNT_SHARE``, and the least share up to ``COUNT_SHARE_MOST`` in which the widest
    count is drawn at ``ONE_LINE_SHARE`` of the narrowest's size or more (the names give up the
    width; the other counts do not grow into it). Measured as ``draw_two`` draws them: on the
    top line of two, or across the box in a hall of one language."""
    sizes = two_px(counts, queue_boxes(box)[1], 0.6, True)
    if not counts:
        return COUNT_SHARE, sizes
    single = not any(c.secondary for c in counts)
    cap = sizes[0] / 0.6 if single else sizes[0]
    width = QFontMetricsF(font(100, True)).horizontalAdvance
    texts = sorted({c.primary for c in counts}, key=width)

    def size(text: str, share: float) -> int:
        room = queue_boxes(box, share)[1]
        return fitted(text, room if single else two_boxes(room, 0.6)[0], cap, True,
                      min_px=1).pixelSize()

    wanted = size(texts[0], COUNT_SHARE) * ONE_LINE_SHARE
    share = COUNT_SHARE
    while share < COUNT_SHARE_MOST and size(texts[-1], share) < wanted:
        share = min(COUNT_SHARE_MOST, share + 0.02)
    return share, sizes


def queue_boxes(box: QRectF, share: float = COUNT_SHARE) -> tuple[QRectF, QRectF]:
    name, count = columns(inset(box, box.height() * 0.12, box.height() * 0.1), (1 - share, share))
    return name, count.adjusted(count.width() * 0.04, 0, 0, 0)


def paint_queue(p: QPainter, box: QRectF, queue: QueueRow,
                sizes: tuple[tuple[float, float], tuple[float, float]], stale: bool,
                share: float = COUNT_SHARE) -> None:
    panel(p, box, COLOURS.background if queue.open else COLOURS.panel, COLOURS.panel_edge, 1)
    name, count = queue_boxes(box, share)
    draw_two(p, name, queue.name, COLOURS.text if queue.open else COLOURS.closed, split=0.6, px=sizes[0],
             floor=two_floor(name, 0.6))
    colour = COLOURS.dim if stale else COLOURS.accent if queue.open and queue.waiting else COLOURS.soft
    # a count is a number: shrunk as far as it must be, never cut ("1000 人…")
    draw_two(p, count, queue.wait, colour if queue.open else COLOURS.closed, bold=True,
             align=Qt.AlignmentFlag.AlignRight, split=0.6, px=sizes[1], floor=(1.0, 1.0))


def paint_ticker(p: QPainter, box: QRectF, text: str, offset: float) -> None:
    """The desk's announcements: still and centred when they fit, else scrolling right to left
    (starting in view, so a new message is readable at once), round and round."""
    p.fillRect(box, COLOURS.panel)
    inner = inset(box, box.width() * 0.02, box.height() * 0.15)
    f = font(inner.height() * 0.7)
    p.setFont(f)
    p.setPen(COLOURS.text)
    width = QFontMetricsF(f).horizontalAdvance(text)
    p.save()
    p.setClipRect(box)
    if width <= inner.width():
        p.drawText(inner, int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter), text)
    else:
        period = width + box.width() * 0.3
        x = inner.left() - offset % period
        flags = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        while x < box.right():
            p.drawText(QRectF(x, inner.top(), width + 4, inner.height()), flags, text)
            x += period
    p.restore()


# ------------------------------------------------------------------------------ window mode


def paint_window(p: QPainter, box: QRectF, screen: WindowScreen) -> None:
    portrait = box.height() > box.width()
    gap = min(box.width(), box.height()) * 0.03
    head, body = rows(box, (0.1 if portrait else 0.14, 0.9 if portrait else 0.86))
    paint_header(p, head, screen.header, portrait)
    body = inset(body, gap)
    stale = screen.header.stale
    if not screen.found:
        draw_two(p, inset(body, 0, body.height() * 0.35), screen.idle, COLOURS.soft,
                 align=Qt.AlignmentFlag.AlignHCenter)
        return
    if portrait:
        info, call = rows(body, (0.42, 0.58))
    else:
        info, call = columns(body, (0.45, 0.55))
        call = call.adjusted(gap, 0, 0, 0)
    name, state, clerk = rows(info, (0.42, 0.3, 0.28))
    name_box = inset(name, 0, name.height() * 0.08)
    if screen.state_text is not None and screen.calling is not None:  # else it shows on the right
        colour = COLOURS.warn if screen.state == "paused" else COLOURS.soft
        draw_wrapped(p, inset(state, 0, state.height() * 0.12), state, screen.state_text, colour,
                     bold=True)  # a long typed reason wraps in the state's row
        draw_two(p, name_box, screen.name, COLOURS.text, bold=True)
    else:  # a long name may take two lines, down into the state's free row
        room = QRectF(name_box.left(), name_box.top(), name_box.width(), state.bottom() - name_box.top())
        draw_name(p, name_box, room, screen.name, COLOURS.text, bold=True)
    if screen.clerk is not None:  # the staff number whole: a long name is cut instead
        if screen.photo is not None:  # 亮身份: the photo beside the name and staff number
            shown = draw_photo(p, inset(clerk, 0, clerk.height() * 0.08), screen.photo)
            clerk = clerk.adjusted(shown + gap if shown else 0, 0, 0, 0)
        clerk = inset(clerk, 0, clerk.height() * 0.15)  # 亮身份: a long name shrinks further
        draw_two(p, clerk, screen.clerk, COLOURS.soft,  # than others before it is cut
                 cut=screen.clerk_name or None, floor=two_floor(clerk, 0.62, CLERK_SHRINK_LIMIT))
    fresh = screen.fresh and not stale
    panel(p, call, COLOURS.fresh if fresh else COLOURS.panel,
          COLOURS.fresh_edge if fresh else COLOURS.panel_edge, max(2.0, call.height() * 0.012))
    label, number = rows(inset(call, call.width() * 0.05, call.height() * 0.06), (0.25, 0.75))
    if screen.calling is not None and screen.state != "closed":
        draw_two(p, label, screen.calling_label, COLOURS.text if fresh else COLOURS.soft,
                 align=Qt.AlignmentFlag.AlignHCenter)
        colour = COLOURS.dim if stale else (COLOURS.warn if screen.state == "paused" else COLOURS.accent)
        draw_number(p, number, screen.calling, number.height() * 0.8, colour,
                    align=Qt.AlignmentFlag.AlignHCenter)
    else:
        paused = screen.state == "paused"
        idle = inset(number, 0, number.height() * 0.2)
        room = QRectF(label.left(), label.top(), label.width(), number.bottom() - label.top())
        draw_wrapped(p, idle, room, screen.idle, COLOURS.warn if paused else COLOURS.soft, bold=paused,
                     align=Qt.AlignmentFlag.AlignHCenter, floor=two_floor(idle, 0.62, IDLE_SHRINK_LIMIT),
                     wrap_floor=IDLE_SHRINK_LIMIT)  # a long typed reason wraps in the whole panel


def draw_photo(p: QPainter, box: QRectF, path: Path) -> float:
    """A clerk's photo, as large as ``box`` allows at its own shape, at the box's left; the
    width it took (0: the file is not an image)."""
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return 0.0
    size = box.size().toSize()
    pixmap = _scaled_photo(str(path), mtime, size.width(), size.height())
    if pixmap.isNull():
        return 0.0
    p.drawPixmap(int(box.left()), int(box.top() + (box.height() - pixmap.height()) / 2), pixmap)
    return float(pixmap.width())


@functools.lru_cache(maxsize=16)
def _scaled_photo(path: str, mtime: float, width: int, height: int) -> QPixmap:
    """Read and scaled once for a size (the screen is painted every second); a photo
    replaced on disk is read again (``mtime``)."""
    pixmap = QPixmap(path)
    if pixmap.isNull():
        logger.warning("the clerk's photo %s is not an image this screen can read", path)
        return pixmap
    return pixmap.scaled(max(1, width), max(1, height), Qt.AspectRatioMode.KeepAspectRatio,
                         Qt.TransformationMode.SmoothTransformation)


# -------------------------------------------------------------------------------- zone mode


def paint_zone(p: QPainter, box: QRectF, screen: ZoneScreen) -> None:
    portrait = box.height() > box.width()
    gap = min(box.width(), box.height()) * 0.02
    head, body = rows(box, (0.08 if portrait else 0.12, 0.92 if portrait else 0.88))
    paint_header(p, head, screen.header, portrait)
    body = inset(body, gap)
    if not screen.found:
        draw_two(p, inset(body, 0, body.height() * 0.4), screen.missing, COLOURS.soft,
                 align=Qt.AlignmentFlag.AlignHCenter)
        return
    count = len(screen.cards)
    cols = (1 if count <= 3 else 2) if portrait else (count if count <= 3 else 3 if count <= 9 else 4)
    for cell, card in zip(grid(body, count, cols, gap), screen.cards, strict=False):
        paint_card(p, cell, card, screen.header.stale)


def paint_card(p: QPainter, box: QRectF, card: WindowCard, stale: bool) -> None:
    fresh = card.fresh and not stale
    panel(p, box, COLOURS.fresh if fresh else COLOURS.panel,
          COLOURS.fresh_edge if fresh else COLOURS.panel_edge, max(2.0, box.height() * 0.012))
    inner = inset(box, box.width() * 0.05, box.height() * 0.06)
    title, name, number = rows(inner, (0.24, 0.2, 0.56))
    draw_two(p, title, card.title, COLOURS.text, bold=True, align=Qt.AlignmentFlag.AlignHCenter)
    draw_two(p, name, card.name, COLOURS.soft, align=Qt.AlignmentFlag.AlignHCenter)
    if card.calling is not None:
        colour = COLOURS.dim if stale else (COLOURS.warn if card.state == "paused" and not fresh
                                            else COLOURS.accent)
        top = number if card.state_text is None else rows(number, (0.7, 0.3))[0]
        draw_number(p, inset(top, 0, top.height() * 0.05), card.calling, top.height() * 0.85, colour,
                    align=Qt.AlignmentFlag.AlignHCenter)
        if card.state_text is not None:
            draw_text(p, rows(number, (0.7, 0.3))[1], card.state_text.primary, number.height() * 0.2,
                      COLOURS.text if fresh else COLOURS.warn, bold=fresh,
                      align=Qt.AlignmentFlag.AlignHCenter)
    elif card.state_text is not None:
        paused = card.state == "paused"
        # a long typed reason wraps in the number's room, as small as a window's would go
        draw_wrapped(p, inset(number, 0, number.height() * 0.22), number, card.state_text,
                     COLOURS.warn if paused else COLOURS.soft, bold=paused,
                     align=Qt.AlignmentFlag.AlignHCenter, second=COLOURS.soft if paused else COLOURS.closed,
                     wrap_floor=IDLE_SHRINK_LIMIT)
    else:
        draw_text(p, inset(number, 0, number.height() * 0.25), "—", number.height() * 0.4, COLOURS.soft,
                  align=Qt.AlignmentFlag.AlignHCenter)
