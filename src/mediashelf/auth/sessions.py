"""Login sessions: a random token in an HttpOnly cookie; the database keeps its SHA-256.

Logging out deletes the row, so it takes effect at once in every web worker.
The CSRF token is derived from the session token, so it needs no storage and
cannot be guessed without the cookie, which scripts on the page cannot read.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mediashelf.db.models import LoginSession, User
from mediashelf.library.clock import utcnow


def digest(token: str) -> str:
    """How a session token or API key is stored: it has 256 random bits, so SHA-256
    suffices (a slow hash is for guessable passwords)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def start(db: Session, user: User, days: int, ip: str | None, user_agent: str | None) -> str:
    """A new session for `user` (committed); returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    user.last_login_at = now
    db.add(
        LoginSession(
            token_hash=digest(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(days=days),
            ip=ip,
            user_agent=(user_agent or "")[:300] or None,
        )
    )
    db.commit()
    return token


def end(db: Session, token: str) -> None:
    db.execute(delete(LoginSession).where(LoginSession.token_hash == digest(token)))
    db.commit()


def end_all(db: Session, user_id: int) -> int:
    """Log the user out everywhere; returns how many sessions ended."""
    ids = db.scalars(select(LoginSession.id).where(LoginSession.user_id == user_id)).all()
    db.execute(delete(LoginSession).where(LoginSession.id.in_(ids)))
    db.commit()
    return len(ids)


def csrf_token(session_token: str) -> str:
    return hmac.new(session_token.encode(), b"mediashelf-csrf", hashlib.sha256).hexdigest()


def csrf_ok(session_token: str, sent: str | None) -> bool:
    return sent is not None and hmac.compare_digest(csrf_token(session_token), sent)
