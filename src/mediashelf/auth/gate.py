"""Who is asking: a request's credentials to a Principal, checked on every request.

The web layer hands over what the request carried (the session cookie's
token, an API key from a header, the client's address); this module looks
them up. One indexed query per request, so that logging out, disabling a
user or revoking a key takes effect on the next request in every process.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta

from sqlalchemy import Engine, bindparam, delete, select, update
from sqlalchemy.orm import Session

from mediashelf.auth.access import Principal
from mediashelf.auth.sessions import digest
from mediashelf.config import Settings
from mediashelf.db.models import ApiKey, LoginSession, User
from mediashelf.library.clock import utcnow

# last_seen_at / last_used_at are written at most this often: not a write per request.
TOUCH_EVERY = timedelta(minutes=5)
OPEN_USER = "local"  # who requests are with AUTH=off


class KeyRefused(Exception):
    """An API key that exists but may not be used; the message says why."""


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(specs: list[str]) -> list[Network]:
    return [ipaddress.ip_network(spec, strict=False) for spec in specs]


def in_networks(address: str | None, nets: list[Network]) -> bool:
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in net for net in nets)


def is_loopback(address: str | None) -> bool:
    return in_networks(address, LOOPBACK)


LOOPBACK = networks(["127.0.0.0/8", "::1/128"])


def is_loopback_host(host: str) -> bool:
    """Whether a bind address (HOST) is reachable from this machine only."""
    return host == "localhost" or is_loopback(host)


# Built once: building a select() per request cost about 190 µs of CPU, several times the
# query itself (bench/serve.py, docs/performance.md).
_SESSION = (
    select(
        LoginSession.id,
        LoginSession.last_seen_at,
        LoginSession.expires_at,
        User.id,
        User.username,
        User.role,
        User.disabled,
    )
    .join(User, User.id == LoginSession.user_id)
    .where(LoginSession.token_hash == bindparam("digest"))
)
_KEY = (
    select(
        ApiKey.id,
        ApiKey.scope,
        ApiKey.expires_at,
        ApiKey.revoked_at,
        ApiKey.last_used_at,
        User.id,
        User.username,
        User.role,
        User.disabled,
    )
    .join(User, User.id == ApiKey.user_id)
    .where(ApiKey.key_hash == bindparam("digest"))
)


class Gate:
    """Identifies requests for one app: sessions, API keys, and AUTH=off's open networks."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.engine = engine
        self.open = not settings.auth
        self.trusted = networks(settings.trusted_networks)
        self.open_principal: Principal | None = None
        if self.open:
            self.open_principal = _open_principal(engine)

    def identify(
        self, session_token: str | None, api_key: str | None, client: str | None
    ) -> Principal | None:
        """The principal, or None for anonymous. Raises KeyRefused for a dead key."""
        if api_key is not None:
            return self._by_key(api_key)
        if session_token:
            principal = self._by_session(session_token)
            if principal is not None:
                return principal
        if self.open and (is_loopback(client) or in_networks(client, self.trusted)):
            return self.open_principal
        return None

    def _by_session(self, token: str) -> Principal | None:
        now = utcnow()
        with self.engine.connect() as conn:
            row = conn.execute(_SESSION, {"digest": digest(token)}).first()
            if row is None:
                return None
            sid, seen, expires, uid, username, role, disabled = row
            if expires <= now:
                conn.execute(delete(LoginSession).where(LoginSession.id == sid))
                conn.commit()
                return None
            if disabled:
                return None
            if now - seen > TOUCH_EVERY:
                conn.execute(
                    update(LoginSession).where(LoginSession.id == sid).values(last_seen_at=now)
                )
                conn.commit()
        return Principal(uid, username, role, "session", session_token=token)

    def _by_key(self, secret: str) -> Principal:
        now = utcnow()
        with self.engine.connect() as conn:
            row = conn.execute(_KEY, {"digest": digest(secret)}).first()
            if row is None:
                raise KeyRefused("unknown API key")
            kid, scope, expires, revoked, used, uid, username, role, disabled = row
            if revoked is not None:
                raise KeyRefused("this API key was revoked")
            if expires is not None and expires <= now:
                raise KeyRefused("this API key has expired")
            if disabled:
                raise KeyRefused("this API key's user is disabled")
            if used is None or now - used > TOUCH_EVERY:
                conn.execute(update(ApiKey).where(ApiKey.id == kid).values(last_used_at=now))
                conn.commit()
        return Principal(uid, username, role, "apikey", scope=scope, key_id=kid)


def _open_principal(engine: Engine) -> Principal:
    """AUTH=off acts as the built-in admin `local` (made on first use, no password), so
    that per-user data such as ratings has a user to hang off."""
    from mediashelf.auth import users

    with Session(engine) as db:
        user = users.find(db, OPEN_USER)
        if user is None:
            try:
                user = users.create(db, OPEN_USER, None, "admin", "Local")
            except users.Conflict:  # another worker made it first
                user = users.find(db, OPEN_USER)
        assert user is not None
        return Principal(user.id, user.username, user.role, "open")
