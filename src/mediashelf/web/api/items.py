"""Items: list (cursor-paginated), detail, title and source URL, original file."""

from __future__ import annotations

import json
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from pathlib import Path as PathType
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import Field, field_validator
from sqlalchemy import ColumnElement, exists, func, or_, select, tuple_
from sqlalchemy.orm import Session

from mediashelf.auth.access import Principal
from mediashelf.config import Settings
from mediashelf.db.models import Favorite, Item, Rating, Root
from mediashelf.library import listing, sidecars
from mediashelf.library.cache import is_fingerprint
from mediashelf.library.paths import confine
from mediashelf.library.roots import in_library
from mediashelf.library.summaries import annotate
from mediashelf.library.visibility import shown
from mediashelf.media.exif import read_exif
from mediashelf.media.sniff import is_scriptable
from mediashelf.web import cursors
from mediashelf.web.api.auth import Strict
from mediashelf.web.api.tags import ListedId
from mediashelf.web.deps import DbDep, SettingsDep
from mediashelf.web.responses import file_route
from mediashelf.web.security import PrincipalDep, access
from mediashelf.web.streaming import send_file

router = APIRouter(tags=["items"])


class Kind(StrEnum):
    image = "image"
    video = "video"


class Sort(StrEnum):
    date = "date"
    date_desc = "-date"
    name = "name"
    name_desc = "-name"
    size = "size"
    size_desc = "-size"


class ThumbSize(StrEnum):
    small = "small"
    medium = "medium"
    large = "large"


# Database ids: larger numbers would overflow the column, a 500 instead of a 422.
ItemId = Annotated[int, Path(ge=0, le=2**63 - 1)]

# The allowlist: a sort name maps to a column here or not at all.
SORT_COLUMNS: dict[str, Any] = {"date": Item.date, "name": Item.name, "size": Item.size}


def not_found(what: str = "item") -> HTTPException:
    return HTTPException(status_code=404, detail=f"{what} not found")


def item_json(item: Item, settings: Settings) -> dict[str, Any]:
    thumbs = None
    shows = item.kind == "image" or item.container is not None  # a video once probed
    if shows and item.fingerprint and not item.error:
        # The URL is cached as immutable, so it names the variant: new sizes, quality
        # or format (and `thumbs -f`) give new URLs that browsers fetch afresh.
        ext, quality = settings.thumbnails_ext.lstrip("."), settings.thumbnail_quality
        thumbs = {
            name: f"/api/v1/thumbnails/{item.fingerprint}/{name}?v={px}{ext}q{quality}"
            for name, px in settings.thumbnail_sizes.items()
        }
    return {
        "id": item.id,
        "root_id": item.root_id,
        "path": item.rel_path,
        "folder": item.folder,
        "name": item.name,
        "title": item.title,  # shown instead of the name when set; null: none
        "source_url": item.source_url,  # http(s) only: where the file came from
        "kind": item.kind,
        "mime": item.mime,
        "size": item.size,
        "mtime": item.mtime_ns / 1e9,
        "width": item.width,
        "height": item.height,
        "color": item.color,  # the average colour, a placeholder; null until thumbnailed
        "taken_at": item.taken_at.isoformat() if item.taken_at else None,
        "date": item.date.isoformat(),
        "fingerprint": item.fingerprint,
        "status": item.status,
        "error": item.error,
        "original": f"/api/v1/items/{item.id}/original",
        "thumbnails": thumbs,
        "video": _video_json(item),
        "previews": _previews(item, settings),
    }


def _previews(item: Item, settings: Settings) -> dict[str, Any] | None:
    if item.kind != "video" or item.container is None or item.error or not item.fingerprint:
        return None
    from mediashelf.web.api.previews import preview_urls  # it imports this module

    return preview_urls(settings, item.fingerprint)


def _video_json(item: Item) -> dict[str, Any] | None:
    """A video's facts once probed (null before, and for images)."""
    if item.kind != "video" or item.container is None:
        return None
    return {
        "duration": item.duration,
        "container": item.container,
        "video_codec": item.video_codec,
        "audio_codec": item.audio_codec,
        "rotation": item.rotation,
        "fps": item.fps,
        "bit_rate": item.bit_rate,
        "audio_channels": item.audio_channels,
        "subtitles": json.loads(item.subtitles or "[]"),
        "playable": item.playable,
        "stream": f"/api/v1/items/{item.id}/stream",  # the file, with Range
        "hls": f"/api/v1/items/{item.id}/hls/index.m3u8",  # for any probed video
    }


# The kind of value each sort's cursor carries.
_CURSOR_KIND: dict[str, cursors.ValueKind] = {"date": "datetime", "name": "text", "size": "int"}


def decode_cursor(cursor: str, sort: str) -> tuple[Any, int]:
    """The (sort value, id) an item list's cursor carries, checked."""
    return cursors.decode(cursor, sort, _CURSOR_KIND[sort.lstrip("-")], (s.value for s in Sort))


def clean_folder(folder: str) -> str:
    """A folder filter as a normalised relative path; 404 for a traversal attempt."""
    if "\x00" in folder or "\\" in folder or folder.startswith("/"):
        raise not_found("folder")
    norm = posixpath.normpath(folder)
    if norm == ".":
        return ""
    if norm == ".." or norm.startswith("../"):
        raise not_found("folder")
    return norm


class Orientation(StrEnum):
    landscape = "landscape"
    portrait = "portrait"
    square = "square"


@dataclass(frozen=True)
class ItemFilter:
    """What a list or a count of items is narrowed to (the query parameters below)."""

    kind: Kind | None = None
    folder: str | None = None
    recursive: bool = False
    root: int | None = None
    include_missing: bool = False
    tags: tuple[int, ...] = ()
    performers: tuple[int, ...] = ()
    studios: tuple[int, ...] = ()
    untagged: bool = False
    favorite: bool = False
    rating_min: int | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None
    orientation: Orientation | None = None

    def conditions(
        self, db: Session, settings: Settings, principal: Principal, page: int = 100
    ) -> list[ColumnElement[bool]]:
        """The SQL conditions on `items` (with `page`: the page size a plan is made for)."""
        narrowing = listing.item_filters(
            db,
            tags=self.tags,
            performers=self.performers,
            studios=self.studios,
            untagged=self.untagged,
            page=page,
        )
        out: list[ColumnElement[bool]] = [in_library(settings), shown(db), *narrowing.conditions]
        if not self.include_missing:
            out.append(narrowing.status_condition())
        if self.kind is not None:
            out.append(Item.kind == self.kind.value)
        if self.root is not None:
            out.append(Item.root_id == self.root)
        if self.folder is not None:
            norm = clean_folder(self.folder)
            if self.recursive and norm:
                # A prefix test, not LIKE: no wildcards in names, and case-sensitive in SQLite.
                prefix = norm + "/"
                out.append(
                    (Item.folder == norm) | (func.substr(Item.folder, 1, len(prefix)) == prefix)
                )
            elif not self.recursive:
                out.append(Item.folder == norm)
        if self.favorite or self.rating_min is not None:
            if principal.user_id is None:
                raise HTTPException(400, "favorite and rating_min need a signed-in user")
            if self.favorite:
                out.append(
                    exists().where(
                        Favorite.item_id == Item.id, Favorite.user_id == principal.user_id
                    )
                )
            if self.rating_min is not None:
                out.append(
                    exists().where(
                        Rating.item_id == Item.id,
                        Rating.user_id == principal.user_id,
                        Rating.value >= self.rating_min * 20,
                    )
                )
        if self.date_from is not None:
            out.append(Item.date >= self.date_from)
        if self.date_to is not None:
            out.append(Item.date <= self.date_to)
        if self.orientation is Orientation.landscape:
            out.append(Item.width > Item.height)
        elif self.orientation is Orientation.portrait:
            out.append(Item.width < Item.height)
        elif self.orientation is Orientation.square:
            out.append(Item.width == Item.height)
        return out


def _day(value: date | datetime | None, end: bool) -> datetime | None:
    """A date as the first (or, for `end`, the last) moment of that day; a date and time
    as it is, in the library's local time (as items' dates are: no zone)."""
    if value is None or isinstance(value, datetime):
        if value is not None and value.tzinfo is not None:
            raise HTTPException(400, "give dates without a time zone: items' dates have none")
        return value
    return datetime.combine(value, time.max if end else time.min)


def item_filter(
    kind: Kind | None = None,
    folder: Annotated[str | None, Query(description="Only items in this folder")] = None,
    recursive: Annotated[bool, Query(description="With folder: include sub-folders")] = False,
    root: Annotated[
        int | None, Query(ge=1, le=2**63 - 1, description="Only items under this root id")
    ] = None,
    include_missing: bool = False,
    tag: Annotated[
        list[ListedId] | None,
        Query(max_length=20, description="Only items with every one of these tags (ids)"),
    ] = None,
    performer: Annotated[
        list[ListedId] | None,
        Query(max_length=20, description="Only items with every one of these performers"),
    ] = None,
    studio: Annotated[
        list[ListedId] | None,
        Query(max_length=20, description="Only items of any of these studios (ids)"),
    ] = None,
    untagged: Annotated[bool, Query(description="Only items without any tag")] = False,
    favorite: Annotated[bool, Query(description="Only your favorites")] = False,
    rating_min: Annotated[
        int | None, Query(ge=1, le=5, description="Only items you rated this many stars or more")
    ] = None,
    date_from: Annotated[
        date | datetime | None,
        Query(description="Only items of this date or later (YYYY-MM-DD, or with a time)"),
    ] = None,
    date_to: Annotated[
        date | datetime | None,
        Query(description="Only items of this date or earlier (a day: all of it)"),
    ] = None,
    orientation: Orientation | None = None,
) -> ItemFilter:
    if untagged and tag:
        raise HTTPException(400, "untagged and tag exclude each other: give one of them")
    return ItemFilter(
        kind=kind,
        folder=folder,
        recursive=recursive,
        root=root,
        include_missing=include_missing,
        tags=tuple(tag or ()),
        performers=tuple(performer or ()),
        studios=tuple(studio or ()),
        untagged=untagged,
        favorite=favorite,
        rating_min=rating_min,
        date_from=_day(date_from, end=False),
        date_to=_day(date_to, end=True),
        orientation=orientation,
    )


FilterDep = Annotated[ItemFilter, Depends(item_filter)]


@router.get("/items", openapi_extra=access("read"))
def list_items(
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    narrow: FilterDep,
    sort: Sort = Sort.date_desc,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> dict[str, Any]:
    """Items, newest first by default. Follow `next_cursor` for the next page.

    `tag` and `performer` (repeatable) narrow: an item must have all of them. `studio`
    (repeatable) widens: an item has one studio, so any of them (sub-studios are not
    included). Links to an item count, not its photosets'. `favorite` and `rating_min`
    are about your own favorites and ratings. `orientation` compares the upright width
    and height."""
    column = SORT_COLUMNS[sort.value.lstrip("-")]
    desc = sort.value.startswith("-")
    conditions = narrow.conditions(db, settings, principal, page=limit)
    if cursor:
        value, last_id = decode_cursor(cursor, sort.value)
        key = tuple_(column, Item.id)
        conditions.append(key < tuple_(value, last_id) if desc else key > tuple_(value, last_id))
    order = (column.desc(), Item.id.desc()) if desc else (column.asc(), Item.id.asc())
    query = select(Item).where(*conditions).order_by(*order).limit(limit + 1)
    rows = db.execute(query).scalars().all()
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = page[-1]
        next_cursor = cursors.encode(sort.value, getattr(last, column.key), last.id)
    return {"items": items_json(db, settings, principal, page), "next_cursor": next_cursor}


@router.get("/items/count", openapi_extra=access("read"))
def count_items(
    db: DbDep, settings: SettingsDep, principal: PrincipalDep, narrow: FilterDep
) -> dict[str, int]:
    """How many items `GET /items` with the same filters lists."""
    conditions = narrow.conditions(db, settings, principal)
    return {"count": db.execute(select(func.count()).where(*conditions)).scalar_one()}


@router.get("/items/{item_id}", openapi_extra=access("read"))
def get_item(
    item_id: ItemId, db: DbDep, settings: SettingsDep, principal: PrincipalDep
) -> dict[str, Any]:
    return items_json(db, settings, principal, [lookup(db, settings, item_id, principal)])[0]


class ItemChanges(Strict):
    """What PATCH changes: the fields given, and only those."""

    title: str | None = Field(
        default=None,
        max_length=sidecars.MAX_TITLE,
        description='Shown instead of the file name; stripped; "" or null clears it',
    )
    source_url: str | None = Field(
        default=None,
        max_length=sidecars.MAX_URL,
        description="Where the file came from: an http:// or https:// URL; null clears it",
    )

    @field_validator("title")
    @classmethod
    def _title(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return sidecars.clean_title(value)  # ValueError: a 422 saying why

    @field_validator("source_url")
    @classmethod
    def _source_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        url = sidecars.clean_url(value, "source_url")  # ValueError: a 422 saying why
        if url is None:
            raise ValueError("the source_url is empty: give an http(s) URL, or null to clear it")
        return url


@router.patch("/items/{item_id}", openapi_extra=access("write"))
def patch_item(
    item_id: ItemId,
    body: ItemChanges,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    """Change an item's title or source URL (only the fields given; null clears one).

    They are the item's, not the file's: they stay when the file is renamed or moved.
    A sidecar file only fills an empty title or URL, so what is set here stays."""
    item = lookup(db, settings, item_id, principal)
    for name in sorted(body.model_fields_set):
        setattr(item, name, getattr(body, name))
    db.commit()
    return items_json(db, settings, principal, [item])[0]


def items_json(
    db: Session, settings: Settings, principal: Principal, items: Sequence[Item]
) -> list[dict[str, Any]]:
    """Items as the API shows them: the file's facts, and people's data on them (tags,
    ratings, the caller's own rating, favorite and views)."""
    shown = [item_json(item, settings) for item in items]
    annotate(db, principal.user_id, shown)
    return shown


def lookup(db: Session, settings: Settings, item_id: int, principal: Principal) -> Item:
    """The item, if it is under a configured root and, for all but admins, no content
    filter hides it; else 404."""
    query = select(Item).where(Item.id == item_id, in_library(settings))
    if "admin" not in principal.perms:
        query = query.where(shown(db))
    item = db.execute(query).scalar()
    if item is None:
        raise not_found()
    return item


def by_hash(
    db: Session,
    settings: Settings,
    content_hash: str,
    principal: Principal,
    kind: str | None = None,
) -> Item:
    """The seed addressed media by content hash: our fingerprint or full hash; 404 if none
    (or, for all but admins, if a content filter hides it)."""
    what = kind or "item"
    if not is_fingerprint(content_hash):
        raise not_found(what)
    query = select(Item).where(
        Item.status == "present",
        or_(Item.fingerprint == content_hash, Item.full_hash == content_hash),
        in_library(settings),
    )
    if kind is not None:
        query = query.where(Item.kind == kind)
    if "admin" not in principal.perms:
        query = query.where(shown(db))
    item = db.execute(query.order_by(Item.id).limit(1)).scalar()
    if item is None:
        raise not_found(what)
    return item


def item_file(db: Session, item: Item) -> PathType:
    """The item's file on disk, confined to its root; 404 when it is not there."""
    if item.status != "present":
        raise not_found("file")
    root_path = db.execute(select(Root.path).where(Root.id == item.root_id)).scalar_one()
    path = confine(root_path, item.rel_path)
    if path is None or not path.is_file():
        raise not_found("file")
    return path


@router.get("/items/{item_id}/exif", openapi_extra=access("read"))
def get_exif(
    item_id: ItemId, db: DbDep, settings: SettingsDep, principal: PrincipalDep
) -> dict[str, Any]:
    """A photo's EXIF as people read it: camera, lens, exposure, when, GPS position. Only
    what the file holds: a missing tag is left out; {} for videos and photos without."""
    item = lookup(db, settings, item_id, principal)
    path = item_file(db, item)
    return {"item_id": item.id, "exif": read_exif(path) if item.kind == "image" else {}}


def original_response(request: Request, db: Session, settings: Settings, item: Item) -> Response:
    path = item_file(db, item)
    headers = {}
    media_type = item.mime or "application/octet-stream"
    if item.error or is_scriptable(item.mime):
        # Flagged content (a .jpg that is HTML, say) is never rendered inline.
        media_type = "application/octet-stream"
        headers["content-disposition"] = "attachment"
    try:
        return send_file(
            request,
            path,
            media_type,
            extra_headers=headers,
            accel_prefix=settings.accel_redirect_prefix,
        )
    except FileNotFoundError:
        raise not_found("file") from None


@file_route(router, "/items/{item_id}/original")
def get_original(
    item_id: ItemId, request: Request, db: DbDep, settings: SettingsDep, principal: PrincipalDep
) -> Response:
    """The original file, with HTTP Range, ETag and Last-Modified."""
    return original_response(request, db, settings, lookup(db, settings, item_id, principal))


@router.get(
    "/items/{item_id}/thumbnail/{size}",
    openapi_extra=access("read"),
    status_code=307,
    response_class=RedirectResponse,
    responses={307: {"description": "Where it is"}},
)
def item_thumbnail(
    item_id: ItemId, size: ThumbSize, db: DbDep, settings: SettingsDep, principal: PrincipalDep
) -> RedirectResponse:
    """Redirects to the item's thumbnail URL, which is keyed by content."""
    thumbs = item_json(lookup(db, settings, item_id, principal), settings)["thumbnails"]
    if not thumbs:
        raise not_found("thumbnail")
    return RedirectResponse(thumbs[size.value], status_code=307)
