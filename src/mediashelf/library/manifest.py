"""The seed gallery's manifest.json and thumbnails.json, written from the database."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from mediashelf.config import Settings
from mediashelf.db.models import Item, Root
from mediashelf.library.cache import thumbnail_path
from mediashelf.library.clock import utcnow
from mediashelf.library.roots import in_library
from mediashelf.media.images import write_atomic


def build(engine: Engine, settings: Settings) -> tuple[dict[str, Any], dict[str, Any]]:
    """(manifest, thumbnails map) for every present item."""
    query = (
        select(
            Root.path,
            Item.rel_path,
            Item.kind,
            Item.mime,
            Item.size,
            Item.mtime_ns,
            Item.width,
            Item.height,
            Item.taken_at,
            Item.fingerprint,
            Item.error,
        )
        .join(Root, Root.id == Item.root_id)
        .where(Item.status == "present", in_library(settings))
        .order_by(Root.path, Item.rel_path)
    )
    entries = []
    thumbs: dict[str, dict[str, str]] = {}
    with engine.connect() as conn:
        for row in conn.execute(query):
            path = os.path.join(row.path, row.rel_path)
            entries.append(
                {
                    "path": path,
                    "root": row.path,
                    "rel_path": row.rel_path,
                    "type": row.kind,
                    "mime": row.mime,
                    "size": row.size,
                    "mtime": row.mtime_ns / 1e9,
                    "width": row.width,
                    "height": row.height,
                    "taken_at": row.taken_at.isoformat() if row.taken_at else None,
                    "fingerprint": row.fingerprint,
                    "error": row.error,
                }
            )
            if row.fingerprint and not row.error:
                made = {
                    name: str(
                        thumbnail_path(
                            settings.cache_dir, row.fingerprint, px, settings.thumbnails_ext
                        )
                    )
                    for name, px in settings.thumbnail_sizes.items()
                }
                if all(Path(p).exists() for p in made.values()):
                    thumbs[path] = made
    manifest = {"generated_at": utcnow().isoformat() + "Z", "count": len(entries), "items": entries}
    return manifest, thumbs


def write(engine: Engine, settings: Settings) -> tuple[int, int]:
    """Write both files atomically; returns (items, items with thumbnails)."""
    manifest, thumbs = build(engine, settings)
    for path, data in ((settings.manifest_file, manifest), (settings.thumbnails_file, thumbs)):
        write_atomic(Path(path), json.dumps(data, indent=1, ensure_ascii=False).encode())
    return len(manifest["items"]), len(thumbs)
