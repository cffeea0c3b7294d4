"""/api/v1/tags: CRUD, aliases, merge, bulk attach and detach, the list's cursor,
search and allowlists, the items list's tag filters, permissions, and tags that
follow a moved file. On SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, insert, select

from mediashelf.config import Settings
from mediashelf.db.engine import make_engine
from mediashelf.db.models import Item, Photoset
from mediashelf.library.scan import scan
from tests import factory
from tests.conftest import signed_in
from tests.web.conftest import all_items, item_by_path, scanned_library

PATHS = ["trip/a.jpg", "trip/b.jpg", "home/c.jpg", "home/d.jpg"]


@dataclass
class Lib:
    client: TestClient
    app: FastAPI
    settings: Settings
    ids: dict[str, int]  # path -> item id


def _files(media: Path) -> None:
    for n, rel in enumerate(PATHS):
        factory.jpeg(media / rel, seed=n + 1)


@pytest.fixture
def lib(tmp_path: Path, db_url: str) -> Iterator[Lib]:
    with scanned_library(tmp_path, db_url, _files) as (client, settings):
        ids = {i["path"]: i["id"] for i in all_items(client)}
        yield Lib(client, client.app, settings, ids)  # type: ignore[arg-type]


def ok(resp: Any, status: int = 200) -> Any:
    assert resp.status_code == status, resp.text
    return resp.json()


def error(resp: Any, status: int) -> Any:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/json"
    return resp.json()["detail"]


def new_tag(client: TestClient, name: str, **extra: Any) -> dict[str, Any]:
    return ok(client.post("/api/v1/tags", json={"name": name, **extra}), 201)  # type: ignore[no-any-return]


def item_tags(client: TestClient, item_id: int) -> list[str]:
    return [t["name"] for t in ok(client.get(f"/api/v1/items/{item_id}"))["tags"]]


def every_page(client: TestClient, url: str, key: str, **params: Any) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = ok(client.get(url, params=query))
        got += page[key]
        cursor = page["next_cursor"]
        if cursor is None:
            return got
    raise AssertionError("the cursor never ended")


# -- CRUD -------------------------------------------------------------------------------


def test_create_get_change_delete(lib: Lib) -> None:
    c = lib.client
    tag = new_tag(c, "  Beach   Day ", category="place", aliases=["Seaside"])
    assert tag["name"] == "Beach Day"
    assert tag["category"] == "place"
    assert tag["aliases"] == ["Seaside"]
    assert (tag["count"], tag["photosets"]) == (0, 0)
    assert ok(c.get(f"/api/v1/tags/{tag['id']}")) == tag
    changed = ok(
        c.patch(
            f"/api/v1/tags/{tag['id']}",
            json={"name": "Beach", "aliases": ["Shore", "Coast"], "category": None},
        )
    )
    assert (changed["name"], changed["aliases"], changed["category"]) == (
        "Beach",
        ["Shore", "Coast"],
        None,
    )
    only_name = ok(c.patch(f"/api/v1/tags/{tag['id']}", json={"name": "beach!"}))
    assert only_name["aliases"] == ["Shore", "Coast"]  # what is not sent stays
    deleted = ok(c.delete(f"/api/v1/tags/{tag['id']}"))
    assert deleted["name"] == "beach!"
    error(c.get(f"/api/v1/tags/{tag['id']}"), 404)
    assert ok(c.get("/api/v1/tags"))["tags"] == []


def test_deleting_a_tag_takes_it_off_items(lib: Lib) -> None:
    c = lib.client
    a = lib.ids["trip/a.jpg"]
    ok(c.post("/api/v1/tags/attach", json={"tags": ["x", "y"], "items": [a]}))
    x = ok(c.get("/api/v1/tags", params={"q": "x"}))["tags"][0]
    ok(c.delete(f"/api/v1/tags/{x['id']}"))
    assert item_tags(c, a) == ["y"]
    assert ok(c.get(f"/api/v1/items/{a}"))["status"] == "present"


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("GET", "/api/v1/tags/999999", None),
        ("PATCH", "/api/v1/tags/999999", {"name": "x"}),
        ("DELETE", "/api/v1/tags/999999", None),
        ("POST", "/api/v1/tags/999999/merge", {"from": [1]}),
    ],
)
def test_unknown_tags_are_404(lib: Lib, method: str, url: str, body: Any) -> None:
    detail = error(lib.client.request(method, url, json=body), 404)
    assert detail == "tag 999999 not found"


def test_merging_an_unknown_tag_is_404(lib: Lib) -> None:
    tag = new_tag(lib.client, "real")
    detail = error(lib.client.post(f"/api/v1/tags/{tag['id']}/merge", json={"from": [4242]}), 404)
    assert detail == "tag 4242 not found"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": ""}, "the name is empty"),
        ({"name": "   "}, "the name is empty"),
        ({"name": "x" * 201}, "longer than 200"),
        ({"name": "a\x01b"}, "control character"),
        ({"name": "ok", "aliases": ["fine", ""]}, "the alias is empty"),
        ({"name": "ok", "aliases": ["bad\x00"]}, "control character"),
        ({"name": "ok", "category": "c" * 101}, "at most 100 characters"),
        ({"name": "ok", "aliases": [f"a{i}" for i in range(101)]}, "at most 100 items"),
        ({"name": "ok", "id": 5}, "Extra inputs are not permitted"),
        ({"name": 5}, "valid string"),
        ({}, "Field required"),
    ],
)
def test_bad_new_tags_are_422_with_a_message(lib: Lib, body: Any, message: str) -> None:
    detail = error(lib.client.post("/api/v1/tags", json=body), 422)
    assert message in str(detail)
    assert ok(lib.client.get("/api/v1/tags"))["tags"] == []


@pytest.mark.parametrize("path", ["/api/v1/tags/0", "/api/v1/tags/x", f"/api/v1/tags/{2**63}"])
def test_bad_tag_ids_are_422(lib: Lib, path: str) -> None:
    error(lib.client.get(path), 422)


# -- one name, aliases --------------------------------------------------------------------


@pytest.mark.parametrize("other", ["beach", "BEACH", "\uff42\uff45\uff41\uff43\uff48", " Beach "])
def test_names_that_differ_only_in_case_or_width_are_one_tag(lib: Lib, other: str) -> None:
    c = lib.client
    tag = new_tag(c, "Beach")
    assert "is the name of tag 'Beach'" in error(c.post("/api/v1/tags", json={"name": other}), 409)
    a = lib.ids["trip/a.jpg"]
    ok(c.post("/api/v1/tags/attach", json={"tags": [other], "items": [a]}))
    tags = ok(c.get("/api/v1/tags"))["tags"]
    assert [(t["id"], t["name"], t["count"]) for t in tags] == [(tag["id"], "Beach", 1)]


def test_aliases_are_unique_across_tags(lib: Lib) -> None:
    c = lib.client
    ny = new_tag(c, "New York", aliases=["NYC"])
    boston = new_tag(c, "Boston")
    for alias in ["nyc", "New York", "\uff2e\uff39\uff23"]:
        resp = c.patch(f"/api/v1/tags/{boston['id']}", json={"aliases": [alias]})
        assert "of tag 'New York'" in error(resp, 409)
    error(c.post("/api/v1/tags", json={"name": "Gotham", "aliases": ["NYC"]}), 409)
    error(c.post("/api/v1/tags", json={"name": "nyc"}), 409)
    error(c.patch(f"/api/v1/tags/{boston['id']}", json={"name": "NYC"}), 409)
    assert ok(c.get(f"/api/v1/tags/{boston['id']}"))["aliases"] == []
    # Attaching by an alias uses the tag it belongs to.
    a = lib.ids["trip/a.jpg"]
    ok(c.post("/api/v1/tags/attach", json={"tags": ["nyc"], "items": [a]}))
    assert item_tags(c, a) == ["New York"]
    assert ok(c.get(f"/api/v1/tags/{ny['id']}"))["count"] == 1


# -- merge ------------------------------------------------------------------------------


def test_merge_moves_links_and_keeps_names_as_aliases(lib: Lib) -> None:
    c = lib.client
    a, b, d = (lib.ids[p] for p in ("trip/a.jpg", "trip/b.jpg", "home/d.jpg"))
    sea = new_tag(c, "Sea")
    ocean = new_tag(c, "Ocean", aliases=["Big Water"])
    seaside = new_tag(c, "seaside")
    ok(c.post("/api/v1/tags/attach", json={"tags": [sea["id"]], "items": [a]}))
    ok(c.post("/api/v1/tags/attach", json={"tags": [ocean["id"]], "items": [a, b]}))
    ok(c.post("/api/v1/tags/attach", json={"tags": [seaside["id"]], "items": [d]}))
    merged = ok(
        c.post(f"/api/v1/tags/{sea['id']}/merge", json={"from": [ocean["id"], seaside["id"]]})
    )
    assert merged["aliases"] == ["Ocean", "Big Water", "seaside"]
    assert merged["count"] == 3
    assert merged["moved"] == 2  # b and d; a had the tag already
    for gone in (ocean, seaside):
        error(c.get(f"/api/v1/tags/{gone['id']}"), 404)
    assert {p: item_tags(c, i) for p, i in lib.ids.items()} == {
        "trip/a.jpg": ["Sea"],
        "trip/b.jpg": ["Sea"],
        "home/c.jpg": [],
        "home/d.jpg": ["Sea"],
    }
    # The old names still find it.
    found = ok(c.get("/api/v1/tags", params={"q": "big wat"}))["tags"]
    assert [t["id"] for t in found] == [sea["id"]]


@pytest.mark.parametrize("body", [{"from": []}, {"from": ["x"]}, {"from_": [1]}, {}])
def test_bad_merges_are_422(lib: Lib, body: Any) -> None:
    tag = new_tag(lib.client, "t")
    error(lib.client.post(f"/api/v1/tags/{tag['id']}/merge", json=body), 422)


def test_merging_a_tag_into_itself_is_422(lib: Lib) -> None:
    tag = new_tag(lib.client, "t")
    resp = lib.client.post(f"/api/v1/tags/{tag['id']}/merge", json={"from": [tag["id"]]})
    assert error(resp, 422) == "a tag cannot be merged into itself"


# -- attach and detach ------------------------------------------------------------------


def test_attach_and_detach_by_ids_and_names(lib: Lib) -> None:
    c = lib.client
    a, b = lib.ids["trip/a.jpg"], lib.ids["trip/b.jpg"]
    sun = new_tag(c, "Sun")
    resp = ok(c.post("/api/v1/tags/attach", json={"tags": [sun["id"], "Sand"], "items": [a, b]}))
    assert resp == {"added": 4}
    assert ok(c.post("/api/v1/tags/attach", json={"tags": ["sun", "SAND"], "items": [a]})) == {
        "added": 0
    }
    assert item_tags(c, a) == ["Sand", "Sun"]
    resp = ok(c.post("/api/v1/tags/detach", json={"tags": ["sand"], "items": [a, b]}))
    assert resp == {"removed": 2}
    assert item_tags(c, a) == ["Sun"]
    assert "no tag named 'Moon'" in error(
        c.post("/api/v1/tags/detach", json={"tags": ["Moon"], "items": [a]}), 404
    )
    assert ok(c.get("/api/v1/tags", params={"q": "moon"}))["tags"] == []  # not created


def test_attach_to_photosets(lib: Lib) -> None:
    with lib.app.state.sessions() as db:
        now = datetime(2024, 1, 1)
        photoset = Photoset(name="Holiday", description="", created_at=now, updated_at=now)
        db.add(photoset)
        db.commit()
        set_id = photoset.id
    c = lib.client
    assert ok(c.post("/api/v1/tags/attach", json={"tags": ["x"], "photosets": [set_id]})) == {
        "added": 1
    }
    tag = ok(c.get("/api/v1/tags"))["tags"][0]
    assert ok(c.get(f"/api/v1/tags/{tag['id']}"))["photosets"] == 1
    assert ok(c.get(f"/api/v1/tags/{tag['id']}"))["count"] == 0
    resp = c.post("/api/v1/tags/attach", json={"tags": ["x"], "photosets": [set_id + 1]})
    assert error(resp, 404) == f"no such photosets: {set_id + 1}"


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"tags": ["x"], "items": [999999]}, 404, "no such items in the library: 999999"),
        ({"tags": [999999], "items": ["A"]}, 422, "valid integer"),
        ({"tags": [999999], "items": [1]}, 404, "no tag with id 999999"),
        ({"tags": ["x"]}, 422, "name some items or photosets"),
        ({"tags": [], "items": [1]}, 422, "at least 1 item"),
        ({"tags": ["x"], "items": [0]}, 422, "greater than or equal to 1"),
        ({"tags": [""], "items": [1]}, 422, "at least 1 character"),
        ({"tags": [" "], "items": [1]}, 422, "the tag name is empty"),
        ({"tags": [True], "items": [1]}, 422, "tags"),
        ({"tags": ["x\x00"], "items": [1]}, 422, "control character"),
        ({"tags": ["x"], "items": list(range(1, 10_002))}, 422, "at most 10000 items"),
        ({"tags": ["x"], "items": [1], "users": [1]}, 422, "Extra inputs"),
    ],
)
def test_bad_attach_requests(lib: Lib, body: Any, status: int, message: str) -> None:
    a = lib.ids["trip/a.jpg"]
    body = {k: [a if (k, v) == ("items", 1) else v for v in vs] for k, vs in body.items()}
    detail = error(lib.client.post("/api/v1/tags/attach", json=body), status)
    assert message in str(detail)
    assert ok(lib.client.get("/api/v1/tags"))["tags"] == []  # nothing made on the way


def test_bulk_attach_of_2000_items_in_one_request(lib: Lib) -> None:
    root_id = ok(lib.client.get(f"/api/v1/items/{lib.ids['trip/a.jpg']}"))["root_id"]
    now = datetime(2024, 1, 1)
    rows = [
        {
            "root_id": root_id,
            "rel_path": f"bulk/{n}.jpg",
            "folder": "bulk",
            "name": f"{n}.jpg",
            "kind": "image",
            "size": 1,
            "mtime_ns": 0,
            "date": now,
            "status": "present",
            "created_at": now,
            "updated_at": now,
        }
        for n in range(2000)
    ]
    with lib.app.state.sessions() as db:
        db.execute(insert(Item), rows)
        db.commit()
        ids = list(db.scalars(select(Item.id).where(Item.folder == "bulk")))
    assert len(ids) == 2000
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    engine = lib.app.state.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        resp = lib.client.post("/api/v1/tags/attach", json={"tags": ["bulk", "more"], "items": ids})
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert ok(resp) == {"added": 4000}
    # The key check, one query for the items, two for the names, one insert: not 2,000.
    assert len(statements) < 15, statements
    tags = {t["name"]: t["count"] for t in ok(lib.client.get("/api/v1/tags"))["tags"]}
    assert tags == {"bulk": 2000, "more": 2000}
    bulk = ok(lib.client.get("/api/v1/tags", params={"q": "bulk"}))["tags"][0]
    page = ok(lib.client.get("/api/v1/items", params={"tag": bulk["id"], "limit": 500}))
    assert len(page["items"]) == 500 and page["next_cursor"]
    resp = lib.client.post("/api/v1/tags/detach", json={"tags": ["bulk"], "items": ids})
    assert ok(resp) == {"removed": 2000}


# -- the list -------------------------------------------------------------------------------


def test_list_sorts_and_pages(lib: Lib) -> None:
    c = lib.client
    a, b, cc = lib.ids["trip/a.jpg"], lib.ids["trip/b.jpg"], lib.ids["home/c.jpg"]
    for name in ["delta", "Alpha", "charlie", "bravo", "echo"]:
        new_tag(c, name)
    ok(c.post("/api/v1/tags/attach", json={"tags": ["charlie"], "items": [a, b, cc]}))
    ok(c.post("/api/v1/tags/attach", json={"tags": ["echo", "bravo"], "items": [a]}))
    by_name = [t["name"] for t in ok(c.get("/api/v1/tags"))["tags"]]
    assert by_name == ["Alpha", "bravo", "charlie", "delta", "echo"]  # ignoring case
    by_count = [(t["name"], t["count"]) for t in ok(c.get("/api/v1/tags?sort=-count"))["tags"]]
    # Ties broken by id, in the same direction: echo and Alpha were made after bravo, delta.
    assert by_count == [("charlie", 3), ("echo", 1), ("bravo", 1), ("Alpha", 0), ("delta", 0)]
    for sort in ["name", "-name", "count", "-count"]:
        whole = ok(c.get("/api/v1/tags", params={"sort": sort}))["tags"]
        for limit in (1, 2, 4):
            paged = every_page(c, "/api/v1/tags", "tags", sort=sort, limit=limit)
            assert paged == whole, (sort, limit)


def test_list_covers_are_the_newest_visible_item(lib: Lib) -> None:
    c = lib.client
    a, b, cc = lib.ids["trip/a.jpg"], lib.ids["trip/b.jpg"], lib.ids["home/c.jpg"]
    new_tag(c, "empty")
    ok(c.post("/api/v1/tags/attach", json={"tags": ["both"], "items": [a, cc]}))
    ok(c.post("/api/v1/tags/attach", json={"tags": ["hidden"], "items": [b]}))
    hidden = ok(c.get("/api/v1/tags", params={"q": "hidden"}))["tags"][0]["id"]
    ok(c.put("/api/v1/admin/content-filters", json={"tags": [hidden]}))
    tags = {t["name"]: t for t in ok(c.get("/api/v1/tags"))["tags"]}
    assert tags["empty"]["cover"] is None
    assert tags["hidden"]["cover"] is None  # its only item is hidden: no picture of it
    cover = tags["both"]["cover"]
    assert cover["id"] == max(a, cc)  # the one added last
    item = ok(c.get(f"/api/v1/items/{cover['id']}"))
    assert cover["thumbnails"] == item["thumbnails"] and cover["width"] == item["width"]
    ok(c.post("/api/v1/performers", json={"name": "Ann"}), 201)
    ok(c.post("/api/v1/performers/attach", json={"performers": ["Ann"], "items": [a]}))
    (ann,) = ok(c.get("/api/v1/performers"))["performers"]
    assert ann["cover"]["id"] == a


def test_list_search_and_category(lib: Lib) -> None:
    c = lib.client
    new_tag(c, "Paris", category="place", aliases=["City of Light"])
    new_tag(c, "Party", category="event")
    new_tag(c, "Lisbon", category="place")
    new_tag(c, "Cats")

    def listed(**params: Any) -> list[str]:
        return [t["name"] for t in ok(c.get("/api/v1/tags", params=params))["tags"]]

    assert listed(q="par") == ["Paris", "Party"]
    assert listed(q="\uff30\uff21\uff32\uff29") == ["Paris"]
    assert listed(q="city") == ["Paris"]
    assert listed(q="light") == []  # a prefix, not a substring
    assert listed(q="%") == []
    assert listed(category="place") == ["Lisbon", "Paris"]
    assert listed(category="place", q="l") == ["Lisbon"]
    assert listed(category="") == ["Cats"]
    assert listed(category="nothing") == []


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "id"},
        {"sort": "password_hash"},
        {"sort": "name;DROP TABLE tags"},
        {"limit": 0},
        {"limit": 501},
        {"cursor": "garbage"},
        {"cursor": "WyJuYW1lIiwgMSwgMV0"},  # ["name", 1, 1]: a count for a name sort
        {"q": "x" * 201},
    ],
)
def test_list_allowlist_is_400(lib: Lib, params: dict[str, Any]) -> None:
    error(lib.client.get("/api/v1/tags", params=params), 400)


def test_a_cursor_for_another_sort_is_400(lib: Lib) -> None:
    for name in "abc":
        new_tag(lib.client, name)
    cursor = ok(lib.client.get("/api/v1/tags", params={"limit": 1}))["next_cursor"]
    assert cursor
    detail = error(lib.client.get("/api/v1/tags", params={"sort": "-count", "cursor": cursor}), 400)
    assert detail.startswith("invalid cursor")


def test_counts_leave_out_items_a_content_filter_hides(lib: Lib) -> None:
    c = lib.client
    a, b = lib.ids["trip/a.jpg"], lib.ids["trip/b.jpg"]
    ok(c.post("/api/v1/tags/attach", json={"tags": ["trip"], "items": [a, b]}))
    ok(c.post("/api/v1/tags/attach", json={"tags": ["secret"], "items": [a]}))
    ok(c.post("/api/v1/performers/attach", json={"performers": ["Pat"], "items": [a, b]}))
    tags = {t["name"]: t["id"] for t in ok(c.get("/api/v1/tags"))["tags"]}
    ok(c.put("/api/v1/admin/content-filters", json={"tags": [tags["secret"]]}))
    counts = {t["name"]: t["count"] for t in ok(c.get("/api/v1/tags"))["tags"]}
    assert counts == {"secret": 0, "trip": 1}
    assert ok(c.get(f"/api/v1/tags/{tags['trip']}"))["count"] == 1
    assert [p["count"] for p in ok(c.get("/api/get-performers"))["performers"]] == [1]
    assert [i["id"] for i in all_items(c, tag=[tags["trip"]])] == [b]


# -- filters in /api/v1/items ---------------------------------------------------------------


def test_items_filtered_by_tags_have_all_of_them(lib: Lib) -> None:
    c = lib.client
    ids = lib.ids
    ok(c.post("/api/v1/tags/attach", json={"tags": ["x"], "items": [ids[p] for p in PATHS[:3]]}))
    ok(c.post("/api/v1/tags/attach", json={"tags": ["y"], "items": [ids[p] for p in PATHS[1:3]]}))
    tags = {t["name"]: t["id"] for t in ok(c.get("/api/v1/tags"))["tags"]}

    def paths(**params: Any) -> set[str]:
        return {i["path"] for i in all_items(c, **params)}

    assert paths(tag=[tags["x"]]) == set(PATHS[:3])
    assert paths(tag=[tags["x"], tags["y"]]) == set(PATHS[1:3])
    assert paths(tag=[tags["y"]], folder="trip") == {"trip/b.jpg"}
    assert paths(untagged=True) == {PATHS[3]}
    assert paths(tag=[999999]) == set()
    # Pages of one, following the cursor, with the filter on.
    for sort in ("name", "-date"):
        got = every_page(c, "/api/v1/items", "items", tag=[tags["x"]], limit=1, sort=sort)
        assert len(got) == 3 and {i["path"] for i in got} == set(PATHS[:3])
        assert all("x" in [t["name"] for t in i["tags"]] for i in got)


@pytest.mark.parametrize(
    "query",
    [
        "tag=x",
        "tag=0",
        "tag=-1",
        "tag=1.5",
        f"tag={2**63}",
        "tag=1 OR 1=1",
        "performer=x",
        "studio=1;DROP TABLE items",
        "untagged=maybe",
        "tag=1&untagged=true",
        "&".join(["tag=1"] * 21),
    ],
)
def test_bad_item_filters_are_400(lib: Lib, query: str) -> None:
    error(lib.client.get(f"/api/v1/items?{query}"), 400)


# -- a tag follows its file ------------------------------------------------------------------


def test_a_tag_survives_a_file_move(lib: Lib) -> None:
    c = lib.client
    a = lib.ids["trip/a.jpg"]
    ok(c.post("/api/v1/tags/attach", json={"tags": ["Keep me"], "items": [a]}))
    media = lib.settings.media_dir[0]
    (media / "moved").mkdir()
    shutil.move(media / "trip" / "a.jpg", media / "moved" / "renamed.jpg")
    engine = make_engine(lib.settings.db_url)
    try:
        scan(engine, lib.settings)
    finally:
        engine.dispose()
    item = item_by_path(c, "moved/renamed.jpg")
    assert item["id"] == a
    assert [t["name"] for t in item["tags"]] == ["Keep me"]
    tag = ok(c.get("/api/v1/tags"))["tags"][0]
    assert tag["count"] == 1
    assert [i["path"] for i in all_items(c, tag=[tag["id"]])] == ["moved/renamed.jpg"]


# -- permissions ------------------------------------------------------------------------------


def test_a_viewer_reads_but_cannot_change_tags(lib: Lib) -> None:
    a = lib.ids["trip/a.jpg"]
    tag = new_tag(lib.client, "t")
    writes: list[tuple[str, str, Any]] = [
        ("POST", "/api/v1/tags", {"name": "v"}),
        ("PATCH", f"/api/v1/tags/{tag['id']}", {"name": "v"}),
        ("DELETE", f"/api/v1/tags/{tag['id']}", None),
        ("POST", f"/api/v1/tags/{tag['id']}/merge", {"from": [tag["id"]]}),
        ("POST", "/api/v1/tags/attach", {"tags": ["t"], "items": [a]}),
        ("POST", "/api/v1/tags/detach", {"tags": ["t"], "items": [a]}),
    ]
    with signed_in(lib.app, "viewer") as viewer:
        assert ok(viewer.get("/api/v1/tags"))["tags"][0]["name"] == "t"
        ok(viewer.get(f"/api/v1/tags/{tag['id']}"))
        for method, url, body in writes:
            assert error(viewer.request(method, url, json=body), 403) == (
                "this needs the 'write' permission"
            )
    with signed_in(lib.app, "member") as member:
        ok(member.post("/api/v1/tags/attach", json={"tags": ["t"], "items": [a]}))
    assert item_tags(lib.client, a) == ["t"]
    assert [t["name"] for t in ok(lib.client.get("/api/v1/tags"))["tags"]] == ["t"]
