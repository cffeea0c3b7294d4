"""HLS plans, playlists and segment arguments (media/hls.py), and the segments
real ffmpeg makes from them: a copied video's segments hold each of its packets
exactly once; an encoded one's start where the playlist says."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import pytest

from mediashelf.media import ffmpeg, hls
from mediashelf.media.ffmpeg import FFmpegError, ffprobe_binary
from mediashelf.media.probe import probe_video
from tests import factory

needs_ffprobe = pytest.mark.skipif(ffprobe_binary() is None, reason="no ffprobe")

H264 = hls.Source(30.0, "h264", "aac", "remux")


def sine(seconds: float) -> list[str]:
    return ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]


def packets(path: Path, stream: str) -> list[tuple[float, bool]]:
    """(pts, keyframe) of each packet of one stream, in file order."""
    out = subprocess.run(
        [ffprobe_binary() or "ffprobe", "-v", "error", "-select_streams", stream,
         "-show_entries", "packet=pts_time,flags", "-of", "json", f"file:{path}"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    return [
        (float(p["pts_time"]), "K" in p.get("flags", ""))
        for p in json.loads(out)["packets"]
        if "pts_time" in p
    ]


def make_all(plan: hls.Plan, source: Path, out: Path) -> list[Path]:
    """Every segment of the plan, made the way web/api/stream.py makes them."""
    made = []
    for n in range(plan.count):
        folder = out / f"tmp{n}"
        folder.mkdir(parents=True)
        job = hls.segment_args(plan, source, n, folder)
        ffmpeg.start(job.args).check()
        made.append(hls.finished(job).rename(out / f"{n}.ts"))
    return made


# -- plans and playlists ---------------------------------------------------------


@pytest.mark.parametrize(
    ("duration", "seconds", "cuts"),
    [
        (40.0, 6, (0, 6, 12, 18, 24, 30, 36)),
        (36.5, 6, (0, 6, 12, 18, 24, 30)),  # a 0.5 s tail joins the segment before
        (36.0, 6, (0, 6, 12, 18, 24, 30)),
        (3.0, 6, (0,)),
        (0.4, 2, (0,)),
    ],
)
def test_fixed_cuts(duration: float, seconds: int, cuts: tuple[int, ...]) -> None:
    assert hls.fixed_cuts(duration, seconds) == tuple(float(c) for c in cuts)


def test_keyframe_cuts_take_the_first_keyframe_a_segment_later() -> None:
    every_2s = tuple(0.023 + 2 * i for i in range(15))
    assert hls.keyframe_cuts(every_2s, 30.0, 6) == (0.0, 6.023, 12.023, 18.023, 24.023)
    # 1.998 s apart: three GOPs are 5.994 s, within the slack, so still a cut
    assert hls.keyframe_cuts(tuple(1.998 * i for i in range(10)), 18.0, 6)[:2] == (0.0, 5.994)
    # 5 s GOPs with 6 s segments: 10 s segments
    assert hls.keyframe_cuts((0.0, 5.0, 10.0, 15.0, 20.0), 24.0, 6) == (0.0, 10.0, 20.0)
    # a keyframe in the last second does not make a stub
    assert hls.keyframe_cuts((0.0, 6.0, 11.5), 12.0, 6) == (0.0, 6.0)


def test_sparse_keyframes_allow_no_copy_plan() -> None:
    assert hls.keyframe_cuts((0.0, 40.0), 60.0, 6) is None  # a 40 s gap
    assert hls.keyframe_cuts((), 60.0, 6) is None
    assert hls.keyframe_cuts((), 20.0, 6) == (0.0,)  # one segment, short enough
    keys = hls.Keyframes(0.0, (0.0, 35.0))
    assert hls.copy_plan(hls.Source(40.0, "h264", "aac", "remux"), keys, 6) is None


def test_what_may_be_copied() -> None:
    assert hls.can_copy(H264)
    assert hls.can_copy(hls.Source(10, "h264", None, "direct"))
    assert not hls.can_copy(hls.Source(10, "hevc", "aac", "transcode"))
    assert not hls.can_copy(hls.Source(10, "h264", "aac", "transcode"))  # 10-bit, say
    assert not hls.can_copy(hls.Source(10, "h264", "aac", "remux", rotation=90))
    plan = hls.copy_plan(hls.Source(10, "h264", "ac3", "remux"), hls.Keyframes(0, (0.0,)), 6)
    assert plan is not None and plan.audio == "aac"  # AC-3 is re-encoded, alone
    assert hls.encode_plan(H264, 6, hls.Encoder()).audio == "aac"
    assert hls.encode_plan(hls.Source(10, "vp9", None, "direct"), 6, hls.Encoder()).audio == "none"


def test_playlist_is_a_vod_playlist_of_the_whole_duration() -> None:
    plan = hls.encode_plan(hls.Source(40.5, "hevc", "aac", "transcode"), 6, hls.Encoder())
    text = hls.playlist(plan)
    lines = text.splitlines()
    assert lines[0] == "#EXTM3U" and lines[-1] == "#EXT-X-ENDLIST"
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in lines and "#EXT-X-TARGETDURATION:6" in lines
    lengths = [float(x[8:].rstrip(",")) for x in lines if x.startswith("#EXTINF:")]
    assert [x for x in lines if x.endswith(".ts")] == [f"{n}.ts" for n in range(7)]
    assert sum(lengths) == pytest.approx(40.5) and lengths[-1] == pytest.approx(4.5)
    copy = hls.Plan("copy", (0.0, 10.4), 20.0, "copy", 6)
    assert "#EXT-X-TARGETDURATION:10" in hls.playlist(copy)  # rounded, ≥ every EXTINF


def test_tags_name_what_shapes_the_segments() -> None:
    plan = hls.encode_plan(H264, 6, hls.Encoder())
    assert plan.tag == f"libx264-q23-h1080-s6-r{hls.RECIPE}"
    assert hls.with_encoder(plan, "h264_nvenc").tag.startswith("h264_nvenc-")
    assert hls.Plan("copy", (0.0,), 5, "none", 4).tag == f"copy-s4-r{hls.RECIPE}"


# -- arguments -----------------------------------------------------------------


def test_segment_args_seek_to_the_segment_and_keep_its_clock(tmp_path: Path) -> None:
    plan = hls.encode_plan(hls.Source(20.0, "mpeg4", "mp3", "transcode"), 6, hls.Encoder())
    args = hls.segment_args(plan, "-i.avi", 2, tmp_path).args
    assert args[: args.index("-i") + 2] == [
        "-ss",
        "12.000000",
        "-t",
        "6.000000",
        "-i",
        "file:-i.avi",
    ]
    assert args[args.index("-output_ts_offset") + 1] == f"{12 + hls.TS_BASE:.6f}"
    assert args[-1] == f"file:{tmp_path}/segment.ts"
    last = hls.segment_args(plan, "a.avi", 3, tmp_path).args
    assert "-t" not in last  # the last one runs to the end, whatever the probe said
    with pytest.raises(ValueError, match="out of range"):
        hls.segment_args(plan, "a.avi", 4, tmp_path)


def test_copy_args_cut_at_the_keyframes(tmp_path: Path) -> None:
    plan = hls.copy_plan(H264, hls.Keyframes(0.5, (0.0, 6.0, 12.0, 18.0, 24.0)), 6)
    assert plan is not None and plan.cuts == (0.0, 6.0, 12.0, 18.0, 24.0)
    job = hls.segment_args(plan, "v.mkv", 1, tmp_path)
    a = job.args
    assert a[a.index("-ss") + 1] == "5.000000"  # a second early: the muxer cuts exactly
    assert a[a.index("-segment_times") + 1] == f"{6 + 1.4 - 0.0005:.6f},{12 + 1.4 - 0.0005:.6f}"
    assert a[a.index("-output_ts_offset") + 1] == f"{hls.TS_BASE - 0.5:.6f}"
    assert "copy" == a[a.index("-c:v") + 1] == a[a.index("-c:a") + 1]
    assert job.output == tmp_path / "1.ts" and job.expected_start == 6 + hls.TS_BASE
    first = hls.segment_args(plan, "v.mkv", 0, tmp_path)
    assert "-ss" not in first.args and first.output == tmp_path / "0.ts"
    odd = tmp_path / "100%"
    assert hls.segment_args(plan, "v.mkv", 4, odd).args[-1] == f"file:{tmp_path}/100%%/%d.ts"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("libx264", ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20"]),
        ("h264_nvenc", ["-c:v", "h264_nvenc", "-preset", "p4", "-rc", "vbr", "-cq", "20"]),
        ("h264_qsv", ["-c:v", "h264_qsv", "-preset", "veryfast", "-global_quality", "20"]),
        ("h264_vaapi", ["-c:v", "h264_vaapi", "-qp", "20"]),
    ],
)
def test_hardware_encoders(tmp_path: Path, name: str, expected: list[str]) -> None:
    enc = hls.Encoder(name, 20, 720, "/dev/dri/renderD129")
    plan = hls.encode_plan(hls.Source(20.0, "hevc", "aac", "transcode"), 6, enc)
    args = hls.segment_args(plan, "v.mkv", 0, tmp_path).args
    at = args.index("-c:v")
    assert args[at : at + len(expected)] == expected
    vf = args[args.index("-vf") + 1]
    assert "min(ih,720)" in vf
    if name == "h264_vaapi":  # a global option, before the input; frames uploaded
        assert args[:2] == ["-vaapi_device", "/dev/dri/renderD129"]
        assert vf.endswith(",format=nv12,hwupload")
    else:
        assert "-vaapi_device" not in args and "hwupload" not in vf


def test_parse_framecrc() -> None:
    text = (
        "#tb 0: 1/1000\n#media_type 0: video\n"
        "0,       -177,         23,      100,     2813, 0x90430a14\n"
        "0,        -77,        123,      100,      274, 0xcce08879, F=0x0\n"
        "0,       1923,       2023,      100,     2813, 0x90430a15\n"
        "0,       2023,       2123,      100,      200, 0x90430a16, F=0x5\n"  # key + discard
    )
    assert hls.parse_framecrc(text) == [0.023, 2.023, 2.123]
    with pytest.raises(FFmpegError, match="without timestamps"):
        hls.parse_framecrc(f"#tb 0: 1/25\n0, 0, {-(2**63)}, 1, 10, 0x0\n")


# -- real segments -----------------------------------------------------------------


@needs_ffprobe
def test_copied_segments_hold_every_packet_once(tmp_path: Path) -> None:
    src = factory.video(
        tmp_path / "remux.mkv", 20, "160x120",
        [*sine(20), "-c:v", "libx264", "-g", "20", "-pix_fmt", "yuv420p", "-c:a", "aac",
         "-shortest"],
    )  # fmt: skip
    info = probe_video(src)
    assert info.playable == "remux"
    source = hls.Source(info.duration, info.video_codec, info.audio_codec, info.playable)
    keys = hls.scan_keyframes(src, timeout=60)
    assert keys.times[:3] == pytest.approx((0.0, 2.0, 4.0), abs=0.05)
    plan = hls.copy_plan(source, keys, 6)
    assert plan is not None and plan.mode == "copy" and plan.count == 4  # 6+6+6+2 s
    made = make_all(plan, src, tmp_path / "out")

    for stream in ("v", "a"):
        whole = packets(src, stream)
        parts = [packets(seg, stream) for seg in made]
        assert sum(len(p) for p in parts) == len(whole)  # none lost, none twice
        shift = hls.TS_BASE - keys.start
        assert sorted(t for p in parts for t, _ in p) == pytest.approx(
            sorted(t + shift for t, _ in whole), abs=0.002
        )
    for n, seg in enumerate(made):
        video = packets(seg, "v")
        assert video[0][1], f"segment {n} does not start on a keyframe"
        assert min(t for t, _ in video) == pytest.approx(plan.cuts[n] + hls.TS_BASE, abs=0.1)


@needs_ffprobe
@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("hevc.mkv", ["-c:v", "libx265", "-x265-params", "log-level=error", "-c:a", "aac"]),
        ("clip.avi", ["-c:v", "mpeg4", "-c:a", "libmp3lame"]),
    ],
)
def test_encoded_segments_start_where_the_playlist_says(
    tmp_path: Path, name: str, extra: list[str]
) -> None:
    src = factory.video(tmp_path / name, 14, "160x120", [*sine(14), *extra, "-shortest"])
    info = probe_video(src)
    assert info.playable == "transcode"
    source = hls.Source(info.duration, info.video_codec, info.audio_codec, info.playable)
    plan = hls.encode_plan(source, 4, hls.Encoder(max_height=96))
    assert plan.cuts == (0.0, 4.0, 8.0, 12.0)
    made = make_all(plan, src, tmp_path / "out")
    frames = 0
    for n, seg in enumerate(made):
        facts = ffmpeg.probe(seg)
        video = next(s for s in facts["streams"] if s["codec_type"] == "video")
        assert video["codec_name"] == "h264" and (video["width"], video["height"]) == (128, 96)
        assert any(
            s["codec_type"] == "audio" and s["codec_name"] == "aac" for s in facts["streams"]
        )
        assert float(video["start_time"]) == pytest.approx(plan.cuts[n] + hls.TS_BASE, abs=0.01)
        frames += len(packets(seg, "v"))
    assert frames == len(packets(src, "v"))  # 10 fps, 14 s: every frame once


def test_a_failed_run_says_why(tmp_path: Path) -> None:
    bad = tmp_path / "bad.avi"
    bad.write_bytes(b"RIFF" + bytes(5000))
    plan = hls.encode_plan(hls.Source(10.0, "mpeg4", None, "transcode"), 6, hls.Encoder())
    job = hls.segment_args(plan, bad, 0, tmp_path)
    with pytest.raises(FFmpegError, match="ffmpeg failed"):
        ffmpeg.start(job.args).check()
    with pytest.raises(FFmpegError, match="no segment"):
        hls.finished(job)


def test_a_started_ffmpeg_can_be_killed(tmp_path: Path) -> None:
    proc = ffmpeg.start(["-f", "lavfi", "-i", "testsrc=duration=600", "-f", "null", "-"])
    assert proc.poll() is None
    proc.kill()
    assert proc.poll() is not None
    proc.kill()  # again: nothing
    assert math.isfinite(proc.pid)
