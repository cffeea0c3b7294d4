"""The image viewer (frontend/src/lib/lightbox) in a real browser (Debian's Chromium via
Playwright) against a real `mediashelf serve`, opened from a photoset's page: keyboard
navigation, zoom and closing (focus back on the tile, Back closes it too), a video's play
link; tags, rating, favourite and the caption (with its history) edited and kept across a
reload, as the API says; a 1:1 crop drawn, saved by name and rendered square; a photo's
EXIF with its map link; a viewer sees no edit control; not one CSP violation."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from PIL.ExifTags import GPS, IFD, Base
from PIL.TiffImagePlugin import IFDRational
from sqlalchemy.orm import Session

from mediashelf.auth import users
from mediashelf.db.engine import make_engine
from tests import factory
from tests.browser import RECORD, chromium, needs_chromium, until
from tests.serving import scanned_site, served

pytestmark = [needs_chromium, pytest.mark.timeout(300)]

PASSWORD = "a long lightbox password"
EDIT_CONTROLS = "#lb-crop, #lb-favorite, #tag-input, #lb-caption-edit, #lb-new-crop, #rating button"


def _exif_photo(path: Path) -> None:
    """A photo as a camera writes it (tests/media/test_exif.py's way)."""
    r = IFDRational
    exif = Image.Exif()
    exif[Base.Make] = "Canon"
    exif[Base.Model] = "EOS R6"
    sub = exif.get_ifd(IFD.Exif)
    sub[Base.ExposureTime] = r(1, 250)
    sub[Base.FNumber] = r(28, 10)
    sub[Base.ISOSpeedRatings] = 400
    sub[Base.FocalLength] = r(50, 1)
    sub[Base.LensModel] = "RF50mm F1.8 STM"
    gps = exif.get_ifd(IFD.GPSInfo)
    gps[GPS.GPSLatitudeRef] = "S"
    gps[GPS.GPSLatitude] = (r(33, 1), r(51, 1), r(3240, 100))
    gps[GPS.GPSLongitudeRef] = "E"
    gps[GPS.GPSLongitude] = (r(151, 1), r(12, 1), r(0, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (360, 240), (10, 120, 200)).save(path, exif=exif)


def _library(tmp: Path) -> dict[str, str]:
    """Four photos (the third with EXIF) and a video, scanned and thumbnailed."""
    media = tmp / "media"
    shapes = [(320, 240), (240, 320), (400, 300)]
    for n, shape in enumerate(shapes):
        factory.jpeg(media / "Set" / f"P_{n + 1}.jpg", shape, (60 * n, 90, 160), seed=n + 1)
    _exif_photo(media / "Set" / "P_4.jpg")
    factory.video(media / "Set" / "P_5.mp4", seconds=1.0)
    return scanned_site(tmp, thumbnails=True)


def _photoset(client: httpx.Client, headers: dict[str, str] | None = None) -> tuple[int, list[int]]:
    """A set of every item, by name: its id and the items' ids in order."""
    items = client.get("/api/v1/items", params={"limit": 100, "sort": "name"}).json()["items"]
    ids = [i["id"] for i in items]
    made = client.post(
        "/api/v1/photosets", json={"name": "Holiday", "items": ids}, headers=headers or {}
    )
    assert made.is_success, made.text
    return made.json()["id"], ids


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("lightbox")
    env = _library(tmp)
    with served(env, tmp) as base:
        api = httpx.Client(base_url=base, timeout=30)
        set_id, ids = _photoset(api)
        yield {"base": base, "api": api, "set": set_id, "ids": ids}
        api.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="dark")
    page = context.new_page()
    page.add_init_script(RECORD)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    yield page
    violations = page.evaluate("() => window.__csp || []")
    context.close()
    assert violations == []
    assert errors == []


def _open(page: Any, base: str, set_id: int, item_id: int) -> None:
    """The set's page, then the item's tile opened from the keyboard."""
    if f"/photosets/{set_id}" not in page.url:
        page.goto(f"{base}/photosets/{set_id}")
    tile = f'#items .tile[data-id="{item_id}"]'
    page.wait_for_selector(tile)
    page.focus(tile)
    page.keyboard.press("Enter")
    page.wait_for_selector("[role=dialog]")
    _showing(page, item_id)


def _showing(page: Any, item_id: int) -> None:
    """The viewer shows this item, its picture loaded."""
    until(
        page,
        f"""() => {{
          const img = document.getElementById('lb-image');
          return img && img.dataset.id === '{item_id}' && img.complete && img.naturalWidth > 0;
        }}""",
    )


def _info(page: Any) -> None:
    if page.get_attribute("#lb-info", "aria-pressed") != "true":
        page.click("#lb-info")
    page.wait_for_selector("#lb-panel #lb-path")


def test_lightbox_keyboard_navigation_and_zoom(site: dict[str, Any], page: Any) -> None:
    base, set_id, ids = site["base"], site["set"], site["ids"]
    _open(page, base, set_id, ids[0])
    dialog = page.locator("[role=dialog]")
    assert dialog.get_attribute("aria-modal") == "true"
    assert dialog.get_attribute("aria-label") == "Viewer: P_1.jpg"
    assert page.evaluate("() => location.hash") == f"#item={ids[0]}"
    assert page.text_content("#lb-position") == "1"

    # → and ← move, the right picture shown (the large thumbnail first).
    page.keyboard.press("ArrowRight")
    _showing(page, ids[1])
    assert page.evaluate("() => location.hash") == f"#item={ids[1]}"
    assert "/thumbnails/" in page.get_attribute("#lb-image", "src")
    page.keyboard.press("ArrowLeft")
    _showing(page, ids[0])

    # Zoom in: the picture's scale changes, and the original takes over.
    page.keyboard.press("+")
    until(page, "() => Number(document.getElementById('lb-image').dataset.scale) > 1.4")
    scale = page.evaluate(
        "() => new DOMMatrix(getComputedStyle(document.querySelector('.frame')).transform).a"
    )
    assert scale > 1.4
    until(page, "() => document.getElementById('lb-image').dataset.original === '1'")
    assert page.get_attribute("#lb-image", "src") == f"/api/v1/items/{ids[0]}/original"
    # A drag pans (within the edges), the wheel zooms more, 0 fits again.
    box = page.locator(".stage").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx + 80, cy + 40, steps=5)
    page.mouse.up()
    moved = page.evaluate(
        "() => new DOMMatrix(getComputedStyle(document.querySelector('.frame')).transform).e"
    )
    assert moved > 0
    page.mouse.wheel(0, -300)
    until(page, "() => Number(document.getElementById('lb-image').dataset.scale) > 1.6")
    page.keyboard.press("0")
    until(page, "() => Number(document.getElementById('lb-image').dataset.scale) === 1")

    # The focus stays in the dialog.
    for _ in range(12):
        page.keyboard.press("Tab")
        assert page.evaluate("() => !!document.activeElement.closest('[role=dialog]')")

    # Esc closes: the hash goes, the focus is back on the tile.
    page.keyboard.press("Escape")
    page.wait_for_selector("[role=dialog]", state="detached")
    assert page.evaluate("() => location.hash") == ""
    assert page.evaluate("() => document.activeElement.dataset.id") == str(ids[0])
    assert page.url.endswith(f"/photosets/{set_id}")

    # Back closes it too; a video shows its poster and a link to its watch page.
    _open(page, base, set_id, ids[2])
    page.keyboard.press("End")
    page.wait_for_selector("#lb-play")
    assert page.get_attribute("#lb-play", "href") == f"/watch/{ids[4]}"
    page.go_back()
    page.wait_for_selector("[role=dialog]", state="detached")
    assert page.url.endswith(f"/photosets/{set_id}")
    assert page.is_visible("#items")


def test_editing_tags_rating_and_caption_then_persisting_across_reload(
    site: dict[str, Any], page: Any
) -> None:
    base, api, set_id, ids = site["base"], site["api"], site["set"], site["ids"]
    item = ids[1]
    _open(page, base, set_id, item)
    _info(page)

    page.click('#lb-panel #rating [data-stars="4"]')
    until(page, "() => document.querySelector('#lb-panel #rating').dataset.value === '80'")
    page.click("#lb-favorite")
    until(page, "() => document.getElementById('lb-favorite').ariaPressed === 'true'")
    page.fill("#lb-panel #tag-input", "Sunset")
    page.keyboard.press("Enter")
    page.wait_for_selector("#lb-panel #tags a:has-text('Sunset')")

    # The caption: written, changed, then the first version restored from the history.
    page.click("#lb-caption-edit")
    page.fill("#lb-caption-input", "A first caption")
    page.click("#lb-caption-save")
    page.wait_for_selector("#lb-caption:has-text('A first caption')")
    page.click("#lb-caption-edit")
    page.fill("#lb-caption-input", "A better caption")
    page.click("#lb-caption-save")
    page.wait_for_selector("#lb-caption:has-text('A better caption')")
    page.click("#lb-caption-history")
    versions = page.locator("#lb-caption-versions li")
    assert versions.count() == 2
    versions.nth(1).locator(".restore").click()
    page.wait_for_selector("#lb-caption:has-text('A first caption')")

    detail = api.get(f"/api/v1/items/{item}").json()
    assert detail["rating"]["mine"] == 80
    assert detail["favorite"] is True
    assert [t["name"] for t in detail["tags"]] == ["Sunset"]
    caption = api.get(f"/api/v1/items/{item}/caption").json()
    assert caption["current"]["text"] == "A first caption"
    assert [v["text"] for v in caption["history"]] == [
        "A first caption",
        "A better caption",
        "A first caption",
    ]

    # After a reload, the viewer shows what was saved (the info panel remembered open).
    page.keyboard.press("Escape")
    page.wait_for_selector("[role=dialog]", state="detached")
    page.reload()
    _open(page, base, set_id, item)
    page.wait_for_selector("#lb-panel #lb-path")
    until(page, "() => document.querySelector('#lb-panel #rating').dataset.value === '80'")
    assert page.get_attribute("#lb-favorite", "aria-pressed") == "true"
    assert page.locator("#lb-panel #tags a:has-text('Sunset')").count() == 1
    page.wait_for_selector("#lb-caption:has-text('A first caption')")
    assert "Set/P_2.jpg" in page.text_content("#lb-path")

    # The tag comes off again.
    page.click("#lb-panel .tag-remove")
    until(page, "() => !document.querySelector('#lb-panel #tags a')")
    until_tags = api.get(f"/api/v1/items/{item}").json()["tags"]
    assert until_tags == []


def test_crop_save_and_render(site: dict[str, Any], page: Any) -> None:
    base, api, set_id, ids = site["base"], site["api"], site["set"], site["ids"]
    item = ids[0]  # 320 x 240
    _open(page, base, set_id, item)
    page.click("#lb-crop")
    page.click('[data-aspect="1:1"]')
    area = page.locator("#lb-crop-area").bounding_box()
    x0, y0 = area["x"] + area["width"] * 0.1, area["y"] + area["height"] * 0.1
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x0 + area["width"] * 0.5, y0 + area["height"] * 0.4, steps=8)
    page.mouse.up()
    rect = page.locator("#lb-crop-rect").bounding_box()
    assert abs(rect["width"] - rect["height"]) < 2  # square on screen as in the picture
    page.fill("#lb-crop-name", "Square")
    page.click("#lb-crop-save")
    page.wait_for_selector("#lb-crop-saved")

    crops = api.get(f"/api/v1/items/{item}/crop").json()["crops"]
    assert [c["name"] for c in crops] == ["Square"]
    crop = crops[0]
    assert crop["aspect"] == "1:1"
    assert abs(crop["width"] * 320 - crop["height"] * 240) < 1

    # The info panel lists it, its render loaded.
    page.keyboard.press("Escape")  # leaves crop mode, the viewer stays
    assert page.is_visible("[role=dialog]")
    _info(page)
    until(
        page,
        """() => {
          const img = document.querySelector('#lb-crops li[data-name="Square"] img');
          return img && img.complete && img.naturalWidth > 0;
        }""",
    )
    shown = page.evaluate(
        """() => {
          const img = document.querySelector('#lb-crops img');
          return [img.naturalWidth, img.naturalHeight];
        }"""
    )
    assert abs(shown[0] - shown[1]) <= 1
    resp = page.request.get(f"{base}/api/v1/items/{item}/cropped?name=Square&size=medium")
    assert resp.status == 200
    with Image.open(io.BytesIO(resp.body())) as im:
        w, h = im.size
    assert w > 50 and abs(w - h) <= 1


def test_exif_is_shown_with_a_map_link(site: dict[str, Any], page: Any) -> None:
    base, set_id, ids = site["base"], site["set"], site["ids"]
    _open(page, base, set_id, ids[3])
    _info(page)
    page.wait_for_selector("#lb-exif")
    text = page.text_content("#lb-exif")
    assert "Canon EOS R6" in text
    assert "RF50mm F1.8 STM" in text
    assert "1/250 s · f/2.8 · ISO 400 · 50 mm" in text
    link = page.locator("#lb-map")
    assert link.get_attribute("href").startswith(
        "https://www.openstreetmap.org/?mlat=-33.859000&mlon=151.200000"
    )
    assert link.get_attribute("rel") == "noopener noreferrer"
    # A photo without EXIF says so.
    page.keyboard.press("ArrowLeft")
    _showing(page, ids[2])
    page.wait_for_selector("#lb-no-exif")


@pytest.fixture(scope="module")
def accounts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("lightbox-auth")
    env = _library(tmp)
    engine = make_engine(env["DATABASE_URL"])
    with Session(engine) as db:
        users.create(db, "vera", PASSWORD, "viewer")
        users.create(db, "mia", PASSWORD, "member")
    engine.dispose()
    with served({**env, "AUTH": "on"}, tmp) as base:
        client = httpx.Client(base_url=base)
        login = {"username": "mia", "password": PASSWORD}
        assert client.post("/api/v1/auth/login", json=login).is_success
        csrf = {"x-csrf-token": client.cookies["mediashelf_csrf"]}
        set_id, ids = _photoset(client, csrf)
        client.close()
        yield {"base": base, "set": set_id, "ids": ids}


def _as(page: Any, base: str, username: str) -> None:
    login = page.context.request.post(
        f"{base}/api/v1/auth/login", data={"username": username, "password": PASSWORD}
    )
    assert login.status == 200, login.text()


def test_a_viewer_sees_no_edit_controls(accounts: dict[str, Any], page: Any) -> None:
    base, set_id, ids = accounts["base"], accounts["set"], accounts["ids"]
    _as(page, base, "mia")  # a member may: the controls are there
    _open(page, base, set_id, ids[0])
    _info(page)
    page.wait_for_selector("#lb-favorite")
    page.wait_for_selector("#lb-caption-edit")
    page.wait_for_selector("#lb-crop")
    page.keyboard.press("Escape")
    page.context.clear_cookies()

    _as(page, base, "vera")
    page.goto(f"{base}/photosets/{set_id}")
    _open(page, base, set_id, ids[0])
    _info(page)
    page.wait_for_selector("#lb-caption")
    until(page, "() => document.querySelector('#account .user') !== null")
    page.wait_for_timeout(300)  # who she is is known: the controls would be there
    assert page.query_selector_all(EDIT_CONTROLS) == []


def test_discover_opens_images_in_the_lightbox(site: dict[str, Any], page: Any) -> None:
    base, ids = site["base"], site["ids"]
    page.goto(f"{base}/discover?seed=5")
    tile = f'#shuffled .tile[data-id="{ids[0]}"]'
    page.wait_for_selector(tile)
    order = page.eval_on_selector_all("#shuffled .tile", "els => els.map(e => e.dataset.id)")
    page.click(tile)
    page.wait_for_selector("[role=dialog]")
    _showing(page, ids[0])
    assert page.text_content("#lb-position") == str(order.index(str(ids[0])) + 1)
    # Back closes it, and the page keeps its order (its own Back handling stays out).
    page.go_back()
    page.wait_for_selector("[role=dialog]", state="detached")
    assert page.url.endswith("/discover?seed=5")
    page.wait_for_timeout(300)
    again = page.eval_on_selector_all("#shuffled .tile", "els => els.map(e => e.dataset.id)")
    assert again == order
    # A video's tile still opens its watch page.
    page.click(f'#shuffled .tile[data-id="{ids[4]}"]')
    page.wait_for_url(f"**/watch/{ids[4]}")


def test_a_link_to_an_item_opens_it_on_load(site: dict[str, Any], page: Any) -> None:
    base, set_id, ids = site["base"], site["set"], site["ids"]
    # A photoset's page: the viewer on that item, going through the set.
    page.goto(f"{base}/photosets/{set_id}#item={ids[1]}")
    page.wait_for_selector("[role=dialog]")
    _showing(page, ids[1])
    assert page.text_content("#lb-position") == "2"
    assert page.evaluate("() => location.hash") == f"#item={ids[1]}"
    page.keyboard.press("ArrowRight")
    _showing(page, ids[2])
    # Back closes it and stays on the set's page.
    page.go_back()
    page.wait_for_selector("[role=dialog]", state="detached")
    assert page.url.endswith(f"/photosets/{set_id}")
    assert page.is_visible("#items")

    # Discover, with no seed yet: one is added to the URL, the link kept.
    page.goto(f"{base}/discover#item={ids[3]}")
    page.wait_for_selector("[role=dialog]")
    _showing(page, ids[3])
    assert "seed=" in page.url and page.url.endswith(f"#item={ids[3]}")
    order = page.eval_on_selector_all("#shuffled .tile", "els => els.map(e => e.dataset.id)")
    assert page.text_content("#lb-position") == str(order.index(str(ids[3])) + 1)
    page.keyboard.press("Escape")
    page.wait_for_selector("[role=dialog]", state="detached")
    assert "/discover?seed=" in page.url and "#" not in page.url

    # An item that is not there: the page says so, and opens nothing.
    page.goto(f"{base}/photosets/{set_id}#item=999999")
    page.wait_for_selector("#link-error")
    assert "Could not open item 999999" in (page.text_content("#link-error") or "")
    assert page.is_visible("#items") and not page.query_selector("[role=dialog]")


# A finger's gesture on the stage, as pointer events (Playwright's touchscreen only taps).
GESTURE = """([moves, id]) => {
  const stage = document.querySelector('.stage');
  const r = stage.getBoundingClientRect();
  const at = (x, y) => ({clientX: r.left + r.width * x, clientY: r.top + r.height * y});
  const send = (type, pointerId, x, y) => stage.dispatchEvent(new PointerEvent(type, {
    pointerId, pointerType: 'touch', isPrimary: pointerId === id, button: 0, bubbles: true,
    ...at(x, y),
  }));
  for (const [type, pointerId, x, y] of moves) send(type, pointerId, x, y);
}"""


def test_swipe_and_pinch(site: dict[str, Any], page: Any) -> None:
    base, set_id, ids = site["base"], site["set"], site["ids"]
    _open(page, base, set_id, ids[1])
    swipe_left = [
        ["pointerdown", 5, 0.7, 0.5],
        ["pointermove", 5, 0.5, 0.52],
        ["pointerup", 5, 0.3, 0.52],
    ]
    page.evaluate(GESTURE, [swipe_left, 5])
    _showing(page, ids[2])
    swipe_right = [
        ["pointerdown", 6, 0.3, 0.5],
        ["pointermove", 6, 0.5, 0.5],
        ["pointerup", 6, 0.7, 0.5],
    ]
    page.evaluate(GESTURE, [swipe_right, 6])
    _showing(page, ids[1])
    # Two fingers apart: zoomed in, and no move to another item.
    pinch = [
        ["pointerdown", 7, 0.45, 0.5],
        ["pointerdown", 8, 0.55, 0.5],
        ["pointermove", 7, 0.3, 0.5],
        ["pointermove", 8, 0.7, 0.5],
        ["pointerup", 8, 0.7, 0.5],
        ["pointerup", 7, 0.3, 0.5],
    ]
    page.evaluate(GESTURE, [pinch, 7])
    until(page, "() => Number(document.getElementById('lb-image').dataset.scale) > 2")
    _showing(page, ids[1])
