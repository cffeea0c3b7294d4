"""The ffmpeg wrapper: file: paths, timeouts, atomic output, errors in ffmpeg's words."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mediashelf.media import ffmpeg
from tests import factory

LAVFI = ["-f", "lavfi", "-i", "testsrc=duration=1:size=64x48:rate=5"]


def test_make_writes_atomically(tmp_path: Path) -> None:
    dst = ffmpeg.make([*LAVFI, "-frames:v", "1"], tmp_path / "out" / "frame.jpg", timeout=30)
    assert dst.read_bytes()[:2] == b"\xff\xd8"
    assert os.listdir(dst.parent) == ["frame.jpg"]  # no temporary left


def test_a_failure_leaves_nothing_and_says_why(tmp_path: Path) -> None:
    dst = tmp_path / "frame.jpg"
    with pytest.raises(ffmpeg.FFmpegError, match=r"ffmpeg failed: .*No such file"):
        ffmpeg.make(["-i", ffmpeg.src(tmp_path / "missing.mp4")], dst, timeout=30)
    assert os.listdir(tmp_path) == []


def test_a_failure_keeps_the_previous_output(tmp_path: Path) -> None:
    dst = ffmpeg.make([*LAVFI, "-frames:v", "1"], tmp_path / "frame.jpg", timeout=30)
    before = dst.read_bytes()
    with pytest.raises(ffmpeg.FFmpegError):
        ffmpeg.make(["-i", ffmpeg.src(tmp_path / "nope.mp4")], dst, timeout=30)
    assert dst.read_bytes() == before


def test_a_hung_ffmpeg_is_stopped(tmp_path: Path) -> None:
    endless = ["-re", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=5"]  # real time, no end
    with pytest.raises(ffmpeg.FFmpegError, match="longer than 1 s"):
        ffmpeg.make([*endless, "-f", "null"], tmp_path / "x.mp4", timeout=1)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("name", ["-y.mp4", "http:evil.mp4", "a b;rm -rf.mp4", "$(x).mp4"])
def test_names_that_look_like_options_or_urls_are_files(tmp_path: Path, name: str) -> None:
    video = factory.video(tmp_path / name, seconds=0.5)
    frame = ffmpeg.make(["-i", ffmpeg.src(video), "-frames:v", "1"], tmp_path / "f.png", timeout=30)
    assert frame.read_bytes()[:4] == b"\x89PNG"


def test_make_dir_writes_numbered_files_atomically(tmp_path: Path) -> None:
    out = ffmpeg.make_dir([*LAVFI], tmp_path / "frames", "f%02d.jpg", timeout=30)
    assert sorted(os.listdir(out)) == [f"f{n:02d}.jpg" for n in range(1, 6)]
    with pytest.raises(ffmpeg.FFmpegError):
        ffmpeg.make_dir(["-i", ffmpeg.src(tmp_path / "no.mp4")], out, "f%02d.jpg", timeout=30)
    assert len(os.listdir(out)) == 5  # the old set stays whole
    assert sorted(os.listdir(tmp_path)) == ["frames"]


@pytest.mark.skipif(ffmpeg.ffprobe_binary() is None, reason="no ffprobe on this machine")
def test_probe_reads_json(tmp_path: Path) -> None:
    info = ffmpeg.probe(factory.video(tmp_path / "-v.mp4", seconds=1.0))
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    assert (video["codec_name"], video["width"], video["height"]) == ("h264", 160, 120)
    assert float(info["format"]["duration"]) == pytest.approx(1.0, abs=0.2)


@pytest.mark.skipif(ffmpeg.ffprobe_binary() is None, reason="no ffprobe on this machine")
def test_probe_of_garbage_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all" * 100)
    with pytest.raises(ffmpeg.FFmpegError, match="ffprobe"):
        ffmpeg.probe(bad)


def test_a_fed_run_pipes_one_ffmpeg_into_another(tmp_path: Path) -> None:
    feed = [*LAVFI, "-c:v", "mpeg2video", "-f", "nut", "pipe:1"]
    out = ffmpeg.make_dir(
        ["-f", "nut", "-i", "pipe:0"], tmp_path / "frames", "f%02d.png", timeout=30, feed=feed
    )
    assert len(os.listdir(out)) == 5
    bad = ["-i", ffmpeg.src(tmp_path / "missing.mp4"), "-c", "copy", "-f", "nut", "pipe:1"]
    with pytest.raises(ffmpeg.FFmpegError, match="No such file"):
        ffmpeg.make_dir(
            ["-f", "nut", "-i", "pipe:0"], tmp_path / "none", "f%02d.png", timeout=30, feed=bad
        )
    assert sorted(os.listdir(tmp_path)) == ["frames"]
