"""Finding ffmpeg: the system's when present, else the one imageio-ffmpeg ships.

The full wrapper (argument lists, timeouts, partial output removed on
failure) arrives with video support.
"""

from __future__ import annotations

import shutil
from functools import cache


@cache
def ffmpeg_binary() -> str:
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg
    except ImportError:  # pragma: no cover - a dependency; only a broken install lacks it
        raise RuntimeError(
            "ffmpeg not found: install ffmpeg or `pip install imageio-ffmpeg`"
        ) from None
    return str(imageio_ffmpeg.get_ffmpeg_exe())
