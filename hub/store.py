"""The hall's SQLite store: tables (sqlmodel), durable batched commits, and the rebuild at start.

Every acknowledged change goes through ``commit(batch)``: one transaction in WAL mode with
``synchronous=FULL``, so a reply is only sent once its change is on disk. The event table is
append-only and carries the protocol's ``seq``. ``load()`` reads only what today needs (open day's
tickets, windows, today's request ids), so start-up time does not grow with history.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.schema import CreateTable
from sqlmodel import Field, SQLModel, create_engine

from hub.engine import ANNOUNCEMENTS_KEPT, CALLS_KEPT
from hub.errors import StoreBusy, StoreError
from hub.folderwatch import FolderWatch
from hub.model import Appointment, Clerk, Leg, Ticket, WindowState, day_id_range

logger = logging.getLogger(__name__)

BUSY_WAIT_S = 30.0  # how long a commit waits for another program's write lock (off the loop)
CLOSE_WAIT_S = 10.0  # how long closing the database waits for a write or checkpoint under way
# the database's and the WAL's files are looked at before a commit when the folder watch saw
# something move, and at least this often (a folder above theirs moved: the watch does not see it)
LOOK_AGAIN_S = 1.0


class TicketRow(SQLModel, table=True):
    __tablename__ = "tickets"
    # the text id is the table's own key: one B-tree less to write on every commit
    __table_args__ = {"sqlite_with_rowid": False}
    id: str = Field(primary_key=True)  # begins with the day: see model.ticket_id
    day: str
    number: str
    seqno: int
    service: str
    issued_service: str
    state: str
    priority: str
    issued_at: str
    line_at: str
    line_ord: int
    lang: str | None = None
    window: int | None = None
    to_window: int | None = None
    first: bool = False
    calls: int = 0
    called_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    clerk: str | None = None
    score: int | None = None
    appointment: str | None = None
    reason: str | None = None
    issued_by: str | None = None
    follow_up_note: str | None = None
    followed_up_at: str | None = None
    followed_up_by: str | None = None
    legs: str | None = None  # JSON: earlier services at windows (model.Leg), null if none


class WindowRow(SQLModel, table=True):
    __tablename__ = "windows"
    number: int = Field(primary_key=True)
    state: str = "closed"
    clerk: str | None = None
    clerk_name: str | None = None
    current: str | None = None
    reason: str | None = None
    since: str | None = None


class ClerkRow(SQLModel, table=True):
    __tablename__ = "clerks"
    id: str = Field(primary_key=True)
    name: str
    pin_hash: str
    created_at: str


class DeviceRow(SQLModel, table=True):
    __tablename__ = "devices"
    name: str = Field(primary_key=True)
    role: str
    window: int | None = None
    token_hash: str
    created_at: str
    revoked: bool = False
    # the hub's last word on its connection (``devices`` after a restart): when it connected
    # or went away, and whether it was connected then. Still connected when the hub stopped
    # (or was killed) says nothing of whether it will come back.
    last_seen: str | None = None
    connected: bool | None = None


class AppointmentRow(SQLModel, table=True):
    __tablename__ = "appointments"
    code: str = Field(primary_key=True)
    service: str
    date: str = Field(index=True)
    slot_start: str
    slot_end: str
    name: str | None = None  # personal data: never sent to any device
    phone: str | None = None
    ticket_id: str | None = None


class EventRow(SQLModel, table=True):
    __tablename__ = "events"
    seq: int = Field(primary_key=True)
    at: str
    name: str
    data: str


class RequestRow(SQLModel, table=True):
    """Processed request ids, for idempotent retries. Rows are only ever appended, under an
    integer key that grows: each commit writes the end of one B-tree (keyed by device and
    request id, a commit wrote two or three pages of it, wherever random request ids fell).
    The first key of the hall day is kept in meta (``requests_from``), so that loading today's
    ids reads today's rows only, however long the history."""

    __tablename__ = "requests"
    id: int | None = Field(default=None, primary_key=True)
    day: str
    device: str
    req_id: str
    reply: str


class MetaRow(SQLModel, table=True):
    __tablename__ = "meta"
    key: str = Field(primary_key=True)
    value: str


TICKET_COLUMNS = tuple(TicketRow.model_fields)
WINDOW_COLUMNS = tuple(WindowRow.model_fields)


def _upsert(table: str, columns: tuple[str, ...]) -> str:
    names = ", ".join(columns)
    marks = ", ".join("?" for _ in columns)
    return f"INSERT OR REPLACE INTO {table} ({names}) VALUES ({marks})"


UPSERT_TICKET = _upsert("tickets", TICKET_COLUMNS)
UPSERT_WINDOW = _upsert("windows", WINDOW_COLUMNS)
INSERT_EVENT = "INSERT INTO events (seq, at, name, data) VALUES (?, ?, ?, ?)"
INSERT_REQUEST = "INSERT INTO requests (device, day, req_id, reply) VALUES (?, ?, ?, ?)"
SET_META = "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)"
SET_SEEN = "UPDATE devices SET connected = ?, last_seen = ? WHERE name = ?"


def _ts(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def ticket_row(t: Ticket) -> tuple[Any, ...]:
    return (t.id, t.day, t.number, t.seqno, t.service, t.issued_service, t.state, t.priority,
            _ts(t.issued_at), _ts(t.line_at), t.line_ord, t.lang, t.window, t.to_window,
            int(t.first), t.calls, _ts(t.called_at), _ts(t.started_at), _ts(t.finished_at),
            t.clerk, t.score, t.appointment, t.reason, t.issued_by, t.follow_up_note,
            _ts(t.followed_up_at), t.followed_up_by,
            json.dumps([leg.to_json() for leg in t.legs]) if t.legs else None)


def ticket_from_row(row: sqlite3.Row | tuple[Any, ...]) -> Ticket:
    r = dict(zip(TICKET_COLUMNS, row, strict=True))
    return Ticket(
        id=r["id"], day=r["day"], number=r["number"], seqno=r["seqno"], service=r["service"],
        issued_service=r["issued_service"], state=r["state"], priority=r["priority"],
        issued_at=datetime.fromisoformat(r["issued_at"]),
        line_at=datetime.fromisoformat(r["line_at"]), line_ord=r["line_ord"], lang=r["lang"],
        window=r["window"], to_window=r["to_window"], first=bool(r["first"]), calls=r["calls"],
        called_at=_dt(r["called_at"]), started_at=_dt(r["started_at"]),
        finished_at=_dt(r["finished_at"]), clerk=r["clerk"], score=r["score"],
        appointment=r["appointment"], reason=r["reason"], issued_by=r["issued_by"],
        follow_up_note=r["follow_up_note"], followed_up_at=_dt(r["followed_up_at"]),
        followed_up_by=r["followed_up_by"],
        legs=tuple(Leg.from_json(leg) for leg in json.loads(r["legs"])) if r["legs"] else (),
    )


def window_row(w: WindowState) -> tuple[Any, ...]:
    return (w.number, w.state, w.clerk, w.clerk_name, w.current, w.reason, _ts(w.since))


@dataclass
class Batch:
    """Everything one commit writes, as plain rows taken when the change was made (the engine
    goes on changing its objects while a commit runs in another thread)."""

    tickets: list[tuple[Any, ...]] = field(default_factory=list)  # ticket_row()
    windows: list[tuple[Any, ...]] = field(default_factory=list)  # window_row()
    appointments: list[tuple[str, str]] = field(default_factory=list)  # (ticket id, code)
    events: list[tuple[int, str, str, str]] = field(default_factory=list)  # seq, at, name, json
    requests: list[tuple[str, str, str, str]] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    seen: list[tuple[bool, str, str]] = field(default_factory=list)  # connected, at, device

    def __bool__(self) -> bool:
        return bool(self.tickets or self.windows or self.events or self.requests or self.meta
                    or self.appointments or self.seen)

    def add(self, other: Batch) -> None:
        self.tickets += other.tickets
        self.windows += other.windows
        self.appointments += other.appointments
        self.events += other.events
        self.requests += other.requests
        self.meta.update(other.meta)
        self.seen += other.seen


@dataclass
class Loaded:
    day: str | None
    seq: int
    tickets: list[Ticket]
    windows: list[WindowState]
    replies: dict[tuple[str, str], str]  # (device, req_id) -> reply frame, for the open day
    recent_events: list[tuple[int, str]]  # (seq, name), newest first
    calls: list[tuple[str, int, datetime]]  # the day's newest (ticket id, window, at), oldest first
    last_at: datetime | None = None  # when the newest event happened (a clock behind it is
    #                                  told in the log: see HallClock)
    announcements: list[tuple[str, str, datetime]] = field(default_factory=list)  # newest first


def _announcements_of_the_day(conn: sqlite3.Connection,
                              kept: int) -> list[tuple[str, str, datetime]]:
    """The day's newest ``announcement`` events (text, lang, at), newest first, read backwards
    from the newest event to the day's ``day_started``: today's events only, however long the
    history."""
    found: list[tuple[str, str, datetime]] = []
    cursor = conn.execute("SELECT name, at, data FROM events ORDER BY seq DESC")
    try:
        while len(found) < kept:
            rows = cursor.fetchmany(500)
            if not rows:
                break
            for name, at, data in rows:
                if name == "day_started":
                    return found
                if name == "announcement" and len(found) < kept:
                    said = json.loads(data)
                    found.append((str(said["text"]), str(said["lang"]),
                                  datetime.fromisoformat(at)))
    finally:
        cursor.close()
    return found


def _calls_of_the_day(conn: sqlite3.Connection) -> list[tuple[str, int, datetime]]:
    """The newest ``ticket_called`` events (as many as the engine keeps) back to the day's
    ``day_started``, oldest first: what the hall screens showed, recalls included. Read
    backwards from the newest event, so however long the history only the end of today is
    read."""
    calls: list[tuple[str, int, datetime]] = []
    cursor = conn.execute("SELECT name, at, data FROM events ORDER BY seq DESC")
    while len(calls) < CALLS_KEPT:
        rows = cursor.fetchmany(500)
        if not rows:
            break
        for name, at, data in rows:
            if name == "day_started" or len(calls) == CALLS_KEPT:
                cursor.close()
                return calls[::-1]
            if name == "ticket_called":
                called = json.loads(data)
                calls.append((str(called["ticket"]["id"]), int(called["window"]),
                              datetime.fromisoformat(at)))
    cursor.close()
    return calls[::-1]


# ---------------------------------------------------------------------------- secrets

def hash_token(token: str) -> str:
    """Device tokens are long random secrets: a plain SHA-256 is enough to keep only a hash."""
    return hashlib.sha256(token.encode()).hexdigest()


SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_pin(pin: str, salt: bytes | None = None) -> str:
    """A clerk's PIN is short: it is stored through scrypt, a slow KDF, with its own salt."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, dklen=32, **SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def check_pin(pin: str, stored: str) -> bool:
    try:
        scheme, salt_hex, digest_hex = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hash_pin(pin, bytes.fromhex(salt_hex)).split("$")[2]
    return hmac.compare_digest(candidate, digest_hex)


def default_db_path() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(Path.home(), ".local", "share")
    return Path(base) / "hall-queue" / "hall.db"


# ---------------------------------------------------------------------------- the store

class Store:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise StoreError(f"cannot create the folder for the database {self.path}: {err}") \
                from err
        self.engine: Engine = create_engine(
            f"sqlite:///{self.path}", connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(self.engine, "connect", _pragmas)
        self._write_lock = threading.Lock()
        self._closed = False
        try:
            self._refuse_foreign()
            SQLModel.metadata.create_all(self.engine)
            self._upgrade()
        except StoreError:
            raise  # said already, with the database's name
        except Exception as err:
            # SQLAlchemy's text adds a second line ("Background on this error at: ..."): the
            # database's own words are what a technician needs
            cause = getattr(err, "orig", None) or err
            raise StoreError(f"cannot open the database {self.path}: {cause}") from err
        self._writer: sqlite3.Connection | None = None
        self._identity: tuple[int, int] | None = None  # (device, inode) of the file written
        # SQLite keeps the WAL beside the real file when --db is a symlink
        self._real = self.path.resolve()
        self._wal = self._real.with_name(self._real.name + "-wal")
        self._wal_identity: tuple[int, int] | None = None  # and of the WAL the writer appends to
        self._watch: FolderWatch | None = None  # the database's folder (see _files_may_have_moved)
        self._files_ok = False  # the files were where they should be at the last look
        self._looked_at = 0.0

    def _refuse_foreign(self) -> None:
        """StoreError for another program's database (a --db mistyped): the hall's tables
        are not added to it, nor is it switched to WAL."""
        if not self.path.is_file() or self.path.stat().st_size == 0:
            return  # a new database
        try:  # read-only, before the hub's own connections (which switch it to WAL)
            conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
            try:
                tables = {row[0] for row in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'")}
            finally:
                conn.close()
        except sqlite3.Error:
            return  # not a database at all: said by the opening itself
        if tables and not tables & set(SQLModel.metadata.tables):  # none of the hall's
            shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
            raise StoreError(f"cannot open the database {self.path}: it is not a hall database "
                             f"but another program's (its tables: {shown}); give --db the "
                             "hall's database, or a new file")

    def _upgrade(self) -> None:
        """Bring a database written by an earlier version of the hub up to these tables."""
        self._upgrade_requests()
        # columns added since the tables were made, empty: the tickets' follow-up of a
        # "dissatisfied" rating and legs of a ticket sent on, the devices' last connection
        self._upgrade_columns(TicketRow.__tablename__)
        self._upgrade_columns(DeviceRow.__tablename__)

    def _upgrade_columns(self, name: str) -> None:
        """Add the columns table ``name`` has gained since an earlier hub made it."""
        table = SQLModel.metadata.tables[name]

        def missing(conn: sqlite3.Connection) -> list[Any]:
            have = {row[1] for row in conn.execute(f"PRAGMA table_info({name})")}
            return [column for column in table.columns if column.name not in have]

        with self._read() as conn:
            if not missing(conn):
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                # again under the write lock: another program (the hub, `hall-hub device add`)
                # may have upgraded it meanwhile
                for column in (columns := missing(conn)):
                    kind = column.type.compile(dialect=self.engine.dialect)
                    conn.execute(f"ALTER TABLE {name} ADD COLUMN {column.name} {kind}")
                if columns:
                    logger.info("upgraded %s: %s gained the columns %s", self.path, name,
                                ", ".join(column.name for column in columns))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def _upgrade_requests(self) -> None:
        """Processed request ids, once keyed by (day, device, request id), move to the
        append-only table (see RequestRow), in one transaction."""
        with self._read() as conn:
            columns = {row[1] for row in conn.execute("PRAGMA table_info(requests)")}
            if "id" in columns:
                return
            logger.info("upgrading %s: processed request ids move to an append-only table",
                        self.path)
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute("ALTER TABLE requests RENAME TO requests_before_upgrade")
                table = SQLModel.metadata.tables[RequestRow.__tablename__]
                conn.execute(str(CreateTable(table).compile(self.engine)))
                conn.execute("INSERT INTO requests (day, device, req_id, reply) SELECT day, "
                             "device, req_id, reply FROM requests_before_upgrade ORDER BY day")
                conn.execute("DROP TABLE requests_before_upgrade")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def close(self) -> None:
        """Close the database, once a write or checkpoint under way in another thread is done
        (closing the connection under a checkpoint crashed the process at a stop); one that
        is not done within CLOSE_WAIT_S is left to the end of the process."""
        if self._write_lock.acquire(timeout=CLOSE_WAIT_S):
            try:
                self._closed = True
                if self._writer is not None:
                    self._writer.close()
                    self._writer = None
                if self._watch is not None:
                    self._watch.close()
            finally:
                self._write_lock.release()
        else:
            self._closed = True
            logger.warning("%s is still being written at the stop: its connection is left to "
                           "the end of the process", self.path)
        self.engine.dispose()

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        raw = self.engine.raw_connection()
        try:
            yield raw.driver_connection  # type: ignore[misc]
        except sqlite3.Error as err:  # said as the store's own error: one line, not a traceback
            raise StoreError(f"cannot use the database {self.path}: {err}{_cure(err)}") from err
        finally:
            raw.close()

    def _write_conn(self) -> sqlite3.Connection:
        if self._closed:
            raise StoreError(f"{self.path} is closed: the hub has stopped")
        if self._writer is None:
            if self._watch is None:  # watching before the file's identity is taken
                self._watch = FolderWatch.open(self._real.parent)
            conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30,
                                   isolation_level=None)
            _pragmas(conn, None)
            # checkpoints are run by checkpoint(), off the commit path (see there)
            conn.execute("PRAGMA wal_autocheckpoint=0")
            # the hub writes on its event loop: a write lock held by another program (a
            # technician's database browser, a script) is not waited for there (see write)
            conn.execute("PRAGMA busy_timeout=0")
            self._writer = conn
            found = os.stat(self.path)
            self._identity = (found.st_dev, found.st_ino)
        return self._writer

    # ------------------------------------------------------------------ the hot path

    def commit(self, batch: Batch) -> None:
        """Write one batch in one durable transaction; raises StoreError if it is not on disk."""
        if not batch:
            return
        self.write(batch)
        self.finish()

    def write(self, batch: Batch, wait: bool = False) -> None:
        """The first half of a commit: the batch's rows, in a transaction left open for
        ``finish``. This half does not wait for the disk, so the hub runs it on its event loop;
        on a slow disk it hands only ``finish`` to a thread: one hand-over of the GIL per
        commit, where a thread running every statement would wait for the loop to give it back
        at each one.
        Holds the write lock until ``finish`` (from whichever thread); raises StoreError (and
        writes nothing) on failure: StoreBusy, at once, if another program holds the database's
        write lock, unless ``wait`` (off the loop), which waits for it up to BUSY_WAIT_S."""
        self._write_lock.acquire()
        with self._rolled_back_on_failure():
            look = self._files_may_have_moved()
            if look:
                self._mend_lost_wal()
            conn = self._write_conn()
            self._begin(conn, wait)
            if look:
                self._check_file()
                self._files_ok = True
            if batch.tickets:
                conn.executemany(UPSERT_TICKET, batch.tickets)
            if batch.appointments:
                conn.executemany("UPDATE appointments SET ticket_id = ? WHERE code = ?",
                                 batch.appointments)
            if batch.windows:
                conn.executemany(UPSERT_WINDOW, batch.windows)
            if batch.events:
                conn.executemany(INSERT_EVENT, batch.events)
            if batch.meta:  # before the requests: a new day's first requests may be in this batch
                if "day" in batch.meta:
                    self._begin_day(conn, batch.meta["day"])
                conn.executemany(SET_META, list(batch.meta.items()))
            if batch.requests:
                conn.executemany(INSERT_REQUEST, batch.requests)
            if batch.seen:
                conn.executemany(SET_SEEN, batch.seen)

    def _files_may_have_moved(self) -> bool:
        """Whether to look at the database's and the WAL's files before this commit: the folder
        watch saw something created, removed or renamed there, or the last look found them
        gone, or LOOK_AGAIN_S passed, or there is no watch. Looking at every commit cost each
        one about 0.04 ms (hub/folderwatch.py)."""
        now = time.monotonic()
        if (self._files_ok and self._watch is not None and now - self._looked_at < LOOK_AGAIN_S
                and not self._watch.changed()):
            return False
        self._files_ok, self._looked_at = False, now
        return True

    def _check_file(self) -> None:
        """StoreError if the database file the hub writes to is no longer at its path (its
        folder deleted or moved, its disk unmounted): SQLite would go on writing to the file it
        has open, and every change acknowledged would be lost at the next start."""
        try:
            found = os.stat(self.path)
        except OSError:
            found = None
        if found is None or (self._identity is not None
                             and (found.st_dev, found.st_ino) != self._identity):
            raise StoreError(f"the database file {self.path} was removed or replaced while the "
                             "hub ran: no change is saved until it is back where it was")

    def check_writable(self) -> None:
        """StoreError if nothing can be written to the database (a read-only file or folder,
        another program's lock held for 30 s): the hub is not started on it, to refuse every
        change. Writes nothing: a full disk passes (the hub serves what it has and says why
        its changes fail)."""
        with self._read() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('probe', '')")
            finally:
                conn.execute("ROLLBACK")

    def _mend_lost_wal(self) -> None:
        """If the WAL file was deleted or replaced while the hub ran (a technician freeing
        space, a clean-up script), SQLite would go on appending to the deleted file through
        its open handle: every change committed since the last checkpoint would be lost at the
        next power cut, and its numbers given out again. What that file holds is copied into
        the database through the handle still open, and a new WAL is begun; StoreError (the
        change refused) if that copy cannot be finished now. Under the write lock."""
        if self._writer is None or self._wal_identity is None:
            return  # no WAL known yet (its identity is taken once the writer has one)
        if self._wal_now() == self._wal_identity:
            return
        self._check_file()  # the database's whole folder moved away: refused as such
        logger.warning("%s was removed or replaced while the hub ran: what it held is copied "
                       "into %s, and a new one is begun", self._wal, self.path.name)
        busy, frames, copied = self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy or frames != copied:
            raise StoreError(f"{self._wal} was removed while the hub ran, and what it held "
                             "cannot be copied into the database yet (a report is reading "
                             "it): no change is saved until it is")
        self._writer.close()
        self._writer, self._wal_identity = None, None
        self.engine.dispose()  # the readers' handles on the old file too

    def _wal_now(self) -> tuple[int, int] | None:
        """(device, inode) of the file at the WAL's path, or None if there is none."""
        try:
            found = os.stat(self._wal)
        except OSError:
            return None
        return found.st_dev, found.st_ino

    def _begin(self, conn: sqlite3.Connection, wait: bool) -> None:
        if wait:
            conn.execute(f"PRAGMA busy_timeout={int(BUSY_WAIT_S * 1000)}")
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as err:
            if getattr(err, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY and not wait:
                raise StoreBusy(f"{self.path} is locked by another program") from err
            raise
        finally:
            if wait:
                conn.execute("PRAGMA busy_timeout=0")

    @staticmethod
    def _begin_day(conn: sqlite3.Connection, day: str) -> None:
        """When the hall day changes, remember where its requests begin (see RequestRow)."""
        stored = conn.execute("SELECT value FROM meta WHERE key = 'day'").fetchone()
        if stored is None or stored[0] != day:
            conn.execute("INSERT OR REPLACE INTO meta (key, value) "
                         "SELECT 'requests_from', IFNULL(MAX(id), 0) + 1 FROM requests")

    def finish(self) -> None:
        """The second half: COMMIT, durably (WAL, synchronous=FULL); raises StoreError, with
        the batch rolled back, if it is not on disk."""
        with self._rolled_back_on_failure():
            self._write_conn().execute("COMMIT")
            if self._wal_identity is None:  # the WAL this connection appends to, from now on
                self._wal_identity = self._wal_now()
        self._write_lock.release()

    @contextmanager
    def _rolled_back_on_failure(self) -> Iterator[None]:
        """Inside a write: on any failure, roll back, let go of the write lock and raise (an
        SQLite error as StoreError)."""
        try:
            yield
        except sqlite3.Error as err:
            self._roll_back()
            raise StoreError(f"could not write to {self.path}: {err}") from err
        except BaseException:
            self._roll_back()
            raise

    def _roll_back(self) -> None:
        try:
            conn = self._write_conn()
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        except sqlite3.Error:
            logger.exception("rollback failed")
        finally:
            self._write_lock.release()

    def checkpoint(self) -> tuple[int, int]:
        """Copy the WAL back into the database, between two commits, so that the next commit
        starts the WAL over from its beginning. The hub calls this every second or so, off the
        commit path. Returns (frames in the WAL, frames copied).

        It takes the write lock: a checkpoint that runs while commits keep appending never
        catches up with them, SQLite then never restarts the WAL, and under a steady load it
        grows all day (80 MB after 3,000 issues), each commit growing the file and syncing
        slower (0.55 ms instead of 0.3 ms here). But it holds the lock only to catch up: the
        bulk of the copy (a second of commits under load, 3-5 ms here) runs first, on a
        connection of its own, beside the commits — a commit on the hub's loop that waited for
        it would hold up every device for as long. PASSIVE: a reader in the middle of a report
        is not waited for; that checkpoint is partial and the next one catches up."""
        if self._closed:
            return 0, 0
        with self._read() as conn:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        with self._write_lock:  # only the frames committed meanwhile are left to copy
            if self._closed:  # the hub stopped meanwhile
                return 0, 0
            row = self._write_conn().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(row[1]), int(row[2])

    # ------------------------------------------------------------------ start-up

    def load(self) -> Loaded:
        self._check_file()  # never a new, empty database where the hall's was
        with self._read() as conn:
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            day = meta.get("day")
            seq_row = conn.execute("SELECT MAX(seq) FROM events").fetchone()
            seq = int(seq_row[0] or 0)
            tickets: list[Ticket] = []
            replies: dict[tuple[str, str], str] = {}
            if day:
                cols = ", ".join(TICKET_COLUMNS)
                low, high = day_id_range(day, day)
                rows = conn.execute(f"SELECT {cols} FROM tickets WHERE id >= ? AND id < ? "
                                    "ORDER BY line_ord", (low, high)).fetchall()
                tickets = [ticket_from_row(r) for r in rows]
                for device, req_id, reply in conn.execute(
                        "SELECT device, req_id, reply FROM requests WHERE id >= ? AND day = ?",
                        (int(meta.get("requests_from", 0)), day)):
                    replies[(device, req_id)] = reply
            windows = [WindowState(number=r[0], state=r[1], clerk=r[2], clerk_name=r[3],
                                   current=r[4], reason=r[5], since=_dt(r[6]))
                       for r in conn.execute(f"SELECT {', '.join(WINDOW_COLUMNS)} FROM windows")]
            recent = conn.execute("SELECT seq, name, at FROM events ORDER BY seq DESC "
                                  "LIMIT 2000").fetchall()
            calls = _calls_of_the_day(conn) if day else []
            announcements = (_announcements_of_the_day(conn, ANNOUNCEMENTS_KEPT)
                             if day else [])
        return Loaded(day, seq, tickets, windows, replies,
                      [(int(s), str(n)) for s, n, _ in recent], calls,
                      _dt(recent[0][2]) if recent else None, announcements)

    # ------------------------------------------------------------------ devices

    def add_device(self, name: str, role: str, window: int | None) -> str:
        # hex only: a token must never begin with "-" (it would be read as an option on a command line)
        token = secrets.token_hex(24)
        now = datetime.now().astimezone().isoformat()
        with self._read() as conn:
            existing = conn.execute("SELECT revoked FROM devices WHERE name = ?", (name,)).fetchone()
            if existing and not existing[0]:
                raise StoreError(f"device '{name}' is already enrolled; revoke it first to "
                                 "give it a new token")
            conn.execute("INSERT OR REPLACE INTO devices (name, role, window, token_hash, "
                         "created_at, revoked) VALUES (?, ?, ?, ?, ?, 0)",
                         (name, role, window, hash_token(token), now))
            conn.commit()
        return token

    def device(self, name: str, token: str) -> DeviceRow | None:
        """The enrolled, unrevoked device with this name and token, or None."""
        with self._read() as conn:
            row = conn.execute("SELECT name, role, window, token_hash, created_at, revoked "
                               "FROM devices WHERE name = ?", (name,)).fetchone()
        if row is None or row[5]:
            return None
        if not hmac.compare_digest(row[3], hash_token(token)):
            return None
        return DeviceRow(name=row[0], role=row[1], window=row[2], token_hash=row[3],
                         created_at=row[4], revoked=bool(row[5]))

    def devices(self) -> list[DeviceRow]:
        with self._read() as conn:
            rows = conn.execute("SELECT name, role, window, token_hash, created_at, revoked "
                                "FROM devices ORDER BY name").fetchall()
        return [DeviceRow(name=r[0], role=r[1], window=r[2], token_hash=r[3], created_at=r[4],
                          revoked=bool(r[5])) for r in rows]

    def gone_since(self) -> dict[str, datetime]:
        """The devices that went away while the hub ran, and when: not those still connected
        when it stopped, which come back by themselves if they can."""
        with self._read() as conn:
            rows = conn.execute("SELECT name, last_seen FROM devices WHERE connected = 0 "
                                "AND last_seen IS NOT NULL AND revoked = 0").fetchall()
        return {name: moment for name, text in rows if (moment := _dt(text)) is not None}

    def revoked_devices(self) -> set[str]:
        with self._read() as conn:
            return {r[0] for r in conn.execute("SELECT name FROM devices WHERE revoked = 1")}

    def revoke_device(self, name: str) -> bool:
        with self._read() as conn:
            changed = conn.execute("UPDATE devices SET revoked = 1 WHERE name = ? AND revoked = 0",
                                   (name,)).rowcount
            conn.commit()
        return bool(changed)

    # ------------------------------------------------------------------ clerks

    def add_clerk(self, clerk_id: str, name: str, pin: str) -> None:
        now = datetime.now().astimezone().isoformat()
        with self._read() as conn:
            conn.execute("INSERT OR REPLACE INTO clerks (id, name, pin_hash, created_at) "
                         "VALUES (?, ?, ?, ?)", (clerk_id, name, hash_pin(pin), now))
            conn.commit()

    def clerk(self, clerk_id: str, pin: str) -> Clerk | None:
        """The clerk if the PIN is right (slow on purpose: run it off the event loop)."""
        with self._read() as conn:
            row = conn.execute("SELECT id, name, pin_hash FROM clerks WHERE id = ?",
                               (clerk_id,)).fetchone()
        if row is None:
            hash_pin(pin)  # same time whether or not the clerk exists
            return None
        return Clerk(row[0], row[1]) if check_pin(pin, row[2]) else None

    # ------------------------------------------------------------------ appointments

    def add_appointments(self, rows: Iterable[AppointmentRow]) -> int:
        count = 0
        with self._read() as conn:
            for r in rows:
                conn.execute("INSERT OR REPLACE INTO appointments (code, service, date, "
                             "slot_start, slot_end, name, phone, ticket_id) VALUES "
                             "(?, ?, ?, ?, ?, ?, ?, (SELECT ticket_id FROM appointments "
                             "WHERE code = ?))",
                             (r.code, r.service, r.date, r.slot_start, r.slot_end, r.name,
                              r.phone, r.code))
                count += 1
            conn.commit()
        return count

    def appointment(self, code: str) -> Appointment | None:
        """The booking of that code; one typed in another case ("yy-77" for "Yy-77": a keypad
        or a desk officer) finds it too, if it is the only one that matches."""
        query = ("SELECT code, service, date, slot_start, slot_end, ticket_id FROM appointments "
                 "WHERE code = ?")
        with self._read() as conn:
            row = conn.execute(query, (code,)).fetchone()
            if row is None:
                rows = conn.execute(f"{query} COLLATE NOCASE LIMIT 2", (code,)).fetchall()
                row = rows[0] if len(rows) == 1 else None
        if row is None:
            return None
        return Appointment(code=row[0], service=row[1], date=row[2],
                           slot_start=datetime.fromisoformat(row[3]),
                           slot_end=datetime.fromisoformat(row[4]), ticket_id=row[5])

    def ticket(self, ticket_id: str) -> Ticket | None:
        """One ticket of any day, by its id (a follow-up may come days after the rating)."""
        cols = ", ".join(TICKET_COLUMNS)
        with self._read() as conn:
            row = conn.execute(f"SELECT {cols} FROM tickets WHERE id = ?",
                               (ticket_id,)).fetchone()
        return ticket_from_row(row) if row is not None else None

    # ------------------------------------------------------------------ reports

    def open_follow_ups(self, first_day: str, last_day: str) -> list[Ticket]:
        """Tickets of those days rated "dissatisfied" and not yet followed up, oldest first."""
        return self._tickets_of_days(first_day, last_day,
                                     "AND score = 1 AND followed_up_at IS NULL",
                                     "day, finished_at")

    def clerk_names(self, ids: Iterable[str]) -> dict[str, str]:
        """The names of those clerks that are enrolled."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        with self._read() as conn:
            marks = ", ".join("?" for _ in wanted)
            return dict(conn.execute(f"SELECT id, name FROM clerks WHERE id IN ({marks})",
                                     wanted).fetchall())

    def tickets_between(self, first_day: str, last_day: str) -> list[Ticket]:
        return self._tickets_of_days(first_day, last_day, "", "day, line_ord")

    def _tickets_of_days(self, first_day: str, last_day: str, condition: str,
                         order: str) -> list[Ticket]:
        """The tickets of days first_day..last_day (by key range) that meet ``condition``
        (SQL beginning with AND, or empty), in ``order``."""
        cols = ", ".join(TICKET_COLUMNS)
        low, high = day_id_range(first_day, last_day)
        with self._read() as conn:
            rows = conn.execute(f"SELECT {cols} FROM tickets WHERE id >= ? AND id < ? "
                                f"{condition} ORDER BY {order}", (low, high)).fetchall()
        return [ticket_from_row(r) for r in rows]


def _cure(err: sqlite3.Error) -> str:
    """What a technician can do about an SQLite error, where it is plain."""
    text = str(err)
    if "readonly" in text:
        return " (the file, or its folder, is read-only for this user)"
    if "locked" in text:
        return (" (another program holds it: a database browser, a script, or a hub on the "
                "same file through another path; close it and try again)")
    return ""


def _pragmas(dbapi_conn: Any, _record: ConnectionPoolEntry | None) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
