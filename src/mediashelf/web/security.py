"""Authentication and request hygiene for every route.

Each route declares its access level with `access(...)` (see auth/access.py
for the levels). One app-wide dependency, `authorize`, reads it from the
matched route, identifies the caller and refuses what the level does not
allow; a route that declares nothing is admin-only, so a forgotten
declaration fails closed. The same dependency:

- refuses API keys in the query string (they would end up in logs and
  browser history);
- refuses state-changing requests from another site (the Origin check), and
  state-changing requests made with the session cookie that lack the CSRF
  token (a header, `X-CSRF-Token`, that a cross-site form cannot send).

Two ASGI layers sit in front of the app: `ProxyHeaders` (X-Forwarded-* from
trusted proxies only) and `SecurityHeaders` (nosniff and friends).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl, quote, urlsplit

from fastapi import Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mediashelf.auth import sessions
from mediashelf.auth.access import LEVELS, Principal, allows
from mediashelf.auth.apikeys import PATTERN as KEY_PATTERN
from mediashelf.auth.gate import Gate, KeyRefused, in_networks, networks

SESSION_COOKIE = "mediashelf_session"
CSRF_COOKIE = "mediashelf_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Query parameters that look like someone put a credential in a URL.
KEY_PARAMS = frozenset({"api_key", "apikey", "key", "token", "access_token", "x-api-key"})


def access(level: str, *, page: bool = False) -> dict[str, Any]:
    """`openapi_extra` for a route: who may call it. Pages send anonymous visitors to
    the login page instead of answering 401."""
    assert level in LEVELS, level
    extra: dict[str, Any] = {"x-access": level}
    if page:
        extra["x-page"] = True
    return extra


def route_access(route: Any) -> tuple[str, bool]:
    """(level, is_page) that a route declares; admin when it declares nothing."""
    extra = getattr(route, "openapi_extra", None) or {}
    return extra.get("x-access", "admin"), bool(extra.get("x-page"))


class LoginRequired(Exception):
    """A page asked for by someone not logged in: redirect to the login page."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


class PageForbidden(Exception):
    """A page asked for by someone logged in whose role does not reach it."""

    def __init__(self, level: str) -> None:
        self.level = level


async def login_redirect(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    return RedirectResponse(f"/login?next={quote(exc.next_url, safe='/')}", status_code=303)


def credentials(scope: Scope) -> tuple[str | None, str | None]:
    """(session token, API key) from a request's headers; never from its URL."""
    session = key = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            kind, _, token = value.decode("latin-1").partition(" ")
            if kind.lower() == "bearer" and token.strip():
                key = token.strip()
        elif name == b"x-api-key" and value.strip():
            key = value.decode("latin-1").strip()
        elif name == b"cookie":
            session = cookie_parser(value.decode("latin-1")).get(SESSION_COOKIE) or session
    return session, key


def client_address(scope: Scope) -> str | None:
    client = scope.get("client")
    return client[0] if client else None


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"www-authenticate": 'Bearer realm="mediashelf"'})


def _same_origin(request: Request, origin: str) -> bool:
    host = request.headers.get("host", "")
    return urlsplit(origin).netloc.lower() == host.lower() and bool(host)


def credential_in_url(query: str) -> bool:
    """Whether a query string carries something that looks like a credential."""
    return any(
        name.lower() in KEY_PARAMS or KEY_PATTERN.search(value)
        for name, value in parse_qsl(query, keep_blank_values=True)
    )


async def authorize(request: Request) -> None:
    """The app-wide dependency: identify the caller and apply the route's access level."""
    level, page = route_access(request.scope.get("route"))
    state = request.app.state
    if credential_in_url(request.url.query):
        raise HTTPException(
            400, "API keys go in the Authorization or X-API-Key header, never in a URL"
        )
    unsafe = request.method not in SAFE_METHODS
    origin = request.headers.get("origin")
    cross_site = origin is not None and not _same_origin(request, origin)
    if unsafe and cross_site and origin not in state.settings.cors_origins:
        raise HTTPException(403, "cross-site request refused (Origin does not match)")
    session_token, key = credentials(request.scope)
    gate: Gate = state.gate
    try:
        principal = gate.identify(session_token, key, client_address(request.scope))
    except KeyRefused as exc:
        raise _unauthorized(str(exc)) from None
    request.state.principal = principal
    if principal is None and level != "public":
        if page:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise LoginRequired(target)
        raise _unauthorized("login required: log in, or send an API key")
    if not allows(principal, level):
        if page:
            raise PageForbidden(level)
        raise HTTPException(403, f"this needs the {level!r} permission")
    # Public routes (login, logout, first run) take JSON or nothing; the Origin check
    # above covers them, and a stale session cookie must not block logging in again.
    if unsafe and level != "public" and principal is not None and principal.via == "session":
        assert principal.session_token is not None
        if not sessions.csrf_ok(principal.session_token, request.headers.get(CSRF_HEADER)):
            raise HTTPException(403, "missing or wrong CSRF token (send the X-CSRF-Token header)")


async def get_principal(request: Request) -> Principal | None:
    principal: Principal | None = getattr(request.state, "principal", None)
    return principal


async def need_principal(request: Request) -> Principal:
    principal = await get_principal(request)
    if principal is None:  # only on a public route that needs someone after all
        raise _unauthorized("login required")
    return principal


PrincipalDep = Annotated[Principal, Depends(need_principal)]
MaybePrincipalDep = Annotated[Principal | None, Depends(get_principal)]


class ProxyHeaders:
    """Believes X-Forwarded-For and X-Forwarded-Proto only from TRUSTED_PROXIES.

    The client is the right-most address in X-Forwarded-For that is not itself
    a trusted proxy: addresses left of it were written by the client and may be
    forged.
    """

    def __init__(self, app: ASGIApp, trusted: list[str]) -> None:
        self.app = app
        self.trusted = networks(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and in_networks(
            client_address(scope), self.trusted
        ):
            headers = dict(scope["headers"])
            forwarded = headers.get(b"x-forwarded-for")
            if forwarded:
                hops = [h.strip() for h in forwarded.decode("latin-1").split(",") if h.strip()]
                client = next((h for h in reversed(hops) if not in_networks(h, self.trusted)), None)
                client = client or (hops[0] if hops else None)
                if client:
                    scope = {**scope, "client": (client, 0)}
            proto = headers.get(b"x-forwarded-proto", b"").decode("latin-1").strip().lower()
            if proto in ("http", "https"):
                ws = {"http": "ws", "https": "wss"}[proto]
                scope = {**scope, "scheme": proto if scope["type"] == "http" else ws}
        await self.app(scope, receive, send)


class SecurityHeaders:
    """Adds nosniff and a referrer policy to every response (pure ASGI)."""

    HEADERS = [
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
    ]

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def cookie_secure(request: Request, mode: str) -> bool:
    """Whether a cookie gets the Secure flag under COOKIE_SECURE=`mode`."""
    return mode == "always" or (mode == "auto" and request.url.scheme == "https")


def session_cookies(
    response: Response, request: Request, token: str, days: int, secure_mode: str
) -> None:
    """Set the session cookie (HttpOnly) and the CSRF cookie (readable by the page)."""
    common: dict[str, Any] = {
        "max_age": days * 86_400,
        "path": "/",
        "secure": cookie_secure(request, secure_mode),
        "samesite": "lax",
    }
    response.set_cookie(SESSION_COOKIE, token, httponly=True, **common)
    response.set_cookie(CSRF_COOKIE, sessions.csrf_token(token), httponly=False, **common)


def clear_session_cookies(response: Response) -> None:
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, path="/")
