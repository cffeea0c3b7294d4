"""Discovery: a random pick, a seeded random order (stable for a seed, paginated), and a
"spotlight" pick that favours favorites and high ratings. Content filters apply.

Also the seed video app's routes: /api/get-random-video, …-seeded/{seed},
/api/get-random-spotlight-video and /api/get-video-data/{hash}.
"""

from __future__ import annotations

import random
import re
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from sqlalchemy import BigInteger, ColumnElement, cast, func, literal, select, tuple_, union_all
from sqlalchemy.orm import Session

from mediashelf.auth.access import Principal
from mediashelf.config import Settings
from mediashelf.db.models import Favorite, Item, ItemPerformer, ItemStudio, ItemTag, Rating
from mediashelf.library.roots import in_library
from mediashelf.library.visibility import shown
from mediashelf.web.api.items import ItemId, Kind, by_hash, items_json, lookup, not_found
from mediashelf.web.deps import DbDep, SettingsDep
from mediashelf.web.responses import errors
from mediashelf.web.security import PrincipalDep, access

router = APIRouter(tags=["discover"])
seed_router = APIRouter(tags=["seed"])

Seed = Annotated[
    int, Path(ge=0, le=2**31 - 1, description="Any number: the same one gives the same order")
]
# The order a seed picks: a key per id that mixes the id with seed-chosen factors, modulo a
# prime, computed by the database so that pages follow one order (ties, rare, go by id).
# Squaring makes it non-linear: an affine key alone (id * m mod p) kept neighbouring ids in
# step, so a fifth of all seeds sorted a small library in plain or reversed id order. Every
# factor stays below 2^31, so no product leaves 64 bits.
_PRIME = 2_147_483_647
_CURSOR = re.compile(r"(\d{1,10})\.(\d{1,19})")
SPOTLIGHT_POOL = 5_000  # the best-liked items the spotlight draws from


def _base(db: Session, settings: Settings, kind: Kind | None) -> list[ColumnElement[bool]]:
    conditions = [Item.status == "present", Item.error.is_(None), in_library(settings), shown(db)]
    if kind is not None:
        conditions.append(Item.kind == kind.value)
    return conditions


def _order_key(seed: int) -> ColumnElement[int]:
    multiplier = 1 + (seed * 2_654_435_761 + 40_503) % (_PRIME - 1)
    offset = (seed * 40_503 + 12_345) % _PRIME
    # BIGINT: PostgreSQL's INTEGER arithmetic would overflow.
    mixed = (cast(Item.id, BigInteger) * multiplier + offset) % _PRIME
    mixed = ((mixed * mixed) % _PRIME * 48_271 + multiplier) % _PRIME
    return (mixed * mixed) % _PRIME  # type: ignore[no-any-return]


def random_items(db: Session, settings: Settings, kind: Kind | None, limit: int) -> list[Item]:
    query = select(Item).where(*_base(db, settings, kind)).order_by(func.random()).limit(limit)
    return list(db.scalars(query))


def seeded_page(
    db: Session, settings: Settings, kind: Kind | None, seed: int, limit: int, cursor: str | None
) -> tuple[list[Item], str | None]:
    key = _order_key(seed)
    query = select(Item, key).where(*_base(db, settings, kind))
    if cursor is not None:
        match = _CURSOR.fullmatch(cursor)
        if match is None:
            raise HTTPException(400, "invalid cursor: use next_cursor from the previous page")
        query = query.where(tuple_(key, Item.id) > tuple_(int(match[1]), int(match[2])))
    rows = db.execute(query.order_by(key, Item.id).limit(limit + 1)).all()
    page = rows[:limit]
    next_cursor = f"{page[-1][1]}.{page[-1][0].id}" if len(rows) > limit else None
    return [item for item, _ in page], next_cursor


def spotlight(db: Session, settings: Settings, kind: Kind | None) -> Item | None:
    """A random item, each weighted by 1 + 3 per person who favorited it + its average
    rating in stars; when nobody has liked anything yet, a plain random pick."""
    favorites = (
        select(Favorite.item_id, func.count().label("n")).group_by(Favorite.item_id).subquery()
    )
    ratings = (
        select(Rating.item_id, func.avg(Rating.value).label("avg"))
        .group_by(Rating.item_id)
        .subquery()
    )
    weight = (
        1 + 3 * func.coalesce(favorites.c.n, 0) + func.coalesce(ratings.c.avg, 0) / 20.0
    ).label("weight")
    query = (
        select(Item.id, weight)
        .outerjoin(favorites, favorites.c.item_id == Item.id)
        .outerjoin(ratings, ratings.c.item_id == Item.id)
        .where(*_base(db, settings, kind))
        .where((favorites.c.n.is_not(None)) | (ratings.c.avg.is_not(None)))
        .order_by(weight.desc())
        .limit(SPOTLIGHT_POOL)
    )
    pool = db.execute(query).all()
    if not pool:
        picked = random_items(db, settings, kind, 1)
        return picked[0] if picked else None
    ids, weights = [row[0] for row in pool], [float(row[1]) for row in pool]
    (item_id,) = random.choices(ids, weights=weights)  # noqa: S311 (a pick, not a secret)
    return db.get(Item, item_id)


@router.get("/random", openapi_extra=access("read"))
def get_random(
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    kind: Kind | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 1,
) -> dict[str, Any]:
    """Random items (a new draw each time)."""
    return {"items": items_json(db, settings, principal, random_items(db, settings, kind, limit))}


@router.get("/random/seeded/{seed}", openapi_extra=access("read"))
def get_seeded(
    seed: Seed,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    kind: Kind | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=40)] = None,
) -> dict[str, Any]:
    """Every item in a random order that the seed fixes: the same seed, the same order,
    page after page (follow `next_cursor`)."""
    page, next_cursor = seeded_page(db, settings, kind, seed, limit, cursor)
    return {"items": items_json(db, settings, principal, page), "next_cursor": next_cursor}


@router.get("/random/spotlight", openapi_extra=access("read"))
def get_spotlight(
    db: DbDep, settings: SettingsDep, principal: PrincipalDep, kind: Kind | None = None
) -> dict[str, Any]:
    """One item, favorites and well-rated items more likely."""
    item = spotlight(db, settings, kind)
    return {"items": items_json(db, settings, principal, [item] if item else [])}


# What one shared link of each kind is worth to "related": a performer says most.
RELATED_WEIGHTS = {"performer": 3, "studio": 2, "tag": 1}


def related_items(
    db: Session, settings: Settings, item: Item, kind: Kind | None, limit: int
) -> list[Item]:
    """Items sharing performers, the studio or tags with `item`, the most shared (by
    RELATED_WEIGHTS) first, then the newest."""
    scored = []
    for link, column in (
        (ItemPerformer, ItemPerformer.performer_id),
        (ItemStudio, ItemStudio.studio_id),
        (ItemTag, ItemTag.tag_id),
    ):
        mine = select(column).where(link.item_id == item.id)
        weight = RELATED_WEIGHTS[column.key.removesuffix("_id")]
        scored.append(
            select(link.item_id.label("item_id"), literal(weight).label("w")).where(
                column.in_(mine), link.item_id != item.id
            )
        )
    links = union_all(*scored).subquery()
    score = func.sum(links.c.w).label("score")
    totals = select(links.c.item_id, score).group_by(links.c.item_id).subquery()
    query = (
        select(Item)
        .join(totals, totals.c.item_id == Item.id)
        .where(*_base(db, settings, kind))
        .order_by(totals.c.score.desc(), Item.date.desc(), Item.id.desc())
        .limit(limit)
    )
    return list(db.scalars(query))


@router.get("/items/{item_id}/related", openapi_extra=access("read"), responses=errors(404))
def get_related(
    item_id: ItemId,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    kind: Annotated[Kind | None, Query(description="Default: the item's own kind")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 12,
) -> dict[str, Any]:
    """Items that share performers, the studio or tags with this one: performers count
    most (3), then the studio (2), then each tag (1); ties go to the newest."""
    item = lookup(db, settings, item_id, principal)
    wanted = kind or Kind(item.kind)
    found = related_items(db, settings, item, wanted, limit)
    return {"items": items_json(db, settings, principal, found)}


# -- the seed video app's routes ------------------------------------------------------


def _video(db: Session, settings: Settings, principal: Principal, item: Item | None) -> Any:
    if item is None:
        raise not_found("video")
    shown_item = items_json(db, settings, principal, [item])[0]
    return {**shown_item, "hash": item.fingerprint}


@seed_router.get("/api/get-random-video", openapi_extra=access("read"))
def seed_random_video(db: DbDep, settings: SettingsDep, principal: PrincipalDep) -> Any:
    picked = random_items(db, settings, Kind.video, 1)
    return _video(db, settings, principal, picked[0] if picked else None)


@seed_router.get("/api/get-random-video-seeded/{seed}", openapi_extra=access("read"))
def seed_random_video_seeded(
    seed: Seed,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    index: Annotated[int, Query(ge=0, le=100_000, description="Position in the order")] = 0,
) -> Any:
    """The video at `index` in the seed's order (the same seed and index, the same video)."""
    key = _order_key(seed)
    query = select(Item).where(*_base(db, settings, Kind.video)).order_by(key, Item.id)
    return _video(db, settings, principal, db.scalar(query.offset(index).limit(1)))


@seed_router.get("/api/get-random-spotlight-video", openapi_extra=access("read"))
def seed_spotlight_video(db: DbDep, settings: SettingsDep, principal: PrincipalDep) -> Any:
    return _video(db, settings, principal, spotlight(db, settings, Kind.video))


@seed_router.get("/api/get-video-data/{media_hash}", openapi_extra=access("read"))
def seed_video_data(
    media_hash: str, db: DbDep, settings: SettingsDep, principal: PrincipalDep
) -> Any:
    return _video(db, settings, principal, by_hash(db, settings, media_hash, principal, "video"))
