"""HLS for videos a browser cannot play as they are: the plan of segments, the
playlist, and the ffmpeg arguments of each segment. Pure functions, except
`scan_keyframes`, which reads the file once.

Every segment is made on its own, by one ffmpeg started at that segment's
start (`-ss` before `-i`): any segment can be made in any order, by any
process, at any time, and seeking is asking for segment N. Nothing about a
running stream lives in a process's memory: a playlist is a pure function of
the video and the settings, and so is each segment (web/api/stream.py makes,
caches and serves them).

Two modes (`Plan.mode`):

- "copy": H.264 that browsers decode (8-bit 4:2:0; not rotated, as MPEG-TS
  has no rotation flag) is copied, never re-encoded: cheap enough for any
  machine. A copied segment must start on a keyframe, so its cuts are
  keyframe times: `scan_keyframes` lists them in one pass over the file's
  packets (no decoding; the caller caches the answer), and `keyframe_cuts`
  takes the first keyframe at least a segment after the previous cut.
  Segments are therefore about, not exactly, SEGMENT seconds long. ffmpeg
  seeks to a second before the cut, and its segment muxer cuts at the
  keyframes themselves (`-segment_times`), so a segment holds exactly the
  packets from its keyframe to the next cut's: measured, the segments of a
  file hold each of its video and audio packets once. If keyframes are too
  far apart (a gap over MAX_COPY_SEGMENT), or cannot be listed, the video is
  encoded instead.
- "encode": everything else is re-encoded to H.264 and AAC, in fixed-length
  segments: a decoded input is trimmed to the frame (`-ss`/`-t`), and each
  segment starts with a keyframe because each is an encode of its own.
  Audio is encoded too: copied audio can only be cut at packets, which would
  overlap the neighbours. Each segment's AAC starts with the encoder's
  priming (about 21 ms), a known cost of independent segments.

Time line: every segment carries the source's own clock (seconds from the
file's start) plus TS_BASE, as `-output_ts_offset`, with no muxer delay. The
positive base keeps B-frame reordering and AAC priming above zero; below
zero, the muxer would shift the first segment alone and break continuity.
So segment N starts at its cut + TS_BASE, whichever process made it.

Not handled: subtitles (dropped), HDR tone mapping (10-bit HDR is converted
to 8-bit without it), more than one audio track (the first is used).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace
from pathlib import Path

from mediashelf.media import ffmpeg
from mediashelf.media.ffmpeg import FFmpegError, src

PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
SEGMENT_TYPE = "video/mp2t"
TS_BASE = 1.4  # seconds added to every timestamp (as ffmpeg's own HLS muxer starts)
RECIPE = 1  # bump when the arguments change, so cached segments are made afresh
CUT_SLACK = 0.25  # a keyframe this much short of a full segment still ends one
MIN_LAST = 1.0  # a shorter tail joins the segment before it
MAX_COPY_SEGMENT = 30.0  # longer keyframe gaps: encode instead of copy
COPY_AUDIO = frozenset({"aac", "mp3"})  # what MPEG-TS segments carry to every browser
AUDIO_ARGS = ["-c:a", "aac", "-ac", "2", "-b:a", "160k"]
ENCODERS = ("libx264", "h264_nvenc", "h264_qsv", "h264_vaapi")
SEEK_BACK = 1.0  # copy mode: ffmpeg seeks this long before a cut, the muxer cuts exactly
CUT_EPSILON = 0.0005  # cut times are printed to the microsecond; keyframes never lie closer


@dataclass(frozen=True)
class Source:
    """What planning needs to know of a video: its probe facts (media/probe.py)."""

    duration: float
    video_codec: str
    audio_codec: str | None
    playable: str  # direct | remux | transcode
    rotation: int = 0


@dataclass(frozen=True)
class Encoder:
    """How "encode" segments are made (the VIDEO_ENCODER and TRANSCODE_* settings)."""

    name: str = "libx264"
    quality: int = 23  # CRF (x264), CQ (NVENC), global quality (QSV) or QP (VAAPI)
    max_height: int = 1080  # of the shorter side: portrait videos keep their width
    vaapi_device: str = "/dev/dri/renderD128"


@dataclass(frozen=True)
class Keyframes:
    """A file's video keyframe times, seconds from its start (its format start time)."""

    start: float
    times: tuple[float, ...]


@dataclass(frozen=True)
class Plan:
    """A video's segments: where each starts, and how they are made."""

    mode: str  # "copy" or "encode"
    cuts: tuple[float, ...]  # segment start times, seconds from the source's start; [0] is 0
    duration: float
    audio: str  # "copy", "aac" or "none"
    seconds: int  # the SEGMENT setting the cuts were made for
    encoder: Encoder = Encoder()
    start: float = 0.0  # copy mode: the file's own start time (its clock is kept)

    @property
    def count(self) -> int:
        return len(self.cuts)

    def span(self, n: int) -> tuple[float, float | None]:
        """Segment n's start and end (None: the last one, which runs to the end)."""
        return self.cuts[n], self.cuts[n + 1] if n + 1 < len(self.cuts) else None

    def lengths(self) -> list[float]:
        ends = [*self.cuts[1:], max(self.duration, self.cuts[-1])]
        return [end - start for start, end in zip(self.cuts, ends, strict=True)]

    @property
    def tag(self) -> str:
        """Names everything that shapes the segments: their cache folder's variant."""
        if self.mode == "copy":
            return f"copy-s{self.seconds}-r{RECIPE}"
        enc = self.encoder
        return f"{enc.name}-q{enc.quality}-h{enc.max_height}-s{self.seconds}-r{RECIPE}"


@dataclass(frozen=True)
class SegmentJob:
    """One ffmpeg run that makes segment n in `folder` (an empty temporary folder)."""

    args: list[str]
    output: Path  # the finished segment, once ffmpeg has exited well
    pieces: Path | None = None  # copy mode: the segment muxer's list, to check the cut
    expected_start: float = 0.0  # copy mode: where the output should start (its clock)


# -- planning ----------------------------------------------------------------


def can_copy(source: Source) -> bool:
    """Whether the video stream can go into segments as it is."""
    return (
        source.playable in ("direct", "remux")
        and source.video_codec == "h264"
        and source.rotation == 0
    )


def fixed_cuts(duration: float, seconds: int) -> tuple[float, ...]:
    """Every `seconds`, the tail joined to the segment before when under MIN_LAST."""
    count = max(1, math.ceil(duration / seconds - 1e-9))
    if count > 1 and duration - (count - 1) * seconds < MIN_LAST:
        count -= 1
    return tuple(float(i * seconds) for i in range(count))


def keyframe_cuts(
    keyframes: tuple[float, ...], duration: float, seconds: int
) -> tuple[float, ...] | None:
    """Cuts at the first keyframe at least a segment (less CUT_SLACK) after the last
    cut; None when a segment would be longer than MAX_COPY_SEGMENT."""
    cuts = [0.0]
    for key in sorted(k for k in keyframes if 0 < k < duration):
        if key - cuts[-1] >= seconds - CUT_SLACK:
            cuts.append(key)
    if len(cuts) > 1 and duration - cuts[-1] < MIN_LAST:
        cuts.pop()
    ends = [*cuts[1:], duration]
    if max(end - start for start, end in zip(cuts, ends, strict=True)) > MAX_COPY_SEGMENT:
        return None
    return tuple(cuts)


def audio_mode(source: Source, copy: bool) -> str:
    if source.audio_codec is None:
        return "none"
    return "copy" if copy and source.audio_codec in COPY_AUDIO else "aac"


def encode_plan(source: Source, seconds: int, encoder: Encoder) -> Plan:
    return Plan(
        "encode",
        fixed_cuts(source.duration, seconds),
        source.duration,
        audio_mode(source, copy=False),
        seconds,
        encoder,
    )


def copy_plan(source: Source, keyframes: Keyframes, seconds: int) -> Plan | None:
    """The copy plan, or None when the keyframes do not allow one."""
    if not can_copy(source):
        return None
    cuts = keyframe_cuts(keyframes.times, source.duration, seconds)
    if cuts is None:
        return None
    audio = audio_mode(source, copy=True)
    return Plan("copy", cuts, source.duration, audio, seconds, start=keyframes.start)


def playlist(plan: Plan) -> str:
    """The VOD media playlist; segment URIs are relative: `0.ts`, `1.ts`, …"""
    lengths = plan.lengths()
    target = max(1, *(math.floor(x + 0.5) for x in lengths))  # EXTINF, rounded, ≤ target
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        f"#EXT-X-TARGETDURATION:{target}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-INDEPENDENT-SEGMENTS",
    ]
    for n, length in enumerate(lengths):
        lines += [f"#EXTINF:{length:.6f},", f"{n}.ts"]
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


# -- ffmpeg arguments ----------------------------------------------------------


def _t(seconds: float) -> str:
    return f"{seconds:.6f}"


def video_filter(encoder: Encoder) -> str:
    """Scale down (never up) so the shorter side is at most max_height; even sizes."""
    h = encoder.max_height
    chain = (
        f"scale=w='if(gte(iw,ih),-2,trunc(min(iw,{h})/2)*2)'"
        f":h='if(gte(iw,ih),trunc(min(ih,{h})/2)*2,-2)'"
    )
    if encoder.name == "h264_vaapi":
        chain += ",format=nv12,hwupload"
    return chain


def video_codec_args(encoder: Encoder) -> list[str]:
    q = str(encoder.quality)
    if encoder.name == "h264_nvenc":
        return ["-c:v", "h264_nvenc", "-preset", "p4", "-rc", "vbr", "-cq", q, "-b:v", "0",
                "-profile:v", "high", "-pix_fmt", "yuv420p"]  # fmt: skip
    if encoder.name == "h264_qsv":
        return ["-c:v", "h264_qsv", "-preset", "veryfast", "-global_quality", q,
                "-profile:v", "high", "-pix_fmt", "nv12"]  # fmt: skip
    if encoder.name == "h264_vaapi":
        return ["-c:v", "h264_vaapi", "-qp", q, "-profile:v", "high"]
    return ["-c:v", "libx264", "-preset", "veryfast", "-crf", q, "-profile:v", "high",
            "-pix_fmt", "yuv420p"]  # fmt: skip


def _audio_args(plan: Plan) -> list[str]:
    if plan.audio == "none":
        return ["-an"]
    return ["-c:a", "copy"] if plan.audio == "copy" else AUDIO_ARGS


_COMMON_OUT = ["-sn", "-dn", "-map_metadata", "-1", "-map_chapters", "-1"]
_NO_DELAY = ["-muxdelay", "0", "-muxpreload", "0"]


def segment_args(plan: Plan, path: str | os.PathLike[str], n: int, folder: Path) -> SegmentJob:
    """The ffmpeg run that makes segment n of `path` in `folder`."""
    if not 0 <= n < plan.count:
        raise ValueError(f"segment {n} is out of range (0-{plan.count - 1})")
    first, end = plan.span(n)
    maps = ["-map", "0:V:0", *(["-map", "0:a:0?"] if plan.audio != "none" else [])]
    if plan.mode == "encode":
        pre = (
            ["-vaapi_device", plan.encoder.vaapi_device]
            if plan.encoder.name == "h264_vaapi"
            else []
        )
        limit = ["-t", _t(end - first)] if end is not None else []
        out = folder / "segment.ts"
        args = [
            *pre, "-ss", _t(first), *limit, "-i", src(path), *maps,
            "-vf", video_filter(plan.encoder), *video_codec_args(plan.encoder), *_audio_args(plan),
            *_COMMON_OUT, "-output_ts_offset", _t(first + TS_BASE), *_NO_DELAY,
            "-f", "mpegts", "-y", src(out),
        ]  # fmt: skip
        return SegmentJob(args, out)
    # copy: keep the file's clock, seek a little early, and let the segment muxer cut at
    # the keyframes. -write_empty_segments: cut even if the seek landed on the keyframe.
    seek = max(0.0, first - SEEK_BACK) if n else 0.0
    times = ([first] if n else []) + ([end] if end is not None else [])
    pieces = folder / "pieces.csv"
    args = ["-copyts"]
    if n:
        args += ["-ss", _t(seek)]
    if end is not None:
        args += ["-t", _t(end - seek + 2 * SEEK_BACK)]
    args += [
        "-i", src(path), *maps, "-c:v", "copy", *_audio_args(plan), *_COMMON_OUT,
        "-output_ts_offset", _t(TS_BASE - plan.start), *_NO_DELAY,
        "-f", "segment", "-segment_format", "mpegts", "-write_empty_segments", "1",
        "-segment_list", src(pieces), "-segment_list_type", "csv",
    ]  # fmt: skip
    if times:
        args += ["-segment_times", ",".join(_t(t + TS_BASE - CUT_EPSILON) for t in times)]
    pattern = str(folder).replace("%", "%%") + "/%d.ts"
    args += ["-y", "file:" + pattern]
    piece = 1 if n else 0
    return SegmentJob(args, folder / f"{piece}.ts", pieces, first + TS_BASE)


def finished(job: SegmentJob) -> Path:
    """The segment a successful run made; FFmpegError if it is empty or, in copy mode,
    does not start at its cut (a keyframe list that no longer fits the file)."""
    if not job.output.is_file() or job.output.stat().st_size == 0:
        raise FFmpegError("ffmpeg wrote no segment")
    if job.pieces is not None and job.output.name != "0.ts":
        starts = {}
        for line in job.pieces.read_text().splitlines():
            name, _, rest = line.partition(",")
            starts[name] = float(rest.split(",")[0]) if rest else math.nan
        got = starts.get(job.output.name, math.nan)
        if not abs(got - job.expected_start) < 0.01:
            raise FFmpegError(
                f"segment cut at {got - TS_BASE:.3f} s, not at the keyframe at "
                f"{job.expected_start - TS_BASE:.3f} s"
            )
    return job.output


def with_encoder(plan: Plan, name: str) -> Plan:
    return replace(plan, encoder=replace(plan.encoder, name=name))


# -- keyframes ------------------------------------------------------------------

_NOPTS = -(2**63)


def keyframe_args(path: str | os.PathLike[str]) -> list[str]:
    """Copy the video stream into ffmpeg's framecrc muxer: one line per packet,
    with its timestamps and (when not a plain keyframe) its flags. No decoding."""
    return ["-copyts", "-i", src(path), "-map", "0:V:0", "-c", "copy", "-f", "framecrc", "pipe:1"]


def parse_framecrc(text: str) -> list[float]:
    """Keyframe times (seconds, the file's clock) from framecrc output.

    Lines: `#tb 0: 1/1000` gives the time base; a packet is
    `0, dts, pts, duration, size, crc[, F=0xFLAGS]`, where flags are printed
    only when they are not exactly "key". A keyframe without a pts (AVI with
    B-frames) cannot be cut at: FFmpegError.
    """
    num, den = 1, 1
    times = []
    for line in text.splitlines():
        if line.startswith("#tb 0:"):
            num_s, _, den_s = line.split(":", 1)[1].strip().partition("/")
            num, den = int(num_s), int(den_s)
            continue
        if not line or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.split(",")]
        flags = 1
        for extra in fields[6:]:
            if extra.startswith("F="):
                flags = int(extra[2:], 16)
        if not flags & 1:
            continue
        pts = int(fields[2])
        if pts == _NOPTS:
            raise FFmpegError("keyframes without timestamps: the video cannot be cut as it is")
        times.append(pts * num / den)
    return times


def scan_keyframes(path: str | os.PathLike[str], timeout: float) -> Keyframes:
    """The file's keyframes: one pass over its packets (reads the whole file)."""
    fmt = ffmpeg.probe(path, timeout=min(timeout, 60)).get("format") or {}
    try:
        start = float(fmt.get("start_time") or 0.0)
    except ValueError:
        start = 0.0
    out = ffmpeg.run(keyframe_args(path), timeout=timeout)
    times = parse_framecrc(out.decode("ascii", "replace"))
    return Keyframes(start, tuple(sorted({round(t - start, 6) for t in times})))
