"""A small, real OpenID Connect provider for tests: a Starlette app served by
uvicorn in a thread on a free 127.0.0.1 port.

It speaks the authorization-code flow with PKCE (S256 only): discovery, JWKS,
authorize (approves at once: 302 back to the redirect URI with code, state and
iss), token (client secret, code verifier, single-use codes; an RS256 ID token)
and userinfo. Knobs: who logs in next (`login_as`), claims only in userinfo,
a refusal (`deny_next`), a tampered next ID token (`tamper_next`, e.g. another
nonce, or `sign_with` a key it does not publish), key rotation (`rotate_key`).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode

import uvicorn
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

CLIENT_ID = "mediashelf"
CLIENT_SECRET = "test-secret-123"
REDIRECT_URI = "http://testserver/api/v1/auth/oidc/callback"


@dataclass
class Grant:
    """What an authorization (and its access token) was for."""

    redirect_uri: str
    nonce: str | None
    challenge: str
    subject: str
    claims: dict[str, Any]
    userinfo: dict[str, Any]


@dataclass
class Provider:
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    redirect_uris: tuple[str, ...] = (REDIRECT_URI,)
    port: int = 0
    keys: list[RSAKey] = field(default_factory=list)
    codes: dict[str, Grant] = field(default_factory=dict)
    tokens: dict[str, Grant] = field(default_factory=dict)
    authorizations: list[dict[str, str]] = field(default_factory=list)  # what /authorize got
    jwks_fetches: int = 0
    token_requests: int = 0

    def __post_init__(self) -> None:
        self.keys = [_new_key()]
        self.reset()

    # --- knobs -------------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the default login (alice) and no tampering."""
        self.login_as("alice-subject", preferred_username="alice", email="alice@example.com")
        self.deny = False
        self.tamper: dict[str, Any] = {}
        self.sign_with: RSAKey | None = None

    def login_as(self, subject: str, userinfo: dict[str, Any] | None = None, **claims: Any) -> None:
        """Who the next logins are: `claims` go into the ID token and userinfo, `userinfo`
        into userinfo only."""
        self.subject, self.claims, self.userinfo = subject, claims, userinfo or {}

    def deny_next(self) -> None:
        """The next authorization is refused (the person clicked "deny")."""
        self.deny = True

    def tamper_next(self, sign_with: RSAKey | None = None, **claims: Any) -> None:
        """The next ID token carries these claims instead (nonce, aud, iss, exp...), or is
        signed with this key (one that the JWKS does not list)."""
        self.tamper, self.sign_with = claims, sign_with

    def rotate_key(self) -> None:
        """A new signing key; the old one stays in the JWKS (as real providers do)."""
        self.keys.insert(0, _new_key())

    # --- serving -----------------------------------------------------------------------------

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @contextmanager
    def running(self) -> Iterator[Provider]:
        sock = socket.socket()
        sock.bind(("127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app(), log_level="warning", lifespan="off")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "provider did not start"
            time.sleep(0.01)
        try:
            yield self
        finally:
            server.should_exit = True
            thread.join(10)
            sock.close()

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/jwks", self.jwks),
                Route("/authorize", self.authorize),
                Route("/token", self.token, methods=["POST"]),
                Route("/userinfo", self.user_info),
            ]
        )

    # --- endpoints ---------------------------------------------------------------------------

    async def discovery(self, _request: Request) -> Response:
        base = self.issuer
        return JSONResponse(
            {
                "issuer": base,
                "authorization_endpoint": f"{base}/authorize",
                "token_endpoint": f"{base}/token",
                "jwks_uri": f"{base}/jwks",
                "userinfo_endpoint": f"{base}/userinfo",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
                "scopes_supported": ["openid", "profile", "email", "groups"],
            }
        )

    async def jwks(self, _request: Request) -> Response:
        self.jwks_fetches += 1
        return JSONResponse({"keys": [key.as_dict(private=False) for key in self.keys]})

    async def authorize(self, request: Request) -> Response:
        q = dict(request.query_params)
        self.authorizations.append(q)
        if q.get("client_id") != self.client_id or q.get("redirect_uri") not in self.redirect_uris:
            return PlainTextResponse("unknown client or redirect_uri", 400)
        if "openid" not in q.get("scope", "").split() or q.get("response_type") != "code":
            return PlainTextResponse("an OpenID code flow only", 400)
        if not q.get("code_challenge") or q.get("code_challenge_method") != "S256":
            return PlainTextResponse("PKCE with S256 is required", 400)
        back = {"state": q.get("state", ""), "iss": self.issuer}
        if self.deny:
            self.deny = False
            back |= {"error": "access_denied", "error_description": "the user said no"}
        else:
            code = secrets.token_urlsafe(24)
            self.codes[code] = Grant(
                q["redirect_uri"], q.get("nonce"), q["code_challenge"], self.subject,
                dict(self.claims), dict(self.userinfo),
            )  # fmt: skip
            back["code"] = code
        return RedirectResponse(f"{q['redirect_uri']}?{urlencode(back)}", 302)

    async def token(self, request: Request) -> Response:
        self.token_requests += 1
        form = dict(parse_qsl((await request.body()).decode()))
        client_id, secret = form.get("client_id"), form.get("client_secret")
        kind, _, value = request.headers.get("authorization", "").partition(" ")
        if kind.lower() == "basic":
            client_id, _, secret = base64.b64decode(value).decode().partition(":")
            client_id, secret = unquote(client_id), unquote(secret)
        if client_id != self.client_id or secret != self.client_secret:
            return JSONResponse({"error": "invalid_client"}, 401)
        if form.get("grant_type") != "authorization_code":
            return JSONResponse({"error": "unsupported_grant_type"}, 400)
        grant = self.codes.pop(form.get("code", ""), None)  # single use
        if grant is None or form.get("redirect_uri") != grant.redirect_uri:
            return JSONResponse({"error": "invalid_grant"}, 400)
        digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant.challenge:
            return JSONResponse({"error": "invalid_grant", "error_description": "PKCE"}, 400)
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": self.client_id, "sub": grant.subject,
                  "iat": now, "exp": now + 300, "auth_time": now, **grant.claims}  # fmt: skip
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        claims |= self.tamper
        key = self.sign_with or self.keys[0]
        self.tamper, self.sign_with = {}, None
        id_token = jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)
        access = secrets.token_urlsafe(24)
        self.tokens[access] = grant
        return JSONResponse(
            {"access_token": access, "token_type": "Bearer", "expires_in": 300,
             "id_token": id_token, "scope": "openid profile email"},
            headers={"cache-control": "no-store"},
        )  # fmt: skip

    async def user_info(self, request: Request) -> Response:
        kind, _, value = request.headers.get("authorization", "").partition(" ")
        grant = self.tokens.get(value) if kind.lower() == "bearer" else None
        if grant is None:
            return JSONResponse({"error": "invalid_token"}, 401)
        return JSONResponse({**grant.claims, **grant.userinfo, "sub": grant.subject})


def _new_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"}, auto_kid=True)
