"""The benchmark's year of history is written in the hub's own schema (the start-time figure
means nothing if the hub cannot read it)."""

from __future__ import annotations

from pathlib import Path

from hub.store import Store
from tests.perf.bench_hub import make_history


def test_the_history_is_read_back_by_the_store(tmp_path: Path) -> None:
    db = tmp_path / "hall.db"
    make_history(db, 730)
    store = Store(db)
    try:
        tickets = store.tickets_between("2000-01-01", "2999-12-31")
        assert len(tickets) == 730
        assert {t.state for t in tickets} == {"done"} and tickets[0].finished_at is not None
        assert store.load().day is not None
    finally:
        store.close()
