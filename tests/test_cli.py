"""The `mediashelf` command as a user runs it: real processes, real sockets."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mediashelf.media.ffmpeg import ffprobe_binary
from tests import factory
from tests.serving import mediashelf


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    media = tmp_path / "media"
    media.mkdir()
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "MEDIA_DIR": str(media),
        "DATA_DIR": str(tmp_path / "data"),
        "CACHE_DIR": str(tmp_path / "cache"),
        "MANIFEST_FILE": str(tmp_path / "manifest.json"),
        "THUMBNAILS_FILE": str(tmp_path / "thumbnails.json"),
        "WORKERS": "2",
        "WEB_WORKERS": "2",
        "LOG_LEVEL": "warning",
    }


ms = mediashelf


def admin_key(env: dict[str, str]) -> str:
    """An admin and an API key, made the way a new user would: with the CLI."""
    made = ms(env, "user", "add", "admin", "--admin", "--password-stdin", stdin="a long secret\n")
    assert made.returncode == 0, made.stderr
    key = ms(env, "apikey", "create", "--user", "admin", "--name", "tests", "--scope", "admin")
    assert key.returncode == 0, key.stderr
    return key.stdout.strip()


def test_scan_thumbs_manifest_from_the_command_line(env: dict[str, str]) -> None:
    media = Path(env["MEDIA_DIR"])
    for i in range(3):
        factory.jpeg(media / f"p{i}.jpg", (300, 200), seed=i)
    (media / "broken.jpg").write_text("<html></html>")

    scan = ms(env, "update-manifest")  # the seed's name: scan + manifest
    assert scan.returncode == 0, scan.stderr
    assert "new" in scan.stdout and "errors" in scan.stdout
    assert "broken.jpg: content is text/html, not an image" in scan.stderr
    thumbs = ms(env, "update-cache", "-i")
    assert thumbs.returncode == 0, thumbs.stderr
    assert "3 made" in thumbs.stdout
    again = ms(env, "thumbs")
    assert "0 made, 3 already there" in again.stdout
    written = ms(env, "manifest")
    assert written.returncode == 0
    manifest = json.loads(Path(env["MANIFEST_FILE"]).read_text())
    assert manifest["count"] == 4
    assert {Path(i["path"]).name for i in manifest["items"]} >= {"p0.jpg", "broken.jpg"}
    thumbs_map = json.loads(Path(env["THUMBNAILS_FILE"]).read_text())
    assert len(thumbs_map) == 3
    assert all(Path(p).exists() for sizes in thumbs_map.values() for p in sizes.values())


def test_reload_of_a_missing_process_is_a_clear_error(env: dict[str, str]) -> None:
    proc = ms(env, "reload", "999999")
    assert proc.returncode == 1
    assert "no process with PID 999999" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert ms(env, "thumbs", "-p", "999999").returncode == 1


def _children(pid: int) -> set[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return set()
    return {int(p) for p in text.split()}


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return b""


def _web_workers(pid: int) -> set[int]:
    """The gunicorn workers: forked, so they share the master's command line."""
    return {c for c in _children(pid) if _cmdline(c) == _cmdline(pid)}


def _companion(pid: int, command: str) -> int | None:
    """The child that `serve` started as `python -m mediashelf COMMAND`."""
    want = f"mediashelf\0{command}".encode()
    return next((c for c in _children(pid) if want in _cmdline(c)), None)


def _descendants(pid: int) -> set[int]:
    out = set()
    todo = [pid]
    while todo:
        for child in _children(todo.pop()):
            out.add(child)
            todo.append(child)
    return out


def _wait_for(check: object, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(0.1)
    raise AssertionError("timed out")


@pytest.fixture
def served(
    env: dict[str, str], tmp_path: Path
) -> Iterator[tuple[subprocess.Popen[bytes], httpx.Client]]:
    media = Path(env["MEDIA_DIR"])
    factory.jpeg(media / "a.jpg", (400, 300), seed=1)
    with open(media / "big.mp4", "wb") as fh:  # a 64 MiB "video" to download slowly
        fh.write(b"\x00\x00\x00\x18ftypisom" + b"\x00" * 12)
        fh.truncate(64 * 1024 * 1024)
    assert ms(env, "scan").returncode == 0
    key = admin_key(env)
    sock = tmp_path / "ms.sock"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mediashelf", "serve", "-S", str(sock)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = httpx.Client(
        transport=httpx.HTTPTransport(uds=str(sock)),
        base_url="http://ms",
        timeout=30,
        headers={"authorization": f"Bearer {key}"},
    )
    try:
        _wait_for(lambda: client.get("/api/v1/health").status_code == 200)
        yield proc, client
    finally:
        client.close()
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.mark.slow
def test_production_server_on_a_unix_socket_reloads_gracefully(
    served: tuple[subprocess.Popen[bytes], httpx.Client],
) -> None:
    proc, client = served
    _wait_for(lambda: len(_web_workers(proc.pid)) == 2)
    workers = _web_workers(proc.pid)
    items = client.get("/api/v1/items").json()["items"]
    big = next(i for i in items if i["name"] == "big.mp4")

    received = []

    def slow_download() -> None:
        with client.stream("GET", big["original"]) as resp:
            for chunk in resp.iter_bytes(1024 * 1024):
                received.append(len(chunk))
                time.sleep(0.02)

    reader = threading.Thread(target=slow_download)
    reader.start()
    _wait_for(lambda: len(received) > 2)
    os.kill(proc.pid, signal.SIGHUP)  # what `mediashelf reload PID` sends
    _wait_for(lambda: _web_workers(proc.pid) and not (_web_workers(proc.pid) & workers))
    reader.join(60)

    assert sum(received) == 64 * 1024 * 1024  # the in-flight download finished whole
    assert client.get("/api/v1/health").json()["status"] == "ok"
    assert proc.poll() is None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
@pytest.mark.parametrize("args", [["serve"], ["serve", "--dev"], ["run-dev"]])
def test_server_on_host_and_port(env: dict[str, str], tmp_path: Path, args: list[str]) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mediashelf", *args, "-H", "127.0.0.1", "-P", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_for(lambda: httpx.get(f"http://127.0.0.1:{port}/api/v1/health").status_code == 200)
        page = httpx.get(f"http://127.0.0.1:{port}/")  # not logged in: to the login page
        assert page.status_code == 303 and page.headers["location"] == "/login?next=/"
        login = httpx.get(f"http://127.0.0.1:{port}/login")
        assert login.status_code == 200 and "Mediashelf" in login.text
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)


@pytest.mark.slow
def test_workers_exit_when_the_master_is_killed(
    served: tuple[subprocess.Popen[bytes], httpx.Client],
) -> None:
    proc, _client = served
    _wait_for(lambda: len(_web_workers(proc.pid)) == 2)
    # serve also runs a job worker (with its own job processes) and the watcher.
    _wait_for(lambda: _companion(proc.pid, "worker") and _companion(proc.pid, "watch"))
    worker = _companion(proc.pid, "worker")
    assert worker is not None
    _wait_for(lambda: len(_children(worker)) >= 1)  # Huey's job processes
    workers = _descendants(proc.pid)
    assert len(workers) >= 5
    proc.kill()  # SIGKILL: no chance to stop its workers itself
    proc.wait(10)

    def gone() -> bool:
        return not any(Path(f"/proc/{pid}").exists() for pid in workers)

    _wait_for(gone, timeout=20)


def test_thumbs_signals_the_server_to_reload(env: dict[str, str], tmp_path: Path) -> None:
    factory.jpeg(Path(env["MEDIA_DIR"]) / "a.jpg", seed=1)
    assert ms(env, "scan").returncode == 0
    marker = tmp_path / "hup"
    waiter = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import pathlib, signal, sys, time\n"
            f"signal.signal(signal.SIGHUP, lambda *a: (pathlib.Path({str(marker)!r}).touch(), "
            "sys.exit(0)))\nprint('ready', flush=True)\ntime.sleep(60)",
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert waiter.stdout is not None and waiter.stdout.readline() == b"ready\n"
        done = ms(env, "thumbs", "-p", str(waiter.pid))
        assert done.returncode == 0, done.stderr
        assert f"sent a graceful reload (SIGHUP) to {waiter.pid}" in done.stdout
        assert waiter.wait(10) == 0 and marker.exists()
    finally:
        waiter.kill()


@pytest.mark.skipif(ffprobe_binary() is None, reason="no ffprobe on this machine")
def test_thumbs_v_probes_videos_and_makes_their_previews(env: dict[str, str]) -> None:
    media = Path(env["MEDIA_DIR"])
    factory.video(media / "clip.mp4", seconds=6.0, size="320x240")
    factory.jpeg(media / "photo.jpg", seed=1)
    (media / "fake.mp4").write_bytes(b"\x00\x00\x00\x18ftypisom" + b"\x00" * 4000)
    assert ms(env, "scan").returncode == 0
    done = ms(env, "thumbs", "-v")
    assert done.returncode == 0, done.stderr
    # four jobs for the clip (poster, sprites, strip, teasers); the fake fails its probe
    assert "video previews: 4 made, 0 already there, 1 errors" in done.stdout
    assert "fake.mp4: " in done.stderr and "Traceback" not in done.stderr
    assert "thumbnails:" not in done.stdout  # -v: no image work
    cache = Path(env["CACHE_DIR"])
    for kind in ("thumbnail", "sprites", "previews", "teaser"):
        assert any((cache / kind).rglob("*")), kind
    assert len(list((cache / "thumbnail").rglob("*.webp"))) == 3  # the clip's; not the photo's
    again = ms(env, "thumbs", "-v")
    assert "video previews: 0 made" in again.stdout


@pytest.mark.skipif(
    Path(sys.executable).with_name("ffprobe").exists(),
    reason="this virtualenv has its own ffprobe: it cannot be made to miss one",
)
def test_without_ffprobe_videos_are_not_flagged_as_broken(
    env: dict[str, str], tmp_path: Path
) -> None:
    """A missing tool is the machine's fault: the job fails and says so, the file is fine."""
    media = Path(env["MEDIA_DIR"])
    factory.video(media / "clip.mp4", seconds=1.0)
    bare = {**env, "PATH": str(Path(sys.executable).parent), "JOB_MAX_ATTEMPTS": "1"}
    assert ms(bare, "scan").returncode == 0
    done = ms(bare, "thumbs", "-v")
    assert done.returncode == 0, done.stderr
    assert "ffprobe not found: install ffmpeg" in done.stderr
    items = ms(env, "manifest")
    assert items.returncode == 0
    manifest = json.loads(Path(env["MANIFEST_FILE"]).read_text())
    [clip] = manifest["items"]
    assert not clip.get("error"), clip


def test_auth_off_is_refused_where_strangers_could_reach_it(env: dict[str, str]) -> None:
    for args in (["serve", "-H", "0.0.0.0"], ["serve", "-S", str(Path(env["DATA_DIR"]) / "s")]):
        done = ms({**env, "AUTH": "off"}, *args)
        assert done.returncode == 2, done.stderr
        assert "AUTH=off is allowed only when the server binds to loopback" in done.stderr
        assert "Traceback" not in done.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    ("extra", "warning"),
    [
        ({"AUTH": "off"}, "WARNING: AUTH=off: anyone on this machine (loopback)"),
        ({"AUTH": "off", "TRUSTED_NETWORKS": "192.168.1.0/24"}, "192.168.1.0/24 uses Mediashelf"),
        ({}, "No account yet: open http://127.0.0.1:"),
    ],
)
def test_serve_says_loudly_who_can_get_in(
    env: dict[str, str], tmp_path: Path, extra: dict[str, str], warning: str
) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mediashelf", "serve", "-H", "127.0.0.1", "-P", str(_free_port())],
        env={**env, **extra, "WATCH": "false"},
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stderr is not None
        said = ""
        deadline = time.monotonic() + 60
        while warning not in " ".join(said.split()) and time.monotonic() < deadline:
            said += proc.stderr.readline()
        assert warning in " ".join(said.split()), said
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
