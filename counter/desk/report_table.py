"""A report from the hub (op ``report``) as table rows, and as CSV.

Pure: the hub's figures are grouped ``by_service``, ``by_department``, ``by_window``,
``by_clerk`` and ``by_day``; each row gets a display name from a function the caller gives (the
view-model knows the hall's names in each language) and are in the order the caller gives
(the hall's own order of services, departments and windows). The CSV can carry a second table after
the figures (the dissatisfied ratings and their follow-up), after a blank line and its title.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

GROUPS = ("service", "department", "window", "clerk", "day")
#: the figures on screen ("served" counts each service done at a window)
COLUMNS = ("issued", "served", "no_show", "cancelled", "mean_wait_min", "max_wait_min",
           "mean_service_min", "rated", "satisfaction")
#: the figures in the CSV: those on screen and, beside "served", "transferred" (services after
#: which the window sent the ticket on to another service or window), which the table has no
#: room for at 1280x800 in English
CSV_COLUMNS = (*COLUMNS[:2], "transferred", *COLUMNS[2:])

Namer = Callable[[str, str], str]  # (group, key) -> name shown
Order = Callable[[str], Sequence[str]]  # group -> its keys in the hall's order (may be empty)


@dataclass(frozen=True)
class ReportRow:
    group: str
    key: str
    name: str
    figures: Mapping[str, Any]

    def cell(self, column: str) -> str:
        return format_figure(column, self.figures.get(column))


def format_figure(column: str, value: Any) -> str:
    if value is None:
        return "-"
    if column == "satisfaction":
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
    return [ReportRow(group, key, name_of(group, key), figures[key]) for key in keys]


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
