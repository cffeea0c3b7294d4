"""Thumbnail benchmark: 12-megapixel JPEGs to three sizes, on all cores.

Run: .venv/bin/python bench/thumbs.py [--images 200] [--split 10]

Generates photo-like 4000x3000 JPEGs (quality 90) under a temporary folder,
scans them into a fresh SQLite database and makes every thumbnail size
(THUMBNAIL_SIZE_SMALL/MEDIUM/LARGE, default 256/512/1024; WebP by default).
Every figure is compared with baselines measured in the same run, with the
same number of worker processes (os.cpu_count()):

* naive: full decode (no draft), each size resized from the full image with
  Pillow's default filter, saved as WebP with Pillow's defaults (quality 80,
  method 4). Goal: ours >= 3x faster.
* decode only: Image.draft('RGB', size the largest thumbnail needs) + load(),
  nothing else. Goal: ours within 1.5x of it.

Then, single-core, per image: where the time goes (decode, resize, encode).
The images are warm in the page cache. Nothing is asserted: machines are
shared and noisy, so read the ratios.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import struct
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import Pool
from pathlib import Path
from statistics import mean, median
from typing import Any

from benchlib import fresh_engine, run_in_temp, table, verdict
from PIL import Image, ImageChops, ImageFilter, ImageOps

from mediashelf.config import Settings
from mediashelf.db.engine import make_engine
from mediashelf.jobs.batch import run_thumbnails
from mediashelf.library.scan import scan
from mediashelf.media import images
from mediashelf.media.images import fit, make_thumbnails

WIDTH, HEIGHT = 4000, 3000
NAIVE_GOAL = 3.0  # ours at least this many times faster than naive
DECODE_GOAL = 1.5  # ours at most this many times slower than decode-only


# -- the images ---------------------------------------------------------------


def render(seed: int) -> bytes:
    """One photo-like 4000x3000 JPEG (quality 90, ~3.7 MB).

    Blurred noise at two scales blended with a gradient, upscaled, plus grain.
    """
    w, h = WIDTH // 4, HEIGHT // 4
    coarse = Image.merge(
        "RGB",
        [
            Image.effect_noise((w // 8, h // 8), 80 + (seed + c) % 30).filter(
                ImageFilter.GaussianBlur(2)
            )
            for c in range(3)
        ],
    ).resize((w, h), Image.Resampling.BICUBIC)
    fine = Image.merge("RGB", [Image.effect_noise((w // 2, h // 2), 60) for _ in range(3)])
    fine = fine.resize((w, h), Image.Resampling.BILINEAR)
    grad = Image.linear_gradient("L").rotate(seed * 37 % 360).resize((w, h))
    tint = Image.merge(
        "RGB",
        (
            grad,
            grad.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
            grad.transpose(Image.Transpose.FLIP_TOP_BOTTOM),
        ),
    )
    small = Image.blend(Image.blend(coarse, fine, 0.3), tint, 0.4)
    img = small.resize((WIDTH, HEIGHT), Image.Resampling.BILINEAR)
    # Sensor-like grain at full resolution (one tile, repeated): without it the
    # file is a third of a real 12 MP photo's size and decodes unrealistically fast.
    tile = Image.effect_noise((w, h), 6)
    grain = Image.new("L", (WIDTH, HEIGHT))
    for y in range(0, HEIGHT, h):
        for x in range(0, WIDTH, w):
            grain.paste(tile, (x, y))
    img = ImageChops.add(img, Image.merge("RGB", (grain, grain, grain)), offset=-128)
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = f"2020:01:{1 + seed % 28:02d} 12:{seed % 60:02d}:00"
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90, exif=exif)
    return buf.getvalue()


def with_comment(jpeg: bytes, text: bytes) -> bytes:
    """`jpeg` with a COM segment right after SOI: same pixels, a distinct fingerprint."""
    return b"\xff\xd8\xff\xfe" + struct.pack(">H", len(text) + 2) + text + jpeg[2:]


# -- the work each worker does ------------------------------------------------


def ours_direct(job: tuple[str, list[tuple[int, Path]], int]) -> int:
    src, targets, quality = job
    return len(make_thumbnails(src, targets, quality=quality))


def naive(job: tuple[str, list[tuple[int, Path]], int]) -> int:
    """Full decode, each size from the full image, Pillow's defaults."""
    src, targets, quality = job
    with Image.open(src) as img:
        img.load()
        for longest, dst in targets:
            small = img.resize(fit(img.size, longest))
            dst.parent.mkdir(parents=True, exist_ok=True)
            small.save(dst, "WEBP", quality=quality)
    return len(targets)


def decode_only(job: tuple[str, list[tuple[int, Path]], int]) -> int:
    """The least any thumbnailer must do: decode at the DCT scale the largest size needs."""
    src, targets, _ = job
    largest = max(px for px, _ in targets)
    with Image.open(src) as img:
        img.draft("RGB", fit(img.size, largest))
        img.load()
        return img.width


def cpu_now() -> float:
    """CPU seconds (user + system) of this process and of its reaped children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def on_pool(fn: Callable[[Any], Any], jobs: list[Any], workers: int) -> tuple[float, float]:
    """(wall, CPU) seconds to run `fn` over `jobs` on a fresh pool of `workers` processes."""
    c0, t0 = cpu_now(), time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for _ in pool.map(fn, jobs, chunksize=1):
            pass
    # Leaving the `with` joined the workers, so their CPU time is in RUSAGE_CHILDREN.
    return time.perf_counter() - t0, cpu_now() - c0


# -- the single-core split ----------------------------------------------------


def split(srcs: Iterable[str], sizes: list[int], quality: int) -> dict[str, list[float]]:
    """Per image, in ms (best of 3 passes): each stage of our pipeline and of the naive one."""
    out: dict[str, list[float]] = {}
    for src in srcs:
        passes = [one_pass(src, sizes, quality) for _ in range(3)]
        for key in passes[0]:
            out.setdefault(key, []).append(min(p[key] for p in passes))
    return out


def one_pass(src: str, sizes: list[int], quality: int) -> dict[str, float]:
    webp_method = getattr(images, "_WEBP_METHOD", 0)
    to_display = getattr(images, "_to_display", None)
    sizes = sorted(sizes, reverse=True)
    out: dict[str, float] = {}

    def add(key: str, t0: float) -> float:
        now = time.perf_counter()
        out[key] = (now - t0) * 1000
        return now

    t = time.perf_counter()
    with Image.open(src) as img:
        img.draft("RGB", fit(img.size, sizes[0]))
        img.load()
        t = add("decode (draft) + load", t)
        pixels = to_display(img) if to_display else ImageOps.exif_transpose(img)
        t = add("to display (orientation, ICC, mode)", t)
    chain, current = [], pixels
    for px in sizes:
        size = fit(pixels.size, px)
        if current.size != size:
            current = current.resize(size, Image.Resampling.HAMMING, reducing_gap=2.0)
        chain.append(current)
    t = add("resize, chained (HAMMING, reducing_gap=2)", t)
    for im in chain:
        im.save(io.BytesIO(), "WEBP", quality=quality, method=webp_method)
    t = add(f"encode WebP x3 (method {webp_method}, ours)", t)
    for im in chain:
        im.save(io.BytesIO(), "JPEG", quality=quality)
    t = add("encode JPEG x3", t)
    for im in chain:
        im.save(io.BytesIO(), "WEBP", quality=quality)
    t = add("encode WebP x3 (method 4, Pillow default)", t)

    with Image.open(src) as img:
        img.load()
        t = add("naive: full decode", t)
        smalls = [img.resize(fit(img.size, px)) for px in sizes]
        t = add("naive: resize x3 from full (default filter)", t)
        for im in smalls:
            im.save(io.BytesIO(), "WEBP", quality=quality)
        add("naive: encode WebP x3 (method 4)", t)

    return out


def alternatives(src: str, sizes: list[int], quality: int) -> list[tuple[str, float, str]]:
    """Single core, best of 5 on one image: what other resize/encode choices would cost."""
    sizes = sorted(sizes, reverse=True)
    with Image.open(src) as img:
        img.draft("RGB", fit(img.size, sizes[0]))
        img.load()
        base = img.copy()
    dims = [fit(base.size, px) for px in sizes]
    rows: list[tuple[str, float, str]] = []

    def best(fn: Callable[[], object]) -> float:
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return min(times) * 1000

    R = Image.Resampling
    for name, flt in (
        ("HAMMING", R.HAMMING),
        ("BILINEAR", R.BILINEAR),
        ("BOX", R.BOX),
        ("BICUBIC", R.BICUBIC),
    ):

        def chain(flt: R = flt) -> None:
            current = base
            for size in dims:
                current = current.resize(size, flt, reducing_gap=2.0)

        rows.append(
            (
                f"resize {base.width}px -> {dims[0][0]}px, {name}",
                best(lambda flt=flt: base.resize(dims[0], flt)),
                "",
            )
        )
        rows.append((f"resize chain x3, {name}", best(chain), ""))
    chain_imgs = [base.resize(size, R.HAMMING) for size in dims]
    for px, im in zip(sizes, chain_imgs, strict=True):
        for fmt, kw in (("WebP m0", {"method": 0}), ("WebP m4", {"method": 4}), ("JPEG", {})):
            name = "WEBP" if fmt.startswith("WebP") else "JPEG"
            buf = io.BytesIO()
            im.save(buf, name, quality=quality, **kw)
            ms = best(
                lambda im=im, name=name, kw=kw: im.save(io.BytesIO(), name, quality=quality, **kw)
            )
            rows.append((f"encode {px}px {fmt}", ms, f"{len(buf.getvalue()) / 1024:.0f} KiB"))
    return rows


# -- the run ------------------------------------------------------------------


def make_settings(tmp: Path, part: int, ext: str = ".webp") -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp}/ms{part}.db",
        media_dir=[tmp / "media" / f"part{part}"],
        cache_dir=tmp / "cache",
        data_dir=tmp / "data",
        thumbnails_ext=ext,
        _env_file=None,
    )


def timed_run(settings: Settings, n: int) -> tuple[float, float]:
    """(wall, CPU) seconds for thumbs.run (forced: every image) over one part's database."""
    engine = make_engine(settings.db_url)
    try:
        c0, t0 = cpu_now(), time.perf_counter()
        report = run_thumbnails(engine, settings, force=True)
        elapsed, cpu = time.perf_counter() - t0, cpu_now() - c0
    finally:
        engine.dispose()
    if report.made != n or report.errors:
        print(f"WARNING: thumbs.run made {report.made} of {n}; errors {report.errors[:3]}")
    return elapsed, cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--images", type=int, default=200, help="12 MP JPEGs to generate (200)")
    ap.add_argument(
        "--distinct",
        type=int,
        default=50,
        help="distinct images rendered; the rest are copies "
        "with a unique JPEG comment, so the same decode work (50)",
    )
    ap.add_argument("--rounds", type=int, default=4, help="parts the methods take turns on (4)")
    ap.add_argument("--split", type=int, default=5, help="images in the single-core split (5)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes")
    return run_in_temp(ap, "thumbs", run)


def run(tmp: Path, args: argparse.Namespace) -> None:
    n, workers = args.images, args.workers
    print(
        f"mediashelf thumbnail benchmark: {n} JPEGs of {WIDTH}x{HEIGHT} "
        f"({WIDTH * HEIGHT / 1e6:.0f} MP), {workers} workers"
    )
    print(f"python {sys.version.split()[0]}, Pillow {Image.__version__}, {os.cpu_count()} cores")
    rounds = max(1, min(args.rounds, n))
    parts = [list(range(k, n, rounds)) for k in range(rounds)]
    srcs = [""] * n
    for k, idx in enumerate(parts):
        for i in idx:
            srcs[i] = str(tmp / "media" / f"part{k}" / f"{i // 50:02d}" / f"DSC_{i:05d}.jpg")
            Path(srcs[i]).parent.mkdir(parents=True, exist_ok=True)
    distinct = max(1, min(args.distinct, n))
    t0 = time.perf_counter()
    with Pool(workers) as pool:
        rendered = pool.map(render, range(distinct), chunksize=1)
    for i, s in enumerate(srcs):
        Path(s).write_bytes(with_comment(rendered[i % distinct], f"bench {i}".encode()))
    print(
        f"generated {distinct} distinct images in {time.perf_counter() - t0:.1f} s and wrote "
        f"{n} files (each a distinct fingerprint: a unique JPEG comment); mean "
        f"{mean(map(len, rendered)) / 1e6:.2f} MB per file, quality 90; warm in the page cache"
    )

    first = make_settings(tmp, 0)
    sizes = sorted(first.thumbnail_sizes.values(), reverse=True)
    quality = first.thumbnail_quality
    print(f"sizes {sizes}, quality {quality}, format {first.thumbnails_ext} (and .jpg)")
    for k in range(rounds):
        settings = make_settings(tmp, k)
        engine = fresh_engine(settings)
        report = scan(engine, settings)
        engine.dispose()
        if report.new != len(parts[k]) or report.errors:
            print(f"WARNING: scan found {report.new} new; errors {report.errors[:3]}")

    def jobs(idx: list[int], out: str) -> list[tuple[str, list[tuple[int, Path]], int]]:
        return [
            (srcs[i], [(px, tmp / out / f"{i:05d}_{px}.webp") for px in sizes], quality)
            for i in idx
        ]

    # The images are split into `rounds` parts (each its own root and database);
    # every method runs once per part, in a rotating order, and its times are
    # summed: load that drifts over the run (other jobs) falls on all methods alike.
    methods: dict[str, Callable[[int], tuple[float, float]]] = {
        "decode": lambda k: on_pool(decode_only, jobs(parts[k], "unused"), workers),
        "direct": lambda k: on_pool(ours_direct, jobs(parts[k], "direct"), workers),
        "naive": lambda k: on_pool(naive, jobs(parts[k], "naive"), workers),
        "run": lambda k: timed_run(make_settings(tmp, k), len(parts[k])),
        "run_jpg": lambda k: timed_run(make_settings(tmp, k, ".jpg"), len(parts[k])),
    }
    names = list(methods)
    wall = dict.fromkeys(names, 0.0)
    cpu = dict.fromkeys(names, 0.0)
    per_round: dict[str, list[float]] = {name: [] for name in names}
    for k in range(rounds):
        shift = k % len(names)
        for name in names[shift:] + names[:shift]:
            t, c = methods[name](k)
            wall[name] += t
            cpu[name] += c
            per_round[name].append(t)

    def ips(name: str) -> str:
        return f"{n / wall[name]:.2f} img/s"

    def row_naive(label: str, name: str) -> tuple[str, ...]:
        rw, rc = wall["naive"] / wall[name], cpu["naive"] / cpu[name]
        return (
            label,
            ips(name),
            f"{ips('naive')} naive",
            f"{rw:.2f}x faster",
            f"{rc:.2f}x faster",
            f">= {NAIVE_GOAL:.0f}x faster",
            verdict(rw >= NAIVE_GOAL, rc >= NAIVE_GOAL),
        )

    def row_decode(label: str, name: str) -> tuple[str, ...]:
        rw, rc = wall[name] / wall["decode"], cpu[name] / cpu["decode"]
        return (
            label,
            ips(name),
            f"{ips('decode')} decode",
            f"{rw:.2f}x slower",
            f"{rc:.2f}x slower",
            f"<= {DECODE_GOAL}x slower",
            verdict(rw <= DECODE_GOAL, rc <= DECODE_GOAL),
        )

    rows = [
        row_naive("thumbs.run, WebP vs naive", "run"),
        row_naive("make_thumbnails pool, WebP vs naive", "direct"),
        row_decode("thumbs.run, WebP vs decode-only", "run"),
        row_decode("make_thumbnails pool, WebP vs decode-only", "direct"),
        row_naive("thumbs.run, .jpg vs naive (WebP)", "run_jpg"),
        row_decode("thumbs.run, .jpg vs decode-only", "run_jpg"),
    ]
    print()
    print(table(rows))
    print(
        "\nratio (wall): throughput on all cores, the goal's own terms; ratio (CPU): CPU "
        "seconds of\nthe bench and its worker processes, which other jobs on a shared "
        "machine disturb far less.\nmet? is given as wall / CPU."
    )
    labels = {
        "decode": "decode-only",
        "direct": "make_thumbnails pool",
        "naive": "naive",
        "run": "thumbs.run",
        "run_jpg": "thumbs.run .jpg",
    }
    print(f"\nsummed over {rounds} interleaved parts (pool start-up included):")
    for name in names:
        print(
            f"  {labels[name]:<22} wall {wall[name]:7.2f} s  CPU {cpu[name]:7.2f} s  "
            f"= {cpu[name] / n * 1000:5.0f} CPU ms/image;  wall per part: "
            f"{', '.join(f'{t:.2f}' for t in per_round[name])}"
        )

    k = min(args.split, n)
    if k:
        print(f"\nsingle core, per image (median of {k} images, each best of 3 passes), ms:")
        stages = split(srcs[:k], sizes, quality)
        ours_webp = ours_jpg = 0.0
        for key, values in stages.items():
            ms = median(values)
            print(f"  {key:<45} {ms:7.1f}")
            if not key.startswith("naive") and "method 4" not in key:
                ours_webp += 0 if "JPEG" in key else ms
                ours_jpg += 0 if "WebP" in key else ms
        naive_ms = sum(median(v) for key, v in stages.items() if key.startswith("naive"))
        print(f"  {'= ours, WebP':<45} {ours_webp:7.1f}")
        print(f"  {'= ours, JPEG':<45} {ours_jpg:7.1f}")
        print(f"  {'= naive':<45} {naive_ms:7.1f}")
        print("\nalternatives, single core, best of 5 on one image, ms:")
        for label, ms, note in alternatives(srcs[0], sizes, quality):
            print(f"  {label:<45} {ms:7.1f}  {note}")


if __name__ == "__main__":
    sys.exit(main())
