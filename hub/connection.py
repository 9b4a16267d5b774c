"""One device's websocket connection to the hub, read without a task per connection.

RFC 6455 itself (the opening handshake, framing and masking, the 64 KiB limit, ping and pong, the
closing handshake) is websockets' Sans-I/O ``ServerProtocol``. This ``asyncio.Protocol`` feeds it
the socket's bytes and hands each whole message to the hub in the same callback of the loop. The
library's own asyncio server adds, per message, a queue, a future and a task switch to a handler
coroutine: measured here, a third of the hub's CPU per request (``tests/perf/bench_hub.py``).

What the library's server did around the protocol is done here: a connection that does not finish
its handshake within ``OPEN_TIMEOUT`` is cut; one the hub closes gets ``close_timeout`` seconds to
answer the close frame, then is cut; fragmented messages are joined; a text message that is not
UTF-8 fails the connection (1007); the hub pings every device (``ping``) and drops one that
misses two pings.

Once the websocket is open, the common frame (a whole, masked text or binary message within the
size limit, no reserved bits) is read here directly: the library's generator-based parser costs
more per request than anything else between the socket and the hub. Every other frame goes to the
library untouched: a control frame whole (so its parser stays at a frame boundary and it answers
pings and closes as before), and anything unusual (a fragment, an unmasked or oversized frame,
reserved bits or opcodes) together with all that follows it, for good — the library then fails
the connection with the right close code, or joins the fragments, exactly as before.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Protocol, cast

from websockets.frames import Frame, Opcode
from websockets.http11 import Request, Response
from websockets.protocol import State
from websockets.server import ServerProtocol
from websockets.typing import BytesLike
from websockets.utils import apply_mask

logger = logging.getLogger(__name__)

OPEN_TIMEOUT = 10.0  # seconds from TCP connect to a finished websocket handshake
PINGS_MISSED = 2  # a device that has not answered this many pings in a row is dropped
CONTROL_MAX = 125  # the largest payload of a control frame (RFC 6455 5.5)


def _short(reason: str) -> str:
    """A close reason that fits its frame: 123 bytes of UTF-8 at most (RFC 6455 5.5)."""
    return reason.encode()[:123].decode(errors="ignore")


class Owner(Protocol):
    """What the hub does for its connections."""

    def http(self, request: Request) -> Response | None:
        """A plain HTTP answer (``/healthz``), or None to open the websocket."""

    def opened(self, conn: DeviceConnection) -> None:
        """The websocket is open: the device's first message comes next."""

    def message(self, conn: DeviceConnection, data: str | bytes) -> None:
        """One whole message: str for a text frame, bytes for a binary one."""

    def closed(self, conn: DeviceConnection) -> None:
        """The TCP connection is gone (whether or not its websocket was ever open)."""


class DeviceConnection(asyncio.Protocol):
    def __init__(self, owner: Owner, max_size: int, close_timeout: float) -> None:
        self.owner = owner
        self.max_size = max_size
        self.protocol = ServerProtocol(max_size=max_size)
        self.close_timeout = close_timeout
        self.transport: asyncio.Transport | None = None
        self.remote_address: tuple[str, int] | None = None
        self._fragments: list[BytesLike] = []
        self._fragmented: Opcode | None = None
        self._open_timer: asyncio.TimerHandle | None = None
        self._close_timer: asyncio.TimerHandle | None = None
        self._pings_unanswered = 0
        self.gone = False  # the TCP connection is lost
        self._direct = False  # frames are read here, not by the protocol (see the module doc)
        self._partial = b""  # the start of a frame not yet whole (while _direct)

    @property
    def open(self) -> bool:
        return self.protocol.state is State.OPEN and not self.gone

    # ------------------------------------------------------------------ asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # a stream transport (uvloop's does not derive from asyncio.Transport, but is one)
        self.transport = cast(asyncio.Transport, transport)
        self.remote_address = transport.get_extra_info("peername")
        self._open_timer = asyncio.get_running_loop().call_later(OPEN_TIMEOUT, self._too_slow)

    def data_received(self, data: bytes) -> None:
        if self._direct:
            data = self._read_frames(self._partial + data if self._partial else data)
            if not data:
                return
        self._to_protocol(data)

    def _to_protocol(self, data: bytes) -> None:
        protocol = self.protocol
        protocol.receive_data(data)
        events = protocol.events_received()
        self._write_protocol()  # pongs, the echo of a close frame
        for event in events:
            if isinstance(event, Frame):
                self._frame(event)
            elif isinstance(event, Request):
                self._handshake(event)

    def eof_received(self) -> bool | None:
        self.protocol.receive_eof()
        self._write_protocol()
        return None  # the websocket has its own closing handshake: close the transport too

    def connection_lost(self, exc: Exception | None) -> None:
        self.gone = True
        for timer in (self._open_timer, self._close_timer):
            if timer is not None:
                timer.cancel()
        self.owner.closed(self)

    # ------------------------------------------------------------------ receiving

    def _handshake(self, request: Request) -> None:
        protocol = self.protocol
        response = self.owner.http(request) or protocol.accept(request)
        protocol.send_response(response)
        self._write_protocol()
        if protocol.state is State.OPEN:
            if self._open_timer is not None:
                self._open_timer.cancel()
            # nothing after the request yet: the protocol's parser waits at a frame boundary
            self._direct = not protocol.reader.buffer
            self.owner.opened(self)

    def _read_frames(self, data: bytes) -> bytes:
        """Handle the whole common frames at the start of ``data`` (see the module doc) and keep
        an incomplete one for the next read. Returns the bytes the protocol must read from here
        on (having stopped reading directly), or b"" if there are none."""
        size = len(data)
        at = 0
        while size - at >= 2 and self.protocol.state is State.OPEN:
            head, length = data[at], data[at + 1]
            if not length & 0x80:
                return self._give_up(data[at:])  # unmasked: the protocol fails it
            length &= 0x7F
            start = at + 6  # after two bytes of header and four of mask
            if length == 126:
                if size - at < 4:
                    break  # the rest of the length comes next
                length = (data[at + 2] << 8) | data[at + 3]
                start = at + 8
            elif length == 127:
                return self._give_up(data[at:])  # 64 KiB or more: the protocol fails it
            end = start + length
            opcode = head & 0x0F
            if opcode >= 0x8:  # a control frame: the protocol reads it whole and answers it
                if length > CONTROL_MAX:
                    return self._give_up(data[at:])
                if end > size:
                    break  # the rest comes next
                self._to_protocol(data[at:end])
            elif head & 0xF0 == 0x80 and 0 < opcode < 3 and length <= self.max_size:
                if end > size:
                    break  # the rest comes next
                payload = apply_mask(data[start:end], data[start - 4:start])
                self._message(Opcode.TEXT if opcode == 0x1 else Opcode.BINARY, payload)
            else:  # a fragment, reserved bits or opcode, or too big
                return self._give_up(data[at:])
            at = end
        if at < size and self.protocol.state is not State.OPEN:
            return self._give_up(data[at:])  # closing: the protocol reads the close frame
        self._partial = data[at:]
        return b""

    def _give_up(self, rest: bytes) -> bytes:
        self._direct, self._partial = False, b""
        return rest

    def _frame(self, frame: Frame) -> None:
        opcode = frame.opcode
        if opcode is Opcode.TEXT or opcode is Opcode.BINARY:
            if frame.fin:
                self._message(opcode, frame.data)
            else:
                self._fragmented, self._fragments = opcode, [frame.data]
        elif opcode is Opcode.CONT:
            # the protocol has checked that a fragmented message is under way and not too big
            self._fragments.append(frame.data)
            if frame.fin and self._fragmented is not None:
                data, opcode = b"".join(self._fragments), self._fragmented
                self._fragments, self._fragmented = [], None
                self._message(opcode, data)
        elif opcode is Opcode.PONG:
            self._pings_unanswered = 0
        # a ping is answered and a close frame echoed by the protocol itself

    def _message(self, opcode: Opcode, data: BytesLike) -> None:
        if self.protocol.state is not State.OPEN:
            return  # after a close frame, the rest is not read (RFC 6455 1.4)
        if opcode is Opcode.BINARY:
            self.owner.message(self, bytes(data))
            return
        try:
            text = str(data, "utf-8")
        except UnicodeDecodeError as err:
            self.fail(1007, f"a text frame must be UTF-8: {err.reason} at byte {err.start}")
            return
        self.owner.message(self, text)

    # ------------------------------------------------------------------ sending

    def write(self, data: bytes) -> None:
        """Write serialized frames, if the websocket is still open."""
        if self.open and self.transport is not None:
            self.transport.write(data)

    def backlog(self) -> int:
        """Bytes written that the peer has not taken yet (beyond the OS socket buffer)."""
        return self.transport.get_write_buffer_size() if self.transport is not None else 0

    def ping(self) -> None:
        """Send a keep-alive ping; once the device has missed PINGS_MISSED in a row, cut it
        instead (a device that does not answer pings may not read its close frame either)."""
        if not self.open:
            return
        if self._pings_unanswered >= PINGS_MISSED:
            logger.info("%s missed %d pings: connection cut", self.remote_address, PINGS_MISSED)
            self.abort()
            return
        self._pings_unanswered += 1
        self.protocol.send_ping(os.urandom(4))
        self._write_protocol()

    def close(self, code: int, reason: str) -> None:
        """Start the closing handshake; the connection is cut if the peer does not answer it
        within close_timeout."""
        if self.protocol.state is State.OPEN:
            self.protocol.send_close(code, _short(reason))
            self._write_protocol()
        elif self.protocol.state is State.CONNECTING:
            self.abort()

    def fail(self, code: int, reason: str) -> None:
        self.protocol.fail(code, _short(reason))
        self._write_protocol()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    def _write_protocol(self) -> None:
        transport = self.transport
        if transport is None or self.gone:
            return
        for data in self.protocol.data_to_send():
            if data:
                transport.write(data)
            elif transport.can_write_eof():  # the end of the stream: half-close
                try:
                    transport.write_eof()
                except (OSError, RuntimeError):
                    transport.close()
            else:  # TLS cannot half-close
                transport.close()
        if self.protocol.close_expected() and self._close_timer is None:
            self._close_timer = asyncio.get_running_loop().call_later(self.close_timeout,
                                                                       self._too_slow)

    def _too_slow(self) -> None:
        if not self.gone:
            logger.info("%s did not finish its %s in time: connection cut", self.remote_address,
                        "handshake" if self.protocol.state is State.CONNECTING else "close")
            self.abort()
