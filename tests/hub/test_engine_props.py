"""Random sequences of every op against the engine, with the hall's invariants checked after each
step, and restarts from what the store would hold."""

from __future__ import annotations

import copy
from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from hub.config import load_hall
from hub.engine import HallEngine
from hub.errors import RequestError
from hub.model import Appointment, Clerk, Ticket, WindowState
from tests.fakes import FakeClock
from tests.hubproc import COUNTY

HALL = load_hall(COUNTY)
SERVICES = ["social", "medical", "pay", "hukou", "idcard"]
WINDOWS = [1, 3, 4, 5, 11, 12]
CLERKS = [Clerk("1001", "张三"), Clerk("1002", "李四"), Clerk("1003", "王五")]


class HallMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.engine = HallEngine(HALL, self.clock, always_open=True)
        # what the store holds: every change the engine handed over ("acknowledged")
        self.stored_tickets: dict[str, Ticket] = {}
        self.stored_windows: dict[int, WindowState] = {}
        self.numbers_today: set[str] = set()
        self.day = self.engine.day
        self.appointments = 0

    # ------------------------------------------------------------------ helpers

    def persist(self) -> None:
        tickets, windows = self.engine.take_changes()
        for t in tickets:
            self.stored_tickets[t.id] = copy.deepcopy(t)
        for w in windows:
            self.stored_windows[w.number] = copy.deepcopy(w)
        if self.engine.day != self.day:  # the day rolled (on any tick): a new numbering
            self.day = self.engine.day
            self.numbers_today.clear()
            for t in self.stored_tickets.values():
                assert t.state not in ("waiting", "called", "serving")  # all closed out
            self.stored_tickets.clear()

    def attempt(self, call, *args, **kwargs):  # type: ignore[no-untyped-def]
        before = {t.id: t.state for t in self.engine.tickets.values()}
        try:
            outcome = call(*args, **kwargs)
        except RequestError:
            # a refused command changes nothing
            assert self.engine.take_changes() == ([], [])
            assert {t.id: t.state for t in self.engine.tickets.values()} == before
            return None
        for event in outcome.events:
            if event.name == "ticket_called" and event.data["calls"] == 1:
                # never a done, cancelled or no-show ticket
                assert before.get(event.data["ticket"]["id"]) == "waiting"
        self.persist()
        return outcome

    def ticket_ref(self, data: st.DataObject) -> str:
        refs = sorted(self.engine.tickets) or ["none"]
        return data.draw(st.sampled_from(refs))

    # ------------------------------------------------------------------ rules

    @rule(service=st.sampled_from(SERVICES), green=st.booleans())
    def issue(self, service: str, green: bool) -> None:
        out = self.attempt(self.engine.issue, service, "green" if green else "normal")
        assert out is not None
        number = out.result["ticket"]["number"]
        assert number not in self.numbers_today  # each number once per service and day
        self.numbers_today.add(number)

    @rule(service=st.sampled_from(SERVICES), offset=st.integers(-40, 40))
    def check_in(self, service: str, offset: int) -> None:
        self.appointments += 1
        start = self.clock.now() + timedelta(minutes=offset)
        appointment = Appointment(f"AP{self.appointments}", service, self.engine.day, start,
                                  start + timedelta(minutes=20))
        out = self.attempt(self.engine.check_in, appointment)
        if out is not None:
            number = out.result["ticket"]["number"]
            assert number not in self.numbers_today
            self.numbers_today.add(number)

    @rule(window=st.sampled_from(WINDOWS), clerk=st.sampled_from(CLERKS))
    def sign_in(self, window: int, clerk: Clerk) -> None:
        self.attempt(self.engine.sign_in, window, clerk)

    @rule(window=st.sampled_from(WINDOWS),
          op=st.sampled_from(["sign_out", "call_next", "recall", "start", "no_show", "finish",
                              "resume"]))
    def window_op(self, window: int, op: str) -> None:
        self.attempt(getattr(self.engine, op), window)

    @rule(window=st.sampled_from(WINDOWS))
    def pause(self, window: int) -> None:
        self.attempt(self.engine.pause, window, "break")

    @rule(window=st.sampled_from(WINDOWS), data=st.data())
    def call_number(self, window: int, data: st.DataObject) -> None:
        ref = self.ticket_ref(data)
        number = self.engine.tickets[ref].number if ref in self.engine.tickets else "Z999"
        self.attempt(self.engine.call_number, window, number)

    @rule(window=st.sampled_from(WINDOWS), to_service=st.sampled_from([*SERVICES, None]),
          to_window=st.sampled_from(WINDOWS), position=st.sampled_from(["first", "last"]))
    def transfer(self, window: int, to_service: str | None, to_window: int, position: str) -> None:
        if to_service:
            self.attempt(self.engine.transfer, window, to_service=to_service, position=position)
        else:
            self.attempt(self.engine.transfer, window, to_window=to_window, position=position)

    @rule(data=st.data(), to_service=st.sampled_from(SERVICES),
          to_window=st.none() | st.sampled_from(WINDOWS),
          position=st.sampled_from(["first", "last", "keep"]))
    def reassign(self, data: st.DataObject, to_service: str, to_window: int | None,
                 position: str) -> None:
        if to_window is None:
            self.attempt(self.engine.reassign, self.ticket_ref(data), to_service=to_service,
                         position=position)
        else:
            self.attempt(self.engine.reassign, self.ticket_ref(data), to_window=to_window,
                         position=position)

    @rule(data=st.data(), op=st.sampled_from(["reinstate", "cancel", "prioritise", "find"]))
    def desk_op(self, data: st.DataObject, op: str) -> None:
        self.attempt(getattr(self.engine, op), self.ticket_ref(data))

    @rule(data=st.data(), score=st.integers(1, 4))
    def rate(self, data: st.DataObject, score: int) -> None:
        self.attempt(self.engine.rate, self.ticket_ref(data), score)

    @rule(minutes=st.integers(0, 90))
    def time_passes(self, minutes: int) -> None:
        self.clock.advance(minutes=minutes)
        self.attempt(self.engine.tick)

    @rule(hours=st.integers(20, 30))
    def next_day(self, hours: int) -> None:
        self.clock.advance(hours=hours)
        self.attempt(self.engine.tick)

    @rule()
    def restart(self) -> None:
        """Rebuild from what was handed to the store: every acknowledged ticket is back, with
        the same lines, windows and numbering."""
        old = self.engine.snapshot()
        self.engine = HallEngine(
            HALL, self.clock, always_open=True, day=self.day,
            tickets=[copy.deepcopy(t) for t in sorted(self.stored_tickets.values(),
                                                       key=lambda t: t.line_ord)],
            windows=[copy.deepcopy(w) for w in self.stored_windows.values()])
        new = self.engine.snapshot()
        assert new["waiting"] == old["waiting"]
        assert new["windows"] == old["windows"]
        assert [s["waiting"] for s in new["services"]] == [s["waiting"] for s in old["services"]]

    # ------------------------------------------------------------------ invariants

    @invariant()
    def one_window_per_called_ticket(self) -> None:
        currents = [w.current for w in self.engine.windows.values() if w.current]
        assert len(currents) == len(set(currents))
        for window in self.engine.windows.values():
            if window.current:
                ticket = self.engine.tickets[window.current]
                assert ticket.state in ("called", "serving")
                assert ticket.window == window.number
        for ticket in self.engine.tickets.values():
            if ticket.state in ("called", "serving"):
                assert self.engine.windows[ticket.window or 0].current == ticket.id

    @invariant()
    def every_waiting_ticket_is_in_one_line_and_its_place_is_known(self) -> None:
        """A service line's keys and a window line's cannot be compared: a ticket moved from one
        to the other must leave the first (it once stayed, and every call there failed)."""
        waiting = {t.id for t in self.engine.tickets.values() if t.state == "waiting"}
        assert {t.id for t in self.engine.lines} == waiting
        for number in WINDOWS:
            self.engine.lines.head_of_window(number)
        for ticket_id in waiting:
            self.engine.lines.ahead(self.engine.tickets[ticket_id])

    @invariant()
    def waiting_counts_equal_waiting_tickets(self) -> None:
        for service in HALL.services:
            line = self.engine.lines.by_service.get(service, {})
            real = {t.id for t in self.engine.tickets.values()
                    if t.state == "waiting" and t.service == service}
            assert set(line) == real
            assert self.engine.service_view(service)["waiting"] == len(real)

    @invariant()
    def routing_follows_the_rule(self) -> None:
        """next_for agrees with a brute-force reading of "Who is called next"."""
        waiting = [t for t in self.engine.tickets.values() if t.state == "waiting"]
        for number in WINDOWS:
            spec = HALL.windows[number]
            direct = [t for t in waiting if t.to_window == number]
            if direct:
                expected = min(direct, key=lambda t: t.sort_key())
            else:
                line = [t for t in waiting if t.to_window is None and t.service in spec.serves]
                if spec.policy == "ordered":
                    line.sort(key=lambda t: (spec.serves.index(t.service), t.class_key()))
                else:
                    line.sort(key=lambda t: t.class_key())
                expected = line[0] if line else None
            assert self.engine.next_for(number) is expected
        for ticket in waiting:  # "ahead" counts the ones before it in its own line
            if ticket.to_window is not None:  # the window's own line, whatever the service
                peers = [t for t in waiting if t.to_window == ticket.to_window]
            else:
                peers = [t for t in waiting if t.service == ticket.service and t.to_window is None]
            key = (lambda t: t.sort_key()) if ticket.to_window else (lambda t: t.class_key())
            assert self.engine.ahead_of(ticket) == sum(1 for t in peers if key(t) < key(ticket))

    @invariant()
    def closed_windows_have_no_clerk_or_ticket(self) -> None:
        for window in self.engine.windows.values():
            if window.state == "closed":
                assert window.clerk is None and window.current is None


TestHall = HallMachine.TestCase
TestHall.settings = settings(max_examples=150, stateful_step_count=40, deadline=None,
                             suppress_health_check=[HealthCheck.too_slow])
