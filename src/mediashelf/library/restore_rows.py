"""Restore, row by row: what hangs off items (library/restore.py runs it).

Items' titles and source URLs, their tags, performers and studios, ratings,
views, favorites, captions, crops and content filters, merged by the rules in
restore.py's docstring.
`RowMerge` holds what the whole restore shares: the session, the document,
the report, and the ids the backup's items, users and names have here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediashelf.db.models import (
    Caption,
    ContentFilter,
    Crop,
    Favorite,
    Item,
    ItemPerformer,
    ItemStudio,
    ItemTag,
    Rating,
    View,
)


@dataclass
class RestoreReport:
    added: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)  # their item is not in the library
    items: int = 0  # items the backup refers to
    by_path: int = 0  # found by path only: their content changed since the backup
    missing: list[str] = field(default_factory=list)  # root/path of items not found
    new_users: list[str] = field(default_factory=list)  # created without a password
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def changes(self) -> int:
        return sum(self.added.values()) + sum(self.updated.values())


def parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


def parse_time0(value: str | None) -> datetime | None:
    return parse_time(value) if value is not None else None


class RowMerge:
    def __init__(self, db: Session, doc: dict[str, Any]) -> None:
        self.db, self.doc = db, doc
        self.report = RestoreReport(items=len(doc["items"]))
        self.items: list[int | None] = []  # the backup's items: their ids here (None: not here)
        self.users: dict[str, int] = {}  # username → id
        self.ids: dict[str, dict[str, int]] = {}  # tag|performer|studio → backup key → id

    def _rows(self, *columns: Any) -> set[tuple[Any, ...]]:
        return {tuple(row) for row in self.db.execute(select(*columns))}

    def _item(self, index: int | None) -> int | None:
        return None if index is None else self.items[index]

    def _count(self, section: str, added: bool, changed: bool) -> None:
        if added:
            self.report.added[section] += 1
        elif changed:
            self.report.updated[section] += 1

    def _details(self) -> None:
        """Titles and source URLs: the backup's fill an item's empty (NULL) ones; one
        here stays, as a sidecar never replaces one either. Several entries for one
        item: the first that gives a value fills it."""
        wanted: dict[int, dict[str, str]] = {}
        for entry in self.doc["item_details"]:
            item = self._item(entry["item"])
            if item is None:
                self.report.skipped["item_details"] += 1
                continue
            values = wanted.setdefault(item, {})
            for name in ("title", "source_url"):
                if entry[name] is not None:
                    values.setdefault(name, entry[name])
        ids = sorted(wanted)
        for start in range(0, len(ids), 500):
            query = select(Item).where(Item.id.in_(ids[start : start + 500]))
            for row in self.db.scalars(query):
                empty = row.title is None and row.source_url is None
                filled = False
                for name, value in wanted[row.id].items():
                    if getattr(row, name) is None:
                        setattr(row, name, value)
                        filled = True
                if filled:
                    self._count("item_details", empty, True)

    def _links(self, section: str, model: type[ItemTag] | type[ItemPerformer], kind: str) -> None:
        column = getattr(model, f"{kind}_id")
        have = self._rows(model.item_id, column)
        for entry in self.doc[section]:
            item = self._item(entry["item"])
            if item is None:
                self.report.skipped[section] += 1
                continue
            pair = (item, self.ids[kind][entry[kind]])
            if pair not in have:
                have.add(pair)
                self.db.add(model(item_id=item, **{f"{kind}_id": pair[1]}))
                self.report.added[section] += 1

    def _item_studios(self) -> None:
        have = dict(self._rows(ItemStudio.item_id, ItemStudio.studio_id))
        for entry in self.doc["item_studios"]:
            item = self._item(entry["item"])
            if item is None:
                self.report.skipped["item_studios"] += 1
            elif item not in have:
                have[item] = self.ids["studio"][entry["studio"]]
                self.db.add(ItemStudio(item_id=item, studio_id=have[item]))
                self.report.added["item_studios"] += 1

    def _key(self, section: str, entry: dict[str, Any]) -> tuple[int, int] | None:
        item, user = self._item(entry["item"]), self.users.get(entry["user"])
        if user is None:
            note = f"{section}: no user {entry['user']!r} in the backup or here; skipped"
            if note not in self.report.warnings:
                self.report.warnings.append(note)
        if item is None or user is None:
            self.report.skipped[section] += 1
            return None
        return user, item

    def _per_user(self) -> None:
        ratings = {(r.user_id, r.item_id): r for r in self.db.scalars(select(Rating))}
        for entry in self.doc["ratings"]:
            if (key := self._key("ratings", entry)) is None:
                continue
            at, row = parse_time(entry["updated_at"]), ratings.get(key)
            if row is None:
                ratings[key] = Rating(
                    user_id=key[0], item_id=key[1], value=entry["value"], updated_at=at
                )
                self.db.add(ratings[key])
                self.report.added["ratings"] += 1
            elif at > row.updated_at:
                row.value, row.updated_at = entry["value"], at
                self.report.updated["ratings"] += 1
        views = {(v.user_id, v.item_id): v for v in self.db.scalars(select(View))}
        for entry in self.doc["views"]:
            if (key := self._key("views", entry)) is None:
                continue
            at, view = parse_time(entry["last_viewed_at"]), views.get(key)
            if view is None:
                views[key] = View(
                    user_id=key[0],
                    item_id=key[1],
                    count=entry["count"],
                    last_viewed_at=at,
                    position=entry["position"],
                )
                self.db.add(views[key])
                self.report.added["views"] += 1
                continue
            changed = entry["count"] > view.count or at > view.last_viewed_at
            view.count = max(view.count, entry["count"])
            if at > view.last_viewed_at:
                view.last_viewed_at, view.position = at, entry["position"]
            self._count("views", False, changed)
        favorites = self._rows(Favorite.user_id, Favorite.item_id)
        for entry in self.doc["favorites"]:
            if (key := self._key("favorites", entry)) is not None and key not in favorites:
                favorites.add(key)
                self.db.add(
                    Favorite(
                        user_id=key[0], item_id=key[1], created_at=parse_time(entry["created_at"])
                    )
                )
                self.report.added["favorites"] += 1

    def _captions(self) -> None:
        have = self._rows(Caption.item_id, Caption.created_at, Caption.text)
        for entry in self.doc["captions"]:
            item, at = self._item(entry["item"]), parse_time(entry["created_at"])
            if item is None:
                self.report.skipped["captions"] += 1
            elif (item, at, entry["text"]) not in have:
                have.add((item, at, entry["text"]))
                self.db.add(
                    Caption(
                        item_id=item,
                        text=entry["text"],
                        source=entry["source"],
                        author_id=self.users.get(entry["author"] or ""),
                        model=entry["model"],
                        prompt=entry["prompt"],
                        created_at=at,
                    )
                )
                self.report.added["captions"] += 1

    def _crops(self) -> None:
        crops = {(c.item_id, c.name): c for c in self.db.scalars(select(Crop))}
        for entry in self.doc["crops"]:
            item = self._item(entry["item"])
            if item is None:
                self.report.skipped["crops"] += 1
                continue
            at, row = parse_time(entry["updated_at"]), crops.get((item, entry["name"]))
            if row is None:
                row = Crop(
                    item_id=item, name=entry["name"], created_at=parse_time(entry["created_at"])
                )
                crops[(item, entry["name"])] = row
                self.db.add(row)
                self.report.added["crops"] += 1
            elif at > row.updated_at:
                self.report.updated["crops"] += 1
            else:
                continue
            for name in ("x", "y", "width", "height", "aspect"):
                setattr(row, name, entry[name])
            row.updated_at = at

    def _filters(self) -> None:
        have = self._rows(ContentFilter.kind, ContentFilter.target_id)
        for entry in self.doc["content_filters"]:
            key = (entry["kind"], self.ids[entry["kind"]][entry["target"]])
            if key not in have:
                have.add(key)
                self.db.add(
                    ContentFilter(
                        kind=key[0], target_id=key[1], created_at=parse_time(entry["created_at"])
                    )
                )
                self.report.added["content_filters"] += 1
