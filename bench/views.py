"""Views benchmark: POST /api/v1/items/{id}/views with group commit against one
transaction per view, in the same run, on the same database.

One run fills a fresh SQLite database with `--items` item rows (200; no files) and one
user with an API key per client, then starts two servers on it, both gunicorn with
uvicorn workers (WEB_WORKERS=2, as `mediashelf serve` runs them):

  batched    the app as it is: each worker's ViewBatcher writes every view pending at
             that moment in one transaction (library/views.py)
  baseline   the same app with ViewBatcher(max_batch=1): each view its own transaction,
             in its request's thread (the behaviour before group commit)

and measures each with `--clients` (32) client threads in this process, each with its own
keep-alive httpx connection and user, posting views as fast as they are answered for
`--duration` seconds (10): a player reporting its position (80%) or a new play (20%,
counted) of a random item. Then one client alone for `--serial` seconds (3): what a view
costs without load (group commit must add no delay there). Rounds alternate between the
two servers (`--rounds`, 3); the best of each is reported.

It prints views/s, p50/p99 latency, the server processes' CPU per view (from /proc:
steadier than latency on a shared machine), and views per commit under load (each worker
writes its batcher's figures when it shuts down; the one-client runs' views, one commit
each, are taken out); then the ratios, and checks that the database counts
exactly the counted views the servers acknowledged.

    .venv/bin/python bench/views.py                              # about 2 minutes
    .venv/bin/python bench/views.py --duration 3 --serial 1 --rounds 1      # quick
    .venv/bin/python bench/views.py --synchronous FULL   # SQLite syncing every commit
    .venv/bin/python bench/views.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres
                                                  # also against a fresh PostgreSQL database

The clients are Python threads sharing this process's GIL and the machine's cores with
the servers: the absolute figures are low; compare the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from serve import HOST, Procs, free_ports, run_stoppable, say, session_cpu, wait_healthy

MODES = {"batched": 0, "baseline": 1}  # BENCH_VIEW_MAX_BATCH: 0 leaves the app's own


# -- the server side: the app, with the batcher the mode asks for ----------------------


def make_app() -> Any:
    """gunicorn's app factory (`views:make_app()`, in each worker): the app as
    `mediashelf serve` builds it, with a one-view-per-transaction batcher when
    BENCH_VIEW_MAX_BATCH=1, and the batcher's figures written to BENCH_STATS at shutdown."""
    from sqlalchemy import event

    from mediashelf.library.views import ViewBatcher
    from mediashelf.web.app import create_app

    app = create_app()
    engine = app.state.engine
    sync = os.environ.get("BENCH_SQLITE_SYNC")
    if sync and engine.dialect.name == "sqlite":  # after the engine's own pragmas
        event.listen(engine, "connect", lambda conn, _r: conn.execute(f"PRAGMA synchronous={sync}"))
        engine.dispose()  # the connections made so far had the default
    max_batch = int(os.environ.get("BENCH_VIEW_MAX_BATCH", "0"))
    if max_batch:
        app.state.view_batcher = ViewBatcher(app.state.engine, max_batch=max_batch)

    def figures() -> None:  # at shutdown (uvicorn workers die of the SIGTERM: no atexit)
        batcher = getattr(app.state, "view_batcher", None)
        if batcher is None:
            return
        stats = {k: getattr(batcher, k) for k in ("views", "commits", "failures", "largest")}
        out = Path(os.environ["BENCH_STATS"]) / f"{os.getpid()}.json"
        out.write_text(json.dumps(stats))

    app.router.on_shutdown.append(figures)
    return app


# -- the library: rows only ------------------------------------------------------------


@dataclass
class Library:
    tmp: Path
    db_url: str
    items: list[int]
    keys: list[str]  # one per client
    user_ids: list[int]
    synchronous: str = "NORMAL"  # SQLite's, in the servers

    def env(self, mode: str) -> dict[str, str]:
        stats = self.tmp / f"stats-{mode}"
        stats.mkdir(exist_ok=True)
        env = dict(os.environ)
        env.update(
            MEDIA_DIR=str(self.tmp / "media"),
            CACHE_DIR=str(self.tmp / "cache"),
            DATA_DIR=str(self.tmp / "data"),
            DATABASE_URL=self.db_url,
            WATCH="false",
            LOG_LEVEL="warning",
            AUTH="on",
            BENCH_VIEW_MAX_BATCH=str(MODES[mode]),
            BENCH_SQLITE_SYNC=self.synchronous,
            BENCH_STATS=str(stats),
        )
        return env


def build_library(tmp: Path, db_url: str, items: int, clients: int) -> Library:
    from sqlalchemy import insert, select
    from sqlalchemy.orm import Session

    from mediashelf.auth import apikeys, users
    from mediashelf.config import Settings
    from mediashelf.db.engine import make_engine, upgrade
    from mediashelf.db.models import Item, Root

    media = tmp / "media"
    media.mkdir(exist_ok=True)
    settings = Settings(database_url=db_url, media_dir=[media], _env_file=None)
    engine = make_engine(db_url)
    upgrade(engine)
    now = datetime(2026, 11, 21, 12, 0, 0)
    rows = [
        {"root_id": 1, "rel_path": f"v/{n:04d}.mp4", "folder": "v", "name": f"{n:04d}.mp4",
         "kind": "video", "mime": "video/mp4", "size": 1_000_000 + n, "mtime_ns": n,
         "fingerprint": f"{n:032x}", "date": now, "status": "present", "created_at": now,
         "updated_at": now, "duration": 600.0}
        for n in range(items)
    ]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(Root), [{"id": 1, "path": settings.root_paths[0], "created_at": now}])
        conn.execute(insert(Item), rows)
        item_ids = list(conn.scalars(select(Item.id).order_by(Item.id)))
    keys, user_ids = [], []
    with Session(engine) as db:
        for n in range(clients):
            user = users.create(db, f"player{n}", None, "viewer")
            keys.append(apikeys.create(db, user, "bench", "read")[1])
            user_ids.append(user.id)
    engine.dispose()
    return Library(tmp, db_url, item_ids, keys, user_ids)


# -- the clients -----------------------------------------------------------------------


@dataclass
class Run:
    views: int = 0  # answered 2xx
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds, of the 2xx
    errors: Counter[str] = field(default_factory=Counter)
    cpu: float = 0.0  # the server's CPU seconds
    counted: Counter[tuple[int, int]] = field(default_factory=Counter)  # acked counted views

    @property
    def rate(self) -> float:
        return self.views / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1e3


def load(lib: Library, base: str, sid: int, clients: int, seconds: float, seed: int) -> Run:
    """`clients` threads posting views for `seconds`, from a common start."""
    run = Run()
    lock = threading.Lock()
    go = threading.Barrier(clients + 1)
    deadline = [float("inf")]

    def client(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        user = lib.user_ids[index]
        mine: list[float] = []
        errors: Counter[str] = Counter()
        counted: Counter[tuple[int, int]] = Counter()
        headers = {"authorization": f"Bearer {lib.keys[index]}"}
        with httpx.Client(base_url=base, headers=headers, timeout=60, trust_env=False) as http:
            http.get("/api/v1/health")  # the connection open before the clock starts
            go.wait()
            while time.monotonic() < deadline[0]:
                item = rng.choice(lib.items)
                count = rng.random() < 0.2
                body = {"position": round(rng.uniform(0, 600), 1), "count": count}
                t0 = time.perf_counter()
                try:
                    resp = http.post(f"/api/v1/items/{item}/views", json=body)
                except httpx.HTTPError as exc:
                    errors[type(exc).__name__] += 1
                    continue
                took = time.perf_counter() - t0
                if resp.is_success:
                    mine.append(took)
                    if count:
                        counted[user, item] += 1
                else:
                    errors[str(resp.status_code)] += 1
        with lock:
            run.latencies += mine
            run.errors += errors
            run.counted += counted

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    go.wait(timeout=30)
    cpu0 = session_cpu((sid,))
    t0 = time.monotonic()
    deadline[0] = t0 + seconds
    for t in threads:
        t.join(seconds + 120)
    run.seconds = time.monotonic() - t0
    run.cpu = session_cpu((sid,)) - cpu0
    run.views = len(run.latencies)
    return run


# -- the run ---------------------------------------------------------------------------


@dataclass
class Server:
    mode: str
    base: str
    sid: int
    best: dict[int, Run] = field(default_factory=dict)  # clients -> best run
    counted: Counter[tuple[int, int]] = field(default_factory=Counter)
    alone: int = 0  # views acknowledged with one client: one commit each


def start(procs: Procs, lib: Library, mode: str) -> Server:
    (port,) = free_ports(1)
    log = lib.tmp / f"serve-{mode}.log"
    cmd = [sys.executable, "-m", "gunicorn", "--bind", f"{HOST}:{port}", "--workers", "2",
           "--worker-class", "uvicorn_worker.UvicornWorker", "--graceful-timeout", "30",
           "--log-level", "warning", "--chdir", str(Path(__file__).parent),
           "views:make_app()"]  # fmt: skip
    proc = procs.start(f"mediashelf ({mode})", cmd, signal.SIGTERM, log, lib.tmp, lib.env(mode))
    wait_healthy(mode, proc, f"http://{HOST}:{port}/api/v1/health", log)
    return Server(mode, f"http://{HOST}:{port}", proc.pid)


def commits(lib: Library, mode: str) -> tuple[int, int, int, int]:
    """(views, commits, failures, largest) over the run, from the workers' files."""
    totals = [0, 0, 0, 0]
    for path in (lib.tmp / f"stats-{mode}").glob("*.json"):
        stats = json.loads(path.read_text())
        for n, key in enumerate(("views", "commits", "failures", "largest")):
            totals[n] = max(totals[n], stats[key]) if key == "largest" else totals[n] + stats[key]
    return totals[0], totals[1], totals[2], totals[3]


def stored_views(lib: Library) -> Counter[tuple[int, int]]:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from mediashelf.db.engine import make_engine
    from mediashelf.db.models import View

    engine = make_engine(lib.db_url)
    try:
        with Session(engine) as db:
            return Counter({(v.user_id, v.item_id): v.count for v in db.scalars(select(View))})
    finally:
        engine.dispose()


def bench_one(tmp: Path, db_url: str, args: argparse.Namespace) -> str:
    lib = build_library(tmp, db_url, args.items, args.clients)
    lib.synchronous = args.synchronous
    procs = Procs()
    servers: list[Server] = []
    try:
        servers = [start(procs, lib, mode) for mode in MODES]
        for server in servers:  # warm up: the first requests
            warm = load(lib, server.base, server.sid, 1, 1.0, seed=99)
            server.counted += warm.counted
            server.alone += warm.views
        seed = 0
        for _ in range(args.rounds):
            for clients, seconds in ((args.clients, args.duration), (1, args.serial)):
                if seconds <= 0:
                    continue
                for server in servers:
                    seed += 1
                    run = load(lib, server.base, server.sid, clients, seconds, seed)
                    server.counted += run.counted
                    server.alone += run.views if clients == 1 else 0
                    best = server.best.get(clients)
                    if best is None or run.rate > best.rate:
                        server.best[clients] = run
                    say(
                        f"  {server.mode:<9} c={clients:<3} {run.rate:7.0f} views/s  "
                        f"p50 {run.pct(50):6.1f} ms  p99 {run.pct(99):6.1f} ms"
                        + (f"  errors {dict(run.errors)}" if run.errors else "")
                    )
    finally:
        procs.stop_all()  # the workers write their batchers' figures as they exit
    acked = sum((s.counted for s in servers), Counter())
    return report(lib, servers, args, acked, stored_views(lib))


def report(
    lib: Library,
    servers: list[Server],
    args: argparse.Namespace,
    acked: Counter[tuple[int, int]],
    stored: Counter[tuple[int, int]],
) -> str:
    rows = []
    for server in servers:
        views, n_commits, failures, largest = commits(lib, server.mode)
        # Under load: what the one-client runs (one view, one commit) leave.
        loaded_views, loaded_commits = views - server.alone, n_commits - server.alone
        per_commit = "-"
        if loaded_commits > 0:
            per_commit = f"{loaded_views / loaded_commits:.1f} (max {largest})"
        for clients in sorted(server.best, reverse=True):
            run = server.best[clients]
            rows.append(
                (
                    server.mode,
                    str(clients),
                    f"{run.rate:.0f}",
                    f"{run.pct(50):.1f}",
                    f"{run.pct(99):.1f}",
                    f"{run.cpu / max(1, run.views) * 1e3:.2f}",
                    per_commit if clients == args.clients else "",
                    ", ".join(f"{k}: {v}" for k, v in run.errors.items()) or "-",
                )
            )
        if failures:
            rows.append((server.mode, "", "", "", "", "", f"{failures} failed commits", ""))
    head = ("server", "clients", "views/s", "p50 ms", "p99 ms", "CPU ms/view",
            f"views/commit, c={args.clients}", "errors")  # fmt: skip
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    fmt = "  ".join(f"{{:>{w}}}" if 0 < i < 6 else f"{{:<{w}}}" for i, w in enumerate(widths))
    lines = [fmt.format(*head), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*r) for r in rows]
    batched, baseline = (s.best for s in servers)
    for clients in sorted(batched, reverse=True):
        if clients in baseline:
            b, o = batched[clients], baseline[clients]
            lines.append(
                f"batched / baseline at c={clients}: views/s {b.rate / o.rate:.2f}x, "
                f"p50 {b.pct(50) / o.pct(50):.2f}x, p99 {b.pct(99) / o.pct(99):.2f}x, "
                f"CPU per view {(b.cpu / b.views) / (o.cpu / o.views):.2f}x"
            )
    wrong = {p for p in acked.keys() | stored.keys() if acked[p] != stored[p]}
    lines.append(
        f"database check: {sum(acked.values()):,} counted views acknowledged, "
        f"{sum(stored.values()):,} stored: "
        + ("the same, pair by pair" if not wrong else f"{len(wrong)} (user, item) pairs DIFFER")
    )
    return "\n".join(lines)


def run(tmp: Path, args: argparse.Namespace) -> None:
    cores = os.cpu_count() or 1
    say(
        f"bench/views.py: {cores} core(s) shared by {args.clients} client threads and two "
        f"web workers; load average {os.getloadavg()[0]:.1f} at the start"
    )
    tables = []
    (tmp / "sqlite").mkdir()
    url = f"sqlite:///{tmp / 'sqlite' / 'data' / 'mediashelf.db'}"
    tables.append(("SQLite", bench_one(tmp / "sqlite", url, args)))
    if args.pg:
        from items import pg_database

        (tmp / "pg").mkdir()
        with pg_database(args.pg) as pg_url:
            tables.append(("PostgreSQL", bench_one(tmp / "pg", pg_url, args)))
    for name, table in tables:
        sync = f", synchronous={args.synchronous}" if name == "SQLite" else ""
        say(
            f"\n{name}{sync}, {args.items} items, {args.clients} clients for {args.duration} s and "
            f"one for {args.serial} s, best of {args.rounds}:\n{table}"
        )
    say(f"\n(load average now {os.getloadavg()[0]:.1f} on {cores} cores)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--items", type=int, default=200, help="items in the library (200)")
    ap.add_argument("--clients", type=int, default=32, help="concurrent clients (32)")
    ap.add_argument("--duration", type=float, default=10, help="seconds under load (10)")
    ap.add_argument("--serial", type=float, default=3, help="seconds of one client, 0: none (3)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds per server (3)")
    ap.add_argument(
        "--synchronous",
        choices=["NORMAL", "FULL"],
        default="NORMAL",
        help="SQLite's synchronous pragma in the servers: NORMAL, Mediashelf's (a WAL commit "
        "is not synced), or FULL (every commit waits for fsync, as on a power-safe setup)",
    )
    ap.add_argument("--pg", metavar="URL", help="also on a fresh database of this PostgreSQL")
    return run_stoppable(ap, "views", run)


if __name__ == "__main__":
    sys.exit(main())
