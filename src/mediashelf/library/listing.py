"""How an item list is narrowed by what people attached: tags, performers, studios.

A list is read in its sort order (an index on `(status, date, id)`, `(status, name, id)`,
...) until a page is full. A link filter is then checked on each row read, which is cheap
while the link is common: a tag on 40% of the library fills a page of 100 after ~250
rows. For a rare one (a tag on 0.2%) that walk reads half the table (105 ms at 100,000
items); the other plan, reading the link's few items and sorting them, takes 0.2 ms
there, and 28 ms for the common tag. `item_filters` counts the rarest link's items (up
to a bound, so the count is cheap) and picks the plan; bench/items.py measures both.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session

from mediashelf.db.models import Item, ItemPerformer, ItemStudio, ItemTag

# The walk checks ~ page * items / links rows; the sort reads `links` rows and sorts
# them. Measured on SQLite (bench/items.py): a row walked ~2.4 us, a row sorted ~0.7 us,
# so they cost the same at links ~ sqrt(3.4 * page * items).
_WALK_OVER_SORT = 3.4


@dataclass
class Narrowing:
    """The conditions, and whether the query must start from the rarest link: the
    caller then keeps its sort index out of the plan (see `status_condition`)."""

    conditions: list[ColumnElement[bool]] = field(default_factory=list)
    from_links: bool = False

    def status_condition(self, status: str = "present") -> ColumnElement[bool]:
        """`items.status = ?`, written so that no index can serve it when the plan
        starts from the links (a function of the column hides it from the planner)."""
        if self.from_links:
            return func.coalesce(Item.status, "") == status
        return Item.status == status


def _link(table: Any, column: Any, target: int) -> tuple[Any, Any]:
    member = select(table.item_id).where(column == target)
    walk = exists().where(table.item_id == Item.id, column == target)
    return member, walk


def item_filters(
    db: Session | None = None,
    *,
    tags: Sequence[int] = (),
    performers: Sequence[int] = (),
    studios: Sequence[int] = (),
    untagged: bool = False,
    page: int = 100,
) -> Narrowing:
    """Every one of `tags`, every one of `performers`, any of `studios` (an item has
    one), no tag at all. With `db`, the plan follows the rarest tag or performer: a page
    of `page` rows is read from its links when it has few, else the sort order is walked
    and each row checked."""
    links: list[tuple[Any, Any, int]] = [(ItemTag, ItemTag.tag_id, t) for t in dict.fromkeys(tags)]
    links += [(ItemPerformer, ItemPerformer.performer_id, p) for p in dict.fromkeys(performers)]
    out = Narrowing()
    rarest = None
    if db is not None and links:
        # items.id only grows: its largest value is the library's size or more, read in
        # one index step (count(*) would read the whole table).
        size = db.scalar(select(func.max(Item.id))) or 0
        bound = max(1, int(math.sqrt(_WALK_OVER_SORT * page * size)))
        counted = [
            (
                db.scalar(
                    select(func.count()).select_from(
                        select(table.item_id).where(column == target).limit(bound).subquery()
                    )
                )
                or 0,
                n,
            )
            for n, (table, column, target) in enumerate(links)
        ]
        fewest, rarest = min(counted)
        if fewest >= bound:
            rarest = None
    for n, (table, column, target) in enumerate(links):
        member, walk = _link(table, column, target)
        out.conditions.append(Item.id.in_(member) if n == rarest else walk)
    out.from_links = rarest is not None
    if studios:
        wanted = list(dict.fromkeys(studios))
        out.conditions.append(
            Item.id.in_(select(ItemStudio.item_id).where(ItemStudio.studio_id.in_(wanted)))
        )
    if untagged:
        out.conditions.append(~exists().where(ItemTag.item_id == Item.id))
    return out
