"""Site-wide content filters: an admin hides every item with a given tag, performer or
studio. `shown` is the SQL condition every listing, count and random pick adds; for
people who are not admins, opening such an item directly is refused too, and so are the
thumbnails and previews of a content whose every copy is hidden (`Fingerprints`)."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Engine,
    and_,
    bindparam,
    exists,
    or_,
    select,
    true,
)
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
    return _not_hidden()


def _not_hidden() -> ColumnElement[bool]:
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


_ANY_FILTER = select(ContentFilter.kind).limit(1)
_FP: BindParameter[str] = bindparam("fp")
_VISIBLE_COPY = select(Item.id).where(Item.fingerprint == _FP, _not_hidden()).limit(1)


class Fingerprints:
    """For the files served by fingerprint (thumbnails, previews): whether content
    filters hide every item with that content, so that their files are refused to
    people who are not admins. Whether any filter exists is read at most every `ttl`
    seconds (the filters' API refreshes it at once in its own process): with none, a
    thumbnail costs no query."""

    def __init__(self, engine: Engine, ttl: float = 2.0) -> None:
        self.engine = engine
        self.ttl = ttl
        self._any = False
        self._at = float("-inf")

    def refresh(self) -> None:
        self._at = float("-inf")

    def hidden(self, fingerprint: str) -> bool:
        if time.monotonic() - self._at >= self.ttl:
            with self.engine.connect() as conn:
                self._any = conn.execute(_ANY_FILTER).first() is not None
            self._at = time.monotonic()
        if not self._any:
            return False
        with self.engine.connect() as conn:
            return conn.execute(_VISIBLE_COPY, {"fp": fingerprint}).first() is None
