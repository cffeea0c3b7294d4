"""Video preview media, from real clips made on the fly by ffmpeg's lavfi sources."""

from __future__ import annotations

import itertools
import math
import re
import struct
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from mediashelf.media import ffmpeg, video
from mediashelf.media.ffmpeg import FFmpegError
from mediashelf.media.probe import probe_video
from tests import factory

pytestmark = pytest.mark.skipif(ffmpeg.ffprobe_binary() is None, reason="no ffprobe here")


def clip(
    path: Path,
    source: str,
    *,
    codec: list[str] | None = None,
    audio: bool = False,
    graph: str | None = None,
) -> Path:
    """A clip from one lavfi source (`graph` joins extra `;`-separated sources)."""
    args = ["-f", "lavfi", "-i", source]
    if audio:
        args += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=8000", "-shortest"]
        args += ["-map", "0:v", "-map", "1:a", "-c:a", "aac"]
    if graph:
        args += ["-filter_complex", graph]
    args += codec or ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    return ffmpeg.make(args, path, timeout=120)


FORMATS = {  # file name: codec arguments
    "h264.mp4": ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"],
    "hevc.mkv": ["-c:v", "libx265", "-x265-params", "log-level=error", "-pix_fmt", "yuv420p"],
    "vp9.webm": ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8"],
    "mpeg4.avi": ["-c:v", "mpeg4", "-q:v", "3"],
    "h264.mov": ["-c:v", "libx264", "-preset", "ultrafast", "-bf", "3", "-pix_fmt", "yuv420p"],
}


def seconds_clip(path: Path, seconds: int, gop: int = 10, rate: float = 10) -> Path:
    """64x36; the luma of every frame tells its second (see second_luma)."""
    src = f"color=c=black:size=64x36:rate={rate}:duration={seconds}"
    src += ",geq=lum='mod(floor(T)\\,10)*20+30':cb=128:cr=128"
    return clip(path, src, codec=[*FORMATS[path.name], "-g", str(gop)])


def second_luma(t: float) -> float:
    """The luma of seconds_clip's frames at `t`, as decoded (full range)."""
    return ((int(t) % 10) * 20 + 30 - 16) * 255 / 219


def rotated(src: Path, dst: Path) -> Path:
    """`src` remuxed with a 90-degree display matrix, as a phone stores a portrait clip."""
    copy = ["-i", ffmpeg.src(src), "-c", "copy"]
    try:  # ffmpeg 6+
        ffmpeg.make(["-display_rotation", "90", *copy], dst, timeout=30)
    except FFmpegError:  # older: the rotate tag
        ffmpeg.make([*copy, "-metadata:s:v:0", "rotate=90"], dst, timeout=30)
    return dst


def luma(img: Image.Image, box: tuple[int, int, int, int]) -> float:
    return float(ImageStat.Stat(img.convert("L").crop(box)).mean[0])


def parse_vtt(text: str) -> list[tuple[float, float, str, tuple[int, int, int, int]]]:
    assert text.startswith("WEBVTT\n")
    cue = re.compile(r"(\S+) --> (\S+)\n(\S+)#xywh=(\d+),(\d+),(\d+),(\d+)\n")
    out = []
    for m in cue.finditer(text):
        a, b, name, *xywh = m.groups()
        x, y, w, h = map(int, xywh)
        out.append((stamp(a), stamp(b), name, (x, y, w, h)))
    assert len(out) == text.count("-->")
    return out


def stamp(text: str) -> float:
    h, m, s = text.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def top_boxes(path: Path) -> list[str]:
    """The top-level MP4 box types, in file order."""
    data, pos, kinds = path.read_bytes(), 0, []
    while pos + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if size == 1:
            size = struct.unpack(">Q", data[pos + 8 : pos + 16])[0]
        kinds.append(kind.decode("latin-1"))
        pos += size if size else len(data)
    return kinds


def check_sprites(s: video.Sprites, duration: float) -> None:
    cues = parse_vtt(s.vtt.read_text())
    assert len(cues) == s.count <= 100
    assert cues[0][0] == 0
    assert cues[-1][1] == pytest.approx(duration, abs=0.002)
    for (a, b, _, _), (c, _, _, _) in itertools.pairwise(cues):
        assert a < b == c  # increasing, no holes
    sizes = {}
    for sheet in s.sheets:
        with Image.open(sheet) as img:
            sizes[sheet.name] = img.size
            assert img.size == (s.columns * s.tile_width, s.rows * s.tile_height)
    for _, _, name, (x, y, w, h) in cues:
        assert (w, h) == (s.tile_width, s.tile_height)
        sw, sh = sizes[name]  # a file in the VTT's own folder
        assert x >= 0 and y >= 0 and x + w <= sw and y + h <= sh


# -- facts --------------------------------------------------------------------


def test_probe_sizes_and_rotation(tmp_path: Path) -> None:
    src = clip(tmp_path / "a.mp4", "testsrc=size=320x180:rate=10:duration=2", audio=True)
    info = probe_video(src)
    assert (info.width, info.height, info.video_codec, info.audio_codec) == (
        320,
        180,
        "h264",
        "aac",
    )
    assert info.duration == pytest.approx(2.0, abs=0.1)
    turned = probe_video(rotated(src, tmp_path / "r.mp4"))
    assert (turned.width, turned.height) == (180, 320)
    assert turned.rotation % 180 == 90


def test_keyframe_gap(tmp_path: Path) -> None:
    dense = seconds_clip(tmp_path / "h264.mp4", 30, gop=10)  # read whole
    assert video.keyframe_gap(dense, 30) == pytest.approx(1.0, abs=0.01)
    sparse = seconds_clip(tmp_path / "sparse" / "h264.mp4", 30, gop=1000)
    assert video.keyframe_gap(sparse, 30) == math.inf  # one keyframe, then a long tail
    assert video.keyframe_gap(sparse, 30, window=80) == pytest.approx(29.9, abs=0.01)
    long = seconds_clip(tmp_path / "long" / "h264.mp4", 200, gop=25)  # read in 3 windows
    assert video.keyframe_gap(long, 200) == pytest.approx(2.5, abs=0.01)


# -- poster -------------------------------------------------------------------


def test_poster_sizes(tmp_path: Path) -> None:
    src = factory.video(tmp_path / "v.mp4", seconds=3, size="640x360")
    targets = [(256, tmp_path / "s.webp"), (128, tmp_path / "xs.jpg"), (1024, tmp_path / "l.webp")]
    thumbs = video.make_poster(src, 3, targets)
    assert {t.path.name: (t.width, t.height) for t in thumbs} == {
        "l.webp": (640, 360),  # never enlarged
        "s.webp": (256, 144),
        "xs.jpg": (128, 72),
    }
    for t in thumbs:
        with Image.open(t.path) as img:
            assert img.size == (t.width, t.height)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["l.webp", "s.webp", "v.mp4", "xs.jpg"]


def test_poster_skips_a_black_intro(tmp_path: Path) -> None:
    graph = "[0:v][1:v]concat=n=2:v=1:a=0"
    args = ["-f", "lavfi", "-i", "color=c=black:size=160x90:rate=10:duration=3"]
    args += ["-f", "lavfi", "-i", "testsrc=size=160x90:rate=10:duration=7"]
    args += ["-filter_complex", graph, "-pix_fmt", "yuv420p"]
    src = ffmpeg.make(args, tmp_path / "b.mp4", timeout=60)
    (thumb,) = video.make_poster(src, 10, [(160, tmp_path / "p.png")])
    with Image.open(thumb.path) as img:
        assert video._dark_share(img) < 0.5
        assert luma(img, (0, 0, 160, 90)) > 60


def test_poster_of_a_black_video_is_its_least_black_frame(tmp_path: Path) -> None:
    src = clip(tmp_path / "k.mp4", "color=c=black:size=64x36:rate=5:duration=2")
    (thumb,) = video.make_poster(src, 2, [(64, tmp_path / "p.jpg")])
    assert (thumb.width, thumb.height) == (64, 36)


# -- sprites ------------------------------------------------------------------


@pytest.mark.parametrize("keyframes", [None, True, False])
@pytest.mark.parametrize("name", sorted(FORMATS))
def test_each_sprite_shows_its_cue(tmp_path: Path, name: str, keyframes: bool | None) -> None:
    src = seconds_clip(tmp_path / name, 25)  # a keyframe every second
    s = video.make_sprites(src, 25, tmp_path / "sprites", keyframes=keyframes)
    assert s.keyframes_only is (keyframes is not False)
    assert (s.interval, s.count, s.columns, s.rows) == (1, 25, 10, 3)
    assert (s.tile_width, s.tile_height) == (160, 90)
    check_sprites(s, 25)
    with Image.open(s.sheets[0]) as sheet:
        for k, (start, _, _, (x, y, w, h)) in enumerate(parse_vtt(s.vtt.read_text())):
            want = second_luma(start)
            assert luma(sheet, (x, y, x + w, y + h)) == pytest.approx(want, abs=6), k


def test_keyframes_twice_the_interval_apart_stretch_it(tmp_path: Path) -> None:
    src = seconds_clip(tmp_path / "h264.mp4", 30, gop=20)  # a keyframe every 2 s
    s = video.make_sprites(src, 30, tmp_path / "sprites")
    assert (s.keyframes_only, s.interval, s.count) == (True, 2, 15)
    check_sprites(s, 30)
    with Image.open(s.sheets[0]) as sheet:
        for start, _, _, (x, y, w, h) in parse_vtt(s.vtt.read_text()):
            assert luma(sheet, (x, y, x + w, y + h)) == pytest.approx(second_luma(start), abs=6)


def test_unused_keyframes_are_dropped_before_decoding(tmp_path: Path) -> None:
    # A keyframe every 2 s, a tile every 6 s: the keyframes no tile needs are dropped by
    # a stream copy piped into the decoding ffmpeg; each tile still shows its cue.
    src = seconds_clip(tmp_path / "h264.mp4", 600, gop=20)
    s = video.make_sprites(src, 600, tmp_path / "sprites", gop=2.0)
    assert (s.keyframes_only, s.interval, s.count) == (True, 6, 100)
    check_sprites(s, 600)
    with Image.open(s.sheets[0]) as sheet:
        for k, (start, _, _, (x, y, w, h)) in enumerate(parse_vtt(s.vtt.read_text())):
            want = second_luma(start)
            assert luma(sheet, (x, y, x + w, y + h)) == pytest.approx(want, abs=6), k


def test_sprites_over_several_sheets(tmp_path: Path) -> None:
    src = factory.video(tmp_path / "v.mp4", seconds=25, size="320x240")  # one keyframe
    s = video.make_sprites(src, 25, tmp_path / "sp", columns=4, rows=2)
    assert not s.keyframes_only
    assert [p.name for p in s.sheets] == [f"sheet{i:03d}.jpg" for i in (1, 2, 3, 4)]
    assert (s.tile_width, s.tile_height) == (160, 120)
    check_sprites(s, 25)
    assert sorted(p.name for p in (tmp_path / "sp").iterdir()) == [
        *(p.name for p in s.sheets),
        "sprites.vtt",
    ]


def test_sprite_interval() -> None:
    assert video.sprite_interval(5) == video.sprite_interval(100) == 1
    assert video.sprite_interval(101) == 2
    assert video.sprite_interval(600) == 6
    assert video.sprite_interval(3600) == 36
    for seconds in (1, 99.5, 150, 1234, 7201, 86400):
        assert seconds / video.sprite_interval(seconds) <= 100


@pytest.mark.parametrize("gop", [60, 14400])
def test_an_hour_stays_within_100_sprites(tmp_path: Path, gop: int) -> None:
    src = "testsrc=size=64x36:rate=2:duration=3600"
    codec = ["-c:v", "libx264", "-preset", "ultrafast", "-g", str(gop), "-pix_fmt", "yuv420p"]
    path = clip(tmp_path / "long.mp4", src, codec=codec)
    s = video.make_sprites(path, 3600, tmp_path / "sp")
    assert s.keyframes_only is (gop == 60)  # a keyframe every 30 s (< 36), or only one
    assert (s.interval, s.count, len(s.sheets)) == (36, 100, 1)
    check_sprites(s, 3600)


# -- preview strip ------------------------------------------------------------


def test_preview_strip(tmp_path: Path) -> None:
    src = seconds_clip(tmp_path / "h264.mp4", 20)
    strip = video.make_preview_frames(src, 20, tmp_path / "strip.jpg", count=10, height=30)
    assert strip.times == pytest.approx([1, 3, 5, 7, 9, 11, 13, 15, 17, 19])
    assert (strip.frame_width, strip.frame_height) == (53, 30)
    with Image.open(strip.path) as img:
        assert img.size == (530, 30)
        for i, t in enumerate(strip.times):
            box = (i * 53 + 4, 4, i * 53 + 49, 26)
            assert luma(img, box) == pytest.approx(second_luma(t), abs=6), i


@pytest.mark.parametrize("gop", [None, math.inf])
def test_preview_frames_snap_to_dense_keyframes(tmp_path: Path, gop: float | None) -> None:
    src = seconds_clip(tmp_path / "h264.mp4", 20, gop=20)  # a keyframe every 2 s
    strip = video.make_preview_frames(src, 20, tmp_path / "s.png", count=4, height=36, gop=gop)
    assert strip.times == [2.5, 7.5, 12.5, 17.5]
    with Image.open(strip.path) as img:
        shown = [luma(img, (i * 64, 0, i * 64 + 64, 36)) for i in range(4)]
    # Snapped: the last keyframe before t + 1 s (half a gap); else exact.
    seconds = [2, 8, 12, 18] if gop is None else [2, 7, 12, 17]
    assert shown == pytest.approx([second_luma(t) for t in seconds], abs=3)


def test_frames_are_those_on_screen_at_their_time(tmp_path: Path) -> None:
    src = seconds_clip(tmp_path / "h264.mp4", 20, rate=0.2)  # a slide show: a frame each 5 s
    strip = video.make_preview_frames(src, 20, tmp_path / "strip.png", count=4, height=36)
    assert strip.times == [2.5, 7.5, 12.5, 17.5]
    with Image.open(strip.path) as img:
        shown = [luma(img, (i * 64, 0, i * 64 + 64, 36)) for i in range(4)]
    assert shown == pytest.approx([second_luma(t) for t in (0, 5, 10, 15)], abs=3)
    # At 20% (4 s), the frame from 0 s is near-black: at 30% (6 s), the one from 5 s.
    (poster,) = video.make_poster(src, 20, [(64, tmp_path / "p.png")])
    with Image.open(poster.path) as img:
        assert luma(img, (0, 0, 64, 36)) == pytest.approx(second_luma(5), abs=3)


# -- teasers ------------------------------------------------------------------


def test_teaser_from_segments(tmp_path: Path) -> None:
    src = clip(tmp_path / "a.mp4", "testsrc=size=320x180:rate=25:duration=40", audio=True)
    t = video.make_teaser(src, 40, tmp_path / "t.mp4", width=160, segments=6, segment_seconds=1)
    assert (t.width, t.height, t.whole) == (160, 90, False)
    info = ffmpeg.probe(t.path)
    assert [s["codec_type"] for s in info["streams"]] == ["video"]  # silent
    (v,) = info["streams"]
    assert (v["codec_name"], v["pix_fmt"], v["width"], v["height"]) == ("h264", "yuv420p", 160, 90)
    assert float(info["format"]["duration"]) == pytest.approx(6, abs=0.2)
    boxes = top_boxes(t.path)
    assert boxes.index("moov") < boxes.index("mdat")  # +faststart


def test_small_and_large_teasers_from_one_pass(tmp_path: Path) -> None:
    src = clip(tmp_path / "a.mp4", "testsrc=size=640x360:rate=25:duration=40")
    outputs = [(160, tmp_path / "small.mp4"), (320, tmp_path / "large.mp4")]
    small, large = video.make_teasers(src, 40, outputs, segments=5, segment_seconds=1)
    assert (small.width, small.height, large.width, large.height) == (160, 90, 320, 180)
    assert small.duration == pytest.approx(5, abs=0.2)
    assert large.duration == pytest.approx(small.duration, abs=0.05)
    # All or nothing: a failure leaves neither file, nor any temporary.
    bad = [(160, tmp_path / "x" / "s.mp4"), (320, tmp_path / "x" / "l.mp4")]
    with pytest.raises(FFmpegError):
        video.make_teasers(tmp_path / "missing.mp4", 40, bad, segments=5, segment_seconds=1)
    assert not (tmp_path / "x").exists() or list((tmp_path / "x").iterdir()) == []


@pytest.mark.parametrize("gop", [None, math.inf])
def test_teaser_segments_start_on_keyframes_when_they_are_dense(
    tmp_path: Path, gop: float | None
) -> None:
    src = seconds_clip(tmp_path / "h264.mp4", 60)  # 10 fps, a keyframe every second
    assert video.teaser_starts(60, 3, 1) == pytest.approx([11.5, 29.5, 47.5])
    t = video.make_teaser(src, 60, tmp_path / "t.mp4", segments=3, segment_seconds=1, gop=gop)
    args = ["-i", ffmpeg.src(t.path), "-vf", "scale=1:1", "-f", "rawvideo", "-pix_fmt", "gray"]
    frames = list(ffmpeg.run([*args, "pipe:1"], timeout=30))
    # Snapped: from the keyframe before start + 0.5 s (half a gap); else exact.
    starts = [12, 30, 48] if gop is None else [11.5, 29.5, 47.5]
    want = [second_luma(s + i / 10) for s in starts for i in range(10)]
    assert frames == pytest.approx(want, abs=4)


def test_teaser_starts_skip_the_ends() -> None:
    starts = video.teaser_starts(100, 10, 1)
    assert starts is not None and len(starts) == 10
    assert starts[0] >= 5 and starts[-1] + 1 <= 95
    assert starts == sorted(starts)
    assert video.teaser_starts(15, 10, 1) is None


def test_a_short_video_is_its_own_teaser(tmp_path: Path) -> None:
    codec = ["-c:v", "libx264", "-pix_fmt", "yuv444p"]  # 4:4:4 allows odd sides
    src = factory.video(tmp_path / "v.mp4", seconds=4, size="321x181", extra=codec)
    t = video.make_teaser(src, 4, tmp_path / "t.mp4", width=640)
    assert (t.width, t.height, t.whole) == (320, 180, True)  # not enlarged; even
    assert t.duration == pytest.approx(4, abs=0.2)


# -- any video ----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_kind_of_video(tmp_path: Path, name: str) -> None:
    codec = [*FORMATS[name], "-g", "30"]
    src = clip(tmp_path / name, "testsrc=size=320x180:rate=10:duration=20", codec=codec)
    info = probe_video(src)
    assert (info.width, info.height, info.audio_codec) == (320, 180, None)
    assert info.duration == pytest.approx(20, abs=0.2)
    sprites = run_everything(src, info.duration, tmp_path / "out", (320, 180))
    assert not sprites.keyframes_only  # a keyframe every 3 s, a sprite every 1 s


def test_non_square_pixels(tmp_path: Path) -> None:
    codec = ["-vf", "setsar=4/3", *FORMATS["h264.mp4"]]
    src = clip(tmp_path / "a.mp4", "testsrc=size=240x180:rate=10:duration=4", codec=codec)
    info = probe_video(src)
    assert (info.width, info.height) == (320, 180)
    run_everything(src, info.duration, tmp_path / "out", (320, 180))


def test_a_rotated_phone_clip(tmp_path: Path) -> None:
    src = clip(tmp_path / "p.mp4", "testsrc=size=320x180:rate=10:duration=20", audio=True)
    turned = rotated(src, tmp_path / "r.mp4")
    run_everything(turned, 20, tmp_path / "out", (180, 320))


@pytest.mark.parametrize("name", ["-i.mp4", "http://x.mp4", "-vf x.mp4"])
def test_names_that_look_like_options_or_urls(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "-o" / "http:"
    factory.video(folder / name.replace("http://", "http:/"), seconds=2)
    path = f"{folder}/{name}"  # as a string: "http://" stays in it
    run_everything(path, 2, tmp_path / "out", (160, 120))


def run_everything(
    src: str | Path, duration: float, out: Path, size: tuple[int, int]
) -> video.Sprites:
    w, h = size
    (thumb,) = video.make_poster(src, duration, [(1024, out / "poster.webp")])
    assert (thumb.width, thumb.height) == size
    s = video.make_sprites(src, duration, out / "sprites")
    assert (s.tile_width, s.tile_height) == (160, round(160 * h / w))
    check_sprites(s, duration)
    strip = video.make_preview_frames(src, duration, out / "strip.jpg", count=4, height=90)
    assert (strip.frame_width, strip.frame_height) == (round(90 * w / h), 90)
    t = video.make_teaser(src, duration, out / "t.mp4", width=160, segments=2)
    assert (t.width, t.height) == (160, round(160 * h / w / 2) * 2)
    return s


# -- failures -----------------------------------------------------------------


def test_a_truncated_file_is_an_error(tmp_path: Path) -> None:
    src = factory.video(tmp_path / "v.mp4", seconds=5)  # moov at the end, as cameras write
    data = src.read_bytes()
    src.write_bytes(data[: len(data) // 2])
    expect_failure(src, tmp_path / "out", "moov atom not found")


@pytest.mark.parametrize("kind", ["text", "audio"])
def test_not_a_video_is_an_error(tmp_path: Path, kind: str) -> None:
    if kind == "text":
        src = tmp_path / "x.mp4"
        src.write_bytes(b"not a video at all\n" * 100)
        match = "Invalid data"
    else:
        args = ["-f", "lavfi", "-i", "sine=duration=3", "-c:a", "aac"]
        src = ffmpeg.make(args, tmp_path / "x.m4a", timeout=30)
        match = "no video stream|matches no streams"
    expect_failure(src, tmp_path / "out", match)


def expect_failure(src: Path, out: Path, match: str) -> None:
    with pytest.raises(FFmpegError, match=match):
        probe_video(src)
    with pytest.raises(FFmpegError, match=match):
        video.make_poster(src, 5, [(256, out / "p.webp")])
    with pytest.raises(FFmpegError, match=match):
        video.make_sprites(src, 5, out / "sprites")
    with pytest.raises(FFmpegError, match=match):
        video.make_preview_frames(src, 5, out / "strip.jpg")
    with pytest.raises(FFmpegError, match=match):
        video.make_teaser(src, 30, out / "t.mp4")
    assert not out.exists() or not any(out.rglob("*"))  # nothing half-written


def test_a_hung_ffmpeg_is_stopped(tmp_path: Path) -> None:
    src = factory.video(tmp_path / "v.mp4", seconds=5)
    with pytest.raises(FFmpegError, match="longer than"):
        video.make_sprites(src, 5, tmp_path / "sp", keyframes=False, timeout=0.001)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.mp4"]
