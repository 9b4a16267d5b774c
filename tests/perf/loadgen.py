"""A lean websocket load generator for the hub's throughput benchmark.

On this 2-core machine the load generator shares the CPU with the hub it measures. The apps' own
client (`hub.client.BusClient`, on the `websockets` library) spends about as much CPU on a request
as the hub does, and each kiosk also receives every `ticket_issued` and `queue_changed` of the
hall: ten such clients would measure themselves more than the hub. This one speaks the same bus
over the same socket (RFC 6455 handshake, masked client frames, the hub's JSON) but only decodes
the frames that answer its own requests; events are framed and skipped, pings answered.

``LeanPeer`` is an asyncio protocol, for many devices in one process; ``SyncPeer`` one device on a
blocking socket, for the sequential figure (one kiosk's request after request), where even an event
loop's turn between a reply and the next request is the client's time, not the hub's.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import struct
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

MASK = os.urandom(4)  # one mask for the run: RFC 6455 wants one per frame against proxies that
#                       cache, a concern a load generator on loopback does not have
_MASK_INT = int.from_bytes(MASK, "big")


def _masked(payload: bytes, opcode: int = 0x1) -> bytes:
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
    elif size < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
    # XOR the payload with the repeated mask as one big integer: no per-byte Python loop
    repeat = (MASK * (size // 4 + 1))[:size]
    body = (int.from_bytes(payload, "big") ^ int.from_bytes(repeat, "big")).to_bytes(size, "big")
    return head + MASK + body


def _upgrade_request(url: str) -> tuple[str, int, bytes]:
    parts = urlsplit(url)
    if parts.hostname is None or parts.port is None:
        raise ValueError(f"{url}: a ws://host:port/ address is needed")
    key = base64.b64encode(os.urandom(16)).decode()
    request = (f"GET {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
               f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
               f"Sec-WebSocket-Version: 13\r\n\r\n")
    return parts.hostname, parts.port, request.encode()


def _whole_frames(buf: bytearray) -> Iterator[tuple[int, int, int]]:
    """(opcode, payload start, payload end) of each whole frame at the start of ``buf``, in
    one pass with an offset; the caller cuts the buffer after the last end it took."""
    end = len(buf)
    at = 0
    while end - at >= 2:
        opcode, size = buf[at] & 0x0F, buf[at + 1] & 0x7F
        start = at + 2
        if size == 126:
            if end - at < 4:
                return
            size, start = struct.unpack_from("!H", buf, at + 2)[0], at + 4
        elif size == 127:
            if end - at < 10:
                return
            size, start = struct.unpack_from("!Q", buf, at + 2)[0], at + 10
        if end < start + size:
            return
        at = start + size
        yield opcode, start, at


class SyncPeer:
    """One device on a blocking socket: ``request()`` writes an op and reads until its reply
    (events skipped and counted, pings answered)."""

    def __init__(self, url: str, name: str, token: str) -> None:
        host, port, upgrade = _upgrade_request(url)
        self.name = name
        self.sock = socket.create_connection((host, port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.sendall(upgrade)
        self.buffer = bytearray()
        while b"\r\n\r\n" not in self.buffer:
            self._read()
        head, _, rest = bytes(self.buffer).partition(b"\r\n\r\n")
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise RuntimeError(f"no upgrade: {head[:60]!r}")
        self.buffer = bytearray(rest)
        self.counter = 0
        self.events = 0
        reply = self._send({"op": "hello", "id": "h", "device": name, "token": token,
                            "protocol": 1}, "h")
        if not reply["ok"]:
            raise RuntimeError(f"hello refused: {reply}")

    def _read(self) -> None:
        data = self.sock.recv(262144)
        if not data:
            raise ConnectionError(f"{self.name}: connection lost")
        self.buffer += data

    def _send(self, message: dict[str, Any], req_id: str) -> dict[str, Any]:
        self.sock.sendall(_masked(json.dumps(message, separators=(",", ":")).encode()))
        wanted = f'{{"re":{json.dumps(req_id)},'.encode()
        while True:
            buf, taken, reply = self.buffer, 0, None
            for opcode, start, end in _whole_frames(buf):
                taken = end
                if opcode == 0x1 and buf.startswith(wanted, start):
                    reply = json.loads(bytes(buf[start:end]))
                    break
                if opcode == 0x9:
                    self.sock.sendall(_masked(bytes(buf[start:end]), 0xA))
                elif opcode == 0x1:
                    self.events += 1
            del buf[:taken]
            if reply is not None:
                return reply  # type: ignore[no-any-return]
            self._read()

    def request(self, op: str, **params: Any) -> dict[str, Any]:
        self.counter += 1
        req_id = f"{self.name}-{self.counter}"
        reply = self._send({"op": op, "id": req_id, **params}, req_id)
        if not reply["ok"]:
            raise RuntimeError(f"{op}: {reply['error']}")
        return reply["result"]  # type: ignore[no-any-return]

    def close(self) -> None:
        try:
            self.sock.sendall(_masked(struct.pack("!H", 1000), 0x8))
        finally:
            self.sock.close()


class LeanPeer(asyncio.Protocol):
    """One device on the bus: `request()` sends an op and waits for its reply."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.buffer = bytearray()
        self.upgraded: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.counter = 0
        self.events = 0
        self.called: dict[str, float] = {}  # ticket number -> arrival of its ticket_called
        self.transport: asyncio.Transport | None = None

    @classmethod
    async def open(cls, url: str, name: str, token: str) -> LeanPeer:
        host, port, upgrade = _upgrade_request(url)
        loop = asyncio.get_running_loop()
        _, peer = await loop.create_connection(lambda: cls(name), host, port)
        assert peer.transport is not None
        peer.transport.write(upgrade)
        await peer.upgraded
        reply = await peer.send({"op": "hello", "id": "h", "device": name, "token": token,
                                 "protocol": 1}, "h")
        if not reply["ok"]:
            raise RuntimeError(f"hello refused: {reply}")
        return peer

    # -- asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.upgraded.done():
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(self.buffer[:end]).split(b"\r\n", 1)[0]
            del self.buffer[:end + 4]
            if b" 101 " not in status:
                self.upgraded.set_exception(RuntimeError(f"no upgrade: {status!r}"))
                return
            self.upgraded.set_result(None)
        self._frames()

    def connection_lost(self, exc: Exception | None) -> None:
        for future in self.waiting.values():
            if not future.done():
                future.set_exception(ConnectionError(f"{self.name}: connection lost"))

    def _frames(self) -> None:
        """Take the whole frames in the buffer: replies are decoded, events only counted, but
        for ``ticket_called``, whose arrival is noted (system-wide clock: comparable with the
        process that made the call)."""
        buf = self.buffer
        taken = 0
        now = time.monotonic()
        for opcode, start, end in _whole_frames(buf):
            taken = end
            if opcode == 0x1 and buf.startswith(b'{"event":"ticket_called"', start):
                self.events += 1
                message = json.loads(bytes(buf[start:end]))
                self.called[message["data"]["ticket"]["number"]] = now
            elif opcode == 0x1 and buf.startswith(b'{"re"', start):
                message = json.loads(bytes(buf[start:end]))
                future = self.waiting.pop(message["re"], None)
                if future is not None and not future.done():
                    future.set_result(message)
            elif opcode == 0x9 and self.transport is not None:  # ping: answer at once
                self.transport.write(_masked(bytes(buf[start:end]), 0xA))
            elif opcode == 0x1:
                self.events += 1
        del buf[:taken]

    # -- requests

    async def send(self, message: dict[str, Any], req_id: str) -> dict[str, Any]:
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.waiting[req_id] = future
        assert self.transport is not None
        self.transport.write(_masked(json.dumps(message, separators=(",", ":")).encode()))
        return await future

    async def request(self, op: str, **params: Any) -> dict[str, Any]:
        self.counter += 1
        req_id = f"{self.name}-{self.counter}"
        reply = await self.send({"op": op, "id": req_id, **params}, req_id)
        if not reply["ok"]:
            raise RuntimeError(f"{op}: {reply['error']}")
        return reply["result"]  # type: ignore[no-any-return]

    async def close(self) -> None:
        if self.transport is not None:
            self.transport.write(_masked(struct.pack("!H", 1000), 0x8))
            self.transport.close()
