"""The library roots, for the dashboard: list them with their counts and scan state, add
a folder as a new root (checked, then scanned), take one out (its rows are kept, hidden,
for when it comes back).

The roots are the `media_dir` setting: MEDIA_DIR until an admin changes them here, then
the list stored in the database (library/tunables.py), which every process reads.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediashelf.config import Settings
from mediashelf.db.models import PENDING, Item, Job, Root
from mediashelf.jobs import kinds as job_kinds
from mediashelf.jobs import store
from mediashelf.library import tunables
from mediashelf.library.roots import check_new_root
from mediashelf.web.api.admin import job_json
from mediashelf.web.api.auth import Strict
from mediashelf.web.deps import DbDep, JobsDep
from mediashelf.web.security import access

router = APIRouter(prefix="/admin", tags=["admin"])


class NewLibrary(Strict):
    path: str = Field(min_length=1, max_length=4096, description="An absolute folder on the server")


def _pending_scan(db: Session) -> Job | None:
    """The scan pending or running now, if any."""
    return db.scalar(
        select(Job).where(Job.kind == "scan", Job.status.in_(PENDING)).order_by(Job.id).limit(1)
    )


def _covers(job: Job | None, real: str) -> bool:
    """Whether this scan looks at the root: a whole scan, or one of some paths in it."""
    if job is None:
        return False
    paths = json.loads(job.params or "{}").get("paths")
    return not paths or any(p == real or p.startswith(real.rstrip(os.sep) + os.sep) for p in paths)


def libraries_json(db: Session, settings: Settings) -> dict[str, Any]:
    rows = {r.path: r for r in db.scalars(select(Root).where(Root.path.in_(settings.root_paths)))}
    counts: dict[tuple[int, str, str], int] = {
        (root_id, kind, status): n
        for root_id, kind, status, n in db.execute(
            select(Item.root_id, Item.kind, Item.status, func.count())
            .where(Item.root_id.in_([r.id for r in rows.values()]))
            .group_by(Item.root_id, Item.kind, Item.status)
        )
    }
    pending = _pending_scan(db)
    out = []
    for configured, real in zip(settings.media_dir, settings.root_paths, strict=True):
        row = rows.get(real)

        def n(kind: str, status: str = "present", row: Root | None = row) -> int:
            return counts.get((row.id, kind, status), 0) if row is not None else 0

        out.append(
            {
                "path": str(configured),
                "real_path": real,
                "id": row.id if row is not None else None,
                "online": os.path.isdir(real),
                "images": n("image"),
                "videos": n("video"),
                "missing": n("image", "missing") + n("video", "missing"),
                "last_scan_at": row.last_scan_at.isoformat()
                if row is not None and row.last_scan_at
                else None,
                # "queued" or "running": the pending scan looks at this root; else None.
                "scan": pending.status if pending is not None and _covers(pending, real) else None,
            }
        )
    return {"libraries": out, "scan": job_json(pending) if pending is not None else None}


@router.get("/libraries", openapi_extra=access("admin"))
def list_libraries(request: Request, db: DbDep) -> dict[str, Any]:
    """The library roots: items in each, whether the folder is there (a disk may be
    unmounted), when it was last scanned, whether the scan pending or running looks at
    it (`scan`: queued, running or null), and that scan."""
    live: tunables.LiveSettings = request.app.state.live
    return libraries_json(db, live.refresh())  # a root added a moment ago, in any process


@router.post("/libraries", openapi_extra=access("admin"), status_code=201)
def add_library(body: NewLibrary, request: Request, db: DbDep, jobs: JobsDep) -> dict[str, Any]:
    """Add a folder as a library root, then scan it. Refused (400) for a folder that is
    missing, unreadable, a system folder, Mediashelf's own data, or inside (or around)
    a root."""
    live: tunables.LiveSettings = request.app.state.live
    settings = live.refresh()  # the roots as stored now: another process may have changed them
    try:
        real = check_new_root(body.path, settings)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    roots = [str(p) for p in settings.media_dir] + [real]
    try:
        tunables.change(live.engine, live.base, {"media_dir": roots})
    except tunables.TunableError as exc:
        raise HTTPException(400, str(exc)) from None
    now = live.refresh()
    [(job_id, _)] = jobs.submit([job_kinds.scan_job(store.BACKGROUND, [real])])
    out = libraries_json(db, now)
    job = db.get(Job, job_id, populate_existing=True)
    out["job"] = job_json(job) if job is not None else None  # the scan that covers it
    return out


@router.delete("/libraries", openapi_extra=access("admin"))
def remove_library(
    path: Annotated[str, Query(min_length=1, max_length=4096, description="A root's path")],
    request: Request,
    db: DbDep,
) -> dict[str, Any]:
    """Take a root out of the library. Its items and everything on them (tags, ratings,
    captions...) are kept, hidden, and come back if the folder is added again; nothing
    on disk is touched. The last root cannot be removed."""
    live: tunables.LiveSettings = request.app.state.live
    settings = live.refresh()  # the roots as stored now: another process may have changed them
    real = os.path.realpath(path) if "\x00" not in path else ""
    keep = [
        str(p) for p, r in zip(settings.media_dir, settings.root_paths, strict=True) if r != real
    ]
    if len(keep) == len(settings.media_dir):
        raise HTTPException(404, f"{path} is not a library root")
    if not keep:
        raise HTTPException(409, "the library needs at least one root: add another first")
    tunables.change(live.engine, live.base, {"media_dir": [Path(p).as_posix() for p in keep]})
    return libraries_json(db, live.refresh())
