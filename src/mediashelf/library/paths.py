"""Confinement: every path that comes from outside must stay under a root."""

from __future__ import annotations

import os
from pathlib import Path


def confine(root: Path | str, rel: str) -> Path | None:
    """The real path of `rel` under `root`, or None if it would leave the root.

    Rejects NUL bytes, absolute paths and backslashes (a `..\\` on
    Windows-made requests), then resolves symlinks and `..` and checks the
    result is still inside the root's own real path. That check is what
    confines: a drive letter (`C:x`) needs no rule of its own, and on POSIX
    `a:b.jpg` is an ordinary name.
    """
    if not rel or "\x00" in rel or "\\" in rel or rel.startswith("/"):
        return None
    root_real = os.path.realpath(root)
    candidate = _real(os.path.join(root_real, rel))
    if not _within(root_real, candidate):
        return None
    return Path(candidate)


def is_inside(root_real: str, path: str) -> bool:
    """Whether the real path of `path` lies inside `root_real` (already real)."""
    return _within(root_real, _real(path))


def _real(path: str) -> str:
    # Twice: at a symlink loop realpath stops resolving and then drops `..` as text,
    # so `loop/../link` comes back as `link`, unresolved. Its result has no `..` left,
    # so a second pass resolves what the first skipped.
    return os.path.realpath(os.path.realpath(path))


def _within(root_real: str, real: str) -> bool:
    # rstrip: a root of "/" is itself the separator
    return real == root_real or real.startswith(root_real.rstrip(os.sep) + os.sep)
