"""The hall bus server: a thin asyncio loop around the engine.

Each device's websocket is a ``DeviceConnection`` (``hub.connection``), which hands over every
message in the loop's callback. A message is parsed (``protocol``), applied to the engine at once,
and queued as ``Work``; ``_commit`` writes every queued change in one durable transaction, then
the replies leave and the events follow, in ``seq`` order (``hub.fanout``: each frame serialized
once, a device's queue written in one write, the events for devices that did not ask paced, a
device too far behind closed so that it resyncs). So ``"ok": true`` means "on disk", and
concurrent requests share one commit.

A peer that stops reading cannot hold the hub either: a connection the hub closes (too far
behind, revoked, shutdown) gets ``Limits.close_timeout`` seconds to take the close frame, then its
TCP connection is cut. The idempotency cache is per hall day, so the day rolls over before a
request is looked up in it.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import ssl
import sys
import time
from collections import deque
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from websockets.datastructures import Headers
from websockets.http11 import Request as HttpRequest
from websockets.http11 import Response

from hub import hours
from hub.clock import Clock, HallClock, SystemClock
from hub.config import Hall
from hub.connection import DeviceConnection
from hub.engine import HallEngine, Outcome
from hub.errors import RequestError, StoreBusy, StoreError
from hub.fanout import Event, Fanout, Session, text_frame
from hub.model import Appointment, Clerk, Ticket, iso
from hub.protocol import (
    MAX_FRAME,
    PROTOCOL_VERSION,
    WAITING_ROLES,
    BadFrame,
    Code,
    Request,
    Role,
    encode,
    parse_request,
    reply_error,
    reply_ok,
    snapshot_for,
    ticket_for,
)
from hub.reports import WAIT_TARGET_MIN, Targets, dissatisfied_item, named_report
from hub.store import BUSY_WAIT_S, Batch, Store, ticket_row, window_row

logger = logging.getLogger(__name__)

HELLO_TIMEOUT = 15.0
PING_SECONDS = 20.0  # keep-alive pings (protocol.md); a device that misses two is dropped
WAITING_MAX = 64  # messages of one device waiting behind a lookup before its socket is not read
TICK_SECONDS = 10.0
CHECKPOINT_SECONDS = 1.0
FOLLOW_UP_DAYS = 31  # a desk is shown the unanswered "dissatisfied" ratings of this many days
RELOADING = "the hub is reloading the hall after an unexpected error: try again in a moment"
# a disk whose commits take longer is waited for in a thread (see HallServer._commit)
INLINE_COMMIT_S = 0.001
PIN_ATTEMPTS = 5
# changing ops that may first read the disk (or check a PIN)
LOOKUPS = frozenset({"check_in", "sign_in", "follow_up"})
PIN_LOCK_SECONDS = 300.0
PIN_FAILURES_KEPT = 1000  # clerk names with recent wrong PINs, before the old are forgotten


@dataclass
class Limits:
    rate: float = 1000.0  # requests per second per device, sustained
    burst: float = 2000.0
    outbox: int = 1024  # KiB waiting for one connection (beyond the OS socket buffer) before
    #                     it is dropped as too far behind
    close_timeout: float = 2.0  # seconds a closed peer has to take the close frame, then cut


class TokenBucket:
    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.stamp = burst, time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


@dataclass(eq=False)
class Inbound:
    """What the hub keeps of one open connection: its session once hello is said, and the
    messages waiting while an earlier one looks something up (the PIN check, an appointment, a
    report): a device's requests are handled in the order it sent them."""

    session: Session | None = None
    waiting: deque[str | bytes] = field(default_factory=deque)
    busy: bool = False
    hello_timer: asyncio.TimerHandle | None = None


@dataclass
class Work:
    """One applied request (or tick): what to write, then what to send."""

    session: Session | None = None
    req_id: str | None = None
    reply: str | None = None
    events: list[Event] = field(default_factory=list)
    batch: Batch = field(default_factory=Batch)
    register: bool = False
    idem_key: tuple[str, str] | None = None
    result_body: str | None = None  # the result, already encoded (when an event carries it)


class HallServer:
    def __init__(self, hall: Hall, store: Store, clock: Clock | None = None, *,
                 always_open: bool = False, limits: Limits | None = None) -> None:
        self.hall = hall
        self.store = store
        self.clock = HallClock(clock or SystemClock())  # says when it goes back
        self.always_open = always_open
        self.limits = limits or Limits()
        self.fanout = Fanout(self.limits.outbox)
        self.buckets: dict[str, TokenBucket] = {}
        self.pin_failures: dict[str, list[float]] = {}
        self._pins_checking: dict[str, int] = {}  # clerk -> PIN checks under way
        self.pending: list[Work] = []
        self._committing = False
        self._save_error: str | None = None  # why the last commit failed, until one succeeds
        self._commits = 0
        self._commit_s = 0.0  # recent commit time (moving average), to choose inline or thread
        self._day_ends: datetime | None = None  # when the current hall day ends
        self._committed_works = 0  # requests and ticks written; / commits = batching
        self._loop: asyncio.AbstractEventLoop | None = None  # set by start()
        self._commit_due = False  # a _commit() is scheduled
        # the engine failed in the middle of a change: it is rebuilt from the store once what
        # was queued before is on disk, and changes wait for that (see _engine_failed)
        self._reload_due = False
        self._writer_pool = ThreadPoolExecutor(1, thread_name_prefix="hall-commit")
        self._reader_pool = ThreadPoolExecutor(2, thread_name_prefix="hall-read")
        self._server: asyncio.Server | None = None
        self.connections: dict[DeviceConnection, Inbound] = {}  # open websockets
        # (connected, at, device) not yet written: they go with the next commit that writes
        # the hall's changes anyway, never in one of their own (a hub that cannot write must
        # still let devices connect and read), and come back here if it fails
        self._seen_unsaved: list[tuple[bool, str, str]] = []
        self._seen_writing: list[tuple[bool, str, str]] = []
        self._stopping = False  # the hub cuts every connection: not a device going away
        self._started_at = self.clock.now()
        self._accepted: set[DeviceConnection] = set()  # every TCP connection, open or not yet
        self._tasks: list[asyncio.Task[None]] = []
        self._lookups: set[asyncio.Task[None]] = set()  # requests under way (the loop holds
        #                                                  tasks weakly)
        self._load()
        # device -> when it last connected or disconnected this hall day (``devices``); kept in
        # the store, so that a device that went away before a restart is still missed after it
        self.seen: dict[str, datetime] = {
            device: at for device, at in self.store.gone_since().items()
            if hours.hall_day(self.hall, at).isoformat() == self.engine.day}
        for device in self.store.devices():
            if device.role == Role.COUNTER and not device.revoked and device.window not in \
                    self.hall.windows:
                logger.warning("device %s is a counter at window %s, which the hall file does "
                               "not have: its actions will be refused (not_found) until the "
                               "window is put back or the device enrolled again for a window "
                               "of this hall", device.name, device.window)

    # ------------------------------------------------------------------ state

    def _load(self) -> None:
        loaded = self.store.load()
        self.clock.recorded(loaded.last_at)
        self.engine = HallEngine(self.hall, self.clock, always_open=self.always_open,
                                 day=loaded.day, tickets=loaded.tickets, windows=loaded.windows,
                                 calls=loaded.calls, announcements=loaded.announcements)
        self.seq = loaded.seq
        self._day_ends = None  # the day read back may be one a failed commit did not end
        self.replies: dict[tuple[str, str], str] = loaded.replies
        self.fanout.restart(loaded.recent_events)
        logger.info("hall %s loaded: day %s, %d tickets today, seq %d", self.hall.name,
                    self.engine.day, len(loaded.tickets), self.seq)

    def _work(self, outcome: Outcome, session: Session | None = None,
              req_id: str | None = None) -> Work:
        """Turn an engine outcome into rows to write and events to send, numbering the events."""
        work = Work(session=session, req_id=req_id)
        at = self.clock.now().isoformat(timespec="milliseconds")
        for event in outcome.events:
            self.seq += 1
            body = encode(event.data)
            if event.data is outcome.result:  # the result is this event's data: encoded once
                work.result_body = body
            work.events.append((self.seq, event.name, at, event.data, body))
            work.batch.events.append((self.seq, at, event.name, body))
        tickets, windows = self.engine.take_changes()
        work.batch.tickets = [ticket_row(t) for t in tickets]
        work.batch.appointments = [(t.id, t.appointment) for t in tickets if t.appointment]
        work.batch.windows = [window_row(w) for w in windows]
        return work

    def _enqueue(self, work: Work) -> None:
        self.pending.append(work)
        if not self._committing and not self._commit_due and self._loop is not None:
            # the commit runs once this turn of the loop has applied every request it read
            self._commit_due = True
            self._loop.call_soon(self._commit)

    # ------------------------------------------------------------------ committing and sending

    def _commit(self) -> None:
        """Write everything pending in one transaction; its replies and events leave once it is
        on disk (``_committed``). Plain callbacks, no task: a request costs no task switch."""
        self._commit_due = False
        if self._committing or not self.pending or self._loop is None:
            return  # under way (what is pending follows it), nothing to do, or stopped
        works, self.pending = self.pending, []
        batch = Batch()
        for work in works:
            batch.add(work.batch)
        if batch and self._seen_unsaved:
            batch.seen, self._seen_unsaved = self._seen_unsaved, []
        self._seen_writing = batch.seen
        self._committing = True
        try:
            if batch:
                try:
                    self.store.write(batch)  # the rows: no wait for the disk
                except StoreBusy as busy:
                    # another program holds the write lock: the wait for it goes to the writer
                    # thread, and the loop goes on reading, pinging and answering /healthz
                    logger.warning("%s: the commit waits for it, up to %g s", busy, BUSY_WAIT_S)
                    self._commit_in_thread(works, functools.partial(self._write_and_finish, batch))
                    return
                if self._commit_s >= INLINE_COMMIT_S:
                    # a slow disk: the wait for it goes to a thread, and the loop reads and
                    # applies the requests arriving meanwhile, which share the next commit
                    self._commit_in_thread(works, self._finish)
                    return
                # a fast disk, one device or many: the loop waits for it. The requests that
                # arrive meanwhile wait in their sockets and share the next commit all the
                # same, and no time goes to handing over to a thread and back (its turn at the
                # GIL, then the loop's wake-up: 0.6-1 ms here, longer than the commit itself)
                self._finish()
        except Exception:  # the loop boundary: a failed commit must not stop the next ones
            self._commit_failed(works)
            return
        self._committed(works)

    def _commit_in_thread(self, works: list[Work], job: Callable[[], None]) -> None:
        """Run the rest of a commit in the writer thread; ``works`` are sent once it is done."""
        assert self._loop is not None
        done = self._loop.run_in_executor(self._writer_pool, job)
        done.add_done_callback(functools.partial(self._committed, works))

    def _committed(self, works: list[Work], done: asyncio.Future[None] | None = None) -> None:
        if done is not None and (done.cancelled() or done.exception() is not None):
            self._commit_failed(works, asyncio.CancelledError() if done.cancelled() else done.exception())
            return
        self._committing = False
        self._seen_writing = []
        self._save_error = None
        self._commits += 1
        self._committed_works += len(works)
        try:
            fanout = self.fanout
            for work in works:
                if work.session is not None:
                    if work.register:
                        fanout.join(work.session)
                    if work.reply is not None:
                        fanout.reply(work.session, work.reply)
            for work in works:  # the requesters: their replies leave now, ...
                if work.session is not None and work.reply is not None:
                    fanout.deliver(work.session)
            for work in works:  # ... the events for everybody follow, paced
                fanout.dispatch(work.events)
            fanout.pace()
        except Exception:  # committed: a device that retries gets the stored reply
            logger.exception("sending the replies and events of a commit failed")
        self._reload_if_due()
        if self.pending:  # what arrived during the commit: the next one
            self._commit()

    def _commit_failed(self, works: list[Work], error: BaseException | None = None) -> None:
        cause = error or sys.exc_info()[1]
        disk = isinstance(cause, StoreError)  # the disk's own words say it all (full, I/O error)
        logger.error("commit failed: %d requests are refused and the hall is reloaded from "
                     "disk%s", len(works), f": {cause}" if disk else "",
                     exc_info=None if disk else (cause or True))
        self._committing = False
        self._save_error = str(cause) if disk else "an unexpected error (see the hub's log)"
        self._seen_unsaved[:0], self._seen_writing = self._seen_writing, []  # for the next one
        self._recover(works, f" ({cause})" if disk else "")
        if self.pending:
            self._commit()

    def _write_and_finish(self, batch: Batch) -> None:
        self.store.write(batch, wait=True)
        self._finish()

    def _finish(self) -> None:
        started = time.perf_counter()
        self.store.finish()
        self._commit_s = 0.9 * self._commit_s + 0.1 * (time.perf_counter() - started)

    def _recover(self, failed: list[Work], why: str = "") -> None:
        """Refuse what the failed commit held and what waits behind it (a read answered from
        the hall as it stood, with changes that are now undone, too), and read the hall back
        from disk."""
        everything, self.pending = failed + self.pending, []
        for work in everything:
            if work.idem_key:
                self.replies.pop(work.idem_key, None)
            if work.session is not None and work.reply is not None:
                self.fanout.reply(work.session, encode(reply_error(
                    work.req_id, Code.INTERNAL, f"the hub could not save the hall's changes{why}; "
                    "nothing of this request was changed, please try again")))
                self.fanout.deliver(work.session)
        try:
            self._load()
        except StoreError as err:  # the hall in memory may hold what was refused: no change
            logger.error("the hall cannot be read back from disk either (%s): changes are "
                         "refused until it can be", err)
            self._reload_due = True
        # the seqs of the events undone are given again: a device's floor set by a snapshot
        # that counted them must not hide the events that now bear them
        for inbound in self.connections.values():
            if inbound.session is not None:
                inbound.session.floor = min(inbound.session.floor, self.seq)

    # ------------------------------------------------------------------ connections

    def new_connection(self) -> DeviceConnection:
        conn = DeviceConnection(self, MAX_FRAME, self.limits.close_timeout)
        self._accepted.add(conn)
        return conn

    def http(self, request: HttpRequest) -> Response | None:
        if request.path.split("?")[0] == "/healthz":
            body = json.dumps(self.health(), ensure_ascii=False).encode()
            headers = Headers([("Content-Type", "application/json"),
                               ("Content-Length", str(len(body))), ("Connection", "close")])
            return Response(200, "OK", headers, body)
        return None

    def opened(self, conn: DeviceConnection) -> None:
        loop = asyncio.get_running_loop()
        self.connections[conn] = Inbound(hello_timer=loop.call_later(
            HELLO_TIMEOUT, conn.close, 1008, "say hello first"))

    def closed(self, conn: DeviceConnection) -> None:
        self._accepted.discard(conn)
        inbound = self.connections.pop(conn, None)
        if inbound is None:
            return  # its handshake never finished
        if inbound.hello_timer is not None:
            inbound.hello_timer.cancel()
        inbound.waiting.clear()
        session = inbound.session
        if session is not None:
            session.closed = True
            self.fanout.leave(session)
            logger.info("device %s (%s) disconnected", session.device, session.role)
            if not self._connected(session.device):  # not an old connection of one come back
                now = self.seen[session.device] = self.clock.now()
                if not self._stopping and not session.revoked:
                    self._seen_unsaved.append((False, now.isoformat(), session.device))

    def _connected(self, device: str) -> bool:
        """Whether ``device`` has a connection past its hello (its reply may be on its way)."""
        return any(inbound.session is not None and inbound.session.device == device
                   and not inbound.session.closed for inbound in self.connections.values())

    def message(self, conn: DeviceConnection, data: str | bytes) -> None:
        inbound = self.connections.get(conn)
        if inbound is None:
            return
        if inbound.busy:
            inbound.waiting.append(data)
            if len(inbound.waiting) == WAITING_MAX and conn.transport is not None:
                conn.transport.pause_reading()  # the device waits in its socket meanwhile
            return
        self._take(conn, inbound, data)

    def _take(self, conn: DeviceConnection, inbound: Inbound, data: str | bytes) -> None:
        """Handle this message and those waiting after it, until one must look something up:
        that one goes on in a task, and the rest wait for it."""
        while True:
            if inbound.session is None:
                later: Coroutine[Any, Any, None] | None = self._hello(conn, inbound, data)
            else:
                later = self._handle(inbound.session, data)
            if later is not None:
                inbound.busy = True
                task = asyncio.get_running_loop().create_task(self._later(conn, inbound, later))
                self._lookups.add(task)
                task.add_done_callback(self._lookups.discard)
                return
            waiting = self._next_waiting(conn, inbound)
            if waiting is None:
                return
            data = waiting

    @staticmethod
    def _next_waiting(conn: DeviceConnection, inbound: Inbound) -> str | bytes | None:
        if not inbound.waiting or not conn.open:
            return None
        if len(inbound.waiting) == WAITING_MAX and conn.transport is not None:
            conn.transport.resume_reading()  # paused when the line reached WAITING_MAX
        return inbound.waiting.popleft()

    async def _later(self, conn: DeviceConnection, inbound: Inbound,
                     later: Coroutine[Any, Any, None]) -> None:
        try:
            await later
        except Exception:  # a request's own errors are answered where they happen
            logger.exception("the hello of %s could not be checked", conn.remote_address)
            conn.close(1011, "the hub could not check this device: connect again")
        finally:
            inbound.busy = False
        waiting = self._next_waiting(conn, inbound)
        if waiting is not None:
            self._take(conn, inbound, waiting)

    def _refuse(self, conn: DeviceConnection, req_id: str | None, code: str,
                message: str) -> None:
        logger.warning("connection from %s refused: %s", conn.remote_address, message)
        conn.write(text_frame(encode(reply_error(req_id, code, message))))
        conn.close(1008, message)

    def _hello(self, conn: DeviceConnection, inbound: Inbound,
               frame: str | bytes) -> Coroutine[Any, Any, None] | None:
        """The first message: a valid hello goes on to check the token (in a task)."""
        if inbound.hello_timer is not None:
            inbound.hello_timer.cancel()
            inbound.hello_timer = None
        try:
            req = parse_request(frame)
        except BadFrame as err:
            self._refuse(conn, err.req_id, Code.UNAUTHORIZED,
                         f"the first frame must be a valid hello: {err.message}")
            return None
        if req.op != "hello":
            self._refuse(conn, req.id, Code.UNAUTHORIZED, "the first frame must be hello")
            return None
        protocol = req.params["protocol"]
        if protocol != PROTOCOL_VERSION:
            self._refuse(conn, req.id, Code.UNAUTHORIZED, f"this hub speaks protocol "
                         f"{PROTOCOL_VERSION}, not {protocol}")
            return None
        return self._admit(conn, inbound, req)

    async def _admit(self, conn: DeviceConnection, inbound: Inbound, req: Request) -> None:
        loop = asyncio.get_running_loop()
        device = await loop.run_in_executor(self._reader_pool, self.store.device,
                                            req.params["device"], req.params["token"])
        if not conn.open:
            return
        if device is None:
            self._refuse(conn, req.id, Code.UNAUTHORIZED,
                         f"device '{req.params['device']}' is not enrolled, is revoked, or "
                         "its token is wrong")
            return
        session = Session(conn, device.name, Role(device.role), device.window,
                          self.limits.outbox * 1024, floor=self.seq)
        inbound.session = session
        now = self.seen[session.device] = self.clock.now()
        result = {"role": session.role.value, "window": session.window, "seq": self.seq,
                  "snapshot": self._snapshot(session.role),
                  "protocol": PROTOCOL_VERSION, "device": session.device}
        self._enqueue(Work(session=session, req_id=req.id, reply=encode(reply_ok(req.id, result)),
                           register=True))
        self._seen_unsaved.append((True, now.isoformat(), session.device))
        logger.info("device %s (%s, window %s) connected from %s", session.device,
                    session.role, session.window, conn.remote_address)

    def _handle(self, session: Session, frame: str | bytes) -> Coroutine[Any, Any, None] | None:
        """Answer one request: at once, or, for the few that must first look something up, by
        the coroutine returned (the caller runs it before this device's next request)."""
        req_id: str | None = None
        bucket = self.buckets.get(session.device)
        if bucket is None:
            bucket = self.buckets[session.device] = TokenBucket(self.limits.rate,
                                                                self.limits.burst)
        try:
            req = parse_request(frame)
            req_id = req.id
            if not bucket.take():
                raise RequestError(Code.RATE_LIMITED, self._too_fast(session))
            spec = req.spec
            if req.op == "hello":
                raise RequestError(Code.BAD_REQUEST, "hello was already said on this connection")
            if session.role not in spec.roles:
                raise RequestError(Code.FORBIDDEN, f"a {session.role} may not {req.op}")
            if (spec.windowed and session.role == Role.COUNTER
                    and req.params["window"] != session.window):
                raise RequestError(Code.FORBIDDEN, f"this counter is bound to window "
                                   f"{session.window}, not window {req.params['window']}")
            if spec.mutates:
                if self._reload_due:
                    raise RequestError(Code.INTERNAL, RELOADING)
                self._roll_day()  # an id is unique per device per day: roll the day first
                key = (session.device, req.id)
                cached = self.replies.get(key)
                if cached is not None:
                    self._enqueue(Work(session=session, req_id=req.id, reply=cached))
                elif req.op in LOOKUPS:
                    return self._guarded(session, req.id, self._look_up_and_settle(
                        session, req, key))
                else:
                    self._settle(session, req, key, None, None)
            elif req.op == "report":
                return self._guarded(session, req.id, self._report(session, req))
            elif req.op == "follow_ups":
                return self._guarded(session, req.id, self._follow_ups(session, req))
            elif req.op == "devices":
                return self._guarded(session, req.id, self._devices(session, req))
            else:
                self._enqueue(Work(session=session, req_id=req.id,
                                   reply=encode(reply_ok(req.id, self._read(session, req)))))
        except BadFrame as err:  # counted like any request: a flood of them is limited too
            code, message = ((err.code, err.message) if bucket.take()
                             else (Code.RATE_LIMITED, self._too_fast(session)))
            self._enqueue(Work(session=session, req_id=err.req_id,
                               reply=encode(reply_error(err.req_id, code, message))))
        except RequestError as err:
            self._enqueue(Work(session=session, req_id=req_id,
                               reply=encode(reply_error(req_id, err.code, err.message))))
        except Exception:
            self._failed(session, req_id)
        return None

    def _too_fast(self, session: Session) -> str:
        return (f"device {session.device} sends more than {self.limits.rate:g} requests a "
                "second: slow down")

    def _engine_failed(self, session: Session, req: Request) -> None:
        """The engine raised in the middle of ``req``: what it changed so far is not written,
        and the hall is read back from the store once the changes queued before it are on
        disk (the reply is not remembered: a retry is applied to the hall as it was)."""
        logger.exception("%s %s from %s failed in the engine: the hall is reloaded from disk",
                         req.op, req.id, session.device)
        self.engine.discard()  # the half-done change's rows and events: not written, not sent
        self._reload_due = True
        self._enqueue(Work(session=session, req_id=req.id, reply=encode(reply_error(
            req.id, Code.INTERNAL, "the hub hit an unexpected error; nothing of this request "
            "was saved (the hub reloads the hall from disk): please try again"))))

    def _reload_if_due(self) -> None:
        """After an engine failure, or a commit failure whose read-back failed too, once nothing
        is waiting to be written: rebuild the engine (until then changes are refused)."""
        if not self._reload_due or self.pending or self._committing:
            return
        try:
            self._load()
        except StoreError as err:  # tried again after the next request
            logger.error("the hall cannot be read back from disk (%s): changes are refused "
                         "until it can be", err)
            return
        self._reload_due = False
        logger.warning("the hall was reloaded from disk")

    def _failed(self, session: Session, req_id: str | None) -> None:
        logger.exception("request from %s failed", session.device)
        self._enqueue(Work(session=session, req_id=req_id, reply=encode(reply_error(
            req_id, Code.INTERNAL, "the hub hit an unexpected error; nothing was changed"))))

    async def _guarded(self, session: Session, req_id: str,
                       later: Coroutine[Any, Any, None]) -> None:
        try:
            await later
        except RequestError as err:
            self._enqueue(Work(session=session, req_id=req_id,
                               reply=encode(reply_error(req_id, err.code, err.message))))
        except Exception:
            self._failed(session, req_id)

    async def _look_up_and_settle(self, session: Session, req: Request,
                                  key: tuple[str, str]) -> None:
        refusal: RequestError | None = None
        found: Clerk | Appointment | Ticket | None = None
        try:
            found = await self._prepare(req)
        except RequestError as err:  # refused (wrong PIN, no such appointment): remembered too
            refusal = err
        if key in self.replies:  # a request with its id was answered while this one looked
            # things up (its twin on another connection): the same answer, refused or not
            self._enqueue(Work(session=session, req_id=req.id, reply=self.replies[key]))
            return
        self._settle(session, req, key, found, refusal)

    def _settle(self, session: Session, req: Request, key: tuple[str, str],
                found: Clerk | Appointment | Ticket | None,
                refusal: RequestError | None) -> None:
        """Apply a changing request to the engine and queue its rows, events and reply; a
        refusal is remembered like a success (a retry gets the same answer)."""
        if self._reload_due:  # it looked things up while the engine failed: not remembered
            self._enqueue(Work(session=session, req_id=req.id, reply=encode(reply_error(
                req.id, Code.INTERNAL, RELOADING))))
            return
        outcome: Outcome | None = None
        if refusal is None:
            seq = self.seq
            try:
                outcome = self._apply(session, req, found)
                # numbered and encoded here too: a change whose events cannot be encoded is
                # undone like one the engine failed in, not left in memory unwritten
                work = self._work(outcome, session, req.id)
                result_json = work.result_body or encode(outcome.result)
            except RequestError as err:
                refusal = err
            except Exception:  # a bug: the engine may be half-way through the change
                self.seq = seq  # its events, numbered before the failure, are never sent
                self._engine_failed(session, req)
                return
        if outcome is not None:
            reply = f'{{"re":{json.dumps(req.id)},"ok":true,"result":{result_json}}}'
        else:
            assert refusal is not None
            reply = encode(reply_error(req.id, refusal.code, refusal.message))
            logger.info("%s %s from %s refused: %s", req.op, req.id, session.device,
                        refusal.message)
            work = Work(session=session, req_id=req.id)
        work.reply, work.idem_key = reply, key
        self.replies[key] = reply
        work.batch.requests.append((session.device, self.engine.day, req.id, reply))
        self._enqueue(work)

    def _roll_day(self) -> None:
        """Close the hall day if the clock has passed day_starts (before any request)."""
        if self._reload_due:  # not on a half-changed engine: after the reload
            return
        now = self.clock.now()
        if self._day_ends is not None and now < self._day_ends:
            return  # the hall day cannot have ended yet
        self._day_ends = hours.next_day_start(self.hall, now)
        day = self.engine.day
        work = self._work(self.engine.tick())
        if self.engine.day != day:
            self.replies.clear()
            work.batch.meta["day"] = self.engine.day
            self._forget_yesterdays_devices(now)
        if work.events or work.batch:
            self._enqueue(work)

    def _forget_yesterdays_devices(self, now: datetime) -> None:
        """A new hall day: a device switched off last evening is not news (``devices``); one
        connected now counts as seen since the day began."""
        self.seen = {device: now for device in self.fanout.connected()}

    # ------------------------------------------------------------------ ops

    async def _prepare(self, req: Request) -> Clerk | Appointment | Ticket | None:
        """What an op needs from the database or the slow PIN check, looked up before the engine
        is touched (so that the engine is only ever changed without awaiting in between)."""
        if req.op == "check_in":
            loop = asyncio.get_running_loop()
            code = req.params["code"]
            appointment = await loop.run_in_executor(self._reader_pool, self.store.appointment,
                                                     code)
            if appointment is None:
                raise RequestError(Code.NOT_FOUND, f"no appointment with code {code}")
            return appointment
        if req.op == "sign_in":
            return await self._check_clerk(req.params["clerk"], req.params["pin"])
        if req.op == "follow_up":
            ref = req.params["ticket"]
            if self.engine.today(ref) is not None:
                return None  # one of today's: the engine has it
            loop = asyncio.get_running_loop()
            ticket = await loop.run_in_executor(self._reader_pool, self.store.ticket, ref)
            if ticket is None:
                raise RequestError(Code.NOT_FOUND, f"no ticket '{ref}' (a ticket of an earlier "
                                   "day is named by its id, e.g. 20261120-A012)")
            return ticket
        return None

    def _apply(self, session: Session, req: Request,
               found: Clerk | Appointment | Ticket | None) -> Outcome:
        p = req.params
        e = self.engine
        op = req.op
        if op == "issue":
            priority = p.get("priority", "normal")
            if priority != "normal" and session.role == Role.KIOSK:
                raise RequestError(Code.FORBIDDEN, "only the guidance desk may issue green-channel "
                                   "(priority) or appointment tickets; a kiosk checks in "
                                   "appointments with check_in")
            return e.issue(p["service"], priority, p.get("lang"), session.device)
        if op == "check_in" and isinstance(found, Appointment):
            return e.check_in(found, session.device)
        if op == "sign_in" and isinstance(found, Clerk):
            return e.sign_in(p["window"], found)
        if op == "rate":
            window = session.window if session.role == Role.COUNTER else None
            return e.rate(p["ticket"], p["score"], window)
        if op == "follow_up":
            return e.follow_up(p["ticket"], p["note"], session.device,
                               found if isinstance(found, Ticket) else None)
        if op == "announce":
            return e.announce(p["text"], p.get("lang"))
        if op == "device_status":
            return e.report_device(session.device, p["status"])
        windowed: dict[str, Callable[[int], Outcome]] = {
            "sign_out": e.sign_out, "call_next": e.call_next, "recall": e.recall,
            "start": e.start, "no_show": e.no_show, "finish": e.finish, "resume": e.resume,
        }
        if op in windowed:
            return windowed[op](p["window"])
        if op == "call_number":
            return e.call_number(p["window"], p["number"])
        if op == "pause":
            return e.pause(p["window"], p.get("reason"))
        if op == "transfer":
            return e.transfer(p["window"], p.get("to_service"), p.get("to_window"),
                              p["position"], p.get("ticket"))
        if op == "reassign":
            return e.reassign(p["ticket"], p.get("to_service"), p.get("to_window"),
                              p["position"])
        if op == "prioritise":
            return e.prioritise(p["ticket"])
        if op == "reinstate":
            return e.reinstate(p["ticket"], p["position"])
        if op == "cancel":
            return e.cancel(p["ticket"], p.get("reason"))
        raise RequestError(Code.BAD_REQUEST, f"op {op} is not handled by this hub")

    async def _check_clerk(self, clerk_id: str, pin: str) -> Clerk:
        now = time.monotonic()
        if len(self.pin_failures) > PIN_FAILURES_KEPT:  # names tried at random: forget the old
            self.pin_failures = {name: times for name, times in self.pin_failures.items()
                                 if now - times[-1] < PIN_LOCK_SECONDS}
        failures = [t for t in self.pin_failures.get(clerk_id, []) if now - t < PIN_LOCK_SECONDS]
        if failures:
            self.pin_failures[clerk_id] = failures
        else:
            self.pin_failures.pop(clerk_id, None)
        if len(failures) >= PIN_ATTEMPTS:
            raise RequestError(Code.UNAUTHORIZED, f"clerk {clerk_id} is locked for a few minutes "
                               "after too many wrong PINs")
        # the PINs being checked count as tries: many sent at once (from as many connections)
        # would otherwise all be checked before the first failure is counted
        checking = self._pins_checking.get(clerk_id, 0)
        if len(failures) + checking >= PIN_ATTEMPTS:
            raise RequestError(Code.UNAUTHORIZED, f"clerk {clerk_id} is locked for a moment: "
                               "too many PINs tried at once")
        self._pins_checking[clerk_id] = checking + 1
        try:
            loop = asyncio.get_running_loop()
            clerk = await loop.run_in_executor(self._reader_pool, self.store.clerk, clerk_id, pin)
        finally:
            left = self._pins_checking.pop(clerk_id) - 1
            if left:
                self._pins_checking[clerk_id] = left
        if clerk is None:
            self.pin_failures.setdefault(clerk_id, []).append(time.monotonic())
            raise RequestError(Code.UNAUTHORIZED, f"unknown clerk {clerk_id} or wrong PIN")
        self.pin_failures.pop(clerk_id, None)
        return clerk

    def _snapshot(self, role: Role) -> dict[str, Any]:
        return snapshot_for(role, self.engine.snapshot(waiting=role in WAITING_ROLES))

    def _read(self, session: Session, req: Request) -> dict[str, Any]:
        if req.op == "sync":
            self._roll_day()
            session.floor = self.seq  # the events up to here are in the snapshot
            return {"seq": self.seq, "snapshot": self._snapshot(session.role)}
        if req.op == "find":
            found = self.engine.find(req.params["ticket"]).result
            return {**found, "ticket": ticket_for(session.role, found["ticket"])}
        if req.op == "window_figures":
            self._roll_day()  # the new day's figures start at nothing
            return self.engine.window_figures(req.params["window"]).result
        raise RequestError(Code.BAD_REQUEST, f"op {req.op} is not handled by this hub")

    async def _report(self, session: Session, req: Request) -> None:
        # read and counted in a reader thread: a month's report is many rows
        p = req.params
        targets = Targets.of_hall(self.hall, float(p.get("wait_min", WAIT_TARGET_MIN)),
                                  {sid: float(m) for sid, m in
                                   (p.get("wait_min_by_service") or {}).items()})
        result = await asyncio.get_running_loop().run_in_executor(
            self._reader_pool, named_report, self.hall, self.store, p["from"], p["to"], targets)
        self._enqueue(Work(session=session, req_id=req.id, reply=encode(reply_ok(req.id, result))))

    async def _follow_ups(self, session: Session, req: Request) -> None:
        """The "dissatisfied" ratings of the last FOLLOW_UP_DAYS hall days not yet followed up:
        a desk keeps them in view across days until each is."""
        last = self.engine.day
        first = (date.fromisoformat(last) - timedelta(days=FOLLOW_UP_DAYS - 1)).isoformat()

        def read() -> dict[str, Any]:
            tickets = self.store.open_follow_ups(first, last)
            return {"dissatisfied": [dissatisfied_item(t) for t in tickets],
                    "clerks": self.store.clerk_names(t.clerk for t in tickets if t.clerk),
                    "from": first, "to": last}

        result = await asyncio.get_running_loop().run_in_executor(self._reader_pool, read)
        self._enqueue(Work(session=session, req_id=req.id, reply=encode(reply_ok(req.id, result))))

    async def _devices(self, session: Session, req: Request) -> None:
        """Every enrolled device: whether it is connected now, since when (or when it went away
        this hall day, before a restart of the hub too), and the status it last reported. A
        screen that went dark shows here, where ``device_alert`` only tells of what a device
        says of itself."""
        rows = await asyncio.get_running_loop().run_in_executor(self._reader_pool,
                                                                self.store.devices)
        online = self.fanout.connected()
        listed = [{"name": d.name, "role": d.role, "window": d.window, "revoked": d.revoked,
                   "connected": d.name in online, "since": iso(self.seen.get(d.name)),
                   "status": self.engine.device_status.get(d.name)} for d in rows]
        result = {"devices": listed, "hub_since": iso(self._started_at)}
        self._enqueue(Work(session=session, req_id=req.id, reply=encode(reply_ok(req.id, result))))

    # ------------------------------------------------------------------ health and lifecycle

    def health(self) -> dict[str, Any]:
        # "ok" is false while changes cannot be saved (a full disk, a lost database file): a
        # monitor polling /healthz sees what every device is being refused
        saving = self._save_error or ("the hall is to be read back from disk"
                                      if self._reload_due else None)
        return {"ok": saving is None, "saving_error": saving,
                "hall": self.hall.name, "seq": self.seq, "day": self.engine.day,
                "devices": sum(len(s) for s in self.fanout.audience.values()),
                "by_role": {role.value: len(s) for role, s in self.fanout.audience.items()},
                "pending": len(self.pending), "commits": self._commits,
                "committed": self._committed_works, "at": datetime.now().astimezone().isoformat()}

    async def _ticker(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(TICK_SECONDS)
            try:
                self._roll_day()
                revoked = await loop.run_in_executor(self._reader_pool,
                                                     self.store.revoked_devices)
                for members in self.fanout.audience.values():
                    for session in list(members):
                        if session.device in revoked:
                            session.revoked = True
                            self.fanout.drop(session, 1008, "device revoked")
            except Exception:
                logger.exception("hall tick failed")

    async def _keepalive(self) -> None:
        while True:
            await asyncio.sleep(PING_SECONDS)
            for conn in list(self.connections):
                try:
                    conn.ping()
                except Exception:  # one broken connection must not stop the others' pings
                    logger.exception("pinging %s failed", conn.remote_address)

    async def _checkpointer(self) -> None:
        loop = asyncio.get_running_loop()
        done = 0
        while True:
            await asyncio.sleep(CHECKPOINT_SECONDS)
            if self._commits == done:
                continue
            done = self._commits
            try:
                frames, copied = await loop.run_in_executor(self._reader_pool,
                                                            self.store.checkpoint)
                logger.debug("WAL checkpoint: %d of %d frames copied", copied, frames)
            except Exception:
                logger.exception("WAL checkpoint failed (the next one will try again)")

    async def start(self, host: str = "127.0.0.1", port: int = 8765,
                    ssl_context: ssl.SSLContext | None = None) -> int:
        """Start listening; returns the port (useful with port 0)."""
        self._loop = asyncio.get_running_loop()
        self._tasks = [asyncio.create_task(self._ticker()),
                       asyncio.create_task(self._checkpointer()),
                       asyncio.create_task(self._keepalive())]
        self._roll_day()
        self._enqueue(Work(batch=Batch(meta={"day": self.engine.day})))
        self._server = await self._loop.create_server(self.new_connection, host, port, ssl=ssl_context)
        sock = next(iter(self._server.sockets))
        bound = int(sock.getsockname()[1])
        logger.info("hall bus listening on %s://%s:%d/", "wss" if ssl_context else "ws", host,
                    bound)
        return bound

    async def stop(self) -> None:
        self._stopping = True
        self.fanout.drain()  # the events already committed reach the devices before they close
        if self._server is not None:
            self._server.close()  # no new connections
            for conn in list(self._accepted):
                conn.close(1001, "the hub is stopping")  # cut at once if not open yet
            try:
                async with asyncio.timeout(self.limits.close_timeout + 1):
                    while self._accepted:
                        await asyncio.sleep(0.01)
            except TimeoutError:  # peers that do not read: cut them
                for conn in list(self._accepted):
                    conn.abort()
            await self._server.wait_closed()
        for task in list(self._lookups):
            task.cancel()
        for _ in range(100):  # let the last changes reach the disk
            if not self.pending and not self._committing:
                break
            await asyncio.sleep(0.02)
        self._loop = None  # no commit after this
        # the devices' last connections, if the database is free now: no wait for its lock,
        # nor for a commit still under way
        if self._seen_unsaved and not self._committing:
            try:
                self.store.commit(Batch(seen=self._seen_unsaved))
            except StoreError as err:
                logger.warning("the devices' last connections were not saved: %s", err)
        for task in self._tasks:
            task.cancel()
        self._writer_pool.shutdown(wait=True)
        self._reader_pool.shutdown(wait=False)
        self.store.close()
        logger.info("hall bus stopped at seq %d", self.seq)
