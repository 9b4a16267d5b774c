"""The paper ticket: its bytes decoded back to text, QR data and dots, and its preview images."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QFontMetrics, QImage, QPainter

from hub.i18n import tr
from hub.qtype import stroked_bold
from kiosk.raster import (
    _draw_op,
    _Op,
    ensure_qt_app,
    font_family,
    preview_image,
    ticket_font,
    ticket_image,
)
from kiosk.ticket import (
    PrintMode,
    Role,
    TextBlock,
    TicketContent,
    paper_columns,
    text_columns,
    ticket_bytes,
    ticket_layout,
    wrap_columns,
)
from tests.kiosk.escpos_decode import Decoded, Raster, decode

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "kiosk"
PAPERS = (58, 80)

TICKET = TicketContent(
    hall_name="县政务服务中心",
    hall_name_en="County Government Service Center",
    service_name="户籍业务",
    service_name_en="Household registration",
    number="A012",
    ticket_id="T20261123-A012-7f3c",
    ahead=3,
    est_wait_min=24,
    issued_at=datetime(2026, 11, 23, 1, 12, tzinfo=UTC),  # 09:12 in Shanghai
    languages=("zh", "en"),
    priority="green",
    timezone="Asia/Shanghai",
)


@pytest.fixture(scope="module", autouse=True)
def qt() -> None:
    ensure_qt_app()


def squash(text: str) -> str:
    """Text without whitespace: wrapped lines compare equal to the unwrapped string."""
    return re.sub(r"\s+", "", text)


def image_dots(image: QImage) -> list[list[bool]]:
    """True where a (thresholded) image is black."""
    grey = image.convertToFormat(QImage.Format.Format_Grayscale8)
    return [[grey.pixelColor(x, y).value() < 128 for x in range(grey.width())]
            for y in range(grey.height())]


def raster_image(raster: Raster) -> QImage:
    image = QImage(raster.width, raster.height, QImage.Format.Format_Grayscale8)
    for y, row in enumerate(raster.rows):
        for x, dark in enumerate(row):
            image.setPixel(x, y, 0 if dark else 255)
    return image


def read_qr(image: QImage) -> list[str]:
    zxingcpp = pytest.importorskip("zxingcpp")
    from kiosk.raster import to_pil

    return [result.text for result in zxingcpp.read_barcodes(to_pil(image))]


# --- text mode -------------------------------------------------------------------------------


@pytest.mark.parametrize("paper", PAPERS)
def test_text_ticket_decodes_to_its_words_and_qr(paper: int) -> None:
    decoded = decode(ticket_bytes(TICKET, PrintMode.TEXT, paper))
    text = decoded.text
    for words in ("县政务服务中心", "County Government Service Center", "户籍业务",
                  "Household registration", "A012", "您前面还有 3 人", "预计等候约 24 分钟",
                  "3 people ahead of you", "about 24 min", "绿色通道", "Green channel",
                  "2026-11-23 09:12", "取号时间："):
        assert words in text
    for lang in ("zh", "en"):
        for key in ("ticket.keep", "ticket.missed"):
            assert squash(tr(lang, key)) in squash(text)
    assert "?" not in text.replace("Missed your number?", "")
    assert decoded.qr_codes == [TICKET.ticket_id]
    assert decoded.cuts == 1


def test_text_ticket_is_chinese_mode_gbk_and_ends_with_a_cut() -> None:
    data = ticket_bytes(TICKET, PrintMode.TEXT, 58)
    decoded = decode(data)
    assert data.startswith(b"\x1b@\x1c&")  # ESC @, then FS &: Chinese character mode
    assert decoded.commands[:2] == ["ESC @", "FS &"]
    assert decoded.commands[-1] == "GS V"
    assert "县政务服务中心".encode("gbk") in data
    assert "取号时间：".encode("gbk") in data  # CJK punctuation too, not the library's "?"
    assert "县".encode() not in data  # no UTF-8 text


def test_without_chinese_mode_the_decoder_sees_mojibake() -> None:
    data = ticket_bytes(TICKET, PrintMode.TEXT, 58).replace(b"\x1c&", b"", 1)
    assert "县政务服务中心" not in decode(data).text


@pytest.mark.parametrize("paper", PAPERS)
def test_number_is_the_largest_type_and_no_line_overflows(paper: int) -> None:
    decoded = decode(ticket_bytes(TICKET, PrintMode.TEXT, paper))
    number = next(line for line in decoded.lines if line.text == "A012")
    others = [line for line in decoded.lines if line.text and line is not number]
    assert number.style.height > max(line.style.height for line in others)
    assert number.style.width > max(line.style.width for line in others)
    assert number.style.bold and number.style.align == "center"
    for line in decoded.lines:
        assert text_columns(line.text) * line.style.width <= paper_columns(paper), line.text


def test_hall_name_with_control_characters_prints_no_stray_commands() -> None:
    content = replace(TICKET, hall_name="县政务\x1bd\x05服务中心")
    decoded = decode(ticket_bytes(content, PrintMode.TEXT, 58))
    assert "县政务 d 服务中心" in decoded.text
    assert decoded.commands.count("ESC d") == 1  # only the feed before the cut


def test_issue_time_is_hall_local_time() -> None:
    content = replace(TICKET, issued_at=datetime(2026, 11, 23, 16, 30, tzinfo=UTC))
    assert "2026-11-24 00:30" in decode(ticket_bytes(content, PrintMode.TEXT, 58)).text


def test_chinese_only_hall_prints_no_english() -> None:
    content = replace(TICKET, languages=("zh",), priority="normal")
    text = decode(ticket_bytes(content, PrintMode.TEXT, 58)).text
    assert "户籍业务" in text and "Household" not in text and "guidance" not in text
    assert "绿色通道" not in text


def test_nobody_ahead_says_so_and_gives_no_wait() -> None:
    content = replace(TICKET, ahead=0, est_wait_min=0)
    text = decode(ticket_bytes(content, PrintMode.TEXT, 58)).text
    assert tr("zh", "ticket.ahead_none") in text
    assert "预计等候" not in text
    one = decode(ticket_bytes(replace(TICKET, ahead=1), PrintMode.TEXT, 58)).text
    assert "1 person ahead of you" in one


def test_english_first_hall_leads_with_english() -> None:
    content = replace(TICKET, languages=("en", "zh"))
    layout = ticket_layout(content).blocks
    titles = [b for b in layout if isinstance(b, TextBlock) and b.role is Role.TITLE]
    assert [t.text for t in titles] == ["County Government Service Center"]


def test_ticket_content_needs_an_aware_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        replace(TICKET, issued_at=datetime(2026, 11, 23, 9, 12))


def test_wrapping_keeps_words_and_punctuation() -> None:
    lines = wrap_columns("请妥善保管本票，听到叫号后到相应窗口办理。", 10)
    assert all(text_columns(line) <= 10 for line in lines)
    assert not any(line[0] in "，。" for line in lines)
    assert "".join(lines) == "请妥善保管本票，听到叫号后到相应窗口办理。"
    english = wrap_columns("Missed your number? Bring this ticket to the desk.", 16)
    assert english == ["Missed your", "number? Bring", "this ticket to", "the desk."]


# --- image mode ------------------------------------------------------------------------------


@pytest.mark.parametrize("paper", PAPERS)
def test_image_ticket_raster_is_the_preview_dot_for_dot(paper: int) -> None:
    decoded: Decoded = decode(ticket_bytes(TICKET, PrintMode.IMAGE, paper))
    raster = decoded.image()
    preview = ticket_image(TICKET, paper)
    assert raster.width == preview.width() == {58: 384, 80: 576}[paper]
    assert raster.rows == image_dots(preview)
    assert decoded.text.strip() == ""  # nothing but the picture
    assert decoded.commands[0] == "ESC @" and decoded.commands[-1] == "GS V"
    black = sum(map(sum, raster.rows))
    assert 0.04 < black / (raster.width * raster.height) < 0.5


@pytest.mark.parametrize("paper", PAPERS)
def test_qr_code_on_paper_scans_to_the_ticket_id(paper: int) -> None:
    raster = decode(ticket_bytes(TICKET, PrintMode.IMAGE, paper)).image()
    assert read_qr(raster_image(raster)) == [TICKET.ticket_id]
    assert read_qr(preview_image(TICKET, PrintMode.TEXT, paper)) == [TICKET.ticket_id]


def test_the_font_has_every_character_of_the_ticket() -> None:
    assert "WenQuanYi" in font_family()
    metrics = QFontMetrics(ticket_font(24))
    words = [b.text for b in ticket_layout(TICKET).blocks if isinstance(b, TextBlock)]
    missing = {c for c in "".join(words) if not c.isspace() and not metrics.inFontUcs4(ord(c))}
    assert not missing


@pytest.mark.parametrize("mode", list(PrintMode))
@pytest.mark.parametrize("paper", PAPERS)
def test_preview_images_for_a_person_to_look_at(mode: PrintMode, paper: int) -> None:
    image = preview_image(TICKET, mode, paper)
    assert image.width() == {58: 384, 80: 576}[paper]
    assert image.height() > image.width()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert image.save(str(ARTIFACTS / f"ticket-{mode.value}-{paper}.png"))
    grey = image.convertToFormat(QImage.Format.Format_Grayscale8)
    shades = {grey.pixelColor(x, y).value() for y in range(0, grey.height(), 3)
              for x in range(grey.width())}
    assert shades == {0, 255}  # a thermal head burns a dot or not


def test_long_service_name_stays_on_one_line_at_double_height() -> None:
    content = replace(TICKET, service_name="人力资源和社会保障", number="AB1024")
    decoded = decode(ticket_bytes(content, PrintMode.TEXT, 58))
    service = next(line for line in decoded.lines if "人力资源" in line.text)
    assert service.text == "人力资源和社会保障"
    assert (service.style.width, service.style.height) == (1, 2)
    number = next(line for line in decoded.lines if line.text == "AB1024")
    assert text_columns("AB1024") * number.style.width <= paper_columns(58)


def _ink(font_bold: bool) -> int:
    """Dark dots of "A012" drawn as the ticket draws its number, 150 px type."""
    image = QImage(560, 200, QImage.Format.Format_Grayscale8)
    image.fill(QColor("white"))
    painter = QPainter(image)
    _draw_op(painter, _Op("text", 0, 200, "A012", ticket_font(150, font_bold)), 560, 544, 4)
    painter.end()
    return sum(1 for y in range(200) for x in range(560) if image.pixelColor(x, y).value() < 128)


def test_the_big_number_is_bold_on_paper() -> None:
    """Qt draws type over 64 px as outlines, without the bold it makes up for a font that has
    no bold face (WenQuanYi): the number came out as thin as regular type."""
    assert stroked_bold(ticket_font(150, True)) and not stroked_bold(ticket_font(40, True))
    assert _ink(True) > 1.25 * _ink(False)
