"""Image facts and thumbnails, with Pillow.

`make_thumbnails` decodes once, at the smallest JPEG DCT scale that still
covers the largest size (draft mode), applies EXIF orientation and the ICC
profile, and then chains down: large from the decode, medium from large,
small from medium.
"""

from __future__ import annotations

import io
import math
import os
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import pillow_heif
from PIL import Image, ImageCms, ImageOps, TiffImagePlugin

from mediashelf.media.jpeg import read_header

pillow_heif.register_heif_opener()
# Our own limit (max_pixels below) is checked before any decode; Pillow's
# global guard would fire first, at a fixed 179 MP, so it is lifted here.
Image.MAX_IMAGE_PIXELS = None

_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL = 0x9003
_DATETIME = 0x0132
_ORIENTATION = 0x0112
_SRGB = ImageCms.createProfile("sRGB")
# Measured on a 12 MP JPEG (docs/performance.md): WebP method 0 encodes the
# three sizes in 31 ms, the default method 4 in 98 ms; files are ~10% larger.
_WEBP_METHOD = 0


class ImageError(Exception):
    """An image that cannot be read; the message says why."""


@dataclass(frozen=True)
class ImageInfo:
    width: int  # as displayed, after EXIF orientation
    height: int
    taken_at: datetime | None


@dataclass(frozen=True)
class Thumb:
    path: Path
    width: int
    height: int
    bytes: int
    color: str | None = None  # the picture's average colour, "#rrggbb": a placeholder


def read_info(path: Path | str, head: bytes | None = None) -> ImageInfo:
    """Size and capture time from the header; nothing is decoded.

    `head`, the file's first bytes if the caller has them, is tried first so
    that a scan reads each file only once; the file is opened if it falls short.
    """
    if head is not None:
        jpeg = read_header(head)
        if jpeg is not None:
            turned = jpeg.orientation in (5, 6, 7, 8)
            width, height = (jpeg.height, jpeg.width) if turned else (jpeg.width, jpeg.height)
            return ImageInfo(width, height, _parse_exif_date(jpeg.date))
        try:
            with Image.open(io.BytesIO(head)) as img:
                return _info(img)
        except Exception:  # noqa: S110 - the head was too short; read the file instead
            pass
    try:
        with Image.open(path) as img:
            return _info(img)
    except Exception as exc:  # decoders raise many types (libavif: RuntimeError)
        raise ImageError(f"cannot read image header: {_reason(exc)}") from None


def _info(img: Image.Image) -> ImageInfo:
    width, height = img.size
    # The base method reads the EXIF found in the header. PNG's own override
    # decodes every pixel to look for an eXIf chunk after the image data.
    exif = Image.Image.getexif(img)
    if exif.get(_ORIENTATION) in (5, 6, 7, 8) and not _size_is_turned(img):
        width, height = height, width
    raw = exif.get_ifd(_EXIF_IFD).get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
    return ImageInfo(width, height, _parse_exif_date(raw))


def _size_is_turned(img: Image.Image) -> bool:
    """Whether Pillow already reports the displayed size, as newer ones do for TIFF."""
    if isinstance(img, TiffImagePlugin.TiffImageFile):
        stored = (img.tag_v2.get(256), img.tag_v2.get(257))  # ImageWidth, ImageLength
        return img.size != stored
    return False


def _reason(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


def _parse_exif_date(raw: object) -> datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        return datetime.strptime(raw.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None


def fit(size: tuple[int, int], longest: int) -> tuple[int, int]:
    """`size` scaled so its longest side is `longest`; never enlarged."""
    w, h = size
    scale = min(1.0, longest / max(w, h))
    return max(1, round(w * scale)), max(1, round(h * scale))


def make_thumbnails(
    src: Path | str,
    targets: list[tuple[int, Path]],
    *,
    quality: int = 80,
    max_pixels: int = 200_000_000,
) -> list[Thumb]:
    """Write one thumbnail per (longest side, destination path), from one decode.

    The format follows each destination's suffix (.webp or .jpg). Writes are
    atomic. Raises ImageError for anything that is not a readable image.
    """
    ordered = sorted(targets, key=lambda t: t[0], reverse=True)
    pixels = _decode(src, ordered[0][0], max_pixels)
    made = []
    current = pixels
    for longest, dst in ordered:
        size = fit(pixels.size, longest)
        if current.size != size:
            # From the decode: HAMMING (sharp, no box artefacts at odd ratios). Down
            # the chain the steps are about 2x, where BOX is a plain area average,
            # as good and 35% faster (bench/thumbs.py).
            chained = current is not pixels
            resample = Image.Resampling.BOX if chained else Image.Resampling.HAMMING
            current = current.resize(size, resample, reducing_gap=None if chained else 2.0)
        made.append(_save(current, Path(dst), quality))
    color = average_color(current)  # from the smallest: the same colour, the least work
    return [replace(thumb, color=color) for thumb in made]


def average_color(img: Image.Image) -> str:
    """The mean colour of `img` as "#rrggbb" (what a page shows until the thumbnail
    loads)."""
    pixel = img.convert("RGB").resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
    assert isinstance(pixel, tuple)
    r, g, b = pixel[:3]
    return f"#{r:02x}{g:02x}{b:02x}"


def make_crop(
    src: Path | str,
    dst: Path,
    box: tuple[float, float, float, float],
    longest: int,
    *,
    quality: int = 80,
    max_pixels: int = 200_000_000,
) -> Thumb:
    """Write the part `box` (x, y, width, height in 0..1 of the upright image) of `src`,
    scaled so its longest side is at most `longest`. Atomic; ImageError if unreadable."""
    x, y, bw, bh = box
    # Decode just large enough that the crop still has `longest` pixels (DCT scaling).
    pixels = _decode(src, math.ceil(longest / min(bw, bh)), max_pixels)
    w, h = pixels.size
    left, top = round(x * w), round(y * h)
    right, bottom = max(left + 1, round((x + bw) * w)), max(top + 1, round((y + bh) * h))
    part = pixels.crop((left, top, min(right, w), min(bottom, h)))
    size = fit(part.size, longest)
    if part.size != size:
        part = part.resize(size, Image.Resampling.HAMMING, reducing_gap=2.0)
    return _save(part, dst, quality)


def _decode(src: Path | str, longest: int, max_pixels: int) -> Image.Image:
    """The upright, sRGB pixels of `src`, decoded at no less than `longest` on the long
    side where the format can scale while decoding (JPEG)."""
    try:
        with Image.open(src) as img:
            w, h = img.size
            if w * h > max_pixels:
                raise ImageError(
                    f"image is {w}x{h} ({w * h / 1e6:.0f} MP), over the MAX_IMAGE_PIXELS "
                    f"limit of {max_pixels / 1e6:.0f} MP"
                )
            img.draft("RGB", fit((w, h), longest))  # JPEG only: DCT scaling
            img.load()
            return _to_display(img)
    except ImageError:
        raise
    except Exception as exc:  # a broken file makes decoders raise all sorts of types
        raise ImageError(f"cannot decode image: {_reason(exc)}") from None


def _to_display(img: Image.Image) -> Image.Image:
    """Upright, sRGB, 8-bit RGB or RGBA (or L), first frame only."""
    icc = img.info.get("icc_profile")
    ImageOps.exif_transpose(img, in_place=True)  # a copy only when it must rotate
    if img.mode.startswith("I"):  # "I;16", "I;16B" (big-endian TIFF), ..., "I"
        # 16-bit greyscale: scale to 8 bits (a plain convert would clip to white).
        # Through "I", as point() cannot scale "I;16B".
        img = img.convert("I").point(lambda v: v / 256).convert("L")
    elif img.mode in ("F", "1"):
        img = img.convert("L")
    elif img.mode in ("P", "PA", "LA", "La", "RGBa"):
        img = img.convert("RGBA")
    elif img.mode in ("L", "RGB") and "transparency" in img.info:
        img = img.convert("RGBA")  # a PNG tRNS colour: transparent, not that colour
    if icc:
        img = _to_srgb(img, icc)
    if img.mode not in ("RGB", "RGBA", "L"):
        img = img.convert("RGB")
    if img.mode == "RGBA" and img.getchannel("A").getextrema() == (255, 255):
        img = img.convert("RGB")  # fully opaque: drop the useless alpha
    return img


def _to_srgb(img: Image.Image, icc: bytes) -> Image.Image:
    mode = "RGBA" if img.mode == "RGBA" else "RGB"
    try:
        src_profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        converted = ImageCms.profileToProfile(img, src_profile, _SRGB, outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return img  # a broken profile: show the pixels as they are
    return converted or img


def _save(img: Image.Image, dst: Path, quality: int) -> Thumb:
    buf = io.BytesIO()
    if dst.suffix == ".webp":
        img.save(buf, "WEBP", quality=quality, method=_WEBP_METHOD)
    else:
        if img.mode == "RGBA":
            flat = Image.new("RGB", img.size, "white")
            flat.paste(img, mask=img.getchannel("A"))
            img = flat
        img.save(buf, "JPEG", quality=quality)
    data = buf.getbuffer()
    write_atomic(dst, data)
    return Thumb(dst, img.width, img.height, len(data))


def write_atomic(dst: Path, data: bytes | memoryview) -> None:
    """Write `data` to `dst` through a temporary file and a rename."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
