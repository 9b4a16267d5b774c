"""The hall's TOML: the county hall loads; every kind of mistake is found, with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.config import check_hall, load_hall, parse_hall
from hub.errors import ConfigError
from tests.hubproc import COUNTY

TEXT = COUNTY.read_text(encoding="utf-8")


def test_county_hall_loads() -> None:
    hall = load_hall(COUNTY)
    assert hall.name == "县政务服务中心" and hall.languages == ("zh", "en")
    assert len(hall.departments) == 9 and len(hall.services) == 12 and len(hall.windows) == 12
    assert hall.windows[3].policy == "ordered" and hall.windows[1].policy == "fifo"
    assert hall.services["realty"].daily_quota == 120
    assert [f"{s.open:%H:%M}" for s in hall.services["marriage"].hours] == ["08:30", "14:00"]


def test_a_hall_saved_with_a_byte_order_mark_loads_and_checks_clean(tmp_path: Path) -> None:
    """Windows Notepad's "UTF-8" starts with EF BB BF; the hall is the same hall."""
    path = tmp_path / "hall.toml"
    path.write_text(TEXT, encoding="utf-8-sig")
    assert load_hall(path).name == "县政务服务中心"
    assert [p for p in check_hall(path) if not p.warning] == []


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    count = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            count += 1
            if count == occurrence:
                return number
    raise AssertionError(needle)


@pytest.mark.parametrize("old, new, message, needle", [
    ('prefix = "B"', 'prefix = "A"', "prefix 'A' is already used", 'prefix = "A"'),
    ('prefix = "B"', 'prefix = "b1"', "1 or 2 capital letters", 'prefix = "b1"'),
    ('id = "idcard"', 'id = "ID card"', "id must be 1-32", 'id = "ID card"'),
    ('department = "tax"', 'department = "taxes"', "department 'taxes' is not defined",
     'department = "taxes"'),
    ('serves = ["collect", "pay"]', 'serves = ["collect", "payment"]', "serves 'payment'",
     'serves = ["collect", "payment"]'),
    ('close = "17:30"', 'close = "25:00"', "not a time of day", 'close = "25:00"'),
    ('open = "09:00"', 'open = "13:00"', "opens at 13:00 but closes at 12:00", 'open = "13:00"'),
    ('timezone = "Asia/Shanghai"', 'timezone = "Mars/Olympus"', "not a known time zone",
     'timezone = "Mars/Olympus"'),
    # a folder of zones (it crashed check-config and serve with IsADirectoryError)
    ('timezone = "Asia/Shanghai"', 'timezone = "Asia"', "not a known time zone",
     'timezone = "Asia"'),
    ('policy = "ordered"', 'policy = "random"', 'policy must be "fifo" or "ordered"',
     'policy = "random"'),
    ("minutes = 25", "minutes = -5", "minutes must be a number of minutes above 0", "minutes = -5"),
    ("minutes = 25", "minutes = nan", "at most 1440 (a day), not nan", "minutes = nan"),
    ("minutes = 25", "minutes = inf", "at most 1440 (a day), not inf", "minutes = inf"),
    ("minutes = 25", "minutes = 1e300", "at most 1440 (a day), not 1e+300", "minutes = 1e300"),
    ("daily_quota = 120", "daily_quota = 0", "daily_quota must be a whole number from 1",
     "daily_quota = 0"),
    ("daily_quota = 120", "daily_quota = 9999999999999", "from 1 to 100000, not 9999999999999",
     "daily_quota = 9999999999999"),
    ("number = 12", "number = 11", "number is used twice", "number = 11"),
])
def test_each_mistake_is_found_on_its_line(old: str, new: str, message: str, needle: str) -> None:
    text = TEXT.replace(old, new, 1)
    hall, problems = parse_hall(text)
    assert hall is None
    errors = [p for p in problems if not p.warning]
    match = [p for p in errors if message in p.message]
    assert match, [str(p) for p in errors]
    occurrence = 2 if needle in ("number = 11", 'prefix = "A"') else 1
    assert match[0].line == line_of(text, needle, occurrence)


def test_every_problem_is_listed_at_once() -> None:
    text = TEXT.replace('prefix = "B"', 'prefix = "A"').replace('policy = "ordered"',
                                                                'policy = "x"', 1)
    with pytest.raises(ConfigError) as info:
        load_hall_from_text(text)
    assert len(info.value.problems) == 2


def load_hall_from_text(text: str) -> None:
    hall, problems = parse_hall(text, "test.toml")
    if hall is None:
        raise ConfigError("test.toml", [p for p in problems if not p.warning])


def test_unserved_service_is_a_warning_not_an_error() -> None:
    text = TEXT.replace('serves = ["realty"]', 'serves = ["tax"]')
    hall, problems = parse_hall(text)
    assert hall is not None
    assert [p.message for p in problems if p.warning] == [
        "service 'realty' is served by no window: its tickets can never be called"]


MARRIAGE_HOURS = 'hours = [{ open = "08:30", close = "11:30" }, { open = "14:00", close = "17:00" }]'


def test_a_day_in_a_services_hours_is_named_not_quietly_ignored() -> None:
    """``days = ["sat"]`` in a service's span meant nothing: the service opened every day."""
    text = TEXT.replace(MARRIAGE_HOURS, 'hours = [{ days = ["sat"], open = "09:00", '
                        'close = "11:30" }]')
    hall, problems = parse_hall(text)
    assert hall is not None
    [warning] = [p for p in problems if p.warning]
    assert warning.line == line_of(text, 'days = ["sat"], open')
    assert "'days' is not read in a service's hours, so it is ignored" in warning.message


def test_service_hours_outside_the_halls_are_a_warning() -> None:
    text = TEXT.replace(MARRIAGE_HOURS, 'hours = [{ open = "18:00", close = "20:00" }]')
    hall, problems = parse_hall(text)
    assert hall is not None
    [warning] = [p for p in problems if p.warning]
    assert warning.line == line_of(text, 'open = "18:00"')
    assert warning.message == (
        "service 'marriage': its hours fall outside the hall's (08:30-17:30, 09:00-12:00) on "
        "every day, so it never takes a ticket (a service's hours narrow the hall's)")
    # one span within the hall's on one of its days is enough
    text = TEXT.replace(MARRIAGE_HOURS, 'hours = [{ open = "11:30", close = "12:30" }]')
    assert not [p for p in parse_hall(text)[1] if p.warning]


@pytest.mark.parametrize("text, message", [
    ("[hall\nname = 1", "not valid TOML"),
    # TOML reads 08:30 only with seconds: the message says what to write
    ('[hall]\nname = "x"\nday_starts = 05:00  # early\n',
     'not valid TOML: Expected newline or end of document after a statement (at line 3, '
     'column 15): write the time in quotes, like "05:00"'),
    ("", "the [hall] table is missing"),
    ('[hall]\nname = "x"\n', "no [[services]] are defined"),
])
def test_broken_files(text: str, message: str) -> None:
    hall, problems = parse_hall(text)
    assert hall is None and any(message in p.message for p in problems)


@pytest.mark.parametrize("old, new, message", [
    ('prefix = "B"', 'prefix = "B\\n"', "1 or 2 capital letters"),  # TOML "B\n": a newline
    ('id = "idcard"', 'id = "idcard\\n"', "id must be 1-32"),
    ('languages = ["zh", "en"]', 'languages = ["zh", "en\\n"]', "languages must be a list"),
    ('name_en = "ID card"', "name_en = 5", "'name_en' must be a non-empty string"),
    ('name_en = "Household Registration"', "name_en = []", "'name_en' must be a non-empty"),
    ('zone = "文印缴费区"', 'zone = "文印缴费区"\nzone_en = 3', "'zone_en' must be a non-empty"),
])
def test_a_value_that_only_looks_right_is_found(old: str, new: str, message: str) -> None:
    """A trailing newline is not part of an id, a prefix or a language code; the *_en keys
    are optional, but text when given (a number there broke tickets and screens)."""
    text = TEXT.replace(old, new, 1)
    assert text != TEXT
    hall, problems = parse_hall(text)
    assert hall is None
    assert any(message in p.message and p.line for p in problems), [str(p) for p in problems]


def test_an_empty_english_name_is_as_if_left_out_with_a_warning() -> None:
    """It loaded before the *_en keys were checked: a hall that ran must still run."""
    hall, problems = parse_hall(TEXT.replace('name_en = "Collection"', 'name_en = ""', 1))
    assert hall is not None
    warned = [p for p in problems if p.warning and "'name_en' is empty" in p.message]
    assert len(warned) == 1 and warned[0].line == line_of(TEXT, 'name_en = "Collection"')
    assert hall.windows[12].name_en is None


@pytest.mark.parametrize("old, new, messages", [
    ('days = ["sat"]\nopen = "09:00"', 'days = ["saturday"]\nopen = "9h00"',
     ["days must be a list", "'9h00' is not a time"]),
    ('number = 12\nname = "出件"', 'number = 3\nname = "出件"',
     ["number is used twice"]),
    ('serves = ["collect", "pay"]', 'serves = []\npolicy = "lifo"',
     ["serves must be a non-empty list", 'policy must be "fifo" or "ordered"']),
    ('number = 12\nname = "出件"', 'number = "twelve"\nname = "出件"\npolicy = "lifo"',
     ["number must be a whole number", 'policy must be "fifo" or "ordered"']),
])
def test_one_mistake_does_not_hide_the_next_in_the_same_table(old: str, new: str,
                                                              messages: list[str]) -> None:
    text = TEXT.replace(old, new, 1)
    assert text != TEXT
    hall, problems = parse_hall(text)
    assert hall is None
    for message in messages:
        assert any(message in p.message for p in problems), (message, [str(p) for p in problems])
    if "used twice" in messages[0]:  # a window with mistakes still serves its services: no
        assert not [p for p in problems if p.warning]  # false "served by no window"


def test_a_language_without_strings_is_a_warning() -> None:
    text = TEXT.replace('languages = ["zh", "en"]', 'languages = ["zh", "fr"]', 1)
    hall, problems = parse_hall(text)
    assert hall is not None
    [warning] = [p for p in problems if p.warning]
    assert "no strings for fr" in warning.message
    assert warning.line == line_of(text, 'languages = ["zh", "fr"]')


def test_the_served_by_no_window_warning_is_on_its_service_s_line() -> None:
    """Even when an earlier service was rejected (the warning named the wrong line then)."""
    text = (TEXT.replace('prefix = "B"', 'prefix = "A"', 1)
            .replace('serves = ["collect", "pay"]', 'serves = ["pay"]', 1))
    _, problems = parse_hall(text)
    [warning] = [p for p in problems if p.warning]
    assert "'collect'" in warning.message
    assert warning.line == line_of(text, 'id = "collect"')


MINI = """{hall}
[[departments]]
id = "d"
name = "部门"

[[services]]
id = "s"
department = "d"
name = "业务"
prefix = "A"

[[windows]]
number = 1
serves = ["s"]
"""


@pytest.mark.parametrize("hall, needle", [
    ('hall.name = "小厅"\nhall.day_starts = "5am"', 'hall.day_starts = "5am"'),
    ('[hall]\nname = "小厅"\nhours = [{ days = ["sat"], open = "9h00", close = "12:00" }]',
     "hours = [{"),
])
def test_mistakes_in_dotted_keys_and_inline_tables_have_their_line(hall: str, needle: str) -> None:
    text = MINI.format(hall=hall)
    _, problems = parse_hall(text)
    [error] = [p for p in problems if not p.warning]
    assert error.line == line_of(text, needle), str(error)


def test_a_multi_line_string_does_not_move_the_lines_of_what_follows() -> None:
    text = (TEXT.replace('name = "县政务服务中心"',
                         'name = """县政务服务中心\n[[services]]\nprefix = "Z"\n"""', 1)
            .replace('prefix = "B"', 'prefix = "b1"', 1))
    _, problems = parse_hall(text)
    [error] = [p for p in problems if not p.warning]
    assert error.line == line_of(text, 'prefix = "b1"'), str(error)


@pytest.mark.parametrize("hall, needle, message", [
    ('[hall]\nname = "小厅"\n[hall.hours]\nopen = "08:30"\nclose = "17:30"', "[hall.hours]",
     "hours"),
    ('departments = "police"\n[hall]\nname = "小厅"', 'departments = "police"',
     "[[departments]] tables"),
])
def test_a_table_written_the_wrong_way_has_its_line(hall: str, needle: str, message: str) -> None:
    text = MINI.format(hall=hall).replace("[[departments]]\nid", "[[departments_]]\nid")
    _, problems = parse_hall(text)
    found = [p for p in problems if message in p.message]
    assert found and found[0].line == line_of(text, needle), [str(p) for p in problems]


@pytest.mark.parametrize("serves", ['"collect"', "[]", "[1, 2]"])
def test_a_window_whose_serves_is_wrong_is_one_error(serves: str) -> None:
    """Not also "no [[windows]] are defined", nor "served by no window" for what it may serve."""
    text = "\n".join(line if not line.startswith("serves") else f"serves = {serves}"
                     for line in TEXT.splitlines())  # every window's serves is wrong
    _, problems = parse_hall(text)
    assert problems and all("serves must be a non-empty list" in p.message for p in problems), \
        [str(p) for p in problems]


@pytest.mark.parametrize("name", [
    'name = "县政务服务中心"  # not """this""" or """ that',
    "name = \"县政务服务中心\"  # a ''' in a comment",
    "name = '''县政务服务中心 \"\"\" quoted\n more'''",
    "name = '县政务 \"\"\" 中心'",
    'name = """县政务\n it\'\'\'s\n中心"""',
    'name = """县政务服务中心"""',
    'name = """县政务\n服务中心""""',
    'name = """县政务\n a \\""" b\n服务中心"""',
])
def test_strings_and_comments_are_read_as_toml_reads_them(name: str) -> None:
    """A quote in a comment or a one-line string opens no string; an escaped one closes none."""
    text = (TEXT.replace('name = "县政务服务中心"', name, 1)
            .replace('prefix = "B"', 'prefix = "b1"', 1))
    _, problems = parse_hall(text)
    [error] = [p for p in problems if not p.warning]
    assert error.line == line_of(text, 'prefix = "b1"'), str(error)


def test_a_services_hours_table_is_found_under_its_own_service() -> None:
    """[[services.hours]] under two services: the second's mistake is on its own table."""
    lines = TEXT.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() == "[[services]]"]
    for at, close in ((starts[4], "25:00"), (starts[1], "11:30")):
        end = at + 1
        while end < len(lines) and not lines[end].startswith("["):
            end += 1
        lines[end:end] = ["[[services.hours]]", 'open = "08:30"', f'close = "{close}"']
    text = "\n".join(lines) + "\n"
    _, problems = parse_hall(text)
    [error] = [p for p in problems if not p.warning]
    assert "'25:00'" in error.message
    assert error.line == line_of(text, 'close = "25:00"') - 2  # its [[services.hours]]


def test_a_department_with_a_mistake_is_one_error_not_one_per_service() -> None:
    """A department without its name also gave "department 'police' is not defined" for each
    of its services, though it is defined."""
    text = TEXT.replace('name = "公安户政"\n', "", 1)
    hall, problems = parse_hall(text)
    assert hall is None
    assert [p.message for p in problems if not p.warning] == ["[[departments]] #1: 'name' is missing"]


def test_problems_come_in_the_order_of_the_file() -> None:
    # marriage is served by no window (a warning found last, on a line in the middle) and a
    # window's policy is wrong (an error found before it, further down)
    text = (TEXT.replace('serves = ["marriage"]', 'serves = ["pay"]')
            .replace('policy = "ordered"', 'policy = "strict"', 1))
    hall, problems = parse_hall(text)
    assert hall is None
    lines = [p.line for p in problems]
    assert len(lines) == 2 and lines == sorted(lines), problems
