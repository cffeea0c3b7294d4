"""INSERT … ON CONFLICT DO UPDATE, for SQLite and PostgreSQL alike: one statement, so a
write that races another neither fails nor loses an update."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session


def upsert(
    db: Session | Connection,
    model: Any,
    values: Mapping[str, Any],
    keys: list[str],
    update: Mapping[str, Any],
) -> None:
    """Insert `values`, or when a row with the same `keys` exists, set `update` on it
    (which may refer to the row's columns: `{"count": View.count + 1}`)."""
    bind = db.get_bind() if isinstance(db, Session) else db
    insert_ = pg_insert if bind.dialect.name == "postgresql" else sqlite_insert
    stmt = insert_(model).values(**values)
    db.execute(stmt.on_conflict_do_update(index_elements=keys, set_=dict(update)))
