"""Hub benchmark: a real hub process on loopback, real websockets clients, a real SQLite file.

    .venv/bin/python tests/perf/bench_hub.py [--displays 200] [--history 750000]

Prints: the raw durable commit rate of this disk (the physical limit), issue and call-next
latency with 200 displays connected, the time until a call reaches every display, durable issues
per second (one kiosk, then 10 kiosks at once), the hub's RSS after a day of 5,000 tickets, and
the start time with a year of history. Targets (issue #3): op p99 < 10 ms; fan-out p99 < 100 ms;
sequential issues >= 1/3 of the raw commit rate, 10 kiosks above it; RSS < 150 MB; start < 3 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.request import urlopen

import psutil
from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from hub.model import Ticket  # noqa: E402
from hub.store import TICKET_COLUMNS, Store, ticket_row  # noqa: E402
from tests.hubproc import HubProcess  # noqa: E402
from tests.perf.figures import line  # noqa: E402
from tests.perf.loadgen import LeanPeer, SyncPeer  # noqa: E402

FAST = ("--rate-limit", "1000000/1000000")


# ------------------------------------------------------------------------------ raw disk

def raw_commit_rate(folder: Path, count: int = 2000) -> float:
    folder.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(folder / "raw.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    started = time.perf_counter()
    for i in range(count):
        conn.execute("BEGIN")
        conn.execute("INSERT INTO t (v) VALUES (?)", (f"row {i}",))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return count / elapsed


# ------------------------------------------------------------------------------ clients

class Peer:
    """A bus client on the websockets library, as the apps' own: hello, then requests matched
    to replies (events are read and skipped)."""

    def __init__(self, ws: ClientConnection, name: str) -> None:
        self.ws, self.name = ws, name
        self.waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.counter = 0
        self.reader: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, url: str, name: str, token: str) -> Peer:
        ws = await connect(url, max_size=None, compression=None, ping_interval=None,
                           open_timeout=30)
        await ws.send(json.dumps({"op": "hello", "id": "h", "device": name, "token": token,
                                  "protocol": 1}))
        reply = json.loads(await ws.recv())
        assert reply["ok"], reply
        peer = cls(ws, name)
        peer.reader = asyncio.create_task(peer.read())
        return peer

    async def read(self) -> None:
        async for frame in self.ws:
            if frame.startswith('{"re"'):
                message = json.loads(frame)
                future = self.waiting.pop(message["re"], None)
                if future is not None and not future.done():
                    future.set_result(message)

    async def request(self, op: str, **params: Any) -> dict[str, Any]:
        self.counter += 1
        req_id = f"{self.name}-{self.counter}"
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.waiting[req_id] = future
        await self.ws.send(json.dumps({"op": op, "id": req_id, **params}))
        reply = await future
        if not reply["ok"]:
            raise RuntimeError(f"{op}: {reply['error']}")
        return reply["result"]  # type: ignore[no-any-return]

    async def close(self) -> None:
        await self.ws.close()
        if self.reader:
            self.reader.cancel()


# ------------------------------------------------------------------------------ history

def make_history(db: Path, tickets: int) -> None:
    """A year of tickets (about ``tickets``), written straight into the hub's schema."""
    Store(db).close()
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    services = [("social", "C"), ("medical", "E"), ("hukou", "A"), ("pay", "P"), ("tax", "H")]
    per_day = max(1, tickets // 365)
    first = date.today() - timedelta(days=366)
    rows = []
    rng = random.Random(7)
    marks = ", ".join("?" for _ in TICKET_COLUMNS)
    insert = f"INSERT INTO tickets ({', '.join(TICKET_COLUMNS)}) VALUES ({marks})"
    ordinal = 0
    for d in range(365):
        day = (first + timedelta(days=d)).isoformat()
        base = datetime.fromisoformat(day).replace(hour=1, tzinfo=UTC)
        seqnos = dict.fromkeys([s for s, _ in services], 0)
        for i in range(per_day):
            service, prefix = services[i % len(services)]
            seqnos[service] += 1
            ordinal += 1
            issued = base + timedelta(seconds=i * 10)
            called = issued + timedelta(minutes=rng.randint(1, 40))
            finished = called + timedelta(minutes=rng.randint(2, 20))
            number = f"{prefix}{seqnos[service]:03d}"
            rows.append(ticket_row(Ticket(
                id=f"{day.replace('-', '')}-{number}", day=day, number=number,
                seqno=seqnos[service], service=service, issued_service=service, state="done",
                priority="normal", issued_at=issued, line_at=issued, line_ord=ordinal, window=1,
                calls=1, called_at=called, started_at=called, finished_at=finished,
                clerk="1001", score=rng.choice([None, 3, 4, 4]), issued_by="kiosk-1")))
            if len(rows) >= 50000:
                conn.executemany(insert, rows)
                rows.clear()
    conn.executemany(insert, rows)
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('day', ?)",
                 ((first + timedelta(days=364)).isoformat(),))
    conn.commit()
    conn.close()


# ------------------------------------------------------------------------------ the runs

def displays_process(url: str, tokens: dict[str, str], conn: Connection) -> None:
    """The hall's screens, in a process of their own (as they would be on their own machines):
    connect them all, say so, and at the end hand back when each call reached each screen.
    Lean clients: each real screen has a CPU of its own for its own frames, where here 200 of
    them share two cores with the hub; decoding every frame with the library's client made
    this process the busiest on the machine, and the hub's figures its."""

    async def run() -> None:
        screens = await asyncio.gather(*[LeanPeer.open(url, name, token)
                                         for name, token in tokens.items()])
        conn.send("ready")
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)
        arrivals: dict[str, list[float]] = {}
        for screen in screens:
            for number, at in screen.called.items():
                arrivals.setdefault(number, []).append(at)
        conn.send(arrivals)
        for screen in screens:
            await screen.close()

    asyncio.run(run())


def settle(pid: int | None, idle_cpu_s: float = 0.02, step_s: float = 0.25) -> None:
    """Wait until process ``pid`` has used less than ``idle_cpu_s`` of CPU in ``step_s``."""
    process = psutil.Process(pid)
    before = sum(process.cpu_times()[:2])
    while True:
        time.sleep(step_s)
        now = sum(process.cpu_times()[:2])
        if now - before < idle_cpu_s:
            return
        before = now


async def bench_live(hub: HubProcess, displays: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    parent, child = multiprocessing.get_context("spawn").Pipe()
    screen_tokens = {f"display-b{i}": hub.tokens[f"display-b{i}"] for i in range(displays)}
    screens = multiprocessing.get_context("spawn").Process(
        target=displays_process, args=(hub.url, screen_tokens, child))
    screens.start()
    assert await asyncio.get_running_loop().run_in_executor(None, parent.recv) == "ready"
    kiosk = await Peer.open(hub.url, "kiosk-b0", hub.tokens["kiosk-b0"])
    counter = await Peer.open(hub.url, "counter-1", hub.tokens["counter-1"])
    await counter.request("sign_in", window=1, clerk="1001", pin="1234")

    for _ in range(50):  # warm up
        await kiosk.request("issue", service="medical")
    issue_ms = []
    for _ in range(500):
        t0 = time.perf_counter()
        await kiosk.request("issue", service="social")
        issue_ms.append((time.perf_counter() - t0) * 1000)
    out["issue"] = issue_ms

    # 550 issues are 110,000 frames for the screens, which here share two cores with everything
    # else (a real screen has its own CPU and only its own 550 frames): let them catch up before
    # timing calls, or the first calls would measure that backlog
    await asyncio.get_running_loop().run_in_executor(None, settle, screens.pid)

    call_ms, sent = [], {}
    for _ in range(300):
        t0 = time.monotonic()
        result = await counter.request("call_next", window=1)
        call_ms.append((time.monotonic() - t0) * 1000)
        sent[result["ticket"]["number"]] = t0
        await asyncio.sleep(0.05)  # a busy window calls every few minutes; let each call land
    parent.send("report")
    arrivals = await asyncio.get_running_loop().run_in_executor(None, parent.recv)
    screens.join(30)
    fan_ms = []
    for number, t0 in sent.items():
        got = arrivals.get(number, [])
        # a display that never got the call counts as infinitely late
        fan_ms.append((max(got) - t0) * 1000 if len(got) == displays else float("inf"))
    out["call_next"], out["fanout"] = call_ms, fan_ms

    for peer in [kiosk, counter]:
        await peer.close()
    return out


def bystanders_process(url: str, tokens: dict[str, str], conn: Connection) -> None:
    """The hall's other devices while one kiosk issues tickets: the counter (signed in) and
    the other kiosks, each receiving every issue's events, in a process of their own as they
    would be on their own machines (in the measuring kiosk's process, reading their events
    would slow that kiosk, not the hub)."""

    async def run() -> None:
        peers = [await LeanPeer.open(url, name, token) for name, token in tokens.items()]
        await peers[0].request("sign_in", window=1, clerk="1001", pin="1234")
        conn.send("ready")
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)
        conn.send(sum(peer.events for peer in peers))
        for peer in peers:
            await peer.close()

    asyncio.run(run())


async def bench_throughput(hub: HubProcess, folder: Path, rounds: int) -> list[dict[str, float]]:
    """Durable issues a second, one kiosk then ten at once, on a hall with kiosks and a counter
    connected (all of whom receive every issue's events), in ``rounds`` rounds, each held to the
    raw commit rate read just before and just after it (the disk's rate drifts from one minute
    to the next on this machine). The load comes from lean clients (``loadgen``), so that on
    this 2-core machine the figure is the hub's, not the clients': the one kiosk on a blocking
    socket (in a thread, the loop idle meanwhile), the ten on the loop."""
    loop = asyncio.get_running_loop()
    out = []
    for number in range(rounds):
        before = await loop.run_in_executor(None, raw_commit_rate, folder / f"raw-{number}a")
        # request ids go on from one round to the next: a repeated id would be a retry, and
        # would get its first reply again with no commit
        seq_rate = await one_kiosk(hub, 1000, first_id=number * 10_000)
        par_rate, per_commit = await ten_kiosks(hub, 300, first_id=number * 10_000)
        after = await loop.run_in_executor(None, raw_commit_rate, folder / f"raw-{number}b")
        out.append({"raw_before": before, "raw_after": after, "limit": (before + after) / 2,
                    "seq_rate": seq_rate, "par_rate": par_rate, "per_commit": per_commit})
    return out


async def one_kiosk(hub: HubProcess, count: int, first_id: int) -> float:
    """Issues a second from one kiosk sending each request once the last is answered, while the
    counter and the other kiosks receive its events from a process of their own."""
    loop = asyncio.get_running_loop()
    parent, child = multiprocessing.get_context("spawn").Pipe()
    names = ["counter-1", *[f"kiosk-b{i}" for i in range(1, 11)]]
    others = multiprocessing.get_context("spawn").Process(
        target=bystanders_process, args=(hub.url, {n: hub.tokens[n] for n in names}, child))
    others.start()
    assert await loop.run_in_executor(None, parent.recv) == "ready"

    def run() -> float:
        kiosk = SyncPeer(hub.url, "kiosk-b0", hub.tokens["kiosk-b0"])
        kiosk.counter = first_id
        try:
            for _ in range(200):  # warm up
                kiosk.request("issue", service="medical")
            t0 = time.perf_counter()
            for _ in range(count):
                kiosk.request("issue", service="pay")
            return count / (time.perf_counter() - t0)
        finally:
            kiosk.close()

    rate = await loop.run_in_executor(None, run)
    parent.send("stop")
    assert await loop.run_in_executor(None, parent.recv) > 0  # they did receive the events
    others.join(30)
    return rate


async def ten_kiosks(hub: HubProcess, each: int, first_id: int) -> tuple[float, float]:
    """Issues a second from ten kiosks at once (the load is the point here, so they share this
    process), and the requests a commit carried."""
    counter = await LeanPeer.open(hub.url, "counter-1", hub.tokens["counter-1"])
    kiosks = [await LeanPeer.open(hub.url, f"kiosk-b{i}", hub.tokens[f"kiosk-b{i}"])
              for i in range(1, 11)]
    for peer in kiosks:
        peer.counter = first_id

    async def run(peer: LeanPeer, n: int) -> None:
        for _ in range(n):
            await peer.request("issue", service="tax")

    def health() -> dict[str, Any]:
        with urlopen(hub.url.replace("ws://", "http://") + "healthz") as answer:
            return json.loads(answer.read())  # type: ignore[no-any-return]

    await asyncio.gather(*[run(k, 20) for k in kiosks])  # warm up
    before = health()
    t0 = time.perf_counter()
    await asyncio.gather(*[run(k, each) for k in kiosks])
    rate = len(kiosks) * each / (time.perf_counter() - t0)
    after = health()
    per_commit = ((after["committed"] - before["committed"])
                  / max(1, after["commits"] - before["commits"]))
    for peer in [counter, *kiosks]:
        await peer.close()
    return rate, per_commit


async def bench_day(hub: HubProcess, tickets: int) -> float:
    """A day of ``tickets`` tickets issued, called and finished; returns the hub's RSS (MB)."""
    kiosks = [await Peer.open(hub.url, f"kiosk-b{i}", hub.tokens[f"kiosk-b{i}"])
              for i in range(4)]
    counters = [await Peer.open(hub.url, name, hub.tokens[name])
                for name in ("counter-1", "counter-2", "counter-4")]
    for peer, clerk in zip(counters, ("1001", "1002", "1003"), strict=True):
        await peer.request("sign_in", window=peer_window(peer), clerk=clerk, pin=pin_of(clerk))
    services = ["social", "medical", "fund", "hukou", "idcard", "employ"]

    async def issue(peer: Peer, n: int, offset: int) -> None:
        for i in range(n):
            await peer.request("issue", service=services[(i + offset) % len(services)])

    await asyncio.gather(*[issue(k, tickets // 4, i) for i, k in enumerate(kiosks)])

    async def serve(peer: Peer) -> None:
        while True:
            try:
                await peer.request("call_next", window=peer_window(peer))
                await peer.request("start", window=peer_window(peer))
            except RuntimeError:
                return

    await asyncio.gather(*[serve(c) for c in counters])
    assert hub.proc is not None
    rss = psutil.Process(hub.proc.pid).memory_info().rss / 2**20
    for peer in [*kiosks, *counters]:
        await peer.close()
    return rss


def peer_window(peer: Peer) -> int:
    return int(peer.name.split("-")[1])


def pin_of(clerk: str) -> str:
    return {"1001": "1234", "1002": "2345", "1003": "3456"}[clerk]


def start_time(folder: Path, history: int) -> tuple[float, float, int]:
    hub = HubProcess(folder)
    t0 = time.perf_counter()
    make_history(hub.db, history)
    built = time.perf_counter() - t0
    size = os.path.getsize(hub.db)
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        hub.start()
        times.append(time.perf_counter() - t0)
        hub.stop()
    print(f"  (history of {history:,} tickets built in {built:.1f} s, {size / 2**20:.0f} MB)")
    return statistics.median(times), max(times), size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--displays", type=int, default=200)
    parser.add_argument("--history", type=int, default=750_000)
    parser.add_argument("--day", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5,
                        help="throughput rounds, each held to the raw rate around it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-hub-") as tmp:
        folder = Path(tmp)
        raw = raw_commit_rate(folder)
        print(f"raw durable SQLite commits (WAL, synchronous=FULL): {raw:8.0f} /s")

        hub = HubProcess(folder / "live", extra=FAST).enroll_standard()
        for i in range(args.displays):
            hub.enroll(f"display-b{i}", "display")
        for i in range(11):
            hub.enroll(f"kiosk-b{i}", "kiosk")
        hub.start()
        try:
            live = asyncio.run(bench_live(hub, args.displays))
        finally:
            hub.stop()
        for name, key in ((f"issue ({args.displays} displays connected)", "issue"),
                          (f"call_next ({args.displays} displays connected)", "call_next"),
                          (f"call reaches all {args.displays} displays", "fanout")):
            print(line(name, live[key], width=44, quantiles=(50, 99), show_max=False))

        busy = HubProcess(folder / "busy", extra=FAST).enroll_standard()
        for i in range(11):
            busy.enroll(f"kiosk-b{i}", "kiosk")
        busy.start()
        try:
            rounds = asyncio.run(bench_throughput(busy, folder, args.rounds))
        finally:
            busy.stop()
        for name, key in (("1 kiosk", "seq_rate"), ("10 kiosks", "par_rate")):
            ratios = sorted(r[key] / r["limit"] for r in rounds)
            rate = statistics.median(r[key] for r in rounds)
            extra = (f"; {statistics.median(r['per_commit'] for r in rounds):.1f} requests per "
                     "commit" if key == "par_rate" else "")
            print(f"durable issues over the bus, {name + ':':11}{rate:8.0f} /s  "
                  f"(median {statistics.median(ratios):.2f} x raw{extra}; rounds "
                  f"{', '.join(f'{x:.2f}' for x in ratios)})")
        print("  raw durable commits around each round: "
              + ", ".join(f"{r['raw_before']:.0f}/{r['raw_after']:.0f}" for r in rounds) + " /s")

        day = HubProcess(folder / "day", extra=FAST).enroll_standard()
        for i in range(4):
            day.enroll(f"kiosk-b{i}", "kiosk")
        day.start()
        try:
            rss = asyncio.run(bench_day(day, args.day))
        finally:
            day.stop()
        print(f"hub RSS after a day of {args.day:,} tickets:  {rss:8.1f} MB")

        median, worst, _size = start_time(folder / "history", args.history)
        print(f"hub start with {args.history:,} tickets of history: median {median:.2f} s, "
              f"worst {worst:.2f} s (process start to listening)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
