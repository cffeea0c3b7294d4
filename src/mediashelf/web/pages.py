"""The pages a browser opens, and the static files they load.

`add_pages(app)` adds them; everything else a page needs comes from the JSON API.

The pages are built by Vite from frontend/ into `dist/` (docs/frontend.md):
`dist/<page>.html` behind each page's route, and hashed, immutable files under
`dist/assets/`, served at `/assets/{name}`. They are read once, at start-up: nothing else
on disk is reachable through them.
"""

from __future__ import annotations

import html
import logging
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Annotated

from fastapi import FastAPI, Path, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response

from mediashelf.web.api import items
from mediashelf.web.security import PageForbidden, access

log = logging.getLogger("mediashelf.web")

# The pages' own scripts and styles only; images from this origin.
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "style-src 'self'; script-src 'self'; worker-src 'self' blob:; object-src 'none'; "
    "base-uri 'none'; "
    "frame-ancestors 'none'"
)
PAGE_HEADERS = {"content-security-policy": PAGE_CSP, "cache-control": "no-cache"}
# The gallery's first request in the plain library view (frontend/src/pages/gallery:
# FIRST_PAGE items, no filter), preloaded as the page's script would fetch it
# (tests/web/test_gallery_page.py checks that the page uses it, not a second request).
FIRST_ITEMS = "</api/v1/items?limit=100>; rel=preload; as=fetch; crossorigin=anonymous"

# Vite names each built asset by its content's hash: a name never changes its bytes.
IMMUTABLE = {"cache-control": "public, max-age=31536000, immutable"}
ASSET_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".webp": "image/webp",
    ".woff2": "font/woff2",
}

NOT_BUILT = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mediashelf: the web UI is not built</title>
</head>
<body>
<h1>Mediashelf</h1>
<p>The web UI is not built: the page <code>{page}</code> is missing from
<code>src/mediashelf/web/dist/</code>.</p>
<p>Run <code>make setup</code> (or <code>make run</code>) in the Mediashelf folder to build it.
It needs Node.js 20.19+ (or 22.12+) with npm. The JSON API works without it.</p>
</body>
</html>
"""


FORBIDDEN = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Not for your account · Mediashelf</title></head>
<body><h1>This page is not for your account</h1>
<p>It needs the {level} permission, which your account does not have. Ask an administrator
if you need it.</p>
<p><a href="/">Back to the library</a></p>
</body></html>
"""


async def forbidden_page(_request: Request, exc: Exception) -> Response:
    """A page the signed-in caller may not open: a page that says so (403), not JSON."""
    assert isinstance(exc, PageForbidden)
    body = FORBIDDEN.replace("{level}", html.escape(repr(exc.level)))
    return HTMLResponse(body, status_code=403, headers=PAGE_HEADERS)


class BuiltUI:
    """What Vite built into dist/, read once: the pages (name -> HTML) and the assets
    (file name -> bytes and media type), so that only these are ever served."""

    def __init__(self, dist: Traversable) -> None:
        self.pages: dict[str, str] = {}
        self.assets: dict[str, tuple[bytes, str]] = {}
        if not dist.is_dir():
            return
        for entry in dist.iterdir():
            if entry.is_file() and entry.name.endswith(".html"):
                self.pages[entry.name.removesuffix(".html")] = entry.read_text(encoding="utf-8")
        folder = dist / "assets"
        if folder.is_dir():
            for entry in folder.iterdir():
                kind = ASSET_TYPES.get("." + entry.name.rpartition(".")[2])
                if kind and entry.is_file():
                    self.assets[entry.name] = (entry.read_bytes(), kind)

    def page(self, name: str) -> HTMLResponse:
        """The built page, or one that says how to build it (503: never a traceback)."""
        text = self.pages.get(name)
        if text is None:
            body = NOT_BUILT.replace("{page}", html.escape(f"{name}.html"))
            return HTMLResponse(body, status_code=503, headers=PAGE_HEADERS)
        return HTMLResponse(text, headers=PAGE_HEADERS)


def add_pages(app: FastAPI) -> None:
    built = BuiltUI(resources.files("mediashelf.web") / "dist")
    if "login" not in built.pages:
        log.warning(
            "the web UI is not built (src/mediashelf/web/dist): run `make setup` (Node 20.19+)"
        )

    @app.get("/", include_in_schema=False, openapi_extra=access("read", page=True))
    def gallery(request: Request) -> HTMLResponse:
        """The gallery: the library, or the view its query string describes. For the
        plain library view the browser is told to fetch the first page of items at once,
        while the page's script loads (the script asks for that very URL)."""
        page = built.page("gallery")
        if not request.url.query and page.status_code == 200:
            page.headers["link"] = FIRST_ITEMS
        return page

    @app.get("/watch/{item_id}", include_in_schema=False, openapi_extra=access("read", page=True))
    def watch_page(item_id: items.ItemId) -> HTMLResponse:
        """The watch page; it loads the item from the API itself."""
        return built.page("watch")

    def browse_page() -> HTMLResponse:
        """Tags, performers, studios (each with counts and covers) and discovery: one page
        that reads which from its URL."""
        return built.page("browse")

    for path in ("/tags", "/performers", "/studios", "/discover"):
        app.get(path, include_in_schema=False, openapi_extra=access("read", page=True))(browse_page)

    @app.get("/photosets", include_in_schema=False, openapi_extra=access("read", page=True))
    def photosets_page() -> HTMLResponse:
        """The photosets: a grid of covers, and one set with its ordered items."""
        return built.page("photosets")

    @app.get(
        "/photosets/{photoset_id}",
        include_in_schema=False,
        openapi_extra=access("read", page=True),
    )
    def photoset_page(photoset_id: Annotated[int, Path(ge=1, le=2**63 - 1)]) -> HTMLResponse:
        return built.page("photosets")

    @app.get("/admin", include_in_schema=False, openapi_extra=access("admin", page=True))
    def dashboard_page() -> HTMLResponse:
        """The admin dashboard: libraries, jobs, settings, filters, users and keys."""
        return built.page("dashboard")

    @app.get("/account", include_in_schema=False, openapi_extra=access("account", page=True))
    def account_page() -> HTMLResponse:
        """Your account: display name, password, your API keys, logging out everywhere."""
        return built.page("account")

    @app.get("/login", include_in_schema=False, openapi_extra=access("public"))
    def login_page() -> HTMLResponse:
        """The login page; while no user exists, the first-run page that makes the admin."""
        return built.page("login")

    @app.get("/openapi.json", include_in_schema=False, openapi_extra=access("read"))
    def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False, openapi_extra=access("read", page=True))
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="Mediashelf API")

    @app.get("/assets/{name}", include_in_schema=False, openapi_extra=access("public"))
    def built_asset(name: str) -> Response:
        """A file of the built web UI: its name has its content's hash, so it is cached
        for good. Only the files dist/assets/ held at start-up."""
        found = built.assets.get(name)
        if found is None:
            raise items.not_found("file")
        return Response(found[0], media_type=found[1], headers=IMMUTABLE)
