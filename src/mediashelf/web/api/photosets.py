"""/api/v1/photosets: albums. A set has its own facts (name, description, year, date,
source URL, original file name, cover, studio), tags and performers, and an ordered list
of items; an item may be in any number of sets.

- `GET /photosets`: a page (cursor), sorted by an allowlisted key (`sort`), filtered by
  tags and performers (all of them), studios (any), `year`, `q` (the name contains it,
  ignoring case) and `item` (the sets it is in).
- `POST /photosets`, `GET|PATCH|DELETE /photosets/{id}`. Deleting a set leaves its
  items alone.
- The list: `GET /photosets/{id}/items` (pages by position), `PUT …/items` (the whole
  list, in order: items left out leave the set), `POST …/items/add` (at a position,
  default the end; items already in the set stay where they are) and `…/items/remove`.
  Positions are 0, 1, 2, … after every change, in a few statements whatever the size.
- `POST /photosets/from-folders`: one set per folder, named after the folder's last
  part, its items in natural name order (IMG_2 before IMG_10). The set records the
  folder's path (relative to the library root, as items' `folder`) as its
  `original_filename`: a folder that a set already records is skipped, so the action
  can be repeated (as the library grows, say) without making sets twice.

The cover is `cover_item_id` when set (it must be one of the set's items; taking it
out of the set clears it), else the set's first item that is present. Items of a
set whose files are missing stay in it (a move keeps the item, so the set keeps it)
and are left out of its pages and counts, as in the items list.

Reading is "read"; everything else is "write" (members organize the library).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import Field, field_validator, model_validator
from sqlalchemy import (
    ColumnElement,
    DateTime,
    and_,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session

from mediashelf.auth.access import Principal
from mediashelf.config import Settings
from mediashelf.db.models import (
    Item,
    Performer,
    Photoset,
    PhotosetItem,
    PhotosetPerformer,
    PhotosetTag,
    Root,
    Studio,
    Tag,
)
from mediashelf.library import names
from mediashelf.library.clock import utcnow
from mediashelf.library.roots import in_library
from mediashelf.library.visibility import shown
from mediashelf.web import cursors
from mediashelf.web.api.auth import Strict
from mediashelf.web.api.items import Kind, clean_folder, item_json, items_json
from mediashelf.web.api.tags import MAX_ID, MAX_LINKS, ListedId, commit
from mediashelf.web.deps import DbDep, SettingsDep
from mediashelf.web.security import PrincipalDep, access

router = APIRouter(tags=["photosets"])

MAX_REFS = 1000  # tags or performers on one set
MAX_FOLDERS = 1000  # folders named in one from-folders request
MAX_DESCRIPTION = 20_000
MAX_URL = 2000
MAX_FILENAME = 1000
MIN_YEAR, MAX_YEAR = 1800, 2200
MAX_POSITION = 2**31 - 1  # the column is a 32-bit integer
# Where sets without a date sort: last, in either direction.
FAR_PAST, FAR_FUTURE = datetime(1, 1, 1), datetime(9999, 12, 31)

PhotosetId = Annotated[int, Path(ge=1, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=500)]
Cursor = Annotated[str | None, Query(max_length=4096, description="next_cursor")]
SetName = Annotated[str, Field(min_length=1, max_length=300)]
Ids = Annotated[list[ListedId], Field(max_length=MAX_REFS)]
ItemIds = Annotated[list[ListedId], Field(max_length=MAX_LINKS)]


class PhotosetSort(StrEnum):
    name = "name"
    name_desc = "-name"
    date = "date"  # sets without a date come last either way
    date_desc = "-date"
    created = "created"
    created_desc = "-created"
    items = "count"  # how many (present) items: not `count`, which str has
    items_desc = "-count"


# -- bodies ----------------------------------------------------------------------------


def _no_control(text: str, what: str, allowed: str = "") -> str:
    if any((ord(c) < 0x20 and c not in allowed) or c == "\x7f" for c in text):
        raise ValueError(f"{what} may not contain control characters")
    return text


class Fields(Strict):
    """What a set has besides its name and items; PATCH changes what it is given."""

    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION)
    year: int | None = Field(default=None, ge=MIN_YEAR, le=MAX_YEAR)
    date: datetime | None = Field(
        default=None, description="ISO 8601 date or date-time; with an offset, kept as UTC"
    )
    source_url: str | None = Field(default=None, max_length=MAX_URL, description="http(s)")
    original_filename: str | None = Field(default=None, max_length=MAX_FILENAME)
    cover_item_id: ListedId | None = Field(
        default=None, description="One of the set's items; null: its first item"
    )
    studio_id: ListedId | None = None
    tags: Ids | None = Field(default=None, description="Tag ids (replace the set's tags)")
    performers: Ids | None = Field(default=None, description="Performer ids (replace)")

    @field_validator("date", mode="before")
    @classmethod
    def _iso_date(cls, value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, str):
            raise ValueError("date must be an ISO 8601 date or date-time, as a string")
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(
                "date must be an ISO 8601 date (2024-05-01) or date-time (2024-05-01T14:30:00)"
            ) from None
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        if not MIN_YEAR <= parsed.year <= MAX_YEAR:
            raise ValueError(f"date must fall in the years {MIN_YEAR}-{MAX_YEAR}")
        return parsed

    @field_validator("source_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        url = value.strip()
        try:
            parts = urlsplit(url)
        except ValueError:
            parts = None
        if (
            parts is None
            or parts.scheme.lower() not in ("http", "https")
            or not parts.hostname
            or any(ord(c) <= 0x20 or c == "\x7f" for c in url)
        ):
            raise ValueError("source_url must be an http:// or https:// URL, without spaces")
        return url

    @field_validator("original_filename")
    @classmethod
    def _filename(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return _no_control(value.strip(), "original_filename")

    @field_validator("description")
    @classmethod
    def _description(cls, value: str | None) -> str | None:
        return None if value is None else _no_control(value, "description", "\t\n\r")


def _set_name(value: str | None) -> str | None:
    if value is None:
        return None
    name = value.strip()
    if not name:
        raise ValueError("the name is empty")
    return _no_control(name, "the name")


class NewPhotoset(Fields):
    name: SetName
    items: ItemIds = Field(default=[], description="Item ids, in order; repeats are dropped")

    check_name = field_validator("name")(_set_name)


class PhotosetChange(Fields):
    name: SetName | None = None
    items: ItemIds | None = Field(
        default=None, description="The whole list of items, in order (as PUT …/items)"
    )

    check_name = field_validator("name")(_set_name)

    @model_validator(mode="after")
    def _no_nulls(self) -> PhotosetChange:
        for field in ("name", "items", "tags", "performers"):
            if field in self.model_fields_set and getattr(self, field) is None:
                hint = "" if field == "name" else ": send [] to clear it"
                raise ValueError(f"{field} cannot be null{hint}")
        return self


class ItemList(Strict):
    items: ItemIds = Field(description="Item ids, in order; repeats are dropped")


class ItemsAdd(Strict):
    items: ItemIds = Field(min_length=1)
    position: int | None = Field(
        default=None,
        ge=0,
        le=MAX_POSITION,
        description="Where the first goes (0: the start); default, or past the end: the end",
    )


class ItemsRemove(Strict):
    items: ItemIds = Field(min_length=1)


class ItemsMove(Strict):
    items: ItemIds = Field(min_length=1, description="Items of the set to move, in this order")
    before: ListedId | None = Field(
        default=None, description="Put them just before this item of the set; null: at the end"
    )


class FromFolders(Strict):
    folders: list[Annotated[str, Field(max_length=4096)]] = Field(
        min_length=1,
        max_length=MAX_FOLDERS,
        description='Folders relative to the library root, as items\' "folder": "2024/trip"',
    )
    root: ListedId | None = Field(default=None, description="Only the items of this root")
    recursive: bool = Field(default=False, description="Also a set for every sub-folder")


# -- cursors ---------------------------------------------------------------------------


def _after(expr: Any, id_column: Any, value: Any, last_id: int, desc: bool) -> ColumnElement[bool]:
    """Rows after (value, id) in the order: spelt out rather than as a row value, so
    the value is bound with the expression's type (datetimes as SQLite stores them)."""
    if desc:
        return or_(expr < value, and_(expr == value, id_column < last_id))
    return or_(expr > value, and_(expr == value, id_column > last_id))


# -- reading ---------------------------------------------------------------------------


def not_found(photoset_id: int) -> HTTPException:
    return HTTPException(404, f"photoset {photoset_id} not found")


def _get(db: Session, photoset_id: int, *, lock: bool = False) -> Photoset:
    """The set, or 404. `lock`: held until commit on PostgreSQL, so that changes to
    one set's list never interleave (SQLite has one writer at a time anyway)."""
    query = select(Photoset).where(Photoset.id == photoset_id)
    if lock:
        query = query.with_for_update()
    photoset = db.execute(query).scalar()
    if photoset is None:
        raise not_found(photoset_id)
    return photoset


def _shown(db: Session, settings: Settings) -> list[ColumnElement[bool]]:
    """The items a set shows and counts: present, under a configured root, and not
    hidden by a content filter."""
    return [Item.status == "present", in_library(settings), shown(db)]


def _cover_json(item: Item, settings: Settings) -> dict[str, Any]:
    shown = item_json(item, settings)
    keys = ("id", "kind", "name", "thumbnails", "color", "width", "height")
    return {k: shown[k] for k in keys}  # as the tag covers: a placeholder sized and coloured


def _covers(db: Session, settings: Settings, sets: Sequence[Photoset]) -> dict[int, Item]:
    """Each set's cover: its cover item if that is in the set and present, else its
    first present item (a set with none has no cover)."""
    ids = [s.id for s in sets]
    if not ids:
        return {}
    chosen = {
        set_id: item
        for set_id, item in db.execute(
            select(PhotosetItem.photoset_id, Item)
            .join(
                Photoset,
                and_(
                    Photoset.id == PhotosetItem.photoset_id,
                    Photoset.cover_item_id == PhotosetItem.item_id,
                ),
            )
            .join(Item, Item.id == PhotosetItem.item_id)
            .where(PhotosetItem.photoset_id.in_(ids), *_shown(db, settings))
        )
    }
    rest = [i for i in ids if i not in chosen]
    if rest:
        ranked = (
            select(
                PhotosetItem.photoset_id,
                PhotosetItem.item_id,
                func.row_number()
                .over(
                    partition_by=PhotosetItem.photoset_id,
                    order_by=(PhotosetItem.position, PhotosetItem.item_id),
                )
                .label("n"),
            )
            .join(Item, Item.id == PhotosetItem.item_id)
            .where(PhotosetItem.photoset_id.in_(rest), *_shown(db, settings))
            .subquery()
        )
        firsts = db.execute(
            select(ranked.c.photoset_id, Item)
            .join(Item, Item.id == ranked.c.item_id)
            .where(ranked.c.n == 1)
        )
        chosen.update({set_id: item for set_id, item in firsts})
    return chosen


def _summaries(db: Session, settings: Settings, sets: Sequence[Photoset]) -> list[dict[str, Any]]:
    """Sets as the list shows them: a query per kind of data for the whole page."""
    ids = [s.id for s in sets]
    if not ids:
        return []
    counts: dict[int, int] = {
        set_id: n
        for set_id, n in db.execute(
            select(PhotosetItem.photoset_id, func.count())
            .join(Item, Item.id == PhotosetItem.item_id)
            .where(PhotosetItem.photoset_id.in_(ids), *_shown(db, settings))
            .group_by(PhotosetItem.photoset_id)
        )
    }
    tags: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for set_id, tag_id, name in db.execute(
        select(PhotosetTag.photoset_id, Tag.id, Tag.name)
        .join(Tag, Tag.id == PhotosetTag.tag_id)
        .where(PhotosetTag.photoset_id.in_(ids))
        .order_by(Tag.key, Tag.id)
    ):
        tags[set_id].append({"id": tag_id, "name": name})
    performers: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for set_id, performer_id, name in db.execute(
        select(PhotosetPerformer.photoset_id, Performer.id, Performer.name)
        .join(Performer, Performer.id == PhotosetPerformer.performer_id)
        .where(PhotosetPerformer.photoset_id.in_(ids))
        .order_by(Performer.key, Performer.id)
    ):
        performers[set_id].append({"id": performer_id, "name": name})
    studio_ids = {s.studio_id for s in sets if s.studio_id is not None}
    studios = {
        studio_id: {"id": studio_id, "name": name}
        for studio_id, name in db.execute(
            select(Studio.id, Studio.name).where(Studio.id.in_(studio_ids))
        )
    }
    covers = _covers(db, settings, sets)
    out = []
    for s in sets:
        cover = covers.get(s.id)
        out.append(
            {
                "id": s.id,
                "name": s.name,
                "year": s.year,
                "date": s.date.isoformat() if s.date else None,
                "cover": _cover_json(cover, settings) if cover is not None else None,
                "item_count": int(counts.get(s.id, 0)),
                "tags": tags.get(s.id, []),
                "performers": performers.get(s.id, []),
                "studio": studios.get(s.studio_id) if s.studio_id is not None else None,
                "created_at": s.created_at.isoformat(),
                "updated_at": s.updated_at.isoformat(),
            }
        )
    return out


def _items_page(
    db: Session,
    settings: Settings,
    principal: Principal,
    photoset_id: int,
    limit: int,
    cursor: str | None,
    kind: Kind | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the set's items in order, each with its `position`."""
    conditions = [PhotosetItem.photoset_id == photoset_id, *_shown(db, settings)]
    if kind is not None:
        conditions.append(Item.kind == kind.value)
    if cursor:
        position, last_id = cursors.decode(cursor, "position", "int")
        conditions.append(_after(PhotosetItem.position, Item.id, position, last_id, False))
    rows = db.execute(
        select(Item, PhotosetItem.position)
        .join(PhotosetItem, PhotosetItem.item_id == Item.id)
        .where(*conditions)
        .order_by(PhotosetItem.position, Item.id)
        .limit(limit + 1)
    ).all()
    page = rows[:limit]
    shown = items_json(db, settings, principal, [item for item, _ in page])
    for entry, (_item, position) in zip(shown, page, strict=True):
        entry["position"] = position
    next_cursor = None
    if len(rows) > limit:
        last, position = page[-1]
        next_cursor = cursors.encode("position", position, last.id)
    return shown, next_cursor


def _detail(
    db: Session, settings: Settings, principal: Principal, photoset: Photoset, limit: int = 100
) -> dict[str, Any]:
    """A set as GET /photosets/{id} shows it: every field and its first page of items."""
    out = _summaries(db, settings, [photoset])[0]
    out.update(
        description=photoset.description,
        source_url=photoset.source_url,
        original_filename=photoset.original_filename,
        cover_item_id=photoset.cover_item_id,
    )
    items, next_cursor = _items_page(db, settings, principal, photoset.id, limit, None)
    out["items"] = items
    out["items_next_cursor"] = next_cursor  # for GET /photosets/{id}/items?cursor=
    return out


# -- changing --------------------------------------------------------------------------


def _listed(ids: Sequence[int]) -> str:
    shown = ", ".join(str(i) for i in ids[:20])
    return shown + (f" and {len(ids) - 20} more" if len(ids) > 20 else "")


def _known_items(db: Session, settings: Settings, ids: Sequence[int]) -> list[int]:
    """The ids without repeats (the first kept), all in the library; else 422."""
    wanted = list(dict.fromkeys(ids))
    unknown = sorted(set(wanted) - names.existing(db, Item.id, wanted, in_library(settings)))
    if unknown:
        raise HTTPException(422, f"no such items in the library: {_listed(unknown)}")
    return wanted


def _known(db: Session, column: Any, ids: Sequence[int], what: str) -> list[int]:
    wanted = list(dict.fromkeys(ids))
    unknown = sorted(set(wanted) - names.existing(db, column, wanted))
    if unknown:
        raise HTTPException(422, f"no such {what}: {_listed(unknown)}")
    return wanted


def _check_refs(db: Session, body: Fields) -> tuple[list[int] | None, list[int] | None]:
    """The tags and performers given (None: not given), checked, and the studio."""
    tags = _known(db, Tag.id, body.tags, "tags") if body.tags is not None else None
    performers = (
        _known(db, Performer.id, body.performers, "performers")
        if body.performers is not None
        else None
    )
    if body.studio_id is not None and db.get(Studio, body.studio_id) is None:
        raise HTTPException(422, f"no such studio: {body.studio_id}")
    return tags, performers


def _not_a_member(item_id: int) -> HTTPException:
    return HTTPException(
        422, f"cover_item_id {item_id} is not in the set: add the item first, or send null"
    )


def _set_links(db: Session, model: Any, column: str, photoset_id: int, ids: list[int]) -> None:
    """Replace the set's links of one kind (tags or performers): two statements."""
    db.execute(delete(model).where(model.photoset_id == photoset_id))
    if ids:
        db.execute(insert(model), [{"photoset_id": photoset_id, column: i} for i in ids])


def _insert_items(db: Session, photoset_id: int, ids: Sequence[int], start: int = 0) -> None:
    if ids:
        rows = [
            {"photoset_id": photoset_id, "item_id": item_id, "position": start + n}
            for n, item_id in enumerate(ids)
        ]
        db.execute(insert(PhotosetItem), rows)


def _replace_items(db: Session, photoset: Photoset, ids: list[int]) -> None:
    db.execute(delete(PhotosetItem).where(PhotosetItem.photoset_id == photoset.id))
    _insert_items(db, photoset.id, ids)
    if photoset.cover_item_id is not None and photoset.cover_item_id not in set(ids):
        photoset.cover_item_id = None


def _renumber(db: Session, photoset_id: int) -> None:
    """Positions 0, 1, 2, … in the set's order, in one statement."""
    ranked = (
        select(
            PhotosetItem.item_id,
            (
                func.row_number().over(order_by=(PhotosetItem.position, PhotosetItem.item_id)) - 1
            ).label("pos"),
        )
        .where(PhotosetItem.photoset_id == photoset_id)
        .subquery()
    )
    db.execute(
        update(PhotosetItem)
        .where(
            PhotosetItem.photoset_id == photoset_id,
            PhotosetItem.item_id == ranked.c.item_id,
            PhotosetItem.position != ranked.c.pos,
        )
        .values(position=ranked.c.pos)
        .execution_options(synchronize_session=False)
    )


def _members(db: Session, photoset_id: int, ids: Sequence[int]) -> set[int]:
    """Those of `ids` in the set."""
    return names.existing(db, PhotosetItem.item_id, ids, PhotosetItem.photoset_id == photoset_id)


def _size(db: Session, photoset_id: int) -> int:
    """How many items the set holds, present or not (positions run 0 … size-1)."""
    query = (
        select(func.count())
        .select_from(PhotosetItem)
        .where(PhotosetItem.photoset_id == photoset_id)
    )
    return int(db.scalar(query) or 0)


# -- routes ----------------------------------------------------------------------------


@router.get("/photosets", openapi_extra=access("read"))
def list_photosets(
    db: DbDep,
    settings: SettingsDep,
    sort: PhotosetSort = PhotosetSort.created_desc,
    limit: Limit = 100,
    cursor: Cursor = None,
    q: Annotated[
        str | None, Query(max_length=300, description="The name contains this (any case)")
    ] = None,
    year: Annotated[int | None, Query(ge=MIN_YEAR, le=MAX_YEAR)] = None,
    tag: Annotated[
        list[ListedId] | None,
        Query(max_length=20, description="Only sets with every one of these tags (ids)"),
    ] = None,
    performer: Annotated[
        list[ListedId] | None,
        Query(max_length=20, description="Only sets with every one of these performers"),
    ] = None,
    studio: Annotated[
        list[ListedId] | None,
        Query(max_length=20, description="Only sets of any of these studios (ids)"),
    ] = None,
    item: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Only sets holding this item")
    ] = None,
) -> dict[str, Any]:
    """Photosets, newest first by default. Follow `next_cursor` for the next page.

    Sorts: name, date (sets without one last), created, count (present items); `-` for
    descending. Filters combine: `tag` and `performer` (repeatable) narrow to sets with
    all of them, `studio` (repeatable) to sets of any. Links on the set count, not its
    items'."""
    key = sort.value.lstrip("-")
    desc = sort.value.startswith("-")
    counts = None
    expr: Any
    kind: cursors.ValueKind
    if key == "name":
        expr, kind = func.lower(Photoset.name), "text"
    elif key == "date":
        far = literal(FAR_PAST if desc else FAR_FUTURE, DateTime())
        expr, kind = func.coalesce(Photoset.date, far), "datetime"
    elif key == "created":
        expr, kind = Photoset.created_at, "datetime"
    else:
        counts = (
            select(PhotosetItem.photoset_id.label("set_id"), func.count().label("n"))
            .join(Item, Item.id == PhotosetItem.item_id)
            .where(*_shown(db, settings))
            .group_by(PhotosetItem.photoset_id)
            .subquery()
        )
        expr, kind = func.coalesce(counts.c.n, 0), "int"
    conditions: list[ColumnElement[bool]] = [true()]
    if q:
        conditions.append(func.lower(Photoset.name).contains(q.lower(), autoescape=True))
    if year is not None:
        conditions.append(Photoset.year == year)
    for tag_id in dict.fromkeys(tag or []):
        sets = select(PhotosetTag.photoset_id).where(PhotosetTag.tag_id == tag_id)
        conditions.append(Photoset.id.in_(sets))
    for performer_id in dict.fromkeys(performer or []):
        sets = select(PhotosetPerformer.photoset_id).where(
            PhotosetPerformer.performer_id == performer_id
        )
        conditions.append(Photoset.id.in_(sets))
    if studio:
        conditions.append(Photoset.studio_id.in_(list(dict.fromkeys(studio))))
    if item is not None:
        sets = select(PhotosetItem.photoset_id).where(PhotosetItem.item_id == item)
        conditions.append(Photoset.id.in_(sets))
    if cursor:
        value, last_id = cursors.decode(cursor, sort.value, kind, (s.value for s in PhotosetSort))
        conditions.append(_after(expr, Photoset.id, value, last_id, desc))
    query = select(Photoset, expr.label("sort_value"))
    if counts is not None:
        query = query.outerjoin(counts, counts.c.set_id == Photoset.id)
    order = (expr.desc(), Photoset.id.desc()) if desc else (expr.asc(), Photoset.id.asc())
    rows = db.execute(query.where(*conditions).order_by(*order).limit(limit + 1)).all()
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last, value = page[-1]
        next_cursor = cursors.encode(sort.value, value, last.id)
    return {
        "photosets": _summaries(db, settings, [s for s, _ in page]),
        "next_cursor": next_cursor,
    }


@router.post("/photosets", status_code=201, openapi_extra=access("write"))
def create_photoset(
    body: NewPhotoset, db: DbDep, settings: SettingsDep, principal: PrincipalDep
) -> dict[str, Any]:
    """A new set. Unknown items, tags, performers or studio: 422, naming them."""
    items = _known_items(db, settings, body.items)
    tags, performers = _check_refs(db, body)
    if body.cover_item_id is not None and body.cover_item_id not in set(items):
        raise _not_a_member(body.cover_item_id)
    now = utcnow()
    photoset = Photoset(
        name=body.name,
        description=body.description or "",
        year=body.year,
        date=body.date,
        source_url=body.source_url,
        original_filename=body.original_filename,
        cover_item_id=body.cover_item_id,
        studio_id=body.studio_id,
        created_at=now,
        updated_at=now,
    )
    db.add(photoset)
    db.flush()
    _insert_items(db, photoset.id, items)
    _set_links(db, PhotosetTag, "tag_id", photoset.id, tags or [])
    _set_links(db, PhotosetPerformer, "performer_id", photoset.id, performers or [])
    commit(db)
    return _detail(db, settings, principal, photoset)


@router.post("/photosets/from-folders", openapi_extra=access("write"))
def photosets_from_folders(body: FromFolders, db: DbDep, settings: SettingsDep) -> dict[str, Any]:
    """One set per folder, named after its last part, with the folder's photos and
    videos in natural name order; with `recursive`, also one per sub-folder holding
    any (the library's top level itself never becomes a set). A folder that a set
    was made from already (its `original_filename` is the folder's path) is skipped:
    the answer lists what was created and what was skipped. A folder without
    photos or videos is a 404, and then nothing is created."""
    where: list[ColumnElement[bool]] = list(_shown(db, settings))
    if body.root is not None:
        known_root = db.scalar(
            select(Root.id).where(Root.id == body.root, Root.path.in_(settings.root_paths))
        )
        if known_root is None:
            raise HTTPException(404, f"root {body.root} not found")
        where.append(Item.root_id == body.root)
    targets: list[str] = []
    for given in body.folders:
        folder = clean_folder(given)
        if body.recursive:
            below: ColumnElement[bool] = true()
            if folder:
                prefix = folder + "/"
                # A prefix test, not LIKE: no wildcards in names, case-sensitive everywhere.
                below = or_(
                    Item.folder == folder, func.substr(Item.folder, 1, len(prefix)) == prefix
                )
            found = [
                f for f in db.scalars(select(Item.folder).where(*where, below).distinct()) if f
            ]
        elif not folder:
            raise HTTPException(
                422, "the top of the library is not a folder: name one, or use recursive"
            )
        else:
            has_items = db.scalar(select(Item.id).where(*where, Item.folder == folder).limit(1))
            found = [folder] if has_items is not None else []
        if not found:
            raise HTTPException(404, f"folder {given!r} not found: no photos or videos there")
        targets.extend(found)
    targets = sorted(set(targets))
    made_from: dict[str, int] = {}
    for start in range(0, len(targets), names.CHUNK):
        chunk = targets[start : start + names.CHUNK]
        for folder_path, set_id in db.execute(
            select(Photoset.original_filename, Photoset.id).where(
                Photoset.original_filename.in_(chunk)
            )
        ):
            assert folder_path is not None
            made_from[folder_path] = min(set_id, made_from.get(folder_path, set_id))
    new = [f for f in targets if f not in made_from]
    members: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for start in range(0, len(new), names.CHUNK):
        chunk = new[start : start + names.CHUNK]
        for item_id, folder_path, name in db.execute(
            select(Item.id, Item.folder, Item.name).where(*where, Item.folder.in_(chunk))
        ):
            members[folder_path].append((name, item_id))
    now = utcnow()
    created = [
        Photoset(
            name=folder.rsplit("/", 1)[-1][:300],
            description="",
            original_filename=folder,
            created_at=now,
            updated_at=now,
        )
        for folder in new
    ]
    db.add_all(created)
    db.flush()
    rows = []
    report = []
    for photoset, folder in zip(created, new, strict=True):
        ordered = sorted(members[folder], key=lambda m: (_natural(m[0]), m[0], m[1]))
        rows += [
            {"photoset_id": photoset.id, "item_id": item_id, "position": n}
            for n, (_name, item_id) in enumerate(ordered)
        ]
        report.append(
            {"id": photoset.id, "name": photoset.name, "folder": folder, "item_count": len(ordered)}
        )
    if rows:
        db.execute(insert(PhotosetItem), rows)
    commit(db)
    skipped = [{"folder": f, "photoset_id": made_from[f]} for f in targets if f in made_from]
    return {"created": report, "skipped": skipped}


_DIGITS = re.compile(r"(\d+)", re.ASCII)


def _natural(name: str) -> tuple[Any, ...]:
    """A sort key: digit runs compare as numbers (IMG_2 before IMG_10), the rest
    ignoring case."""
    parts = _DIGITS.split(name)
    return tuple(int(p) if n % 2 else p.casefold() for n, p in enumerate(parts))


@router.get("/photosets/{photoset_id}", openapi_extra=access("read"))
def get_photoset(
    photoset_id: PhotosetId,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=500, description="Items on the first page")] = 100,
) -> dict[str, Any]:
    """The set, with its first page of items (more at …/items?cursor=items_next_cursor)."""
    return _detail(db, settings, principal, _get(db, photoset_id), limit)


@router.get("/photosets/{photoset_id}/items", openapi_extra=access("read"))
def list_photoset_items(
    photoset_id: PhotosetId,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    limit: Limit = 100,
    cursor: Cursor = None,
    kind: Kind | None = None,
) -> dict[str, Any]:
    """The set's items in order (present ones), each with its `position`; `kind`: only
    photos or only videos. Follow `next_cursor` for the next page."""
    photoset = _get(db, photoset_id)
    items, next_cursor = _items_page(db, settings, principal, photoset.id, limit, cursor, kind)
    return {"items": items, "next_cursor": next_cursor}


@router.patch("/photosets/{photoset_id}", openapi_extra=access("write"))
def change_photoset(
    photoset_id: PhotosetId,
    body: PhotosetChange,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    """Change what is given: null clears a field (description: empty); `tags`,
    `performers` and `items` replace the set's. `cover_item_id` must be one of the
    set's items (after the change, when `items` is given)."""
    photoset = _get(db, photoset_id, lock=True)
    given = body.model_fields_set
    items = _known_items(db, settings, body.items) if body.items is not None else None
    tags, performers = _check_refs(db, body)
    if "cover_item_id" in given and body.cover_item_id is not None:
        cover = body.cover_item_id
        members = set(items) if items is not None else _members(db, photoset.id, [cover])
        if cover not in members:
            raise _not_a_member(cover)
    if body.name is not None:
        photoset.name = body.name
    if "description" in given:
        photoset.description = body.description or ""
    for field in ("year", "date", "source_url", "original_filename", "studio_id"):
        if field in given:
            setattr(photoset, field, getattr(body, field))
    if items is not None:
        _replace_items(db, photoset, items)
    if "cover_item_id" in given:
        photoset.cover_item_id = body.cover_item_id
    if tags is not None:
        _set_links(db, PhotosetTag, "tag_id", photoset.id, tags)
    if performers is not None:
        _set_links(db, PhotosetPerformer, "performer_id", photoset.id, performers)
    photoset.updated_at = utcnow()
    commit(db)
    return _detail(db, settings, principal, photoset)


@router.delete("/photosets/{photoset_id}", openapi_extra=access("write"))
def delete_photoset(photoset_id: PhotosetId, db: DbDep, settings: SettingsDep) -> dict[str, Any]:
    """Delete the set (its items stay in the library). Answers the deleted set."""
    photoset = _get(db, photoset_id, lock=True)
    shown = _summaries(db, settings, [photoset])[0]
    for model in (PhotosetItem, PhotosetTag, PhotosetPerformer):
        db.execute(delete(model).where(model.photoset_id == photoset.id))
    db.delete(photoset)
    commit(db)
    return shown


@router.put("/photosets/{photoset_id}/items", openapi_extra=access("write"))
def replace_photoset_items(
    photoset_id: PhotosetId,
    body: ItemList,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    """The set's whole list, in order: items left out leave the set (and stop being
    its cover). Repeats are dropped, the first kept."""
    photoset = _get(db, photoset_id, lock=True)
    items = _known_items(db, settings, body.items)
    _replace_items(db, photoset, items)
    photoset.updated_at = utcnow()
    commit(db)
    return _detail(db, settings, principal, photoset)


@router.post("/photosets/{photoset_id}/items/add", openapi_extra=access("write"))
def add_photoset_items(
    photoset_id: PhotosetId,
    body: ItemsAdd,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    """Put items into the set at `position` (default: the end), in the order given.
    Items already in it stay where they are. Answers the set and how many were added."""
    photoset = _get(db, photoset_id, lock=True)
    wanted = _known_items(db, settings, body.items)
    present = _members(db, photoset.id, wanted)
    new = [i for i in wanted if i not in present]
    if new:
        _renumber(db, photoset.id)  # dense first, so a position is an index
        size = _size(db, photoset.id)
        at = size if body.position is None else min(body.position, size)
        if at < size:
            db.execute(
                update(PhotosetItem)
                .where(PhotosetItem.photoset_id == photoset.id, PhotosetItem.position >= at)
                .values(position=PhotosetItem.position + len(new))
                .execution_options(synchronize_session=False)
            )
        _insert_items(db, photoset.id, new, at)
        photoset.updated_at = utcnow()
        commit(db)
    return {**_detail(db, settings, principal, photoset), "added": len(new)}


@router.post("/photosets/{photoset_id}/items/move", openapi_extra=access("write"))
def move_photoset_items(
    photoset_id: PhotosetId,
    body: ItemsMove,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    """Reorder: put `items` (in the order given) just before `before`, or at the end.
    Every other item keeps its place relative to the rest, those the caller cannot see
    included (a missing file, a content filter): unlike replacing the whole list, a move
    never drops what a page did not show. 404 for an item not in the set."""
    photoset = _get(db, photoset_id, lock=True)
    moving = list(dict.fromkeys(body.items))
    order = list(
        db.scalars(
            select(PhotosetItem.item_id)
            .where(PhotosetItem.photoset_id == photoset.id)
            .order_by(PhotosetItem.position, PhotosetItem.item_id)
        )
    )
    members = set(order)
    strangers = [i for i in [*moving, body.before] if i is not None and i not in members]
    if strangers:
        raise HTTPException(404, f"item {strangers[0]} is not in photoset {photoset.id}")
    if body.before in set(moving):
        raise HTTPException(422, "before must not be one of the items moved")
    rest = [i for i in order if i not in set(moving)]
    at = rest.index(body.before) if body.before is not None else len(rest)
    new_order = rest[:at] + moving + rest[at:]
    if new_order != order:
        db.execute(delete(PhotosetItem).where(PhotosetItem.photoset_id == photoset.id))
        _insert_items(db, photoset.id, new_order)
        photoset.updated_at = utcnow()
        commit(db)
    return _detail(db, settings, principal, photoset)


@router.post("/photosets/{photoset_id}/items/remove", openapi_extra=access("write"))
def remove_photoset_items(
    photoset_id: PhotosetId,
    body: ItemsRemove,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    """Take items out of the set (they stay in the library); the rest close up. Ids
    not in the set are ignored. Answers the set and how many were removed."""
    photoset = _get(db, photoset_id, lock=True)
    wanted = list(dict.fromkeys(body.items))
    removed = 0
    for start in range(0, len(wanted), names.CHUNK):
        chunk = wanted[start : start + names.CHUNK]
        result = db.execute(
            delete(PhotosetItem).where(
                PhotosetItem.photoset_id == photoset.id, PhotosetItem.item_id.in_(chunk)
            )
        )
        removed += int(getattr(result, "rowcount", 0) or 0)
    if removed:
        _renumber(db, photoset.id)
        if photoset.cover_item_id in set(wanted):
            photoset.cover_item_id = None
        photoset.updated_at = utcnow()
        commit(db)
    return {**_detail(db, settings, principal, photoset), "removed": removed}
