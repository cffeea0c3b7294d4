"""The queue: Huey carries job ids to whichever worker is free.

SQLite storage in DATA_DIR by default (one machine); Redis when REDIS_URL is
set, so `mediashelf worker` on any number of machines shares the work. The
task code is the same either way. The jobs table (jobs/store.py) is the
truth: a message is only a wake-up, so a lost one is re-sent by the
maintenance loop and a repeated one finds its job already claimed.
"""

from __future__ import annotations

import logging
import struct
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from huey import Huey, PriorityRedisHuey, SqliteHuey
from huey.consumer import Consumer
from huey.storage import RedisPriorityQueue, SqliteStorage
from sqlalchemy import Engine, func, select

from mediashelf.config import Settings
from mediashelf.db.models import Root
from mediashelf.jobs import store
from mediashelf.jobs.store import NewJob
from mediashelf.library import backup, events
from mediashelf.library.cache import remove_leftovers
from mediashelf.library.clock import utcnow
from mediashelf.library.tunables import LiveSettings

log = logging.getLogger("mediashelf.worker")

PAUSE_CHECK_S = 1.0
POLL_MAX_S = 1.0  # longest an idle worker sleeps between polls of a SQLite queue


def make_huey(settings: Settings, name: str = "mediashelf") -> Huey:
    if settings.redis_url:
        return PriorityRedisHuey(name, url=settings.redis_url, results=False, utc=True)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(
        name, filename=str(settings.data_dir / "queue.db"), results=False, utc=True, timeout=10
    )


class Jobs:
    """Submit jobs and run them: the one door to background work for web, CLI and workers."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        name: str = "mediashelf",
        live: LiveSettings | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        # The settings with changes made through the API (the web app shares its own).
        self.live = live or LiveSettings(engine, settings)
        self.huey = make_huey(settings, name)
        self._task = self.huey.task(name="mediashelf.run_job")(self._execute)
        self.huey.on_startup("mediashelf.fork")(self._after_fork)
        # Soft pause: workers take no new message while paused; running jobs finish.
        self._dequeue: Callable[[], Any] = self.huey.dequeue
        self.huey.dequeue = self._dequeue_unless_paused  # type: ignore[method-assign]
        self._paused_at = (0.0, False)

    def submit(self, jobs: list[NewJob]) -> list[tuple[int, bool]]:
        """Queue jobs (deduplicated against pending ones); (job id, created) for each."""
        made = store.create(self.engine, jobs)
        self.send_many([(job_id, prio) for job_id, _, prio in made if prio is not None])
        return [(job_id, created) for job_id, created, _ in made]

    def send(self, job_id: int, priority: int, delay: float | None = None) -> None:
        if delay:
            self._task.schedule(args=(job_id,), delay=delay, priority=priority)
        else:
            self.huey.enqueue(self._task.s(job_id, priority=priority))

    def send_many(self, jobs: list[tuple[int, int]]) -> None:
        """Send (job id, priority) wake-ups in bulk.

        One message at a time costs about a millisecond on SQLite storage, which
        is minutes for a 100k-file library's first scan; written in one
        transaction (SQLite) or one pipeline (Redis) it is a fraction of a
        second. Both write exactly what Huey's own `enqueue` would.
        """
        if len(jobs) < 2:
            for job_id, priority in jobs:
                self.send(job_id, priority)
            return
        storage = self.huey.storage
        data = [
            (self.huey.serialize_task(self._task.s(job_id, priority=priority)), priority)
            for job_id, priority in jobs
        ]
        if isinstance(storage, SqliteStorage):
            rows = [(storage.name, storage.to_blob(msg), prio) for msg, prio in data]
            with storage.db(commit=True) as cursor:
                cursor.executemany(
                    "insert into task (queue, data, priority) values (?, ?, ?)", rows
                )
        elif isinstance(storage, RedisPriorityQueue):
            first = int(time.time() * 1e6)  # Huey's FIFO prefix within one priority
            pipe = storage.conn.pipeline(transaction=False)
            for n, (msg, prio) in enumerate(data):
                pipe.zadd(storage.queue_key, {struct.pack(">Q", first + n) + msg: -prio})
            pipe.execute()
        else:  # pragma: no cover - only the two storages above are configured
            for msg, prio in data:
                storage.enqueue(msg, prio)

    def resend(self, jobs: list[tuple[int, int]]) -> None:
        self.send_many(jobs)

    def maintain(self) -> None:
        """Requeue jobs whose worker died; re-send lost wake-ups; prune old events."""
        s = self.settings
        # A wake-up is known lost only once the queue has run dry: while messages
        # wait, a queued job's own is likely among them, and re-sending a whole
        # backlog every round would flood the queue with repeats.
        dry = self.huey.pending_count() == 0
        self.resend(store.expire_leases(self.engine, s.job_max_attempts))
        if dry:
            lost = store.stale_queued(self.engine, timedelta(seconds=s.job_lease_seconds))
            self.resend(lost)
        events.prune(self.engine)
        self._rescan_if_due()
        if backup.due(self.engine, self.settings):  # the nightly backup
            self.submit([NewJob("backup", "backup")])

    def _rescan_if_due(self) -> None:
        """The safety-net rescan when no watcher runs (WATCH=false); the watcher runs its own."""
        live = self.live.get()
        if live.watch or not live.rescan_interval:
            return
        with self.engine.connect() as conn:
            oldest = conn.execute(
                select(func.min(func.coalesce(Root.last_scan_at, datetime(1970, 1, 1)))).where(
                    Root.path.in_(live.root_paths)
                )
            ).scalar()
        if oldest is None or utcnow() - oldest >= timedelta(seconds=live.rescan_interval):
            from mediashelf.jobs.kinds import scan_job  # kinds imports this module's users

            self.submit([scan_job()])

    def consumer(self, workers: int) -> Consumer:
        # An idle worker polls a non-blocking storage (SQLite) with a back-off; Huey's
        # default grows it to 10 s, which a job submitted to an idle worker then waits.
        # A poll is one cheap SELECT: cap the wait at a second.
        return _Consumer(
            self,
            self.huey,
            workers=workers,
            worker_type="process",
            periodic=True,
            max_delay=POLL_MAX_S,
        )

    def _execute(self, job_id: int) -> None:
        from mediashelf.jobs.runner import run_job  # the runner imports the job kinds

        run_job(self, job_id)  # a retry is sent by the runner

    def _after_fork(self) -> None:
        self.engine.dispose(close=False)  # never share the parent's connections

    def _dequeue_unless_paused(self) -> Any:
        checked, paused = self._paused_at
        if time.monotonic() - checked > PAUSE_CHECK_S:
            paused = store.is_paused(self.engine)
            self._paused_at = (time.monotonic(), paused)
        if not paused:
            return self._dequeue()
        if self.huey.storage.blocking:
            # Huey's worker polls a blocking storage (Redis) without sleeping, as its
            # dequeue waits for a message; wait here as it would, or the worker spins.
            time.sleep(PAUSE_CHECK_S)
        return None


class _Consumer(Consumer):  # type: ignore[misc]
    """Huey's consumer, plus the maintenance loop in its main process."""

    def __init__(self, jobs: Jobs, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._jobs = jobs
        self._interval = max(1.0, jobs.settings.job_lease_seconds / 2)
        self._next = 0.0
        removed = remove_leftovers(jobs.settings.cache_dir)  # what killed workers left
        if removed:
            log.info("removed %d temporary files left by stopped workers", removed)

    def loop(self, health_check_ts: float | None = None) -> Any:
        now = time.monotonic()
        if now >= self._next:
            self._next = now + self._interval
            try:
                self._jobs.maintain()
            except Exception:
                log.exception("job maintenance failed; trying again in %.0f s", self._interval)
        return super().loop(health_check_ts)
