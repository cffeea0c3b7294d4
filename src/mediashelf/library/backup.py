"""Backups: everything people added, as one JSON document, and the nightly copy.

The document (format "mediashelf-backup", version 1) holds users (never their
password hashes, sessions or keys), the tunable settings, tags, performers,
studios, photosets, item details (title and source URL, for the items that have
one), item tags/performers/studios, ratings, views, favorites, captions (every
version), crops and content filters. Items are never named by
their database id: `items` lists each file the data touches by content
fingerprint, full hash, root and path, and every other section refers to an
item by its index in that list. Tags, performers and studios are referred to by
their folded name (`key`), users by username.

`restore.py` merges a document back; `validate` checks one before anything is
written. `nightly` is what the worker's `backup` job runs once a day.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, or_, select

from mediashelf import __version__
from mediashelf.config import Settings
from mediashelf.db.models import (
    Caption,
    ContentFilter,
    Crop,
    Favorite,
    Item,
    ItemPerformer,
    ItemStudio,
    ItemTag,
    Performer,
    Photoset,
    PhotosetItem,
    PhotosetPerformer,
    PhotosetTag,
    Rating,
    Root,
    SettingValue,
    Studio,
    Tag,
    User,
    View,
)
from mediashelf.library.backup_format import FORMAT, VERSION, BackupError, validate
from mediashelf.library.clock import utcnow
from mediashelf.library.tunables import TUNABLE

__all__ = ["FORMAT", "VERSION", "BackupError", "export", "load", "nightly", "validate", "write"]

ITEM_FIELDS = ("item", "cover", "image")  # fields that hold an item index
LINKS = ("tag", "performer", "studio")
NIGHTLY = re.compile(r"mediashelf-nightly-(\d{8}-\d{6})\.json")
STAMP = "%Y%m%d-%H%M%S"
DAY = timedelta(hours=24)
LAST_RUN = "backup.last_run"  # a settings row: when the nightly backup last ran (any machine)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def export(engine: Engine) -> dict[str, Any]:
    """The backup document of everything in this database that people added."""
    with engine.connect() as conn:
        # One snapshot for every query below.
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            begin_sqlite(conn)
            return _export(conn)


def begin_sqlite(conn: Connection, mode: str = "") -> None:
    """Begin SQLite's transaction now (the driver begins one only before a write), so
    every read sees one snapshot; IMMEDIATE also takes the write lock at once."""
    raw = conn.connection.dbapi_connection
    if conn.dialect.name == "sqlite" and raw is not None and not raw.in_transaction:
        conn.exec_driver_sql(f"BEGIN {mode}".strip())


def _export(conn: Connection) -> dict[str, Any]:
    def rows(*columns: Any) -> list[Any]:
        return list(conn.execute(select(*columns)))

    users = {uid: name for uid, name in rows(User.id, User.username)}
    names = {
        model: {row.id: row.key for row in rows(model.id, model.key)}
        for model in (Tag, Performer, Studio)
    }
    tags, performers, studios = names[Tag], names[Performer], names[Studio]
    doc: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": _iso(utcnow()),
        "generator": f"mediashelf {__version__}",
    }
    doc["users"] = [
        {
            "username": u.username,
            "display_name": u.display_name,
            "role": u.role,
            "disabled": u.disabled,
            "oidc_issuer": u.oidc_issuer,
            "oidc_subject": u.oidc_subject,
            "created_at": _iso(u.created_at),
        }
        for u in conn.execute(select(User).order_by(User.username))
    ]
    doc["settings"] = [
        {"key": s.key, "value": json.loads(s.value), "updated_at": _iso(s.updated_at)}
        for s in conn.execute(
            select(SettingValue).where(SettingValue.key.in_(TUNABLE)).order_by(SettingValue.key)
        )
    ]
    doc["tags"] = [
        {
            "name": t.name,
            "key": t.key,
            "category": t.category,
            "aliases": json.loads(t.aliases or "[]"),
            "created_at": _iso(t.created_at),
        }
        for t in conn.execute(select(Tag).order_by(Tag.key))
    ]
    doc["studios"] = [
        {
            "name": s.name,
            "key": s.key,
            "aliases": json.loads(s.aliases or "[]"),
            "parent": studios.get(s.parent_id) if s.parent_id else None,
            "image": s.image_item_id,
            "created_at": _iso(s.created_at),
        }
        for s in conn.execute(select(Studio).order_by(Studio.key))
    ]
    doc["performers"] = [
        {
            "name": p.name,
            "key": p.key,
            "aliases": json.loads(p.aliases or "[]"),
            "image": p.image_item_id,
            "created_at": _iso(p.created_at),
        }
        for p in conn.execute(select(Performer).order_by(Performer.key))
    ]
    doc["photosets"] = _photosets(conn, tags, performers, studios)
    doc["item_details"] = [
        {"item": i, "title": title, "source_url": url}
        for i, title, url in conn.execute(
            select(Item.id, Item.title, Item.source_url).where(
                or_(Item.title.is_not(None), Item.source_url.is_not(None))
            )
        )
    ]
    doc["item_tags"] = [
        {"item": i, "tag": tags[t]} for i, t in rows(ItemTag.item_id, ItemTag.tag_id)
    ]
    doc["item_performers"] = [
        {"item": i, "performer": performers[p]}
        for i, p in rows(ItemPerformer.item_id, ItemPerformer.performer_id)
    ]
    doc["item_studios"] = [
        {"item": i, "studio": studios[s]} for i, s in rows(ItemStudio.item_id, ItemStudio.studio_id)
    ]
    doc["ratings"] = [
        {
            "user": users[r.user_id],
            "item": r.item_id,
            "value": r.value,
            "updated_at": _iso(r.updated_at),
        }
        for r in conn.execute(select(Rating))
    ]
    doc["views"] = [
        {
            "user": users[v.user_id],
            "item": v.item_id,
            "count": v.count,
            "last_viewed_at": _iso(v.last_viewed_at),
            "position": v.position,
        }
        for v in conn.execute(select(View))
    ]
    doc["favorites"] = [
        {"user": users[f.user_id], "item": f.item_id, "created_at": _iso(f.created_at)}
        for f in conn.execute(select(Favorite))
    ]
    doc["captions"] = [  # in id order: the history of each item's caption, oldest first
        {
            "item": c.item_id,
            "text": c.text,
            "source": c.source,
            "author": users.get(c.author_id) if c.author_id else None,
            "model": c.model,
            "prompt": c.prompt,
            "created_at": _iso(c.created_at),
        }
        for c in conn.execute(select(Caption).order_by(Caption.id))
    ]
    doc["crops"] = [
        {
            "item": c.item_id,
            "name": c.name,
            "x": c.x,
            "y": c.y,
            "width": c.width,
            "height": c.height,
            "aspect": c.aspect,
            "created_at": _iso(c.created_at),
            "updated_at": _iso(c.updated_at),
        }
        for c in conn.execute(select(Crop))
    ]
    targets = {"tag": tags, "performer": performers, "studio": studios}
    doc["content_filters"] = sorted(
        (
            {
                "kind": f.kind,
                "target": targets[f.kind][f.target_id],
                "created_at": _iso(f.created_at),
            }
            for f in conn.execute(select(ContentFilter))
            if f.target_id in targets.get(f.kind, {})  # a filter on something since deleted
        ),
        key=lambda f: (f["kind"], f["target"]),
    )
    _index_items(conn, doc)
    return doc


def _photosets(
    conn: Connection, tags: dict[int, str], performers: dict[int, str], studios: dict[int, str]
) -> list[dict[str, Any]]:
    members: dict[int, list[int]] = {}
    for set_id, item_id in conn.execute(
        select(PhotosetItem.photoset_id, PhotosetItem.item_id).order_by(
            PhotosetItem.photoset_id, PhotosetItem.position, PhotosetItem.item_id
        )
    ):
        members.setdefault(set_id, []).append(item_id)
    set_tags: dict[int, list[str]] = {}
    for set_id, tag_id in conn.execute(select(PhotosetTag.photoset_id, PhotosetTag.tag_id)):
        set_tags.setdefault(set_id, []).append(tags[tag_id])
    set_people: dict[int, list[str]] = {}
    query = select(PhotosetPerformer.photoset_id, PhotosetPerformer.performer_id)
    for set_id, performer_id in conn.execute(query):
        set_people.setdefault(set_id, []).append(performers[performer_id])
    return [
        {
            "name": p.name,
            "description": p.description,
            "year": p.year,
            "date": _iso(p.date),
            "source_url": p.source_url,
            "original_filename": p.original_filename,
            "cover": p.cover_item_id,
            "studio": studios.get(p.studio_id) if p.studio_id else None,
            "tags": sorted(set_tags.get(p.id, [])),
            "performers": sorted(set_people.get(p.id, [])),
            "items": members.get(p.id, []),
            "created_at": _iso(p.created_at),
            "updated_at": _iso(p.updated_at),
        }
        for p in conn.execute(
            select(Photoset).order_by(Photoset.name, Photoset.created_at, Photoset.id)
        )
    ]


def _index_items(conn: Connection, doc: dict[str, Any]) -> None:
    """Replace item ids by indexes into `doc["items"]` (sorted by root and path), and
    sort each section by its natural key so two exports of one state are equal."""
    per_item = (
        "item_details",
        "item_tags",
        "item_performers",
        "item_studios",
        "ratings",
        "views",
        "favorites",
    )
    sections = [*per_item, "captions", "crops", "studios", "performers", "photosets"]
    ids: set[int] = set()
    for name in sections:
        for row in doc[name]:
            ids.update(row[f] for f in ITEM_FIELDS if row.get(f) is not None)
            ids.update(row.get("items", ()))
    found: list[Any] = []
    ordered = sorted(ids)
    for start in range(0, len(ordered), 5000):
        chunk = ordered[start : start + 5000]
        found += conn.execute(
            select(Item.id, Item.fingerprint, Item.full_hash, Root.path, Item.rel_path)
            .join(Root, Root.id == Item.root_id)
            .where(Item.id.in_(chunk))
        )
    found.sort(key=lambda r: (r.path, r.rel_path))
    index = {r.id: n for n, r in enumerate(found)}
    doc["items"] = [
        {"fingerprint": r.fingerprint, "full_hash": r.full_hash, "root": r.path, "path": r.rel_path}
        for r in found
    ]
    for name in sections:
        kept = []
        for row in doc[name]:
            for field in ("cover", "image"):
                if field in row:
                    row[field] = index.get(row[field]) if row[field] is not None else None
            if "items" in row:
                row["items"] = [index[i] for i in row["items"] if i in index]
            if "item" in row:
                if row["item"] not in index:  # deleted while we read (SQLite has no snapshot)
                    continue
                row["item"] = index[row["item"]]
            kept.append(row)
        doc[name] = kept
    for name in per_item:
        doc[name].sort(key=_order)
    doc["captions"].sort(key=lambda r: r["item"])  # stable: each item's history stays in order
    doc["crops"].sort(key=lambda r: (r["item"], r["name"]))


def _order(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row.get("user", ""), row["item"], *(row.get(f, "") for f in LINKS))


# -- files -------------------------------------------------------------------------


def backup_dir(settings: Settings) -> Path:
    return Path(settings.backup_dir) if settings.backup_dir else settings.data_dir / "backups"


def default_path(settings: Settings, now: datetime | None = None) -> Path:
    return backup_dir(settings) / f"mediashelf-{(now or utcnow()).strftime(STAMP)}.json"


def write(doc: dict[str, Any], path: Path) -> int:
    """Write the document atomically (a temporary file, then a rename), readable by its
    owner only; the bytes written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")
    tmp = path.parent / f".{path.name}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return len(data)


def load(path: Path) -> dict[str, Any]:
    """Read and validate a backup file; BackupError says what is wrong with it."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        doc = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise BackupError(f"{path} is not a Mediashelf backup (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        raise BackupError(
            f"{path} is not valid JSON (corrupt or cut short?): {exc.msg} at line {exc.lineno}"
        ) from None
    return validate(doc)


# -- the nightly backup --------------------------------------------------------------


def _has_data(conn: Connection) -> bool:
    columns = (User.id, Tag.id, Photoset.id, Rating.item_id, Favorite.item_id, View.item_id)
    titled = select(Item.id).where(or_(Item.title.is_not(None), Item.source_url.is_not(None)))
    found = (*(select(c).exists() for c in columns), titled.exists())
    return bool(conn.execute(select(or_(*found))).scalar())


def due(engine: Engine, settings: Settings) -> bool:
    """Whether the nightly backup should run: it is on, it has not run (on any machine)
    for a day, and there is something to back up."""
    if not settings.backup_keep:
        return False
    with engine.connect() as conn:
        last = conn.execute(select(SettingValue.value).where(SettingValue.key == LAST_RUN)).scalar()
        try:
            if last and utcnow() - datetime.fromisoformat(json.loads(last)) < DAY:
                return False
        except (TypeError, ValueError):  # not a time: run, and nightly() writes one
            pass
        return _has_data(conn)


def nightly(engine: Engine, settings: Settings) -> str:
    """Write a backup when the newest nightly one is a day old, and keep the newest
    BACKUP_KEEP of them. Manual backups (`mediashelf backup`) are never deleted."""
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(delete(SettingValue).where(SettingValue.key == LAST_RUN))
        conn.execute(
            insert(SettingValue).values(
                key=LAST_RUN, value=json.dumps(now.isoformat()), updated_at=now
            )
        )
    if not settings.backup_keep:
        return "nightly backups are off (BACKUP_KEEP=0)"
    folder = backup_dir(settings)
    existing = nightly_files(folder)
    if existing and now - existing[0][0] < DAY:
        message = f"the newest nightly backup is from {existing[0][0]:%Y-%m-%d %H:%M} UTC"
    else:
        path = folder / f"mediashelf-nightly-{now.strftime(STAMP)}.json"
        size = write(export(engine), path)
        message = f"wrote {path} ({size:,} bytes)"
    removed = rotate(folder, settings.backup_keep)
    return message + (f"; removed {len(removed)} old" if removed else "")


def nightly_files(folder: Path) -> list[tuple[datetime, Path]]:
    """The nightly backups in `folder`, newest first."""
    found = []
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    for name in names:
        match = NIGHTLY.fullmatch(name)
        if match:
            found.append((datetime.strptime(match[1], STAMP), folder / name))
    return sorted(found, reverse=True)


def rotate(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` nightly backups; what was deleted."""
    old = [path for _, path in nightly_files(folder)[keep:]]
    for path in old:
        path.unlink(missing_ok=True)
    return old
