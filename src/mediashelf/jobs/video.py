"""The video job kinds: probe, then preview media (sprites, preview strip, teasers).

A probe job reads the facts onto the item and queues the rest: the poster
thumbnails (the `thumbnail` kind, as for images) and the preview kinds the
settings ask for. Each preview kind is a job of its own, keyed by content,
so it can be retried, limited (JOB_LIMITS) and switched off on its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import update

from mediashelf.db.models import Item
from mediashelf.jobs.context import GONE, JobContext, Permanent
from mediashelf.jobs.plans import preview_jobs, thumbnail_jobs
from mediashelf.library import previews, thumbs
from mediashelf.media import video
from mediashelf.media.ffmpeg import FFmpegError, FFmpegMissing, FFmpegTimeout
from mediashelf.media.images import Thumb
from mediashelf.media.probe import ProbeError, probe_video

T = TypeVar("T")


class _Video(NamedTuple):
    path: Path
    fingerprint: str
    duration: float


def _video(ctx: JobContext, probed: bool = True) -> _Video | str:
    """The job's video, or why there is nothing to do."""
    row = ctx.item(Item.duration, Item.container)
    if row is None:
        return GONE
    if probed and (row.container is None or not row.duration):
        return "nothing to do: the video has not been probed (or changed since)"
    return _Video(row.path, row.fingerprint, row.duration or 0.0)


def _ffmpeg(make: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a media/video function. A timeout may pass (a loaded disk) and a missing
    ffmpeg be installed: retried. Any other ffmpeg failure would fail again: Permanent."""
    try:
        return make(*args, **kwargs)
    except (FFmpegTimeout, FFmpegMissing):
        raise
    except FFmpegError as exc:
        raise Permanent(str(exc)) from None


def probe(ctx: JobContext) -> str:
    """Read a video's facts with ffprobe onto its item, then queue its poster and
    previews. A file ffprobe cannot read is flagged on the item (like a corrupt
    image at scan time) and the job fails at once."""
    found = _video(ctx, probed=False)
    if isinstance(found, str):
        return found
    where = (Item.id == ctx.job.item_id) & (Item.fingerprint == found.fingerprint)
    try:
        info = probe_video(found.path, timeout=60)
    except ProbeError as exc:
        with ctx.engine.begin() as conn:
            conn.execute(update(Item).where(where).values(error=f"cannot read video: {exc}"))
        raise Permanent(str(exc)) from None
    facts = info.as_dict()
    facts["subtitles"] = json.dumps(facts["subtitles"])
    facts.pop("pix_fmt")
    with ctx.engine.begin() as conn:
        conn.execute(update(Item).where(where).values(**facts))
    only = [ctx.job.item_id] if ctx.job.item_id is not None else []
    ctx.jobs.submit(thumbnail_jobs(ctx.engine, ctx.settings, only=only, kinds=("video",)))
    ctx.jobs.submit(preview_jobs(ctx.engine, ctx.settings, only=only))
    return (
        f"{info.container}, {info.video_codec}/{info.audio_codec or 'no audio'}, "
        f"{info.width}x{info.height}, {info.duration:.1f} s: {info.playable}"
    )


def poster(ctx: JobContext, task: thumbs.ThumbTask) -> list[Thumb]:
    """A video's thumbnails, from a frame at ~20% that is not black."""
    found = _video(ctx)
    if isinstance(found, str):
        raise Permanent(found)
    return _ffmpeg(video.make_poster, task.src, found.duration, task.targets, quality=task.quality)


def _to_make(ctx: JobContext, kind: str) -> _Video | str:
    """The job's probed video, or why there is nothing to do (gone, or made already)."""
    found = _video(ctx)
    if isinstance(found, str):
        return found
    if not ctx.params.get("force") and previews.made(ctx.settings, kind, found.fingerprint):
        return "already made"
    return found


def _record(ctx: JobContext, fp: str, kind: str, made: list[Thumb]) -> None:
    thumbs.record(ctx.engine, ctx.settings, fp, made, kind=kind)


def sprites(ctx: JobContext) -> str:
    found = _to_make(ctx, "sprites")
    if isinstance(found, str):
        return found
    s = ctx.settings
    dst = previews.sprites_dir(s, found.fingerprint)
    made = _ffmpeg(video.make_sprites, found.path, found.duration, dst, width=s.sprite_width)
    size = sum(sheet.stat().st_size for sheet in made.sheets)
    _record(
        ctx, found.fingerprint, "sprites", [Thumb(dst, made.tile_width, made.tile_height, size)]
    )
    return f"{made.count} tiles every {made.interval:g} s on {len(made.sheets)} sheets"


def preview_strip(ctx: JobContext) -> str:
    found = _to_make(ctx, "previews")
    if isinstance(found, str):
        return found
    s = ctx.settings
    dst = previews.strip_path(s, found.fingerprint)
    strip = _ffmpeg(
        video.make_preview_frames,
        found.path,
        found.duration,
        dst,
        count=s.preview_frame_count,
        height=s.preview_frame_height,
    )
    thumb = Thumb(dst, strip.frame_width, strip.frame_height, dst.stat().st_size)
    _record(ctx, found.fingerprint, "previews", [thumb])
    return f"{len(strip.times)} frames"


def teaser(ctx: JobContext) -> str:
    found = _to_make(ctx, "teaser")
    if isinstance(found, str):
        return found
    s = ctx.settings
    widths = previews.teaser_widths(s).values()
    outputs = [(width, previews.teaser_path(s, found.fingerprint, width)) for width in widths]
    clips = _ffmpeg(
        video.make_teasers,
        found.path,
        found.duration,
        outputs,
        segments=s.teaser_segments,
        segment_seconds=s.teaser_segment_seconds,
    )
    made = [Thumb(c.path, c.width, c.height, c.path.stat().st_size) for c in clips]
    _record(ctx, found.fingerprint, "teaser", made)
    return ", ".join(f"{t.width}x{t.height}" for t in made)


KINDS = {"probe": probe, "sprites": sprites, "previews": preview_strip, "teaser": teaser}
