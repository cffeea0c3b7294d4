"""/api/v1/users (admin) and /api/v1/apikeys (one's own keys; an admin's, anyone's)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import Field
from sqlalchemy import select

from mediashelf.auth import apikeys, sessions, users
from mediashelf.db.models import ApiKey, User
from mediashelf.library.clock import utcnow
from mediashelf.web.api.auth import Strict, user_error, user_json
from mediashelf.web.deps import DbDep
from mediashelf.web.security import PrincipalDep, access

router = APIRouter(tags=["users"])

Id = Annotated[int, Path(ge=1, le=2**63 - 1)]
Role = Literal["admin", "member", "viewer"]
Scope = Literal["read", "write", "admin", "worker"]


class NewUser(Strict):
    username: str = Field(max_length=200)
    password: str = Field(max_length=4096)
    role: Role = "viewer"
    display_name: str = Field(default="", max_length=200)


class UserChange(Strict):
    role: Role | None = None
    disabled: bool | None = None
    display_name: str | None = Field(default=None, max_length=200)
    password: str | None = Field(default=None, max_length=4096)


def _user(db: DbDep, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise HTTPException(404, "user not found")
    return user


Limit = Annotated[int, Query(ge=1, le=500, description="Page size")]
Cursor = Annotated[
    int | None, Query(ge=1, le=2**63 - 1, description="next_cursor from the previous page")
]


def _next(rows: list[Any], limit: int) -> int | None:
    """The cursor to the page after `rows` (fetched with one row more than `limit`)."""
    return rows[limit - 1].id if len(rows) > limit else None


@router.get("/users", openapi_extra=access("admin"))
def list_users(db: DbDep, limit: Limit = 100, cursor: Cursor = None) -> dict[str, Any]:
    """Users, oldest first. Follow `next_cursor` for the next page."""
    query = select(User).order_by(User.id).limit(limit + 1)
    if cursor is not None:
        query = query.where(User.id > cursor)
    rows = list(db.scalars(query))
    return {"users": [user_json(u) for u in rows[:limit]], "next_cursor": _next(rows, limit)}


@router.post("/users", status_code=201, openapi_extra=access("admin"))
def add_user(body: NewUser, db: DbDep) -> dict[str, Any]:
    """Create a user with a password."""
    try:
        user = users.create(db, body.username, body.password, body.role, body.display_name)
    except ValueError as exc:
        raise user_error(exc) from None
    return user_json(user)


@router.get("/users/{user_id}", openapi_extra=access("admin"))
def get_user(user_id: Id, db: DbDep) -> dict[str, Any]:
    return user_json(_user(db, user_id))


@router.patch("/users/{user_id}", openapi_extra=access("admin"))
def change_user(user_id: Id, body: UserChange, db: DbDep) -> dict[str, Any]:
    """Change a user's role, name or password, or disable them (which logs them out
    everywhere and stops their keys). The last admin cannot be demoted or disabled."""
    user = _user(db, user_id)
    try:
        if body.password is not None:
            users.set_password(db, user, body.password)
        users.update(
            db, user, role=body.role, disabled=body.disabled, display_name=body.display_name
        )
    except ValueError as exc:
        raise user_error(exc) from None
    return user_json(user)


@router.post("/users/{user_id}/logout", openapi_extra=access("admin"))
def logout_user(user_id: Id, db: DbDep) -> dict[str, Any]:
    """End every session of a user."""
    return {"sessions_ended": sessions.end_all(db, _user(db, user_id).id)}


class NewKey(Strict):
    name: str = Field(max_length=100)
    scope: Scope = "read"
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


def key_json(key: ApiKey, owner: str | None = None) -> dict[str, Any]:
    return {
        "id": key.id,
        "name": key.name,
        "scope": key.scope,
        "prefix": key.prefix,
        "user_id": key.user_id,
        "username": owner,
        "state": apikeys.state(key),
        "created_at": key.created_at.isoformat(),
        "expires_at": key.expires_at.isoformat() if key.expires_at else None,
        "last_used_at": key.last_used_at.isoformat() if key.last_used_at else None,
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
    }


@router.get("/apikeys", openapi_extra=access("account"))
def list_keys(
    principal: PrincipalDep,
    db: DbDep,
    all_users: Annotated[bool, Query(description="Admins: everyone's keys")] = False,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Your API keys (never their secrets), newest first. Follow `next_cursor` for the
    next page."""
    if all_users and "admin" not in principal.perms:
        raise HTTPException(403, "only admins see everyone's keys")
    owner = None if all_users else principal.user_id
    rows = apikeys.listing(db, owner, before=cursor, limit=limit + 1)
    keys = rows[:limit]
    owners = {k.user_id for k in keys}
    found = db.execute(select(User.id, User.username).where(User.id.in_(owners)))
    names = {uid: name for uid, name in found}
    return {
        "keys": [key_json(k, names.get(k.user_id)) for k in keys],
        "next_cursor": _next(rows, limit),
    }


@router.post("/apikeys", status_code=201, openapi_extra=access("account"))
def create_key(body: NewKey, principal: PrincipalDep, db: DbDep) -> dict[str, Any]:
    """Create an API key for yourself. The response holds the key; it is never shown
    again. A key never has more permissions than your role."""
    user = db.get(User, principal.user_id)
    assert user is not None
    expires: datetime | None = None
    if body.expires_in_days is not None:
        expires = utcnow() + timedelta(days=body.expires_in_days)
    try:
        key, secret = apikeys.create(db, user, body.name, body.scope, expires)
    except ValueError as exc:
        raise user_error(exc) from None
    return {**key_json(key, user.username), "key": secret}


@router.delete("/apikeys/{key_id}", openapi_extra=access("account"))
def revoke_key(key_id: Id, principal: PrincipalDep, db: DbDep) -> dict[str, Any]:
    """Revoke a key: it stops working on the next request. Admins may revoke anyone's."""
    key = db.get(ApiKey, key_id)
    if key is None or (key.user_id != principal.user_id and "admin" not in principal.perms):
        raise HTTPException(404, "API key not found")
    apikeys.revoke(db, key)
    return key_json(key)
