"""/api/v1/tags, and what tags, performers and studios share (people.py uses it).

Tags, performers and studios are named things (library/names.py): a name that is
unique once folded (case, width, spaces), aliases, links to items and photosets.
Each has the same routes:

- `GET /{things}`: a page (cursor), `q` (the name or an alias starts with it),
  `sort` name | -name | count | -count (count: present items linked).
- `POST /{things}`, `GET|PATCH|DELETE /{things}/{id}`.
- `POST /{things}/{id}/merge {"from": [ids]}`: their links move to this one, their
  names become its aliases, and they are deleted.
- `POST /{things}/attach` and `/detach`: `{"<things>": [ids or names], "items": [ids],
  "photosets": [ids]}`, up to 10,000 items in one request, in a few statements.
  Names are looked up by name and alias; on attach, unknown names are created.

Members may do all of it (access "write"): tags are what members are for.

This module does not use `from __future__ import annotations`: the shared routes are
made by a function for each kind, and FastAPI reads their annotations (the path
parameter's name) as objects.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import Field
from sqlalchemy import BindParameter, ColumnElement, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mediashelf.config import Settings
from mediashelf.db.models import Item, Photoset, Tag
from mediashelf.library import names
from mediashelf.library.names import Named
from mediashelf.library.roots import in_library
from mediashelf.library.visibility import shown
from mediashelf.web import cursors
from mediashelf.web.api.auth import Strict
from mediashelf.web.deps import DbDep, SettingsDep
from mediashelf.web.security import access

router = APIRouter(tags=["tags"])

MAX_ID = 2**63 - 1
MAX_LINKS = 10_000  # items (and photosets) per attach or detach
MAX_REFS = 100  # tags per attach or detach
ListedId = Annotated[int, Field(ge=1, le=MAX_ID)]
# An id (a JSON number) or a name (a JSON string; "12" is a name).
Ref = (
    Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]
    | Annotated[str, Field(min_length=1, max_length=names.MAX_NAME)]
)
NameText = Annotated[str, Field(max_length=1000)]  # cleaned and checked in names.py
Aliases = Annotated[list[NameText], Field(max_length=names.MAX_ALIASES)]


class NameSort(StrEnum):
    name = "name"
    name_desc = "-name"
    items = "count"  # how many items: not `count`, which str has
    items_desc = "-count"


Q = Annotated[
    str | None, Query(max_length=names.MAX_NAME, description="Names or aliases starting so")
]
Limit = Annotated[int, Query(ge=1, le=500)]


class Merge(Strict):
    from_: list[ListedId] = Field(
        alias="from", min_length=1, max_length=1000, description="The ids merged into this one"
    )


class Links(Strict):
    items: list[ListedId] = Field(default=[], max_length=MAX_LINKS)
    photosets: list[ListedId] = Field(default=[], max_length=MAX_LINKS)


# -- what every kind shares ----------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """One kind's routes: its table, URL and JSON."""

    kind: names.Kind
    plural: str  # tags | performers | studios: the URL and the list's key
    json: Callable[[Session, Named, int], dict[str, Any]]  # entry, item count
    detail: Callable[[Session, Named], dict[str, Any]] | None = None  # get's extras


@contextmanager
def answers() -> Iterator[None]:
    """names.py's refusals as HTTP errors."""
    try:
        yield
    except names.NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except names.Conflict as exc:
        raise HTTPException(409, str(exc)) from None
    except names.Invalid as exc:
        raise HTTPException(422, str(exc)) from None


def commit(db: Session) -> None:
    """Commit; a unique key broken by a concurrent change is a 409."""
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        raise HTTPException(409, "changed by someone else at the same moment; try again") from None


def named_json(entry: Named, count: int) -> dict[str, Any]:
    return {
        "id": entry.id,
        "name": entry.name,
        "aliases": names.aliases_of(entry),
        "count": count,
        "created_at": entry.created_at.isoformat(),
    }


def image_json(image_item_id: int | None) -> dict[str, Any]:
    """A performer's or studio's picture: an item, shown by its thumbnail."""
    url = f"/api/v1/items/{image_item_id}/thumbnail/medium" if image_item_id else None
    return {"image_item_id": image_item_id, "image": url}


def check_item(db: Session, settings: Settings, item_id: int | None) -> None:
    """404 unless the item exists in the library (for image_item_id)."""
    if item_id is not None and not names.existing(db, Item.id, [item_id], in_library(settings)):
        raise HTTPException(404, f"item {item_id} not found")


def counted(db: Session, settings: Settings) -> list[ColumnElement[bool]]:
    """Which items the counts count: present (names.py), in the library, and not hidden
    by a content filter, as the items list shows them."""
    return [in_library(settings), shown(db)]


def listed_ids(ids: list[int]) -> str:
    shown = ", ".join(str(i) for i in ids[:20])
    return shown + (f" and {len(ids) - 20} more" if len(ids) > 20 else "")


def link(
    db: Session,
    settings: Settings,
    spec: Spec,
    refs: list[int | str],
    body: Links,
    attach: bool,
) -> dict[str, int]:
    """Attach or detach: check every id, then a few statements for all of them."""
    if not body.items and not body.photosets:
        raise HTTPException(422, "name some items or photosets")
    unknown = sorted(
        set(body.items) - names.existing(db, Item.id, body.items, in_library(settings))
    )
    if unknown:
        raise HTTPException(404, f"no such items in the library: {listed_ids(unknown)}")
    unknown = sorted(set(body.photosets) - names.existing(db, Photoset.id, body.photosets))
    if unknown:
        raise HTTPException(404, f"no such photosets: {listed_ids(unknown)}")
    with answers():
        ids = names.resolve(db, spec.kind, refs, create=attach)
        if attach:
            changed = names.attach(db, spec.kind, ids, body.items, body.photosets)
        else:
            changed = names.detach(db, spec.kind, ids, body.items, body.photosets)
    commit(db)
    if attach:
        out = {"added": changed.added}
        if spec.kind.one_per_item:
            out["replaced"] = changed.removed
        return out
    return {"removed": changed.removed}


def list_page(
    db: Session,
    settings: Settings,
    spec: Spec,
    *,
    q: str | None,
    sort: NameSort,
    limit: int,
    cursor: str | None,
    where: list[ColumnElement[bool]] | None = None,
) -> dict[str, Any]:
    """A page of a kind's list, and the cursor to the next."""
    conditions = list(where or [])
    if q:
        conditions.append(names.search(db, spec.kind, q))
    order: names.Order = "count" if sort.value.lstrip("-") == "count" else "name"
    after = (
        cursors.decode(cursor, sort.value, "int" if order == "count" else "text")
        if cursor
        else None
    )
    rows = names.listing(
        db,
        spec.kind,
        where=conditions,
        order=order,
        desc=sort.value.startswith("-"),
        after=after,
        limit=limit + 1,
        item_where=counted(db, settings),
    )
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last, count = page[-1]
        next_cursor = cursors.encode(sort.value, count if order == "count" else last.key, last.id)
    shown = [spec.json(db, entry, count) for entry, count in page]
    covers = _covers(db, settings, spec, [entry.id for entry, _ in page])
    for entry in shown:
        entry["cover"] = covers.get(entry["id"])
    return {spec.plural: shown, "next_cursor": next_cursor}


def _covers(db: Session, settings: Settings, spec: Spec, ids: list[int]) -> dict[int, Any]:
    """Each entry's cover for a list: the newest item (by id, the one added last) that the
    list's counts count, by its thumbnails. One indexed lookup per entry, read backwards
    from the link's newest item: never all of a popular tag's items."""
    from mediashelf.web.api.items import item_json  # it imports this module

    link = spec.kind.item_link
    entry: BindParameter[int] = bindparam("entry")
    newest = (
        select(Item)
        .join(link, link.c.item_id == Item.id)
        .where(link.c[spec.kind.column] == entry, Item.status == "present")
        .where(*counted(db, settings))
        .order_by(link.c.item_id.desc())
        .limit(1)
    )
    out: dict[int, Any] = {}
    for entry_id in ids:
        item = db.execute(newest, {"entry": entry_id}).scalar()
        if item is not None:
            shown = item_json(item, settings)
            out[entry_id] = {k: shown[k] for k in ("id", "thumbnails", "color", "width", "height")}
    return out


def one_json(db: Session, settings: Settings, spec: Spec, entry: Named) -> dict[str, Any]:
    """An entry as GET /{things}/{id} shows it: with its item and photoset counts."""
    counts = names.item_counts(db, spec.kind, [entry.id], *counted(db, settings))
    count = counts.get(entry.id, 0)
    out = spec.json(db, entry, count)
    out["cover"] = _covers(db, settings, spec, [entry.id]).get(entry.id)
    out["photosets"] = names.photoset_count(db, spec.kind, entry.id)
    if spec.detail is not None:
        out.update(spec.detail(db, entry))
    return out


def register(router: APIRouter, spec: Spec) -> None:
    """GET, DELETE and merge of one entry: the same for every kind."""
    label = spec.kind.label
    path = f"/{spec.plural}/{{{label}_id}}"
    EntryId = Annotated[int, Path(alias=f"{label}_id", ge=1, le=MAX_ID)]

    @router.get(path, openapi_extra=access("read"), name=f"get_{label}")
    def get_entry(entry_id: EntryId, db: DbDep, settings: SettingsDep) -> dict[str, Any]:
        with answers():
            entry = names.get(db, spec.kind, entry_id)
        return one_json(db, settings, spec, entry)

    get_entry.__doc__ = f"One {label}, with how many items and photosets it is on."

    @router.delete(path, openapi_extra=access("write"), name=f"delete_{label}")
    def delete_entry(entry_id: EntryId, db: DbDep, settings: SettingsDep) -> dict[str, Any]:
        with answers():
            entry = names.get(db, spec.kind, entry_id)
        shown = one_json(db, settings, spec, entry)
        names.delete_entry(db, spec.kind, entry)
        commit(db)
        return shown

    delete_entry.__doc__ = (
        f"Delete a {label}: it comes off every item and photoset (which stay). "
        "Answers the deleted entry."
    )

    @router.post(f"{path}/merge", openapi_extra=access("write"), name=f"merge_{label}s")
    def merge(entry_id: EntryId, body: Merge, db: DbDep, settings: SettingsDep) -> dict[str, Any]:
        with answers():
            target = names.get(db, spec.kind, entry_id)
            if entry_id in body.from_:
                raise names.Invalid(f"a {label} cannot be merged into itself")
            sources = [names.get(db, spec.kind, i) for i in dict.fromkeys(body.from_)]
            moved = names.merge(db, spec.kind, target, sources)
        commit(db)
        return {**one_json(db, settings, spec, target), "moved": moved}

    merge.__doc__ = (
        f"Merge other {spec.plural} into this one: their links move here (links it has "
        "already are dropped), their names and aliases become its aliases, and they "
        "are deleted."
    )


def register_list(router: APIRouter, spec: Spec) -> None:
    """The list of a kind with no filter of its own (performers, studios)."""

    @router.get(f"/{spec.plural}", openapi_extra=access("read"), name=f"list_{spec.plural}")
    def list_entries(
        db: DbDep,
        settings: SettingsDep,
        q: Q = None,
        sort: NameSort = NameSort.name,
        limit: Limit = 100,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        return list_page(db, settings, spec, q=q, sort=sort, limit=limit, cursor=cursor)

    list_entries.__doc__ = (
        f"{spec.plural.capitalize()} with their item counts, by name. "
        "Follow `next_cursor` for the next page."
    )


# -- tags ------------------------------------------------------------------------------

Category = Annotated[str, Field(max_length=100)]


def _category(text: str | None) -> str | None:
    """A category as stored: whitespace collapsed; empty means none."""
    if text is None:
        return None
    with answers():
        return names.clean(text, "category") if text.strip() else None


def tag_json(_db: Session, entry: Named, count: int) -> dict[str, Any]:
    assert isinstance(entry, Tag)
    return {**named_json(entry, count), "category": entry.category}


TAGS = Spec(names.TAGS, "tags", tag_json)


class NewTag(Strict):
    name: NameText
    category: Category | None = None
    aliases: Aliases = []


class TagChange(Strict):
    name: NameText | None = None
    category: Category | None = None  # null: no category
    aliases: Aliases | None = None  # replaces the list


class TagLinks(Links):
    tags: list[Ref] = Field(min_length=1, max_length=MAX_REFS)


@router.get("/tags", openapi_extra=access("read"))
def list_tags(
    db: DbDep,
    settings: SettingsDep,
    q: Q = None,
    category: Annotated[
        str | None, Query(max_length=100, description="Only this category; empty: none")
    ] = None,
    sort: NameSort = NameSort.name,
    limit: Limit = 100,
    cursor: str | None = None,
) -> dict[str, Any]:
    """Tags with their item counts, by name. Follow `next_cursor` for the next page."""
    where: list[ColumnElement[bool]] = []
    if category is not None:
        wanted = " ".join(category.split())
        where.append(Tag.category == wanted if wanted else Tag.category.is_(None))
    return list_page(db, settings, TAGS, q=q, sort=sort, limit=limit, cursor=cursor, where=where)


@router.post("/tags", status_code=201, openapi_extra=access("write"))
def create_tag(body: NewTag, db: DbDep, settings: SettingsDep) -> dict[str, Any]:
    """A new tag. 409 if its name (in any case or width) or an alias is taken."""
    category = _category(body.category)
    with answers():
        tag = names.create(db, names.TAGS, body.name, body.aliases, category=category)
    commit(db)
    return one_json(db, settings, TAGS, tag)


@router.patch("/tags/{tag_id}", openapi_extra=access("write"))
def change_tag(
    tag_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    body: TagChange,
    db: DbDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """Rename a tag, set its category (null: none), or replace its aliases."""
    with answers():
        tag = names.get(db, names.TAGS, tag_id)
        assert isinstance(tag, Tag)
        if body.name is not None:
            names.rename(db, names.TAGS, tag, body.name)
        if "category" in body.model_fields_set:
            tag.category = _category(body.category)
        if body.aliases is not None:
            names.set_aliases(db, names.TAGS, tag, body.aliases)
    commit(db)
    return one_json(db, settings, TAGS, tag)


@router.post("/tags/attach", openapi_extra=access("write"))
def attach_tags(body: TagLinks, db: DbDep, settings: SettingsDep) -> dict[str, int]:
    """Put tags (ids, or names: unknown names become new tags) on items and photosets.
    Answers how many links were added (those that existed are left alone)."""
    return link(db, settings, TAGS, body.tags, body, attach=True)


@router.post("/tags/detach", openapi_extra=access("write"))
def detach_tags(body: TagLinks, db: DbDep, settings: SettingsDep) -> dict[str, int]:
    """Take tags off items and photosets. Answers how many links were removed."""
    return link(db, settings, TAGS, body.tags, body, attach=False)


register(router, TAGS)
