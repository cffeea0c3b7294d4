"""/api/v1/performers and /api/v1/studios (the seed's "actors"), and the seed's
GET /api/get-performers and /api/get-studios.

The same routes as tags (see tags.py): list, create, get, patch, delete, merge,
attach, detach. Both take an optional picture (`image_item_id`, an item). Studios
nest (`parent_id`; no loops) and an item or photoset has at most one studio:
attaching a studio replaces the one it had.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import Field
from sqlalchemy import select

from mediashelf.db.models import Performer, Studio
from mediashelf.library import names
from mediashelf.library.names import Named
from mediashelf.web.api.auth import Strict
from mediashelf.web.api.tags import (
    MAX_ID,
    MAX_REFS,
    Aliases,
    Links,
    NameText,
    Ref,
    Spec,
    answers,
    check_item,
    commit,
    counted,
    image_json,
    link,
    named_json,
    one_json,
    register,
    register_list,
)
from mediashelf.web.deps import DbDep, SettingsDep
from mediashelf.web.security import access

router = APIRouter(tags=["people"])
seed = APIRouter(tags=["seed"], include_in_schema=False)

EntryId = Annotated[int, Path(ge=1, le=MAX_ID)]


def performer_json(_db: Any, entry: Named, count: int) -> dict[str, Any]:
    assert isinstance(entry, Performer)
    return {**named_json(entry, count), **image_json(entry.image_item_id)}


def studio_json(_db: Any, entry: Named, count: int) -> dict[str, Any]:
    assert isinstance(entry, Studio)
    return {
        **named_json(entry, count),
        "parent_id": entry.parent_id,
        **image_json(entry.image_item_id),
    }


def studio_detail(db: Any, entry: Named) -> dict[str, Any]:
    """A studio's parent and children, by name."""
    assert isinstance(entry, Studio)
    parent = None
    if entry.parent_id is not None:
        row = db.execute(select(Studio.id, Studio.name).where(Studio.id == entry.parent_id)).first()
        parent = {"id": row.id, "name": row.name} if row else None
    children = db.execute(
        select(Studio.id, Studio.name).where(Studio.parent_id == entry.id).order_by(Studio.key)
    )
    return {"parent": parent, "children": [{"id": i, "name": n} for i, n in children]}


PERFORMERS = Spec(names.PERFORMERS, "performers", performer_json)
STUDIOS = Spec(names.STUDIOS, "studios", studio_json, studio_detail)


ItemRef = Annotated[int | None, Field(ge=1, le=MAX_ID)]


class NewPerformer(Strict):
    name: NameText
    aliases: Aliases = []
    image_item_id: ItemRef = None


class PerformerChange(Strict):
    name: NameText | None = None
    aliases: Aliases | None = None  # replaces the list
    image_item_id: ItemRef = None  # null: no picture


class NewStudio(NewPerformer):
    parent_id: ItemRef = None


class StudioChange(PerformerChange):
    parent_id: ItemRef = None  # null: at the top


class PerformerLinks(Links):
    performers: list[Ref] = Field(min_length=1, max_length=MAX_REFS)


class StudioLinks(Links):
    studios: list[Ref] = Field(
        min_length=1, max_length=1, description="One: an item has at most one studio"
    )


# -- performers --------------------------------------------------------------------------


register_list(router, PERFORMERS)


@router.post("/performers", status_code=201, openapi_extra=access("write"))
def create_performer(body: NewPerformer, db: DbDep, settings: SettingsDep) -> dict[str, Any]:
    """A new performer. 409 if the name (in any case or width) or an alias is taken."""
    check_item(db, settings, body.image_item_id)
    with answers():
        entry = names.create(
            db, names.PERFORMERS, body.name, body.aliases, image_item_id=body.image_item_id
        )
    commit(db)
    return one_json(db, settings, PERFORMERS, entry)


@router.patch("/performers/{performer_id}", openapi_extra=access("write"))
def change_performer(
    performer_id: EntryId, body: PerformerChange, db: DbDep, settings: SettingsDep
) -> dict[str, Any]:
    """Rename a performer, replace the aliases, or set the picture (null: none)."""
    with answers():
        entry = names.get(db, names.PERFORMERS, performer_id)
        _change(db, settings, PERFORMERS, entry, body)
    commit(db)
    return one_json(db, settings, PERFORMERS, entry)


@router.post("/performers/attach", openapi_extra=access("write"))
def attach_performers(body: PerformerLinks, db: DbDep, settings: SettingsDep) -> dict[str, int]:
    """Put performers (ids, or names: unknown names become new performers) on items and
    photosets. Answers how many links were added."""
    return link(db, settings, PERFORMERS, body.performers, body, attach=True)


@router.post("/performers/detach", openapi_extra=access("write"))
def detach_performers(body: PerformerLinks, db: DbDep, settings: SettingsDep) -> dict[str, int]:
    """Take performers off items and photosets. Answers how many links were removed."""
    return link(db, settings, PERFORMERS, body.performers, body, attach=False)


register(router, PERFORMERS)


# -- studios -----------------------------------------------------------------------------


register_list(router, STUDIOS)


@router.post("/studios", status_code=201, openapi_extra=access("write"))
def create_studio(body: NewStudio, db: DbDep, settings: SettingsDep) -> dict[str, Any]:
    """A new studio, under `parent_id` if given. 409 if the name or an alias is taken."""
    check_item(db, settings, body.image_item_id)
    with answers():
        entry = names.create(
            db, names.STUDIOS, body.name, body.aliases, image_item_id=body.image_item_id
        )
        assert isinstance(entry, Studio)
        names.set_parent(db, entry, body.parent_id)
    commit(db)
    return one_json(db, settings, STUDIOS, entry)


@router.patch("/studios/{studio_id}", openapi_extra=access("write"))
def change_studio(
    studio_id: EntryId, body: StudioChange, db: DbDep, settings: SettingsDep
) -> dict[str, Any]:
    """Rename a studio, replace the aliases, set the picture or the parent (null: none).
    A parent that is the studio itself (422) or one of its sub-studios (409) is refused."""
    with answers():
        entry = names.get(db, names.STUDIOS, studio_id)
        assert isinstance(entry, Studio)
        _change(db, settings, STUDIOS, entry, body)
        if "parent_id" in body.model_fields_set:
            names.set_parent(db, entry, body.parent_id)
    commit(db)
    return one_json(db, settings, STUDIOS, entry)


@router.post("/studios/attach", openapi_extra=access("write"))
def attach_studios(body: StudioLinks, db: DbDep, settings: SettingsDep) -> dict[str, int]:
    """Set the studio (an id, or a name: an unknown name becomes a new studio) of items
    and photosets, replacing the one they had. Answers how many links were added and
    how many of them replaced another studio."""
    return link(db, settings, STUDIOS, body.studios, body, attach=True)


@router.post("/studios/detach", openapi_extra=access("write"))
def detach_studios(body: StudioLinks, db: DbDep, settings: SettingsDep) -> dict[str, int]:
    """Take a studio off items and photosets (those with another studio keep it)."""
    return link(db, settings, STUDIOS, body.studios, body, attach=False)


register(router, STUDIOS)


def _change(db: Any, settings: Any, spec: Spec, entry: Named, body: PerformerChange) -> None:
    """What performers and studios change alike: name, aliases, picture."""
    assert isinstance(entry, Performer | Studio)
    if body.name is not None:
        names.rename(db, spec.kind, entry, body.name)
    if body.aliases is not None:
        names.set_aliases(db, spec.kind, entry, body.aliases)
    if "image_item_id" in body.model_fields_set:
        check_item(db, settings, body.image_item_id)
        entry.image_item_id = body.image_item_id


# -- the seed's routes -----------------------------------------------------------------


def _counted(db: Any, settings: Any, spec: Spec) -> list[dict[str, Any]]:
    """Every entry of a kind by name, with its count of present items."""
    rows = names.listing(db, spec.kind, limit=1_000_000, item_where=counted(db, settings))
    return [{"id": e.id, "name": e.name, "count": n} for e, n in rows]


@seed.get("/api/get-performers", openapi_extra=access("read"))
def seed_performers(db: DbDep, settings: SettingsDep) -> dict[str, Any]:
    """The seed's performer list: every performer, by name, with item counts."""
    return {"performers": _counted(db, settings, PERFORMERS)}


@seed.get("/api/get-studios", openapi_extra=access("read"))
def seed_studios(db: DbDep, settings: SettingsDep) -> dict[str, Any]:
    """The seed's studio list: every studio, by name, with item counts."""
    return {"studios": _counted(db, settings, STUDIOS)}
