"""The jobs table's state changes (jobs/store.py), on SQLite and PostgreSQL.

Each change is one conditional UPDATE; these tests take a job through them
by hand, as workers and users would, and check what each may and may not do.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, select

from mediashelf.db.engine import make_engine, upgrade
from mediashelf.db.models import Event, Job, SettingValue
from mediashelf.jobs import store
from mediashelf.jobs.store import BACKGROUND, USER, NewJob
from mediashelf.library.clock import utcnow
from tests.conftest import fresh_pg_database
from tests.jobs.conftest import age, job

W1, W2 = "host-a:101", "host-b:202"
LEASE = 30.0


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """One database per module and kind (a PostgreSQL one takes a second to make)."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path_factory.mktemp('db') / 'mediashelf.db'}")
        upgrade(eng)
        yield eng
        eng.dispose()
        return
    with fresh_pg_database() as url:
        eng = make_engine(url)
        upgrade(eng)
        yield eng
        eng.dispose()


@pytest.fixture
def engine(module_engine: Engine) -> Iterator[Engine]:
    """The module's database, emptied of jobs for each test."""
    yield module_engine
    with module_engine.begin() as conn:
        for table in (Job, Event, SettingValue):
            conn.execute(delete(table))


def new(key: str = "thumbnail:aa", priority: int = BACKGROUND, kind: str = "thumbnail") -> NewJob:
    return NewJob(kind, key, target="item", item_id=1, priority=priority)


def one(engine: Engine, spec: NewJob) -> int:
    [(job_id, created, _)] = store.create(engine, [spec])
    assert created
    return job_id


def job_events(engine: Engine, job_id: int) -> list[str]:
    """The statuses the event log recorded for a job, in order."""
    import json

    with engine.connect() as conn:
        rows = conn.execute(select(Event.data).where(Event.type == "job").order_by(Event.id))
        data = [json.loads(r) for r in rows.scalars()]
    return [d["status"] for d in data if d["id"] == job_id]


def test_create_queues_once_per_pending_work(engine: Engine) -> None:
    first = store.create(engine, [new("thumbnail:aa"), new("thumbnail:bb")])
    assert [created for _, created, _ in first] == [True, True]
    assert [prio for _, _, prio in first] == [BACKGROUND, BACKGROUND]
    a, b = (job_id for job_id, _, _ in first)
    assert a != b
    row = job(engine, a)
    assert (row.status, row.attempts, row.progress, row.priority) == ("queued", 0, 0.0, 0)

    # The same work again while it is pending: the pending job, nothing to send.
    assert store.create(engine, [new("thumbnail:aa")]) == [(a, False, None)]
    # ... unless asked at a higher priority: raised, and to be sent again at it.
    assert store.create(engine, [new("thumbnail:aa", USER)]) == [(a, False, USER)]
    assert job(engine, a).priority == USER
    assert store.create(engine, [new("thumbnail:aa", BACKGROUND)]) == [(a, False, None)]
    assert job(engine, a).priority == USER  # never lowered

    # Running is pending too.
    assert store.claim(engine, a, W1, LEASE) is not None
    assert store.create(engine, [new("thumbnail:aa")]) == [(a, False, None)]

    # Once done, the same work can be queued again, as a new job.
    assert store.finish(engine, a, W1)
    [(again, created, _)] = store.create(engine, [new("thumbnail:aa")])
    assert created and again not in (a, b)
    assert job_events(engine, a) == ["queued", "running", "done"]


def test_create_in_bulk(engine: Engine) -> None:
    """More jobs than one INSERT chunk (500), some already pending."""
    one(engine, new("thumbnail:k0007"))
    specs = [new(f"thumbnail:k{i:04d}") for i in range(1200)]
    out = store.create(engine, specs)
    assert len(out) == 1200
    assert sum(created for _, created, _ in out) == 1199
    assert len({job_id for job_id, _, _ in out}) == 1200
    with engine.connect() as conn:
        n = conn.execute(select(Job.id).where(Job.status == "queued")).all()
    assert len(n) == 1200


def test_claim_is_exclusive_and_records_the_worker(engine: Engine) -> None:
    job_id = one(engine, new())
    before = utcnow()
    claimed = store.claim(engine, job_id, W1, LEASE)
    assert claimed is not None
    assert (claimed.status, claimed.attempts, claimed.worker) == ("running", 1, W1)
    assert claimed.started_at is not None and claimed.started_at >= before
    assert claimed.lease_until is not None
    assert claimed.lease_until >= before + timedelta(seconds=LEASE)
    # Nobody else gets it, nor does the same worker a second time.
    assert store.claim(engine, job_id, W2, LEASE) is None
    assert store.claim(engine, job_id, W1, LEASE) is None
    assert store.claim(engine, 999_999, W1, LEASE) is None
    # Only the holder renews or finishes it.
    assert not store.renew(engine, job_id, W2, LEASE, 0.5)
    assert not store.finish(engine, job_id, W2)
    assert store.renew(engine, job_id, W1, LEASE, 0.5, "half way")
    row = job(engine, job_id)
    assert (row.progress, row.message) == (0.5, "half way")
    assert store.renew(engine, job_id, W1, LEASE, 7.0)  # clamped
    assert job(engine, job_id).progress == 1.0
    assert store.finish(engine, job_id, W1, "made 3 thumbnails")
    row = job(engine, job_id)
    assert (row.status, row.progress, row.message) == ("done", 1.0, "made 3 thumbnails")
    assert row.lease_until is None and row.finished_at is not None
    assert not store.finish(engine, job_id, W1)  # once
    assert not store.renew(engine, job_id, W1, LEASE)


def test_failures_back_off_exponentially_then_quarantine(engine: Engine) -> None:
    job_id = one(engine, new())
    delays = []
    for attempt in (1, 2, 3):
        claimed = store.claim(engine, job_id, W1, LEASE)
        assert claimed is not None and claimed.attempts == attempt
        delay = store.fail(
            engine, job_id, W1, "OSError: disk on fire", max_attempts=3, retry_delay=5
        )
        delays.append(delay)
        row = job(engine, job_id)
        if delay is None:
            break
        assert (row.status, row.error, row.lease_until) == ("queued", "OSError: disk on fire", None)
        assert row.run_after is not None
        waited = (row.run_after - row.updated_at).total_seconds()
        assert abs(waited - delay) < 1, (waited, delay)
        # Not claimable before its time; then it is.
        assert store.claim(engine, job_id, W1, LEASE) is None
        assert store.stale_queued(engine, timedelta(0)) == []  # nor re-sent
        age(engine, job_id, run_after=utcnow() - timedelta(seconds=1))
    assert delays == [5.0, 10.0, None]  # retry_delay * 2 ** (attempts - 1), then given up
    row = job(engine, job_id)
    assert (row.status, row.attempts, row.error) == ("failed", 3, "OSError: disk on fire")
    assert row.finished_at is not None and row.lease_until is None
    assert store.claim(engine, job_id, W1, LEASE) is None
    assert store.depth(engine) == {"thumbnail": {"queued": 0, "running": 0, "failed": 1}}


def test_a_permanent_failure_fails_at_once(engine: Engine) -> None:
    job_id = one(engine, new())
    assert store.claim(engine, job_id, W1, LEASE) is not None
    delay = store.fail(
        engine, job_id, W1, "not an image", max_attempts=5, retry_delay=1, permanent=True
    )
    assert delay is None
    row = job(engine, job_id)
    assert (row.status, row.attempts, row.error) == ("failed", 1, "not an image")


def test_only_the_holder_records_a_failure(engine: Engine) -> None:
    job_id = one(engine, new())
    assert store.claim(engine, job_id, W1, LEASE) is not None
    assert store.fail(engine, job_id, W2, "boom", max_attempts=3, retry_delay=1) is None
    assert job(engine, job_id).status == "running"


def test_retry_requeues_failed_jobs_with_attempts_reset(engine: Engine) -> None:
    a, b, c = (one(engine, new(f"thumbnail:{k}", p)) for k, p in (("a", 0), ("b", USER), ("c", 0)))
    for job_id in (a, b, c):
        assert store.claim(engine, job_id, W1, LEASE) is not None
        store.fail(engine, job_id, W1, "bad", max_attempts=1, retry_delay=1)
    d = one(engine, new("thumbnail:d"))
    assert store.cancel(engine, d)
    # c's work is pending again under another job: c stays as it is.
    pending_c = one(engine, new("thumbnail:c"))

    assert sorted(store.retry(engine, Job.kind == "thumbnail")) == [(a, 0), (b, USER), (d, 0)]
    for job_id in (a, b, d):
        row = job(engine, job_id)
        assert (row.status, row.attempts, row.run_after, row.finished_at) == (
            "queued",
            0,
            None,
            None,
        )
    claimed = store.claim(engine, a, W2, LEASE)
    assert claimed is not None and claimed.attempts == 1
    assert job(engine, c).status == "failed"
    assert job(engine, pending_c).status == "queued"
    assert store.retry(engine, Job.id == a) == []  # only failed or cancelled ones
    assert job_events(engine, a) == ["queued", "running", "failed", "queued", "running"]


def test_cancel_queued_or_running_only(engine: Engine) -> None:
    queued, running, done = (one(engine, new(f"thumbnail:{k}")) for k in "qrd")
    assert store.claim(engine, running, W1, LEASE) is not None
    assert store.claim(engine, done, W1, LEASE) is not None
    assert store.finish(engine, done, W1)

    assert store.cancel(engine, queued)
    assert store.cancel(engine, running)
    assert not store.cancel(engine, done)
    assert not store.cancel(engine, queued)  # once
    assert [job(engine, i).status for i in (queued, running, done)] == [
        "cancelled",
        "cancelled",
        "done",
    ]
    # The running job's worker learns it at its next renewal, and can record nothing.
    assert not store.renew(engine, running, W1, LEASE)
    assert not store.finish(engine, running, W1)
    assert store.fail(engine, running, W1, "x", max_attempts=3, retry_delay=1) is None
    assert job(engine, running).status == "cancelled"
    assert store.claim(engine, queued, W1, LEASE) is None
    # Cancelled work can be queued again.
    [(_, created, _)] = store.create(engine, [new("thumbnail:q")])
    assert created


def test_expire_leases_requeues_jobs_of_dead_workers(engine: Engine) -> None:
    live, dead, last, forced = (
        one(engine, new(f"thumbnail:{k}", priority=p))
        for k, p in (("l", 0), ("d", 10), ("x", 0), ("f", 0))
    )
    for job_id in (live, dead, last, forced):
        assert store.claim(engine, job_id, W1, LEASE) is not None
    past = utcnow() - timedelta(seconds=5)
    age(engine, dead, lease_until=past)
    age(engine, last, lease_until=past, attempts=3)

    assert store.expire_leases(engine, max_attempts=3) == [(dead, 10)]
    row = job(engine, dead)
    assert (row.status, row.attempts, row.lease_until) == ("queued", 1, None)
    assert row.error is not None and "stopped" in row.error
    row = job(engine, last)  # its last attempt: given up
    assert (row.status, row.attempts) == ("failed", 3)
    assert row.error is not None and "stopped" in row.error
    assert job(engine, live).status == "running"  # its lease still runs
    assert job(engine, forced).status == "running"
    assert store.expire_leases(engine, max_attempts=3) == []

    # `only`: a job whose worker is known to be dead, whatever its lease says.
    assert store.expire_leases(engine, max_attempts=3, only=forced) == [(forced, 0)]
    assert job(engine, forced).status == "queued"
    assert job(engine, live).status == "running"

    # The old worker, if it was only slow, can no longer touch the job.
    assert not store.renew(engine, dead, W1, LEASE)
    assert not store.finish(engine, dead, W1)
    claimed = store.claim(engine, dead, W2, LEASE)
    assert claimed is not None and claimed.attempts == 2 and claimed.worker == W2


def test_stale_queued_finds_lost_wake_ups(engine: Engine) -> None:
    fresh, stale, later, running = (
        one(engine, new(f"thumbnail:{k}", priority=p))
        for k, p in (("1", 0), ("2", 10), ("3", 0), ("4", 0))
    )
    long_ago = utcnow() - timedelta(minutes=10)
    age(engine, stale, updated_at=long_ago)
    age(engine, later, updated_at=long_ago, run_after=utcnow() + timedelta(minutes=5))
    assert store.claim(engine, running, W1, LEASE) is not None
    age(engine, running, updated_at=long_ago)

    assert store.stale_queued(engine, timedelta(minutes=1)) == [(stale, 10)]
    assert sorted(store.stale_queued(engine, timedelta(0))) == [(fresh, 0), (stale, 10)]


def test_pause_is_a_stored_switch(engine: Engine) -> None:
    assert not store.is_paused(engine)
    store.set_paused(engine, True)
    assert store.is_paused(engine)
    store.set_paused(engine, True)  # idempotent
    assert store.is_paused(engine)
    store.set_paused(engine, False)
    assert not store.is_paused(engine)


def test_depth_counts_pending_and_failed(engine: Engine, tmp_path: Path) -> None:
    ids = [one(engine, new(f"thumbnail:{i}")) for i in range(4)]
    one(engine, NewJob("scan", "scan"))
    assert store.claim(engine, ids[0], W1, LEASE) is not None
    assert store.claim(engine, ids[1], W1, LEASE) is not None
    store.fail(engine, ids[1], W1, "x", max_attempts=1, retry_delay=1)
    assert store.claim(engine, ids[2], W1, LEASE) is not None
    assert store.finish(engine, ids[2], W1)
    assert store.depth(engine) == {
        "thumbnail": {"queued": 1, "running": 1, "failed": 1},
        "scan": {"queued": 1, "running": 0, "failed": 0},
    }
