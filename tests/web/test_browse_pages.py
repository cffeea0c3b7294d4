"""The browse pages (/tags, /performers, /studios, /discover) and the photosets
(/photosets, /photosets/{id}) in a real browser (Debian's Chromium via Playwright) against
a real `mediashelf serve`: a photoset created from the page and reordered by drag and drop
and by keyboard (the order, the cover and a removal kept, as the API says); the tag list
with counts, covers, search in the URL and cards that open the gallery filtered; a
performer renamed, tags merged and deleted; discover's seeded order stable across a
reload with the seed in the URL, and a reshuffle changing it; a viewer sees no edit
controls; an API failure is a readable message; nothing overflows a 360 px screen, no
layout shift as covers load, and not one Content-Security-Policy violation.

The pages are the Svelte ones (frontend/src/pages/browse, …/photosets), built by
`make setup`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session

from mediashelf.auth import users
from mediashelf.db.engine import make_engine
from tests import factory
from tests.browser import RECORD, chromium, needs_chromium, until
from tests.serving import scanned_site, served

pytestmark = [needs_chromium, pytest.mark.timeout(300)]

PASSWORD = "a long browse password"
PAYLOAD = '<img src=x onerror="window.__xss=1">'

# Records what the page reports: CSP violations, and layout shifts (not caused by input).
# Playwright adds init scripts through the DevTools protocol: the page's CSP allows it.


def _library(tmp: Path) -> tuple[str, dict[str, str]]:
    """Nine photos in two folders and a video, scanned and thumbnailed (SQLite): the
    database URL and the settings for `served`."""
    media = tmp / "media"
    shapes = [(320, 240), (240, 320), (300, 300), (400, 200), (270, 360), (360, 240)]
    for n in range(6):
        factory.jpeg(media / "Trip" / f"IMG_{n + 1}.jpg", shapes[n], (40 * n, 90, 160), seed=n + 1)
    for n in range(3):
        factory.jpeg(media / "Garden" / f"G_{n + 1}.jpg", (300, 200), (30, 150, 9 * n), seed=n + 20)
    factory.video(media / "Clips" / "clip.mp4", seconds=1.0)
    env = scanned_site(tmp, thumbnails=True)
    return env["DATABASE_URL"], env


class Api:
    """The JSON API, as the tests set things up and check them (AUTH off: admin)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.client = httpx.Client(base_url=f"{base}/api/v1", timeout=30)

    def get(self, path: str, **params: Any) -> Any:
        resp = self.client.get(path, params=params)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def send(self, method: str, path: str, body: Any = None) -> Any:
        resp = self.client.request(method, path, json=body)
        assert resp.status_code in (200, 201), resp.text
        return resp.json()

    def items(self) -> dict[str, int]:
        """Every item's id by file name."""
        return {i["name"]: i["id"] for i in self.get("/items", limit=100, sort="name")["items"]}

    def set_order(self, set_id: int) -> list[int]:
        return [i["id"] for i in self.get(f"/photosets/{set_id}/items", limit=500)["items"]]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("browse")
    _, env = _library(tmp)
    with served(env, tmp) as base:
        api = Api(base)
        ids = api.items()
        trip = [ids[f"IMG_{n}.jpg"] for n in range(1, 7)]
        api.send("POST", "/tags/attach", {"tags": ["Beach"], "items": trip[:3]})
        api.send("POST", "/tags/attach", {"tags": ["Snow"], "items": [ids["G_1.jpg"]]})
        api.send("POST", "/tags", {"name": "Empty", "aliases": []})
        api.send("POST", "/tags/attach", {"tags": [PAYLOAD], "items": [ids["G_2.jpg"]]})
        api.send("POST", "/performers/attach", {"performers": ["Ann Example"], "items": trip[:2]})
        api.send("POST", "/studios/attach", {"studios": ["Acme"], "items": [ids["G_3.jpg"]]})
        yield {"base": base, "api": api, "ids": ids, "trip": trip}
        api.client.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def reports() -> dict[str, list[str]]:
    """What the browser said on every page the tests opened: CSP messages, page errors."""
    return {"csp": [], "errors": []}


def _watch(context: Any, reports: dict[str, list[str]]) -> Any:
    page = context.new_page()
    page.add_init_script(RECORD)
    page.on("pageerror", lambda exc: reports["errors"].append(str(exc)))
    page.on(
        "console",
        lambda m: reports["csp"].append(m.text) if "Content Security Policy" in m.text else None,
    )
    return page


@pytest.fixture
def page(browser: Any, reports: dict[str, list[str]]) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="dark")
    page = _watch(context, reports)
    yield page
    violations = page.evaluate("() => window.__csp || []")
    context.close()
    assert violations == []
    assert reports["csp"] == [] and reports["errors"] == [], reports


def _ids(page: Any, selector: str) -> list[int]:
    found = page.eval_on_selector_all(selector, "els => els.map(e => e.dataset.id)")
    return [int(i) for i in found]


def _arranged(page: Any) -> list[int]:
    return [
        int(i)
        for i in page.eval_on_selector_all("#arrange > li", "els => els.map(e => e.dataset.itemId)")
    ]


def _saved(page: Any) -> None:
    until(page, "() => document.getElementById('save-state').textContent.trim() === 'Saved.'")


def _drag(page: Any, source: str, target: str) -> None:
    """Press on `source`, move to `target` in steps (as a hand would), release."""
    a = page.locator(source).bounding_box()
    b = page.locator(target).bounding_box()
    page.mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2)
    page.mouse.down()
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, steps=12)
    page.wait_for_timeout(100)
    page.mouse.up()


def _no_overflow(page: Any) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width


# -- photosets -----------------------------------------------------------------------------


def test_photoset_create_and_reorder(site: dict[str, Any], page: Any) -> None:
    base, api, trip = site["base"], site["api"], site["trip"]
    page.goto(f"{base}/photosets")
    page.wait_for_selector("#empty")
    assert "No photosets yet — create one, or make them from folders" in page.text_content("#empty")

    # Created from the page: the new set's page opens.
    page.click("#create")
    page.fill("#set-name", "Road trip")
    page.fill("#set-description", "Six days.\nMostly roads.")
    page.click("#create-dialog button[type=submit]")
    page.wait_for_url(f"{base}/photosets/*")
    set_id = int(page.url.rsplit("/", 1)[1])
    page.wait_for_selector("#empty")  # nothing in it yet
    assert page.text_content("#name") == "Road trip"
    assert api.get(f"/photosets/{set_id}")["description"] == "Six days.\nMostly roads."

    api.send("POST", f"/photosets/{set_id}/items/add", {"items": trip})
    page.reload()
    until(page, "() => document.querySelectorAll('#items .tile').length === 6")
    assert _ids(page, "#items .tile") == trip
    assert "6 items" in page.text_content("#facts")
    assert page.evaluate("() => window.__shifts.reduce((a, b) => a + b, 0)") < 0.01

    page.click("#arrange")
    until(page, "() => document.querySelectorAll('#arrange > li').length === 6")
    a, b, c, d, e, f = trip

    # Drag and drop: the first onto the third's place.
    _drag(page, "#arrange > li:nth-child(1) .frame", "#arrange > li:nth-child(3) .frame")
    _saved(page)
    assert _arranged(page) == [b, c, a, d, e, f]
    assert api.set_order(set_id) == [b, c, a, d, e, f]

    # The keyboard: the last item's handle, Home; then another's "later" button twice.
    page.focus(f"#arrange > li[data-item-id='{f}'] .grip")
    page.keyboard.press("Home")
    _saved(page)
    assert _arranged(page) == [f, b, c, a, d, e]
    # The focus stays on the moved item's handle: arrows go on moving it.
    assert page.evaluate("() => document.activeElement.closest('li').dataset.itemId") == str(f)
    page.keyboard.press("ArrowRight")
    _saved(page)
    assert _arranged(page) == [b, f, c, a, d, e]
    page.click(f"#arrange > li[data-item-id='{c}'] .later")
    page.keyboard.press("Enter")  # the focus stayed on the button: pressed again
    _saved(page)
    assert _arranged(page) == [b, f, a, d, c, e]
    assert "position 5 of 6" in page.text_content("#moved")

    # The cover, and one item taken out.
    page.click(f"#arrange > li[data-item-id='{d}'] .make-cover")
    _saved(page)
    page.click(f"#arrange > li[data-item-id='{e}'] .remove")
    _saved(page)
    assert api.get(f"/photosets/{set_id}")["cover_item_id"] == d
    page.click("#done")

    # Reloaded: the order the page made is the set's, in the page and in the API.
    page.reload()
    until(page, "() => document.querySelectorAll('#items .tile').length === 5")
    assert _ids(page, "#items .tile") == [b, f, a, d, c]
    assert api.set_order(set_id) == [b, f, a, d, c]
    assert api.get(f"/photosets/{set_id}")["cover"]["id"] == d

    # The list shows it, with its cover and count, and opens it.
    page.goto(f"{base}/photosets")
    page.wait_for_selector(f"#sets .card[data-id='{set_id}']")
    card = f"#sets .card[data-id='{set_id}']"
    assert "5 items" in page.text_content(card)
    assert "/api/v1/thumbnails/" in page.get_attribute(f"{card} img", "src")
    page.click(f"{card} a")
    page.wait_for_url(f"{base}/photosets/{set_id}")


def test_photoset_details_are_edited_and_shown_safely(site: dict[str, Any], page: Any) -> None:
    base, api, trip = site["base"], site["api"], site["trip"]
    made = api.send("POST", "/photosets", {"name": "Details", "items": trip[:2]})
    page.goto(f"{base}/photosets/{made['id']}")
    page.wait_for_selector("#edit")
    page.click("#edit")
    page.fill("#f-name", "Summer")
    page.fill("#f-year", "2024")
    page.fill("#f-date", "2024-07-14")
    page.fill("#f-source", "https://example.com/summer")
    page.fill("#f-filename", "2024/Summer")
    page.fill("#f-tags", "Bea")
    page.click("#details-dialog .suggestion:has-text('Beach')")
    page.click("#save-details")
    until(page, "() => document.getElementById('name').textContent === 'Summer'")
    shown = api.get(f"/photosets/{made['id']}")
    assert (shown["year"], shown["source_url"]) == (2024, "https://example.com/summer")
    assert [t["name"] for t in shown["tags"]] == ["Beach"]
    assert "14 July 2024" in page.text_content("#facts")
    link = page.locator("#source")
    assert link.get_attribute("href") == "https://example.com/summer"
    assert link.get_attribute("rel") == "noopener noreferrer"
    beach = page.locator("#tags a")
    assert beach.get_attribute("href") == f"/?tag={shown['tags'][0]['id']}"
    # A source that is not http(s) never becomes a link (the API refuses one anyway).
    page.click("#edit")
    page.fill("#f-source", "javascript:alert(1)")
    page.click("#save-details")
    page.wait_for_selector("#details-dialog [role=alert]")
    page.keyboard.press("Escape")

    # Deleting the set from its page; a set that is gone says so.
    page.click("#delete")
    page.click("#confirm-delete")
    page.wait_for_url(f"{base}/photosets")
    page.goto(f"{base}/photosets/{made['id']}")
    page.wait_for_selector("#missing")
    assert "does not exist" in page.text_content("#missing")


# -- tags, performers, studios ------------------------------------------------------------


def test_tags_show_counts_and_covers_search_and_open_the_gallery(
    site: dict[str, Any], page: Any
) -> None:
    base, api = site["base"], site["api"]
    tags = {t["name"]: t for t in api.get("/tags")["tags"]}
    page.goto(f"{base}/tags")
    until(page, "() => document.querySelectorAll('#cards .card').length === 4")
    beach = f"#cards .card[data-id='{tags['Beach']['id']}']"
    assert "3 items" in page.text_content(beach)
    until(page, f'() => document.querySelector("{beach} img")?.naturalWidth > 0')
    assert (
        page.get_attribute(f"{beach} img", "src") == tags["Beach"]["cover"]["thumbnails"]["medium"]
    )
    empty = f"#cards .card[data-id='{tags['Empty']['id']}']"
    assert "0 items" in page.text_content(empty)
    assert page.query_selector(f"{empty} img") is None  # a placeholder, no broken image
    # Boxes sized before the covers came: nothing moved as they loaded.
    assert page.evaluate("() => window.__shifts.reduce((a, b) => a + b, 0)") < 0.01
    # A name that is HTML is shown as text.
    assert page.locator("#cards .name", has_text=PAYLOAD).count() == 1
    assert page.evaluate("() => window.__xss") is None

    page.fill("#q", "sn")
    until(page, "() => location.search === '?q=sn'")
    until(page, "() => document.querySelectorAll('#cards .card').length === 1")
    page.reload()
    until(page, "() => document.querySelectorAll('#cards .card').length === 1")
    assert page.input_value("#q") == "sn"
    page.fill("#q", "nothing like it")
    page.wait_for_selector("#empty")
    assert "No tags match" in page.text_content("#empty")
    page.fill("#q", "")
    until(page, "() => document.querySelectorAll('#cards .card').length === 4")

    page.select_option("#sort", "-count")
    until(page, "() => location.search === '?sort=-count'")
    until(page, "() => document.querySelector('#cards .card .name').textContent === 'Beach'")

    page.click(f"{beach} a")
    page.wait_for_url(f"{base}/?tag={tags['Beach']['id']}")


def test_a_performer_is_renamed(site: dict[str, Any], page: Any) -> None:
    base, api = site["base"], site["api"]
    (ann,) = api.get("/performers")["performers"]
    page.goto(f"{base}/performers")
    card = f"#cards .card[data-id='{ann['id']}']"
    page.wait_for_selector(card)
    assert "2 items" in page.text_content(card)
    assert page.get_attribute(f"{card} a", "href") == f"/?performer={ann['id']}"
    page.click(f"{card} .edit")
    page.fill("#rename", "Ann Renamed")
    page.click("#save-name")
    until(page, f"() => document.querySelector(\"{card} .name\").textContent === 'Ann Renamed'")
    assert api.get(f"/performers/{ann['id']}")["name"] == "Ann Renamed"
    assert "Renamed" in page.text_content("[role=status]")
    # A taken name is refused, with the server's reason.
    api.send("POST", "/performers", {"name": "Bob", "aliases": []})
    page.click(f"{card} .edit")
    page.fill("#rename", "bob")
    page.click("#save-name")
    page.wait_for_selector("#edit-dialog [role=alert]")
    assert api.get(f"/performers/{ann['id']}")["name"] == "Ann Renamed"


def test_tags_are_merged_and_deleted(site: dict[str, Any], page: Any) -> None:
    base, api, ids = site["base"], site["api"], site["ids"]
    snow = next(t for t in api.get("/tags")["tags"] if t["name"] == "Snow")
    ice = api.send("POST", "/tags", {"name": "Ice", "aliases": []})
    api.send("POST", "/tags/attach", {"tags": [ice["id"]], "items": [ids["G_3.jpg"]]})
    page.goto(f"{base}/tags")
    card = f"#cards .card[data-id='{snow['id']}']"
    page.wait_for_selector(card)
    page.click(f"{card} .edit")
    page.fill("#merge-from", "ic")
    page.click("#edit-dialog .suggestion:has-text('Ice')")
    page.click("#merge")
    until(page, f"() => !document.querySelector(\"#cards .card[data-id='{ice['id']}']\")")
    assert "2 items" in page.text_content(card)
    assert "Ice" in api.get(f"/tags/{snow['id']}")["aliases"]

    page.click(f"{card} .edit")
    page.click("#delete-entry")  # asks first…
    assert "Yes, delete" in page.text_content("#delete-entry")
    page.click("#delete-entry")  # …then does
    until(page, f'() => !document.querySelector("{card}")')
    assert httpx.get(f"{base}/api/v1/tags/{snow['id']}").status_code == 404


def test_studios_list_and_a_failing_api_is_a_message(site: dict[str, Any], page: Any) -> None:
    base = site["base"]
    page.goto(f"{base}/studios")
    page.wait_for_selector("#cards .card")
    assert "Acme" in page.text_content("#cards")
    page.route(
        "**/api/v1/studios?*",
        lambda route: route.fulfill(
            status=500, content_type="application/json", body='{"detail": "the disk is on fire"}'
        ),
    )
    page.reload()
    page.wait_for_selector("#error")
    assert "the disk is on fire" in page.text_content("#error")
    page.unroute("**/api/v1/studios?*")
    page.click("#error button")  # try again
    page.wait_for_selector("#cards .card")


def test_more_cards_come_as_the_page_scrolls(site: dict[str, Any], page: Any) -> None:
    api = site["api"]
    for n in range(65):
        api.send("POST", "/studios", {"name": f"Studio {n:02d}", "aliases": []})
    total = len(api.get("/studios", limit=500)["studios"])
    page.goto(f"{site['base']}/studios")
    until(page, "() => document.querySelectorAll('#cards .card').length === 60")  # a page
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    until(page, f"() => document.querySelectorAll('#cards .card').length === {total}")
    shown = _ids(page, "#cards .card")
    assert len(set(shown)) == total


# -- discover ------------------------------------------------------------------------------


def test_discover_keeps_its_seeded_order_in_the_url(site: dict[str, Any], page: Any) -> None:
    base, api = site["base"], site["api"]
    expected = [i["id"] for i in api.get("/random/seeded/42", limit=100)["items"]]
    assert len(expected) == 10
    page.goto(f"{base}/discover?seed=42")
    until(page, "() => document.querySelectorAll('#shuffled .tile').length === 10")
    assert _ids(page, "#shuffled .tile") == expected
    assert page.text_content("#seed") == "42"
    page.reload()
    until(page, "() => document.querySelectorAll('#shuffled .tile').length === 10")
    assert _ids(page, "#shuffled .tile") == expected
    assert page.url == f"{base}/discover?seed=42"

    page.click("#reshuffle")
    until(page, "() => new URLSearchParams(location.search).get('seed') !== '42'")
    seed = page.evaluate("() => new URLSearchParams(location.search).get('seed')")
    assert page.text_content("#seed") == seed
    until(page, "() => document.querySelectorAll('#shuffled .tile').length === 10")
    reshuffled = _ids(page, "#shuffled .tile")
    assert sorted(reshuffled) == sorted(expected) and reshuffled != expected
    assert reshuffled == [i["id"] for i in api.get(f"/random/seeded/{seed}")["items"]]

    page.go_back()  # the last seed is in the history
    until(page, "() => location.search === '?seed=42'")
    until(page, "() => document.getElementById('seed').textContent === '42'")
    page.fill("#seed-input", "7")
    page.press("#seed-input", "Enter")
    until(page, "() => location.search === '?seed=7'")

    # Videos only: the kind joins the seed in the URL; a video's tile opens its page.
    page.click(".segmented button[data-kind=video]")
    until(page, "() => location.search === '?seed=7&kind=video'")
    until(page, "() => document.querySelectorAll('#shuffled .tile').length === 1")
    (video,) = _ids(page, "#shuffled .tile")
    assert page.get_attribute("#shuffled .tile", "href") == f"/watch/{video}"
    until(page, "() => document.querySelectorAll('#picks .tile').length === 1")
    until(page, "() => !!document.querySelector('.spotlight .hero[data-id]')")

    # No seed in the URL: one is chosen and put there, without a step in the history.
    page.goto(f"{base}/discover")
    until(page, "() => /^\\?seed=\\d+$/.test(location.search)")
    until(page, "() => document.querySelectorAll('#shuffled .tile').length === 10")
    until(page, "() => document.querySelectorAll('#picks .tile').length === 8")
    images = page.eval_on_selector_all("#picks .tile", "els => els.map(e => e.href)")
    assert all("/api/v1/items/" in h or "/watch/" in h for h in images), images


def test_nothing_overflows_a_phone(site: dict[str, Any], browser: Any, reports: Any) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, color_scheme="light")
    page = _watch(context, reports)
    for path in ("/tags", "/performers", "/discover?seed=3", "/photosets"):
        page.goto(site["base"] + path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("() => document.documentElement.dataset.theme") == "light"
        _no_overflow(page)
    sets = site["api"].get("/photosets")["photosets"]
    page.goto(f"{site['base']}/photosets/{sets[0]['id']}")
    page.wait_for_selector("#items .tile")
    _no_overflow(page)
    page.click("#arrange")
    page.wait_for_selector("#arrange > li")
    _no_overflow(page)
    assert page.evaluate("() => window.__csp") == []
    context.close()
    assert reports["csp"] == [] and reports["errors"] == [], reports


def test_the_csp_detector_sees_a_violation(site: dict[str, Any], browser: Any) -> None:
    """The checks above would pass if the detector saw nothing: it does see one."""
    context = browser.new_context()
    page = context.new_page()
    page.add_init_script(RECORD)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    page.goto(f"{site['base']}/tags")
    page.wait_for_selector("#cards .card")
    page.evaluate("() => document.body.insertAdjacentHTML('beforeend', '<i style=\"x:y\">x</i>')")
    until(page, "() => window.__csp.length > 0")
    page.wait_for_timeout(200)
    assert any("Content Security Policy" in m for m in console)
    context.close()


# -- who may edit -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def accounts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("browse-auth")
    db_url, env = _library(tmp)
    engine = make_engine(db_url)
    with Session(engine) as db:
        users.create(db, "vera", PASSWORD, "viewer")
        users.create(db, "mia", PASSWORD, "member")
    engine.dispose()
    with served({**env, "AUTH": "on"}, tmp) as base:
        client = httpx.Client(base_url=base)
        assert client.post(
            "/api/v1/auth/login", json={"username": "mia", "password": PASSWORD}
        ).is_success
        csrf = {"x-csrf-token": client.cookies["mediashelf_csrf"]}
        items = client.get("/api/v1/items", params={"limit": 3}).json()["items"]
        ids = [i["id"] for i in items]
        for kind in ("tags", "performers", "studios"):
            body = {kind: ["Shared"], "items": ids[:1]}
            assert client.post(f"/api/v1/{kind}/attach", json=body, headers=csrf).is_success
        made = client.post(
            "/api/v1/photosets", json={"name": "Theirs", "items": ids}, headers=csrf
        ).json()
        client.close()
        yield {"base": base, "set": made["id"]}


def _as(page: Any, base: str, username: str) -> None:
    login = page.context.request.post(
        f"{base}/api/v1/auth/login", data={"username": username, "password": PASSWORD}
    )
    assert login.status == 200, login.text()


EDIT_CONTROLS = "#create, #from-folders, .card .edit, #edit-controls, #edit, #arrange, #delete"


def test_a_viewer_sees_no_edit_controls(accounts: dict[str, Any], page: Any) -> None:
    base = accounts["base"]
    _as(page, base, "mia")  # a member may: the controls are there
    page.goto(f"{base}/tags")
    page.wait_for_selector("#cards .card .edit")
    page.wait_for_selector("#create")
    page.goto(f"{base}/photosets/{accounts['set']}")
    page.wait_for_selector("#arrange")
    page.context.clear_cookies()

    _as(page, base, "vera")
    pages = {
        "/tags": "#cards .card",
        "/performers": "#cards .card",
        "/studios": "#cards .card",
        "/photosets": "#sets .card",
        f"/photosets/{accounts['set']}": "#items .tile",
        "/discover": "#shuffled .tile",
    }
    for path, content in pages.items():
        page.goto(base + path)
        page.wait_for_selector(content)
        until(page, "() => document.querySelector('#account .user') !== null")
        page.wait_for_timeout(300)  # who she is is known: the controls would be there
        assert page.query_selector_all(EDIT_CONTROLS) == [], path
    # The nav leads everywhere the viewer may go (no dashboard: she is no admin).
    links = page.eval_on_selector_all("nav[aria-label=Main] a", "els => els.map(e => e.pathname)")
    assert links == ["/", "/photosets", "/tags", "/performers", "/studios", "/discover"]
