"""The event log behind /api/v1/events: job progress and library changes.

Any process appends (a web worker, a job worker, the watcher); each SSE
client reads the rows after the last id it has seen, so a reconnecting
browser (Last-Event-ID) misses nothing that is still kept.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select

from mediashelf.db.models import Event
from mediashelf.library.clock import utcnow

KEEP = timedelta(hours=1)


def emit(conn: Connection, type_: str, **data: Any) -> None:
    """Append one event, in the caller's transaction."""
    conn.execute(
        insert(Event).values(type=type_, data=json.dumps(data, default=str), created_at=utcnow())
    )


def since(engine: Engine, last_id: int, limit: int = 500) -> list[tuple[int, str, str]]:
    """(id, type, JSON data) of the events after `last_id`, oldest first."""
    query = (
        select(Event.id, Event.type, Event.data)
        .where(Event.id > last_id)
        .order_by(Event.id)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [(r.id, r.type, r.data) for r in conn.execute(query)]


def last_id(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(Event.id).order_by(Event.id.desc()).limit(1)).scalar() or 0)


def prune(engine: Engine, keep: timedelta = KEEP) -> int:
    with engine.begin() as conn:
        return conn.execute(delete(Event).where(Event.created_at < utcnow() - keep)).rowcount
