"""The store: its write-ahead log kept from growing all day, a commit that fails leaving
nothing behind, and the request ids of the hall day read back at start."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hub import store as store_module
from hub.errors import StoreError
from hub.folderwatch import FolderWatch
from hub.model import Ticket
from hub.store import TICKET_COLUMNS, Batch, Store, ticket_row


def commits(store: Store, count: int, start: int) -> None:
    for i in range(start, start + count):
        store.commit(Batch(events=[(i, "2026-11-23T09:00:00", "day_started", '{"day":"x"}')]))


def test_under_steady_commits_each_checkpoint_lets_the_wal_start_over(tmp_path: Path) -> None:
    store = Store(tmp_path / "hall.db")
    try:
        sizes = []
        for round_ in range(5):
            commits(store, 200, round_ * 200 + 1)
            frames, copied = store.checkpoint()
            assert copied == frames  # nothing was appending meanwhile: the copy is complete
            sizes.append(frames)
        # the WAL holds one round of commits, not all of them so far: it started over each time
        assert max(sizes) < 2 * min(sizes), sizes
        wal = (tmp_path / "hall.db-wal").stat().st_size
        assert wal < 2 * 4096 * max(sizes), wal
    finally:
        store.close()


def test_closing_waits_for_a_checkpoint_under_way(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The hub's stop closed the database while its checkpoint thread was writing through the
    same connection: the process died of a segmentation fault (a CI run). Closing now waits
    for it, and a checkpoint after the close does nothing."""
    store = Store(tmp_path / "hall.db")
    commits(store, 50, 1)
    real = Store._write_conn
    inside = threading.Event()

    def slow(self: Store) -> sqlite3.Connection:  # a checkpoint held inside the write lock
        conn = real(self)
        if threading.current_thread().name == "checkpoint":
            inside.set()
            time.sleep(0.3)
        return conn

    monkeypatch.setattr(Store, "_write_conn", slow)
    result: list[object] = []

    def run() -> None:
        try:
            result.append(store.checkpoint())
        except Exception as err:  # what the unguarded close did to it, short of the crash
            result.append(err)

    thread = threading.Thread(target=run, name="checkpoint")
    thread.start()
    assert inside.wait(5)
    store.close()  # while the checkpoint is inside the lock
    thread.join(5)
    assert len(result) == 1 and isinstance(result[0], tuple), result
    assert store.checkpoint() == (0, 0)  # closed: not opened again
    with pytest.raises(StoreError, match="closed"):
        store.write(Batch())


def test_checkpoints_beside_a_busy_writer_keep_the_wal_small(tmp_path: Path) -> None:
    """The hub checkpoints from another thread while requests keep committing."""
    store = Store(tmp_path / "hall.db")
    done = threading.Event()
    written = [0]

    def writer() -> None:
        while not done.is_set():
            commits(store, 1, written[0] + 1)
            written[0] += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        results = []
        # ten checkpoints at least: on a tmpfs, 1500 commits take less than one 50 ms nap
        while written[0] < 1500 or len(results) < 10:
            time.sleep(0.05)
            results.append(store.checkpoint())
    finally:
        done.set()
        thread.join()
    try:
        complete = [frames for frames, copied in results if frames == copied]
        assert len(complete) == len(results), results
        # one commit writes a frame or two: a WAL that never started over would hold them all
        assert max(frames for frames, _ in results[1:]) < written[0] / 2, (results, written)
    finally:
        store.close()


def test_a_checkpoint_copies_the_bulk_beside_the_commits(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The bulk of the copy runs without the write lock (commits go on meanwhile); under the
    lock, the checkpoint only catches up with what they appended."""
    store = Store(tmp_path / "hall.db")
    commits(store, 300, 1)
    real_read = store._read
    seen: list[tuple[int, ...]] = []

    class Bulk:
        """The bulk copy's connection: commits are made right after its copy, as they would be
        by the loop while it runs."""

        def __init__(self, conn: sqlite3.Connection) -> None:
            self.conn = conn

        def execute(self, sql: str) -> Bulk:
            self.row = self.conn.execute(sql).fetchone()
            assert store._write_lock.acquire(timeout=5), "the bulk copy holds the write lock"
            store._write_lock.release()
            commits(store, 20, 301)
            return self

        def fetchone(self) -> tuple[int, ...]:
            seen.append(tuple(self.row))
            return tuple(self.row)

    @contextmanager
    def reading() -> Iterator[Bulk]:
        with real_read() as conn:
            yield Bulk(conn)

    monkeypatch.setattr(store, "_read", reading)
    try:
        frames, copied = store.checkpoint()
        assert len(seen) == 1 and seen[0][1] == seen[0][2]  # the bulk: all there was then
        # the commits after the bulk copy started the WAL over, and the catch-up copied them
        assert 0 < frames < seen[0][1] and copied == frames
        monkeypatch.undo()
        commits(store, 1, 321)
        assert store.checkpoint()[0] < 10  # and the WAL started over
    finally:
        store.close()


def test_a_checkpoint_does_not_wait_for_a_long_reader(tmp_path: Path) -> None:
    store = Store(tmp_path / "hall.db")
    reader = sqlite3.connect(tmp_path / "hall.db", isolation_level=None)
    try:
        commits(store, 50, 1)
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM events").fetchone() == (50,)  # a snapshot
        commits(store, 50, 51)
        started = time.monotonic()
        frames, copied = store.checkpoint()
        assert time.monotonic() - started < 5  # PASSIVE: no busy wait on the reader
        assert copied < frames  # the frames the reader may still need stay in the WAL
        reader.execute("COMMIT")
        frames, copied = store.checkpoint()  # the next one catches up
        assert copied == frames
        commits(store, 1, 101)
        assert store.checkpoint()[0] < 10  # and the WAL started over
    finally:
        reader.close()
        store.close()


def test_a_commit_that_fails_writes_nothing_and_the_next_one_goes_through(tmp_path: Path) -> None:
    store = Store(tmp_path / "hall.db")
    try:
        commits(store, 1, 1)
        # the event row is written, then the request row is refused (a column missing)
        broken = Batch(events=[(2, "2026-11-23T09:00:00", "day_started", "{}")],
                       requests=[("kiosk-1", "2026-11-23", "r1")])  # type: ignore[list-item]
        try:
            store.commit(broken)
        except StoreError as err:
            assert "could not write" in str(err)
        else:
            raise AssertionError("a broken batch was committed")
        # the lock was let go and the transaction rolled back: seq 2 is free
        after = threading.Thread(target=commits, args=(store, 1, 2), daemon=True)
        after.start()
        after.join(10)
        assert not after.is_alive(), "the next commit waits for a lock the failed one kept"
        with sqlite3.connect(tmp_path / "hall.db") as conn:
            assert [r[0] for r in conn.execute("SELECT seq FROM events ORDER BY seq")] == [1, 2]
    finally:
        store.close()


def test_the_request_ids_of_the_hall_day_are_read_back_and_no_others(tmp_path: Path) -> None:
    """Only today's request ids are loaded, from where today's rows begin: a restart within
    the day keeps them all, a new day starts with none."""
    store = Store(tmp_path / "hall.db")
    try:
        store.commit(Batch(meta={"day": "2026-11-22"},
                           requests=[("kiosk-1", "2026-11-22", "a", "reply a")]))
        store.commit(Batch(meta={"day": "2026-11-23"},
                           requests=[("kiosk-1", "2026-11-23", "b", "reply b")]))
        store.commit(Batch(requests=[("kiosk-2", "2026-11-23", "c", "reply c")]))
        store.commit(Batch(meta={"day": "2026-11-23"}))  # a restart: the same day again
        store.commit(Batch(requests=[("kiosk-1", "2026-11-23", "d", "reply d")]))
        loaded = store.load()
        assert loaded.day == "2026-11-23"
        assert loaded.replies == {("kiosk-1", "b"): "reply b", ("kiosk-2", "c"): "reply c",
                                  ("kiosk-1", "d"): "reply d"}
        with sqlite3.connect(tmp_path / "hall.db") as conn:
            assert conn.execute("SELECT value FROM meta WHERE key = 'requests_from'"
                                ).fetchone() == ("2",)  # the row after yesterday's one
            plan = " ".join(str(row) for row in conn.execute(
                "EXPLAIN QUERY PLAN SELECT device, req_id, reply FROM requests "
                "WHERE id >= 2 AND day = '2026-11-23'"))
            assert "rowid>?" in plan.replace(" ", ""), plan  # a range of keys, not a scan
        # a batch that rolls the day and carries the new day's first request
        store.commit(Batch(meta={"day": "2026-11-24"},
                           requests=[("kiosk-1", "2026-11-23", "e", "late reply"),
                                     ("kiosk-1", "2026-11-24", "f", "reply f")]))
        assert store.load().replies == {("kiosk-1", "f"): "reply f"}
    finally:
        store.close()


def test_a_database_of_the_earlier_request_table_is_upgraded_with_its_ids(
        tmp_path: Path) -> None:
    """Request ids were once keyed by (day, device, request id); a hub started on such a
    database keeps answering retries of that day's requests."""
    db = tmp_path / "hall.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE requests (day VARCHAR NOT NULL, device VARCHAR NOT NULL, "
                     "req_id VARCHAR NOT NULL, reply VARCHAR NOT NULL, "
                     "PRIMARY KEY (day, device, req_id)) WITHOUT ROWID")
        conn.execute("CREATE TABLE meta (key VARCHAR NOT NULL PRIMARY KEY, value VARCHAR NOT NULL)")
        conn.execute("INSERT INTO meta VALUES ('day', '2026-11-23')")
        conn.executemany("INSERT INTO requests VALUES (?, ?, ?, ?)", [
            ("2026-11-22", "kiosk-1", "old", "reply old"),
            ("2026-11-23", "kiosk-1", "r1", "reply r1")])
    store = Store(db)
    try:
        assert store.load().replies == {("kiosk-1", "r1"): "reply r1"}
        store.commit(Batch(requests=[("kiosk-2", "2026-11-23", "r2", "reply r2")]))
        assert store.load().replies == {("kiosk-1", "r1"): "reply r1",
                                        ("kiosk-2", "r2"): "reply r2"}
    finally:
        store.close()
    store = Store(db)  # a second start: nothing left to upgrade
    try:
        assert len(store.load().replies) == 2
    finally:
        store.close()


def test_a_database_of_tickets_without_follow_ups_gains_their_columns(tmp_path: Path) -> None:
    """Tickets gained three columns (the follow-up of a "dissatisfied" rating); a hub started
    on a database made before keeps its tickets and records follow-ups."""
    db = tmp_path / "hall.db"
    before = [c for c in TICKET_COLUMNS if not c.startswith(("follow_up", "followed_up"))]
    assert len(before) == len(TICKET_COLUMNS) - 3
    ticket = Ticket(id="20261120-C001", day="2026-11-20", number="C001", seqno=1,
                    service="social", issued_service="social", state="done", priority="normal",
                    issued_at=datetime(2026, 11, 20, 9, tzinfo=UTC),
                    line_at=datetime(2026, 11, 20, 9, tzinfo=UTC), line_ord=1, window=1, score=1)
    with sqlite3.connect(db) as conn:
        conn.execute(f"CREATE TABLE tickets ({', '.join(before)}, PRIMARY KEY (id)) "
                     "WITHOUT ROWID")
        conn.execute(f"INSERT INTO tickets VALUES ({', '.join('?' for _ in before)})",
                     ticket_row(ticket)[:len(before)])
    store = Store(db)
    try:
        old = store.ticket(ticket.id)
        assert old == ticket and old.followed_up_at is None
        old.follow_up_note, old.followed_up_by = "回访", "desk-1"
        old.followed_up_at = datetime(2026, 11, 23, 10, tzinfo=UTC)
        store.commit(Batch(tickets=[ticket_row(old)]))
        assert store.ticket(ticket.id) == old
        assert store.ticket("20261120-C404") is None
    finally:
        store.close()
    store = Store(db)  # a second start: nothing left to upgrade
    try:
        assert store.tickets_between("2026-11-20", "2026-11-20") == [old]
    finally:
        store.close()


def test_devices_enrolled_before_the_hub_kept_their_connections_gain_the_columns(
        tmp_path: Path) -> None:
    """Devices gained when they were last connected or went away (``devices`` after a
    restart); a database made before keeps its devices and their tokens."""
    db = tmp_path / "hall.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE devices (name VARCHAR NOT NULL, role VARCHAR NOT NULL, "
                     "window INTEGER, token_hash VARCHAR NOT NULL, created_at VARCHAR NOT NULL, "
                     "revoked BOOLEAN NOT NULL, PRIMARY KEY (name))")
    store = Store(db)
    try:
        token = store.add_device("display-1", "display", None)
        store.add_device("kiosk-1", "kiosk", None)
        gone = datetime(2026, 12, 3, 11, 5, tzinfo=UTC)
        store.commit(Batch(seen=[(True, gone.isoformat(), "kiosk-1"),
                                 (False, gone.isoformat(), "display-1")]))
        assert store.gone_since() == {"display-1": gone}  # kiosk-1 was connected at the end
        store.commit(Batch(seen=[(False, gone.isoformat(), "kiosk-1")]))
        assert store.gone_since() == {"display-1": gone, "kiosk-1": gone}
        assert store.revoke_device("kiosk-1")
        assert store.gone_since() == {"display-1": gone}  # a revoked device is not missed
    finally:
        store.close()
    store = Store(db)  # a second start: nothing left to upgrade
    try:
        assert store.device("display-1", token) is not None
        assert store.gone_since() == {"display-1": gone}
    finally:
        store.close()


def _open_at(db: str, at: float, out: Any) -> None:
    while time.time() < at:
        pass
    try:
        Store(db).close()
        out.put("ok")
    except Exception as err:  # reported to the test
        out.put(f"{type(err).__name__}: {err}")


def test_two_programs_upgrading_the_same_database_at_once_both_open_it(tmp_path: Path) -> None:
    """The hub and `hall-hub device add` started at the same moment on a database of before
    the devices' columns: both saw them missing, and the second failed on "duplicate column"."""
    context = multiprocessing.get_context("fork")
    for attempt in range(5):
        db = tmp_path / f"{attempt}.db"
        Store(db).close()
        with sqlite3.connect(db) as conn:
            conn.execute("DROP TABLE devices")
            conn.execute("CREATE TABLE devices (name VARCHAR NOT NULL, role VARCHAR NOT NULL, "
                         "window INTEGER, token_hash VARCHAR NOT NULL, created_at VARCHAR NOT "
                         "NULL, revoked BOOLEAN NOT NULL, PRIMARY KEY (name))")
        out = context.Queue()
        at = time.time() + 0.3
        both = [context.Process(target=_open_at, args=(str(db), at, out)) for _ in range(2)]
        for process in both:
            process.start()
        for process in both:
            process.join(30)
        assert [out.get(timeout=5) for _ in both] == ["ok", "ok"]


def test_another_programs_database_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    """A --db mistyped to another program's SQLite file: refused, with its tables named; the
    hall's tables were added to it and it was switched to WAL. An empty file is a new hall."""
    foreign = tmp_path / "photos.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, path TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match=r"it is not a hall database but another program's "
                                         r"\(its tables: photos\)"):
        Store(foreign)
    conn = sqlite3.connect(foreign)
    assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("photos",)]
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    conn.close()
    (tmp_path / "empty.db").touch()
    Store(tmp_path / "empty.db").close()


def as_a_power_cut_leaves(folder: Path, cut: Path) -> Path:
    """A copy in ``cut`` of what ``folder``'s files on disk hold now (the database and the WAL
    at their paths), as a power cut would leave them; returns ``cut``."""
    cut.mkdir()
    for name in ("hall.db", "hall.db-wal"):
        if (folder / name).exists():
            (cut / name).write_bytes((folder / name).read_bytes())
    return cut


def test_a_wal_deleted_after_the_first_commit_is_noticed_too(tmp_path: Path) -> None:
    """The WAL's identity was taken only at a commit after the first: deleted after the first,
    the loss was never noticed, and a power cut left a database without the hall's tables.
    What is at the database's path after the next commit holds both commits."""
    store = Store(tmp_path / "hall.db")
    try:
        store.commit(Batch(meta={"first": "1"}))
        (tmp_path / "hall.db-wal").unlink()
        store.commit(Batch(meta={"second": "2"}))
        cut = as_a_power_cut_leaves(tmp_path, tmp_path / "after-the-cut")
    finally:
        store.close()
    conn = sqlite3.connect(cut / "hall.db")
    assert dict(conn.execute("SELECT key, value FROM meta WHERE key IN ('first', 'second')")
                .fetchall()) == {"first": "1", "second": "2"}
    conn.close()


def test_the_folder_watch_sees_names_made_removed_or_renamed_not_writes(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "hall.db-wal").write_bytes(b"x")
    watch = FolderWatch.open(folder)
    assert watch is not None  # Linux: inotify is there
    try:
        assert watch.changed() is False
        with open(folder / "hall.db-wal", "ab") as wal:  # what every commit does
            wal.write(b"frames")
        assert watch.changed() is False
        for step in (lambda: (folder / "other").write_bytes(b""),
                     lambda: (folder / "other").rename(folder / "hall.db-wal"),
                     lambda: (folder / "hall.db-wal").unlink(),
                     lambda: folder.rename(tmp_path / "moved")):
            step()
            assert watch.changed() is True
            assert watch.changed() is False  # told once
    finally:
        watch.close()


def three_commits_and_a_lost_wal(store: Store, wal: Path) -> None:
    """Two commits, the WAL deleted under the store, a third (which must mend the loss)."""
    store.commit(Batch(meta={"first": "1"}))
    store.commit(Batch(meta={"second": "2"}))
    wal.unlink()
    store.commit(Batch(meta={"third": "3"}))


def commits_kept(db: Path) -> int:
    """How many of those three commits the database at ``db`` holds."""
    conn = sqlite3.connect(db)
    try:
        return len(conn.execute("SELECT key FROM meta WHERE key IN ('first', 'second', 'third')")
                   .fetchall())
    finally:
        conn.close()


def test_without_a_folder_watch_the_files_are_looked_at_every_commit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(FolderWatch, "open", classmethod(lambda cls, folder: None))
    store = Store(tmp_path / "hall.db")
    try:
        three_commits_and_a_lost_wal(store, tmp_path / "hall.db-wal")
        assert (tmp_path / "hall.db-wal").exists()  # a new one, begun once the loss was mended
    finally:
        store.close()
    assert commits_kept(tmp_path / "hall.db") == 3


def test_a_folder_moved_above_the_databases_is_noticed_within_a_look(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The watch is on the database's own folder: a folder above it renamed tells it nothing.
    The files are looked at every LOOK_AGAIN_S all the same."""
    monkeypatch.setattr(store_module, "LOOK_AGAIN_S", 0.2)
    (tmp_path / "var" / "hall").mkdir(parents=True)
    store = Store(tmp_path / "var" / "hall" / "hall.db")
    try:
        store.commit(Batch(meta={"first": "1"}))
        (tmp_path / "var").rename(tmp_path / "var-old")
        time.sleep(0.3)
        with pytest.raises(StoreError, match="was removed or replaced while the hub ran"):
            store.commit(Batch(meta={"second": "2"}))
        (tmp_path / "var-old").rename(tmp_path / "var")
        store.commit(Batch(meta={"second": "2"}))  # back where it was: taken again
    finally:
        store.close()


def test_a_wal_deleted_beside_a_symlinked_database_is_noticed_too(tmp_path: Path) -> None:
    """--db a symlink: SQLite keeps the WAL beside the real file, where the store did not
    look, and a WAL deleted there was never mended."""
    (tmp_path / "disk").mkdir()
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "hall.db").symlink_to(tmp_path / "disk" / "hall.db")
    store = Store(tmp_path / "etc" / "hall.db")
    try:
        three_commits_and_a_lost_wal(store, tmp_path / "disk" / "hall.db-wal")
        cut = as_a_power_cut_leaves(tmp_path / "disk", tmp_path / "after-the-cut")
    finally:
        store.close()
    assert commits_kept(cut / "hall.db") == 3
