"""Items: list (cursor-paginated), detail, original file."""

from __future__ import annotations

import base64
import json
import posixpath
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import ColumnElement, func, or_, select, tuple_
from sqlalchemy.orm import Session

from mediashelf.auth.access import Principal
from mediashelf.config import Settings
from mediashelf.db.models import Item, Root
from mediashelf.library import names
from mediashelf.library.cache import is_fingerprint
from mediashelf.library.paths import confine
from mediashelf.library.roots import in_library
from mediashelf.library.summaries import annotate
from mediashelf.library.visibility import shown
from mediashelf.media.sniff import is_scriptable
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
        "kind": item.kind,
        "mime": item.mime,
        "size": item.size,
        "mtime": item.mtime_ns / 1e9,
        "width": item.width,
        "height": item.height,
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


def encode_cursor(sort: str, value: Any, item_id: int) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps([sort, value, item_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _bad_cursor(why: str = "use next_cursor from the previous page") -> HTTPException:
    return HTTPException(status_code=400, detail=f"invalid cursor: {why}")


def _is_int64(value: Any) -> bool:
    return type(value) is int and -(2**63) <= value < 2**63  # not a bool, not too big


def _valid_sort_value(key: str, value: Any) -> bool:
    if key == "size":
        return _is_int64(value)
    if not isinstance(value, str) or "\x00" in value:
        return False
    if key == "date":
        try:
            return datetime.fromisoformat(value).tzinfo is None
        except ValueError:
            return False
    try:
        value.encode()  # a lone surrogate cannot be sent to the database
    except UnicodeEncodeError:
        return False
    return True


def decode_cursor(cursor: str, sort: str) -> tuple[Any, int]:
    """The (sort value, id) a cursor carries, checked as the untrusted input it is."""
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        cur_sort, value, item_id = json.loads(raw)
    except (ValueError, TypeError, RecursionError):
        raise _bad_cursor() from None
    if cur_sort != sort:
        if cur_sort in {s.value for s in Sort}:
            raise _bad_cursor(f"it was made for sort={cur_sort}, not sort={sort}")
        raise _bad_cursor()
    key = sort.lstrip("-")
    if not _is_int64(item_id) or not _valid_sort_value(key, value):
        raise _bad_cursor()
    if key == "date":
        value = datetime.fromisoformat(value)
    return value, item_id


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


@router.get("/items", openapi_extra=access("read"))
def list_items(
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    kind: Kind | None = None,
    folder: Annotated[str | None, Query(description="Only items in this folder")] = None,
    recursive: Annotated[bool, Query(description="With folder: include sub-folders")] = False,
    root: Annotated[
        int | None, Query(ge=1, le=2**63 - 1, description="Only items under this root id")
    ] = None,
    sort: Sort = Sort.date_desc,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
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
) -> dict[str, Any]:
    """Items, newest first by default. Follow `next_cursor` for the next page.

    `tag` and `performer` (repeatable) narrow: an item must have all of them. `studio`
    (repeatable) widens: an item has one studio, so any of them (sub-studios are not
    included). Links to an item count, not its photosets'."""
    if untagged and tag:
        raise HTTPException(400, "untagged and tag exclude each other: give one of them")
    column = SORT_COLUMNS[sort.value.lstrip("-")]
    desc = sort.value.startswith("-")
    query = select(Item)
    conditions: list[ColumnElement[bool]] = [in_library(settings), shown(db)]
    if not include_missing:
        conditions.append(Item.status == "present")
    if kind is not None:
        conditions.append(Item.kind == kind.value)
    if root is not None:
        conditions.append(Item.root_id == root)
    if folder is not None:
        norm = clean_folder(folder)
        if recursive and norm:
            # A prefix test, not LIKE: no wildcards in names, and case-sensitive in SQLite too.
            prefix = norm + "/"
            conditions.append(
                (Item.folder == norm) | (func.substr(Item.folder, 1, len(prefix)) == prefix)
            )
        elif not recursive:
            conditions.append(Item.folder == norm)
    conditions += names.item_filters(
        tags=tag or [], performers=performer or [], studios=studio or [], untagged=untagged
    )
    if cursor:
        value, last_id = decode_cursor(cursor, sort.value)
        key = tuple_(column, Item.id)
        conditions.append(key < tuple_(value, last_id) if desc else key > tuple_(value, last_id))
    order = (column.desc(), Item.id.desc()) if desc else (column.asc(), Item.id.asc())
    rows = db.execute(query.where(*conditions).order_by(*order).limit(limit + 1)).scalars().all()
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = page[-1]
        next_cursor = encode_cursor(sort.value, getattr(last, column.key), last.id)
    return {"items": items_json(db, settings, principal, page), "next_cursor": next_cursor}


@router.get("/items/count", openapi_extra=access("read"))
def count_items(db: DbDep, settings: SettingsDep, kind: Kind | None = None) -> dict[str, int]:
    query = (
        select(func.count())
        .select_from(Item)
        .where(Item.status == "present", in_library(settings), shown(db))
    )
    if kind is not None:
        query = query.where(Item.kind == kind.value)
    return {"count": db.execute(query).scalar_one()}


@router.get("/items/{item_id}", openapi_extra=access("read"))
def get_item(
    item_id: ItemId, db: DbDep, settings: SettingsDep, principal: PrincipalDep
) -> dict[str, Any]:
    return items_json(db, settings, principal, [lookup(db, settings, item_id, principal)])[0]


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


def original_response(request: Request, db: Session, settings: Settings, item: Item) -> Response:
    if item.status != "present":
        raise not_found("file")
    root_path = db.execute(select(Root.path).where(Root.id == item.root_id)).scalar_one()
    path = confine(root_path, item.rel_path)
    if path is None or not path.is_file():
        raise not_found("file")
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
