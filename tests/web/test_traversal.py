"""Path traversal: nothing outside a root, and nothing but indexed media inside it.

Requests go through `raw_request`, which hands the app the path as uvicorn
would (percent-decoded once, `..` left alone); httpx would normalise them away.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from mediashelf.config import Settings
from mediashelf.library.paths import confine, is_inside
from mediashelf.library.scan import scan
from tests import factory
from tests.web.conftest import RawResponse, item_by_path, raw_request, scanned_library

SECRET = b"TOPSECRET"


def _files(media: Path) -> None:
    outside = media.parent
    (outside / "secret.txt").write_bytes(SECRET + b" text next to the root")
    with open(factory.jpeg(outside / "secret.jpg"), "ab") as fh:
        fh.write(SECRET)  # a real image outside the root: media, but not ours
    with open(factory.jpeg(outside / "media2" / "b.jpg"), "ab") as fh:
        fh.write(SECRET)  # a sibling whose name starts with the root's name
    factory.jpeg(media / "sub" / "a.jpg", seed=1)
    factory.jpeg(media / "1:2.jpg", seed=3)  # looks like a drive letter; it is a name
    factory.jpeg(media / "%2e%2e%2f" / "c.jpg", seed=2)  # a real, odd folder name
    (media / ".env").write_bytes(b"API_KEY=" + SECRET)
    (media / "notes.txt").write_bytes(SECRET + b" notes")
    (media / "link.jpg").symlink_to(outside / "secret.jpg")
    (media / "linkdir").symlink_to(outside)
    (media / "inlink.jpg").symlink_to(media / "sub" / "a.jpg")


@dataclass
class Library:
    client: TestClient
    media: Path

    def get(self, raw_path: bytes, query: bytes = b"", method: str = "GET") -> RawResponse:
        return raw_request(self.client.app, raw_path, query, method)


@pytest.fixture(scope="module")
def lib(module_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    tmp = tmp_path_factory.mktemp("traversal")
    with scanned_library(tmp, module_db_url, _files) as (client, _):
        yield Library(client, tmp / "media")


def assert_refused(resp: RawResponse) -> None:
    assert resp.status == 404, (resp.status, resp.body[:200])
    assert SECRET not in resp.body
    assert resp.headers["content-type"] == "application/json"
    assert "detail" in resp.json()
    assert resp.headers["x-content-type-options"] == "nosniff"


# Raw path segments, as they would appear on the request line.
ATTACKS = [
    pytest.param(b"../secret.jpg", id="dotdot"),
    pytest.param(b"..%2Fsecret.jpg", id="dotdot-encoded-slash"),
    pytest.param(b"%2e%2e/secret.jpg", id="encoded-dots"),
    pytest.param(b"%2e%2e%2fsecret.jpg", id="all-encoded"),
    pytest.param(b"%2E%2E%2Fsecret.jpg", id="all-encoded-upper"),
    pytest.param(b"..%5Csecret.jpg", id="encoded-backslash"),
    pytest.param(b"..\\secret.jpg", id="backslash"),
    pytest.param(b"%252e%252e%252fsecret.jpg", id="double-encoded"),
    pytest.param(b"/etc/passwd", id="absolute"),
    pytest.param(b"%2Fetc%2Fpasswd", id="absolute-encoded"),
    pytest.param(b"{outside}/secret.jpg", id="absolute-real-secret"),
    pytest.param(b"sub/a.jpg%00", id="nul-after"),
    pytest.param(b"%00../secret.jpg", id="nul-before"),
    pytest.param(b"foo/../../secret.jpg", id="dotdot-after-folder"),
    pytest.param(b"sub/../../secret.jpg", id="dotdot-after-real-folder"),
    pytest.param(b"../secret.txt", id="dotdot-non-media"),
    pytest.param(b"../media2/b.jpg", id="sibling-with-root-prefix"),
    pytest.param(b"link.jpg", id="symlink-out"),
    pytest.param(b"linkdir/secret.jpg", id="symlinked-folder-out"),
    pytest.param(b"C:/secret.jpg", id="drive-letter"),
]


def _fill(raw: bytes, lib: Library) -> bytes:
    return raw.replace(b"{outside}", str(lib.media.parent).encode())


@pytest.mark.parametrize("raw", ATTACKS)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_media_path_traversal_is_404(lib: Library, raw: bytes, method: str) -> None:
    resp = lib.get(b"/media/" + _fill(raw, lib), method=method)
    assert resp.status == 404
    assert SECRET not in resp.body
    if method == "GET":
        assert_refused(resp)


@pytest.mark.parametrize("raw", [b".env", b"notes.txt", b"sub", b"", b".", b"sub/"])
def test_media_serves_nothing_but_indexed_media(lib: Library, raw: bytes) -> None:
    assert_refused(lib.get(b"/media/" + raw))


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        (b"sub/a.jpg", "sub/a.jpg"),
        (b"sub/./a.jpg", "sub/a.jpg"),
        (b"sub/%61.jpg", "sub/a.jpg"),
        (b"1:2.jpg", "1:2.jpg"),
        (b"inlink.jpg", "sub/a.jpg"),  # a symlink that stays inside the root
        # decoded once, as a server does: the folder really is named %2e%2e%2f
        (b"%252e%252e%252f/c.jpg", "%2e%2e%2f/c.jpg"),
    ],
)
def test_media_serves_indexed_files(lib: Library, raw: bytes, path: str) -> None:
    resp = lib.get(b"/media/" + raw)
    assert resp.status == 200
    assert resp.body == (lib.media / path).read_bytes()
    assert resp.headers["content-type"] == "image/jpeg"
    head = lib.get(b"/media/" + raw, method="HEAD")
    assert (head.status, head.body) == (200, b"")
    assert head.headers["content-length"] == str(len(resp.body))


def test_files_swapped_for_symlinks_out_are_not_served(
    client: TestClient, engine: Engine, settings: Settings, media: Path, tmp_path: Path
) -> None:
    """Indexed, then replaced by a symlink leaving the root: the index is no pass."""
    factory.jpeg(media / "swap.jpg", seed=1)
    factory.jpeg(media / "dir" / "x.jpg", seed=2)
    scan(engine, settings)
    urls = [item_by_path(client, p)["original"] for p in ("swap.jpg", "dir/x.jpg")]
    urls += ["/media/swap.jpg", "/media/dir/x.jpg"]
    assert [client.get(url).status_code for url in urls] == [200] * 4

    outside = tmp_path / "outside"
    with open(factory.jpeg(outside / "x.jpg", seed=3), "ab") as fh:
        fh.write(SECRET)
    (media / "swap.jpg").unlink()
    (media / "swap.jpg").symlink_to(outside / "x.jpg")
    shutil.rmtree(media / "dir")
    (media / "dir").symlink_to(outside)
    for url in urls:
        resp = client.get(url)
        assert resp.status_code == 404, url
        assert SECRET not in resp.content


FOLDER_ATTACKS = [
    pytest.param(b"..", id="dotdot"),
    pytest.param(b"../", id="dotdot-slash"),
    pytest.param(b"..%2F", id="dotdot-encoded-slash"),
    pytest.param(b"%2e%2e/", id="encoded-dots"),
    pytest.param(b"%2e%2e%2f", id="all-encoded"),
    pytest.param(b"..%5C", id="encoded-backslash"),
    pytest.param(b"..\\", id="backslash"),
    pytest.param(b"sub%5C..%5C..", id="backslashes"),
    pytest.param(b"/etc/passwd", id="absolute"),
    pytest.param(b"%2Fetc%2Fpasswd", id="absolute-encoded"),
    pytest.param(b"{outside}", id="absolute-real-outside"),
    pytest.param(b"%00", id="nul"),
    pytest.param(b"sub%00", id="nul-after"),
    pytest.param(b"foo/../../secret", id="dotdot-after-folder"),
    pytest.param(b"sub/../..", id="dotdot-after-real-folder"),
]


@pytest.mark.parametrize("raw", FOLDER_ATTACKS)
@pytest.mark.parametrize("recursive", [b"false", b"true"])
def test_folder_filter_traversal_is_404(lib: Library, raw: bytes, recursive: bytes) -> None:
    query = b"folder=" + _fill(raw, lib) + b"&recursive=" + recursive
    resp = lib.get(b"/api/v1/items", query)
    assert_refused(resp)
    assert resp.json() == {"detail": "folder not found"}


@pytest.mark.parametrize(
    ("raw", "paths"),
    [
        (b"sub", ["sub/a.jpg"]),
        (b"sub/", ["sub/a.jpg"]),
        (b"./sub", ["sub/a.jpg"]),
        # decoded once: a literal folder name, not a way out
        (b"%252e%252e%252f", ["%2e%2e%2f/c.jpg"]),
        (b"linkdir", []),  # the symlink leaves the root, so nothing under it is indexed
        (b"linkdir/..", ["1:2.jpg", "inlink.jpg"]),  # normalised as text: the root
    ],
)
def test_folder_filter_takes_names_literally(lib: Library, raw: bytes, paths: list[str]) -> None:
    resp = lib.get(b"/api/v1/items", b"folder=" + raw)
    assert resp.status == 200
    assert sorted(i["path"] for i in resp.json()["items"]) == paths
    assert SECRET not in resp.body


@pytest.mark.parametrize("raw", ATTACKS)
def test_thumbnail_fingerprint_traversal_is_404(lib: Library, raw: bytes) -> None:
    assert_refused(lib.get(b"/api/v1/thumbnails/" + _fill(raw, lib) + b"/small"))
    assert_refused(
        lib.get(b"/api/v1/thumbnails/" + _fill(raw, lib).replace(b"/", b"%2F") + b"/small")
    )


# -- confine, directly ---------------------------------------------------------


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "a.jpg").write_bytes(b"a")
    (root / "sub" / "b.jpg").write_bytes(b"b")
    (tmp_path / "secret").write_bytes(b"s")
    (tmp_path / "root2").mkdir()
    (tmp_path / "root2" / "x").write_bytes(b"x")
    (root / "out").symlink_to(tmp_path / "secret")
    (root / "outdir").symlink_to(tmp_path)
    (root / "in").symlink_to(root / "sub" / "b.jpg")
    (root / "loop").symlink_to(root / "loop")
    return root


@pytest.mark.parametrize(
    ("rel", "expected"),
    [
        ("a.jpg", "a.jpg"),
        ("sub/b.jpg", "sub/b.jpg"),
        ("sub/../a.jpg", "a.jpg"),  # `..` that stays inside is fine
        ("./sub//b.jpg", "sub/b.jpg"),
        ("in", "sub/b.jpg"),  # symlinks are resolved
        ("missing.jpg", "missing.jpg"),  # existence is the caller's business
        ("%2e%2e/x", "%2e%2e/x"),  # no decoding here
        ("sub", "sub"),
        (".", "."),
        ("..", None),
        ("../secret", None),
        ("sub/../../secret", None),
        ("../root2/x", None),  # shares the root's name as a prefix
        ("/etc/passwd", None),
        ("//etc/passwd", None),
        ("", None),
        ("a.jpg\x00.txt", None),
        ("..\\secret", None),
        ("sub\\b.jpg", None),
        ("a:b.jpg", "a:b.jpg"),  # an ordinary name on POSIX
        ("C:/secret", "C:/secret"),  # so is this: a folder named C: inside the root
        ("out", None),
        ("outdir/secret", None),
        ("outdir/root/a.jpg", "a.jpg"),  # leaves and comes back: the real path is inside
    ],
)
def test_confine(tree: Path, rel: str, expected: str | None) -> None:
    got = confine(tree, rel)
    if expected is None:
        assert got is None
    else:
        assert got == Path(os.path.realpath(tree / expected))


def test_confine_symlink_loop_stays_inside(tree: Path) -> None:
    got = confine(tree, "loop")
    assert got is None or str(got).startswith(os.path.realpath(tree))


def test_confine_under_the_filesystem_root() -> None:
    assert confine("/", "etc") == Path(os.path.realpath("/etc"))
    assert confine("/", "/etc") is None  # still no absolute paths


def test_is_inside(tree: Path, tmp_path: Path) -> None:
    root_real = os.path.realpath(tree)
    assert is_inside(root_real, str(tree / "sub" / "b.jpg"))
    assert is_inside(root_real, str(tree))
    assert not is_inside(root_real, str(tree / "out"))
    assert not is_inside(root_real, str(tmp_path / "root2" / "x"))
    assert is_inside("/", str(tree))


def test_confine_resolves_a_symlinked_root(tree: Path, tmp_path: Path) -> None:
    (tmp_path / "alias").symlink_to(tree)
    assert confine(tmp_path / "alias", "sub/b.jpg") == Path(os.path.realpath(tree / "sub/b.jpg"))
    assert confine(str(tmp_path / "alias"), "../secret") is None


def test_raw_request_passes_the_path_as_a_server_would() -> None:
    """The helper itself: decoded once, `..` kept, raw path untouched."""
    seen: dict[str, object] = {}

    async def echo(scope, receive, send):  # type: ignore[no-untyped-def]
        seen.update(path=scope["path"], raw_path=scope["raw_path"], qs=scope["query_string"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    resp = raw_request(echo, b"/media/../a%2Fb%252e", b"folder=..%2F")
    assert resp.status == 204
    assert seen == {
        "path": "/media/../a/b%2e",
        "raw_path": b"/media/../a%2Fb%252e",
        "qs": b"folder=..%2F",
    }
