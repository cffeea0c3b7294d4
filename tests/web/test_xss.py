"""Cross-site scripting: names are text, never markup, and uploaded content never runs.

Files whose names are HTML (`<img src=x onerror=…>`, `</script>` across a folder),
captions that are HTML, and a user whose display name is HTML, shown by the real
pages in headless Chromium: the text shows literally, no element is injected, and the
payloads' side effects (a global set by `onerror`, a request for `/x`) never happen.
The API answers JSON with nosniff, and a file whose content is HTML or SVG is never
served as a page.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest
from sqlalchemy.orm import Session

from mediashelf.auth import users
from mediashelf.media.ffmpeg import ffprobe_binary
from tests import factory
from tests.browser import chromium, needs_chromium, until
from tests.serving import processed_library, served

pytestmark = [
    needs_chromium,
    pytest.mark.skipif(ffprobe_binary() is None, reason="no ffprobe on this machine"),
    pytest.mark.timeout(180),
]

X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "5"]
PASSWORD = "correct horse battery staple"

# Each payload sets window.__xss (or asks for /x) if it ever runs.
IMG = '<img src=x onerror="window.__xss=1">'
IMAGE_NAME = f"{IMG}.jpg"
# `/` cannot be in a file name, so `</script>` spans a folder and a file.
SCRIPT_FOLDER = "q\"'><script src=x>window.__xss=2<"
SCRIPT_FILE = "script>.jpg"
SCRIPT_PATH = f"{SCRIPT_FOLDER}/{SCRIPT_FILE}"
SVG_NAME = "<svg onload=window.__xss=3>.png"
VIDEO_NAME = '<img src=x onerror="window.__xss=4">.mp4'
BROKEN_NAME = "<b onmouseover=window.__xss=5>broken.jpg"  # HTML content: an error tile
DISPLAY_NAME = '<img src=x onerror="window.__xss=6"><script>window.__xss=7</script>'
CAPTION = '<img src=x onerror="window.__xss=8"><script>window.__xss=9</script> & more'

# Files whose content a browser could run, under names that claim media.
SCRIPTABLE = {
    "page.jpg": b"<!doctype html><html><script>window.__xss=10</script></html>",
    "vector.png": (
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="window.__xss=11">'
        b"<script>window.__xss=12</script></svg>"
    ),
    "xhtml.gif": (
        b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml">'
        b"<script>window.__xss=13</script></html>"
    ),
    "bom.webp": b"\xef\xbb\xbf \n\t<svg onload='window.__xss=14'/>",
    "clip.mp4": b"<html><body><script>window.__xss=15</script></body></html>",
    "comment.jpeg": b"<!-- x --><script>window.__xss=16</script>",
}
PAGE_TYPES = ("text/html", "image/svg+xml", "application/xhtml+xml", "text/xml", "application/xml")


@dataclass
class Site:
    base: str
    ids: dict[str, int]  # by path
    items: dict[str, dict[str, Any]] = field(default_factory=dict)


def _files(media: Path) -> None:
    factory.jpeg(media / IMAGE_NAME, seed=1)
    factory.jpeg(media / SCRIPT_FOLDER / SCRIPT_FILE, seed=2)
    factory.png(media / SVG_NAME, color=(10, 200, 10))
    factory.video(media / VIDEO_NAME, 1.0, "160x120", X264)
    (media / BROKEN_NAME).write_bytes(b"<html><body>not an image</body></html>")
    for name, content in SCRIPTABLE.items():
        (media / "scriptable" / name).parent.mkdir(exist_ok=True)
        (media / "scriptable" / name).write_bytes(content)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("xss")
    media = tmp / "media"
    _files(media)
    engine, env = processed_library(tmp)
    with Session(engine) as db:
        users.create(db, "mallory", PASSWORD, "member", DISPLAY_NAME)
    engine.dispose()
    env["AUTH"] = "true"
    with served(env, tmp) as base:
        with httpx.Client(base_url=base) as http:
            login = http.post("/api/v1/auth/login", json=_login())
            assert login.status_code == 200, login.text
            found = http.get("/api/v1/items", params={"limit": 500}).json()["items"]
            items = {i["path"]: i for i in found}
            csrf = {"x-csrf-token": login.json()["csrf_token"]}
            for path in (SCRIPT_PATH, VIDEO_NAME):  # a caption written through the API
                url = f"/api/v1/items/{items[path]['id']}/caption"
                made = http.post(url, json={"text": CAPTION}, headers=csrf)
                assert made.status_code == 201, made.text
                items[path]["caption"] = CAPTION
        assert IMAGE_NAME in items and SCRIPT_PATH in items and VIDEO_NAME in items, items
        yield Site(base, {p: i["id"] for p, i in items.items()}, items)


def _login() -> dict[str, str]:
    return {"username": "mallory", "password": PASSWORD}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


@dataclass
class Watched:
    page: Any
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@pytest.fixture
def tab(site: Site, browser: Any) -> Iterator[Watched]:
    """A logged-in page that records console messages, page errors and requests."""
    context = browser.new_context()
    login = context.request.post(f"{site.base}/api/v1/auth/login", data=_login())
    assert login.status == 200, login.text()
    page = context.new_page()
    watched = Watched(page)
    page.on("console", lambda m: watched.console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: watched.errors.append(str(e)))
    page.on("request", lambda r: watched.requests.append(r.url))
    yield watched
    context.close()


# What any payload would leave behind, had it been parsed as markup.
INJECTED = """() => {
  const found = [];
  for (const el of document.querySelectorAll('img[src="x"], script[src="x"], svg, b, iframe')) {
    found.push(el.outerHTML.slice(0, 120));
  }
  for (const el of document.querySelectorAll('script')) {
    const src = el.getAttribute('src') || '';
    const ours = src.startsWith('/assets/');
    if (!ours || el.textContent) found.push(el.outerHTML.slice(0, 120));
  }
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      if (a.name.startsWith('on')) found.push(`${el.tagName} ${a.name}`);
    }
  }
  return {found, xss: typeof window.__xss === 'undefined' ? null : window.__xss};
}"""


def _assert_clean(w: Watched, site: Site) -> None:
    state = w.page.evaluate(INJECTED)
    assert state == {"found": [], "xss": None}
    assert not [u for u in w.requests if urlsplit(u).path == "/x"], w.requests
    csp = [m for m in w.console if "Content Security Policy" in m]
    assert not csp, csp  # an injected handler would show here, blocked
    assert not w.errors, w.errors


def test_the_detectors_see_an_injection(site: Site, tab: Watched) -> None:
    """The checks below can fail: markup put into a page on purpose is seen by each."""
    page = tab.page
    page.goto(site.base + "/login")
    until(page, "() => !document.getElementById('form').hidden")
    page.evaluate("h => document.body.insertAdjacentHTML('beforeend', h)", IMG)
    until(page, "() => document.querySelector('img[src=\"x\"]').complete")
    page.wait_for_timeout(300)
    state = page.evaluate(INJECTED)
    assert any('src="x"' in f for f in state["found"]) and "IMG onerror" in state["found"]
    assert state["xss"] is None  # the CSP stopped the handler...
    assert any(urlsplit(u).path == "/x" for u in tab.requests)  # ...not the request
    assert any("Content Security Policy" in m for m in tab.console), tab.console
    with pytest.raises(AssertionError):
        _assert_clean(tab, site)


def test_names_in_the_gallery_are_text(site: Site, tab: Watched) -> None:
    page = tab.page
    page.goto(site.base + "/")
    until(page, f"() => document.querySelectorAll('#grid .tile').length >= {len(site.items)}")
    until(page, "() => document.querySelector('#account .user') !== null")
    tiles = page.evaluate(
        """() => [...document.querySelectorAll('#grid .tile')].map(t => ({
              title: t.title, text: t.textContent,
              alts: [...t.querySelectorAll('img')].map(i => i.alt)}))"""
    )
    titles = {t["title"].split(": ")[0]: t for t in tiles}
    for path in (IMAGE_NAME, SCRIPT_PATH, SVG_NAME, VIDEO_NAME, BROKEN_NAME):
        assert path in titles, (path, sorted(titles))
    assert titles[IMAGE_NAME]["alts"] == [IMAGE_NAME]
    assert titles[SCRIPT_PATH]["alts"] == [SCRIPT_FILE]
    assert titles[VIDEO_NAME]["alts"] == [VIDEO_NAME]
    assert BROKEN_NAME in titles[BROKEN_NAME]["text"]  # the error tile writes the name
    account = page.evaluate(
        "() => { const u = document.querySelector('#account .user');"
        " return {text: u.textContent, title: u.title}; }"
    )
    assert account == {"text": DISPLAY_NAME, "title": "mallory (member)"}
    # The captions the tiles show, for the image whose path holds </script> and the video.
    captions = page.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('#grid .tile')].map("
        "t => [t.title, t.querySelector('.caption')?.textContent ?? null]))"
    )
    assert captions[SCRIPT_PATH] == CAPTION and captions[VIDEO_NAME] == CAPTION
    page.mouse.move(5, 5)  # over nothing; then over every tile (onmouseover payloads)
    for tile in page.query_selector_all("#grid .tile")[:20]:
        tile.hover()
    time.sleep(0.5)
    _assert_clean(tab, site)
    # The image opens in the viewer, its hostile name shown as text there too; then closed.
    page.evaluate(
        "p => [...document.querySelectorAll('#grid .tile')].find(t => t.title === p).click()",
        SCRIPT_PATH,
    )
    page.wait_for_selector("[role=dialog]")
    label = page.get_attribute("[role=dialog]", "aria-label") or ""
    assert SCRIPT_FILE in label, label
    time.sleep(0.5)
    _assert_clean(tab, site)
    page.keyboard.press("Escape")
    until(page, "() => !document.querySelector('[role=dialog]')")
    until(page, f"() => document.querySelectorAll('#grid .tile').length >= {len(site.items)}")
    _assert_clean(tab, site)


def test_the_gallery_filter_from_the_url_is_text(site: Site, tab: Watched) -> None:
    """`?kind=` goes into an API URL, and its error into the message box."""
    page = tab.page
    page.goto(site.base + "/?kind=" + quote('<img src=x onerror="window.__xss=20">'))
    until(page, "() => !document.getElementById('message').hidden")
    assert "<img" not in (page.inner_html("#message") or "")
    _assert_clean(tab, site)


def test_the_watch_page_shows_the_name_as_text(site: Site, tab: Watched) -> None:
    page = tab.page
    page.goto(f"{site.base}/watch/{site.ids[VIDEO_NAME]}")
    until(page, "() => document.getElementById('title').textContent !== ''")
    until(page, "() => document.getElementById('video').readyState >= 1")
    assert page.text_content("#title") == VIDEO_NAME
    assert page.text_content("#caption") == CAPTION
    assert page.title() == f"{VIDEO_NAME} · Mediashelf"
    until(page, "() => document.querySelector('#account .user') !== null")
    assert page.text_content("#account .user") == DISPLAY_NAME
    _assert_clean(tab, site)


def test_the_watch_page_of_html_content_says_so_as_text(site: Site, tab: Watched) -> None:
    page = tab.page
    page.goto(f"{site.base}/watch/{site.ids['scriptable/clip.mp4']}")
    until(page, "() => !document.getElementById('message').hidden")
    assert "text/html" in (page.text_content("#message") or "")
    assert page.evaluate("() => document.getElementById('video').src") == ""
    _assert_clean(tab, site)


def test_the_login_page_shows_its_error_as_text(site: Site, browser: Any) -> None:
    context = browser.new_context()
    page = context.new_page()
    watched = Watched(page)
    page.on("request", lambda r: watched.requests.append(r.url))
    page.on("console", lambda m: watched.console.append(f"{m.type}: {m.text}"))
    payload = '<img src=x onerror="window.__xss=30">'
    page.goto(f"{site.base}/login?error={quote(payload)}")
    until(page, "() => !document.getElementById('error').hidden")
    assert page.text_content("#error") == payload
    _assert_clean(watched, site)
    context.close()


@pytest.mark.parametrize(
    "next_url",
    [
        "//example.invalid/",
        "/\\example.invalid/",
        "/\t/example.invalid/",
        "/\n/example.invalid/",
        "/\\\t/example.invalid/",
        "https://example.invalid/",
        "javascript:window.__xss=40",
    ],
    ids=["scheme-relative", "backslash", "tab", "newline", "backslash-tab", "absolute", "js"],
)
def test_the_login_page_never_leaves_the_site(site: Site, browser: Any, next_url: str) -> None:
    """After logging in, the page goes to `next` only if it is a path on this site."""
    context = browser.new_context()
    page = context.new_page()
    elsewhere: list[str] = []

    def guard(route: Any) -> None:
        if urlsplit(route.request.url).netloc != urlsplit(site.base).netloc:
            elsewhere.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", guard)
    page.goto(f"{site.base}/login?next={quote(next_url, safe='')}")
    until(page, "() => !document.getElementById('form').hidden")
    page.fill("input[name=username]", "mallory")
    page.fill("input[name=password]", PASSWORD)
    page.click("#submit")
    deadline = time.monotonic() + 15
    while not elsewhere and urlsplit(page.url).path == "/login":
        assert time.monotonic() < deadline, "the login did not go anywhere"
        page.wait_for_timeout(100)
    page.wait_for_timeout(300)
    assert elsewhere == [], f"next={next_url!r} sent the browser to {elsewhere}"
    assert urlsplit(page.url).netloc == urlsplit(site.base).netloc, page.url
    assert page.evaluate("() => typeof window.__xss") == "undefined"
    context.close()


# -- what the server sends --------------------------------------------------------


@pytest.fixture(scope="module")
def http(site: Site) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.base) as client:
        assert client.post("/api/v1/auth/login", json=_login()).status_code == 200
        yield client


def test_json_answers_are_json_and_nosniff(site: Site, http: httpx.Client) -> None:
    item = site.items[IMAGE_NAME]
    urls = [
        "/api/v1/items",
        "/api/v1/items?kind=image",
        f"/api/v1/items/{item['id']}",
        "/api/v1/items/count",
        "/api/v1/auth/me",
        "/api/v1/auth/setup",
        "/api/v1/health",
        "/api/v1/apikeys",
        "/openapi.json",
        "/api/v1/items/999999",  # 404
        "/api/v1/items?sort=" + quote("<script>"),  # 400
        "/api/v1/items?cursor=" + quote("<script>"),  # 400
        "/api/v1/items/" + quote("<script>"),  # 422
        "/api/v1/users",  # 403 for a member
        f"/api/v1/items/{site.ids['scriptable/clip.mp4']}/stream",  # 409
    ]
    for url in urls:
        resp = http.get(url)
        assert resp.headers["content-type"] == "application/json", (url, resp.headers)
        assert resp.headers["x-content-type-options"] == "nosniff", url
        resp.json()
    anonymous = httpx.get(site.base + "/api/v1/items")  # 401
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/json"
    assert anonymous.headers["x-content-type-options"] == "nosniff"
    # The names travel as JSON strings; the page, not the server, makes them text.
    listing = http.get("/api/v1/items", params={"limit": 500}).json()["items"]
    assert IMAGE_NAME in {i["name"] for i in listing}


def test_pages_carry_the_csp_and_nosniff(site: Site, http: httpx.Client) -> None:
    for url in ("/", f"/watch/{site.ids[VIDEO_NAME]}", "/login"):
        resp = http.get(url)
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/html")
        csp = resp.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "object-src 'none'" in csp, csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert resp.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("name", sorted(SCRIPTABLE))
def test_scriptable_content_is_never_served_as_a_page(
    site: Site, http: httpx.Client, name: str
) -> None:
    path = f"scriptable/{name}"
    item = site.items[path]
    assert item["error"], item  # the scan saw through the name
    for url in (item["original"], "/media/" + quote(path)):
        for method, headers in (
            ("GET", {}),
            ("HEAD", {}),
            ("GET", {"range": "bytes=0-20"}),
            ("GET", {"accept": "text/html"}),
        ):
            resp = http.request(method, url, headers=headers)
            assert resp.status_code in (200, 206), (url, method, resp.status_code)
            media_type = resp.headers["content-type"].split(";")[0].strip().lower()
            assert media_type not in PAGE_TYPES, (url, method, media_type)
            assert media_type == "application/octet-stream"
            assert resp.headers["content-disposition"].startswith("attachment")
            assert resp.headers["x-content-type-options"] == "nosniff"
            # Even if it were rendered, no script: the file is sandboxed.
            assert "sandbox" in resp.headers.get("content-security-policy", ""), resp.headers
    if name.endswith(".mp4"):  # a "video" that is HTML is not streamed at all
        assert http.get(f"/api/v1/items/{item['id']}/stream").status_code == 409
        assert http.get(f"/api/v1/items/{item['id']}/hls/index.m3u8").status_code == 409


def test_scriptable_content_downloads_in_the_browser(site: Site, tab: Watched) -> None:
    """Opened in a tab, the original of an HTML or SVG file is a download, not a page."""
    page = tab.page
    page.goto(site.base + "/login")  # any page of the site to start from
    for name in sorted(SCRIPTABLE):
        url = site.base + site.items[f"scriptable/{name}"]["original"]
        with page.expect_download() as download:
            page.evaluate("url => { location.href = url; }", url)
        assert download.value.suggested_filename  # it was saved, not shown
        time.sleep(0.2)
        assert page.evaluate("() => typeof window.__xss") == "undefined"
