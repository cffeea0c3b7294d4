"""API keys: for scripts, LAN clients and transcode workers.

A key is `msk_` and 43 random characters. It is shown once, at creation;
the database keeps its SHA-256 and its first characters (to recognise it in
a list). Keys are sent in a header (`Authorization: Bearer` or `X-API-Key`),
never in a URL. Revoking one takes effect on the next request.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediashelf.auth.access import SCOPES, scope_fits
from mediashelf.auth.sessions import digest
from mediashelf.auth.users import UserError
from mediashelf.db.models import ApiKey, User
from mediashelf.library.clock import utcnow

PREFIX = "msk_"
# What a key looks like, for refusing one in a URL and for scrubbing logs; in logs also
# percent-encoded, as an access log prints a request line (msk%5F…, %6Dsk_…).
PATTERN = re.compile(r"msk_[A-Za-z0-9_-]{16,}")
LOGGED_PATTERN = re.compile(
    r"(?:m|%6d)(?:s|%73)(?:k|%6b)(?:_|%5f)(?:[A-Za-z0-9_-]|%[0-9a-f]{2}){16,}", re.IGNORECASE
)


def create(
    db: Session, user: User, name: str, scope: str, expires_at: datetime | None = None
) -> tuple[ApiKey, str]:
    """A new key (committed) and its secret, which is never shown again."""
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise UserError("a key needs a name of 1-100 characters")
    if scope not in SCOPES:
        raise UserError(f"a scope is one of {', '.join(SCOPES)} (got {scope!r})")
    if not scope_fits(user.role, scope):
        raise UserError(f"a {user.role} cannot hold a key of scope {scope!r}")
    if expires_at is not None and expires_at <= utcnow():
        raise UserError("the expiry is in the past")
    secret = PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        key_hash=digest(secret),
        prefix=secret[:10],
        user_id=user.id,
        name=name,
        scope=scope,
        created_at=utcnow(),
        expires_at=expires_at,
    )
    db.add(key)
    db.commit()
    return key, secret


def listing(
    db: Session, user_id: int | None = None, *, before: int | None = None, limit: int | None = None
) -> list[ApiKey]:
    """Keys, newest first: one user's, or everyone's; with `before`, those older than
    that key id; at most `limit`."""
    query = select(ApiKey).order_by(ApiKey.id.desc()).limit(limit)
    if user_id is not None:
        query = query.where(ApiKey.user_id == user_id)
    if before is not None:
        query = query.where(ApiKey.id < before)
    return list(db.scalars(query))


def revoke(db: Session, key: ApiKey) -> None:
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        db.commit()


def state(key: ApiKey) -> str:
    """active | expired | revoked"""
    if key.revoked_at is not None:
        return "revoked"
    if key.expires_at is not None and key.expires_at <= utcnow():
        return "expired"
    return "active"
