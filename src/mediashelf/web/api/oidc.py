"""/api/v1/auth/oidc: single sign-on through an OpenID Connect provider.

GET /login?next=/path sends the browser to the provider; the provider sends it
back to GET /callback, which logs the user in (session cookies, 303 to `next`)
or sends them to the login page with a message (303 to /login?error=...).
The protocol is in auth/oidc.py; this module is the HTTP around it.

The state is bound to the browser that started the login by a short-lived
HttpOnly cookie, so a callback link that reaches another browser fails.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from mediashelf.auth import oidc, sessions
from mediashelf.config import Settings
from mediashelf.web.deps import DbDep, SettingsDep
from mediashelf.web.security import access, cookie_secure, session_cookies

log = logging.getLogger("mediashelf.web.oidc")

router = APIRouter(prefix="/auth/oidc", tags=["auth"])

STATE_COOKIE = "mediashelf_oidc_state"
COOKIE_PATH = "/api/v1/auth/oidc"  # sent to these routes only
CALLBACK_PATH = f"{COOKIE_PATH}/callback"
FAILED = "Single sign-on failed. Please try again; the server log says why."


def _configured(settings: Settings) -> None:
    if not settings.oidc_enabled:
        raise HTTPException(404, "single sign-on is not configured (OIDC_ISSUER, OIDC_CLIENT_ID)")


def _redirect_uri(request: Request, settings: Settings) -> str:
    """Where the provider sends the browser back: PUBLIC_URL's, else this request's."""
    if settings.public_url:
        return settings.public_url + CALLBACK_PATH
    return str(request.url_for("oidc_callback"))


def _to_login_page(message: str) -> Response:
    response = RedirectResponse(f"/login?error={quote(message, safe='')}", status_code=303)
    response.delete_cookie(STATE_COOKIE, path=COOKIE_PATH)
    return response


@router.get("/login", openapi_extra=access("public"))
def login(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    next_url: str = Query("/", alias="next"),
) -> Response:
    """Log in through the single sign-on provider; `next` is the page to go to afterwards."""
    _configured(settings)
    try:
        url, state = oidc.begin(
            db, settings, _redirect_uri(request, settings), oidc.safe_next(next_url)
        )
    except oidc.OidcError as exc:
        log.warning("OIDC login could not start: %s", exc.detail)
        return _to_login_page(str(exc))
    except Exception:  # e.g. a discovery document with odd values
        log.exception("OIDC login could not start")
        return _to_login_page(FAILED)
    response = RedirectResponse(url, status_code=302)
    response.set_cookie(
        STATE_COOKIE,
        state,
        max_age=int(oidc.LOGIN_TTL.total_seconds()),
        path=COOKIE_PATH,
        secure=cookie_secure(request, settings.cookie_secure),
        httponly=True,
        samesite="lax",  # sent on the provider's top-level redirect back
    )
    return response


@router.get("/callback", name="oidc_callback", openapi_extra=access("public"))
def callback(request: Request, db: DbDep, settings: SettingsDep) -> Response:
    """Where the provider sends the browser back after the login."""
    _configured(settings)
    try:
        user, next_url = oidc.finish(
            db,
            settings,
            _redirect_uri(request, settings),
            dict(request.query_params),
            request.cookies.get(STATE_COOKIE),
        )
        ip = request.client.host if request.client else None
        agent = request.headers.get("user-agent")
        token = sessions.start(db, user, settings.session_days, ip, agent)
    except oidc.OidcError as exc:
        log.warning("OIDC login refused: %s", exc.detail)
        return _to_login_page(str(exc))
    except Exception:  # never a 500 or a traceback in the browser
        log.exception("OIDC login failed")
        return _to_login_page(FAILED)
    log.info("OIDC login: %s", user.username)
    response = RedirectResponse(next_url, status_code=303)
    session_cookies(response, request, token, settings.session_days, settings.cookie_secure)
    response.delete_cookie(STATE_COOKIE, path=COOKIE_PATH)
    return response
