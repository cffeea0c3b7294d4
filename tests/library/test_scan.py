"""The scanner: new, changed, moved, missing, and what it must never do."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, select

from mediashelf.config import Settings
from mediashelf.db.models import Item
from mediashelf.library.scan import scan
from tests import factory


def rows(engine: Engine) -> dict[str, Item]:
    with engine.connect() as conn:
        return {r.rel_path: r for r in conn.execute(select(Item))}


def test_new_files_are_recorded_with_facts(settings: Settings, engine: Engine, media: Path) -> None:
    taken = datetime(2021, 6, 5, 14, 30, 0)
    factory.jpeg(media / "a.jpg", (120, 80), taken_at=taken)
    factory.jpeg(media / "sub" / "b.jpeg", (64, 48), orientation=6)
    factory.video(media / "clip.mp4")
    (media / "notes.txt").write_text("not media")

    report = scan(engine, settings)

    assert report.new == 3 and report.errors == []
    got = rows(engine)
    assert set(got) == {"a.jpg", "sub/b.jpeg", "clip.mp4"}
    a = got["a.jpg"]
    assert (a.kind, a.mime, a.width, a.height, a.taken_at) == ("image", "image/jpeg", 120, 80, taken)
    assert a.date == taken and a.size == (media / "a.jpg").stat().st_size
    assert len(a.fingerprint) == 32
    b = got["sub/b.jpeg"]
    assert (b.folder, b.name, b.width, b.height) == ("sub", "b.jpeg", 48, 64)  # rotated 90°
    assert got["clip.mp4"].kind == "video" and got["clip.mp4"].mime == "video/mp4"
