"""JOB_LIMITS: at most N jobs of a kind run at once, across all workers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine

from mediashelf.config import Settings
from mediashelf.db.engine import make_engine, upgrade
from mediashelf.jobs import store
from mediashelf.jobs.kinds import JobContext
from mediashelf.jobs.queue import Jobs
from mediashelf.jobs.runner import end, run_job, start
from mediashelf.jobs.store import NewJob
from mediashelf.library import tunables
from tests.conftest import make_settings
from tests.jobs.conftest import Kind, job


def _submit(jobs: Jobs, kind: str, n: int) -> list[int]:
    return [i for i, _ in jobs.submit([NewJob(kind, f"{kind}:{k}") for k in range(n)])]


def test_a_kind_at_its_limit_waits_and_others_run(
    jobs: Jobs, qsettings: Settings, qengine: Engine, kinds: Callable[[str, Kind], None]
) -> None:
    kinds("slow", lambda ctx: "ran")
    kinds("fast", lambda ctx: "ran")
    tunables.change(qengine, qsettings, {"job_limits": {"slow": 1}})
    jobs.live.refresh()
    slow = _submit(jobs, "slow", 3)
    [fast] = _submit(jobs, "fast", 1)

    held = start(jobs, slow[0])  # one slow job running: the kind's only slot
    assert held is not None
    blocked = run_job(jobs, slow[1])
    assert blocked.status == "retry" and blocked.retry_in is not None
    assert blocked.retry_in >= 1.0
    assert job(qengine, slow[1]).status == "queued"  # untouched, woken again later
    assert job(qengine, slow[1]).attempts == 0
    assert run_job(jobs, fast).status == "done"  # other kinds are not held back

    end(held, None, "ran")
    assert run_job(jobs, slow[1]).status == "done"  # the slot is free again


def test_the_wait_grows_with_the_backlog(
    jobs: Jobs, qsettings: Settings, qengine: Engine, kinds: Callable[[str, Kind], None]
) -> None:
    kinds("slow", lambda ctx: "ran")
    limits = {"slow": 2}
    ids = _submit(jobs, "slow", 42)
    holders = [start(jobs, i) for i in ids[:2]]
    assert all(holders)
    # 40 waiting, 2 slots: each waits ~20 s, so the backlog wakes ~2 times a second.
    assert store.limit_wait(qengine, ids[2], limits) == pytest.approx(20.0)
    assert store.limit_wait(qengine, ids[2], {"other": 1}) is None
    for held in holders:  # stop their lease threads: a thread left renewing a lease in
        assert held is not None  # SQLite can hold its lock when a later test forks
        end(held, None, "ran")


def test_limits_hold_under_concurrent_claims(
    jobs: Jobs, qsettings: Settings, qengine: Engine, kinds: Callable[[str, Kind], None]
) -> None:
    running = 0
    most = 0
    lock = threading.Lock()
    gate = threading.Event()

    def slow(ctx: JobContext) -> str:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        gate.wait(2)
        with lock:
            running -= 1
        return "ran"

    kinds("slow", slow)
    tunables.change(qengine, qsettings, {"job_limits": {"slow": 2}})
    jobs.live.refresh()
    ids = _submit(jobs, "slow", 6)
    outcomes: list[str] = []

    def worker(job_id: int) -> None:
        outcomes.append(run_job(jobs, job_id).status)

    threads = [threading.Thread(target=worker, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    time.sleep(0.5)  # the first claims hold their slots while the others try
    gate.set()
    for t in threads:
        t.join(30)
    assert most == 2
    assert sorted(outcomes) == ["done", "done", "retry", "retry", "retry", "retry"]


def test_limits_hold_on_postgresql(
    db_url: str, tmp_path: Path, media: Path, kinds: Callable[[str, Kind], None]
) -> None:
    """Concurrent claims from separate connections: the limit is exact, not best effort."""
    settings = make_settings(tmp_path, media, db_url)
    engine = make_engine(settings.db_url)
    upgrade(engine)
    try:
        ids = [
            i for i, _, _ in store.create(engine, [NewJob("slow", f"slow:{k}") for k in range(8)])
        ]
        barrier = threading.Barrier(len(ids))
        claimed: list[int] = []

        def claim(job_id: int) -> None:
            barrier.wait()
            if store.claim(engine, job_id, f"w{job_id}", 60, {"slow": 3}):
                claimed.append(job_id)

        threads = [threading.Thread(target=claim, args=(i,)) for i in ids]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert len(claimed) == 3
    finally:
        engine.dispose()
