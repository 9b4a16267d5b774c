"""The websocket connection layer of the hub (hub/connection.py) over real sockets: what the
library's own server did around RFC 6455 must still happen — fragments joined, bad UTF-8 refused,
silent peers dropped, slow handshakes and missing hellos cut, a device's requests answered in
the order it sent them."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import struct
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

import hub.connection
import hub.server
from hub.protocol import Role
from tests.hub.test_server import WAIT, Wire, in_process, new_id
from tests.perf.loadgen import _masked, _whole_frames


class RawPeer:
    """A device speaking RFC 6455 by hand: it never answers pings on its own."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, url: str) -> RawPeer:
        host, port = url.removeprefix("ws://").strip("/").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(f"GET / HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
                     f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n".encode())
        status = (await reader.readuntil(b"\r\n\r\n")).split(b"\r\n", 1)[0]
        assert b" 101 " in status, status
        return cls(reader, writer)

    def send(self, payload: bytes, opcode: int = 0x1) -> None:
        self.writer.write(_masked(payload, opcode))

    async def frame(self) -> tuple[int, bytes]:
        """The next frame as (opcode, payload); IncompleteReadError once the hub hangs up."""
        head = await self.reader.readexactly(2)
        size = head[1] & 0x7F
        if size == 126:
            size = struct.unpack("!H", await self.reader.readexactly(2))[0]
        elif size == 127:
            size = struct.unpack("!Q", await self.reader.readexactly(8))[0]
        return head[0] & 0x0F, await self.reader.readexactly(size)

    async def close_code(self) -> int | None:
        """Read until the hub's close frame; its code (None if it cut the TCP connection)."""
        try:
            while True:
                opcode, payload = await self.frame()
                if opcode == 0x8:
                    return int(struct.unpack("!H", payload[:2])[0])
        except (asyncio.IncompleteReadError, ConnectionError):
            return None

    async def hello(self, device: str, token: str) -> None:
        self.send(json.dumps({"op": "hello", "id": "h", "device": device, "token": token,
                              "protocol": 1}).encode())
        while True:
            opcode, payload = await self.frame()
            if opcode == 0x1 and json.loads(payload).get("re") == "h":
                assert json.loads(payload)["ok"], payload
                return


async def test_a_fragmented_request_is_joined_and_answered(tmp_path: Path) -> None:
    async with in_process(tmp_path / "hub", always_open=True) as hall:
        kiosk = await hall.wire("kiosk-1")
        text = json.dumps({"op": "issue", "id": "frag-1", "service": "pay"})
        await kiosk.ws.send([text[:7], text[7:20], text[20:]])  # three frames, one message
        reply = await kiosk.reply("frag-1")
        assert reply["ok"] is True and reply["result"]["ticket"]["number"] == "P001"


async def test_a_text_frame_that_is_not_utf8_closes_with_1007(tmp_path: Path) -> None:
    async with in_process(tmp_path / "hub", always_open=True) as hall:
        peer = await RawPeer.open(hall.url)
        await peer.hello("kiosk-1", hall.tokens["kiosk-1"])
        peer.send(b'{"op": "sync", "id": "\xff\xfe"}')
        assert await asyncio.wait_for(peer.close_code(), WAIT) == 1007
        # the hub itself goes on
        assert (await (await hall.wire("kiosk-2")).ok("sync"))["seq"] >= 0


async def test_a_device_that_answers_no_pings_is_dropped(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hub.server, "PING_SECONDS", 0.2)
    async with in_process(tmp_path / "hub", always_open=True) as hall:
        silent = await RawPeer.open(hall.url)
        await silent.hello("kiosk-1", hall.tokens["kiosk-1"])
        answering = await hall.wire("kiosk-2")  # the websockets client answers pings itself
        pings = 0

        async def count_pings() -> int | None:
            nonlocal pings
            try:
                while True:
                    opcode, _ = await silent.frame()
                    pings += opcode == 0x9
            except (asyncio.IncompleteReadError, ConnectionError):
                return None

        await asyncio.wait_for(count_pings(), WAIT)  # returns once the hub cut it
        assert pings == 2  # dropped after missing two
        assert (await answering.ok("sync"))["seq"] >= 0  # still connected after 3+ pings
        assert not any(s.device == "kiosk-1" for s in hall.server.fanout.audience[Role.KIOSK])


async def test_no_hello_in_time_closes_with_1008(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hub.server, "HELLO_TIMEOUT", 0.3)
    async with in_process(tmp_path / "hub", always_open=True) as hall:
        quiet = await Wire.raw(hall.url)
        assert (await quiet.closed()).code == 1008


async def test_a_handshake_not_finished_in_time_is_cut(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hub.connection, "OPEN_TIMEOUT", 0.3)
    async with in_process(tmp_path / "hub", always_open=True) as hall:
        host, port = hall.url.removeprefix("ws://").strip("/").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n")  # and never the rest
        assert await asyncio.wait_for(reader.read(), WAIT) == b""  # cut
        writer.close()
        # a plain HTTP request that is not an upgrade is answered with an HTTP error
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = await asyncio.wait_for(reader.read(), WAIT)
        assert answer.startswith(b"HTTP/1.1 4"), answer[:60]
        writer.close()


async def test_requests_after_a_pin_check_are_answered_in_the_order_sent(tmp_path: Path) -> None:
    """sign_in checks the PIN in a thread (slow on purpose); what the counter sends meanwhile
    waits for it, so that the replies keep the order of the requests."""
    async with in_process(tmp_path / "hub", always_open=True) as hall:
        kiosk = await hall.wire("kiosk-1")
        number = (await kiosk.ok("issue", service="social"))["ticket"]["number"]
        counter = await hall.wire("counter-1")
        ids = [new_id() for _ in range(4)]
        await counter.send({"op": "sign_in", "id": ids[0], "window": 1, "clerk": "1001",
                            "pin": "1234"})
        await counter.send({"op": "call_next", "id": ids[1], "window": 1})
        await counter.send({"op": "sync", "id": ids[2]})
        await counter.send({"op": "find", "id": ids[3], "ticket": number})
        replies = []
        while len(replies) < 4:
            message = await counter.frame()
            if "re" in message:
                replies.append(message)
        assert [r["re"] for r in replies] == ids
        assert all(r["ok"] for r in replies), [r.get("error") for r in replies]
        assert replies[1]["result"]["ticket"]["number"] == number  # signed in before the call
        assert replies[3]["result"]["ticket"]["state"] == "called"


async def test_a_client_close_is_answered_and_the_device_leaves(tmp_path: Path) -> None:
    async with in_process(tmp_path / "hub", always_open=True) as hall:
        async with connect(hall.url, open_timeout=WAIT) as ws:
            await ws.send(json.dumps({"op": "hello", "id": "h", "device": "desk-1",
                                      "token": hall.tokens["desk-1"], "protocol": 1}))
            assert json.loads(await ws.recv())["ok"] is True
        assert ws.close_code == 1000  # the hub answered the close frame
        async with asyncio.timeout(WAIT):
            while hall.server.connections:
                await asyncio.sleep(0.01)


async def test_a_burst_behind_a_pin_check_is_held_in_the_socket_then_answered(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """More than WAITING_MAX requests behind a slow one: the hub stops reading that device's
    socket, and reads it again as the line drains; every request is answered, in order."""
    monkeypatch.setattr(hub.server, "WAITING_MAX", 4)
    async with in_process(tmp_path / "hub", always_open=True) as hall:
        counter = await hall.wire("counter-1")
        ids = [new_id() for _ in range(40)]
        await counter.send({"op": "sign_in", "id": ids[0], "window": 1, "clerk": "1001",
                            "pin": "1234"})
        for req_id in ids[1:]:  # one write each, while the PIN is being checked
            await counter.send({"op": "sync", "id": req_id})
            await asyncio.sleep(0.001)
        replies = []
        while len(replies) < len(ids):
            message = await counter.frame()
            if "re" in message:
                replies.append(message)
        assert [r["re"] for r in replies] == ids
        assert all(r["ok"] for r in replies)


async def test_a_long_chinese_refusal_still_fits_its_close_frame(tmp_path: Path) -> None:
    """The reason of a close frame is at most 123 bytes: a refusal naming a long Chinese device
    name is cut to fit (at a character boundary) instead of failing to close."""
    async with in_process(tmp_path / "hub", always_open=True) as hall:
        stranger = await Wire.raw(hall.url)
        reply = await stranger.request("hello", device="大厅屏幕" * 15, token="x" * 48,
                                       protocol=1)
        assert reply["error"]["code"] == "unauthorized"
        closed = await stranger.closed()
        assert closed.code == 1008 and len(closed.reason.encode()) <= 123
        assert closed.reason.startswith("device '大厅屏幕")


# ---------------------------------------------------------------------- frames read directly

class Recorder:
    """An owner that records what the connection hands over (no hub behind it)."""

    def __init__(self) -> None:
        self.messages: list[str | bytes] = []

    def http(self, request: object) -> None:
        return None

    def opened(self, conn: hub.connection.DeviceConnection) -> None:
        pass

    def message(self, conn: hub.connection.DeviceConnection, data: str | bytes) -> None:
        self.messages.append(data)

    def closed(self, conn: hub.connection.DeviceConnection) -> None:
        pass


class Socket(asyncio.Transport):
    """The transport's side of a connection: what the hub writes, kept."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = bytearray()
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.sent += data

    def get_extra_info(self, name: str, default: object = None) -> object:
        return ("127.0.0.1", 5000) if name == "peername" else default

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        self.closed = True

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True

    def get_write_buffer_size(self) -> int:
        return 0


def _frames_of(data: bytes) -> list[tuple[int, bytes]]:
    """The (opcode, payload) of the unmasked frames the hub wrote."""
    buf = bytearray(data)
    return [(opcode, bytes(buf[start:end])) for opcode, start, end in _whole_frames(buf)]


def _open_connection() -> tuple[hub.connection.DeviceConnection, Recorder, Socket]:
    owner, socket = Recorder(), Socket()
    conn = hub.connection.DeviceConnection(owner, 64 * 1024, 1.0)
    conn.connection_made(socket)
    key = base64.b64encode(os.urandom(16)).decode()
    conn.data_received(f"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade"
                       f"\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
                       .encode())
    assert socket.sent.startswith(b"HTTP/1.1 101"), bytes(socket.sent[:40])
    del socket.sent[:]
    return conn, owner, socket


async def test_frames_split_anywhere_read_directly_give_the_same_messages() -> None:
    """The frames the connection reads itself: one text frame, a ping (answered by the protocol
    with its pong), a long text frame (16-bit length), a binary frame, cut at every byte
    boundary and also handed over one byte at a time."""
    long_text = "长" * 100 + "x" * 200  # 500 bytes: a 16-bit length
    stream = (_masked(b'{"op":"sync","id":"1"}') + _masked(b"are you there", 0x9)
              + _masked(long_text.encode()) + _masked(b"\x00\x01", 0x2))
    wanted: list[str | bytes] = ['{"op":"sync","id":"1"}', long_text, b"\x00\x01"]
    cuts = [[stream[:k], stream[k:]] for k in range(1, len(stream))]
    cuts.append([stream[i:i + 1] for i in range(len(stream))])
    cuts.append([stream])
    for pieces in cuts:
        conn, owner, socket = _open_connection()
        for piece in pieces:
            conn.data_received(piece)
        assert owner.messages == wanted, [len(p) for p in pieces]
        assert _frames_of(bytes(socket.sent)) == [(0xA, b"are you there")]
        assert conn._direct, "a ping must not stop the direct reading"
        conn.connection_lost(None)


async def test_unusual_frames_go_to_the_protocol_with_what_follows() -> None:
    """A fragmented message after direct frames: the protocol joins it and reads on."""
    conn, owner, _ = _open_connection()
    first = b'{"op":"sync","id":"a"}'
    conn.data_received(_masked(first))
    assert conn._direct
    text = b'{"op":"sync","id":"b"}'
    fragments = (bytearray(_masked(text[:5])), _masked(text[5:], 0x0))
    fragments[0][0] &= 0x7F  # FIN off: the first of two
    conn.data_received(bytes(fragments[0]) + fragments[1] + _masked(b'"after"'))
    assert not conn._direct
    assert owner.messages == [first.decode(), text.decode(), '"after"']


@pytest.mark.parametrize("case, code", [("unmasked", 1002), ("reserved bit", 1002),
                                        ("reserved opcode", 1002), ("not UTF-8", 1007),
                                        ("too big", 1009)])
async def test_bad_frames_after_good_ones_close_with_the_protocols_code(case: str,
                                                                        code: int) -> None:
    conn, owner, socket = _open_connection()
    conn.data_received(_masked(b'"fine"'))
    bad = {
        "unmasked": b"\x81\x02hi",
        "reserved bit": b"\xc1" + _masked(b"hi")[1:],
        "reserved opcode": b"\x83" + _masked(b"hi")[1:],
        "not UTF-8": _masked(b"\xff\xfe"),
        "too big": b"\x81\xff" + struct.pack("!Q", 70_000),
    }[case]
    conn.data_received(bad)
    assert owner.messages == ['"fine"']
    (opcode, payload), *_ = _frames_of(bytes(socket.sent))
    assert opcode == 0x8 and struct.unpack("!H", payload[:2])[0] == code, payload


async def test_many_requests_in_one_write_are_each_answered(tmp_path: Path) -> None:
    """Over a real socket: requests written back to back in one segment, then one cut in
    two writes, with a ping in between; each is answered and the ping gets its pong."""
    async with in_process(tmp_path / "hub", always_open=True) as hall:
        peer = await RawPeer.open(hall.url)
        await peer.hello("kiosk-1", hall.tokens["kiosk-1"])
        frames = [_masked(json.dumps({"op": "issue", "id": f"i{n}", "service": "pay"}).encode())
                  for n in range(5)]
        peer.writer.write(b"".join(frames[:4]) + _masked(b"ping", 0x9) + frames[4][:3])
        await peer.writer.drain()
        await asyncio.sleep(0.05)
        peer.writer.write(frames[4][3:])
        numbers, pongs = {}, 0
        while len(numbers) < 5 or not pongs:
            opcode, payload = await asyncio.wait_for(peer.frame(), WAIT)
            pongs += opcode == 0xA
            message = json.loads(payload) if opcode == 0x1 else {}
            if "re" in message:
                numbers[message["re"]] = message["result"]["ticket"]["number"]
        assert numbers == {f"i{n}": f"P00{n + 1}" for n in range(5)}
