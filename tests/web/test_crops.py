"""Named crops: stored as rectangles of the upright photo, rendered on demand and cached."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests import factory
from tests.conftest import signed_in
from tests.media.makers import RED, WHITE, exif_bytes, stored_for
from tests.web.conftest import all_items, scanned_library

ORIENTATIONS = (1, 3, 6, 8)
TOP_LEFT = {"x": 0, "y": 0, "width": 0.25, "height": 0.25}  # the red block, upright
BOTTOM_RIGHT = {"x": 0.5, "y": 0.5, "width": 0.5, "height": 0.5}


def _files(media: Path) -> None:
    for o in ORIENTATIONS:
        stored_for(o).save(media / f"o{o}.jpg", "JPEG", quality=95, exif=exif_bytes(orientation=o))
    factory.jpeg(media / "plain.jpg", (200, 150), seed=9)
    factory.video(media / "clip.mp4", 1.0)


@pytest.fixture(scope="module")
def lib(
    module_db_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, dict[str, int]]]:
    with scanned_library(tmp_path_factory.mktemp("crops"), module_db_url, _files) as (client, _):
        yield client, {i["path"]: i["id"] for i in all_items(client)}


def _colour(data: bytes) -> tuple[int, int, int]:
    with Image.open(io.BytesIO(data)) as img:
        w, h = img.size
        px = img.convert("RGB").getpixel((w // 2, h // 2))
    assert isinstance(px, tuple)
    return (int(px[0]), int(px[1]), int(px[2]))


def _near(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
    return all(abs(x - y) < 40 for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("orientation", ORIENTATIONS)
def test_a_crop_is_of_the_upright_photo(
    lib: tuple[TestClient, dict[str, int]], orientation: int
) -> None:
    client, ids = lib
    item = ids[f"o{orientation}.jpg"]
    for name, rect, colour in (("corner", TOP_LEFT, RED), ("rest", BOTTOM_RIGHT, WHITE)):
        saved = client.post(f"/api/v1/items/{item}/crop", json={"name": name, **rect})
        assert saved.status_code == 200, saved.text
        resp = client.get(f"/api/v1/items/{item}/cropped", params={"name": name, "size": "small"})
        assert resp.status_code == 200 and resp.headers["content-type"] == "image/webp"
        assert _near(_colour(resp.content), colour), (orientation, name)
    corner = client.get(f"/api/v1/items/{item}/cropped", params={"name": "corner"})
    with Image.open(io.BytesIO(corner.content)) as img:
        assert img.size == (15, 10)  # a quarter of the upright 60x40, never enlarged


def test_crops_are_named_listed_changed_and_cached(lib: tuple[TestClient, dict[str, int]]) -> None:
    client, ids = lib
    item = ids["plain.jpg"]
    url = f"/api/v1/items/{item}/crop"
    body = {"name": "square", "x": 0.1, "y": 0.1, "width": 0.5, "height": 0.75, "aspect": "1:1"}
    listed = client.post(url, json=body).json()["crops"]
    assert [c["name"] for c in listed] == ["square"] and listed[0]["aspect"] == "1:1"
    first = client.get(f"/api/v1/items/{item}/cropped", params={"name": "square"})
    etag = first.headers["etag"]
    again = client.get(f"/api/v1/items/{item}/cropped", params={"name": "square"})
    assert again.headers["etag"] == etag and again.content == first.content  # the cached file
    assert (
        client.get(
            f"/api/v1/items/{item}/cropped",
            params={"name": "square"},
            headers={"if-none-match": etag},
        ).status_code
        == 304
    )
    # Changing the rectangle makes another file: no stale picture behind the old URL's ETag.
    client.post(url, json={**body, "x": 0.0})
    changed = client.get(f"/api/v1/items/{item}/cropped", params={"name": "square"})
    assert changed.headers["etag"] != etag
    assert len(client.get(url).json()["crops"]) == 1  # replaced, not added
    assert client.request("DELETE", url, params={"name": "square"}).status_code == 200
    assert client.request("DELETE", url, params={"name": "square"}).status_code == 404


@pytest.mark.parametrize(
    "bad",
    [
        {"name": "a", "x": 0.8, "y": 0, "width": 0.5, "height": 0.5},  # off the right edge
        {"name": "a", "x": 0, "y": 0, "width": 0, "height": 0.5},
        {"name": "a", "x": -0.1, "y": 0, "width": 0.5, "height": 0.5},
        {"name": "", "x": 0, "y": 0, "width": 0.5, "height": 0.5},
        {"name": "a\nb", "x": 0, "y": 0, "width": 0.5, "height": 0.5},
        {"name": "a", "x": 0, "y": 0, "width": 0.5},
        {"name": "a", "x": 0, "y": 0, "width": 0.5, "height": 0.5, "item_id": 1},
    ],
)
def test_bad_crops_are_422(lib: tuple[TestClient, dict[str, int]], bad: dict[str, Any]) -> None:
    client, ids = lib
    resp = client.post(f"/api/v1/items/{ids['o1.jpg']}/crop", json=bad)
    assert resp.status_code == 422 and resp.json()["detail"]


def test_crops_are_for_photos(lib: tuple[TestClient, dict[str, int]]) -> None:
    client, ids = lib
    resp = client.post(f"/api/v1/items/{ids['clip.mp4']}/crop", json={"name": "a", **TOP_LEFT})
    assert resp.status_code == 422 and "photos" in resp.json()["detail"]
    missing = client.get(f"/api/v1/items/{ids['o1.jpg']}/cropped", params={"name": "nope"})
    assert missing.status_code == 404 and missing.json() == {"detail": "crop not found"}
    assert client.get("/api/v1/items/999999/crop").status_code == 404
    bad_size = client.get(
        f"/api/v1/items/{ids['o1.jpg']}/cropped", params={"name": "a", "size": "huge"}
    )
    assert bad_size.status_code == 400


def test_viewers_see_crops_but_do_not_make_them(lib: tuple[TestClient, dict[str, int]]) -> None:
    client, ids = lib
    item = ids["o3.jpg"]
    with signed_in(client.app, "viewer") as viewer:  # type: ignore[arg-type]
        assert viewer.get(f"/api/v1/items/{item}/crop").status_code == 200
        made = viewer.post(f"/api/v1/items/{item}/crop", json={"name": "v", **TOP_LEFT})
        assert made.status_code == 403
