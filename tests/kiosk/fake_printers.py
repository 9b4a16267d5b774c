"""Fake ESC/POS printers on a real TCP socket (``net:127.0.0.1:PORT``), for the printer and
``--take`` tests: one that answers ``DLE EOT n`` as a printer does, one that hangs up in the
middle of a ticket, one that answers with bytes that are no status at all.

    with FakeNetPrinter(answer_with(READY)) as printer:
        open_printer(printer.spec).print_content(...)
        printer.received   # every byte the kiosk sent, over all connections
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from collections.abc import Callable
from types import TracebackType

# Replies to DLE EOT 1 / 2 / 4 (ESC/POS real-time status), by printer state.
READY = {1: 0x12, 2: 0x12, 4: 0x12}
PAPER_OUT = {1: 0x1A, 2: 0x32, 4: 0x72}  # offline, stopped at paper end, no paper
NEAR_END = {1: 0x12, 2: 0x12, 4: 0x1E}
COVER_OPEN = {1: 0x1A, 2: 0x16, 4: 0x12}

STATUS_REQUESTS = b"\x10\x04\x01\x10\x04\x02\x10\x04\x04"  # what the kiosk asks, in order

#: What the printer sends back for a ``DLE EOT n``, given how many bytes this connection
#: carried so far (the request included); ``b""`` sends nothing.
Answer = Callable[[int, int], bytes]

_REQUEST = re.compile(rb"\x10\x04([\x01-\x04])")


def answer_with(replies: dict[int, int]) -> Answer:
    """A printer in one state: one status byte per request, as ESC/POS says."""
    return lambda n, _taken: bytes([replies[n]])


def garbage(reply: bytes) -> Answer:
    """Something that is not a printer's status on the line: ``reply`` for every request."""
    return lambda _n, _taken: reply


class StatusRequests:
    """Finds ``DLE EOT n`` in a byte stream read in chunks (a request may span two chunks)."""

    def __init__(self) -> None:
        self._tail = b""

    def feed(self, chunk: bytes) -> list[int]:
        data = self._tail + chunk
        self._tail = data[-2:]  # a request found before has 3 bytes, so it is not found twice
        return [match[1][0] for match in _REQUEST.finditer(data)]


class FakeNetPrinter(threading.Thread):
    """A raw port-9100 printer on 127.0.0.1 (or ``host``), one connection at a time.

    ``answer`` says what each status request gets (``None``: nothing, ever);
    ``hang_up_after`` closes a connection once it has read that many bytes, unread data still
    waiting (a printer that fails in the middle of a ticket).
    """

    def __init__(self, answer: Answer | None, *, hang_up_after: int | None = None,
                 host: str = "127.0.0.1") -> None:
        super().__init__(daemon=True)
        self.answer = answer
        self.hang_up_after = hang_up_after
        self.host = host
        self.server = socket.create_server(
            (host, 0), family=socket.AF_INET6 if ":" in host else socket.AF_INET)
        self.server.settimeout(0.1)
        self.port: int = self.server.getsockname()[1]
        self.received = bytearray()
        self.requests: list[int] = []
        self.hung_up = 0
        self.stop = threading.Event()

    @property
    def spec(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"net:{host}:{self.port}"

    def __enter__(self) -> FakeNetPrinter:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop.set()
        self.join(timeout=5)

    def run(self) -> None:
        with self.server:
            while not self.stop.is_set():
                try:
                    conn, _ = self.server.accept()
                except TimeoutError:
                    continue
                # OSError: the kiosk closed the connection with our answer unread, as it may
                with conn, contextlib.suppress(OSError):
                    conn.settimeout(0.1)
                    self._serve(conn)

    def _serve(self, conn: socket.socket) -> None:
        requests = StatusRequests()
        taken = 0
        while not self.stop.is_set():
            size = 65536
            if self.hang_up_after is not None:
                size = min(size, self.hang_up_after - taken)
                if size <= 0:
                    self.hung_up += 1
                    return
            try:
                chunk = conn.recv(size)
            except TimeoutError:
                continue
            if not chunk:
                return
            taken += len(chunk)
            self.received.extend(chunk)
            for n in requests.feed(chunk):
                self.requests.append(n)
                if self.answer is not None:
                    conn.sendall(self.answer(n, taken))
