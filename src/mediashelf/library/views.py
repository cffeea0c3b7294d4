"""Recording views with group commit: many views, one transaction.

Players report a view (and where a video was left off) every few seconds, so under load
views arrive faster than one transaction each can be committed. A `ViewBatcher` writes
one transaction at a time: a view arriving while none is in flight is written at once in
its caller's thread (no fixed delay, no hand-over); views arriving while one is in flight
wait for it, and then the batcher's writer thread takes every view pending at that moment
and writes them in ONE transaction: several views of one (user, item) become one row
change (their counts add up, the last position given wins). `record()` returns only once
the transaction holding its view has committed, so an acknowledged view is never lost,
and under load many views share one commit.

Failures: when the batch's transaction fails, every view in it gets the error. A view of
an item deleted since it was looked up (a foreign key refuses it) must not take the others
down with it: the batch is then written again one (user, item) per transaction, and only
that view gets `ItemGone`. A database that is locked, unreachable or out of pooled
connections gives `DatabaseBusy`.

The writer draws one connection from the engine's pool per batch; waiting callers should
hold none (`record` says so), so however many wait, the pool cannot run dry on them.
`max_batch=1` writes each view in the caller's thread in its own transaction: the
behaviour before group commit (the baseline of bench/views.py).
"""

from __future__ import annotations

import atexit
import functools
import logging
import os
import threading
import weakref
from collections.abc import Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from mediashelf.db.models import View
from mediashelf.library.clock import utcnow

log = logging.getLogger("mediashelf.views")

MAX_BATCH = 500  # views per transaction, at most: bounds how long one commit holds the lock


class ViewError(Exception):
    """A view was not recorded (the request that sent it is not acknowledged)."""


class ItemGone(ViewError):
    """The item (or user) no longer exists: it was deleted after it was looked up."""


class DatabaseBusy(ViewError):
    """The database is locked, unreachable, or its pool ran dry: try again shortly."""


@dataclass(frozen=True)
class RecordedView:
    """A (user, item)'s view row as the caller's view left it."""

    count: int
    last_viewed_at: datetime
    position: float | None


@dataclass
class _Pending:
    user_id: int
    item_id: int
    step: int  # 1: a view; 0: only the position
    position: float | None
    at: datetime
    future: Future[RecordedView] = field(default_factory=Future)

    @property
    def key(self) -> tuple[int, int]:
        return self.user_id, self.item_id


_live: weakref.WeakSet[ViewBatcher] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    """At interpreter exit: write what is pending, stop the writers."""
    for batcher in list(_live):
        batcher.close()


class ViewBatcher:
    """Group commit of views for one engine, in one process (each server worker has its
    own). Thread-safe; the writer thread starts on first use."""

    def __init__(self, engine: Engine, max_batch: int = MAX_BATCH) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.engine = engine
        self.max_batch = max_batch
        self.pid = os.getpid()  # a forked child must make its own: the thread stays behind
        # Figures, for tests and benchmarks: views received, transactions committed,
        # views they held, transactions that failed, the most views one commit held.
        self.received = 0
        self.commits = 0
        self.views = 0
        self.failures = 0
        self.largest = 0
        self._cond = threading.Condition()
        self._pending: list[_Pending] = []
        self._thread: threading.Thread | None = None
        self._writing = False  # a transaction of views is in flight
        self._closed = False
        _live.add(self)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def pending(self) -> int:
        """Views received that the writer has not taken yet."""
        return len(self._pending)

    def record(
        self, user_id: int, item_id: int, count: bool = True, position: float | None = None
    ) -> RecordedView:
        """Record a view (with `count` false: only the position) once it has committed.

        Blocks until then: call it from a worker thread, never from the event loop, and
        holding no pooled connection (close the request's session first). Raises
        ItemGone, DatabaseBusy, or ViewError for anything unforeseen.
        """
        pending = _Pending(user_id, item_id, 1 if count else 0, position, utcnow())
        lead = False
        with self._cond:
            self.received += 1
            if self._closed or self.max_batch == 1:
                alone = True  # one transaction per view, in this thread
            elif not self._writing and not self._pending:
                alone = lead = self._writing = True  # idle: written here and now, no hop
            else:  # a write is in flight: the next one takes this view with the others
                alone = False
                self._pending.append(pending)
                self._start()
                self._cond.notify_all()
        if alone:
            try:
                self._write([pending])
            finally:
                if lead:
                    with self._cond:
                        self._writing = False
                        self._cond.notify_all()  # the writer takes what came meanwhile
        return pending.future.result()

    def close(self, timeout: float = 30.0) -> None:
        """Write what is pending, then stop the writer. Views recorded afterwards are
        written one per transaction in their callers' threads."""
        if self.pid != os.getpid():  # a forked child's copy: the writer is the parent's
            return
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    # -- the writer --------------------------------------------------------------------

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="view-writer", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            with self._cond:
                # Wait for views, and for a write in flight (a caller's own) to end.
                while not (self._pending and not self._writing) and not (
                    self._closed and not self._pending
                ):
                    self._cond.wait()
                if not self._pending:  # closed, and nothing left to write
                    return
                batch = self._pending[: self.max_batch]
                del self._pending[: self.max_batch]
                self._writing = True
            try:
                self._write(batch)
            except BaseException as exc:  # a bug: no waiter may be left hanging
                log.exception("the view writer failed")
                _fail(batch, ViewError(f"the view was not recorded: {exc}"))
                if not isinstance(exc, Exception):
                    raise
            finally:
                with self._cond:
                    self._writing = False

    def _write(self, batch: list[_Pending]) -> None:
        """Write `batch` in one transaction and answer its waiters; on a foreign-key
        refusal, again one (user, item) per transaction."""
        groups: dict[tuple[int, int], list[_Pending]] = {}
        for pending in batch:
            groups.setdefault(pending.key, []).append(pending)
        try:
            rows = self._commit(groups)
        except sa_exc.IntegrityError as exc:
            self._failed()
            if len(groups) == 1:
                log.info("a view of a deleted item was not recorded: %s", _first_line(exc))
                _fail(batch, ItemGone("the item no longer exists"))
                return
            for members in groups.values():  # again, one (user, item) per transaction
                self._write(members)
            return
        except Exception as exc:
            self._failed()
            error = _classify(exc)
            log.warning("%d view(s) not recorded: %s", len(batch), _first_line(exc))
            _fail(batch, error)
            return
        for key, members in groups.items():
            _answer(members, rows[key])

    def _failed(self) -> None:
        with self._cond:
            self.failures += 1

    def _commit(self, groups: dict[tuple[int, int], list[_Pending]]) -> dict[tuple[int, int], Any]:
        """One transaction: one upsert of every (user, item) of the batch, each row's
        stored values back. Keys in order, so that two processes' batches lock rows in
        one order (PostgreSQL) and cannot deadlock each other."""
        values = [_row(members) for _, members in sorted(groups.items())]
        stored: dict[tuple[int, int], Any] = {}
        with self.engine.begin() as conn:
            # executemany: SQLAlchemy sends it as multi-row INSERTs ("insertmanyvalues"),
            # and the statement compiles once (a .values([...]) would compile per batch)
            for row in conn.execute(_upsert(self.engine.dialect.name), values):
                stored[row.user_id, row.item_id] = row
        views = sum(len(members) for members in groups.values())
        with self._cond:  # with max_batch=1, callers' threads commit side by side
            self.commits += 1
            self.views += views
            self.largest = max(self.largest, views)
        return stored


@functools.cache
def _upsert(dialect: str) -> Any:
    """INSERT … ON CONFLICT DO UPDATE … RETURNING for a view row: counts add up, a
    position replaces the stored one (none keeps it)."""
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(View)
    return stmt.on_conflict_do_update(
        index_elements=["user_id", "item_id"],
        set_={
            "count": View.count + stmt.excluded.count,
            "last_viewed_at": stmt.excluded.last_viewed_at,
            "position": func.coalesce(stmt.excluded.position, View.position),
        },
    ).returning(View.user_id, View.item_id, View.count, View.position, sort_by_parameter_order=True)


def _row(members: Sequence[_Pending]) -> dict[str, Any]:
    """One (user, item)'s views as one row: counts add up, the last position given wins."""
    positions = [p.position for p in members if p.position is not None]
    first = members[0]
    return {
        "user_id": first.user_id,
        "item_id": first.item_id,
        "count": sum(p.step for p in members),
        "last_viewed_at": max(p.at for p in members),
        "position": positions[-1] if positions else None,
    }


def _answer(members: Sequence[_Pending], row: Any) -> None:
    """Each waiter's answer: as if the views had been written one by one in the order
    they arrived. The count after its own; its own position, else the last one given
    before it, else the stored one (the row's before the batch, or, where a later view
    of the batch gave one, that: the position in force)."""
    later = sum(p.step for p in members)
    given: float | None = None
    for pending in members:
        later -= pending.step
        if pending.position is not None:
            given = pending.position
        position = given if given is not None else _real(row.position)
        pending.future.set_result(RecordedView(row.count - later, pending.at, position))


def _real(value: float | None) -> float | None:
    """SQLite's RETURNING gives a whole REAL (3.0) as an integer (3)."""
    return None if value is None else float(value)


def _fail(batch: Iterable[_Pending], error: ViewError) -> None:
    for pending in batch:
        if not pending.future.done():
            pending.future.set_exception(type(error)(*error.args))


def _classify(exc: Exception) -> ViewError:
    """DatabaseBusy for what a client can wait out; ViewError for the rest."""
    if isinstance(exc, sa_exc.OperationalError | sa_exc.TimeoutError) or (
        isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated
    ):
        return DatabaseBusy(f"the database is busy or unavailable ({_first_line(exc)})")
    return ViewError(f"the view was not recorded ({_first_line(exc)})")


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.splitlines()[0][:200] if text else type(exc).__name__
