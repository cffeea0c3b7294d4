"""Restore: merge a backup document (library/backup.py) into this database.

Everything happens in one transaction, after the document is validated: a
restore that fails changes nothing. Restoring the same document twice changes
nothing the second time. Merge rules, where the database already holds data:

- items: by content (fingerprint or full hash); among several files with that
  content, the one at the same root and path, else the same relative path,
  else the same name. A file whose content changed is found by its path. Items
  not in the library (not scanned yet) are reported and their data skipped:
  scan first, then restore (again: it is idempotent).
- users: by username; missing ones are created without a password (they set
  one with `mediashelf user passwd`, or log in through OIDC). Existing users
  are left as they are.
- tags, performers, studios: by folded name (`key`); aliases are unioned; a
  category, parent studio or image is filled in where the database has none.
- photosets: by name and creation time. The newer version (`updated_at`) wins
  as a whole: its facts, its items and their order. Tags and performers are
  unioned.
- item titles and source URLs: fill only. The backup's value fills an item's
  empty (NULL) title or URL; a value already here (set in the app, or by a
  sidecar) stays, as a sidecar never replaces one either.
- ratings and crops: the newer `updated_at` wins. Views: the larger count, the
  later `last_viewed_at` (with its position). Favorites, item tags, performers,
  captions (by item, time and text) and content filters: unioned. An item's
  studio is set only where it has none.
- settings (tunables only): the newer `updated_at` wins, if the value is valid.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from mediashelf.auth.users import UserError, normalise
from mediashelf.config import Settings
from mediashelf.db.models import (
    Item,
    ItemPerformer,
    ItemTag,
    Performer,
    Photoset,
    PhotosetItem,
    PhotosetPerformer,
    PhotosetTag,
    Root,
    SettingValue,
    Studio,
    Tag,
    User,
)
from mediashelf.library.backup import begin_sqlite
from mediashelf.library.backup_format import BackupError, validate
from mediashelf.library.clock import utcnow
from mediashelf.library.names import fold
from mediashelf.library.restore_rows import RestoreReport, RowMerge, parse_time, parse_time0
from mediashelf.library.tunables import TUNABLE, TunableError, apply

__all__ = ["RestoreReport", "restore"]


def restore(
    engine: Engine, doc: Any, *, settings: Settings | None = None, dry_run: bool = False
) -> RestoreReport:
    """Merge `doc` into the database (nothing is written with `dry_run`)."""
    doc = validate(doc)
    with Session(engine, autoflush=False, expire_on_commit=False) as db:
        try:
            begin_sqlite(db.connection(), "IMMEDIATE")  # the write lock from the first read
            report = _Merge(db, doc, settings or Settings.model_construct()).run()
            report.dry_run = dry_run
            if dry_run:
                db.rollback()
            else:
                db.commit()
        except (KeyError, TypeError, ValueError, SQLAlchemyError) as exc:
            db.rollback()
            if isinstance(exc, BackupError):
                raise
            raise BackupError(
                f"the backup could not be restored; nothing was changed: {exc}"
            ) from exc
    return report


def _ordered(members: dict[int, PhotosetItem]) -> list[int]:
    return [i for i, _ in sorted(members.items(), key=lambda kv: (kv[1].position, kv[0]))]


class _Merge(RowMerge):
    def __init__(self, db: Session, doc: dict[str, Any], base: Settings) -> None:
        super().__init__(db, doc)
        self.base = base
        self.new: dict[str, set[str]] = defaultdict(set)  # keys of names added here

    def run(self) -> RestoreReport:
        self._match_items()
        self._users()
        self._settings()
        for kind, model in (("tag", Tag), ("performer", Performer), ("studio", Studio)):
            self.ids[kind] = self._named(kind, model)
        self._studio_parents()
        self._photosets()
        self._details()
        self._links("item_tags", ItemTag, "tag")
        self._links("item_performers", ItemPerformer, "performer")
        self._item_studios()
        self._per_user()
        self._captions()
        self._crops()
        self._filters()
        self.db.flush()
        return self.report

    # -- items and users -----------------------------------------------------------

    def _match_items(self) -> None:
        query = select(
            Item.id, Item.fingerprint, Item.full_hash, Item.rel_path, Item.name, Root.path
        ).join(Root, Root.id == Item.root_id)
        by_content: dict[str, list[Any]] = defaultdict(list)
        by_path: dict[tuple[str, str], Any] = {}
        by_rel: dict[str, list[Any]] = defaultdict(list)
        for row in self.db.execute(query):
            for key in {row.fingerprint, row.full_hash} - {None}:
                by_content[key].append(row)
            by_path[(row.path, row.rel_path)] = row
            by_rel[row.rel_path].append(row)
        for entry in self.doc["items"]:
            root, path, full = entry["root"], entry["path"], entry["full_hash"]
            found = {
                r.id: r
                for key in (entry["fingerprint"], full)
                if key
                for r in by_content.get(key, ())
                if not (full and r.full_hash and r.full_hash != full)
            }
            name = PurePosixPath(path).name
            if found:
                best = min(
                    found.values(),
                    key=lambda r: (
                        (r.path, r.rel_path) != (root, path),
                        r.rel_path != path,
                        r.name != name,
                        r.id,
                    ),
                )
                self.items.append(best.id)
                continue
            hit: Any = by_path.get((root, path))
            if hit is None and len(by_rel.get(path, ())) == 1:
                hit = by_rel[path][0]
            if hit is not None:
                self.report.by_path += 1
            else:
                self.report.missing.append(f"{root.rstrip('/')}/{path}")
            self.items.append(hit.id if hit is not None else None)

    def _users(self) -> None:
        existing = {u.username: u for u in self.db.scalars(select(User))}
        taken = {(u.oidc_issuer, u.oidc_subject) for u in existing.values() if u.oidc_subject}
        for entry in self.doc["users"]:
            try:
                name = normalise(entry["username"])
            except UserError:
                self.report.warnings.append(f"user {entry['username']!r}: not a valid username")
                continue
            if name in existing:
                continue
            oidc = (entry["oidc_issuer"], entry["oidc_subject"])
            if oidc[1] and oidc in taken:
                self.report.warnings.append(
                    f"user {name!r}: their single sign-on identity belongs to another user"
                )
                oidc = (None, None)
            user = User(
                username=name,
                display_name=(entry["display_name"] or "")[:200],
                password_hash=None,
                role=entry["role"],
                disabled=entry["disabled"],
                oidc_issuer=oidc[0] if oidc[1] else None,
                oidc_subject=oidc[1],
                created_at=parse_time(entry["created_at"]),
                updated_at=utcnow(),
            )
            self.db.add(user)
            existing[name] = user
            self.report.added["users"] += 1
            self.report.new_users.append(name)
        self.db.flush()
        self.users = {name: user.id for name, user in existing.items()}

    def _settings(self) -> None:
        rows = {
            row.key: row
            for row in self.db.scalars(select(SettingValue).where(SettingValue.key.in_(TUNABLE)))
        }
        fixed = {key: json.loads(row.value) for key, row in rows.items()}
        wanted: dict[str, Any] = {}
        when: dict[str, datetime] = {}
        for entry in self.doc["settings"]:
            key, at = entry["key"], parse_time(entry["updated_at"])
            if key not in TUNABLE:
                self.report.warnings.append(f"setting {key}: not a tunable setting; skipped")
            elif key not in rows or at > rows[key].updated_at:
                wanted[key], when[key] = entry["value"], at
        for key, value in self._valid(fixed, wanted).items():
            row = rows.get(key)
            if row is None:
                self.db.add(SettingValue(key=key, value=json.dumps(value), updated_at=when[key]))
            else:
                row.value, row.updated_at = json.dumps(value), when[key]
            self._count("settings", row is None, True)

    def _valid(self, fixed: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
        """The wanted values that validate (as stored), all together or one by one."""
        try:
            result = apply(self.base, {**fixed, **wanted})
            return {key: getattr(result, key) for key in wanted}
        except TunableError:
            pass
        good: dict[str, Any] = {}
        for key, value in wanted.items():
            try:
                result = apply(self.base, {**fixed, **good, key: value})
                good[key] = getattr(result, key)
            except TunableError as exc:
                self.report.warnings.append(f"setting {key} skipped: {exc}")
        return good

    # -- names and photosets -------------------------------------------------------

    def _named(self, kind: str, model: Any) -> dict[str, int]:
        """Tags, performers or studios (`model`), found by folded name or alias; the ids
        of the backup's keys. An alias that names another entry here is dropped."""
        section = f"{kind}s"
        taken: dict[str, Any] = {}  # the key of every name and alias here → its entry
        for here in self.db.scalars(select(model)):
            taken[here.key] = here
            for alias in json.loads(here.aliases or "[]"):
                taken.setdefault(fold(alias), here)
        ids: dict[str, Any] = {}
        for entry in self.doc[section]:
            row: Any = taken.get(entry["key"])
            image = self._item(entry.get("image"))
            added, changed = row is None, False
            if row is None:
                row = model(name=entry["name"], key=entry["key"], aliases="[]")
                row.created_at = parse_time(entry["created_at"])
                if kind == "tag":
                    row.category = entry["category"]
                else:
                    row.image_item_id = image
                self.db.add(row)
                taken[entry["key"]] = row
                self.new[kind].add(entry["key"])
            elif kind == "tag" and row.category is None and entry["category"]:
                row.category, changed = entry["category"], True
            elif kind != "tag" and row.image_item_id is None and image is not None:
                row.image_item_id, changed = image, True
            aliases = json.loads(row.aliases or "[]")
            for alias in entry["aliases"]:
                holder = taken.setdefault(fold(alias), row)
                if holder is not row:
                    self.report.warnings.append(
                        f"{kind} {entry['name']!r}: its alias {alias!r} names {kind} "
                        f"{holder.name!r} here; dropped"
                    )
                elif fold(alias) != row.key and all(fold(a) != fold(alias) for a in aliases):
                    aliases.append(alias)
            if aliases != json.loads(row.aliases or "[]"):
                row.aliases, changed = json.dumps(aliases, ensure_ascii=False), True
            ids[entry["key"]] = row
            self._count(section, added, changed)
        self.db.flush()
        return {key: row.id for key, row in ids.items()}

    def _studio_parents(self) -> None:
        studios = {row.id: row for row in self.db.scalars(select(Studio))}
        parent_of = {row.id: row.parent_id for row in studios.values()}
        ids = self.ids["studio"]
        for entry in self.doc["studios"]:
            row = studios[ids[entry["key"]]]
            parent = ids.get(entry["parent"] or "")
            if parent is None or row.parent_id is not None:
                continue
            node: int | None = parent
            while node is not None and node != row.id:
                node = parent_of.get(node)
            if node == row.id:
                self.report.warnings.append(f"studio {row.name!r}: its parent would make a loop")
                continue
            row.parent_id = parent_of[row.id] = parent
            self._count("studios", False, entry["key"] not in self.new["studio"])

    def _photosets(self) -> None:
        existing = {(p.name, p.created_at): p for p in self.db.scalars(select(Photoset))}
        members: dict[int, dict[int, PhotosetItem]] = defaultdict(dict)
        for member in self.db.scalars(select(PhotosetItem)):
            members[member.photoset_id][member.item_id] = member
        tags = self._rows(PhotosetTag.photoset_id, PhotosetTag.tag_id)
        people = self._rows(PhotosetPerformer.photoset_id, PhotosetPerformer.performer_id)
        for entry in self.doc["photosets"]:
            found = [self._item(i) for i in entry["items"]]
            order = list(dict.fromkeys(i for i in found if i is not None))
            self.report.skipped["photoset items"] += found.count(None)
            studio = self.ids["studio"].get(entry["studio"] or "")
            facts = {
                "description": entry["description"] or "",
                "year": entry["year"],
                "date": parse_time0(entry["date"]),
                "source_url": entry["source_url"],
                "original_filename": entry["original_filename"],
                "cover_item_id": self._item(entry["cover"]),
                "studio_id": studio,
                "updated_at": parse_time(entry["updated_at"]),
            }
            key = (entry["name"], parse_time(entry["created_at"]))
            row = existing.get(key)
            added, changed = row is None, False
            current = _ordered(members[row.id]) if row is not None else []
            if row is None:
                row = Photoset(name=entry["name"], created_at=key[1], **facts)
                self.db.add(row)
                self.db.flush()
                existing[key] = row
            elif facts["updated_at"] > row.updated_at:  # the backup's version is newer
                if facts["cover_item_id"] is None and entry["cover"] is not None:
                    del facts["cover_item_id"]  # its cover is not in this library: keep ours
                for name, value in facts.items():
                    if getattr(row, name) != value:
                        setattr(row, name, value)
                        changed = True
            elif facts["updated_at"] == row.updated_at and set(order) - set(current):
                # The same version, restored before all its files were scanned: add them.
                order += [i for i in current if i not in order]
                if row.cover_item_id is None and facts["cover_item_id"] is not None:
                    row.cover_item_id = facts["cover_item_id"]
            else:  # the database's version is as new or newer: it stays
                order = current
            if order != current:
                changed = self._members(row.id, order, members[row.id]) or changed
            for pairs, model, kind, names in (
                (tags, PhotosetTag, "tag", entry["tags"]),
                (people, PhotosetPerformer, "performer", entry["performers"]),
            ):
                for name in names:
                    pair = (row.id, self.ids[kind][name])
                    if pair not in pairs:
                        pairs.add(pair)
                        self.db.add(model(photoset_id=pair[0], **{f"{kind}_id": pair[1]}))
                        changed = True
            self._count("photosets", added, changed)

    def _members(self, set_id: int, order: list[int], current: dict[int, PhotosetItem]) -> bool:
        """Make the set's items `order`, positions 0..n-1; whether anything changed."""
        changed = False
        for item_id in set(current) - set(order):
            self.db.delete(current.pop(item_id))
            changed = True
        for position, item_id in enumerate(order):
            member = current.get(item_id)
            if member is None:
                current[item_id] = PhotosetItem(
                    photoset_id=set_id, item_id=item_id, position=position
                )
                self.db.add(current[item_id])
                changed = True
            elif member.position != position:
                member.position, changed = position, True
        return changed
