"""Where derived files live: CACHE_DIR/<kind>/ab/cd/<fingerprint>_<variant>.

Sharded two levels deep by fingerprint so that no folder holds 10^5 files.
The path is a pure function of (fingerprint, kind, variant): a job that makes
the same file twice writes the same path.
"""

from __future__ import annotations

import os
import re
import shutil
import time
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


def remove_leftovers(cache_dir: Path, older_than_s: float = 3600) -> int:
    """Delete temporaries (`.name.PID.tmp`, `.name.PID.part…`) that a killed process left.

    Finished files only ever appear by rename, so these were never visible;
    this only gives back their disk space. Recent ones may still be in use.
    """
    limit = time.time() - older_than_s
    removed = 0
    stack = [str(cache_dir)]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name.startswith(".") and ".part" in entry.name:
                    _remove_tree_if_old(entry.path, limit)
                else:
                    stack.append(entry.path)
            elif entry.name.startswith(".") and (
                entry.name.endswith(".tmp") or ".part" in entry.name
            ):
                try:
                    if entry.stat(follow_symlinks=False).st_mtime < limit:
                        os.unlink(entry.path)
                        removed += 1
                except OSError:
                    pass
    return removed


def _remove_tree_if_old(path: str, limit: float) -> None:
    try:
        if os.stat(path).st_mtime < limit:
            shutil.rmtree(path, ignore_errors=True)
    except OSError:
        pass
