"""Regenerate docs/screenshots/: the first-run page, the gallery at desktop and phone
width (logged in), and the watch page with a caption and its seek-bar sprites.

Builds a demo library of generated pictures, runs `mediashelf serve` on it and
photographs the pages in Debian's headless Chromium through Playwright.

    .venv/bin/python scripts/screenshots.py [--chromium /usr/bin/chromium]
"""

from __future__ import annotations

import argparse
import math
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from PIL import Image, ImageDraw, ImageFilter
from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "docs" / "screenshots"
VIEWPORTS = {"desktop": (1440, 900), "phone": (390, 844)}


def picture(path: Path, rng: random.Random) -> None:
    """A photo-like picture: sky gradient, hills, a sun, slight blur."""
    w, h = rng.choice([(1200, 800), (800, 1200), (1200, 900), (1600, 900), (1000, 1000)])
    top = tuple(rng.randint(40, 200) for _ in range(3))
    bottom = tuple(rng.randint(120, 255) for _ in range(3))
    img = Image.new("RGB", (w, h))
    draw = ImageDraw.Draw(img)
    for y in range(h):
        t = y / h
        draw.line(
            [(0, y), (w, y)],
            fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)),
        )
    sun = (rng.randint(0, w), rng.randint(0, h // 2))
    r = rng.randint(w // 14, w // 7)
    draw.ellipse([sun[0] - r, sun[1] - r, sun[0] + r, sun[1] + r], fill=(255, 230, 150))
    for layer in range(3):
        base = h * (0.55 + 0.13 * layer)
        colour = tuple(rng.randint(10, 90) + 25 * layer for _ in range(3))
        amp, freq, phase = rng.uniform(20, 90), rng.uniform(1, 4), rng.uniform(0, 6)
        points = [
            (x, base - amp * math.sin(freq * x / w * math.pi + phase)) for x in range(0, w + 20, 20)
        ]
        draw.polygon([(0, h), *points, (w, h)], fill=colour)
    img.filter(ImageFilter.GaussianBlur(1.2)).save(path, "JPEG", quality=88)


CLIPS = {  # lavfi sources that look like something
    "Clips/mandelbrot.mp4": "mandelbrot=size=960x540:rate=25",
    "Clips/life.mp4": "life=size=960x540:rate=25:mold=10:life_color=#00ff88:death_color=#004422",
    "Clips/bars.mkv": "testsrc2=size=960x540:rate=25",
}


def clip(path: Path, source: str, seconds: int = 40) -> None:
    from mediashelf.media import ffmpeg

    codec = ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "50"]
    if path.suffix == ".mkv":  # one the browser cannot play as it is: HLS
        codec = ["-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error"]
    args = ["-f", "lavfi", "-i", source, "-t", str(seconds), *codec]
    path.parent.mkdir(parents=True, exist_ok=True)
    ffmpeg.make(args, path, timeout=300)


USER = {"username": "alice", "password": "a long demo password"}


def logged_in(browser: Any, url: str, **page_options: Any) -> Any:
    """A page of a browser context that has logged in as the demo user."""
    context = browser.new_context(**page_options)
    assert context.request.post(f"{url}/api/v1/auth/login", data=USER).ok
    return context.new_page()


def shoot_watch(url: str, item_id: int, chromium: str) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = logged_in(browser, url, viewport={"width": 1280, "height": 860})
        page.goto(f"{url}/watch/{item_id}")
        page.wait_for_load_state("networkidle")
        box = page.query_selector("#scrub").bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + box["height"] / 2)
        time.sleep(0.5)
        page.screenshot(path=str(OUT / "watch-desktop.png"))
        browser.close()


def ms(env: dict[str, str], tmp: Path, *args: str, stdin: str = "") -> str:
    """Run a `mediashelf` command; its standard output."""
    done = subprocess.run(
        [sys.executable, "-m", "mediashelf", *args],
        env=env, cwd=tmp, check=True, capture_output=True, text=True, input=stdin,
    )  # fmt: skip
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(tmp: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mediashelf", "serve", "-P", str(port)],
        env=env,
        cwd=tmp,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if httpx.get(url + "/api/v1/health").status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


def shoot(url: str, name: str, chromium: str, path: str = "/", login: bool = True) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        for label, (w, h) in VIEWPORTS.items():
            options = {"viewport": {"width": w, "height": h}, "device_scale_factor": 1}
            page = logged_in(browser, url, **options) if login else browser.new_page(**options)
            page.goto(url + path)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(OUT / f"{name}-{label}.png"))
            page.close()
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    parser.add_argument("--pictures", type=int, default=60)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="ms-shots-"))
    env = {
        **os.environ,
        "MEDIA_DIR": str(tmp / "media"),
        "DATA_DIR": str(tmp / "data"),
        "CACHE_DIR": str(tmp / "cache"),
        "LOG_LEVEL": "warning",
    }
    try:
        (tmp / "media").mkdir()
        proc, url = serve(tmp, env)  # an empty library first, and no account yet
        try:
            shoot(url, "first-run", args.chromium, "/login", login=False)
            ms(env, tmp, "user", "add", USER["username"], "--admin", "--display-name", "Alice",
               "--password-stdin", stdin=USER["password"])  # fmt: skip
            shoot(url, "empty", args.chromium)
        finally:
            proc.terminate()
            proc.wait(30)
        rng = random.Random(7)
        for i in range(args.pictures):
            folder = tmp / "media" / ("2024 Holiday" if i % 3 else "Garden")
            folder.mkdir(exist_ok=True)
            picture(folder / f"IMG_{i:04d}.jpg", rng)
        for rel, source in CLIPS.items():
            clip(tmp / "media" / rel, source)
        for cmd in (["scan"], ["thumbs"]):
            ms(env, tmp, *cmd)
        key = ms(env, tmp, "apikey", "create", "-u", "alice", "-n", "shots", "-s", "admin")
        api = httpx.Client(headers={"x-api-key": key.strip()})
        proc, url = serve(tmp, env)
        try:
            shoot(url, "gallery", args.chromium)
            videos = api.get(url + "/api/v1/items", params={"kind": "video"}).json()["items"]
            shown = next(v for v in videos if v["name"] == "mandelbrot.mp4")
            caption = "The Mandelbrot set, zooming in: a test clip made by ffmpeg"
            api.post(f"{url}/api/v1/items/{shown['id']}/caption", json={"text": caption})
            shoot_watch(url, shown["id"], args.chromium)
        finally:
            proc.terminate()
            proc.wait(30)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"screenshots written to {OUT}")


if __name__ == "__main__":
    main()
