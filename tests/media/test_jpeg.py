"""The fast JPEG header reader agrees with Pillow, and never raises."""

from __future__ import annotations

import io
import random
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image

from mediashelf.media.images import read_info
from mediashelf.media.jpeg import read_header
from tests import factory


def _pillow_info(data: bytes) -> tuple[int, int, int | None]:
    with Image.open(io.BytesIO(data)) as img:
        exif = img.getexif()
        return img.width, img.height, exif.get(0x0112)


@pytest.mark.parametrize("orientation", [None, 1, 2, 3, 4, 5, 6, 7, 8])
@pytest.mark.parametrize("size", [(64, 48), (1, 1), (3000, 17)])
def test_agrees_with_pillow(tmp_path: Path, orientation: int | None, size: tuple[int, int]) -> None:
    taken = datetime(2019, 2, 3, 4, 5, 6)
    path = factory.jpeg(tmp_path / "a.jpg", size, taken_at=taken, orientation=orientation)
    data = path.read_bytes()
    header = read_header(data)
    assert header is not None
    assert (header.width, header.height, header.orientation) == _pillow_info(data)
    assert header.date == "2019:02:03 04:05:06"
    # read_info with the head (the fast path) equals read_info from the file (Pillow).
    assert read_info(path, head=data[:65536]) == read_info(path)


def test_datetime_fallback_progressive_and_cmyk(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0132] = "2001:01:01 00:00:01"
    Image.new("RGB", (40, 30), "red").save(p := tmp_path / "p.jpg", progressive=True, exif=exif)
    h = read_header(p.read_bytes())
    assert h is not None and (h.width, h.height, h.date) == (40, 30, "2001:01:01 00:00:01")
    Image.new("CMYK", (20, 10)).save(c := tmp_path / "c.jpg")
    h = read_header(c.read_bytes())
    assert h is not None and (h.width, h.height, h.orientation, h.date) == (20, 10, None, None)


def test_not_a_jpeg_or_cut_short_gives_none_never_an_error(tmp_path: Path) -> None:
    data = factory.jpeg(tmp_path / "a.jpg", (50, 40), taken_at=datetime(2020, 1, 1)).read_bytes()
    assert read_header(b"\x89PNG\r\n\x1a\n") is None
    assert read_header(b"") is None
    sof = data.index(b"\xff\xc0")
    assert read_header(data[:sof]) is None  # the frame header is past the head
    rng = random.Random(1)
    for _ in range(2000):  # truncations and corruptions: None or a value, never a raise
        cut = bytearray(data[: rng.randrange(len(data))])
        if cut and rng.random() < 0.5:
            cut[rng.randrange(len(cut))] = rng.randrange(256)
        got = read_header(bytes(cut))
        assert got is None or (got.width, got.height) > (0, 0)
