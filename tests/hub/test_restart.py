"""Idempotency and durability: the same request id, reconnects, restarts and power cuts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hub.client import BusClient
from tests.hub.test_server import Wire, in_process, local, new_id, wire
from tests.hubproc import COUNTY, HubProcess
from tests.movedhub import MovedClock, MovedHub


async def burst(w: Wire, requests: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Send every request at once, then read all the replies (in the order sent)."""
    ids = [new_id() for _ in requests]
    for req_id, (op, params) in zip(ids, requests, strict=True):
        await w.send({"op": op, "id": req_id, **params})
    replies: dict[str, dict[str, Any]] = {}
    while len(replies) < len(ids):
        message = await w.frame()
        if message.get("re") in ids:
            replies[message["re"]] = message
    return [replies[i] for i in ids]


def last_seq(*wires: Wire) -> int:
    return int(max([w.hello["seq"] for w in wires] + [e["seq"] for w in wires for e in w.events]))


# ------------------------------------------------------------------------------ idempotency

async def test_the_same_request_id_gets_the_same_reply_and_one_ticket(hub: HubProcess) -> None:
    kiosk = await wire(hub, "kiosk-1")
    first = await kiosk.request("issue", "take-1", service="pay")
    assert first["ok"] is True and first["result"]["ticket"]["number"] == "P001"
    assert await kiosk.request("issue", "take-1", service="pay") == first
    # the id is what counts, even if the repeated request differs
    assert await kiosk.request("issue", "take-1", service="social") == first
    # a refused request is refused the same way again
    refused = await kiosk.request("issue", "take-2", service="nope")
    assert refused["error"]["code"] == "unknown_service"
    assert await kiosk.request("issue", "take-2", service="pay") == refused
    # over a new connection
    await kiosk.close()
    again = await wire(hub, "kiosk-1")
    assert await again.request("issue", "take-1", service="pay") == first
    # another device may use the same id for its own request
    other = await wire(hub, "kiosk-2")
    theirs = await other.request("issue", "take-1", service="pay")
    assert theirs["result"]["ticket"]["number"] == "P002"
    # both sent at once, before either is answered: still one ticket
    replies = await asyncio.gather(again.request("issue", "twin", service="pay"),
                                   other.request("issue", "twin", service="pay"))
    assert {r["result"]["ticket"]["number"] for r in replies} == {"P003", "P004"}
    await again.send({"op": "issue", "id": "dup", "service": "pay"})
    await again.send({"op": "issue", "id": "dup", "service": "pay"})
    a, b = await again.reply("dup"), await again.reply("dup")
    assert a == b and a["result"]["ticket"]["number"] == "P005"
    desk = await wire(hub, "desk-1")
    waiting = [t["number"] for t in (await desk.ok("sync"))["snapshot"]["waiting"]]
    assert waiting == ["P001", "P002", "P003", "P004", "P005"]

    # and across a restart of the hub, clean or not
    for w in (again, other, desk):
        await w.close()
    assert hub.stop() == 0
    hub.start()
    kiosk = await wire(hub, "kiosk-1")
    assert await kiosk.request("issue", "take-1", service="pay") == first
    assert await kiosk.request("issue", "take-2", service="pay") == refused
    hub.kill()
    hub.start()
    kiosk = await wire(hub, "kiosk-1")
    assert await kiosk.request("issue", "take-1", service="pay") == first
    assert (await kiosk.ok("issue", service="pay"))["ticket"]["number"] == "P006"
    await kiosk.close()


async def test_a_request_id_of_yesterday_is_a_new_request_today(tmp_path: Path) -> None:
    async with in_process(tmp_path / "hub") as hub:
        kiosk = await hub.wire("kiosk-1")
        first = await kiosk.ok("issue", "morning", service="pay")
        assert first["ticket"]["number"] == "P001"
        hub.clock.set(local("2026-11-24", "09:00"))
        # the first request of the new day: ids are unique per device per day only
        today = await kiosk.ok("issue", "morning", service="social")
        assert today["ticket"]["id"] != first["ticket"]["id"]
        assert today["ticket"]["service"] == "social"
        assert today["ticket"]["number"] == "C001"
        assert await kiosk.ok("issue", "morning", service="pay") == today


# ------------------------------------------------------------------------------ durability

async def test_every_acknowledged_change_survives_a_power_cut(hub: HubProcess) -> None:
    kiosk, counter, admin = await wire(hub, "kiosk-1"), await wire(hub, "counter-1"), \
        await wire(hub, "admin-1")
    snapshots: list[dict[str, Any]] = []
    statuses: list[bool] = []
    client = BusClient(hub.url, "desk-1", hub.tokens["desk-1"], backoff=(0.05, 0.5),
                       on_snapshot=lambda seq, snap: snapshots.append(snap),
                       on_status=lambda ok, detail: statuses.append(ok))
    runner = asyncio.create_task(client.run())
    try:
        await client.wait_ready(10)
        await counter.ok("sign_in", window=1, clerk="1001", pin="1234")
        issued = await burst(kiosk, [("issue", {"service": "social"})] * 30)
        assert all(r["ok"] for r in issued)
        numbers = [r["result"]["ticket"]["number"] for r in issued]
        assert sorted(numbers) == [f"C{n:03d}" for n in range(1, 31)]
        called = await burst(counter, [("call_next", {"window": 1})] * 5)
        assert [r["result"]["ticket"]["number"] for r in called] == \
            ["C001", "C002", "C003", "C004", "C005"]
        seen = last_seq(kiosk, counter, admin)
        # a request on its way while the power goes: answered once, whatever happened to it
        await kiosk.send({"op": "issue", "id": "at-the-cut", "service": "fund"})
        hub.kill()  # SIGKILL right after the acks

        assert (await kiosk.closed()).code is None  # no close frame: the hub just died
        pending = asyncio.create_task(client.request("issue", req_id="through-the-cut",
                                                     service="pay", timeout=30))
        await asyncio.sleep(0)
        assert not pending.done()
        await asyncio.to_thread(hub.start)

        # the client reconnects and resyncs by itself, then its request is answered
        ticket = (await pending)["ticket"]
        assert ticket["number"] == "P001"
        assert client.connected and statuses[-1] is True and False in statuses
        waiting = {t["number"] for t in snapshots[-1]["waiting"]}
        assert {f"C{n:03d}" for n in range(6, 31)} <= waiting
        assert (await client.request("issue", req_id="through-the-cut", service="pay"))[
            "ticket"] == ticket

        kiosk = await wire(hub, "kiosk-1")
        assert kiosk.hello["seq"] >= seen
        retried = await kiosk.request("issue", "at-the-cut", service="fund")
        assert retried["ok"] is True and retried["result"]["ticket"]["number"] == "K001"
        desk = await wire(hub, "desk-1")
        states = {}
        for number in numbers:
            states[number] = (await desk.ok("find", ticket=number))["ticket"]["state"]
        assert [states[f"C{n:03d}"] for n in range(1, 6)] == ["done"] * 4 + ["called"]
        assert {states[f"C{n:03d}"] for n in range(6, 31)} == {"waiting"}
        window = (await desk.ok("sync"))["snapshot"]["windows"][0]
        assert window["state"] == "open" and window["clerk"] == "1001"
        assert window["current"]["number"] == "C005"
        # numbering and seq carry on
        following = await kiosk.ok("issue", service="social")
        assert following["ticket"]["number"] == "C031"
        event = await desk.event("ticket_issued")
        assert event["data"]["ticket"]["number"] == "C031" and event["seq"] > seen
        counter = await wire(hub, "counter-1")
        assert (await counter.ok("call_next", window=1))["ticket"]["number"] == "C006"
        assert (await desk.ok("find", ticket="C005"))["ticket"]["state"] == "done"
        fund = [t for t in (await desk.ok("sync"))["snapshot"]["waiting"]
                if t["service"] == "fund"]
        assert [t["number"] for t in fund] == ["K001"]
        for w in (kiosk, desk, counter, admin):
            await w.close()
    finally:
        await client.close()
        runner.cancel()


def calls_of(snapshot: dict[str, Any]) -> list[tuple[str, int, str]]:
    return [(c["ticket"]["number"], c["window"], c["at"]) for c in snapshot["recent_calls"]]


async def test_the_hall_screens_show_the_same_calls_after_a_power_cut(hub: HubProcess) -> None:
    """A recall is the newest call, and a ticket called and then transferred was still called:
    the recent calls after a restart are those of before, not rebuilt from each ticket's first
    call (the hall screen's "now calling" changed to another window)."""
    kiosk, one, two = (await wire(hub, "kiosk-1"), await wire(hub, "counter-1"),
                       await wire(hub, "counter-2"))
    await one.ok("sign_in", window=1, clerk="1001", pin="1234")
    await two.ok("sign_in", window=2, clerk="1002", pin="2345")
    for _ in range(4):
        await kiosk.ok("issue", service="social")
    await one.ok("call_next", window=1)  # C001
    await two.ok("call_next", window=2)  # C002
    await one.ok("recall", window=1)  # C001 again: the newest call
    await two.ok("transfer", window=2, to_service="fund", position="last")  # C002 waits again, elsewhere
    await two.ok("call_next", window=2)  # C003
    await one.ok("recall", window=1)
    before = calls_of((await kiosk.ok("sync"))["snapshot"])
    assert [(n, w) for n, w, _ in before] == [("C001", 1), ("C003", 2), ("C002", 2)]
    hub.kill()
    await asyncio.to_thread(hub.start)
    display = await wire(hub, "display-1")
    assert calls_of(display.hello["snapshot"]) == before
    await display.close()


# ------------------------------------------------------------------------------ the clock

async def test_a_hub_started_with_its_clock_behind_keeps_the_day_it_began(
        tmp_path: Path) -> None:
    """A hall machine that boots before its clock is set (no clock battery, an NTP step back):
    the citizens already waiting are not sent home, no number is given twice, and the log says
    why; once the clock is right again the hall carries on, and a new day still starts."""
    now = datetime.now(UTC)
    hub = MovedHub(tmp_path / "hub", MovedClock(tmp_path / "clock", now)).enroll_standard()
    hub.start()
    try:
        kiosk = await wire(hub, "kiosk-1")
        taken = [(await kiosk.ok("issue", service="pay"))["ticket"]["id"] for _ in range(3)]
        day = (await kiosk.ok("sync"))["snapshot"]["day"]
        await kiosk.close()
        assert hub.stop() == 0
        for moment in (now - timedelta(days=2), now):  # restarted behind, then set right
            hub.clock.set(moment)
            hub.start()
            kiosk = await wire(hub, "kiosk-1")
            taken.append((await kiosk.ok("issue", service="pay"))["ticket"]["id"])
            desk = await wire(hub, "desk-1")
            snapshot = (await desk.ok("sync"))["snapshot"]
            assert snapshot["day"] == day
            assert [t["id"] for t in snapshot["waiting"]] == taken
            for w in (kiosk, desk):
                await w.close()
            assert hub.stop() == 0
        assert len(set(taken)) == 5
        assert "clock (" in (log := hub.log.read_text(encoding="utf-8"))
        assert "is behind the newest time the hall recorded" in log
        hub.clock.set(now + timedelta(days=1))  # the next day still comes
        hub.start()
        kiosk = await wire(hub, "kiosk-1")
        ticket = (await kiosk.ok("issue", service="pay"))["ticket"]
        assert ticket["number"] == "P001" and not ticket["id"].startswith(day.replace("-", ""))
        await kiosk.close()
    finally:
        hub.stop()


async def listed_devices(desk: Wire) -> dict[str, dict[str, Any]]:
    return {d["name"]: d for d in (await desk.ok("devices"))["devices"]}


async def test_a_device_gone_before_a_restart_is_still_missed_after_it(tmp_path: Path) -> None:
    """A hall screen that went dark at 11:05 is still an alarm on the desk after the hub is
    restarted at noon; a kiosk connected when the hub stopped is not (it comes back by itself
    if it can); a new hall day forgets both."""
    now = datetime.now(UTC)
    hub = MovedHub(tmp_path / "hub", MovedClock(tmp_path / "clock", now)).enroll_standard()
    hub.start()
    try:
        desk, kiosk, screen = (await wire(hub, "desk-1"), await wire(hub, "kiosk-1"),
                               await wire(hub, "display-1"))
        await screen.close()
        async with asyncio.timeout(10):  # the hub hears of the close when its socket shuts
            while (listed := await listed_devices(desk))["display-1"]["connected"]:
                await asyncio.sleep(0.02)
        gone = listed["display-1"]["since"]
        assert gone is not None and listed["kiosk-1"]["connected"]
        await desk.close()
        assert await asyncio.to_thread(hub.stop) == 0  # the kiosk is connected at the stop
        await kiosk.close()

        hub.start()
        desk = await wire(hub, "desk-1")
        listed = await listed_devices(desk)
        assert not listed["display-1"]["connected"] and listed["display-1"]["since"] == gone
        assert not listed["kiosk-1"]["connected"] and listed["kiosk-1"]["since"] is None
        assert listed["desk-1"]["connected"]
        await desk.close()
        assert hub.stop() == 0

        hub.clock.set(now + timedelta(days=1))  # the next hall day
        hub.start()
        desk = await wire(hub, "desk-1")
        listed = await listed_devices(desk)
        assert listed["display-1"]["since"] is None and listed["kiosk-1"]["since"] is None
        await desk.close()
    finally:
        hub.stop()


# ------------------------------------------------------------------------------ the hall file

async def test_a_window_left_out_of_the_hall_file_for_a_day_works_when_put_back(
        tmp_path: Path) -> None:
    """Window 2 left out of the hall file (a counter being repaired) while its clerk was signed
    in with a ticket called, the day ended, and the window put back: its clerk signs in and
    calls as at any window. Its old row made every one of its actions an internal error."""
    text = COUNTY.read_text(encoding="utf-8")
    block = text.index("[[windows]]\nnumber = 2\n")
    without = tmp_path / "without-2.toml"
    without.write_text(text[:block] + text[text.index("[[windows]]", block + 1):],
                       encoding="utf-8")
    now = datetime.now(UTC)
    hub = MovedHub(tmp_path / "hub", MovedClock(tmp_path / "clock", now)).enroll_standard()
    hub.start()
    try:
        admin = await wire(hub, "admin-1")
        await admin.ok("issue", service="social")
        await admin.ok("sign_in", window=2, clerk="1002", pin="2345")
        assert (await admin.ok("call_next", window=2))["ticket"]["number"] == "C001"
        await admin.close()
        tomorrow = now + timedelta(days=1)
        for config, moment in ((without, now), (without, tomorrow), (COUNTY, tomorrow)):
            assert hub.stop() == 0
            hub.config = config
            hub.clock.set(moment)
            hub.start()
            admin = await wire(hub, "admin-1")
            await admin.ok("issue", service="social")  # the next day begins without window 2
            await admin.close()
        admin = await wire(hub, "admin-1")
        await admin.ok("sign_in", window=2, clerk="1003", pin="3456")
        assert (await admin.ok("call_next", window=2))["ticket"]["number"] == "C001"
        assert (await admin.ok("finish", window=2))["ticket"]["state"] == "done"
        snapshot = (await admin.ok("sync"))["snapshot"]
        assert snapshot["windows"][1]["clerk"] == "1003"
        await admin.close()
        log = hub.log.read_text(encoding="utf-8")
        assert "Traceback" not in log
        # the technician is told of the counter enrolled for the window left out, once a start
        assert log.count("device counter-2 is a counter at window 2, which the hall file does "
                         "not have") == 2
    finally:
        hub.stop()


async def test_a_wal_file_deleted_while_the_hub_runs_loses_nothing_at_a_power_cut(
        hub: HubProcess) -> None:
    """A technician freeing space deletes hall.db-wal while the hub runs, then the power goes:
    SQLite went on appending to the deleted file, and the tickets acknowledged since the last
    checkpoint were lost, their numbers given out again. Now the hub copies what that file
    held into the database at its next commit and begins a new WAL."""
    kiosk = await wire(hub, "kiosk-1")
    for _ in range(5):
        await kiosk.ok("issue", service="social")
    await asyncio.sleep(1.5)  # a checkpoint: C001-C005 are in hall.db itself
    wal = hub.db.with_name(hub.db.name + "-wal")
    wal.unlink()
    issued = await burst(kiosk, [("issue", {"service": "social"})] * 10)
    assert [r["result"]["ticket"]["number"] for r in issued] == [
        f"C{n:03d}" for n in range(6, 16)]
    hub.kill()  # at once: before the hub's next checkpoint
    await asyncio.to_thread(hub.start)
    kiosk = await wire(hub, "kiosk-1")
    assert (await kiosk.ok("issue", service="social"))["ticket"]["number"] == "C016"
    assert "was removed or replaced while the hub ran" in hub.log.read_text()
    await kiosk.close()


async def test_the_days_announcements_are_in_every_snapshot_also_after_a_restart(
        hub: HubProcess) -> None:
    """A hall screen switched on (or cut off) when the desk announced "marriage registration
    closes at noon" never showed it, while the others did: snapshots carried no announcements."""
    desk = await wire(hub, "desk-1")
    await desk.ok("announce", text="婚姻登记今天中午暂停", lang="zh")
    await desk.ok("announce", text="Marriage registration closes at noon", lang="en")
    display = await wire(hub, "display-1")
    said = display.hello["snapshot"]["announcements"]
    assert [(a["text"], a["lang"]) for a in said] == [
        ("Marriage registration closes at noon", "en"), ("婚姻登记今天中午暂停", "zh")]
    hub.kill()
    await asyncio.to_thread(hub.start)
    display = await wire(hub, "display-1")
    assert display.hello["snapshot"]["announcements"] == said  # read back from the events
    await display.close()
