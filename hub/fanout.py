"""Who hears what, and the frames waiting for each device: the hub's fan-out.

Every frame is serialized once (``text_frame``) and the same bytes are queued for every device
entitled to it; a device's queue (its outbox) leaves in one write. A commit's replies leave at
once (``reply`` then ``deliver``), its events for everybody else are paced (``pace``): a burst of
requests costs each display one write per ``EVENT_FLUSH_S``, not one per commit. A device that
falls more than ``Limits.outbox`` KiB behind is closed (1013) and resyncs when it comes back, so
one slow display never delays the others. Each role's events carry ``prev``, the seq of the
previous event that role received: a device that sees a gap resyncs.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hub.connection import DeviceConnection
from hub.protocol import ALL, EVENT_ROLES, Role, encode, event_for

logger = logging.getLogger(__name__)

# Events for devices that did not ask for them are written at most this often to each device
# (at once when the hall is quiet). Under a burst, a display gets one write per 20 ms holding
# every event since the last, instead of one write per commit: the hub's sends stay bounded by
# the number of devices, not by devices x requests. A requester is never kept waiting: its reply
# leaves with the commit, after the events already queued for it, before this commit's.
EVENT_FLUSH_S = 0.02
# A commit's replies get this lead over its events for the devices that did not ask: writing a
# call to 200 displays at once keeps the hub and the screens' processes busy for a few ms, and on
# a machine whose cores they fill the counter that asked would wait that long to read its reply
# (call_next p50 5.6 ms without the lead, 3.4 ms with it, tests/perf/bench_hub.py).
REPLY_LEAD_S = 0.001
FLUSH_CHUNK = 32  # devices written per turn of the loop: a request arriving during a flush to 200
#                   displays waits for one chunk of writes, not all 200


@dataclass(eq=False)
class Session:
    """One connected device."""

    conn: DeviceConnection
    device: str
    role: Role
    window: int | None
    backlog: int  # bytes the transport may hold for this device before it is dropped
    # the seq of the device's last hello or sync reply: the events up to it are in that reply's
    # snapshot, so those still on their way (their commit not yet on disk) are not sent after it
    floor: int = 0
    closed: bool = False
    revoked: bool = False  # cut because its enrolment was revoked (not a device going away)

    def push(self, *frames: bytes) -> bool:
        """Write websocket frames (see ``text_frame``) now, in one write and without awaiting;
        False if the device is too far behind."""
        conn = self.conn
        if self.closed or not conn.open:
            return True  # closing anyway: nothing to drop
        if conn.backlog() > self.backlog:
            return False
        conn.write(frames[0] if len(frames) == 1 else b"".join(frames))
        return True


def text_frame(text: str) -> bytes:
    """One websocket text frame from the hub, serialized once. A server's frames are not masked
    and the bus negotiates no extension, so the same bytes go to every device that sees them: a
    call to 200 displays is framed once, not 200 times. An unmasked, unfragmented frame is a
    2-, 4- or 10-byte head and the payload (RFC 6455 5.2), the same bytes as websockets'
    ``Frame.serialize`` (tests/hub/test_server.py), for a fifth of its time."""
    payload = text.encode()
    size = len(payload)
    if size < 126:
        return bytes((0x81, size)) + payload
    if size < 65536:
        return struct.pack("!BBH", 0x81, 126, size) + payload
    return struct.pack("!BBQ", 0x81, 127, size) + payload


@functools.cache
def _entitled(event: str) -> tuple[Role, ...]:
    """The roles that receive this event, in Role order."""
    return tuple(role for role in Role if role in EVENT_ROLES.get(event, ALL))


# (seq, name, at, data, data as JSON): an event numbered and encoded once, for the store and here
Event = tuple[int, str, str, dict[str, Any], str]


class Fanout:
    def __init__(self, outbox_kib: int) -> None:
        self.outbox_kib = outbox_kib
        self.audience: dict[Role, set[Session]] = {role: set() for role in Role}
        self.role_prev: dict[Role, int] = {role: 0 for role in Role}
        self.outbox: dict[Session, list[bytes]] = {}  # frames not yet written, per device
        self._flush_at: asyncio.Handle | None = None  # the next paced write of events
        self._flushed = 0.0  # loop time of the last paced write

    def restart(self, recent: Iterable[tuple[int, str]]) -> None:
        """Take up each role's ``prev`` from the newest events on disk (seq, name; newest
        first)."""
        self.role_prev = {role: 0 for role in Role}
        for role in Role:
            for seq, name in recent:
                if role in EVENT_ROLES.get(name, ALL):
                    self.role_prev[role] = seq
                    break

    def join(self, session: Session) -> None:
        """A device that said hello hears the events that follow its snapshot."""
        if not session.closed:
            self.audience[session.role].add(session)

    def connected(self) -> set[str]:
        """The names of the devices connected now (that said hello)."""
        return {s.device for members in self.audience.values() for s in members}

    def leave(self, session: Session) -> None:
        self.audience[session.role].discard(session)
        self.outbox.pop(session, None)

    def reply(self, session: Session, text: str) -> None:
        """Queue a reply for the requester, after what already waits for it (``deliver`` it)."""
        self.outbox.setdefault(session, []).append(text_frame(text))

    def dispatch(self, events: list[Event]) -> None:
        """Queue events, in order, on each entitled device's outbox (one write per device per
        flush: a call reaches 200 displays in 200 writes, not 800)."""
        outgoing = self.outbox
        for seq, name, at, data, body in events:
            for role in _entitled(name):
                visible = data if role is not Role.DISPLAY else event_for(role, name, data)
                if visible is None:
                    continue
                prev, self.role_prev[role] = self.role_prev[role], seq
                members = self.audience[role]
                if not members:
                    continue
                # the data is encoded once (for the store) and reused by every role that sees it
                # whole; only a display's trimmed copy is encoded again
                frame = text_frame(f'{{"event":"{name}","seq":{seq},"at":"{at}","data":'
                                   f'{body if visible is data else encode(visible)},'
                                   f'"prev":{prev}}}')
                for member in members:
                    if seq > member.floor:
                        outgoing.setdefault(member, []).append(frame)

    def deliver(self, session: Session) -> None:
        """Write what waits for this device now, in order."""
        frames = self.outbox.pop(session, None)
        if frames:
            self.send(session, *frames)

    def pace(self) -> None:
        """Write the events waiting for bystanders once the last such write is EVENT_FLUSH_S
        old, and not before REPLY_LEAD_S has passed."""
        if not self.outbox or self._flush_at is not None:
            return
        loop = asyncio.get_running_loop()
        wait = max(REPLY_LEAD_S, self._flushed + EVENT_FLUSH_S - loop.time())
        self._flush_at = loop.call_later(wait, self.flush)

    def flush(self) -> None:
        """Write what waits, FLUSH_CHUNK devices at a time; the rest on the next turn of the loop
        (their frames stay in the outbox meanwhile, so a reply never overtakes them)."""
        loop = asyncio.get_running_loop()
        self._flush_at = None
        self._flushed = loop.time()
        for _ in range(min(FLUSH_CHUNK, len(self.outbox))):
            session = next(iter(self.outbox))
            try:
                self.deliver(session)
            except Exception:  # one device's broken connection must not cost the others theirs
                logger.exception("writing to %s failed", session.device)
        if self.outbox:
            self._flush_at = loop.call_soon(self.flush)

    def drain(self) -> None:
        """Write everything that waits, now (the hub is stopping)."""
        while self.outbox:
            if self._flush_at is not None:
                self._flush_at.cancel()
            self.flush()  # writes a chunk and leaves _flush_at set while some remain
        if self._flush_at is not None:
            self._flush_at.cancel()
            self._flush_at = None

    def send(self, session: Session, *frames: bytes) -> None:
        if not session.push(*frames) and not session.closed:
            logger.warning("device %s fell more than %d KiB behind: closing it so it resyncs",
                           session.device, self.outbox_kib)
            self.drop(session, 1013, "too far behind: reconnect and sync")

    def drop(self, session: Session, code: int, reason: str) -> None:
        """Close a device's connection (it is cut if it does not answer the close frame within
        ``Limits.close_timeout``: a peer that stops reading cannot hold it open)."""
        session.closed = True
        self.audience[session.role].discard(session)
        session.conn.close(code, reason)
