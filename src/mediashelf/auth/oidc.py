"""OpenID Connect single sign-on, the client side (no HTTP framework code here).

`begin` records a login in progress (state, nonce, PKCE verifier) and gives the
provider's authorization URL; `finish` checks the provider's answer, exchanges
the code, validates the ID token and returns the user to log in. Every failure
is an `OidcError` whose message a person can act on; `detail` is for the log.

Users are found by (issuer, subject) only: never linked to a local user by name
or email. Discovery and the JWKS are cached in the process; an ID token signed
with a key the cache does not know makes one refetch of the JWKS (key rotation).
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
import threading
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import httpx2
from authlib.integrations.httpx_client import OAuth2Client, OAuthError
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mediashelf.auth import users
from mediashelf.config import ROLES, Settings
from mediashelf.db.models import OidcLogin, User
from mediashelf.library.clock import utcnow

log = logging.getLogger("mediashelf.auth.oidc")

TIMEOUT = 10.0  # seconds, for every request to the provider
LOGIN_TTL = timedelta(minutes=10)  # a login in progress older than this is refused
DISCOVERY_TTL = 3600.0  # seconds a discovery document is cached
LEEWAY = 120  # seconds of clock skew allowed on exp / iat / nbf
# Asymmetric algorithms only: "none" and HS* (keyed with the client secret) are refused.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
RANK = {"viewer": 1, "member": 2, "admin": 3}

UNREACHABLE = (
    "The sign-in provider could not be reached. Try again later, or log in with a password."
)
EXPIRED = "This sign-in has expired or was already used. Please log in again."
OTHER_BROWSER = (
    "This sign-in was started in another browser, or cookies are blocked. "
    "Please log in again from this browser."
)
NOT_VERIFIED = (
    "The sign-in could not be verified. Please log in again; if it keeps failing, "
    "ask an admin to look at the server log."
)
REFUSED = "The sign-in provider did not accept this login. Please log in again."
NO_ACCESS = "Your account at the sign-in provider has no access here. Ask an admin for a role."
DISABLED = "This account is disabled. Ask an admin."
FIRST_ADMIN = "No admin exists yet: create the first admin on this page, then use single sign-on."


class OidcError(Exception):
    """A failed single sign-on: `str()` is for the person, `detail` for the log."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail or message


_lock = threading.Lock()
_discovery: dict[str, tuple[float, dict[str, Any]]] = {}  # issuer -> (fetched at, document)
_jwks: dict[str, dict[str, Any]] = {}  # jwks_uri -> key set


def forget() -> None:
    """Drop the cached discovery documents and key sets."""
    with _lock:
        _discovery.clear()
        _jwks.clear()


def _get_json(url: str, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    try:
        response = httpx2.get(url, headers=headers, timeout=TIMEOUT)
        response.raise_for_status()
        body = response.json()
    except (httpx2.HTTPError, ValueError) as exc:
        raise OidcError(UNREACHABLE, f"GET {url}: {exc!r}") from None
    if not isinstance(body, dict):
        raise OidcError(UNREACHABLE, f"GET {url}: not a JSON object")
    return body


def discover(settings: Settings) -> dict[str, Any]:
    """The provider's discovery document (cached for an hour)."""
    issuer = settings.oidc_issuer
    with _lock:
        cached = _discovery.get(issuer)
    if cached is not None and time.monotonic() - cached[0] < DISCOVERY_TTL:
        return cached[1]
    meta = _get_json(f"{issuer}/.well-known/openid-configuration")
    # The config strips a trailing slash; some providers (Authentik) keep one in their issuer.
    if not isinstance(meta.get("issuer"), str) or meta["issuer"].rstrip("/") != issuer:
        raise OidcError(
            NOT_VERIFIED, f"discovery names issuer {meta.get('issuer')!r}, not {issuer}"
        )
    missing = [k for k in ("authorization_endpoint", "token_endpoint", "jwks_uri") if k not in meta]
    if missing:
        raise OidcError(UNREACHABLE, f"discovery document lacks {', '.join(missing)}")
    with _lock:
        _discovery[issuer] = (time.monotonic(), meta)
    return meta


def _key_set(meta: Mapping[str, Any], refresh: bool) -> KeySet:
    uri = str(meta["jwks_uri"])
    with _lock:
        data = None if refresh else _jwks.get(uri)
    if data is None:
        data = _get_json(uri)
        with _lock:
            _jwks[uri] = data
    return KeySet.import_key_set(data)  # type: ignore[arg-type]


def safe_next(value: str | None) -> str:
    """`value` if it is a path on this server, else "/" (no open redirect)."""
    if (
        not value
        or not value.startswith("/")
        or value.startswith(("//", "/\\"))
        or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value)  # browsers drop tabs, newlines
        or len(value) > 2000
    ):
        return "/"
    return value


def begin(db: Session, settings: Settings, redirect_uri: str, next_url: str) -> tuple[str, str]:
    """Record a login in progress; returns (the provider's authorization URL, state)."""
    meta = discover(settings)
    state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
    now = utcnow()
    db.execute(delete(OidcLogin).where(OidcLogin.created_at < now - LOGIN_TTL))
    db.add(
        OidcLogin(
            state=state, nonce=nonce, code_verifier=verifier, next_url=next_url, created_at=now
        )
    )
    db.commit()
    scopes = settings.oidc_scopes.split()
    url = prepare_grant_uri(
        meta["authorization_endpoint"],
        settings.oidc_client_id,
        "code",
        redirect_uri,
        " ".join(scopes if "openid" in scopes else ["openid", *scopes]),
        state,
        nonce=nonce,
        code_challenge=create_s256_code_challenge(verifier),
        code_challenge_method="S256",
    )
    return str(url), state


def finish(
    db: Session,
    settings: Settings,
    redirect_uri: str,
    params: Mapping[str, str],
    cookie_state: str | None,
) -> tuple[User, str]:
    """Check the provider's redirect back; returns (the user to log in, where to go next)."""
    state = params.get("state", "")
    row = None
    if 0 < len(state) <= 64:  # used once: deleted whatever happens next
        used = delete(OidcLogin).where(OidcLogin.state == state)
        row = db.execute(
            used.returning(
                OidcLogin.nonce, OidcLogin.code_verifier, OidcLogin.next_url, OidcLogin.created_at
            )
        ).first()
        db.commit()
    if row is None or row.created_at < utcnow() - LOGIN_TTL:
        raise OidcError(EXPIRED, "unknown, used or expired state")
    if not cookie_state or not hmac.compare_digest(cookie_state.encode(), state.encode()):
        raise OidcError(OTHER_BROWSER, "the state cookie does not match the state")
    if "error" in params:
        said = (params.get("error_description") or params["error"])[:200]
        raise OidcError(f"The sign-in provider refused the login: {said}", f"provider: {params}")
    if params.get("iss", settings.oidc_issuer).rstrip("/") != settings.oidc_issuer:
        raise OidcError(NOT_VERIFIED, f"callback from issuer {params.get('iss')!r}")
    if not params.get("code"):
        raise OidcError(NOT_VERIFIED, "no code in the callback")
    meta = discover(settings)
    token = _exchange(meta, settings, redirect_uri, params["code"], row.code_verifier)
    claims = _validate(meta, settings, token, row.nonce)
    return _user_for(db, settings, claims), row.next_url


def _exchange(
    meta: Mapping[str, Any], settings: Settings, redirect_uri: str, code: str, verifier: str
) -> dict[str, Any]:
    methods = meta.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    secret = settings.oidc_client_secret or None
    method = "none" if secret is None else "client_secret_basic"
    if secret is not None and method not in methods and "client_secret_post" in methods:
        method = "client_secret_post"
    try:
        with OAuth2Client(
            settings.oidc_client_id, secret, method, redirect_uri=redirect_uri, timeout=TIMEOUT
        ) as client:
            token = client.fetch_token(
                meta["token_endpoint"],
                grant_type="authorization_code",
                code=code,
                code_verifier=verifier,
            )
    except httpx2.TransportError as exc:
        raise OidcError(UNREACHABLE, f"token endpoint: {exc!r}") from None
    except (OAuthError, httpx2.HTTPStatusError, ValueError) as exc:  # e.g. invalid_grant
        raise OidcError(REFUSED, f"token endpoint refused the code: {exc!r}") from None
    if not isinstance(token.get("id_token"), str):
        raise OidcError(NOT_VERIFIED, "no id_token in the token response (is 'openid' a scope?)")
    return dict(token)


def _validate(
    meta: Mapping[str, Any], settings: Settings, token: Mapping[str, Any], nonce: str
) -> dict[str, Any]:
    offered = meta.get("id_token_signing_alg_values_supported") or ["RS256"]
    registry = JWSRegistry(
        algorithms=[a for a in offered if a in ALGORITHMS] or ["RS256"], strict_check_header=False
    )
    try:
        try:
            decoded = jwt.decode(token["id_token"], _key_set(meta, False), registry=registry)
        except InvalidKeyIdError:  # the provider may have rotated its keys
            decoded = jwt.decode(token["id_token"], _key_set(meta, True), registry=registry)
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            {
                "iss": {"essential": True, "value": meta["issuer"]},
                "aud": {"essential": True, "value": settings.oidc_client_id},
            },
            {
                "nonce": nonce,
                "client_id": settings.oidc_client_id,
                "access_token": token.get("access_token"),
            },
        )
        claims.validate(leeway=LEEWAY)
    except (JoseError, ValueError) as exc:
        raise OidcError(NOT_VERIFIED, f"ID token refused: {exc!r}") from None
    result = dict(claims)
    if meta.get("userinfo_endpoint") and token.get("access_token"):
        # Some providers (Authelia) put groups and profile claims in userinfo only.
        info = _get_json(
            meta["userinfo_endpoint"], {"authorization": f"Bearer {token['access_token']}"}
        )
        if info.get("sub") != result["sub"]:
            raise OidcError(NOT_VERIFIED, "userinfo is about another subject")
        result = {**info, **result}
    return result


def role_for(settings: Settings, claims: Mapping[str, Any]) -> str | None:
    """The highest role the role claim maps to; None when it maps to none (or is not set)."""
    if not settings.oidc_role_claim:
        return None
    value: Any = claims.get(settings.oidc_role_claim)
    if value is None and "." in settings.oidc_role_claim:  # a path: realm_access.roles
        value = claims
        for part in settings.oidc_role_claim.split("."):
            value = value.get(part) if isinstance(value, dict) else None
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    roles = [settings.oidc_role_map.get(v, v) for v in values if isinstance(v, str)]
    return max((r for r in roles if r in ROLES), key=RANK.__getitem__, default=None)


def _user_for(db: Session, settings: Settings, claims: Mapping[str, Any]) -> User:
    issuer, subject = settings.oidc_issuer, str(claims["sub"])
    user = _find(db, issuer, subject)
    role = role_for(settings, claims)
    if user is None or settings.oidc_role_claim:
        role = role or settings.oidc_default_role
        if role == "none":
            said = claims.get(settings.oidc_role_claim) if settings.oidc_role_claim else None
            raise OidcError(NO_ACCESS, f"no role for {subject!r} ({said!r})")
    if user is None:
        if role != "admin" and users.needs_first_admin(db):  # keep the first-run page
            raise OidcError(FIRST_ADMIN, "no user exists yet")
        user = _create(db, issuer, subject, claims, str(role))
    if user.disabled:
        raise OidcError(DISABLED, f"{user.username} is disabled")
    if role is not None and role != user.role:
        try:
            users.update(db, user, role=role)
        except users.Conflict as exc:
            log.warning("OIDC role %s for %s not applied: %s", role, user.username, exc)
    return user  # sessions.start records the login


def _find(db: Session, issuer: str, subject: str) -> User | None:
    return db.scalar(select(User).where(User.oidc_issuer == issuer, User.oidc_subject == subject))


def _username_base(claims: Mapping[str, Any]) -> str:
    email = claims.get("email")
    local = email.partition("@")[0] if isinstance(email, str) else None
    for raw in (claims.get("preferred_username"), local, claims.get("sub")):
        if isinstance(raw, str):
            name = re.sub(r"[^a-z0-9._@-]+", "-", raw.strip().lower()).strip("._@-")[:56]
            if name:
                return name
    return "user"


def _create(db: Session, issuer: str, subject: str, claims: Mapping[str, Any], role: str) -> User:
    """A new user; a name that is taken (by a local user too) gets a suffix."""
    base = _username_base(claims)
    display = next(
        (v for k in ("name", "preferred_username") if isinstance(v := claims.get(k), str) and v), ""
    )
    candidates = [base, *(f"{base}-{n}" for n in range(2, 10)), f"{base}-{secrets.token_hex(3)}"]
    for name in candidates:
        if users.find(db, name) is not None:
            continue
        try:
            return users.create(db, name, None, role, display, oidc=(issuer, subject))
        except users.Conflict:  # a race: the name, or this very identity, was just taken
            if (user := _find(db, issuer, subject)) is not None:
                return user
    raise OidcError(NOT_VERIFIED, f"no free username for {base!r}")
