"""Gallery benchmark: the Svelte gallery (/) over a 100k-item library on loopback, in
Debian's headless Chromium (Playwright), next to baselines measured in the same run.

Data: bench/items.py's `build_library` (rows only: `--items` items, default 100,000, with
tags, people, ratings…), then `--pictures` real pictures (default 48, Pillow-drawn, of
several shapes) thumbnailed in a side library sharing the cache folder; every row takes
on one picture's fingerprint, upright size and average colour, so each tile's thumbnails
exist and really load. `mediashelf serve --no-worker` (WEB_WORKERS=2, AUTH=off: Chromium
is the local admin) on a free loopback port.

  first thumbnails   navigation start -> every image of the first row loaded, then the
                     next animation frame (so: painted). One condition for every page,
                     polled each frame by an init script; a fresh browser context (cold
                     HTTP cache) per run, median of `--runs`. Baselines: the old static
                     gallery (static/gallery.*, read from git at OLD_REV), and a plain page
                     (one fetch of 100 items, an <img> each, no framework).
  JS per page        gzip -9 of each built page's entry script and the chunks it preloads
                     (dist/*.html). Baseline: the old static gallery's scripts.
  scroll frames      requestAnimationFrame deltas while the page scrolls at a steady
                     `--speed` px/s for `--seconds` (the scroll set each frame from the
                     clock): p50/p95/p99 frame time, the share of late frames (over
                     25 ms: a vsync missed), long animation frames (PerformanceObserver),
                     and the DOM's size at the end.
                     Baselines: the old static gallery (appends as it goes, never removes),
                     and a plain unvirtualized page holding `--plain` items as <img> tiles.

Headless Chromium draws without a GPU on a shared machine: read the ratios.

    .venv/bin/python bench/gallery.py                       # 100k items, about 4 minutes
    .venv/bin/python bench/gallery.py --items 20000 --runs 3 --seconds 4    # quick
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchlib import run_in_temp, table
from items import build_library
from serve import HOST, free_ports, mediashelf_cmd, say, wait_healthy

REPO = Path(__file__).resolve().parents[1]
DIST = REPO / "src" / "mediashelf" / "web" / "dist"
# The old hand-written gallery (src/mediashelf/web/static/, removed with the Svelte UI) is
# the baseline: read from the last commit that had it, served by Playwright.
OLD_REV = "0addfeb"
OLD_DIR = "src/mediashelf/web/static"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
VIEWPORT = {"width": 1440, "height": 900}

# Every page, measured alike: the time at which every image of the first row (those at the
# topmost image's top) has loaded, recorded on the animation frame after (it is painted).
FIRST_ROW = """
window.__firstRow = null;
(function poll() {
  const imgs = [...document.images].filter((i) => {
    const r = i.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && r.bottom > 0 && r.top < innerHeight
      && !i.closest('header');
  });
  if (imgs.length) {
    const top = Math.min(...imgs.map((i) => i.getBoundingClientRect().top));
    const row = imgs.filter((i) => Math.abs(i.getBoundingClientRect().top - top) < 3);
    if (row.every((i) => i.complete && i.naturalWidth > 0)) {
      requestAnimationFrame(() => { window.__firstRow = performance.now(); });
      return;
    }
  }
  requestAnimationFrame(poll);
})();
"""

# Scroll at a steady speed from the clock, recording each frame's delta and long frames.
SCROLL = """async ([speed, seconds]) => {
  const deltas = [];
  const long = [];
  let observer = null;
  try {
    observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) long.push(e.duration);
    });
    observer.observe({type: 'long-animation-frame', buffered: false});
  } catch (e) { observer = null; }
  const start = performance.now();
  let last = start;
  await new Promise((done) => {
    function frame(now) {
      deltas.push(now - last);
      last = now;
      const t = (now - start) / 1000;
      window.scrollTo(0, speed * t);
      if (t < seconds) requestAnimationFrame(frame); else done();
    }
    requestAnimationFrame(frame);
  });
  if (observer) observer.disconnect();
  return {deltas: deltas.slice(1), long, loaf: observer !== null,
          nodes: document.getElementsByTagName('*').length,
          y: scrollY, height: document.documentElement.scrollHeight};
}"""

# A page with no framework: one fetch, an <img> per item in flex-wrap rows (the old
# gallery's layout), `limit` items in pages of 500; the first page of 100 alone for the
# first-thumbnails figure. Served by Playwright on the site's origin, without a CSP.
PLAIN = """<!doctype html><html><head><meta charset="utf-8"><title>plain</title>
<style>
body { margin: 0; background: #111; }
#grid { display: flex; flex-wrap: wrap; gap: 4px; padding: 4px; }
#grid img { height: 220px; flex-grow: 1; object-fit: cover; min-width: 0; background: #333; }
</style></head><body><div id="grid"></div><script>
(async () => {
  const grid = document.getElementById('grid');
  const limit = LIMIT;
  let cursor = null, n = 0;
  while (n < limit) {
    const q = new URLSearchParams({limit: String(Math.min(500, limit - n))});
    if (n === 0) q.set('limit', String(Math.min(100, limit)));
    if (cursor) q.set('cursor', cursor);
    const body = await (await fetch('/api/v1/items?' + q)).json();
    for (const it of body.items) {
      const img = document.createElement('img');
      const ratio = it.width && it.height ? it.width / it.height : 1;
      img.style.width = (220 * ratio) + 'px';
      img.style.flexGrow = String(ratio * 100);
      img.loading = 'lazy';
      img.alt = it.name;
      if (it.thumbnails) {
        img.src = it.thumbnails.small;
        img.srcset = it.thumbnails.small + ' 256w, ' + it.thumbnails.medium + ' 512w';
        img.sizes = Math.round(220 * ratio) + 'px';
      }
      grid.append(img);
    }
    n += body.items.length;
    cursor = body.next_cursor;
    window.__loaded = n;
    if (!cursor) break;
  }
  window.__done = true;
})();
</script></body></html>"""


# -- the library --------------------------------------------------------------------------


def picture(path: Path, rng: random.Random) -> None:
    from PIL import Image, ImageDraw, ImageFilter

    w, h = rng.choice([(1200, 800), (800, 1200), (1200, 900), (1600, 900), (1000, 1000)])
    img = Image.new("RGB", (w, h), tuple(rng.randint(30, 220) for _ in range(3)))
    draw = ImageDraw.Draw(img)
    for _ in range(8):
        x, y, r = rng.randint(0, w), rng.randint(0, h), rng.randint(w // 20, w // 4)
        draw.ellipse(
            [x - r, y - r, x + r, y + r], fill=tuple(rng.randint(0, 255) for _ in range(3))
        )
    img.filter(ImageFilter.GaussianBlur(1.5)).save(path, "JPEG", quality=88)


def real_thumbnails(tmp: Path, cache: Path, count: int) -> list[tuple[str, int, int, str]]:
    """`count` pictures thumbnailed in a side library whose cache is `cache`:
    (fingerprint, width, height, colour) of each."""
    from mediashelf.config import Settings
    from mediashelf.db.engine import make_engine, upgrade
    from mediashelf.jobs.batch import run_thumbnails
    from mediashelf.library.scan import scan

    side = tmp / "pictures"
    (side / "media").mkdir(parents=True)
    rng = random.Random(11)
    for n in range(count):
        picture(side / "media" / f"P{n:03d}.jpg", rng)
    url = f"sqlite:///{side / 'side.db'}"
    settings = Settings(
        database_url=url,
        media_dir=[side / "media"],
        cache_dir=cache,
        data_dir=side / "data",
        _env_file=None,  # type: ignore[call-arg]
    )
    engine = make_engine(url)
    upgrade(engine)
    scan(engine, settings)
    run_thumbnails(engine, settings)
    engine.dispose()
    with sqlite3.connect(side / "side.db") as db:
        rows = db.execute("SELECT fingerprint, width, height, color FROM items").fetchall()
    assert len(rows) == count and all(r[3] for r in rows), rows
    return rows


def adopt(db_path: Path, pictures: list[tuple[str, int, int, str]]) -> None:
    """Every row takes on one real picture's fingerprint, size and colour."""
    with sqlite3.connect(db_path) as db:
        for k, (fp, w, h, color) in enumerate(pictures):
            db.execute(
                "UPDATE items SET fingerprint = ?, width = ?, height = ?, color = ?"
                " WHERE id % ? = ?",
                (fp, w, h, color, len(pictures), k),
            )
        db.commit()


# -- measuring ----------------------------------------------------------------------------


def js_sizes() -> dict[str, int]:
    """Gzipped bytes of the scripts each built page loads (entry + preloaded chunks)."""
    out = {}
    for page in sorted(DIST.glob("*.html")):
        html = page.read_text()
        refs = re.findall(r'<(?:script|link)\b[^>]*?(?:src|href)="/assets/([^"]+\.js)"', html)
        out[page.stem] = sum(
            len(gzip.compress((DIST / "assets" / r).read_bytes(), 9)) for r in refs
        )
    return out


def old_file(name: str) -> bytes | None:
    """A file of the old gallery, from git (None outside a clone with that history)."""
    try:
        return subprocess.run(
            ["git", "show", f"{OLD_REV}:{OLD_DIR}/{name}"],
            cwd=REPO, capture_output=True, check=True,
        ).stdout  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return None


def old_js() -> int | None:
    files = [old_file("gallery.js"), old_file("session.js")]
    if any(f is None for f in files):
        return None
    return sum(len(gzip.compress(f, 9)) for f in files if f is not None)


def old_page() -> str | None:
    page = old_file("gallery.html")
    return page.decode() if page is not None else None


def serve_old(route: Any) -> None:
    name = route.request.url.split("/static/", 1)[1].split("?")[0]
    body = old_file(name)
    if body is None:
        route.fulfill(status=404)
        return
    kind = {"js": "text/javascript", "css": "text/css", "html": "text/html"}
    route.fulfill(body=body, content_type=kind.get(name.rsplit(".", 1)[-1], "text/plain"))


def open_page(browser: Any, base: str, which: str, plain_items: int = 100) -> Any:
    """A fresh context (cold cache) on a page: 'new', 'old' or 'plain'."""
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1, color_scheme="dark")
    context.add_init_script(FIRST_ROW)
    page = context.new_page()
    if which == "old":
        body = old_page()
        assert body is not None
        page.route(f"{base}/old-gallery", lambda r: r.fulfill(body=body, content_type="text/html"))
        page.route(f"{base}/static/**", serve_old)
        page.goto(f"{base}/old-gallery")
    elif which == "plain":
        body = PLAIN.replace("LIMIT", str(plain_items))
        page.route(f"{base}/plain", lambda r: r.fulfill(body=body, content_type="text/html"))
        page.goto(f"{base}/plain")
    else:
        page.goto(f"{base}/")
    return page


def wait_for(page: Any, js: str, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(js)
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(js)
        time.sleep(0.02)


def first_thumbnails(browser: Any, base: str, which: str, runs: int) -> tuple[float, float | None]:
    """Median ms to the first row painted (and the page's own mark, for the new page)."""
    times, marks = [], []
    for _ in range(runs):
        page = open_page(browser, base, which)
        times.append(wait_for(page, "() => window.__firstRow"))
        if which == "new":
            marks.append(
                wait_for(
                    page,
                    "() => performance.getEntriesByName('gallery:first-row')[0]?.startTime",
                )
            )
        page.context.close()
    return statistics.median(times), statistics.median(marks) if marks else None


def frames(browser: Any, base: str, which: str, args: argparse.Namespace) -> dict[str, Any]:
    page = open_page(browser, base, which, plain_items=args.plain)
    if which == "plain":
        wait_for(page, "() => window.__done", 300)
    wait_for(page, "() => window.__firstRow")
    page.wait_for_timeout(500)
    result = page.evaluate(SCROLL, [args.speed, args.seconds])
    page.context.close()
    deltas = sorted(result["deltas"])

    def pct(p: float) -> float:
        return deltas[min(len(deltas) - 1, int(p / 100 * len(deltas)))]

    return {
        "p50": pct(50),
        "p95": pct(95),
        "p99": pct(99),
        # A frame is late when at least one vsync was missed: over 1.5 frames (25 ms).
        "late": 100 * sum(d > 25 for d in deltas) / max(1, len(deltas)),
        "frames": len(deltas),
        "long": len(result["long"]),
        "long_ms": sum(result["long"]),
        "loaf": result["loaf"],
        "nodes": result["nodes"],
        "y": result["y"],
    }


# -- the run ------------------------------------------------------------------------------


def run(tmp: Path, args: argparse.Namespace) -> None:
    from playwright.sync_api import sync_playwright

    if not (DIST / "gallery.html").exists():
        raise SystemExit("the web UI is not built: run `make setup`")
    db_url = f"sqlite:///{tmp / 'data' / 'mediashelf.db'}"
    (tmp / "data").mkdir()
    lib = build_library(tmp, db_url, args.items, args.folders, 200)
    t0 = time.perf_counter()
    pictures = real_thumbnails(tmp, tmp / "cache", args.pictures)
    adopt(tmp / "data" / "mediashelf.db", pictures)
    took = time.perf_counter() - t0
    say(f"{len(pictures)} real pictures thumbnailed, their looks shared by every row ({took:.1f}s)")

    env = lib.env()
    env["AUTH"] = "off"
    (port,) = free_ports(1)
    log = tmp / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [*mediashelf_cmd(port), "--no-worker"], env=env, cwd=tmp, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    base = f"http://{HOST}:{port}"
    try:
        wait_healthy("mediashelf", proc, f"{base}/api/v1/health", log)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            # Warm the server (its first requests import and plan) before timing.
            warm = open_page(browser, base, "new")
            wait_for(warm, "() => window.__firstRow")
            warm.context.close()
            firsts = {"new": first_thumbnails(browser, base, "new", args.runs)}
            for which in baselines():
                firsts[which] = first_thumbnails(browser, base, which, args.runs)
            say("first thumbnails, ms: " + ", ".join(f"{k} {v[0]:.0f}" for k, v in firsts.items()))
            say(f"(the gallery's own mark, gallery:first-row: {firsts['new'][1]:.0f} ms)")
            scroll = {}
            for which in ["new", *baselines()]:
                scroll[which] = frames(browser, base, which, args)
                say(f"scroll {which}: {json.dumps(scroll[which])}")
            browser.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
    report(args, firsts, js_sizes(), old_js(), scroll)


def baselines() -> list[str]:
    return ["plain", "old"] if old_page() is not None else ["plain"]


NA = "-"


def report(
    args: argparse.Namespace,
    firsts: dict[str, tuple[float, float | None]],
    sizes: dict[str, int],
    old_size: int | None,
    scroll: dict[str, dict[str, Any]],
) -> None:
    names = {"plain": "plain page", "old": "old gallery"}
    rows: list[tuple[str, ...]] = []

    def add(metric: str, ours: str, base: str, ratio: str, goal: str = NA, met: str = NA) -> None:
        rows.append((metric, ours, base, ratio, NA, goal, met))

    ours = firsts["new"][0]
    for which in baselines():
        b = firsts[which][0]
        ok = "yes" if ours <= 1.5 * b else "NO"
        goal, met = ("<= 1.5x", ok) if which == "plain" else (NA, NA)
        add("first thumbnails (ms)", f"{ours:.0f}", f"{names[which]} {b:.0f}", f"{ours / b:.2f}x",
            goal, met)  # fmt: skip
    for name, size in sizes.items():
        if name == "gallery":
            base = f"old gallery {old_size / 1000:.1f} KB" if old_size else NA
            ratio = f"{size / old_size:.2f}x" if old_size else NA
            met = "yes" if size < 100_000 else "NO"
            add(f"JS gzip: {name}", f"{size / 1000:.1f} KB", base, ratio, "< 100 KB", met)
        else:
            add(f"JS gzip: {name}", f"{size / 1000:.1f} KB", NA, NA)
    new = scroll["new"]
    for which in baselines():
        b = scroll[which]
        label = f"{names[which]}" + (f" ({args.plain:,} items)" if which == "plain" else "")
        for key in ("p50", "p95", "p99"):
            # One frame at 60 Hz, give or take the clock's jitter (16.7 ms reads 16.8).
            ok = "yes" if new[key] <= 17.5 else "NO"
            goal, met = ("<= 17.5", ok) if key == "p95" else (NA, NA)
            add(f"scroll frame {key} (ms)", f"{new[key]:.1f}", f"{label} {b[key]:.1f}",
                f"{new[key] / b[key]:.2f}x", goal, met)  # fmt: skip
        add("late frames (> 25 ms)", f"{new['late']:.1f}%", f"{label} {b['late']:.1f}%", NA,
            "< 5%", "yes" if new["late"] < 5 else "NO")  # fmt: skip
        add("long animation frames", f"{new['long']} ({new['long_ms']:.0f} ms)",
            f"{label} {b['long']} ({b['long_ms']:.0f} ms)", NA)  # fmt: skip
        add("DOM nodes after scrolling", f"{new['nodes']:,}", f"{label} {b['nodes']:,}",
            f"{new['nodes'] / b['nodes']:.2f}x")  # fmt: skip
    print()
    print(
        f"gallery at {args.items:,} items, {VIEWPORT['width']}x{VIEWPORT['height']}, "
        f"scrolling {args.speed} px/s for {args.seconds} s (ratio CPU: not measured)"
    )
    print(table(rows))


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--folders", type=int, default=1_000)
    ap.add_argument("--pictures", type=int, default=48, help="real pictures the rows share")
    ap.add_argument("--runs", type=int, default=5, help="page loads per first-thumbnails figure")
    ap.add_argument("--speed", type=int, default=2500, help="scroll speed, px/s")
    ap.add_argument("--seconds", type=float, default=8.0, help="how long to scroll")
    ap.add_argument("--plain", type=int, default=3000, help="items in the plain list")
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"no Chromium at {CHROMIUM} (set CHROMIUM)")
    return run_in_temp(ap, "gallery", run)


if __name__ == "__main__":
    sys.exit(main())
