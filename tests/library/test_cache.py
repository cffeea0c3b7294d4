"""The cache layout, and the clean-up of what killed workers leave behind."""

from __future__ import annotations

import os
import time
from pathlib import Path

from mediashelf.library.cache import remove_leftovers, thumbnail_path


def _aged(path: Path, seconds: float) -> Path:
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def test_old_temporaries_go_finished_files_and_fresh_ones_stay(tmp_path: Path) -> None:
    done = thumbnail_path(tmp_path, "ab" * 16, 256, ".webp")
    done.parent.mkdir(parents=True)
    done.write_bytes(b"thumb")
    _aged(done, 7200)
    stale = done.with_name(f".{done.name}.4242.tmp")
    stale.write_bytes(b"half")
    _aged(stale, 7200)
    fresh = done.with_name(f".{done.name}.4343.tmp")
    fresh.write_bytes(b"being written")
    part_dir = done.with_name(".sprites.99.part")
    part_dir.mkdir()
    (part_dir / "sheet001.jpg").write_bytes(b"x")
    _aged(part_dir, 7200)
    hidden_user_file = tmp_path / ".keep"  # not one of ours: left alone
    hidden_user_file.write_bytes(b"")
    _aged(hidden_user_file, 7200)

    assert remove_leftovers(tmp_path) == 1
    assert done.exists() and fresh.exists() and hidden_user_file.exists()
    assert not stale.exists() and not part_dir.exists()
