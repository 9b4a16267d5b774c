"""hub.client.BusClient (and QtBus over it) against a real hub, and against a scripted peer for
the gap and resync rules."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import threading
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot
from websockets.asyncio.server import ServerConnection, serve

from hub.appargs import add_bus_arguments, settings_from_args
from hub.client import BusClient, BusError, BusUnavailable, DeviceSettings
from hub.errors import HubError
from hub.qtbus import QtBus
from tests.hub.test_server import WAIT, wire
from tests.hubproc import HubProcess, self_signed
from tests.movedhub import MovedClock, MovedHub


class Recorder:
    def __init__(self) -> None:
        self.snapshots: list[tuple[int, dict[str, Any]]] = []
        self.events: list[dict[str, Any]] = []
        self.statuses: list[tuple[bool, str]] = []

    def client(self, url: str, device: str, token: str) -> BusClient:
        return BusClient(url, device, token, backoff=(0.05, 0.2),
                         on_snapshot=lambda seq, snap: self.snapshots.append((seq, snap)),
                         on_event=self.events.append,
                         on_status=lambda ok, detail: self.statuses.append((ok, detail)))


async def until(check: Callable[[], bool], timeout: float = WAIT) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.01)


@pytest.fixture
async def running() -> AsyncIterator[Callable[[BusClient], asyncio.Task[None]]]:
    started: list[tuple[BusClient, asyncio.Task[None]]] = []

    def start(client: BusClient) -> asyncio.Task[None]:
        task = asyncio.create_task(client.run())
        started.append((client, task))
        return task

    yield start
    for client, task in started:
        await client.close()
        try:
            async with asyncio.timeout(WAIT):
                await task
        except TimeoutError:
            task.cancel()


# ------------------------------------------------------------------------------ a real hub

async def test_requests_events_and_retries_against_a_real_hub(
        hub: HubProcess, running: Callable[[BusClient], asyncio.Task[None]]) -> None:
    rec = Recorder()
    client = rec.client(hub.url, "admin-1", hub.tokens["admin-1"])
    task = running(client)
    await client.wait_ready(WAIT)
    assert client.connected and client.role == "admin" and client.window is None
    assert rec.snapshots and rec.snapshots[0][1]["day"] == client.snapshot["day"]
    assert rec.statuses[-1][0] is True
    start = client.seq

    ticket = (await client.request("issue", req_id="touch-1", service="pay"))["ticket"]
    assert ticket["number"] == "P001"
    assert (await client.request("issue", req_id="touch-1", service="pay"))["ticket"] == ticket
    with pytest.raises(BusError) as refused:
        await client.request("issue", service="nope")
    assert refused.value.code == "unknown_service" and "nope" in refused.value.message
    with pytest.raises(BusError) as bad:
        await client.request("call_next", window="1")
    assert bad.value.code == "bad_request"
    await client.request("sign_in", window=11, clerk="1001", pin="1234")
    assert (await client.request("call_next", window=11))["ticket"]["number"] == "P001"

    kiosk = await wire(hub, "kiosk-1")
    await kiosk.ok("issue", service="pay")
    await until(lambda: any(e["event"] == "ticket_issued" and
                            e["data"]["ticket"]["number"] == "P002" for e in rec.events))
    seqs = [e["seq"] for e in rec.events]
    assert seqs == list(range(start + 1, start + 1 + len(seqs)))  # none missed, none twice
    assert client.seq == seqs[-1]
    assert len(rec.snapshots) == 1  # no resync was needed
    await kiosk.close()
    await client.close()
    async with asyncio.timeout(WAIT):
        await task  # run() ends after close()
    assert rec.statuses[-1][0] is False


async def test_a_refused_token_is_reported_and_retried(
        hub: HubProcess, running: Callable[[BusClient], asyncio.Task[None]]) -> None:
    rec = Recorder()
    client = rec.client(hub.url, "kiosk-1", "wrong-token")
    running(client)
    await until(lambda: len(rec.statuses) >= 2)  # it keeps trying
    assert not client.connected
    assert all(ok is False for ok, _ in rec.statuses)
    assert "token" in rec.statuses[-1][1]
    with pytest.raises(TimeoutError):
        await client.wait_ready(0.2)


async def test_an_unreachable_hub_times_out_as_unavailable(
        running: Callable[[BusClient], asyncio.Task[None]]) -> None:
    rec = Recorder()
    client = rec.client("ws://127.0.0.1:9/", "kiosk-1", "token")  # nobody listens on port 9
    running(client)
    with pytest.raises(BusUnavailable) as err:
        await client.request("issue", service="pay", timeout=0.3)
    assert err.value.code == "unavailable"
    assert rec.statuses and rec.statuses[-1][0] is False
    assert "refuses" in rec.statuses[-1][1]


# ------------------------------------------------------------------------------ a scripted peer

class Script:
    """A fake hub on a real socket: answers hello, then sends what the test says."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.peer: ServerConnection | None = None
        self.connected = asyncio.Event()
        self.syncs: asyncio.Queue[str] = asyncio.Queue()
        self.sync_seq = 0

    async def handler(self, ws: ServerConnection) -> None:
        hello = json.loads(await ws.recv())
        await ws.send(json.dumps({"re": hello["id"], "ok": True, "result": {
            "role": "display", "window": None, "seq": 5, "snapshot": {"day": "2026-11-23"}}}))
        self.peer = ws
        self.connected.set()
        async for text in ws:
            message = json.loads(text)
            self.received.append(message)
            if message["op"] == "sync":
                await self.syncs.put(message["id"])

    async def event(self, seq: int, prev: int, name: str = "ticket_called") -> None:
        assert self.peer is not None
        await self.peer.send(json.dumps({"event": name, "seq": seq, "prev": prev,
                                         "at": "2026-11-23T10:00:00+08:00", "data": {}}))

    async def answer_sync(self, seq: int, then: list[tuple[int, int]] = ()) -> None:  # type: ignore[assignment]
        """Answer the next sync with ``seq``, and send ``then`` events right behind it."""
        async with asyncio.timeout(WAIT):
            req_id = await self.syncs.get()
        assert self.peer is not None
        await self.peer.send(json.dumps({"re": req_id, "ok": True, "result": {
            "seq": seq, "snapshot": {"day": "2026-11-23", "at": seq}}}))
        for event_seq, prev in then:
            await self.event(event_seq, prev)


async def test_gaps_resync_and_role_filtered_seqs_do_not(
        running: Callable[[BusClient], asyncio.Task[None]]) -> None:
    script = Script()
    async with serve(script.handler, "127.0.0.1", 0) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        rec = Recorder()
        client = rec.client(f"ws://127.0.0.1:{port}/", "display-1", "t")
        running(client)
        await client.wait_ready(WAIT)
        assert client.seq == 5
        await script.event(6, 5)
        await script.event(9, 6)  # seqs 7 and 8 were not for a display: no gap
        await until(lambda: client.seq == 9)
        assert [e["seq"] for e in rec.events] == [6, 9]
        await script.event(12, 11)  # 10 and 11 were for displays and never came: a gap
        await script.answer_sync(12, then=[(13, 12), (14, 13)])
        await until(lambda: client.seq == 14)
        # the snapshot replaced the gap, and the events right behind its reply were kept
        assert rec.snapshots[-1] == (12, {"day": "2026-11-23", "at": 12})
        assert [e["seq"] for e in rec.events] == [6, 9, 13, 14]
        await script.event(15, 14, name="day_started")  # a new day: start from a snapshot
        await script.answer_sync(15, then=[(16, 15)])
        await until(lambda: client.seq == 16)
        assert [seq for seq, _ in rec.snapshots] == [5, 12, 15]
        assert [e["seq"] for e in rec.events] == [6, 9, 13, 14, 15, 16]
        assert [m["op"] for m in script.received] == ["sync", "sync"]
        await client.close()


async def test_a_pending_request_is_sent_again_after_a_reconnect(
        running: Callable[[BusClient], asyncio.Task[None]]) -> None:
    script = Script()
    async with serve(script.handler, "127.0.0.1", 0) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        client = Recorder().client(f"ws://127.0.0.1:{port}/", "kiosk-1", "t")
        running(client)
        await client.wait_ready(WAIT)
        request = asyncio.create_task(client.request("issue", req_id="touch", service="pay"))
        await until(lambda: len(script.received) == 1)
        assert script.peer is not None
        script.connected.clear()
        await script.peer.close()  # the connection drops before the answer
        async with asyncio.timeout(WAIT):
            await script.connected.wait()
        await until(lambda: len(script.received) == 2)
        assert script.received[0] == script.received[1] == {"op": "issue", "id": "touch",
                                                            "service": "pay"}
        await script.peer.send(json.dumps({"re": "touch", "ok": True,
                                           "result": {"ticket": {"number": "P001"}}}))
        assert (await request) == {"ticket": {"number": "P001"}}


# ------------------------------------------------------------------------------ settings, Qt

def test_device_settings_from_a_file_and_arguments(tmp_path: Path) -> None:
    good = tmp_path / "kiosk.toml"
    good.write_text('hub = "ws://10.0.0.2:8765/"\ndevice = "kiosk-1"\ntoken = "abc"\n')
    assert DeviceSettings.from_file(good) == DeviceSettings("ws://10.0.0.2:8765/", "kiosk-1",
                                                            "abc")
    lacking = tmp_path / "lacking.toml"
    lacking.write_text('hub = "ws://10.0.0.2:8765/"\n')
    with pytest.raises(HubError, match="device, token"):
        DeviceSettings.from_file(lacking)
    with pytest.raises(HubError, match="cannot read"):
        DeviceSettings.from_file(tmp_path / "missing.toml")
    bare = tmp_path / "bare.toml"
    bare.write_text('hub = "ws://10.0.0.2:8765/"\ndevice = "kiosk-1"\ntoken = 5\n')
    with pytest.raises(HubError, match='token must be written in quotes, like token = "5"'):
        DeviceSettings.from_file(bare)
    misspelt = tmp_path / "misspelt.toml"
    misspelt.write_text('hub = "ws://10.0.0.2:8765/"\ndevice = "kiosk-1"\ntokn = "abd"\n')
    with pytest.raises(HubError, match=r"lacks token \(it has tokn, which is not read\)"):
        DeviceSettings.from_file(misspelt)
    misspelt.write_text('hub = "ws://10.0.0.2:8765/"\ndevic = "kiosk-1"\ntokn = "abd"\n')
    with pytest.raises(HubError, match=r"lacks device, token \(it has devic, tokn, which are "
                                       r"not read\)"):
        DeviceSettings.from_file(misspelt)
    extra = tmp_path / "extra.toml"  # a key of the technician's own is let be
    extra.write_text('hub = "ws://10.0.0.2:8765/"\ndevice = "kiosk-1"\ntoken = "abc"\n'
                     'role = "kiosk"\n')
    assert DeviceSettings.from_file(extra).token == "abc"
    broken = tmp_path / "broken.toml"
    broken.write_text("hub = \n")
    with pytest.raises(HubError, match="cannot read"):
        DeviceSettings.from_file(broken)

    parser = argparse.ArgumentParser()
    add_bus_arguments(parser)
    args = parser.parse_args(["--device-file", str(good), "--token", "override"])
    assert settings_from_args(args) == DeviceSettings("ws://10.0.0.2:8765/", "kiosk-1",
                                                      "override")
    # a file without what the command line gives is enough (it said "lacks device, token")
    args = parser.parse_args(["--device-file", str(lacking), "--device", "kiosk-2",
                              "--token", "t2"])
    assert settings_from_args(args) == DeviceSettings("ws://10.0.0.2:8765/", "kiosk-2", "t2")
    args = parser.parse_args(["--device-file", str(lacking), "--device", "kiosk-2"])
    with pytest.raises(HubError, match="lacks token"):
        settings_from_args(args)
    args = parser.parse_args(["--device", "kiosk-1", "--token", "abc"])
    assert settings_from_args(args).hub == "ws://127.0.0.1:8765/"
    for argv in (["--device", "kiosk-1"],
                 ["--device", "kiosk-1", "--token", "abc", "--hub", "http://x/"],
                 ["--device-file", str(good), "--hub", "10.0.0.2:8765"],
                 ["--device-file", str(good), "--ca-file", str(good)],  # not a wss:// hub
                 ["--device-file", str(good), "--hub", "wss://10.0.0.2:8765/",
                  "--ca-file", str(good)]):  # not a certificate
        with pytest.raises(HubError):
            settings_from_args(parser.parse_args(argv))
    cert, _ = self_signed(tmp_path / "tls")
    tls = tmp_path / "tls.toml"
    tls.write_text(f'hub = "wss://10.0.0.2:8765/"\ndevice = "kiosk-1"\ntoken = "abc"\n'
                   f'ca_file = "{cert}"\n')
    assert settings_from_args(parser.parse_args(["--device-file", str(tls)])).ca_file == str(cert)
    beside = tmp_path / "tls" / "kiosk.toml"  # ca_file relative to the device file's folder
    beside.write_text('hub = "wss://10.0.0.2:8765/"\ndevice = "kiosk-1"\ntoken = "abc"\n'
                      'ca_file = "hub.pem"\n')
    assert settings_from_args(parser.parse_args(["--device-file", str(beside)])).ca_file == str(cert)
    plain = tmp_path / "plain.toml"
    plain.write_text('hub = "ws://10.0.0.2:8765/"\ndevice = "kiosk-1"\ntoken = "abc"\n'
                     f'ca_file = "{cert}"\n')
    with pytest.raises(HubError, match="ca_file in the device file"):
        settings_from_args(parser.parse_args(["--device-file", str(plain)]))
    assert DeviceSettings.from_file(good).tls() is None  # ws://: no TLS
    # an address that cannot be connected to as written is said at once, in one line (it
    # was tried, and logged with a traceback, every few seconds)
    for hub, said in (("ws://127.0.0.1:99999/", "its port is not a number from 1 to 65535"),
                      ("ws://127.0.0.1:-1/", "its port is not a number"),
                      ("ws://127.0.0.1:0/", "its port is not a number from 1 to 65535"),
                      ("ws://h:8765:99/", "its port is not a number"),
                      ("ws://[::1/", "invalid IPv6 URL"),
                      ("ws:///", "hostname isn't provided")):
        with pytest.raises(HubError, match=re.escape(f"the hub address '{hub}' cannot be used "
                                                     f"({said}")):
            settings_from_args(parser.parse_args(["--device-file", str(good), "--hub", hub]))


def test_qtbus_talks_to_a_wss_hub_that_the_ca_file_vouches_for(
        qtbot: QtBot, tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path / "tls")
    hub = HubProcess(tmp_path / "hub", extra=("--cert", str(cert), "--key", str(key)))
    hub.enroll_standard().start()
    bus = QtBus(DeviceSettings(hub.url, "desk-1", hub.tokens["desk-1"], str(cert)))
    replies: list[dict[str, Any]] = []
    try:
        with qtbot.waitSignal(bus.snapshot, timeout=int(WAIT * 1000)):
            bus.start()
        bus.request("issue", {"service": "pay"}, on_done=lambda ok, payload: replies.append(payload))
        qtbot.waitUntil(lambda: bool(replies), timeout=int(WAIT * 1000))
        assert replies[0]["ticket"]["number"] == "P001"
    finally:
        bus.stop()
        hub.stop()


def test_qtbus_delivers_snapshots_events_and_replies_in_the_gui_thread(
        qtbot: QtBot, hub: HubProcess, caplog: pytest.LogCaptureFixture) -> None:
    bus = QtBus(DeviceSettings(hub.url, "desk-1", hub.tokens["desk-1"]))
    snapshots: list[int] = []
    events: list[str] = []
    replies: list[tuple[bool, dict[str, Any], bool]] = []
    gui = threading.current_thread()
    bus.snapshot.connect(lambda seq, snap: snapshots.append(seq))
    bus.bus_event.connect(lambda event: events.append(event["event"]))
    try:
        with qtbot.waitSignal(bus.snapshot, timeout=int(WAIT * 1000)):
            bus.start()
        bus.request("issue", {"service": "pay"},
                    on_done=lambda ok, payload: replies.append(
                        (ok, payload, threading.current_thread() is gui)))
        bus.request("issue", {"service": "nope"},
                    on_done=lambda ok, payload: replies.append(
                        (ok, payload, threading.current_thread() is gui)))
        qtbot.waitUntil(lambda: len(replies) == 2 and "ticket_issued" in events,
                        timeout=int(WAIT * 1000))
        by_ok = {ok: payload for ok, payload, _ in replies}
        assert by_ok[True]["ticket"]["number"] == "P001"
        assert by_ok[False]["code"] == "unknown_service"
        assert all(in_gui for _, _, in_gui in replies)
        assert bus.connected
    finally:
        bus.stop()
    assert not bus.connected
    assert "did not close cleanly" not in caplog.text
    # a request made once the bus has stopped (a reply handler asking again as the app closes)
    # is refused in words, not raised into the GUI's event loop
    late: list[tuple[bool, dict[str, Any]]] = []
    bus.request("window_figures", {"window": 1}, on_done=lambda ok, payload: late.append(
        (ok, payload)))
    assert late == [(False, {"code": "unavailable", "message": "the bus is not started"})]


def test_a_screen_refused_by_the_hub_says_why_in_its_log_once(
        qtbot: QtBot, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A counter with a wrong token retried every few seconds and logged nothing."""
    hub = HubProcess(tmp_path / "hub")
    hub.enroll_standard().start()
    bus = QtBus(DeviceSettings(hub.url, "counter-1", "not-its-token"))
    statuses: list[tuple[bool, str]] = []
    bus.status.connect(lambda ok, detail: statuses.append((ok, detail)))
    try:
        with caplog.at_level("WARNING", logger="hub.qtbus"):
            bus.start()
            qtbot.waitUntil(lambda: len(statuses) >= 3, timeout=int(WAIT * 3000))
    finally:
        bus.stop()
        hub.stop()
    told = [r.getMessage() for r in caplog.records if r.name == "hub.qtbus"]
    assert len(told) == 1, told  # once, though it tried again
    assert told[0].startswith(f"no connection to the hub at {hub.url}: ")
    assert "token" in told[0] or "unauthorized" in told[0], told


def test_an_app_closing_its_own_connection_is_not_a_warning(
        qtbot: QtBot, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    hub = HubProcess(tmp_path / "hub")
    hub.enroll_standard().start()
    bus = QtBus(DeviceSettings(hub.url, "display-1", hub.tokens["display-1"]))
    try:
        with caplog.at_level("WARNING", logger="hub.qtbus"):
            with qtbot.waitSignal(bus.snapshot, timeout=int(WAIT * 1000)):
                bus.start()
            bus.stop()
    finally:
        hub.stop()
    assert [r.getMessage() for r in caplog.records if r.name == "hub.qtbus"] == []


def test_an_app_goes_by_the_hubs_clock_when_its_own_is_off(qtbot: QtBot, tmp_path: Path) -> None:
    moved = MovedClock(tmp_path / "clock", datetime.now(UTC) + timedelta(hours=3))
    hub = MovedHub(tmp_path / "hub", moved).enroll_standard()
    hub.start()
    bus = QtBus(DeviceSettings(hub.url, "display-1", hub.tokens["display-1"]))
    try:
        with qtbot.waitSignal(bus.snapshot, timeout=int(WAIT * 1000)):
            bus.start()  # the snapshot says the hub's time
        assert abs((bus.hub_time.now() - moved.now()).total_seconds()) < 2
    finally:
        bus.stop()
        hub.stop()
