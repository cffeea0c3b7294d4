"""A real `mediashelf serve` for tests that need real clients (ffmpeg, Chromium)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(settings_env: dict[str, str], cwd: Path) -> Iterator[str]:
    """`mediashelf serve --no-worker` on a free loopback port with these settings (plus
    PATH); its base URL once /api/v1/health answers. Stopped with its whole group."""
    port = free_port()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **settings_env}
    proc = subprocess.Popen(
        [sys.executable, "-m", "mediashelf", "serve", "--no-worker", "-H", "127.0.0.1",
         "-P", str(port)],
        env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
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
            assert proc.poll() is None and time.monotonic() < deadline, "serve did not start"
            time.sleep(0.1)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
