"""GET /api/v1/folders: the library's folders, a level at a time, with item counts, for
a folder picker. Folders are paths relative to a library root ("" is the top); the same
relative folder under two roots is one entry, as the item list's `folder` filter has it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import func, select

from mediashelf.db.models import Item
from mediashelf.web.api.items import ItemFilter, clean_folder, not_found
from mediashelf.web.deps import DbDep, SettingsDep
from mediashelf.web.security import PrincipalDep, access

router = APIRouter(tags=["items"])


class Folder(BaseModel):
    path: str
    name: str
    items: int  # in it and its sub-folders
    has_children: bool


class Folders(BaseModel):
    parent: str
    items: int  # directly in parent
    folders: list[Folder]


@router.get("/folders", openapi_extra=access("read"))
def list_folders(
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    parent: Annotated[
        str, Query(max_length=4096, description='A folder ("" for the top of the library)')
    ] = "",
) -> Folders:
    """The sub-folders of `parent` that hold items, by name, each with its item count (its
    sub-folders' included), and how many items lie directly in `parent`. 404 for a folder
    that holds no items."""
    parent = clean_folder(parent)
    where = ItemFilter(folder=parent, recursive=True).conditions(db, settings, principal)
    counts = db.execute(select(Item.folder, func.count()).where(*where).group_by(Item.folder))
    prefix = f"{parent}/" if parent else ""
    direct, children, nested = 0, dict[str, int](), set[str]()
    for folder, count in counts:
        if folder == parent:
            direct += count
            continue
        name, _, rest = folder[len(prefix) :].partition("/")
        children[name] = children.get(name, 0) + count
        if rest:
            nested.add(name)
    if parent and not direct and not children:
        raise not_found("folder")
    return Folders(
        parent=parent,
        items=direct,
        folders=[
            Folder(path=prefix + name, name=name, items=children[name], has_children=name in nested)
            for name in sorted(children, key=lambda n: (n.casefold(), n))
        ],
    )
