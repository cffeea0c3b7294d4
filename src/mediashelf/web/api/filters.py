"""GET/PUT /api/v1/admin/content-filters: site-wide hides by tag, performer or studio.

An item with any hidden tag, performer or studio disappears from every listing, count
and random pick, for everyone; people who are not admins cannot open it directly
either (library/visibility.py).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import Field
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mediashelf.db.models import ContentFilter, Performer, Studio, Tag
from mediashelf.library.clock import utcnow
from mediashelf.web.api.auth import Strict
from mediashelf.web.deps import DbDep
from mediashelf.web.security import access

router = APIRouter(tags=["admin"])

MODELS: dict[str, Any] = {"tag": Tag, "performer": Performer, "studio": Studio}
Ids = list[Annotated[int, Field(ge=1, le=2**63 - 1)]]


class Filters(Strict):
    tags: Ids = Field(default_factory=list, max_length=10_000)
    performers: Ids = Field(default_factory=list, max_length=10_000)
    studios: Ids = Field(default_factory=list, max_length=10_000)


def filters_json(db: Session) -> dict[str, Any]:
    shown: dict[str, list[dict[str, Any]]] = {"tags": [], "performers": [], "studios": []}
    for kind, model in MODELS.items():
        rows = db.execute(
            select(model.id, model.name)
            .join(ContentFilter, ContentFilter.target_id == model.id)
            .where(ContentFilter.kind == kind)
            .order_by(model.name)
        )
        shown[f"{kind}s"] = [{"id": i, "name": n} for i, n in rows]
    return shown


@router.get("/admin/content-filters", openapi_extra=access("admin"))
def get_filters(db: DbDep) -> dict[str, Any]:
    """What is hidden site-wide."""
    return filters_json(db)


@router.put("/admin/content-filters", openapi_extra=access("admin"))
def put_filters(body: Filters, request: Request, db: DbDep) -> dict[str, Any]:
    """Replace the site-wide hides. Ids that name nothing are refused (422)."""
    wanted = {"tag": set(body.tags), "performer": set(body.performers), "studio": set(body.studios)}
    for kind, ids in wanted.items():
        model = MODELS[kind]
        known = set(db.scalars(select(model.id).where(model.id.in_(ids)))) if ids else set()
        if unknown := sorted(ids - known):
            raise HTTPException(422, f"no {kind} with id {', '.join(map(str, unknown[:20]))}")
    now = utcnow()
    db.execute(delete(ContentFilter))
    db.add_all(
        ContentFilter(kind=kind, target_id=target, created_at=now)
        for kind, ids in wanted.items()
        for target in sorted(ids)
    )
    db.commit()
    request.app.state.fingerprints.refresh()  # this process's thumbnails: at once
    return filters_json(db)
