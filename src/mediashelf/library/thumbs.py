"""Thumbnails for every image item, made on all cores.

Work is keyed by fingerprint: two copies of one photo are thumbnailed once.
A thumbnail whose file exists is skipped unless forced. A failure is recorded
on the item (its `error`) and the run goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, delete, insert, select, update

from mediashelf.config import Settings
from mediashelf.db.models import Derived, Item, Root
from mediashelf.library.cache import derived_relpath, thumbnail_variant
from mediashelf.library.roots import in_library
from mediashelf.library.scan import utcnow
from mediashelf.media.images import ImageError, Thumb, make_thumbnails

log = logging.getLogger("mediashelf.thumbnails")


@dataclass
class ThumbReport:
    made: int = 0
    skipped: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class ThumbTask:
    fingerprint: str
    src: str
    targets: list[tuple[int, Path]]
    quality: int
    max_pixels: int


def run_task(task: ThumbTask) -> tuple[str, list[Thumb] | str]:
    """Make one image's thumbnails; (fingerprint, thumbs or error message)."""
    try:
        return task.fingerprint, make_thumbnails(
            task.src, task.targets, quality=task.quality, max_pixels=task.max_pixels
        )
    except ImageError as exc:
        return task.fingerprint, str(exc)
    except Exception as exc:  # a decoder bug must not stop the whole run
        log.exception("thumbnail failed for %s", task.src)
        return task.fingerprint, f"cannot make thumbnail: {type(exc).__name__}: {exc}"


def plan(engine: Engine, settings: Settings, force: bool) -> tuple[list[ThumbTask], int]:
    """The thumbnails to make, and how many images already have theirs."""
    query = (
        select(Item.fingerprint, Root.path, Item.rel_path)
        .join(Root, Root.id == Item.root_id)
        .where(Item.kind == "image", Item.status == "present", Item.error.is_(None))
        .where(in_library(settings))
        .where(Item.fingerprint.is_not(None))
        .order_by(Item.date.desc(), Item.id)
    )
    tasks: list[ThumbTask] = []
    done: set[str] = set()
    skipped = 0
    ext = settings.thumbnails_ext
    with engine.connect() as conn:
        for fp, root_path, rel in conn.execute(query):
            assert fp is not None  # filtered in the query
            if fp in done:
                continue
            done.add(fp)
            targets = [
                (
                    px,
                    settings.cache_dir
                    / derived_relpath(fp, "thumbnail", thumbnail_variant(px, ext)),
                )
                for px in settings.thumbnail_sizes.values()
            ]
            if not force and all(dst.exists() for _, dst in targets):
                skipped += 1
                continue
            tasks.append(
                ThumbTask(
                    fp,
                    str(Path(root_path) / rel),
                    targets,
                    settings.thumbnail_quality,
                    settings.max_image_pixels,
                )
            )
    return tasks, skipped


def run(
    engine: Engine,
    settings: Settings,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ThumbReport:
    """Make all missing thumbnails. `progress(done, total)` is called as they land."""
    tasks, skipped = plan(engine, settings, force)
    report = ThumbReport(skipped=skipped)
    batch: list[tuple[str, list[Thumb] | str]] = []
    for n, result in enumerate(_results(tasks, settings.workers), 1):
        batch.append(result)
        if len(batch) >= 64:
            _record(engine, settings, batch, report)
            batch = []
        if progress:
            progress(n, len(tasks))
    _record(engine, settings, batch, report)
    return report


def _results(tasks: list[ThumbTask], workers: int) -> Iterator[tuple[str, list[Thumb] | str]]:
    if workers <= 1 or len(tasks) <= 1:
        yield from map(run_task, tasks)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(run_task, tasks, chunksize=2)


def _record(
    engine: Engine,
    settings: Settings,
    batch: list[tuple[str, list[Thumb] | str]],
    report: ThumbReport,
) -> None:
    if not batch:
        return
    now = utcnow()
    cache = settings.cache_dir
    with engine.begin() as conn:
        for fp, outcome in batch:
            if isinstance(outcome, str):
                conn.execute(update(Item).where(Item.fingerprint == fp).values(error=outcome))
                paths = conn.execute(select(Item.rel_path).where(Item.fingerprint == fp))
                report.errors.extend((str(p), outcome) for p in paths.scalars())
                continue
            report.made += 1
            variants = [t.path.name.rsplit("_", 1)[1] for t in outcome]
            conn.execute(
                delete(Derived).where(
                    Derived.fingerprint == fp,
                    Derived.kind == "thumbnail",
                    Derived.variant.in_(variants),
                )
            )
            conn.execute(
                insert(Derived),
                [
                    {
                        "fingerprint": fp,
                        "kind": "thumbnail",
                        "variant": variant,
                        "path": t.path.relative_to(cache).as_posix(),
                        "width": t.width,
                        "height": t.height,
                        "bytes": t.bytes,
                        "created_at": now,
                    }
                    for variant, t in zip(variants, outcome, strict=True)
                ],
            )
