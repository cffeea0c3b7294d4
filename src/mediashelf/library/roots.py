"""Which roots are in the library now.

A root taken out of MEDIA_DIR keeps its rows, so its items and everything
keyed to them come back if it is put back; until then nothing lists, serves
or thumbnails them.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, select

from mediashelf.config import Settings
from mediashelf.db.models import Item, Root


def in_library(settings: Settings) -> ColumnElement[bool]:
    """A condition on items: under one of the configured roots."""
    return Item.root_id.in_(select(Root.id).where(Root.path.in_(settings.root_paths)))
