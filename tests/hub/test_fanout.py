"""The fan-out on its own, with connections that only record: who hears which event, in which
order, with which ``prev``, and what happens to a device that stops reading. (The same paths
over real sockets: tests/hub/test_server.py and test_server_errors.py.)"""

from __future__ import annotations

import asyncio
import json
from typing import Any, cast

from hub.connection import DeviceConnection
from hub.fanout import EVENT_FLUSH_S, Fanout, Session
from hub.protocol import Role, encode


class Recorder:
    """What a DeviceConnection shows the fan-out: open, its backlog, write, close."""

    def __init__(self, backlog: int = 0) -> None:
        self.open = True
        self.pending = backlog
        self.writes: list[bytes] = []
        self.closed_with: tuple[int, str] | None = None

    def backlog(self) -> int:
        return self.pending

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def close(self, code: int, reason: str) -> None:
        self.closed_with = (code, reason)
        self.open = False

    def messages(self) -> list[dict[str, Any]]:
        """The text frames written, decoded (the hub's frames are unmasked, RFC 6455 5.2)."""
        out = []
        for data in self.writes:
            at = 0
            while at < len(data):
                size, at = data[at + 1] & 0x7F, at + 2
                if size == 126:
                    size, at = int.from_bytes(data[at:at + 2], "big"), at + 2
                out.append(json.loads(data[at:at + size]))
                at += size
        return out


def device(fanout: Fanout, name: str, role: Role, backlog: int = 0) -> tuple[Session, Recorder]:
    conn = Recorder(backlog)
    session = Session(cast(DeviceConnection, conn), name, role, None, 64 * 1024)
    fanout.join(session)
    return session, conn


TICKET = {"id": "20261123-P001", "number": "P001", "service": "pay", "state": "called",
          "window": 3, "clerk": "1001", "lang": "zh"}


def called(seq: int) -> tuple[int, str, str, dict[str, Any], str]:
    data = {"ticket": TICKET, "window": 3, "calls": 1}
    return seq, "ticket_called", "2026-11-23T09:00:00.000+08:00", data, encode(data)


async def test_a_reply_leaves_at_once_and_the_events_follow_paced_to_everybody() -> None:
    fanout = Fanout(outbox_kib=1024)
    counter, counter_conn = device(fanout, "counter-3", Role.COUNTER)
    _, screen = device(fanout, "display-1", Role.DISPLAY)
    _, kiosk = device(fanout, "kiosk-1", Role.KIOSK)
    fanout.reply(counter, '{"re":"r1","ok":true,"result":{}}')
    fanout.deliver(counter)
    fanout.dispatch([called(7), called(8)])
    fanout.pace()
    assert [m.get("re") for m in counter_conn.messages()] == ["r1"]  # the reply, alone
    assert screen.writes == [] and kiosk.writes == []  # events wait for the pace
    await asyncio.sleep(EVENT_FLUSH_S + 0.05)
    assert len(screen.writes) == 1 and len(kiosk.writes) == 1  # both events in one write
    assert [(m["seq"], m["prev"]) for m in kiosk.messages()] == [(7, 0), (8, 7)]
    assert [m["seq"] for m in counter_conn.messages()[1:]] == [7, 8]
    # a display sees the number, service and window, not the clerk or the citizen's language
    shown = screen.messages()[0]["data"]["ticket"]
    assert shown["number"] == "P001" and "clerk" not in shown and "lang" not in shown
    assert kiosk.messages()[0]["data"]["ticket"]["clerk"] == "1001"


async def test_a_device_too_far_behind_is_closed_and_the_others_still_hear() -> None:
    fanout = Fanout(outbox_kib=64)
    _, stuck = device(fanout, "display-1", Role.DISPLAY, backlog=65 * 1024)
    _, fine = device(fanout, "display-2", Role.DISPLAY)
    fanout.dispatch([called(1)])
    fanout.drain()
    assert stuck.closed_with == (1013, "too far behind: reconnect and sync")
    assert stuck.writes == [] and [m["seq"] for m in fine.messages()] == [1]
    fanout.dispatch([called(2)])
    fanout.drain()
    assert stuck.writes == [] and [m["seq"] for m in fine.messages()] == [1, 2]


async def test_prev_goes_on_from_the_newest_events_on_disk() -> None:
    fanout = Fanout(outbox_kib=1024)
    fanout.restart([(41, "ticket_rated"), (40, "ticket_called")])  # newest first
    _, desk = device(fanout, "desk-1", Role.DESK)
    _, screen = device(fanout, "display-1", Role.DISPLAY)
    fanout.dispatch([called(42)])
    fanout.drain()
    assert desk.messages()[0]["prev"] == 41  # the desk also received the rating
    assert screen.messages()[0]["prev"] == 40  # a display does not see ratings


async def test_a_device_that_left_is_not_written_to() -> None:
    fanout = Fanout(outbox_kib=1024)
    gone, conn = device(fanout, "kiosk-1", Role.KIOSK)
    fanout.dispatch([called(1)])
    fanout.leave(gone)
    fanout.dispatch([called(2)])
    fanout.drain()
    assert conn.writes == [] and not fanout.outbox
