"""Bulk wake-ups: what send_many writes must read back as Huey's own messages, in order."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine

from mediashelf.config import Settings
from mediashelf.jobs.queue import Jobs
from mediashelf.jobs.store import USER, NewJob

REDIS_URL = os.environ.get("MEDIASHELF_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(params=["sqlite", "redis"])
def jobs(request: pytest.FixtureRequest, settings: Settings, engine: Engine) -> Iterator[Jobs]:
    if request.param == "redis":
        try:
            redis.Redis.from_url(REDIS_URL).ping()
        except redis.RedisError as exc:
            if os.environ.get("MEDIASHELF_REQUIRE_REDIS") == "1":
                pytest.fail(f"Redis at {REDIS_URL} is required: {exc}")
            pytest.skip(f"Redis not reachable at {REDIS_URL}")
        settings = settings.model_copy(update={"redis_url": REDIS_URL})
    q = Jobs(settings, engine, name=f"test-{uuid.uuid4().hex[:8]}")
    yield q
    q.huey.flush()


def _job_ids(jobs: Jobs) -> list[int]:
    out = []
    while (task := jobs.huey.dequeue()) is not None:
        out.append(task.args[0])
    return out


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_bulk_messages_come_out_by_priority_then_in_order(jobs: Jobs, tmp_path: Path) -> None:
    background = jobs.submit(
        [NewJob("thumbnail", f"thumbnail:{n:032x}", "item", item_id=n) for n in range(300)]
    )
    urgent = jobs.submit([NewJob("scan", "scan", priority=USER)])
    assert jobs.huey.pending_count() == 301
    order = _job_ids(jobs)
    assert order[0] == urgent[0][0]
    assert order[1:] == [job_id for job_id, _ in background]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_raised_priority_is_sent_again(jobs: Jobs) -> None:
    [(first, created)] = jobs.submit([NewJob("hash", "hash:1", "item", item_id=1, priority=-10)])
    jobs.submit([NewJob("hash", f"hash:{n}", "item", item_id=n) for n in range(2, 40)])
    [(again, created_again)] = jobs.submit(
        [NewJob("hash", "hash:1", "item", item_id=1, priority=USER)]
    )
    assert (again, created, created_again) == (first, True, False)
    assert _job_ids(jobs)[0] == first  # the raised copy jumps the queue
