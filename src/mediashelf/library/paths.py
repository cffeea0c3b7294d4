"""Confinement: every path that comes from outside must stay under a root."""

from __future__ import annotations

import os
from pathlib import Path


def confine(root: Path | str, rel: str) -> Path | None:
    """The real path of `rel` under `root`, or None if it would leave the root.

    Rejects NUL bytes, absolute paths, drive letters and backslashes (a
    `..\\` on Windows-made requests), then resolves symlinks and `..` and
    checks the result is still inside the root's own real path.
    """
    if not rel or "\x00" in rel or "\\" in rel:
        return None
    if rel.startswith("/") or (len(rel) > 1 and rel[1] == ":"):
        return None
    root_real = os.path.realpath(root)
    candidate = os.path.realpath(os.path.join(root_real, rel))
    if candidate != root_real and not candidate.startswith(root_real + os.sep):
        return None
    return Path(candidate)


def is_inside(root_real: str, path: str) -> bool:
    """Whether the real path of `path` lies inside `root_real` (already real)."""
    real = os.path.realpath(path)
    return real == root_real or real.startswith(root_real + os.sep)
