"""The watch page in a real browser (Debian's Chromium via Playwright): the MP4 plays
directly, an HEVC MKV through HLS (hls.js); both seek, and no media error fires; the
seek bar shows sprite thumbnails; the gallery opens videos on the watch page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mediashelf.media.ffmpeg import ffprobe_binary
from tests import factory
from tests.browser import chromium, needs_chromium, until
from tests.serving import processed_library, served

HLSJS = Path(__file__).parents[2] / "src/mediashelf/web/static/vendor/hls.min.js"

pytestmark = [
    needs_chromium,
    pytest.mark.skipif(ffprobe_binary() is None, reason="no ffprobe on this machine"),
    pytest.mark.timeout(180),
]

X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "20"]
HEVC = ["-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("watch")
    media = tmp / "media"
    factory.video(media / "direct.mp4", 30.0, "320x240", X264)
    factory.video(media / "phone.mkv", 20.0, "320x240", HEVC)
    engine, env = processed_library(tmp)
    engine.dispose()
    with served(env, tmp) as base:
        items = httpx.get(f"{base}/api/v1/items").json()["items"]
        yield {"base": base, "ids": {i["name"]: i["id"] for i in items}}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def _watch(browser: Any, url: str, seek_to: float) -> dict[str, Any]:
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    until(page, "() => document.getElementById('video').readyState >= 1")
    page.evaluate("v => { v.muted = true; return v.play(); }", page.query_selector("#video"))
    until(page, "() => document.getElementById('video').currentTime > 0.5")
    page.evaluate(f"() => {{ document.getElementById('video').currentTime = {seek_to}; }}")
    until(page, f"() => document.getElementById('video').currentTime > {seek_to + 0.5}")
    state = page.evaluate(
        """() => { const v = document.getElementById('video');
             return {mode: v.dataset.mode, error: v.error && v.error.code, t: v.currentTime,
                     message: document.getElementById('message').hidden ? null
                              : document.getElementById('message').textContent}; }"""
    )
    state["page_errors"] = errors
    state["page"] = page
    return state


def test_an_mp4_plays_directly_and_seeks(site: dict[str, Any], browser: Any) -> None:
    state = _watch(browser, f"{site['base']}/watch/{site['ids']['direct.mp4']}", 20.0)
    page = state.pop("page")
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
    page.close()


@pytest.mark.skipif(not HLSJS.exists(), reason="hls.js not installed (make setup needs npm)")
def test_an_hevc_mkv_plays_through_hls_and_seeks(site: dict[str, Any], browser: Any) -> None:
    state = _watch(browser, f"{site['base']}/watch/{site['ids']['phone.mkv']}", 12.0)
    state.pop("page").close()
    assert state["mode"] == "hls.js"
    assert (state["error"], state["message"], state["page_errors"]) == (None, None, [])
    assert state["t"] > 12.5


def test_the_gallery_opens_a_video_on_its_watch_page(site: dict[str, Any], browser: Any) -> None:
    page = browser.new_page()
    page.goto(site["base"] + "/?kind=video")
    page.wait_for_selector(".tile.video img")
    page.click(".tile.video >> nth=0")
    page.wait_for_url("**/watch/*")
    assert page.url.rsplit("/", 1)[1] in {str(i) for i in site["ids"].values()}
    page.close()
