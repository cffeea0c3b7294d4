"""Fixtures for the job engine: a queue of each storage, test job kinds, and a
hand-cranked worker that runs messages in this process through Huey's own
dequeue/execute, so a test sees each step.

The queue is Huey's SQLite storage (in the test's DATA_DIR) or Redis, from
MEDIASHELF_TEST_REDIS_URL (default: database 15 of the local server). Each
Redis test gets its own queue name, whose keys are deleted afterwards. If
Redis cannot be reached, the Redis cases are skipped, unless
MEDIASHELF_REQUIRE_REDIS=1 (as in CI), where they fail.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import Engine, update

from mediashelf.config import Settings
from mediashelf.db.engine import make_engine, upgrade
from mediashelf.db.models import Job
from mediashelf.jobs import store
from mediashelf.jobs.kinds import KINDS, JobContext
from mediashelf.jobs.queue import Jobs
from mediashelf.library.scan import scan
from tests import factory
from tests.conftest import make_settings

REDIS_URL = os.environ.get("MEDIASHELF_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REQUIRE_REDIS = os.environ.get("MEDIASHELF_REQUIRE_REDIS") == "1"


def redis_url_or_skip() -> str:
    """The test Redis URL; skips (or fails, when required) if nothing answers there."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        if REQUIRE_REDIS:
            pytest.fail(f"Redis at {REDIS_URL} is required (MEDIASHELF_REQUIRE_REDIS=1): {exc}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}")
    finally:
        client.close()
    return REDIS_URL


def flush_redis_queue(url: str, name: str) -> None:
    """Delete every key of Huey queue `name` (queue, schedule, results, locks)."""
    client = redis.Redis.from_url(url)
    try:
        keys = [k for k in client.scan_iter(match=f"huey.*{name}*", count=1000)]
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(params=["sqlite", "redis"])
def queue_url(request: pytest.FixtureRequest) -> str:
    """REDIS_URL for the queue: empty (Huey's SQLite storage in DATA_DIR) or Redis."""
    return redis_url_or_skip() if request.param == "redis" else ""


@pytest.fixture
def qsettings(tmp_path: Path, media: Path, queue_url: str) -> Settings:
    """Settings for queue tests: a SQLite database, the parametrised queue, short
    leases and back-offs."""
    return make_settings(
        tmp_path,
        media,
        f"sqlite:///{tmp_path / 'data' / 'mediashelf.db'}",
        redis_url=queue_url,
        job_lease_seconds=2,
        job_retry_delay=0.2,
        job_max_attempts=3,
    )


@pytest.fixture
def qengine(qsettings: Settings) -> Iterator[Engine]:
    eng = make_engine(qsettings.db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def jobs(qsettings: Settings, qengine: Engine) -> Iterator[Jobs]:
    """A Jobs facade on a queue of its own."""
    name = f"mstest_{uuid.uuid4().hex[:12]}"
    j = Jobs(qsettings, qengine, name=name)
    yield j
    j.huey.storage.close()
    if qsettings.redis_url:
        flush_redis_queue(qsettings.redis_url, name)


Kind = Callable[[JobContext], str]


@pytest.fixture
def kinds() -> Iterator[Callable[[str, Kind], None]]:
    """Register job kinds for one test (KINDS is the runner's own table)."""
    added: list[str] = []

    def register(name: str, fn: Kind) -> None:
        assert name not in KINDS
        KINDS[name] = fn
        added.append(name)

    yield register
    for name in added:
        KINDS.pop(name, None)


# -- driving the queue by hand ---------------------------------------------------


def pump(jobs: Jobs) -> bool:
    """One turn of a Huey worker and its scheduler: move due retries to the queue,
    then take one message and run it. False: there was nothing to run."""
    for task in jobs.huey.read_schedule():
        jobs.huey.enqueue(task)
    task = jobs.huey.dequeue()
    if task is None:
        return False
    jobs.huey.execute(task)
    return True


def work(jobs: Jobs, until: Callable[[], bool], timeout: float = 30) -> None:
    """Run messages here until `until()` holds."""
    deadline = time.monotonic() + timeout
    while not until():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s")
        if not pump(jobs):
            time.sleep(0.02)


def wait_for(check: Callable[[], Any], timeout: float = 30, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or check}")
        time.sleep(0.05)


def job(engine: Engine, job_id: int) -> Job:
    row = store.get(engine, job_id)
    assert row is not None
    return row


def statuses(engine: Engine, ids: list[int]) -> list[str]:
    return [job(engine, i).status for i in ids]


def age(engine: Engine, job_id: int, **values: Any) -> None:
    """Set columns of a job directly (an expired lease, a message sent long ago)."""
    with engine.begin() as conn:
        conn.execute(update(Job).where(Job.id == job_id).values(**values))


def library(settings: Settings, engine: Engine, n: int, size: tuple[int, int] = (640, 480)) -> None:
    """`n` distinct JPEGs in the first root, scanned."""
    for i in range(n):
        factory.jpeg(settings.media_dir[0] / f"img{i:03d}.jpg", size, seed=i + 1)
    report = scan(engine, settings)
    assert report.new == n and not report.errors
