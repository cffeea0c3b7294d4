"""Bulk work from the CLI: queue jobs, then run them here on all cores.

`mediashelf thumbs` queues one thumbnail job per image, exactly as a scan or
the API would, and runs them in its own process pool through the same runner
as a background worker. A server's worker may take some of them at the same
time; a claim decides who runs each one. A worker process that dies (a
segfault in a decoder, the OOM killer) costs its jobs one attempt, and the
run goes on in a new pool.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from sqlalchemy import Engine, select

from mediashelf.config import Settings
from mediashelf.db.models import Item, Job
from mediashelf.jobs import store
from mediashelf.jobs.plans import preview_jobs, probe_jobs, thumbnail_jobs, thumbnail_plan
from mediashelf.jobs.queue import Jobs
from mediashelf.jobs.runner import Outcome, holder_is_dead, run_job
from mediashelf.jobs.store import NewJob

log = logging.getLogger("mediashelf.worker")


@dataclass
class ThumbReport:
    made: int = 0
    skipped: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)


def run_thumbnails(
    engine: Engine,
    settings: Settings,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
    kinds: tuple[str, ...] = ("image", "video"),
) -> ThumbReport:
    """Make missing thumbnails here and now (images; videos already probed).
    `progress(done, total)` as they land."""
    jobs = Jobs(settings, engine)
    settings = jobs.live.get()  # with changes made through the API, as the jobs will see
    planned, skipped = thumbnail_plan(engine, settings, force, store.USER, kinds=kinds)
    return _report(jobs, _run_new(jobs, planned, progress), skipped)


def run_videos(
    engine: Engine,
    settings: Settings,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ThumbReport:
    """Probe the videos not probed yet, then make every video's poster thumbnails and
    preview media (sprites, strip, teasers, as the settings ask) here and now."""
    jobs = Jobs(settings, engine)
    settings = jobs.live.get()
    probed = _run_new(jobs, probe_jobs(engine, settings), None)
    planned = thumbnail_jobs(engine, settings, force, store.USER, kinds=("video",))
    planned += preview_jobs(engine, settings, force=force, priority=store.USER)
    outcomes = _run_new(jobs, planned, progress)
    failed_probes = {i: o for i, o in probed.items() if o.status == "failed"}
    return _report(jobs, {**outcomes, **failed_probes}, 0)


def _run_new(
    jobs: Jobs, planned: list[NewJob], progress: Callable[[int, int], None] | None
) -> dict[int, Outcome]:
    return run_here(jobs, [job_id for job_id, _ in jobs.submit(planned)], progress)


def _report(jobs: Jobs, outcomes: dict[int, Outcome], skipped: int) -> ThumbReport:
    report = ThumbReport(skipped=skipped)
    report.made = sum(o.status == "done" for o in outcomes.values())
    failed = [i for i, o in outcomes.items() if o.status == "failed"]
    if failed:
        query = select(Item.rel_path, Job.error).join(Item, Item.id == Job.item_id)
        with jobs.engine.connect() as conn:
            rows = conn.execute(query.where(Job.id.in_(failed))).all()
        report.errors = [(rel, error or "failed") for rel, error in rows]
    return report


# -- the local pool ----------------------------------------------------------------

_local: Jobs | None = None


def _init(settings: Settings) -> None:
    global _local
    from mediashelf.db.engine import make_engine

    _local = Jobs(settings, make_engine(settings.db_url))


def _run_one(job_id: int) -> Outcome:
    assert _local is not None
    return run_job(_local, job_id)


def run_here(
    jobs: Jobs, ids: list[int], progress: Callable[[int, int], None] | None = None
) -> dict[int, Outcome]:
    """Run these jobs in this process's pool until each is done, failed, or someone else's.

    Retries wait out their back-off here.
    """
    settings = jobs.settings
    outcomes: dict[int, Outcome] = {}
    todo = list(ids)
    total = len(ids)
    while todo:
        retries: list[tuple[float, int]] = []
        if settings.workers <= 1 or len(todo) == 1:
            for job_id in todo:
                _note(outcomes, retries, job_id, run_job(jobs, job_id), progress, total)
        else:
            _run_pool(jobs, todo, outcomes, retries, progress, total)
        todo = []
        if retries:
            wake = min(at for at, _ in retries)
            time.sleep(max(0.0, wake - time.monotonic()))
            todo = [job_id for _, job_id in retries]
    return outcomes


def _note(
    outcomes: dict[int, Outcome],
    retries: list[tuple[float, int]],
    job_id: int,
    outcome: Outcome,
    progress: Callable[[int, int], None] | None,
    total: int,
) -> None:
    if outcome.status == "retry" and outcome.retry_in is not None:
        retries.append((time.monotonic() + outcome.retry_in, job_id))
        return
    outcomes[job_id] = outcome
    if progress:
        progress(len(outcomes), total)


def _run_pool(
    jobs: Jobs,
    todo: list[int],
    outcomes: dict[int, Outcome],
    retries: list[tuple[float, int]],
    progress: Callable[[int, int], None] | None,
    total: int,
    solo: bool = False,
) -> None:
    """Run `todo` in a process pool. After a crash, the jobs that were in flight run
    one at a time (`solo`), so only the one that kills its process loses attempts."""
    settings = jobs.settings
    width = 1 if solo else settings.workers
    queue = list(reversed(todo))
    while queue:
        crashed: list[int] = []
        with ProcessPoolExecutor(width, initializer=_init, initargs=(settings,)) as pool:
            running: dict[Future[Outcome], int] = {}
            while queue or running:
                while queue and len(running) < (1 if solo else width * 2):
                    job_id = queue.pop()
                    running[pool.submit(_run_one, job_id)] = job_id
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    job_id = running.pop(future)
                    try:
                        outcome = future.result()
                    except BrokenProcessPool:
                        crashed.append(job_id)
                        continue
                    _note(outcomes, retries, job_id, outcome, progress, total)
                if crashed:
                    crashed.extend(running.values())
                    break
        if not crashed:
            continue
        log.warning("a worker process died; %d jobs in flight lose an attempt", len(crashed))
        again = _after_crash(jobs, crashed)
        for job_id in crashed:
            if job_id not in again:
                _note(outcomes, retries, job_id, Outcome("failed"), progress, total)
        if solo:
            queue.extend(again)
        else:
            _run_pool(jobs, again, outcomes, retries, progress, total, solo=True)


def _after_crash(jobs: Jobs, ids: list[int]) -> list[int]:
    """End the leases of jobs whose process died; those still worth trying, to run again."""
    engine, settings = jobs.engine, jobs.settings
    for job_id in ids:
        # Only ours: a job a server's worker claimed meanwhile is still in good hands.
        if holder_is_dead(jobs, job_id):
            store.expire_leases(engine, settings.job_max_attempts, only=job_id)
    with engine.connect() as conn:
        queued = conn.execute(select(Job.id).where(Job.id.in_(ids), Job.status == "queued"))
        return sorted(queued.scalars())
