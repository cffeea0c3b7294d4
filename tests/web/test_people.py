"""/api/v1/performers and /api/v1/studios: the routes tags have, pictures, studio
trees, one studio per item, the items list's filters, the seed's
/api/get-performers and /api/get-studios, permissions. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests import factory
from tests.conftest import signed_in
from tests.web.conftest import all_items, scanned_library

PATHS = ["set1/a.jpg", "set1/b.jpg", "set2/c.jpg", "set2/d.jpg", "e.jpg"]
KINDS = ["performers", "studios"]


@dataclass
class Lib:
    client: TestClient
    app: FastAPI
    ids: dict[str, int]


def _files(media: Path) -> None:
    for n, rel in enumerate(PATHS):
        factory.jpeg(media / rel, seed=n + 1)


@pytest.fixture
def lib(tmp_path: Path, db_url: str) -> Iterator[Lib]:
    with scanned_library(tmp_path, db_url, _files) as (client, _settings):
        ids = {i["path"]: i["id"] for i in all_items(client)}
        yield Lib(client, client.app, ids)  # type: ignore[arg-type]


def ok(resp: Any, status: int = 200) -> Any:
    assert resp.status_code == status, resp.text
    return resp.json()


def error(resp: Any, status: int) -> Any:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/json"
    return resp.json()["detail"]


def new(client: TestClient, kind: str, name: str, **extra: Any) -> dict[str, Any]:
    return ok(client.post(f"/api/v1/{kind}", json={"name": name, **extra}), 201)  # type: ignore[no-any-return]


def singular(kind: str) -> str:
    return kind[:-1] if kind == "performers" else "studio"


def listed(entry: dict[str, Any]) -> dict[str, Any]:
    """An entry as lists show it: without the detail's photosets, parent and children."""
    return {k: v for k, v in entry.items() if k not in ("photosets", "parent", "children")}


def item(client: TestClient, item_id: int) -> dict[str, Any]:
    return ok(client.get(f"/api/v1/items/{item_id}"))  # type: ignore[no-any-return]


# -- what both share ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_crud(lib: Lib, kind: str) -> None:
    c = lib.client
    image = lib.ids["e.jpg"]
    entry = new(c, kind, " Ann   Lee ", aliases=["A. Lee"], image_item_id=image)
    assert (entry["name"], entry["aliases"], entry["count"]) == ("Ann Lee", ["A. Lee"], 0)
    assert entry["image_item_id"] == image
    assert entry["image"] == f"/api/v1/items/{image}/thumbnail/medium"
    url = f"/api/v1/{kind}/{entry['id']}"
    assert ok(c.get(url)) == entry
    changed = ok(c.patch(url, json={"name": "Anne Lee", "image_item_id": None}))
    assert (changed["name"], changed["aliases"], changed["image"]) == ("Anne Lee", ["A. Lee"], None)
    assert ok(c.get(f"/api/v1/{kind}"))[kind] == [listed(changed)]
    assert ok(c.delete(url))["name"] == "Anne Lee"
    assert error(c.get(url), 404) == f"{singular(kind)} {entry['id']} not found"
    assert ok(c.get(f"/api/v1/{kind}")) == {kind: [], "next_cursor": None}


@pytest.mark.parametrize("kind", KINDS)
def test_unknown_entries_are_404(lib: Lib, kind: str) -> None:
    c = lib.client
    for method, body in [("GET", None), ("PATCH", {"name": "x"}), ("DELETE", None)]:
        detail = error(c.request(method, f"/api/v1/{kind}/424242", json=body), 404)
        assert detail == f"{singular(kind)} 424242 not found"
    detail = error(c.post(f"/api/v1/{kind}/424242/merge", json={"from": [1]}), 404)
    assert detail == f"{singular(kind)} 424242 not found"


@pytest.mark.parametrize("kind", KINDS)
def test_a_picture_must_be_an_item(lib: Lib, kind: str) -> None:
    c = lib.client
    resp = c.post(f"/api/v1/{kind}", json={"name": "x", "image_item_id": 999999})
    assert error(resp, 404) == "item 999999 not found"
    entry = new(c, kind, "y")
    resp = c.patch(f"/api/v1/{kind}/{entry['id']}", json={"image_item_id": 999999})
    assert error(resp, 404) == "item 999999 not found"
    error(c.patch(f"/api/v1/{kind}/{entry['id']}", json={"image_item_id": 0}), 422)
    assert ok(c.get(f"/api/v1/{kind}"))[kind] == [listed(entry)]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": ""}, "the name is empty"),
        ({"name": "a\tb\x1b"}, "control character"),
        ({"name": "ok", "aliases": ["x" * 201]}, "longer than 200"),
        ({"name": "ok", "category": "x"}, "Extra inputs are not permitted"),
        ({"name": "ok", "aliases": "A"}, "valid list"),
    ],
)
def test_bad_bodies_are_422(lib: Lib, kind: str, body: Any, message: str) -> None:
    detail = error(lib.client.post(f"/api/v1/{kind}", json=body), 422)
    assert message in str(detail)


@pytest.mark.parametrize("kind", KINDS)
def test_one_name_in_any_case_or_width_and_unique_aliases(lib: Lib, kind: str) -> None:
    c = lib.client
    first = new(c, kind, "Mia", aliases=["Mimi"])
    for name in ["MIA", "\uff4d\uff49\uff41", "mimi"]:
        error(c.post(f"/api/v1/{kind}", json={"name": name}), 409)
    other = new(c, kind, "Zoe")
    resp = c.patch(f"/api/v1/{kind}/{other['id']}", json={"aliases": ["MIMI"]})
    assert f"is an alias of {singular(kind)} 'Mia'" in error(resp, 409)
    assert ok(c.get(f"/api/v1/{kind}", params={"q": "mim"}))[kind] == [listed(first)]


@pytest.mark.parametrize("kind", KINDS)
def test_merge(lib: Lib, kind: str) -> None:
    c = lib.client
    a, b = lib.ids["set1/a.jpg"], lib.ids["set1/b.jpg"]
    keep = new(c, kind, "Keep")
    gone = new(c, kind, "Gone", aliases=["Old"], image_item_id=a)
    ok(c.post(f"/api/v1/{kind}/attach", json={kind: [gone["id"]], "items": [a, b]}))
    merged = ok(c.post(f"/api/v1/{kind}/{keep['id']}/merge", json={"from": [gone["id"]]}))
    assert (merged["aliases"], merged["count"], merged["image_item_id"]) == (["Gone", "Old"], 2, a)
    error(c.get(f"/api/v1/{kind}/{gone['id']}"), 404)
    shown = item(c, a)
    if kind == "performers":
        assert [p["name"] for p in shown["performers"]] == ["Keep"]
    else:
        assert shown["studio"] == {"id": keep["id"], "name": "Keep"}


@pytest.mark.parametrize("kind", KINDS)
def test_list_pages_and_allowlists(lib: Lib, kind: str) -> None:
    c = lib.client
    for name in ["b", "A", "d", "C"]:
        new(c, kind, name)
    listed = ok(c.get(f"/api/v1/{kind}"))[kind]
    assert [e["name"] for e in listed] == ["A", "b", "C", "d"]
    got = []
    cursor = None
    for _ in range(10):
        page = ok(
            c.get(f"/api/v1/{kind}", params={"limit": 3, **({"cursor": cursor} if cursor else {})})
        )
        got += page[kind]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert got == listed
    for params in [{"sort": "key"}, {"limit": 0}, {"cursor": "!!"}, {"sort": "-count;"}]:
        error(c.get(f"/api/v1/{kind}", params=params), 400)


# -- performers ------------------------------------------------------------------------------


def test_performers_attach_detach_and_filter(lib: Lib) -> None:
    c = lib.client
    ids = lib.ids
    set1 = [ids["set1/a.jpg"], ids["set1/b.jpg"]]
    resp = c.post("/api/v1/performers/attach", json={"performers": ["Ann", "Bo"], "items": set1})
    assert ok(resp) == {"added": 4}
    resp = c.post(
        "/api/v1/performers/attach", json={"performers": ["ann"], "items": [ids["e.jpg"]]}
    )
    assert ok(resp) == {"added": 1}
    people = {
        p["name"]: p
        for p in ok(c.get("/api/v1/performers", params={"sort": "-count"}))["performers"]
    }
    assert [(n, p["count"]) for n, p in people.items()] == [("Ann", 3), ("Bo", 2)]
    ann, bo = people["Ann"]["id"], people["Bo"]["id"]

    def paths(**params: Any) -> set[str]:
        return {i["path"] for i in all_items(c, **params)}

    assert paths(performer=[ann]) == {"set1/a.jpg", "set1/b.jpg", "e.jpg"}
    assert paths(performer=[ann, bo]) == {"set1/a.jpg", "set1/b.jpg"}  # every one
    pages = []
    cursor = None
    for _ in range(5):
        params: dict[str, Any] = {"performer": [ann], "limit": 2, "sort": "name"}
        page = ok(
            c.get("/api/v1/items", params={**params, **({"cursor": cursor} if cursor else {})})
        )
        pages.append([i["name"] for i in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == [["a.jpg", "b.jpg"], ["e.jpg"]]
    resp = c.post("/api/v1/performers/detach", json={"performers": [bo], "items": set1})
    assert ok(resp) == {"removed": 2}
    assert paths(performer=[bo]) == set()
    assert [p["name"] for p in item(c, ids["set1/a.jpg"])["performers"]] == ["Ann"]


# -- studios ---------------------------------------------------------------------------------


def test_studio_tree_and_no_loops(lib: Lib) -> None:
    c = lib.client
    network = new(c, "studios", "Network")
    label = new(c, "studios", "Label", parent_id=network["id"])
    sub = new(c, "studios", "Sub", parent_id=label["id"])
    assert label["parent_id"] == network["id"]
    shown = ok(c.get(f"/api/v1/studios/{label['id']}"))
    assert shown["parent"] == {"id": network["id"], "name": "Network"}
    assert shown["children"] == [{"id": sub["id"], "name": "Sub"}]
    url = f"/api/v1/studios/{network['id']}"
    assert error(c.patch(url, json={"parent_id": network["id"]}), 422) == (
        "a studio cannot be its own parent"
    )
    assert "would make a loop" in error(c.patch(url, json={"parent_id": sub["id"]}), 409)
    assert "would make a loop" in error(c.patch(url, json={"parent_id": label["id"]}), 409)
    assert ok(c.get(url))["parent_id"] is None
    resp = c.post("/api/v1/studios", json={"name": "x", "parent_id": 999999})
    assert error(resp, 404) == "parent studio 999999 not found"
    assert ok(c.get("/api/v1/studios", params={"q": "x"}))["studios"] == []
    # Moving a studio elsewhere, then to the top.
    moved = ok(c.patch(f"/api/v1/studios/{sub['id']}", json={"parent_id": network["id"]}))
    assert moved["parent_id"] == network["id"]
    assert (
        ok(c.patch(f"/api/v1/studios/{sub['id']}", json={"parent_id": None}))["parent_id"] is None
    )
    # Deleting a parent leaves its children at the top.
    ok(c.delete(f"/api/v1/studios/{network['id']}"))
    assert ok(c.get(f"/api/v1/studios/{label['id']}"))["parent"] is None


def test_an_item_has_one_studio(lib: Lib) -> None:
    c = lib.client
    a, b, e = lib.ids["set1/a.jpg"], lib.ids["set1/b.jpg"], lib.ids["e.jpg"]
    one = new(c, "studios", "One")
    resp = c.post("/api/v1/studios/attach", json={"studios": [one["id"]], "items": [a, b]})
    assert ok(resp) == {"added": 2, "replaced": 0}
    resp = c.post("/api/v1/studios/attach", json={"studios": ["Two"], "items": [b, e]})
    assert ok(resp) == {"added": 2, "replaced": 1}
    assert item(c, a)["studio"]["name"] == "One"
    assert item(c, b)["studio"]["name"] == "Two"
    two = ok(c.get("/api/v1/studios", params={"q": "two"}))["studios"][0]
    resp = c.post("/api/v1/studios/attach", json={"studios": [one["id"], two["id"]], "items": [a]})
    assert "at most 1 item" in str(error(resp, 422))

    def paths(**params: Any) -> set[str]:
        return {i["path"] for i in all_items(c, **params)}

    assert paths(studio=[one["id"]]) == {"set1/a.jpg"}
    assert paths(studio=[one["id"], two["id"]]) == {"set1/a.jpg", "set1/b.jpg", "e.jpg"}  # any
    first = ok(c.get("/api/v1/items", params={"studio": [two["id"]], "limit": 1, "sort": "name"}))
    rest = ok(c.get("/api/v1/items", params={"studio": [two["id"]], "cursor": first["next_cursor"],
                                            "limit": 1, "sort": "name"}))  # fmt: skip
    assert [i["name"] for i in first["items"] + rest["items"]] == ["b.jpg", "e.jpg"]
    resp = c.post("/api/v1/studios/detach", json={"studios": [one["id"]], "items": [a, b]})
    assert ok(resp) == {"removed": 1}  # b's studio is Two: it stays
    assert item(c, a)["studio"] is None
    assert item(c, b)["studio"]["name"] == "Two"


# -- the seed's routes -------------------------------------------------------------------------


def test_seed_lists(lib: Lib) -> None:
    c = lib.client
    a, b = lib.ids["set1/a.jpg"], lib.ids["set1/b.jpg"]
    ok(c.post("/api/v1/performers/attach", json={"performers": ["zed", "Amy"], "items": [a, b]}))
    new(c, "performers", "Bea")
    ok(c.post("/api/v1/studios/attach", json={"studios": ["Acme"], "items": [a]}))
    performers = ok(c.get("/api/get-performers"))
    assert [(p["name"], p["count"]) for p in performers["performers"]] == [
        ("Amy", 2),
        ("Bea", 0),
        ("zed", 2),
    ]
    assert set(performers["performers"][0]) == {"id", "name", "count"}
    studios = ok(c.get("/api/get-studios"))
    assert [(s["name"], s["count"]) for s in studios["studios"]] == [("Acme", 1)]
    with signed_in(lib.app, "viewer") as viewer:
        assert ok(viewer.get("/api/get-studios")) == studios
    assert TestClient(lib.app).get("/api/get-performers").status_code == 401


# -- permissions -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_viewer_reads_but_cannot_change(lib: Lib, kind: str) -> None:
    a = lib.ids["set1/a.jpg"]
    entry = new(lib.client, kind, "Someone")
    url = f"/api/v1/{kind}/{entry['id']}"
    writes: list[tuple[str, str, Any]] = [
        ("POST", f"/api/v1/{kind}", {"name": "v"}),
        ("PATCH", url, {"name": "v"}),
        ("DELETE", url, None),
        ("POST", f"{url}/merge", {"from": [entry["id"]]}),
        ("POST", f"/api/v1/{kind}/attach", {kind: [entry["id"]], "items": [a]}),
        ("POST", f"/api/v1/{kind}/detach", {kind: [entry["id"]], "items": [a]}),
    ]
    with signed_in(lib.app, "viewer") as viewer:
        assert ok(viewer.get(f"/api/v1/{kind}"))[kind][0]["name"] == "Someone"
        assert ok(viewer.get(url))["name"] == "Someone"
        for method, target, body in writes:
            resp = viewer.request(method, target, json=body)
            assert error(resp, 403) == "this needs the 'write' permission"
    with signed_in(lib.app, "member") as member:
        ok(member.patch(url, json={"name": "Renamed"}))
    assert [e["name"] for e in ok(lib.client.get(f"/api/v1/{kind}"))[kind]] == ["Renamed"]
