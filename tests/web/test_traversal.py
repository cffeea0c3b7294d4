"""Path traversal: nothing outside a root, and nothing but indexed media inside it.

Requests go through `raw_request`, which hands the app the path as uvicorn
would (percent-decoded once, `..` left alone); httpx would normalise them away.

The matrix at the end sends every variant in MATRIX into every path parameter
of every file-serving route (FILE_ROUTES, checked against the app's route
table) and of every other GET route that takes a path parameter.
"""

from __future__ import annotations

import inspect
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from mediashelf.config import Settings
from mediashelf.jobs.kinds import scan_now
from mediashelf.jobs.runner import run_job
from mediashelf.library.paths import confine, is_inside
from mediashelf.library.scan import scan
from mediashelf.media.ffmpeg import ffprobe_binary
from tests import factory
from tests.web.conftest import (
    RawResponse,
    built_asset,
    item_by_path,
    raw_request,
    scanned_library,
)

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
    (media / "odd").mkdir()
    (media / "odd" / "loop").symlink_to("loop")  # a symlink loop: realpath gives up on it
    (media / "odd" / "out.jpg").symlink_to(outside / "secret.jpg")
    (media / "odd" / "outdir").symlink_to(outside)
    # A video, so that the video routes (stream, HLS, previews, seed) have a real target.
    factory.video(media / "vid" / "clip.mp4", 1.0, "160x120", X264)
    (outside / "cache" / "secret.txt").parent.mkdir(parents=True, exist_ok=True)
    (outside / "cache" / "secret.txt").write_bytes(SECRET + b" in the cache folder")


X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "5"]


@dataclass
class Library:
    client: TestClient
    media: Path
    settings: Settings | None = None
    # Real values for the file routes' parameters: {img_id}, {vid_id}, {img_fp}, {vid_fp}.
    tokens: dict[str, str] = field(default_factory=dict)

    def get(
        self,
        raw_path: bytes,
        query: bytes = b"",
        method: str = "GET",
        headers: dict[str, str] | None = None,
    ) -> RawResponse:
        return raw_request(self.client, raw_path, query, method, headers)


@contextmanager
def _library(tmp: Path, db_url: str, **extra: object) -> Iterator[Library]:
    if ffprobe_binary() is None:
        pytest.skip("no ffprobe on this machine")
    with scanned_library(
        tmp, db_url, _files, cache_dir=tmp / "cache", teaser_large_width=0, **extra
    ) as (client, settings):
        # Probe the video, make thumbnails, sprites, strip and teaser: every file route
        # then has something real to serve, so a refusal is the route's, not a 404 for
        # want of a file.
        jobs = client.app.state.jobs  # type: ignore[attr-defined]
        assert scan_now(jobs, [])
        while (task := jobs.huey.dequeue()) is not None:
            run_job(jobs, task.args[0])
        image = item_by_path(client, "sub/a.jpg")
        video = item_by_path(client, "vid/clip.mp4")
        assert video["video"] is not None and video["previews"], video
        tokens = {
            "img_id": str(image["id"]),
            "vid_id": str(video["id"]),
            "img_fp": image["fingerprint"],
            "vid_fp": video["fingerprint"],
        }
        yield Library(client, tmp / "media", settings, tokens)


@pytest.fixture(scope="module")
def lib(module_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    with _library(tmp_path_factory.mktemp("traversal"), module_db_url) as library:
        yield library


ACCEL = "/_protected"


@pytest.fixture(scope="module")
def accel_lib(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    """Behind nginx (ACCEL_REDIRECT_PREFIX): the app names a file and nginx sends it, so
    a refusal must be a 4xx without X-Accel-Redirect. The matrix is about paths, so one
    database kind does."""
    tmp = tmp_path_factory.mktemp("traversal-accel")
    with _library(tmp, f"sqlite:///{tmp / 'db.sqlite'}", accel_redirect_prefix=ACCEL) as library:
        yield library


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
    """`{outside}`: the real folder holding the root; `{img_fp}` etc.: see lib.tokens."""
    raw = raw.replace(b"{outside}", str(lib.media.parent).encode())
    for token, value in lib.tokens.items():
        raw = raw.replace(b"{" + token.encode() + b"}", value.encode())
    return raw


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


@pytest.mark.skipif(ffprobe_binary() is None, reason="no ffprobe on this machine")
def test_videos_swapped_for_symlinks_out_are_not_streamed(
    client: TestClient, settings: Settings, media: Path, tmp_path: Path
) -> None:
    """The video routes (stream, HLS, seed) check the real path too, not only the index."""
    factory.video(media / "v" / "clip.mp4", 1.0, "160x120", X264)
    jobs = client.app.state.jobs  # type: ignore[attr-defined]
    assert scan_now(jobs, [])
    while (task := jobs.huey.dequeue()) is not None:  # probe (and the rest)
        run_job(jobs, task.args[0])
    video = item_by_path(client, "v/clip.mp4")
    urls = [
        f"/api/v1/items/{video['id']}/stream",
        f"/api/v1/items/{video['id']}/original",
        f"/api/v1/items/{video['id']}/hls/index.m3u8",
        "/media/v/clip.mp4",
    ]
    assert [client.get(url).status_code for url in urls] == [200] * 4
    assert client.get(f"/video/{video['fingerprint']}").status_code == 200  # via redirect

    outside = tmp_path / "outside"
    factory.video(outside / "x.mp4", 1.0, "160x120", X264)
    with open(outside / "x.mp4", "ab") as fh:
        fh.write(SECRET)
    (media / "v" / "clip.mp4").unlink()
    (media / "v" / "clip.mp4").symlink_to(outside / "x.mp4")
    for url in [*urls, f"/api/v1/items/{video['id']}/hls/0.ts", f"/video/{video['fingerprint']}"]:
        resp = client.get(url)
        assert resp.status_code == 404, (url, resp.status_code)
        assert SECRET not in resp.content
    shutil.rmtree(media / "v")
    (media / "v").symlink_to(outside)  # the folder, this time
    (outside / "clip.mp4").symlink_to(outside / "x.mp4")
    for url in urls:
        assert client.get(url).status_code == 404, url


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
        # realpath gives up at a symlink loop and then drops `..` as text, leaving the
        # link that follows unresolved: it must still be seen to leave the root.
        ("loop/../out", None),
        ("loop/../outdir/secret", None),
        ("loop/x/../../out", None),
        ("loop/../in", "sub/b.jpg"),
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
    assert not is_inside(root_real, str(tree / "loop" / ".." / "out"))
    assert not is_inside(root_real, str(tree / "loop" / ".." / "outdir" / "secret"))
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


# -- the matrix: every variant into every path parameter of every file route ----------

# Raw path segments as they would appear on the request line. `{outside}` is the real
# folder holding the root (and the secret), `{img_fp}`/`{vid_fp}` real fingerprints.
# None of them may reach anything: each is refused with a 4xx wherever it goes.
MATRIX = [
    pytest.param(b"..", id="dotdot-alone"),
    pytest.param(b"../secret.txt", id="dotdot"),
    pytest.param(b"../secret.jpg", id="dotdot-media"),
    pytest.param(b"../../../../secret.txt", id="dotdot-deep-to-outside"),
    pytest.param(b"../../../../../../../../../../etc/passwd", id="dotdot-etc-passwd"),
    pytest.param(b"../../../../secret.txt%00.jpg", id="dotdot-nul-extension"),
    pytest.param(b"..%2Fsecret.txt", id="encoded-slash"),
    pytest.param(b"%2e%2e/secret.txt", id="encoded-dots"),
    pytest.param(b"%2e%2e%2fsecret.txt", id="all-encoded"),
    pytest.param(b"%2E%2E%2Fsecret.txt", id="all-encoded-upper"),
    pytest.param(b".%2e/secret.txt", id="half-encoded-dots"),
    pytest.param(b"%2e./secret.txt", id="half-encoded-dots-2"),
    pytest.param(b"..%2F..%2F..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd", id="encoded-deep"),
    pytest.param(b"%252e%252e%252fsecret.txt", id="double-encoded"),
    pytest.param(b"%252e%252e/secret.txt", id="double-encoded-dots"),
    pytest.param(b"..%252fsecret.txt", id="double-encoded-slash"),
    pytest.param(b"..%255csecret.txt", id="double-encoded-backslash"),
    pytest.param(b"%25252e%25252e%25252fsecret.txt", id="triple-encoded"),
    pytest.param(b"..\\secret.txt", id="backslash"),
    pytest.param(b"..%5Csecret.txt", id="encoded-backslash"),
    pytest.param(b"%5C..%5Csecret.txt", id="leading-backslash"),
    pytest.param(b"sub%5C..%5C..%5Csecret.txt", id="backslashes-after-folder"),
    pytest.param(b"%2e%2e%5c%2e%2e%5csecret.txt", id="encoded-dots-backslashes"),
    pytest.param(b"/etc/passwd", id="absolute"),
    pytest.param(b"%2Fetc%2Fpasswd", id="absolute-encoded"),
    pytest.param(b"//etc/passwd", id="absolute-double-slash"),
    pytest.param(b"{outside}/secret.txt", id="absolute-real-secret"),
    pytest.param(b"{outside}/media/../secret.jpg", id="absolute-through-root"),
    pytest.param(b"file:%2F%2F%2Fetc%2Fpasswd", id="file-url"),
    pytest.param(b"sub/a.jpg%00", id="nul-after"),
    pytest.param(b"%00../secret.txt", id="nul-before"),
    pytest.param(b"..%00/secret.txt", id="nul-in-dotdot"),
    pytest.param(b"sub/a.jpg%00/../../secret.txt", id="nul-then-dotdot"),
    pytest.param(b"%c0%ae%c0%ae/secret.txt", id="overlong-utf8-dots"),
    pytest.param(b"%c0%ae%c0%ae%c0%afsecret.txt", id="overlong-utf8-dots-slash"),
    pytest.param(b"%e0%80%ae%e0%80%ae/secret.txt", id="overlong-utf8-3-byte"),
    pytest.param(b"%c0%2e%c0%2e/secret.txt", id="overlong-utf8-broken"),
    pytest.param(b"..%c1%9csecret.txt", id="overlong-utf8-backslash"),
    pytest.param(b"%u002e%u002e%u2215secret.txt", id="iis-unicode-escapes"),
    pytest.param(b"%ef%bc%8e%ef%bc%8e/secret.txt", id="fullwidth-dots"),
    pytest.param(b"..%ef%bc%8fsecret.txt", id="fullwidth-slash"),
    pytest.param(b"..%ef%bc%bcsecret.txt", id="fullwidth-backslash"),
    pytest.param(b"..%e2%88%95secret.txt", id="division-slash"),
    pytest.param(b"%e2%80%a4%e2%80%a4/secret.txt", id="one-dot-leaders"),
    pytest.param(b"%ff%fe../secret.txt", id="invalid-utf8"),
    pytest.param(b"..;/secret.txt", id="dotdot-semicolon"),
    pytest.param(b"..;a=b/secret.txt", id="dotdot-path-parameter"),
    pytest.param(b"sub;/../../secret.txt", id="folder-semicolon"),
    pytest.param(b"....//secret.txt", id="four-dots"),
    pytest.param(b"....//....//secret.txt", id="four-dots-twice"),
    pytest.param(b"..././secret.txt", id="dot-dot-dot-slash-dot"),
    pytest.param(b".../secret.txt", id="three-dots"),
    pytest.param(b"./../secret.txt", id="dot-then-dotdot"),
    pytest.param(b"..//secret.txt", id="dotdot-double-slash"),
    pytest.param(b".//..//secret.txt", id="dot-double-slashes"),
    pytest.param(b"foo/../../secret.txt", id="dotdot-after-folder"),
    pytest.param(b"sub/../../secret.jpg", id="dotdot-after-real-folder"),
    pytest.param(b"vid/../../secret.txt", id="dotdot-after-video-folder"),
    pytest.param(b"../media2/b.jpg", id="sibling-with-root-prefix"),
    pytest.param(b"link.jpg", id="symlink-out"),
    pytest.param(b"linkdir/secret.txt", id="symlinked-folder-out"),
    pytest.param(b"odd/out.jpg", id="symlink-out-in-folder"),
    pytest.param(b"odd/loop/../out.jpg", id="symlink-loop-then-link-out"),
    pytest.param(b"odd/loop/../outdir/secret.jpg", id="symlink-loop-then-folder-out"),
    pytest.param(b"odd/loop/../../link.jpg", id="symlink-loop-dotdot-link"),
    pytest.param(b"C:/secret.txt", id="drive-letter"),
    pytest.param(b"C:%5Csecret.txt", id="drive-letter-backslash"),
    pytest.param(b"%5C%5Clocalhost%5Cc$%5Csecret.txt", id="unc-path"),
    pytest.param(b"~/secret.txt", id="tilde"),
    pytest.param(b"..%2Fsecret.txt%3F", id="query-in-name"),
    pytest.param(b"..%2Fsecret.txt%23", id="fragment-in-name"),
    pytest.param(b"%20../secret.txt", id="space-before"),
    pytest.param(b"..%09/secret.txt", id="tab"),
    pytest.param(b"..%0d%0a/secret.txt", id="crlf"),
    pytest.param(b".env", id="dotfile-in-root"),
    pytest.param(b"notes.txt", id="unindexed-file-in-root"),
    pytest.param(b"A" * 300 + b".jpg", id="name-too-long"),
    pytest.param(b"a/" * 200 + b"../" * 203 + b"secret.txt", id="very-deep"),
    pytest.param(b"{img_fp}/../../../../secret.txt", id="fingerprint-then-dotdot"),
    pytest.param(b"{img_fp}%0a", id="fingerprint-newline"),
    pytest.param(b"{img_fp}/..", id="fingerprint-slash-dotdot"),
    pytest.param(b"../cache/secret.txt", id="cache-folder"),
    pytest.param(b"sheet%D9%A1%D9%A2%D9%A3.jpg", id="unicode-digits"),
    pytest.param(b"sprites.vtt/../../../../../../secret.txt", id="sprites-then-dotdot"),
]

# Every route that serves a file, with a valid value for each path parameter: a
# variant goes into one parameter while the others hold these, so that it meets the
# route's own checks and not a 404 for a wrong neighbour.
FILE_ROUTES: dict[str, dict[str, str]] = {
    "/media/{path:path}": {"path": "sub/a.jpg"},
    "/assets/{name}": {"name": built_asset()},
    "/api/v1/thumbnails/{fingerprint}/{size}": {"fingerprint": "{img_fp}", "size": "small"},
    "/api/v1/previews/{fingerprint}/sprites/{name}": {
        "fingerprint": "{vid_fp}",
        "name": "sprites.vtt",
    },
    "/api/v1/previews/{fingerprint}/strip.jpg": {"fingerprint": "{vid_fp}"},
    "/api/v1/previews/{fingerprint}/teaser-{size}.mp4": {
        "fingerprint": "{vid_fp}",
        "size": "small",
    },
    "/api/v1/items/{item_id}/original": {"item_id": "{img_id}"},
    "/api/v1/items/{item_id}/stream": {"item_id": "{vid_id}"},
    "/api/v1/items/{item_id}/hls/index.m3u8": {"item_id": "{vid_id}"},
    "/api/v1/items/{item_id}/hls/{n}.ts": {"item_id": "{vid_id}", "n": "0"},
    "/api/v1/items/{item_id}/thumbnail/{size}": {"item_id": "{img_id}", "size": "small"},
    "/video/{content_hash}": {"content_hash": "{vid_fp}"},
    "/api/media/{what}/{content_hash}": {"what": "get-poster", "content_hash": "{vid_fp}"},
}

# Routes the heuristic below flags that serve no file named by the request: JSON about
# an item (by integer id or content hash), and the crop rendered under a name the
# server derives from the item's content and the stored rectangle.
NOT_FILE_ROUTES = {
    "/api/v1/items/{item_id}/caption",
    "/api/v1/items/{item_id}/cropped",
    "/api/ratings/{media_hash}",
    "/api/is-favourite/{media_hash}",
    "/api/get-video-data/{media_hash}",
    "/api/get-random-video-seeded/{seed}",
    "/api/v1/photosets/{photoset_id}",
    "/api/v1/photosets/{photoset_id}/items",
    "/photosets/{photoset_id}",  # a page; the set is read by the page from the API
}

_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
# What a file route's path, name or code looks like; such a route must be in FILE_ROUTES.
_FILEISH_PATH = re.compile(
    r"media|file|original|stream|hls|thumb|preview|sprite|strip|teaser|video|static|"
    r"download|poster|asset|export|raw|avatar|image|photo|subtitle|caption|\.\w{2,4}(/|$)|"
    r":path\}",
    re.IGNORECASE,
)
_FILEISH_CODE = re.compile(
    r"send_file|FileResponse|FileRangeResponse|read_bytes|original_response|open\(|"
    r"StaticFiles|sendfile|x-accel-redirect"
)
MARKERS = (SECRET, b"root:x:0:0")  # the secret next to the root; /etc/passwd


def _path_routes(app: Any) -> list[tuple[str, str, str, Any]]:
    """(method, path, name, endpoint) of every GET/HEAD route with a path parameter."""
    out = []
    for ctx in iter_route_contexts(app.routes):
        path = ctx.path or ""
        for method in sorted((ctx.methods or set()) & {"GET", "HEAD"}):
            if _PARAM.search(path):
                out.append((method, path, ctx.name or "", ctx.endpoint))
    return out


def _is_fileish(path: str, name: str, endpoint: Any) -> bool:
    if _FILEISH_PATH.search(path) or _FILEISH_PATH.search(name):
        return True
    try:
        source = inspect.getsource(endpoint)
    except (OSError, TypeError):
        return True  # cannot tell: say so, and let someone classify it
    return bool(_FILEISH_CODE.search(source))


def test_every_file_route_is_in_the_matrix(lib: Library) -> None:
    routes = _path_routes(lib.client.app)
    paths = {path for _, path, _, _ in routes}
    missing = sorted(
        f"{method} {path} ({name})"
        for method, path, name, endpoint in routes
        if path not in FILE_ROUTES
        and path not in NOT_FILE_ROUTES
        and _is_fileish(path, name, endpoint)
    )
    assert not missing, f"file routes missing from FILE_ROUTES (add them, with fillers): {missing}"
    stale = sorted(set(FILE_ROUTES) - paths)
    assert not stale, f"FILE_ROUTES names routes the app no longer has: {stale}"
    for path, fillers in FILE_ROUTES.items():
        assert set(fillers) == set(_PARAM.findall(path)), path


def _targets(lib: Library) -> list[tuple[str, str, dict[str, str]]]:
    """(method, route path, fillers) for every GET/HEAD route with a path parameter:
    the file routes with their fillers, any other with the image's id, else 1."""
    out = []
    for method, path, _name, _endpoint in _path_routes(lib.client.app):
        fillers = FILE_ROUTES.get(path) or {
            p: "{img_id}" if p == "item_id" else "1" for p in _PARAM.findall(path)
        }
        out.append((method, path, fillers))
    return out


def _build(lib: Library, path: str, values: dict[str, bytes]) -> bytes:
    return _PARAM.sub(lambda m: values[m[1]].decode("latin-1"), path).encode("latin-1")


def test_the_matrix_fillers_reach_real_files(lib: Library) -> None:
    """Without a variant, each file route answers 2xx or a redirect: so the refusals
    below come from the variant, not from a broken neighbour."""
    statuses = {}
    for method, path, fillers in _targets(lib):
        if path not in FILE_ROUTES:
            continue
        raw = _build(lib, path, {p: _fill(v.encode(), lib) for p, v in fillers.items()})
        resp = lib.client.request(method, raw.decode(), follow_redirects=False)
        statuses[f"{method} {path}"] = resp.status_code
    assert len(statuses) >= 20
    assert all(200 <= s < 400 for s in statuses.values()), statuses


def _problem(lib: Library, resp: RawResponse, raw: bytes) -> str | None:
    for marker in MARKERS:
        if marker in resp.body:
            return f"{resp.status} with {marker!r} in the body"
    if resp.status in (307, 308):
        # Starlette's redirect_slashes: `/video/..%2F` -> `/video/..`. Allowed to the
        # same site, if what it points to is refused in turn.
        location = urlsplit(resp.headers.get("location", ""))
        if location.netloc not in ("", "testserver"):
            return f"{resp.status} to another site: {location.geturl()}"
        follow = lib.get(location.path.encode("latin-1"))
        if not 400 <= follow.status < 500 or any(m in follow.body for m in MARKERS):
            return f"{resp.status} to {location.path!r}, which answers {follow.status}"
        return None
    if not 400 <= resp.status < 500:
        return f"status {resp.status}: {resp.body[:120]!r}"
    return None


def _matrix(lib: Library, raw: bytes) -> None:
    variant = _fill(raw, lib)
    failures = []
    sent = 0
    for method, path, fillers in _targets(lib):
        base = {p: _fill(v.encode(), lib) for p, v in fillers.items()}
        for param in fillers:
            url = _build(lib, path, {**base, param: variant})
            resp = lib.get(url, method=method)
            sent += 1
            problem = _problem(lib, resp, url)
            if problem is None and "x-accel-redirect" in resp.headers:
                problem = f"{resp.status} naming {resp.headers['x-accel-redirect']} for nginx"
            if problem:
                failures.append(f"{method} {url.decode('latin-1')[:160]} -> {problem}")
    assert sent >= len(FILE_ROUTES) * 2
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("raw", MATRIX)
def test_traversal_matrix(lib: Library, raw: bytes) -> None:
    _matrix(lib, raw)


@pytest.mark.parametrize("raw", MATRIX)
def test_traversal_matrix_behind_nginx(accel_lib: Library, raw: bytes) -> None:
    _matrix(accel_lib, raw)


def test_behind_nginx_only_files_under_the_root_or_cache_are_named(accel_lib: Library) -> None:
    """What the file routes hand nginx with valid values: paths under a root or the cache."""
    assert accel_lib.settings is not None
    allowed = [
        os.path.realpath(accel_lib.media) + os.sep,
        os.path.realpath(accel_lib.settings.cache_dir) + os.sep,
    ]
    named = {}
    for method, path, fillers in _targets(accel_lib):
        if path not in FILE_ROUTES or path.startswith("/assets/"):
            continue
        raw = _build(accel_lib, path, {p: _fill(v.encode(), accel_lib) for p, v in fillers.items()})
        resp = accel_lib.get(raw, method=method)
        assert 200 <= resp.status < 400, (method, path, resp.status)
        if "x-accel-redirect" in resp.headers:  # not for a playlist made on the fly
            target = unquote(resp.headers["x-accel-redirect"])
            assert target.startswith(ACCEL + "/"), (path, resp.headers)
            named[f"{method} {path}"] = target[len(ACCEL) :]
    assert len(named) >= 10, named
    outside = {k: v for k, v in named.items() if not v.startswith(tuple(allowed))}
    assert not outside, outside
