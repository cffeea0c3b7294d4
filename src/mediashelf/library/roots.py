"""Which roots are in the library now, and which folders may become one.

The roots are MEDIA_DIR, or the list an admin set in the dashboard (a tunable setting:
library/tunables.py). A root taken out keeps its rows, so its items and everything
keyed to them come back if it is put back; until then nothing lists, serves
or thumbnails them.
"""

from __future__ import annotations

import os

from sqlalchemy import ColumnElement, select

from mediashelf.config import Settings
from mediashelf.db.models import Item, Root


def in_library(settings: Settings) -> ColumnElement[bool]:
    """A condition on items: under one of the configured roots."""
    return Item.root_id.in_(select(Root.id).where(Root.path.in_(settings.root_paths)))


# Folders that are never a library: the system's own. A root may sit under /mnt, /srv,
# /home, /media, /data...; not at /, nor in these.
SYSTEM = ("/", "/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/run", "/sbin",
          "/sys", "/usr", "/var/lib", "/var/log")  # fmt: skip


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def check_new_root(path: str, settings: Settings, roots: list[str] | None = None) -> str:
    """The real path of a folder an admin wants as a new library root; ValueError with
    the reason when it cannot be one: not absolute, missing, not a readable folder, a
    system folder, Mediashelf's own data or cache folder, or overlapping a root (one
    file would then be two items). `roots`: the roots in force (default: the settings')."""
    if not path or "\x00" in path or not os.path.isabs(path):
        raise ValueError(f"give an absolute path (got {path!r})")
    real = os.path.realpath(path)
    if not os.path.isdir(real):
        raise ValueError(f"{path} is not a folder on the server")
    if not os.access(real, os.R_OK | os.X_OK):
        raise ValueError(f"{path} cannot be read by the server's user")
    if real == "/" or any(_inside(real, s) for s in SYSTEM if s != "/"):
        raise ValueError(f"{path} is a system folder: choose a folder of your media")
    for own in (settings.data_dir, settings.cache_dir):
        mine = os.path.realpath(own)
        if _inside(real, mine) or _inside(mine, real):
            raise ValueError(f"{path} holds Mediashelf's own files ({own})")
    for root in settings.root_paths if roots is None else roots:
        if _inside(real, root) or _inside(root, real):
            same = "is" if real == root else "overlaps"
            raise ValueError(f"{path} {same} the library root {root}")
    return real
