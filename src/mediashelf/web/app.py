"""The FastAPI application: `create_app(settings)` builds one.

The gunicorn and uvicorn entry points call `create_app()` with no argument,
which reads the settings from the environment.
"""

from __future__ import annotations

import json
import logging
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mediashelf import __version__
from mediashelf.config import Settings, load_settings
from mediashelf.db.engine import make_engine, session_factory, upgrade
from mediashelf.jobs.queue import Jobs
from mediashelf.web.api import admin, events, health, items, media, previews, stream, thumbnails
from mediashelf.web.api import settings as settings_api

log = logging.getLogger("mediashelf.web")

# The gallery page's own script and style only; images from this origin.
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "style-src 'self'; script-src 'self'; worker-src 'self' blob:; object-src 'none'; "
    "base-uri 'none'; "
    "frame-ancestors 'none'"
)


class SecurityHeaders:
    """Adds nosniff to every response (pure ASGI: no per-request task)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-content-type-options", b"nosniff"),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _validation_error(_request: Request, exc: Exception) -> Response:
    """FastAPI's 422, made safe for any input: its own handler echoes the input back and
    fails with a 500 on a string it cannot encode (a lone surrogate in JSON)."""
    assert isinstance(exc, RequestValidationError)
    body = json.dumps({"detail": jsonable_encoder(exc.errors())}, ensure_ascii=True, default=repr)
    return Response(body, status_code=422, media_type="application/json")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
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
        docs_url="/docs",
        redoc_url=None,
    )
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.jobs = Jobs(settings, engine)  # web requests queue work, never do it
    app.state.live = app.state.jobs.live  # settings in force, with the database's changes
    app.include_router(health.router, prefix="/api/v1")
    app.include_router(items.router, prefix="/api/v1")
    app.include_router(stream.router, prefix="/api/v1")
    app.include_router(thumbnails.router, prefix="/api/v1")
    app.include_router(settings_api.router, prefix="/api/v1")
    app.include_router(admin.router, prefix="/api/v1")
    app.include_router(events.router, prefix="/api/v1")
    app.include_router(previews.router, prefix="/api/v1")
    app.include_router(previews.seed)
    app.include_router(media.router)

    static = resources.files("mediashelf.web") / "static"
    page = (static / "gallery.html").read_text()
    watch = (static / "watch.html").read_text()
    names = ("gallery.js", "gallery.css", "watch.js", "watch.css", "vendor/hls.min.js")
    assets = {name: (static / name).read_bytes() for name in names if (static / name).is_file()}

    @app.get("/", include_in_schema=False)
    def gallery() -> HTMLResponse:
        return HTMLResponse(page, headers={"content-security-policy": PAGE_CSP})

    @app.get("/watch/{item_id}", include_in_schema=False)
    def watch_page(item_id: items.ItemId) -> HTMLResponse:
        """The watch page; it loads the item from the API itself."""
        return HTMLResponse(watch, headers={"content-security-policy": PAGE_CSP})

    @app.get("/static/{name:path}", include_in_schema=False)
    def asset(name: str) -> Response:
        if name not in assets:  # a fixed set: nothing else under static/ is reachable
            raise items.not_found("file")
        media_type = "text/javascript" if name.endswith(".js") else "text/css"
        return Response(assets[name], media_type=media_type, headers={"cache-control": "no-cache"})

    app.add_middleware(thumbnails.ThumbnailFastPath, live=app.state.live)
    app.add_middleware(SecurityHeaders)  # added last: outermost, so it covers the fast path
    return app
