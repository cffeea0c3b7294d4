"""Users: create, find, change, disable, and check a password.

Users are never deleted (their ratings and views hang off them); a disabled
user cannot log in, and their sessions and keys stop working at once.
"""

from __future__ import annotations

import re

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mediashelf.auth import passwords
from mediashelf.config import ROLES
from mediashelf.db.models import LoginSession, SettingValue, User
from mediashelf.library.clock import utcnow

USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")


class UserError(ValueError):
    """A request about users that cannot be done; the message says why."""

    status = 400


class Conflict(UserError):
    status = 409


def normalise(username: str) -> str:
    """The stored form of a username (lower case), or UserError."""
    name = username.strip().lower()
    if not USERNAME.fullmatch(name):
        raise UserError(
            "a username is 1-64 characters: letters, digits and . _ @ -, starting with a "
            "letter or digit"
        )
    return name


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise UserError(f"a role is one of {', '.join(ROLES)} (got {role!r})")


def find(db: Session, username: str) -> User | None:
    try:
        name = normalise(username)
    except UserError:
        return None
    return db.scalar(select(User).where(User.username == name))


def create(
    db: Session,
    username: str,
    password: str | None,
    role: str,
    display_name: str = "",
    oidc: tuple[str, str] | None = None,
) -> User:
    """A new user (committed). Without a password, the user cannot log in locally (OIDC
    users, and the built-in `local` user of AUTH=off)."""
    name = normalise(username)
    _check_role(role)
    if password is not None:
        passwords.check_strength(password)
    now = utcnow()
    user = User(
        username=name,
        display_name=display_name.strip()[:200],
        password_hash=passwords.hash_password(password) if password is not None else None,
        role=role,
        disabled=False,
        oidc_issuer=oidc[0] if oidc else None,
        oidc_subject=oidc[1] if oidc else None,
        created_at=now,
        updated_at=now,
    )
    db.add(user)
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        if find(db, name) is not None:
            raise Conflict(f"the username {name!r} is taken") from None
        raise Conflict("this single sign-on identity belongs to another user") from None
    return user


def create_first_admin(db: Session, username: str, password: str) -> User:
    """The first user, an admin; refused once any user exists, even under a race."""
    if db.scalar(select(func.count()).select_from(User)):
        raise Conflict("the first admin exists already; log in instead")
    # The settings row's primary key lets exactly one of two racing requests through.
    db.add(SettingValue(key="auth.first_admin", value='"done"', updated_at=utcnow()))
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
        raise Conflict("the first admin exists already; log in instead") from None
    return create(db, username, password, "admin")


def needs_first_admin(db: Session) -> bool:
    return not db.scalar(select(func.count()).select_from(User))


def _enabled_admins(db: Session) -> int:
    query = select(func.count()).select_from(User).where(User.role == "admin", ~User.disabled)
    return int(db.scalar(query) or 0)


def update(
    db: Session,
    user: User,
    *,
    role: str | None = None,
    disabled: bool | None = None,
    display_name: str | None = None,
) -> User:
    """Change a user (committed). The last enabled admin cannot be demoted or disabled."""
    if role is not None:
        _check_role(role)
    losing_admin = (
        user.role == "admin"
        and not user.disabled
        and ((role is not None and role != "admin") or disabled is True)
    )
    if losing_admin and _enabled_admins(db) <= 1:
        raise Conflict("this is the last admin: make another admin first")
    if role is not None:
        user.role = role
    if display_name is not None:
        user.display_name = display_name.strip()[:200]
    if disabled is not None:
        user.disabled = disabled
        if disabled:
            db.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    user.updated_at = utcnow()
    db.commit()
    return user


def set_password(db: Session, user: User, password: str) -> None:
    """A new password (committed); every session of the user ends."""
    passwords.check_strength(password)
    user.password_hash = passwords.hash_password(password)
    user.updated_at = utcnow()
    db.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    db.commit()


def authenticate(db: Session, username: str, password: str) -> User | None:
    """The user if the password is theirs and they may log in, else None.

    Takes as long for an unknown user as for a wrong password.
    """
    user = find(db, username)
    stored = user.password_hash if user is not None else None
    if not passwords.verify(stored, password) or user is None or user.disabled:
        return None
    if stored is not None and passwords.needs_rehash(stored):
        user.password_hash = passwords.hash_password(password)
        db.commit()
    return user
