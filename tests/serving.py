"""A real `mediashelf serve` for tests that need real clients (ffmpeg, Chromium)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy import Engine
from starlette.types import ASGIApp

# Every log line of a test run lands here too: the session's end greps them for API keys
# (tests/conftest.py). Servers started by `served` write their output here.
LOG_DIR = Path(tempfile.mkdtemp(prefix="mediashelf-test-logs-"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def this_checkout() -> dict[str, str]:
    """The PYTHONPATH that this test run was given, if any, so that a server or command it
    starts runs the same code (a git worktree's `src/`, not the installed package's)."""
    path = os.environ.get("PYTHONPATH")
    return {"PYTHONPATH": path} if path else {}


def mediashelf(
    env: dict[str, str], *args: str, cwd: Path | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """Run the `mediashelf` command with exactly this environment (and this run's
    PYTHONPATH); its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "mediashelf", *args],
        env={**this_checkout(), **env},
        cwd=cwd or Path(env["DATA_DIR"]).parent,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
    )


@contextmanager
def served(
    settings_env: dict[str, str], cwd: Path, *, dev: bool = False, log: Path | None = None
) -> Iterator[str]:
    """`mediashelf serve --no-worker` (`--dev`: uvicorn with its access log) on a free
    loopback port with these settings (plus PATH and PYTHONPATH); its base URL once
    /api/v1/health answers. Stopped with its whole group. Its output goes to `log`
    (default: a file in LOG_DIR, which the end of the run checks for API keys).

    AUTH is off unless the settings say otherwise: the server binds loopback, where
    its clients (Chromium, ffmpeg) act as the built-in admin without logging in."""
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AUTH": "off",
        **this_checkout(),
        **settings_env,
    }
    log = log or LOG_DIR / f"served-{port}.log"
    out = open(log, "ab")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(
        [sys.executable, "-m", "mediashelf", "serve", "--no-worker", "-H", "127.0.0.1",
         "-P", str(port), *(["--dev"] if dev else [])],
        env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/v1/health").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, log.read_text("utf-8", "replace")[-2000:]
            assert time.monotonic() < deadline, "serve did not start"
            time.sleep(0.1)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:  # a hung server must not outlive its test
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        out.close()


@contextmanager
def live_server(app: ASGIApp) -> Iterator[tuple[str, uvicorn.Server]]:
    """`app` served by uvicorn in a thread on a free loopback port: (base URL, server).

    For clients that TestClient cannot stand in for: endless streams (SSE) and
    responses read only in part."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", timeout_graceful_shutdown=5
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", server
    finally:
        server.should_exit = True
        thread.join(10)
    assert not thread.is_alive(), "the server did not stop"


def site_env(tmp: Path, **extra: str) -> dict[str, str]:
    """The settings for `served` (and `mediashelf`) of a library whose media are under
    tmp/media, with a SQLite database under tmp/data: no watcher, quiet logs; `extra` on
    top (AUTH="on", …)."""
    return {
        "MEDIA_DIR": str(tmp / "media"),
        "DATA_DIR": str(tmp / "data"),
        "CACHE_DIR": str(tmp / "cache"),
        "DATABASE_URL": f"sqlite:///{tmp / 'data' / 'mediashelf.db'}",
        "WATCH": "false",
        "LOG_LEVEL": "warning",
        **extra,
    }


def scanned_site(tmp: Path, *, thumbnails: bool = False, **extra: str) -> dict[str, str]:
    """The media under tmp/media scanned into the SQLite database of `site_env` (with
    `thumbnails`: the images' thumbnails made too): that environment."""
    from mediashelf.db.engine import make_engine, upgrade
    from mediashelf.jobs.batch import run_thumbnails
    from mediashelf.library.scan import scan
    from tests.conftest import make_settings

    env = site_env(tmp, **extra)
    settings = make_settings(tmp, tmp / "media", env["DATABASE_URL"])
    engine = make_engine(settings.db_url)
    try:
        upgrade(engine)
        scan(engine, settings)
        if thumbnails:
            run_thumbnails(engine, settings)
    finally:
        engine.dispose()
    return env


def processed_library(tmp: Path) -> tuple[Engine, dict[str, str]]:
    """The media under tmp/media scanned into a SQLite database, with every job the scan
    queues run here (thumbnails, probes, posters, previews; no large teaser): the engine
    (for adding rows; dispose it) and the settings for `served`."""
    from mediashelf.db.engine import make_engine, upgrade
    from mediashelf.jobs.kinds import scan_now
    from mediashelf.jobs.queue import Jobs
    from mediashelf.jobs.runner import run_job
    from tests.conftest import make_settings

    db_url = f"sqlite:///{tmp / 'data' / 'mediashelf.db'}"
    settings = make_settings(
        tmp, tmp / "media", db_url, cache_dir=tmp / "cache", teaser_large_width=0
    )
    engine = make_engine(settings.db_url)
    upgrade(engine)
    jobs = Jobs(settings, engine)
    assert scan_now(jobs, [])
    while (task := jobs.huey.dequeue()) is not None:
        run_job(jobs, task.args[0])
    return engine, site_env(tmp, TEASER_LARGE_WIDTH="0")
