"""Job-system benchmark: thumbnails through the job queue against calling the
same function directly, on the same images, in the same run.

Run: .venv/bin/python bench/jobs.py [--images 150] [--redis redis://127.0.0.1:6379/15]

Generates photo-like 4000x3000 JPEGs (bench/thumbs.py's `render`), then, for
each part of them (`--rounds`, methods in a rotating order):

* direct: `library.thumbs.make` over the part's images on a ProcessPoolExecutor
  of `--workers` processes (pool start-up included): the ceiling.
* jobs (SQLite queue): a fresh database, scanned; a `mediashelf worker -w
  WORKERS` process started and left idle for `--idle` seconds (1); then the
  part's thumbnail jobs are submitted and the clock runs until the last one is
  done (its finished_at in the jobs table). Worker start-up is not counted (a
  server's worker is up already); submitting and the idle worker's pick-up
  delay are.
* jobs (Redis queue): the same with REDIS_URL, if `--redis` is given (the
  queue `mediashelf` in that Redis database is flushed first).

Goal: the job system makes thumbnails at >= 90% of the direct rate. Printed as
images/s and as CPU seconds per image (the bench and its pool; the worker's
processes, from /proc, and the bench while it submits and watches): on a
shared machine the CPU ratio is the steadier one. Then where a job system's
wall time goes: inside jobs (started_at -> finished_at in the table), between
a worker's jobs, and the delay to the first claim. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from itertools import pairwise
from multiprocessing import Pool
from pathlib import Path
from statistics import mean, median

from sqlalchemy import func, select

from mediashelf.config import Settings
from mediashelf.db.engine import make_engine, upgrade
from mediashelf.db.models import Job
from mediashelf.jobs.kinds import thumbnail_jobs
from mediashelf.jobs.queue import Jobs
from mediashelf.library import thumbs
from mediashelf.library.clock import utcnow
from mediashelf.library.scan import scan

sys.path.insert(0, str(Path(__file__).parent))
from benchlib import run_in_temp
from thumbs import HEIGHT, WIDTH, render, with_comment

GOAL = 0.90  # jobs at least this share of the direct rate


def cpu_now() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def self_cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


def group_pids(pgid: int) -> set[int]:
    out = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z" and int(fields[2]) == pgid:
                out.add(int(entry))
    return out


def group_cpu(pids: set[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


# -- the methods ------------------------------------------------------------------


def make_one(task: thumbs.ThumbTask) -> int:
    return len(thumbs.make(task))


def settings_for(tmp: Path, part: int, method: str, redis_url: str = "") -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp}/{method}{part}.db",
        media_dir=[tmp / "media" / f"part{part}"],
        cache_dir=tmp / f"cache-{method}",
        data_dir=tmp / f"data-{method}{part}",
        redis_url=redis_url,
        _env_file=None,
    )


def direct(settings: Settings, workers: int) -> tuple[float, float, dict[str, float]]:
    """(wall, CPU) seconds for thumbs.make over the part on a fresh pool."""
    engine = make_engine(settings.db_url)
    tasks = [task for _, task in thumbs.plan(engine, settings)[0]]
    engine.dispose()
    c0, t0 = cpu_now(), time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for _ in pool.map(make_one, tasks, chunksize=1):
            pass
    return time.perf_counter() - t0, cpu_now() - c0, {}


def through_jobs(
    settings: Settings, workers: int, log: Path, idle: float
) -> tuple[float, float, dict[str, float]]:
    """(wall, worker CPU) seconds from submitting the part's thumbnail jobs to the
    last one done, with a worker already running; and where the time went."""
    engine = make_engine(settings.db_url)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "MEDIA_DIR": str(settings.media_dir[0]),
        "DATA_DIR": str(settings.data_dir),
        "CACHE_DIR": str(settings.cache_dir),
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "LOG_LEVEL": "warning",
    }
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mediashelf", "worker", "-w", str(workers)],
            env=env,
            cwd=settings.data_dir.parent,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while len(group_pids(proc.pid)) < 2 + workers:  # main, scheduler, workers
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the worker did not start; see {log}")
            time.sleep(0.05)
        time.sleep(idle)  # as a server's worker is, when work arrives
        pids = group_pids(proc.pid)
        jobs = Jobs(settings, engine)
        c0, started, me0 = group_cpu(pids), utcnow(), self_cpu()
        t0 = time.perf_counter()
        ids = [job_id for job_id, _ in jobs.submit(thumbnail_jobs(engine, settings))]
        submit_s = time.perf_counter() - t0
        query = select(func.count()).where(Job.id.in_(ids), Job.status.in_(("queued", "running")))
        while True:
            with engine.connect() as conn:
                if not conn.execute(query).scalar_one():
                    break
            if proc.poll() is not None:
                raise SystemExit(f"the worker died; see {log}")
            time.sleep(0.2)  # (the clock stops at the last finished_at)
        cpu = group_cpu(pids) - c0 + self_cpu() - me0  # the workers' and submitting
        with engine.connect() as conn:
            rows = conn.execute(
                select(Job.status, Job.started_at, Job.finished_at, Job.worker).where(
                    Job.id.in_(ids)
                )
            ).all()
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # graceful: workers finish, then exit
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        engine.dispose()
    bad = [s for s, _, _, _ in rows if s != "done"]
    if bad:
        print(f"WARNING: {len(bad)} jobs ended {sorted(set(bad))}; see {log}")
    ran = [(w, s, f) for _, s, f, w in rows if s is not None and f is not None]
    wall = (max(f for _, _, f in ran) - started).total_seconds()
    inside = [(f - s).total_seconds() for _, s, f in ran]
    # Between jobs, per worker process: one job's end to its next job's start.
    gaps = []
    for w in {w for w, _, _ in ran}:
        mine = sorted((s, f) for who, s, f in ran if who == w)
        gaps += [(b[0] - a[1]).total_seconds() for a, b in pairwise(mine)]
    return (
        wall,
        cpu,
        {
            "submit": submit_s,
            "first_claim": (min(s for _, s, _ in ran) - started).total_seconds(),
            "gap_median": median(gaps) if gaps else 0.0,
            "gaps": sum(gaps),
            "inside": sum(inside),
            "job_median": median(inside),
            "n": len(ids),
        },
    )


def fresh(settings: Settings) -> None:
    engine = make_engine(settings.db_url)
    upgrade(engine)
    report = scan(engine, settings)
    engine.dispose()
    if report.errors:
        print(f"WARNING: scan errors {report.errors[:3]}")


def redis_ok(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
        for key in client.scan_iter(match="huey.*mediashelf*"):
            client.delete(key)
    except redis.RedisError as exc:
        print(f"Redis at {url}: {exc}; the Redis queue is left out")
        return False
    finally:
        client.close()
    return True


# -- the run ------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--images", type=int, default=150, help="12 MP JPEGs (150)")
    ap.add_argument("--distinct", type=int, default=30, help="distinct renders; the rest copies")
    ap.add_argument("--rounds", type=int, default=3, help="parts the methods take turns on (3)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes")
    ap.add_argument("--redis", default="", help="also through a Redis queue at this URL")
    ap.add_argument(
        "--idle", type=float, default=1.0, help="seconds a started worker idles first (1)"
    )
    return run_in_temp(ap, "jobs", run)


def run(tmp: Path, args: argparse.Namespace) -> None:
    n, workers = args.images, args.workers
    print(
        f"mediashelf job-system benchmark: {n} JPEGs of {WIDTH}x{HEIGHT}, {workers} workers, "
        f"{os.cpu_count()} cores, python {sys.version.split()[0]}"
    )
    rounds = max(1, min(args.rounds, n))
    parts = [list(range(k, n, rounds)) for k in range(rounds)]
    distinct = max(1, min(args.distinct, n))
    t0 = time.perf_counter()
    with Pool(workers) as pool:
        rendered = pool.map(render, range(distinct), chunksize=1)
    for k, idx in enumerate(parts):
        folder = tmp / "media" / f"part{k}"
        folder.mkdir(parents=True)
        for i in idx:
            data = with_comment(rendered[i % distinct], f"bench {i}".encode())
            (folder / f"DSC_{i:05d}.jpg").write_bytes(data)
    print(
        f"generated {distinct} distinct images and wrote {n} files in "
        f"{time.perf_counter() - t0:.1f} s; warm in the page cache"
    )

    methods: dict[str, Callable[[int], tuple[float, float, dict[str, float]]]] = {}
    labels = {"direct": "direct (thumbs.make pool)", "sqlite": "jobs, SQLite queue"}
    methods["direct"] = lambda k: direct(settings_for(tmp, k, "direct"), workers)
    methods["sqlite"] = lambda k: through_jobs(
        settings_for(tmp, k, "sqlite"), workers, tmp / "worker.log", args.idle
    )
    if args.redis and redis_ok(args.redis):
        labels["redis"] = "jobs, Redis queue"
        methods["redis"] = lambda k: through_jobs(
            settings_for(tmp, k, "redis", args.redis), workers, tmp / "worker.log", args.idle
        )
    for k in range(rounds):
        for name in methods:
            fresh(settings_for(tmp, k, name, args.redis if name == "redis" else ""))

    names = list(methods)
    wall = dict.fromkeys(names, 0.0)
    cpu = dict.fromkeys(names, 0.0)
    extra: dict[str, dict[str, list[float]]] = {name: {} for name in names}
    per_round: dict[str, list[float]] = {name: [] for name in names}
    for k in range(rounds):
        shift = k % len(names)
        for name in names[shift:] + names[:shift]:
            t, c, more = methods[name](k)
            wall[name] += t
            cpu[name] += c
            per_round[name].append(t)
            for key, value in more.items():
                extra[name].setdefault(key, []).append(value)

    print()
    base = n / wall["direct"]
    width = max(len(v) for v in labels.values())
    for name in names:
        rate = n / wall[name]
        line = (
            f"  {labels[name]:<{width}}  {rate:6.2f} img/s  wall {wall[name]:6.2f} s  "
            f"CPU {cpu[name] / n * 1000:5.0f} ms/image"
        )
        print(line)
        if name != "direct":
            ratio, by_cpu = rate / base, cpu["direct"] / cpu[name]
            print(
                f"  {'':<{width}}  = {ratio:.1%} of direct's rate (by CPU time: {by_cpu:.1%})"
                f"  goal: >= {GOAL:.0%}  met? {'yes' if ratio >= GOAL else 'NO'} / "
                f"{'yes' if by_cpu >= GOAL else 'NO'}"
            )
        print(f"  {'':<{width}}  wall per part: {', '.join(f'{t:.2f}' for t in per_round[name])}")
    print(
        "\n  CPU: direct's is the bench process and its pool; the jobs' is the worker's "
        "processes\n  (scheduler and maintenance loop included, from /proc) and the bench "
        "process's\n  (submitting, watching the table). On a shared machine the CPU ratio "
        "is the steadier one;\n  met? is given as rate / CPU."
    )
    for name in names[1:]:
        e = extra[name]
        inside = sum(e["inside"])
        busy = inside / (wall[name] * workers)
        print(
            f"\n  {labels[name]}: submitting {n} jobs took {sum(e['submit']) * 1000:.0f} ms; "
            f"first claim {mean(e['first_claim']) * 1000:.0f} ms after submitting (mean)"
        )
        print(
            f"    inside jobs (started_at -> finished_at): {inside:.2f} s of "
            f"{wall[name] * workers:.2f} worker-seconds = {busy:.1%} busy; "
            f"median job {median(e['job_median']) * 1000:.0f} ms "
            f"vs direct {wall['direct'] * workers / n * 1000:.0f} ms per image per worker"
        )
        print(
            f"    between jobs (a worker's last finish -> its next start): "
            f"{sum(e['gaps']):.2f} worker-seconds, median {median(e['gap_median']) * 1000:.1f} ms"
        )


if __name__ == "__main__":
    sys.exit(main())
