"""Tables. Items are files under a library root; their identity is content.

An item row stands for one file. Its `fingerprint` (size + first and last
64 KiB, see library/identity.py) is what metadata will hang off: when a file
moves, the scanner finds the row by fingerprint and updates its path, so the
row id and everything keyed to it (tags, ratings, photoset membership, all
coming in later issues) follow the file.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Root(Base):
    """A library root: a folder the scanner walks."""

    __tablename__ = "roots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(Text, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_scan_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_scan_error: Mapped[str | None] = mapped_column(Text)


class Item(Base):
    """One media file under a root."""

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("root_id", "rel_path", name="uq_items_root_path"),
        Index("ix_items_status_date", "status", "date", "id"),
        Index("ix_items_root_folder", "root_id", "folder"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    root_id: Mapped[int] = mapped_column(ForeignKey("roots.id", ondelete="CASCADE"))
    rel_path: Mapped[str] = mapped_column(Text)  # POSIX, relative to the root
    folder: Mapped[str] = mapped_column(Text)  # parent of rel_path, "" at the root
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))  # image | video, from the extension
    mime: Mapped[str | None] = mapped_column(String(100))  # from the content's magic bytes
    size: Mapped[int] = mapped_column(BigInteger)
    mtime_ns: Mapped[int] = mapped_column(BigInteger)
    fingerprint: Mapped[str | None] = mapped_column(String(32), index=True)
    full_hash: Mapped[str | None] = mapped_column(String(32))
    width: Mapped[int | None] = mapped_column(Integer)  # as displayed (EXIF rotation applied)
    height: Mapped[int | None] = mapped_column(Integer)
    taken_at: Mapped[datetime | None] = mapped_column(DateTime)  # EXIF, camera local time
    date: Mapped[datetime] = mapped_column(DateTime)  # taken_at, else mtime (UTC)
    duration: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="present")  # present | missing
    error: Mapped[str | None] = mapped_column(Text)  # why it cannot be read or thumbnailed
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    missing_since: Mapped[datetime | None] = mapped_column(DateTime)


class Derived(Base):
    """A file made from an item's content (a thumbnail now; posters, sprites later).

    Keyed by fingerprint, not item, because two copies of one photo share them.
    """

    __tablename__ = "derived"
    __table_args__ = (UniqueConstraint("fingerprint", "kind", "variant", name="uq_derived_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))  # thumbnail
    variant: Mapped[str] = mapped_column(String(32))  # e.g. 256.webp
    path: Mapped[str] = mapped_column(Text)  # relative to CACHE_DIR
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    bytes: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime)
