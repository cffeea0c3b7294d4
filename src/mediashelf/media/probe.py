"""What a video is, from ffprobe's JSON (never from ffmpeg's stderr).

`probe_video(path)` runs ffprobe once; `read_probe(data, name)` turns its JSON
into a `VideoInfo`: duration, container, codecs, display size (rotation
applied), frame rate, bit rate, audio channels, subtitle tracks, and how a
browser can play it:

- "direct": the browser plays the file as it is (MP4/WebM with codecs every
  current browser decodes);
- "remux": the codecs are fine but the container is not (H.264 in MKV or
  AVI): copied into HLS segments, no re-encoding;
- "transcode": the video must be re-encoded (HEVC, MPEG-2, MPEG-4 Part 2,
  WMV, 10-bit or 4:4:4 H.264, …).
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any

from mediashelf.media.ffmpeg import FFmpegError, FFmpegMissing, FFmpegTimeout, probe

# Codecs every current browser decodes (Chromium, Firefox, Safari), by container.
_DIRECT_VIDEO = {"h264", "vp8", "vp9", "av1"}
_DIRECT_AUDIO = {"aac", "mp3", "opus", "vorbis", "flac"}
_WEB_CONTAINERS = {"mp4", "mov", "webm"}
_REMUX_VIDEO = {"h264"}  # fine in HLS (MPEG-TS) segments as it is
_REMUX_AUDIO = {"aac", "mp3", "ac3", "eac3"}
_PLAIN_PIX_FMTS = {"yuv420p", "yuvj420p", "nv12"}  # 8-bit 4:2:0: what browsers decode

CONTENT_TYPES = {
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "webm": "video/webm",
    "matroska": "video/x-matroska",
    "avi": "video/x-msvideo",
    "asf": "video/x-ms-asf",
    "mpegts": "video/mp2t",
    "mpeg": "video/mpeg",
    "flv": "video/x-flv",
    "ogg": "video/ogg",
}


class ProbeError(FFmpegError):
    """The file is not a video ffprobe can read."""


@dataclass(frozen=True)
class Subtitle:
    index: int
    codec: str
    language: str | None
    title: str | None


@dataclass(frozen=True)
class VideoInfo:
    duration: float
    container: str
    video_codec: str
    audio_codec: str | None
    width: int  # as displayed: rotation applied
    height: int
    rotation: int  # 0, 90, 180 or 270: how far the player turns the picture
    fps: float | None
    bit_rate: int | None
    audio_channels: int | None
    pix_fmt: str | None
    subtitles: list[Subtitle] = field(default_factory=list)
    playable: str = "transcode"  # direct | remux | transcode

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES.get(self.container, "application/octet-stream")


MAX_DURATION = 7 * 86_400  # a week: anything longer is a broken header
END_PACKETS = 300  # read after a seek to the end, to tell a file cut short


def probe_video(path: str | os.PathLike[str], timeout: float = 30) -> VideoInfo:
    """Probe a video file: one ffprobe call. Raises ProbeError when it is not a video or
    is cut short, FFmpegTimeout when ffprobe hangs.

    A file whose index is at its end (most cameras) cannot be opened at all when
    cut; for one whose index comes first (+faststart MP4, MKV) the same call
    seeks to the end and reads up to END_PACKETS packets: if the data stops well
    before the stated duration, the file was cut.
    """
    tail = [
        "-show_entries",
        "packet=pts_time,duration_time",
        "-read_intervals",
        f"99999999%+#{END_PACKETS}",
    ]
    began = time.monotonic()
    try:
        try:
            data = probe(path, timeout=timeout, extra=tail)
        except FFmpegTimeout:
            raise
        except FFmpegError:  # not a video (the same error again), or one that cannot seek
            data = probe(path, timeout=max(1.0, timeout - (time.monotonic() - began)))
    except (FFmpegTimeout, FFmpegMissing):
        raise  # a slow disk, or no ffprobe: the file may be fine, so it is not flagged
    except FFmpegError as exc:
        raise ProbeError(str(exc)) from None
    info = read_probe(data, os.fspath(path))
    _check_complete(data.get("packets"), info.duration)
    return info


def _check_complete(packets: list[dict[str, Any]] | None, duration: float) -> None:
    if packets is None or len(packets) >= END_PACKETS:
        return
    ends = [
        (_number(p.get("pts_time")) or 0) + (_number(p.get("duration_time")) or 0) for p in packets
    ]
    end = max(ends, default=0.0)
    if end < duration - max(2.0, 0.05 * duration):
        at = f"its data stops at {end:.1f} s" if packets else "no data near its end"
        raise ProbeError(f"the file is cut short: {at}, of {duration:.1f} s")


def read_probe(data: dict[str, Any], name: str = "") -> VideoInfo:
    streams = data.get("streams") or []
    fmt = data.get("format") or {}
    video = next(
        (
            s
            for s in streams
            if s.get("codec_type") == "video"
            and not (s.get("disposition") or {}).get("attached_pic")
        ),
        None,
    )
    if video is None:
        raise ProbeError("no video stream (audio only, or not a video)")
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    duration = _number(fmt.get("duration")) or _number(video.get("duration"))
    if not duration or duration <= 0:
        raise ProbeError("the video has no duration (truncated or still being written?)")
    if not math.isfinite(duration) or duration > MAX_DURATION:
        raise ProbeError(f"the video claims an impossible duration ({duration:g} s)")
    rotation = _rotation(video)
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    if not width or not height:
        raise ProbeError("the video stream has no picture size")
    sar = str(video.get("sample_aspect_ratio") or "1:1").split(":")
    if len(sar) == 2 and _number(sar[0]) and _number(sar[1]):  # non-square pixels (DV, DVD)
        width = round(width * float(sar[0]) / float(sar[1]))
    if rotation in (90, 270):
        width, height = height, width
    container = _container(fmt, name)
    info = VideoInfo(
        duration=round(duration, 3),
        container=container,
        video_codec=str(video.get("codec_name") or "unknown"),
        audio_codec=str(audio["codec_name"]) if audio and audio.get("codec_name") else None,
        width=width,
        height=height,
        rotation=rotation,
        fps=_rate(video.get("avg_frame_rate")) or _rate(video.get("r_frame_rate")),
        bit_rate=_int(fmt.get("bit_rate")) or _int(video.get("bit_rate")),
        audio_channels=_int(audio.get("channels")) if audio else None,
        pix_fmt=video.get("pix_fmt"),
        subtitles=[
            Subtitle(
                index=int(s.get("index", 0)),
                codec=str(s.get("codec_name") or "unknown"),
                language=(s.get("tags") or {}).get("language"),
                title=(s.get("tags") or {}).get("title"),
            )
            for s in streams
            if s.get("codec_type") == "subtitle"
        ],
    )
    return _with_playable(info)


def _with_playable(info: VideoInfo) -> VideoInfo:
    plain = info.pix_fmt in _PLAIN_PIX_FMTS or info.video_codec != "h264"
    audio_ok = info.audio_codec is None or info.audio_codec in _DIRECT_AUDIO
    if (
        info.container in _WEB_CONTAINERS
        and info.video_codec in _DIRECT_VIDEO
        and plain
        and audio_ok
        and not (info.container == "webm" and info.video_codec == "h264")
    ):
        playable = "direct"
    elif info.video_codec in _REMUX_VIDEO and plain:
        playable = "remux"  # audio, if not AAC/MP3, is re-encoded alone (cheap)
    else:
        playable = "transcode"
    return VideoInfo(**{**info.__dict__, "playable": playable})


def _container(fmt: dict[str, Any], name: str) -> str:
    names = str(fmt.get("format_name") or "").split(",")
    ext = os.path.splitext(name)[1].lower()
    if "mp4" in names or "mov" in names:
        brand = str((fmt.get("tags") or {}).get("major_brand") or "").strip()
        return "mov" if brand == "qt" or (not brand and ext == ".mov") else "mp4"
    if "matroska" in names or "webm" in names:
        return "webm" if ext == ".webm" else "matroska"
    return names[0] if names and names[0] else "unknown"


def _rotation(video: dict[str, Any]) -> int:
    degrees: float = 0
    for side in video.get("side_data_list") or []:
        if "rotation" in side:
            degrees = float(side["rotation"])
            break
    else:
        rotate = (video.get("tags") or {}).get("rotate")
        if rotate is not None:
            degrees = -float(rotate)  # the old tag turns clockwise, the matrix counter-clockwise
    return int(round(-degrees / 90) * 90) % 360  # clockwise quarter turns


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _int(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None else None


def _rate(value: Any) -> float | None:
    try:
        rate = Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        return None
    return round(float(rate), 3) if rate > 0 else None
