"""Group commit of views (library/views.py through POST /api/v1/items/{id}/views), on
SQLite and PostgreSQL: many views share a commit and every acknowledged one is counted;
the last position of a batch wins; a failing batch answers every one of its requests
with a 503; a view of an item deleted meanwhile spares the others; waiting requests
hold no pooled connection.

To line views up in one batch deterministically, a test holds the database's write lock
from another connection (as another writer would): the first view's transaction waits for
it, the views sent meanwhile pile up, and the next transaction takes them all.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from mediashelf.db.engine import make_engine
from mediashelf.db.models import View
from mediashelf.library.views import ViewBatcher
from mediashelf.web.api.personal import view_batcher
from tests import factory
from tests.conftest import add_key
from tests.web.conftest import all_items, scanned_library

PHOTOS = 6


@dataclass
class Lib:
    client: TestClient  # the app's one client, lifespan started: shared by every thread
    app: FastAPI
    db_url: str
    ids: list[int]

    @property
    def batcher(self) -> ViewBatcher:
        return view_batcher(self.app)  # the one the route uses (made here if need be)

    def view(self, item: int, body: dict[str, Any], key: str | None = None) -> httpx.Response:
        headers = {"authorization": f"Bearer {key}"} if key else None
        return self.client.post(f"/api/v1/items/{item}/views", json=body, headers=headers)

    def stored(self) -> dict[tuple[int, int], tuple[int, float | None]]:
        engine = make_engine(self.db_url)
        try:
            with Session(engine) as db:
                return {
                    (v.user_id, v.item_id): (v.count, v.position) for v in db.scalars(select(View))
                }
        finally:
            engine.dispose()


def _files(media: Path) -> None:
    for n in range(PHOTOS):
        factory.jpeg(media / f"p{n}.jpg", (32, 24), seed=n + 1)


@pytest.fixture
def lib(tmp_path: Path, db_url: str) -> Iterator[Lib]:
    with scanned_library(tmp_path, db_url, _files) as (client, _settings):
        ids = sorted(i["id"] for i in all_items(client))
        yield Lib(client, client.app, db_url, ids)  # type: ignore[arg-type]


def wait_for(what: Callable[[], bool], message: str, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not what():
        assert time.monotonic() < deadline, message
        time.sleep(0.005)


@contextmanager
def writes_held(db_url: str) -> Iterator[Callable[[str], None]]:
    """Hold the views table's write lock from another connection until the block ends;
    yields a function that runs a statement in that transaction (committed at the end).
    SQLite: BEGIN IMMEDIATE (the database's one writer); PostgreSQL: LOCK TABLE views
    IN EXCLUSIVE MODE (reads go on, inserts wait)."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        raw = sqlite3.connect(str(url.database), isolation_level=None)
        raw.execute("PRAGMA foreign_keys=ON")
        raw.execute("BEGIN IMMEDIATE")
        try:
            yield lambda sql: raw.execute(sql) and None
            raw.execute("COMMIT")
        finally:
            raw.close()
        return
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            conn.execute(text("LOCK TABLE views IN EXCLUSIVE MODE"))
            yield lambda sql: conn.execute(text(sql)) and None
            conn.commit()
    finally:
        engine.dispose()


def send_in_order(
    lib: Lib, pool: ThreadPoolExecutor, views: list[tuple[int, dict[str, Any]]]
) -> list[Future[httpx.Response]]:
    """Send each view from its own thread, the next once the batcher has received the
    last (so their order in the batch is the list's)."""
    futures = []
    for item, body in views:
        received = lib.batcher.received
        futures.append(pool.submit(lib.view, item, body))
        wait_for(lambda n=received: lib.batcher.received > n, "the view did not arrive")
    return futures


def stuck_writer(lib: Lib, pool: ThreadPoolExecutor, item: int) -> Future[httpx.Response]:
    """A first view, written at once in its request's thread (nothing is in flight),
    whose transaction waits for the held lock: the views sent next wait for it."""
    first = send_in_order(lib, pool, [(item, {"position": 1.0})])[0]
    wait_for(lambda: lib.batcher.pending == 0, "the first view is not being written")
    time.sleep(0.05)  # into its INSERT, waiting for the lock
    assert not first.done(), first.result().text
    return first


def hammer(
    lib: Lib, keys: list[str], threads: int, per_thread: int, before: Counter[tuple[int, int]]
) -> Counter[tuple[int, int]]:
    """`threads` clients at once, each sending `per_thread` views (mostly counted, with
    a position) of random items as one of `keys`' users. Every answer must be a 200, and
    for each (key, item) the counts answered to counted views must run on from its
    count `before`, one by one: each acknowledged view saw its own increment. Returns the
    acknowledged counted views per (key index, item)."""
    go = threading.Barrier(threads)

    def client(index: int) -> list[tuple[int, int, bool, dict[str, Any]]]:
        rng = random.Random(index)
        key = index % len(keys)
        answers = []
        go.wait()
        for _ in range(per_thread):
            item = rng.choice(lib.ids)
            counted = rng.random() < 0.8
            resp = lib.view(item, {"position": rng.uniform(0, 100), "count": counted}, keys[key])
            assert resp.status_code == 200, resp.text
            answers.append((key, item, counted, resp.json()))
        return answers

    with ThreadPoolExecutor(threads) as pool:
        results = [a for f in [pool.submit(client, i) for i in range(threads)] for a in f.result()]
    acked: Counter[tuple[int, int]] = Counter()
    seen: dict[tuple[int, int], list[int]] = {}
    for key, item, counted, body in results:
        if counted:
            acked[key, item] += 1
            seen.setdefault((key, item), []).append(body["count"])
    for pair, counts in seen.items():
        start = before[pair] + 1
        assert sorted(counts) == list(range(start, start + len(counts))), (pair, sorted(counts))
    return acked


def uid(lib: Lib, key: str | None = None) -> int:
    headers = {"authorization": f"Bearer {key}"} if key else None
    user_id: int = lib.client.get("/api/v1/auth/me", headers=headers).json()["user"]["id"]
    return user_id


def test_concurrent_views_share_commits_and_all_count(lib: Lib) -> None:
    """16 clients at once: the database counts exactly the acknowledged views, in fewer
    transactions than views; the same load one view per transaction (the behaviour
    before group commit) takes one each."""
    keys = [add_key(lib.app, "viewer") for _ in range(4)]
    uids = [uid(lib, key) for key in keys]
    threads, per_thread = 16, 15
    total = threads * per_thread

    batcher = lib.batcher
    acked = hammer(lib, keys, threads, per_thread, Counter())
    assert batcher.received == batcher.views == total and batcher.failures == 0
    assert batcher.commits < total and batcher.largest > 1, (batcher.commits, batcher.largest)
    stored = lib.stored()
    assert {(uids[k], i): n for (k, i), n in acked.items()} == {
        pair: count for pair, (count, _) in stored.items() if count
    }

    one_each = ViewBatcher(lib.app.state.engine, max_batch=1)
    lib.app.state.view_batcher = one_each
    again = hammer(lib, keys, threads, per_thread, acked)
    assert one_each.commits == one_each.views == total and one_each.largest == 1
    both = acked + again
    assert {(uids[k], i): n for (k, i), n in both.items()} == {
        pair: count for pair, (count, _) in lib.stored().items() if count
    }
    print(
        f"\n{total} views: {batcher.commits} commits batched (largest {batcher.largest}), "
        f"{one_each.commits} one per view"
    )


def test_a_batch_adds_counts_and_keeps_the_last_position(lib: Lib) -> None:
    a, b = lib.ids[0], lib.ids[1]
    lib.view(b, {})  # the key's first use is a write (last_used_at): not while held
    with ThreadPoolExecutor(8) as pool, writes_held(lib.db_url):
        first = stuck_writer(lib, pool, b)
        commits = lib.batcher.commits
        batch = send_in_order(
            lib,
            pool,
            [
                (a, {"position": 10.0}),
                (a, {"position": 20.0, "count": False}),
                (a, {}),  # a counted view without a position keeps the one before
                (a, {"position": 30.0}),
                (b, {"count": False}),
            ],
        )
        assert lib.batcher.pending == len(batch)
    answers = [f.result() for f in batch]
    assert first.result().status_code == 200
    assert [r.status_code for r in answers] == [200] * 5, [r.text for r in answers]
    assert [(r.json()["count"], r.json()["position"]) for r in answers] == [
        (1, 10.0), (1, 20.0), (2, 20.0), (3, 30.0), (2, 1.0),
    ]  # fmt: skip
    assert isinstance(answers[4].json()["position"], float)  # 1.0 as stored, not 1
    assert lib.batcher.commits == commits + 2 and lib.batcher.largest == 5
    me = uid(lib)
    stored = lib.stored()
    assert stored[me, a] == (3, 30.0) and stored[me, b] == (2, 1.0)
    item = lib.client.get(f"/api/v1/items/{a}").json()
    assert item["views"]["count"] == 3 and item["views"]["position"] == 30.0


def test_a_view_of_a_deleted_item_spares_the_rest_of_its_batch(lib: Lib) -> None:
    a, b, gone = lib.ids[:3]
    lib.view(a, {})
    with ThreadPoolExecutor(8) as pool, writes_held(lib.db_url) as run:
        first = stuck_writer(lib, pool, a)
        batch = send_in_order(lib, pool, [(b, {"position": 5.0}), (gone, {}), (b, {})])
        run(f"DELETE FROM items WHERE id = {gone}")  # after its lookup, before its write
    assert first.result().status_code == 200
    kept, refused, again = (f.result() for f in batch)
    assert refused.status_code == 404 and refused.json() == {"detail": "item not found"}
    assert kept.status_code == again.status_code == 200
    assert (kept.json()["count"], again.json()["count"], again.json()["position"]) == (
        0 + 1,
        2,
        5.0,
    )
    me = uid(lib)
    stored = lib.stored()
    assert stored[me, b] == (2, 5.0) and stored[me, a] == (2, 1.0)
    assert (me, gone) not in stored
    assert lib.view(a, {}).json()["count"] == 3  # and the writer goes on


def test_a_failing_batch_answers_each_of_its_requests_503(lib: Lib) -> None:
    """The lock is held past the database's wait: every view of each failed batch gets
    a 503 with a reason (and Retry-After), none is stored, and the next view works."""
    a, b = lib.ids[:2]
    lib.view(b, {"count": False})  # warm the key and the writer (one commit)
    engine: Engine = lib.app.state.engine
    sqlite = engine.dialect.name == "sqlite"

    def short_wait(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        cur = dbapi_conn.cursor()  # how long a write waits for a lock: 10 s is too long here
        cur.execute("PRAGMA busy_timeout=1500" if sqlite else "SET lock_timeout = '1500ms'")
        cur.close()

    event.listen(engine, "checkout", short_wait)
    try:
        engine.dispose()  # new connections, each checked out through short_wait
        with ThreadPoolExecutor(8) as pool, writes_held(lib.db_url):
            first = stuck_writer(lib, pool, a)
            batch = send_in_order(lib, pool, [(a, {}), (a, {"position": 9.0}), (b, {})])
            answers = [f.result(timeout=30) for f in [first, *batch]]
            failures = lib.batcher.failures
    finally:
        event.remove(engine, "checkout", short_wait)
        engine.dispose()
    for resp in answers:
        assert resp.status_code == 503, resp.text
        assert "busy or unavailable" in resp.json()["detail"] and resp.headers["retry-after"]
    assert failures == 2  # the first view's transaction, then one for the other three
    assert (uid(lib), a) not in lib.stored()
    after = lib.view(a, {"position": 2.0}).json()
    assert (after["count"], after["position"]) == (1, 2.0)


def test_waiting_requests_hold_no_connection(lib: Lib) -> None:
    """More views waiting for one commit than the pool has connections (5 + 10): they
    hand theirs back before waiting, so the writer still gets one, and one commit takes
    them all."""
    lib.view(lib.ids[0], {})
    pool_size = lib.app.state.engine.pool.size() + lib.app.state.engine.pool._max_overflow
    waiting = pool_size + 9
    with ThreadPoolExecutor(waiting + 1) as pool, writes_held(lib.db_url):
        first = stuck_writer(lib, pool, lib.ids[0])
        commits = lib.batcher.commits
        crowd = [pool.submit(lib.view, lib.ids[n % PHOTOS], {}) for n in range(waiting)]
        wait_for(lambda: lib.batcher.pending == waiting, "the crowd did not arrive")
    assert first.result(timeout=30).status_code == 200
    assert [f.result(timeout=30).status_code for f in crowd] == [200] * waiting
    assert lib.batcher.commits == commits + 2 and lib.batcher.largest == waiting


def test_the_batcher_flushes_and_closes_with_the_app(lib: Lib) -> None:
    """Closing writes what is pending first; the app's shutdown closes it; a view after
    that is still written (in its caller's thread), and the next request makes a new
    writer."""
    a = lib.ids[0]
    lib.view(a, {})
    batcher = lib.batcher
    assert batcher._thread is None  # one view at a time: each written in its own request
    with ThreadPoolExecutor(8) as pool:
        with writes_held(lib.db_url):
            first = stuck_writer(lib, pool, a)
            pending = send_in_order(lib, pool, [(a, {}), (a, {"position": 7.0})])
            writer = batcher._thread  # started for the views that wait
            assert writer is not None and writer.is_alive()
            closing = pool.submit(batcher.close)
            wait_for(lambda: batcher.closed, "close did not start")
            assert not closing.done()  # waiting for the writer, which has views to write
        closing.result(timeout=30)
    assert not writer.is_alive()
    assert [f.result().json()["count"] for f in [first, *pending]] == [2, 3, 4]
    after = batcher.record(uid(lib), a, position=8.0)  # closed: written in this thread
    assert (after.count, after.position) == (5, 8.0)
    assert batcher.commits == 4  # the warm-up, the stuck view, the two pending, this one
    replacement = lib.batcher
    assert replacement is not batcher and not replacement.closed
    assert lib.view(a, {}).json()["count"] == 6

    with TestClient(lib.app) as other:  # a second lifespan: its shutdown closes the writer
        other.headers.update(lib.client.headers)
        assert other.post(f"/api/v1/items/{a}/views", json={}).json()["count"] == 7
        current = lib.batcher
    assert current.closed and (current._thread is None or not current._thread.is_alive())
