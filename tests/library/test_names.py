"""library/names.py: tags, performers and studios share one implementation. Folding,
aliases, find-or-create, rename, merge, delete, studio trees and bulk links, on
SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from mediashelf.db.models import (
    ContentFilter,
    Item,
    ItemPerformer,
    ItemStudio,
    ItemTag,
    Photoset,
    PhotosetTag,
    Root,
    Studio,
    Tag,
)
from mediashelf.library import names
from mediashelf.library.names import PERFORMERS, STUDIOS, TAGS

NOW = datetime(2024, 1, 1)


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


def make_items(db: Session, n: int) -> list[int]:
    root = Root(path=f"/media-{n}", created_at=NOW)
    db.add(root)
    db.flush()
    rows = [
        {
            "root_id": root.id,
            "rel_path": f"f{i}.jpg",
            "folder": "",
            "name": f"f{i}.jpg",
            "kind": "image",
            "size": 1,
            "mtime_ns": 0,
            "date": NOW,
            "status": "present",
            "created_at": NOW,
            "updated_at": NOW,
        }
        for i in range(n)
    ]
    db.execute(Item.__table__.insert(), rows)
    return list(db.scalars(select(Item.id).where(Item.root_id == root.id).order_by(Item.id)))


def make_photoset(db: Session, name: str = "set") -> int:
    photoset = Photoset(name=name, description="", created_at=NOW, updated_at=NOW)
    db.add(photoset)
    db.flush()
    return photoset.id


def tag_ids_of(db: Session, item_id: int) -> set[int]:
    return set(db.scalars(select(ItemTag.tag_id).where(ItemTag.item_id == item_id)))


# -- names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Beach", "beach"),
        ("Beach", "\uff22\uff45\uff41\uff43\uff48"),  # full-width letters
        ("Beach  Day", " beach\tday "),
        ("Straße", "STRASSE"),  # case folding, not lower()
        ("ｶﾞ", "ガ"),  # half-width katakana with a voiced mark
    ],
)
def test_names_that_differ_only_in_case_width_or_spaces_fold_alike(a: str, b: str) -> None:
    assert names.fold(a) == names.fold(b)
    assert names.fold("Beach") != names.fold("Beaches")


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("", "empty"),
        ("   \t ", "empty"),
        ("a\x00b", "control character"),
        ("a\x07b", "control character"),
        ("x" * 201, "longer than 200"),
        ("\ufdfa" * 20, "too long once normalised"),  # NFKC makes 18 characters of each
        ("a\ud800", "control character"),  # a lone surrogate
    ],
)
def test_bad_names_are_invalid(db: Session, name: str, why: str) -> None:
    with pytest.raises(names.Invalid, match=why):
        names.create(db, TAGS, name)


def test_a_name_in_another_case_or_width_is_the_same_entry(db: Session) -> None:
    tag = names.create(db, TAGS, "  Beach   Day ")
    assert (tag.name, tag.key) == ("Beach Day", "beach day")
    with pytest.raises(names.Conflict, match="is the name of tag 'Beach Day'"):
        names.create(db, TAGS, "\uff42\uff45\uff41\uff43\uff48 DAY")
    assert names.find(db, TAGS, "BEACH day") is tag
    assert names.find_or_create(db, TAGS, "beach  day") is tag
    assert db.scalar(select(func.count()).select_from(Tag)) == 1


def test_kinds_are_separate(db: Session) -> None:
    names.create(db, TAGS, "Alex")
    performer = names.create(db, PERFORMERS, "Alex")  # a tag's name is free for a performer
    assert names.find(db, PERFORMERS, "alex") is performer
    assert names.find(db, STUDIOS, "alex") is None


# -- aliases ----------------------------------------------------------------------------


def test_aliases_are_found_and_kept_clean(db: Session) -> None:
    tag = names.create(db, TAGS, "New York", ["NYC", "nyc", " Big  Apple ", "NEW YORK"])
    assert names.aliases_of(tag) == ["NYC", "Big Apple"]  # repeats and its own name dropped
    assert names.find(db, TAGS, "big apple") is tag
    assert names.find(db, TAGS, "\uff2e\uff39\uff23") is tag
    assert names.find(db, TAGS, "Big") is None


@pytest.mark.parametrize("alias", ["Paris", "paris", "City of Light", "CITY OF  LIGHT"])
def test_an_alias_may_not_be_another_entrys_name_or_alias(db: Session, alias: str) -> None:
    names.create(db, TAGS, "Paris", ["City of Light"])
    other = names.create(db, TAGS, "London")
    with pytest.raises(names.Conflict, match="of tag 'Paris'"):
        names.set_aliases(db, TAGS, other, [alias])
    with pytest.raises(names.Conflict):
        names.create(db, TAGS, "Rome", [alias])
    with pytest.raises(names.Conflict):
        names.add_alias(db, TAGS, other, alias)
    assert names.aliases_of(other) == []


def test_a_name_may_not_be_another_entrys_alias(db: Session) -> None:
    names.create(db, TAGS, "New York", ["NYC"])
    with pytest.raises(names.Conflict, match="is an alias of tag 'New York'"):
        names.create(db, TAGS, "nyc")
    other = names.create(db, TAGS, "Boston")
    with pytest.raises(names.Conflict):
        names.rename(db, TAGS, other, "NYC")


def test_add_and_remove_an_alias(db: Session) -> None:
    tag = names.create(db, TAGS, "Cat")
    names.add_alias(db, TAGS, tag, "Kitty")
    names.add_alias(db, TAGS, tag, "kitty")  # already there
    assert names.aliases_of(tag) == ["Kitty"]
    names.remove_alias(db, TAGS, tag, "KITTY")
    assert names.aliases_of(tag) == []
    with pytest.raises(names.NotFound):
        names.remove_alias(db, TAGS, tag, "Kitty")


def test_renaming_to_an_own_alias_swaps_it_out(db: Session) -> None:
    tag = names.create(db, TAGS, "NYC", ["New York"])
    names.rename(db, TAGS, tag, "new york")
    assert (tag.name, tag.key, names.aliases_of(tag)) == ("new york", "new york", [])
    names.rename(db, TAGS, tag, "New York")  # only the case: the same key
    assert tag.name == "New York"


def test_too_many_aliases(db: Session) -> None:
    with pytest.raises(names.Invalid, match="at most 100"):
        names.create(db, TAGS, "x", [f"a{i}" for i in range(101)])


# -- resolve ----------------------------------------------------------------------------


def test_resolve_takes_ids_and_names_and_creates_on_request(db: Session) -> None:
    ny = names.create(db, TAGS, "New York", ["NYC"])
    ids = names.resolve(db, TAGS, [ny.id, "nyc", "Beach", "BEACH", "Sun"], create=True)
    beach = names.find(db, TAGS, "beach")
    sun = names.find(db, TAGS, "sun")
    assert beach is not None and sun is not None
    assert ids == [ny.id, beach.id, sun.id]  # in order, without repeats
    assert beach.name == "Beach"  # as first written
    with pytest.raises(names.NotFound, match="no tag named 'Moon'"):
        names.resolve(db, TAGS, ["Moon"], create=False)
    with pytest.raises(names.NotFound, match="no tag with id 999999"):
        names.resolve(db, TAGS, [999999], create=True)
    assert names.find(db, TAGS, "moon") is None


# -- links ------------------------------------------------------------------------------


def test_attach_is_idempotent_and_detach_removes(db: Session) -> None:
    items = make_items(db, 3)
    photoset = make_photoset(db)
    a, b = names.create(db, TAGS, "a"), names.create(db, TAGS, "b")
    assert names.attach(db, TAGS, [a.id, b.id], items, [photoset]).added == 8
    assert names.attach(db, TAGS, [a.id], items[:2], [photoset]).added == 0
    assert tag_ids_of(db, items[0]) == {a.id, b.id}
    assert names.detach(db, TAGS, [a.id], items[1:], [photoset]).removed == 3
    assert tag_ids_of(db, items[0]) == {a.id, b.id}
    assert tag_ids_of(db, items[1]) == {b.id}
    photoset_tags = set(db.scalars(select(PhotosetTag.tag_id)))
    assert photoset_tags == {b.id}


def test_attach_many_items_takes_a_few_statements(db: Session, engine: Engine) -> None:
    from sqlalchemy import event

    items = make_items(db, 12_000)
    tags = [names.create(db, TAGS, f"t{i}").id for i in range(3)]
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        changed = names.attach(db, TAGS, tags, items)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert changed.added == 36_000
    assert len(statements) <= 4, statements  # 3 chunks of 5,000 items
    assert db.scalar(select(func.count()).select_from(ItemTag)) == 36_000


def test_a_studio_per_item_replaced_on_attach(db: Session) -> None:
    items = make_items(db, 3)
    photosets = [make_photoset(db), make_photoset(db)]
    a, b = names.create(db, STUDIOS, "A"), names.create(db, STUDIOS, "B")
    first = names.attach(db, STUDIOS, [a.id], items[:2], photosets[:1])
    assert (first.added, first.removed) == (3, 0)
    second = names.attach(db, STUDIOS, [b.id], items, photosets)
    assert (second.added, second.removed) == (5, 3)
    again = names.attach(db, STUDIOS, [b.id], items, photosets)
    assert (again.added, again.removed) == (0, 0)
    assert set(db.scalars(select(ItemStudio.studio_id))) == {b.id}
    assert set(db.scalars(select(Photoset.studio_id))) == {b.id}
    with pytest.raises(names.Invalid, match="one studio"):
        names.attach(db, STUDIOS, [a.id, b.id], items)
    assert names.detach(db, STUDIOS, [a.id], items, photosets).removed == 0  # not theirs
    assert names.detach(db, STUDIOS, [b.id], items, photosets).removed == 5
    assert set(db.scalars(select(Photoset.studio_id))) == {None}


# -- merge ------------------------------------------------------------------------------


def test_merge_moves_links_and_keeps_names_as_aliases(db: Session) -> None:
    items = make_items(db, 3)
    photoset = make_photoset(db)
    target = names.create(db, TAGS, "Sea", ["Ocean"])
    dup = names.create(db, TAGS, "sea side", ["Seaside"])
    other = names.create(db, TAGS, "Coast", category="place")
    names.attach(db, TAGS, [target.id], items[:1])
    names.attach(db, TAGS, [dup.id], items[:2], [photoset])  # items[0] has both
    names.attach(db, TAGS, [other.id], items[1:])
    db.add(ContentFilter(kind="tag", target_id=other.id, created_at=NOW))
    db.flush()
    moved = names.merge(db, TAGS, target, [dup, other])
    db.commit()
    assert moved == 3  # links the target gained: items[1], items[2] and the photoset
    assert names.aliases_of(target) == ["Ocean", "sea side", "Seaside", "Coast"]
    assert isinstance(target, Tag) and target.category == "place"  # it had none
    assert db.scalars(select(Tag.id)).all() == [target.id]
    assert {tuple(r) for r in db.execute(select(ItemTag.item_id, ItemTag.tag_id))} == {
        (i, target.id) for i in items
    }
    assert db.scalar(select(PhotosetTag.tag_id)) == target.id
    filters = db.execute(select(ContentFilter.kind, ContentFilter.target_id)).all()
    assert [tuple(f) for f in filters] == [("tag", target.id)]  # still hidden
    assert names.find(db, TAGS, "coast") is target
    assert names.find(db, TAGS, "seaside") is target


def test_merge_refuses_itself_and_nothing(db: Session) -> None:
    tag = names.create(db, TAGS, "x")
    with pytest.raises(names.Invalid, match="into itself"):
        names.merge(db, TAGS, tag, [tag])
    with pytest.raises(names.Invalid):
        names.merge(db, TAGS, tag, [])


def test_merge_performers(db: Session) -> None:
    items = make_items(db, 2)
    a = names.create(db, PERFORMERS, "Ann Lee")
    b = names.create(db, PERFORMERS, "Anne Lee", image_item_id=items[0])
    names.attach(db, PERFORMERS, [b.id], items)
    names.merge(db, PERFORMERS, a, [b])
    db.commit()
    assert set(db.scalars(select(ItemPerformer.performer_id))) == {a.id}
    assert names.aliases_of(a) == ["Anne Lee"]
    assert getattr(a, "image_item_id", None) == items[0]  # it had no picture


def test_merge_studios_repoints_children_items_and_photosets(db: Session) -> None:
    items = make_items(db, 2)
    photoset = make_photoset(db)
    network = names.create(db, STUDIOS, "Network")
    label = names.create(db, STUDIOS, "Label")
    child = names.create(db, STUDIOS, "Child")
    assert isinstance(label, Studio) and isinstance(child, Studio)
    names.set_parent(db, label, network.id)
    names.set_parent(db, child, label.id)
    names.attach(db, STUDIOS, [label.id], items, [photoset])
    names.merge(db, STUDIOS, network, [label])
    db.commit()
    db.expire_all()
    assert db.get(Studio, child.id).parent_id == network.id  # type: ignore[union-attr]
    assert set(db.scalars(select(ItemStudio.studio_id))) == {network.id}
    assert db.scalar(select(Photoset.studio_id)) == network.id


def test_merging_a_parent_into_its_child_lifts_the_child(db: Session) -> None:
    top = names.create(db, STUDIOS, "Top")
    mid = names.create(db, STUDIOS, "Mid")
    low = names.create(db, STUDIOS, "Low")
    assert isinstance(mid, Studio) and isinstance(low, Studio)
    names.set_parent(db, mid, top.id)
    names.set_parent(db, low, mid.id)
    names.merge(db, STUDIOS, low, [mid])
    assert low.parent_id == top.id
    assert names.ancestors(db, low.id) == [low.id, top.id]


def test_merging_an_ancestor_into_a_descendant_makes_no_loop(db: Session) -> None:
    top = names.create(db, STUDIOS, "Top")
    grand = names.create(db, STUDIOS, "Grand")
    mid = names.create(db, STUDIOS, "Mid")
    low = names.create(db, STUDIOS, "Low")
    side = names.create(db, STUDIOS, "Side")
    for child, parent in [(grand, top), (mid, grand), (low, mid), (side, grand)]:
        assert isinstance(child, Studio)
        names.set_parent(db, child, parent.id)
    names.merge(db, STUDIOS, low, [grand])
    db.commit()
    db.expire_all()
    parents = {s.name: s.parent_id for s in db.scalars(select(Studio))}
    # Mid was under Grand and above Low: it moves up to Top. Side goes under Low.
    assert parents == {"Top": None, "Mid": top.id, "Low": mid.id, "Side": low.id}
    assert names.ancestors(db, low.id) == [low.id, mid.id, top.id]


# -- studio trees -------------------------------------------------------------------------


def test_studio_parents_never_loop(db: Session) -> None:
    a, b, c = (names.create(db, STUDIOS, n) for n in "ABC")
    assert isinstance(a, Studio) and isinstance(b, Studio) and isinstance(c, Studio)
    names.set_parent(db, b, a.id)
    names.set_parent(db, c, b.id)
    with pytest.raises(names.Invalid, match="its own parent"):
        names.set_parent(db, a, a.id)
    with pytest.raises(names.Conflict, match="loop"):
        names.set_parent(db, a, c.id)
    with pytest.raises(names.Conflict, match="loop"):
        names.set_parent(db, a, b.id)
    with pytest.raises(names.NotFound):
        names.set_parent(db, a, 987654)
    assert a.parent_id is None
    names.set_parent(db, c, a.id)  # a sideways move is fine
    names.set_parent(db, c, None)
    assert c.parent_id is None


# -- delete -------------------------------------------------------------------------------


def test_delete_takes_the_links_not_the_items(db: Session) -> None:
    items = make_items(db, 2)
    tag = names.create(db, TAGS, "gone")
    keep = names.create(db, TAGS, "kept")
    names.attach(db, TAGS, [tag.id, keep.id], items)
    db.add(ContentFilter(kind="tag", target_id=tag.id, created_at=NOW))
    names.delete_entry(db, TAGS, tag)
    db.commit()
    assert set(db.scalars(select(ItemTag.tag_id))) == {keep.id}
    assert db.scalar(select(func.count()).select_from(Item)) == 2
    assert db.scalar(select(func.count()).select_from(ContentFilter)) == 0
    assert names.find(db, TAGS, "gone") is None


def test_deleting_a_studio_frees_its_children_and_photosets(db: Session) -> None:
    photoset = make_photoset(db)
    parent = names.create(db, STUDIOS, "Parent")
    child = names.create(db, STUDIOS, "Child")
    assert isinstance(child, Studio)
    names.set_parent(db, child, parent.id)
    names.attach(db, STUDIOS, [parent.id], photosets=[photoset])
    names.delete_entry(db, STUDIOS, parent)
    db.commit()
    db.expire_all()
    assert db.get(Studio, child.id).parent_id is None  # type: ignore[union-attr]
    assert db.scalar(select(Photoset.studio_id)) is None


# -- listing and filters ----------------------------------------------------------------


def test_listing_by_count_pages_with_ties(db: Session) -> None:
    items = make_items(db, 4)
    tags = [names.create(db, TAGS, f"t{i}") for i in range(5)]
    for n, tag in enumerate(tags):
        names.attach(db, TAGS, [tag.id], items[: n % 3])  # counts 0, 1, 2, 0, 1
    every = names.listing(db, TAGS, order="count", desc=True, limit=100)
    assert [(t.name, n) for t, n in every] == [
        ("t2", 2),
        ("t4", 1),
        ("t1", 1),
        ("t3", 0),
        ("t0", 0),
    ]
    got = []
    after = None
    for _ in range(10):
        page = names.listing(db, TAGS, order="count", desc=True, after=after, limit=2)
        got += [t.name for t, _ in page]
        if len(page) < 2:
            break
        after = (page[-1][1], page[-1][0].id)
    assert got == [t.name for t, _ in every]


def test_search_finds_names_and_aliases_by_prefix(db: Session) -> None:
    names.create(db, TAGS, "Beach")
    names.create(db, TAGS, "Sea", ["Ocean Beach"])
    names.create(db, TAGS, "Bea%")  # a LIKE wildcard is a character here
    found = db.scalars(
        select(Tag.name).where(names.search(db, TAGS, "\uff22\uff25\uff21")).order_by(Tag.key)
    )
    assert list(found) == ["Bea%", "Beach"]
    found = db.scalars(select(Tag.name).where(names.search(db, TAGS, "ocean")))
    assert list(found) == ["Sea"]
    found = db.scalars(select(Tag.name).where(names.search(db, TAGS, "bea%")))
    assert list(found) == ["Bea%"]


def test_aliases_column_is_json(db: Session) -> None:
    tag = names.create(db, TAGS, "Café", ["Kaffee", "咖啡"])
    db.commit()
    raw = db.scalar(select(Tag.aliases).where(Tag.id == tag.id))
    assert json.loads(raw or "") == ["Kaffee", "咖啡"]
