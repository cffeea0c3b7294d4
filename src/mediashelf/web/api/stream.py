"""Video streaming: the file itself with HTTP Range, and HLS made on the fly.

- `GET/HEAD /items/{id}/stream`: the original, sent as /original sends it
  (web/streaming.py: RFC 9110 Range, If-Range, conditional requests, HEAD,
  X-Accel-Redirect), with the Content-Type of its container. For a video a
  browser cannot play as it is, a `Link: <…/hls/index.m3u8>; rel="alternate"`
  header names its HLS stream.
- `GET /items/{id}/hls/index.m3u8`: a VOD playlist, computed (media/hls.py).
- `GET/HEAD /items/{id}/hls/{n}.ts`: segment n, made when first asked for.

Stateless across processes (gunicorn runs several workers): a segment is a
file, CACHE_DIR/hls/ab/cd/<fp>_<profile>/<n>.ts, made by one ffmpeg into a
temporary folder and renamed into place, so it is either whole or absent.
Coordination goes through that folder, never through one process's memory:

- `.<n>.lock` (flock): one process makes segment n; the others wait for it
  and then serve the file.
- CACHE_DIR/hls/.slots/<i>.lock: MAX_TRANSCODES slots. A request that finds
  none free waits up to TRANSCODE_WAIT_SECONDS, then gets 503 + Retry-After.
- `.active`: its mtime is the last time anyone asked for the video (and is
  renewed while a player waits, as long as it is still connected). A running
  ffmpeg whose video nobody has asked for in TRANSCODE_IDLE_SECONDS is
  killed: a closed player leaves no work behind.

Seeking is asking for segment n: its ffmpeg starts there. After a segment is
served, the next HLS_PREFETCH are made in the background, one after the
other, each only if a second slot is free: a prefetch never takes the last
slot from a player. Prefetches run in a task group that lives as long as the
app; stopping the app cancels them, which kills their ffmpeg.

For "copy" plans, the keyframe list is read once per file and kept as
CACHE_DIR/hls/ab/cd/<fp>_keyframes.json (a lock makes one process read it).

Limits: the locks are flock()s, so the processes must share CACHE_DIR on one
machine. Segments are kept until the cache is cleared (nothing evicts them
yet). Segment URLs carry no version: if a file changes while it plays, the
player gets the new file's segments (its folder is keyed by the new
fingerprint) until it reloads the playlist. Waiting is async polling
(every POLL s); each look is a small file-system call made on the event loop.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import anyio
from anyio.abc import TaskGroup
from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from mediashelf.auth.access import Principal
from mediashelf.config import Settings
from mediashelf.db.models import Root
from mediashelf.library.cache import derived_relpath
from mediashelf.library.paths import confine
from mediashelf.media import ffmpeg, hls
from mediashelf.media.ffmpeg import FFmpegError, FFmpegMissing, FFmpegTimeout
from mediashelf.media.probe import CONTENT_TYPES
from mediashelf.web.api.items import ItemId, lookup, not_found
from mediashelf.web.deps import DbDep, SettingsDep
from mediashelf.web.responses import file_route
from mediashelf.web.security import PrincipalDep, access
from mediashelf.web.streaming import send_file

log = logging.getLogger("mediashelf.stream")

POLL = 0.05  # seconds between looks at a lock, a slot or a running ffmpeg
TOUCH_EVERY = 1.0  # a waiting player renews `.active` this often
RETRY_AFTER = "5"
MEMO_SIZE = 64  # keyframe lists kept in each process

SegmentNo = Annotated[int, PathParam(ge=0, le=1_000_000)]


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Holds the prefetch tasks; on shutdown they are cancelled (their ffmpeg killed)."""
    async with anyio.create_task_group() as tasks:
        app.state.hls_tasks = tasks
        try:
            yield
        finally:
            app.state.hls_tasks = None
            tasks.cancel_scope.cancel()


router = APIRouter(tags=["streaming"], lifespan=_lifespan)


class Idle(Exception):
    """Nobody asked for the video for TRANSCODE_IDLE_SECONDS: its ffmpeg was killed."""


@dataclass(frozen=True)
class Video:
    id: int
    path: Path
    fingerprint: str
    container: str
    mime: str | None
    size: int
    source: hls.Source


# -- the item ------------------------------------------------------------------


def load_video(db: Session, settings: Settings, item_id: int, principal: Principal) -> Video:
    """The item as a playable video, or the HTTP error that says why not."""
    item = lookup(db, settings, item_id, principal)
    if item.kind != "video":
        raise not_found("video")
    if item.status != "present":
        raise not_found("file")
    if item.error:
        raise HTTPException(409, f"this video cannot be played: {item.error}")
    if item.container is None or item.fingerprint is None or not item.duration:
        raise HTTPException(
            409,
            "this video has not been probed yet; try again shortly",
            headers={"Retry-After": RETRY_AFTER},
        )
    root_path = db.execute(select(Root.path).where(Root.id == item.root_id)).scalar_one()
    path = confine(root_path, item.rel_path)
    if path is None or not path.is_file():
        raise not_found("file")
    source = hls.Source(
        duration=float(item.duration),
        video_codec=item.video_codec or "unknown",
        audio_codec=item.audio_codec,
        playable=item.playable or "transcode",
        rotation=item.rotation or 0,
    )
    return Video(item.id, path, item.fingerprint, item.container, item.mime, item.size, source)


async def _load(request: Request, settings: Settings, item_id: int) -> Video:
    principal: Principal = request.state.principal  # set by the access check

    def load() -> Video:
        with request.app.state.sessions() as db:
            return load_video(db, settings, item_id, principal)

    return await anyio.to_thread.run_sync(load)


def hls_url(item_id: int) -> str:
    return f"/api/v1/items/{item_id}/hls/index.m3u8"


# -- routes --------------------------------------------------------------------


@file_route(router, "/items/{item_id}/stream")
def stream(
    item_id: ItemId, request: Request, db: DbDep, settings: SettingsDep, principal: PrincipalDep
) -> Response:
    """The video file, for a `<video>` element: HTTP Range, the container's type."""
    video = load_video(db, settings, item_id, principal)
    headers = {}
    if video.source.playable != "direct":
        headers["link"] = f'<{hls_url(video.id)}>; rel="alternate"; type="{hls.PLAYLIST_TYPE}"'
    media_type = CONTENT_TYPES.get(video.container) or video.mime or "application/octet-stream"
    try:
        return send_file(
            request,
            video.path,
            media_type,
            extra_headers=headers,
            accel_prefix=settings.accel_redirect_prefix,
        )
    except FileNotFoundError:
        raise not_found("file") from None


@router.get(
    "/items/{item_id}/hls/index.m3u8",
    openapi_extra=access("read"),
    response_class=Response,
    responses={200: {"description": "The HLS playlist", "content": {hls.PLAYLIST_TYPE: {}}}},
)
async def hls_playlist(item_id: ItemId, request: Request, settings: SettingsDep) -> Response:
    """The HLS playlist (VOD) of any probed video."""
    video = await _load(request, settings, item_id)
    plan = await plan_for(video, settings)
    _touch(_folder(settings, video, plan) / ".active")
    return Response(
        hls.playlist(plan), media_type=hls.PLAYLIST_TYPE, headers={"cache-control": "no-cache"}
    )


@file_route(router, "/items/{item_id}/hls/{n}.ts")
async def hls_segment(
    item_id: ItemId, n: SegmentNo, request: Request, settings: SettingsDep
) -> Response:
    """Segment n, made now if it is not made yet (503 + Retry-After when every
    transcode slot stays busy)."""
    video = await _load(request, settings, item_id)
    plan = await plan_for(video, settings)
    if n >= plan.count:
        raise not_found("segment")
    folder = _folder(settings, video, plan)
    path = await ensure_segment(video, plan, n, settings, folder, _Keepalive(request, folder))
    _prefetch(request, video, plan, n, settings, folder)
    try:
        return send_file(
            request, path, hls.SEGMENT_TYPE, accel_prefix=settings.accel_redirect_prefix
        )
    except FileNotFoundError:  # the cache was cleared under us
        raise HTTPException(
            503, "the segment was removed; try again", headers={"Retry-After": "1"}
        ) from None


# -- plans ---------------------------------------------------------------------


def encoder_of(settings: Settings) -> hls.Encoder:
    return hls.Encoder(
        settings.video_encoder,
        settings.transcode_quality,
        settings.transcode_max_height,
        settings.vaapi_device,
    )


async def plan_for(video: Video, settings: Settings) -> hls.Plan:
    """Copy when the video allows it and its keyframes do; else encode."""
    seconds = settings.hls_segment_seconds
    if hls.can_copy(video.source):
        keyframes = await _keyframes(video, settings)
        if keyframes is not None:
            plan = hls.copy_plan(video.source, keyframes, seconds)
            if plan is not None:
                return plan
    return hls.encode_plan(video.source, seconds, encoder_of(settings))


def _folder(settings: Settings, video: Video, plan: hls.Plan) -> Path:
    return settings.cache_dir / derived_relpath(video.fingerprint, "hls", plan.tag)


_memo: OrderedDict[str, hls.Keyframes | None] = OrderedDict()


def _read_keyframes(path: Path) -> tuple[bool, hls.Keyframes | None]:
    """(found, keyframes): keyframes is None when the file records a failure."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return False, None
    except (OSError, ValueError):
        return False, None  # unreadable: read the video again
    if "times" not in data:
        return True, None
    return True, hls.Keyframes(float(data["start"]), tuple(float(t) for t in data["times"]))


async def _keyframes(video: Video, settings: Settings) -> hls.Keyframes | None:
    """The video's keyframes (None: they cannot be listed), read once for all processes."""
    if video.fingerprint in _memo:
        _memo.move_to_end(video.fingerprint)
        return _memo[video.fingerprint]
    path = settings.cache_dir / derived_relpath(video.fingerprint, "hls", "keyframes.json")
    found, keyframes = _read_keyframes(path)
    if not found:
        path.parent.mkdir(parents=True, exist_ok=True)
        timeout = 60 + video.size / 25e6  # a pass over the file: 25 MB/s is a slow disk
        lock = await _wait_lock(path.with_name(f".{path.name}.lock"), timeout + 10)
        if lock is None:
            raise _busy("the video's keyframes are still being read")
        try:
            found, keyframes = _read_keyframes(path)
            if not found:
                # A pass over the whole file: it takes a transcode slot like a segment,
                # so many playlists at once cannot tie up the disk and the thread pool.
                slot = await _take_slot(settings, None)
                if slot is None:
                    raise _busy(f"all {settings.max_transcodes} transcode slots are busy")
                data: dict[str, Any]
                try:
                    keyframes = await anyio.to_thread.run_sync(
                        hls.scan_keyframes, video.path, timeout
                    )
                    data = {"start": keyframes.start, "times": list(keyframes.times)}
                except (FFmpegTimeout, FFmpegMissing):
                    # A slow disk, or no ffprobe: not the file's fault, so not remembered.
                    raise _busy("the video's keyframes could not be read yet") from None
                except FFmpegError as exc:
                    log.warning("%s: keyframes not listed, will encode: %s", video.path, exc)
                    data = {"error": str(exc)}
                finally:
                    os.close(slot)
                _write_atomic(path, json.dumps(data).encode())
        finally:
            os.close(lock)
    _memo[video.fingerprint] = keyframes
    while len(_memo) > MEMO_SIZE:
        _memo.popitem(last=False)
    return keyframes


# -- segments ------------------------------------------------------------------


class _Keepalive:
    """Renews the video's `.active` while the player that waits is still connected."""

    def __init__(self, request: Request, folder: Path) -> None:
        self.request = request
        self.active = folder / ".active"
        self.last = 0.0

    async def tick(self) -> None:
        now = time.monotonic()
        if now - self.last < TOUCH_EVERY:
            return
        self.last = now
        if not await self.request.is_disconnected():
            _touch(self.active)


def segment_timeout(plan: hls.Plan, n: int) -> float:
    first, end = plan.span(n)
    length = (end if end is not None else max(plan.duration, first + 1)) - first
    return 60 + 10 * length


async def ensure_segment(
    video: Video,
    plan: hls.Plan,
    n: int,
    settings: Settings,
    folder: Path,
    keepalive: _Keepalive | None,
) -> Path:
    """Segment n's file: from the cache, or made now, by this process or another one."""
    dst = folder / f"{n}.ts"
    folder.mkdir(parents=True, exist_ok=True)
    _touch(folder / ".active")
    if dst.is_file():
        return dst
    limit = segment_timeout(plan, n)
    seg_lock = await _wait_lock(
        folder / f".{n}.lock",
        limit + settings.transcode_wait_seconds + 5,
        done=dst.is_file,
        keepalive=keepalive,
    )
    if seg_lock is None:
        if dst.is_file():
            return dst  # another process made it while we waited
        raise _busy(f"segment {n} is still being made")
    try:
        if dst.is_file():
            return dst
        slot = await _take_slot(settings, keepalive)
        if slot is None:
            raise _busy(f"all {settings.max_transcodes} transcode slots are busy")
        try:
            await make_segment(video, plan, n, settings, folder, keepalive)
        except Idle:
            raise _busy("stopped: nobody is watching") from None
        except FFmpegError as exc:
            log.error("%s: segment %d (%s): %s", video.path, n, plan.tag, exc)
            raise HTTPException(500, f"cannot make segment {n}: {exc}") from None
        finally:
            os.close(slot)
    finally:
        os.close(seg_lock)
    return dst


async def make_segment(
    video: Video,
    plan: hls.Plan,
    n: int,
    settings: Settings,
    folder: Path,
    keepalive: _Keepalive | None,
) -> Path:
    """Run ffmpeg for segment n and rename its output to `<n>.ts`. The caller holds the
    segment's lock and a slot. Raises FFmpegError, FFmpegTimeout or Idle, and then
    leaves nothing behind: the temporary folder goes, whole."""
    tmp = folder / f".{n}.{os.getpid()}.part"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        try:
            job = hls.segment_args(plan, video.path, n, tmp)
            await _run(job, folder, settings, keepalive, segment_timeout(plan, n))
        except FFmpegTimeout:
            raise
        except FFmpegError as exc:
            if plan.mode != "encode" or plan.encoder.name == "libx264":
                raise
            log.warning("%s failed (%s); segment %d made with libx264", plan.encoder.name, exc, n)
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir()
            job = hls.segment_args(hls.with_encoder(plan, "libx264"), video.path, n, tmp)
            await _run(job, folder, settings, keepalive, segment_timeout(plan, n))
        dst = folder / f"{n}.ts"
        os.replace(hls.finished(job), dst)
        return dst
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


async def _run(
    job: hls.SegmentJob,
    folder: Path,
    settings: Settings,
    keepalive: _Keepalive | None,
    limit: float,
) -> None:
    """Run one ffmpeg, watching it: killed when the video goes idle or the time is up
    (also when this task is cancelled)."""
    proc = ffmpeg.start(job.args)
    finished = False
    try:
        deadline = time.monotonic() + limit
        while True:
            if keepalive is not None:
                await keepalive.tick()
            if _idle(folder / ".active", settings.transcode_idle_seconds):
                raise Idle(f"nobody asked for this video in {settings.transcode_idle_seconds} s")
            if time.monotonic() > deadline:
                raise FFmpegTimeout(f"ffmpeg took longer than {limit:g} s and was stopped")
            if proc.poll() is not None:
                break
            await anyio.sleep(POLL)
        finished = True
    finally:
        if not finished:
            proc.kill()
    proc.check()


def _prefetch(
    request: Request, video: Video, plan: hls.Plan, n: int, settings: Settings, folder: Path
) -> None:
    tasks: TaskGroup | None = getattr(request.app.state, "hls_tasks", None)
    ahead = range(n + 1, min(plan.count, n + 1 + settings.hls_prefetch))
    todo = [m for m in ahead if not (folder / f"{m}.ts").exists()]
    if tasks is not None and todo:
        tasks.start_soon(prefetch, video, plan, todo, settings, folder)


async def prefetch(
    video: Video, plan: hls.Plan, todo: list[int], settings: Settings, folder: Path
) -> None:
    """Make these segments, in order, while a spare slot is free; never raises."""
    try:
        for m in todo:
            if (folder / f"{m}.ts").exists():
                continue
            seg_lock = _try_lock(folder / f".{m}.lock")
            if seg_lock is None:
                continue  # being made elsewhere
            try:
                if (folder / f"{m}.ts").exists():
                    continue
                slot = _spare_slot(settings)
                if slot is None:
                    return
                try:
                    await make_segment(video, plan, m, settings, folder, None)
                finally:
                    os.close(slot)
            finally:
                os.close(seg_lock)
    except Idle:
        log.info("%s: prefetch stopped, nobody is watching", video.path)
    except Exception as exc:  # a background task must not take the app down
        log.warning("%s: prefetch of segments %s failed: %s", video.path, todo, exc)


# -- files, locks and slots ----------------------------------------------------


def _busy(why: str) -> HTTPException:
    return HTTPException(503, f"{why}; try again shortly", headers={"Retry-After": RETRY_AFTER})


def _touch(path: Path) -> None:
    try:
        os.utime(path)
    except FileNotFoundError:
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
    except OSError:
        pass


def _idle(active: Path, seconds: float) -> bool:
    try:
        return time.time() - active.stat().st_mtime > seconds
    except OSError:
        return False


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _try_lock(path: Path) -> int | None:
    """An exclusive flock on `path` (created if need be), or None if someone holds it.
    flock, not lockf: it also excludes other open files of the same process."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


async def _wait_lock(
    path: Path,
    timeout: float,
    done: Callable[[], bool] | None = None,
    keepalive: _Keepalive | None = None,
) -> int | None:
    """The lock, waiting up to `timeout` s; None if time ran out or `done()` came true."""
    deadline = time.monotonic() + timeout
    while True:
        fd = _try_lock(path)
        if fd is not None:
            return fd
        if (done is not None and done()) or time.monotonic() > deadline:
            return None
        if keepalive is not None:
            await keepalive.tick()
        await anyio.sleep(POLL)


def _slot_paths(settings: Settings) -> list[Path]:
    folder = settings.cache_dir / "hls" / ".slots"
    folder.mkdir(parents=True, exist_ok=True)
    return [folder / f"{i}.lock" for i in range(settings.max_transcodes)]


async def _take_slot(settings: Settings, keepalive: _Keepalive | None) -> int | None:
    """A transcode slot, waiting up to TRANSCODE_WAIT_SECONDS; None if none came free."""
    deadline = time.monotonic() + settings.transcode_wait_seconds
    paths = _slot_paths(settings)
    while True:
        for path in paths:
            fd = _try_lock(path)
            if fd is not None:
                return fd
        if time.monotonic() >= deadline:
            return None
        if keepalive is not None:
            await keepalive.tick()
        await anyio.sleep(POLL)


def _spare_slot(settings: Settings) -> int | None:
    """A slot, only if another one stays free for a player (best effort)."""
    paths = _slot_paths(settings)
    for i, path in enumerate(paths):
        fd = _try_lock(path)
        if fd is None:
            continue
        for other in paths[i + 1 :]:
            probe = _try_lock(other)
            if probe is not None:
                os.close(probe)
                return fd
        os.close(fd)
        return None
    return None
