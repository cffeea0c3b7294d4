"""Items list benchmark: GET /api/v1/items with filters and sort on a 100k-item library.

One run fills a fresh database directly through SQLAlchemy (no image files: the rows
only) with `--items` items (default 100,000) in `--folders` folders (1,000), `--tags`
tags (200, a few popular, many rare, ~3 per item), performers, studios, ratings,
views and favorites of five users; starts `mediashelf serve --no-worker` (gunicorn,
WEB_WORKERS=2, WATCH=false: the files do not exist, and a scan would mark every row
missing) with an admin API key made through the library functions; and measures, with
wrk at `--connections` (32) for `--duration` seconds (10) each:

  health          /api/v1/health: the floor (routing, the API key lookup, one SELECT 1)
  default         /api/v1/items?limit=100 (newest first)
  name, images    /api/v1/items?sort=name&kind=image&limit=100
  tag (popular)   /api/v1/items?tag=<the most used tag>&limit=100
  tag (rare)      /api/v1/items?tag=<the least used tag (~0.2% of items)>&limit=100
  folder          /api/v1/items?folder=<f>&limit=100, cycling through 200 folders
  page 2          /api/v1/items?limit=100&cursor=<next_cursor of the first page>

It prints p50/p99 latency, req/s, the server processes' CPU time per request (read
from /proc: steadier than latency on a shared machine), and the p99 against the
health floor's. Goal: p99 < 50 ms at concurrency 32 on loopback.

Then, in-process, the SQL one request of each kind runs: every statement with its time
and its query plan (SQLite's EXPLAIN QUERY PLAN, PostgreSQL's EXPLAIN), so a slow one
shows why. `--what-if` first adds the indexes listed in WHAT_IF, which the schema does
not have, to the bench's own database: what a migration adding them would change.

wrk and the server share this machine's cores; in a closed loop of 32 connections the
mean latency is 32 / (req/s), so a figure of CPU per request is what the latency goal
really asks: with 2 cores, p99 < 50 ms needs well over 640 req/s, under ~3 ms of CPU
per request including wrk's.

    .venv/bin/python bench/items.py                        # 100k items, about 3 minutes
    .venv/bin/python bench/items.py --items 20000 --duration 3      # quick, about 1 min
    .venv/bin/python bench/items.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres
                                                 # also against a fresh PostgreSQL database
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from serve import (
    HOST,
    WRK_LUA,
    Procs,
    free_ports,
    http_get,
    mediashelf_cmd,
    run_stoppable,
    say,
    session_cpu,
    wait_healthy,
)

GOAL_P99_MS = 50.0
USERS = 5
# --what-if: indexes the schema does not have (yet), added to the bench's own database to
# show what they would change. Empty: the ones it first suggested are migration 0006.
WHAT_IF: dict[str, list[str]] = {
    "sqlite": [],
}
WHAT_IF["postgresql"] = WHAT_IF["sqlite"]


# -- 1. the library: rows only ---------------------------------------------------------


@dataclass
class Library:
    tmp: Path
    media: Path
    db_url: str
    key: str = ""
    tags: dict[str, int] = field(default_factory=dict)  # "popular", "rare" -> tag id
    folders: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            MEDIA_DIR=str(self.media),
            CACHE_DIR=str(self.tmp / "cache"),
            DATA_DIR=str(self.tmp / "data"),
            DATABASE_URL=self.db_url,
            WEB_WORKERS="2",
            WATCH="false",
            LOG_LEVEL="warning",
            AUTH="on",
        )
        return env


def _weights(n: int, rng: random.Random) -> list[float]:
    """Popularity: a few names on many items, a long tail on few (Zipf, s = 1)."""
    weights = [1.0 / (rank + 1) for rank in range(n)]
    rng.shuffle(weights)
    return weights


def build_library(
    tmp: Path, db_url: str, items: int, folders: int, tags: int, what_if: bool = False
) -> Library:
    """A fresh database holding `items` rows and what people add to them."""
    from sqlalchemy import func, insert, select
    from sqlalchemy.orm import Session

    from mediashelf.auth import apikeys, users
    from mediashelf.config import Settings
    from mediashelf.db.engine import make_engine, upgrade
    from mediashelf.db.models import (
        Favorite,
        Item,
        ItemPerformer,
        ItemStudio,
        ItemTag,
        Performer,
        Rating,
        Root,
        Studio,
        Tag,
        View,
    )
    from mediashelf.library.names import fold

    media = tmp / "media"
    media.mkdir(exist_ok=True)
    lib = Library(tmp, media, db_url)
    settings = Settings(database_url=db_url, media_dir=[media], _env_file=None)
    rng = random.Random(7)
    t0 = time.perf_counter()
    engine = make_engine(db_url)
    upgrade(engine)
    now = datetime(2026, 11, 21, 12, 0, 0)
    epoch = datetime(2010, 1, 1)
    span = int((now - epoch).total_seconds())
    lib.folders = [f"{2010 + f % 16}/album_{f:04d}" for f in range(folders)]

    def item_rows() -> Iterator[dict[str, Any]]:
        for n in range(items):
            folder = lib.folders[n % folders]
            video = rng.random() < 0.1
            name = f"{'VID' if video else 'IMG'}_{n:06d}.{'mp4' if video else 'jpg'}"
            date = epoch + timedelta(seconds=rng.randrange(span))
            size = rng.randrange(200_000, 400_000_000 if video else 12_000_000)
            row: dict[str, Any] = {
                "root_id": 1,
                "rel_path": f"{folder}/{name}",
                "folder": folder,
                "name": name,
                "kind": "video" if video else "image",
                "mime": "video/mp4" if video else "image/jpeg",
                "size": size,
                "mtime_ns": int((date - epoch).total_seconds() * 1e9),
                "fingerprint": f"{rng.getrandbits(128):032x}",
                "full_hash": f"{rng.getrandbits(128):032x}" if rng.random() < 0.8 else None,
                "width": 4000 if not video else 1920,
                "height": 3000 if not video else 1080,
                "taken_at": date if rng.random() < 0.9 else None,
                "date": date,
                "status": "present" if rng.random() < 0.99 else "missing",
                "error": None,
                "created_at": now,
                "updated_at": now,
                "duration": None,
                "container": None,
                "video_codec": None,
                "audio_codec": None,
                "fps": None,
                "bit_rate": None,
                "playable": None,
            }
            if video:
                row.update(
                    duration=rng.uniform(5, 3600),
                    container="mp4",
                    video_codec="h264",
                    audio_codec="aac",
                    fps=30.0,
                    bit_rate=8_000_000,
                    playable="direct",
                )
            yield row

    def batches(rows: Iterator[dict[str, Any]], n: int = 10_000) -> Iterator[list[dict[str, Any]]]:
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) == n:
                yield batch
                batch = []
        if batch:
            yield batch

    with Session(engine) as db:
        admin = users.create(db, "bench", None, "admin")
        _, lib.key = apikeys.create(db, admin, "bench", "admin")
        admin_id = admin.id
        user_ids = [admin_id] + [
            users.create(db, f"user{n}", None, "member").id for n in range(1, USERS)
        ]
    with engine.begin() as conn:
        conn.execute(insert(Root), [{"id": 1, "path": settings.root_paths[0], "created_at": now}])
        for batch in batches(item_rows()):
            conn.execute(insert(Item), batch)
        item_ids = list(conn.scalars(select(Item.id).order_by(Item.id)))
        t1 = time.perf_counter()

        tag_names = [f"tag {n:03d}" for n in range(tags)]
        conn.execute(
            insert(Tag),
            [
                {"id": n + 1, "name": name, "key": fold(name), "aliases": "[]", "created_at": now}
                for n, name in enumerate(tag_names)
            ],
        )
        weights = _weights(tags, rng)
        links = set()
        for item_id in item_ids:
            for tag_id in rng.choices(range(1, tags + 1), weights, k=rng.choice((1, 2, 3, 4, 5))):
                links.add((item_id, tag_id))
        for batch in batches(({"item_id": i, "tag_id": t} for i, t in sorted(links)), 50_000):
            conn.execute(insert(ItemTag), batch)

        conn.execute(
            insert(Performer),
            [
                {"id": n, "name": f"Performer {n}", "key": f"performer {n}", "created_at": now}
                for n in range(1, 501)
            ],
        )
        pweights = _weights(500, rng)
        plinks = {
            (i, p)
            for i in item_ids
            if rng.random() < 0.2
            for p in rng.choices(range(1, 501), pweights, k=rng.choice((1, 2)))
        }
        rows = [{"item_id": i, "performer_id": p} for i, p in sorted(plinks)]
        conn.execute(insert(ItemPerformer), rows)
        conn.execute(
            insert(Studio),
            [
                {"id": n, "name": f"Studio {n}", "key": f"studio {n}", "created_at": now}
                for n in range(1, 51)
            ],
        )
        rows = [
            {"item_id": i, "studio_id": rng.randint(1, 50)} for i in item_ids if rng.random() < 0.3
        ]
        conn.execute(insert(ItemStudio), rows)

        ratings, views, favorites = [], [], []
        for i in item_ids:
            if rng.random() < 0.2:
                for uid in rng.sample(user_ids, rng.randint(1, 3)):
                    ratings.append(
                        {"user_id": uid, "item_id": i, "value": rng.randint(1, 5) * 20,
                         "updated_at": now}
                    )  # fmt: skip
            if rng.random() < 0.3:
                views.append(
                    {"user_id": admin_id, "item_id": i, "count": rng.randint(1, 20),
                     "last_viewed_at": now, "position": None}
                )  # fmt: skip
            if rng.random() < 0.05:
                favorites.append({"user_id": admin_id, "item_id": i, "created_at": now})
        for table, rows in ((Rating, ratings), (View, views), (Favorite, favorites)):
            for batch in batches(iter(rows), 50_000):
                conn.execute(insert(table), batch)

        per_tag = dict(
            conn.execute(select(ItemTag.tag_id, func.count()).group_by(ItemTag.tag_id)).all()
        )
    if what_if:
        with engine.begin() as conn:
            for statement in WHAT_IF[engine.dialect.name]:
                conn.exec_driver_sql(statement)
        say("what-if: " + "; ".join(WHAT_IF[engine.dialect.name]))
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:  # as autovacuum would, eventually
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    engine.dispose()
    by_use = sorted(per_tag, key=lambda t: per_tag[t])
    lib.tags["popular"], lib.tags["rare"] = by_use[-1], by_use[0]
    lib.counts = {
        "items": items,
        "tag links": len(links),
        "performer links": len(plinks),
        "ratings": len(ratings),
        "views": len(views),
        "favorites": len(favorites),
        "popular tag": per_tag[lib.tags["popular"]],
        "rare tag": per_tag[lib.tags["rare"]],
    }
    say(
        f"library ({engine.dialect.name}): {items:,} items in {folders:,} folders inserted in "
        f"{t1 - t0:.1f}s, all of it in {time.perf_counter() - t0:.1f}s; "
        + ", ".join(f"{k} {v:,}" for k, v in lib.counts.items() if k != "items")
    )
    return lib


# -- 2. the cases ----------------------------------------------------------------------


@dataclass
class Case:
    label: str
    paths: list[str]  # cycled through, one per request


def cases(lib: Library, get: Callable[[str], Any]) -> list[Case]:
    """The cases; `get(path)` answers a path's JSON (for the second page's cursor)."""

    def items(**query: Any) -> str:
        return "/api/v1/items?" + urlencode({**query, "limit": 100})

    first = items()
    cursor = get(first)["next_cursor"]
    rng = random.Random(3)
    folders = rng.sample(lib.folders, min(200, len(lib.folders)))
    return [
        Case("health (floor)", ["/api/v1/health"]),
        Case("default (-date)", [first]),
        Case("sort=name&kind=image", [items(sort="name", kind="image")]),
        Case(f"tag, popular ({lib.counts['popular tag']:,})", [items(tag=lib.tags["popular"])]),
        Case(f"tag, rare ({lib.counts['rare tag']:,})", [items(tag=lib.tags["rare"])]),
        Case(f"folder ({len(folders)} of them)", [items(folder=f) for f in folders]),
        Case("page 2 (cursor)", [items(cursor=cursor)]),
    ]


# -- 3. wrk ----------------------------------------------------------------------------


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * UNITS[unit]


@dataclass
class Run:
    p50: float  # ms, of the requests answered (wrk leaves timed-out ones out)
    p99: float
    rps: float
    requests: int
    cpu_ms: float  # server CPU per request
    errors: str  # wrk's "Non-2xx" and "Socket errors" (timeouts: no answer in 10 s)

    def cell(self, value: float) -> str:
        return f"{value:.1f}" if self.requests else "-"


def run_wrk(lib: Library, case: Case, base: str, sids: tuple[int, ...], seconds: int,
            conns: int) -> Run:  # fmt: skip
    slug = re.sub(r"\W+", "-", case.label).strip("-")
    paths = lib.tmp / f"paths-{slug}.txt"
    paths.write_text("\n".join(case.paths) + "\n")
    script = lib.tmp / f"wrk-{slug}.lua"  # the key in a file, not on a command line
    headers = f'wrk.headers["Authorization"] = "Bearer {lib.key}"'
    script.write_text(WRK_LUA.format(headers=headers, paths=paths))
    threads = min(2, conns)
    cmd = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--latency", "--timeout", "10s",
           "-s", str(script), base + case.paths[0]]  # fmt: skip
    cpu0 = session_cpu(sids)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=True)
    cpu = session_cpu(sids) - cpu0
    text = out.stdout
    p50 = re.search(r"^\s+50%\s+(\S+)", text, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", text, re.M)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    count = re.search(r"(\d+) requests in", text)
    if not (p50 and p99 and rps and count):
        raise RuntimeError(f"wrk printed no latency distribution:\n{text}\n{out.stderr}")
    errors = [
        line.strip()
        for line in text.splitlines()
        if line.strip().startswith(("Non-2xx", "Socket errors"))
    ]
    n = int(count.group(1))
    return Run(_ms(p50.group(1)), _ms(p99.group(1)), float(rps.group(1)), n,
               cpu / max(1, n) * 1e3, "; ".join(errors))  # fmt: skip


def settle(sids: tuple[int, ...], limit: float = 60.0) -> None:
    """Wait until the server has finished what the last run left queued (its processes
    use under a tenth of a core over half a second), so no run pays for the previous."""
    deadline = time.monotonic() + limit
    before = session_cpu(sids)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = session_cpu(sids)
        if now - before < 0.05:
            return
        before = now


def render(head: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return "\n".join([line(head), "  ".join("-" * w for w in widths), *map(line, rows)])


def measure(lib: Library, base: str, sids: tuple[int, ...], args: argparse.Namespace) -> str:
    def get(path: str) -> Any:
        status, _, body = http_get(base + path, {"Authorization": f"Bearer {lib.key}"})
        if status != 200:
            raise RuntimeError(f"{path}: {status} {body[:300]!r}")
        return json.loads(body)

    todo = cases(lib, get)
    say(
        f"\nwrk -t2 -c{args.connections} -d{args.duration}s --latency per case (after a 2 s "
        f"warm-up); c=1: one connection for {args.serial}s (the time one request takes alone)"
    )
    results: dict[str, tuple[Run, Run | None]] = {}
    for case in todo:
        settle(sids)
        run_wrk(lib, case, base, sids, 2, args.connections)  # warm-up
        settle(sids)
        loaded = run_wrk(lib, case, base, sids, args.duration, args.connections)
        settle(sids)
        alone = run_wrk(lib, case, base, sids, args.serial, 1) if args.serial else None
        results[case.label] = (loaded, alone)
        warn = f"  !! {loaded.errors}" if loaded.errors else ""
        say(
            f"  {case.label:28} p50 {loaded.cell(loaded.p50):>7} ms  p99 "
            f"{loaded.cell(loaded.p99):>7} ms  {loaded.rps:7.0f} req/s  "
            f"{loaded.cpu_ms:5.2f} ms CPU/req{warn}"
        )
    floor = results[todo[0].label][0]

    def ratio(ours: float, base: float, ok: bool) -> str:
        return f"{ours / base:.1f}x" if ok and base else "-"

    rows = []
    for case in todo:
        run, alone = results[case.label]
        answered = bool(run.requests and floor.requests)
        met = run.requests > 0 and not run.errors and run.p99 < GOAL_P99_MS
        rows.append(
            (
                case.label,
                run.cell(run.p50),
                run.cell(run.p99),
                f"{run.rps:,.0f}",
                f"{run.cpu_ms:.2f}" if run.requests else "-",
                ratio(run.p99, floor.p99, answered),
                ratio(run.cpu_ms, floor.cpu_ms, answered),
                alone.cell(alone.p50) if alone else "-",
                "yes" if met else "NO",
                run.errors.replace("Socket errors: ", "") or ("-" if run.requests else "no answer"),
            )
        )
    head = (
        f"GET, c={args.connections}",
        "p50 ms",
        "p99 ms",
        "req/s",
        "CPU ms/req",
        "p99 vs health",
        "CPU vs health",
        "p50 ms, c=1",
        f"p99 < {GOAL_P99_MS:.0f} ms?",
        "errors",
    )
    return render(head, rows)


# -- 4. where the time goes, in-process --------------------------------------------------


def explain(lib: Library) -> None:
    """One request of each case through the app in-process: the statements it runs, each
    run again alone on the driver (execute + fetchall, best of 3), the slowest two with
    their query plan. What the SQL does not explain is Python: the ORM, the JSON."""
    from fastapi.testclient import TestClient
    from sqlalchemy import event

    from mediashelf.config import Settings
    from mediashelf.web.app import create_app

    settings = Settings(
        database_url=lib.db_url,
        media_dir=[lib.media],
        cache_dir=lib.tmp / "cache",
        data_dir=lib.tmp / "data",
        _env_file=None,
    )
    app = create_app(settings)
    engine = app.state.engine
    statements: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool) -> None:
        statements.append((sql, params))

    sqlite = engine.dialect.name == "sqlite"
    raw = engine.raw_connection()

    def alone(sql: str, params: Any) -> float:
        best = float("inf")
        for _ in range(3):
            cur = raw.cursor()
            t0 = time.perf_counter()
            cur.execute(sql, params)
            cur.fetchall()
            best = min(best, time.perf_counter() - t0)
            cur.close()
        return best

    def plan(sql: str, params: Any) -> list[str]:
        cur = raw.cursor()
        cur.execute(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + sql, params)
        rows = [str(row[-1] if sqlite else row[0]) for row in cur.fetchall()]
        cur.close()
        return rows

    say(f"\nwhere the time goes: one request of each, in-process ({engine.dialect.name})")
    try:
        with TestClient(app) as client:
            client.headers["authorization"] = f"Bearer {lib.key}"
            for case in cases(lib, lambda path: client.get(path).raise_for_status().json()):
                path = case.paths[0]
                took = []
                for _ in range(3):  # the first warms caches
                    t0 = time.perf_counter()
                    client.get(path).raise_for_status()
                    took.append(time.perf_counter() - t0)
                statements.clear()
                event.listen(engine, "before_cursor_execute", capture)
                try:
                    client.get(path)
                finally:
                    event.remove(engine, "before_cursor_execute", capture)
                timed = sorted(((alone(q, p), q, p) for q, p in statements), key=lambda t: -t[0])
                sql_s = sum(t[0] for t in timed)
                say(
                    f"  {case.label}: {min(took[1:]) * 1e3:.1f} ms a request, of which "
                    f"{len(timed)} statements {sql_s * 1e3:.1f} ms"
                )
                for seconds, sql, params in timed[:2]:
                    one_line = " ".join(sql.split())
                    where = one_line.find(" FROM ")
                    short = one_line[:40] + " …" + one_line[where:] if where > 60 else one_line
                    cut = short[:160] + ("…" if len(short) > 160 else "")
                    say(f"    {seconds * 1e3:7.2f} ms  {cut}")
                    if seconds > 0.002:
                        for line in plan(sql, params):
                            say(f"               plan: {line}")
    finally:
        raw.close()
        engine.dispose()


# -- main --------------------------------------------------------------------------------


@contextlib.contextmanager
def pg_database(admin_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database's URL; dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"ms_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def bench_one(tmp: Path, db_url: str, args: argparse.Namespace) -> str:
    procs = Procs()
    lib = build_library(tmp, db_url, args.items, args.folders, args.tags, args.what_if)
    try:
        (port,) = free_ports(1)
        log = tmp / f"serve-{port}.log"
        proc = procs.start(
            "mediashelf", [*mediashelf_cmd(port), "--no-worker"], signal.SIGTERM, log,
            env=lib.env(), cwd=tmp,
        )  # fmt: skip
        base = f"http://{HOST}:{port}"
        wait_healthy("mediashelf", proc, f"{base}/api/v1/health", log)
        table = measure(lib, base, (proc.pid,), args)
    finally:
        procs.stop_all()
    if args.explain:
        explain(lib)
    return table


def run(tmp: Path, args: argparse.Namespace) -> None:
    cores = os.cpu_count() or 1
    say(
        f"bench/items.py: {cores} core(s) shared by wrk and Mediashelf; "
        f"load average {os.getloadavg()[0]:.1f} at the start"
    )
    tables = []
    if not args.no_sqlite:
        (tmp / "sqlite").mkdir()
        url = f"sqlite:///{tmp / 'sqlite' / 'mediashelf.db'}"
        tables.append(("SQLite", bench_one(tmp / "sqlite", url, args)))
    if args.pg:
        (tmp / "pg").mkdir()
        with pg_database(args.pg) as url:
            tables.append(("PostgreSQL", bench_one(tmp / "pg", url, args)))
    for name, table in tables:
        what_if = ", with the --what-if indexes" if args.what_if else ""
        say(f"\n{name}, {args.items:,} items, {args.duration} s per case{what_if}:\n{table}")
    say(
        f"\n(load average now {os.getloadavg()[0]:.1f} on {cores} cores). CPU ms/req: the "
        "server processes' CPU time per request (gunicorn and its workers), from /proc;\n"
        "PostgreSQL's own processes are not counted. p50 ms, c=1: one connection, one "
        "request at a time: what a request costs alone.\n"
        f"In a closed loop of {args.connections} connections, mean latency = "
        f"{args.connections} / req/s: the goal needs req/s well above "
        f"{args.connections / GOAL_P99_MS * 1e3:,.0f}."
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--items", type=int, default=100_000, help="items in the library (100000)")
    ap.add_argument("--folders", type=int, default=1000, help="folders (1000)")
    ap.add_argument("--tags", type=int, default=200, help="tags (200)")
    ap.add_argument("--duration", type=int, default=10, help="seconds per case (10)")
    ap.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    ap.add_argument("--serial", type=int, default=3, help="seconds at c=1 per case, 0: none (3)")
    ap.add_argument("--pg", metavar="URL", help="also on a fresh database of this PostgreSQL")
    ap.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only (with --pg)")
    ap.add_argument(
        "--no-explain", dest="explain", action="store_false", help="skip the in-process SQL"
    )
    ap.add_argument(
        "--what-if",
        action="store_true",
        help="add the indexes in WHAT_IF (not in the schema) to the bench's database first",
    )
    if not shutil.which("wrk"):
        say("error: wrk is not installed (Debian: apt-get install wrk)")
        return 2
    return run_stoppable(ap, "items", run)


if __name__ == "__main__":
    sys.exit(main())
