"""Sending files: RFC 9110 Range and conditional requests, thumbnails, flagged
content, and the nginx X-Accel-Redirect mode."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from email.utils import formatdate
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from mediashelf.config import Settings
from mediashelf.db.models import Item
from mediashelf.jobs.batch import run_thumbnails
from mediashelf.library.scan import scan
from mediashelf.web.api.items import item_json
from mediashelf.web.app import create_app
from mediashelf.web.streaming import parse_range
from tests import factory
from tests.conftest import make_settings, signed_in
from tests.web.conftest import all_items, item_by_path, raw_request, scanned_library

# -- parse_range, directly ----------------------------------------------------


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        ("bytes=0-1", 100, (0, 1)),
        ("bytes=10-19", 100, (10, 19)),
        ("bytes=0-0", 100, (0, 0)),
        ("bytes=99-99", 100, (99, 99)),
        ("bytes=100-", 1000, (100, 999)),
        ("bytes=-50", 100, (50, 99)),
        ("bytes=-500", 100, (0, 99)),  # suffix longer than the file: all of it
        ("bytes=5-5000", 100, (5, 99)),  # last beyond the end: clamped
        ("BYTES=0-1", 100, (0, 1)),  # the unit is case-insensitive
        ("bytes= 0-1 ", 100, (0, 1)),
        ("bytes=100-", 100, False),  # first at the end: unsatisfiable
        ("bytes=100-200", 100, False),
        ("bytes=-0", 100, False),
        ("bytes=0-", 0, False),  # nothing in an empty file can be satisfied
        ("bytes=-5", 0, False),
        ("bytes=abc", 100, None),
        ("bytes=", 100, None),
        ("bytes=-", 100, None),
        ("bytes=1", 100, None),
        ("bytes=5-2", 100, None),  # last < first: invalid, so ignored
        ("bytes=0-1,5-6", 100, None),  # several ranges: we send the whole file
        ("bytes=-1-2", 100, None),
        ("bytes=+1-2", 100, None),
        ("bytes=0x1-2", 100, None),
        ("bytes=\u00b2-5", 100, None),  # '²'.isdigit() is True, but it is no digit
        ("bytes=" + "9" * 5000 + "-", 100, None),  # past int()'s digit limit: ignored
        ("bytes=\u0661-\u0665", 100, None),  # Arabic-Indic digits: not ASCII DIGIT
        ("items=0-1", 100, None),
        ("0-1", 100, None),
        ("", 100, None),
    ],
)
def test_parse_range(header: str, size: int, expected: object) -> None:
    assert parse_range(header, size) == expected


# -- one library, served read-only to most tests (per database) --------------

HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'


def _padded_jpeg(media: Path) -> Path:
    path = factory.jpeg(media / "a.jpg", (64, 48), seed=7)
    with open(path, "ab") as fh:  # padding after the image: a known, longer body
        fh.write(bytes(range(256)) * 4)
    return path


def _files(media: Path) -> None:
    _padded_jpeg(media)
    factory.jpeg(media / "sub" / "t b.jpg", (600, 400), seed=3)
    (media / "x.jpg").write_bytes(HTML)
    (media / "y.png").write_bytes(SVG)


@dataclass
class Library:
    client: TestClient
    accel: TestClient  # the same library, with ACCEL_REDIRECT_PREFIX=/_protected
    media: Path
    items: dict[str, dict[str, Any]]  # by path

    def original(self, path: str) -> str:
        return str(self.items[path]["original"])


@pytest.fixture(scope="module")
def lib(module_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    tmp = tmp_path_factory.mktemp("lib")
    with scanned_library(tmp, module_db_url, _files) as (client, settings):
        report = run_thumbnails(client.app.state.engine, settings)  # type: ignore[attr-defined]
        assert report.made == 2 and report.errors == []
        items = {i["path"]: i for i in all_items(client)}
        accel_settings = make_settings(
            tmp, tmp / "media", module_db_url, accel_redirect_prefix="/_protected/"
        )
        accel_app = create_app(accel_settings)
        with signed_in(accel_app) as accel:
            yield Library(client, accel, tmp / "media", items)
        accel_app.state.engine.dispose()


@dataclass
class Photo:
    url: str
    data: bytes
    etag: str
    last_modified: str
    mtime: float


@pytest.fixture(scope="module")
def photo(lib: Library) -> Photo:
    url = lib.original("a.jpg")
    resp = lib.client.get(url)
    assert resp.status_code == 200
    path = lib.media / "a.jpg"
    return Photo(
        url,
        path.read_bytes(),
        resp.headers["etag"],
        resp.headers["last-modified"],
        path.stat().st_mtime,
    )


# -- Range --------------------------------------------------------------------

FULL = slice(None)
RANGE_TABLE = [
    # (header name -> value; '{etag}' and '{last_modified}' are filled in), status, slice
    pytest.param({"range": "bytes=0-1"}, 206, slice(0, 2), id="safari-probe"),
    pytest.param({"range": "bytes=10-19"}, 206, slice(10, 20), id="middle"),
    pytest.param({"range": "bytes=100-"}, 206, slice(100, None), id="open-ended"),
    pytest.param({"range": "bytes=-50"}, 206, slice(-50, None), id="suffix"),
    pytest.param({"range": "bytes=-99999999"}, 206, slice(0, None), id="suffix-longer-than-file"),
    pytest.param({"range": "bytes=5-99999999"}, 206, slice(5, None), id="last-beyond-end-clamped"),
    pytest.param({"range": "BYTES=0-1"}, 206, slice(0, 2), id="unit-case-insensitive"),
    pytest.param({"range": "bytes=99999999-"}, 416, None, id="first-beyond-end"),
    pytest.param({"range": "bytes=-0"}, 416, None, id="empty-suffix"),
    pytest.param({"range": "bytes=abc"}, 200, FULL, id="malformed-abc"),
    pytest.param({"range": "items=0-1"}, 200, FULL, id="unknown-unit"),
    pytest.param({"range": "bytes=5-2"}, 200, FULL, id="last-before-first"),
    pytest.param({"range": "bytes=0-1,5-6"}, 200, FULL, id="multiple-ranges"),
    pytest.param(
        {"range": "bytes=0-1", "if-range": "{etag}"}, 206, slice(0, 2), id="if-range-etag-matches"
    ),
    pytest.param(
        {"range": "bytes=0-1", "if-range": '"stale"'}, 200, FULL, id="if-range-etag-stale"
    ),
    pytest.param(
        {"range": "bytes=0-1", "if-range": "W/{etag}"}, 200, FULL, id="if-range-weak-etag"
    ),
    pytest.param(
        {"range": "bytes=0-1", "if-range": "{last_modified}"},
        206,
        slice(0, 2),
        id="if-range-date-matches",
    ),
    pytest.param(
        {"range": "bytes=0-1", "if-range": "Mon, 01 Jan 2001 00:00:00 GMT"},
        200,
        FULL,
        id="if-range-date-stale",
    ),
    pytest.param(
        {"range": "bytes=99999999-", "if-range": '"stale"'},
        200,
        FULL,
        id="if-range-fails-so-no-416",
    ),
    pytest.param({"if-range": "{etag}"}, 200, FULL, id="if-range-without-range"),
]


@pytest.mark.parametrize(("headers", "status", "span"), RANGE_TABLE)
def test_range_requests(
    lib: Library, photo: Photo, headers: dict[str, str], status: int, span: slice | None
) -> None:
    sent = {
        k: v.format(etag=photo.etag, last_modified=photo.last_modified).encode("latin-1")
        for k, v in headers.items()
    }
    resp = lib.client.get(photo.url, headers=sent)

    total = len(photo.data)
    assert resp.status_code == status
    assert resp.headers["accept-ranges"] == "bytes"
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["etag"] == photo.etag
    if status == 416:
        assert resp.headers["content-range"] == f"bytes */{total}"
        assert resp.content == b""
        return
    assert span is not None
    expected = photo.data[span]
    assert resp.content == expected
    assert resp.headers["content-type"] == "image/jpeg"  # what the bytes are
    assert resp.headers["content-length"] == str(len(expected))
    if status == 206:
        first, last = range(total)[span][0], range(total)[span][-1]
        assert resp.headers["content-range"] == f"bytes {first}-{last}/{total}"
    else:
        assert "content-range" not in resp.headers


def test_range_with_non_ascii_digits_is_ignored(lib: Library, photo: Photo) -> None:
    # Sent raw: TestClient would re-encode the header as UTF-8. '²'.isdigit() is True.
    resp = raw_request(lib.client, photo.url.encode(), headers={"range": "bytes=\u00b2-5"})
    assert (resp.status, resp.body) == (200, photo.data)


def test_head_sends_headers_only(lib: Library, photo: Photo) -> None:
    full = lib.client.head(photo.url)
    assert full.status_code == 200
    assert full.content == b""
    assert full.headers["content-length"] == str(len(photo.data))
    assert full.headers["content-type"] == "image/jpeg"
    assert full.headers["etag"] == photo.etag
    assert full.headers["accept-ranges"] == "bytes"

    part = lib.client.head(photo.url, headers={"range": "bytes=10-19"})
    assert part.status_code == 206
    assert part.content == b""
    assert part.headers["content-length"] == "10"
    assert part.headers["content-range"] == f"bytes 10-19/{len(photo.data)}"

    unsatisfiable = lib.client.head(photo.url, headers={"range": "bytes=99999999-"})
    assert unsatisfiable.status_code == 416
    assert unsatisfiable.headers["content-range"] == f"bytes */{len(photo.data)}"


# -- conditional requests -----------------------------------------------------

NOT_MODIFIED = [
    {"if-none-match": "{etag}"},
    {"if-none-match": "W/{etag}"},  # If-None-Match compares weakly
    {"if-none-match": '"other", {etag}'},
    {"if-none-match": "*"},
    {"if-modified-since": "{last_modified}"},
    {"if-modified-since": "{an_hour_later}"},
    {"if-none-match": "{etag}", "range": "bytes=0-1"},
]
MODIFIED = [
    {"if-none-match": '"other"'},
    {"if-none-match": 'W/"other"'},
    {"if-modified-since": "Mon, 01 Jan 2001 00:00:00 GMT"},
    {"if-modified-since": "not a date"},
    # If-None-Match, when present, wins over If-Modified-Since (RFC 9110 §13.2.2)
    {"if-none-match": '"other"', "if-modified-since": "{last_modified}"},
]


@pytest.mark.parametrize(
    ("headers", "status"),
    [(h, 304) for h in NOT_MODIFIED] + [(h, 200) for h in MODIFIED],
)
def test_conditional_get(lib: Library, photo: Photo, headers: dict[str, str], status: int) -> None:
    values = {
        "etag": photo.etag,
        "last_modified": photo.last_modified,
        "an_hour_later": formatdate(photo.mtime + 3600, usegmt=True),
    }
    resp = lib.client.get(photo.url, headers={k: v.format(**values) for k, v in headers.items()})
    assert resp.status_code == status
    assert resp.content == (b"" if status == 304 else photo.data)
    assert resp.headers["etag"] == photo.etag
    assert resp.headers["x-content-type-options"] == "nosniff"


def test_if_modified_since_is_utc_whatever_the_local_zone(
    lib: Library, photo: Photo, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "-0000" makes email.utils return a naive datetime; it must not be read as local time.
    since = photo.last_modified.replace("GMT", "-0000")
    monkeypatch.setenv("TZ", "XXX-13")  # POSIX for UTC+13: needs no tz database
    time.tzset()
    try:
        resp = lib.client.get(photo.url, headers={"if-modified-since": since})
    finally:
        monkeypatch.undo()
        time.tzset()
    assert resp.status_code == 304


def test_a_changed_file_gets_a_new_etag(
    client: TestClient, engine: Engine, settings: Settings, media: Path
) -> None:
    path = _padded_jpeg(media)
    data = path.read_bytes()
    scan(engine, settings)
    url = item_by_path(client, "a.jpg")["original"]
    etag = client.get(url).headers["etag"]

    with open(path, "ab") as fh:
        fh.write(b"more")
    scan(engine, settings)
    resp = client.get(url, headers={"if-none-match": etag})
    assert resp.status_code == 200
    assert resp.headers["etag"] != etag
    assert resp.content == data + b"more"
    stale = client.get(url, headers={"range": "bytes=0-1", "if-range": etag})
    assert stale.status_code == 200 and stale.content == data + b"more"

    path.unlink()  # gone from disk, not yet rescanned
    resp = client.get(url)
    assert resp.status_code == 404 and resp.json() == {"detail": "file not found"}


@pytest.mark.parametrize(
    ("url", "detail"),
    [("/api/v1/items/999999/original", "item not found"), ("/media/nope.jpg", "file not found")],
)
def test_unknown_originals_are_json_404(lib: Library, url: str, detail: str) -> None:
    resp = lib.client.get(url)
    assert resp.status_code == 404
    assert resp.headers["content-type"] == "application/json"
    assert resp.json() == {"detail": detail}
    assert resp.headers["x-content-type-options"] == "nosniff"


# -- thumbnails -----------------------------------------------------------------


@pytest.mark.parametrize("size", ["small", "medium", "large"])
def test_thumbnail_is_immutable_webp(lib: Library, size: str) -> None:
    item = lib.items["sub/t b.jpg"]
    fp = item["fingerprint"]
    px = {"small": 256, "medium": 512, "large": 1024}[size]
    url = f"/api/v1/thumbnails/{fp}/{size}?v={px}webpq80"
    assert item["thumbnails"][size] == url
    resp = lib.client.get(url)
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "image/webp"
    assert resp.content[:4] == b"RIFF" and resp.content[8:12] == b"WEBP"
    etag = resp.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and fp in etag  # strong
    # private: a proxy or CDN must not keep someone's photos for whoever asks
    assert resp.headers["cache-control"] == "private, max-age=31536000, immutable"
    assert resp.headers["x-content-type-options"] == "nosniff"

    again = lib.client.get(url, headers={"if-none-match": etag})
    assert (again.status_code, again.content) == (304, b"")
    assert again.headers["etag"] == etag

    head = lib.client.head(url)
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["content-length"] == str(len(resp.content))


def test_thumbnail_sizes_differ(lib: Library) -> None:
    urls = lib.items["sub/t b.jpg"]["thumbnails"].values()
    assert len({lib.client.get(url).content for url in urls}) == 3


def test_thumbnail_unknown_size_is_422(lib: Library) -> None:
    resp = lib.client.get(f"/api/v1/thumbnails/{lib.items['sub/t b.jpg']['fingerprint']}/huge")
    assert resp.status_code == 422
    assert resp.headers["content-type"] == "application/json"
    assert "detail" in resp.json()


@pytest.mark.parametrize(
    "fingerprint",
    ["0" * 32, "f" * 32, "xyz", "{FP}", "{fp}0", "{fp31}"],
    ids=["zeros", "effs", "short-garbage", "uppercase", "too-long", "too-short"],
)
def test_thumbnail_unknown_fingerprint_is_json_404(lib: Library, fingerprint: str) -> None:
    fp = lib.items["sub/t b.jpg"]["fingerprint"]
    fingerprint = fingerprint.format(fp=fp, FP=fp.upper(), fp31=fp[:31])
    resp = lib.client.get(f"/api/v1/thumbnails/{fingerprint}/small")
    assert resp.status_code == 404
    assert resp.headers["content-type"] == "application/json"
    assert resp.json() == {"detail": "thumbnail not found"}
    assert resp.headers["x-content-type-options"] == "nosniff"


def test_item_thumbnail_redirects_to_the_fingerprint_url(lib: Library) -> None:
    item = lib.items["sub/t b.jpg"]
    resp = lib.client.get(f"/api/v1/items/{item['id']}/thumbnail/small", follow_redirects=False)
    assert resp.status_code == 307
    assert resp.headers["location"] == item["thumbnails"]["small"]
    assert resp.headers["x-content-type-options"] == "nosniff"
    followed = lib.client.get(f"/api/v1/items/{item['id']}/thumbnail/small")
    assert followed.status_code == 200 and followed.headers["content-type"] == "image/webp"

    assert lib.client.get("/api/v1/items/999999/thumbnail/small").status_code == 404
    assert lib.client.get(f"/api/v1/items/{item['id']}/thumbnail/huge").status_code == 422


# -- flagged content ------------------------------------------------------------


@pytest.mark.parametrize(("name", "data"), [("x.jpg", HTML), ("y.png", SVG)])
@pytest.mark.parametrize("route", ["original", "media"])
def test_scriptable_content_is_never_served_inline(
    lib: Library, name: str, data: bytes, route: str
) -> None:
    item = lib.items[name]
    assert item["error"] and item["thumbnails"] is None
    url = item["original"] if route == "original" else f"/media/{name}"

    for headers, status, body in ({}, 200, data), ({"range": "bytes=0-5"}, 206, data[:6]):
        resp = lib.client.get(url, headers=headers)
        assert (resp.status_code, resp.content) == (status, body)
        assert resp.headers["content-type"] == "application/octet-stream"
        assert resp.headers["content-disposition"] == "attachment"
        assert resp.headers["x-content-type-options"] == "nosniff"
        assert resp.headers["content-security-policy"] == "sandbox"  # no script, even so

    thumb = lib.client.get(f"/api/v1/items/{item['id']}/thumbnail/small", follow_redirects=False)
    assert thumb.status_code == 404


# -- X-Accel-Redirect -----------------------------------------------------------


@pytest.mark.parametrize("route", ["original", "media"])
def test_accel_redirect_hands_the_file_to_nginx(lib: Library, route: str) -> None:
    url = lib.original("sub/t b.jpg") if route == "original" else "/media/sub/t%20b.jpg"
    real = (lib.media / "sub" / "t b.jpg").resolve()
    resp = lib.accel.get(url, headers={"range": "bytes=0-1"})  # nginx does the Range
    assert resp.status_code == 200
    assert resp.headers["x-accel-redirect"] == "/_protected" + quote(str(real))
    assert resp.content == b""
    assert resp.headers["content-type"] == "image/jpeg"
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert "x-accel-redirect" not in lib.client.get(url).headers


def test_accel_redirect_thumbnail(lib: Library) -> None:
    resp = lib.accel.get(lib.items["sub/t b.jpg"]["thumbnails"]["small"])
    assert resp.status_code == 200 and resp.content == b""
    assert resp.headers["x-accel-redirect"].startswith("/_protected/")
    assert resp.headers["x-accel-redirect"].endswith("_256.webp")
    assert resp.headers["content-type"] == "image/webp"
    assert "immutable" in resp.headers["cache-control"]


def test_accel_redirect_keeps_flagged_content_as_attachment(lib: Library) -> None:
    resp = lib.accel.get(lib.original("x.jpg"))
    assert resp.headers["content-type"] == "application/octet-stream"
    assert resp.headers["content-disposition"] == "attachment"
    assert resp.headers["x-accel-redirect"].endswith("/x.jpg")


def test_accel_redirect_unknown_thumbnail_is_404(lib: Library) -> None:
    resp = lib.accel.get(f"/api/v1/thumbnails/{'0' * 32}/small")
    assert resp.status_code == 404
    assert resp.json() == {"detail": "thumbnail not found"}
    assert "x-accel-redirect" not in resp.headers


def test_thumbnail_urls_change_with_the_variant(tmp_path: Path) -> None:
    """Immutable URLs must name size, format and quality, or browsers keep stale images."""
    item = Item(
        id=1, root_id=1, rel_path="a.jpg", folder="", name="a.jpg", kind="image",
        size=1, mtime_ns=0, fingerprint="0" * 32, date=datetime(2020, 1, 1), status="present",
    )  # fmt: skip
    url = "sqlite:///x.db"
    variants = [
        make_settings(tmp_path, tmp_path, url),
        make_settings(tmp_path, tmp_path, url, thumbnail_quality=90),
        make_settings(tmp_path, tmp_path, url, thumbnails_ext=".jpg"),
        make_settings(tmp_path, tmp_path, url, thumbnail_size_small=300),
    ]
    smalls = [item_json(item, s)["thumbnails"]["small"] for s in variants]
    assert len(set(smalls)) == len(smalls), smalls
