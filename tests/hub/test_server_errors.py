"""The hub under stress: request floods, a device that stops reading, a failed commit, PIN
guessing."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from hub import server as server_module
from hub.errors import StoreError
from hub.protocol import Role
from hub.server import Limits
from hub.store import Batch
from tests.fakes import FakeClock
from tests.hub.test_restart import burst
from tests.hub.test_server import WAIT, Wire, in_process, local, new_id, start_hub, wire


async def test_a_flood_is_answered_rate_limited(tmp_path: Path) -> None:
    proc = start_hub(tmp_path / "hub", extra=("--rate-limit", "50/50"))
    try:
        kiosk = await wire(proc, "kiosk-1")
        replies = await burst(kiosk, [("issue", {"service": "pay"})] * 200)
        codes = [r["error"]["code"] for r in replies if not r["ok"]]
        issued = [r["result"]["ticket"]["number"] for r in replies if r["ok"]]
        assert codes and set(codes) == {"rate_limited"}
        assert 50 <= len(issued) < 150
        # a limited request changed nothing: the numbers run on without a hole
        assert issued == [f"P{n:03d}" for n in range(1, len(issued) + 1)]
        # the limit is per device
        other = await wire(proc, "kiosk-2")
        assert (await other.ok("issue", service="pay"))["ticket"]["number"] == \
            f"P{len(issued) + 1:03d}"
        # and the flooding device is served again once it slows down
        for _ in range(200):
            reply = await kiosk.request("sync")
            if reply["ok"]:
                break
            assert reply["error"]["code"] == "rate_limited"
            await asyncio.sleep(0.02)
        assert reply["ok"] is True
        await kiosk.close()
        await other.close()
    finally:
        proc.stop()


async def test_a_flood_of_bad_frames_is_rate_limited_too(tmp_path: Path) -> None:
    """A device sending garbage costs the hub as much as one sending requests: each frame
    counts against its limit, and past it is answered rate_limited (with its id, if any)."""
    limits = Limits(rate=50, burst=50)
    async with in_process(tmp_path / "hub", always_open=True, limits=limits) as hub:
        kiosk = await hub.wire("kiosk-1")
        replies = await burst(kiosk, [("no_such_op", {})] * 200)
        codes = [r["error"]["code"] for r in replies]
        assert set(codes) == {"bad_request", "rate_limited"}
        assert 50 <= codes.count("bad_request") < 150
        await kiosk.close()


async def test_a_device_that_stops_reading_is_closed_and_delays_nobody(tmp_path: Path) -> None:
    limits = Limits(outbox=50, close_timeout=0.5)
    async with in_process(tmp_path / "hub", always_open=True, limits=limits) as hub:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", int(hub.url.rsplit(":", 1)[1].strip("/"))))
        slow = await Wire.open(hub.url, "desk-1", hub.tokens["desk-1"], sock=sock, max_queue=1)
        admin, kiosk = await hub.wire("admin-1"), await hub.wire("kiosk-1")
        status = {f"sensor-{i:02d}-" + "k" * 54: "v" * 200 for i in range(32)}
        alerts: list[int] = []

        async def read_admin() -> None:
            while True:
                event = await admin.event("device_alert")
                alerts.append(event["seq"])

        reader = asyncio.create_task(read_admin())
        sent = 0
        try:
            # produce big events (desk and admin get device alerts) until the desk is dropped
            while any(s.device == "desk-1" for s in hub.server.fanout.audience[Role.DESK]):
                assert sent < 3000, "the desk that does not read was never dropped"
                assert await kiosk.ok("device_status", status=status) == {}
                sent += 1
            for _ in range(20):
                assert await kiosk.ok("device_status", status=status) == {}
                sent += 1
            async with asyncio.timeout(WAIT):
                while len(alerts) < sent:
                    await asyncio.sleep(0.01)
        finally:
            reader.cancel()
        # the admin that reads got every alert, in order, while the desk lagged
        assert len(alerts) == sent
        assert alerts == sorted(alerts) and len(set(alerts)) == sent
        # the desk's connection is cut, though it still reads nothing
        async with asyncio.timeout(WAIT):
            while slow.ws.local_address in {c.remote_address for c in hub.server.connections}:
                await asyncio.sleep(0.01)
        print(f"the desk was dropped after {sent - 20} device alerts")
        # reading now ends in a close, not in more events
        closed = await slow.closed()
        assert closed.code in (1013, None)
        assert len(slow.events) < sent
        again = await hub.wire("desk-1")  # it reconnects and resyncs
        assert again.hello["seq"] == alerts[-1]
        assert again.hello["snapshot"]["devices"]["kiosk-1"] == status


@pytest.mark.parametrize("failure", [StoreError("disk full"), RuntimeError("a bug")])
async def test_a_commit_that_fails_is_answered_internal_and_changes_nothing(
        tmp_path: Path, failure: Exception) -> None:
    async with in_process(tmp_path / "hub", always_open=True) as hub:
        kiosk, desk = await hub.wire("kiosk-1"), await hub.wire("desk-1")
        assert (await kiosk.ok("issue", service="pay"))["ticket"]["number"] == "P001"
        real_write = hub.store.write

        def broken(batch: Batch) -> None:
            raise failure

        hub.store.write = broken  # type: ignore[method-assign]
        reply = await kiosk.request("issue", "lost", service="pay")
        assert reply["ok"] is False and reply["error"]["code"] == "internal"
        hub.store.write = real_write  # type: ignore[method-assign]
        # the hub reloaded what is on disk: P002 was never issued
        retried = await kiosk.request("issue", "lost", service="pay")
        assert retried["ok"] is True and retried["result"]["ticket"]["number"] == "P002"
        waiting = [t["number"] for t in (await desk.ok("sync"))["snapshot"]["waiting"]]
        assert waiting == ["P001", "P002"]


async def test_an_engine_failing_half_way_through_a_change_leaves_nothing_of_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug raising in the middle of call_next (after it finished the window's ticket): the
    reply is internal, nothing of the change is written or sent, the hall is read back from
    disk, and the same request then works."""
    async with in_process(tmp_path / "hub", always_open=True) as hub:
        kiosk, counter = await hub.wire("kiosk-1"), await hub.wire("counter-1")
        desk = await hub.wire("desk-1")
        await counter.ok("sign_in", window=1, clerk="1001", pin="1234")
        for _ in range(2):
            await kiosk.ok("issue", service="social")
        assert (await counter.ok("call_next", window=1))["ticket"]["number"] == "C001"
        engine_type = type(hub.server.engine)
        real_unqueue = engine_type._unqueue

        def broken(self: object, ticket: object) -> None:
            raise TypeError("a bug")

        monkeypatch.setattr(engine_type, "_unqueue", broken)
        reply = await counter.request("call_next", "next", window=1)
        assert reply["ok"] is False and reply["error"]["code"] == "internal"
        assert "nothing of this request was saved" in reply["error"]["message"]
        monkeypatch.setattr(engine_type, "_unqueue", real_unqueue)
        # C001 is still being called at window 1: its half-done finish was thrown away
        assert (await desk.ok("find", ticket="C001"))["ticket"]["state"] == "called"
        assert (await counter.ok("call_next", window=1))["ticket"]["number"] == "C002"
        assert (await desk.ok("find", ticket="C001"))["ticket"]["state"] == "done"
        retried = await counter.request("call_next", "next", window=1)  # not remembered
        assert retried["ok"] is False and retried["error"]["code"] == "queue_empty"


async def test_a_change_whose_events_cannot_be_encoded_is_undone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An event the JSON encoder refuses (an estimate past 64 bits, from a hall file that
    allowed absurd minutes): the change was in the engine and its events numbered, but never
    queued, so the hub went on with a seq and tickets the disk did not have. Now it is undone
    like an engine failure: the seq carries on without a gap and the next ticket is the same."""
    async with in_process(tmp_path / "hub", always_open=True) as hub:
        kiosk, desk = await hub.wire("kiosk-1"), await hub.wire("desk-1")
        assert (await kiosk.ok("issue", service="pay"))["ticket"]["number"] == "P001"
        seq = hub.server.seq
        real_encode = server_module.encode

        def refusing(value: object) -> str:
            if isinstance(value, dict) and "ticket" in value:
                raise TypeError("Integer exceeds 64-bit range")
            return real_encode(value)

        failed_at: list[int] = []  # the seq as the failure is handled: nothing numbered left
        real_failed = hub.server._engine_failed

        def failed(*args: Any) -> None:
            failed_at.append(hub.server.seq)
            real_failed(*args)

        monkeypatch.setattr(hub.server, "_engine_failed", failed)
        monkeypatch.setattr(server_module, "encode", refusing)
        reply = await kiosk.request("issue", "big", service="pay")
        assert reply["ok"] is False and reply["error"]["code"] == "internal"
        assert failed_at == [seq]  # (a sync answered before the reload read seq + 1)
        monkeypatch.setattr(server_module, "encode", real_encode)
        again = await kiosk.request("issue", "big", service="pay")  # not remembered
        assert again["ok"] is True and again["result"]["ticket"]["number"] == "P002"
        snapshot = await desk.ok("sync")
        assert [t["number"] for t in snapshot["snapshot"]["waiting"]] == ["P001", "P002"]
        assert hub.server.seq == snapshot["seq"] == seq + 2  # issued, queue_changed: no gap
        assert [e["seq"] for e in desk.events] == list(range(desk.events[0]["seq"], seq + 3))


@pytest.mark.parametrize("in_thread", [False, True])
async def test_a_commit_that_fails_on_the_disk_is_answered_internal(
        tmp_path: Path, in_thread: bool) -> None:
    """COMMIT itself fails (the rows were written): on the loop, or in the writer thread the
    hub hands the wait for the disk to when the disk is slow."""
    async with in_process(tmp_path / "hub", always_open=True) as hub:
        kiosk = await hub.wire("kiosk-1")
        assert (await kiosk.ok("issue", service="pay"))["ticket"]["number"] == "P001"
        real_finish = hub.store.finish

        def broken() -> None:
            hub.store._roll_back()  # what finish does when COMMIT fails, then it raises
            raise StoreError("disk full")

        hub.store.finish = broken  # type: ignore[method-assign]
        if in_thread:
            hub.server._commit_s = 1.0  # a slow disk: the commit is waited for in a thread
        reply = await kiosk.request("issue", "lost", service="pay")
        assert reply["ok"] is False and reply["error"]["code"] == "internal"
        hub.store.finish = real_finish  # type: ignore[method-assign]
        retried = await kiosk.request("issue", "lost", service="pay")
        assert retried["ok"] is True and retried["result"]["ticket"]["number"] == "P002"
        assert (await kiosk.ok("issue", service="pay"))["ticket"]["number"] == "P003"


async def test_a_failed_commit_at_the_days_start_does_not_keep_yesterday(tmp_path: Path) -> None:
    """The first request after 05:00 closes the hall day; if its commit fails, the day read back
    from disk is still yesterday's, and the next request closes it (it used to run the whole
    new day under yesterday's date, numbering on)."""
    clock = FakeClock(local("2026-11-23", "16:00"))
    async with in_process(tmp_path / "hub", always_open=True, clock=clock) as hub:
        kiosk, desk = await hub.wire("kiosk-1"), await hub.wire("desk-1")
        assert (await kiosk.ok("issue", service="pay"))["ticket"]["number"] == "P001"
        real_write = hub.store.write

        def broken(batch: Batch, *args: object) -> None:
            raise StoreError("could not write to hall.db: database or disk is full")

        hub.store.write = broken  # type: ignore[method-assign]
        clock.set(local("2026-11-24", "05:00"))
        reply = await kiosk.request("issue", service="pay")
        assert reply["error"]["code"] == "internal"
        assert "(could not write to hall.db: database or disk is full)" in reply["error"][
            "message"]
        hub.store.write = real_write  # type: ignore[method-assign]
        ticket = (await kiosk.ok("issue", service="pay"))["ticket"]
        assert ticket["number"] == "P001" and ticket["id"] == "20261124-P001"
        snapshot = (await desk.ok("sync"))["snapshot"]
        assert snapshot["day"] == "2026-11-24"
        assert [t["number"] for t in snapshot["waiting"]] == ["P001"]


async def test_a_sync_refused_with_a_failed_commit_does_not_hide_the_events_after_it(
        tmp_path: Path) -> None:
    """A desk's sync answered in the same commit as a change that failed: its snapshot counted
    the change's events, whose seqs are given again once the hall is read back; the desk still
    gets the events that now bear them."""
    async with in_process(tmp_path / "hub", always_open=True) as hub:
        kiosk, desk = await hub.wire("kiosk-1"), await hub.wire("desk-1")
        await kiosk.ok("issue", service="pay")
        await desk.flush()
        real_write = hub.store.write

        def broken(batch: Batch, *args: object) -> None:
            raise StoreError("could not write to hall.db: disk I/O error")

        hub.store.write = broken  # type: ignore[method-assign]
        lost, synced = await asyncio.gather(kiosk.request("issue", service="pay"),
                                            desk.request("sync"))
        assert lost["error"]["code"] == "internal" and synced["error"]["code"] == "internal"
        hub.store.write = real_write  # type: ignore[method-assign]
        again = (await kiosk.ok("issue", service="pay"))["ticket"]
        assert again["number"] == "P002"
        issued = [e for e in await desk.flush() if e["event"] == "ticket_issued"]
        assert [e["data"]["ticket"]["number"] for e in issued] == ["P002"]


async def test_another_programs_write_lock_does_not_freeze_the_hub(tmp_path: Path) -> None:
    """A technician's database browser holding a write transaction: the hub's loop does not
    wait for it (it used to, up to 30 s, every device with it). The change waits off the loop
    and is made once the lock is let go; the loop answers meanwhile."""
    async with in_process(tmp_path / "hub", always_open=True) as hub:
        kiosk = await hub.wire("kiosk-1")
        browser = sqlite3.connect(hub.db, isolation_level=None)
        browser.execute("BEGIN IMMEDIATE")
        try:
            issue = asyncio.create_task(kiosk.request("issue", service="pay"))
            beats = 0
            for _ in range(20):  # the loop turns while the commit waits for the lock
                await asyncio.sleep(0.02)
                beats += 1
            assert not issue.done()
        finally:
            browser.execute("ROLLBACK")
            browser.close()
        reply = await issue
        assert beats == 20 and reply["ok"] is True
        assert reply["result"]["ticket"]["number"] == "P001"
        assert (await kiosk.ok("issue", service="pay"))["ticket"]["number"] == "P002"


async def test_a_database_moved_away_while_the_hub_runs_takes_no_change(tmp_path: Path) -> None:
    """SQLite goes on writing to the file it has open: a hub whose database folder was moved
    or deleted acknowledged changes that were lost at the next start. It refuses them now, and
    takes them again once the file is back."""
    async with in_process(tmp_path / "hub", always_open=True) as hub:
        kiosk = await hub.wire("kiosk-1")
        assert (await kiosk.ok("issue", service="pay"))["ticket"]["number"] == "P001"
        (tmp_path / "hub").rename(tmp_path / "elsewhere")
        refused = await kiosk.request("issue", service="pay")
        assert refused["error"]["code"] == "internal"
        assert "was removed or replaced while the hub ran" in refused["error"]["message"]
        assert not (tmp_path / "hub").exists()  # no new, empty database made in its place
        health = hub.server.health()  # what a monitor polling /healthz sees meanwhile
        assert health["ok"] is False and "was removed or replaced" in health["saving_error"]
        (tmp_path / "elsewhere").rename(tmp_path / "hub")
        for _ in range(2):  # the first after the file is back reads the hall back
            reply = await kiosk.request("issue", service="pay")
            if reply["ok"]:
                break
            assert reply["error"]["code"] == "internal"
        assert reply["ok"] and reply["result"]["ticket"]["number"] == "P002"
        assert hub.server.health()["ok"] is True


async def test_pin_guessing_locks_the_clerk(tmp_path: Path) -> None:
    async with in_process(tmp_path / "hub", always_open=True) as hub:
        counter, admin = await hub.wire("counter-1"), await hub.wire("admin-1")
        for pin in ("0000", "1111", "2222", "3333", "4444"):
            assert await counter.fail("sign_in", window=1, clerk="1001", pin=pin) == \
                "unauthorized"
        reply = await counter.request("sign_in", new_id(), window=1, clerk="1001", pin="1234")
        assert reply["error"]["code"] == "unauthorized" and "locked" in reply["error"]["message"]
        # another clerk is not locked out
        assert (await admin.ok("sign_in", window=3, clerk="1002", pin="2345"))["window"][
            "clerk"] == "1002"


def hold_pin_checks(hub: Any) -> threading.Event:
    """PIN checks (scrypt, in a reader thread) wait until the event is set: what is sent
    meanwhile meets them under way, however fast or slow the machine."""
    gate = threading.Event()
    check = hub.server.store.clerk

    def held(clerk_id: str, pin: str) -> Any:
        assert gate.wait(10), "the test never let the PIN checks go on"
        return check(clerk_id, pin)

    hub.server.store.clerk = held
    return gate


async def test_pins_sent_at_once_count_as_tries(tmp_path: Path) -> None:
    """Twelve wrong PINs for one clerk sent at once, each on a connection of its own, then the
    right one: the checks under way count as tries, so the lockout holds, as it does for PINs
    tried one after the other (before, all twelve were checked and the right one got in)."""
    async with in_process(tmp_path / "hub", always_open=True) as hub:
        gate = hold_pin_checks(hub)
        wires = [await hub.wire("counter-1") for _ in range(13)]
        ids = [new_id() for _ in wires]
        replies = []
        for n, (w, req_id) in enumerate(zip(wires[:12], ids[:12], strict=True)):
            await w.send({"op": "sign_in", "id": req_id, "window": 1, "clerk": "1001",
                          "pin": f"{n:04d}"})
            replies.append(asyncio.ensure_future(w.reply(req_id)))
        # five are being checked; the seven others are refused at once
        deadline = asyncio.get_running_loop().time() + WAIT
        while sum(r.done() for r in replies) < 7:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                gate.set()
                raise AssertionError("every PIN was taken to be checked: none refused at once")
            await asyncio.wait([r for r in replies if not r.done()],
                               return_when=asyncio.FIRST_COMPLETED, timeout=left)
        right = await wires[12].request("sign_in", ids[12], window=1, clerk="1001", pin="1234")
        assert not right["ok"], "the right PIN got in after twelve wrong ones"
        # "locked": the counter says so in the clerk's language
        assert "is locked for a moment: too many PINs tried at once" in right["error"]["message"]
        gate.set()
        messages = [(await r)["error"]["message"] for r in replies]
        assert sum("wrong PIN" in m for m in messages) == 5, messages
        assert sum("too many PINs tried at once" in m for m in messages) == 7, messages
        # once the checks are done, the wrong ones lock the clerk as ever
        locked = await wires[0].request("sign_in", new_id(), window=1, clerk="1001", pin="1234")
        assert "locked for a few minutes" in locked["error"]["message"]


async def test_a_refused_look_up_gives_the_reply_its_id_already_has(tmp_path: Path) -> None:
    """One device, two connections, one request id: a wrong PIN (checked slowly, off the
    loop) and an issue settled meanwhile. Both get the issue's reply, and so does a retry:
    before, the refusal replaced it, and the retry said "wrong PIN" of a ticket issued."""
    async with in_process(tmp_path / "hub", always_open=True) as hub:
        gate = hold_pin_checks(hub)
        first, second = await hub.wire("admin-1"), await hub.wire("admin-1")
        await first.send({"op": "sign_in", "id": "X", "window": 3, "clerk": "1002",
                          "pin": "0000"})
        await second.send({"op": "issue", "id": "X", "service": "social"})
        issued = await second.reply("X")  # while the PIN is being checked
        assert issued["ok"], issued
        gate.set()
        assert await first.reply("X") == issued
        assert await second.request("sign_in", "X", window=3, clerk="1002",
                                    pin="0000") == issued
