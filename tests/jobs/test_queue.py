"""Jobs through the queue (jobs/queue.py, jobs/runner.py), on Huey's SQLite storage
and on Redis: messages are taken and run here, one at a time, by Huey's own
dequeue and execute (tests/jobs/conftest.py: pump), so each step can be seen.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import Engine, func, select

from mediashelf.config import Settings
from mediashelf.db.models import Derived, Item, Job
from mediashelf.jobs import queue as queue_module
from mediashelf.jobs import store
from mediashelf.jobs.kinds import JobContext, Permanent, quarantined, thumbnail_jobs
from mediashelf.jobs.queue import Jobs
from mediashelf.jobs.runner import run_job, worker_id
from mediashelf.jobs.store import BACKGROUND, USER, NewJob
from mediashelf.library.clock import utcnow
from tests.jobs.conftest import Kind, age, job, library, pump, statuses, wait_for, work

pytestmark = pytest.mark.timeout(60)

Register = Callable[[str, Kind], None]


def thumbnails_of(settings: Settings, engine: Engine) -> dict[str, list[Path]]:
    """fingerprint -> the thumbnail files its settings ask for."""
    from mediashelf.library.thumbs import task_for

    with engine.connect() as conn:
        fps = conn.execute(select(Item.fingerprint).where(Item.kind == "image")).scalars()
        return {fp: [dst for _, dst in task_for(settings, fp, "").targets] for fp in fps if fp}


def whole(path: Path) -> bool:
    with Image.open(path) as img:
        img.load()
    return True


def message_ids(jobs: Jobs) -> list[int]:
    """The job ids of the queued messages, in the order workers would take them."""
    out = []
    while (task := jobs.huey.dequeue()) is not None:
        out.append(task.args[0])
    return out


def test_a_thumbnail_job_runs_and_is_recorded(
    jobs: Jobs, qsettings: Settings, qengine: Engine
) -> None:
    library(qsettings, qengine, 3)
    before = utcnow()
    submitted = jobs.submit(thumbnail_jobs(qengine, qsettings))
    assert len(submitted) == 3 and all(created for _, created in submitted)
    ids = [job_id for job_id, _ in submitted]
    assert statuses(qengine, ids) == ["queued"] * 3
    assert jobs.huey.pending_count() == 3

    work(jobs, lambda: statuses(qengine, ids) == ["done"] * 3)

    assert jobs.huey.pending_count() == 0
    for job_id in ids:
        row = job(qengine, job_id)
        assert (row.progress, row.attempts, row.worker) == (1.0, 1, worker_id())
        assert (row.error, row.lease_until) == (None, None)
        assert row.message == "made 3 thumbnails"
        assert row.started_at is not None and row.finished_at is not None
        assert before <= row.started_at <= row.finished_at
    files = thumbnails_of(qsettings, qengine)
    assert len(files) == 3
    for paths in files.values():
        assert all(whole(p) for p in paths)
    with qengine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Derived)).scalar_one() == 9
    # Nothing left to plan: the thumbnails exist.
    assert thumbnail_jobs(qengine, qsettings) == []


def test_transient_failures_retry_with_backoff_then_quarantine(
    jobs: Jobs, qsettings: Settings, qengine: Engine
) -> None:
    """A thumbnail job that cannot write (its cache folder is a file) fails with
    OSError: retried after job_retry_delay, then twice that, then given up; bulk
    planning leaves the image alone until it is retried by hand."""
    library(qsettings, qengine, 1)
    qsettings.cache_dir.write_text("not a folder")
    [(job_id, _)] = jobs.submit(thumbnail_jobs(qengine, qsettings))

    expected = [0.2, 0.4]  # job_retry_delay * 2 ** (attempts - 1)
    for attempt, delay in enumerate(expected, start=1):
        work(jobs, lambda a=attempt: job(qengine, job_id).attempts == a)
        row = wait_for(lambda: (r := job(qengine, job_id)).status == "queued" and r)
        assert row.error is not None and row.error.startswith(("FileExistsError", "NotADirectory"))
        assert row.run_after is not None
        waited = (row.run_after - row.updated_at).total_seconds()
        assert abs(waited - delay) < 0.1, (attempt, waited)
        # One wake-up, for when the back-off is over (Huey queues it with an ETA;
        # a worker moves it to the schedule, the scheduler back when it is due).
        [retry] = [*jobs.huey.pending(), *jobs.huey.scheduled()]
        assert retry.args == (job_id,) and retry.eta is not None
        assert abs((retry.eta - row.run_after).total_seconds()) < 1

    work(jobs, lambda: job(qengine, job_id).status == "failed")
    row = job(qengine, job_id)
    assert row.attempts == 3
    assert jobs.huey.scheduled_count() == 0 and jobs.huey.pending_count() == 0
    # Quarantined: bulk planning skips it (unless forced).
    assert quarantined(qengine, "thumbnail") == {row.dedupe_key}
    assert thumbnail_jobs(qengine, qsettings) == []
    assert len(thumbnail_jobs(qengine, qsettings, force=True)) == 1

    # Fixed, then retried by hand: queued again with its attempts reset, and made.
    qsettings.cache_dir.unlink()
    jobs.resend(store.retry(qengine, Job.id == job_id))
    work(jobs, lambda: job(qengine, job_id).status == "done")
    row = job(qengine, job_id)
    assert (row.attempts, row.error) == (1, None)
    assert quarantined(qengine, "thumbnail") == frozenset()
    assert all(whole(p) for paths in thumbnails_of(qsettings, qengine).values() for p in paths)


def test_a_permanent_failure_is_not_retried(
    jobs: Jobs, qsettings: Settings, qengine: Engine, kinds: Register
) -> None:
    library(qsettings, qengine, 2)
    # One image is no longer an image (it changed after the scan).
    broken = qsettings.media_dir[0] / "img000.jpg"
    broken.write_bytes(b"<html>oops</html>")
    calls: list[int] = []

    def refuses(ctx: JobContext) -> str:
        calls.append(ctx.job.attempts)
        raise Permanent("no use trying again")

    kinds("refuses", refuses)
    submitted = jobs.submit(
        [*thumbnail_jobs(qengine, qsettings), NewJob("refuses", "refuses:1"), NewJob("gone", "g")]
    )
    ids = [job_id for job_id, _ in submitted]
    work(jobs, lambda: "queued" not in statuses(qengine, ids) and jobs.huey.pending_count() == 0)

    rows = {job(qengine, i).dedupe_key: job(qengine, i) for i in ids}
    with qengine.connect() as conn:
        fp = conn.execute(select(Item.fingerprint).where(Item.rel_path == "img000.jpg")).scalar()
    bad = rows[f"thumbnail:{fp}"]
    assert (bad.status, bad.attempts) == ("failed", 1)
    assert bad.error is not None and "cannot decode" in bad.error
    assert (rows["refuses:1"].status, rows["refuses:1"].attempts) == ("failed", 1)
    assert rows["refuses:1"].error == "no use trying again"
    assert calls == [1]
    unknown = rows["g"]  # a kind this version does not know
    assert (unknown.status, unknown.attempts) == ("failed", 1)
    assert unknown.error is not None and "unknown job kind" in unknown.error
    good = [r for k, r in rows.items() if k.startswith("thumbnail:") and r is not bad]
    assert [r.status for r in good] == ["done"]
    assert jobs.huey.scheduled_count() == 0


def test_the_same_work_is_queued_once(jobs: Jobs, kinds: Register) -> None:
    runs: list[int] = []

    def count(ctx: JobContext) -> str:
        runs.append(ctx.job.id)
        return "counted"

    kinds("count", count)
    [(first, created)] = jobs.submit([NewJob("count", "count:x")])
    assert created
    [(second, created)] = jobs.submit([NewJob("count", "count:x")])
    assert (second, created) == (first, False)
    assert jobs.huey.pending_count() == 1  # one message

    work(jobs, lambda: job(jobs.engine, first).status == "done")
    assert runs == [first]

    # Done: the same work can be asked for again, as a new job.
    [(third, created)] = jobs.submit([NewJob("count", "count:x")])
    assert created and third != first
    work(jobs, lambda: job(jobs.engine, third).status == "done")
    assert runs == [first, third]


def test_user_jobs_go_before_background_ones(jobs: Jobs) -> None:
    background = [
        job_id
        for job_id, _ in jobs.submit(
            [NewJob("noop", f"bg:{i}", priority=BACKGROUND) for i in range(5)]
        )
    ]
    [(user, _)] = jobs.submit([NewJob("noop", "user:1", priority=USER)])
    [(raised, created)] = jobs.submit([NewJob("noop", "bg:3", priority=USER)])  # asked again, now
    assert (raised, created) == (background[3], False)

    order = message_ids(jobs)
    # The USER ones first (in the order sent), then the rest in order; the raised
    # job's old message is still there, a repeat its claim will find taken.
    assert order[:2] == [user, background[3]]
    assert order[2:] == background


def test_cancelling_a_queued_job_means_it_never_runs(jobs: Jobs, kinds: Register) -> None:
    runs: list[int] = []
    kinds("count", lambda ctx: runs.append(ctx.job.id) or "ran")
    [(job_id, _)] = jobs.submit([NewJob("count", "count:1")])
    assert store.cancel(jobs.engine, job_id)

    assert pump(jobs)  # its message is taken, and finds nothing to run
    assert not pump(jobs)
    assert runs == []
    row = job(jobs.engine, job_id)
    assert (row.status, row.attempts, row.worker) == ("cancelled", 0, None)
    assert run_job(jobs, job_id).status == "skipped"


def test_cancelling_a_running_job_stops_it(jobs: Jobs, kinds: Register) -> None:
    steps: list[int] = []

    def long(ctx: JobContext) -> str:
        for i in range(600):  # 30 s, unless it is stopped
            ctx.progress(i / 600, f"step {i}")
            steps.append(i)
            time.sleep(0.05)
        return "finished"

    kinds("long", long)
    [(job_id, _)] = jobs.submit([NewJob("long", "long:1")])
    task = jobs.huey.dequeue()
    assert task is not None
    runner = threading.Thread(target=jobs.huey.execute, args=(task,))
    runner.start()
    # Running, and its progress reaches the table.
    wait_for(lambda: job(jobs.engine, job_id).progress > 0, what="progress")
    assert job(jobs.engine, job_id).status == "running"

    assert store.cancel(jobs.engine, job_id)
    runner.join(timeout=30)
    assert not runner.is_alive()
    assert len(steps) < 600
    row = job(jobs.engine, job_id)
    assert (row.status, row.attempts) == ("cancelled", 1)
    assert jobs.huey.scheduled_count() == 0 and jobs.huey.pending_count() == 0


def test_soft_pause(jobs: Jobs, kinds: Register) -> None:
    """Paused: workers take no new message (their running jobs finish); resumed:
    the queue runs on."""
    release = threading.Event()
    runs: list[str] = []

    def held(ctx: JobContext) -> str:
        release.wait(30)
        runs.append(ctx.job.dedupe_key)
        return "released"

    kinds("held", held)
    kinds("quick", lambda ctx: runs.append(ctx.job.dedupe_key) or "quick")
    [(running, _)] = jobs.submit([NewJob("held", "held:1")])
    task = jobs.huey.dequeue()
    assert task is not None
    runner = threading.Thread(target=jobs.huey.execute, args=(task,))
    runner.start()
    wait_for(lambda: job(jobs.engine, running).status == "running")

    store.set_paused(jobs.engine, True)
    [(later, _)] = jobs.submit([NewJob("quick", "quick:1")])
    # This process checked less than a second ago that the queue was not paused;
    # within a second it knows, and from then on takes nothing.
    time.sleep(queue_module.PAUSE_CHECK_S + 0.1)
    for _ in range(2):  # (on Redis, each waits a second, as a blocking read would)
        assert jobs.huey.dequeue() is None
    assert jobs.huey.pending_count() == 1

    # The running job is not stopped by the pause.
    release.set()
    runner.join(timeout=30)
    assert job(jobs.engine, running).status == "done"
    assert job(jobs.engine, later).status == "queued"
    assert runs == ["held:1"]

    store.set_paused(jobs.engine, False)
    work(jobs, lambda: job(jobs.engine, later).status == "done", timeout=10)
    assert runs == ["held:1", "quick:1"]


def test_maintenance_resends_lost_wake_ups_and_requeues_dead_workers_jobs(
    jobs: Jobs, kinds: Register
) -> None:
    ran: list[tuple[int, int]] = []
    kinds("count", lambda ctx: ran.append((ctx.job.id, ctx.job.attempts)) or "ok")
    [(lost, _), (orphan, _), (fresh, _)] = jobs.submit(
        [NewJob("count", "lost"), NewJob("count", "orphan", priority=USER), NewJob("count", "f")]
    )
    # Every message is lost (a flushed queue): `lost` has waited long enough to be
    # re-sent, `fresh` not yet. `orphan` was claimed by a worker that died.
    jobs.huey.flush()
    long_ago = utcnow() - timedelta(minutes=5)
    age(jobs.engine, lost, updated_at=long_ago)
    assert store.claim(jobs.engine, orphan, "elsewhere:1", 2) is not None
    age(jobs.engine, orphan, lease_until=utcnow() - timedelta(seconds=1))

    jobs.maintain()
    assert [t.args[0] for t in jobs.huey.pending()] == [orphan, lost]  # USER first
    row = job(jobs.engine, orphan)
    assert (row.status, row.attempts, row.lease_until) == ("queued", 1, None)
    work(jobs, lambda: statuses(jobs.engine, [lost, orphan]) == ["done", "done"])
    assert sorted(ran) == sorted([(lost, 1), (orphan, 2)])
    assert job(jobs.engine, fresh).status == "queued"
    assert job(jobs.engine, orphan).worker == worker_id()


def test_a_repeated_message_runs_its_job_once(jobs: Jobs, kinds: Register) -> None:
    ran: list[int] = []
    kinds("count", lambda ctx: ran.append(ctx.job.id) or "ok")
    [(job_id, _)] = jobs.submit([NewJob("count", "c")])
    jobs.send(job_id, BACKGROUND)
    jobs.send(job_id, USER)
    work(jobs, lambda: jobs.huey.pending_count() == 0 and job(jobs.engine, job_id).status == "done")
    assert ran == [job_id]


def test_a_waiting_backlog_is_not_sent_again(jobs: Jobs) -> None:
    """Maintenance re-sends wake-ups only once the queue has run dry: a backlog that
    has waited longer than a lease is not sent again (and again) every round."""
    ids = [job_id for job_id, _ in jobs.submit([NewJob("count", f"b{i}") for i in range(20)])]
    for job_id in ids:
        age(jobs.engine, job_id, updated_at=utcnow() - timedelta(minutes=10))
    for _ in range(3):
        jobs.maintain()
    assert jobs.huey.pending_count() == 20

    jobs.huey.flush()  # every message lost (a Redis restarted without its data, say)
    jobs.maintain()
    assert sorted(t.args[0] for t in jobs.huey.pending()) == sorted(ids)
    jobs.maintain()
    assert jobs.huey.pending_count() == 20
