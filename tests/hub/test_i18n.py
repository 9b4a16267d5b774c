"""The two catalogues say the same things: every key in both, with the same placeholders, so no
screen, ticket or announcement falls back to the other language's words or misses a figure."""

from __future__ import annotations

import string

import pytest

from hub.i18n import catalogue, languages, tr


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def test_chinese_comes_first_and_english_is_there() -> None:
    assert languages()[:1] == ["zh"]
    assert "en" in languages()


@pytest.mark.parametrize("lang", [lang for lang in languages() if lang != "zh"])
def test_every_key_is_in_every_language_with_the_same_placeholders(lang: str) -> None:
    zh, other = catalogue("zh"), catalogue(lang)
    assert sorted(set(zh) - set(other)) == [], f"missing in {lang}"
    assert sorted(set(other) - set(zh)) == [], "missing in zh"
    differ = {key: (placeholders(zh[key]), placeholders(other[key]))
              for key in zh if placeholders(zh[key]) != placeholders(other[key])}
    assert differ == {}


def test_a_missing_key_falls_back_to_its_name_and_a_bad_fit_to_the_template() -> None:
    assert tr("en", "desk.no_such_string") == "desk.no_such_string"
    assert tr("en", "desk.follow_done", at="10:05") == catalogue("en")["desk.follow_done"]


@pytest.mark.parametrize("lang", languages())
def test_every_printer_state_has_words_on_the_kiosk_and_at_the_desk(lang: str) -> None:
    from kiosk.printer_status import PrinterStatus

    words = catalogue(lang)
    missing = [key for status in PrinterStatus
               for key in (f"kiosk.printer_{status.value}", f"desk.device_status_{status.value}")
               if key not in words]
    assert missing == []


def test_a_share_is_rounded_down_to_whole_percent() -> None:
    """199 satisfied of 200 read "100%" beside a dissatisfied rating."""
    from hub.i18n import percent
    assert [percent(x) for x in (1, 199 / 200, 2 / 3, 0.29, 0.0)] == ["100%", "99%", "66%",
                                                                       "29%", "0%"]
