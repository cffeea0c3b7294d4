"""What an item's JSON says about people's data on it, for a page of items at once.

One query per kind of data for the whole page (not one per item): tags, performers,
studio, the rating summary with the caller's own rating, the caller's favorite and
views, and the current caption. The statements are built once: building a `select()`
costs more than running these small queries (bench/items.py).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import BindParameter, bindparam, func, select
from sqlalchemy.orm import Session, aliased

from mediashelf.db.models import (
    Caption,
    Favorite,
    ItemPerformer,
    ItemStudio,
    ItemTag,
    Performer,
    Rating,
    Studio,
    Tag,
    View,
)

_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
_USER: BindParameter[int] = bindparam("user")

_TAGS = (
    select(ItemTag.item_id, Tag.id, Tag.name)
    .join(Tag, Tag.id == ItemTag.tag_id)
    .where(ItemTag.item_id.in_(_IDS))
    .order_by(Tag.name)
)
_PERFORMERS = (
    select(ItemPerformer.item_id, Performer.id, Performer.name)
    .join(Performer, Performer.id == ItemPerformer.performer_id)
    .where(ItemPerformer.item_id.in_(_IDS))
    .order_by(Performer.name)
)
_STUDIOS = (
    select(ItemStudio.item_id, Studio.id, Studio.name)
    .join(Studio, Studio.id == ItemStudio.studio_id)
    .where(ItemStudio.item_id.in_(_IDS))
)
_RATINGS = (
    select(Rating.item_id, func.avg(Rating.value), func.count())
    .where(Rating.item_id.in_(_IDS))
    .group_by(Rating.item_id)
)
# The current caption: the newest by time (a restore may add older ones later).
_other = aliased(Caption)
_CAPTIONS = select(Caption.item_id, Caption.text).where(
    Caption.item_id.in_(_IDS),
    Caption.id
    == select(_other.id)
    .where(_other.item_id == Caption.item_id)
    .order_by(_other.created_at.desc(), _other.id.desc())
    .limit(1)
    .scalar_subquery(),
)
_MINE = select(Rating.item_id, Rating.value).where(
    Rating.user_id == _USER, Rating.item_id.in_(_IDS)
)
_FAVORITES = select(Favorite.item_id).where(Favorite.user_id == _USER, Favorite.item_id.in_(_IDS))
_VIEWS = select(View.item_id, View.count, View.last_viewed_at, View.position).where(
    View.user_id == _USER, View.item_id.in_(_IDS)
)


def annotate(db: Session, user_id: int | None, items: list[dict[str, Any]]) -> None:
    """Add `tags`, `performers`, `studio`, `rating`, `favorite`, `views` and `caption`
    (the current one's text) to each item's JSON (in place)."""
    ids = [item["id"] for item in items]
    if not ids:
        return
    run = db.connection().execute  # Core rows: no ORM objects to build
    page = {"ids": ids}
    tags: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for item_id, tag_id, name in run(_TAGS, page):
        tags[item_id].append({"id": tag_id, "name": name})
    performers: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for item_id, performer_id, name in run(_PERFORMERS, page):
        performers[item_id].append({"id": performer_id, "name": name})
    studios = {
        item_id: {"id": studio_id, "name": name} for item_id, studio_id, name in run(_STUDIOS, page)
    }
    ratings = {item_id: (avg, count) for item_id, avg, count in run(_RATINGS, page)}
    captions = {item_id: text for item_id, text in run(_CAPTIONS, page) if text}
    mine: dict[int, int] = {}
    favorites: set[int] = set()
    views: dict[int, dict[str, Any]] = {}
    if user_id is not None:
        own = {"ids": ids, "user": user_id}
        mine = {item_id: value for item_id, value in run(_MINE, own)}
        favorites = set(run(_FAVORITES, own).scalars())
        for item_id, count, last_viewed_at, position in run(_VIEWS, own):
            views[item_id] = {
                "count": count,
                "last_viewed_at": last_viewed_at.isoformat(),
                "position": position,
            }
    for item in items:
        i = item["id"]
        avg, count = ratings.get(i, (None, 0))
        item["tags"] = tags.get(i, [])
        item["performers"] = performers.get(i, [])
        item["studio"] = studios.get(i)
        item["rating"] = {
            "average": round(float(avg), 1) if avg is not None else None,
            "count": int(count),
            "mine": mine.get(i),
        }
        item["favorite"] = i in favorites
        item["views"] = views.get(i, {"count": 0, "last_viewed_at": None, "position": None})
        item["caption"] = captions.get(i)
