"""Who is called next, and who hears what, over real sockets."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

from tests.hub.test_server import (
    DISPLAY_TICKET_KEYS,
    EVENT_AUDIENCE,
    Wire,
    in_process,
    local,
    wire,
)
from tests.hub.test_server_ops import import_appointments
from tests.hubproc import HubProcess

# ------------------------------------------------------------------------------ routing


async def calls(w: Wire, window: int, count: int) -> list[str]:
    return [(await w.ok("call_next", window=window))["ticket"]["number"] for _ in range(count)]


async def test_who_is_called_next_by_priority_class_and_placement(tmp_path: Path) -> None:
    appointments = "OK1,social,2026-11-23,09:40,10:20,某人,139\n"
    async with in_process(tmp_path / "hub") as hub:
        assert import_appointments(hub.db, tmp_path, appointments) == 0
        kiosk, desk, one = await hub.wire("kiosk-1"), await hub.wire("desk-1"), \
            await hub.wire("counter-1")
        await one.ok("sign_in", window=1, clerk="1001", pin="1234")
        for _ in range(3):
            await kiosk.ok("issue", service="social")  # C001..C003, normal
            hub.clock.advance(60)
        await kiosk.ok("check_in", code="OK1")  # C004, appointment
        hub.clock.advance(60)
        await desk.ok("issue", service="medical", priority="green")  # E001, green
        hub.clock.advance(60)
        await kiosk.ok("issue", service="fund")  # K001
        waiting = [t["number"] for t in (await desk.ok("sync"))["snapshot"]["waiting"]]
        assert waiting == ["E001", "C004", "C001", "C002", "C003", "K001"]
        assert await calls(one, 1, 2) == ["E001", "C004"]
        # C003 missed and put back first, ahead of the older C001 and C002
        assert (await one.ok("call_number", window=1, number="C003"))["ticket"]["number"] == \
            "C003"
        await one.ok("no_show", window=1)
        await desk.ok("reinstate", ticket="C003", position="first")
        # then a ticket sent to window 1 itself goes before everything
        await desk.ok("reassign", ticket="K001", to_window=1, position="keep")
        assert await calls(one, 1, 4) == ["K001", "C003", "C001", "C002"]
        assert await one.fail("call_next", window=1) == "queue_empty"


async def test_ordered_windows_take_their_services_in_order(hub: HubProcess) -> None:
    kiosk, desk, admin = await wire(hub, "kiosk-1"), await wire(hub, "desk-1"), \
        await wire(hub, "admin-1")
    for window, clerk, pin in ((3, "1001", "1234"), (5, "1002", "2345"), (2, "1003", "3456")):
        await admin.ok("sign_in", window=window, clerk=clerk, pin=pin)
    await desk.ok("issue", service="social", priority="green")  # C001 (green)
    await kiosk.ok("issue", service="fund")  # K001
    await kiosk.ok("issue", service="medical")  # E001
    await kiosk.ok("issue", service="social")  # C002
    await kiosk.ok("issue", service="medical")  # E002
    # window 3 serves medical, social, fund strictly in that order: green or not
    assert await calls(admin, 3, 3) == ["E001", "E002", "C001"]
    # window 2 (fifo) takes green first, then the one that waited longest
    await desk.ok("issue", service="medical")  # E003
    await desk.ok("issue", service="social", priority="green")  # C003
    assert await calls(admin, 2, 3) == ["C003", "K001", "C002"]
    assert await calls(admin, 3, 1) == ["E003"]
    # window 5 serves idcard before hukou; window 4 (fifo) the oldest first
    await kiosk.ok("issue", service="hukou")  # A001
    await kiosk.ok("issue", service="idcard")  # B001
    await kiosk.ok("issue", service="hukou")  # A002
    assert await calls(admin, 5, 2) == ["B001", "A001"]
    four = await wire(hub, "counter-4")
    await four.ok("sign_in", window=4, clerk="1001", pin="1234")  # moves 1001 from window 3
    assert await calls(four, 4, 1) == ["A002"]
    window3 = (await desk.ok("sync"))["snapshot"]["windows"][2]
    assert window3["state"] == "closed" and window3["clerk"] is None
    for w in (kiosk, desk, admin, four):
        await w.close()


async def test_two_counters_calling_at_once_never_share_a_ticket(hub: HubProcess) -> None:
    kiosk, one, two = await wire(hub, "kiosk-1"), await wire(hub, "counter-1"), \
        await wire(hub, "counter-2")
    admin = await wire(hub, "admin-1")
    await one.ok("sign_in", window=1, clerk="1001", pin="1234")
    await two.ok("sign_in", window=2, clerk="1002", pin="2345")
    await admin.ok("sign_in", window=3, clerk="1003", pin="3456")
    rounds = 40
    issued = [(await kiosk.ok("issue", service=service))["ticket"]["number"]
              for _ in range(rounds) for service in ("social", "medical", "fund")]
    called: list[tuple[int, str]] = []
    for _ in range(rounds):
        results = await asyncio.gather(one.ok("call_next", window=1),
                                       two.ok("call_next", window=2),
                                       admin.ok("call_next", window=3))
        numbers = [r["ticket"]["number"] for r in results]
        assert len(set(numbers)) == 3, numbers
        called += [(w, n) for w, n in zip((1, 2, 3), numbers, strict=True)]
    assert sorted(n for _, n in called) == sorted(issued)
    for w, window in ((one, 1), (two, 2), (admin, 3)):
        assert await w.fail("call_next", window=window) == "queue_empty"
    # the hall agrees: every ticket was called once, to the window that got it
    seen = await admin.flush()
    seqs = [e["seq"] for e in seen]
    assert seqs == list(range(admin.hello["seq"] + 1, admin.hello["seq"] + 1 + len(seqs)))
    events = [e for e in seen if e["event"] == "ticket_called"]
    assert Counter(e["data"]["ticket"]["number"] for e in events) == Counter(issued)
    assert {(e["data"]["window"], e["data"]["ticket"]["number"]) for e in events} == set(called)
    for w in (kiosk, one, two, admin):
        await w.close()


# ------------------------------------------------------------------------------ events

def personal(ticket: dict[str, Any]) -> None:
    assert set(ticket) == DISPLAY_TICKET_KEYS, ticket


async def test_each_event_reaches_exactly_the_roles_entitled(tmp_path: Path) -> None:
    appointments = "OK1,social,2026-11-23,09:40,10:20,王小明,13900000000\n"
    async with in_process(tmp_path / "hub") as hub:
        assert import_appointments(hub.db, tmp_path, appointments) == 0
        devices = ("kiosk-1", "counter-1", "display-1", "desk-1", "admin-1")
        wires = {name: await hub.wire(name) for name in devices}
        roles = {name: w.hello["role"] for name, w in wires.items()}
        start_seq = {name: w.hello["seq"] for name, w in wires.items()}
        kiosk, counter, desk = wires["kiosk-1"], wires["counter-1"], wires["desk-1"]

        await counter.ok("sign_in", window=1, clerk="1001", pin="1234")  # window_changed
        await kiosk.ok("issue", service="social")  # ticket_issued, queue_changed
        await kiosk.ok("check_in", code="OK1")
        await kiosk.ok("issue", service="social")
        await kiosk.ok("issue", service="fund")
        await counter.ok("call_next", window=1)  # ticket_called (C002, appointment)
        await counter.ok("recall", window=1)
        await counter.ok("start", window=1)  # ticket_started
        await counter.ok("finish", window=1)  # ticket_finished
        await counter.ok("rate", ticket="C002", score=1)  # ticket_rated
        await desk.ok("follow_up", ticket="C002", note="回访")  # ticket_followed_up
        await counter.ok("call_next", window=1)  # C001
        await counter.ok("no_show", window=1)  # ticket_no_show
        await desk.ok("reinstate", ticket="C001", position="first")  # ticket_reinstated
        await counter.ok("call_next", window=1)
        await counter.ok("transfer", window=1, to_service="fund", position="last")  # ticket_transferred
        await desk.ok("prioritise", ticket="C003")  # ticket_prioritised
        await desk.ok("cancel", ticket="K001")  # ticket_cancelled
        await counter.ok("pause", window=1, reason="break")
        await counter.ok("resume", window=1)
        await desk.ok("announce", text="请注意")  # announcement
        await kiosk.ok("device_status", status={"printer": "paper_low"})  # device_alert
        hub.clock.set(local("2026-11-24", "09:00"))  # the next hall day begins
        # day_started; a device's own sync gets the new day in its snapshot, not as an event
        # after it (its seq is past that event's), so another kiosk asks
        await (await hub.wire("kiosk-2")).ok("sync")

        seen = {name: await w.flush() for name, w in wires.items()}
        produced = {e["event"] for e in seen["admin-1"]}
        assert produced == set(EVENT_AUDIENCE), set(EVENT_AUDIENCE) ^ produced
        for name, events in seen.items():
            role = roles[name]
            names = {e["event"] for e in events}
            assert names == {n for n, who in EVENT_AUDIENCE.items() if role in who}, name
            # in seq order, each one's "prev" is the one this device saw before it
            last = start_seq[name]
            for e in events:
                assert set(e) == {"event", "seq", "at", "data", "prev"}, e
                assert e["seq"] > last and e["prev"] == last, (name, e, last)
                last = e["seq"]
        # the admin sees every event: seq grows by exactly one
        seqs = [e["seq"] for e in seen["admin-1"]]
        assert seqs == list(range(start_seq["admin-1"] + 1, seqs[-1] + 1))

        for e in seen["display-1"]:
            data = e["data"]
            if "ticket" in data:
                personal(data["ticket"])
            if isinstance(data.get("window"), dict) and data["window"]["current"]:
                personal(data["window"]["current"])
        text = json.dumps(seen, ensure_ascii=False)
        assert "王小明" not in text and "13900000000" not in text
        rated = next(e for e in seen["desk-1"] if e["event"] == "ticket_rated")
        assert rated["data"]["score"] == 1 and rated["data"]["ticket"]["number"] == "C002"
        called = [e for e in seen["kiosk-1"] if e["event"] == "ticket_called"]
        assert [e["data"]["calls"] for e in called[:2]] == [1, 2]
        day = next(e for e in seen["display-1"] if e["event"] == "day_started")
        assert day["data"] == {"day": "2026-11-24"}
        # after the day starts, numbering restarts and the snapshot is of the new day
        snap = (await desk.ok("sync"))["snapshot"]
        assert snap["day"] == "2026-11-24" and snap["waiting"] == []
        assert all(w["state"] == "closed" for w in snap["windows"])
        assert (await kiosk.ok("issue", service="social"))["ticket"]["number"] == "C001"


async def test_a_display_sees_no_gap_when_events_are_not_for_it(tmp_path: Path) -> None:
    async with in_process(tmp_path / "hub") as hub:
        display, kiosk = await hub.wire("display-1"), await hub.wire("kiosk-1")
        admin = await hub.wire("admin-1")
        await admin.ok("sign_in", window=11, clerk="1001", pin="1234")
        await display.flush()
        before = (await display.ok("sync"))["seq"]
        # ticket_issued and device_alert are not for displays: their seqs are skipped
        await kiosk.ok("device_status", status={"printer": "ok"})
        await kiosk.ok("issue", service="pay")
        await admin.ok("call_next", window=11)
        events = await display.flush()
        assert [e["event"] for e in events] == ["queue_changed", "ticket_called",
                                                "window_changed", "queue_changed"]
        assert events[0]["prev"] == before and events[0]["seq"] > before + 2
        for prev, e in itertools.pairwise(events):
            assert e["prev"] == prev["seq"]
        # a display that connects now continues from its hello's seq without a gap
        late = await hub.wire("display-1")
        await kiosk.ok("issue", service="pay")
        await admin.ok("call_next", window=11)
        first = (await late.flush())[0]
        assert first["prev"] <= late.hello["seq"] < first["seq"]


async def test_a_burst_reaches_every_device_complete_and_in_order(tmp_path: Path) -> None:
    """Under a burst the devices that did not ask get their events paced into fewer writes:
    none is lost or reordered, and a requester's reply never overtakes an event queued for it."""
    async with in_process(tmp_path / "hub") as hub:
        display, bystander = await hub.wire("display-1"), await hub.wire("kiosk-2")
        kiosks = [await hub.wire("kiosk-1") for _ in range(5)]
        start = (await display.ok("sync"))["seq"]

        async def issue(kiosk: Wire, n: int) -> None:
            for _ in range(n):
                await kiosk.ok("issue", service="pay")

        await asyncio.gather(*[issue(kiosk, 10) for kiosk in kiosks])
        # the bystander's own request: its reply comes after every event of the burst (and
        # before the events of its own change)
        mine = (await bystander.ok("issue", service="pay"))["ticket"]["number"]
        issued = [e["data"]["ticket"]["number"] for e in bystander.events
                  if e["event"] == "ticket_issued"]
        assert sorted(issued) == [f"P{n:03d}" for n in range(1, 51)] and mine == "P051"
        seen = await bystander.flush()
        assert seen[-2]["data"]["ticket"]["number"] == "P051"  # its own events follow
        assert seen[-1]["event"] == "queue_changed"
        for prev, e in itertools.pairwise(seen):
            assert e["prev"] == prev["seq"]
        mine_seq = seen[-1]["seq"]
        events = await display.flush()
        assert [e["event"] for e in events] == ["queue_changed"] * 51
        assert [e["data"]["waiting"] for e in events] == list(range(1, 52))
        assert events[0]["prev"] == start and events[-1]["seq"] == mine_seq
        for prev, e in itertools.pairwise(events):
            assert e["prev"] == prev["seq"]


async def test_no_event_a_hello_or_sync_snapshot_holds_follows_its_reply(tmp_path: Path) -> None:
    """A hello or sync answered while earlier changes still wait for the disk: its snapshot
    holds them, so their events (numbered up to its seq) do not follow its reply; the next do."""
    async with in_process(tmp_path / "hub", always_open=True) as hub:
        finish = hub.store.finish

        def slow_finish() -> None:  # a slow disk: the next requests gather behind the commit
            time.sleep(0.1)
            finish()

        hub.store.finish = slow_finish  # type: ignore[method-assign]
        hub.server._commit_s = 1.0  # the wait for the disk in its thread, as on a slow disk
        kiosk = await hub.wire("kiosk-1")

        async def two_issues(tag: str) -> None:
            """The second waits behind the first's commit, and so will what follows it."""
            for n in range(2):
                await kiosk.send({"op": "issue", "id": f"{tag}-{n}", "service": "fund"})
                await asyncio.sleep(0.02)

        async def events_after(seq: int) -> None:
            await asyncio.sleep(0.3)  # every commit on disk, every event sent
            await kiosk.ok("issue", service="fund")  # one the device must get
            seen = [e["seq"] for e in await admin.flush()]
            assert seen and min(seen) > seq and seen == sorted(seen), (seq, seen)

        await two_issues("before-hello")
        admin = await hub.wire("admin-1")
        await events_after(admin.hello["seq"])
        await two_issues("before-sync")
        await events_after((await admin.ok("sync"))["seq"])
