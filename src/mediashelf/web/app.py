"""The FastAPI application: `create_app(settings)` builds one.

The gunicorn and uvicorn entry points call `create_app()` with no argument,
which reads the settings from the environment.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from mediashelf import __version__, logs
from mediashelf.auth.gate import Gate
from mediashelf.config import Settings, load_settings
from mediashelf.db.engine import make_engine, session_factory, upgrade
from mediashelf.jobs.queue import Jobs
from mediashelf.library.tunables import LiveSettings
from mediashelf.library.visibility import Fingerprints
from mediashelf.web.api import (
    admin,
    auth,
    captions,
    crops,
    discover,
    events,
    filters,
    folders,
    health,
    items,
    libraries,
    media,
    oidc,
    people,
    personal,
    photosets,
    previews,
    stream,
    tags,
    thumbnails,
    users,
)
from mediashelf.web.api import settings as settings_api
from mediashelf.web.pages import add_pages, forbidden_page
from mediashelf.web.responses import errors
from mediashelf.web.security import (
    LoginRequired,
    PageForbidden,
    ProxyHeaders,
    SecurityHeaders,
    authorize,
    login_redirect,
)

log = logging.getLogger("mediashelf.web")


async def _validation_error(_request: Request, exc: Exception) -> Response:
    """A bad request: 400 when only the query string or headers are wrong (an unknown
    sort or filter value, a limit out of range), 422 for a body or path that does not
    validate.

    FastAPI's own handler echoes the input back and fails with a 500 on a string it
    cannot encode (a lone surrogate in JSON); this one cannot.
    """
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    in_request_line = all(e.get("loc", ("",))[0] in ("query", "header") for e in errors)
    status = 400 if errors and in_request_line else 422
    body = json.dumps({"detail": jsonable_encoder(errors)}, ensure_ascii=True, default=repr)
    return Response(body, status_code=status, media_type="application/json")


async def _http_error(_request: Request, exc: Exception) -> Response:
    """An HTTPException as JSON, safe for any text in its detail (a lone surrogate from
    the request, quoted back in a message, would make Starlette's own handler fail)."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code in (204, 304):
        return Response(status_code=exc.status_code, headers=exc.headers)
    body = json.dumps({"detail": exc.detail}, ensure_ascii=True, default=repr)
    return Response(body, exc.status_code, exc.headers, media_type="application/json")


async def _unstorable(_request: Request, exc: Exception) -> Response:
    """A value the database refuses (PostgreSQL and a NUL character in text): the
    request's fault, so a 400, not a 500."""
    log.info("refused a value the database cannot store: %s", exc)
    body = {"detail": "a value in the request cannot be stored (a NUL character?)"}
    return Response(json.dumps(body), 400, media_type="application/json")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    logs.guard_secrets()  # in every server process: its access log never shows a key
    for folder in settings.media_dir:
        if folder == Path("media"):  # only the default root; never an unmounted disk's
            folder.mkdir(exist_ok=True)
    settings.cache_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.db_url)
    upgrade(engine)

    app = FastAPI(
        title="Mediashelf",
        version=__version__,
        description="A self-hosted library server for your own photos and videos.",
        openapi_url=None,  # served below, behind the login like everything else
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(authorize)],  # every route: its declared access level
    )
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DataError, _unstorable)
    app.add_exception_handler(LoginRequired, login_redirect)
    app.add_exception_handler(PageForbidden, forbidden_page)
    app.state.settings = settings
    # What the event loop itself reads (who is asking; the settings in force) has its own
    # small pool: taking a connection from the requests' pool on the loop would wait for
    # sessions that only the loop can close, and freeze the worker under load.
    loop_engine = make_engine(settings.db_url, pool_size=2)
    app.state.loop_engine = loop_engine
    app.state.gate = Gate(settings, loop_engine)
    app.state.fingerprints = Fingerprints(loop_engine)  # content filters on files by content
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.live = LiveSettings(loop_engine, settings)  # in force: with the API's changes
    app.state.jobs = Jobs(settings, engine, live=app.state.live)  # requests queue work
    api = "/api/v1"
    app.include_router(health.router, prefix=api, responses=errors())
    app.include_router(auth.router, prefix=api, responses=errors(409, 429))
    app.include_router(users.router, prefix=api, responses=errors(404, 409))
    app.include_router(oidc.router, prefix=api, responses=errors(404))
    app.include_router(items.router, prefix=api, responses=errors(404))
    app.include_router(folders.router, prefix=api, responses=errors(404))
    app.include_router(tags.router, prefix=api, responses=errors(404, 409))
    app.include_router(people.router, prefix=api, responses=errors(404, 409))
    app.include_router(personal.router, prefix=api, responses=errors(404))
    app.include_router(personal.seed, responses=errors(404))
    app.include_router(captions.router, prefix=api, responses=errors(404))
    app.include_router(crops.router, prefix=api, responses=errors(404))
    app.include_router(photosets.router, prefix=api, responses=errors(404, 409))
    app.include_router(discover.router, prefix=api, responses=errors())
    app.include_router(discover.seed_router, responses=errors(404))
    app.include_router(stream.router, prefix=api, responses=errors(404, 416, 503))
    app.include_router(thumbnails.router, prefix=api, responses=errors(404))
    app.include_router(settings_api.router, prefix=api, responses=errors())
    app.include_router(filters.router, prefix=api, responses=errors())
    app.include_router(admin.router, prefix=api, responses=errors(404, 409))
    app.include_router(libraries.router, prefix=api, responses=errors(404, 409))
    app.include_router(events.router, prefix=api, responses=errors())
    app.include_router(previews.router, prefix=api, responses=errors(404))
    app.include_router(previews.seed, responses=errors(404))
    app.include_router(people.seed, responses=errors(404))
    app.include_router(media.router, responses=errors(404))

    add_pages(app)

    # Middleware runs outermost first: the last added is the first to see a request.
    app.add_middleware(
        thumbnails.ThumbnailFastPath,
        live=app.state.live,
        gate=app.state.gate,
        fingerprints=app.state.fingerprints,
    )
    app.add_middleware(ProxyHeaders, trusted=settings.trusted_proxies)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["authorization", "x-api-key", "content-type", "range", "last-event-id"],
            expose_headers=["content-range", "accept-ranges", "content-length", "etag"],
            max_age=600,
        )
    app.add_middleware(SecurityHeaders)  # outermost, so it covers the fast path
    return app
