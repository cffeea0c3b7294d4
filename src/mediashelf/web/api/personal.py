"""Each user's own data on items: ratings, views (with the resume position), favorites.

Ratings are 1-5 stars stored as 0-100 (a star is 20), so finer scales fit later. A
selection's ratings and favorites change in one request (`/ratings/set`,
`/favorites/add|remove`): all its items or, when one is unknown or hidden, none.
Recording a view is cheap enough for every play and every position report: the request
looks the item up, hands its connection back, and gives the view to the process's
`ViewBatcher` for the app (library/views.py; made on first use, closed by the app's
shutdown and at exit). With nothing in flight the view is written at once; views that
arrive during a write share the next transaction (group commit). Each request is
answered once its view has committed; a database that is locked or unreachable answers
503 with Retry-After, a view of an item deleted meanwhile 404.

Also the seed video server's routes, kept working: `GET/POST /api/ratings/{hash}`
and `/api/add-favourite|remove-favourite|is-favourite/{hash}`.
"""

from __future__ import annotations

import os
import threading
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import Field
from sqlalchemy import delete, func, insert, select, tuple_, update
from sqlalchemy.orm import Session

from mediashelf.auth.access import Principal
from mediashelf.config import Settings
from mediashelf.db.models import Favorite, Item, Rating
from mediashelf.db.upsert import upsert
from mediashelf.library import names
from mediashelf.library.clock import utcnow
from mediashelf.library.roots import in_library
from mediashelf.library.views import DatabaseBusy, ItemGone, ViewBatcher
from mediashelf.library.visibility import shown
from mediashelf.web import cursors
from mediashelf.web.api.auth import Strict
from mediashelf.web.api.items import (
    ItemId,
    by_hash,
    decode_cursor,
    items_json,
    lookup,
    not_found,
)
from mediashelf.web.api.tags import MAX_LINKS, ListedId, listed_ids
from mediashelf.web.deps import DbDep, SettingsDep
from mediashelf.web.responses import WHY, Problem
from mediashelf.web.security import PrincipalDep, access

router = APIRouter(tags=["personal"])
seed = APIRouter(tags=["seed"])

_making_batcher = threading.Lock()
BUSY = "the database is busy or unavailable: the view was not recorded, try again"


def view_batcher(app: FastAPI) -> ViewBatcher:
    """The app's view batcher in this process, made on first use (so each gunicorn
    worker has its own, even where the app was made before a fork). The app's shutdown
    closes it, writing what is pending (uvicorn workers end with their SIGTERM, where
    atexit handlers do not run); the interpreter's exit does too."""
    batcher: ViewBatcher | None = getattr(app.state, "view_batcher", None)
    if batcher is not None and not batcher.closed and batcher.pid == os.getpid():
        return batcher
    with _making_batcher:
        batcher = getattr(app.state, "view_batcher", None)
        if batcher is None or batcher.closed or batcher.pid != os.getpid():
            batcher = ViewBatcher(app.state.engine)
            app.state.view_batcher = batcher
            if not getattr(app.state, "view_batcher_closes", False):
                app.state.view_batcher_closes = True
                app.router.on_shutdown.append(partial(_close_batcher, app))
        return batcher


async def _close_batcher(app: FastAPI) -> None:
    batcher: ViewBatcher | None = getattr(app.state, "view_batcher", None)
    if batcher is not None:
        await run_in_threadpool(batcher.close)  # it may wait for a commit in flight


class NewRating(Strict):
    value: int = Field(ge=0, le=100, description="0-100; a star is 20 (3 stars: 60)")


class Selection(Strict):
    items: list[ListedId] = Field(min_length=1, max_length=MAX_LINKS)


class SelectionRating(Selection):
    value: int | None = Field(ge=0, le=100, description="0-100 (a star is 20); null clears")


class NewView(Strict):
    position: float | None = Field(
        default=None, ge=0, le=1e7, description="Seconds into a video, to resume from"
    )
    count: bool = Field(default=True, description="Count a view (false: only the position)")


def rating_json(db: Session, user_id: int, item_id: int) -> dict[str, Any]:
    avg, count = db.execute(
        select(func.avg(Rating.value), func.count()).where(Rating.item_id == item_id)
    ).one()
    mine = db.scalar(
        select(Rating.value).where(Rating.item_id == item_id, Rating.user_id == user_id)
    )
    return {
        "item_id": item_id,
        "average": round(float(avg), 1) if avg is not None else None,
        "count": int(count),
        "mine": mine,
    }


def rate(db: Session, user_id: int, item_id: int, value: int | None) -> None:
    """Set (or with None, clear) a user's rating of an item."""
    if value is None:
        db.execute(delete(Rating).where(Rating.user_id == user_id, Rating.item_id == item_id))
    else:
        now = utcnow()
        row = {"user_id": user_id, "item_id": item_id, "value": value, "updated_at": now}
        upsert(db, Rating, row, ["user_id", "item_id"], {"value": value, "updated_at": now})
    db.commit()


def favor(db: Session, user_id: int, item_id: int, on: bool) -> None:
    if on:
        row = {"user_id": user_id, "item_id": item_id, "created_at": utcnow()}
        upsert(db, Favorite, row, ["user_id", "item_id"], {"user_id": user_id})
    else:
        db.execute(delete(Favorite).where(Favorite.user_id == user_id, Favorite.item_id == item_id))
    db.commit()


def is_favorite(db: Session, user_id: int, item_id: int) -> bool:
    query = select(Favorite.item_id).where(Favorite.user_id == user_id, Favorite.item_id == item_id)
    return db.scalar(query) is not None


def visible(db: Session, settings: Settings, principal: Principal, ids: list[int]) -> list[int]:
    """`ids` without repeats, when every one is an item this principal may see (as `lookup`
    checks one); else 404 naming those that are not."""
    where = [in_library(settings)] + ([] if "admin" in principal.perms else [shown(db)])
    unique = list(dict.fromkeys(ids))
    missing = sorted(set(unique) - names.existing(db, Item.id, unique, *where))
    if missing:
        raise HTTPException(404, f"no such items in the library: {listed_ids(missing)}")
    return unique


def rate_many(db: Session, user_id: int, ids: list[int], value: int | None) -> int:
    """Set (None: clear) a user's rating of each item, in one transaction. Answers how
    many ratings changed."""
    changed, now = 0, utcnow()
    for chunk in names.chunks(ids):
        mine = (Rating.user_id == user_id, Rating.item_id.in_(chunk))
        rated = {i: v for i, v in db.execute(select(Rating.item_id, Rating.value).where(*mine))}
        if value is None:
            db.execute(delete(Rating).where(*mine))
            changed += len(rated)
            continue
        other = [i for i, v in rated.items() if v != value]
        if other:
            db.execute(
                update(Rating)
                .where(Rating.user_id == user_id, Rating.item_id.in_(other))
                .values(value=value, updated_at=now)
            )
        new = [i for i in chunk if i not in rated]
        if new:
            rows = [
                {"user_id": user_id, "item_id": i, "value": value, "updated_at": now} for i in new
            ]
            db.execute(insert(Rating), rows)
        changed += len(other) + len(new)
    db.commit()
    return changed


def favor_many(db: Session, user_id: int, ids: list[int], on: bool) -> int:
    """Add or remove the items from a user's favorites, in one transaction. Answers how
    many were added or removed (those already so are left alone: their date stays)."""
    changed, now = 0, utcnow()
    for chunk in names.chunks(ids):
        mine = (Favorite.user_id == user_id, Favorite.item_id.in_(chunk))
        have = set(db.scalars(select(Favorite.item_id).where(*mine)))
        if not on:
            db.execute(delete(Favorite).where(*mine))
            changed += len(have)
            continue
        new = [i for i in chunk if i not in have]
        if new:
            rows = [{"user_id": user_id, "item_id": i, "created_at": now} for i in new]
            db.execute(insert(Favorite), rows)
        changed += len(new)
    db.commit()
    return changed


@router.post("/ratings/set", openapi_extra=access("write"))
def rate_selection(
    body: SelectionRating, db: DbDep, settings: SettingsDep, principal: PrincipalDep
) -> dict[str, int]:
    """Rate many items at once (null clears your ratings of them). All or nothing: an
    unknown item refuses the whole request. Answers how many of your ratings changed."""
    ids = visible(db, settings, principal, body.items)
    return {"changed": rate_many(db, principal.user_id, ids, body.value)}


@router.post("/favorites/add", openapi_extra=access("write"))
def favor_selection(
    body: Selection, db: DbDep, settings: SettingsDep, principal: PrincipalDep
) -> dict[str, int]:
    """Add many items to your favorites. All or nothing. Answers how many were added."""
    ids = visible(db, settings, principal, body.items)
    return {"changed": favor_many(db, principal.user_id, ids, True)}


@router.post("/favorites/remove", openapi_extra=access("write"))
def unfavor_selection(
    body: Selection, db: DbDep, settings: SettingsDep, principal: PrincipalDep
) -> dict[str, int]:
    """Take many items out of your favorites. All or nothing. Answers how many were."""
    ids = visible(db, settings, principal, body.items)
    return {"changed": favor_many(db, principal.user_id, ids, False)}


@router.get("/items/{item_id}/rating", openapi_extra=access("read"))
def get_rating(
    item_id: ItemId, db: DbDep, settings: SettingsDep, principal: PrincipalDep
) -> dict[str, Any]:
    """The item's average rating, how many rated it, and yours."""
    return rating_json(db, principal.user_id, lookup(db, settings, item_id, principal).id)


@router.put("/items/{item_id}/rating", openapi_extra=access("write"))
def put_rating(
    item_id: ItemId, body: NewRating, db: DbDep, settings: SettingsDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Rate an item (your rating replaces your earlier one)."""
    item = lookup(db, settings, item_id, principal)
    rate(db, principal.user_id, item.id, body.value)
    return rating_json(db, principal.user_id, item.id)


@router.delete("/items/{item_id}/rating", openapi_extra=access("write"))
def delete_rating(
    item_id: ItemId, db: DbDep, settings: SettingsDep, principal: PrincipalDep
) -> dict[str, Any]:
    item = lookup(db, settings, item_id, principal)
    rate(db, principal.user_id, item.id, None)
    return rating_json(db, principal.user_id, item.id)


@router.post(
    "/items/{item_id}/views",
    openapi_extra=access("read"),
    responses={503: {"model": Problem, "description": WHY[503]}},
)
def record_view(
    item_id: ItemId,
    body: NewView,
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    """Record that you viewed an item (and where a video was left off). Viewers may: it
    is what playing does. Answered once the view has committed, with the row as your
    view left it (views arriving together share one transaction)."""
    found = lookup(db, settings, item_id, principal).id
    # Hand the connection back before waiting for the writer: waiting requests must
    # hold none, or enough of them would leave the writer (and the app) without one.
    db.close()
    batcher = view_batcher(request.app)
    try:
        view = batcher.record(principal.user_id, found, body.count, body.position)
    except ItemGone:
        raise not_found() from None  # deleted since it was looked up
    except DatabaseBusy:
        raise HTTPException(503, BUSY, headers={"Retry-After": "1"}) from None
    return {
        "item_id": found,
        "count": view.count,
        "last_viewed_at": view.last_viewed_at.isoformat(),
        "position": view.position,
    }


@router.put("/items/{item_id}/favorite", openapi_extra=access("write"))
def add_favorite(
    item_id: ItemId, db: DbDep, settings: SettingsDep, principal: PrincipalDep
) -> dict[str, Any]:
    item = lookup(db, settings, item_id, principal)
    favor(db, principal.user_id, item.id, True)
    return {"item_id": item.id, "favorite": True}


@router.delete("/items/{item_id}/favorite", openapi_extra=access("write"))
def remove_favorite(
    item_id: ItemId, db: DbDep, settings: SettingsDep, principal: PrincipalDep
) -> dict[str, Any]:
    item = lookup(db, settings, item_id, principal)
    favor(db, principal.user_id, item.id, False)
    return {"item_id": item.id, "favorite": False}


@router.get("/favorites", openapi_extra=access("read"))
def list_favorites(
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=500, description="next_cursor")] = None,
) -> dict[str, Any]:
    """Your favorites, most recently added first."""
    query = (
        select(Item, Favorite.created_at)
        .join(Favorite, Favorite.item_id == Item.id)
        .where(Favorite.user_id == principal.user_id, in_library(settings), shown(db))
        .order_by(Favorite.created_at.desc(), Item.id.desc())
    )
    if cursor is not None:
        added, last_id = decode_cursor(cursor, "-date")
        query = query.where(tuple_(Favorite.created_at, Item.id) < tuple_(added, last_id))
    rows = list(db.execute(query.limit(limit + 1)))
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        next_cursor = cursors.encode("-date", page[-1][1], page[-1][0].id)
    return {
        "items": items_json(db, settings, principal, [item for item, _ in page]),
        "next_cursor": next_cursor,
    }


# -- the seed video server's routes ----------------------------------------------------


class SeedRating(Strict):
    rating: int = Field(ge=0, le=5, description="Stars, 1-5; 0 clears your rating")


def _stars(value: float | None) -> float | None:
    return round(value / 20, 1) if value is not None else None


def _seed_rating(db: Session, principal: Principal, item: Item) -> dict[str, Any]:
    summary = rating_json(db, principal.user_id, item.id)
    return {
        "media_hash": item.fingerprint,
        "rating": _stars(summary["mine"]),
        "average": _stars(summary["average"]),
        "count": summary["count"],
    }


@seed.get("/api/ratings/{media_hash}", openapi_extra=access("read"))
def seed_get_rating(
    media_hash: str, db: DbDep, settings: SettingsDep, principal: PrincipalDep
) -> dict[str, Any]:
    """The seed's ratings API: your rating in stars, the average, the count."""
    return _seed_rating(db, principal, by_hash(db, settings, media_hash, principal))


@seed.post("/api/ratings/{media_hash}", openapi_extra=access("write"))
def seed_post_rating(
    media_hash: str, body: SeedRating, db: DbDep, settings: SettingsDep, principal: PrincipalDep
) -> dict[str, Any]:
    item = by_hash(db, settings, media_hash, principal)
    rate(db, principal.user_id, item.id, body.rating * 20 if body.rating else None)
    return _seed_rating(db, principal, item)


@seed.post("/api/add-favourite/{media_hash}", openapi_extra=access("write"))
def seed_add_favourite(
    media_hash: str, db: DbDep, settings: SettingsDep, principal: PrincipalDep
) -> dict[str, Any]:
    item = by_hash(db, settings, media_hash, principal)
    favor(db, principal.user_id, item.id, True)
    return {"media_hash": item.fingerprint, "favourite": True}


@seed.post("/api/remove-favourite/{media_hash}", openapi_extra=access("write"))
def seed_remove_favourite(
    media_hash: str, db: DbDep, settings: SettingsDep, principal: PrincipalDep
) -> dict[str, Any]:
    item = by_hash(db, settings, media_hash, principal)
    favor(db, principal.user_id, item.id, False)
    return {"media_hash": item.fingerprint, "favourite": False}


@seed.get("/api/is-favourite/{media_hash}", openapi_extra=access("read"))
def seed_is_favourite(
    media_hash: str, db: DbDep, settings: SettingsDep, principal: PrincipalDep
) -> dict[str, Any]:
    item = by_hash(db, settings, media_hash, principal)
    return {
        "media_hash": item.fingerprint,
        "favourite": is_favorite(db, principal.user_id, item.id),
    }
