"""Site-wide content filters: an admin hides every item with a given tag, performer or
studio. `shown` is the SQL condition every listing, count and random pick adds; for
people who are not admins, opening such an item directly is refused too."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select, true
from sqlalchemy.orm import Session

from mediashelf.db.models import ContentFilter, Item, ItemPerformer, ItemStudio, ItemTag

# kind -> (link table, its column naming the tag, performer or studio)
LINKS: dict[str, tuple[Any, Any]] = {
    "tag": (ItemTag, ItemTag.tag_id),
    "performer": (ItemPerformer, ItemPerformer.performer_id),
    "studio": (ItemStudio, ItemStudio.studio_id),
}


def shown(db: Session) -> ColumnElement[bool]:
    """The items no content filter hides. A constant when there are no filters, so that
    an unfiltered library pays nothing."""
    if db.scalar(select(ContentFilter.kind).limit(1)) is None:
        return true()
    hides = [
        exists(
            select(1)
            .select_from(link)
            .join(
                ContentFilter, and_(ContentFilter.kind == kind, ContentFilter.target_id == target)
            )
            .where(link.item_id == Item.id)
        )
        for kind, (link, target) in LINKS.items()
    ]
    return ~or_(*hides)
