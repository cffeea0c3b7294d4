"""Workers as they run in production: `mediashelf worker` processes (Huey's consumer,
process workers) on SQLite or Redis queues, killed with SIGKILL mid-job, two of
them sharing one Redis queue; and the crash-tolerant pool of `mediashelf thumbs`.

The images are big (12 MP) so that a job takes long enough to be caught running.
"""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import Engine, func, select

from mediashelf.config import Settings
from mediashelf.db.engine import make_engine, upgrade
from mediashelf.db.models import Derived, Event, Job
from mediashelf.jobs import store
from mediashelf.jobs.batch import run_here
from mediashelf.jobs.kinds import JobContext, thumbnail_jobs
from mediashelf.jobs.queue import Jobs
from mediashelf.jobs.store import NewJob
from mediashelf.library.scan import scan
from tests.conftest import fresh_pg_database, make_settings
from tests.jobs.conftest import Kind, flush_redis_queue, job, redis_url_or_skip, wait_for

BIG = (4000, 3000)
N_BIG = 30


@pytest.fixture(scope="session")
def big_jpegs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """30 distinct 12 MP JPEGs of noise (~150 ms each to thumbnail): one picture,
    each copy with its own JPEG comment, so its own fingerprint."""
    folder = tmp_path_factory.mktemp("big")
    w, h = BIG
    img = Image.merge("RGB", [Image.effect_noise((w // 4, h // 4), 50 + 10 * c) for c in range(3)])
    buf = io.BytesIO()
    img.resize(BIG, Image.Resampling.BILINEAR).save(buf, "JPEG", quality=90)
    data = buf.getvalue()
    out = []
    for i in range(N_BIG):
        text = f"copy {i}".encode()
        path = folder / f"big{i:02d}.jpg"
        path.write_bytes(b"\xff\xd8\xff\xfe" + struct.pack(">H", len(text) + 2) + text + data[2:])
        out.append(path)
    return out


def big_library(settings: Settings, engine: Engine, images: list[Path]) -> None:
    for src in images:
        os.link(src, settings.media_dir[0] / src.name)
    report = scan(engine, settings)
    assert report.new == len(images) and not report.errors


def env_of(settings: Settings) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "MEDIA_DIR": str(settings.media_dir[0]),
        "DATA_DIR": str(settings.data_dir),
        "CACHE_DIR": str(settings.cache_dir),
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "JOB_LEASE_SECONDS": str(settings.job_lease_seconds),
        "WORKERS": "2",
        "LOG_LEVEL": "warning",
    }


def group_pids(pgid: int) -> set[int]:
    """Live (not zombie) processes of a process group."""
    out = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            out.add(int(entry))
    return out


def cpu_seconds(pids: set[int]) -> float:
    """User + system CPU seconds of these processes so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


@contextmanager
def worker(settings: Settings, log: Path, processes: int = 2) -> Iterator[subprocess.Popen[bytes]]:
    """`mediashelf worker` in a process group of its own, killed (-9) at the end."""
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mediashelf", "worker", "-w", str(processes)],
            env=env_of(settings),
            cwd=settings.data_dir.parent,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield proc
    finally:
        kill_group(proc)


def kill_group(proc: subprocess.Popen[bytes]) -> set[int]:
    """SIGKILL the worker and every process it forked; the pids that were killed."""
    pids = group_pids(proc.pid)
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    wait_for(lambda: not group_pids(proc.pid), timeout=30, what="the killed group to go")
    return pids


def started(proc: subprocess.Popen[bytes], log: Path, workers: int) -> bool:
    """Whether the consumer has forked its scheduler and workers."""
    if proc.poll() is not None:
        raise AssertionError(f"the worker exited ({proc.returncode}):\n{log.read_text()}")
    return len(group_pids(proc.pid)) >= 2 + workers


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(select(Job.status, func.count()).group_by(Job.status)).all()
    return {status: n for status, n in rows}


def thumbnail_files(settings: Settings) -> tuple[list[Path], list[Path]]:
    """(thumbnails at their final names, temporary files) under the cache."""
    files = [p for p in settings.cache_dir.rglob("*") if p.is_file()]
    return [p for p in files if not p.name.endswith(".tmp")], [
        p for p in files if p.name.endswith(".tmp")
    ]


def opens_whole(path: Path) -> bool:
    try:
        with Image.open(path) as img:
            img.load()
    except Exception:
        return False
    return True


@pytest.fixture
def wsettings(tmp_path: Path, media: Path, queue_url: str) -> Iterator[Settings]:
    """Settings shared with the worker processes (Huey's default queue name: the CLI's)."""
    settings = make_settings(
        tmp_path,
        media,
        f"sqlite:///{tmp_path / 'data' / 'mediashelf.db'}",
        redis_url=queue_url,
        job_lease_seconds=2,
    )
    if queue_url:
        flush_redis_queue(queue_url, "mediashelf")
    yield settings
    if queue_url:
        flush_redis_queue(queue_url, "mediashelf")


@pytest.fixture
def wengine(wsettings: Settings) -> Iterator[Engine]:
    eng = make_engine(wsettings.db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.mark.slow
@pytest.mark.timeout(150)
def test_a_worker_killed_mid_job_leaves_no_broken_thumbnail_and_its_jobs_run_again(
    wsettings: Settings, wengine: Engine, big_jpegs: list[Path], tmp_path: Path
) -> None:
    big_library(wsettings, wengine, big_jpegs)
    jobs = Jobs(wsettings, wengine)
    ids = [job_id for job_id, _ in jobs.submit(thumbnail_jobs(wengine, wsettings))]
    assert len(ids) == N_BIG
    log = tmp_path / "worker.log"

    killed: set[int] = set()
    caught: list[Job] = []
    for _ in range(3):  # in the rare case the kill fell between two jobs, again
        with worker(wsettings, log) as proc:
            wait_for(
                lambda: (c := counts(wengine)).get("done", 0) >= 2 and c.get("running", 0) >= 1,
                timeout=60,
                what="jobs done and running",
            )
            killed |= kill_group(proc)
        caught = [r for r in (job(wengine, i) for i in ids) if r.status == "running"]
        if caught or counts(wengine).get("queued", 0) == 0:
            break
    assert caught, f"no job was running when the worker was killed: {counts(wengine)}"
    assert all(int(r.worker.rpartition(":")[2]) in killed for r in caught if r.worker)

    # Nothing half-written: a thumbnail is at its name whole, or not at all. A kill
    # in the middle of a write leaves at most a hidden temporary file of a killed pid.
    finals, temps = thumbnail_files(wsettings)
    assert all(opens_whole(p) for p in finals), [p for p in finals if not opens_whole(p)]
    assert all(int(p.name.rsplit(".", 2)[1]) in killed for p in temps), temps
    with wengine.connect() as conn:
        made = set(conn.execute(select(Derived.path)).scalars())
    assert made <= {p.relative_to(wsettings.cache_dir).as_posix() for p in finals}

    # A new worker: the dead one's jobs run again once their lease is over, and
    # everything else runs once.
    with worker(wsettings, log):
        wait_for(lambda: counts(wengine) == {"done": N_BIG}, timeout=60, what="every job done")
    rows = [job(wengine, i) for i in ids]
    again = {r.id for r in caught}
    assert all(r.attempts == (2 if r.id in again else 1) for r in rows), [
        (r.id, r.attempts) for r in rows
    ]
    finals, temps_after = thumbnail_files(wsettings)
    assert len(finals) == 3 * N_BIG
    assert all(opens_whole(p) for p in finals)
    assert set(temps_after) <= set(temps)
    with wengine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Derived)).scalar_one() == 3 * N_BIG


@pytest.fixture
def pg_redis_settings(tmp_path: Path, media: Path) -> Iterator[Settings]:
    url = redis_url_or_skip()
    with fresh_pg_database() as db_url:
        settings = make_settings(tmp_path, media, db_url, redis_url=url, job_lease_seconds=2)
        flush_redis_queue(url, "mediashelf")
        yield settings
        flush_redis_queue(url, "mediashelf")


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_two_workers_share_a_redis_queue_and_each_job_runs_once(
    pg_redis_settings: Settings, big_jpegs: list[Path], tmp_path: Path
) -> None:
    """As on two machines: PostgreSQL and Redis, two `mediashelf worker` processes."""
    settings = pg_redis_settings
    engine = make_engine(settings.db_url)
    upgrade(engine)
    try:
        n = 20
        big_library(settings, engine, big_jpegs[:n])
        logs = [tmp_path / "worker1.log", tmp_path / "worker2.log"]
        with worker(settings, logs[0], 1) as one, worker(settings, logs[1], 1) as two:
            for proc, log in ((one, logs[0]), (two, logs[1])):
                wait_for(lambda p=proc, lg=log: started(p, lg, 1), timeout=60, what="start")
            groups = {proc.pid: group_pids(proc.pid) for proc in (one, two)}
            jobs = Jobs(settings, engine)
            ids = [job_id for job_id, _ in jobs.submit(thumbnail_jobs(engine, settings))]
            assert len(ids) == n
            wait_for(lambda: counts(engine) == {"done": n}, timeout=90, what="every job done")

        rows = [job(engine, i) for i in ids]
        assert [r.attempts for r in rows] == [1] * n
        pids = {int(r.worker.rpartition(":")[2]) for r in rows if r.worker}
        assert len(pids) == 2  # both took a share ...
        assert all(len(pids & members) == 1 for members in groups.values())  # ... one each
        # Each job was claimed once: one "running" event each.
        with engine.connect() as conn:
            data = [json.loads(d) for d in conn.execute(select(Event.data)).scalars()]
        running = sorted(d["id"] for d in data if d.get("status") == "running")
        assert running == sorted(ids)
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(Derived)).scalar_one() == 3 * n
    finally:
        engine.dispose()


@pytest.mark.slow
@pytest.mark.timeout(90)
def test_a_paused_worker_idles_then_resumes(
    wsettings: Settings, wengine: Engine, big_jpegs: list[Path], tmp_path: Path
) -> None:
    """Soft pause in a real worker: it takes nothing and does not spin while paused
    (on Redis it used to poll in a tight loop); resumed, it runs the queue."""
    store.set_paused(wengine, True)
    big_library(wsettings, wengine, big_jpegs[:4])
    jobs = Jobs(wsettings, wengine)
    ids = [job_id for job_id, _ in jobs.submit(thumbnail_jobs(wengine, wsettings))]
    log = tmp_path / "worker.log"
    with worker(wsettings, log, 1) as proc:
        wait_for(lambda: started(proc, log, 1), timeout=60, what="start")
        pids = group_pids(proc.pid)
        before = cpu_seconds(pids)
        time.sleep(3)
        used = cpu_seconds(pids) - before
        assert counts(wengine) == {"queued": 4}
        # A spinning worker burns a core (~3 CPU s here); an idle one next to nothing.
        assert used < 1.0, f"{used:.2f} CPU s in 3 s while paused"

        store.set_paused(wengine, False)
        wait_for(lambda: counts(wengine) == {"done": 4}, timeout=60, what="every job done")
    assert [job(wengine, i).attempts for i in ids] == [1] * 4


# -- the crash-tolerant pool of `mediashelf thumbs` ---------------------------------


def _suicide(ctx: JobContext) -> str:
    os.kill(os.getpid(), signal.SIGKILL)
    return "unreachable"


def _suicide_once(ctx: JobContext) -> str:
    if ctx.job.attempts == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    return "survived"


def _fine(ctx: JobContext) -> str:
    return "fine"


@pytest.fixture
def pool_jobs(tmp_path: Path, media: Path) -> Iterator[Jobs]:
    if multiprocessing.get_start_method() != "fork":
        pytest.skip("the test's job kinds reach the pool's processes by fork only")
    settings = make_settings(
        tmp_path,
        media,
        f"sqlite:///{tmp_path / 'data' / 'mediashelf.db'}",
        workers=2,
        job_max_attempts=3,
        job_retry_delay=0.1,
    )
    engine = make_engine(settings.db_url)
    upgrade(engine)
    yield Jobs(settings, engine)
    engine.dispose()


@pytest.mark.timeout(60)
def test_the_cli_pool_survives_a_job_that_kills_its_process(
    pool_jobs: Jobs, kinds: Callable[[str, Kind], None]
) -> None:
    """A job that kills its process (a decoder's segfault, the OOM killer) costs the
    jobs in flight one attempt; the run goes on, and only the killer is given up."""
    kinds("suicide", _suicide)
    kinds("suicide-once", _suicide_once)
    kinds("fine", _fine)
    specs = [
        NewJob("suicide", "s"),
        NewJob("suicide-once", "o"),
        *(NewJob("fine", f"f{i}") for i in range(6)),
    ]
    ids = [job_id for job_id, _ in pool_jobs.submit(specs)]
    outcomes = run_here(pool_jobs, ids)

    assert set(outcomes) == set(ids)
    engine = pool_jobs.engine
    killer, once, *fine = (job(engine, i) for i in ids)
    assert outcomes[killer.id].status == "failed"
    assert (killer.status, killer.attempts) == ("failed", 3)
    assert killer.error is not None and "stopped" in killer.error
    assert outcomes[once.id].status == "done"
    assert (once.status, once.attempts, once.message) == ("done", 2, "survived")
    assert all(outcomes[r.id].status == "done" for r in fine)
    assert all(r.status == "done" and r.attempts in (1, 2) for r in fine)
