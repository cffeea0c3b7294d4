"""Thumbnails for image items: what to make, making it, recording it.

Work is keyed by fingerprint: two copies of one photo are thumbnailed once.
A thumbnail whose files exist is skipped unless forced. The thumbnail job
(jobs/kinds.py) and `mediashelf thumbs` (jobs/batch.py) run on these.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, delete, insert, or_, select, update

from mediashelf.config import Settings
from mediashelf.db.models import Derived, Item, Root
from mediashelf.library.cache import derived_relpath, thumbnail_variant
from mediashelf.library.clock import utcnow
from mediashelf.library.roots import in_library
from mediashelf.media.images import Thumb, make_thumbnails


@dataclass(frozen=True)
class ThumbTask:
    fingerprint: str
    src: str
    targets: list[tuple[int, Path]]
    quality: int
    max_pixels: int


def task_for(settings: Settings, fp: str, src: str) -> ThumbTask:
    ext = settings.thumbnails_ext
    targets = [
        (px, settings.cache_dir / derived_relpath(fp, "thumbnail", thumbnail_variant(px, ext)))
        for px in settings.thumbnail_sizes.values()
    ]
    return ThumbTask(fp, src, targets, settings.thumbnail_quality, settings.max_image_pixels)


def all_made(task: ThumbTask) -> bool:
    return all(dst.exists() for _, dst in task.targets)


def make(task: ThumbTask) -> list[Thumb]:
    """Make one image's thumbnails. Raises ImageError for a file that cannot be read."""
    return make_thumbnails(task.src, task.targets, quality=task.quality, max_pixels=task.max_pixels)


def plan(
    engine: Engine,
    settings: Settings,
    force: bool = False,
    skip: frozenset[str] = frozenset(),
    only: list[int] | None = None,
    kinds: tuple[str, ...] = ("image", "video"),
) -> tuple[list[tuple[int, ThumbTask]], int]:
    """(item id, task) for each item whose thumbnails are to be made, and how many have them.

    Images, and videos once probed (their thumbnails are made from a poster
    frame). Fingerprints in `skip` (quarantined) are left out; `only`: just
    these item ids; `kinds`: image, video or both.
    """
    wanted = []
    if "image" in kinds:
        wanted.append(Item.kind == "image")
    if "video" in kinds:
        wanted.append((Item.kind == "video") & Item.container.is_not(None))
    query = (
        select(Item.id, Item.fingerprint, Root.path, Item.rel_path)
        .join(Root, Root.id == Item.root_id)
        .where(or_(*wanted), Item.status == "present", Item.error.is_(None))
        .where(in_library(settings))
        .where(Item.fingerprint.is_not(None))
        .order_by(Item.date.desc(), Item.id)
    )
    if only is not None:
        query = query.where(Item.id.in_(only))
    tasks: list[tuple[int, ThumbTask]] = []
    done: set[str] = set(skip)
    skipped = 0
    with engine.connect() as conn:
        for item_id, fp, root_path, rel in conn.execute(query):
            assert fp is not None  # filtered in the query
            if fp in done:
                continue
            done.add(fp)
            task = task_for(settings, fp, str(Path(root_path) / rel))
            if not force and all_made(task):
                skipped += 1
                continue
            tasks.append((item_id, task))
    return tasks, skipped


def record(
    engine: Engine, settings: Settings, fp: str, made: list[Thumb], kind: str = "thumbnail"
) -> None:
    """Note made files (thumbnails, or a video's preview media) in the derived table."""
    now = utcnow()
    variants = [t.path.name.rsplit("_", 1)[1] for t in made]
    with engine.begin() as conn:
        conn.execute(
            delete(Derived).where(
                Derived.fingerprint == fp,
                Derived.kind == kind,
                Derived.variant.in_(variants),
            )
        )
        conn.execute(
            insert(Derived),
            [
                {
                    "fingerprint": fp,
                    "kind": kind,
                    "variant": variant,
                    "path": t.path.relative_to(settings.cache_dir).as_posix(),
                    "width": t.width,
                    "height": t.height,
                    "bytes": t.bytes,
                    "created_at": now,
                }
                for variant, t in zip(variants, made, strict=True)
            ],
        )
        color = next((t.color for t in made if t.color), None)
        if kind == "thumbnail" and color:
            conn.execute(update(Item).where(Item.fingerprint == fp).values(color=color))
