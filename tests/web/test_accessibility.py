"""Keyboard and screen-reader basics on every page, in Debian's Chromium against a real
`mediashelf serve` over a small processed library (a photo, a video, a tag, a performer,
a studio, a photoset): the document has a language and a title; every image has alt
text (empty only where it is decoration); every control (button, link, field) has a
name a screen reader can say; and each element that Tab reaches shows a visible focus
ring (an outline or a box shadow that the unfocused element lacks)."""

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

pytestmark = [
    needs_chromium,
    pytest.mark.skipif(ffprobe_binary() is None, reason="no ffprobe on this machine"),
    pytest.mark.timeout(300),
]

# Controls without a name a screen reader could say, and images without alt text.
UNNAMED = """() => {
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && style.visibility !== 'hidden';
  };
  const named = (el) => {
    if ((el.getAttribute('aria-label') || '').trim()) return true;
    const by = el.getAttribute('aria-labelledby');
    const text = (id) => (document.getElementById(id)?.textContent || '').trim();
    if (by && by.split(/\\s+/).some(text)) return true;
    if (el.labels && [...el.labels].some((l) => l.textContent.trim())) return true;
    if ((el.getAttribute('title') || '').trim()) return true;
    if (['button', 'a', 'summary'].includes(el.localName) || el.getAttribute('role')) {
      if (el.textContent.trim()) return true;
      if ([...el.querySelectorAll('img')].some((i) => (i.getAttribute('alt') || '').trim()))
        return true;
    }
    if (el.localName === 'input' && ['submit', 'button', 'reset'].includes(el.type) && el.value)
      return true;
    return false;
  };
  const out = [];
  const controls = ['button', 'a[href]', 'input:not([type=hidden])', 'select', 'textarea',
    '[role=button]', '[role=menuitem]', '[role=tab]', '[role=slider]'].join(', ');
  for (const el of document.querySelectorAll(controls)) {
    if (visible(el) && !named(el)) out.push(el.outerHTML.slice(0, 160));
  }
  for (const img of document.querySelectorAll('img')) {
    if (!img.hasAttribute('alt')) out.push(img.outerHTML.slice(0, 160));
  }
  return out;
}"""

# The focus ring of the element that has focus: its outline and shadow, then blurred.
RING = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const look = () => {
    const s = getComputedStyle(el);
    return {outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0,
            shadow: s.boxShadow !== 'none',
            ring: `${s.outlineStyle} ${s.outlineWidth} ${s.boxShadow}`};
  };
  const focused = look();
  return {tag: el.outerHTML.slice(0, 120), visible: el.matches(':focus-visible'),
          ring: focused.outline || focused.shadow, style: focused.ring};
}"""


def _files(media: Path) -> None:
    factory.jpeg(media / "Trip" / "beach.jpg", (320, 240), seed=1)
    factory.jpeg(media / "Trip" / "hill.jpg", (240, 320), seed=2)
    factory.video(media / "clip.mp4", seconds=2.0)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("a11y")
    _files(tmp / "media")
    engine, env = processed_library(tmp)
    engine.dispose()
    with served(env, tmp) as base, httpx.Client(base_url=f"{base}/api/v1") as api:
        items = {
            i["name"]: i["id"] for i in api.get("/items", params={"limit": 10}).json()["items"]
        }
        image, video = items["beach.jpg"], items["clip.mp4"]
        assert api.post("/tags/attach", json={"tags": ["sea"], "items": [image]}).is_success
        assert api.post(
            "/performers/attach", json={"performers": ["Ann"], "items": [video]}
        ).is_success
        assert api.post("/studios/attach", json={"studios": ["Acme"], "items": [video]}).is_success
        made = api.post("/photosets", json={"name": "Summer", "items": [image, video]})
        assert made.status_code == 201, made.text
        yield {"base": base, "image": image, "video": video, "set": made.json()["id"]}


def _pages(site: dict[str, Any]) -> list[tuple[str, str]]:
    """(path, a condition that says the page has drawn its content)."""
    tiles = "document.querySelectorAll('main img').length > 0"
    return [
        ("/", tiles),
        (f"/watch/{site['video']}", "document.querySelector('video') !== null"),
        ("/tags", tiles),
        ("/performers", tiles),
        ("/studios", tiles),
        ("/discover", tiles),
        ("/photosets", tiles),
        (f"/photosets/{site['set']}", tiles),
        ("/admin", "document.querySelectorAll('main button').length > 2"),
        ("/account", "document.querySelector('main h1') !== null"),
    ]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def _open(browser: Any, url: str, ready: str, width: int = 1280) -> Any:
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(url)
    until(page, f"() => {ready}")
    page.wait_for_timeout(300)  # late parts (counts, covers) settle
    return page


def test_every_page_has_a_language_a_title_and_named_controls(
    site: dict[str, Any], browser: Any
) -> None:
    for path, ready in _pages(site):
        for width in (1280, 390):
            page = _open(browser, site["base"] + path, ready, width)
            assert page.evaluate("() => document.documentElement.lang"), path
            assert page.title().strip(), path
            unnamed = page.evaluate(UNNAMED)
            assert unnamed == [], f"{path} at {width} px: {unnamed}"
            page.close()


def test_tab_shows_where_the_focus_is_on_every_page(site: dict[str, Any], browser: Any) -> None:
    for path, ready in _pages(site):
        page = _open(browser, site["base"] + path, ready)
        seen = 0
        for _ in range(25):
            page.keyboard.press("Tab")
            ring = page.evaluate(RING)
            if ring is None:
                continue
            seen += 1
            assert ring["visible"] and ring["ring"], f"{path}: no focus ring on {ring['tag']}"
        assert seen >= 5, f"{path}: Tab reached {seen} elements"
        page.close()


def test_the_checks_see_a_nameless_control_and_a_hidden_focus(
    site: dict[str, Any], browser: Any
) -> None:
    """The detectors above, shown to fail: an icon button with no name, an image with no
    alt, and a style that hides the focus ring."""
    page = _open(browser, site["base"] + "/tags", "document.querySelector('main img')")
    page.evaluate(
        """() => {
      const b = document.createElement('button'); b.className = 'bare';
      b.style.width = '20px'; b.style.height = '20px';
      const i = document.createElement('img'); i.width = 10; i.height = 10;
      document.querySelector('main').prepend(b, i);
    }"""
    )
    found = page.evaluate(UNNAMED)
    assert any('class="bare"' in f for f in found) and any(f.startswith("<img") for f in found)
    # (The page's CSP forbids a style sheet added here; the element's own style may change.)
    page.evaluate(
        """() => { const b = document.querySelector('button.bare');
      b.style.setProperty('outline', 'none', 'important');
      b.style.setProperty('box-shadow', 'none', 'important'); }"""
    )
    page.focus("button.bare")
    page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")
    ring = page.evaluate(RING)
    assert ring is not None and ring["visible"] and not ring["ring"]
    page.close()
