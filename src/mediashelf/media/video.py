"""Preview media for videos, with ffmpeg: poster, seek-bar sprites, preview
strip, teasers (a video's facts come from media/probe.py). Pure functions over
files; every input goes through `ffmpeg.src` and every call has a timeout that
grows with the duration.

Frames come out as displayed: ffmpeg applies the rotation on decode, and the
scale expressions below use the display aspect ratio (`dar`, pixel aspect
included). Only the main video stream is read (`V:0`: never cover art), so a
video without audio is no different.

Decoding is the cost, so where keyframes are dense enough for the accuracy a
product needs, only keyframes are decoded (sprites, preview strip) or segments
start on one (teasers). `keyframe_gap()` tells; a job calls it once and passes
it as `gop=`. Figures: bench/video.py.
"""

from __future__ import annotations

import io
import itertools
import math
import os
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from mediashelf.media import ffmpeg
from mediashelf.media.ffmpeg import FFmpegError
from mediashelf.media.images import Thumb, make_thumbnails, write_atomic
from mediashelf.media.probe import probe_video

POSTER_AT = (0.2, 0.3, 0.4, 0.5, 0.6, 0.1)  # fractions of the duration, tried in turn
DARK_LEVEL = 26  # a pixel darker than this (0-255 luma, 10%) counts as black ...
BLACK_SHARE = 0.98  # ... and a frame with this share of such pixels is black (as blackdetect)
MAX_SPRITES = 100
TEASER_SKIP = 0.05  # the share of the duration left out at each end of a teaser
WHOLE_TEASER = 1.5  # a video at most this many times the teaser's length is used whole


@dataclass(frozen=True)
class Sprites:
    vtt: Path  # cues `sheetNNN.jpg#xywh=x,y,w,h`, relative to the VTT itself
    sheets: list[Path]
    interval: float
    count: int
    columns: int  # of each sheet (fewer than asked for when there are fewer frames)
    rows: int
    tile_width: int
    tile_height: int
    keyframes_only: bool


@dataclass(frozen=True)
class Strip:
    path: Path
    times: list[float]  # the time of each frame, left to right
    frame_width: int
    frame_height: int


@dataclass(frozen=True)
class Teaser:
    path: Path
    width: int
    height: int
    duration: float
    whole: bool  # the video itself, not segments of it


def _limit(timeout: float | None, duration: float, per_second: float, floor: float = 60) -> float:
    """The caller's timeout, else `floor` plus `per_second` for each second of video."""
    return timeout if timeout is not None else floor + per_second * max(duration, 0.0)


def _number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def keyframe_gap(
    src: str | os.PathLike[str],
    duration: float,
    *,
    window: float | None = None,
    timeout: float = 60,
) -> float:
    """The longest stretch without a keyframe in the main video stream, in seconds;
    `inf` when longer than the window. Call it once per video and pass it on
    (`gop=`) to the functions below, which otherwise measure it themselves.

    Packets only, nothing decoded. A short video is read whole; a long one in
    three windows (at 15%, 50% and 85%), by default two sprite intervals + 1 s.
    Each window is read from the keyframe before it; its tail after its last
    keyframe counts as a gap.
    """
    window = window or 2 * sprite_interval(duration) + 1
    args = ["-select_streams", "V:0", "-show_entries", "packet=pts_time,dts_time,flags"]
    if duration <= 6 * window:  # else the windows, seeks included, stay apart
        spans = [(0.0, duration)]
    else:
        spans = [(duration * f, duration * f + window) for f in (0.15, 0.5, 0.85)]
        args += ["-read_intervals", ",".join(f"{a:.3f}%+{window:.3f}" for a, _ in spans)]
    packets = ffmpeg.ffprobe_json(args, src, timeout=timeout).get("packets", [])
    worst = 0.0
    for start, end in spans:
        keys, last = [], None
        for p in packets:
            t = _number(p.get("pts_time"))
            t = t if t is not None else _number(p.get("dts_time"))  # "N/A" in some AVIs
            if t is None or not start - window <= t <= end:
                continue
            last = t if last is None else max(last, t)
            if "K" in str(p.get("flags", "")):
                keys.append(t)
        keys.sort()
        # No keyframe, or none within a window before its start (where the seek lands).
        if not keys or last is None or (start > 0 and keys[0] > start + 0.001):
            return math.inf
        worst = max(worst, last - keys[-1], *(b - a for a, b in itertools.pairwise(keys)))
    return worst if worst <= window else math.inf


def _gap(src: str | os.PathLike[str], duration: float, gop: float | None) -> float:
    if gop is not None:
        return gop
    return keyframe_gap(src, duration, timeout=_limit(None, duration, 0.05))


# -- frames, as displayed -----------------------------------------------------

# After `_at(t)` on an input, the frame on screen at t: the last one at or before
# it. A fast seek lands on the keyframe before t (which then has pts <= 0); fps at
# 1 ms, rounding up, with its first tick at 0 picks the last frame with pts <= 0,
# however sparse the frames (-ss alone keeps the first frame *after* t: none, past
# the last frame of a slide show or of a video stream shorter than its audio).
_SHOWN = "fps=1000:start_time=0:round=up,trim=end_frame=1"


def _at(t: float) -> list[str]:
    return ["-noaccurate_seek", "-ss", f"{t:.3f}"]


def _fit_longest(longest: int) -> str:
    """Longest displayed side `longest` at most (never enlarged), square pixels."""
    s = f"min(1,{longest}/max(iw*sar,ih))"
    return _scale(f"max(1,round(iw*sar*{s}))", f"max(1,round(ih*{s}))")


def _fit_width(width: int, even: bool = False) -> str:
    if even:  # yuv420p needs even sides; never enlarged
        w, h = f"min({width},max(2,trunc(iw*sar/2)*2))", "max(2,trunc(ow/dar/2+0.5)*2)"
    else:
        w, h = str(width), "max(1,round(ow/dar))"
    return _scale(w, h)


def _fit_height(height: int) -> str:
    return _scale("max(1,round(oh*dar))", f"min({height},ih)")


def _scale(w: str, h: str) -> str:
    """Area averaging: a box filter, fit for shrinking and cheaper than the default
    bicubic (a 4K teaser spends about a third of its time scaling)."""
    return f"scale=w='{w}':h='{h}':flags=area,setsar=1"


# -- poster -------------------------------------------------------------------


def make_poster(
    src: str | os.PathLike[str],
    duration: float,
    targets: list[tuple[int, Path]],
    *,
    quality: int = 80,
    timeout: float | None = None,
) -> list[Thumb]:
    """A frame near 20% of the video, at each (longest side, destination) of `targets`.

    A black frame (a fade, a black intro) is passed over for the next time in
    POSTER_AT; if all are black the least black one is kept. Each try is one
    fast seek (-ss before -i), decoding from the keyframe before it.
    """
    largest = max(px for px, _ in targets)
    best: tuple[float, bytes] | None = None
    for fraction in POSTER_AT:
        frame = _grab(src, duration * fraction, largest, _limit(timeout, 0, 0))
        if not frame:
            continue  # past the end of the video stream
        with Image.open(io.BytesIO(frame)) as img:
            dark = _dark_share(img)
        if best is None or dark < best[0]:
            best = (dark, frame)
        if dark < BLACK_SHARE:
            break
    if best is None:
        raise FFmpegError("ffmpeg decoded no frame of the video")
    first = min(targets)[1]
    tmp = first.with_name(f".{first.name}.{os.getpid()}.frame.bmp")
    try:
        write_atomic(tmp, best[1])
        return make_thumbnails(tmp, targets, quality=quality)
    finally:
        tmp.unlink(missing_ok=True)


def _grab(src: str | os.PathLike[str], at: float, longest: int, timeout: float) -> bytes:
    """The frame shown at `at` seconds, as a BMP; empty if there is none."""
    args = [*_at(at), "-i", ffmpeg.src(src), "-map", "0:V:0", "-frames:v", "1"]
    args += ["-vf", f"{_SHOWN},{_fit_longest(longest)}"]
    args += ["-f", "image2pipe", "-c:v", "bmp", "pipe:1"]
    return ffmpeg.run(args, timeout=timeout)


def _dark_share(img: Image.Image) -> float:
    gray = img.convert("L")
    gray.thumbnail((128, 128))
    hist = gray.histogram()
    return sum(hist[:DARK_LEVEL]) / max(1, gray.width * gray.height)


# -- seek-bar sprites ---------------------------------------------------------


def sprite_interval(duration: float) -> float:
    """Seconds between sprite frames: 1 s, or more (whole seconds) to stay within 100."""
    return float(max(1, math.ceil(duration / MAX_SPRITES - 1e-9)))


def make_sprites(
    src: str | os.PathLike[str],
    duration: float,
    dst_dir: Path,
    *,
    width: int = 160,
    columns: int = 10,
    rows: int = 10,
    qscale: int = 5,
    gop: float | None = None,
    keyframes: bool | None = None,
    timeout: float | None = None,
) -> Sprites:
    """Seek-bar thumbnails: `dst_dir`/sheetNNN.jpg (columns x rows tiles) + sprites.vtt.

    One ffmpeg pass: fps=1/interval picks, for each cue start t, the last frame
    before t + interval/2; then scale and tile. Where no keyframe gap is longer
    than the interval, only keyframes are read and decoded (-discard/-skip_frame
    nokey): each tile is still within half an interval of its cue's start, at a
    fraction of the cost. A gap of up to twice the interval stretches the
    interval to it (fewer tiles, for that speed). Otherwise every reference
    frame is decoded (-skip_frame noref). `keyframes` forces the choice.
    """
    interval = sprite_interval(duration)
    gap_known = gop
    if keyframes is None:
        gap = _gap(src, duration, gop)
        gap_known = gap
        if interval < gap <= 2 * interval:
            interval = float(math.ceil(gap - 0.01))
        keyframes = gap <= interval + 0.01
    count = max(1, math.ceil(duration / interval - 0.05))  # no cue for a last sliver
    columns = min(columns, count)  # a short video: one row, no empty cells
    rows = min(rows, math.ceil(count / columns))
    if keyframes:  # intra frames only: skipping the deblocking filter leaks into nothing
        skip = ["-discard", "nokey", "-skip_frame", "nokey", "-skip_loop_filter", "all"]
    else:
        skip = ["-skip_frame", "noref"]
    chain = [
        f"tpad=stop_mode=clone:stop_duration={2 * interval + 2:g}",  # always `count` frames
        f"fps=1/{interval:g}:round=near:start_time=0",
        f"trim=end_frame={count}",
        _fit_width(width),
        f"tile={columns}x{rows}",
    ]
    feed = None
    if keyframes and gap_known is not None and 2 * gap_known <= interval:
        # Keyframes denser than the tiles: the ones no tile uses are dropped before
        # decoding (a stream copy through the noise filter keeps, of each interval,
        # the keyframes in its first `gap` seconds: at least one, as no gap is longer).
        keep = f"not(key)+gte(mod(pts*tb\\,{interval:g})\\,{gap_known:g})"
        feed = ["-i", ffmpeg.src(src), "-map", "0:V:0", "-c", "copy"]
        feed += ["-bsf:v", f"noise=drop={keep}", "-f", "nut", "pipe:1"]
        args = [*skip, "-f", "nut", "-i", "pipe:0", "-map", "0:V:0", "-vf", ",".join(chain)]
    else:
        args = [*skip, "-i", ffmpeg.src(src), "-map", "0:V:0", "-vf", ",".join(chain)]
    limit = _limit(timeout, duration, 0.25 if keyframes else 3.0)
    ffmpeg.make_dir(
        [*args, "-q:v", str(qscale)], dst_dir, "sheet%03d.jpg", timeout=limit, feed=feed
    )
    sheets = sorted(dst_dir.glob("sheet*.jpg"))
    with Image.open(sheets[0]) as img:
        tile_w, tile_h = img.width // columns, img.height // rows
    vtt = dst_dir / "sprites.vtt"
    write_atomic(vtt, _vtt(count, interval, duration, columns, rows, tile_w, tile_h).encode())
    return Sprites(vtt, sheets, interval, count, columns, rows, tile_w, tile_h, keyframes)


def _vtt(count: int, interval: float, duration: float, cols: int, rows: int, w: int, h: int) -> str:
    lines = ["WEBVTT", ""]
    for k in range(count):
        sheet, cell = divmod(k, cols * rows)
        y, x = divmod(cell, cols)
        end = duration if k == count - 1 else (k + 1) * interval
        lines += [f"{_stamp(k * interval)} --> {_stamp(max(end, k * interval + 0.001))}"]
        lines += [f"sheet{sheet + 1:03d}.jpg#xywh={x * w},{y * h},{w},{h}", ""]
    return "\n".join(lines)


def _stamp(seconds: float) -> str:
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


# -- preview strip ------------------------------------------------------------


def make_preview_frames(
    src: str | os.PathLike[str],
    duration: float,
    dst: Path,
    *,
    count: int = 10,
    height: int = 180,
    gop: float | None = None,
    timeout: float | None = None,
) -> Strip:
    """`count` evenly spaced frames side by side in one image (format from dst's suffix).

    One process: one seek (-ss before -i) per frame, then hstack. Frame i is
    the one on screen at times[i], the middle of its slot of duration/count s;
    where keyframes are at most a slot apart, the keyframe before times[i] plus
    half a gap instead, in its slot too (only keyframes are decoded).
    """
    times = [duration * (i + 0.5) / count for i in range(count)]
    gap = _gap(src, duration, gop)
    snap = gap <= duration / count
    keys = ["-discard", "nokey", "-skip_frame", "nokey"] if snap else []
    args: list[str] = []
    for t in times:
        args += [*keys, *_at(t + gap / 2 if snap else t), "-i", ffmpeg.src(src)]
    pick = "trim=end_frame=1,setpts=0" if snap else _SHOWN
    graph = ";".join(f"[{i}:V:0]{pick},{_fit_height(height)}[f{i}]" for i in range(count))
    stack = "".join(f"[f{i}]" for i in range(count))
    graph += f";{stack}hstack=inputs={count}[out]" if count > 1 else ";[f0]null[out]"
    args += ["-filter_complex", graph, "-map", "[out]", "-frames:v", "1", "-q:v", "4"]
    ffmpeg.make(args, dst, timeout=_limit(timeout, 0, 0, floor=60 + 6 * count))
    with Image.open(dst) as img:
        return Strip(dst, times, img.width // count, img.height)


# -- teaser -------------------------------------------------------------------


def teaser_starts(duration: float, segments: int, segment_seconds: float) -> list[float] | None:
    """Where each teaser segment starts: in the middle of its slot, the slots
    spread over the video less its ends; None when the video is short enough
    to be used whole."""
    if duration <= WHOLE_TEASER * segments * segment_seconds:
        return None
    first, slot = duration * TEASER_SKIP, duration * (1 - 2 * TEASER_SKIP) / segments
    room = max(0.0, slot - segment_seconds)
    return [first + i * slot + room / 2 for i in range(segments)]


def make_teaser(
    src: str | os.PathLike[str],
    duration: float,
    dst: Path,
    *,
    width: int = 320,
    segments: int = 10,
    segment_seconds: float = 1.0,
    crf: int = 28,
    preset: str = "veryfast",
    gop: float | None = None,
    timeout: float | None = None,
) -> Teaser:
    """A silent H.264 MP4 (yuv420p, +faststart, even sides), `width` wide at most.
    See make_teasers."""
    [teaser] = make_teasers(
        src,
        duration,
        [(width, dst)],
        segments=segments,
        segment_seconds=segment_seconds,
        crf=crf,
        preset=preset,
        gop=gop,
        timeout=timeout,
    )
    return teaser


def make_teasers(
    src: str | os.PathLike[str],
    duration: float,
    outputs: list[tuple[int, Path]],
    *,
    segments: int = 10,
    segment_seconds: float = 1.0,
    crf: int = 28,
    preset: str = "veryfast",
    gop: float | None = None,
    timeout: float | None = None,
) -> list[Teaser]:
    """Teasers of several widths (small and large) from one decode: silent H.264 MP4s
    (yuv420p, +faststart, even sides), each (width, path) at most that wide.

    Segments are cut in one process: one `-ss/-t` input per segment, joined by
    the concat filter, then split and scaled once per output. Each starts at
    teaser_starts(); where keyframes are no further apart than the room a
    segment has in its slot, at the keyframe nearest to it (-noaccurate_seek),
    so nothing is decoded only to be dropped. A short video is used whole.
    Decoding is most of the cost, so making every size in one pass costs little
    more than making one.
    """
    starts = teaser_starts(duration, segments, segment_seconds)
    if starts is None:
        args = ["-i", ffmpeg.src(src)]
        joined = "[0:V:0]"
        limit = _limit(timeout, duration, 3.0 * len(outputs))
        graph: list[str] = []
    else:
        # Snapped, within half a gap of its start: still in its slot.
        room = duration * (1 - 2 * TEASER_SKIP) / segments - segment_seconds
        gap = _gap(src, duration, gop)
        args = []
        for t in starts:
            at = (
                ["-noaccurate_seek", "-ss", f"{t + gap / 2:.3f}"]
                if gap <= room
                else ["-ss", f"{t:.3f}"]
            )
            args += [*at, "-t", f"{segment_seconds:g}", "-i", ffmpeg.src(src)]
        graph = [f"[{i}:V:0]setpts=PTS-STARTPTS[s{i}]" for i in range(segments)]
        parts = "".join(f"[s{i}]" for i in range(segments))
        graph.append(f"{parts}concat=n={segments}:v=1:a=0[all]")
        joined = "[all]"
        limit = _limit(timeout, segments * segment_seconds, 10.0 * len(outputs))
    branches = "".join(f"[b{i}]" for i in range(len(outputs)))
    graph.append(f"{joined}split={len(outputs)}{branches}")
    for i, (width, _) in enumerate(outputs):
        graph.append(f"[b{i}]{_fit_width(width, even=True)},format=yuv420p[o{i}]")
    args += ["-filter_complex", ";".join(graph)]
    encode = [*encode_args(crf, preset), "-an", "-sn", "-dn", "-map_metadata", "-1"]
    ffmpeg.make_many(
        args,
        [(["-map", f"[o{i}]", *encode], dst) for i, (_, dst) in enumerate(outputs)],
        timeout=limit,
    )
    made = []
    for _, dst in outputs:
        info = probe_video(dst, timeout=30)
        made.append(Teaser(dst, info.width, info.height, info.duration, starts is None))
    return made


def encode_args(crf: int = 28, preset: str = "veryfast") -> list[str]:
    """H.264 for a web player: yuv420p, moov first (+faststart)."""
    x264 = ["-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p"]
    return [*x264, "-movflags", "+faststart"]
