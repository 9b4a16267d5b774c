"""How the voice reads ticket numbers, windows and desk announcements."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from display.errors import BadCall
from display.speech import (
    ZH_DIGITS,
    Sentence,
    call_sentence,
    cardinal_zh,
    check_window,
    message_sentence,
    parse_ticket,
    spoken_text,
    spoken_ticket,
    spoken_window,
)

UNITS = "一二三四五六七八九"


def tens_zh(n: int) -> str:
    """Chinese for 1..99 written out by the schoolbook rule, independently of the code."""
    tens, units = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else UNITS[tens - 1] + "十")
    return head + ("" if units == 0 else UNITS[units - 1])


@pytest.mark.parametrize("window", range(1, 100))
def test_every_window_1_to_99_is_read_as_a_number_in_chinese(window: int) -> None:
    assert spoken_window(window, "zh") == f"{tens_zh(window)}号窗口"


@pytest.mark.parametrize(
    ("window", "words"),
    [
        (1, "一号窗口"),
        (5, "五号窗口"),
        (10, "十号窗口"),
        (11, "十一号窗口"),
        (12, "十二号窗口"),
        (20, "二十号窗口"),
        (21, "二十一号窗口"),
        (99, "九十九号窗口"),
        (100, "一百号窗口"),
        (101, "一百零一号窗口"),
        (110, "一百一十号窗口"),
        (999, "九百九十九号窗口"),
    ],
)
def test_windows_in_chinese(window: int, words: str) -> None:
    assert spoken_window(window, "zh") == words


@pytest.mark.parametrize(("window", "words"), [(1, "window 1"), (12, "window 12"), (999, "window 999")])
def test_windows_in_english_are_left_as_numbers(window: int, words: str) -> None:
    assert spoken_window(window, "en") == words


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "零"),
        (1000, "一千"),
        (1005, "一千零五"),
        (1010, "一千零一十"),
        (1100, "一千一百"),
        (2019, "二千零一十九"),
        (9999, "九千九百九十九"),
    ],
)
def test_cardinal_numbers_in_chinese(n: int, words: str) -> None:
    assert cardinal_zh(n) == words


@pytest.mark.parametrize(
    ("number", "zh", "en"),
    [
        ("A012", "A零一二号", "A, zero, one, two"),
        ("A001", "A零零一号", "A, zero, zero, one"),
        ("A1000", "A一零零零号", "A, one, zero, zero, zero"),
        ("B7", "B七号", "B, seven"),
        ("AB305", "AB三零五号", "A, B, three, zero, five"),
        ("012", "零一二号", "zero, one, two"),
        ("9", "九号", "nine"),
    ],
)
def test_tickets_are_read_digit_by_digit(number: str, zh: str, en: str) -> None:
    assert spoken_ticket(number, "zh") == zh
    assert spoken_ticket(number, "en") == en


def test_numbers_past_9999_are_read_digit_by_digit() -> None:
    """The hub numbers on past A999 (A1000, ...); a day past A9999 is unlikely, not refused."""
    assert spoken_ticket("A10000", "zh") == "A一零零零零号"
    assert call_sentence("B123456", 5, "en").spoken.startswith("Number B, one, two, three")
    assert "一零零零零" in spoken_text("请A10000号到1号窗口", "zh")


@pytest.mark.parametrize("number", ["", "A", "a012", "ABC1", "A1234567", "A-12", "A 12", "Ａ12",
                                    "١٢"])
def test_numbers_that_are_not_tickets_are_refused(number: str) -> None:
    with pytest.raises(BadCall):
        parse_ticket(number)
    with pytest.raises(BadCall):
        call_sentence(number, 5, "zh")


@pytest.mark.parametrize("window", [0, -1, 1000, True])
def test_windows_outside_1_to_999_are_refused(window: int) -> None:
    with pytest.raises(BadCall):
        check_window(window)
    with pytest.raises(BadCall):
        call_sentence("A012", window, "zh")


def test_the_chinese_call_shows_the_number_as_written_and_says_it_digit_by_digit() -> None:
    assert call_sentence("A012", 5, "zh") == Sentence(
        lang="zh", text="请A012号到5号窗口办理", spoken="请A零一二号到五号窗口办理"
    )
    assert call_sentence("A1000", 12, "zh").spoken == "请A一零零零号到十二号窗口办理"


def test_the_english_call() -> None:
    assert call_sentence("A012", 5, "en") == Sentence(
        lang="en",
        text="Number A012, please go to window 5",
        spoken="Number A, zero, one, two, please go to window 5.",
    )


@given(
    prefix=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", max_size=2),
    digits=st.text(alphabet="0123456789", min_size=1, max_size=4),
)
def test_a_spoken_chinese_ticket_reads_back_to_the_same_number(prefix: str, digits: str) -> None:
    spoken = spoken_ticket(prefix + digits, "zh")
    assert spoken.startswith(prefix) and spoken.endswith("号")
    body = spoken[len(prefix) : -1]
    assert "".join(str(ZH_DIGITS.index(c)) for c in body) == digits


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("请A012号到5号窗口办理", "请A零一二号到五号窗口办理"),
        ("大厅17:30关闭", "大厅十七点三十分关闭"),
        ("九点前请到1号窗口，9:00开始", "九点前请到一号窗口，九点整开始"),
        ("8:05开门", "八点零五分开门"),
        ("咨询电话 0571-88886666", "咨询电话 零五七一-八八八八六六六六"),
        ("2025年新政策", "二零二五年新政策"),
        ("约需2.5小时，已等候15分钟", "约需二点五小时，已等候十五分钟"),
        ("今天共办理1200件", "今天共办理一千二百件"),
        ("没有数字", "没有数字"),
    ],
)
def test_desk_announcements_in_chinese(text: str, spoken: str) -> None:
    assert spoken_text(text, "zh") == spoken
    assert message_sentence(text, "zh") == Sentence("zh", text, spoken)


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("Number A012 to window 5", "Number A, zero, one, two to window 5"),
        ("The hall closes at 17:30", "The hall closes at 17:30"),
        ("Call 0571 88886666", "Call zero five seven one eight eight eight eight six six six six"),
        ("Wait 15 minutes", "Wait 15 minutes"),
    ],
)
def test_desk_announcements_in_english(text: str, spoken: str) -> None:
    assert spoken_text(text, "en") == spoken


def test_another_language_is_left_as_written() -> None:
    assert spoken_text("Nummer A012", "de") == "Nummer A012"
    assert spoken_ticket("A012", "de") == "A 0 1 2"
