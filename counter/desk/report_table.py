"""A report from the hub (op ``report``) as table rows, and as CSV.

Pure: the hub's figures are grouped ``by_service``, ``by_department``, ``by_window``,
``by_clerk``, ``by_day``, ``by_week`` and ``by_month``; each row gets a display name from a
function the caller gives (the view-model knows the hall's names in each language; a week is
named by its days here) and are in the order the caller gives (the hall's own order of services,
departments and windows). The CSV can carry a second table after
the figures (the dissatisfied ratings and their follow-up), after a blank line and its title.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

GROUPS = ("service", "department", "window", "clerk", "day", "week", "month")
#: the groupings whose rows are places of work: a window or a clerk takes no tickets, it handles
#: them; their rows show "handled" where the others show "issued"
PLACES = frozenset({"window", "clerk"})
#: the figures on screen ("served": services finished, not those sent on, which "transferred"
#: counts). "over_wait" and "over_time" show the count and its share in one cell
COLUMNS = ("issued", "served", "transferred", "no_show", "cancelled", "day_end",
           "mean_wait_min", "max_wait_min", "over_wait", "mean_service_min", "over_time",
           "rated", "satisfaction")
#: the figures in the CSV: the first ten as they always were, then those added after them
#: (a spreadsheet or script reading the old columns by position still finds them)
CSV_COLUMNS = ("issued", "served", "transferred", "no_show", "cancelled", "mean_wait_min",
               "max_wait_min", "mean_service_min", "rated", "satisfaction",
               "handled", "day_end", "over_wait", "over_wait_share", "over_time",
               "over_time_share")
#: a count shown with its share on screen
SHARES = {"over_wait": "over_wait_share", "over_time": "over_time_share"}


def columns(group: str) -> tuple[str, ...]:
    """The figures on screen for ``group``: a window's or clerk's rows lead with "handled"."""
    if group in PLACES:
        return tuple("handled" if c == "issued" else c for c in COLUMNS)
    return COLUMNS


Namer = Callable[[str, str], str]  # (group, key) -> name shown
Order = Callable[[str], Sequence[str]]  # group -> its keys in the hall's order (may be empty)


@dataclass(frozen=True)
class ReportRow:
    group: str
    key: str
    name: str
    figures: Mapping[str, Any]

    def cell(self, column: str) -> str:
        """The figure as the CSV writes it; a window or clerk has no "issued"."""
        if column == "issued" and self.group in PLACES:
            return "-"
        return format_figure(column, self.figures.get(column))

    def shown(self, column: str) -> str:
        """The figure as the table shows it: a count with its share, "3 (12.5%)"."""
        share = SHARES.get(column)
        if share is None or self.figures.get(column) is None:
            return self.cell(column)
        part = self.figures.get(share)
        return self.cell(column) if part is None else f"{self.cell(column)} ({self.cell(share)})"


def format_figure(column: str, value: Any) -> str:
    if value is None:
        return "-"
    if column == "satisfaction" or column.endswith("_share"):
        return f"{float(value) * 100:.1f}%"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _natural(key: str) -> tuple[int, int, str]:
    """Numbers (windows, staff numbers) by value, before other keys; days by date."""
    return (0, int(key), "") if key.isdigit() else (1, 0, key)


def report_rows(report: Mapping[str, Any], group: str, name_of: Namer,
                order: Sequence[str] = ()) -> list[ReportRow]:
    """The rows of one grouping: the keys of ``order`` first, in that order (the hall's
    services, departments, windows), then any other in a natural order (clerks by staff
    number, days by date, a service the hall no longer lists)."""
    figures: Mapping[str, Mapping[str, Any]] = report.get(f"by_{group}") or {}
    place = {key: i for i, key in enumerate(order)}
    keys = sorted(figures, key=lambda k: (place.get(k, len(place)), _natural(k)))
    return [ReportRow(group, key, week_name(report, key) if group == "week"
                      else name_of(group, key), figures[key]) for key in keys]


def week_name(report: Mapping[str, Any], monday: str) -> str:
    """A week's row (keyed by its Monday) named by the days of it the report covers:
    "2026-11-30 ~ 12-06", or "2026-12-01 ~ 12-06" in a report from the 1st."""
    try:
        start = date.fromisoformat(monday)
        end = start + timedelta(days=6)
        start = max(start, date.fromisoformat(str(report.get("from"))))
        end = min(end, date.fromisoformat(str(report.get("to"))))
    except ValueError:
        return monday
    return f"{start.isoformat()} ~ {end.isoformat()[5 if end.year == start.year else 0:]}"


def total_row(report: Mapping[str, Any], name: str) -> ReportRow:
    return ReportRow("total", "", name, report.get("total") or {})


@dataclass(frozen=True)
class CsvSection:
    """A table written after the figures: a title line, a header line, then its rows."""

    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[str]]


def report_csv(report: Mapping[str, Any], name_of: Namer, headers: Mapping[str, str],
               group_names: Mapping[str, str], total_name: str,
               sections: Sequence[CsvSection] = (), order: Order | None = None) -> str:
    """Every grouping of the report in one CSV table: group, key, name, then the figures;
    then each of ``sections``, after a blank line.

    ``headers`` names the columns (``group``, ``key``, ``name`` and each of ``CSV_COLUMNS``),
    ``group_names`` the groupings, in the desk's language; ``order`` gives each grouping's
    rows in the hall's order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([headers.get(c, c) for c in ("group", "key", "name", *CSV_COLUMNS)])
    rows = [total_row(report, total_name)]
    for group in GROUPS:
        rows += report_rows(report, group, name_of, order(group) if order else ())
    for row in rows:
        writer.writerow([group_names.get(row.group, row.group), row.key, row.name,
                         *(row.cell(c) for c in CSV_COLUMNS)])
    for section in sections:
        writer.writerow([])
        writer.writerow([section.title])
        writer.writerow(section.header)
        writer.writerows(section.rows)
    return out.getvalue()
