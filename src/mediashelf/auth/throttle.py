"""Login throttling: failed attempts are counted per address and per account.

Counted in the database, so that every web worker sees the same numbers.
Once either count within the window reaches its limit, logins from that
address (or to that account) are refused, before any password is checked,
until the oldest failure leaves the window.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from mediashelf.config import Settings
from mediashelf.db.models import LoginFailure
from mediashelf.library.clock import utcnow


def _keys(ip: str | None, username: str) -> list[tuple[str, str]]:
    """(key, which limit) pairs for this attempt."""
    keys = [(f"user:{username.strip().lower()[:90]}", "user")]
    if ip:
        keys.append((f"ip:{ip[:90]}", "ip"))
    return keys


def wait_seconds(db: Session, settings: Settings, ip: str | None, username: str) -> int:
    """0 if a login may be tried now, else the seconds until one may."""
    window = timedelta(seconds=settings.login_window)
    since = utcnow() - window
    limits = {"user": settings.login_attempts_per_user, "ip": settings.login_attempts_per_ip}
    wait = 0
    for key, which in _keys(ip, username):
        query = select(func.count(), func.min(LoginFailure.at)).where(
            LoginFailure.key == key, LoginFailure.at > since
        )
        count, oldest = db.execute(query).one()
        if count >= limits[which] and oldest is not None:
            wait = max(wait, int((oldest + window - utcnow()).total_seconds()) + 1)
    return wait


def failed(db: Session, settings: Settings, ip: str | None, username: str) -> None:
    now = utcnow()
    for key, _ in _keys(ip, username):
        db.add(LoginFailure(key=key, at=now))
    # Keep the table small: nothing older than the window counts.
    db.execute(delete(LoginFailure).where(LoginFailure.at < now - timedelta(days=1)))
    db.commit()


def succeeded(db: Session, username: str) -> None:
    """A good password clears the account's count (not the address's)."""
    key = _keys(None, username)[0][0]
    db.execute(delete(LoginFailure).where(LoginFailure.key == key))
    db.commit()
