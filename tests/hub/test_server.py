"""The hall bus over real sockets: the session (hello), bad input, health and shutdown.

Also home of ``Wire``, the raw-websockets test client the other hub test modules use, so the
wire format itself is what is tested (not hub.client). Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import socket
import ssl
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame, Opcode

from hub.config import load_hall
from hub.fanout import text_frame
from hub.server import HallServer, Limits
from hub.store import Store
from tests.fakes import FakeClock
from tests.hubproc import CLERKS, COUNTY, DEVICES, HubProcess, self_signed

WAIT = 10.0  # the longest any test waits for one frame

# the contract's event table (docs/protocol.md), written out here rather than imported from
# the hub, so the hub is checked against the document
ALL_ROLES = frozenset({"kiosk", "counter", "display", "desk", "admin"})
EVENT_AUDIENCE: dict[str, frozenset[str]] = {
    "ticket_issued": ALL_ROLES - {"display"},
    "ticket_called": ALL_ROLES,
    "ticket_started": ALL_ROLES,
    "ticket_finished": ALL_ROLES,
    "ticket_no_show": ALL_ROLES,
    "ticket_cancelled": ALL_ROLES,
    "ticket_reinstated": ALL_ROLES,
    "ticket_transferred": ALL_ROLES,
    "ticket_prioritised": ALL_ROLES,
    "ticket_rated": frozenset({"desk", "admin"}),
    "ticket_followed_up": frozenset({"desk", "admin"}),
    "queue_changed": ALL_ROLES,
    "window_changed": ALL_ROLES,
    "announcement": ALL_ROLES,
    "device_alert": frozenset({"desk", "admin"}),
    "day_started": ALL_ROLES,
}
DISPLAY_TICKET_KEYS = {"number", "service", "window"}


def new_id() -> str:
    return uuid.uuid4().hex


class Refused(Exception):
    """The hub closed the connection; ``code`` is the close code it sent."""

    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"closed {code}: {reason}")
        self.code = code
        self.reason = reason


@dataclass
class Wire:
    """One raw websockets connection to the hub: send frames, read replies, collect events."""

    ws: ClientConnection
    hello: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    replies: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    async def open(cls, url: str, device: str, token: str, **options: Any) -> Wire:
        """Connect and say hello; raises AssertionError if the hub refuses."""
        ws = await connect(url, max_size=None, open_timeout=WAIT, **options)
        wire = cls(ws)
        reply = await wire.request("hello", device=device, token=token, protocol=1)
        assert reply["ok"], reply
        wire.hello = reply["result"]
        return wire

    @classmethod
    async def raw(cls, url: str, **options: Any) -> Wire:
        return cls(await connect(url, max_size=None, open_timeout=WAIT, **options))

    async def close(self) -> None:
        """Close cleanly: frames still unread are drained, or the hub's close frame would wait
        behind them (the client stops reading while its queue is full)."""

        async def drain() -> None:
            with contextlib.suppress(ConnectionClosed):
                while True:
                    await self.ws.recv()

        reader = asyncio.create_task(drain())
        await self.ws.close()
        await reader

    async def send(self, frame: dict[str, Any] | str | bytes) -> None:
        await self.ws.send(json.dumps(frame) if isinstance(frame, dict) else frame)

    async def frame(self, timeout: float = WAIT) -> dict[str, Any]:
        """The next frame (events are also kept in ``events``); Refused if the hub closed."""
        try:
            async with asyncio.timeout(timeout):
                text = await self.ws.recv()
        except ConnectionClosed as err:
            raise Refused(err.rcvd.code if err.rcvd else None,
                          err.rcvd.reason if err.rcvd else "") from None
        assert isinstance(text, str), "the hub sent a binary frame"
        message = json.loads(text)
        assert isinstance(message, dict), message
        if "event" in message:
            self.events.append(message)
        else:
            self.replies.append(message)
        return message

    async def reply(self, req_id: str | None) -> dict[str, Any]:
        """Read frames until the reply to ``req_id`` (``None``: a reply with "re": null)."""
        while True:
            message = await self.frame()
            if "re" in message and message["re"] == req_id:
                return message

    async def request(self, op: str, req_id: str | None = None, **params: Any) -> dict[str, Any]:
        req_id = req_id or new_id()
        await self.send({"op": op, "id": req_id, **params})
        return await self.reply(req_id)

    async def ok(self, op: str, req_id: str | None = None, **params: Any) -> dict[str, Any]:
        reply = await self.request(op, req_id, **params)
        assert reply["ok"] is True, f"{op} {params} refused: {reply}"
        assert set(reply) == {"re", "ok", "result"}, reply
        result = reply["result"]
        assert isinstance(result, dict)
        return result

    async def fail(self, op: str, req_id: str | None = None, **params: Any) -> str:
        """The error code of a request that must be refused."""
        reply = await self.request(op, req_id, **params)
        assert reply["ok"] is False, f"{op} {params} was accepted: {reply}"
        error = reply["error"]
        assert isinstance(error["code"], str) and isinstance(error["message"], str)
        assert error["message"], "an error must say what is wrong"
        return str(error["code"])

    async def event(self, name: str, timeout: float = WAIT) -> dict[str, Any]:
        """The next event called ``name`` not seen before (earlier ones are taken first)."""
        for i, message in enumerate(self.events):
            if message["event"] == name:
                return self.events.pop(i)
        while True:
            message = await self.frame(timeout)
            if message.get("event") == name:
                self.events.remove(message)
                return message

    async def flush(self) -> list[dict[str, Any]]:
        """Every event sent before now: a sync's reply comes after them. Clears ``events``."""
        await self.ok("sync")
        events, self.events = self.events, []
        return events

    async def closed(self, timeout: float = WAIT) -> Refused:
        """Read until the hub closes the connection; the close it sent."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    await self.frame(timeout)
        except Refused as refused:
            return refused


# ------------------------------------------------------------------------------ hubs

def start_hub(folder: Path, config: Path = COUNTY, **options: Any) -> HubProcess:
    return HubProcess(folder, config, **options).enroll_standard().start()


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    """One real hub for this module's tests that do not disturb each other."""
    proc = start_hub(tmp_path_factory.mktemp("hub"))
    try:
        yield proc
    finally:
        proc.stop()


async def wire(proc: HubProcess, device: str, **options: Any) -> Wire:
    return await Wire.open(proc.url, device, proc.tokens[device], **options)


@dataclass
class InProcess:
    """A HallServer in the test's own event loop, on a free port, with a FakeClock."""

    server: HallServer
    clock: FakeClock
    store: Store
    url: str
    tokens: dict[str, str]
    db: Path
    opened: list[Wire] = field(default_factory=list)

    async def wire(self, device: str, **options: Any) -> Wire:
        w = await Wire.open(self.url, device, self.tokens[device], **options)
        self.opened.append(w)
        return w


@contextlib.asynccontextmanager
async def in_process(folder: Path, *, config: Path = COUNTY, always_open: bool = False,
                     limits: Limits | None = None, clock: FakeClock | None = None,
                     prepare: Any = None) -> AsyncIterator[InProcess]:
    """Start an in-process hub; ``prepare(store)`` runs before it loads (e.g. appointments)."""
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "hall.db"
    setup = Store(db)
    tokens = {name: setup.add_device(name, role, window)
              for name, (role, window) in DEVICES.items()}
    for clerk_id, (name, pin) in CLERKS.items():
        setup.add_clerk(clerk_id, name, pin)
    if prepare is not None:
        prepare(setup)
    setup.close()
    clock = clock or FakeClock()
    store = Store(db)
    server = HallServer(load_hall(config), store, clock, always_open=always_open,
                        limits=limits or Limits())
    port = await server.start("127.0.0.1", 0)
    hub = InProcess(server, clock, store, f"ws://127.0.0.1:{port}/", tokens, db)
    try:
        yield hub
    finally:
        for w in hub.opened:
            await w.close()
        await server.stop()


def local(day: str, hhmm: str) -> datetime:
    """A moment in the county hall's time zone (Asia/Shanghai)."""
    from zoneinfo import ZoneInfo
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=ZoneInfo("Asia/Shanghai"))


def next_day(day: str) -> str:
    return (datetime.fromisoformat(day) + timedelta(days=1)).date().isoformat()


# ------------------------------------------------------------------------------ hello

async def test_hello_gives_role_window_seq_and_a_snapshot_per_role(shared: HubProcess) -> None:
    desk = await wire(shared, "desk-1")
    admin = await wire(shared, "admin-1")
    ticket = (await desk.ok("issue", service="pay"))["ticket"]
    await admin.ok("sign_in", window=11, clerk="1003", pin="3456")
    called = (await admin.ok("call_next", window=11))["ticket"]
    assert called["number"] == ticket["number"]
    seq = (await admin.ok("sync"))["seq"]

    expected = {"kiosk-1": ("kiosk", None), "counter-1": ("counter", 1),
                "display-1": ("display", None), "desk-1": ("desk", None),
                "admin-1": ("admin", None)}
    for device, (role, window) in expected.items():
        w = await wire(shared, device)
        hello = w.hello
        assert hello["role"] == role and hello["window"] == window
        assert hello["seq"] == seq
        snap = hello["snapshot"]
        assert {"day", "hall", "services", "windows", "recent_calls"} <= set(snap)
        assert snap["hall"]["name"] == "县政务服务中心"
        assert [s["id"] for s in snap["services"]][:3] == ["hukou", "idcard", "social"]
        for service in snap["services"]:
            assert {"id", "name", "prefix", "department", "open", "waiting", "est_wait_min",
                    "quota_left"} <= set(service)
        assert [w_["number"] for w_ in snap["windows"]] == list(range(1, 13))
        for window_view in snap["windows"]:
            assert {"number", "name", "zone", "serves", "state", "clerk", "current"} <= \
                set(window_view)
        eleven = snap["windows"][10]
        assert eleven["state"] == "open" and eleven["current"]["number"] == called["number"]
        assert snap["recent_calls"][0]["ticket"]["number"] == called["number"]
        assert snap["recent_calls"][0]["window"] == 11
        if role in ("kiosk", "display"):
            assert "waiting" not in snap
        else:
            assert isinstance(snap["waiting"], list)
        if role == "display":
            assert set(eleven["current"]) == DISPLAY_TICKET_KEYS
            for call in snap["recent_calls"]:
                assert set(call["ticket"]) == DISPLAY_TICKET_KEYS
        else:
            assert eleven["current"]["id"] == called["id"]
            assert eleven["current"]["state"] == "called"
        await w.close()
    await admin.ok("sign_out", window=11)
    await desk.close()
    await admin.close()


async def refused_hello(url: str, first: str | bytes) -> tuple[dict[str, Any], Refused]:
    w = await Wire.raw(url)
    await w.send(first)
    reply = await w.frame()
    return reply, await w.closed()


@pytest.mark.parametrize("case", ["wrong token", "unknown device", "not hello first",
                                  "not JSON", "binary", "no token"])
async def test_a_bad_first_frame_is_unauthorized_then_closed_1008(shared: HubProcess,
                                                                  case: str) -> None:
    frames: dict[str, str | bytes] = {
        "wrong token": json.dumps({"op": "hello", "id": "h1", "device": "kiosk-1",
                                   "token": "not-the-token", "protocol": 1}),
        "unknown device": json.dumps({"op": "hello", "id": "h1", "device": "kiosk-99",
                                      "token": shared.tokens["kiosk-1"], "protocol": 1}),
        "not hello first": json.dumps({"op": "sync", "id": "h1"}),
        "not JSON": "hello, hub",
        "binary": b'{"op": "hello"}',
        "no token": json.dumps({"op": "hello", "id": "h1", "device": "kiosk-1", "protocol": 1}),
    }
    reply, closed = await refused_hello(shared.url, frames[case])
    assert reply["ok"] is False
    assert reply["error"]["code"] == "unauthorized"
    assert reply["re"] == (None if case in ("not JSON", "binary") else "h1")
    assert closed.code == 1008


@pytest.mark.parametrize("protocol", [2, None])
async def test_a_hello_without_protocol_1_is_unauthorized(shared: HubProcess,
                                                          protocol: int | None) -> None:
    hello = {"op": "hello", "id": "h2", "device": "kiosk-1", "token": shared.tokens["kiosk-1"]}
    if protocol is not None:
        hello["protocol"] = protocol
    reply, closed = await refused_hello(shared.url, json.dumps(hello))
    assert reply["re"] == "h2" and reply["ok"] is False
    assert reply["error"]["code"] == "unauthorized"
    assert "protocol" in reply["error"]["message"]
    assert closed.code == 1008


async def test_a_revoked_device_is_refused_and_dropped_when_connected(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hub import cli, server
    monkeypatch.setattr(server, "TICK_SECONDS", 0.05)
    async with in_process(tmp_path / "hub", always_open=True) as hub:
        connected = await hub.wire("kiosk-2")
        assert cli.main(["device", "revoke", "kiosk-2", "--db", str(hub.db)]) == 0
        # the hub's tick notices the revocation and closes the open connection
        assert (await connected.closed()).code == 1008
        reply, closed = await refused_hello(hub.url, json.dumps(
            {"op": "hello", "id": "h3", "device": "kiosk-2", "token": hub.tokens["kiosk-2"],
             "protocol": 1}))
        assert reply["error"]["code"] == "unauthorized" and closed.code == 1008
        other = await hub.wire("kiosk-1")  # the other kiosk is not affected
        assert (await other.ok("issue", service="pay"))["ticket"]["number"] == "P001"


async def test_hello_twice_is_a_bad_request(shared: HubProcess) -> None:
    w = await wire(shared, "kiosk-1")
    code = await w.fail("hello", device="kiosk-1", token=shared.tokens["kiosk-1"], protocol=1)
    assert code == "bad_request"
    assert (await w.ok("sync"))["seq"] >= w.hello["seq"]
    await w.close()


# ------------------------------------------------------------------------------ bad input

DEEP = '{"op": "sync", "id": "deep", "x": ' + "[" * 20000 + "]" * 20000 + "}"


@pytest.mark.parametrize(("frame", "re"), [
    ("{not json", None),
    ("[1, 2, 3]", None),
    ("42", None),
    ('"sync"', None),
    ("null", None),
    (b'{"op": "sync", "id": "bin"}', None),
    (DEEP, None),
    ("[" * 30000 + "]" * 30000, None),
    ('{"op": "fly", "id": "u1"}', "u1"),
    ('{"id": "u2"}', "u2"),
    ('{"op": "sync"}', None),
    ('{"op": "sync", "id": ""}', None),
    ('{"op": "sync", "id": "' + "x" * 65 + '"}', None),
    ('{"op": "sync", "id": 7}', None),
    ('{"op": "sync", "id": ["a"]}', None),
    ('{"op": "issue", "id": "m1"}', "m1"),
    ('{"op": "issue", "id": "m2", "service": 5}', "m2"),
    ('{"op": "issue", "id": "m3", "service": "pay", "priority": "vip"}', "m3"),
    ('{"op": "issue", "id": "m4", "service": "pay", "lang": ""}', "m4"),
    ('{"op": "issue", "id": "m5", "service": "' + "p" * 257 + '"}', "m5"),  # absurd size
    ('{"op": "cancel", "id": "m6", "ticket": "' + "C" * 5000 + '"}', "m6"),
    ('{"op": "call_next", "id": "t1", "window": "1"}', "t1"),
    ('{"op": "call_next", "id": "t2", "window": true}', "t2"),
    ('{"op": "call_next", "id": "t3", "window": 1.5}', "t3"),
    ('{"op": "call_next", "id": "t4", "window": 0}', "t4"),
    ('{"op": "call_next", "id": "t5"}', "t5"),
    ('{"op": "rate", "id": "t6", "ticket": "P001", "score": 5}', "t6"),
    ('{"op": "rate", "id": "t7", "ticket": "P001", "score": 0}', "t7"),
    ('{"op": "rate", "id": "t8", "ticket": "P001", "score": "4"}', "t8"),
    ('{"op": "transfer", "id": "t9", "window": 1, "to_service": "pay", "to_window": 2, '
     '"position": "last"}', "t9"),
    ('{"op": "transfer", "id": "t10", "window": 1}', "t10"),
    ('{"op": "transfer", "id": "t11", "window": 1, "to_window": 2, "position": "middle"}',
     "t11"),
    ('{"op": "reassign", "id": "t12", "ticket": "P001", "to_service": "pay", '
     '"to_window": 2, "position": "keep"}', "t12"),
    # position is a param of these three (protocol.md lists it without "?")
    ('{"op": "transfer", "id": "t20", "window": 1, "to_service": "pay"}', "t20"),
    ('{"op": "reassign", "id": "t21", "ticket": "P001", "to_service": "pay"}', "t21"),
    ('{"op": "reinstate", "id": "t22", "ticket": "P001"}', "t22"),
    ('{"op": "announce", "id": "t13", "text": "   "}', "t13"),
    ('{"op": "announce", "id": "t14", "text": 3}', "t14"),
    ('{"op": "announce", "id": "t23", "text": "\\u0000\\u200b "}', "t23"),  # nothing to see
    ('{"op": "device_status", "id": "t15", "status": "paper_out"}', "t15"),
    ('{"op": "device_status", "id": "t16", "status": {}}', "t16"),
    ('{"op": "device_status", "id": "t17", "status": {"printer": {"deep": 1}}}', "t17"),
    ('{"op": "report", "id": "t18", "from": "yesterday", "to": "2026-01-01"}', "t18"),
    ('{"op": "call_number", "id": "t19", "window": 1, "number": ""}', "t19"),
    # numbers no JSON reader holds: refused, and the refusal names the request
    ('{"op": "issue", "id": "n1", "service": "pay", "x": 1e999}', "n1"),
    ('{"op": "call_next", "id": "n2", "window": -1e999}', "n2"),
    ('{"op": "call_next", "id": "n3", "window": NaN}', "n3"),
    ('{"op": "sync", "id": 1e999}', None),
    ('{"op": "sync", "id": "n4", "x": ' + "9" * 5000 + "}", "n4"),  # past Python's 4,300 digits
    ('{"op": "sync", "id": "\\ud800"}', None),  # an id Python reads and no reply can carry
])
async def test_bad_input_is_a_bad_request_and_the_connection_goes_on(
        shared: HubProcess, frame: str | bytes, re: str | None) -> None:
    w = await wire(shared, "admin-1")
    before = await w.ok("sync")
    await w.send(frame)
    reply = await w.reply(re)
    assert reply["ok"] is False and reply["error"]["code"] == "bad_request", reply
    after = await w.ok("sync")  # still usable, and nothing changed
    assert after["seq"] == before["seq"]
    assert after["snapshot"]["waiting"] == before["snapshot"]["waiting"]
    assert after["snapshot"]["windows"] == before["snapshot"]["windows"]
    await w.close()


async def test_a_frame_over_64_kib_closes_with_1009(shared: HubProcess) -> None:
    w = await wire(shared, "kiosk-1")
    await w.send(json.dumps({"op": "sync", "id": "big", "pad": "x" * (64 * 1024)}))
    assert (await w.closed()).code == 1009
    again = await wire(shared, "kiosk-1")  # the device may connect again at once
    assert (await again.ok("sync"))["seq"] >= 0
    await again.close()


async def test_a_frame_just_under_64_kib_is_read(shared: HubProcess) -> None:
    w = await wire(shared, "kiosk-1")
    frame = json.dumps({"op": "sync", "id": "pad", "pad": ""})
    await w.send(json.dumps({"op": "sync", "id": "pad", "pad": "x" * (64 * 1024 - len(frame))}))
    assert (await w.reply("pad"))["ok"] is True
    await w.close()


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65535, 65536, 200_000])
def test_the_hubs_frames_are_those_of_the_websockets_library(size: int) -> None:
    text = ("票" * size)[:size // 3] + "x" * (size - 3 * (size // 3))  # UTF-8, `size` bytes
    assert len(text.encode()) == size
    assert text_frame(text) == Frame(Opcode.TEXT, text.encode()).serialize(mask=False)


# ------------------------------------------------------------------------------ health, stop

def healthz(url: str) -> dict[str, Any]:
    http = url.replace("ws://", "http://") + "healthz"
    with urllib.request.urlopen(http, timeout=WAIT) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/json"
        data = json.loads(response.read())
    assert isinstance(data, dict)
    return data


async def test_healthz_says_seq_day_and_devices(shared: HubProcess) -> None:
    w = await wire(shared, "desk-1")
    seq = (await w.ok("sync"))["seq"]
    health = await asyncio.to_thread(healthz, shared.url)
    assert health["seq"] == seq
    assert health["day"] == w.hello["snapshot"]["day"]
    assert health["devices"] >= 1
    await w.ok("announce", text="healthz")
    other = await wire(shared, "kiosk-2")
    later = await asyncio.to_thread(healthz, shared.url)
    assert later["seq"] == seq + 1
    assert later["devices"] == health["devices"] + 1
    await w.close()
    await other.close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_sigint_stop_the_hub_with_exit_code_0(tmp_path: Path, sig: int) -> None:
    proc = start_hub(tmp_path / "hub")
    assert proc.proc is not None
    pid_proc = proc.proc

    async def connect_and_stop() -> Refused:
        w = await wire(proc, "display-1")
        pid_proc.send_signal(sig)
        return await w.closed()

    closed = asyncio.run(connect_and_stop())
    assert closed.code == 1001  # going away
    assert pid_proc.wait(WAIT) == 0
    proc.proc = None


def test_the_hub_serves_wss_with_a_certificate(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    proc = start_hub(tmp_path / "hub", extra=("--cert", str(cert), "--key", str(key)))
    try:
        assert proc.url.startswith("wss://127.0.0.1:")
        trust = ssl.create_default_context(cafile=str(cert))

        async def talk() -> dict[str, Any]:
            w = await wire(proc, "kiosk-1", ssl=trust)
            result = await w.ok("issue", service="pay")
            await w.close()
            with pytest.raises(ssl.SSLError):  # a client that does not trust it is refused
                await Wire.raw(proc.url, ssl=ssl.create_default_context())
            return result

        assert asyncio.run(talk())["ticket"]["number"] == "P001"
    finally:
        assert proc.stop() == 0
    bad = subprocess.run([sys.executable, "-m", "hub.cli", "serve", "--config", str(COUNTY),
                          "--db", str(tmp_path / "x.db"), "--port", "0", "--cert", str(cert)],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "--cert and --key go together" in bad.stderr


async def test_sigterm_is_not_held_up_by_a_device_that_stops_reading(tmp_path: Path) -> None:
    proc = start_hub(tmp_path / "hub")
    assert proc.proc is not None
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", proc.port))
    stuck = await Wire.open(proc.url, "desk-1", proc.tokens["desk-1"], sock=sock, max_queue=1)
    kiosk = await wire(proc, "kiosk-1")
    status = {f"sensor-{i:02d}-" + "k" * 54: "v" * 200 for i in range(32)}
    # fill every buffer between the hub and the desk (about 4 MB of device alerts)
    for _ in range(500):
        assert await kiosk.ok("device_status", status=status) == {}
    await kiosk.close()
    # stop() gives up on the close handshake after a few seconds instead of waiting for pings
    assert await asyncio.to_thread(proc.stop) == 0
    assert len(stuck.events) < 500
    sock.close()
