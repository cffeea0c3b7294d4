"""Regenerate docs/screenshots/: every page at desktop and phone width (logged in): the
first-run page, the empty library, the gallery, the watch page with a caption and its
seek-bar sprites, the dashboard, photosets, tags, discover, the lightbox, the account page,
the user menu and the phone's navigation.

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
    """The watch page, dark, logged in: the video paused where it was left (the "resumed"
    note), the panel (rating, favourite, performers, studio, tags, source, facts) and
    related videos; at 1280 wide with the seek bar's sprite preview under the pointer, and
    at 390 (the phone's whole page). Into docs/screenshots/watch-*.png."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for label, (w, h) in (("desktop", (1280, 860)), ("phone", (390, 844))):
            page = logged_in(
                browser, url, viewport={"width": w, "height": h},
                device_scale_factor=1, color_scheme="dark",
            )  # fmt: skip
            if label == "desktop":  # once: the item's people, tags, rating, a view
                token = next(
                    c["value"] for c in page.context.cookies() if c["name"] == "mediashelf_csrf"
                )
                api = page.context.request
                videos = api.get(f"{url}/api/v1/items?kind=video").json()["items"]
                others = [v["id"] for v in videos if v["id"] != item_id]
                calls = [
                    ("patch", f"items/{item_id}", {"title": "Mandelbrot zoom",
                     "source_url": "https://example.com/fractals/mandelbrot-zoom"}),
                    ("post", "performers/attach", {"performers": ["Benoit Fractal"],
                     "items": [item_id, *others[:1]]}),
                    ("post", "studios/attach", {"studios": ["Lavfi Studios"],
                     "items": [item_id, *others[1:2]]}),
                    ("post", "tags/attach", {"tags": ["fractal", "maths", "zoom", "test clip"],
                     "items": [item_id]}),
                    ("post", "tags/attach", {"tags": ["maths"], "items": others}),
                    ("put", f"items/{item_id}/rating", {"value": 80}),
                    ("put", f"items/{item_id}/favorite", None),
                    ("post", f"items/{item_id}/views", {"position": 14.2, "count": True}),
                ]  # fmt: skip
                for method, path, body in calls:
                    answer = api.fetch(
                        f"{url}/api/v1/{path}", method=method.upper(), data=body,
                        headers={"x-csrf-token": token},
                    )  # fmt: skip
                    assert answer.ok, (path, answer.status, answer.text())
            page.goto(f"{url}/watch/{item_id}")
            page.wait_for_selector(".resumed")
            page.wait_for_selector("#related a img")
            page.wait_for_load_state("networkidle")
            loaded = "() => [...document.images].every((i) => i.complete && i.naturalWidth)"
            for _ in range(100):  # the page CSP refuses wait_for_function's eval
                if page.evaluate(loaded):
                    break
                time.sleep(0.1)
            if label == "desktop":  # a pointer over the seek bar (a phone has none)
                box = page.query_selector("#scrub").bounding_box()
                page.mouse.move(box["x"] + box["width"] * 0.62, box["y"] + box["height"] / 2)
            page.wait_for_timeout(500)
            page.screenshot(path=str(OUT / f"watch-{label}.png"), full_page=label == "phone")
            page.context.close()
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


def _images_loaded(page: Any, timeout: float = 60) -> None:
    """Wait until every image in the viewport has loaded."""
    deadline = time.monotonic() + timeout
    loaded = """() => {
      const imgs = [...document.querySelectorAll('#grid .tile img')].filter((img) => {
        const r = img.getBoundingClientRect();
        return r.bottom > 0 && r.top < innerHeight;
      });
      return imgs.length > 0 && imgs.every((img) => img.complete && img.naturalWidth > 0);
    }"""
    while not page.evaluate(loaded):
        if time.monotonic() > deadline:
            raise SystemExit("the gallery's thumbnails did not load")
        time.sleep(0.2)
    page.wait_for_timeout(400)  # the fade-in


def shoot_gallery(url: str, api: httpx.Client, chromium: str) -> None:
    """The gallery (/), dark, logged in, with a few favourites: at desktop and phone width,
    in select mode with a range selected, and in the light theme. Into gallery-*.png."""
    images = api.get(f"{url}/api/v1/items", params={"kind": "image", "limit": 40}).json()["items"]
    for item in images[3:40:9]:
        api.put(f"{url}/api/v1/items/{item['id']}/favorite")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for label, (w, h) in VIEWPORTS.items():
            page = logged_in(
                browser, url, viewport={"width": w, "height": h},
                device_scale_factor=1, color_scheme="dark",
            )  # fmt: skip
            page.goto(url + "/")
            _images_loaded(page)
            page.mouse.move(w - 5, h - 5)
            page.screenshot(path=str(OUT / f"gallery-{label}.png"))
            if label == "desktop":
                page.click("#select-mode")
                page.click('.tile[data-index="4"]')
                page.click('.tile[data-index="9"]', modifiers=["Shift"])
                page.hover('.tile[data-index="12"]')
                page.wait_for_timeout(300)
                page.screenshot(path=str(OUT / "gallery-select-desktop.png"))
                page.keyboard.press("Escape")
                page.evaluate("() => localStorage.setItem('mediashelf-theme', 'light')")
                page.goto(url + "/?kind=image&sort=name")
                _images_loaded(page)
                page.click("#toggle-filters")
                page.mouse.move(w - 5, h - 5)
                page.wait_for_timeout(300)
                page.screenshot(path=str(OUT / "gallery-light-desktop.png"))
            page.context.close()
        browser.close()


def shoot_dashboard(url: str, api: httpx.Client, media: Path, chromium: str) -> None:
    """The admin dashboard (/admin), dark: the overview just after a folder was added and
    scanned (followed live), at desktop (1280) and phone width; the jobs, settings and
    users tabs; and the overview in the light theme. Into docs/screenshots/dashboard-*."""
    api.post(f"{url}/api/v1/users", json={"username": "bob", "password": "a long password",
             "role": "member", "display_name": "Bob"})  # fmt: skip
    api.post(f"{url}/api/v1/apikeys", json={"name": "Backup script", "scope": "read"})
    tag = api.post(f"{url}/api/v1/tags", json={"name": "Private"}).json()["id"]
    api.put(f"{url}/api/v1/admin/content-filters", json={"tags": [tag]})
    api.patch(f"{url}/api/v1/admin/settings", json={"thumbnail_quality": 85})
    uploads = media.parent / "Phone uploads"  # a second root, added on the page
    uploads.mkdir(exist_ok=True)
    rng = random.Random(11)
    for i in range(8):
        picture(uploads / f"PXL_{i:04d}.jpg", rng)

    def settle(page: Any) -> None:  # no toast, no hover, in the picture
        page.wait_for_load_state("networkidle")
        for close in page.query_selector_all(".notice .close"):
            close.click()
        page.mouse.move(4, 400)
        page.wait_for_timeout(600)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for label, width, height in (("desktop", 1280, 900), ("phone", 390, 844)):
            page = logged_in(
                browser, url, viewport={"width": width, "height": height},
                device_scale_factor=1, color_scheme="dark",
            )  # fmt: skip
            page.goto(f"{url}/admin")
            page.wait_for_selector("#live-state[data-state=live]")
            if label == "desktop":
                page.fill("#library-path", str(uploads))
                page.click("#add-library")
            else:
                page.click("#rescan-all")
            page.wait_for_selector("#scan-summary", timeout=120_000)
            page.wait_for_timeout(3000)  # the counts, read again after the scan
            settle(page)
            page.screenshot(path=str(OUT / f"dashboard-{label}.png"), full_page=True)
            if label == "desktop":
                for tab in ("jobs", "settings", "users"):
                    page.click(f"#tab-{tab}")
                    settle(page)
                    page.screenshot(path=str(OUT / f"dashboard-{tab}-desktop.png"))
                page.evaluate("() => localStorage.setItem('mediashelf-theme', 'light')")
                page.goto(f"{url}/admin#overview")
                page.reload()
                page.wait_for_selector("#live-state[data-state=live]")
                settle(page)
                page.screenshot(path=str(OUT / "dashboard-light-desktop.png"))
            page.context.close()
        browser.close()


def browse_demo(url: str, api: httpx.Client) -> int:
    """Tags, people, a studio and photosets for the browse pages' screenshots (made through
    the API, as a member would): the id of the photoset shown in detail."""
    v1 = f"{url}/api/v1"
    items = api.get(f"{v1}/items", params={"limit": 500, "sort": "name"}).json()["items"]
    photos = [i["id"] for i in items if i["kind"] == "image"]
    videos = [i["id"] for i in items if i["kind"] == "video"]
    tags = {
        "Sunset": photos[0:40:3],
        "Hills": photos[1:60:2],
        "Summer": photos[5:25],
        "Family": photos[30:38],
        "Garden": photos[40:52],
        "Test clips": videos,
        "Favourites": photos[2:9],
        "To print": [],
    }
    for name, ids in tags.items():
        if ids:
            api.post(f"{v1}/tags/attach", json={"tags": [name], "items": ids})
        else:
            api.post(f"{v1}/tags", json={"name": name, "aliases": []})
    for name, ids in {"Alice": photos[3:12], "Bob": photos[8:14], "Carol": photos[20:23]}.items():
        api.post(f"{v1}/performers/attach", json={"performers": [name], "items": ids})
    api.post(f"{v1}/studios/attach", json={"studios": ["Home"], "items": photos[:20]})
    made = api.post(f"{v1}/photosets/from-folders", json={"folders": [""], "recursive": True})
    sets = {s["name"]: s["id"] for s in made.json()["created"]}
    api.post(f"{v1}/photosets", json={"name": "Best of the summer", "items": photos[5:17]})
    tag_ids = {t["name"]: t["id"] for t in api.get(f"{v1}/tags").json()["tags"]}
    people = [p["id"] for p in api.get(f"{v1}/performers").json()["performers"]][:2]
    studio = api.get(f"{v1}/studios").json()["studios"][0]["id"]
    holiday = sets["2024 Holiday"]
    third = api.get(f"{v1}/photosets/{holiday}/items", params={"limit": 3}).json()["items"][2]
    details = {
        "cover_item_id": third["id"],
        "description": "Two weeks by the sea, and the hills behind it.\nMostly sunsets.",
        "year": 2024,
        "date": "2024-07-14",
        "source_url": "https://example.com/albums/holiday-2024",
        "tags": [tag_ids["Summer"], tag_ids["Sunset"]],
        "performers": people,
        "studio_id": studio,
    }
    api.patch(f"{v1}/photosets/{holiday}", json=details).raise_for_status()
    return holiday


def shoot_browse(url: str, set_id: int, chromium: str) -> None:
    """The browse pages and the photosets, logged in (an admin: the edit controls show),
    at 1280 wide in the dark theme and 390 in the light one: docs/screenshots/photosets-*,
    photoset-* (and the set being arranged), tags-* and discover-*.png."""
    shots = {
        "photosets": "/photosets",
        "photoset": f"/photosets/{set_id}",
        "tags": "/tags",
        "discover": "/discover?seed=7",
    }
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        sizes = {"desktop": (1280, 860, "dark"), "phone": (390, 844, "light")}  # both themes
        for label, (w, h, theme) in sizes.items():
            options = {
                "viewport": {"width": w, "height": h},
                "device_scale_factor": 1,
                "color_scheme": theme,
            }
            page = logged_in(browser, url, **options)
            for name, path in shots.items():
                page.goto(url + path)
                page.wait_for_load_state("networkidle")
                time.sleep(0.6)  # the covers fade in
                page.screenshot(path=str(OUT / f"{name}-{label}.png"))
            if label == "desktop":
                page.goto(f"{url}/photosets/{set_id}")
                page.click("#arrange")
                page.wait_for_selector("#arrange > li")
                page.wait_for_load_state("networkidle")
                page.focus("#arrange > li:nth-child(2) .grip")
                page.keyboard.press("ArrowRight")  # moved by keyboard, and saved
                page.wait_for_selector("#save-state:has-text('Saved.')")
                time.sleep(0.6)
                page.screenshot(path=str(OUT / "photoset-arrange-desktop.png"))
            page.context.close()
        browser.close()


def shoot_lightbox(url: str, api: httpx.Client, set_id: int, chromium: str) -> None:
    """The image viewer over a photoset's page, its info panel open (rated, a favourite,
    tagged, a caption with history, a named crop), 1280 wide and dark, logged in:
    docs/screenshots/lightbox-desktop.png; and the same at 390 wide, lightbox-phone.png."""
    v1 = f"{url}/api/v1"
    items = api.get(f"{v1}/photosets/{set_id}/items", params={"limit": 10}).json()["items"]
    shown = next(i for i in items[1:] if i["kind"] == "image")
    iid = shown["id"]
    api.put(f"{v1}/items/{iid}/rating", json={"value": 80}).raise_for_status()
    api.put(f"{v1}/items/{iid}/favorite").raise_for_status()
    api.post(f"{v1}/tags/attach", json={"tags": ["Sunset", "To print"], "items": [iid]})
    for text in ("Evening light", "Evening light over the hills, from the terrace"):
        api.post(f"{v1}/items/{iid}/caption", json={"text": text}).raise_for_status()
    crop = {"name": "Square", "x": 0.2, "y": 0.1, "width": 0.45, "aspect": "1:1"}
    w, h = shown["width"] or 1, shown["height"] or 1
    crop["height"] = min(0.9, crop["width"] * w / h)
    api.post(f"{v1}/items/{iid}/crop", json=crop).raise_for_status()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for label, (width, height) in (("desktop", (1280, 860)), ("phone", (390, 844))):
            options = {"viewport": {"width": width, "height": height}, "device_scale_factor": 1}
            page = logged_in(browser, url, color_scheme="dark", **options)
            page.add_init_script("localStorage.setItem('mediashelf.lightbox.info', '1')")
            page.goto(f"{url}/photosets/{set_id}")
            tile = f'#items .tile[data-id="{iid}"]'
            page.wait_for_selector(tile)
            page.focus(tile)
            page.keyboard.press("Enter")
            page.wait_for_selector("#lb-panel #lb-path")
            page.wait_for_selector("#lb-crops img")
            page.click("#lb-caption-history")
            page.wait_for_load_state("networkidle")
            time.sleep(0.6)
            page.screenshot(path=str(OUT / f"lightbox-{label}.png"))
            page.context.close()
        browser.close()


def shoot_account(url: str, api: httpx.Client, chromium: str) -> None:
    """The account page (/account), dark, logged in as the admin with a few API keys (one
    revoked): at 1280 and 390 wide (the phone's whole page); the user menu open at 1280
    (account-menu-desktop.png) and the phone's navigation open at 390, on the gallery
    (nav-menu-phone.png)."""
    v1 = f"{url}/api/v1"
    keys = (("Laptop sync", "read"), ("Photo frame", "read"), ("Old tagger", "write"))
    for name, scope in keys:
        made = api.post(f"{v1}/apikeys", json={"name": name, "scope": scope}).raise_for_status()
        if name == "Old tagger":
            api.delete(f"{v1}/apikeys/{made.json()['id']}").raise_for_status()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for label, (width, height) in (("desktop", (1280, 860)), ("phone", (390, 844))):
            options = {"viewport": {"width": width, "height": height}, "device_scale_factor": 1}
            page = logged_in(browser, url, color_scheme="dark", **options)
            page.goto(f"{url}/account")
            page.wait_for_selector("#key-list")
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(OUT / f"account-{label}.png"), full_page=label == "phone")
            if label == "desktop":
                page.click("#account-button")
                page.wait_for_selector("#account-menu")
                page.hover('#account-menu a[href="/account"]')
                page.screenshot(path=str(OUT / "account-menu-desktop.png"))
            else:
                page.goto(f"{url}/")
                _images_loaded(page)
                page.click("#nav-menu")
                page.wait_for_selector("#main-nav.open")
                page.screenshot(path=str(OUT / "nav-menu-phone.png"))
            page.context.close()
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
            taken = time.mktime((2024, 9 - i // 12, 28 - (i % 12) * 2, 12, 0, 0, 0, 0, -1))
            os.utime(folder / f"IMG_{i:04d}.jpg", (taken, taken))  # months of the gallery
        for rel, source in CLIPS.items():
            clip(tmp / "media" / rel, source)
        for cmd in (["scan"], ["thumbs"]):
            ms(env, tmp, *cmd)
        key = ms(env, tmp, "apikey", "create", "-u", "alice", "-n", "shots", "-s", "admin")
        api = httpx.Client(headers={"x-api-key": key.strip()})
        proc, url = serve(tmp, env)
        try:
            shoot_gallery(url, api, args.chromium)
            videos = api.get(url + "/api/v1/items", params={"kind": "video"}).json()["items"]
            shown = next(v for v in videos if v["name"] == "mandelbrot.mp4")
            caption = "The Mandelbrot set, zooming in: a test clip made by ffmpeg"
            api.post(f"{url}/api/v1/items/{shown['id']}/caption", json={"text": caption})
            shoot_watch(url, shown["id"], args.chromium)
            shoot_dashboard(url, api, tmp / "media", args.chromium)
            holiday = browse_demo(url, api)
            shoot_browse(url, holiday, args.chromium)
            shoot_lightbox(url, api, holiday, args.chromium)
            shoot_account(url, api, args.chromium)
        finally:
            proc.terminate()
            proc.wait(30)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"screenshots written to {OUT}")


if __name__ == "__main__":
    main()
