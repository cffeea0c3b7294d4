"""The items API: cursor pagination, filters, errors, and the app's other pages."""

from __future__ import annotations

import base64
import json
import os
import shutil
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
from tests.conftest import signed_in
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


def test_favorite_rating_date_and_orientation_filters(
    client: TestClient, engine: Engine, settings: Settings, media: Path
) -> None:
    """Each filter alone and combined, on the list and the count alike."""
    day = datetime(2023, 5, 17, 12, 0)
    factory.jpeg(media / "wide.jpg", (64, 48), taken_at=day, seed=1)
    factory.jpeg(media / "tall.jpg", (48, 64), taken_at=day.replace(day=18, hour=0), seed=2)
    factory.jpeg(media / "even.jpg", (50, 50), taken_at=datetime(2024, 1, 1, 8), seed=3)
    factory.jpeg(media / "old.jpg", (64, 48), taken_at=datetime(2001, 1, 1), seed=4)
    scan(engine, settings)
    ids = {path: item_by_path(client, path)["id"] for path in ("wide.jpg", "tall.jpg", "even.jpg")}
    assert client.put(f"/api/v1/items/{ids['wide.jpg']}/rating", json={"value": 100}).is_success
    assert client.put(f"/api/v1/items/{ids['tall.jpg']}/rating", json={"value": 60}).is_success
    assert client.put(f"/api/v1/items/{ids['even.jpg']}/favorite").is_success

    def both(**params: Any) -> set[str]:
        listed = {i["path"] for i in all_items(client, **params)}
        counted = client.get("/api/v1/items/count", params=params)
        assert counted.status_code == 200 and counted.json()["count"] == len(listed), params
        return listed

    assert both(orientation="landscape") == {"wide.jpg", "old.jpg"}
    assert both(orientation="portrait") == {"tall.jpg"}
    assert both(orientation="square") == {"even.jpg"}
    assert both(rating_min=3) == {"wide.jpg", "tall.jpg"}
    assert both(rating_min=4) == {"wide.jpg"}
    assert both(favorite=True) == {"even.jpg"}
    assert both(date_from="2023-05-17", date_to="2023-05-18") == {"wide.jpg", "tall.jpg"}
    assert both(date_to="2023-05-17") == {"wide.jpg", "old.jpg"}  # the whole day
    assert both(date_from="2023-05-17T13:00:00") == {"tall.jpg", "even.jpg"}
    assert both(date_from="2023-01-01", orientation="landscape") == {"wide.jpg"}
    assert both(rating_min=1, favorite=True) == set()
    for bad in (
        {"orientation": "diagonal"},
        {"rating_min": 0},
        {"rating_min": 6},
        {"date_from": "yesterday"},
        {"date_to": "2023-02-30"},
        {"date_from": "2023-05-17T13:00:00+02:00"},
    ):
        for url in ("/api/v1/items", "/api/v1/items/count"):
            resp = client.get(url, params=bad)
            assert resp.status_code == 400 and resp.json()["detail"], (url, bad)
    # Someone else's favorites and ratings are theirs: a viewer has none of them.
    with signed_in(client.app, "viewer") as viewer:  # type: ignore[arg-type]
        assert viewer.get("/api/v1/items/count", params={"favorite": True}).json()["count"] == 0
        assert viewer.get("/api/v1/items/count", params={"rating_min": 1}).json()["count"] == 0


# -- title and source URL (PATCH) ---------------------------------------------------


@pytest.fixture
def photo(client: TestClient, engine: Engine, settings: Settings, media: Path) -> int:
    factory.jpeg(media / "trip" / "a.jpg", seed=1)
    scan(engine, settings)
    item_id: int = item_by_path(client, "trip/a.jpg")["id"]
    return item_id


def patch(client: TestClient, item_id: int, body: Any) -> Any:
    return client.patch(f"/api/v1/items/{item_id}", json=body)


def test_patch_sets_and_clears_the_title_and_source_url(client: TestClient, photo: int) -> None:
    item = client.get(f"/api/v1/items/{photo}").json()
    assert (item["title"], item["source_url"]) == (None, None)

    resp = patch(client, photo, {"title": "  Sunset at the lake  "})
    assert resp.status_code == 200, resp.text
    assert (resp.json()["title"], resp.json()["source_url"]) == ("Sunset at the lake", None)
    assert resp.json() == client.get(f"/api/v1/items/{photo}").json()  # the item's JSON

    url = "https://example.com/photos/1?from=feed#top"
    changed = patch(client, photo, {"source_url": url}).json()  # only what is given
    assert (changed["title"], changed["source_url"]) == ("Sunset at the lake", url)
    assert patch(client, photo, {}).json() == changed  # nothing given: nothing changes
    listed = item_by_path(client, "trip/a.jpg")
    assert (listed["title"], listed["source_url"]) == ("Sunset at the lake", url)
    assert listed["name"] == "a.jpg"  # the file's name stays what it is

    cleared = patch(client, photo, {"title": "", "source_url": None}).json()
    assert (cleared["title"], cleared["source_url"]) == (None, None)
    patch(client, photo, {"title": "Again"})
    assert patch(client, photo, {"title": None}).json()["title"] is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"source_url": "javascript:alert(document.cookie)"}, "not an http:// or https:// URL"),
        ({"source_url": "JAVASCRIPT:alert(1)//https://example.com"}, "not an http"),
        ({"source_url": "data:text/html,<script>alert(1)</script>"}, "not an http"),
        ({"source_url": "ftp://example.com/a.jpg"}, "not an http"),
        ({"source_url": "https://"}, "with a host"),
        ({"source_url": "/relative/path"}, "not an http"),
        ({"source_url": "https://example.com/a b"}, "without spaces"),
        ({"source_url": ""}, "null to clear it"),
        ({"source_url": "https://example.com/" + "a" * 2000}, "at most 2000 characters"),
        ({"source_url": 5}, "string"),
        ({"title": "x" * 501}, "at most 500 characters"),
        ({"title": "two\nlines"}, "control character"),
        ({"title": "bell\x07"}, "control character"),
        ({"title": "a\x00b"}, "NUL"),
        ({"title": ["a"]}, "string"),
        ({"name": "renamed.jpg"}, "Extra inputs are not permitted"),
        ({"title": "ok", "status": "missing"}, "Extra inputs are not permitted"),
    ],
)
def test_patch_refuses_what_is_not_a_title_or_an_http_url(
    client: TestClient, photo: int, body: dict[str, Any], message: str
) -> None:
    patch(client, photo, {"title": "Kept", "source_url": "https://example.com/kept"})

    detail = error(patch(client, photo, body), 422)

    assert message in json.dumps(detail), detail
    item = client.get(f"/api/v1/items/{photo}").json()
    assert (item["title"], item["source_url"]) == ("Kept", "https://example.com/kept")


def test_patch_an_unknown_item_or_as_a_viewer(client: TestClient, photo: int) -> None:
    assert error(patch(client, 999_999, {"title": "x"}), 404) == "item not found"
    assert patch(client, 2**63, {"title": "x"}).status_code == 422
    with signed_in(client.app, "viewer") as viewer:  # type: ignore[arg-type]
        assert viewer.get(f"/api/v1/items/{photo}").status_code == 200
        assert error(patch(viewer, photo, {"title": "Mine"}), 403)
    with signed_in(client.app, "member") as member:  # type: ignore[arg-type]
        assert patch(member, photo, {"title": "Ours"}).json()["title"] == "Ours"
    assert client.get(f"/api/v1/items/{photo}").json()["title"] == "Ours"


def test_the_title_and_url_stay_when_the_file_moves(
    client: TestClient, photo: int, engine: Engine, settings: Settings, media: Path
) -> None:
    url = "https://example.com/a"
    patch(client, photo, {"title": "Lake", "source_url": url})
    (media / "2026").mkdir()
    shutil.move(media / "trip" / "a.jpg", media / "2026" / "renamed.jpg")
    # A sidecar at the new place fills only what is empty: it never undoes an edit.
    (media / "2026" / "renamed.json").write_text('{"title": "From the file", "tags": ["x"]}')

    report = scan(engine, settings)

    assert (report.moved, report.errors) == (1, [])
    moved = client.get(f"/api/v1/items/{photo}").json()
    assert (moved["id"], moved["path"]) == (photo, "2026/renamed.jpg")
    assert (moved["title"], moved["source_url"]) == ("Lake", url)
    assert moved["tags"] == [{"id": moved["tags"][0]["id"], "name": "x"}]


def test_exif_of_a_photo_and_of_a_video(
    client: TestClient, engine: Engine, settings: Settings, media: Path
) -> None:
    from PIL import Image
    from PIL.ExifTags import IFD, Base

    exif = Image.Exif()
    exif[Base.Make], exif[Base.Model] = "Fujifilm", "X-T4"
    exif.get_ifd(IFD.Exif)[Base.ISOSpeedRatings] = 800
    Image.new("RGB", (64, 48), (1, 2, 3)).save(media / "cam.jpg", exif=exif)
    factory.jpeg(media / "plain.jpg", seed=2)
    factory.video(media / "clip.mp4", seconds=0.3)
    scan(engine, settings)
    ids = {p: item_by_path(client, p)["id"] for p in ("cam.jpg", "plain.jpg", "clip.mp4")}
    cam = client.get(f"/api/v1/items/{ids['cam.jpg']}/exif")
    assert cam.status_code == 200, cam.text
    assert cam.json() == {
        "item_id": ids["cam.jpg"],
        "exif": {"camera": {"make": "Fujifilm", "model": "X-T4"}, "exposure": {"iso": 800}},
    }
    assert client.get(f"/api/v1/items/{ids['plain.jpg']}/exif").json()["exif"] == {}
    assert client.get(f"/api/v1/items/{ids['clip.mp4']}/exif").json()["exif"] == {}
    assert error(client.get("/api/v1/items/999999/exif"), 404) == "item not found"
    (media / "cam.jpg").unlink()  # gone since the scan: the file is not there
    assert error(client.get(f"/api/v1/items/{ids['cam.jpg']}/exif"), 404) == "file not found"


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
