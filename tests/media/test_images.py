"""make_thumbnails and read_info on real files made on the fly."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image, ImageCms

from mediashelf.media.images import (
    ImageError,
    ImageInfo,
    Thumb,
    fit,
    make_thumbnails,
    read_info,
    write_atomic,
)
from tests.factory import encoded, jpeg
from tests.media.makers import (
    BLOCK,
    DISPLAYED_SIZE,
    RED,
    SRGB_BLUE,
    SRGB_GREEN,
    SRGB_RED,
    WHITE,
    bilevel_png,
    cut_after_header,
    exif_bytes,
    rgb_matrix_profile,
    stored_for,
)

Color = Sequence[float]


def near(actual: Color, expected: Color, tol: float = 12) -> bool:
    return len(actual) == len(expected) and all(
        abs(a - e) <= tol for a, e in zip(actual, expected, strict=True)
    )


def one_thumb(src: Path, dst: Path, longest: int = 64, **kwargs: int) -> Image.Image:
    """The thumbnail of `src` at `dst`, loaded (the file is closed)."""
    [thumb] = make_thumbnails(src, [(longest, dst)], **kwargs)
    assert thumb.path == dst
    with Image.open(dst) as img:
        img.load()
        assert img.size == (thumb.width, thumb.height)
        return img


def px(img: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    value = img.getpixel(xy)
    assert isinstance(value, tuple)
    return value


def grey(img: Image.Image, xy: tuple[int, int]) -> int:
    value = img.getpixel(xy)
    assert isinstance(value, int)
    return value


def save(path: Path, img: Image.Image, fmt: str, **params: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, fmt, **params)
    return path


# -- EXIF orientation -------------------------------------------------------------


def assert_upright(img: Image.Image) -> None:
    """The displayed picture: its size, and the red block in the top-left corner only."""
    assert img.size == DISPLAYED_SIZE
    rgb = img.convert("RGB")
    w, h = rgb.size
    bx, by = BLOCK[2] // 2, BLOCK[3] // 2  # the middle of the block
    assert near(px(rgb, (bx, by)), RED, 40), "red block is not top-left"
    for corner in [(w - 1 - bx, by), (bx, h - 1 - by), (w - 1 - bx, h - 1 - by)]:
        assert near(px(rgb, corner), WHITE, 40), f"other corner {corner} is not white"


@pytest.mark.parametrize("orientation", range(1, 9))
def test_jpeg_exif_orientation_is_applied(tmp_path: Path, orientation: int) -> None:
    stored = stored_for(orientation)
    if orientation >= 5:
        assert stored.size == DISPLAYED_SIZE[::-1]
    src = save(
        tmp_path / "o.jpg", stored, "JPEG", quality=95, exif=exif_bytes(orientation=orientation)
    )

    info = read_info(src)
    assert (info.width, info.height) == DISPLAYED_SIZE

    webp, jpg = make_thumbnails(src, [(60, tmp_path / "t.webp"), (30, tmp_path / "t.jpg")])
    assert (webp.width, webp.height) == DISPLAYED_SIZE
    assert (jpg.width, jpg.height) == (30, 20)
    with Image.open(webp.path) as img:
        assert_upright(img)


@pytest.mark.parametrize("orientation", [3, 5, 6, 8])
@pytest.mark.parametrize(
    ("fmt", "ext"),
    [("PNG", "png"), ("WEBP", "webp"), ("TIFF", "tif"), ("HEIF", "heic"), ("AVIF", "avif")],
)
def test_other_formats_exif_orientation(
    tmp_path: Path, fmt: str, ext: str, orientation: int
) -> None:
    params: dict[str, object] = {"exif": exif_bytes(orientation=orientation)}
    if fmt in ("WEBP", "HEIF", "AVIF"):
        params["quality"] = 95
    src = save(tmp_path / f"o.{ext}", stored_for(orientation), fmt, **params)

    info = read_info(src)
    assert (info.width, info.height) == DISPLAYED_SIZE
    assert_upright(one_thumb(src, tmp_path / "t.webp", 60))


# -- colour: CMYK, 16-bit, ICC ------------------------------------------------------


@pytest.mark.parametrize(
    ("cmyk", "rgb"),
    [
        ((0, 255, 255, 0), (255, 0, 0)),
        ((255, 0, 0, 0), (0, 255, 255)),
        ((0, 0, 0, 128), (127, 127, 127)),
    ],
)
def test_cmyk_jpeg_becomes_rgb(tmp_path: Path, cmyk: tuple[int, ...], rgb: Color) -> None:
    src = save(tmp_path / "c.jpg", Image.new("CMYK", (40, 30), cmyk), "JPEG", quality=95)
    with Image.open(src) as img:
        assert img.mode == "CMYK"
    for dst in (tmp_path / "t.webp", tmp_path / "t.jpg"):
        thumb = one_thumb(src, dst, 20)
        assert thumb.mode == "RGB"
        assert thumb.size == (20, 15)
        assert near(px(thumb, (10, 7)), rgb, 16)


def grey_bands(mode: str, values: Sequence[int], band: int = 20, height: int = 10) -> Image.Image:
    """Vertical bands of 16-bit grey values, built from raw bytes in `mode`'s byte order."""
    big = mode == "I;16B"
    row = b"".join(v.to_bytes(2, "big" if big else "little") * band for v in values)
    return Image.frombytes(mode, (band * len(values), height), row * height)


@pytest.mark.parametrize(
    ("mode", "fmt", "ext"),
    [("I;16", "PNG", "png"), ("I;16", "TIFF", "tif"), ("I;16B", "TIFF", "tif")],
)
def test_16_bit_grey_is_scaled_not_clipped(tmp_path: Path, mode: str, fmt: str, ext: str) -> None:
    src = save(tmp_path / f"g.{ext}", grey_bands(mode, [0, 8192, 32768, 65535]), fmt)
    with Image.open(src) as img:
        assert img.mode == mode  # really 16 bits per pixel on disk
    thumb = one_thumb(src, tmp_path / "t.webp", 80).convert("L")
    assert thumb.size == (80, 10)
    levels = [grey(thumb, (x, 5)) for x in (10, 30, 50, 70)]
    assert near(levels, [0, 32, 128, 255], 6), levels


def test_16_bit_gradient_is_not_all_white(tmp_path: Path) -> None:
    src = save(tmp_path / "g.png", grey_bands("I;16", list(range(0, 65536, 4096)), band=4), "PNG")
    thumb = one_thumb(src, tmp_path / "t.jpg", 64).convert("L")
    lo, hi = thumb.getextrema()
    assert isinstance(lo, int) and isinstance(hi, int)
    assert lo < 10 and hi > 230
    row = [grey(thumb, (x, 5)) for x in range(2, 64, 4)]
    assert row == sorted(row)  # still a gradient, left to right


SWAPPED_RG = rgb_matrix_profile(SRGB_GREEN, SRGB_RED, SRGB_BLUE, description="R and G swapped")


@pytest.mark.parametrize(("fmt", "ext"), [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")])
def test_icc_profile_is_converted_to_srgb(tmp_path: Path, fmt: str, ext: str) -> None:
    # In this profile a stored pure red is the colour sRGB calls pure green.
    img = Image.new("RGB", (40, 20), (255, 0, 0))
    img.paste((0, 0, 255), (20, 0, 40, 20))  # blue keeps its place
    params: dict[str, object] = {"icc_profile": SWAPPED_RG}
    if fmt != "PNG":
        params["quality"] = 95
    src = save(tmp_path / f"p.{ext}", img, fmt, **params)
    with Image.open(src) as opened:
        assert opened.info["icc_profile"] == SWAPPED_RG

    thumb = one_thumb(src, tmp_path / "t.webp", 40)
    assert near(px(thumb, (10, 10)), (0, 255, 0), 20)
    assert near(px(thumb, (30, 10)), (0, 0, 255), 20)


def test_icc_conversion_keeps_alpha(tmp_path: Path) -> None:
    img = Image.new("RGBA", (20, 20), (255, 0, 0, 255))
    img.paste((255, 0, 0, 0), (0, 0, 10, 20))
    src = save(tmp_path / "p.png", img, "PNG", icc_profile=SWAPPED_RG)
    thumb = one_thumb(src, tmp_path / "t.webp", 20)
    assert thumb.mode == "RGBA"
    assert px(thumb, (4, 10))[3] == 0
    assert near(px(thumb, (15, 10)), (0, 255, 0, 255), 20)


def test_srgb_profile_leaves_colours_alone(tmp_path: Path) -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    color = (200, 120, 40)
    src = save(tmp_path / "p.png", Image.new("RGB", (20, 20), color), "PNG", icc_profile=srgb)
    assert near(px(one_thumb(src, tmp_path / "t.webp", 20), (10, 10)), color, 8)


@pytest.mark.parametrize("icc", [b"garbage, not a profile", b"\x00" * 200, SWAPPED_RG[:150]])
def test_broken_icc_profile_is_ignored(tmp_path: Path, icc: bytes) -> None:
    color = (30, 160, 90)
    src = save(
        tmp_path / "p.jpg", Image.new("RGB", (40, 30), color), "JPEG", quality=95, icc_profile=icc
    )
    with Image.open(src) as opened:
        assert opened.info["icc_profile"] == icc
    thumb = one_thumb(src, tmp_path / "t.webp", 40)
    assert thumb.size == (40, 30)
    assert near(px(thumb, (20, 15)), color)


# -- alpha and transparency ---------------------------------------------------------


def half_transparent() -> Image.Image:
    """Left half fully transparent (black underneath), right half red at alpha 128."""
    img = Image.new("RGBA", (40, 20), (0, 0, 0, 0))
    img.paste((255, 0, 0, 128), (20, 0, 40, 20))
    return img


def test_alpha_kept_in_webp(tmp_path: Path) -> None:
    src = save(tmp_path / "a.png", half_transparent(), "PNG")
    thumb = one_thumb(src, tmp_path / "t.webp", 40)
    assert thumb.mode == "RGBA"
    assert px(thumb, (5, 10))[3] == 0
    right = px(thumb, (30, 10))
    assert abs(right[3] - 128) <= 4
    assert near(right[:3], RED, 16)


def test_alpha_flattened_on_white_in_jpeg(tmp_path: Path) -> None:
    src = save(tmp_path / "a.png", half_transparent(), "PNG")
    thumb = one_thumb(src, tmp_path / "t.jpg", 40)
    assert thumb.mode == "RGB"
    assert near(px(thumb, (5, 10)), WHITE, 6)  # transparent black shows as white
    assert near(px(thumb, (30, 10)), (255, 127, 127), 16)  # red half over white


def transparent_index_gif() -> Image.Image:
    img = Image.new("P", (20, 20), 0)
    img.putpalette([0, 0, 0, 255, 0, 0] + [0] * (254 * 3))
    img.paste(1, (10, 0, 20, 20))
    return img


@pytest.mark.parametrize(
    ("make", "params"),
    [
        (transparent_index_gif, {"format": "GIF", "transparency": 0}),
        (lambda: Image.new("L", (20, 20), 0), {"format": "PNG", "transparency": 0}),  # tRNS
        (
            lambda: Image.new("RGB", (20, 20), (0, 0, 0)),
            {"format": "PNG", "transparency": (0, 0, 0)},
        ),
        (lambda: Image.new("LA", (20, 20), (0, 0)), {"format": "PNG"}),
    ],
    ids=["gif-index", "grey-trns", "rgb-trns", "grey-alpha"],
)
def test_other_kinds_of_transparency(
    tmp_path: Path, make: object, params: dict[str, object]
) -> None:
    assert callable(make)
    img = make()
    fmt = str(params.pop("format"))
    src = save(tmp_path / f"x.{fmt.lower()}", img, fmt, **params)

    flat = one_thumb(src, tmp_path / "t.jpg", 20).convert("RGB")
    assert near(px(flat, (3, 10)), WHITE, 6)  # transparent black shows as white
    kept = one_thumb(src, tmp_path / "t.webp", 20)
    assert kept.mode == "RGBA"
    assert px(kept, (3, 10))[3] == 0


# -- animation -------------------------------------------------------------------


FRAMES = [(220, 30, 30), (30, 200, 40), (40, 40, 210)]


@pytest.mark.parametrize(("fmt", "ext"), [("GIF", "gif"), ("WEBP", "webp"), ("PNG", "png")])
def test_animation_thumbnail_is_first_frame(tmp_path: Path, fmt: str, ext: str) -> None:
    frames = [Image.new("RGB", (30, 20), c) for c in FRAMES]
    params: dict[str, object] = {"save_all": True, "append_images": frames[1:], "duration": 100}
    if fmt == "WEBP":
        params["lossless"] = True
    src = save(tmp_path / f"anim.{ext}", frames[0], fmt, **params)
    with Image.open(src) as img:
        assert getattr(img, "n_frames", 1) == 3
    thumb = one_thumb(src, tmp_path / "t.webp", 30)
    assert thumb.size == (30, 20)
    assert near(px(thumb, (15, 10))[:3], FRAMES[0])


# -- HEIC, AVIF, and the rest ------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "ext"),
    [
        ("HEIF", "heic"),
        ("AVIF", "avif"),
        ("WEBP", "webp"),
        ("BMP", "bmp"),
        ("TIFF", "tif"),
        ("GIF", "gif"),
        ("PNG", "png"),
        ("JPEG", "jpg"),
    ],
)
def test_formats(tmp_path: Path, fmt: str, ext: str) -> None:
    color = (30, 160, 90)
    img = Image.new("RGB", (120, 80), color)
    img.paste((250, 250, 40), (0, 0, 60, 80))
    params: dict[str, object] = {"quality": 95} if fmt in ("HEIF", "AVIF", "WEBP", "JPEG") else {}
    src = save(tmp_path / f"x.{ext}", img, fmt, **params)
    info = read_info(src)
    assert (info.width, info.height) == (120, 80)

    big, small = make_thumbnails(src, [(60, tmp_path / "l.webp"), (30, tmp_path / "s.jpg")])
    assert (big.width, big.height, small.width, small.height) == (60, 40, 30, 20)
    with Image.open(big.path) as thumb:
        assert thumb.format == "WEBP"
        assert near(px(thumb, (45, 20)), color, 14)
        assert near(px(thumb, (15, 20)), (250, 250, 40), 14)
    with Image.open(small.path) as thumb:
        assert thumb.format == "JPEG"
        assert near(px(thumb, (22, 10)), color, 14)


# -- limits and broken files -------------------------------------------------------


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real 30000x30000 PNG: 900 MP, half a megabyte on disk."""
    return bilevel_png(tmp_path_factory.mktemp("bomb") / "bomb.png", 30000, 30000)


def test_decompression_bomb_is_refused(bomb: Path, tmp_path: Path) -> None:
    with pytest.raises(ImageError, match=r"30000x30000.*MAX_IMAGE_PIXELS"):
        make_thumbnails(bomb, [(256, tmp_path / "t.webp")])
    assert list(tmp_path.iterdir()) == []
    info = read_info(bomb)
    assert (info.width, info.height) == (30000, 30000)


def test_oversized_image_is_refused_before_decoding(tmp_path: Path) -> None:
    # The pixel data is garbage: any decode would fail with another message.
    src = bilevel_png(tmp_path / "broken.png", 30000, 30000, broken_pixels=True)
    with pytest.raises(ImageError, match="MAX_IMAGE_PIXELS"):
        make_thumbnails(src, [(256, tmp_path / "t.webp")])


def test_max_pixels_is_the_limit(tmp_path: Path) -> None:
    src = save(tmp_path / "x.png", Image.new("RGB", (200, 100), (1, 2, 3)), "PNG")
    with pytest.raises(ImageError, match="MAX_IMAGE_PIXELS"):
        make_thumbnails(src, [(50, tmp_path / "t.webp")], max_pixels=19_999)
    [thumb] = make_thumbnails(src, [(50, tmp_path / "t.webp")], max_pixels=20_000)
    assert (thumb.width, thumb.height) == (50, 25)


def noisy_jpeg(path: Path, size: tuple[int, int] = (200, 150)) -> Path:
    return save(path, Image.effect_noise(size, 60).convert("RGB"), "JPEG", quality=90)


@pytest.mark.parametrize("case", ["truncated", "empty", "random", "text", "missing"])
def test_unreadable_files_raise_image_error(tmp_path: Path, case: str) -> None:
    src = tmp_path / "bad.jpg"
    if case == "truncated":
        data = noisy_jpeg(tmp_path / "good.jpg").read_bytes()
        src.write_bytes(data[: len(data) // 2])
    elif case == "empty":
        src.write_bytes(b"")
    elif case == "random":
        src.write_bytes(os.urandom(4096))
    elif case == "text":
        src.write_text("<html><body>not a picture</body></html>")

    with pytest.raises(ImageError) as caught:
        make_thumbnails(src, [(64, tmp_path / "out" / "t.webp")])
    message = str(caught.value)
    assert message.startswith("cannot decode image: ") and len(message) > 25
    assert not (tmp_path / "out").exists()

    if case == "truncated":
        info = read_info(src)  # the header is whole; nothing is decoded
        assert (info.width, info.height) == (200, 150)
    else:
        with pytest.raises(ImageError, match=r"cannot read image header: \S"):
            read_info(src)


@pytest.mark.filterwarnings("ignore:.*:UserWarning")  # Pillow on corrupt TIFF tags
@pytest.mark.parametrize("fmt", ["AVIF", "HEIF", "JPEG", "PNG", "GIF", "WEBP", "TIFF", "BMP"])
def test_damaged_files_raise_only_image_error(tmp_path: Path, fmt: str) -> None:
    # One byte flipped at a time, across the whole file. Decoders answer with
    # many exception types (libavif and libheif: RuntimeError); callers catch
    # ImageError only, so every failure must come out as that.
    img = Image.effect_noise((24, 16), 60).convert("RGB")
    data = encoded(img if fmt != "GIF" else img.convert("P"), fmt)
    src, dst = tmp_path / "damaged", tmp_path / "t.webp"
    step = max(1, len(data) // 200)
    failures = 0
    for i in range(0, len(data), step):
        damaged = bytearray(data)
        damaged[i] ^= 0xFF
        src.write_bytes(damaged)
        for call in ("thumbnails", "info"):
            try:
                if call == "thumbnails":
                    make_thumbnails(src, [(16, dst)])
                else:
                    read_info(src)
            except ImageError as exc:
                assert len(str(exc)) > 25, f"no readable reason: {exc!r}"
                failures += 1
    assert failures > 0  # the damage was noticed at least somewhere


# -- sizes and the single reduced decode ---------------------------------------------


def big_jpeg(path: Path, size: tuple[int, int], orientation: int | None = None) -> Path:
    img = Image.new("RGB", size, (90, 120, 150))
    img.paste((250, 40, 40), (0, 0, size[0] // 4, size[1] // 4))
    exif = exif_bytes(orientation=orientation) if orientation else b""
    return save(path, img, "JPEG", quality=85, exif=exif)


def test_sizes_from_a_large_jpeg(tmp_path: Path) -> None:
    src = big_jpeg(tmp_path / "big.jpg", (4000, 3000))
    targets = [(256, tmp_path / "s.webp"), (1024, tmp_path / "l.webp"), (512, tmp_path / "m.jpg")]
    thumbs = make_thumbnails(src, targets)
    assert [(t.path.name, t.width, t.height) for t in thumbs] == [
        ("l.webp", 1024, 768),
        ("m.jpg", 512, 384),
        ("s.webp", 256, 192),
    ]
    for t in thumbs:
        with Image.open(t.path) as img:
            assert img.size == (t.width, t.height)
            assert near(px(img.convert("RGB"), (5, 5)), (250, 40, 40), 20)
        assert t.bytes == t.path.stat().st_size


def test_sizes_follow_orientation(tmp_path: Path) -> None:
    src = big_jpeg(tmp_path / "big.jpg", (4000, 3000), orientation=6)
    thumbs = make_thumbnails(src, [(1024, tmp_path / "l.webp"), (256, tmp_path / "s.webp")])
    assert [(t.width, t.height) for t in thumbs] == [(768, 1024), (192, 256)]


def test_small_source_is_never_enlarged(tmp_path: Path) -> None:
    src = jpeg(tmp_path / "small.jpg", size=(100, 80))
    thumbs = make_thumbnails(
        src, [(1024, tmp_path / "l.webp"), (512, tmp_path / "m.webp"), (256, tmp_path / "s.jpg")]
    )
    assert [(t.width, t.height) for t in thumbs] == [(100, 80)] * 3
    for t in thumbs:
        with Image.open(t.path) as img:
            assert img.size == (100, 80)


def test_fit() -> None:
    assert fit((4000, 3000), 1024) == (1024, 768)
    assert fit((3000, 4000), 1024) == (768, 1024)
    assert fit((100, 80), 256) == (100, 80)
    assert fit((10000, 3), 100) == (100, 1)  # never zero


_PEAK_MEMORY = """
import resource, sys
from pathlib import Path
from mediashelf.media.images import make_thumbnails
out = Path(sys.argv[2])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
make_thumbnails(sys.argv[1], [(1024, out / "l.webp"), (512, out / "m.webp"), (256, out / "s.webp")])
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print((after - before) // 1024)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in KiB on Linux only")
def test_large_jpeg_is_decoded_at_reduced_scale(tmp_path: Path) -> None:
    # 6000x4000 RGB is 72 MB decoded in full (and more again to turn and
    # resize it); at the DCT's 1/4 scale it is 1500x1000, 4.5 MB. The peak
    # memory of a fresh process tells which happened.
    src = big_jpeg(tmp_path / "big.jpg", (6000, 4000))
    out = subprocess.run(
        [sys.executable, "-c", _PEAK_MEMORY, str(src), str(tmp_path)],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    grew_mb = int(out.stdout.strip())
    assert grew_mb < 50, f"peak memory grew by {grew_mb} MB: the JPEG was decoded in full"
    with Image.open(tmp_path / "l.webp") as img:
        assert img.size == (1024, 683)


# -- writing --------------------------------------------------------------------------


def test_thumbnails_land_at_requested_paths_atomically(tmp_path: Path) -> None:
    src = jpeg(tmp_path / "p.jpg", size=(300, 200))
    out = tmp_path / "cache" / "ab" / "cd"
    targets = [(128, out / "x" / "128.webp"), (64, out / "y" / "64.jpg")]
    thumbs = make_thumbnails(src, targets)
    color = thumbs[0].color  # the picture's average colour, the same on every size
    assert color is not None and color.startswith("#") and len(color) == 7
    assert thumbs == [
        Thumb(out / "x" / "128.webp", 128, 85, (out / "x" / "128.webp").stat().st_size, color),
        Thumb(out / "y" / "64.jpg", 64, 43, (out / "y" / "64.jpg").stat().st_size, color),
    ]
    every = sorted(
        p.relative_to(tmp_path / "cache").as_posix() for p in (tmp_path / "cache").rglob("*")
    )
    assert every == ["ab", "ab/cd", "ab/cd/x", "ab/cd/x/128.webp", "ab/cd/y", "ab/cd/y/64.jpg"]
    with Image.open(out / "x" / "128.webp") as img:
        assert img.format == "WEBP"
    with Image.open(out / "y" / "64.jpg") as img:
        assert img.format == "JPEG"

    # Made again: replaced in place, still no leftovers.
    make_thumbnails(src, targets)
    assert sorted(os.listdir(out / "x")) == ["128.webp"]


@pytest.mark.parametrize("ext", ["jpg", "webp"])
def test_quality_is_passed_to_the_encoder(tmp_path: Path, ext: str) -> None:
    src = noisy_jpeg(tmp_path / "n.jpg", (300, 200))
    [low] = make_thumbnails(src, [(300, tmp_path / f"low.{ext}")], quality=10)
    [high] = make_thumbnails(src, [(300, tmp_path / f"high.{ext}")], quality=95)
    assert low.bytes < high.bytes / 2


def test_write_atomic_replaces_and_cleans_up(tmp_path: Path) -> None:
    dst = tmp_path / "a" / "b.bin"
    write_atomic(dst, b"one")
    write_atomic(dst, memoryview(b"two"))
    assert dst.read_bytes() == b"two"
    assert os.listdir(dst.parent) == ["b.bin"]

    blocked = tmp_path / "dir"
    (blocked / "inside").mkdir(parents=True)  # a non-empty folder cannot be replaced
    with pytest.raises(OSError):
        write_atomic(blocked, b"data")
    assert sorted(os.listdir(tmp_path)) == ["a", "dir"]


# -- read_info ---------------------------------------------------------------------


def test_read_info_date_taken(tmp_path: Path) -> None:
    when = datetime(2021, 6, 5, 14, 30, 15)
    src = jpeg(tmp_path / "p.jpg", size=(64, 48), taken_at=when)
    assert read_info(src) == read_info(src, src.read_bytes()[:4096])
    info = read_info(src)
    assert (info.width, info.height, info.taken_at) == (64, 48, when)


@pytest.mark.parametrize(
    ("original", "modified", "expected"),
    [
        ("2020:01:02 03:04:05", None, datetime(2020, 1, 2, 3, 4, 5)),
        (None, "2019:12:31 23:59:59", datetime(2019, 12, 31, 23, 59, 59)),
        ("2020:01:02 03:04:05", "2022:02:02 02:02:02", datetime(2020, 1, 2, 3, 4, 5)),
        ("2020:01:02 03:04:05\x00", None, datetime(2020, 1, 2, 3, 4, 5)),
        ("not a date", None, None),
        ("0000:00:00 00:00:00", None, None),
        ("2020:13:45 99:00:00", None, None),
        ("    :  :     :  :  ", None, None),
        (None, None, None),
    ],
)
def test_read_info_exif_dates(
    tmp_path: Path, original: str | None, modified: str | None, expected: datetime | None
) -> None:
    src = save(
        tmp_path / "p.jpg",
        Image.new("RGB", (30, 20)),
        "JPEG",
        exif=exif_bytes(original=original, modified=modified),
    )
    assert read_info(src).taken_at == expected


@pytest.mark.parametrize(
    ("fmt", "ext"), [("PNG", "png"), ("WEBP", "webp"), ("TIFF", "tif"), ("HEIF", "heic")]
)
def test_read_info_dates_in_other_formats(tmp_path: Path, fmt: str, ext: str) -> None:
    when = datetime(2018, 3, 4, 5, 6, 7)
    src = save(
        tmp_path / f"p.{ext}", Image.new("RGB", (30, 20)), fmt, exif=exif_bytes(original=when)
    )
    assert read_info(src) == read_info(src, src.read_bytes()) == ImageInfo(30, 20, when)


def test_read_info_uses_head_first(tmp_path: Path) -> None:
    # The head is another picture's: what comes back shows which was read.
    on_disk = jpeg(tmp_path / "disk.jpg", size=(30, 20))
    other = encoded(
        Image.new("RGB", (90, 70)), "JPEG", exif=exif_bytes(original="2001:02:03 04:05:06")
    )
    info = read_info(on_disk, other)
    assert (info.width, info.height, info.taken_at) == (90, 70, datetime(2001, 2, 3, 4, 5, 6))


@pytest.mark.parametrize("length", [0, 3, 20, 200])
def test_read_info_short_head_falls_back_to_file(tmp_path: Path, length: int) -> None:
    when = datetime(2011, 1, 1, 1, 1, 1)
    on_disk = jpeg(tmp_path / "disk.jpg", size=(30, 20), taken_at=when)
    info = read_info(on_disk, on_disk.read_bytes()[:length])
    assert (info.width, info.height, info.taken_at) == (30, 20, when)


@pytest.mark.parametrize("taken_at", [None, datetime(2015, 5, 5, 5, 5, 5)])
def test_read_info_png_head_reads_only_the_header(
    tmp_path: Path, taken_at: datetime | None
) -> None:
    # A scan's head ends inside the pixel data; the chunks before it suffice.
    exif = exif_bytes(original=taken_at) if taken_at else b""
    big = encoded(Image.effect_noise((300, 200), 50), "PNG", exif=exif)
    on_disk = save(tmp_path / "disk.png", Image.new("RGB", (30, 20)), "PNG")
    assert read_info(on_disk, cut_after_header(big)) == ImageInfo(300, 200, taken_at)


def test_read_info_does_not_decode_pixels(tmp_path: Path) -> None:
    # The pixel data is garbage: a decode would fail.
    src = bilevel_png(tmp_path / "broken.png", 3000, 4000, broken_pixels=True)
    with pytest.raises(ImageError):
        make_thumbnails(src, [(64, tmp_path / "t.webp")], max_pixels=10**9)
    info = read_info(src)
    assert (info.width, info.height) == (3000, 4000)


def test_read_info_tiff_orientation_not_swapped_twice(tmp_path: Path) -> None:
    img = Image.new("RGB", (40, 60))
    src = save(tmp_path / "p.tif", img, "TIFF", exif=exif_bytes(orientation=6))
    info = read_info(src)
    assert (info.width, info.height) == (60, 40)
    assert one_thumb(src, tmp_path / "t.webp", 60).size == (60, 40)


def test_read_info_garbage_exif_does_not_crash(tmp_path: Path) -> None:
    src = save(
        tmp_path / "p.jpg",
        Image.new("RGB", (30, 20)),
        "JPEG",
        exif=b"Exif\x00\x00" + bytes(range(256)) * 4,
    )
    info = read_info(src)
    assert (info.width, info.height) == (30, 20)
    assert one_thumb(src, tmp_path / "t.webp", 30).size == (30, 20)


def test_read_info_short_heic_head_falls_back_to_file(tmp_path: Path) -> None:
    data = encoded(Image.new("RGB", (50, 40), (9, 9, 9)), "HEIF")
    src = tmp_path / "p.heic"
    src.write_bytes(data)
    assert read_info(src, data[:64]) == read_info(src) == ImageInfo(50, 40, None)
