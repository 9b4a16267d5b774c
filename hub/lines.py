"""The waiting lines: every waiting ticket, kept in the order it will be called.

Each service has a line of the tickets any of its windows may call (sorted by priority class,
then "placed first", then time in line); each window has a line of the tickets sent to it alone.
Lines are sorted lists, so the head of a line and a ticket's place in it cost O(log n).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from hub.model import PRIORITY_RANK, Ticket

Entry = tuple[tuple[Any, ...], str]


class WaitingLines:
    def __init__(self, services: Iterable[str]) -> None:
        self.by_service: dict[str, dict[str, Ticket]] = {sid: {} for sid in services}
        self._service_lines: dict[str, list[Entry]] = {}
        self._window_lines: dict[int, list[Entry]] = {}
        # each waiting ticket's line and entry there: a service line's keys and a window line's
        # are not comparable, so a ticket is looked for only in the line it was put in
        self._entries: dict[str, tuple[list[Entry], Entry]] = {}
        self._tickets: dict[str, Ticket] = {}

    def _line(self, ticket: Ticket) -> tuple[list[Entry], Entry]:
        if ticket.to_window is not None:
            line = self._window_lines.setdefault(ticket.to_window, [])
            return line, (ticket.sort_key(), ticket.id)
        line = self._service_lines.setdefault(ticket.service, [])
        return line, (ticket.class_key(), ticket.id)

    def add(self, ticket: Ticket) -> None:
        """Put a waiting ticket in its line (remove it first if its place may have changed)."""
        if ticket.id in self._entries:
            self.remove(ticket)
        line, entry = self._line(ticket)
        insort(line, entry)
        self._entries[ticket.id] = (line, entry)
        self._tickets[ticket.id] = ticket
        self.by_service.setdefault(ticket.service, {})[ticket.id] = ticket

    def remove(self, ticket: Ticket) -> None:
        """Take a ticket out of the line it is in (its fields may have changed since)."""
        placed = self._entries.pop(ticket.id, None)
        if placed is None:
            return
        del self._tickets[ticket.id]
        for group in self.by_service.values():
            if group.pop(ticket.id, None) is not None:
                break
        line, entry = placed
        index = bisect_left(line, entry)
        if index < len(line) and line[index] == entry:
            del line[index]

    def count(self, service: str) -> int:
        return len(self.by_service.get(service, {}))

    def ahead(self, ticket: Ticket) -> int:
        """How many tickets of its own line will be called before this one."""
        placed = self._entries.get(ticket.id)
        if placed is None:
            return 0
        line, entry = placed
        return bisect_left(line, entry)

    def head_of_service(self, service: str) -> Ticket | None:
        line = self._service_lines.get(service)
        return self._tickets[line[0][1]] if line else None

    def head_of_window(self, window: int) -> Ticket | None:
        line = self._window_lines.get(window)
        if not line:
            return None
        return self._tickets[line[0][1]]

    def __iter__(self) -> Iterator[Ticket]:
        for group in self.by_service.values():
            yield from group.values()


ViewKey = tuple[int, int, int, bool, float, str]


def calling_order(window: int | None, serves: Sequence[str], ordered: bool
                  ) -> Callable[[Mapping[str, Any]], ViewKey]:
    """A sort key over ticket views (protocol TICKET) in the order window ``window`` will call
    them (``HallEngine.next_for`` over these lines), for a device that has only the views: those
    sent to this window alone first, placed ``first`` before the others, then by ``line_ord``;
    then the others, for policy ``ordered`` by the window's ``serves`` order first, then by
    priority class, placed ``first``, and ``line_ord`` (which grows with the time in line)."""

    def key(ticket: Mapping[str, Any]) -> ViewKey:
        line_ord = ticket.get("line_ord")
        place = float(line_ord) if isinstance(line_ord, int) else float("inf")
        not_first = not ticket.get("first")
        number = str(ticket.get("number", ""))
        if window is not None and ticket.get("to_window") == window:
            return 0, 0, 0, not_first, place, number
        service = str(ticket.get("service"))
        rank = serves.index(service) if ordered and service in serves else 0
        return 1, rank, PRIORITY_RANK.get(str(ticket.get("priority")), 2), not_first, place, number

    return key

