"""The job kinds: what each kind of job does, as one function of its context.

A kind returns a short message for the jobs table, raises `Permanent` for a
failure that retrying cannot fix (a corrupt file), and calls
`ctx.progress()` as it goes, which also stops it when a user cancels it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from mediashelf.db.models import Item
from mediashelf.jobs import store
from mediashelf.jobs.store import BACKGROUND, NewJob
from mediashelf.library import backup, identity, thumbs
from mediashelf.library import scan as scanner
from mediashelf.library.events import emit
from mediashelf.media.images import ImageError

if TYPE_CHECKING:
    from mediashelf.jobs.queue import Jobs

from mediashelf.jobs import video as video_kinds
from mediashelf.jobs.context import GONE, Cancelled, JobContext, Permanent
from mediashelf.jobs.plans import (
    hash_jobs,
    preview_jobs,
    probe_jobs,
    quarantined,
    thumbnail_jobs,
)

__all__ = ["KINDS", "Cancelled", "JobContext", "Permanent", "quarantined", "thumbnail_jobs"]


log = logging.getLogger("mediashelf.worker")


def thumbnail(ctx: JobContext) -> str:
    """An image's thumbnails, all sizes from one decode; a video's from its poster frame."""
    row = ctx.item(Item.kind)
    if row is None:
        return GONE
    task = thumbs.task_for(ctx.settings, row.fingerprint, str(row.path))
    if not ctx.params.get("force") and thumbs.all_made(task):
        return "already made"
    if row.kind == "video":
        made = video_kinds.poster(ctx, task)
    else:
        try:
            made = thumbs.make(task)
        except ImageError as exc:
            raise Permanent(str(exc)) from None
    thumbs.record(ctx.engine, ctx.settings, row.fingerprint, made)
    return f"made {len(made)} thumbnails"


SCAN_KEY = "scan"  # one dedupe key for every scan: two never run at once


def scan_job(priority: int = BACKGROUND, paths: list[str] | None = None) -> NewJob:
    """A scan of the whole library, or only of `paths` (absolute, under the roots)."""
    if paths:
        return NewJob("scan", SCAN_KEY, "folder", params={"paths": paths}, priority=priority)
    return NewJob("scan", SCAN_KEY, priority=priority)


def scan_now(jobs: Jobs, paths: list[str]) -> bool:
    """Scan these paths (all roots if none) here and now: the watcher's batches.

    False: another scan holds the library, or this call ran an older pending
    scan instead; try again later.
    """
    from mediashelf.jobs import runner  # the runner imports this module

    # Created without a queue message: this process runs it, no worker needs waking.
    [(job_id, created, _)] = store.create(jobs.engine, [scan_job(store.USER, paths)])
    ctx = runner.start(jobs, job_id)  # ours, or a pending scan whose time has come
    if ctx is None:
        return False
    try:
        message = summary(*scan_library(ctx))
    except BaseException as exc:
        runner.end(ctx, exc)
        raise
    runner.end(ctx, None, message)
    return created  # False: we ran an older pending scan; the caller tries its paths again


def scan_library(
    ctx: JobContext, progress: Callable[[int, str], None] | None = None
) -> tuple[scanner.ScanReport, int]:
    """Scan the library, then queue thumbnails for what is new: (report, jobs queued).

    The scan job below and `mediashelf scan` both run this.
    """
    told = 0  # files looked at, as last passed on to `progress`
    fraction = 0.0
    total: int | None = None

    def advance(report: scanner.ScanReport, rel: str) -> None:
        nonlocal told, fraction, total
        counted = not report.counting and total != report.found  # a walk has just ended
        total = None if report.counting else report.found
        if total is None:
            message = f"{report.found} files found, still counting"
        else:
            fraction = report.seen / total if total else 1.0
            message = f"{report.seen} of {total} files looked at"
        ctx.progress(fraction, message, done=report.seen, total=total, now=counted)
        if progress:
            progress(report.seen - told, rel)
        told = report.seen

    paths = ctx.params.get("paths")
    if paths:
        report = scanner.scan_paths(ctx.engine, ctx.settings, paths, advance)
    else:
        report = scanner.scan(ctx.engine, ctx.settings, advance)
    # A whole scan plans over the library (catching anything left over); a scan of some
    # paths (the watcher's) only over what it touched, which stays cheap in a big library.
    # The last count, sent at once: the stream's clients see the scan reach n of n.
    done = f"{report.seen} of {report.found} files looked at"
    ctx.progress(1.0, done, done=report.seen, total=report.found, now=True)
    only = report.touched if paths else None
    queued = ctx.jobs.submit(thumbnail_jobs(ctx.engine, ctx.settings, only=only))
    ctx.jobs.submit(probe_jobs(ctx.engine, ctx.settings, only=only))
    ctx.jobs.submit(preview_jobs(ctx.engine, ctx.settings, only=only))
    ctx.jobs.submit(hash_jobs(ctx.engine, ctx.settings, only=only))
    with ctx.engine.begin() as conn:  # for the live stream: what the scan changed
        emit(
            conn,
            "library",
            job=ctx.job.id,
            paths=paths or None,
            new=report.new,
            changed=report.changed,
            moved=report.moved,
            missing=report.missing,
            errors=len(report.errors),
        )
    return report, sum(created for _, created in queued)


def summary(report: scanner.ScanReport, queued: int) -> str:
    return (
        f"{report.new} new, {report.changed} changed, {report.moved} moved, "
        f"{report.missing} missing, {len(report.errors)} errors; "
        f"{queued} thumbnail jobs queued"
    )


def scan(ctx: JobContext) -> str:
    """Scan the library, then queue thumbnails for what is new."""
    return summary(*scan_library(ctx))


def full_hash(ctx: JobContext) -> str:
    """Hash a whole file, and tell apart files whose fast fingerprints collide.

    Derived media is keyed by fingerprint, so two different files sharing
    one would share thumbnails. When the full hashes disagree, this file gets
    its full hash as its fingerprint, and both files' thumbnails are made anew.
    """
    row = ctx.item(Item.size, Item.mtime_ns)
    if row is None:
        return GONE
    path = str(row.path)
    try:
        digest = identity.full_hash(path)
        st = os.stat(path)
    except FileNotFoundError:
        return "nothing to do: the file is gone (the next scan marks it missing)"
    if (st.st_size, st.st_mtime_ns) != (row.size, row.mtime_ns):
        return "the file changed while it was hashed; the next scan queues it again"
    fp = row.fingerprint
    with ctx.engine.begin() as conn:
        others = conn.execute(
            select(Item.id).where(
                Item.fingerprint == fp,
                Item.id != ctx.job.item_id,
                Item.full_hash.is_not(None),
                Item.full_hash != digest,
            )
        ).scalars()
        clash = list(others)
        values = {"full_hash": digest, "fingerprint": digest if clash else fp}
        conn.execute(
            update(Item).where(Item.id == ctx.job.item_id, Item.fingerprint == fp).values(**values)
        )
    if not clash:
        return "hashed"
    log.warning(
        "fingerprint collision: item %d and item(s) %s share fingerprint %s but differ; "
        "item %d now goes by its full hash %s",
        ctx.job.item_id,
        clash,
        fp,
        ctx.job.item_id,
        digest,
    )
    ctx.jobs.submit(
        [
            NewJob(
                "thumbnail",
                f"thumbnail:{key}",
                target="item",
                item_id=item_id,
                params={"force": True},
                priority=BACKGROUND,
            )
            for item_id, key in [(ctx.job.item_id, digest), (clash[0], fp)]
        ]
    )
    return f"fingerprint collision with item {clash[0]}: now keyed by the full hash"


def nightly_backup(ctx: JobContext) -> str:
    """The nightly backup (library/backup.py): maintenance queues it once a day."""
    return backup.nightly(ctx.engine, ctx.settings)


KINDS: dict[str, Callable[[JobContext], str]] = {
    "thumbnail": thumbnail,
    "scan": scan,
    "hash": full_hash,
    "backup": nightly_backup,
    **video_kinds.KINDS,
}
