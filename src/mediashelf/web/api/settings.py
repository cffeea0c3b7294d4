"""GET/PATCH /api/v1/admin/settings: user-tunable settings, kept in the database.

Deployment settings (paths, DATABASE_URL, REDIS_URL) are not here: they stay
in the environment. Admin only once accounts exist (a later issue); until
then, as every route, open to whoever can reach the server.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, HTTPException, Request
from pydantic import BaseModel, Field

from mediashelf.library import tunables
from mediashelf.web.security import access

router = APIRouter(tags=["admin"])

Value = bool | int | float | str | list[str] | dict[str, int] | None
Choice = bool | int | float | str


class Setting(BaseModel):
    """One tunable setting: its value, its default, its help, and what a form needs to
    edit it, read from the setting's declaration (config.py)."""

    key: str
    value: Value = Field(description="The value in force")
    default: Value = Field(description="The value without a change here (the environment's)")
    overridden: bool = Field(description="Whether a change here overrides the default")
    description: str
    type: tunables.Kind = Field(description="What the value is: a form's control")
    items: tunables.Kind | None = Field(description="A list's items or a map's values")
    choices: list[Choice] | None = Field(description="The values an enum (or its items) takes")
    minimum: float | None = Field(description="The least value, where the setting has one")
    maximum: float | None = Field(description="The greatest value, where the setting has one")
    exclusive_minimum: bool = Field(description="The value must be above `minimum`")
    exclusive_maximum: bool = Field(description="The value must be below `maximum`")
    nullable: bool = Field(description="Whether the value may be null")


class SettingsAnswer(BaseModel):
    settings: list[Setting]


def _answer(live: tunables.LiveSettings) -> SettingsAnswer:
    rows = tunables.describe(live.engine, live.base)
    return SettingsAnswer(settings=[Setting.model_validate(row) for row in rows])


@router.get("/admin/settings", openapi_extra=access("admin"))
def list_settings(request: Request) -> SettingsAnswer:
    """Each tunable setting: value in force, default (from the environment), help text,
    and its type, choices and bounds for a form."""
    return _answer(request.app.state.live)


@router.patch("/admin/settings", openapi_extra=access("admin"))
def change_settings(
    request: Request,
    changes: dict[str, Any] = Body(
        ...,
        examples=[{"thumbnail_quality": 85, "watch": False, "rescan_interval": None}],
        description="Settings to change; null resets one to its default.",
    ),
) -> SettingsAnswer:
    """Change tunable settings. All or nothing: one invalid value changes none."""
    live: tunables.LiveSettings = request.app.state.live
    if not changes:
        raise HTTPException(422, "give at least one setting to change")
    try:
        tunables.change(live.engine, live.base, changes)
    except tunables.TunableError as exc:
        raise HTTPException(422, str(exc)) from None
    live.refresh()  # the one this process's pages, thumbnails and jobs read
    return _answer(live)
