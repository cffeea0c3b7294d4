"""Where a video's preview media live, and which are still to make.

Keyed by content fingerprint and the settings that shape them, like
thumbnails (library/cache.py): new sizes give new paths, and new URLs.
"""

from __future__ import annotations

from pathlib import Path

from mediashelf.config import Settings
from mediashelf.library.cache import derived_relpath

KINDS = ("sprites", "previews", "teaser")


def sprites_dir(settings: Settings, fp: str) -> Path:
    """A folder: sheetNNN.jpg and sprites.vtt (its cues name the sheets relatively)."""
    return settings.cache_dir / derived_relpath(fp, "sprites", str(settings.sprite_width))


def strip_path(settings: Settings, fp: str) -> Path:
    variant = f"{settings.preview_frame_count}x{settings.preview_frame_height}.jpg"
    return settings.cache_dir / derived_relpath(fp, "previews", variant)


def teaser_widths(settings: Settings) -> dict[str, int]:
    sizes = {"small": settings.teaser_small_width, "large": settings.teaser_large_width}
    return {name: width for name, width in sizes.items() if width}


def teaser_path(settings: Settings, fp: str, width: int) -> Path:
    return settings.cache_dir / derived_relpath(fp, "teaser", f"{width}.mp4")


def enabled(settings: Settings) -> list[str]:
    """The preview kinds the settings ask for."""
    on = {
        "sprites": settings.video_sprites,
        "previews": settings.video_preview_frames,
        "teaser": bool(teaser_widths(settings)),
    }
    return [kind for kind in KINDS if on[kind]]


def made(settings: Settings, kind: str, fp: str) -> bool:
    if kind == "sprites":
        return (sprites_dir(settings, fp) / "sprites.vtt").is_file()
    if kind == "previews":
        return strip_path(settings, fp).is_file()
    return all(teaser_path(settings, fp, w).is_file() for w in teaser_widths(settings).values())
