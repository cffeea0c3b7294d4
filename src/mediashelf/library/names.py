"""Named things: tags, performers and studios.

The three tables have the same columns (`name`, `key`, `aliases`) and the same rules,
so one implementation serves them all; a `Kind` says which table and which link
tables. Plain functions over a Session that flush but do not commit: the caller
commits (one transaction per request), so a merge or a bulk attach is all or nothing.

- `key` is the name folded: NFKC, case-folded, whitespace collapsed. It is unique, so
  "Beach", "beach" and a full-width "Beach" are one tag. Lookups go through it.
- `aliases` is a JSON list of other names. An alias may not fold to another entry's
  name or alias (Conflict); aliases equal to the entry's own name are dropped.
  Lookups by name find aliases too ("NYC" finds "New York").
- Links: items and photosets. A performer or tag links to any number of them; a
  studio has at most one per item (item_studios' key is the item) and per photoset
  (photosets.studio_id), so attaching a studio replaces the previous one.

Alias uniqueness is checked here, not by the database: aliases are read from the
entries that have any (usually few) and compared in Python.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from typing import cast as typed

from sqlalchemy import (
    ColumnElement,
    Integer,
    Table,
    and_,
    cast,
    delete,
    func,
    literal,
    or_,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from mediashelf.db.models import (
    ContentFilter,
    Item,
    ItemPerformer,
    ItemStudio,
    ItemTag,
    Performer,
    Photoset,
    PhotosetPerformer,
    PhotosetTag,
    Studio,
    Tag,
)
from mediashelf.library.clock import utcnow

MAX_NAME = 200  # the columns' length, for names and for keys
MAX_ALIASES = 100
CHUNK = 5000  # ids per IN list: well under SQLite's and PostgreSQL's parameter limits

Named = Tag | Performer | Studio


class Invalid(ValueError):
    """A name or request that can never be right (HTTP 422)."""


class Conflict(ValueError):
    """A name taken, a loop of studios: wrong given what is stored (HTTP 409)."""


class NotFound(LookupError):
    """An id or name that names nothing (HTTP 404)."""


@dataclass(frozen=True)
class Kind:
    """One kind of named thing and where its links live."""

    label: str  # tag | performer | studio: messages, and content_filters.kind
    model: type[Named]
    item_link: Table  # (item_id, <label>_id)
    photoset_link: Table | None  # (photoset_id, <label>_id); None: photosets.studio_id
    one_per_item: bool  # studios: attaching replaces the item's studio

    @property
    def column(self) -> str:
        return f"{self.label}_id"


TAGS = Kind("tag", Tag, ItemTag.__table__, PhotosetTag.__table__, False)  # type: ignore[arg-type]
PERFORMERS = Kind(
    "performer",
    Performer,
    ItemPerformer.__table__,  # type: ignore[arg-type]
    PhotosetPerformer.__table__,  # type: ignore[arg-type]
    False,
)
STUDIOS = Kind("studio", Studio, ItemStudio.__table__, None, True)  # type: ignore[arg-type]


# -- names ----------------------------------------------------------------------------


def clean(text: str, what: str = "name") -> str:
    """A name as stored: whitespace collapsed. Invalid if empty, too long, or holding
    control characters."""
    name = " ".join(text.split())
    if not name:
        raise Invalid(f"the {what} is empty")
    if len(name) > MAX_NAME:
        raise Invalid(f"the {what} is longer than {MAX_NAME} characters")
    for char in name:
        if unicodedata.category(char) in ("Cc", "Cs"):
            raise Invalid(f"the {what} {name[:50]!r} holds a control character")
    return name


def fold(text: str) -> str:
    """The lookup key of a name: NFKC, case-folded, whitespace collapsed."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(folded.split())


def key_of(name: str, what: str = "name") -> str:
    key = fold(clean(name, what))
    if len(key) > MAX_NAME:
        raise Invalid(f"the {what} {name[:50]!r} is too long once normalised")
    return key


def aliases_of(entry: Named) -> list[str]:
    value = json.loads(entry.aliases or "[]")
    return [str(a) for a in value] if isinstance(value, list) else []


def _dump(aliases: Sequence[str]) -> str:
    return json.dumps(list(aliases), ensure_ascii=False)


def _alias_keys(db: Session, kind: Kind, exclude: Iterable[int] = ()) -> dict[str, int]:
    """Every alias's key → the id of the entry that has it (entries with aliases only)."""
    skip = set(exclude)
    model = kind.model
    out: dict[str, int] = {}
    for entry_id, raw in db.execute(select(model.id, model.aliases).where(model.aliases != "[]")):
        if entry_id in skip:
            continue
        for alias in json.loads(raw or "[]"):
            out.setdefault(fold(str(alias)), entry_id)
    return out


def _name_keys(db: Session, kind: Kind, keys: Iterable[str]) -> dict[str, int]:
    """key → id, for those of `keys` that are some entry's name."""
    wanted = list(set(keys))
    model = kind.model
    return {
        key: entry_id
        for key, entry_id in db.execute(select(model.key, model.id).where(model.key.in_(wanted)))
    }


def _check_free(
    db: Session, kind: Kind, keys: dict[str, str], owner: int | None, exclude: Iterable[int] = ()
) -> None:
    """Conflict if any of `keys` (key → the name as given) is another entry's name or
    alias. `owner` (the entry being changed) and `exclude` do not count."""
    skip = {*exclude, *([owner] if owner is not None else [])}
    taken = {k: i for k, i in _name_keys(db, kind, keys).items() if i not in skip}
    aliases = _alias_keys(db, kind, skip)
    for key, given in keys.items():
        other = taken.get(key) or aliases.get(key)
        if other is not None:
            held = _name(db, kind, other)
            how = "is the name" if key in taken else "is an alias"
            raise Conflict(f"{given!r} {how} of {kind.label} {held!r} (id {other})")


def _normalised_aliases(
    aliases: Iterable[str], own_key: str, limit: int | None = MAX_ALIASES
) -> tuple[list[str], dict[str, str]]:
    """Aliases cleaned and deduplicated by key, without the entry's own name; and
    their keys (key → alias)."""
    out: list[str] = []
    keys: dict[str, str] = {}
    for raw in aliases:
        alias = clean(raw, "alias")
        key = key_of(alias, "alias")
        if key == own_key or key in keys:
            continue
        keys[key] = alias
        out.append(alias)
    if limit is not None and len(out) > limit:
        raise Invalid(f"at most {limit} aliases")
    return out, keys


# -- finding ----------------------------------------------------------------------------


def _entries(db: Session, kind: Kind, *where: ColumnElement[bool]) -> list[Named]:
    return typed(list[Named], list(db.scalars(select(kind.model).where(*where))))


def _name(db: Session, kind: Kind, entry_id: int) -> str:
    name = db.scalar(select(kind.model.name).where(kind.model.id == entry_id))
    return str(name) if name is not None else f"#{entry_id}"


def get(db: Session, kind: Kind, entry_id: int) -> Named:
    entry = typed(Named | None, db.get(kind.model, entry_id))
    if entry is None:
        raise NotFound(f"{kind.label} {entry_id} not found")
    return entry


def find(db: Session, kind: Kind, name: str) -> Named | None:
    """The entry whose name or alias is `name` (folded), if any."""
    return find_many(db, kind, [name]).get(fold(name))


def find_many(db: Session, kind: Kind, names: Iterable[str]) -> dict[str, Named]:
    """key → entry for those `names` that name an entry or one of its aliases; one
    query by name, one over the aliases."""
    return _find_keys(db, kind, {fold(n) for n in names})


def _find_keys(db: Session, kind: Kind, keys: set[str]) -> dict[str, Named]:
    model = kind.model
    found = {e.key: e for e in _entries(db, kind, model.key.in_(list(keys)))}
    rest = keys - found.keys()
    if rest:
        by_alias = {k: i for k, i in _alias_keys(db, kind).items() if k in rest}
        entries = {e.id: e for e in _entries(db, kind, model.id.in_(by_alias.values()))}
        found.update({k: entries[i] for k, i in by_alias.items() if i in entries})
    return found


def resolve(db: Session, kind: Kind, refs: Sequence[int | str], create: bool) -> list[int]:
    """Ids for a list of ids and names, in order, without repeats. Ids must exist;
    names are looked up by name and alias and, with `create`, made when unknown."""
    ids = [r for r in refs if isinstance(r, int)]
    names = [r for r in refs if isinstance(r, str)]
    model = kind.model
    known = set(db.scalars(select(model.id).where(model.id.in_(ids)))) if ids else set()
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise NotFound(f"no {kind.label} with id {', '.join(map(str, unknown[:20]))}")
    by_key: dict[str, int] = {}
    key_for = {n: key_of(n, f"{kind.label} name") for n in names}
    if names:
        keys: dict[str, str] = {}
        for n, key in key_for.items():
            keys.setdefault(key, clean(n))  # the first spelling names a new entry
        by_key = {k: e.id for k, e in _find_keys(db, kind, set(keys)).items()}
        missing = {k: n for k, n in keys.items() if k not in by_key}
        if missing and not create:
            shown = ", ".join(repr(n) for n in list(missing.values())[:20])
            raise NotFound(f"no {kind.label} named {shown}")
        if missing:
            by_key.update(_insert_names(db, kind, missing))
    out = [r if isinstance(r, int) else by_key[key_for[r]] for r in refs]
    return list(dict.fromkeys(out))


def _insert_names(db: Session, kind: Kind, names: dict[str, str]) -> dict[str, int]:
    """New entries for these (key → name), tolerating a concurrent insert of the same
    key (ON CONFLICT DO NOTHING, then read back)."""
    rows = [
        {"name": n, "key": k, "aliases": "[]", "created_at": utcnow()} for k, n in names.items()
    ]
    table = typed(Table, kind.model.__table__)
    db.execute(_insert(db, table).on_conflict_do_nothing(index_elements=["key"]), rows)
    model = kind.model
    query = select(model.key, model.id).where(model.key.in_(list(names)))
    return {key: entry_id for key, entry_id in db.execute(query)}


def find_or_create(db: Session, kind: Kind, name: str) -> Named:
    """The entry named (or aliased) `name`, made if there is none."""
    (entry_id,) = resolve(db, kind, [name], create=True)
    return get(db, kind, entry_id)


def _run(db: Session, statement: Any) -> int:
    """Run an INSERT, UPDATE or DELETE; how many rows it changed."""
    # preserve_rowcount: PostgreSQL's driver reports -1 for INSERT … SELECT without it.
    result = db.execute(statement, execution_options={"preserve_rowcount": True})
    return int(typed(CursorResult[Any], result).rowcount)


def _int(value: int) -> Any:
    """An integer constant in a SELECT list, typed (PostgreSQL cannot guess a bound
    parameter's type there)."""
    return cast(literal(value), Integer)


def _insert(db: Session, table: Table) -> Any:
    """INSERT with ON CONFLICT for the session's database."""
    dialect = db.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


# -- changing ---------------------------------------------------------------------------


def create(db: Session, kind: Kind, name: str, aliases: Sequence[str] = (), **fields: Any) -> Named:
    """A new entry (flushed). Conflict if the name or an alias is taken."""
    name = clean(name)
    key = key_of(name)
    clean_aliases, alias_keys = _normalised_aliases(aliases, key)
    _check_free(db, kind, {key: name, **alias_keys}, None)
    entry = kind.model(name=name, key=key, aliases=_dump(clean_aliases), created_at=utcnow())
    for field, value in fields.items():
        setattr(entry, field, value)
    db.add(entry)
    db.flush()
    return entry


def rename(db: Session, kind: Kind, entry: Named, name: str) -> None:
    """A new name. If it was one of the entry's aliases, it is no longer an alias."""
    name = clean(name)
    key = key_of(name)
    if key != entry.key:
        _check_free(db, kind, {key: name}, entry.id)
    entry.name, entry.key = name, key
    entry.aliases = _dump([a for a in aliases_of(entry) if fold(a) != key])
    db.flush()


def set_aliases(db: Session, kind: Kind, entry: Named, aliases: Sequence[str]) -> None:
    """Replace the aliases. Conflict if one is another entry's name or alias."""
    clean_aliases, keys = _normalised_aliases(aliases, entry.key)
    _check_free(db, kind, keys, entry.id)
    entry.aliases = _dump(clean_aliases)
    db.flush()


def add_alias(db: Session, kind: Kind, entry: Named, alias: str) -> None:
    set_aliases(db, kind, entry, [*aliases_of(entry), alias])


def remove_alias(db: Session, kind: Kind, entry: Named, alias: str) -> None:
    """Remove the alias that folds like `alias`; NotFound if there is none."""
    key = fold(alias)
    kept = [a for a in aliases_of(entry) if fold(a) != key]
    if len(kept) == len(aliases_of(entry)):
        raise NotFound(f"{kind.label} {entry.name!r} has no alias {alias!r}")
    entry.aliases = _dump(kept)
    db.flush()


def set_parent(db: Session, studio: Studio, parent_id: int | None) -> None:
    """A studio's parent. Invalid for itself; Conflict if the parent is below it."""
    if parent_id is not None:
        if parent_id == studio.id:
            raise Invalid("a studio cannot be its own parent")
        parent = db.get(Studio, parent_id)
        if parent is None:
            raise NotFound(f"parent studio {parent_id} not found")
        if studio.id is not None and studio.id in ancestors(db, parent_id):
            raise Conflict(
                f"studio {parent.name!r} is under {studio.name!r}: "
                "making it the parent would make a loop"
            )
    studio.parent_id = parent_id
    db.flush()


def ancestors(db: Session, studio_id: int) -> list[int]:
    """The studio and its parents up the chain, nearest first (stops at a loop)."""
    parents = {i: p for i, p in db.execute(select(Studio.id, Studio.parent_id))}
    chain: list[int] = []
    current: int | None = studio_id
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return chain


def merge(db: Session, kind: Kind, target: Named, sources: Sequence[Named]) -> int:
    """Fold `sources` into `target`: their links move to it (links it has already are
    dropped), their names and aliases become its aliases, and they are deleted.
    Returns how many links moved."""
    source_ids = list(dict.fromkeys(s.id for s in sources))
    if not source_ids:
        raise Invalid(f"name at least one {kind.label} to merge")
    if target.id in source_ids:
        raise Invalid(f"a {kind.label} cannot be merged into itself")
    names = [n for s in sources for n in (s.name, *aliases_of(s))]
    aliases, _keys = _normalised_aliases([*aliases_of(target), *names], target.key, None)
    moved = _move_links(db, kind, target.id, source_ids)
    for field in (
        "category",
        "image_item_id",
    ):  # the target's own, else the first source's that has one
        if hasattr(target, field) and getattr(target, field) is None:
            given = [getattr(s, field) for s in sources if getattr(s, field) is not None]
            setattr(target, field, given[0] if given else None)
    if isinstance(target, Studio):
        _merge_studio_tree(db, target, source_ids)
    _move_filters(db, kind, target.id, source_ids)
    for source in sources:
        db.delete(source)
    db.flush()  # the sources' names and keys are free now
    target.aliases = _dump(aliases)
    db.flush()
    return moved


def _move_links(db: Session, kind: Kind, target_id: int, source_ids: list[int]) -> int:
    link = kind.item_link
    col = link.c[kind.column]
    if kind.one_per_item:  # one studio per item: re-point, nothing can repeat
        moved: int = _run(
            db, update(link).where(col.in_(source_ids)).values({kind.column: target_id})
        )
        moved += _run(
            db,
            update(Photoset).where(Photoset.studio_id.in_(source_ids)).values(studio_id=target_id),
        )
        return moved
    moved = 0
    for table, owner in ((link, "item_id"), (kind.photoset_link, "photoset_id")):
        assert table is not None
        tcol = table.c[kind.column]
        rows = select(table.c[owner], _int(target_id)).where(tcol.in_(source_ids))
        moved += _run(
            db,
            _insert(db, table)
            .from_select([owner, kind.column], rows.distinct())
            .on_conflict_do_nothing(),
        )
        db.execute(delete(table).where(tcol.in_(source_ids)))
    return moved


def _merge_studio_tree(db: Session, target: Studio, source_ids: list[int]) -> None:
    """Children of merged studios hang under the target, except the target's own
    ancestors (that would make a loop): those, and the target if its parent goes, move
    up to the nearest ancestor that stays."""
    gone = {*source_ids, target.id}
    parents = {i: p for i, p in db.execute(select(Studio.id, Studio.parent_id))}

    def nearest_kept_above(studio_id: int) -> int | None:
        seen: set[int] = set()
        current = parents.get(studio_id)
        while current is not None and current not in seen:
            if current not in gone:
                return current
            seen.add(current)
            current = parents.get(current)
        return None

    above_target = set(ancestors(db, target.id)[1:])
    moves: dict[int, int | None] = {}
    for child, parent in parents.items():
        if parent in source_ids and child not in gone:
            moves[child] = nearest_kept_above(child) if child in above_target else target.id
    if target.parent_id in source_ids:
        target.parent_id = nearest_kept_above(target.id)
    for child, parent in moves.items():
        db.execute(
            update(Studio)
            .where(Studio.id == child)
            .values(parent_id=parent)
            .execution_options(synchronize_session="fetch")
        )


def _move_filters(db: Session, kind: Kind, target_id: int, source_ids: list[int]) -> None:
    """A site-wide hide on a merged entry stays in force, on the target."""
    hidden = db.scalar(
        select(func.count())
        .select_from(ContentFilter)
        .where(ContentFilter.kind == kind.label, ContentFilter.target_id.in_(source_ids))
    )
    if hidden and db.get(ContentFilter, (kind.label, target_id)) is None:
        db.add(ContentFilter(kind=kind.label, target_id=target_id, created_at=utcnow()))
    db.execute(
        delete(ContentFilter).where(
            ContentFilter.kind == kind.label, ContentFilter.target_id.in_(source_ids)
        )
    )


def delete_entry(db: Session, kind: Kind, entry: Named) -> None:
    """Delete an entry and its links (items and photosets themselves stay)."""
    link = kind.item_link
    db.execute(delete(link).where(link.c[kind.column] == entry.id))
    if kind.photoset_link is not None:
        table = kind.photoset_link
        db.execute(delete(table).where(table.c[kind.column] == entry.id))
    else:
        db.execute(update(Photoset).where(Photoset.studio_id == entry.id).values(studio_id=None))
        db.execute(
            update(Studio)
            .where(Studio.parent_id == entry.id)
            .values(parent_id=None)
            .execution_options(synchronize_session="fetch")
        )
    db.execute(
        delete(ContentFilter).where(
            ContentFilter.kind == kind.label, ContentFilter.target_id == entry.id
        )
    )
    db.delete(entry)
    db.flush()


# -- links ------------------------------------------------------------------------------


def chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), CHUNK):
        yield unique[start : start + CHUNK]


@dataclass
class Changed:
    added: int = 0
    removed: int = 0  # detached; for studios' attach, the studios it replaced


def attach(
    db: Session,
    kind: Kind,
    ids: Sequence[int],
    items: Sequence[int] = (),
    photosets: Sequence[int] = (),
) -> Changed:
    """Link every entry of `ids` to every item and photoset (which must exist). Links
    that exist already are left alone. A few statements per 5,000 items."""
    changed = Changed()
    targets = list(dict.fromkeys(ids))
    if not targets:
        return changed
    model = kind.model
    if kind.one_per_item:
        if len(targets) > 1:
            raise Invalid(f"an item has one {kind.label}: attach one at a time")
        (target,) = targets
        link = kind.item_link
        for chunk in chunks(items):
            changed.removed += _run(
                db, delete(link).where(link.c.item_id.in_(chunk), link.c[kind.column] != target)
            )
            rows = select(Item.id, _int(target)).where(Item.id.in_(chunk))
            changed.added += _run(
                db,
                _insert(db, link)
                .from_select(["item_id", kind.column], rows)
                .on_conflict_do_nothing(),
            )
        for chunk in chunks(photosets):
            sets = Photoset.id.in_(chunk)
            replaced = _run(
                db,
                update(Photoset)
                .where(sets, Photoset.studio_id.is_not(None), Photoset.studio_id != target)
                .values(studio_id=target)
                .execution_options(synchronize_session=False),
            )
            changed.removed += replaced
            changed.added += replaced  # a replaced studio is a link added, as for items
            changed.added += _run(
                db,
                update(Photoset)
                .where(sets, Photoset.studio_id.is_(None))
                .values(studio_id=target)
                .execution_options(synchronize_session=False),
            )
        return changed
    sides: list[tuple[Table | None, type[Item] | type[Photoset], str, Sequence[int]]] = [
        (kind.item_link, Item, "item_id", items),
        (kind.photoset_link, Photoset, "photoset_id", photosets),
    ]
    for table, owners_model, owner, owners in sides:
        assert table is not None
        for chunk in chunks(owners):
            # Every (owner, entry) pair in one INSERT … SELECT; a join on true, not a
            # comma: SQLite needs the WHERE before ON CONFLICT, SQLAlchemy no cartesian.
            rows = (
                select(owners_model.id, model.id)
                .join_from(owners_model, model, true())
                .where(owners_model.id.in_(chunk), model.id.in_(targets))
            )
            changed.added += _run(
                db,
                _insert(db, table).from_select([owner, kind.column], rows).on_conflict_do_nothing(),
            )
    return changed


def detach(
    db: Session,
    kind: Kind,
    ids: Sequence[int],
    items: Sequence[int] = (),
    photosets: Sequence[int] = (),
) -> Changed:
    """Remove the links between `ids` and these items and photosets."""
    changed = Changed()
    targets = list(dict.fromkeys(ids))
    if not targets:
        return changed
    link = kind.item_link
    for chunk in chunks(items):
        changed.removed += _run(
            db, delete(link).where(link.c.item_id.in_(chunk), link.c[kind.column].in_(targets))
        )
    for chunk in chunks(photosets):
        if kind.photoset_link is None:
            changed.removed += _run(
                db,
                update(Photoset)
                .where(Photoset.id.in_(chunk), Photoset.studio_id.in_(targets))
                .values(studio_id=None)
                .execution_options(synchronize_session=False),
            )
        else:
            table = kind.photoset_link
            changed.removed += _run(
                db,
                delete(table).where(
                    table.c.photoset_id.in_(chunk), table.c[kind.column].in_(targets)
                ),
            )
    return changed


def existing(db: Session, column: Any, ids: Sequence[int], *where: ColumnElement[bool]) -> set[int]:
    """Those of `ids` that are in `column` (e.g. Item.id), a query per 5,000."""
    found: set[int] = set()
    for chunk in chunks(ids):
        found.update(db.scalars(select(column).where(column.in_(chunk), *where)))
    return found


# -- listing ----------------------------------------------------------------------------

Order = Literal["name", "count"]


def search(db: Session, kind: Kind, text: str) -> ColumnElement[bool]:
    """A condition: the name or one of the aliases starts with `text` (folded)."""
    prefix = fold(text)
    model = kind.model
    if not prefix:
        return true()
    by_alias = {i for key, i in _alias_keys(db, kind).items() if key.startswith(prefix)}
    # A prefix test, not LIKE: no wildcards in names.
    starts = func.substr(model.key, 1, len(prefix)) == prefix
    return or_(starts, model.id.in_(by_alias)) if by_alias else starts


def item_counts_query(kind: Kind, *item_where: ColumnElement[bool]) -> Any:
    """A subquery: (target_id, n) — how many items (present, and matching
    `item_where`) each entry is linked to."""
    link = kind.item_link
    col = link.c[kind.column]
    return (
        select(col.label("target_id"), func.count().label("n"))
        .join(Item, Item.id == link.c.item_id)
        .where(Item.status == "present", *item_where)
        .group_by(col)
        .subquery()
    )


def item_counts(
    db: Session, kind: Kind, ids: Sequence[int], *item_where: ColumnElement[bool]
) -> dict[int, int]:
    link = kind.item_link
    col = link.c[kind.column]
    query = (
        select(col, func.count())
        .join(Item, Item.id == link.c.item_id)
        .where(col.in_(list(ids)), Item.status == "present", *item_where)
        .group_by(col)
    )
    return {int(i): int(n) for i, n in db.execute(query)}


def photoset_count(db: Session, kind: Kind, entry_id: int) -> int:
    if kind.photoset_link is None:
        query = select(func.count()).select_from(Photoset).where(Photoset.studio_id == entry_id)
    else:
        table = kind.photoset_link
        query = select(func.count()).select_from(table).where(table.c[kind.column] == entry_id)
    return int(db.scalar(query) or 0)


def listing(
    db: Session,
    kind: Kind,
    *,
    where: Sequence[ColumnElement[bool]] = (),
    order: Order = "name",
    desc: bool = False,
    after: tuple[Any, int] | None = None,
    limit: int = 100,
    item_where: Sequence[ColumnElement[bool]] = (),
) -> list[tuple[Named, int]]:
    """A page of entries with their item counts, ordered by key (the folded name) or
    by count, ties broken by id; `after` is the (key or count, id) the last page
    ended on."""
    model = kind.model
    conditions = list(where)
    if order == "count":
        counts = item_counts_query(kind, *item_where)
        value: Any = func.coalesce(counts.c.n, 0)
        query = select(model, value).outerjoin(counts, counts.c.target_id == model.id)
    else:
        value = model.key
        query = select(model)
    if after is not None:
        pair = tuple_(value, model.id)
        conditions.append(pair < tuple_(*after) if desc else pair > tuple_(*after))
    ordering = (value.desc(), model.id.desc()) if desc else (value.asc(), model.id.asc())
    query = query.where(and_(true(), *conditions)).order_by(*ordering).limit(limit)
    if order == "count":
        return [(entry, int(n)) for entry, n in db.execute(query)]
    entries = list(db.scalars(query))
    counts_by_id = item_counts(db, kind, [e.id for e in entries], *item_where) if entries else {}
    return [(e, counts_by_id.get(e.id, 0)) for e in entries]


# -- filters on items ----------------------------------------------------------------------
