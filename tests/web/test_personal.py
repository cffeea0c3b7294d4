"""Ratings, views and favorites: per user, in item summaries, the seed's routes, and
they survive a move of the file. On SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from mediashelf.config import Settings
from mediashelf.db.engine import make_engine
from mediashelf.library.scan import scan
from tests import factory
from tests.conftest import add_key
from tests.web.conftest import all_items, scanned_library


@dataclass
class Lib:
    admin: TestClient
    app: FastAPI
    settings: Settings
    ids: dict[str, int]
    hashes: dict[str, str]

    def client(self, role: str) -> TestClient:
        client = TestClient(self.app)
        client.headers["authorization"] = f"Bearer {add_key(self.app, role)}"
        return client


def _files(media: Path) -> None:
    factory.jpeg(media / "trip" / "a.jpg", seed=1)
    factory.jpeg(media / "trip" / "b.jpg", seed=2)


@pytest.fixture
def lib(tmp_path: Path, db_url: str) -> Iterator[Lib]:
    with scanned_library(tmp_path, db_url, _files) as (client, settings):
        items = all_items(client)
        yield Lib(
            client,
            client.app,  # type: ignore[arg-type]
            settings,
            {i["path"]: i["id"] for i in items},
            {i["path"]: i["fingerprint"] for i in items},
        )


def _item(client: TestClient, item_id: int) -> dict[str, Any]:
    resp = client.get(f"/api/v1/items/{item_id}")
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def test_ratings_are_per_user_and_summarised(lib: Lib) -> None:
    a = lib.ids["trip/a.jpg"]
    alice, bob = lib.client("member"), lib.client("member")
    assert _item(alice, a)["rating"] == {"average": None, "count": 0, "mine": None}
    assert alice.put(f"/api/v1/items/{a}/rating", json={"value": 80}).status_code == 200
    assert bob.put(f"/api/v1/items/{a}/rating", json={"value": 40}).json() == {
        "item_id": a, "average": 60.0, "count": 2, "mine": 40,
    }  # fmt: skip
    assert alice.put(f"/api/v1/items/{a}/rating", json={"value": 100}).json()["count"] == 2
    assert _item(alice, a)["rating"] == {"average": 70.0, "count": 2, "mine": 100}
    # The list shows the same summary, with the caller's own rating.
    listed = {i["id"]: i for i in all_items(bob)}
    assert listed[a]["rating"] == {"average": 70.0, "count": 2, "mine": 40}
    assert bob.delete(f"/api/v1/items/{a}/rating").json()["count"] == 1
    assert alice.get(f"/api/v1/items/{a}/rating").json()["mine"] == 100


@pytest.mark.parametrize("body", [{"value": 101}, {"value": -1}, {"value": "x"}, {}, {"v": 1}])
def test_bad_ratings_are_422(lib: Lib, body: dict[str, Any]) -> None:
    resp = lib.admin.put(f"/api/v1/items/{lib.ids['trip/a.jpg']}/rating", json=body)
    assert resp.status_code == 422 and resp.json()["detail"]


def test_unknown_items_are_404(lib: Lib) -> None:
    for method, path, body in (
        ("put", "rating", {"value": 20}),
        ("post", "views", {}),
        ("put", "favorite", None),
        ("get", "caption", None),
    ):
        resp = lib.admin.request(method.upper(), f"/api/v1/items/999999/{path}", json=body)
        assert resp.status_code == 404 and resp.json() == {"detail": "item not found"}


def test_viewers_record_views_but_do_not_rate(lib: Lib) -> None:
    a = lib.ids["trip/a.jpg"]
    viewer = lib.client("viewer")
    assert viewer.put(f"/api/v1/items/{a}/rating", json={"value": 20}).status_code == 403
    assert viewer.put(f"/api/v1/items/{a}/favorite").status_code == 403
    first = viewer.post(f"/api/v1/items/{a}/views", json={})
    assert first.status_code == 200 and first.json()["count"] == 1
    # A position update does not count as another view; a new play does.
    moved = viewer.post(f"/api/v1/items/{a}/views", json={"position": 42.5, "count": False})
    assert moved.json()["count"] == 1 and moved.json()["position"] == 42.5
    again = viewer.post(f"/api/v1/items/{a}/views", json={}).json()
    assert again["count"] == 2 and again["position"] == 42.5  # kept for resuming
    assert _item(viewer, a)["views"]["count"] == 2
    assert _item(lib.admin, a)["views"]["count"] == 0  # someone else's views are theirs


def test_favorites_and_the_list(lib: Lib) -> None:
    a, b = lib.ids["trip/a.jpg"], lib.ids["trip/b.jpg"]
    member = lib.client("member")
    for item_id in (a, b):
        assert member.put(f"/api/v1/items/{item_id}/favorite").json()["favorite"] is True
    assert member.put(f"/api/v1/items/{a}/favorite").status_code == 200  # twice: still one
    page = member.get("/api/v1/favorites", params={"limit": 1}).json()
    assert [i["id"] for i in page["items"]] == [b] and page["items"][0]["favorite"] is True
    rest = member.get("/api/v1/favorites", params={"limit": 1, "cursor": page["next_cursor"]})
    assert [i["id"] for i in rest.json()["items"]] == [a] and rest.json()["next_cursor"] is None
    assert member.delete(f"/api/v1/items/{a}/favorite").json()["favorite"] is False
    assert [i["id"] for i in member.get("/api/v1/favorites").json()["items"]] == [b]
    assert lib.admin.get("/api/v1/favorites").json()["items"] == []
    assert member.get("/api/v1/favorites", params={"cursor": "nonsense"}).status_code == 400


def test_the_seed_routes(lib: Lib) -> None:
    h = lib.hashes["trip/a.jpg"]
    member = lib.client("member")
    assert member.get(f"/api/ratings/{h}").json() == {
        "media_hash": h, "rating": None, "average": None, "count": 0,
    }  # fmt: skip
    assert member.post(f"/api/ratings/{h}", json={"rating": 4}).json()["rating"] == 4.0
    assert _item(member, lib.ids["trip/a.jpg"])["rating"]["mine"] == 80
    assert member.post(f"/api/ratings/{h}", json={"rating": 6}).status_code == 422
    assert member.post(f"/api/ratings/{h}", json={"rating": 0}).json()["rating"] is None
    assert member.get(f"/api/is-favourite/{h}").json()["favourite"] is False
    assert member.post(f"/api/add-favourite/{h}").json()["favourite"] is True
    assert member.get(f"/api/is-favourite/{h}").json()["favourite"] is True
    assert member.post(f"/api/remove-favourite/{h}").json()["favourite"] is False
    assert member.get(f"/api/ratings/{'0' * 32}").status_code == 404
    assert member.get("/api/ratings/not-a-hash").status_code == 404


def test_everything_stays_on_a_moved_file(lib: Lib, db_url: str) -> None:
    """Rate, favorite, view and caption an item, `mv` the file, rescan: all still there."""
    a = lib.ids["trip/a.jpg"]
    member = lib.client("member")
    member.put(f"/api/v1/items/{a}/rating", json={"value": 60})
    member.put(f"/api/v1/items/{a}/favorite")
    member.post(f"/api/v1/items/{a}/views", json={"position": 3.0})
    member.post(f"/api/v1/items/{a}/caption", json={"text": "Sunset at the lake"})
    media = lib.settings.media_dir[0]
    (media / "2026" / "lake").mkdir(parents=True)
    shutil.move(media / "trip" / "a.jpg", media / "2026" / "lake" / "renamed.jpg")
    engine: Engine = make_engine(db_url)
    try:
        report = scan(engine, lib.settings)
    finally:
        engine.dispose()
    assert report.moved == 1
    moved = _item(member, a)
    assert moved["path"] == "2026/lake/renamed.jpg"
    assert moved["rating"]["mine"] == 60 and moved["favorite"] is True
    assert moved["views"]["count"] == 1 and moved["views"]["position"] == 3.0
    assert moved["caption"] == "Sunset at the lake"


def test_a_selection_is_rated_and_favorited_in_one_request(lib: Lib) -> None:
    a, b = lib.ids["trip/a.jpg"], lib.ids["trip/b.jpg"]
    alice, bob = lib.client("member"), lib.client("member")
    assert alice.put(f"/api/v1/items/{a}/rating", json={"value": 60}).status_code == 200
    rated = alice.post("/api/v1/ratings/set", json={"items": [a, b, b], "value": 80})
    assert rated.status_code == 200 and rated.json() == {"changed": 2}
    assert [_item(alice, i)["rating"]["mine"] for i in (a, b)] == [80, 80]
    assert _item(bob, a)["rating"]["mine"] is None  # only the caller's own ratings
    again = alice.post("/api/v1/ratings/set", json={"items": [a, b], "value": 80})
    assert again.json() == {"changed": 0}  # nothing to change
    cleared = alice.post("/api/v1/ratings/set", json={"items": [a], "value": None})
    assert cleared.json() == {"changed": 1} and _item(alice, a)["rating"]["count"] == 0

    assert alice.put(f"/api/v1/items/{b}/favorite").status_code == 200
    first = alice.get("/api/v1/favorites").json()["items"][0]
    added = alice.post("/api/v1/favorites/add", json={"items": [a, b]})
    assert added.json() == {"changed": 1}  # b was one already
    assert {i["id"] for i in alice.get("/api/v1/favorites").json()["items"]} == {a, b}
    assert alice.get("/api/v1/favorites").json()["items"][-1] == first  # b kept its date
    assert bob.get("/api/v1/favorites").json()["items"] == []
    removed = alice.post("/api/v1/favorites/remove", json={"items": [a, b]})
    assert removed.json() == {"changed": 2} and alice.get("/api/v1/favorites").json()["items"] == []


def test_a_selection_with_an_unknown_item_changes_nothing(lib: Lib) -> None:
    a = lib.ids["trip/a.jpg"]
    member = lib.client("member")
    for path, body in (
        ("/api/v1/ratings/set", {"items": [a, 999999], "value": 40}),
        ("/api/v1/favorites/add", {"items": [a, 999999]}),
    ):
        resp = member.post(path, json=body)
        assert resp.status_code == 404 and "999999" in resp.json()["detail"]
    assert _item(member, a)["rating"]["mine"] is None and _item(member, a)["favorite"] is False
    for bad in ({"items": [], "value": 20}, {"items": [a], "value": 101}, {"items": [a]}):
        assert member.post("/api/v1/ratings/set", json=bad).status_code == 422
    assert member.post("/api/v1/favorites/add", json={"items": [0]}).status_code == 422
    viewer = lib.client("viewer")
    assert viewer.post("/api/v1/favorites/add", json={"items": [a]}).status_code == 403


def test_a_hidden_item_cannot_be_rated_in_a_selection(lib: Lib) -> None:
    a, b = lib.ids["trip/a.jpg"], lib.ids["trip/b.jpg"]
    tag = lib.admin.post("/api/v1/tags/attach", json={"tags": ["Secret"], "items": [b]})
    assert tag.status_code == 200
    secret = lib.admin.get("/api/v1/tags", params={"q": "Secret"}).json()["tags"][0]["id"]
    assert lib.admin.put("/api/v1/admin/content-filters", json={"tags": [secret]}).is_success
    member = lib.client("member")
    refused = member.post("/api/v1/ratings/set", json={"items": [a, b], "value": 40})
    assert refused.status_code == 404 and str(b) in refused.json()["detail"]
    assert str(a) not in refused.json()["detail"].split(":")[1]
    assert _item(member, a)["rating"]["mine"] is None
    # An admin sees past content filters, as for one item.
    assert lib.admin.post("/api/v1/ratings/set", json={"items": [a, b], "value": 40}).json() == {
        "changed": 2
    }
