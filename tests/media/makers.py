"""Media that tests/factory.py does not make: pictures stored for an EXIF
orientation, PNGs written chunk by chunk (huge ones, cut-short ones), and
hand-built ICC profiles."""

from __future__ import annotations

import struct
import zlib
from datetime import datetime
from pathlib import Path

from PIL import Image

RED = (255, 0, 0)
WHITE = (255, 255, 255)

# What a viewer shows: 60x40, white, with a red block in the top-left corner.
DISPLAYED_SIZE = (60, 40)
BLOCK = (0, 0, 15, 10)

# How to store the displayed picture so that a viewer honouring EXIF
# Orientation N shows it upright again. From the tag's definition (TIFF 6.0):
# N says where the stored 0th row and 0th column lie on the displayed picture.
#   2: row 0 = top, column 0 = right        -> mirror left-right
#   3: row 0 = bottom, column 0 = right     -> turn 180
#   4: row 0 = bottom, column 0 = left      -> mirror top-bottom
#   5: row 0 = left, column 0 = top         -> transpose (swap x and y)
#   6: row 0 = right, column 0 = top        -> turn 90 counter-clockwise
#   7: row 0 = right, column 0 = bottom     -> transverse
#   8: row 0 = left, column 0 = bottom      -> turn 90 clockwise
_T = Image.Transpose
STORE_FOR = {
    1: None,
    2: _T.FLIP_LEFT_RIGHT,
    3: _T.ROTATE_180,
    4: _T.FLIP_TOP_BOTTOM,
    5: _T.TRANSPOSE,
    6: _T.ROTATE_90,  # Pillow's ROTATE_90 is counter-clockwise
    7: _T.TRANSVERSE,
    8: _T.ROTATE_270,
}


def displayed_picture() -> Image.Image:
    img = Image.new("RGB", DISPLAYED_SIZE, WHITE)
    img.paste(RED, BLOCK)
    return img


def stored_for(orientation: int) -> Image.Image:
    """The displayed picture, as a camera would store it with this orientation."""
    method = STORE_FOR[orientation]
    img = displayed_picture()
    return img if method is None else img.transpose(method)


def exif_bytes(
    *,
    orientation: int | None = None,
    original: datetime | str | None = None,
    modified: datetime | str | None = None,
) -> bytes:
    """An EXIF block: Orientation, DateTimeOriginal (EXIF IFD), DateTime (IFD0)."""
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    if original is not None:
        exif.get_ifd(0x8769)[0x9003] = _exif_date(original)
    if modified is not None:
        exif[0x0132] = _exif_date(modified)
    return exif.tobytes()


def _exif_date(value: datetime | str) -> str:
    return value.strftime("%Y:%m:%d %H:%M:%S") if isinstance(value, datetime) else value


# -- PNG, chunk by chunk ------------------------------------------------------


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def bilevel_png(path: Path, width: int, height: int, *, broken_pixels: bool = False) -> Path:
    """A black 1-bit greyscale PNG of any size, streamed so it never sits in memory.

    With `broken_pixels`, the header is whole but the compressed pixel data is
    garbage: reading the header works, any decode must fail.
    """
    if broken_pixels:
        idat = b"\x78\x9c" + b"\xff" * 64  # a zlib header, then no valid deflate block
    else:
        row = b"\x00" + bytes((width + 7) // 8)  # filter type 0, then the packed bits
        packer = zlib.compressobj(1)
        parts = []
        for start in range(0, height, 1024):
            parts.append(packer.compress(row * min(1024, height - start)))
        parts.append(packer.flush())
        idat = b"".join(parts)
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(b"\x89PNG\r\n\x1a\n")
        fh.write(_chunk(b"IHDR", ihdr))
        fh.write(_chunk(b"IDAT", idat))
        fh.write(_chunk(b"IEND", b""))
    return path


def cut_after_header(png: bytes) -> bytes:
    """A PNG's bytes up to and including the first few bytes of its first IDAT."""
    at = png.index(b"IDAT")
    return png[: at + 4 + 8]


# -- ICC profiles ---------------------------------------------------------------

# The sRGB colourants, adapted to the D50 PCS, as in the sRGB ICC profile.
SRGB_RED = (0.4361, 0.2225, 0.0139)
SRGB_GREEN = (0.3851, 0.7169, 0.0971)
SRGB_BLUE = (0.1431, 0.0606, 0.7141)
D50 = (0.9642, 1.0, 0.8249)


def _s15f16(*values: float) -> bytes:
    return b"".join(struct.pack(">i", round(v * 65536)) for v in values)


def _xyz_tag(xyz: tuple[float, float, float]) -> bytes:
    return b"XYZ \x00\x00\x00\x00" + _s15f16(*xyz)


def _text_desc(text: str) -> bytes:
    ascii_ = text.encode("ascii") + b"\x00"
    return (
        b"desc\x00\x00\x00\x00"
        + struct.pack(">I", len(ascii_))
        + ascii_
        + struct.pack(">II", 0, 0)  # no Unicode description
        + struct.pack(">HB", 0, 0)  # no ScriptCode description
        + bytes(67)
    )


def rgb_matrix_profile(
    red: tuple[float, float, float],
    green: tuple[float, float, float],
    blue: tuple[float, float, float],
    *,
    gamma: float = 2.2,
    description: str = "mediashelf test RGB",
) -> bytes:
    """A minimal ICC v2 display profile: RGB -> XYZ by a 3x3 matrix and a gamma curve.

    `red`, `green`, `blue` are the XYZ (D50) colourants of full-intensity
    R, G and B: give SRGB_GREEN as `red` and stored pure red means sRGB green.
    """
    curve = b"curv\x00\x00\x00\x00" + struct.pack(">IH", 1, round(gamma * 256))
    tags = [
        (b"desc", _text_desc(description)),
        (b"cprt", b"text\x00\x00\x00\x00No copyright, test data\x00"),
        (b"wtpt", _xyz_tag(D50)),
        (b"rXYZ", _xyz_tag(red)),
        (b"gXYZ", _xyz_tag(green)),
        (b"bXYZ", _xyz_tag(blue)),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
    ]
    table_end = 128 + 4 + 12 * len(tags)
    entries = b""
    body = b""
    for sig, data in tags:
        offset = table_end + len(body)
        entries += sig + struct.pack(">II", offset, len(data))
        body += data + bytes(-len(data) % 4)  # every tag starts on a 4-byte boundary
    size = table_end + len(body)
    header = (
        struct.pack(">I", size)
        + b"lcms"
        + bytes([2, 0x10, 0, 0])  # version 2.1
        + b"mntr"
        + b"RGB "
        + b"XYZ "
        + struct.pack(">6H", 2024, 1, 1, 0, 0, 0)
        + b"acsp"
        + b"APPL"
        + bytes(4)  # flags
        + bytes(4)  # manufacturer
        + bytes(4)  # model
        + bytes(8)  # attributes
        + struct.pack(">I", 0)  # perceptual
        + _s15f16(*D50)
        + b"lcms"
        + bytes(16)  # profile ID
        + bytes(28)  # reserved
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + entries + body
