"""The paper ticket: what it says, how it is laid out, and the ESC/POS bytes that print it.

A ticket is laid out once, as a list of blocks (lines of text in a role, rules, a QR code), from
the :class:`TicketContent` the kiosk got from the hub. Two printers of that layout exist:

* text mode: the printer's own fonts. Chinese thermal printers carry a GB18030/GBK font that is
  used in "Chinese character mode" (``FS &``); in that mode every byte >= 0x80 starts a two-byte
  (or four-byte) GB18030 character, so all non-ASCII text is sent as GB18030 and the printer is
  switched to Chinese mode right after ``ESC @``. python-escpos 3.1 encodes a whole ``text()``
  call as GB18030 when it holds a Han character (U+4E00..U+9FA5) and otherwise goes through its
  single-byte code pages, which turn CJK punctuation such as "：" into "?"; :func:`_write` routes
  around that. Sizes come from ``GS !`` (which, unlike ``ESC !``, also enlarges Chinese), the QR
  code is the printer's own (``GS ( k``).
* image mode: the whole ticket drawn by Qt (:mod:`kiosk.raster`) and sent as one 1-bit raster
  (``GS v 0``), for printers without a Chinese font.

Both end with a feed and a paper cut. Encoding is pure bytes, made on python-escpos's ``Dummy``;
the backends in :mod:`kiosk.printer` only move them.
"""

from __future__ import annotations

import enum
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from escpos.constants import QR_ECLEVEL_M
from escpos.printer import Dummy

from hub.i18n import FALLBACK, languages, tr

logger = logging.getLogger(__name__)

Priority = Literal["normal", "green", "appointment"]
Paper = Literal[58, 80]
Align = Literal["left", "center"]

#: Printable width in dots at 203 dpi (8 dots/mm): 48 mm of a 58 mm roll, 72 mm of an 80 mm one.
PAPER_DOTS: dict[int, int] = {58: 384, 80: 576}
#: The printer's font A cell: 12 x 24 dots for ASCII, 24 x 24 for a Chinese character.
CELL_WIDTH = 12
CELL_HEIGHT = 24
#: Dots per QR module, per paper width (the same in both modes).
QR_MODULE_DOTS: dict[int, int] = {58: 6, 80: 8}
#: The biggest magnification of the ticket number (``GS !`` allows 1..8).
NUMBER_MAX_MAGNIFY: dict[int, int] = {58: 4, 80: 6}

FS_CHINESE_ON = b"\x1c&"  # FS & : select Chinese (Kanji) character mode
FS_CHINESE_OFF = b"\x1c."  # FS . : cancel it

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_LIBRARY_GB18030 = re.compile(r"[\u4e00-\u9fa5]")
_NO_LINE_START = set("，。、：；！？）》」』】,.;:!?)%")


class PrintMode(enum.Enum):
    """How the ticket is put on paper."""

    TEXT = "text"
    IMAGE = "image"


@dataclass(frozen=True)
class TicketContent:
    """Everything a ticket shows. Names come in the hall's languages; ``languages[0]`` leads."""

    hall_name: str
    service_name: str
    number: str
    ticket_id: str
    ahead: int
    est_wait_min: int
    issued_at: datetime
    hall_name_en: str | None = None
    service_name_en: str | None = None
    languages: Sequence[str] = ("zh", "en")
    priority: Priority = "normal"
    #: The hall's IANA zone: ``issued_at`` is printed in it (as given when None).
    timezone: str | None = None
    #: A ticket reprinted at the desk may be past waiting: called to ``window``, sent to it
    #: (``to_window``), or missed (``no_show``); a kiosk's is always "waiting".
    state: str = "waiting"
    window: int | None = None
    to_window: int | None = None

    def __post_init__(self) -> None:
        if self.issued_at.tzinfo is None:
            raise ValueError("issued_at must be timezone-aware")
        if not self.languages:
            raise ValueError("a ticket needs at least one language")
        if not self.number or not self.ticket_id:
            raise ValueError("a ticket needs a number and a ticket id")
        object.__setattr__(self, "languages", tuple(self.languages))

    @property
    def local_issued_at(self) -> datetime:
        """``issued_at`` in the hall's time."""
        if self.timezone is None:
            return self.issued_at
        return self.issued_at.astimezone(ZoneInfo(self.timezone))


# --- layout ------------------------------------------------------------------------------------


class Role(enum.Enum):
    """What a line of text is for; each printer maps a role to a size and weight."""

    TITLE = "title"  # hall name, first language
    SUBTITLE = "subtitle"  # hall name, other languages
    SERVICE = "service"
    SERVICE_SUB = "service_sub"
    LABEL = "label"  # "your number"
    NUMBER = "number"  # the largest type on the ticket
    TAG = "tag"  # green channel / appointment, white on black
    BODY = "body"  # people ahead, wait: first language
    BODY_SUB = "body_sub"
    SMALL = "small"  # time of issue
    NOTICE = "notice"
    NOTICE_SUB = "notice_sub"


@dataclass(frozen=True)
class TextBlock:
    text: str
    role: Role
    align: Align = "center"


@dataclass(frozen=True)
class RuleBlock:
    """A dashed line across the paper."""


@dataclass(frozen=True)
class QrBlock:
    data: str


@dataclass(frozen=True)
class GapBlock:
    """An empty line."""


Block = TextBlock | RuleBlock | QrBlock | GapBlock


@dataclass(frozen=True)
class TicketLayout:
    blocks: tuple[Block, ...]


def _in_language(lang: str, zh: str, en: str | None) -> str | None:
    if lang == "en":
        return en
    if lang == "zh":
        return zh
    return None


def _names(content: TicketContent, zh: str, en: str | None) -> list[str]:
    """A name in each of the ticket's languages, leading language first, without repeats."""
    names: list[str] = []
    for lang in content.languages:
        name = _in_language(lang, zh, en)  # a language without names here adds none
        if name and name not in names:
            names.append(name)
    return names or [zh]


def ticket_layout(content: TicketContent) -> TicketLayout:
    """The ticket as blocks, top to bottom. Pure: no Qt, no printer."""
    # languages with a catalogue only (another would repeat the fallback's Chinese)
    langs = [lang for lang in content.languages if lang in languages()] or [FALLBACK]
    blocks: list[Block] = []

    def localized(roles: tuple[Role, Role], texts: Sequence[str], align: Align = "center") -> None:
        for i, text in enumerate(texts):
            blocks.append(TextBlock(_clean(text), roles[0] if i == 0 else roles[1], align))

    localized((Role.TITLE, Role.SUBTITLE), _names(content, content.hall_name, content.hall_name_en))
    blocks.append(RuleBlock())
    localized(
        (Role.SERVICE, Role.SERVICE_SUB),
        _names(content, content.service_name, content.service_name_en),
    )
    if content.priority != "normal":
        key = f"ticket.priority_{content.priority}"
        blocks.append(TextBlock(" / ".join(dict.fromkeys(tr(lang, key) for lang in langs)), Role.TAG))
    blocks.append(GapBlock())
    blocks.append(
        TextBlock(" / ".join(dict.fromkeys(tr(lang, "ticket.your_number") for lang in langs)), Role.LABEL)
    )
    blocks.append(TextBlock(_clean(content.number), Role.NUMBER))
    for i, lang in enumerate(langs):
        role = Role.BODY if i == 0 else Role.BODY_SUB
        where = _where(lang, content)
        if where:  # a desk's reprint of a ticket past waiting: where to go, not who is ahead
            blocks.append(TextBlock(where, role))
            continue
        blocks.append(TextBlock(_ahead(lang, content.ahead), role))
        if content.to_window:
            blocks.append(TextBlock(tr(lang, "ticket.to_window", window=content.to_window), role))
        if content.ahead > 0:
            minutes = max(1, content.est_wait_min)
            blocks.append(TextBlock(tr(lang, "ticket.wait", minutes=minutes), role))
    blocks.append(GapBlock())
    blocks.append(QrBlock(content.ticket_id))
    when = content.local_issued_at.strftime("%Y-%m-%d %H:%M")
    blocks.append(TextBlock(tr(langs[0], "ticket.issued", time=when), Role.SMALL))
    blocks.append(RuleBlock())
    for i, lang in enumerate(langs):
        role = Role.NOTICE if i == 0 else Role.NOTICE_SUB
        blocks.append(TextBlock(tr(lang, "ticket.keep"), role, "left"))
        blocks.append(TextBlock(tr(lang, "ticket.missed"), role, "left"))
    return TicketLayout(tuple(blocks))


def _where(lang: str, content: TicketContent) -> str:
    """For a ticket called (or being served) at a window, or missed: what the citizen does now."""
    if content.state in ("called", "serving") and content.window:
        return tr(lang, "ticket.go_to_window", window=content.window)
    if content.state == "no_show":
        return tr(lang, "ticket.was_missed")
    return ""


def _ahead(lang: str, ahead: int) -> str:
    if ahead <= 0:
        return tr(lang, "ticket.ahead_none")
    if ahead == 1:
        return tr(lang, "ticket.ahead_one")
    return tr(lang, "ticket.ahead", ahead=ahead)


def _clean(text: str) -> str:
    """Text from the hall's configuration without control characters (no stray ESC/POS)."""
    return _CONTROL.sub(" ", text).strip()


# --- text mode: columns of the printer's font ----------------------------------------------------


def char_columns(char: str) -> int:
    """Columns a character takes in the printer's font: ASCII is half width, the rest (printed
    from the GB18030 font in Chinese mode) full width."""
    return 1 if char.isascii() else 2


def text_columns(text: str) -> int:
    return sum(char_columns(c) for c in text)


def wrap_columns(text: str, columns: int) -> list[str]:
    """Break ``text`` into lines of at most ``columns`` columns of the printer's font."""
    return wrap_text(text, columns, text_columns)


def wrap_text(text: str, limit: float, measure: Callable[[str], float]) -> list[str]:
    """Break ``text`` into lines no wider than ``limit`` as ``measure`` counts width.

    Latin words stay whole where they fit; Chinese breaks between any two characters, but a
    line never starts with closing punctuation (it pulls the character before it along).
    """
    tokens = re.findall(r"[!-~]+ *| +|[^\x00-\x7f] *", text)
    lines: list[str] = []
    line = ""
    for token in tokens:
        if measure((line + token).rstrip()) <= limit:
            line += token
            continue
        if token[0] in _NO_LINE_START and len(line) > 1 and not line[-1].isascii():
            lines.append(line[:-1].rstrip())
            line = line[-1] + token
            continue
        if line.strip():
            lines.append(line.rstrip())
        line = token.lstrip()
        while len(line) > 1 and measure(line.rstrip()) > limit:  # a word longer than a line
            cut = _fit(line, limit, measure)
            lines.append(line[:cut])
            line = line[cut:]
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


def _fit(text: str, limit: float, measure: Callable[[str], float]) -> int:
    """How many leading characters of ``text`` fit in ``limit`` (at least one)."""
    for i in range(2, len(text) + 1):
        if measure(text[:i]) > limit:
            return i - 1
    return len(text)


@dataclass(frozen=True)
class TextStyle:
    """How a role prints in the printer's font: ``GS !`` magnification, ``ESC E``, ``GS B``."""

    width: int = 1
    height: int = 1
    bold: bool = False
    invert: bool = False


TEXT_STYLES: dict[Role, TextStyle] = {
    Role.TITLE: TextStyle(1, 2, bold=True),
    Role.SUBTITLE: TextStyle(),
    Role.SERVICE: TextStyle(2, 2, bold=True),
    Role.SERVICE_SUB: TextStyle(),
    Role.LABEL: TextStyle(),
    Role.NUMBER: TextStyle(4, 4, bold=True),
    Role.TAG: TextStyle(1, 1, bold=True, invert=True),
    Role.BODY: TextStyle(1, 1, bold=True),
    Role.BODY_SUB: TextStyle(),
    Role.SMALL: TextStyle(),
    Role.NOTICE: TextStyle(),
    Role.NOTICE_SUB: TextStyle(),
}


def paper_columns(paper: int) -> int:
    """Font A columns across the paper: 32 on 58 mm, 48 on 80 mm."""
    return paper_dots(paper) // CELL_WIDTH


def paper_dots(paper: int) -> int:
    try:
        return PAPER_DOTS[paper]
    except KeyError:
        raise ValueError(f"paper must be 58 or 80 mm, not {paper!r}") from None


def text_style(block: TextBlock, paper: int) -> TextStyle:
    """The style of a block on this paper; big roles shrink so that they fit the width."""
    style = TEXT_STYLES[block.role]
    columns = paper_columns(paper)
    if block.role is Role.NUMBER:
        size = max(1, min(NUMBER_MAX_MAGNIFY[paper], columns // max(1, text_columns(block.text))))
        return TextStyle(size, size, bold=True)
    if block.role is Role.SERVICE and text_columns(block.text) * style.width > columns:
        return TextStyle(1, 2, bold=True)
    return style


@dataclass(frozen=True)
class PrintedLine:
    """One line as the printer will print it in text mode."""

    text: str
    style: TextStyle
    align: Align


def text_lines(block: TextBlock, paper: int) -> list[PrintedLine]:
    """A text block broken into the lines the printer prints."""
    style = text_style(block, paper)
    return [
        PrintedLine(line, style, block.align)
        for line in wrap_columns(block.text, paper_columns(paper) // style.width)
    ]


def rule_text(paper: int) -> str:
    return "-" * paper_columns(paper)


def _write(printer: Dummy, text: str) -> None:
    """Print ``text`` in Chinese character mode: ASCII as is, everything else as GB18030.

    Text with a Han character goes through python-escpos, which encodes it as GB18030 itself;
    other non-ASCII text (CJK punctuation, "…", "·") would fall to its single-byte code pages,
    so it is encoded here the same way the library encodes Chinese.
    """
    if text.isascii() or _LIBRARY_GB18030.search(text):
        printer.text(text)
    else:
        printer._raw(text.encode("gb18030", errors="replace"))


def _set_style(printer: Dummy, style: TextStyle, align: Align) -> None:
    printer.set(
        align=align,
        bold=style.bold,
        invert=style.invert,
        custom_size=True,
        width=style.width,
        height=style.height,
    )


def text_ticket_bytes(content: TicketContent, paper: int = 58) -> bytes:
    """The ticket in the printer's own fonts (Chinese mode, GB18030) with a native QR code."""
    printer = Dummy()
    printer.hw("INIT")
    printer._raw(FS_CHINESE_ON)
    for block in ticket_layout(content).blocks:
        if isinstance(block, TextBlock):
            for line in text_lines(block, paper):
                _set_style(printer, line.style, line.align)
                _write(printer, line.text + "\n")
        elif isinstance(block, RuleBlock):
            _set_style(printer, TextStyle(), "left")
            _write(printer, rule_text(paper) + "\n")
        elif isinstance(block, QrBlock):
            _set_style(printer, TextStyle(), "center")
            printer.qr(block.data, ec=QR_ECLEVEL_M, size=QR_MODULE_DOTS[paper], native=True)
            printer.ln()
        else:
            _set_style(printer, TextStyle(), "left")
            printer.ln()
    _set_style(printer, TextStyle(), "left")
    printer.cut()
    return bytes(printer.output)


def ticket_bytes(content: TicketContent, mode: PrintMode = PrintMode.TEXT, paper: int = 58) -> bytes:
    """The ESC/POS bytes that print ``content``: ``ESC @`` first, a paper cut last."""
    paper_dots(paper)
    if mode is PrintMode.TEXT:
        return text_ticket_bytes(content, paper)
    # Qt is loaded only when a ticket is drawn, so text-mode printing needs no Qt.
    from kiosk.raster import image_escpos, ticket_image

    return image_escpos(ticket_image(content, paper))
