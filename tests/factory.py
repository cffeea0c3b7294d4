"""Media made on the fly: real files written by Pillow and ffmpeg."""

from __future__ import annotations

import io
import os
import subprocess
from datetime import datetime
from pathlib import Path

from PIL import Image

from mediashelf.media.ffmpeg import ffmpeg_binary


def jpeg(
    path: Path,
    size: tuple[int, int] = (64, 48),
    color: tuple[int, int, int] = (200, 40, 40),
    *,
    taken_at: datetime | None = None,
    orientation: int | None = None,
    quality: int = 90,
    seed: int | None = None,
) -> Path:
    """A JPEG; `seed` draws a distinct pattern so contents (and fingerprints) differ."""
    img = Image.new("RGB", size, color)
    if seed is not None:
        px = img.load()
        assert px is not None
        for i in range(min(size[0], 32)):
            px[i, 0] = ((seed >> (i % 24)) & 255, (seed * 7 + i) & 255, i * 8 & 255)
    exif = Image.Exif()
    if taken_at is not None:
        exif.get_ifd(0x8769)[0x9003] = taken_at.strftime("%Y:%m:%d %H:%M:%S")
    if orientation is not None:
        exif[0x0112] = orientation
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, "JPEG", quality=quality, exif=exif.tobytes())
    return path


def png(
    path: Path, size: tuple[int, int] = (64, 48), mode: str = "RGB", color: object = None
) -> Path:
    img = Image.new(mode, size, color if color is not None else 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, "PNG")
    return path


def encoded(img: Image.Image, fmt: str, **params: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **params)
    return buf.getvalue()


def video(
    path: Path, seconds: float = 1.0, size: str = "160x120", extra: list[str] | None = None
) -> Path:
    """A real video made by ffmpeg from its lavfi test source."""
    path.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        ffmpeg_binary(),
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        f"testsrc=duration={seconds}:size={size}:rate=10",
        *(extra or ["-c:v", "libx264", "-pix_fmt", "yuv420p"]),
        f"file:{path}",
    ]
    subprocess.run(cmd, check=True, timeout=60, env={**os.environ, "AV_LOG_FORCE_NOCOLOR": "1"})
    return path
