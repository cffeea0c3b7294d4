"""The admin jobs API under /api/v1/admin: rescan, generate, jobs, queue, pause.

Work is queued here and done by the job workers (`mediashelf worker`, or the
one `mediashelf serve` starts): every POST that starts work answers 202 at
once with the job(s) it queued. Progress then shows in GET /admin/jobs/{id}
and on the live stream (/api/v1/events).

There is one scan at a time: a rescan while one is queued or running is
refused with 409, naming that job.

No authentication yet (accounts come in a later issue): until then, like
every route, these are open to whoever can reach the server.
"""

from __future__ import annotations

import json
import os
from enum import StrEnum
from pathlib import Path as FsPath
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, Engine, and_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mediashelf.config import Settings
from mediashelf.db.models import PENDING, Item, Job, Root
from mediashelf.jobs import kinds as job_kinds
from mediashelf.jobs import plans, store
from mediashelf.library import thumbs
from mediashelf.library.paths import confine, is_inside
from mediashelf.library.roots import in_library
from mediashelf.web.deps import DbDep, JobsDep, SettingsDep
from mediashelf.web.security import access

router = APIRouter(prefix="/admin", tags=["admin"])

MAX_ID = 2**63 - 1
JobId = Annotated[int, Path(ge=1, le=MAX_ID)]
ListedId = Annotated[int, Field(ge=1, le=MAX_ID)]


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"
    cancelled = "cancelled"


class JobKind(StrEnum):
    """Every kind of job (jobs/kinds.py KINDS); a test checks the two agree."""

    scan = "scan"
    thumbnail = "thumbnail"
    hash = "hash"
    backup = "backup"
    probe = "probe"
    sprites = "sprites"
    previews = "previews"
    teaser = "teaser"


class GenerateKind(StrEnum):
    """What POST /admin/generate can make: thumbnails (images, video posters), and a
    video's seek-bar sprites, preview strip and teasers."""

    thumbnail = "thumbnail"
    sprites = "sprites"
    previews = "previews"
    teaser = "teaser"


def job_json(job: Job) -> dict[str, Any]:
    def when(value: Any) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": job.id,
        "kind": job.kind,
        "target": job.target,
        "item_id": job.item_id,
        "root_id": job.root_id,
        "path": job.path,
        "params": json.loads(job.params or "{}"),
        "priority": job.priority,
        "status": job.status,
        "progress": job.progress,
        "message": job.message,
        "attempts": job.attempts,
        "error": job.error,
        "worker": job.worker,
        "lease_until": when(job.lease_until),
        "run_after": when(job.run_after),
        "created_at": when(job.created_at),
        "updated_at": when(job.updated_at),
        "started_at": when(job.started_at),
        "finished_at": when(job.finished_at),
    }


def _job_or_404(db: Session, job_id: int) -> Job:
    job = db.get(Job, job_id)
    if job is None:
        raise HTTPException(404, f"job {job_id} not found")
    return job


def _ids(ids: list[int], limit: int = 20) -> str:
    shown = ", ".join(str(i) for i in ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


# -- rescan ----------------------------------------------------------------------


class RescanRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str | None = Field(
        default=None,
        max_length=4096,
        description=(
            "Only this file or folder: relative to a library root (every root that has it), "
            "or absolute under one. Leave out to rescan the whole library."
        ),
    )


def _scan_paths(settings: Settings, raw: str) -> list[str]:
    """The real paths `raw` names under the library roots; 404 if none, 422 if malformed."""
    if not raw:
        raise HTTPException(422, "path is empty: leave it out to rescan the whole library")
    if "\x00" in raw:
        raise HTTPException(422, "path contains a NUL byte")
    found: list[str] = []
    for root in settings.root_paths:
        if raw.startswith("/"):
            real = os.path.realpath(raw)
            path = real if is_inside(root, real) else None
        else:
            confined = confine(root, raw)
            path = str(confined) if confined is not None else None
        if path is not None and os.path.exists(path) and path not in found:
            found.append(path)
    if not found:
        raise HTTPException(404, f"no file or folder {raw!r} in the library roots")
    return found


@router.post("/rescan", openapi_extra=access("admin"), status_code=202)
def rescan(
    settings: SettingsDep, jobs: JobsDep, db: DbDep, body: RescanRequest | None = None
) -> Any:
    """Queue a scan of the whole library, or of one file or folder. 409 while one is pending."""
    paths = _scan_paths(settings, body.path) if body and body.path is not None else None
    for _attempt in range(2):  # the pending scan may finish between the two steps
        [(job_id, created)] = jobs.submit([job_kinds.scan_job(store.BACKGROUND, paths)])
        job = db.get(Job, job_id, populate_existing=True)
        if job is None:
            continue
        if created:
            return {"job": job_json(job)}
        if job.status in PENDING:
            return JSONResponse(
                {
                    "detail": (
                        f"a scan is already {job.status} (job {job.id}); wait for it to "
                        f"finish, or cancel it with POST /api/v1/admin/jobs/{job.id}/cancel"
                    ),
                    "job": job_json(job),
                },
                status_code=409,
            )
        db.rollback()  # a fresh snapshot for the second look
    raise HTTPException(409, "another scan started and ended meanwhile; try again")


# -- generate --------------------------------------------------------------------


class GenerateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kinds: list[GenerateKind] = Field(
        min_length=1,
        max_length=10,
        description="What to make: thumbnail, sprites, previews, teaser.",
    )
    item_ids: list[ListedId] | None = Field(
        default=None,
        min_length=1,
        max_length=5000,
        description="Only these items. Leave out for every image that lacks them.",
    )
    force: bool = Field(
        default=False,
        description="Make them again even if they exist; also retries quarantined items.",
    )


def _thumbnail_jobs_for(
    db: Session, engine: Engine, settings: Settings, item_ids: list[int], force: bool
) -> tuple[list[store.NewJob], list[dict[str, Any]]]:
    """Thumbnail jobs for these items, and the items skipped (with why)."""
    wanted = list(dict.fromkeys(item_ids))
    rows = db.execute(
        select(Item.id, Item.kind, Item.status, Item.error, Item.fingerprint)
        .add_columns(Root.path.label("root"), Item.rel_path)
        .join(Root, Root.id == Item.root_id)
        .where(Item.id.in_(wanted), in_library(settings))
    ).all()
    by_id = {row.id: row for row in rows}
    unknown = [i for i in wanted if i not in by_id]
    if unknown:
        raise HTTPException(404, f"no such items in the library: {_ids(unknown)}")
    problems = []
    for i in wanted:
        row = by_id[i]
        if row.kind != "image":
            problems.append(f"{i} is a {row.kind}, thumbnails are made for images")
        elif row.status != "present":
            problems.append(f"{i} is missing from disk")
        elif row.error or not row.fingerprint:
            problems.append(f"{i} cannot be read ({row.error or 'not fingerprinted yet'})")
    if problems:
        shown = "; ".join(problems[:20])
        more = f"; and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise HTTPException(422, f"cannot make thumbnails for item {shown}{more}")
    failed = frozenset() if force else job_kinds.quarantined(engine, "thumbnail")
    out: list[store.NewJob] = []
    skipped: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i in wanted:
        row = by_id[i]
        key = f"thumbnail:{row.fingerprint}"
        if key in seen:  # a copy of a photo already in the list: same thumbnails
            continue
        seen.add(key)
        if key in failed:
            why = "quarantined: its thumbnails failed before (use force to try again)"
            skipped.append({"item_id": i, "why": why})
            continue
        task = thumbs.task_for(settings, row.fingerprint, str(FsPath(row.root) / row.rel_path))
        if not force and thumbs.all_made(task):
            skipped.append({"item_id": i, "why": "already has thumbnails (use force to remake)"})
            continue
        out.append(
            store.NewJob(
                "thumbnail",
                key,
                target="item",
                item_id=i,
                params={"force": True} if force else None,
                priority=store.USER,
            )
        )
    return out, skipped


@router.post("/generate", openapi_extra=access("admin"), status_code=202)
def generate(
    body: GenerateRequest, settings: SettingsDep, jobs: JobsDep, db: DbDep
) -> dict[str, Any]:
    """Queue derived files (thumbnails) ahead of background work: someone is waiting.

    `queued`: jobs created now; `already_queued`: the same work was pending and
    now runs at this priority; `jobs`: the ids of both.
    """
    new_jobs: list[store.NewJob] = []
    skipped: list[dict[str, Any]] = []
    if GenerateKind.thumbnail in body.kinds:
        if body.item_ids is None:
            new_jobs = job_kinds.thumbnail_jobs(jobs.engine, settings, body.force, store.USER)
        else:
            new_jobs, skipped = _thumbnail_jobs_for(
                db, jobs.engine, settings, body.item_ids, body.force
            )
    wanted = {k.value for k in body.kinds} - {"thumbnail"}
    if wanted:
        video_jobs = plans.preview_jobs(
            jobs.engine, settings, only=body.item_ids, force=body.force, priority=store.USER
        )
        new_jobs += [j for j in video_jobs if j.kind in wanted]
    db.rollback()  # the session's connection goes back before the jobs are written
    submitted = jobs.submit(new_jobs)
    created = sum(1 for _, made in submitted if made)
    return {
        "queued": created,
        "already_queued": len(submitted) - created,
        "jobs": [job_id for job_id, _ in submitted],
        "skipped": skipped,
    }


# -- jobs ------------------------------------------------------------------------


@router.get("/jobs", openapi_extra=access("admin"))
def list_jobs(
    db: DbDep,
    status: Annotated[
        list[JobStatus] | None, Query(description="Only jobs in these states (repeatable)")
    ] = None,
    kind: Annotated[JobKind | None, Query(description="Only jobs of this kind")] = None,
    item_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only this item's")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="next_cursor from the previous page")
    ] = None,
) -> dict[str, Any]:
    """Jobs, newest first. Follow `next_cursor` for the next page."""
    conditions: list[ColumnElement[bool]] = []
    if status:
        conditions.append(Job.status.in_([s.value for s in status]))
    if kind is not None:
        conditions.append(Job.kind == kind.value)
    if item_id is not None:
        conditions.append(Job.item_id == item_id)
    if cursor is not None:
        conditions.append(Job.id < cursor)
    query = select(Job).where(and_(true(), *conditions)).order_by(Job.id.desc()).limit(limit + 1)
    rows = db.execute(query).scalars().all()
    page = rows[:limit]
    next_cursor = page[-1].id if len(rows) > limit else None
    return {"jobs": [job_json(j) for j in page], "next_cursor": next_cursor}


@router.get("/jobs/{job_id}", openapi_extra=access("admin"))
def get_job(job_id: JobId, db: DbDep) -> dict[str, Any]:
    return job_json(_job_or_404(db, job_id))


@router.post("/jobs/retry-failed", openapi_extra=access("admin"))
def retry_failed(
    jobs: JobsDep,
    kind: Annotated[JobKind | None, Query(description="Only failed jobs of this kind")] = None,
) -> dict[str, Any]:
    """Queue every failed job (of one kind) again, attempts reset."""
    where = Job.status == "failed"
    if kind is not None:
        where = and_(where, Job.kind == kind.value)
    try:
        back = store.retry(jobs.engine, where)
    except IntegrityError:
        raise HTTPException(409, "the same work was queued meanwhile; try again") from None
    jobs.resend(back)
    return {"retried": len(back), "jobs": [job_id for job_id, _ in back]}


@router.post("/jobs/{job_id}/cancel", openapi_extra=access("admin"))
def cancel_job(job_id: JobId, jobs: JobsDep, db: DbDep) -> dict[str, Any]:
    """Cancel a queued or running job; a running one stops at its next progress report."""
    cancelled = store.cancel(jobs.engine, job_id)
    job = _job_or_404(db, job_id)
    if not cancelled:
        raise HTTPException(
            409, f"job {job_id} is {job.status}: only pending jobs can be cancelled"
        )
    return job_json(job)


@router.post("/jobs/{job_id}/retry", openapi_extra=access("admin"))
def retry_job(job_id: JobId, jobs: JobsDep, db: DbDep) -> dict[str, Any]:
    """Queue a failed or cancelled job again, attempts reset."""
    try:
        back = store.retry(jobs.engine, Job.id == job_id)
    except IntegrityError:
        raise HTTPException(409, "the same work was queued meanwhile; try again") from None
    jobs.resend(back)
    job = _job_or_404(db, job_id)
    if not back:
        if job.status not in ("failed", "cancelled"):
            raise HTTPException(
                409, f"job {job_id} is {job.status}: only failed or cancelled jobs can be retried"
            )
        other = db.execute(
            select(Job.id).where(Job.dedupe_key == job.dedupe_key, Job.status.in_(PENDING))
        ).scalar()
        raise HTTPException(
            409, f"the same work is already pending as job {other}: follow that one instead"
        )
    return job_json(job)


# -- queue -----------------------------------------------------------------------


def _queue(jobs: JobsDep) -> dict[str, Any]:
    depth = {kind.value: {"queued": 0, "running": 0, "failed": 0} for kind in JobKind}
    for kind, counts in store.depth(jobs.engine).items():
        depth.setdefault(kind, {"queued": 0, "running": 0, "failed": 0}).update(counts)
    return {"paused": store.is_paused(jobs.engine), "kinds": depth}


@router.get("/queue", openapi_extra=access("admin"))
def queue(jobs: JobsDep) -> dict[str, Any]:
    """Jobs queued, running and failed, per kind; and whether the queue is paused."""
    return _queue(jobs)


@router.post("/pause", openapi_extra=access("admin"))
def pause(jobs: JobsDep) -> dict[str, Any]:
    """Soft pause: running jobs finish, workers start no new ones until resumed."""
    store.set_paused(jobs.engine, True)
    return _queue(jobs)


@router.post("/resume", openapi_extra=access("admin"))
def resume(jobs: JobsDep) -> dict[str, Any]:
    store.set_paused(jobs.engine, False)
    return _queue(jobs)
