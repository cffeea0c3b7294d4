"""Captions: GET/POST /api/v1/items/{id}/caption. Every change is kept; the newest is
current. People write them (source `manual`, with the author); generators (a later
issue) will add theirs with source `ai`, the model and the prompt."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from mediashelf.db.models import Caption, User
from mediashelf.library.clock import utcnow
from mediashelf.web.api.auth import Strict
from mediashelf.web.api.items import ItemId, lookup
from mediashelf.web.deps import DbDep, SettingsDep
from mediashelf.web.security import PrincipalDep, access

router = APIRouter(tags=["captions"])

HISTORY = 50  # versions shown; all are kept


class NewCaption(Strict):
    text: str = Field(max_length=20_000, description="The caption; empty clears it")


def caption_json(caption: Caption, author: str | None) -> dict[str, Any]:
    return {
        "id": caption.id,
        "text": caption.text,
        "source": caption.source,
        "author": author,
        "model": caption.model,
        "created_at": caption.created_at.isoformat(),
    }


def captions_of(db: Session, item_id: int) -> dict[str, Any]:
    rows = db.execute(
        select(Caption, User.username)
        .outerjoin(User, User.id == Caption.author_id)
        .where(Caption.item_id == item_id)
        .order_by(Caption.created_at.desc(), Caption.id.desc())
        .limit(HISTORY)
    ).all()
    history = [caption_json(caption, author) for caption, author in rows]
    current = history[0] if history and history[0]["text"] else None
    return {"item_id": item_id, "current": current, "history": history}


@router.get("/items/{item_id}/caption", openapi_extra=access("read"))
def get_caption(
    item_id: ItemId, db: DbDep, settings: SettingsDep, principal: PrincipalDep
) -> dict[str, Any]:
    """The current caption and the history of changes, newest first."""
    return captions_of(db, lookup(db, settings, item_id, principal).id)


@router.post("/items/{item_id}/caption", status_code=201, openapi_extra=access("write"))
def post_caption(
    item_id: ItemId, body: NewCaption, db: DbDep, settings: SettingsDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Write the caption. The earlier ones stay in the history."""
    item = lookup(db, settings, item_id, principal)
    db.add(
        Caption(
            item_id=item.id,
            text=body.text.strip(),
            source="manual",
            author_id=principal.user_id,
            created_at=utcnow(),
        )
    )
    db.commit()
    return captions_of(db, item.id)
