"""Link filters on item lists, and the plan chosen by how rare a link is: both plans
must give the same items, in the same order, page after page."""

from __future__ import annotations

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from mediashelf.db.models import Item
from mediashelf.library import listing, names
from mediashelf.library.names import PERFORMERS, STUDIOS, TAGS
from tests.library.test_names import db, make_items

__all__ = ["db"]  # the fixture, used by name


def test_item_filters(db: Session) -> None:
    items = make_items(db, 4)
    a, b = names.create(db, TAGS, "a"), names.create(db, TAGS, "b")
    names.attach(db, TAGS, [a.id], items[:2])
    names.attach(db, TAGS, [b.id], items[1:3])
    s1, s2 = names.create(db, STUDIOS, "s1"), names.create(db, STUDIOS, "s2")
    names.attach(db, STUDIOS, [s1.id], items[:1])
    names.attach(db, STUDIOS, [s2.id], items[1:2])

    def ids(**filters: object) -> list[int]:
        where = listing.item_filters(**filters).conditions  # type: ignore[arg-type]
        return list(db.scalars(select(Item.id).where(*where).order_by(Item.id)))

    assert ids(tags=[a.id]) == items[:2]
    assert ids(tags=[a.id, b.id]) == [items[1]]  # every tag
    assert ids(tags=[a.id, a.id]) == items[:2]
    assert ids(studios=[s1.id, s2.id]) == items[:2]  # any studio
    assert ids(untagged=True) == [items[3]]
    assert ids(tags=[a.id], studios=[s2.id]) == [items[1]]


def _pages(db: Session, narrowing: listing.Narrowing, page: int) -> list[int]:
    """Every matching item, newest id first, `page` at a time with a keyset cursor."""
    got: list[int] = []
    while True:
        where = [*narrowing.conditions, narrowing.status_condition()]
        if got:
            where.append(tuple_(Item.id) < tuple_(got[-1]))
        rows = list(db.scalars(select(Item.id).where(*where).order_by(Item.id.desc()).limit(page)))
        got += rows
        if len(rows) < page:
            return got


def test_rare_links_drive_the_plan_and_give_the_same_pages(db: Session) -> None:
    items = make_items(db, 600)
    common = names.create(db, TAGS, "common")
    rare = names.create(db, TAGS, "rare")
    star = names.create(db, PERFORMERS, "star")
    names.attach(db, TAGS, [common.id], items[::2])  # 300 items
    names.attach(db, TAGS, [rare.id], items[::50])  # 12
    names.attach(db, PERFORMERS, [star.id], items[::4])  # 150
    missing = items[100]  # it has every link, and is gone: never listed
    db.execute(Item.__table__.update().where(Item.id == missing).values(status="missing"))
    page = 5  # bound = sqrt(3.4 * 5 * 600) = 100: 12 links are few, 150 and 300 many

    def both(**filters: object) -> tuple[bool, list[int]]:
        chosen = listing.item_filters(db, page=page, **filters)  # type: ignore[arg-type]
        walked = listing.item_filters(page=page, **filters)  # type: ignore[arg-type]
        assert not walked.from_links
        assert _pages(db, chosen, page) == _pages(db, walked, page)
        return chosen.from_links, _pages(db, chosen, page)

    assert both(tags=[rare.id]) == (True, [i for i in items[::50] if i != missing][::-1])
    assert both(tags=[common.id]) == (False, [i for i in items[::2] if i != missing][::-1])
    assert both(tags=[common.id, rare.id]) == (True, [i for i in items[::50] if i != missing][::-1])
    assert both(tags=[common.id], performers=[star.id]) == (
        False,
        [i for i in items[::4] if i != missing][::-1],
    )
    assert both(tags=[rare.id], performers=[star.id])[0] is True
