"""Probing videos made on the fly: every field, and how a browser can play each."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mediashelf.media.ffmpeg import ffmpeg_binary, ffprobe_binary
from mediashelf.media.probe import ProbeError, probe_video, read_probe

pytestmark = pytest.mark.skipif(ffprobe_binary() is None, reason="no ffprobe on this machine")

SOURCE = ["-f", "lavfi", "-i", "testsrc=duration=2:size=320x240:rate=25"]
TONE = ["-f", "lavfi", "-i", "sine=frequency=440:duration=2"]


def _make(path: Path, *args: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    cmd = [ffmpeg_binary(), "-hide_banner", "-loglevel", "error", "-y", *args, f"file:{path}"]
    subprocess.run(cmd, check=True, timeout=120)
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("clips")
    x264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    out = {
        "h264_mp4": _make(d / "a.mp4", *SOURCE, *TONE, *x264, "-c:a", "aac", "-shortest"),
        "hevc_mkv": _make(
            d / "b.mkv", *SOURCE, "-c:v", "libx265", "-preset", "ultrafast", "-x265-params",
            "log-level=error",
        ),
        "vp9_webm": _make(
            d / "c.webm", *SOURCE, *TONE, "-c:v", "libvpx-vp9", "-deadline", "realtime",
            "-cpu-used", "8", "-c:a", "libopus", "-shortest",
        ),
        "mpeg4_avi": _make(d / "d.avi", *SOURCE, *TONE, "-c:v", "mpeg4", "-c:a", "libmp3lame"),
        "h264_mkv": _make(d / "e.mkv", *SOURCE, *x264),
        "h444_mp4": _make(d / "f.mp4", *SOURCE, "-c:v", "libx264", "-preset", "ultrafast"),
    }  # fmt: skip
    flat = _make(d / "flat.mp4", *SOURCE, *x264)
    out["rotated"] = _make(d / "phone.mp4", "-i", f"file:{flat}", "-c", "copy",
                           "-metadata:s:v:0", "rotate=90")  # fmt: skip
    srt = d / "subs.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:01,000\nhello\n")
    out["subtitled"] = _make(
        d / "g.mkv", "-i", f"file:{flat}", "-i", f"file:{srt}", "-map", "0", "-map", "1",
        "-c:v", "copy", "-c:s", "srt", "-metadata:s:s:0", "language=eng",
        "-metadata:s:s:0", "title=English",
    )  # fmt: skip
    return out


@pytest.mark.parametrize(
    ("clip", "container", "video", "audio", "playable"),
    [
        ("h264_mp4", "mp4", "h264", "aac", "direct"),
        ("hevc_mkv", "matroska", "hevc", None, "transcode"),
        ("vp9_webm", "webm", "vp9", "opus", "direct"),
        ("mpeg4_avi", "avi", "mpeg4", "mp3", "transcode"),
        ("h264_mkv", "matroska", "h264", None, "remux"),
        ("h444_mp4", "mp4", "h264", None, "transcode"),  # 4:4:4: no browser decodes it
    ],
)
def test_codecs_containers_and_playability(
    clips: dict[str, Path], clip: str, container: str, video: str, audio: str | None, playable: str
) -> None:
    info = probe_video(clips[clip])
    assert (info.container, info.video_codec, info.audio_codec, info.playable) == (
        container,
        video,
        audio,
        playable,
    )
    assert (info.width, info.height, info.rotation) == (320, 240, 0)
    assert info.duration == pytest.approx(2.0, abs=0.1)
    assert info.fps == pytest.approx(25.0)
    assert info.bit_rate and info.bit_rate > 0
    assert info.audio_channels == (1 if audio else None)


def test_rotated_phone_clip_reports_its_display_size(clips: dict[str, Path]) -> None:
    info = probe_video(clips["rotated"])
    assert info.rotation in (90, 270)
    assert (info.width, info.height) == (240, 320)


def test_subtitle_tracks(clips: dict[str, Path]) -> None:
    [sub] = probe_video(clips["subtitled"]).subtitles
    assert (sub.codec, sub.language, sub.title) == ("subrip", "eng", "English")


@pytest.mark.parametrize("name", ["-rf.mp4", "http://x.mp4"])
def test_names_that_look_like_options_or_urls(
    clips: dict[str, Path], tmp_path: Path, name: str
) -> None:
    (tmp_path / "http:").mkdir()
    path = tmp_path / name
    path.write_bytes(clips["h264_mp4"].read_bytes())
    assert probe_video(f"{tmp_path}/{name}").video_codec == "h264"


def test_truncated_and_foreign_files_are_errors(clips: dict[str, Path], tmp_path: Path) -> None:
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(clips["h264_mp4"].read_bytes()[:3000])
    song = _make(tmp_path / "song.mp3", *TONE)
    text = tmp_path / "notes.mp4"
    text.write_text("not a video")
    for bad in (cut, song, text):
        with pytest.raises(ProbeError):
            probe_video(bad)


def test_old_rotate_tags_and_odd_rates() -> None:
    data = {
        "format": {"format_name": "mov,mp4,m4a,3gp,3g2,mj2", "duration": "10.5"},
        "streams": [
            {"codec_type": "video", "codec_name": "h264", "width": 1920, "height": 1080,
             "avg_frame_rate": "0/0", "r_frame_rate": "30000/1001", "pix_fmt": "yuv420p",
             "tags": {"rotate": "90"}},
        ],
    }  # fmt: skip
    info = read_probe(data, "clip.MOV")
    assert (info.width, info.height, info.rotation) == (1080, 1920, 90)
    assert info.fps == pytest.approx(29.97)
    assert info.container == "mov" and info.playable == "direct"


@pytest.mark.parametrize("duration", ["inf", "nan", "1e12"])
def test_an_impossible_duration_is_refused(duration: str) -> None:
    data = {
        "format": {"format_name": "matroska,webm", "duration": duration},
        "streams": [{"codec_type": "video", "codec_name": "h264", "width": 64, "height": 36}],
    }
    with pytest.raises(ProbeError, match=r"impossible duration|no duration"):
        read_probe(data, "x.mkv")
