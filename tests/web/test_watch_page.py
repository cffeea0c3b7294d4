"""The watch page in a real browser (Debian's Chromium via Playwright), against a real
`mediashelf serve`: the MP4 plays directly, an HEVC MKV through HLS (hls.js, loaded only
then); both seek, and no media error fires; the seek bar shows sprite thumbnails from the
WebVTT; views are recorded and a reload resumes where the video was left; keyboard
shortcuts; rating, favourite and tags persist; related videos; a viewer sees no edit
controls; a bad id says so; and not one Content-Security-Policy violation on the way. The
gallery opens videos on the watch page.

The page is the Svelte one (frontend/src/pages/watch), built by `make setup`."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mediashelf.media.ffmpeg import ffprobe_binary
from tests import factory
from tests.browser import RECORD_VIOLATIONS, chromium, needs_chromium, until
from tests.serving import processed_library, served

HLSJS = Path(__file__).parents[2] / "frontend/node_modules/hls.js/package.json"

pytestmark = [
    needs_chromium,
    pytest.mark.skipif(ffprobe_binary() is None, reason="no ffprobe on this machine"),
    pytest.mark.timeout(180),
]

X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "20"]
HEVC = ["-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error"]
PASSWORD = "a long test password"

# Records the CSP violations a page reports, in the page itself (as test_login_page.py).


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("watch")
    media = tmp / "media"
    factory.video(media / "direct.mp4", 30.0, "320x240", X264)
    factory.video(media / "phone.mkv", 20.0, "320x240", HEVC)
    factory.video(media / "other.mp4", 6.0, "320x240", X264)
    engine, env = processed_library(tmp)
    engine.dispose()
    with served(env, tmp) as base:
        items = httpx.get(f"{base}/api/v1/items").json()["items"]
        ids = {i["name"]: i["id"] for i in items}
        # direct.mp4 and other.mp4 share a performer: each is the other's related video.
        links = {"performers": ["Ann Example"], "items": [ids["direct.mp4"], ids["other.mp4"]]}
        httpx.post(f"{base}/api/v1/performers/attach", json=links).raise_for_status()
        yield {"base": base, "ids": ids, "env": env, "tmp": tmp}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


class Watcher:
    """A page of the browser that records what must not happen: page errors, CSP
    violations (the event and the console's word), and which scripts it loaded."""

    def __init__(self, browser: Any, width: int = 1100, height: int = 800, **options: Any):
        self.context = browser.new_context(viewport={"width": width, "height": height}, **options)
        self.page = self.context.new_page()
        self.page.add_init_script(RECORD_VIOLATIONS)
        self.errors: list[str] = []
        self.csp: list[str] = []
        self.scripts: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on(
            "console",
            lambda m: self.csp.append(m.text) if "Content Security Policy" in m.text else None,
        )
        self.page.on(
            "request",
            lambda r: self.scripts.append(r.url) if r.resource_type == "script" else None,
        )

    def violations(self) -> list[str]:
        return list(self.page.evaluate("() => window.__csp || []")) + self.csp

    def close(self) -> None:
        """Closes the page; fails on any page error or CSP violation it saw."""
        violations = self.violations()
        self.context.close()
        assert self.errors == [], self.errors
        assert violations == [], violations


def _views(site: dict[str, Any], name: str) -> dict[str, Any]:
    item = httpx.get(f"{site['base']}/api/v1/items/{site['ids'][name]}").json()
    return dict(item["views"])


def _set_position(site: dict[str, Any], name: str, position: float) -> None:
    url = f"{site['base']}/api/v1/items/{site['ids'][name]}/views"
    httpx.post(url, json={"position": position, "count": False}).raise_for_status()


def _eventually(check: Any, page: Any = None, timeout: float = 15) -> Any:
    """Poll check() (a server-side look) until it returns something true: that. Given a
    page, the waits are the page's, so that Playwright handles its events meanwhile."""
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, "timed out"
        if page is None:
            time.sleep(0.1)
        else:
            page.wait_for_timeout(100)
    return found


def _ready(page: Any) -> None:
    until(page, "() => document.getElementById('video')?.readyState >= 1")


def _watch(browser: Any, url: str, seek_to: float) -> dict[str, Any]:
    watcher = Watcher(browser)
    page = watcher.page
    page.goto(url)
    _ready(page)
    page.evaluate("v => { v.muted = true; return v.play(); }", page.query_selector("#video"))
    until(page, "() => document.getElementById('video').currentTime > 0.5")
    page.evaluate(f"() => {{ document.getElementById('video').currentTime = {seek_to}; }}")
    until(page, f"() => document.getElementById('video').currentTime > {seek_to + 0.5}")
    state = page.evaluate(
        """() => { const v = document.getElementById('video');
             const m = document.getElementById('message');
             return {mode: v.dataset.mode, error: v.error && v.error.code, t: v.currentTime,
                     message: m && !m.hidden ? m.textContent : null}; }"""
    )
    state["page_errors"] = watcher.errors
    state["watcher"] = watcher
    return state


def _sprite_cue(site: dict[str, Any], name: str, t: float) -> dict[str, Any]:
    """The sprite cue at t seconds, read from the item's WebVTT here (not by the page)."""
    item = httpx.get(f"{site['base']}/api/v1/items/{site['ids'][name]}").json()
    vtt = httpx.get(site["base"] + item["previews"]["sprites"]).text
    stamp = r"(\d+):(\d+):(\d+\.\d+)"
    for m in re.finditer(stamp + r" --> " + stamp + r"\n(\S+)#xywh=(\d+),(\d+),(\d+),(\d+)", vtt):
        g = m.groups()
        start = int(g[0]) * 3600 + int(g[1]) * 60 + float(g[2])
        end = int(g[3]) * 3600 + int(g[4]) * 60 + float(g[5])
        if start <= t < end:
            x, y, w, h = (int(v) for v in g[7:])
            return {"sheet": g[6], "x": x, "y": y, "w": w, "h": h}
    raise AssertionError(f"no cue at {t} in {vtt}")


def test_an_mp4_plays_directly_and_seeks(site: dict[str, Any], browser: Any) -> None:
    state = _watch(browser, f"{site['base']}/watch/{site['ids']['direct.mp4']}", 20.0)
    watcher = state.pop("watcher")
    page = watcher.page
    assert state["mode"] == "direct"
    assert (state["error"], state["message"], state["page_errors"]) == (None, None, [])
    assert state["t"] > 20.5

    # The seek bar shows the sprite tile under the pointer.
    box = page.query_selector("#scrub").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tip = page.evaluate(
        """() => ({hidden: document.getElementById('tip').hidden,
                   image: document.getElementById('tip-img').style.backgroundImage,
                   time: document.getElementById('tip-time').textContent})"""
    )
    assert tip["hidden"] is False and "sheet001.jpg" in tip["image"]
    assert tip["time"] == "00:15"
    # hls.js is loaded only for a video that needs it.
    assert not [url for url in watcher.scripts if "hls" in url], watcher.scripts
    watcher.close()


@pytest.mark.skipif(not HLSJS.exists(), reason="hls.js not installed (make setup needs npm)")
def test_an_hevc_mkv_plays_through_hls_and_seeks(site: dict[str, Any], browser: Any) -> None:
    state = _watch(browser, f"{site['base']}/watch/{site['ids']['phone.mkv']}", 12.0)
    watcher = state.pop("watcher")
    assert state["mode"] == "hls.js"
    assert (state["error"], state["message"], state["page_errors"]) == (None, None, [])
    assert state["t"] > 12.5
    assert [url for url in watcher.scripts if "/assets/hls" in url], watcher.scripts
    watcher.close()


def test_the_gallery_opens_a_video_on_its_watch_page(site: dict[str, Any], browser: Any) -> None:
    page = browser.new_page()
    page.goto(site["base"] + "/?kind=video")
    page.wait_for_selector(".tile.video img")
    page.click(".tile.video >> nth=0")
    page.wait_for_url("**/watch/*")
    assert page.url.rsplit("/", 1)[1] in {str(i) for i in site["ids"].values()}
    page.close()


def test_the_watch_page_plays_seeks_with_a_sprite_preview_and_resumes(
    site: dict[str, Any], browser: Any
) -> None:
    _set_position(site, "direct.mp4", 0)  # whatever the tests before left
    before = _views(site, "direct.mp4")["count"]
    watcher = Watcher(browser)
    page = watcher.page
    page.goto(f"{site['base']}/watch/{site['ids']['direct.mp4']}")
    _ready(page)
    page.evaluate("() => { document.getElementById('video').muted = true; }")
    page.click("#play")
    until(page, "() => document.getElementById('video').currentTime > 0.5")
    # The play counted one view, once.
    _eventually(lambda: _views(site, "direct.mp4")["count"] == before + 1, page)

    # Hovering the seek bar shows the sprite tile of that moment, cut from its sheet as
    # the WebVTT says.
    box = page.query_selector("#scrub").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.6, y)
    cue = _sprite_cue(site, "direct.mp4", 18.0)
    tip = page.evaluate(
        """() => { const img = document.getElementById('tip-img');
                   return {hidden: document.getElementById('tip').hidden, imgHidden: img.hidden,
                           image: img.style.backgroundImage, position: img.style.backgroundPosition,
                           width: img.style.width, height: img.style.height,
                           time: document.getElementById('tip-time').textContent}; }"""
    )
    assert tip["hidden"] is False and tip["imgHidden"] is False
    assert tip["image"].endswith(f'/sprites/{cue["sheet"]}")'), tip
    assert tip["position"] == f"{-cue['x']}px {-cue['y']}px"
    assert (tip["width"], tip["height"]) == (f"{cue['w']}px", f"{cue['h']}px")
    assert tip["time"] == "00:18"
    # The sheet loads: a real image of the tile's sheet.
    assert httpx.get(tip["image"][5:-2]).headers["content-type"] == "image/jpeg"

    # A click there seeks; a pause reports the position.
    page.mouse.click(box["x"] + box["width"] * 0.7, y)
    until(page, "() => document.getElementById('video').currentTime > 21")
    page.click("#play")
    until(page, "() => document.getElementById('video').paused")
    left_at = page.evaluate("() => document.getElementById('video').currentTime")
    _eventually(lambda: abs((_views(site, "direct.mp4")["position"] or 0) - left_at) < 1, page)

    # A reload resumes there (and counts nothing until it plays).
    page.reload()
    _ready(page)
    until(page, f"() => Math.abs(document.getElementById('video').currentTime - {left_at}) < 1")
    until(page, "() => document.querySelector('.resumed') !== null")
    assert "Resumed from 00:2" in page.text_content(".resumed")
    assert _views(site, "direct.mp4")["count"] == before + 1
    page.click("#start-over")
    until(page, "() => document.getElementById('video').currentTime < 0.5")
    watcher.close()


def test_a_busy_database_has_the_view_sent_again_quietly(
    site: dict[str, Any], browser: Any
) -> None:
    """The server answers a view 503 with Retry-After while its database is busy: the page
    sends it again later, still counted, and shows nothing."""
    _set_position(site, "other.mp4", 0)
    before = _views(site, "other.mp4")["count"]
    watcher = Watcher(browser)
    page = watcher.page
    sent: list[dict[str, Any]] = []

    def busy_once(route: Any) -> None:
        sent.append(route.request.post_data_json)
        if len(sent) == 1:
            body = '{"detail": "the database is busy or unavailable"}'
            route.fulfill(status=503, headers={"retry-after": "1"}, body=body)
        else:
            route.continue_()

    page.route("**/api/v1/items/*/views", busy_once)
    page.goto(f"{site['base']}/watch/{site['ids']['other.mp4']}")
    _ready(page)
    page.evaluate("() => { document.getElementById('video').muted = true; }")
    page.click("#play")
    # (The page waits, not time.sleep: Playwright runs the route handler meanwhile.)
    _eventually(lambda: _views(site, "other.mp4")["count"] == before + 1, page)
    assert sent[0]["count"] is True and sent[1]["count"] is True
    assert page.query_selector("#message, #edit-problem") is None
    watcher.close()


def test_keyboard_shortcuts(site: dict[str, Any], browser: Any) -> None:
    _set_position(site, "direct.mp4", 0)
    watcher = Watcher(browser)
    page = watcher.page
    page.goto(f"{site['base']}/watch/{site['ids']['direct.mp4']}")
    _ready(page)
    video = "document.getElementById('video')"

    def now() -> float:
        return float(page.evaluate(f"() => {video}.currentTime"))

    page.click("#title")  # the focus on the page, not in a control
    page.keyboard.press("m")
    assert page.evaluate(f"() => {video}.muted") is True
    page.keyboard.press("k")
    until(page, f"() => !{video}.paused && {video}.currentTime > 0.3")
    page.keyboard.press("Space")
    until(page, f"() => {video}.paused")

    page.evaluate(f"() => {{ {video}.currentTime = 10; }}")
    page.keyboard.press("ArrowRight")
    assert now() == pytest.approx(15, abs=0.01)
    page.keyboard.press("ArrowLeft")
    assert now() == pytest.approx(10, abs=0.01)
    page.keyboard.press("j")
    assert now() == pytest.approx(0, abs=0.01)
    page.keyboard.press("l")
    assert now() == pytest.approx(10, abs=0.01)
    page.keyboard.press("5")
    assert now() == pytest.approx(15, abs=0.5)  # half of about 30 s
    page.keyboard.press("0")
    assert now() == pytest.approx(0, abs=0.01)
    page.keyboard.press("m")
    assert page.evaluate(f"() => {video}.muted") is False

    page.keyboard.press("f")
    until(page, "() => document.fullscreenElement?.classList.contains('stage') === true")
    page.keyboard.press("f")
    until(page, "() => document.fullscreenElement === null")

    page.keyboard.press("?")
    until(page, "() => document.getElementById('help').open")
    assert "Play or pause" in page.text_content("#help")
    page.keyboard.press("k")  # the overlay is open: no shortcut under it
    assert page.evaluate(f"() => {video}.paused") is True
    page.keyboard.press("Escape")
    until(page, "() => !document.getElementById('help').open")

    # Typing in a field is typing, never a shortcut.
    page.click("#tag-input")
    page.keyboard.type("k jl 5")
    assert page.input_value("#tag-input") == "k jl 5"
    assert page.evaluate(f"() => {video}.paused") is True and now() == pytest.approx(0, abs=0.01)
    page.fill("#tag-input", "")
    # The seek bar is a slider: arrows move it, and only once.
    page.focus("#scrub")
    page.keyboard.press("ArrowRight")
    assert now() == pytest.approx(5, abs=0.01)
    watcher.close()


def test_rating_favourite_and_tags_persist(site: dict[str, Any], browser: Any) -> None:
    base, item_id = site["base"], site["ids"]["other.mp4"]
    httpx.post(f"{base}/api/v1/tags", json={"name": "beach"}).raise_for_status()

    def item() -> dict[str, Any]:
        return dict(httpx.get(f"{base}/api/v1/items/{item_id}").json())

    def eventually(check: Any) -> None:
        _eventually(lambda: check(item()), watcher.page)

    watcher = Watcher(browser)
    page = watcher.page
    page.goto(f"{base}/watch/{item_id}")
    page.wait_for_selector("#rating button")
    page.click('#rating button[data-stars="4"]')
    eventually(lambda i: i["rating"]["mine"] == 80)
    page.click("#favorite")
    eventually(lambda i: i["favorite"] is True)
    # A new tag by name, and an existing one from the suggestions.
    page.fill("#tag-input", "sunset")
    page.keyboard.press("Enter")
    eventually(lambda i: [t["name"] for t in i["tags"]] == ["sunset"])
    page.click("#tag-input")
    page.keyboard.type("bea")
    page.wait_for_selector("#tag-options [role=option]:has-text('beach')")
    page.click("#tag-options [role=option]:has-text('beach')")
    eventually(lambda i: sorted(t["name"] for t in i["tags"]) == ["beach", "sunset"])

    page.reload()
    page.wait_for_selector("#rating button")
    pressed = page.eval_on_selector_all(
        "#rating button", "bs => bs.map(b => b.getAttribute('aria-pressed'))"
    )
    assert pressed == ["false", "false", "false", "true", "false"]
    assert page.get_attribute("#favorite", "aria-pressed") == "true"
    tags = {t["name"]: t["id"] for t in item()["tags"]}
    hrefs = page.eval_on_selector_all("#tags a", "as => as.map(a => a.getAttribute('href'))")
    assert sorted(hrefs) == sorted(f"/?tag={i}" for i in tags.values())

    # And back: the tag off, the favourite off, the rating cleared (the same star again).
    page.click("#tags li:has-text('sunset') .tag-remove")
    eventually(lambda i: [t["name"] for t in i["tags"]] == ["beach"])
    page.click("#favorite")
    eventually(lambda i: i["favorite"] is False)
    page.click('#rating button[data-stars="4"]')
    eventually(lambda i: i["rating"]["mine"] is None)
    watcher.close()


def test_the_panel_and_related_videos(site: dict[str, Any], browser: Any) -> None:
    base, ids = site["base"], site["ids"]
    change = {"title": "A day out", "source_url": "https://example.com/videos/1"}
    httpx.patch(f"{base}/api/v1/items/{ids['direct.mp4']}", json=change).raise_for_status()
    performer = httpx.get(f"{base}/api/v1/performers", params={"q": "Ann"}).json()["performers"][0]
    watcher = Watcher(browser)
    page = watcher.page
    page.goto(f"{base}/watch/{ids['direct.mp4']}")
    page.wait_for_selector("#related a")
    assert page.text_content("#title") == "A day out"
    assert page.title() == "A day out · Mediashelf"
    source = page.query_selector("#source")
    assert source.get_attribute("href") == "https://example.com/videos/1"
    assert source.get_attribute("rel") == "noopener noreferrer"
    people = page.eval_on_selector_all(".person", "as => as.map(a => a.getAttribute('href'))")
    assert people == [f"/?performer={performer['id']}"]
    facts = page.text_content("#facts")
    assert "320 \u00d7 240" in facts and "H.264" in facts and "Original file" in facts

    related = page.eval_on_selector_all(
        "#related a", "as => as.map(a => [a.getAttribute('href'), a.textContent])"
    )
    assert len(related) == 1 and related[0][0] == f"/watch/{ids['other.mp4']}"
    assert "other.mp4" in related[0][1] and "0:06" in related[0][1]
    # The seam a later issue fills: in the page, not shown yet.
    assert page.evaluate("() => document.getElementById('similar').hidden") is True
    page.click("#related a")
    page.wait_for_url(f"**/watch/{ids['other.mp4']}")
    page.wait_for_selector("#related a")
    assert page.get_attribute("#related a", "href") == f"/watch/{ids['direct.mp4']}"
    watcher.close()


def test_a_bad_id_says_so(site: dict[str, Any], browser: Any) -> None:
    watcher = Watcher(browser, width=390, height=800)
    page = watcher.page
    page.goto(f"{site['base']}/watch/987654321")
    page.wait_for_selector("#message")
    assert "No such video" in page.text_content("#message")
    assert page.get_attribute("#message a", "href") == "/"
    assert page.title() == "No such video · Mediashelf"
    watcher.close()


def test_a_viewer_sees_no_edit_controls(site: dict[str, Any], browser: Any) -> None:
    base, ids = site["base"], site["ids"]
    for name, role in (("vera", "viewer"), ("mo", "member")):
        user = {"username": name, "password": PASSWORD, "role": role}
        httpx.post(f"{base}/api/v1/users", json=user).raise_for_status()
    env = {**site["env"], "AUTH": "on"}
    with served(env, site["tmp"]) as secured:
        for name, editable in (("vera", False), ("mo", True)):
            watcher = Watcher(browser)
            login = {"username": name, "password": PASSWORD}
            assert watcher.context.request.post(f"{secured}/api/v1/auth/login", data=login).ok
            page = watcher.page
            page.goto(f"{secured}/watch/{ids['direct.mp4']}")
            page.wait_for_selector("#facts")
            page.wait_for_selector("#account")
            controls = "#rating button, #favorite, #tag-input, .tag-remove"
            assert bool(page.query_selector_all(controls)) is editable, name
            # Everyone sees who is in it, and plays it.
            assert page.query_selector(".person") is not None
            _ready(page)
            watcher.close()


def test_the_watch_page_at_phone_width(site: dict[str, Any], browser: Any) -> None:
    watcher = Watcher(browser, width=360, height=740, has_touch=True)
    page = watcher.page
    page.goto(f"{site['base']}/watch/{site['ids']['direct.mp4']}")
    _ready(page)
    page.wait_for_selector("#related a")
    layout = page.evaluate(
        """() => { const stage = document.querySelector('.stage').getBoundingClientRect();
                   const panel = document.querySelector('.panel').getBoundingClientRect();
                   const wide = [...document.querySelectorAll('#main *')]
                     .filter((el) => el.getBoundingClientRect().right > innerWidth + 0.5)
                     .map((el) => el.className);
                   return {width: stage.width, left: stage.left, below: panel.top >= stage.bottom,
                           wide}; }"""
    )
    # The player spans the screen, the panel is under it, and nothing is wider.
    assert layout == {"width": 360, "left": 0, "below": True, "wide": []}
    watcher.close()


def test_the_page_is_served_from_the_build(site: dict[str, Any]) -> None:
    resp = httpx.get(f"{site['base']}/watch/{site['ids']['direct.mp4']}")
    assert resp.status_code == 200
    assert '<div id="app">' in resp.text and "/assets/" in resp.text
    assert "/static/watch.js" not in resp.text
