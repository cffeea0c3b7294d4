"""Many clients writing at once against a real `mediashelf serve` on SQLite.

32 client threads (8 users, 4 threads each, every one with its own keep-alive
connection and its user's API key) rate, tag, favorite and record views for
MEDIASHELF_CONCURRENCY_SECONDS (default 30) against gunicorn with two web workers.
No answer may be a 5xx or mention "database is locked", and afterwards the database
must agree with what the server acknowledged: every acknowledged view counted once,
each rating and favorite as its last acknowledged write, every acknowledged tag link
there.

Ratings and favorites of a (user, item) pair are written by one thread only (item
index modulo 4 picks the thread), so "the last acknowledged write" is well defined.
Views and tags are shared: any thread of a user views any item, any thread tags any
item with any of a small pool of names (some created by the race itself).
"""

from __future__ import annotations

import logging
import os
import random
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mediashelf.auth import apikeys, users
from mediashelf.db.engine import make_engine, upgrade
from mediashelf.db.models import Favorite, Item, ItemTag, Rating, Tag, View
from mediashelf.library.scan import scan
from tests import factory
from tests.conftest import make_settings
from tests.serving import LOG_DIR, served

SECONDS = float(os.environ.get("MEDIASHELF_CONCURRENCY_SECONDS", "30"))
USERS = 8
THREADS_PER_USER = 4
PHOTOS = 50
TAG_NAMES = [f"crowd {i:02d}" for i in range(12)]  # none exists before the run
LOCKED = "database is locked"


@dataclass
class Tally:
    """What one client thread sent and what the server acknowledged (2xx)."""

    user: int
    views: Counter[int] = field(default_factory=Counter)  # item id -> counted views acked
    ratings: dict[int, int | None] = field(default_factory=dict)  # item -> last acked value
    favorites: dict[int, bool] = field(default_factory=dict)  # item -> last acked state
    tags: set[tuple[str, int]] = field(default_factory=set)  # (tag name, item id) acked
    tag_ids: dict[str, int] = field(default_factory=dict)  # names seen in answers
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)  # (kind, status)
    bad: list[str] = field(default_factory=list)  # 5xx, locked, unexpected answers
    errors: list[str] = field(default_factory=list)  # transport errors (unknown outcome)


@dataclass
class Library:
    tmp: Path
    env: dict[str, str]
    db_url: str
    item_ids: list[int]
    keys: list[str]  # one API key per user
    user_ids: list[int]


@pytest.fixture
def library(tmp_path: Path) -> Library:
    media = tmp_path / "media"
    for i in range(PHOTOS):
        factory.jpeg(media / f"album_{i % 5}" / f"p{i:03d}.jpg", (64, 48), seed=i + 1)
    db_url = f"sqlite:///{tmp_path / 'data' / 'mediashelf.db'}"
    settings = make_settings(tmp_path, media, db_url)
    engine = make_engine(db_url)
    upgrade(engine)
    assert scan(engine, settings).new == PHOTOS
    keys, user_ids = [], []
    with Session(engine) as db:
        item_ids = sorted(db.scalars(select(Item.id)))
        for n in range(USERS):
            user = users.create(db, f"crowd{n}", None, "member")
            _, secret = apikeys.create(db, user, "concurrency", "write")
            keys.append(secret)
            user_ids.append(user.id)
    engine.dispose()
    env = {
        "MEDIA_DIR": str(media),
        "DATA_DIR": str(tmp_path / "data"),
        "CACHE_DIR": str(tmp_path / "cache"),
        "DATABASE_URL": db_url,
        "WEB_WORKERS": "2",
        "WATCH": "false",
        "LOG_LEVEL": "warning",
        "AUTH": "on",
    }
    return Library(tmp_path, env, db_url, item_ids, keys, user_ids)


@dataclass
class Go:
    """The start signal (every thread with its client made) and the common deadline."""

    barrier: threading.Barrier
    deadline: float = 0.0


def client_thread(base: str, lib: Library, index: int, go: Go) -> Tally:
    """One client: random writes (and a few reads) from the start signal to the deadline."""
    user, slot = index % USERS, index // USERS
    tally = Tally(user)
    rng = random.Random(index)
    owned = [i for n, i in enumerate(lib.item_ids) if n % THREADS_PER_USER == slot]
    headers = {"authorization": f"Bearer {lib.keys[user]}"}

    def send(kind: str, method: str, path: str, body: Any = None) -> httpx.Response | None:
        try:
            resp = client.request(method, path, json=body)
        except httpx.HTTPError as exc:
            tally.errors.append(f"{method} {path} {body}: {type(exc).__name__} {exc}")
            return None
        tally.statuses[kind, resp.status_code] += 1
        if not resp.is_success or LOCKED in resp.text:
            tally.bad.append(f"{method} {path} {body} -> {resp.status_code} {resp.text[:200]}")
        return resp

    with httpx.Client(base_url=base, headers=headers, timeout=60, trust_env=False) as client:
        go.barrier.wait()
        while time.monotonic() < go.deadline:
            roll = rng.random()
            if roll < 0.40:  # a view, usually counted, sometimes only the position
                item = rng.choice(lib.item_ids)
                counted = rng.random() < 0.9
                body = {"position": round(rng.uniform(0, 600), 2), "count": counted}
                resp = send("view", "POST", f"/api/v1/items/{item}/views", body)
                if resp is not None and resp.is_success and counted:
                    tally.views[item] += 1
            elif roll < 0.65:  # a rating of an item this thread owns (or clearing it)
                item = rng.choice(owned)
                value = None if rng.random() < 0.1 else rng.randrange(0, 101)
                path = f"/api/v1/items/{item}/rating"
                if value is None:
                    resp = send("rating", "DELETE", path)
                else:
                    resp = send("rating", "PUT", path, {"value": value})
                if resp is not None and resp.is_success:
                    assert resp.json()["mine"] == value, (path, value, resp.text)
                    tally.ratings[item] = value
            elif roll < 0.85:  # tags on a few items, by name or id (names made in the race)
                items = rng.sample(lib.item_ids, rng.randint(1, 3))
                picked = rng.sample(TAG_NAMES, rng.randint(1, 2))
                refs: list[int | str] = [
                    tally.tag_ids[n] if n in tally.tag_ids and rng.random() < 0.5 else n
                    for n in picked
                ]
                resp = send("tag", "POST", "/api/v1/tags/attach", {"tags": refs, "items": items})
                if resp is not None and resp.is_success:
                    tally.tags.update((name, item) for name in picked for item in items)
            elif roll < 0.95:  # a favorite of an owned item, on or off
                item = rng.choice(owned)
                on = rng.random() < 0.6
                resp = send("favorite", "PUT" if on else "DELETE", f"/api/v1/items/{item}/favorite")
                if resp is not None and resp.is_success:
                    tally.favorites[item] = on
            else:  # a read: the list, which shows every kind of data written above
                tag = rng.choice([None, *tally.tag_ids.values()])
                resp = send(
                    "list", "GET", "/api/v1/items?limit=20" + (f"&tag={tag}" if tag else "")
                )
                if resp is not None and resp.is_success:
                    for entry in resp.json()["items"]:
                        tally.tag_ids.update({t["name"]: t["id"] for t in entry["tags"]})
    return tally


def hammer(base: str, lib: Library) -> list[Tally]:
    """USERS x THREADS_PER_USER clients for SECONDS; what each one saw."""
    threads = USERS * THREADS_PER_USER
    results: list[Tally | BaseException | None] = [None] * threads
    go = Go(threading.Barrier(threads + 1))

    def run(i: int) -> None:
        try:
            results[i] = client_thread(base, lib, i, go)
        except BaseException as exc:
            results[i] = exc
            go.barrier.abort()

    pool = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(threads)]
    for t in pool:
        t.start()
    go.deadline = time.monotonic() + 10 + SECONDS  # the loops read it on every turn:
    go.barrier.wait(timeout=10)  # once all have their client, the run is SECONDS long
    go.deadline = time.monotonic() + SECONDS
    for t in pool:
        t.join(SECONDS + 120)
    assert not any(t.is_alive() for t in pool), "client threads still running"
    failed = [r for r in results if not isinstance(r, Tally)]
    assert not failed, f"client threads failed: {failed[:3]}"
    return [r for r in results if isinstance(r, Tally)]


def server_errors(log: Path) -> list[str]:
    """The exception lines of the server's log (the last line of each traceback)."""
    text = log.read_text("utf-8", "replace")
    return [line for line in text.splitlines() if re.match(r"[\w.]+(Error|Exception)\b", line)]


def check_answers(tallies: list[Tally], log: Path) -> None:
    """No 5xx, no 'database is locked', no refusal, an answer to every request."""
    statuses: Counter[tuple[str, int]] = sum((t.statuses for t in tallies), Counter())
    total = sum(statuses.values())
    summary = ", ".join(f"{k} {s}: {n}" for (k, s), n in sorted(statuses.items()))
    print(f"\n{total} requests in {SECONDS:.0f} s ({total / SECONDS:.0f}/s): {summary}")
    bad = [b for t in tallies for b in t.bad]
    errors = [e for t in tallies for e in t.errors]
    logged = server_errors(log)
    assert not bad, (
        f"{len(bad)} of {total} requests failed ({summary}), e.g.:\n"
        + "\n".join(bad[:10])
        + "\nthe server logged:\n"
        + "\n".join(sorted(set(logged))[:10])
    )
    assert not errors, f"{len(errors)} requests had no answer, e.g.:\n" + "\n".join(errors[:10])
    assert not logged, "the server logged errors:\n" + "\n".join(logged[:10])
    assert LOCKED not in log.read_text("utf-8", "replace")
    assert total > len(tallies) * 5, f"only {total} requests in {SECONDS} s"


def check_database(lib: Library, tallies: list[Tally]) -> None:
    """The database holds what the server acknowledged, no more, no less."""
    views: Counter[tuple[int, int]] = Counter()
    ratings: dict[tuple[int, int], int | None] = {}
    favorites: dict[tuple[int, int], bool] = {}
    tag_links: set[tuple[str, int]] = set()
    for t in tallies:
        uid = lib.user_ids[t.user]
        for item, n in t.views.items():
            views[uid, item] += n
        for item, value in t.ratings.items():
            assert (uid, item) not in ratings, "two threads rated one (user, item)"
            ratings[uid, item] = value
        for item, on in t.favorites.items():
            assert (uid, item) not in favorites, "two threads favorited one (user, item)"
            favorites[uid, item] = on
        tag_links |= t.tags

    engine = make_engine(lib.db_url)
    try:
        with Session(engine) as db:
            db_views = {(v.user_id, v.item_id): v.count for v in db.scalars(select(View))}
            db_ratings = {(r.user_id, r.item_id): r.value for r in db.scalars(select(Rating))}
            db_favorites = {(f.user_id, f.item_id) for f in db.scalars(select(Favorite))}
            links = select(Tag.name, ItemTag.item_id).join(ItemTag, ItemTag.tag_id == Tag.id)
            db_links = {(name, item) for name, item in db.execute(links)}
            db_tags = list(db.scalars(select(Tag.name)))
    finally:
        engine.dispose()
    print(
        f"acknowledged: {sum(views.values())} counted views over {len(views)} (user, item) "
        f"pairs, {len(ratings)} rated pairs, {len(favorites)} favorited pairs, "
        f"{len(tag_links)} tag links; the database: {sum(db_views.values())} views, "
        f"{len(db_ratings)} ratings, {len(db_favorites)} favorites, {len(db_links)} tag "
        f"links, {len(db_tags)} tags"
    )

    wrong_views = {p: (n, db_views.get(p, 0)) for p, n in views.items() if db_views.get(p, 0) != n}
    assert not wrong_views, f"(user, item): (acknowledged, stored) {list(wrong_views.items())[:10]}"
    assert not {p for p, n in db_views.items() if n and p not in views}, "unacknowledged views"
    wrong_ratings = {
        p: (value, db_ratings.get(p)) for p, value in ratings.items() if db_ratings.get(p) != value
    }
    assert not wrong_ratings, (
        f"(user, item): (last acked, stored) {list(wrong_ratings.items())[:10]}"
    )
    assert set(db_ratings) <= set(ratings), "ratings nobody acknowledged"
    wrong_favorites = {p: on for p, on in favorites.items() if (p in db_favorites) != on}
    assert not wrong_favorites, f"(user, item): last acked {list(wrong_favorites.items())[:10]}"
    assert db_favorites <= {p for p, on in favorites.items() if on}, "unacknowledged favorites"
    missing = tag_links - db_links
    assert not missing, f"acknowledged tag links not stored: {sorted(missing)[:10]}"
    assert sorted(db_tags) == sorted(set(db_tags)) and set(db_tags) <= set(TAG_NAMES), db_tags


@pytest.mark.slow
def test_many_clients_writing_at_once_lose_nothing(library: Library) -> None:
    log = LOG_DIR / f"concurrency-{os.getpid()}-{time.monotonic_ns()}.log"
    httpx_log = logging.getLogger("httpx")
    level = httpx_log.level
    httpx_log.setLevel(logging.WARNING)  # not a line per request in the run's log
    try:
        with served(library.env, library.tmp, log=log) as base:
            tallies = hammer(base, library)
            check_answers(tallies, log)  # here: should the server then hang on its way out
    finally:
        httpx_log.setLevel(level)
    check_database(library, tallies)
