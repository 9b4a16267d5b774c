"""The devices' last connections kept in the database (``devices`` after a restart): never at
the cost of a device connecting or reading, and never said of the wrong connection."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

import hub.server
import hub.store
from hub.store import Store
from tests.hub.test_server import in_process


def row(db: Path, device: str) -> tuple[int | None, str | None]:
    with sqlite3.connect(db) as conn:
        found = conn.execute("SELECT connected, last_seen FROM devices WHERE name = ?",
                             (device,)).fetchone()
    return found[0], found[1]


async def test_a_device_connects_and_reads_while_another_program_holds_the_database(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A database browser holds the write lock and nobody changes the hall: a screen leaving
    must not make the next device's hello or a desk's sync wait for the lock and be refused
    (a write of its own did, and reloaded the hall); it is written with the next change."""
    monkeypatch.setattr(hub.store, "BUSY_WAIT_S", 3.0)
    monkeypatch.setattr(hub.server, "TICK_SECONDS", 0.2)
    async with in_process(tmp_path / "h", always_open=True) as h:
        desk, screen = await h.wire("desk-1"), await h.wire("display-1")
        kiosk = await h.wire("kiosk-1")
        await kiosk.ok("device_status", status={"printer": "paper_out"})
        lock = sqlite3.connect(h.db, isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")
        try:
            await screen.close()
            await asyncio.sleep(0.5)  # ticks pass
            async with asyncio.timeout(1):
                other = await h.wire("kiosk-2")
                assert (await desk.request("sync", "s1"))["ok"]
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        assert h.server.engine.device_status["kiosk-1"] == {"printer": "paper_out"}
        assert row(h.db, "display-1")[0] == 1  # not written yet: nothing else was
        await other.ok("issue", service="pay")  # the hall's next change carries it
        assert row(h.db, "display-1")[0] == 0
        assert set(h.store.gone_since()) == {"display-1"}


async def test_a_failed_commit_keeps_the_departures_it_carried(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hub.store, "BUSY_WAIT_S", 0.3)
    async with in_process(tmp_path / "h", always_open=True) as h:
        kiosk, screen = await h.wire("kiosk-1"), await h.wire("display-1")
        await screen.close()
        async with asyncio.timeout(5):
            while "display-1" in h.server.fanout.connected():
                await asyncio.sleep(0.01)
        lock = sqlite3.connect(h.db, isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")
        try:
            assert (await kiosk.request("issue", "i1", service="pay"))["ok"] is False
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        await kiosk.ok("issue", service="pay")
        assert row(h.db, "display-1")[0] == 0


async def test_an_old_connection_closing_or_a_revoked_one_cut_is_not_a_departure(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hub.server, "TICK_SECONDS", 0.2)
    async with in_process(tmp_path / "h", always_open=True) as h:
        kiosk = await h.wire("kiosk-1")
        old = await h.wire("display-1")
        new = await h.wire("display-1")  # the screen came back before its old socket shut
        await old.close()
        await asyncio.sleep(0.1)
        await kiosk.ok("issue", service="pay")
        assert row(h.db, "display-1")[0] == 1 and h.store.gone_since() == {}
        assert new is not None

        cli = Store(h.db)  # hall-hub device revoke, then device add for a new screen
        try:
            cli.revoke_device("display-1")
            async with asyncio.timeout(5):
                while "display-1" in h.server.fanout.connected():
                    await asyncio.sleep(0.01)
            cli.add_device("display-1", "display", None)
        finally:
            cli.close()
        await kiosk.ok("issue", service="pay")
        assert row(h.db, "display-1") == (None, None) and h.store.gone_since() == {}
