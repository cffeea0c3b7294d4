"""Running one job: claim it, keep its lease, run its kind, record the outcome.

The same function runs a job in a Huey worker and in the CLI's own process
pool, so `mediashelf thumbs` and a background worker do exactly the same work.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mediashelf.jobs import store
from mediashelf.jobs.kinds import KINDS, Cancelled, JobContext, Permanent

if TYPE_CHECKING:
    from mediashelf.jobs.queue import Jobs

log = logging.getLogger("mediashelf.worker")


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Outcome:
    status: str  # done | failed | retry | cancelled | skipped (not ours to run)
    priority: int = 0
    retry_in: float | None = None


class _Lease(threading.Thread):
    """Renews the job's lease while it runs; notices a cancellation."""

    def __init__(self, ctx: JobContext) -> None:
        super().__init__(daemon=True, name=f"lease-{ctx.job.id}")
        self.ctx = ctx
        self.stop = threading.Event()

    def run(self) -> None:
        period = max(0.5, self.ctx.settings.job_lease_seconds / 3)
        while not self.stop.wait(period):
            try:
                if not self.ctx.renew():
                    self.ctx.cancelled.set()
                    return
            except Exception:
                log.warning("could not renew the lease of job %d", self.ctx.job.id, exc_info=True)


def holder_is_dead(jobs: Jobs, job_id: int) -> bool:
    """Whether the job is held by a process of this machine that no longer exists
    (a killed `mediashelf scan`): no need to wait for its lease to run out."""
    job = store.get(jobs.engine, job_id)
    if job is None or job.status != "running" or not job.worker:
        return False
    host, _, pid = job.worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def start(jobs: Jobs, job_id: int) -> JobContext | None:
    """Claim a job for this process and keep its lease; None if it is not ours to run."""
    me = worker_id()
    limits = jobs.live.get().job_limits
    lease = jobs.settings.job_lease_seconds
    job = store.claim(jobs.engine, job_id, me, lease, limits)
    if job is None and holder_is_dead(jobs, job_id):
        store.expire_leases(jobs.engine, jobs.settings.job_max_attempts, only=job_id)
        job = store.claim(jobs.engine, job_id, me, lease, limits)
    if job is None:
        return None
    ctx = JobContext(jobs, job, me)
    ctx.lease = _Lease(ctx)
    ctx.lease.start()
    return ctx


def end(ctx: JobContext, error: BaseException | None = None, message: str | None = None) -> Outcome:
    """Stop the lease and record how the job ended; a retry is sent to the queue."""
    settings, engine, job = ctx.settings, ctx.engine, ctx.job
    if ctx.lease is not None:
        ctx.lease.stop.set()
        ctx.lease.join()
    if error is None:
        if store.finish(engine, job.id, ctx.worker, message):
            return Outcome("done", job.priority)
        return Outcome("cancelled", job.priority)  # cancelled while it ran
    if isinstance(error, Cancelled):
        log.info("job %d (%s) cancelled", job.id, job.kind)
        return Outcome("cancelled", job.priority)
    permanent = isinstance(error, Permanent)
    text = str(error) if permanent else f"{type(error).__name__}: {error}"
    if not permanent:
        log.warning("job %d (%s) failed: %s", job.id, job.kind, text, exc_info=error)
    delay = store.fail(
        engine,
        job.id,
        ctx.worker,
        text,
        max_attempts=settings.job_max_attempts,
        retry_delay=settings.job_retry_delay,
        permanent=permanent,
    )
    if delay is None:
        log.warning("job %d (%s) given up: %s", job.id, job.kind, text)
        return Outcome("failed", job.priority)
    ctx.jobs.send(job.id, job.priority, delay=delay)  # whoever is free then retries it
    return Outcome("retry", job.priority, delay)


def run_job(jobs: Jobs, job_id: int) -> Outcome:
    """Run one job here, start to end, if it is there to be run."""
    ctx = start(jobs, job_id)
    if ctx is None:
        limits = jobs.live.get().job_limits
        wait = store.limit_wait(jobs.engine, job_id, limits) if limits else None
        if wait is not None:
            # Its kind has all its slots busy (JOB_LIMITS): wake it again later.
            job = store.get(jobs.engine, job_id)
            priority = job.priority if job else 0
            jobs.send(job_id, priority, delay=wait)
            return Outcome("retry", priority, wait)
        return Outcome("skipped")
    started = time.perf_counter()
    kind = KINDS.get(ctx.job.kind)
    try:
        if kind is None:
            raise Permanent(f"unknown job kind {ctx.job.kind!r} (a newer Mediashelf queued it?)")
        message = kind(ctx)
    except Exception as exc:
        return end(ctx, exc)
    log.debug("job %d (%s) ran in %.3f s", job_id, ctx.job.kind, time.perf_counter() - started)
    return end(ctx, None, message)
