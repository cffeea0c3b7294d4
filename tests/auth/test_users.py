"""Users, passwords, sessions and API keys in the database, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from mediashelf.auth import apikeys, sessions, users
from mediashelf.auth.gate import Gate, KeyRefused
from mediashelf.config import Settings
from mediashelf.db.models import ApiKey, LoginSession, User
from mediashelf.library.clock import utcnow

PASSWORD = "correct horse battery"


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


def test_passwords_are_stored_as_argon2id_only(db: Session) -> None:
    user = users.create(db, "Alice", PASSWORD, "member")
    assert user.username == "alice"  # one spelling per name
    assert user.password_hash is not None and user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert users.authenticate(db, "ALICE", PASSWORD) is not None
    assert users.authenticate(db, "alice", PASSWORD + "x") is None
    assert users.authenticate(db, "nobody", PASSWORD) is None


@pytest.mark.parametrize(
    ("name", "password", "role", "message"),
    [
        ("", PASSWORD, "member", "username"),
        ("has space", PASSWORD, "member", "username"),
        ("<script>", PASSWORD, "member", "username"),
        ("x" * 65, PASSWORD, "member", "username"),
        ("bob", "short", "member", "8 characters"),
        ("bob", PASSWORD, "root", "role"),
    ],
)
def test_bad_users_are_refused_with_a_reason(
    db: Session, name: str, password: str, role: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):  # UserError is one
        users.create(db, name, password, role)
    assert db.scalar(select(func.count()).select_from(User)) == 0


def test_a_taken_username_is_a_conflict(db: Session) -> None:
    users.create(db, "bob", PASSWORD, "viewer")
    with pytest.raises(users.Conflict):
        users.create(db, "BOB", PASSWORD, "admin")


def test_the_first_admin_can_be_made_once(db: Session) -> None:
    assert users.needs_first_admin(db)
    admin = users.create_first_admin(db, "root", PASSWORD)
    assert admin.role == "admin" and not users.needs_first_admin(db)
    with pytest.raises(users.Conflict, match="exists already"):
        users.create_first_admin(db, "mallory", PASSWORD)
    assert users.find(db, "mallory") is None


def test_the_first_admin_race_has_one_winner(engine: Engine) -> None:
    """Eight first-run requests at once: exactly one admin, the rest told to log in."""
    barrier = threading.Barrier(8)

    def attempt(n: int) -> str:
        with Session(engine) as db:
            barrier.wait()
            try:
                users.create_first_admin(db, f"admin{n}", PASSWORD)
                return "made"
            except users.Conflict:
                return "conflict"

    with ThreadPoolExecutor(8) as pool:
        outcomes = sorted(pool.map(attempt, range(8)))
    assert outcomes == ["conflict"] * 7 + ["made"]
    with Session(engine) as db:
        assert db.scalar(select(func.count()).select_from(User)) == 1


def test_the_last_admin_cannot_be_demoted_or_disabled(db: Session) -> None:
    admin = users.create(db, "admin", PASSWORD, "admin")
    with pytest.raises(users.Conflict, match="last admin"):
        users.update(db, admin, role="member")
    with pytest.raises(users.Conflict, match="last admin"):
        users.update(db, admin, disabled=True)
    users.create(db, "second", PASSWORD, "admin")
    assert users.update(db, admin, role="viewer").role == "viewer"


def _gate(settings: Settings, engine: Engine) -> Gate:
    return Gate(settings, engine)


def test_sessions_end_on_logout_password_change_and_disable(
    db: Session, settings: Settings, engine: Engine
) -> None:
    gate = _gate(settings, engine)
    user = users.create(db, "carol", PASSWORD, "member")
    token = sessions.start(db, user, 30, "10.0.0.1", "test")
    principal = gate.identify(token, None, "10.0.0.1")
    assert principal is not None and principal.username == "carol" and principal.via == "session"
    stored = db.scalar(select(LoginSession.token_hash))
    assert stored == sessions.digest(token) and token not in str(stored)

    sessions.end(db, token)
    assert gate.identify(token, None, None) is None

    token = sessions.start(db, user, 30, None, None)
    users.set_password(db, user, PASSWORD + "!")
    assert gate.identify(token, None, None) is None

    token = sessions.start(db, user, 30, None, None)
    users.update(db, user, disabled=True)
    assert gate.identify(token, None, None) is None


def test_an_expired_session_is_refused_and_removed(
    db: Session, settings: Settings, engine: Engine
) -> None:
    user = users.create(db, "dave", PASSWORD, "viewer")
    token = sessions.start(db, user, 1, None, None)
    row = db.scalar(select(LoginSession))
    assert row is not None
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.commit()
    assert _gate(settings, engine).identify(token, None, None) is None
    assert db.scalar(select(func.count()).select_from(LoginSession)) == 0


def test_api_keys_are_shown_once_and_checked_on_every_use(
    db: Session, settings: Settings, engine: Engine
) -> None:
    gate = _gate(settings, engine)
    user = users.create(db, "erin", PASSWORD, "member")
    key, secret = apikeys.create(db, user, "script", "write")
    assert secret.startswith("msk_") and apikeys.PATTERN.fullmatch(secret)
    row = db.scalar(select(ApiKey))
    assert row is not None and secret not in (row.key_hash + row.prefix)
    principal = gate.identify(None, secret, None)
    assert principal is not None and principal.perms == {"read", "write"}

    apikeys.revoke(db, key)
    with pytest.raises(KeyRefused, match="revoked"):
        gate.identify(None, secret, None)
    with pytest.raises(KeyRefused, match="unknown"):
        gate.identify(None, "msk_" + "x" * 43, None)

    key, secret = apikeys.create(db, user, "short-lived", "read", utcnow() + timedelta(hours=1))
    key.expires_at = utcnow() - timedelta(seconds=1)
    db.commit()
    with pytest.raises(KeyRefused, match="expired"):
        gate.identify(None, secret, None)

    _, secret = apikeys.create(db, user, "another", "read")
    users.update(db, user, disabled=True)
    with pytest.raises(KeyRefused, match="disabled"):
        gate.identify(None, secret, None)


@pytest.mark.parametrize(
    ("role", "scope", "ok"),
    [
        ("viewer", "read", True),
        ("viewer", "write", False),
        ("member", "write", True),
        ("member", "admin", False),
        ("member", "worker", False),
        ("admin", "admin", True),
        ("admin", "worker", True),
    ],
)
def test_no_key_outranks_its_owner(db: Session, role: str, scope: str, ok: bool) -> None:
    user = users.create(db, f"u-{role}", None, role)
    if ok:
        assert apikeys.create(db, user, "k", scope)[0].scope == scope
    else:
        with pytest.raises(users.UserError, match="cannot hold"):
            apikeys.create(db, user, "k", scope)


def test_a_key_loses_what_its_owner_loses(db: Session, settings: Settings, engine: Engine) -> None:
    """A key's permissions are its scope's, cut down to its owner's role at each request."""
    users.create(db, "spare-admin", None, "admin")
    owner = users.create(db, "frank", None, "admin")
    _, secret = apikeys.create(db, owner, "k", "admin")
    gate = _gate(settings, engine)
    principal = gate.identify(None, secret, None)
    assert principal is not None and "admin" in principal.perms
    users.update(db, owner, role="viewer")
    principal = gate.identify(None, secret, None)
    assert principal is not None and principal.perms == {"read"}
