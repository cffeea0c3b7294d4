"""Photosets: CRUD, the ordered list of items, covers, tags and people on sets, the
paged list with its sorts and filters, sets from folders, access, and a set that keeps
its items when a file moves. On SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from mediashelf.config import Settings
from mediashelf.db.engine import make_engine
from mediashelf.db.models import Item, Photoset, PhotosetItem
from mediashelf.library.scan import scan
from tests import factory
from tests.conftest import signed_in
from tests.web.conftest import all_items, scanned_library

URL = "/api/v1/photosets"


def _files(media: Path) -> None:
    factory.jpeg(media / "trip" / "IMG_10.jpg", seed=1)
    factory.jpeg(media / "trip" / "IMG_2.jpg", seed=2)
    factory.jpeg(media / "trip" / "img_1.jpg", seed=3)
    factory.video(media / "trip" / "clip.mp4", seconds=0.5)
    factory.jpeg(media / "2024" / "summer" / "a.jpg", seed=4)
    factory.jpeg(media / "2024" / "summer" / "beach" / "b.jpg", seed=5)
    factory.jpeg(media / "2024" / "summer" / "beach" / "c.jpg", seed=6)
    factory.jpeg(media / "2024" / "winter" / "d.jpg", seed=7)
    factory.jpeg(media / "top.jpg", seed=8)


@dataclass
class Lib:
    client: TestClient
    app: FastAPI
    settings: Settings
    ids: dict[str, int]  # rel path → item id

    def id(self, name: str) -> int:
        """The id of the item whose file is called `name` (unique in the library)."""
        (found,) = [i for path, i in self.ids.items() if path.rsplit("/", 1)[-1] == name]
        return found


@pytest.fixture
def lib(tmp_path: Path, db_url: str) -> Iterator[Lib]:
    with scanned_library(tmp_path, db_url, _files) as (client, settings):
        ids = {i["path"]: i["id"] for i in all_items(client)}
        assert len(ids) == 9
        yield Lib(client, client.app, settings, ids)  # type: ignore[arg-type]


def _ok(resp: Any, status: int = 200) -> Any:
    assert resp.status_code == status, resp.text
    return resp.json()


def _make(client: TestClient, **body: Any) -> dict[str, Any]:
    created: dict[str, Any] = _ok(client.post(URL, json=body), 201)
    return created


def _get(client: TestClient, set_id: int) -> dict[str, Any]:
    shown: dict[str, Any] = _ok(client.get(f"{URL}/{set_id}"))
    return shown


def _order(client: TestClient, set_id: int) -> list[int]:
    """The set's item ids in order, two to a page: the position cursor at work."""
    out: list[int] = []
    positions: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = _ok(client.get(f"{URL}/{set_id}/items", params=params))
        out += [i["id"] for i in page["items"]]
        positions += [i["position"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert positions == sorted(positions)
    return out


def _positions(lib: Lib, set_id: int) -> list[int]:
    """The stored positions of the set's rows, in order: dense is 0, 1, 2, …"""
    with lib.app.state.sessions() as db:
        query = (
            select(PhotosetItem.position)
            .where(PhotosetItem.photoset_id == set_id)
            .order_by(PhotosetItem.position)
        )
        return list(db.scalars(query))


def _rescan(lib: Lib) -> Any:
    engine = make_engine(lib.settings.db_url)
    try:
        return scan(engine, lib.settings)
    finally:
        engine.dispose()


# -- CRUD ---------------------------------------------------------------------------------


def test_create_read_change_delete(lib: Lib) -> None:
    a, b = lib.id("a.jpg"), lib.id("b.jpg")
    made = _make(
        lib.client,
        name="  Summer 2024 ",
        description="At the lake.\nTwo days.",
        year=2024,
        date="2024-07-14T18:30:00+02:00",
        source_url="https://example.com/sets/1",
        original_filename="summer.zip",
        items=[b, a, b],
    )
    assert made["name"] == "Summer 2024"  # trimmed
    assert made["description"] == "At the lake.\nTwo days."
    assert made["year"] == 2024
    assert made["date"] == "2024-07-14T16:30:00"  # an offset is kept as UTC
    assert made["source_url"] == "https://example.com/sets/1"
    assert made["original_filename"] == "summer.zip"
    assert [i["id"] for i in made["items"]] == [b, a]  # the repeat dropped, the first kept
    assert [i["position"] for i in made["items"]] == [0, 1]
    assert made["item_count"] == 2 and made["items_next_cursor"] is None
    assert made["items"][0]["path"] == "2024/summer/beach/b.jpg"  # item JSON
    assert made["tags"] == [] and made["performers"] == [] and made["studio"] is None
    set_id = made["id"]
    assert _get(lib.client, set_id) == made

    changed = _ok(
        lib.client.patch(
            f"{URL}/{set_id}",
            json={"name": "Lake", "year": None, "date": "2023-01-02", "source_url": None},
        )
    )
    assert changed["name"] == "Lake" and changed["year"] is None and changed["source_url"] is None
    assert changed["date"] == "2023-01-02T00:00:00"  # a date is midnight
    assert changed["description"] == "At the lake.\nTwo days."  # not given: unchanged
    assert changed["updated_at"] >= made["updated_at"]
    cleared = _ok(lib.client.patch(f"{URL}/{set_id}", json={"description": None}))
    assert cleared["description"] == "" and cleared["name"] == "Lake"

    deleted = _ok(lib.client.delete(f"{URL}/{set_id}"))
    assert deleted["id"] == set_id and deleted["name"] == "Lake"
    assert lib.client.get(f"{URL}/{set_id}").status_code == 404
    assert lib.client.delete(f"{URL}/{set_id}").status_code == 404
    # The items stay, and nothing of the set is left behind.
    assert {i["id"] for i in all_items(lib.client)} >= {a, b}
    assert _positions(lib, set_id) == []


def test_the_detail_pages_its_items(lib: Lib) -> None:
    ids = sorted(lib.ids.values())
    set_id = _make(lib.client, name="All", items=ids)["id"]
    first = _ok(lib.client.get(f"{URL}/{set_id}", params={"limit": 4}))
    assert [i["id"] for i in first["items"]] == ids[:4]
    rest = _ok(
        lib.client.get(
            f"{URL}/{set_id}/items", params={"limit": 100, "cursor": first["items_next_cursor"]}
        )
    )
    assert [i["id"] for i in rest["items"]] == ids[4:] and rest["next_cursor"] is None
    assert _order(lib.client, set_id) == ids
    video = lib.id("clip.mp4")
    only = _ok(lib.client.get(f"{URL}/{set_id}/items", params={"kind": "video"}))
    assert [(i["id"], i["position"]) for i in only["items"]] == [(video, ids.index(video))]
    photos = _ok(lib.client.get(f"{URL}/{set_id}/items", params={"kind": "image"}))["items"]
    assert [i["id"] for i in photos] == [i for i in ids if i != video]
    assert lib.client.get(f"{URL}/{set_id}/items", params={"kind": "gif"}).status_code == 400
    assert lib.client.get(f"{URL}/{set_id}/items", params={"cursor": "junk"}).status_code == 400


# -- the ordered list ---------------------------------------------------------------------


def test_replace_add_and_remove_keep_positions_dense(lib: Lib) -> None:
    a, b, c, d, e = (lib.id(n) for n in ("a.jpg", "b.jpg", "c.jpg", "d.jpg", "top.jpg"))
    set_id = _make(lib.client, name="Order", items=[a, b, c])["id"]

    # PUT: the whole list, in the order given; repeats dropped; left-out items leave.
    put = _ok(lib.client.put(f"{URL}/{set_id}/items", json={"items": [c, a, c]}))
    assert [i["id"] for i in put["items"]] == [c, a]
    assert _order(lib.client, set_id) == [c, a] and _positions(lib, set_id) == [0, 1]

    # Add at a position: in the order given, the rest move down.
    added = _ok(lib.client.post(f"{URL}/{set_id}/items/add", json={"items": [d, e], "position": 1}))
    assert added["added"] == 2
    assert _order(lib.client, set_id) == [c, d, e, a]
    assert _positions(lib, set_id) == [0, 1, 2, 3]

    # At the start; past the end is the end; no position is the end.
    _ok(lib.client.post(f"{URL}/{set_id}/items/add", json={"items": [b], "position": 0}))
    assert _order(lib.client, set_id) == [b, c, d, e, a]
    _ok(lib.client.post(f"{URL}/{set_id}/items/remove", json={"items": [b]}))
    _ok(lib.client.post(f"{URL}/{set_id}/items/add", json={"items": [b], "position": 99}))
    assert _order(lib.client, set_id) == [c, d, e, a, b]

    # Items already in the set stay where they are.
    again = _ok(lib.client.post(f"{URL}/{set_id}/items/add", json={"items": [c, a], "position": 2}))
    assert again["added"] == 0 and _order(lib.client, set_id) == [c, d, e, a, b]

    # Remove: the rest close up; ids not in the set are ignored.
    removed = _ok(lib.client.post(f"{URL}/{set_id}/items/remove", json={"items": [d, a, d]}))
    assert removed["removed"] == 2
    assert _order(lib.client, set_id) == [c, e, b] and _positions(lib, set_id) == [0, 1, 2]
    none = _ok(lib.client.post(f"{URL}/{set_id}/items/remove", json={"items": [d]}))
    assert none["removed"] == 0 and _positions(lib, set_id) == [0, 1, 2]

    # PUT [] empties the set.
    assert _ok(lib.client.put(f"{URL}/{set_id}/items", json={"items": []}))["item_count"] == 0
    assert _positions(lib, set_id) == []


def _stored_order(lib: Lib, set_id: int) -> list[int]:
    """Every item of the set in order, those no page shows included."""
    with lib.app.state.sessions() as db:
        query = (
            select(PhotosetItem.item_id)
            .where(PhotosetItem.photoset_id == set_id)
            .order_by(PhotosetItem.position)
        )
        return list(db.scalars(query))


def test_move_keeps_what_no_page_shows(lib: Lib) -> None:
    """A reorder from a page must not drop items the page could not see: a missing file,
    an item a content filter hides."""
    a, b, c, d, e = (lib.id(n) for n in ("a.jpg", "b.jpg", "c.jpg", "d.jpg", "top.jpg"))
    set_id = _make(lib.client, name="Move", items=[a, b, c, d, e])["id"]
    move = f"{URL}/{set_id}/items/move"
    _ok(lib.client.post(move, json={"items": [e], "before": a}))
    assert _order(lib.client, set_id) == [e, a, b, c, d] and _positions(lib, set_id) == [
        0,
        1,
        2,
        3,
        4,
    ]
    _ok(lib.client.post(move, json={"items": [a, e]}))  # to the end, in the order given
    assert _order(lib.client, set_id) == [b, c, d, a, e]

    # c's file goes; b is hidden by a content filter: the page shows d, a, e.
    (lib.settings.media_dir[0] / "2024" / "summer" / "beach" / "c.jpg").unlink()
    _rescan(lib)
    _ok(lib.client.post("/api/v1/tags/attach", json={"tags": ["hide-me"], "items": [b]}))
    (tag,) = _ok(lib.client.get("/api/v1/tags", params={"q": "hide-me"}))["tags"]
    _ok(lib.client.put("/api/v1/admin/content-filters", json={"tags": [tag["id"]]}))
    assert _order(lib.client, set_id) == [d, a, e]
    _ok(lib.client.post(move, json={"items": [e], "before": d}))  # the page's drag
    assert _order(lib.client, set_id) == [e, d, a]
    assert _stored_order(lib, set_id) == [b, c, e, d, a]  # b and c kept, in their places

    for body, status in (
        ({"items": [lib.id("IMG_2.jpg")]}, 404),  # not in the set
        ({"items": [a], "before": lib.id("IMG_2.jpg")}, 404),
        ({"items": [a], "before": a}, 422),
        ({"items": []}, 422),
    ):
        assert lib.client.post(move, json=body).status_code == status, body
    assert lib.client.post(f"{URL}/999999/items/move", json={"items": [a]}).status_code == 404
    assert _stored_order(lib, set_id) == [b, c, e, d, a]


def test_positions_with_gaps_are_renumbered_by_the_next_change(lib: Lib) -> None:
    """Rows written by something else (a restore, say) with gaps: an add still lands at
    the index asked for, and the positions come out dense."""
    a, b, c, d = (lib.id(n) for n in ("a.jpg", "b.jpg", "c.jpg", "d.jpg"))
    set_id = _make(lib.client, name="Gaps", items=[a, b, c])["id"]
    with lib.app.state.sessions() as db:
        for item_id, position in ((a, 10), (b, 20), (c, 35)):
            row = db.get(PhotosetItem, (set_id, item_id))
            assert row is not None
            row.position = position
        db.commit()
    _ok(lib.client.post(f"{URL}/{set_id}/items/add", json={"items": [d], "position": 1}))
    assert _order(lib.client, set_id) == [a, d, b, c]
    assert _positions(lib, set_id) == [0, 1, 2, 3]


def test_an_item_in_several_sets(lib: Lib) -> None:
    a, b, c = lib.id("a.jpg"), lib.id("b.jpg"), lib.id("c.jpg")
    one = _make(lib.client, name="One", items=[a, b])["id"]
    two = _make(lib.client, name="Two", items=[c, a])["id"]
    _make(lib.client, name="Three", items=[c])
    holding = _ok(lib.client.get(URL, params={"item": a, "sort": "name"}))["photosets"]
    assert [s["id"] for s in holding] == [one, two]
    assert _order(lib.client, two) == [c, a]  # its own position in each
    _ok(lib.client.post(f"{URL}/{one}/items/remove", json={"items": [a]}))
    assert _order(lib.client, two) == [c, a]
    _ok(lib.client.delete(f"{URL}/{two}"))
    assert _ok(lib.client.get(URL, params={"item": a}))["photosets"] == []
    assert _order(lib.client, one) == [b]
    assert lib.client.get(f"/api/v1/items/{a}").status_code == 200


# -- covers -------------------------------------------------------------------------------


def test_cover_rules(lib: Lib) -> None:
    a, b, c, d = (lib.id(n) for n in ("a.jpg", "b.jpg", "c.jpg", "d.jpg"))
    made = _make(lib.client, name="Covered", items=[b, a, c])
    set_id = made["id"]
    # By default, the first item.
    assert made["cover_item_id"] is None and made["cover"]["id"] == b
    assert made["cover"]["thumbnails"]["small"].startswith("/api/v1/thumbnails/")
    # A member may be the cover; anything else is refused.
    assert _ok(lib.client.patch(f"{URL}/{set_id}", json={"cover_item_id": c}))["cover"]["id"] == c
    refused = lib.client.patch(f"{URL}/{set_id}", json={"cover_item_id": d})
    assert refused.status_code == 422 and f"cover_item_id {d} is not in the set" in refused.text
    assert _get(lib.client, set_id)["cover_item_id"] == c  # unchanged
    # Taking the cover out of the set clears it: the first item is the cover again.
    out = _ok(lib.client.post(f"{URL}/{set_id}/items/remove", json={"items": [c]}))
    assert out["cover_item_id"] is None and out["cover"]["id"] == b
    # Reordering moves the default cover; PUT without the cover clears it.
    _ok(lib.client.patch(f"{URL}/{set_id}", json={"cover_item_id": b}))
    put = _ok(lib.client.put(f"{URL}/{set_id}/items", json={"items": [a, d]}))
    assert put["cover_item_id"] is None and put["cover"]["id"] == a
    # PATCH items and cover at once: the cover is checked against the new list.
    both = _ok(lib.client.patch(f"{URL}/{set_id}", json={"items": [c, d], "cover_item_id": d}))
    assert both["cover_item_id"] == d and [i["id"] for i in both["items"]] == [c, d]
    assert lib.client.patch(
        f"{URL}/{set_id}", json={"items": [c], "cover_item_id": d}
    ).status_code == 422  # fmt: skip
    # null: back to the default.
    assert (
        _ok(lib.client.patch(f"{URL}/{set_id}", json={"cover_item_id": None}))["cover"]["id"] == c
    )
    # On create, the cover must be among the items.
    bad = lib.client.post(URL, json={"name": "x", "items": [a], "cover_item_id": b})
    assert bad.status_code == 422 and "not in the set" in bad.text
    assert _make(lib.client, name="Empty")["cover"] is None


# -- tags, performers and studio on sets --------------------------------------------------


def _named(client: TestClient, things: str, name: str) -> int:
    made: int = _ok(client.post(f"/api/v1/{things}", json={"name": name}), 201)["id"]
    return made


def test_tags_performers_and_studio_on_sets(lib: Lib) -> None:
    beach, lake = _named(lib.client, "tags", "Beach"), _named(lib.client, "tags", "lake")
    ann, bo = _named(lib.client, "performers", "Ann"), _named(lib.client, "performers", "Bo")
    studio = _named(lib.client, "studios", "Acme")
    made = _make(
        lib.client, name="Tagged", tags=[lake, beach, lake], performers=[ann], studio_id=studio
    )
    set_id = made["id"]
    assert made["tags"] == [{"id": beach, "name": "Beach"}, {"id": lake, "name": "lake"}]
    assert made["performers"] == [{"id": ann, "name": "Ann"}]
    assert made["studio"] == {"id": studio, "name": "Acme"}
    other = _make(lib.client, name="Other", tags=[beach], performers=[ann, bo])["id"]

    # PATCH replaces the links given, leaves the others.
    changed = _ok(lib.client.patch(f"{URL}/{set_id}", json={"tags": [lake], "performers": []}))
    assert changed["tags"] == [{"id": lake, "name": "lake"}] and changed["performers"] == []
    assert changed["studio"] == {"id": studio, "name": "Acme"}
    assert _ok(lib.client.patch(f"{URL}/{set_id}", json={"studio_id": None}))["studio"] is None

    # Links made through the tags API show on the set.
    _ok(lib.client.post("/api/v1/tags/attach", json={"tags": [beach], "photosets": [set_id]}))
    assert {t["id"] for t in _get(lib.client, set_id)["tags"]} == {beach, lake}

    def listed(**params: Any) -> list[int]:
        page = _ok(lib.client.get(URL, params={"sort": "name", **params}))
        return [s["id"] for s in page["photosets"]]

    assert listed(tag=beach) == [other, set_id]
    assert listed(tag=[beach, lake]) == [set_id]  # all of them
    assert listed(performer=[ann, bo]) == [other]
    assert listed(performer=ann, tag=lake) == []
    _ok(lib.client.patch(f"{URL}/{other}", json={"studio_id": studio}))
    assert listed(studio=studio) == [other]
    assert listed(studio=[studio, 999]) == [other]  # any of them

    # Unknown ids: 422, naming them; nothing changes.
    for body, text in (
        ({"tags": [beach, 999991, 999992]}, "no such tags: 999991, 999992"),
        ({"performers": [999993]}, "no such performers: 999993"),
        ({"studio_id": 999994}, "no such studio: 999994"),
    ):
        resp = lib.client.patch(f"{URL}/{set_id}", json=body)
        assert resp.status_code == 422 and text in resp.json()["detail"], resp.text
    assert {t["id"] for t in _get(lib.client, set_id)["tags"]} == {beach, lake}

    # Deleting a tag takes it off the set.
    _ok(lib.client.delete(f"/api/v1/tags/{beach}"))
    assert _get(lib.client, set_id)["tags"] == [{"id": lake, "name": "lake"}]


# -- the list: sorts, filters, pages ------------------------------------------------------

WORDS = ["Kiwi", "apple", "Mango", "banana", "cherry"]


def _walk(client: TestClient, limit: int = 4, **params: Any) -> list[dict[str, Any]]:
    """Every set the list gives, `limit` to a page."""
    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        page = _ok(client.get(URL, params=query))
        assert len(page["photosets"]) <= limit
        out += page["photosets"]
        cursor = page["next_cursor"]
        if cursor is None:
            return out


@pytest.fixture
def many(lib: Lib) -> list[dict[str, Any]]:
    """25 sets: names in mixed case, dates with ties and gaps, years, item counts."""
    ids = sorted(lib.ids.values())
    made = []
    for n in range(25):
        body: dict[str, Any] = {"name": f"{WORDS[n % 5]}{n:02d}", "items": ids[: n % 4]}
        if n % 3:
            body["date"] = f"2020-0{1 + n % 4}-01T12:00:00"  # four dates, shared
        if n % 2:
            body["year"] = 2000 + n % 3
        made.append(_make(lib.client, **body))
    return made


def _ids(sets: list[dict[str, Any]]) -> list[int]:
    return [s["id"] for s in sets]


def test_sorts_page_through_everything_in_order(lib: Lib, many: list[dict[str, Any]]) -> None:
    def by(key: Any, reverse: bool = False) -> list[int]:
        return _ids(sorted(many, key=key, reverse=reverse))

    dated = [s for s in many if s["date"]]
    undated = [s for s in many if not s["date"]]
    expected = {
        "name": by(lambda s: (s["name"].lower(), s["id"])),
        "-name": by(lambda s: (s["name"].lower(), s["id"]), reverse=True),
        "created": by(lambda s: (s["created_at"], s["id"])),
        "-created": by(lambda s: (s["created_at"], s["id"]), reverse=True),
        "count": by(lambda s: (s["item_count"], s["id"])),
        "-count": by(lambda s: (s["item_count"], s["id"]), reverse=True),
        # Sets without a date last, either way.
        "date": _ids(sorted(dated, key=lambda s: (s["date"], s["id"])))
        + _ids(sorted(undated, key=lambda s: s["id"])),
        "-date": _ids(sorted(dated, key=lambda s: (s["date"], s["id"]), reverse=True))
        + _ids(sorted(undated, key=lambda s: s["id"], reverse=True)),
    }
    assert len({tuple(v) for v in expected.values()}) == len(expected)  # all differ
    for sort, ids in expected.items():
        assert _ids(_walk(lib.client, sort=sort)) == ids, sort
    # The default: newest first.
    assert _ids(_walk(lib.client, limit=100)) == expected["-created"]
    # What each entry shows.
    entry = next(s for s in _walk(lib.client, limit=100) if s["id"] == many[3]["id"])
    assert set(entry) >= {"id", "name", "year", "date", "cover", "item_count", "tags", "studio"}
    assert entry["item_count"] == 3 and entry["cover"]["id"] == min(lib.ids.values())


def test_filters_combine_with_pages(lib: Lib, many: list[dict[str, Any]]) -> None:
    apples = [s for s in many if s["name"].startswith("apple")]
    assert _ids(_walk(lib.client, limit=2, q="APPLE", sort="name")) == _ids(apples)
    in_2001 = [s for s in many if s["year"] == 2001]
    assert _ids(_walk(lib.client, limit=3, year=2001, sort="created")) == _ids(in_2001)
    both = [s for s in apples if s["year"] == 2001]
    assert both and _ids(_walk(lib.client, q="pple", year=2001, sort="created")) == _ids(both)
    item = min(lib.ids.values())
    holding = [s for s in many if s["item_count"] > 0]
    assert _ids(_walk(lib.client, limit=5, item=item, sort="created")) == _ids(holding)
    assert _walk(lib.client, year=2150) == []


def test_q_takes_wildcards_literally(lib: Lib) -> None:
    percent = _make(lib.client, name="100% fun")["id"]
    under = _make(lib.client, name="a_b")["id"]
    _make(lib.client, name="abc")
    assert _ids(_walk(lib.client, q="%")) == [percent]
    assert _ids(_walk(lib.client, q="_")) == [under]
    assert _ids(_walk(lib.client, q="0% F")) == [percent]


def test_a_cursor_belongs_to_its_sort(lib: Lib, many: list[dict[str, Any]]) -> None:
    cursor = _ok(lib.client.get(URL, params={"limit": 2, "sort": "name"}))["next_cursor"]
    assert cursor
    wrong = lib.client.get(URL, params={"cursor": cursor, "sort": "-date"})
    assert wrong.status_code == 400 and "sort=name" in wrong.text
    for sort, junk in (
        ("name", "nonsense!"),
        ("name", _b64([])),
        ("name", _b64(["name", 1, 1])),  # a name is text
        ("name", _b64(["name", "a", 2**63])),
        ("date", _b64(["date", "x", 1])),
        ("date", _b64(["date", "2020-01-01T00:00:00+01:00", 1])),
        ("count", _b64(["count", "3", 1])),
        ("count", _b64(["count", 3, True])),
    ):
        resp = lib.client.get(URL, params={"cursor": junk, "sort": sort})
        assert resp.status_code == 400 and "invalid cursor" in resp.text, junk
    # A cursor made by hand is fine as long as it is well made.
    assert (
        _ok(lib.client.get(URL, params={"cursor": _b64(["count", 99, 0]), "sort": "count"}))[
            "photosets"
        ]
        == []
    )


def _b64(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "size"},
        {"sort": "name; DROP TABLE photosets"},
        {"limit": 0},
        {"limit": 501},
        {"year": 1700},
        {"tag": "beach"},
        {"studio": 0},
        {"item": "x"},
        {"q": "x" * 301},
    ],
)
def test_unlisted_sorts_and_filters_are_400(lib: Lib, params: dict[str, Any]) -> None:
    assert lib.client.get(URL, params=params).status_code == 400


# -- validation and 404s ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "name"),
        ({"name": "   "}, "the name is empty"),
        ({"name": "x" * 301}, "300"),
        ({"name": "a\tb"}, "control characters"),
        ({"name": "x", "year": 1799}, "1800"),
        ({"name": "x", "year": 2201}, "2200"),
        ({"name": "x", "date": "yesterday"}, "ISO 8601"),
        ({"name": "x", "date": 1700000000}, "ISO 8601"),
        ({"name": "x", "date": "1500-01-01"}, "1800-2200"),
        ({"name": "x", "source_url": "javascript:alert(1)"}, "http"),
        ({"name": "x", "source_url": "ftp://example.com/a"}, "http"),
        ({"name": "x", "source_url": "https://"}, "http"),
        ({"name": "x", "source_url": "https://exa mple.com"}, "http"),
        ({"name": "x", "source_url": "https://e.com/" + "a" * 2000}, "2000"),
        ({"name": "x", "id": 5}, "extra_forbidden"),
        ({"name": "x", "created_at": "2020-01-01"}, "extra_forbidden"),
        ({"name": "x", "items": [0]}, "items"),
        ({"name": "x", "items": [999998, 999999]}, "no such items in the library: 999998, 999999"),
        ({"name": "x", "tags": [999997]}, "no such tags: 999997"),
        ({"name": "x", "performers": [999996]}, "no such performers: 999996"),
        ({"name": "x", "studio_id": 999995}, "no such studio: 999995"),
    ],
)
def test_bad_bodies_are_422(lib: Lib, body: dict[str, Any], message: str) -> None:
    resp = lib.client.post(URL, json=body)
    assert resp.status_code == 422, resp.text
    assert message in resp.text
    assert _ok(lib.client.get(URL))["photosets"] == []  # nothing made


def test_bad_changes_are_422(lib: Lib) -> None:
    a = lib.id("a.jpg")
    set_id = _make(lib.client, name="Kept", items=[a])["id"]
    for body, message in (
        ({"name": None}, "name cannot be null"),
        ({"items": None}, "send [] to clear it"),
        ({"tags": None}, "send [] to clear it"),
        ({"id": 7}, "extra_forbidden"),
        ({"updated_at": "2020-01-01"}, "extra_forbidden"),
        ({"items": [a, 999999]}, "no such items in the library: 999999"),
    ):
        resp = lib.client.patch(f"{URL}/{set_id}", json=body)
        assert resp.status_code == 422 and message in resp.text, (body, resp.text)
    bodies: list[tuple[str, dict[str, Any]]] = [
        ("items", {"items": [999999]}),
        ("items/add", {"items": [a, 999999]}),
        ("items/add", {"items": []}),
        ("items/add", {"items": [a], "position": -1}),
        ("items/remove", {"items": []}),
    ]
    for path, body in bodies:
        method = lib.client.put if path == "items" else lib.client.post
        assert method(f"{URL}/{set_id}/{path}", json=body).status_code == 422, (path, body)
    shown = _get(lib.client, set_id)
    assert shown["name"] == "Kept" and [i["id"] for i in shown["items"]] == [a]


def test_unknown_sets_are_404(lib: Lib) -> None:
    a = lib.id("a.jpg")
    missing = 424242
    for method, path, body in (
        ("GET", f"{URL}/{missing}", None),
        ("GET", f"{URL}/{missing}/items", None),
        ("PATCH", f"{URL}/{missing}", {"name": "x"}),
        ("DELETE", f"{URL}/{missing}", None),
        ("PUT", f"{URL}/{missing}/items", {"items": [a]}),
        ("POST", f"{URL}/{missing}/items/add", {"items": [a]}),
        ("POST", f"{URL}/{missing}/items/remove", {"items": [a]}),
    ):
        resp = lib.client.request(method, path, json=body)
        assert resp.status_code == 404, (method, path)
        assert resp.json()["detail"] == f"photoset {missing} not found"
    for bad in ("0", "-1", str(2**63), "abc"):
        assert lib.client.get(f"{URL}/{bad}").status_code == 422


# -- from folders -------------------------------------------------------------------------


def test_sets_from_folders_are_made_once(lib: Lib) -> None:
    done = _ok(lib.client.post(f"{URL}/from-folders", json={"folders": ["trip/"]}))
    assert done["skipped"] == []
    (made,) = done["created"]
    assert made["name"] == "trip" and made["folder"] == "trip" and made["item_count"] == 4
    shown = _get(lib.client, made["id"])
    assert shown["original_filename"] == "trip"
    # Photos and videos, in natural name order.
    assert [i["name"] for i in shown["items"]] == [
        "clip.mp4",
        "img_1.jpg",
        "IMG_2.jpg",
        "IMG_10.jpg",
    ]
    assert {i["kind"] for i in shown["items"]} == {"image", "video"}

    again = _ok(lib.client.post(f"{URL}/from-folders", json={"folders": ["trip"]}))
    assert again == {"created": [], "skipped": [{"folder": "trip", "photoset_id": made["id"]}]}
    assert len(_ok(lib.client.get(URL))["photosets"]) == 1


def test_sets_from_nested_folders(lib: Lib) -> None:
    flat = _ok(lib.client.post(f"{URL}/from-folders", json={"folders": ["2024/summer"]}))
    assert [(c["name"], c["item_count"]) for c in flat["created"]] == [("summer", 1)]

    nested = _ok(
        lib.client.post(f"{URL}/from-folders", json={"folders": ["2024"], "recursive": True})
    )
    # "2024" holds no file itself: no set for it; "2024/summer" has one already.
    assert [(c["folder"], c["name"], c["item_count"]) for c in nested["created"]] == [
        ("2024/summer/beach", "beach", 2),
        ("2024/winter", "winter", 1),
    ]
    assert nested["skipped"] == [{"folder": "2024/summer", "photoset_id": flat["created"][0]["id"]}]
    beach = _get(lib.client, nested["created"][0]["id"])
    assert [i["name"] for i in beach["items"]] == ["b.jpg", "c.jpg"]

    # The whole library: every folder with files; the top level is not one.
    everything = _ok(
        lib.client.post(f"{URL}/from-folders", json={"folders": [""], "recursive": True})
    )
    assert [c["folder"] for c in everything["created"]] == ["trip"]
    assert len(everything["skipped"]) == 3
    assert len(_walk(lib.client, limit=100)) == 4


def test_from_folders_refuses_what_is_not_a_folder(lib: Lib) -> None:
    for folders, status, text in (
        (["../etc"], 404, "folder not found"),
        (["trip/../../x"], 404, "folder not found"),
        (["/etc"], 404, "folder not found"),
        (["trip", "nowhere"], 404, "'nowhere' not found: no photos or videos there"),
        (["2024"], 404, "'2024' not found"),  # files only in sub-folders: recursive
        ([""], 422, "recursive"),
        ([], 422, "folders"),
    ):
        resp = lib.client.post(f"{URL}/from-folders", json={"folders": folders})
        assert resp.status_code == status and text in resp.text, (folders, resp.text)
    resp = lib.client.post(f"{URL}/from-folders", json={"folders": ["trip"], "root": 999})
    assert resp.status_code == 404 and "root 999 not found" in resp.text
    resp = lib.client.post(f"{URL}/from-folders", json={"folders": ["trip"], "name": "x"})
    assert resp.status_code == 422
    assert _ok(lib.client.get(URL))["photosets"] == []  # all or nothing
    root_id = _ok(lib.client.get(f"/api/v1/items/{lib.id('d.jpg')}"))["root_id"]
    done = lib.client.post(
        f"{URL}/from-folders", json={"folders": ["2024/winter"], "root": root_id}
    )
    assert [c["name"] for c in _ok(done)["created"]] == ["winter"]


# -- access and moves ---------------------------------------------------------------------


def test_a_viewer_reads_but_does_not_change(lib: Lib) -> None:
    a = lib.id("a.jpg")
    set_id = _make(lib.client, name="Shared", items=[a])["id"]
    with signed_in(lib.app, "viewer") as viewer:
        assert _ok(viewer.get(URL))["photosets"][0]["id"] == set_id
        assert _ok(viewer.get(f"{URL}/{set_id}"))["items"][0]["id"] == a
        assert viewer.get(f"{URL}/{set_id}/items").status_code == 200
        for method, path, body in (
            ("POST", URL, {"name": "mine"}),
            ("PATCH", f"{URL}/{set_id}", {"name": "mine"}),
            ("DELETE", f"{URL}/{set_id}", None),
            ("PUT", f"{URL}/{set_id}/items", {"items": []}),
            ("POST", f"{URL}/{set_id}/items/add", {"items": [a]}),
            ("POST", f"{URL}/{set_id}/items/remove", {"items": [a]}),
            ("POST", f"{URL}/from-folders", {"folders": ["trip"]}),
        ):
            assert viewer.request(method, path, json=body).status_code == 403, (method, path)
    with signed_in(lib.app, "member") as member:
        assert member.post(URL, json={"name": "theirs"}).status_code == 201
    shown = _get(lib.client, set_id)
    assert shown["name"] == "Shared" and [i["id"] for i in shown["items"]] == [a]
    assert len(_ok(lib.client.get(URL))["photosets"]) == 2


def test_a_set_keeps_its_items_when_files_move(lib: Lib) -> None:
    a, b, c = lib.id("a.jpg"), lib.id("b.jpg"), lib.id("c.jpg")
    set_id = _make(lib.client, name="Moving", items=[a, b, c], cover_item_id=b)["id"]
    media = lib.settings.media_dir[0]
    (media / "elsewhere").mkdir()
    shutil.move(media / "2024" / "summer" / "a.jpg", media / "elsewhere" / "renamed.jpg")
    gone = media / "2024" / "summer" / "beach" / "b.jpg"
    kept = gone.read_bytes()
    gone.unlink()
    report = _rescan(lib)
    assert report.moved == 1
    shown = _get(lib.client, set_id)
    # The moved file is the same item, in its place; the missing one is not shown
    # (nor counted, nor the cover) but stays in the set.
    assert [(i["id"], i["path"]) for i in shown["items"]] == [
        (a, "elsewhere/renamed.jpg"),
        (c, "2024/summer/beach/c.jpg"),
    ]
    assert shown["item_count"] == 2 and shown["cover"]["id"] == a
    assert shown["cover_item_id"] == b
    assert _positions(lib, set_id) == [0, 1, 2]
    gone.write_bytes(kept)  # back: shown again, in its place, the cover again
    _rescan(lib)
    shown = _get(lib.client, set_id)
    assert [i["id"] for i in shown["items"]] == [a, b, c] and shown["cover"]["id"] == b
    with lib.app.state.sessions() as db:
        assert db.get(Photoset, set_id) is not None
        assert db.scalar(select(Item.status).where(Item.id == b)) == "present"
