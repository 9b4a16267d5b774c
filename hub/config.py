"""The hall's configuration: one TOML file, read and checked at start (see docs/config.md).

``load_hall(path)`` returns a ``Hall`` or raises ``ConfigError`` listing every problem with the
line it is on; ``check_hall(path)`` returns the problems (warnings included) without raising.
"""

from __future__ import annotations

import logging
import re
import sys
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import time
from difflib import get_close_matches
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hub.errors import ConfigError, ConfigProblem, plain_reason, undecodable_line
from hub.i18n import languages as catalogue_languages

logger = logging.getLogger(__name__)

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# whole values only (fullmatch): "B\n" is not a prefix
SERVICE_ID = re.compile(r"[a-z0-9_-]{1,32}")
PREFIX = re.compile(r"[A-Z]{1,2}")
LANG = re.compile(r"[a-z]{2,3}")
POLICIES = ("fifo", "ordered")
# the keys each table may have (besides *_en): any other is named in a warning
TOP_KEYS = frozenset({"hall", "departments", "services", "windows"})
HALL_KEYS = frozenset({"name", "timezone", "languages", "day_starts", "hours"})
HOURS_KEYS = frozenset({"days", "open", "close"})
SPAN_KEYS = frozenset({"open", "close"})
DEPARTMENT_KEYS = frozenset({"id", "name"})
SERVICE_KEYS = frozenset({"id", "department", "name", "prefix", "daily_quota", "minutes",
                          "hours"})
#: A service's expected time is at most a day, and its quota at most this many tickets a day:
#: beyond them the figure is a typo (and a huge one overflowed the hub's estimates).
MINUTES_MOST = 1440
QUOTA_MOST = 100_000
WINDOW_KEYS = frozenset({"number", "name", "zone", "serves", "policy"})


@dataclass(frozen=True)
class Span:
    """An opening span in local time, ``open <= t < close``."""

    open: time
    close: time

    def contains(self, t: time) -> bool:
        return self.open <= t < self.close


@dataclass(frozen=True)
class HoursRule:
    days: frozenset[int]  # 0 = Monday
    span: Span


@dataclass(frozen=True)
class Department:
    id: str
    name: str
    name_en: str | None = None


@dataclass(frozen=True)
class Service:
    id: str
    department: str
    name: str
    prefix: str
    minutes: float
    name_en: str | None = None
    daily_quota: int | None = None
    hours: tuple[Span, ...] = ()


@dataclass(frozen=True)
class Window:
    number: int
    name: str
    zone: str
    serves: tuple[str, ...]
    policy: str = "fifo"
    name_en: str | None = None
    zone_en: str | None = None


@dataclass(frozen=True)
class Hall:
    name: str
    timezone: ZoneInfo
    languages: tuple[str, ...]
    day_starts: time
    name_en: str | None = None
    hours: tuple[HoursRule, ...] = ()
    departments: dict[str, Department] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    windows: dict[int, Window] = field(default_factory=dict)
    source: str = ""

    def windows_serving(self, service: str) -> list[Window]:
        serving = self.__dict__.get("_serving")
        if serving is None:  # worked out once: the hall does not change while it runs
            serving = {sid: [w for w in self.windows.values() if sid in w.serves]
                       for sid in self.services}
            object.__setattr__(self, "_serving", serving)
        return list(serving.get(service, []))


TRIPLE = ('"' * 3, "'" * 3)


def _open_string(line: str, open_quote: str | None) -> str | None:
    """The multi-line string (its delimiter) still open at the end of ``line``, given the one
    open at its start: TOML's strings and comments read as TOML reads them, so a quote in a
    comment or a one-line string opens nothing, and an escaped quote closes nothing."""
    i, n, quote = 0, len(line), open_quote
    while i < n:
        if quote is not None:  # in a multi-line string: only its own delimiter ends it
            if quote == TRIPLE[0] and line[i] == "\\":
                i += 2
            elif line.startswith(quote, i):
                i += 3
                while i < n and line[i] == quote[0]:  # up to two quotes of the text before it
                    i += 1
                quote = None
            else:
                i += 1
            continue
        char = line[i]
        if char == "#":
            break
        triple = next((q for q in TRIPLE if line.startswith(q, i)), None)
        if triple is not None:
            quote, i = triple, i + 3
        elif char == '"':  # a basic string, on this line
            i += 1
            while i < n and line[i] != '"':
                i += 2 if line[i] == "\\" else 1
            i += 1
        elif char == "'":  # a literal string, on this line
            end = line.find("'", i + 1)
            i = n if end < 0 else end + 1
        else:
            i += 1
    return quote


class _Locator:
    """Finds the line of a table or key in the raw TOML text, for error messages."""

    HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\-]+)\s*\]\]?")
    KEY = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*=")  # dotted too: hall.day_starts = ...
    QUOTED_KEY = re.compile(r"""^\s*(?:"([^"\\]*)"|'([^']*)')\s*=""")  # "prefix" = ...

    def __init__(self, text: str) -> None:
        self.tables: dict[tuple[str, int], int] = {}
        self.keys: dict[tuple[str, int, str], int] = {}
        counts: dict[str, int] = {}
        current = ("", 0)
        quote: str | None = None  # the delimiter of the multi-line string this line is in
        for lineno, line in enumerate(text.splitlines(), start=1):
            inside, quote = quote is not None, _open_string(line, quote)
            if inside:  # a line that begins in a string begins no table or key
                continue
            header = self.HEADER.match(line)
            if header:
                name = header.group(1)
                index = counts.get(name, 0)
                if line.lstrip().startswith("[["):
                    counts[name] = index + 1
                current = (name, index)
                self.tables.setdefault(current, lineno)
                continue
            quoted = self.QUOTED_KEY.match(line)
            if quoted:  # one key, a dot in it is part of its name
                self.keys.setdefault((current[0], current[1], quoted.group(1) or quoted.group(2)),
                                     lineno)
                continue
            key = self.KEY.match(line)
            if key:
                *path, name = key.group(1).split(".")
                if path:  # a dotted key: its own table, under the current one
                    where = (".".join(filter(None, [current[0], *path])), 0)
                    self.tables.setdefault(where, lineno)
                else:
                    where = current
                self.keys.setdefault((where[0], where[1], name), lineno)

    def line(self, table: str, index: int = 0, key: str | None = None) -> int | None:
        if key is not None:
            # the key's line, or the header of a table written under that name ([hall.hours])
            found = self.keys.get((table, index, key)) or self._sub_table(table, index, key)
            if found is not None:
                return found
        if (table, index) in self.tables:
            return self.tables[(table, index)]
        if not table:
            return None
        # written as a key: inline (hall's hours = [{...}]) or not a table at all
        # (departments = "police"): the line of the key holding it
        parent, _, name = table.rpartition(".")
        return self.line(parent, 0, name)


    def _sub_table(self, table: str, index: int, key: str) -> int | None:
        """The first header of table ``key`` within entry ``index`` of ``table`` (a
        ``[[services.hours]]`` under the service it belongs to, not under another)."""
        name = f"{table}.{key}" if table else key
        start = self.tables.get((table, index), 0) if table else 0
        end = self.tables.get((table, index + 1), sys.maxsize) if table else sys.maxsize
        lines = [line for (found, _), line in self.tables.items()
                 if found == name and start <= line < end]
        return min(lines, default=None)


class _Checker:
    def __init__(self, text: str) -> None:
        self.at = _Locator(text)
        self.problems: list[ConfigProblem] = []
        # ids written, even on a service with errors, and where: their [[services]] index
        self.declared_services: dict[str, int] = {}
        self.declared_departments: set[str] = set()  # ids written, even on one with errors
        self.serving: set[str] = set()  # services named by windows that have errors
        self.serves_unreadable = False  # a window's serves could not be read: who knows

    def error(self, message: str, table: str, index: int = 0, key: str | None = None) -> None:
        self.problems.append(ConfigProblem(self.at.line(table, index, key), message))

    def first_on(self, table: str, index: int, key: str) -> str:
        """" (first on line N)": where the first of two of the same was written."""
        line = self.at.line(table, index, key)
        return f" (first on line {line})" if line is not None else ""

    def warn(self, message: str, table: str, index: int = 0, key: str | None = None) -> None:
        self.problems.append(ConfigProblem(self.at.line(table, index, key), message, warning=True))

    def default(self, node: dict[str, Any], key: str, value: Any, where: str, table: str,
                index: int = 0, meaning: str = "") -> Any:
        """``node[key]``, or ``value`` with a warning when the key is left out: the hall still
        runs, and the technician is told what it runs with."""
        if key in node:
            return node[key]
        shown = f'"{value}"' if isinstance(value, str) else str(value).replace("'", '"')
        self.warn(f"{where}: '{key}' is missing; {shown} is used{meaning}", table, index)
        return value

    def unknown_keys(self, node: dict[str, Any], known: frozenset[str], where: str, table: str,
                     index: int = 0) -> None:
        """A key this hub does not read is named (a misspelt "polcy" would otherwise quietly
        mean the default); *_en keys are the optional English of anything."""
        for key in node:
            if key not in known and not key.endswith("_en"):
                self.warn(f"{where}: '{key}' is not a key this hub reads, so it is ignored "
                          f"(the keys here: {', '.join(sorted(known))}, and any *_en)", table,
                          index, key)

    def text(self, node: dict[str, Any], key: str, where: str, table: str, index: int = 0,
             required: bool = True) -> str | None:
        value = node.get(key)
        if value is None:
            if required:
                self.error(f"{where}: '{key}' is missing", table, index)
            return None
        if isinstance(value, str) and not value.strip() and not required:
            self.warn(f"{where}: '{key}' is empty, as if it were left out", table, index, key)
            return None
        if not isinstance(value, str) or not value.strip():
            self.error(f"{where}: '{key}' must be a non-empty string", table, index, key)
            return None
        return value

    def clock_time(self, value: Any, what: str, table: str, index: int, key: str) -> time | None:
        if isinstance(value, time):  # a TOML time, written without quotes
            self.error(f"{what}: write the time in quotes, like \"{value:%H:%M}\"", table,
                       index, key)
            return None
        if not isinstance(value, str) or not re.fullmatch(r"\d{1,2}:\d{2}", value):
            self.error(f"{what}: '{value}' is not a time like \"08:30\"", table, index, key)
            return None
        hours, minutes = (int(part) for part in value.split(":"))
        if hours > 23 or minutes > 59:
            self.error(f"{what}: '{value}' is not a time of day", table, index, key)
            return None
        return time(hours, minutes)

    def spans(self, value: Any, what: str, table: str, index: int, key: str | None) -> list[Span]:
        """Spans from a list of {open, close} tables (key names the list), or from the table
        itself (key None: the lines of its own open and close keys)."""
        items = value if isinstance(value, list) else [value]
        spans: list[Span] = []
        for item in items:
            if not isinstance(item, dict) or "open" not in item or "close" not in item:
                self.error(f"{what}: each span needs 'open' and 'close'", table, index, key)
                continue
            if key is not None:  # a service's spans: a day or a misspelt key means nothing
                for extra in item.keys() - SPAN_KEYS:
                    self.warn(f"{what}: '{extra}' is not read in a service's hours, so it is "
                              "ignored (a span has only open and close; the days a hall opens "
                              "are in [[hall.hours]])", table, index, key)
            opens = self.clock_time(item["open"], f"{what} open", table, index, key or "open")
            closes = self.clock_time(item["close"], f"{what} close", table, index, key or "close")
            if opens is None or closes is None:
                continue
            if opens >= closes:
                self.error(f"{what}: opens at {item['open']} but closes at {item['close']}",
                           table, index, key or "open")
                continue
            spans.append(Span(opens, closes))
        return spans


def _closest(word: str, known: Iterable[str]) -> str | None:
    """The id ``word`` was most likely meant to be: one typo in a service's id otherwise reads
    as an error on every window that names the service correctly."""
    close = get_close_matches(word, list(known), n=1, cutoff=0.6)
    return close[0] if close else None


def _did_you_mean(meant: str | None) -> str:
    return f" (did you mean '{meant}'?)" if meant else ""


def _list_of_tables(data: dict[str, Any], key: str, check: _Checker) -> list[dict[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        check.error(f"'{key}' must be written as [[{key}]] tables", key)
        return []
    return value


def _parse_hall(data: dict[str, Any], check: _Checker) -> dict[str, Any]:
    hall = data.get("hall")
    if not isinstance(hall, dict):
        check.error("the [hall] table is missing", "hall")
        return {}
    out: dict[str, Any] = {}
    out["name"] = check.text(hall, "name", "[hall]", "hall")
    out["name_en"] = check.text(hall, "name_en", "[hall]", "hall", required=False)
    check.unknown_keys(hall, HALL_KEYS, "[hall]", "hall")
    tz_name = check.default(hall, "timezone", "Asia/Shanghai", "[hall]", "hall")
    try:
        out["timezone"] = ZoneInfo(str(tz_name))
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "Asia" is a folder of zones
        check.error(f"[hall]: timezone '{tz_name}' is not a known time zone (e.g. Asia/Shanghai)",
                    "hall", 0, "timezone")
    languages = check.default(hall, "languages", ["zh"], "[hall]", "hall")
    if (not isinstance(languages, list) or not languages
            or not all(isinstance(x, str) and LANG.fullmatch(x) for x in languages)):
        check.error("[hall]: languages must be a list of language codes like [\"zh\", \"en\"]",
                    "hall", 0, "languages")
        languages = ["zh"]
    elif len(set(languages)) != len(languages):
        check.error("[hall]: a language is listed twice", "hall", 0, "languages")
    else:
        without = [lang for lang in languages if lang not in catalogue_languages()]
        if without:
            check.warn(f"[hall]: no strings for {', '.join(without)} in assets/i18n (there are "
                       f"{', '.join(catalogue_languages())}): screens, tickets and announcements "
                       f"leave {'it' if len(without) == 1 else 'them'} out", "hall", 0, "languages")
    out["languages"] = tuple(languages)
    out["day_starts"] = check.clock_time(
        check.default(hall, "day_starts", "05:00", "[hall]", "hall",
                      meaning=" (numbering restarts then)"),
        "[hall] day_starts", "hall", 0, "day_starts")
    rules: list[HoursRule] = []
    hours = hall.get("hours", [])
    if not isinstance(hours, list):
        check.error("[hall]: hours must be written as [[hall.hours]] tables", "hall", 0, "hours")
        hours = []
    for i, rule in enumerate(hours):
        where = f"[[hall.hours]] #{i + 1}"
        if not isinstance(rule, dict):
            check.error(f"{where}: must be a table", "hall.hours", i)
            continue
        check.unknown_keys(rule, HOURS_KEYS, where, "hall.hours", i)
        days = rule.get("days", list(DAYS))
        days_ok = isinstance(days, list) and bool(days) and all(d in DAYS for d in days)
        if not days_ok:
            check.error(f"{where}: days must be a list from {', '.join(DAYS)}",
                        "hall.hours", i, "days")
        spans = check.spans(rule, where, "hall.hours", i, None)  # checked either way
        if days_ok:
            rules.extend(HoursRule(frozenset(DAYS.index(d) for d in days), span)
                         for span in spans)
    out["hours"] = tuple(rules)
    return out


def _parse_departments(data: dict[str, Any], check: _Checker) -> dict[str, Department]:
    departments: dict[str, Department] = {}
    first: dict[str, int] = {}  # each id's first [[departments]] entry
    for i, node in enumerate(_list_of_tables(data, "departments", check)):
        where = f"[[departments]] #{i + 1}"
        check.unknown_keys(node, DEPARTMENT_KEYS, where, "departments", i)
        dep_id = check.text(node, "id", where, "departments", i)
        if dep_id is not None:
            check.declared_departments.add(dep_id)
        name = check.text(node, "name", where, "departments", i)
        name_en = check.text(node, "name_en", where, "departments", i, required=False)
        if dep_id is None or name is None:
            continue
        if dep_id in departments:
            check.error(f"{where}: department id '{dep_id}' is used twice"
                        + check.first_on("departments", first[dep_id], "id"), "departments", i, "id")
            continue
        first[dep_id] = i
        departments[dep_id] = Department(dep_id, name, name_en)
    return departments


def _parse_services(data: dict[str, Any], check: _Checker,
                    departments: dict[str, Department]) -> dict[str, Service]:
    services: dict[str, Service] = {}
    prefixes: dict[str, str] = {}
    for i, node in enumerate(_list_of_tables(data, "services", check)):
        where = f"[[services]] #{i + 1}"
        sid = check.text(node, "id", where, "services", i)
        if sid is not None:
            check.declared_services.setdefault(sid, i)
            where = f"service '{sid}'"
            if not SERVICE_ID.fullmatch(sid):
                check.error(f"{where}: id must be 1-32 of a-z, 0-9, '_' or '-'", "services", i, "id")
                sid = None
            elif sid in services:
                check.error(f"{where}: id is used twice" + check.first_on(
                    "services", check.declared_services[sid], "id"), "services", i, "id")
                sid = None
        check.unknown_keys(node, SERVICE_KEYS, where, "services", i)
        name = check.text(node, "name", where, "services", i)
        name_en = check.text(node, "name_en", where, "services", i, required=False)
        department = check.text(node, "department", where, "services", i)
        if (department is not None and department not in departments
                and department not in check.declared_departments):  # (its own error said)
            check.error(f"{where}: department '{department}' is not defined in [[departments]]"
                        + _did_you_mean(_closest(department, check.declared_departments)),
                        "services", i, "department")
        prefix = check.text(node, "prefix", where, "services", i)
        if prefix is not None:
            if not PREFIX.fullmatch(prefix):
                check.error(f"{where}: prefix '{prefix}' must be 1 or 2 capital letters",
                            "services", i, "prefix")
                prefix = None
            elif prefix in prefixes:
                check.error(f"{where}: prefix '{prefix}' is already used by service "
                            f"'{prefixes[prefix]}'", "services", i, "prefix")
                prefix = None
        minutes = check.default(node, "minutes", 10, where, "services", i,
                                " for waiting estimates until today's services are timed")
        if (isinstance(minutes, bool) or not isinstance(minutes, int | float)
                or not 0 < minutes <= MINUTES_MOST):  # (nan and inf are not in the range)
            check.error(f"{where}: minutes must be a number of minutes above 0 and at most "
                        f"{MINUTES_MOST} (a day), not {minutes!r}", "services", i, "minutes")
            minutes = 10
        quota = node.get("daily_quota")
        if quota is not None and (isinstance(quota, bool) or not isinstance(quota, int)
                                  or not 0 < quota <= QUOTA_MOST):
            check.error(f"{where}: daily_quota must be a whole number from 1 to {QUOTA_MOST}, "
                        f"not {quota!r}", "services", i, "daily_quota")
            quota = None
        spans: list[Span] = []
        if "hours" in node:
            spans = check.spans(node["hours"], f"{where} hours", "services", i, "hours")
        if sid is None or name is None or department is None or prefix is None:
            continue
        prefixes[prefix] = sid
        services[sid] = Service(sid, department, name, prefix, float(minutes),
                                name_en, quota, tuple(spans))
    return services


def _warn_of_services_never_open(rules: Sequence[HoursRule], services: dict[str, Service],
                                 check: _Checker) -> None:
    """A service whose hours fall outside the hall's on every day it opens never takes a
    ticket: its hours narrow the hall's (config.md), they cannot widen them."""
    if not rules:
        return  # the hall is always open: any hours of a service fall within it
    for sid, service in services.items():
        if service.hours and not any(max(rule.span.open, span.open) < min(rule.span.close,
                                                                           span.close)
                                     for rule in rules for span in service.hours):
            hall_hours = ", ".join(sorted({f"{r.span.open:%H:%M}-{r.span.close:%H:%M}"
                                           for r in rules}))
            check.warn(f"service '{sid}': its hours fall outside the hall's ({hall_hours}) on "
                       "every day, so it never takes a ticket (a service's hours narrow the "
                       "hall's)", "services", check.declared_services[sid], "hours")


def _parse_windows(data: dict[str, Any], check: _Checker,
                   services: dict[str, Service]) -> dict[int, Window]:
    windows: dict[int, Window] = {}
    first: dict[int, int] = {}  # each number's first [[windows]] entry
    for i, node in enumerate(_list_of_tables(data, "windows", check)):
        number = node.get("number")
        where = f"[[windows]] #{i + 1}"
        valid = True
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 999:
            check.error(f"{where}: number must be a whole number from 1 to 999",
                        "windows", i, "number")
            number, valid = 0, False  # the rest of the window is checked all the same
        else:
            where = f"window {number}"
        if number in first:
            check.error(f"{where}: number is used twice"
                        + check.first_on("windows", first[number], "number"), "windows", i, "number")
            valid = False
        elif number:
            first[number] = i
        check.unknown_keys(node, WINDOW_KEYS, where, "windows", i)
        name = check.text(node, "name", where, "windows", i, required=False) or f"{number}"
        zone = check.text(node, "zone", where, "windows", i, required=False) or ""
        name_en = check.text(node, "name_en", where, "windows", i, required=False)
        zone_en = check.text(node, "zone_en", where, "windows", i, required=False)
        serves = node.get("serves")
        if not isinstance(serves, list) or not serves or not all(isinstance(s, str) for s in serves):
            check.error(f"{where}: serves must be a non-empty list of service ids",
                        "windows", i, "serves")
            serves, valid, check.serves_unreadable = [], False, True
        for sid in serves:
            if sid not in check.declared_services and check.declared_services:  # (with no
                # service readable at all, that error is said once, not for every window)
                meant = _closest(sid, check.declared_services)
                check.error(f"{where}: serves '{sid}', which is not a service id"
                            + _did_you_mean(meant), "windows", i, "serves")
                if meant:  # served, once the typo is mended: no warning that it is not
                    check.serving.add(meant)
        if len(set(serves)) != len(serves):
            check.error(f"{where}: a service is listed twice in serves", "windows", i, "serves")
        policy = node.get("policy", "fifo")
        if policy not in POLICIES:
            check.error(f"{where}: policy must be \"fifo\" or \"ordered\", not '{policy}'",
                        "windows", i, "policy")
            policy = "fifo"
        if valid:
            windows[number] = Window(number, name, zone,
                                     tuple(s for s in serves if s in services), policy,
                                     name_en, zone_en)
        else:  # still counted as serving its services: no false "served by no window"
            check.serving.update(serves)
    return windows


def parse_hall(text: str, source: str = "<config>") -> tuple[Hall | None, list[ConfigProblem]]:
    """Parse and check a hall; the Hall is None when any problem is an error."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        match = re.search(r"line (\d+)", str(err))
        line = int(match.group(1)) if match else None
        hint = ""
        if line is not None and 0 < line <= len(text.splitlines()):
            # `open = 08:30`: TOML reads a time of day only with seconds, the hall file in quotes
            unquoted = re.search(r"=\s*(\d{1,2}:\d{2})\s*(#.*)?$", text.splitlines()[line - 1])
            if unquoted:
                hint = f": write the time in quotes, like \"{unquoted.group(1)}\""
        return None, [ConfigProblem(line, f"not valid TOML: {err}{hint}")]
    check = _Checker(text)
    check.unknown_keys(data, TOP_KEYS, "the file", "")
    hall = _parse_hall(data, check)
    departments = _parse_departments(data, check)
    services = _parse_services(data, check, departments)
    windows = _parse_windows(data, check, services)
    # (services or windows written with mistakes have their own errors)
    if not services and not data.get("services"):
        check.error("no [[services]] are defined: a hall needs at least one", "services")
    if not windows and not data.get("windows"):
        check.error("no [[windows]] are defined: a hall needs at least one", "windows")
    for sid in services:
        if check.serves_unreadable or not data.get("windows"):  # a window whose serves is
            break  # wrong may be the one serving it; with none written, that error says it
        if sid not in check.serving and not any(sid in w.serves for w in windows.values()):
            check.warn(f"service '{sid}' is served by no window: its tickets can never be called",
                       "services", check.declared_services[sid], "id")
    _warn_of_services_never_open(hall.get("hours") or (), services, check)
    if any(not p.warning for p in check.problems):
        return None, _in_file_order(check.problems)
    result = Hall(
        name=hall["name"], timezone=hall["timezone"], languages=hall["languages"],
        day_starts=hall["day_starts"], name_en=hall.get("name_en"), hours=hall["hours"],
        departments=departments, services=services, windows=windows, source=source,
    )
    return result, _in_file_order(check.problems)


def _in_file_order(problems: list[ConfigProblem]) -> list[ConfigProblem]:
    """The problems as a technician fixes them, from the top of the file down (those of the
    whole file, without a line, first); those of one line in the order they were found."""
    return sorted(problems, key=lambda p: (p.line is not None, p.line or 0))


def read_hall(path: str | Path) -> tuple[Hall | None, list[ConfigProblem]]:
    """The hall of the file ``path`` (None if any problem is an error) and every problem."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:  # saved in GBK, say: the line where it shows
        return None, [ConfigProblem(undecodable_line(err), "cannot read the file: it is not "
                                    f"UTF-8 text (byte "
                                          f"{err.object[err.start]:#04x}): save it as UTF-8")]
    except OSError as err:
        return None, [ConfigProblem(None, f"cannot read the file: {plain_reason(err)}")]
    return parse_hall(text, str(path))


def check_hall(path: str | Path) -> list[ConfigProblem]:
    return read_hall(path)[1]


def load_hall(path: str | Path) -> Hall:
    """The hall described by ``path``; raises ConfigError with every problem if it is wrong
    (its warnings are logged)."""
    hall, problems = read_hall(path)
    for problem in problems:
        if problem.warning:
            logger.warning("%s: %s", path, problem)
    if hall is None:
        raise ConfigError(str(path), [p for p in problems if not p.warning])
    return hall
