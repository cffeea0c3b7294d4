"""/api/v1/auth: log in and out, the first run, one's own account.

Login sets two cookies: the session (HttpOnly, SameSite=Lax, Secure over
HTTPS) and the CSRF token, which the page sends back as X-CSRF-Token on
every state-changing request.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from mediashelf.auth import sessions, throttle, users
from mediashelf.db.models import User
from mediashelf.web.deps import DbDep, SettingsDep
from mediashelf.web.security import (
    SESSION_COOKIE,
    PrincipalDep,
    access,
    clear_session_cookies,
    session_cookies,
)

router = APIRouter(prefix="/auth", tags=["auth"])


class Strict(BaseModel):
    """Request bodies refuse fields they do not know (no mass assignment), and text with
    a NUL character (PostgreSQL cannot store it; no name or password needs one)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("text may not contain a NUL character")
        return value


class Login(Strict):
    username: str = Field(max_length=200)
    password: str = Field(max_length=4096)


class NewPassword(Strict):
    current_password: str = Field(max_length=4096)
    new_password: str = Field(max_length=4096)


class ProfileChange(Strict):
    display_name: str = Field(max_length=200)


def user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "disabled": user.disabled,
        "local_login": user.password_hash is not None,
        "oidc": user.oidc_subject is not None,
        "created_at": user.created_at.isoformat(),
        "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
    }


def user_error(exc: ValueError) -> HTTPException:
    return HTTPException(getattr(exc, "status", 400), str(exc))


def _logged_in(request: Request, settings: Any, db: DbDep, user: User) -> Response:
    token = sessions.start(
        db, user, settings.session_days, request.client.host if request.client else None,
        request.headers.get("user-agent"),
    )  # fmt: skip
    body = {"user": user_json(user), "csrf_token": sessions.csrf_token(token)}
    response = JSONResponse(body)
    session_cookies(response, request, token, settings.session_days, settings.cookie_secure)
    return response


@router.post("/login", openapi_extra=access("public"))
def login(body: Login, request: Request, db: DbDep, settings: SettingsDep) -> Response:
    """Log in with a username and password; sets the session cookie."""
    ip = request.client.host if request.client else None
    wait = throttle.wait_seconds(db, settings, ip, body.username)
    if wait:
        raise HTTPException(
            429,
            f"too many failed logins: try again in {wait} seconds",
            headers={"retry-after": str(wait)},
        )
    user = users.authenticate(db, body.username, body.password)
    if user is None:
        throttle.failed(db, settings, ip, body.username)
        raise HTTPException(401, "wrong username or password")
    throttle.succeeded(db, body.username)
    return _logged_in(request, settings, db, user)


@router.post("/logout", openapi_extra=access("public"))
def logout(request: Request, db: DbDep) -> Response:
    """End this browser's session."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        sessions.end(db, token)
    response = JSONResponse({"logged_out": True})
    clear_session_cookies(response)
    return response


@router.post("/logout-everywhere", openapi_extra=access("account"))
def logout_everywhere(principal: PrincipalDep, db: DbDep) -> Response:
    """End every session of the current user, on every device."""
    ended = sessions.end_all(db, principal.user_id)
    response = JSONResponse({"sessions_ended": ended})
    clear_session_cookies(response)
    return response


@router.get("/me", openapi_extra=access("user"))
def me(principal: PrincipalDep, db: DbDep) -> dict[str, Any]:
    """Who is logged in, how, and with what permissions."""
    user = db.get(User, principal.user_id)
    if user is None:
        raise HTTPException(401, "login required")
    return {
        "user": user_json(user),
        "via": principal.via,
        "scope": principal.scope,
        "permissions": sorted(principal.perms),
        "csrf_token": (
            sessions.csrf_token(principal.session_token) if principal.session_token else None
        ),
    }


@router.patch("/me", openapi_extra=access("account"))
def change_profile(body: ProfileChange, principal: PrincipalDep, db: DbDep) -> dict[str, Any]:
    """Change one's own display name. Roles are changed by an admin, not here."""
    user = db.get(User, principal.user_id)
    assert user is not None
    return user_json(users.update(db, user, display_name=body.display_name))


@router.put("/password", openapi_extra=access("account"))
def change_password(
    body: NewPassword, request: Request, principal: PrincipalDep, db: DbDep, settings: SettingsDep
) -> Response:
    """Change one's own password. Every other session ends; this one goes on."""
    user = db.get(User, principal.user_id)
    assert user is not None
    if (
        user.password_hash is None
        or users.authenticate(db, user.username, body.current_password) is None
    ):
        raise HTTPException(403, "the current password is wrong")
    try:
        users.set_password(db, user, body.new_password)
    except ValueError as exc:
        raise user_error(exc) from None
    return _logged_in(request, settings, db, user)


class FirstAdmin(Strict):
    username: str = Field(max_length=200)
    password: str = Field(max_length=4096)


@router.get("/setup", openapi_extra=access("public"))
def setup_status(db: DbDep, settings: SettingsDep) -> dict[str, Any]:
    """Whether the first admin is still to be made, and which ways to log in there are."""
    return {
        "needs_admin": users.needs_first_admin(db),
        "auth": settings.auth,
        "oidc": {"name": settings.oidc_name} if settings.oidc_enabled else None,
    }


@router.post("/setup", status_code=201, openapi_extra=access("public"))
def setup(body: FirstAdmin, request: Request, db: DbDep, settings: SettingsDep) -> Response:
    """Create the first admin and log in. Works only while no user exists."""
    try:
        user = users.create_first_admin(db, body.username, body.password)
    except ValueError as exc:
        raise user_error(exc) from None
    response = _logged_in(request, settings, db, user)
    response.status_code = 201
    return response
