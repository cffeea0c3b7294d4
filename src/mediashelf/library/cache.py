"""Where derived files live: CACHE_DIR/<kind>/ab/cd/<fingerprint>_<variant>.

Sharded two levels deep by fingerprint so that no folder holds 10^5 files.
The path is a pure function of (fingerprint, kind, variant): a job that makes
the same file twice writes the same path.
"""

from __future__ import annotations

import re
from pathlib import Path

_FINGERPRINT = re.compile(r"[0-9a-f]{32}")


def is_fingerprint(text: str) -> bool:
    return _FINGERPRINT.fullmatch(text) is not None


def derived_relpath(fingerprint: str, kind: str, variant: str) -> str:
    if not is_fingerprint(fingerprint):
        raise ValueError(f"not a fingerprint: {fingerprint!r}")
    return f"{kind}/{fingerprint[:2]}/{fingerprint[2:4]}/{fingerprint}_{variant}"


def thumbnail_variant(size: int, ext: str) -> str:
    return f"{size}{ext}"


def thumbnail_path(cache_dir: Path, fingerprint: str, size: int, ext: str) -> Path:
    return cache_dir / derived_relpath(fingerprint, "thumbnail", thumbnail_variant(size, ext))
