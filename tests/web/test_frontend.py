"""The Svelte web UI (frontend/, built by Vite into src/mediashelf/web/dist/) as the server
sees it: the typed API client cannot drift from the API, the built pages obey the page CSP,
their hashed assets are served for good and nothing else is, the JS stays within budget,
and a server whose UI is not built says so.

The front end's own checks (svelte-check, vitest) run under `make web-check`."""

from __future__ import annotations

import difflib
import gzip
import importlib.util
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from fastapi.testclient import TestClient

from mediashelf.web.app import create_app
from mediashelf.web.pages import PAGE_CSP, BuiltUI
from tests.conftest import add_key, make_settings

REPO = Path(__file__).resolve().parents[2]
FRONTEND = REPO / "frontend"
DIST = REPO / "src" / "mediashelf" / "web" / "dist"
SCHEMA = FRONTEND / "src" / "lib" / "api" / "schema.d.ts"

needs_node_modules = pytest.mark.skipif(
    not (FRONTEND / "node_modules").is_dir(),
    reason="frontend/node_modules is absent: run `make setup` (needs Node 20.19+ and npm)",
)
pytestmark = needs_node_modules

# Gzipped JavaScript a page may load (its entry and the chunks it preloads), in bytes.
BUDGETS = {"login": 40_000, "dashboard": 80_000, "gallery": 100_000, "watch": 60_000}
# What every built page is, and what it is served from.
PAGES = {"login": "/login", "dashboard": "/admin", "gallery": "/", "watch": "/watch/1"}
# The browse pages (/tags, /performers, /studios, /discover share one) and the photosets.
BUDGETS.update(browse=60_000, photosets=60_000)
PAGES.update(browse="/tags", photosets="/photosets")
# Your account: name, password, API keys.
BUDGETS.update(account=60_000)
PAGES.update(account="/account")


def _openapi_types() -> ModuleType:
    path = REPO / "scripts" / "openapi_types.py"
    spec = importlib.util.spec_from_file_location("openapi_types", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_api_types_match_the_api() -> None:
    """schema.d.ts is what openapi-typescript makes of the app's schema today."""
    fresh = _openapi_types().generate()
    committed = SCHEMA.read_text(encoding="utf-8")
    if fresh != committed:
        diff = difflib.unified_diff(
            committed.splitlines(), fresh.splitlines(), "committed", "generated", lineterm=""
        )
        shown = "\n".join(list(diff)[:60])
        pytest.fail(f"{SCHEMA.relative_to(REPO)} is out of date: run `make schema`\n{shown}")


def test_the_api_types_are_the_same_every_time() -> None:
    tool = _openapi_types()
    assert tool.generate() == tool.generate()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    if not (DIST / "login.html").is_file():
        pytest.fail(f"the web UI is not built ({DIST.relative_to(REPO)}): run `make setup`")
    tmp = tmp_path_factory.mktemp("frontend")
    (tmp / "media").mkdir()
    settings = make_settings(tmp, tmp / "media", f"sqlite:///{tmp / 'mediashelf.db'}")
    app = create_app(settings)
    with TestClient(app) as c:
        c.headers["authorization"] = f"Bearer {add_key(app)}"  # /admin is for admins
        yield c
    app.state.engine.dispose()


def _references(html: str) -> list[str]:
    return re.findall(r'<(?:script|link)\b[^>]*?(?:src|href)="([^"]+)"', html)


@pytest.mark.parametrize("page", sorted(PAGES))
def test_a_built_page_obeys_the_page_csp(client: TestClient, page: str) -> None:
    resp = client.get(PAGES[page])
    assert resp.status_code == 200
    assert resp.headers["content-security-policy"] == PAGE_CSP
    assert resp.headers["cache-control"] == "no-cache"  # its assets' names change instead
    html = resp.text
    assert "Mediashelf" in html
    # script-src 'self' and style-src 'self': no inline script, style element or attribute.
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.S)
    assert scripts and all(body.strip() == "" for body in scripts), scripts
    assert all(re.search(r'\bsrc="/assets/', tag) for tag in re.findall(r"<script\b[^>]*>", html))
    assert "<style" not in html and not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)  # no inline handlers either
    refs = _references(html)
    assert refs and all(ref.startswith("/assets/") for ref in refs), refs


@pytest.mark.parametrize("page", sorted(PAGES))
def test_a_pages_assets_are_served_for_good(client: TestClient, page: str) -> None:
    types = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
    for ref in _references(client.get(PAGES[page]).text):
        resp = client.get(ref)
        assert resp.status_code == 200, ref
        assert resp.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert resp.headers["content-type"].startswith(types[Path(ref).suffix]), ref
        assert resp.headers["x-content-type-options"] == "nosniff"
        assert resp.content == (DIST / ref.lstrip("/")).read_bytes()


@pytest.mark.parametrize("page", sorted(PAGES))
def test_a_pages_javascript_stays_within_its_budget(client: TestClient, page: str) -> None:
    html = client.get(PAGES[page]).text
    scripts = [ref for ref in _references(html) if ref.endswith(".js")]
    size = sum(len(gzip.compress(client.get(ref).content, 9)) for ref in scripts)
    assert 0 < size <= BUDGETS[page], f"{page}: {size} bytes of gzipped JS"


def test_the_watch_page_loads_hls_js_only_on_demand(client: TestClient) -> None:
    """hls.js (over 100 KB gzipped) is a chunk of its own that the watch page imports only
    for a video that needs HLS: it is neither loaded nor preloaded with the page, whose
    own JavaScript stays within BUDGETS["watch"]."""
    scripts = [ref for ref in _references(client.get(PAGES["watch"]).text) if ref.endswith(".js")]
    assert scripts and not [ref for ref in scripts if "hls" in ref], scripts
    chunks = [p.name for p in (DIST / "assets").glob("hls*.js")]
    assert len(chunks) == 1, chunks
    entry = next(ref for ref in scripts if Path(ref).name.startswith("watch-"))
    assert chunks[0] in client.get(entry).text  # the dynamic import() that loads it


@pytest.mark.parametrize(
    "url",
    [
        "/assets/nothing.js",
        "/assets/..%2Flogin.html",
        "/assets/%2E%2E/pages.py",
        "/assets/../login.html",
        "/assets/.built",
        "/assets/",
        "/assets",
        "/dist/login.html",
        "/login.html",
        "/static/login.js",
        "/static/../dist/login.html",
    ],
)
def test_nothing_else_is_served(client: TestClient, url: str) -> None:
    resp = client.get(url)
    assert resp.status_code == 404, (url, resp.status_code)


def test_only_what_was_built_at_start_up_is_served(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "login.html").write_text("<!doctype html><title>Mediashelf</title>")
    (tmp_path / "assets" / "login-abc.js").write_text("export {};")
    (tmp_path / "assets" / "notes.txt").write_text("not a web asset")
    built = BuiltUI(tmp_path)
    (tmp_path / "assets" / "later-def.js").write_text("export {};")
    assert set(built.pages) == {"login"}
    assert set(built.assets) == {"login-abc.js"}


def test_a_server_whose_ui_is_not_built_says_how_to_build_it(tmp_path: Path) -> None:
    resp = BuiltUI(tmp_path / "missing").page("login")
    assert resp.status_code == 503
    assert resp.headers["content-security-policy"] == PAGE_CSP
    text = bytes(resp.body).decode()
    assert "not built" in text and "make setup" in text and "Node" in text
    assert "Traceback" not in text and "<script" not in text
