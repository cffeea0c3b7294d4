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


def run_job(jobs: Jobs, job_id: int) -> Outcome:
    settings, engine = jobs.settings, jobs.engine
    me = worker_id()
    job = store.claim(engine, job_id, me, settings.job_lease_seconds)
    if job is None:
        return Outcome("skipped")
    kind = KINDS.get(job.kind)
    ctx = JobContext(jobs, job, me)
    lease = _Lease(ctx)
    lease.start()
    started = time.perf_counter()
    try:
        if kind is None:
            raise Permanent(f"unknown job kind {job.kind!r} (a newer Mediashelf queued it?)")
        message = kind(ctx)
    except Cancelled:
        log.info("job %d (%s) cancelled", job.id, job.kind)
        return Outcome("cancelled", job.priority)
    except Exception as exc:
        permanent = isinstance(exc, Permanent)
        error = str(exc) if permanent else f"{type(exc).__name__}: {exc}"
        if not permanent:
            log.warning("job %d (%s) failed: %s", job.id, job.kind, error, exc_info=True)
        delay = store.fail(
            engine,
            job.id,
            me,
            error,
            max_attempts=settings.job_max_attempts,
            retry_delay=settings.job_retry_delay,
            permanent=permanent,
        )
        if delay is None:
            log.warning("job %d (%s) given up: %s", job.id, job.kind, error)
            return Outcome("failed", job.priority)
        return Outcome("retry", job.priority, delay)
    finally:
        lease.stop.set()
        lease.join()
    store.finish(engine, job.id, me, message)
    log.debug("job %d (%s) done in %.3f s", job.id, job.kind, time.perf_counter() - started)
    return Outcome("done", job.priority)
