"""GET/PATCH /api/v1/admin/settings: user-tunable settings, kept in the database.

Deployment settings (paths, DATABASE_URL, REDIS_URL) are not here: they stay
in the environment. Admin only once accounts exist (a later issue); until
then, as every route, open to whoever can reach the server.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, HTTPException, Request

from mediashelf.library import tunables
from mediashelf.web.security import access

router = APIRouter(tags=["admin"])


@router.get("/admin/settings", openapi_extra=access("admin"))
def list_settings(request: Request) -> dict[str, Any]:
    """Each tunable setting: value in force, default (from the environment), help text."""
    live: tunables.LiveSettings = request.app.state.live
    return {"settings": tunables.describe(live.engine, live.base)}


@router.patch("/admin/settings", openapi_extra=access("admin"))
def change_settings(
    request: Request,
    changes: dict[str, Any] = Body(
        ...,
        examples=[{"thumbnail_quality": 85, "watch": False, "rescan_interval": None}],
        description="Settings to change; null resets one to its default.",
    ),
) -> dict[str, Any]:
    """Change tunable settings. All or nothing: one invalid value changes none."""
    live: tunables.LiveSettings = request.app.state.live
    if not changes:
        raise HTTPException(422, "give at least one setting to change")
    try:
        tunables.change(live.engine, live.base, changes)
    except tunables.TunableError as exc:
        raise HTTPException(422, str(exc)) from None
    live.refresh()  # the one this process's pages, thumbnails and jobs read
    return {"settings": tunables.describe(live.engine, live.base)}
