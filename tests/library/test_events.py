"""The event log: ids only grow, so a client resuming by id never misses events."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from mediashelf.library import events


def test_ids_are_not_reused_after_pruning(engine: Engine) -> None:
    with engine.begin() as conn:
        for n in range(3):
            events.emit(conn, "job", n=n)
    last = events.last_id(engine)
    assert events.prune(engine, keep=timedelta(seconds=-1)) == 3  # everything is old
    assert events.since(engine, 0) == []
    with engine.begin() as conn:
        events.emit(conn, "job", n=3)
    [(new_id, type_, data)] = events.since(engine, 0)
    assert new_id > last
    assert (type_, data) == ("job", '{"n": 3}')
