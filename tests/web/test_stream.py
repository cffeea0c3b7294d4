"""Video streaming: /stream with HTTP Range, and HLS made on the fly.

One library per module and database (SQLite, PostgreSQL), probed by the probe
job: an H.264/AAC MP4 (direct, 72 s, for seeking), H.264 in MKV (remux: copied),
HEVC in MKV and MPEG-4 in AVI (transcoded). In-process tests use the app with
their own cache; real clients (ffprobe, ffmpeg) read from `mediashelf serve`
with two worker processes.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from mediashelf.auth.access import Principal
from mediashelf.config import Settings
from mediashelf.db.engine import make_engine, upgrade
from mediashelf.jobs.kinds import probe_jobs
from mediashelf.jobs.queue import Jobs
from mediashelf.jobs.runner import run_job
from mediashelf.library.cache import derived_relpath
from mediashelf.library.scan import scan
from mediashelf.media import hls
from mediashelf.media.ffmpeg import ffmpeg_binary, ffprobe_binary
from mediashelf.web.api import stream
from mediashelf.web.app import create_app
from tests import factory
from tests.conftest import make_settings, signed_in
from tests.serving import served

ADMIN = Principal(0, "tests", "admin", "open")  # who asks, for calls past the routes

pytestmark = pytest.mark.skipif(ffprobe_binary() is None, reason="no ffprobe on this machine")

SEG = 4  # HLS_SEGMENT_SECONDS in these tests


def sine(seconds: float) -> list[str]:
    return ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]


H264 = ["-c:v", "libx264", "-g", "20", "-pix_fmt", "yuv420p"]
HEVC = ["-c:v", "libx265", "-x265-params", "log-level=error"]
VIDEOS: dict[str, tuple[float, list[str]]] = {
    "long.mp4": (72, [*sine(72), *H264, "-c:a", "aac", "-b:a", "32k", "-shortest"]),
    "remux.mkv": (20, [*sine(20), *H264, "-c:a", "aac", "-b:a", "32k", "-shortest"]),
    "hevc.mkv": (12, [*sine(12), *HEVC, "-c:a", "aac", "-shortest"]),
    "clip.avi": (10, [*sine(10), "-c:v", "mpeg4", "-c:a", "libmp3lame", "-shortest"]),
    "broken.avi": (9, ["-c:v", "mpeg4"]),
    "share.avi": (8, ["-c:v", "mpeg4"]),  # asked for by many players at once
}


@dataclass
class Lib:
    tmp: Path
    media: Path
    db_url: str
    ids: dict[str, int] = field(default_factory=dict)
    frames: dict[str, int] = field(default_factory=dict)


def ffprobe(target: str, *args: str) -> dict[str, Any]:
    out = subprocess.run(
        [ffprobe_binary() or "ffprobe", "-v", "error", *args, "-of", "json", target],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    data: dict[str, Any] = json.loads(out.stdout)
    return data


def video_packets(target: str) -> int:
    data = ffprobe(target, "-count_packets", "-select_streams", "v:0", "-show_entries",
                   "stream=nb_read_packets")  # fmt: skip
    return int(data["streams"][0]["nb_read_packets"])


@pytest.fixture(scope="module")
def lib(module_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lib]:
    """The library: made, scanned and probed once per database."""
    tmp = tmp_path_factory.mktemp("stream")
    media = tmp / "media"
    for name, (seconds, extra) in VIDEOS.items():
        factory.video(media / name, seconds, "160x120", extra)
    factory.jpeg(media / "photo.jpg")
    settings = make_settings(tmp, media, module_db_url)
    engine = make_engine(settings.db_url)
    upgrade(engine)
    scan(engine, settings)
    jobs = Jobs(settings, engine)
    assert {run_job(jobs, i).status for i, _ in jobs.submit(probe_jobs(engine, settings))} == {
        "done"
    }
    factory.video(media / "late.mp4", 1)  # scanned, never probed
    scan(engine, settings)
    engine.dispose()
    out = Lib(tmp, media, module_db_url)
    with client_for(out, tmp / "probe") as client:
        for item in client.get("/api/v1/items", params={"limit": 100}).json()["items"]:
            out.ids[item["name"]] = item["id"]
    out.frames = {name: video_packets(f"file:{media / name}") for name in VIDEOS}
    yield out


@contextmanager
def client_for(lib: Lib, tmp: Path, **extra: Any) -> Iterator[TestClient]:
    """The app over the library, with its own cache and these settings."""
    values = {"cache_dir": tmp / "cache", "hls_segment_seconds": SEG, "hls_prefetch": 0, **extra}
    settings = make_settings(lib.tmp, lib.media, lib.db_url, **values)
    app = create_app(settings)
    try:
        with signed_in(app) as client:
            yield client
    finally:
        app.state.engine.dispose()


def state(client: TestClient) -> Any:
    """The app's state: its settings and database sessions."""
    return client.app.state  # type: ignore[attr-defined]


def settings_of(client: TestClient) -> Settings:
    settings: Settings = state(client).settings
    return settings


def hls_folder(client: TestClient, lib: Lib, name: str) -> Path:
    """The cache folder of a video's segments, as the app names it."""
    settings = settings_of(client)

    async def plan() -> hls.Plan:
        with state(client).sessions() as db:
            video = stream.load_video(db, settings, lib.ids[name], ADMIN)
        return await stream.plan_for(video, settings)

    p = anyio.run(plan)
    fp = client.get(f"/api/v1/items/{lib.ids[name]}").json()["fingerprint"]
    return settings.cache_dir / derived_relpath(fp, "hls", p.tag)


def playlist(client: TestClient, item_id: int) -> tuple[list[float], str]:
    resp = client.get(f"/api/v1/items/{item_id}/hls/index.m3u8")
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "application/vnd.apple.mpegurl"
    lines = resp.text.splitlines()
    lengths = [float(x[8:].rstrip(",")) for x in lines if x.startswith("#EXTINF:")]
    return lengths, resp.text


# -- /stream: Range conformance ---------------------------------------------------


def test_stream_range_conformance(lib: Lib, tmp_path: Path) -> None:
    data = (lib.media / "long.mp4").read_bytes()
    size = len(data)
    url = f"/api/v1/items/{lib.ids['long.mp4']}/stream"
    with client_for(lib, tmp_path) as client:
        full = client.get(url)
        assert full.status_code == 200 and full.content == data
        assert full.headers["content-type"] == "video/mp4"
        assert full.headers["accept-ranges"] == "bytes" and "link" not in full.headers
        etag = full.headers["etag"]
        table: list[tuple[dict[str, str], int, str | None, bytes]] = [
            ({"range": "bytes=0-1"}, 206, f"bytes 0-1/{size}", data[:2]),  # Safari's probe
            ({"range": "bytes=100-199"}, 206, f"bytes 100-199/{size}", data[100:200]),
            ({"range": f"bytes={size - 10}-"}, 206, f"bytes {size - 10}-{size - 1}/{size}",
             data[-10:]),
            ({"range": "bytes=-500"}, 206, f"bytes {size - 500}-{size - 1}/{size}", data[-500:]),
            ({"range": f"bytes=0-{size * 2}"}, 206, f"bytes 0-{size - 1}/{size}", data),
            ({"range": f"bytes={size}-"}, 416, f"bytes */{size}", b""),
            ({"range": "bytes=-0"}, 416, f"bytes */{size}", b""),
            ({"range": "bytes=5-1"}, 200, None, data),  # invalid: ignored
            ({"range": "bytes=0-1,4-5"}, 200, None, data),  # several: the whole file
            ({"range": "items=0-1"}, 200, None, data),
            ({"range": "bytes=0-1", "if-range": etag}, 206, f"bytes 0-1/{size}", data[:2]),
            ({"range": "bytes=0-1", "if-range": '"stale"'}, 200, None, data),
            ({"if-none-match": etag}, 304, None, b""),
        ]  # fmt: skip
        for headers, status, content_range, body in table:
            resp = client.get(url, headers=headers)
            assert resp.status_code == status, headers
            assert resp.headers.get("content-range") == content_range, headers
            if status != 416:
                assert resp.content == body, headers
        head = client.head(url, headers={"range": "bytes=0-1"})
        assert head.status_code == 206 and head.content == b""
        assert head.headers["content-range"] == f"bytes 0-1/{size}"
        assert head.headers["content-length"] == "2"
        plain = client.head(url)
        assert plain.status_code == 200 and plain.headers["content-length"] == str(size)


@pytest.mark.parametrize(
    ("name", "content_type"),
    [("remux.mkv", "video/x-matroska"), ("hevc.mkv", "video/x-matroska"),
     ("clip.avi", "video/x-msvideo")],
)  # fmt: skip
def test_stream_types_and_a_pointer_to_hls(
    lib: Lib, tmp_path: Path, name: str, content_type: str
) -> None:
    with client_for(lib, tmp_path) as client:
        item = client.get(f"/api/v1/items/{lib.ids[name]}").json()
        resp = client.get(item["video"]["stream"], headers={"range": "bytes=0-1"})
        assert resp.status_code == 206 and resp.headers["content-type"] == content_type
        assert item["video"]["hls"] in resp.headers["link"]
        assert 'rel="alternate"' in resp.headers["link"]


def test_what_cannot_be_streamed(lib: Lib, tmp_path: Path) -> None:
    with client_for(lib, tmp_path) as client:
        photo, late = lib.ids["photo.jpg"], lib.ids["late.mp4"]
        for path in (f"/api/v1/items/{photo}/stream", f"/api/v1/items/{photo}/hls/index.m3u8"):
            resp = client.get(path)
            assert resp.status_code == 404 and resp.json() == {"detail": "video not found"}
        for path in ("/api/v1/items/999999/stream", "/api/v1/items/999999/hls/0.ts"):
            assert client.get(path).status_code == 404
        resp = client.get(f"/api/v1/items/{late}/hls/index.m3u8")
        assert resp.status_code == 409 and "not been probed" in resp.json()["detail"]
        assert resp.headers["retry-after"]
        assert client.get(f"/api/v1/items/{late}/stream").status_code == 409
        clip = lib.ids["clip.avi"]
        assert client.get(f"/api/v1/items/{clip}/hls/3.ts").status_code == 404  # 10 s: 0-2
        for bad in ("-1.ts", "x.ts", "99999999.ts"):
            assert client.get(f"/api/v1/items/{clip}/hls/{bad}").status_code == 422
        for bad in ("/api/v1/items/..%2f1/stream", "/api/v1/items/1%2f..%2f2/hls/0.ts"):
            assert client.get(bad).status_code in (404, 422)
        assert client.get(f"/api/v1/items/{clip}/hls/../stream").status_code in (404, 200)


# -- HLS in process ------------------------------------------------------------------


@pytest.mark.parametrize(("name", "mode"), [("remux.mkv", "copy"), ("hevc.mkv", "libx264")])
def test_seek_into_the_middle_and_the_cache(lib: Lib, tmp_path: Path, name: str, mode: str) -> None:
    item_id = lib.ids[name]
    with client_for(lib, tmp_path) as client:
        lengths, _ = playlist(client, item_id)
        duration = client.get(f"/api/v1/items/{item_id}").json()["video"]["duration"]
        assert sum(lengths) == pytest.approx(duration, abs=0.05)
        n = len(lengths) // 2  # straight to the middle: nothing before it is made
        folder = hls_folder(client, lib, name)
        assert folder.name.split("_", 1)[1].startswith(mode)
        resp = client.get(f"/api/v1/items/{item_id}/hls/{n}.ts")
        assert resp.status_code == 200 and resp.headers["content-type"] == "video/mp2t"
        assert sorted(p.name for p in folder.glob("*.ts")) == [f"{n}.ts"]
        seg = tmp_path / "seg.ts"
        seg.write_bytes(resp.content)
        facts = ffprobe(str(seg), "-show_streams", "-show_format")
        video = next(s for s in facts["streams"] if s["codec_type"] == "video")
        assert video["codec_name"] == "h264"
        assert float(video["start_time"]) == pytest.approx(sum(lengths[:n]) + hls.TS_BASE, abs=0.05)
        # Cached: served again from the file, not made again.
        made = folder / f"{n}.ts"
        stamp = made.stat().st_mtime_ns
        again = client.get(f"/api/v1/items/{item_id}/hls/{n}.ts")
        assert again.content == resp.content and again.headers["etag"] == resp.headers["etag"]
        assert made.stat().st_mtime_ns == stamp
        ranged = client.get(f"/api/v1/items/{item_id}/hls/{n}.ts", headers={"range": "bytes=0-187"})
        assert ranged.status_code == 206 and ranged.content == resp.content[:188]
        assert not [p for p in folder.iterdir() if ".part" in p.name]


def test_prefetch_makes_the_next_segments(lib: Lib, tmp_path: Path) -> None:
    item_id = lib.ids["long.mp4"]  # direct H.264: copied
    with client_for(lib, tmp_path, hls_prefetch=2, max_transcodes=3) as client:
        playlist(client, item_id)
        assert client.get(f"/api/v1/items/{item_id}/hls/5.ts").status_code == 200
        folder = hls_folder(client, lib, "long.mp4")
        deadline = time.monotonic() + 60
        while not ((folder / "6.ts").exists() and (folder / "7.ts").exists()):
            assert time.monotonic() < deadline, sorted(os.listdir(folder))
            time.sleep(0.05)
        assert not (folder / "8.ts").exists() and not (folder / "4.ts").exists()


@contextmanager
def held(path: Path) -> Iterator[None]:
    """Hold a lock file the way another process would."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        os.close(fd)


def test_the_transcode_cap(lib: Lib, tmp_path: Path) -> None:
    item_id = lib.ids["clip.avi"]
    with client_for(lib, tmp_path, max_transcodes=1, transcode_wait_seconds=0.3) as client:
        slot = settings_of(client).cache_dir / "hls" / ".slots" / "0.lock"
        with held(slot):  # the one slot, busy in another process
            resp = client.get(f"/api/v1/items/{item_id}/hls/1.ts")
            assert resp.status_code == 503
            assert "transcode slots are busy" in resp.json()["detail"]
            assert resp.headers["retry-after"] == "5"
        assert client.get(f"/api/v1/items/{item_id}/hls/1.ts").status_code == 200

    # Two players at once with one slot: the second waits its turn.
    with client_for(lib, tmp_path / "b", max_transcodes=1, transcode_wait_seconds=60) as client:
        results: dict[int, int] = {}

        def get(n: int) -> None:
            results[n] = client.get(f"/api/v1/items/{item_id}/hls/{n}.ts").status_code

        threads = [threading.Thread(target=get, args=(n,)) for n in (0, 2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert results == {0: 200, 2: 200}


def test_reading_keyframes_takes_a_transcode_slot(lib: Lib, tmp_path: Path) -> None:
    """A playlist of a copyable video reads the whole file once: that work is capped too,
    so many playlists at once cannot tie up the disk and the server's threads."""
    item_id = lib.ids["long.mp4"]  # copied: its keyframes are listed first
    stream._memo.clear()  # as a fresh process: nothing remembered
    with client_for(lib, tmp_path, max_transcodes=1, transcode_wait_seconds=0.3) as client:
        slot = settings_of(client).cache_dir / "hls" / ".slots" / "0.lock"
        with held(slot):
            resp = client.get(f"/api/v1/items/{item_id}/hls/index.m3u8")
            assert resp.status_code == 503
            assert "transcode slots are busy" in resp.json()["detail"]
        assert client.get(f"/api/v1/items/{item_id}/hls/index.m3u8").status_code == 200


def test_a_segment_another_process_makes_is_waited_for(lib: Lib, tmp_path: Path) -> None:
    item_id = lib.ids["clip.avi"]
    with client_for(lib, tmp_path) as client:
        folder = hls_folder(client, lib, "clip.avi")
        got: list[bytes] = []
        with held(folder / ".1.lock"):
            reader = threading.Thread(
                target=lambda: got.append(client.get(f"/api/v1/items/{item_id}/hls/1.ts").content)
            )
            reader.start()
            time.sleep(0.3)
            assert reader.is_alive()  # waiting, not making it too
            (folder / ".x").write_bytes(b"G" * 188)
            os.replace(folder / ".x", folder / "1.ts")  # the other process's segment
            reader.join(30)
        assert got == [b"G" * 188]


def test_a_failed_ffmpeg_leaves_nothing(lib: Lib, tmp_path: Path) -> None:
    item_id = lib.ids["broken.avi"]
    path = lib.media / "broken.avi"
    path.write_bytes(os.urandom(path.stat().st_size))  # same size: the item looks unchanged
    with client_for(lib, tmp_path) as client:
        resp = client.get(f"/api/v1/items/{item_id}/hls/1.ts")
        assert resp.status_code == 500 and "cannot make segment 1" in resp.json()["detail"]
        folder = hls_folder(client, lib, "broken.avi")
        assert [p.name for p in folder.iterdir() if not p.name.endswith(".lock")] == [".active"]


def test_an_idle_ffmpeg_is_killed_and_leaves_nothing(lib: Lib, tmp_path: Path) -> None:
    with client_for(lib, tmp_path, transcode_idle_seconds=2) as client:
        settings = settings_of(client)
        folder = hls_folder(client, lib, "hevc.mkv")

        async def make() -> None:
            with state(client).sessions() as db:
                video = stream.load_video(db, settings, lib.ids["hevc.mkv"], ADMIN)
            plan = await stream.plan_for(video, settings)
            folder.mkdir(parents=True, exist_ok=True)
            (folder / ".active").touch()
            old = time.time() - 3600
            os.utime(folder / ".active", (old, old))  # nobody has asked for an hour
            await stream.make_segment(video, plan, 1, settings, folder, None)

        with pytest.raises(stream.Idle):
            anyio.run(make)
        assert [p.name for p in folder.iterdir()] == [".active"]


def test_a_failing_hardware_encoder_falls_back_to_libx264(lib: Lib, tmp_path: Path) -> None:
    item_id = lib.ids["clip.avi"]
    extra = {"video_encoder": "h264_vaapi", "vaapi_device": str(tmp_path / "no-such-device")}
    with client_for(lib, tmp_path, **extra) as client:
        assert "h264_vaapi" in hls_folder(client, lib, "clip.avi").name
        resp = client.get(f"/api/v1/items/{item_id}/hls/0.ts")
        assert resp.status_code == 200
        seg = tmp_path / "0.ts"
        seg.write_bytes(resp.content)
        assert ffprobe(str(seg), "-show_streams")["streams"][0]["codec_name"] == "h264"


# -- real clients against `mediashelf serve` ------------------------------------------


@pytest.fixture(scope="module")
def server(lib: Lib) -> Iterator[str]:
    """`mediashelf serve` over the library: gunicorn with two worker processes."""
    env = {
        "MEDIA_DIR": str(lib.media),
        "DATA_DIR": str(lib.tmp / "data"),
        "CACHE_DIR": str(lib.tmp / "served-cache"),
        "DATABASE_URL": lib.db_url,
        "WEB_WORKERS": "2",
        "WATCH": "false",
        "LOG_LEVEL": "warning",
        "HLS_SEGMENT_SECONDS": str(SEG),
    }
    with served(env, lib.tmp) as base:
        yield base


@pytest.mark.slow
@pytest.mark.parametrize("name", ["remux.mkv", "hevc.mkv", "clip.avi"])
def test_ffprobe_reads_the_hls_stream_end_to_end(lib: Lib, server: str, name: str) -> None:
    url = f"{server}/api/v1/items/{lib.ids[name]}/hls/index.m3u8"
    # A new connection per segment, so that both worker processes serve them.
    data = ffprobe(url, "-http_persistent", "0", "-count_packets", "-show_entries",
                   "stream=codec_type,codec_name,nb_read_packets:format=duration")  # fmt: skip
    streams = {s["codec_type"]: s for s in data["streams"]}
    assert streams["video"]["codec_name"] == "h264"
    assert int(streams["video"]["nb_read_packets"]) == lib.frames[name]  # every frame, once
    assert int(streams["audio"]["nb_read_packets"]) > 0
    assert float(data["format"]["duration"]) == pytest.approx(VIDEOS[name][0], abs=0.3)


@pytest.mark.slow
def test_ffprobe_and_ffmpeg_seek_the_stream_over_http(
    lib: Lib, server: str, tmp_path: Path
) -> None:
    """The MP4 keeps its index at the end: reading it at all over HTTP takes Range."""
    url = f"{server}/api/v1/items/{lib.ids['long.mp4']}/stream"
    data = ffprobe(url, "-show_format", "-show_streams")
    assert float(data["format"]["duration"]) == pytest.approx(72, abs=0.1)
    frames = {}
    for where, source in (("http", url), ("file", f"file:{lib.media / 'long.mp4'}")):
        out = tmp_path / f"{where}.png"
        done = subprocess.run(
            [ffmpeg_binary(), "-v", "error", "-ss", "30", "-i", source, "-frames:v", "1",
             "-y", f"file:{out}"],
            capture_output=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        with Image.open(out) as img:
            frames[where] = (img.size, img.convert("RGB").tobytes())
    assert frames["http"] == frames["file"]  # the frame at 30 s, whichever way it was read


@pytest.mark.slow
def test_a_seek_into_the_middle_over_http(lib: Lib, server: str) -> None:
    item = f"{server}/api/v1/items/{lib.ids['long.mp4']}"
    text = httpx.get(f"{item}/hls/index.m3u8").text
    lengths = [float(x[8:].rstrip(",")) for x in text.splitlines() if x.startswith("#EXTINF:")]
    n = len(lengths) // 2
    data = ffprobe(f"{item}/hls/{n}.ts", "-show_streams", "-select_streams", "v")
    start = float(data["streams"][0]["start_time"])
    assert start == pytest.approx(sum(lengths[:n]) + hls.TS_BASE, abs=0.05)
    assert 30 < start < 45  # the middle of 72 s


@pytest.mark.slow
def test_players_on_both_workers_share_one_segment(lib: Lib, server: str) -> None:
    """Six players ask for the same cold segment at once, each on a new connection (so
    both worker processes get some): one ffmpeg makes it, everyone gets it."""
    item = f"{server}/api/v1/items/{lib.ids['share.avi']}"
    bodies: list[tuple[int, bytes]] = []

    def get() -> None:
        resp = httpx.get(f"{item}/hls/1.ts", headers={"connection": "close"}, timeout=120)
        bodies.append((resp.status_code, resp.content))

    threads = [threading.Thread(target=get) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(150)
    assert len(bodies) == 6 and {status for status, _ in bodies} == {200}
    assert len({body for _, body in bodies}) == 1
    fp = httpx.get(item).json()["fingerprint"]
    made = list((lib.tmp / "served-cache" / "hls").glob(f"*/*/{fp}_*/*.ts"))
    assert [p.name for p in made if p.name == "1.ts"] == ["1.ts"]
    assert made[0].parent.joinpath("1.ts").read_bytes() == bodies[0][1]
    assert not list(made[0].parent.glob(".1.*.part"))  # (prefetches of 2 and 3 may run)
