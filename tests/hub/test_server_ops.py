"""Every op of the contract table over real sockets: its result and each error it lists."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from hub import cli
from tests.hub.test_server import (
    DISPLAY_TICKET_KEYS,
    WAIT,
    InProcess,
    Wire,
    in_process,
    local,
    start_hub,
    wire,
)
from tests.hubproc import COUNTY, HubProcess

TICKET_KEYS = {"id", "number", "service", "state", "priority", "issued_at", "window", "calls",
               "ahead", "est_wait_min"}
WINDOW_KEYS = {"number", "name", "zone", "serves", "state", "clerk", "current"}


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    proc = start_hub(tmp_path_factory.mktemp("hub"))
    try:
        yield proc
    finally:
        proc.stop()


class Hall:
    """Wires of one hub by device name, opened on first use."""

    def __init__(self, proc: HubProcess | InProcess) -> None:
        self.proc = proc
        self.wires: dict[str, Wire] = {}

    async def __call__(self, device: str) -> Wire:
        if device not in self.wires:
            if isinstance(self.proc, InProcess):
                self.wires[device] = await self.proc.wire(device)
            else:
                self.wires[device] = await wire(self.proc, device)
        return self.wires[device]

    async def close(self) -> None:
        for w in self.wires.values():
            await w.close()


@pytest.fixture
async def hall(tmp_path: Path) -> AsyncIterator[Hall]:
    """Wires to a fresh hub for tests that need queues of their own: in this process, to keep
    the run short (the same server code on a real socket; the shared hub is a real process)."""
    async with in_process(tmp_path / "hub", always_open=True) as hub:
        h = Hall(hub)
        yield h
        await h.close()


@pytest.fixture
async def shared_hall(shared: HubProcess) -> AsyncIterator[Hall]:
    h = Hall(shared)
    yield h
    await h.close()


def check_ticket(ticket: dict[str, Any]) -> dict[str, Any]:
    assert set(ticket) >= TICKET_KEYS, ticket
    assert ticket["state"] in ("waiting", "called", "serving", "done", "no_show", "cancelled")
    assert ticket["priority"] in ("normal", "green", "appointment")
    if ticket["state"] == "waiting":
        assert isinstance(ticket["ahead"], int) and isinstance(ticket["est_wait_min"], int)
    return ticket


# ------------------------------------------------------------------------------ issue

async def test_issue_by_kiosk_desk_admin_and_who_may_not(shared_hall: Hall) -> None:
    kiosk, desk, admin = await shared_hall("kiosk-1"), await shared_hall("desk-1"), \
        await shared_hall("admin-1")
    first = check_ticket((await kiosk.ok("issue", service="startup", lang="en"))["ticket"])
    assert first["number"][0] == "G" and first["service"] == "startup"
    assert first["state"] == "waiting" and first["priority"] == "normal"
    assert first["window"] is None and first["calls"] == 0 and first["lang"] == "en"
    second = check_ticket((await desk.ok("issue", service="startup"))["ticket"])
    assert int(second["number"][1:]) == int(first["number"][1:]) + 1
    assert second["ahead"] == first["ahead"] + 1
    assert second["id"] != first["id"]
    green = check_ticket((await desk.ok("issue", service="startup", priority="green"))["ticket"])
    assert green["priority"] == "green" and green["ahead"] == 0
    assert (await admin.ok("issue", service="startup", priority="green"))["ticket"][
        "priority"] == "green"
    assert await kiosk.fail("issue", service="startup", priority="green") == "forbidden"
    # a booking the desk takes in person (made by phone, its code lost): called as appointments
    booked = check_ticket((await desk.ok("issue", service="startup", priority="appointment"))[
        "ticket"])
    assert booked["priority"] == "appointment" and booked["ahead"] == 2  # after the two green ones
    assert await kiosk.fail("issue", service="startup", priority="appointment") == "forbidden"
    assert await kiosk.fail("issue", service="nope") == "unknown_service"
    assert await (await shared_hall("counter-1")).fail("issue", service="pay") == "forbidden"
    assert await (await shared_hall("display-1")).fail("issue", service="pay") == "forbidden"
    # none of the refusals took a number
    after = (await kiosk.ok("issue", service="startup"))["ticket"]
    assert int(after["number"][1:]) == int(first["number"][1:]) + 5


def quota_config(folder: Path) -> Path:
    text = COUNTY.read_text(encoding="utf-8").replace("daily_quota = 120", "daily_quota = 2")
    assert "daily_quota = 2" in text
    path = folder / "quota.toml"
    path.write_text(text, encoding="utf-8")
    return path


async def test_issue_stops_at_the_daily_quota(tmp_path: Path) -> None:
    async with in_process(tmp_path / "hub", config=quota_config(tmp_path)) as proc:
        kiosk = await proc.wire("kiosk-1")
        realty = next(s for s in kiosk.hello["snapshot"]["services"] if s["id"] == "realty")
        assert realty["quota_left"] == 2
        assert (await kiosk.ok("issue", service="realty"))["ticket"]["number"] == "F001"
        assert (await kiosk.ok("issue", service="realty"))["ticket"]["number"] == "F002"
        assert await kiosk.fail("issue", service="realty") == "quota_reached"
        desk = await proc.wire("desk-1")
        assert await desk.fail("issue", service="realty", priority="green") == "quota_reached"
        snap = (await kiosk.ok("sync"))["snapshot"]
        assert next(s for s in snap["services"] if s["id"] == "realty")["quota_left"] == 0
        assert next(s for s in snap["services"] if s["id"] == "pay")["quota_left"] is None
        assert (await kiosk.ok("issue", service="pay"))["ticket"]["number"] == "P001"


async def test_issue_honours_opening_hours(tmp_path: Path) -> None:
    # FakeClock starts on Monday 2026-11-23 at 10:00 in Shanghai: the hall is open
    async with in_process(tmp_path / "hub") as hub:
        kiosk = await hub.wire("kiosk-1")
        services = {s["id"]: s for s in kiosk.hello["snapshot"]["services"]}
        assert services["marriage"]["open"] is True
        assert services["marriage"]["hours_today"] == ["08:30-11:30", "14:00-17:00"]
        assert (await kiosk.ok("issue", service="marriage"))["ticket"]["number"] == "J001"
        hub.clock.set(local("2026-11-23", "12:00"))  # lunch: marriage only is closed
        assert await kiosk.fail("issue", service="marriage") == "service_closed"
        assert (await kiosk.ok("issue", service="social"))["ticket"]["number"] == "C001"
        snap = (await kiosk.ok("sync"))["snapshot"]
        services = {s["id"]: s for s in snap["services"]}
        assert services["marriage"]["open"] is False and services["social"]["open"] is True
        hub.clock.set(local("2026-11-23", "14:00"))
        assert (await kiosk.ok("issue", service="marriage"))["ticket"]["number"] == "J002"
        hub.clock.set(local("2026-11-23", "17:30"))  # the hall closes at 17:30
        assert await kiosk.fail("issue", service="social") == "service_closed"
        desk = await hub.wire("desk-1")
        assert await desk.fail("issue", service="social", priority="green") == "service_closed"
        snap = (await desk.ok("sync"))["snapshot"]
        assert snap["hall"]["open"] is False
        assert [s["open"] for s in snap["services"]] == [False] * 12
        # Sunday: closed all day
        hub.clock.set(local("2026-11-29", "10:00"))
        assert await kiosk.fail("issue", service="social") == "service_closed"
        snap = (await kiosk.ok("sync"))["snapshot"]
        assert next(s for s in snap["services"] if s["id"] == "social")["hours_today"] == []


# ------------------------------------------------------------------------------ check_in

APPOINTMENTS = """code,service,date,start,end,name,phone
OK1,social,2026-11-23,10:00,10:30,王小明,13800000001
EDGE,social,2026-11-23,10:30,11:00,李小红,13800000002
EARLY,social,2026-11-23,11:00,11:30,赵六,13800000003
LATE,social,2026-11-23,08:30,09:30,钱七,13800000004
TOMORROW,social,2026-11-24,10:00,10:30,孙八,13800000005
GONE,nosuchthing,2026-11-23,10:00,10:30,周九,13800000006
"""


def import_appointments(db: Path, folder: Path, text: str, config: Path | None = COUNTY) -> int:
    csv_path = folder / "appointments.csv"
    csv_path.write_text(text, encoding="utf-8")
    args = ["appointments", "import", str(csv_path), "--db", str(db)]
    if config is not None:
        args += ["--config", str(config)]
    return cli.main(args)


async def test_check_in_turns_an_appointment_into_a_ticket(tmp_path: Path) -> None:
    async with in_process(tmp_path / "hub") as hub:
        # imported without --config so that a service the hall lacks gets in too
        assert import_appointments(hub.db, tmp_path, APPOINTMENTS, config=None) == 0
        kiosk, desk = await hub.wire("kiosk-1"), await hub.wire("desk-1")
        display = await hub.wire("display-1")
        ticket = check_ticket((await kiosk.ok("check_in", "ci-1", code="OK1"))["ticket"])
        assert ticket["priority"] == "appointment" and ticket["appointment"] is True
        assert ticket["service"] == "social" and ticket["number"] == "C001"
        assert ticket["state"] == "waiting"
        assert await kiosk.fail("check_in", code="OK1") == "invalid_state"  # twice
        assert await desk.fail("check_in", code="OK1") == "invalid_state"
        # the same request again is the same reply, not a refusal
        again = await kiosk.request("check_in", "ci-1", code="OK1")
        assert again["ok"] is True and again["result"]["ticket"] == ticket
        assert await kiosk.fail("check_in", code="NOPE") == "not_found"
        assert await kiosk.fail("check_in", code="EARLY") == "invalid_state"
        assert await kiosk.fail("check_in", code="LATE") == "invalid_state"
        assert await kiosk.fail("check_in", code="TOMORROW") == "invalid_state"
        assert await kiosk.fail("check_in", code="GONE") == "invalid_state"  # not offered
        edge = (await desk.ok("check_in", code="edge"))["ticket"]  # exactly 30 minutes early
        #                                     (typed in small letters: the booking is found)
        assert edge["number"] == "C002"
        assert await (await hub.wire("counter-1")).fail("check_in", code="EARLY") == "forbidden"
        assert await display.fail("check_in", code="EARLY") == "forbidden"
        assert await (await hub.wire("admin-1")).fail("check_in", code="EARLY") == "forbidden"
        hub.clock.set(local("2026-11-23", "10:31"))
        assert (await kiosk.ok("check_in", code="EARLY"))["ticket"]["number"] == "C003"
        # booked names and phone numbers never leave the hub
        for w in (kiosk, desk, display):
            await w.flush()
            seen = json.dumps(w.events + w.replies + [w.hello], ensure_ascii=False)
            for secret in ("王小明", "13800000001", "李小红", "赵六"):
                assert secret not in seen


# ------------------------------------------------------------------------------ the window

async def test_sign_in_and_sign_out(hall: Hall) -> None:
    counter = await hall("counter-1")
    assert await counter.fail("sign_in", window=1, clerk="1001", pin="9999") == "unauthorized"
    assert await counter.fail("sign_in", window=1, clerk="7777", pin="1234") == "unauthorized"
    assert await counter.fail("sign_in", window=2, clerk="1001", pin="1234") == "forbidden"
    assert await counter.fail("call_next", window=1) == "invalid_state"  # nobody signed in
    assert await counter.fail("sign_out", window=1) == "invalid_state"
    window = (await counter.ok("sign_in", window=1, clerk="1001", pin="1234"))["window"]
    assert set(window) >= WINDOW_KEYS
    assert window["number"] == 1 and window["state"] == "open"
    assert window["clerk"] == "1001" and window["clerk_name"] == "张三"
    # the staff number and PIN as JSON numbers are the same digits
    again = (await counter.ok("sign_in", window=1, clerk=1001, pin=1234))["window"]
    assert again["state"] == "open" and again["clerk"] == "1001"
    assert await counter.fail("sign_in", window=1, clerk=True, pin=1234) == "bad_request"
    admin = await hall("admin-1")
    assert (await admin.ok("sign_in", window=7, clerk="1002", pin="2345"))["window"][
        "clerk_name"] == "李四"
    assert await admin.fail("sign_in", window=99, clerk="1002", pin="2345") == "not_found"
    assert await (await hall("kiosk-1")).fail("sign_in", window=1, clerk="1001",
                                               pin="1234") == "forbidden"
    assert await (await hall("desk-1")).fail("sign_out", window=1) == "forbidden"
    closed = (await counter.ok("sign_out", window=1))["window"]
    assert closed["state"] == "closed" and closed["clerk"] is None
    assert await counter.fail("sign_out", window=1) == "invalid_state"
    assert await counter.fail("call_next", window=1) == "invalid_state"


async def test_the_counter_flow_call_recall_start_finish_no_show(hall: Hall) -> None:
    kiosk, counter, display = await hall("kiosk-1"), await hall("counter-1"), \
        await hall("display-1")
    await counter.ok("sign_in", window=1, clerk="1001", pin="1234")
    assert await counter.fail("call_next", window=1) == "queue_empty"
    for op in ("recall", "start", "no_show", "finish"):
        assert await counter.fail(op, window=1) == "invalid_state", op
    numbers = [(await kiosk.ok("issue", service="social"))["ticket"]["number"]
               for _ in range(4)]
    assert numbers == ["C001", "C002", "C003", "C004"]
    assert await counter.fail("call_next", window=2) == "forbidden"

    called = check_ticket((await counter.ok("call_next", window=1))["ticket"])
    assert called["number"] == "C001" and called["state"] == "called"
    assert called["window"] == 1 and called["calls"] == 1
    event = await display.event("ticket_called")
    assert event["data"]["window"] == 1 and event["data"]["calls"] == 1
    assert set(event["data"]["ticket"]) == DISPLAY_TICKET_KEYS
    recalled = (await counter.ok("recall", window=1))["ticket"]
    assert recalled["number"] == "C001" and recalled["calls"] == 2
    event = await display.event("ticket_called")
    assert event["data"]["ticket"]["number"] == "C001" and event["data"]["calls"] == 2
    started = (await counter.ok("start", window=1))["ticket"]
    assert started["state"] == "serving" and started["started_at"]
    assert await counter.fail("start", window=1) == "invalid_state"
    assert await counter.fail("recall", window=1) == "invalid_state"
    assert await counter.fail("no_show", window=1) == "invalid_state"
    done = (await counter.ok("finish", window=1))["ticket"]
    assert done["state"] == "done" and done["number"] == "C001" and done["finished_at"]
    assert await counter.fail("finish", window=1) == "invalid_state"

    assert (await counter.ok("call_next", window=1))["ticket"]["number"] == "C002"
    await display.flush()
    # calling the next one finishes the one being called first
    assert (await counter.ok("call_next", window=1))["ticket"]["number"] == "C003"
    events = [(e["event"], e["data"].get("ticket", {}).get("number"))
              for e in await display.flush()]
    assert events.index(("ticket_finished", "C002")) < events.index(("ticket_called", "C003"))
    assert (await kiosk.ok("find", ticket="C002"))["ticket"]["state"] == "done"
    missed = (await counter.ok("no_show", window=1))["ticket"]
    assert missed["number"] == "C003" and missed["state"] == "no_show"
    assert await counter.fail("no_show", window=1) == "invalid_state"
    assert (await counter.ok("call_next", window=1))["ticket"]["number"] == "C004"
    # signing out finishes the ticket in hand
    await counter.ok("sign_out", window=1)
    assert (await kiosk.ok("find", ticket="C004"))["ticket"]["state"] == "done"


async def test_a_name_that_is_merely_wrong_gets_the_ops_own_code(hall: Hall) -> None:
    """A service, ticket, code, clerk or number of any form or length up to an absurd size
    names nothing: the op's own error, not bad_request."""
    kiosk, desk, counter = await hall("kiosk-1"), await hall("desk-1"), await hall("counter-4")
    assert await kiosk.fail("issue", service="s" * 33) == "unknown_service"
    assert await kiosk.fail("issue", service="Pay Desk") == "unknown_service"
    assert await kiosk.fail("check_in", code="c" * 65) == "not_found"
    assert await desk.fail("cancel", ticket="t" * 65) == "not_found"
    assert await counter.fail("sign_in", window=4, clerk="k" * 40, pin="p" * 80) == "unauthorized"
    await counter.ok("sign_in", window=4, clerk="1002", pin="2345")
    for _ in range(2):
        await kiosk.ok("issue", service="hukou")
    assert await desk.fail("reassign", ticket="A001", to_service="x" * 40,
                           position="keep") == "unknown_service"
    for number in ("NOPE", "A01B", "A1234567"):
        assert await counter.fail("call_number", window=4, number=number) == "not_found"
    await counter.ok("call_next", window=4)
    assert await counter.fail("transfer", window=4, to_service="y" * 50, position="last") == "unknown_service"
    # the citizen's language is a hint recorded with the ticket: one the hall lacks costs nothing
    for lang in ("fr", "zh-CN", "EN", "en_GB"):
        assert (await kiosk.ok("issue", service="hukou", lang=lang))["ticket"]["state"] == "waiting"


async def test_call_number_and_pause_resume(hall: Hall) -> None:
    kiosk, counter = await hall("kiosk-1"), await hall("counter-4")
    await counter.ok("sign_in", window=4, clerk="1002", pin="2345")
    for _ in range(3):
        await kiosk.ok("issue", service="hukou")
    assert await counter.fail("call_number", window=4, number="A009") == "not_found"
    third = (await counter.ok("call_number", window=4, number="A003"))["ticket"]
    assert third["number"] == "A003" and third["state"] == "called" and third["window"] == 4
    assert await counter.fail("call_number", window=4, number="A003") == "invalid_state"
    assert (await counter.ok("call_number", window=4, number="a001"))["ticket"]["number"] == \
        "A001"  # typed in lower case, as find takes it
    assert (await kiosk.ok("find", ticket="A003"))["ticket"]["state"] == "done"

    paused = (await counter.ok("pause", window=4, reason="午休"))["window"]
    assert paused["state"] == "paused" and paused["reason"] == "午休"
    assert await counter.fail("pause", window=4) == "invalid_state"
    assert await counter.fail("call_next", window=4) == "invalid_state"
    assert await counter.fail("call_number", window=4, number="A002") == "invalid_state"
    assert (await kiosk.ok("find", ticket="A002"))["ticket"]["state"] == "waiting"
    resumed = (await counter.ok("resume", window=4))["window"]
    assert resumed["state"] == "open" and resumed["reason"] is None
    assert await counter.fail("resume", window=4) == "invalid_state"
    assert (await counter.ok("call_next", window=4))["ticket"]["number"] == "A002"
    assert await counter.fail("pause", window=1) == "forbidden"


async def test_transfer_to_a_service_or_a_window(hall: Hall) -> None:
    kiosk, one, four = await hall("kiosk-1"), await hall("counter-1"), await hall("counter-4")
    display = await hall("display-1")
    await one.ok("sign_in", window=1, clerk="1001", pin="1234")
    await four.ok("sign_in", window=4, clerk="1002", pin="2345")
    assert await one.fail("transfer", window=1, to_service="hukou", position="last") == "invalid_state"
    await kiosk.ok("issue", service="social")  # C001
    for _ in range(2):
        await kiosk.ok("issue", service="hukou")  # A001, A002
    await kiosk.ok("issue", service="social")  # C002
    assert (await one.ok("call_next", window=1))["ticket"]["number"] == "C001"
    assert await one.fail("transfer", window=1, to_service="nope", position="last") == "unknown_service"
    assert await one.fail("transfer", window=1, to_window=99, position="last") == "not_found"
    assert await one.fail("transfer", window=2, to_window=4, position="last") == "forbidden"
    # (added) naming the ticket meant: refused if the window calls another
    assert await one.fail("transfer", window=1, to_service="hukou", position="first",
                          ticket="C002") == "invalid_state"
    moved = (await one.ok("transfer", window=1, to_service="hukou", position="first",
                          ticket="C001"))["ticket"]
    assert moved["number"] == "C001" and moved["state"] == "waiting"
    assert moved["service"] == "hukou" and moved["window"] is None and moved["ahead"] == 0
    event = await display.event("ticket_transferred")
    assert event["data"]["from_service"] == "social" and event["data"]["from_window"] == 1
    assert set(event["data"]["ticket"]) == DISPLAY_TICKET_KEYS
    assert (await one.ok("sync"))["snapshot"]["windows"][0]["current"] is None
    # placed first: before A001 and A002 that waited longer
    assert (await four.ok("call_next", window=4))["ticket"]["number"] == "C001"
    back = (await four.ok("transfer", window=4, to_window=1, position="last"))["ticket"]
    assert back["state"] == "waiting" and back["to_window"] == 1
    # window 1 takes the ticket sent to it before C002 of its own services
    assert (await one.ok("call_next", window=1))["ticket"]["number"] == "C001"
    assert (await one.ok("call_next", window=1))["ticket"]["number"] == "C002"
    # the default position is last
    last = (await one.ok("transfer", window=1, to_service="hukou", position="last"))["ticket"]
    assert last["ahead"] == 2
    assert [(await four.ok("call_next", window=4))["ticket"]["number"] for _ in range(3)] == \
        ["A001", "A002", "C002"]


async def test_rate_a_finished_ticket_once(hall: Hall) -> None:
    kiosk, one, four = await hall("kiosk-1"), await hall("counter-1"), await hall("counter-4")
    admin = await hall("admin-1")
    await one.ok("sign_in", window=1, clerk="1001", pin="1234")
    await four.ok("sign_in", window=4, clerk="1002", pin="2345")
    await kiosk.ok("issue", service="social")
    await kiosk.ok("issue", service="social")
    await one.ok("call_next", window=1)
    assert await one.fail("rate", ticket="C001", score=4) == "invalid_state"  # not done yet
    assert await admin.fail("rate", ticket="C002", score=4) == "invalid_state"  # waiting
    await one.ok("finish", window=1)
    assert await four.fail("rate", ticket="C001", score=1) == "forbidden"  # not its window
    assert await one.fail("rate", ticket="C404", score=3) == "not_found"
    assert await kiosk.fail("rate", ticket="C001", score=3) == "forbidden"
    rated = (await one.ok("rate", ticket="C001", score=4))["ticket"]
    assert rated["score"] == 4 and rated["number"] == "C001"
    assert await one.fail("rate", ticket="C001", score=3) == "invalid_state"  # rated already
    assert await admin.fail("rate", ticket="C001", score=3) == "invalid_state"
    ticket_id = (await kiosk.ok("issue", service="social"))["ticket"]["id"]
    await one.ok("call_next", window=1)
    await one.ok("call_next", window=1)  # finishes C002
    await one.ok("finish", window=1)  # C003
    assert (await admin.ok("rate", ticket=ticket_id, score=1))["ticket"]["score"] == 1
    # a counter rates only while a clerk is signed in at its window (the admin at any time)
    await kiosk.ok("issue", service="social")
    await one.ok("call_next", window=1)
    await one.ok("finish", window=1)  # C004
    await one.ok("sign_out", window=1)
    assert await one.fail("rate", ticket="C004", score=4) == "invalid_state"
    await one.ok("sign_in", window=1, clerk="1001", pin="1234")
    assert (await one.ok("rate", ticket="C004", score=4))["ticket"]["score"] == 4


async def test_ratings_and_device_state_reach_only_desk_and_admin(hall: Hall) -> None:
    kiosk, one, four = await hall("kiosk-1"), await hall("counter-1"), await hall("counter-4")
    desk = await hall("desk-1")
    await one.ok("sign_in", window=1, clerk="1001", pin="1234")
    await kiosk.ok("issue", service="social")
    await one.ok("call_next", window=1)
    await one.ok("finish", window=1)
    await one.ok("rate", ticket="C001", score=1)
    await desk.ok("follow_up", ticket="C001", note="已致电道歉")
    await kiosk.ok("device_status", status={"printer": "paper_low"})
    for w in (kiosk, one, four):
        snapshot = (await w.ok("sync"))["snapshot"]
        assert "devices" not in snapshot
        [call] = snapshot["recent_calls"]
        assert call["ticket"]["number"] == "C001" and call["ticket"]["score"] is None
        assert "follow_up" not in call["ticket"]
        found = (await w.ok("find", ticket="C001"))["ticket"]
        assert found["score"] is None and "follow_up" not in found
    snapshot = (await desk.ok("sync"))["snapshot"]
    assert snapshot["devices"]["kiosk-1"] == {"printer": "paper_low"}
    assert snapshot["recent_calls"][0]["ticket"]["score"] == 1
    assert (await desk.ok("find", ticket="C001"))["ticket"]["follow_up"]["note"] == "已致电道歉"

    # the desk sees which devices are connected: a hall screen gone dark says nothing itself
    await four.close()
    async with asyncio.timeout(WAIT):  # the hub hears of the close when its socket shuts
        while True:
            listed = {d["name"]: d for d in (await desk.ok("devices"))["devices"]}
            if not listed["counter-4"]["connected"]:
                break
            await asyncio.sleep(0.02)
    assert listed["kiosk-1"]["connected"] and listed["kiosk-1"]["role"] == "kiosk"
    assert listed["kiosk-1"]["status"] == {"printer": "paper_low"}
    assert listed["counter-1"]["connected"] and listed["counter-1"]["window"] == 1
    assert not listed["counter-4"]["connected"] and listed["counter-4"]["since"] is not None
    assert not listed["display-1"]["connected"] and listed["display-1"]["since"] is None
    assert listed["display-1"]["status"] is None and not listed["display-1"]["revoked"]
    for device in (kiosk, one):
        assert await device.fail("devices") == "forbidden"
    # a new hall day: a device gone last evening is not news; those connected are seen today
    assert isinstance(hall.proc, InProcess)
    hall.proc.clock.advance(hours=20)  # 06:00 the next day in Shanghai
    await kiosk.ok("issue", service="social")  # the day rolls before a request
    listed = {d["name"]: d for d in (await desk.ok("devices"))["devices"]}
    assert not listed["counter-4"]["connected"] and listed["counter-4"]["since"] is None
    assert listed["kiosk-1"]["since"] == hall.proc.clock.now().isoformat()


async def test_window_figures_for_the_clerk_s_own_screen(hall: Hall) -> None:
    kiosk, one, admin = await hall("kiosk-1"), await hall("counter-1"), await hall("admin-1")
    empty = await one.ok("window_figures", window=1)
    assert (empty["window"], empty["clerk"], empty["figures"]["served"]) == (1, None, 0)
    await one.ok("sign_in", window=1, clerk="1001", pin="1234")
    for _ in range(3):
        await kiosk.ok("issue", service="social")
    await one.ok("call_next", window=1)
    await one.ok("finish", window=1)
    await one.ok("rate", ticket="C001", score=3)
    await one.ok("call_next", window=1)
    await one.ok("no_show", window=1)
    mine = await one.ok("window_figures", window=1)
    assert mine["clerk"] == "1001" and mine["day"] == one.hello["snapshot"]["day"]
    assert {k: mine["figures"][k] for k in ("served", "no_show", "rated", "satisfaction")} == {
        "served": 1, "no_show": 1, "rated": 1, "satisfaction": 1.0}
    assert (await admin.ok("window_figures", window=1)) == mine
    assert await one.fail("window_figures", window=4) == "forbidden"  # not its window
    assert await kiosk.fail("window_figures", window=1) == "forbidden"
    assert await admin.fail("window_figures", window=99) == "not_found"
    assert await one.fail("window_figures") == "bad_request"
    assert await one.fail("window_figures", window="1") == "bad_request"


async def test_follow_up_a_dissatisfied_rating_that_day_and_days_later(tmp_path: Path) -> None:
    async with in_process(tmp_path / "hub") as hub:
        kiosk, one = await hub.wire("kiosk-1"), await hub.wire("counter-1")
        desk, admin = await hub.wire("desk-1"), await hub.wire("admin-1")
        await one.ok("sign_in", window=1, clerk="1001", pin="1234")
        for score in (1, 4, 1):
            await kiosk.ok("issue", service="social")
            await one.ok("call_next", window=1)
            await one.ok("finish", window=1)
            await one.ok("rate", ticket=(await one.ok("sync"))["snapshot"]["recent_calls"][0][
                "ticket"]["number"], score=score)
        assert await one.fail("follow_up", ticket="C001", note="called") == "forbidden"
        assert await kiosk.fail("follow_up", ticket="C001", note="called") == "forbidden"
        open_ones = await desk.ok("follow_ups")
        assert [item["id"] for item in open_ones["dissatisfied"]] == [
            "20261123-C001", "20261123-C003"]
        assert open_ones["dissatisfied"][0]["clerk"] == "1001"
        assert list(open_ones["clerks"]) == ["1001"] and open_ones["clerks"]["1001"]
        assert await one.fail("follow_ups") == "forbidden"
        assert await desk.fail("follow_up", ticket="C001") == "bad_request"  # what was done?
        assert await desk.fail("follow_up", ticket="C001", note="x" * 501) == "bad_request"
        assert await desk.fail("follow_up", ticket="C001", note="  ") == "bad_request"
        assert await desk.fail("follow_up", ticket="C002", note="called") == "invalid_state"
        assert await desk.fail("follow_up", ticket="C404", note="called") == "not_found"
        done = check_ticket((await desk.ok("follow_up", ticket="C001", note="电话回访，已致歉"))[
            "ticket"])
        assert done["number"] == "C001" and done["score"] == 1
        assert done["follow_up"] == {"note": "电话回访，已致歉", "by": "desk-1",
                                     "at": done["follow_up"]["at"]}
        event = await admin.event("ticket_followed_up")
        assert event["data"] == {"ticket": done, "follow_up": done["follow_up"]}
        assert await admin.fail("follow_up", ticket="C001", note="again") == "invalid_state"
        later_id = (await desk.ok("find", ticket="C003"))["ticket"]["id"]

        hub.clock.set(local("2026-11-26", "09:30"))  # three days later
        await kiosk.ok("issue", service="social")  # today's C001
        open_ones = await admin.ok("follow_ups")  # C001 was followed up, C003 was not
        assert [item["id"] for item in open_ones["dissatisfied"]] == [later_id]
        assert open_ones["from"] == "2026-10-27" and open_ones["to"] == "2026-11-26"
        assert await desk.fail("follow_up", ticket="C003", note="visited") == "not_found"
        assert await desk.fail("follow_up", ticket="20261123-C404", note="x") == "not_found"
        assert await desk.fail("follow_up", ticket="C001", note="x") == "invalid_state"  # today's
        late = (await desk.ok("follow_up", ticket=later_id, note="上门回访"))["ticket"]
        assert late["id"] == later_id and late["follow_up"]["by"] == "desk-1"
        assert late["follow_up"]["at"].startswith("2026-11-26T09:30")
        assert await admin.fail("follow_up", ticket=later_id, note="again") == "invalid_state"
        report = await desk.ok("report", **{"from": "2026-11-23", "to": "2026-11-26"})
        follow = {item["ticket"]: item["follow_up"] for item in report["dissatisfied"]}
        assert follow == {"C001": done["follow_up"], "C003": late["follow_up"]}
        assert [item["id"] for item in report["dissatisfied"]] == ["20261123-C001", later_id]
        assert list(report["clerks"]) == ["1001"]
        assert (await desk.ok("follow_ups"))["dissatisfied"] == []


# ------------------------------------------------------------------------------ the desk

async def test_reassign_reinstate_cancel_prioritise(hall: Hall) -> None:
    kiosk, desk, one = await hall("kiosk-1"), await hall("desk-1"), await hall("counter-1")
    await one.ok("sign_in", window=1, clerk="1001", pin="1234")
    for _ in range(4):
        await kiosk.ok("issue", service="social")  # C001..C004
    await kiosk.ok("issue", service="pay")  # P001

    # reassign
    assert await desk.fail("reassign", ticket="C404", to_service="pay", position="keep") == "not_found"
    assert await desk.fail("reassign", ticket="C001", to_service="nope", position="keep") == "unknown_service"
    assert await desk.fail("reassign", ticket="C001", to_window=99, position="keep") == "not_found"
    assert await one.fail("reassign", ticket="C001", to_service="pay", position="keep") == "forbidden"
    kept = (await desk.ok("reassign", ticket="C002", to_service="pay", position="keep"))["ticket"]
    assert kept["service"] == "pay" and kept["number"] == "C002"
    assert kept["ahead"] == 0  # position keep: it waited longer than P001
    front = (await desk.ok("reassign", ticket="C004", to_window=1, position="first"))["ticket"]
    assert front["to_window"] == 1
    assert (await one.ok("call_next", window=1))["ticket"]["number"] == "C004"
    assert await desk.fail("reassign", ticket="C004", to_service="pay", position="keep") == "invalid_state"

    # reinstate a no-show
    assert await desk.fail("reinstate", ticket="C001", position="first") == "invalid_state"  # waiting
    await one.ok("no_show", window=1)  # C004 did not come
    assert await desk.fail("reinstate", ticket="C777", position="first") == "not_found"
    back = (await desk.ok("reinstate", ticket="C004", position="first"))["ticket"]
    assert back["state"] == "waiting" and back["ahead"] == 0
    assert await desk.fail("reinstate", ticket="C004", position="first") == "invalid_state"
    assert (await one.ok("call_next", window=1))["ticket"]["number"] == "C004"

    # cancel: a waiting ticket, and the one a window is calling
    cancelled = (await desk.ok("cancel", ticket="C003", reason="left"))["ticket"]
    assert cancelled["state"] == "cancelled"
    assert await desk.fail("cancel", ticket="C003") == "invalid_state"
    assert await desk.fail("cancel", ticket="C999") == "not_found"
    assert await kiosk.fail("cancel", ticket="C001") == "forbidden"
    assert (await desk.ok("cancel", ticket="C004"))["ticket"]["state"] == "cancelled"
    snap = (await desk.ok("sync"))["snapshot"]
    assert snap["windows"][0]["current"] is None
    assert [t["number"] for t in snap["waiting"]] == ["C001", "C002", "P001"]

    # prioritise (green channel)
    await kiosk.ok("issue", service="social")  # C005
    green = (await desk.ok("prioritise", ticket="C005"))["ticket"]
    assert green["priority"] == "green" and green["ahead"] == 0
    assert await desk.fail("prioritise", ticket="C005") == "invalid_state"
    assert await desk.fail("prioritise", ticket="C003") == "invalid_state"  # cancelled
    assert await desk.fail("prioritise", ticket="X1") == "not_found"
    assert await kiosk.fail("prioritise", ticket="C001") == "forbidden"
    assert (await one.ok("call_next", window=1))["ticket"]["number"] == "C005"


async def test_find_announce_device_status_sync_report(shared_hall: Hall) -> None:
    kiosk, desk, admin = await shared_hall("kiosk-2"), await shared_hall("desk-1"), \
        await shared_hall("admin-1")
    display = await shared_hall("display-1")
    ticket = (await kiosk.ok("issue", service="collect"))["ticket"]
    assert (await kiosk.ok("find", ticket=ticket["number"]))["ticket"] == ticket
    assert (await desk.ok("find", ticket=ticket["id"]))["ticket"]["number"] == ticket["number"]
    assert (await desk.ok("find", ticket=ticket["number"].lower()))["ticket"]["id"] == \
        ticket["id"]
    assert await desk.fail("find", ticket="Q999") == "not_found"
    assert await display.fail("find", ticket=ticket["number"]) == "forbidden"

    assert await desk.ok("announce", text="请 Q001 号到 12 号窗口") == {}
    event = await display.event("announcement")
    assert event["data"] == {"text": "请 Q001 号到 12 号窗口", "lang": "zh"}
    assert await admin.ok("announce", text="  Welcome  ", lang="en") == {}
    assert (await display.event("announcement"))["data"] == {"text": "Welcome", "lang": "en"}
    assert await desk.fail("announce", text=" \t ") == "bad_request"
    assert await desk.fail("announce", text="bonjour", lang="fr") == "bad_request"  # not the hall's
    assert await kiosk.fail("announce", text="hi") == "forbidden"

    assert await kiosk.ok("device_status", status={"printer": "paper_out"}) == {}
    alert = await desk.event("device_alert")
    assert alert["data"] == {"device": "kiosk-2", "status": {"printer": "paper_out"}}
    assert await display.ok("device_status", status={"screen": "ok", "temp": 41.5}) == {}
    snap = (await admin.ok("sync"))["snapshot"]
    assert snap["devices"]["kiosk-2"] == {"printer": "paper_out"}
    assert snap["devices"]["display-1"] == {"screen": "ok", "temp": 41.5}
    assert await kiosk.fail("device_status", status=["paper_out"]) == "bad_request"
    assert await kiosk.fail("device_status", status="paper_out") == "bad_request"

    synced = await kiosk.ok("sync")
    assert set(synced) == {"seq", "snapshot"} and synced["seq"] >= kiosk.hello["seq"] + 2
    assert "waiting" not in synced["snapshot"]
    assert any(t["number"] == ticket["number"] for t in (await desk.ok("sync"))["snapshot"][
        "waiting"])

    day = desk.hello["snapshot"]["day"]
    report = await desk.ok("report", **{"from": day, "to": day})
    assert report["by_service"]["collect"]["issued"] >= 1
    assert {"by_service", "by_department", "by_window", "by_clerk", "dissatisfied"} <= \
        set(report)
    assert report["targets"]["wait_min"] == 30  # the desk's default promise, unless it says
    promised = await desk.ok("report", **{"from": day, "to": day}, wait_min=0.001,
                             wait_min_by_service={"collect": 600})
    assert promised["targets"]["wait_min"] == 0.001
    assert promised["targets"]["wait_min_by_service"] == {"collect": 600}
    for wrong in ({"wait_min": 0}, {"wait_min": "30"}, {"wait_min": True},
                  {"wait_min_by_service": {"collect": -1}}, {"wait_min_by_service": [30]}):
        assert await desk.fail("report", **{"from": day, "to": day}, **wrong) == "bad_request"
    assert await kiosk.fail("report", **{"from": day, "to": day}) == "forbidden"
    assert await (await shared_hall("counter-1")).fail("report", **{"from": day,
                                                                      "to": day}) == "forbidden"
