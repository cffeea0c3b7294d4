"""Import the seed video server's ratings.json, views.json, tags.json and favorites.json.

The seed (a Flask "local video server") kept these next to its flat `videos`
folder, keyed by file name:

    ratings.json    {"clip.mp4": 4}                 1-5 stars (stored here as 20-100)
    views.json      {"clip.mp4": 12}                a count
    tags.json       {"clip.mp4": ["beach", "#summer"]}
    favorites.json  {"favorites": ["clip.mp4"]}

Other shapes are read too: keys that are paths or content hashes, ratings on a
0-100 scale, views as {"count": 3, "last": <epoch or ISO time>}, favorites as a
list or {name: true}, tags as "a, b", and lists of objects such as
{"filename": "clip.mp4", "rating": 4}. A key is matched to an item by full
hash, then fingerprint, then path (absolute, or relative to a root), then file
name (when the items of that name are copies of one file). Ratings, views and
favorites belong to one user (`--user`); tags are everyone's.

Importing again changes nothing: a rating already given here is kept, views
take the larger count, tags and favorites are added only when missing.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from mediashelf.auth.users import find as find_user
from mediashelf.db.models import Favorite, Item, ItemTag, Rating, Root, View
from mediashelf.library import names
from mediashelf.library.clock import utcnow

FILES = ("ratings", "views", "tags", "favorites")
KEY_FIELDS = ("full_hash", "hash", "media_hash", "fingerprint", "path", "filename", "file", "name")
VALUE_FIELDS = {
    "ratings": ("rating", "value", "stars"),
    "views": ("count", "views", "view_count"),
    "tags": ("tags",),
    "favorites": ("favorite", "value"),
}
LAST_FIELDS = ("last", "last_viewed", "last_viewed_at", "last_view")


class SeedError(ValueError):
    """The folder holds nothing to import, or a file is not JSON; nothing was changed."""


@dataclass
class SeedFileReport:
    entries: int = 0
    matched: int = 0  # entries whose file is in the library
    changed: int = 0  # rows added or changed
    kept: int = 0  # ratings already given here, left as they are
    unmatched: list[str] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)  # a name shared by different files
    invalid: list[str] = field(default_factory=list)


@dataclass
class SeedReport:
    files: dict[str, SeedFileReport] = field(default_factory=dict)
    dry_run: bool = False


def import_seed(
    engine: Engine, folder: Path, username: str, *, dry_run: bool = False
) -> SeedReport:
    data = {}
    for kind in FILES:
        path = folder / f"{kind}.json"
        if path.is_file():
            try:
                data[kind] = json.loads(path.read_text("utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise SeedError(f"cannot read {path}: {exc}") from None
    if not data:
        wanted = ", ".join(f"{kind}.json" for kind in FILES)
        raise SeedError(f"none of {wanted} is in {folder}")
    report = SeedReport(dry_run=dry_run)
    with Session(engine) as db:  # autoflush: a file may name one item twice
        user = find_user(db, username)
        if user is None:
            raise SeedError(f"no user {username!r} (create one with `mediashelf user add`)")
        importer = _Importer(db, user.id)
        for kind, content in data.items():
            report.files[kind] = importer.run(kind, content)
        if dry_run:
            db.rollback()
        else:
            db.commit()
    return report


def _entries(data: Any, kind: str, report: SeedFileReport) -> list[tuple[list[str], Any]]:
    """(candidate keys, value) for each entry, whatever the file's shape."""
    if isinstance(data, dict) and set(data) == {kind} and isinstance(data[kind], dict | list):
        data = data[kind]  # {"favorites": [...]}
    if isinstance(data, dict):
        return [([str(key)], value) for key, value in data.items()]
    if not isinstance(data, list):
        raise SeedError(f"{kind}.json: expected an object or a list, not {type(data).__name__}")
    found: list[tuple[list[str], Any]] = []
    for entry in data:
        if isinstance(entry, str):
            found.append(([entry], True))
            continue
        keys = [
            entry[f]
            for f in KEY_FIELDS
            if isinstance(entry, dict) and isinstance(entry.get(f), str)
        ]
        if not keys:
            report.invalid.append(str(entry)[:80])
            continue
        value = next((entry[f] for f in VALUE_FIELDS[kind] if f in entry), None)
        found.append((keys, entry if kind == "views" else (True if value is None else value)))
    return found


def _rating(value: Any) -> int | None:
    """1-5 stars as 20-100, or 0-100 as it is; None for 0 (not rated)."""
    if isinstance(value, str) and value.strip().replace(".", "", 1).isdigit():
        value = float(value)
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 100:
        raise ValueError(value)
    if value == 0:
        return None
    return round(value * 20) if value <= 5 else round(value)


def _view(value: Any) -> tuple[int, datetime | None]:
    last: Any = None
    if isinstance(value, dict):
        last = next((value[f] for f in LAST_FIELDS if value.get(f)), None)
        value = next((value[f] for f in VALUE_FIELDS["views"] if f in value), None)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    count = int(value) if isinstance(value, int | str) and not isinstance(value, bool) else -1
    if count < 0:
        raise ValueError(value)
    if isinstance(last, int | float) and not isinstance(last, bool):
        return count, datetime.fromtimestamp(last / 1000 if last > 1e11 else last, UTC).replace(
            tzinfo=None
        )
    if isinstance(last, str):
        parsed = datetime.fromisoformat(last.replace("Z", "+00:00"))
        return count, parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed
    return count, None


def _tag_names(value: Any) -> list[str]:
    parts = value.split(",") if isinstance(value, str) else value
    if not isinstance(parts, list) or not all(isinstance(n, str) for n in parts):
        raise ValueError(value)
    cleaned = (" ".join(n.strip().lstrip("#").split()) for n in parts)
    return [name for name in cleaned if name]


class _Importer:
    def __init__(self, db: Session, user_id: int) -> None:
        self.db, self.user_id, self.now = db, user_id, utcnow()
        self.by_hash: dict[str, set[int]] = defaultdict(set)
        self.by_path: dict[str, set[int]] = defaultdict(set)
        self.by_name: dict[str, list[tuple[int, str | None]]] = defaultdict(list)
        query = select(
            Item.id, Item.fingerprint, Item.full_hash, Item.rel_path, Item.name, Root.path
        ).join(Root, Root.id == Item.root_id)
        for row in db.execute(query):
            for digest in {row.fingerprint, row.full_hash} - {None}:
                self.by_hash[digest.lower()].add(row.id)
            self.by_path[row.rel_path].add(row.id)
            self.by_path[f"{row.path.rstrip('/')}/{row.rel_path}"].add(row.id)
            self.by_name[row.name].append((row.id, row.fingerprint))
        self.tags: dict[str, int] = {}  # folded name → tag id

    def match(self, keys: list[str]) -> set[int] | None:
        """The items a key names: empty when none; None when the name is ambiguous."""
        for key in keys:
            key = key.strip().replace("\\", "/")
            found = self.by_hash.get(key.lower()) or self.by_path.get(key.removeprefix("./"))
            if found:
                return found
        for key in keys:
            named = self.by_name.get(PurePosixPath(key.replace("\\", "/")).name, [])
            if named:  # copies of one file share the data; different files are ambiguous
                return {i for i, _ in named} if len({fp for _, fp in named}) == 1 else None
        return set()

    def run(self, kind: str, data: Any) -> SeedFileReport:
        report = SeedFileReport()
        for keys, value in _entries(data, kind, report):
            report.entries += 1
            items = self.match(keys)
            if items is None:
                report.ambiguous.append(keys[0])
                continue
            if not items:
                report.unmatched.append(keys[0])
                continue
            report.matched += 1
            try:
                for item_id in sorted(items):
                    getattr(self, f"_{kind}")(item_id, value, report)
            except (TypeError, ValueError, OverflowError):
                report.invalid.append(f"{keys[0]}: {str(value)[:60]}")
        self.db.flush()
        return report

    def _ratings(self, item_id: int, value: Any, report: SeedFileReport) -> None:
        stars = _rating(value)
        if stars is None:
            return
        row = self.db.get(Rating, (self.user_id, item_id))
        if row is None:
            self.db.add(
                Rating(user_id=self.user_id, item_id=item_id, value=stars, updated_at=self.now)
            )
            report.changed += 1
        elif row.value != stars:
            report.kept += 1

    def _views(self, item_id: int, value: Any, report: SeedFileReport) -> None:
        count, last = _view(value)
        row = self.db.get(View, (self.user_id, item_id))
        if row is None:
            self.db.add(
                View(
                    user_id=self.user_id,
                    item_id=item_id,
                    count=count,
                    last_viewed_at=last or self.now,
                )
            )
            report.changed += 1
        elif count > row.count or (last and last > row.last_viewed_at):
            row.count = max(row.count, count)
            row.last_viewed_at = max(row.last_viewed_at, last or row.last_viewed_at)
            report.changed += 1

    def _tags(self, item_id: int, value: Any, report: SeedFileReport) -> None:
        for name in _tag_names(value):
            key = names.fold(name)
            if key not in self.tags:  # by name or alias, made when new (names.py's rules)
                (self.tags[key],) = names.resolve(self.db, names.TAGS, [name], create=True)
            if self.db.get(ItemTag, (item_id, self.tags[key])) is None:
                self.db.add(ItemTag(item_id=item_id, tag_id=self.tags[key]))
                report.changed += 1

    def _favorites(self, item_id: int, value: Any, report: SeedFileReport) -> None:
        if value and self.db.get(Favorite, (self.user_id, item_id)) is None:
            self.db.add(Favorite(user_id=self.user_id, item_id=item_id, created_at=self.now))
            report.changed += 1
