"""Planning bulk work: which items need which jobs.

A scan calls these for what it found; `mediashelf thumbs` and the generate
API call them for the whole library. Work whose job failed for good
(quarantined) is left out unless forced.
"""

from __future__ import annotations

from sqlalchemy import Engine, Select, select
from sqlalchemy.orm import aliased

from mediashelf.config import Settings
from mediashelf.db.models import Item, Job
from mediashelf.jobs.store import BACKGROUND, IDLE, NewJob
from mediashelf.library import previews, thumbs
from mediashelf.library.roots import in_library


def quarantined(engine: Engine, kind: str) -> frozenset[str]:
    """Dedupe keys of jobs of `kind` that failed for good and have not been done since
    (a forced or retried run); bulk work leaves them alone."""
    later = aliased(Job)
    done_since = (
        select(later.id)
        .where(later.dedupe_key == Job.dedupe_key, later.status == "done", later.id > Job.id)
        .exists()
    )
    query = select(Job.dedupe_key).where(Job.kind == kind, Job.status == "failed", ~done_since)
    with engine.connect() as conn:
        return frozenset(conn.execute(query).scalars())


def thumbnail_jobs(
    engine: Engine,
    settings: Settings,
    force: bool = False,
    priority: int = BACKGROUND,
    only: list[int] | None = None,
    kinds: tuple[str, ...] = ("image", "video"),
) -> list[NewJob]:
    """A thumbnail job for each image (and probed video) that lacks thumbnails (all of
    them, if forced)."""
    return thumbnail_plan(engine, settings, force, priority, only, kinds)[0]


def thumbnail_plan(
    engine: Engine,
    settings: Settings,
    force: bool = False,
    priority: int = BACKGROUND,
    only: list[int] | None = None,
    kinds: tuple[str, ...] = ("image", "video"),
) -> tuple[list[NewJob], int]:
    """thumbnail_jobs, and how many items already have their thumbnails."""
    skip = frozenset() if force else quarantined(engine, "thumbnail")
    fps = frozenset(key.removeprefix("thumbnail:") for key in skip)
    tasks, made = thumbs.plan(engine, settings, force, skip=fps, only=only, kinds=kinds)
    params = {"force": True} if force else None
    jobs = [
        NewJob(
            "thumbnail",
            f"thumbnail:{task.fingerprint}",
            target="item",
            item_id=item_id,
            params=params,
            priority=priority,
        )
        for item_id, task in tasks
    ]
    return jobs, made


def _per_item(
    engine: Engine, kind: str, query: Select[int], only: list[int] | None, priority: int
) -> list[NewJob]:
    if only is not None:
        query = query.where(Item.id.in_(only))
    skip = quarantined(engine, kind)
    with engine.connect() as conn:
        ids = conn.execute(query.order_by(Item.id)).scalars().all()
    return [
        NewJob(kind, f"{kind}:{i}", target="item", item_id=i, priority=priority)
        for i in ids
        if f"{kind}:{i}" not in skip
    ]


def hash_jobs(engine: Engine, settings: Settings, only: list[int] | None = None) -> list[NewJob]:
    """A full-hash job for each present file that has none yet (`only`: of these ids)."""
    query = select(Item.id).where(
        Item.status == "present",
        Item.full_hash.is_(None),
        Item.fingerprint.is_not(None),
        in_library(settings),
    )
    return _per_item(engine, "hash", query, only, IDLE)


def probe_jobs(engine: Engine, settings: Settings, only: list[int] | None = None) -> list[NewJob]:
    """A probe job for each present video not probed yet (`only`: of these ids)."""
    query = select(Item.id).where(
        Item.kind == "video",
        Item.status == "present",
        Item.error.is_(None),
        Item.container.is_(None),
        Item.fingerprint.is_not(None),
        in_library(settings),
    )
    return _per_item(engine, "probe", query, only, BACKGROUND)


def preview_jobs(
    engine: Engine,
    settings: Settings,
    only: list[int] | None = None,
    force: bool = False,
    priority: int = BACKGROUND,
) -> list[NewJob]:
    """Sprites, preview strip and teasers, as the settings ask, for each probed video
    lacking them (all of them, if forced). One job per kind and content."""
    query = select(Item.id, Item.fingerprint).where(
        Item.kind == "video",
        Item.status == "present",
        Item.error.is_(None),
        Item.container.is_not(None),
        Item.fingerprint.is_not(None),
        in_library(settings),
    )
    if only is not None:
        query = query.where(Item.id.in_(only))
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(Item.id)).all()
    out: list[NewJob] = []
    for kind in previews.enabled(settings):
        skip = frozenset() if force else quarantined(engine, kind)
        seen: set[str] = set()
        for item_id, fp in rows:
            key = f"{kind}:{fp}"
            if (
                fp is None
                or fp in seen
                or key in skip
                or (not force and previews.made(settings, kind, fp))
            ):
                continue
            seen.add(fp)
            params = {"force": True} if force else None
            out.append(NewJob(kind, key, "item", item_id, params=params, priority=priority))
    return out
