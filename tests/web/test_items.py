"""The items API: cursor pagination, filters, errors, and the app's other pages."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from mediashelf import __version__
from mediashelf.config import Settings
from mediashelf.library.scan import scan
from tests import factory
from tests.web.conftest import all_items, item_by_path, scanned_library

SHOT = datetime(2020, 5, 1, 12, 0, 0)  # EXIF date shared by several photos
LATER = datetime(2021, 7, 2, 8, 30, 0)
MTIME_NS = 1_600_000_000_123_456_000  # mtime shared by several photos without EXIF

# path, EXIF date (None: the mtime is the date), size padded to (None: as made)
PHOTOS: list[tuple[str, datetime | None, int | None]] = [
    ("a/same.jpg", SHOT, 3000),  # same name, date and size: ties everywhere
    ("b/same.jpg", SHOT, 3000),
    ("c/same.jpg", SHOT, 4000),
    ("apple.jpg", LATER, 3000),
    ("berry.jpg", LATER, 4000),
    ("cherry.jpg", None, 4000),
    ("damson.jpg", None, 5000),
    ("elder.jpg", None, 3000),
    ("sub/mike.jpg", None, None),
    ("sub/deep/nov.jpg", SHOT, None),
    ("SUB/deep/oscar.jpg", None, None),  # differs from sub only in case
    ("100%/gamma.jpg", None, None),  # LIKE wildcards in folder names
    ("100%/deep/hotel.jpg", None, None),
    ("100x/deep/india.jpg", None, None),
    ("a_b/juliet.jpg", None, None),
    ("a_b/deep/kilo.jpg", None, None),
    ("axb/deep/lima.jpg", None, None),
]
VIDEO = "clips/fig.mp4"


def _files(media: Path) -> None:
    for n, (rel, taken, size) in enumerate(PHOTOS):
        path = factory.jpeg(media / rel, taken_at=taken, seed=n + 1)
        if size is not None:
            with open(path, "ab") as fh:
                fh.write(b"\0" * (size - path.stat().st_size))
        if taken is None:
            os.utime(path, ns=(MTIME_NS, MTIME_NS))
    os.utime(factory.video(media / VIDEO, seconds=0.3), ns=(MTIME_NS, MTIME_NS))


@pytest.fixture(scope="module")
def lib(module_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with scanned_library(tmp_path_factory.mktemp("items"), module_db_url, _files) as (c, _):
        yield c


def paths(resp: Any) -> list[str]:
    assert resp.status_code == 200, resp.text
    return [i["path"] for i in resp.json()["items"]]


def error(resp: Any, status: int) -> Any:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/json"
    assert resp.headers["x-content-type-options"] == "nosniff"
    return resp.json()["detail"]


# -- pagination ---------------------------------------------------------------

SORTS = ["date", "-date", "name", "-name", "size", "-size"]


def sort_key(item: dict[str, Any], sort: str) -> Any:
    return item[sort.lstrip("-")]


@pytest.mark.parametrize("sort", SORTS)
def test_one_page_is_in_order_with_ties_broken_by_id(lib: TestClient, sort: str) -> None:
    items = all_items(lib, sort=sort)
    assert len(items) == len(PHOTOS) + 1
    keys = [(sort_key(i, sort), i["id"]) for i in items]
    assert keys == sorted(keys, reverse=sort.startswith("-"))
    assert len({k for k, _ in keys}) < len(keys)  # the table really has ties


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("limit", [1, 2, 5])
def test_cursor_pages_return_every_item_once(lib: TestClient, sort: str, limit: int) -> None:
    expected = [i["id"] for i in all_items(lib, sort=sort)]
    got: list[int] = []
    cursor = None
    for _ in range(len(expected) + 2):
        params: dict[str, Any] = {"sort": sort, "limit": limit}
        if cursor:
            params["cursor"] = cursor
        page = lib.get("/api/v1/items", params=params).json()
        assert len(page["items"]) <= limit
        got += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert got == expected
    assert -(-len(expected) // limit) * limit >= len(got)  # no empty page at the end


def test_cursor_pages_keep_filters(lib: TestClient) -> None:
    first = lib.get("/api/v1/items", params={"folder": "a_b", "recursive": True, "limit": 1})
    page = first.json()
    rest = lib.get(
        "/api/v1/items",
        params={"folder": "a_b", "recursive": True, "limit": 1, "cursor": page["next_cursor"]},
    ).json()
    assert {i["path"] for i in page["items"] + rest["items"]} == {
        "a_b/juliet.jpg",
        "a_b/deep/kilo.jpg",
    }
    assert rest["next_cursor"] is None


def test_default_sort_is_newest_first(lib: TestClient) -> None:
    assert all_items(lib) == all_items(lib, sort="-date")
    assert all_items(lib)[0]["path"] in ("apple.jpg", "berry.jpg")  # LATER is the newest date


# -- filters --------------------------------------------------------------------


def test_kind_filter(lib: TestClient) -> None:
    assert [i["path"] for i in all_items(lib, kind="video")] == [VIDEO]
    images = all_items(lib, kind="image")
    assert len(images) == len(PHOTOS) and {i["kind"] for i in images} == {"image"}
    assert error(lib.get("/api/v1/items", params={"kind": "audio"}), 400)


@pytest.mark.parametrize(
    ("folder", "recursive", "expected"),
    [
        ("sub", False, {"sub/mike.jpg"}),
        ("sub/", False, {"sub/mike.jpg"}),
        ("sub", True, {"sub/mike.jpg", "sub/deep/nov.jpg"}),  # not SUB/deep
        ("SUB", True, {"SUB/deep/oscar.jpg"}),
        ("sub/deep", True, {"sub/deep/nov.jpg"}),
        ("100%", False, {"100%/gamma.jpg"}),
        ("100%", True, {"100%/gamma.jpg", "100%/deep/hotel.jpg"}),  # not 100x/deep
        ("1%", True, set()),
        ("a_b", True, {"a_b/juliet.jpg", "a_b/deep/kilo.jpg"}),  # not axb/deep
        ("a_b", False, {"a_b/juliet.jpg"}),
        ("axb", False, set()),
        ("nowhere", True, set()),
        ("", False, {"apple.jpg", "berry.jpg", "cherry.jpg", "damson.jpg", "elder.jpg"}),
        ("", True, {p for p, _, _ in PHOTOS} | {VIDEO}),
        (".", False, {"apple.jpg", "berry.jpg", "cherry.jpg", "damson.jpg", "elder.jpg"}),
    ],
)
def test_folder_filter(lib: TestClient, folder: str, recursive: bool, expected: set[str]) -> None:
    items = all_items(lib, folder=folder, recursive=recursive)
    assert {i["path"] for i in items} == expected


def test_root_filter(lib: TestClient) -> None:
    root_id = all_items(lib)[0]["root_id"]
    assert len(all_items(lib, root=root_id)) == len(PHOTOS) + 1
    assert all_items(lib, root=root_id + 1) == []


# -- bad requests -----------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "bogus"},
        {"sort": "id"},
        {"sort": "date; DROP TABLE items"},
        {"limit": 501},
        {"limit": 0},
        {"limit": -1},
        {"limit": "many"},
        {"recursive": "perhaps"},
        {"root": "one"},
    ],
)
def test_invalid_parameters_are_400(lib: TestClient, params: dict[str, Any]) -> None:
    detail = error(lib.get("/api/v1/items", params=params), 400)
    assert isinstance(detail, list) and detail  # says which parameter and why


def test_limit_500_is_allowed(lib: TestClient) -> None:
    assert lib.get("/api/v1/items", params={"limit": 500}).status_code == 200


def b64(raw: bytes | str) -> str:
    data = raw.encode() if isinstance(raw, str) else raw
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


GARBAGE_CURSORS = [
    pytest.param("name", "garbage!!", id="not-base64"),
    pytest.param("name", "é", id="not-ascii"),
    pytest.param("name", b64(b"\xff\xfe\xfd"), id="not-utf8"),
    pytest.param("name", b64("not json"), id="not-json"),
    pytest.param("name", b64('{"sort": "name"}'), id="object"),
    pytest.param("name", b64("[1, 2]"), id="short-list"),
    pytest.param("name", b64('"abc"'), id="string"),
    pytest.param("name", b64("[" * 5000), id="deeply-nested"),
    pytest.param("name", b64('["name", 5, 1]'), id="name-not-text"),
    pytest.param("name", b64('["name", "x", "1"]'), id="id-not-int"),
    pytest.param("name", b64('["name", "x", true]'), id="id-bool"),
    pytest.param("name", b64('["name", "x", 1.5]'), id="id-float"),
    pytest.param("name", b64('["name", "x", 99999999999999999999999]'), id="id-huge"),
    pytest.param("name", b64('["name", "a\\u0000b", 1]'), id="name-nul"),
    pytest.param("name", b64('["name", "\\ud800", 1]'), id="name-lone-surrogate"),
    pytest.param("date", b64('["date", "yesterday", 1]'), id="date-not-date"),
    pytest.param("date", b64('["date", 20200101, 1]'), id="date-number"),
    pytest.param("-date", b64('["-date", "2020-01-01T00:00:00+05:00", 1]'), id="date-aware"),
    pytest.param("size", b64('["size", "3000", 1]'), id="size-text"),
    pytest.param("size", b64('["size", true, 1]'), id="size-bool"),
    pytest.param("size", b64('["size", 3000.5, 1]'), id="size-float"),
    pytest.param("size", b64('["size", 99999999999999999999999, 1]'), id="size-huge"),
    pytest.param("-size", b64('["-size", -99999999999999999999999, 1]'), id="size-huge-negative"),
]


@pytest.mark.parametrize(("sort", "cursor"), GARBAGE_CURSORS)
def test_garbage_cursor_is_400(lib: TestClient, sort: str, cursor: str) -> None:
    detail = error(lib.get("/api/v1/items", params={"sort": sort, "cursor": cursor}), 400)
    assert "cursor" in detail


@pytest.mark.parametrize(("made_for", "used_with"), [("name", "size"), ("-date", "date")])
def test_cursor_for_another_sort_is_400(lib: TestClient, made_for: str, used_with: str) -> None:
    page = lib.get("/api/v1/items", params={"sort": made_for, "limit": 2}).json()
    resp = lib.get("/api/v1/items", params={"sort": used_with, "cursor": page["next_cursor"]})
    detail = error(resp, 400)
    assert made_for in detail and used_with in detail


def test_tampered_cursor_is_400(lib: TestClient) -> None:
    cursor = lib.get("/api/v1/items", params={"sort": "name", "limit": 2}).json()["next_cursor"]
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    _, name, item_id = json.loads(raw)
    for tampered in (b64(json.dumps(["size", name, item_id])), cursor[:-3], cursor + "!!"):
        resp = lib.get("/api/v1/items", params={"sort": "name", "cursor": tampered})
        assert "cursor" in error(resp, 400)


# -- one item, counts, missing files ------------------------------------------------


def test_item_detail(lib: TestClient) -> None:
    listed = item_by_path(lib, "apple.jpg")
    resp = lib.get(f"/api/v1/items/{listed['id']}")
    assert resp.status_code == 200
    item = resp.json()
    assert item == listed
    assert (item["name"], item["folder"], item["kind"], item["mime"]) == (
        "apple.jpg",
        "",
        "image",
        "image/jpeg",
    )
    assert (item["width"], item["height"], item["size"]) == (64, 48, 3000)
    assert item["taken_at"] == LATER.isoformat() and item["date"] == LATER.isoformat()
    assert item["status"] == "present" and item["error"] is None
    assert item["original"] == f"/api/v1/items/{item['id']}/original"


@pytest.mark.parametrize(
    ("item_id", "status"),
    [("999999", 404), ("0", 404), ("abc", 422), ("99999999999999999999", 422)],
)
def test_unknown_item(lib: TestClient, item_id: str, status: int) -> None:
    detail = error(lib.get(f"/api/v1/items/{item_id}"), status)
    if status == 404:
        assert detail == "item not found"


def test_count(lib: TestClient) -> None:
    assert lib.get("/api/v1/items/count").json() == {"count": len(PHOTOS) + 1}
    assert lib.get("/api/v1/items/count", params={"kind": "video"}).json() == {"count": 1}
    assert lib.get("/api/v1/items/count", params={"kind": "image"}).json() == {"count": len(PHOTOS)}


def test_missing_items_are_hidden_unless_asked_for(
    client: TestClient, engine: Engine, settings: Settings, media: Path
) -> None:
    factory.jpeg(media / "keep.jpg", seed=1)
    factory.jpeg(media / "gone.jpg", seed=2)
    scan(engine, settings)
    gone = item_by_path(client, "gone.jpg")
    assert client.get("/api/v1/items/count").json() == {"count": 2}

    (media / "gone.jpg").unlink()
    assert scan(engine, settings).missing == 1

    assert [i["path"] for i in all_items(client)] == ["keep.jpg"]
    assert client.get("/api/v1/items/count").json() == {"count": 1}
    every = {i["path"]: i["status"] for i in all_items(client, include_missing=True)}
    assert every == {"keep.jpg": "present", "gone.jpg": "missing"}
    assert client.get(f"/api/v1/items/{gone['id']}").json()["status"] == "missing"
    assert error(client.get(gone["original"]), 404) == "file not found"
    assert error(client.get("/media/gone.jpg"), 404) == "file not found"


# -- the rest of the app --------------------------------------------------------------


def test_health(lib: TestClient) -> None:
    resp = lib.get("/api/v1/health")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok", "version": __version__, "database": "ok"}


def test_docs_and_openapi(lib: TestClient) -> None:
    docs = lib.get("/docs")
    assert docs.status_code == 200
    assert docs.headers["content-type"].startswith("text/html")
    assert "swagger" in docs.text.lower()
    spec = lib.get("/openapi.json").json()
    assert {"/api/v1/items", "/api/v1/items/{item_id}", "/api/v1/health"} <= set(spec["paths"])
    ids = [op["operationId"] for path in spec["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids))  # GET and HEAD routes each have their own
    sorts = spec["components"]["schemas"]["Sort"]["enum"]
    assert sorted(sorts) == sorted(SORTS)


def test_gallery_page_has_a_csp(lib: TestClient) -> None:
    resp = lib.get("/")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/html")
    assert "<html" in resp.text.lower()
    csp = resp.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "object-src 'none'" in csp
    assert "unsafe-inline" not in csp
    assert resp.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("url", ["/nowhere", "/api/v1/nowhere", "/static/../app.py"])
def test_unknown_urls_are_json_404(lib: TestClient, url: str) -> None:
    assert error(lib.get(url), 404)


def test_oversized_numbers_are_a_4xx_not_a_500(lib: TestClient) -> None:
    huge = "9" * 30
    for url in (
        f"/api/v1/items/{huge}/original",
        f"/api/v1/items/{huge}/thumbnail/small",
    ):
        assert lib.get(url).status_code == 422, url  # a path that cannot be an id
    assert lib.get(f"/api/v1/items?root={huge}").status_code == 400  # a bad query
