"""Serving benchmark: Mediashelf against nginx on the same files, on this machine.

One run builds a temporary library (300 JPEGs, their thumbnails, one 1 GiB
video file), starts `mediashelf serve` (gunicorn + uvicorn, WEB_WORKERS=2) and
nginx (worker_processes 2) on free 127.0.0.1 ports, and measures:

  * small thumbnails with wrk (32 connections, each request the next of the
    300 URLs): Mediashelf's /api/v1/thumbnails/{fp}/small against nginx serving
    the same files from disk. Goal: Mediashelf >= 25% of nginx's requests/s.
  * one 1 GiB download (Range: bytes=0-) into nothing, with a Python client
    reading into an 8 MiB buffer and with curl: Mediashelf's
    /api/v1/items/{id}/original against nginx's sendfile. Goal: >= 80%.
    The same for the video route /api/v1/items/{id}/stream (the file is marked
    as a probed, directly playable MP4). Goal: >= 80%.
  * both again through nginx with a second Mediashelf behind it, started with
    ACCEL_REDIRECT_PREFIX=/_protected (nginx sends the bytes; docs/nginx.md).
  * what authentication costs the thumbnail fast path: the thumbnails again
    from a third Mediashelf started with AUTH=off (loopback clients need no
    credentials, so no key is looked up), and from the first one with a login
    session cookie instead of the API key.

Authentication is on for the first two Mediashelf servers: the library gets an
admin user `bench` with an API key and a login session, and every request to
Mediashelf carries `Authorization: Bearer msk_...` (through nginx too, which
passes it on). nginx serving the files itself needs none.

Alongside each figure it prints the CPU time the server processes used per
request (or per GiB), read from /proc: on a shared machine that is steadier
than requests/s. Runs alternate between the servers and the best of each is
reported. wrk, curl, nginx and Mediashelf share this machine's cores, so the
absolute figures are low; compare the ratios. Everything is stopped and the
temporary folder deleted at the end, also on Ctrl-C or SIGTERM.

    .venv/bin/python bench/serve.py                 # the full run, about 5 minutes
    .venv/bin/python bench/serve.py --images 40 --big-mib 256 --duration 2 --rounds 1 \
        --downloads 1                               # quick, about 30 s
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

HOST = "127.0.0.1"
ACCEL_PREFIX = "/_protected"
THUMB_GOAL = 0.25
DOWNLOAD_GOAL = 0.80
MP4_HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"  # a 24-byte ftyp box


# -- helpers -----------------------------------------------------------------


def say(msg: str = "") -> None:
    print(msg, flush=True)


def free_ports(n: int) -> list[int]:
    """n distinct free ports on 127.0.0.1 (held open together so they differ)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind((HOST, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with _opener.open(req, timeout=10) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class Stop(Exception):
    """A signal asked us to stop (SIGTERM, SIGHUP)."""


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    raise Stop(signal.Signals(signum).name)


def run_stoppable(
    ap: argparse.ArgumentParser, name: str, run: Callable[[Path, argparse.Namespace], None]
) -> int:
    """`run_in_temp` with SIGTERM and SIGHUP (and Ctrl+C) stopping the run cleanly: the
    servers it started stop and its files go (their `with` blocks unwind), exit 130."""
    from benchlib import run_in_temp

    old = {s: signal.signal(s, _on_signal) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        return run_in_temp(ap, name, run)
    except (KeyboardInterrupt, Stop) as exc:
        say(f"\ninterrupted ({type(exc).__name__} {exc}): stopped the servers, removed the files")
        return 130
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


@dataclass
class Procs:
    """The servers we started; each in its own session so it can be stopped whole."""

    procs: list[tuple[str, subprocess.Popen[bytes], signal.Signals]] = field(default_factory=list)

    def start(
        self,
        name: str,
        cmd: list[str],
        stop: signal.Signals,
        log: Path,
        cwd: Path,
        env: dict[str, str] | None = None,
    ) -> subprocess.Popen[bytes]:
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=cwd,
                env=env,
            )
        self.procs.append((name, proc, stop))
        return proc

    def stop_all(self) -> None:
        for _name, proc, sig in reversed(self.procs):
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(sig)
        deadline = time.monotonic() + 15
        for name, proc, _sig in reversed(self.procs):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                say(f"  {name} (pid {proc.pid}) did not stop in time: killing its process group")
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=5)
        self.procs.clear()


# -- 1. the library ----------------------------------------------------------


def _make_jpeg(job: tuple[Path, int]) -> None:
    """One photo-like JPEG: a gradient, shapes and a coarse grain that survives downscaling
    (its 256 px WebP thumbnail is about 12 KiB, like a real photo's)."""
    from PIL import Image, ImageDraw

    path, seed = job
    rng = random.Random(seed)
    w, h = [(1600, 1200), (1200, 1600), (1440, 1080), (1280, 960), (1200, 1200)][seed % 5]
    top, bottom = (tuple(rng.randrange(256) for _ in range(3)) for _ in range(2))
    grad = Image.linear_gradient("L").resize((w, h))
    img = Image.composite(Image.new("RGB", (w, h), bottom), Image.new("RGB", (w, h), top), grad)
    draw = ImageDraw.Draw(img)
    for _ in range(rng.randrange(10, 30)):
        x, y, r = rng.randrange(w), rng.randrange(h), rng.randrange(10, max(w, h) // 4)
        shape = draw.ellipse if rng.random() < 0.6 else draw.rectangle
        shape((x - r, y - r // 2, x + r, y + r), fill=tuple(rng.randrange(256) for _ in range(3)))
    grain = Image.effect_noise((w // 6, h // 6), 60).resize((w, h), Image.Resampling.BILINEAR)
    Image.blend(img, grain.convert("RGB"), 0.3).save(path, quality=88)


def make_jpegs(media: Path, count: int) -> None:
    """`count` JPEGs in year/month folders, made on two processes."""
    from concurrent.futures import ProcessPoolExecutor

    jobs = []
    for i in range(count):
        folder = media / f"{2015 + i % 10}" / f"{1 + i % 12:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        jobs.append((folder / f"IMG_{i:04d}.jpg", i))
    with ProcessPoolExecutor(max_workers=2) as pool:
        list(pool.map(_make_jpeg, jobs, chunksize=8))


def make_big_file(path: Path, size: int) -> None:
    """A real (not sparse) file of `size` bytes that sniffs as MP4."""
    block = random.Random(2).randbytes(1 << 20)
    with open(path, "wb") as fh:
        fh.write(MP4_HEAD)
        written = len(MP4_HEAD)
        while written < size:
            n = min(len(block), size - written)
            fh.write(block[:n])
            written += n


@dataclass
class Library:
    tmp: Path
    media: Path
    cache: Path
    data: Path
    db_url: str
    big: Path
    big_id: int = 0
    fingerprints: list[str] = field(default_factory=list)
    thumb_ext: str = ".webp"
    thumb_px: int = 256
    key: str = ""  # an admin API key's secret
    session: str = ""  # a login session's token (the cookie's value)

    def thumb_rel(self, fp: str) -> str:
        """The small thumbnail's path under CACHE_DIR (also nginx's URL path)."""
        from mediashelf.library.cache import derived_relpath, thumbnail_variant

        return derived_relpath(fp, "thumbnail", thumbnail_variant(self.thumb_px, self.thumb_ext))

    def thumb_file(self, fp: str) -> Path:
        return self.cache / self.thumb_rel(fp)

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            MEDIA_DIR=str(self.media),
            CACHE_DIR=str(self.cache),
            DATA_DIR=str(self.data),
            DATABASE_URL=self.db_url,
            WEB_WORKERS="2",
            LOG_LEVEL="warning",
            ACCEL_REDIRECT_PREFIX="",
            AUTH="on",
        )
        env.update(extra)
        return env


def build_library(tmp: Path, images: int, big_bytes: int) -> Library:
    from sqlalchemy import select, update
    from sqlalchemy.orm import Session

    from mediashelf.auth import apikeys, sessions, users
    from mediashelf.config import Settings
    from mediashelf.db.engine import make_engine, upgrade
    from mediashelf.db.models import Item
    from mediashelf.jobs.batch import run_thumbnails
    from mediashelf.library import scan

    media, cache, data = tmp / "media", tmp / "cache", tmp / "data"
    for d in (media, cache, data):
        d.mkdir()
    lib = Library(tmp, media, cache, data, f"sqlite:///{tmp}/ms.db", media / "big.mp4")

    t0 = time.perf_counter()
    make_jpegs(media, images)
    make_big_file(lib.big, big_bytes)
    t1 = time.perf_counter()
    settings = Settings(
        database_url=lib.db_url,
        media_dir=[media],
        cache_dir=cache,
        data_dir=data,
        workers=2,
        _env_file=None,
    )
    engine = make_engine(lib.db_url)
    upgrade(engine)
    scanned = scan.scan(engine, settings)
    t2 = time.perf_counter()
    made = run_thumbnails(engine, settings)
    t3 = time.perf_counter()
    if scanned.errors or made.errors:
        raise RuntimeError(f"library errors: {(scanned.errors + made.errors)[:3]}")
    lib.thumb_ext = settings.thumbnails_ext
    lib.thumb_px = settings.thumbnail_size_small
    with engine.connect() as conn:
        fps = conn.execute(
            select(Item.fingerprint).where(Item.kind == "image", Item.error.is_(None))
        ).scalars()
        lib.fingerprints = sorted({fp for fp in fps if fp})
        lib.big_id = conn.execute(
            select(Item.id).where(Item.rel_path == lib.big.name, Item.kind == "video")
        ).scalar_one()
    with engine.begin() as conn:  # big.mp4 is not a real video: stand in for its probe job
        conn.execute(
            update(Item)
            .where(Item.id == lib.big_id)
            .values(container="mp4", video_codec="h264", playable="direct", duration=600.0)
        )
    with Session(engine) as db:  # credentials for the servers started with AUTH=on
        user = users.create(db, "bench", None, "admin")
        _, lib.key = apikeys.create(db, user, "bench", "admin")
        lib.session = sessions.start(db, user, 1, None, None)
    engine.dispose()
    sizes = [lib.thumb_file(fp).stat().st_size for fp in lib.fingerprints]
    say(
        f"library: {images} JPEGs + {big_bytes / 2**30:.2f} GiB big.mp4 written in {t1 - t0:.1f}s, "
        f"scan {t2 - t1:.1f}s ({scanned.new} new), thumbnails {t3 - t2:.1f}s ({made.made} made); "
        f"small thumbnails average {sum(sizes) / len(sizes) / 1024:.1f} KiB"
    )
    return lib


# -- 2, 3. the servers ---------------------------------------------------------


def mediashelf_cmd(port: int) -> list[str]:
    script = Path(sys.executable).parent / "mediashelf"
    base = [str(script)] if script.exists() else [sys.executable, "-m", "mediashelf.cli"]
    return [*base, "serve", "-H", HOST, "-P", str(port)]


def wait_healthy(name: str, proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}:\n{tail(log)}")
        with contextlib.suppress(OSError):
            status, _, _ = http_get(url)
            if status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{name} did not answer {url} within 60s:\n{tail(log)}")


NGINX_CONF = """\
daemon off;
worker_processes 2;
pid "{tmp}/nginx.pid";
error_log "{tmp}/logs/nginx-error.log" warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    types {{ image/webp webp; image/jpeg jpg; video/mp4 mp4; }}
    default_type application/octet-stream;
    client_body_temp_path "{tmp}/nginx/client_body";
    proxy_temp_path "{tmp}/nginx/proxy";
    fastcgi_temp_path "{tmp}/nginx/fastcgi";
    uwsgi_temp_path "{tmp}/nginx/uwsgi";
    scgi_temp_path "{tmp}/nginx/scgi";

    # nginx alone: the same files, straight from disk.
    server {{
        listen {host}:{direct_port};
        location /thumbnail/ {{ root "{cache}"; }}
        location /media/ {{ alias "{media}/"; }}
    }}

    # nginx in front of Mediashelf started with ACCEL_REDIRECT_PREFIX={prefix}
    # (the configuration of docs/nginx.md).
    upstream mediashelf {{
        server {host}:{upstream_port};
        keepalive 32;
        keepalive_timeout 1s;  # below gunicorn's 2 s keep-alive
    }}
    server {{
        listen {host}:{accel_port};
        client_max_body_size 10m;
        location / {{
            proxy_pass http://mediashelf;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_buffering off;
        }}
        location {prefix}/ {{
            internal;
            alias /;
            add_header X-Content-Type-Options nosniff always;
        }}
    }}
}}
"""


def session_cpu(sids: tuple[int, ...]) -> float:
    """CPU seconds (user + system) used so far by every process in these sessions."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as fh:
                fields = fh.read().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[3]) in sids:  # field 6, the session id
            total += int(fields[11]) + int(fields[12])  # utime + stime, in ticks
    return total / os.sysconf("SC_CLK_TCK")


@dataclass
class Target:
    """One way of serving: a base URL, the sessions whose CPU it uses, and the headers
    (credentials) every request to it carries."""

    base: str
    sids: tuple[int, ...]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Servers:
    ms: Target  # Mediashelf alone, with the API key
    nginx: Target  # nginx alone
    accel: Target  # nginx in front of Mediashelf with X-Accel-Redirect, with the key
    cookie: Target  # the first Mediashelf again, with the session cookie instead of the key
    open: Target  # a Mediashelf started with AUTH=off, without credentials


def start_servers(lib: Library, procs: Procs) -> Servers:
    ms_port, up_port, open_port, ng_port, accel_port = free_ports(5)
    logs = lib.tmp / "logs"
    logs.mkdir()
    pids = {}
    for name, port, extra in (
        ("mediashelf", ms_port, {}),
        ("mediashelf-accel", up_port, {"ACCEL_REDIRECT_PREFIX": ACCEL_PREFIX}),
        ("mediashelf-open", open_port, {"AUTH": "off"}),
    ):
        log = logs / f"{name}.log"
        proc = procs.start(
            name, mediashelf_cmd(port), signal.SIGTERM, log, env=lib.env(**extra), cwd=lib.tmp
        )
        wait_healthy(name, proc, f"http://{HOST}:{port}/api/v1/health", log)
        pids[name] = proc.pid

    (lib.tmp / "nginx").mkdir()
    conf = lib.tmp / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            tmp=lib.tmp,
            host=HOST,
            cache=lib.cache,
            media=lib.media,
            direct_port=ng_port,
            accel_port=accel_port,
            upstream_port=up_port,
            prefix=ACCEL_PREFIX,
        )
    )
    if os.geteuid() == 0:  # nginx's workers drop to 'nobody': let them read the library
        for d in (lib.tmp, *(p for p in lib.tmp.rglob("*") if p.is_dir())):
            d.chmod(0o755)
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    log = logs / "nginx.log"
    proc = procs.start(
        "nginx", [nginx, "-c", str(conf), "-p", str(lib.tmp)], signal.SIGTERM, log, cwd=lib.tmp
    )
    wait_healthy("nginx", proc, f"http://{HOST}:{accel_port}/api/v1/health", log)
    say(
        f"servers: mediashelf :{ms_port}, nginx :{ng_port}, "
        f"nginx -> mediashelf (X-Accel-Redirect) :{accel_port} -> :{up_port}, "
        f"mediashelf AUTH=off :{open_port}"
    )
    key = {"Authorization": f"Bearer {lib.key}"}
    ms = f"http://{HOST}:{ms_port}"
    return Servers(
        ms=Target(ms, (pids["mediashelf"],), key),
        nginx=Target(f"http://{HOST}:{ng_port}", (proc.pid,)),
        accel=Target(f"http://{HOST}:{accel_port}", (proc.pid, pids["mediashelf-accel"]), key),
        cookie=Target(ms, (pids["mediashelf"],), {"Cookie": f"mediashelf_session={lib.session}"}),
        open=Target(f"http://{HOST}:{open_port}", (pids["mediashelf-open"],)),
    )


# -- checks: the three serve the same bytes ------------------------------------

CHECK_HEADERS = ("content-type", "etag", "cache-control", "content-range", "x-content-type-options")


def check_same(lib: Library, srv: Servers) -> None:
    """The same bytes from each; prints the headers that matter, so differences show."""
    fp = lib.fingerprints[0]
    size = lib.big.stat().st_size
    with open(lib.big, "rb") as fh:
        fh.seek(size - 100)
        big_tail = fh.read()
    thumb = f"/api/v1/thumbnails/{fp}/small"
    original = f"/api/v1/items/{lib.big_id}/original"
    cases = [
        ("thumbnail", lib.thumb_file(fp).read_bytes(), 200, {}, {
            "mediashelf": (srv.ms, thumb),
            "nginx": (srv.nginx, f"/{lib.thumb_rel(fp)}"),
            "nginx+accel": (srv.accel, thumb),
            "ms-cookie": (srv.cookie, thumb),
            "ms-auth-off": (srv.open, thumb),
        }),
        ("big.mp4 -100", big_tail, 206, {"Range": "bytes=-100"}, {
            "mediashelf": (srv.ms, original),
            "nginx": (srv.nginx, f"/media/{lib.big.name}"),
            "nginx+accel": (srv.accel, original),
            "stream": (srv.ms, f"/api/v1/items/{lib.big_id}/stream"),
        }),
    ]  # fmt: skip
    say("checks (same bytes from each; the headers that differ):")
    for what, expect, want, req_headers, targets in cases:
        for name, (target, path) in targets.items():
            status, headers, body = http_get(target.base + path, req_headers | target.headers)
            if status != want or body != expect:
                raise RuntimeError(f"{name}: {path} gave {status} and {len(body)} bytes")
            shown = "; ".join(f"{k}: {headers[k]}" for k in CHECK_HEADERS if k in headers)
            say(f"  {what:12} {name:11} {status} {len(body):6} B  {shown}")
    for name, target in (("mediashelf", srv.ms), ("nginx+accel", srv.accel)):
        status, _, _ = http_get(target.base + thumb)  # no credentials
        if status != 401:
            raise RuntimeError(f"{name}: {thumb} without a key gave {status}, not 401")
        say(f"  {'thumbnail':12} {name:11} {status} without a key")


# -- 4. thumbnails with wrk ----------------------------------------------------

WRK_LUA = """\
{headers}
local paths = {{}}
for line in io.lines("{paths}") do paths[#paths + 1] = line end
local i = 0
function init(args)
    i = math.random(#paths)
end
function request()
    i = i % #paths + 1
    return wrk.format("GET", paths[i])
end
"""


@dataclass
class WrkResult:
    rps: float
    cpu_us: float  # server CPU per request, microseconds
    errors: str


def run_wrk(
    tmp: Path, name: str, target: Target, paths: list[str], seconds: int, conns: int
) -> WrkResult:
    paths_file = tmp / f"paths-{name}.txt"
    paths_file.write_text("\n".join(paths) + "\n")
    script = tmp / f"wrk-{name}.lua"
    headers = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in target.headers.items())
    script.write_text(WRK_LUA.format(headers=headers, paths=paths_file))
    cmd = ["wrk", "-t2", f"-c{conns}", f"-d{seconds}s", "-s", str(script), target.base + paths[0]]
    cpu0 = session_cpu(target.sids)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=True)
    cpu = session_cpu(target.sids) - cpu0
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out.stdout)
    count = re.search(r"(\d+) requests in", out.stdout)
    if not rps or not count:
        raise RuntimeError(f"wrk printed no Requests/sec:\n{out.stdout}\n{out.stderr}")
    errors = [
        line.strip()
        for line in out.stdout.splitlines()
        if line.strip().startswith(("Non-2xx", "Socket errors"))
    ]
    n = max(1, int(count.group(1)))
    return WrkResult(float(rps.group(1)), cpu / n * 1e6, "; ".join(errors))


@dataclass
class Best:
    """The best figure of each target over the rounds, and its server CPU."""

    value: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)

    def add(self, name: str, value: float, cpu: float) -> None:
        self.value[name] = max(self.value.get(name, 0.0), value)
        self.cpu[name] = min(self.cpu.get(name, float("inf")), cpu)


def bench_thumbs(lib: Library, srv: Servers, seconds: int, rounds: int, conns: int) -> Best:
    api = [f"/api/v1/thumbnails/{fp}/small" for fp in lib.fingerprints]
    targets = {  # the two compared for the cost of authentication run back to back
        "mediashelf": (srv.ms, api),
        "ms-auth-off": (srv.open, api),
        "ms-cookie": (srv.cookie, api),
        "nginx": (srv.nginx, ["/" + lib.thumb_rel(fp) for fp in lib.fingerprints]),
        "nginx+accel": (srv.accel, api),
    }
    say(
        f"\nthumbnails: wrk -t2 -c{conns} -d{seconds}s cycling through {len(api)} URLs, "
        f"{rounds} round(s); CPU = server processes' CPU time per request"
    )
    for name, (target, paths) in targets.items():  # warm up: page cache, worker imports
        run_wrk(lib.tmp, name, target, paths, 2, conns)
    best = Best()
    for r in range(1, rounds + 1):
        for name, (target, paths) in targets.items():
            res = run_wrk(lib.tmp, name, target, paths, seconds, conns)
            best.add(name, res.rps, res.cpu_us)
            warn = f"  !! {res.errors}" if res.errors else ""
            say(
                f"  round {r} {name:12} {res.rps:9,.0f} req/s  {res.cpu_us:6.0f} us CPU/request"
                f"{warn}"
            )
    return best


# -- 5. the 1 GiB download -----------------------------------------------------


def py_download(url: str, size: int, headers: dict[str, str]) -> float:
    """Bytes/s of one `Range: bytes=0-` download, read with recv_into an 8 MiB buffer."""
    rest = url.removeprefix("http://")
    hostport, _, path = rest.partition("/")
    host, _, port = hostport.partition(":")
    buf = memoryview(bytearray(8 << 20))
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        t0 = time.perf_counter()
        sock.sendall(
            f"GET /{path} HTTP/1.1\r\nHost: {hostport}\r\nRange: bytes=0-\r\n{extra}"
            "Connection: close\r\n\r\n".encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(65536)
            if not chunk:
                raise RuntimeError(f"{url}: connection closed in the headers")
            head += chunk
        head, _, body = head.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        fields = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}
        if lines[0].split()[1] != "206" or int(fields.get("content-length", -1)) != size:
            raise RuntimeError(
                f"{url}: {lines[0]!r}, content-length {fields.get('content-length')}"
            )
        got = len(body)
        while got < size:
            n = sock.recv_into(buf)
            if not n:
                break
            got += n
        elapsed = time.perf_counter() - t0
    if got != size:
        raise RuntimeError(f"{url}: got {got} of {size} bytes")
    return size / elapsed


def curl_download(url: str, size: int, headers: dict[str, str]) -> float:
    """Bytes/s of one `Range: bytes=0-` download with curl into /dev/null."""
    cmd = [
        "curl", "-s", "--noproxy", "*", "-o", "/dev/null", "--max-time", "300",
        "-H", "Range: bytes=0-", "-w", "%{http_code} %{size_download} %{speed_download}", url,
        *(arg for k, v in headers.items() for arg in ("-H", f"{k}: {v}")),
    ]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=360, check=True).stdout
    code, got, speed = out.split()
    if code != "206" or int(got) != size:
        raise RuntimeError(f"{url}: status {code}, {got} of {size} bytes")
    return float(speed)


def bench_download(lib: Library, srv: Servers, reps: int) -> dict[str, Best]:
    size = lib.big.stat().st_size
    targets = {
        "mediashelf": (srv.ms, f"/api/v1/items/{lib.big_id}/original"),
        "nginx": (srv.nginx, f"/media/{lib.big.name}"),
        "nginx+accel": (srv.accel, f"/api/v1/items/{lib.big_id}/original"),
        "stream": (srv.ms, f"/api/v1/items/{lib.big_id}/stream"),
    }
    results = {}
    for client, fetch in (("python", py_download), ("curl", curl_download)):
        say(
            f"\ndownload ({client}): {size / 2**30:.2f} GiB with Range: bytes=0-, "
            f"{reps} round(s); CPU = server processes' CPU seconds per GiB"
        )
        for target, path in targets.values():  # warm up
            fetch(target.base + path, size, target.headers)
        best = results[client] = Best()
        for r in range(1, reps + 1):
            for name, (target, path) in targets.items():
                cpu0 = session_cpu(target.sids)
                speed = fetch(target.base + path, size, target.headers)
                cpu = (session_cpu(target.sids) - cpu0) / (size / 2**30)
                best.add(name, speed, cpu)
                say(f"  round {r} {name:12} {speed / 1e9:6.2f} GB/s  {cpu:5.2f} s CPU/GiB")
    return results


# -- 7. the table --------------------------------------------------------------


def render(head: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    say()
    say(line(head))
    say("  ".join("-" * w for w in widths))
    for r in rows:
        say(line(r))


def print_table(thumbs: Best, dl: dict[str, Best], conns: int) -> bool:
    rows: list[tuple[str, ...]] = []
    met_all = True

    def row(
        metric: str, ours: float, theirs: float, fmt: str, goal: float | None, lower: bool = False
    ) -> None:
        nonlocal met_all
        ratio = (theirs / ours if lower else ours / theirs) if ours and theirs else 0.0
        met = "-" if goal is None else ("yes" if ratio >= goal else "NO")
        met_all = met_all and met != "NO"
        goal_s = "-" if goal is None else f">= {goal:.0%}"
        rows.append((metric, fmt.format(ours), fmt.format(theirs), f"{ratio:.0%}", goal_s, met))

    py, curl = dl["python"], dl["curl"]
    ms, accel, n, us, gbs, sec = (
        "mediashelf",
        "nginx+accel",
        "{:,.0f}",
        "{:,.0f}",
        "{:.2f}",
        "{:.2f}",
    )
    spec = [  # metric, figures, which, scale, format, goal, lower is better
        (f"small thumbnails, req/s (wrk -c{conns})", thumbs.value, ms, 1, n, THUMB_GOAL, False),
        ("  server CPU per thumbnail, us (*)", thumbs.cpu, ms, 1, us, None, True),
        ("1 GiB download, GB/s (python client)", py.value, ms, 1e-9, gbs, DOWNLOAD_GOAL, False),
        ("1 GiB download, GB/s (curl)", curl.value, ms, 1e-9, gbs, DOWNLOAD_GOAL, False),
        ("  server CPU per GiB, s (*)", py.cpu, ms, 1, sec, None, True),
        ("1 GiB /stream, GB/s (python)", py.value, "stream", 1e-9, gbs, DOWNLOAD_GOAL, False),
        ("1 GiB /stream, GB/s (curl)", curl.value, "stream", 1e-9, gbs, DOWNLOAD_GOAL, False),
        ("thumbnails via nginx + X-Accel, req/s", thumbs.value, accel, 1, n, None, False),
        ("  server CPU per thumbnail, us (*)", thumbs.cpu, accel, 1, us, None, True),
        ("1 GiB via nginx + X-Accel, GB/s (python)", py.value, accel, 1e-9, gbs, None, False),
        ("1 GiB via nginx + X-Accel, GB/s (curl)", curl.value, accel, 1e-9, gbs, None, False),
    ]
    for metric, figures, which, scale, fmt, goal, lower in spec:
        row(metric, figures[which] * scale, figures["nginx"] * scale, fmt, goal, lower)
    render(("metric", "Mediashelf", "nginx", "ratio", "goal", "met?"), rows)
    say(
        "\nBest of the rounds above. 'Mediashelf': `mediashelf serve` (gunicorn, 2 uvicorn "
        "workers) alone, every request with\nan API key. X-Accel rows: nginx in "
        "front of a second Mediashelf with ACCEL_REDIRECT_PREFIX=/_protected (its column\n"
        "holds nginx+Mediashelf), against nginx serving the files itself. (*) CPU time of the "
        "server processes (nginx:\nmaster and workers; X-Accel: nginx plus Mediashelf), lowest "
        "of the rounds; ratio = nginx's / ours: about the req/s\nratio each would reach with "
        "the cores to itself. It depends far less than req/s on what else runs; per GiB it\n"
        "is rough, as the kernel charges loopback TCP work to whichever side happens to run it."
    )

    # The cost of authentication on the thumbnail fast path, against AUTH=off.
    off, cpu = "ms-auth-off", "  server CPU per thumbnail, us (*)"
    rows.clear()
    for label, which in (("API key", ms), ("session cookie", "ms-cookie")):
        row(f"thumbnails, req/s, {label}", thumbs.value[which], thumbs.value[off], n, None)
        row(cpu, thumbs.cpu[which], thumbs.cpu[off], us, None, lower=True)
    render(
        ("authentication (thumbnail fast path)", "with auth", "AUTH=off", "ratio"),
        [r[:4] for r in rows],
    )
    extra = {w: thumbs.cpu[w] - thumbs.cpu[off] for w in (ms, "ms-cookie")}
    say(
        f"\nAUTH=off: a third Mediashelf started with AUTH=off, requests from loopback without "
        f"credentials (no lookup).\nIdentifying the caller costs {extra[ms]:+.0f} us of server "
        f"CPU per request with the API key, {extra['ms-cookie']:+.0f} us with\nthe session "
        f"cookie. AUTH=off reached {thumbs.value[off] / thumbs.value['nginx']:.0%} of nginx's "
        f"thumbnail req/s (CPU ratio {thumbs.cpu['nginx'] / thumbs.cpu[off]:.0%})."
    )
    return met_all


# -- main --------------------------------------------------------------------


@contextlib.contextmanager
def temp_dir(keep: bool) -> Iterator[Path]:
    tmp = Path(tempfile.mkdtemp(prefix="mediashelf-bench-serve-"))
    try:
        yield tmp
    finally:
        if keep:
            say(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--images", type=int, default=300, help="JPEGs in the library (300)")
    ap.add_argument("--big-mib", type=int, default=1024, help="size of the big file, MiB (1024)")
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk run (10)")
    ap.add_argument("--rounds", type=int, default=3, help="wrk runs per server (3)")
    ap.add_argument("--downloads", type=int, default=8, help="downloads per server and client (8)")
    ap.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args(argv)
    for tool in ("wrk", "curl"):
        if not shutil.which(tool):
            say(f"error: {tool} is not installed")
            return 2
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        say("error: nginx is not installed")
        return 2

    cores = os.cpu_count() or 1
    shared = f"{cores} core{'s' * (cores != 1)} shared by wrk/curl, nginx and Mediashelf"
    say(f"bench/serve.py: this machine has {shared}: absolute figures are low; compare ratios.")
    load = os.getloadavg()[0]
    if load > 0.5:
        say(f"note: load average {load:.1f} before the start: other work shares the cores too.")
    old = {s: signal.signal(s, _on_signal) for s in (signal.SIGTERM, signal.SIGHUP)}
    procs = Procs()
    try:
        with temp_dir(args.keep) as tmp:
            try:
                lib = build_library(tmp, args.images, args.big_mib << 20)
                srv = start_servers(lib, procs)
                check_same(lib, srv)
                thumbs = bench_thumbs(lib, srv, args.duration, args.rounds, args.connections)
                dl = bench_download(lib, srv, args.downloads)
                met = print_table(thumbs, dl, args.connections)
                say(
                    f"\nnote: {shared} (load average now {os.getloadavg()[0]:.1f})."
                    f"\n{'all goals met' if met else 'goal(s) missed: see met?'}"
                )
            finally:
                procs.stop_all()
    except (KeyboardInterrupt, Stop) as exc:
        say(f"\ninterrupted ({type(exc).__name__} {exc}): stopped the servers, removed the files")
        return 130
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
