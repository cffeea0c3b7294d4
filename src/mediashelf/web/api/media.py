"""GET /media/{path}: the seed gallery's URL for an original, by its path.

The path is resolved under each root in turn and must stay inside it; it
must also be a known, present item, so nothing else under a root (hidden
files, a stray .env) is ever served.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select, true

from mediashelf.db.models import Item, Root
from mediashelf.library.paths import confine
from mediashelf.library.visibility import shown
from mediashelf.web.api.items import not_found, original_response
from mediashelf.web.deps import DbDep, SettingsDep
from mediashelf.web.responses import file_route
from mediashelf.web.security import PrincipalDep

router = APIRouter(tags=["items"])


@file_route(router, "/media/{path:path}")
def media_by_path(
    path: str, request: Request, db: DbDep, settings: SettingsDep, principal: PrincipalDep
) -> Response:
    """The seed gallery's URL of an original, by its path under a root."""
    visible = true() if "admin" in principal.perms else shown(db)
    roots = select(Root.id, Root.path).where(Root.path.in_(settings.root_paths)).order_by(Root.id)
    for root_id, root_path in db.execute(roots):
        real = confine(root_path, path)
        if real is None:
            continue
        rel = real.relative_to(root_path).as_posix() if real.is_relative_to(root_path) else None
        if rel is None:
            continue
        item = db.execute(
            select(Item).where(Item.root_id == root_id, Item.rel_path == rel, visible)
        ).scalar()
        if item is not None:
            return original_response(request, db, settings, item)
    raise not_found("file")
