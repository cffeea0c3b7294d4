"""The gallery (/) in a real browser (Debian's Chromium via Playwright) against a real
`mediashelf serve`: a 10,000-item library scrolled to its middle with the DOM staying the
same size (virtualized rows), filters held in the URL (reload, back, forward), a video's
preview strip and teaser on hover, select mode with bulk tag, rating and favourite (kept
after a reload, as the API says), no edit controls for a viewer, the first-run screen of
an empty library, a readable message for a bad filter, no layout shift while thumbnails
load, and not one Content-Security-Policy violation.

The page is the Svelte one (frontend/src/pages/gallery), built by `make setup`."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from mediashelf.auth import users
from mediashelf.db.engine import make_engine, upgrade
from mediashelf.db.models import Item, ItemTag, Tag
from mediashelf.jobs.batch import run_thumbnails
from mediashelf.library import events
from mediashelf.library.names import fold
from mediashelf.library.scan import scan
from mediashelf.media.ffmpeg import ffprobe_binary
from tests import factory
from tests.browser import RECORD, chromium, needs_chromium, until
from tests.conftest import make_settings
from tests.serving import served, site_env
from tests.web.conftest import prepared_library

pytestmark = [needs_chromium, pytest.mark.timeout(300)]

ITEMS = 10_000
PASSWORD = "a long gallery password"
# Shapes of the real pictures whose thumbnails the 10,000 rows share.
SHAPES = [(320, 240), (240, 320), (300, 300), (400, 200), (270, 480), (360, 240)]

# Records what the page reports: CSP violations, and layout shifts (not caused by input).

INLINE_STYLE = '<i style="color: red">x</i>'

# Every image in the viewport has loaded (or the grid has none).
IMAGES_IN_VIEW_LOADED = """() => {
  const imgs = [...document.querySelectorAll('#grid .tile img')].filter((img) => {
    const r = img.getBoundingClientRect();
    return r.bottom > 0 && r.top < innerHeight;
  });
  return imgs.length > 0 && imgs.every((img) => img.complete && img.naturalWidth > 0);
}"""


def _library(tmp: Path, count: int) -> tuple[str, dict[str, int]]:
    """A few real pictures, thumbnailed, and `count` rows in all that share their
    fingerprints (so every tile's thumbnail exists): the database URL and tag ids."""
    media = tmp / "media"
    for n, size in enumerate(SHAPES):
        factory.jpeg(media / "real" / f"shape{n}.jpg", size, seed=n + 1)
    db_url = f"sqlite:///{tmp / 'data' / 'mediashelf.db'}"
    settings = make_settings(tmp, media, db_url)
    engine = make_engine(db_url)
    upgrade(engine)
    scan(engine, settings)
    run_thumbnails(engine, settings)
    rng = random.Random(5)
    base = datetime(2026, 6, 30, 12, 0)
    with Session(engine) as db:
        real = db.execute(select(Item).order_by(Item.id)).scalars().all()
        assert len(real) == len(SHAPES) and all(i.color for i in real)
        now = datetime(2026, 7, 1)
        db.add_all(
            [
                Tag(name="Beach", key=fold("Beach"), aliases="[]", created_at=now),
                Tag(name="Snow", key=fold("Snow"), aliases="[]", created_at=now),
            ]
        )
        db.commit()
        tags = {t.name: t.id for t in db.execute(select(Tag)).scalars()}
        rows = []
        for n in range(count - len(real)):
            like = real[n % len(real)]
            folder = f"{2024 + n % 3}/album_{n % 40:02d}"
            date = base - timedelta(hours=n * 2, minutes=rng.randrange(60))
            rows.append(
                {
                    "root_id": like.root_id,
                    "rel_path": f"{folder}/IMG_{n:05d}.jpg",
                    "folder": folder,
                    "name": f"IMG_{n:05d}.jpg",
                    "kind": "image",
                    "mime": "image/jpeg",
                    "size": like.size,
                    "mtime_ns": like.mtime_ns,
                    "fingerprint": like.fingerprint,
                    "width": like.width,
                    "height": like.height,
                    "color": like.color,
                    "date": date,
                    "status": "present",
                    "created_at": now,
                    "updated_at": now,
                }
            )
        db.execute(insert(Item), rows)
        ids = db.execute(select(Item.id).order_by(Item.id)).scalars().all()
        links = [{"item_id": i, "tag_id": tags["Beach"]} for i in ids[::7]]
        links += [{"item_id": i, "tag_id": tags["Snow"]} for i in ids[::11]]
        db.execute(insert(ItemTag), links)
        db.commit()
    engine.dispose()
    return db_url, tags


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The 10,000-item library, served with AUTH off (the browser is the local admin)."""
    tmp = tmp_path_factory.mktemp("gallery-big")
    _, tags = _library(tmp, ITEMS)
    with served(site_env(tmp), tmp) as base:
        yield {"base": base, "tags": tags}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def reports() -> dict[str, list[str]]:
    """What the browser said on every page the tests opened: CSP messages, page errors."""
    return {"csp": [], "errors": []}


@pytest.fixture
def page(browser: Any, reports: dict[str, list[str]]) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme="dark")
    page = context.new_page()
    page.add_init_script(RECORD)
    page.on("pageerror", lambda exc: reports["errors"].append(str(exc)))
    page.on(
        "console",
        lambda m: reports["csp"].append(m.text) if "Content Security Policy" in m.text else None,
    )
    yield page
    violations = page.evaluate("() => window.__csp || []")
    context.close()
    assert violations == []
    assert reports["csp"] == [] and reports["errors"] == [], reports


def _api(base: str, path: str, **params: Any) -> Any:
    resp = httpx.get(f"{base}{path}", params=params)
    assert resp.status_code == 200, resp.text
    return resp.json()


def _count_shown(page: Any) -> int:
    text = page.text_content("#count") or ""
    return int(text.split()[0].replace(",", ""))


def _grid_ready(page: Any) -> None:
    until(page, "() => document.querySelectorAll('#grid .tile').length > 0")
    until(page, "() => /\\d/.test(document.getElementById('count').textContent)")


# -- a big library ----------------------------------------------------------------------


def test_the_dom_stays_the_same_size_down_to_item_5000(big: dict[str, Any], page: Any) -> None:
    page.goto(big["base"] + "/")
    _grid_ready(page)
    assert _count_shown(page) == ITEMS
    until(page, IMAGES_IN_VIEW_LOADED)
    until(page, "() => performance.getEntriesByName('gallery:first-row').length === 1")
    # Every image really loaded: a thumbnail, at least as wide as its tile.
    sizes = page.evaluate(
        """() => [...document.querySelectorAll('#grid .tile img')].slice(0, 10).map(
             (i) => [i.naturalWidth, i.currentSrc, i.getBoundingClientRect().width])"""
    )
    assert all(w > 0 and "/api/v1/thumbnails/" in src for w, src, _ in sizes), sizes
    grid_nodes = "() => document.querySelectorAll('#grid *').length"
    tiles = "() => document.querySelectorAll('#grid .tile').length"
    counts = [(0, page.evaluate(grid_nodes), page.evaluate(tiles))]
    # Down the page a few screens at a time, as someone scrolling would, until item
    # 5,000 is in the DOM.
    for _ in range(400):
        if page.evaluate("() => !!document.querySelector('.tile[data-index=\"5000\"]')"):
            break
        page.evaluate("() => window.scrollBy(0, innerHeight * 3)")
        page.wait_for_timeout(30)
        y = page.evaluate("() => scrollY")
        if len(counts) < 30 or y - counts[-1][0] > 20_000:
            counts.append((y, page.evaluate(grid_nodes), page.evaluate(tiles)))
    page.evaluate("() => document.querySelector('.tile[data-index=\"5000\"]').scrollIntoView()")
    page.wait_for_timeout(300)
    until(page, IMAGES_IN_VIEW_LOADED)
    counts.append((page.evaluate("() => scrollY"), page.evaluate(grid_nodes), page.evaluate(tiles)))
    indexes = page.evaluate(
        "() => [...document.querySelectorAll('#grid .tile')].map((t) => Number(t.dataset.index))"
    )
    assert 5000 in indexes and min(indexes) > 4500, (min(indexes), max(indexes))
    assert counts[-1][0] > 100_000, counts[-1]
    # Bounded: wherever the view is, about the same number of nodes (a few screens of
    # rows), far fewer than the 5,000 items above.
    nodes = [n for _, n, _ in counts]
    assert max(nodes) < 1.6 * counts[0][1] + 100, counts
    assert max(t for _, _, t in counts) < 200, counts
    # And the tile there is the API's 5,001st item.
    cursor: str | None = None
    listed: list[int] = []
    while len(listed) <= 5000:
        more: dict[str, Any] = {"cursor": cursor} if cursor else {}
        body = _api(big["base"], "/api/v1/items", limit=500, **more)
        listed += [i["id"] for i in body["items"]]
        cursor = body["next_cursor"]
    shown = page.get_attribute('.tile[data-index="5000"]', "data-id")
    assert shown == str(listed[5000])


def test_a_4k_screen_is_filled_with_sharp_thumbnails(big: dict[str, Any], browser: Any) -> None:
    """At 3840 x 2160 the rows span the width, nothing scrolls sideways, and the tiles
    (taller rows on a big screen) load a thumbnail size as wide as they are drawn."""
    context = browser.new_context(viewport={"width": 3840, "height": 2160}, color_scheme="dark")
    page = context.new_page()
    page.goto(big["base"] + "/")
    _grid_ready(page)
    until(page, IMAGES_IN_VIEW_LOADED)
    seen = page.evaluate(
        """() => {
      const grid = document.getElementById('grid').getBoundingClientRect();
      const tiles = [...document.querySelectorAll('#grid .tile')]
        .map((t) => t.getBoundingClientRect()).filter((r) => r.bottom > 0 && r.top < innerHeight);
      const imgs = [...document.querySelectorAll('#grid .tile img')].filter((i) => {
        const r = i.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight; });
      return {sideways: document.documentElement.scrollWidth - innerWidth,
              gridWidth: grid.width, right: Math.max(...tiles.map((r) => r.right)) - grid.left,
              heights: tiles.map((r) => r.height),
              picked: imgs.map((i) => [i.getBoundingClientRect().width, i.currentSrc])};
    }"""
    )
    context.close()
    assert seen["sideways"] <= 0
    assert seen["gridWidth"] > 3700 and seen["right"] > seen["gridWidth"] - 4  # rows fill it
    assert min(seen["heights"]) > 200  # rows grow with the screen (112 px on phones)
    # The small thumbnail is 256 px wide at most: a wider tile takes a bigger one (these
    # test pictures are small, so the bigger ones are the picture's own size).
    wide = [src for width, src in seen["picked"] if width > 256]
    assert len(wide) > 20 and not [s for s in wide if "/small?" in s], seen["picked"]


def test_filters_live_in_the_url(big: dict[str, Any], page: Any) -> None:
    base, beach = big["base"], big["tags"]["Beach"]
    page.goto(base + "/")
    _grid_ready(page)

    page.click(".seg[data-kind='image']")
    until(page, "() => location.search === '?kind=image'")
    until(page, "() => document.querySelector(\".seg[data-kind='image']\").ariaPressed === 'true'")

    # A tag from the picker in the filter panel: the view is the tag's.
    page.click("#toggle-filters")
    page.fill("#filter-tag", "bea")
    page.wait_for_selector("#filters [role=option]:has-text('Beach')")
    page.keyboard.press("Enter")
    until(page, f"() => location.search === '?kind=image&tag={beach}'")
    until(page, "() => document.getElementById('view-title').textContent === 'Beach'")
    expected = _api(base, "/api/v1/items/count", kind="image", tag=beach)["count"]
    until(page, f"() => document.getElementById('count').textContent.startsWith('{expected:,}')")
    assert 0 < expected < ITEMS

    page.click("#filters [data-orientation='portrait']")
    until(page, f"() => location.search === '?kind=image&tag={beach}&orientation=portrait'")
    portrait = _api(base, "/api/v1/items/count", kind="image", tag=beach, orientation="portrait")[
        "count"
    ]
    assert 0 < portrait < expected
    until(page, f"() => document.getElementById('count').textContent.startsWith('{portrait:,}')")
    shown = page.evaluate(
        "() => [...document.querySelectorAll('#grid .tile')].slice(0, 30)"
        ".map((t) => t.getBoundingClientRect()).map((r) => r.height > r.width)"
    )
    assert shown and all(shown)  # portrait tiles only
    chips = page.evaluate("() => [...document.querySelectorAll('.chip')].map((c) => c.textContent)")
    assert [c.strip() for c in chips] == ["Tag: Beach", "Portrait"]

    # A reload keeps the view.
    page.reload()
    _grid_ready(page)
    assert page.text_content("#view-title") == "Beach"
    assert _count_shown(page) == portrait
    assert page.get_attribute(".seg[data-kind='image']", "aria-pressed") == "true"

    # Back and forward go through the views.
    page.go_back()
    until(page, f"() => location.search === '?kind=image&tag={beach}'")
    until(page, f"() => document.getElementById('count').textContent.startsWith('{expected:,}')")
    page.go_back()
    until(page, "() => location.search === '?kind=image'")
    until(page, "() => document.getElementById('view-title').textContent === 'Photos'")
    page.go_forward()
    until(page, f"() => location.search === '?kind=image&tag={beach}'")
    until(page, "() => document.getElementById('view-title').textContent === 'Beach'")

    # A chip takes its filter away.
    page.click(f".chip[data-chip='tag={beach}']")
    until(page, "() => location.search === '?kind=image'")

    # A sort, and a folder view by URL with its trail.
    page.goto(base + "/?folder=2025/album_01&sort=name")
    _grid_ready(page)
    assert page.text_content("#view-title") == "album_01"
    assert page.input_value("#sort") == "name"
    names = page.evaluate(
        "() => [...document.querySelectorAll('#grid .tile')].slice(0, 20).map((t) => t.title)"
    )
    assert names == sorted(names) and all(n.startswith("2025/album_01/") for n in names)
    folder = _api(base, "/api/v1/items/count", folder="2025/album_01")["count"]
    assert _count_shown(page) == folder


def test_select_mode_bulk_tag_rate_and_favourite(big: dict[str, Any], page: Any) -> None:
    base = big["base"]
    page.goto(base + "/")
    _grid_ready(page)
    until(page, "() => !document.getElementById('select-mode').disabled")
    writes: list[str] = []

    def sent(request: Any) -> None:
        if request.method != "GET":
            writes.append(f"{request.method} {request.url.removeprefix(base)}")

    page.on("request", sent)
    page.click("#select-mode")
    page.click('.tile[data-index="2"]')
    page.click('.tile[data-index="6"]', modifiers=["Shift"])
    until(page, "() => document.getElementById('selected-count').textContent === '5 selected'")
    ids = page.evaluate(
        "() => [...document.querySelectorAll('.tile[aria-checked=\"true\"]')]"
        ".map((t) => Number(t.dataset.id))"
    )
    listed = [i["id"] for i in _api(base, "/api/v1/items", limit=10)["items"]]
    assert sorted(ids) == sorted(listed[2:7])

    page.click("#bulk-tag")
    page.fill("#tag-search", "Picked by hand")
    page.wait_for_selector("#tag-dialog [role=option]:has-text('Create')")
    page.keyboard.press("Enter")
    page.click("#tag-dialog button[type=submit]")
    page.wait_for_selector(".toast:has-text('Tagged 5 items')")
    page.click(".stars [data-stars='4']")
    page.wait_for_selector(".toast:has-text('Rated')")
    page.click("#bulk-favourite")
    page.wait_for_selector(".toast:has-text('Added to favourites')")
    # One request each for the five, not one per item.
    assert writes == [
        "POST /api/v1/tags/attach",
        "POST /api/v1/ratings/set",
        "POST /api/v1/favorites/add",
    ]
    page.keyboard.press("Escape")
    until(page, "() => !document.getElementById('selected-count')")

    page.reload()
    _grid_ready(page)
    for item_id in ids:
        item = _api(base, f"/api/v1/items/{item_id}")
        assert "Picked by hand" in [t["name"] for t in item["tags"]]
        assert item["rating"]["mine"] == 80
        assert item["favorite"] is True
        assert page.is_visible(f".tile[data-id='{item_id}'] .fav")
    others = [i for i in listed if i not in ids]
    assert _api(base, f"/api/v1/items/{others[0]}")["favorite"] is False

    # Unfavourite two and clear their ratings: one request each, kept after a reload.
    writes.clear()
    page.click("#select-mode")
    page.click(f".tile[data-id='{ids[0]}']")
    page.click(f".tile[data-id='{ids[1]}']")
    page.click("#bulk-unfavourite")
    page.wait_for_selector(".toast:has-text('Removed from favourites: 2 items')")
    page.click(".rate.clear")
    page.wait_for_selector(".toast:has-text('Ratings cleared: 2 items')")
    assert writes == ["POST /api/v1/favorites/remove", "POST /api/v1/ratings/set"]
    page.keyboard.press("Escape")
    page.reload()
    _grid_ready(page)
    for item_id in ids:
        item = _api(base, f"/api/v1/items/{item_id}")
        cleared = item_id in ids[:2]
        assert item["favorite"] is not cleared
        assert item["rating"]["mine"] == (None if cleared else 80)
        assert page.is_visible(f".tile[data-id='{item_id}'] .fav") is not cleared

    # A drag from one tile across others selects them all.
    first = page.query_selector('.tile[data-index="0"]').bounding_box()
    third = page.query_selector('.tile[data-index="2"]').bounding_box()
    page.mouse.move(first["x"] + 50, first["y"] + 50)  # (away from the check circle)
    page.mouse.down()
    page.mouse.move(first["x"] + 80, first["y"] + 70, steps=4)
    page.mouse.move(third["x"] + 10, third["y"] + 60, steps=8)
    page.mouse.up()
    until(page, "() => document.getElementById('selected-count')?.textContent === '3 selected'")
    assert page.evaluate("() => location.pathname") == "/"  # the drag opened nothing
    page.keyboard.press("Escape")


def test_the_folder_picker_filters_the_grid_and_the_url(big: dict[str, Any], page: Any) -> None:
    base = big["base"]
    page.goto(base + "/")
    _grid_ready(page)
    page.click("#toggle-filters")
    page.wait_for_selector("#folder-picker [data-folder='2025']")
    picks = "els => els.map(e => e.dataset.folder)"
    shown = page.eval_on_selector_all("#folder-picker .pick", picks)
    assert shown == [f["path"] for f in _api(base, "/api/v1/folders")["folders"]]

    # Down into 2025, and pick an album: the grid and the URL are that folder's.
    page.click("#folder-picker [data-open='2025']")
    page.click("#folder-picker [data-folder='2025/album_01']")
    folder = "() => new URLSearchParams(location.search).get('folder')"
    until(page, f"() => ({folder})() === '2025/album_01'")
    until(page, "() => document.getElementById('view-title').textContent === 'album_01'")
    count = _api(base, "/api/v1/items/count", folder="2025/album_01")["count"]
    until(page, f"() => document.getElementById('count').textContent.startsWith('{count:,}')")
    titles = page.eval_on_selector_all("#grid .tile", "els => els.slice(0, 20).map(e => e.title)")
    assert titles and all(t.startswith("2025/album_01/") for t in titles)
    picked = page.get_attribute("#folder-picker [data-folder='2025/album_01']", "aria-pressed")
    assert picked == "true"

    # Up to the top, pick 2025 (no item right in it), then with its sub-folders.
    page.click("#folder-picker .step:has-text('All folders')")
    page.click("#folder-picker [data-folder='2025']")
    until(page, f"() => ({folder})() === '2025'")
    page.wait_for_selector("#nothing")
    page.check("#filter-recursive")
    until(page, "() => new URLSearchParams(location.search).get('recursive') === '1'")
    every = _api(base, "/api/v1/items/count", folder="2025", recursive="true")["count"]
    until(page, f"() => document.getElementById('count').textContent.startsWith('{every:,}')")

    # "Any folder" takes the filter away.
    page.click("#folder-any")
    until(page, "() => location.search === ''")
    until(page, f"() => document.getElementById('count').textContent.startsWith('{ITEMS:,}')")


def test_the_arrow_keys_move_between_tiles(big: dict[str, Any], page: Any) -> None:
    page.goto(big["base"] + "/")
    _grid_ready(page)
    focused = "() => Number(document.activeElement?.dataset?.index ?? -1)"
    page.focus('.tile[data-index="0"]')
    page.keyboard.press("ArrowRight")
    assert page.evaluate(focused) == 1
    page.keyboard.press("ArrowLeft")
    assert page.evaluate(focused) == 0
    for _ in range(12):  # down, row after row, the page scrolling along
        page.keyboard.press("ArrowDown")
        page.wait_for_timeout(50)
    index = page.evaluate(focused)
    assert index > 12, index
    visible = page.evaluate(
        "() => { const r = document.activeElement.getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= innerHeight; }"
    )
    assert visible
    page.keyboard.press("ArrowUp")
    assert 0 <= page.evaluate(focused) < index


def test_an_image_opens_in_the_lightbox_and_pages_through_the_view(
    big: dict[str, Any], page: Any
) -> None:
    page.goto(big["base"] + "/?kind=image")
    _grid_ready(page)
    first = _api(big["base"], "/api/v1/items", kind="image", limit=3)["items"]
    page.click('.tile[data-index="1"]')
    page.wait_for_selector("[role=dialog]")
    assert page.text_content("#lb-position") == "2"
    assert first[1]["name"] in (page.get_attribute("[role=dialog]", "aria-label") or "")
    page.keyboard.press("ArrowRight")
    until(page, "() => document.getElementById('lb-position').textContent === '3'")
    assert first[2]["name"] in (page.get_attribute("[role=dialog]", "aria-label") or "")
    page.keyboard.press("Escape")
    until(page, "() => !document.querySelector('[role=dialog]')")
    assert page.url.endswith("/?kind=image") or "kind=image" in page.url  # still the gallery


def test_a_link_to_an_item_opens_the_viewer_on_load(big: dict[str, Any], page: Any) -> None:
    base = big["base"]
    first = _api(base, "/api/v1/items", limit=5)["items"]
    page.goto(f"{base}/#item={first[3]['id']}")
    page.wait_for_selector("[role=dialog]")
    assert page.text_content("#lb-position") == "4"  # in the view's list: → goes on
    assert first[3]["name"] in (page.get_attribute("[role=dialog]", "aria-label") or "")
    page.keyboard.press("ArrowRight")
    until(page, "() => document.getElementById('lb-position').textContent === '5'")
    # Back closes it, and the gallery is still there.
    page.go_back()
    page.wait_for_selector("[role=dialog]", state="detached")
    assert page.url == f"{base}/"
    assert page.is_visible("#grid .tile")

    # The oldest photo is the view's last: not in the first page, so fetched by id.
    oldest = _api(base, "/api/v1/items", limit=1, sort="date")["items"][0]
    page.goto(f"{base}/?kind=image#item={oldest['id']}")
    page.wait_for_selector("[role=dialog]")
    assert oldest["name"] in (page.get_attribute("[role=dialog]", "aria-label") or "")
    assert not page.query_selector(f"#grid .tile[data-id='{oldest['id']}']")
    page.keyboard.press("Escape")
    page.wait_for_selector("[role=dialog]", state="detached")
    assert page.url == f"{base}/?kind=image"

    # An id that is not there: a message, no viewer.
    page.goto(f"{base}/?kind=video#item=99999999")
    page.wait_for_selector(".toast.bad:has-text('Could not open item 99999999')")
    assert not page.query_selector("[role=dialog]")


def test_a_bad_filter_in_the_url_says_what_is_wrong(big: dict[str, Any], page: Any) -> None:
    page.goto(big["base"] + "/?rating_min=9&kind=picture")
    until(page, "() => !!document.getElementById('message')")
    text = page.text_content("#message") or ""
    assert "not valid" in text and "rating_min" in text and "kind" in text, text
    assert page.query_selector("#grid") is None
    page.click("#message a:has-text('whole library')")
    until(page, "() => location.search === ''")
    _grid_ready(page)
    assert not page.query_selector("#message")


def test_no_layout_shift_while_thumbnails_load(big: dict[str, Any], page: Any) -> None:
    page.route("**/api/v1/thumbnails/**", lambda route: route.continue_())  # (no HTTP cache)
    page.goto(big["base"] + "/?sort=-size")
    _grid_ready(page)
    boxes = page.evaluate(
        "() => [...document.querySelectorAll('#grid .tile')].slice(0, 12)"
        ".map((t) => JSON.stringify(t.getBoundingClientRect()))"
    )
    until(page, IMAGES_IN_VIEW_LOADED)
    page.wait_for_timeout(300)
    after = page.evaluate(
        "() => [...document.querySelectorAll('#grid .tile')].slice(0, 12)"
        ".map((t) => JSON.stringify(t.getBoundingClientRect()))"
    )
    assert boxes == after  # every tile's box was final before its image came
    shifts = page.evaluate("() => window.__shifts")
    assert sum(shifts) < 0.001, shifts


def test_the_page_breaks_no_csp_rule(
    big: dict[str, Any], page: Any, reports: dict[str, list[str]]
) -> None:
    """Both themes, the filter panel, select mode and a dialog: no violation (the
    `page` fixture checks what the page and the console reported)."""
    for theme in ("dark", "light"):
        page.goto(big["base"] + "/")
        page.evaluate(f"() => localStorage.setItem('mediashelf-theme', '{theme}')")
        page.reload()
        _grid_ready(page)
        until(page, IMAGES_IN_VIEW_LOADED)
        assert page.evaluate("() => document.documentElement.dataset.theme") == theme
        page.click("#toggle-filters")
        page.wait_for_selector("#filters")
        page.click("#select-mode")
        page.click('.tile[data-index="1"]')
        page.click("#bulk-photoset")
        page.wait_for_selector("#photoset-dialog[open]")
        page.keyboard.press("Escape")
        page.keyboard.press("Escape")
    page.evaluate("() => localStorage.removeItem('mediashelf-theme')")
    assert page.evaluate("() => window.__csp") == [] and reports["csp"] == []
    # The detectors work: an inline style is refused, and reported to both.
    page.evaluate("h => document.body.insertAdjacentHTML('beforeend', h)", INLINE_STYLE)
    until(page, "() => window.__csp.length > 0")
    page.wait_for_timeout(200)
    assert reports["csp"], "the console reported no violation"
    reports["csp"].clear()
    page.evaluate("() => { window.__csp = []; }")


# -- video previews ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def previews(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if ffprobe_binary() is None:
        pytest.skip("no ffprobe on this machine")
    tmp = tmp_path_factory.mktemp("gallery-video")
    prepared_library(tmp)
    with served(site_env(tmp), tmp) as base:
        yield base


def test_a_video_scrubs_its_strip_and_plays_its_teaser(previews: str, page: Any) -> None:
    page.goto(previews + "/?kind=video")
    page.wait_for_selector(".tile.video img")
    assert page.text_content(".tile.video .badge") == "0:02"
    box = page.query_selector(".tile.video").bounding_box()
    y = box["y"] + box["height"] / 2
    scrub = "() => document.querySelector('.tile.video .scrub')?.style.backgroundPosition ?? null"
    for k in range(100):  # the strip loads on the first hover, then the frames follow
        page.mouse.move(box["x"] + 5 + (k % 2) * 10, y)
        if page.evaluate(scrub):
            break
        page.wait_for_timeout(50)
    positions = set()
    for k in range(1, 10):
        page.mouse.move(box["x"] + box["width"] * k / 10, y)
        positions.add(page.evaluate(scrub))
    assert len(positions - {None}) >= 3, positions  # the frame follows the pointer
    # Resting, the teaser plays.
    until(
        page,
        "() => { const v = document.querySelector('.tile.video video.teaser');"
        " return !!v && v.currentTime > 0.2 && !v.paused; }",
        15,
    )
    page.mouse.move(1, 1)
    until(page, "() => !document.querySelector('.tile.video video.teaser')")


# -- who may edit, and an empty library -------------------------------------------------


@pytest.fixture(scope="module")
def accounts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("gallery-auth")
    db_url, _ = _library(tmp, 40)
    engine = make_engine(db_url)
    with Session(engine) as db:
        users.create(db, "vera", PASSWORD, "viewer")
        users.create(db, "mia", PASSWORD, "member")
    engine.dispose()
    with served(site_env(tmp, AUTH="on"), tmp) as base:
        yield base


def _as(page: Any, base: str, username: str) -> None:
    login = page.context.request.post(
        f"{base}/api/v1/auth/login", data={"username": username, "password": PASSWORD}
    )
    assert login.status == 200, login.text()


def test_a_viewer_sees_no_edit_controls(accounts: str, page: Any) -> None:
    _as(page, accounts, "mia")
    page.goto(accounts + "/")
    _grid_ready(page)
    page.wait_for_selector("#select-mode")  # a member may
    assert page.query_selector_all("#grid .tile .check")
    page.click("#account-button")  # the user menu
    page.click("#account-menu .logout")
    page.wait_for_url("**/login")

    _as(page, accounts, "vera")
    page.goto(accounts + "/")
    _grid_ready(page)
    until(page, "() => document.querySelector('#account .user') !== null")
    page.wait_for_timeout(300)  # whoever she is is known: the controls would be there
    assert page.query_selector("#select-mode") is None
    assert page.query_selector_all("#grid .tile .check") == []
    page.click('.tile[data-index="0"]', modifiers=["Shift"])  # no select mode either
    assert page.query_selector("#selected-count") is None


@pytest.fixture(scope="module")
def empty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("gallery-empty")
    (tmp / "media").mkdir()
    db_url = f"sqlite:///{tmp / 'data' / 'mediashelf.db'}"
    engine = make_engine(db_url)
    upgrade(engine)
    with served(site_env(tmp), tmp) as base:
        yield {
            "base": base,
            "engine": engine,
            "settings": make_settings(tmp, tmp / "media", db_url),
        }
    engine.dispose()


def test_an_empty_library_says_how_to_add_media(empty: dict[str, Any], page: Any) -> None:
    base = empty["base"]
    page.goto(base + "/")
    page.wait_for_selector("#empty")
    text = page.text_content("#empty") or ""
    assert "Your library is empty" in text and "MEDIA_DIR" in text and "mediashelf scan" in text
    page.wait_for_selector("#empty a[href='/admin']")  # the admin's way to the dashboard
    assert page.is_visible("#empty button:has-text('Scan now')")
    assert page.query_selector("#message") is None
    page.goto(base + "/?kind=video")  # a filtered view with nothing in it is no first run
    page.wait_for_selector("#nothing")
    assert page.query_selector("#empty") is None


def test_new_items_and_late_thumbnails_arrive_live(empty: dict[str, Any], page: Any) -> None:
    """A scan finds a file (the live stream says so): the first-run screen gives way to
    the grid; its thumbnail is made later (a job ends): the tile's image fills in."""
    engine, settings = empty["engine"], empty["settings"]
    page.goto(empty["base"] + "/")
    page.wait_for_selector("#empty")
    factory.jpeg(Path(settings.root_paths[0]) / "arrived.jpg", (400, 300), seed=9)
    scan(engine, settings)
    with engine.begin() as conn:
        events.emit(conn, "library", job=1, paths=None, new=1, changed=0, moved=0, missing=0)
    until(page, "() => document.querySelectorAll('#grid .tile').length === 1", 30)
    assert page.query_selector("#empty") is None
    until(page, "() => { const i = document.querySelector('#grid .tile img');"
          " return i.complete && i.naturalWidth === 0; }", 30)  # fmt: skip
    run_thumbnails(engine, settings)
    with engine.begin() as conn:
        events.emit(conn, "job", id=2, kind="thumbnail", status="done", error=None)
    until(page, "() => { const i = document.querySelector('#grid .tile img');"
          " return i.complete && i.naturalWidth > 0; }", 30)  # fmt: skip
    assert page.get_attribute("#grid .tile", "title") == "arrived.jpg"
