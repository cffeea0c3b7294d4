"""Who may do what: roles, API-key scopes, route access levels, and the principal.

A route declares one access level (see web/security.py):

- public: anyone (health, login, the login page, static assets);
- user: anyone logged in, by session or by API key of any scope;
- account: a logged-in session, or an admin-scoped key (managing one's own API keys);
- read, write, admin, worker: needs that permission.

A user's role gives permissions; an API key gives the permissions of its
scope, and never more than its owner's role.
"""

from __future__ import annotations

from dataclasses import dataclass

from mediashelf.config import ROLES

LEVELS = ("public", "user", "account", "read", "write", "admin", "worker")
SCOPES = ("read", "write", "admin", "worker")

ROLE_PERMS: dict[str, frozenset[str]] = {
    "viewer": frozenset({"read"}),
    "member": frozenset({"read", "write"}),
    "admin": frozenset({"read", "write", "admin", "worker"}),
}
SCOPE_PERMS: dict[str, frozenset[str]] = {
    "read": frozenset({"read"}),
    "write": frozenset({"read", "write"}),
    "admin": frozenset({"read", "write", "admin"}),
    "worker": frozenset({"worker"}),
}
assert set(ROLE_PERMS) == set(ROLES)


@dataclass(frozen=True)
class Principal:
    """Who sent a request: a user, through a session, an API key, or an open network."""

    user_id: int
    username: str
    role: str
    via: str  # session | apikey | open
    scope: str | None = None  # an API key's
    key_id: int | None = None
    session_token: str | None = None  # for the CSRF check

    @property
    def perms(self) -> frozenset[str]:
        perms = ROLE_PERMS.get(self.role, frozenset())
        if self.scope is not None:
            perms = perms & SCOPE_PERMS.get(self.scope, frozenset())
        return perms


def allows(principal: Principal | None, level: str) -> bool:
    """Whether `principal` (None: anonymous) may use a route of this access level."""
    if level == "public":
        return True
    if principal is None:
        return False
    if level == "user":
        return True
    if level == "account":
        return principal.via != "apikey" or "admin" in principal.perms
    return level in principal.perms


def scope_fits(role: str, scope: str) -> bool:
    """Whether a user of `role` may hold a key of `scope` (no key outranks its owner)."""
    return SCOPE_PERMS[scope] <= ROLE_PERMS[role]
