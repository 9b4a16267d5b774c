"""What the hall's voice says: ticket numbers, windows and sentences, as plain text.

Pure functions, no engine and no I/O. Each sentence comes in two forms: ``text``, shown on a
screen as written (``请A012号到5号窗口办理``), and ``spoken``, the words a speech engine reads well
(``请A零一二号到五号窗口办理``). A ticket number is read digit by digit, the way a hall calls it;
a window number is read as a number::

    >>> spoken_ticket("A012", "zh"), spoken_window(12, "zh")
    ('A零一二号', '十二号窗口')
    >>> spoken_ticket("A012", "en"), spoken_window(12, "en")
    ('A, zero, one, two', 'window 12')

Languages other than Chinese and English fall back to the digits as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from display.errors import BadCall
from hub.i18n import tr

# numbers run A001..A999 and on (A1000, ...): up to six digits, more than a hall issues a day
TICKET_DIGITS_MAX = 6
TICKET = re.compile(rf"([A-Z]{{0,2}})([0-9]{{1,{TICKET_DIGITS_MAX}}})", re.ASCII)
WINDOW_MIN, WINDOW_MAX = 1, 999

ZH_DIGITS = "零一二三四五六七八九"
EN_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")

# Free text: a ticket number (letters glued to digits), a clock time, a decimal, any digit run.
_TEXT_TICKET = re.compile(
    rf"(?<![A-Za-z0-9])([A-Z]{{1,2}})(\d{{1,{TICKET_DIGITS_MAX}}})(?![0-9])", re.ASCII)
_TEXT_TIME = re.compile(r"(?<![0-9])([01]?\d|2[0-3])[:：]([0-5]\d)(?![0-9])", re.ASCII)
_TEXT_DECIMAL = re.compile(r"(?<![0-9.])(\d{1,4})\.(\d+)(?![0-9.])", re.ASCII)
_TEXT_YEAR = re.compile(r"(?<![0-9])(\d{4})(?=年)", re.ASCII)
_TEXT_DIGITS = re.compile(r"\d+", re.ASCII)


@dataclass(frozen=True)
class Sentence:
    """One sentence in one language: ``text`` to show, ``spoken`` to synthesise."""

    lang: str
    text: str
    spoken: str


def parse_ticket(number: str) -> tuple[str, str]:
    """Split a ticket number into its prefix and digits: ``"A012" -> ("A", "012")``.

    A number is 0-2 capital letters followed by 1-6 digits; anything else is a ``BadCall``.
    """
    match = TICKET.fullmatch(number)
    if match is None:
        raise BadCall(f"ticket number {number!r} is not 1-2 capital letters and 1-"
                      f"{TICKET_DIGITS_MAX} digits (like A012)")
    return match.group(1), match.group(2)


def check_window(window: int) -> int:
    """The window number itself if it is in 1..999, else a ``BadCall``."""
    if isinstance(window, bool) or not isinstance(window, int):
        raise BadCall(f"window {window!r} is not a whole number")
    if not WINDOW_MIN <= window <= WINDOW_MAX:
        raise BadCall(f"window {window} is not between {WINDOW_MIN} and {WINDOW_MAX}")
    return window


def digits_zh(digits: str) -> str:
    """Digits read one by one in Chinese: ``"012" -> "零一二"``."""
    return "".join(ZH_DIGITS[int(d)] for d in digits)


def digits_en(digits: str, sep: str = ", ") -> str:
    """Digits read one by one in English: ``"012" -> "zero, one, two"``."""
    return sep.join(EN_DIGITS[int(d)] for d in digits)


def cardinal_zh(n: int) -> str:
    """A number 0..9999 as Chinese words: 5 -> 五, 12 -> 十二, 20 -> 二十, 105 -> 一百零五."""
    if not 0 <= n <= 9999:
        raise ValueError(f"{n} is outside 0..9999")
    if n == 0:
        return ZH_DIGITS[0]
    words: list[str] = []
    pending_zero = False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = n // value % 10
        if digit == 0:
            pending_zero = bool(words)
            continue
        if pending_zero:
            words.append(ZH_DIGITS[0])
            pending_zero = False
        if not (value == 10 and digit == 1 and not words):  # 十二, not 一十二
            words.append(ZH_DIGITS[digit])
        words.append(unit)
    return "".join(words)


def spoken_ticket(number: str, lang: str) -> str:
    """How the voice reads a ticket number: zh ``A零一二号``, en ``A, zero, one, two``."""
    prefix, digits = parse_ticket(number)
    if lang == "zh":
        return tr(lang, "display.ticket_spoken", number=prefix + digits_zh(digits))
    if lang == "en":
        return tr(lang, "display.ticket_spoken", number=", ".join([*prefix, digits_en(digits)]))
    return " ".join([*prefix, *digits])


def spoken_window(window: int, lang: str) -> str:
    """How the voice reads a window: zh ``十二号窗口``, en ``window 12``."""
    check_window(window)
    if lang == "zh":
        return tr(lang, "display.window_spoken", window=cardinal_zh(window))
    return tr(lang, "display.window_spoken", window=window)


def call_sentence(number: str, window: int, lang: str) -> Sentence:
    """The sentence that calls ticket ``number`` to ``window`` in ``lang``."""
    parse_ticket(number)
    check_window(window)
    return Sentence(
        lang=lang,
        text=tr(lang, "display.call", number=number, window=window),
        spoken=tr(
            lang,
            "display.call_spoken",
            number=spoken_ticket(number, lang),
            window=spoken_window(window, lang),
        ),
    )


def spoken_text(text: str, lang: str) -> str:
    """Free text (a desk announcement) with its numbers written out the way a voice reads them.

    Ticket numbers (A012) are read digit by digit; so is any digit run with a leading zero or of
    five digits or more (a phone number). In Chinese, other numbers become words (15 -> 十五,
    15:30 -> 十五点三十分, 2.5 -> 二点五, 2025年 -> 二零二五年); English numbers are left to
    the engine, which reads them well.
    """
    if lang == "zh":
        return _spoken_text_zh(text)
    if lang == "en":
        return _spoken_text_en(text)
    return text


def message_sentence(text: str, lang: str) -> Sentence:
    """A desk announcement in ``lang``: shown as written, spoken with its numbers normalised."""
    return Sentence(lang=lang, text=text, spoken=spoken_text(text, lang))


def _reads_digit_by_digit(digits: str) -> bool:
    return len(digits) >= 5 or (len(digits) > 1 and digits.startswith("0"))


def _spoken_text_zh(text: str) -> str:
    text = _TEXT_TICKET.sub(lambda m: m.group(1) + digits_zh(m.group(2)), text)

    def clock(m: re.Match[str]) -> str:
        hour, minute = int(m.group(1)), int(m.group(2))
        if minute == 0:
            return f"{cardinal_zh(hour)}点整"
        minutes = cardinal_zh(minute) if minute >= 10 else ZH_DIGITS[0] + cardinal_zh(minute)
        return f"{cardinal_zh(hour)}点{minutes}分"

    text = _TEXT_TIME.sub(clock, text)
    text = _TEXT_DECIMAL.sub(lambda m: f"{_number_zh(m.group(1))}点{digits_zh(m.group(2))}", text)
    text = _TEXT_YEAR.sub(lambda m: digits_zh(m.group(1)), text)
    return _TEXT_DIGITS.sub(lambda m: _number_zh(m.group(0)), text)


def _number_zh(digits: str) -> str:
    if _reads_digit_by_digit(digits):
        return digits_zh(digits)
    return cardinal_zh(int(digits))


def _spoken_text_en(text: str) -> str:
    text = _TEXT_TICKET.sub(lambda m: ", ".join([*m.group(1), digits_en(m.group(2))]), text)
    return _TEXT_DIGITS.sub(
        lambda m: digits_en(m.group(0), " ") if _reads_digit_by_digit(m.group(0)) else m.group(0),
        text,
    )
