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
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
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
        # The list's other sorts and its folder filter (bench/items.py, docs/performance.md).
        Index("ix_items_status_name", "status", "name", "id"),
        Index("ix_items_status_size", "status", "size", "id"),
        Index("ix_items_folder_date", "folder", "date", "id"),
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
    color: Mapped[str | None] = mapped_column(String(7))  # "#rrggbb", set with thumbnails
    title: Mapped[str | None] = mapped_column(Text)  # shown instead of the name; people's
    source_url: Mapped[str | None] = mapped_column(Text)  # http(s): where it came from
    taken_at: Mapped[datetime | None] = mapped_column(DateTime)  # EXIF, camera local time
    date: Mapped[datetime] = mapped_column(DateTime)  # taken_at, else mtime (UTC)
    duration: Mapped[float | None] = mapped_column(Float)
    # Videos, from ffprobe (media/probe.py); None until probed, reset when the file changes.
    container: Mapped[str | None] = mapped_column(String(32))
    video_codec: Mapped[str | None] = mapped_column(String(32))
    audio_codec: Mapped[str | None] = mapped_column(String(32))
    rotation: Mapped[int | None] = mapped_column(Integer)
    fps: Mapped[float | None] = mapped_column(Float)
    bit_rate: Mapped[int | None] = mapped_column(BigInteger)
    audio_channels: Mapped[int | None] = mapped_column(Integer)
    subtitles: Mapped[str | None] = mapped_column(Text)  # JSON list of tracks
    playable: Mapped[str | None] = mapped_column(String(16))  # direct | remux | transcode
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


PENDING = ("queued", "running")
PENDING_SQL = text("status IN ('queued', 'running')")  # the partial index's condition


class Job(Base):
    """One piece of slow work (a scan, an image's thumbnails, …) that users can follow.

    This table is the truth about jobs; the Huey queue only carries wake-ups
    (a job id), so a lost or repeated message changes nothing: a job runs
    when a worker claims its row. `dedupe_key` is unique among pending jobs,
    so the same work is never queued twice.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        Index(
            "uq_jobs_pending_key",
            "dedupe_key",
            unique=True,
            sqlite_where=PENDING_SQL,
            postgresql_where=PENDING_SQL,
        ),
        Index("ix_jobs_status_kind", "status", "kind"),
        Index("ix_jobs_item", "item_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # scan | thumbnail | …
    target: Mapped[str] = mapped_column(String(16))  # library | folder | item
    item_id: Mapped[int | None] = mapped_column(Integer)
    root_id: Mapped[int | None] = mapped_column(Integer)
    path: Mapped[str | None] = mapped_column(Text)  # a folder, relative to its root
    params: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    dedupe_key: Mapped[str] = mapped_column(String(200))
    priority: Mapped[int] = mapped_column(Integer, default=0)  # higher runs first
    status: Mapped[str] = mapped_column(String(16))  # queued|running|done|failed|cancelled
    progress: Mapped[float] = mapped_column(Float, default=0.0)  # 0..1
    message: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    worker: Mapped[str | None] = mapped_column(String(200))  # host:pid that ran it last
    lease_until: Mapped[datetime | None] = mapped_column(DateTime)
    run_after: Mapped[datetime | None] = mapped_column(DateTime)  # retry back-off
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)


class Event(Base):
    """What happened, for the UI's live stream (/api/v1/events): job progress, library changes.

    Every process appends; each web worker reads rows after the last id it
    sent. Old rows are pruned.
    """

    __tablename__ = "events"
    # Ids never reused on SQLite once old rows are pruned: clients resume by id.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    data: Mapped[str] = mapped_column(Text)  # JSON
    created_at: Mapped[datetime] = mapped_column(DateTime)


class SettingValue(Base):
    """A user-tunable setting changed through the API (see library/tunables.py)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)  # JSON
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class User(Base):
    """A person (or, for OIDC, an identity at a provider) who may use the server.

    Per-user data (ratings, views, favorites) hangs off `users.id`. Users are
    disabled, never deleted, so that data is not lost.
    """

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject", name="uq_users_oidc"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)  # lower case
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(Text)  # argon2id; None: no local login
    role: Mapped[str] = mapped_column(String(16))  # admin | member | viewer
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    oidc_issuer: Mapped[str | None] = mapped_column(Text)
    oidc_subject: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)


class LoginSession(Base):
    """A browser's login. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))


class ApiKey(Base):
    """A key for scripts, LAN clients and workers. Shown once; only its SHA-256 is stored."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # the start of the key, to recognise it
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    scope: Mapped[str] = mapped_column(String(16))  # read | write | admin | worker
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class LoginFailure(Base):
    """A failed login, counted per IP and per account to slow down password guessing."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(100))  # ip:<address> | user:<name>
    at: Mapped[datetime] = mapped_column(DateTime)


class OidcLogin(Base):
    """An OIDC login in progress: what the callback must check. Used once."""

    __tablename__ = "oidc_logins"

    state: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64))
    code_verifier: Mapped[str] = mapped_column(String(128))
    next_url: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)


# -- what people add on top of their files (organizing) ------------------------------
#
# Everything hangs off `items.id`, which the scanner keeps when a file moves or is
# renamed (it finds the row by content fingerprint), so tags and ratings follow the
# file. Backups key items by fingerprint plus path (library/backup.py).


class Tag(Base):
    """A tag, with an optional category ("place", "event") and aliases."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200), unique=True)  # the name, folded for lookups
    category: Mapped[str | None] = mapped_column(String(100))
    aliases: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of names
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Studio(Base):
    """Who made a set or a video; studios nest (a label of a network)."""

    __tablename__ = "studios"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200), unique=True)
    aliases: Mapped[str] = mapped_column(Text, default="[]")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("studios.id", ondelete="SET NULL"))
    image_item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Performer(Base):
    """A person in photos and videos (the seed's "actors")."""

    __tablename__ = "performers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200), unique=True)
    aliases: Mapped[str] = mapped_column(Text, default="[]")
    image_item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Photoset(Base):
    """An album: an ordered list of items, with its own facts, tags and people."""

    __tablename__ = "photosets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    year: Mapped[int | None] = mapped_column(Integer)
    date: Mapped[datetime | None] = mapped_column(DateTime)
    source_url: Mapped[str | None] = mapped_column(Text)
    original_filename: Mapped[str | None] = mapped_column(Text)
    cover_item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"))
    studio_id: Mapped[int | None] = mapped_column(ForeignKey("studios.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class PhotosetItem(Base):
    __tablename__ = "photoset_items"
    __table_args__ = (Index("ix_photoset_items_item", "item_id"),)

    photoset_id: Mapped[int] = mapped_column(
        ForeignKey("photosets.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer)


class ItemTag(Base):
    __tablename__ = "item_tags"
    # (tag, item): the tag filter reads the index alone.
    __table_args__ = (Index("ix_item_tags_tag", "tag_id", "item_id"),)

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)


class ItemPerformer(Base):
    __tablename__ = "item_performers"
    __table_args__ = (Index("ix_item_performers_performer", "performer_id"),)

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    performer_id: Mapped[int] = mapped_column(
        ForeignKey("performers.id", ondelete="CASCADE"), primary_key=True
    )


class PhotosetTag(Base):
    __tablename__ = "photoset_tags"
    __table_args__ = (Index("ix_photoset_tags_tag", "tag_id"),)

    photoset_id: Mapped[int] = mapped_column(
        ForeignKey("photosets.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)


class PhotosetPerformer(Base):
    __tablename__ = "photoset_performers"
    __table_args__ = (Index("ix_photoset_performers_performer", "performer_id"),)

    photoset_id: Mapped[int] = mapped_column(
        ForeignKey("photosets.id", ondelete="CASCADE"), primary_key=True
    )
    performer_id: Mapped[int] = mapped_column(
        ForeignKey("performers.id", ondelete="CASCADE"), primary_key=True
    )


class ItemStudio(Base):
    """The studio of an item (at most one)."""

    __tablename__ = "item_studios"
    __table_args__ = (Index("ix_item_studios_studio", "studio_id"),)

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    studio_id: Mapped[int] = mapped_column(ForeignKey("studios.id", ondelete="CASCADE"))


class Rating(Base):
    """A user's rating of an item: 1-5 stars stored as 20-100 (0-100 allowed)."""

    __tablename__ = "ratings"
    __table_args__ = (Index("ix_ratings_item", "item_id"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    value: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class View(Base):
    """How often a user has viewed an item, when last, and where a video was left off."""

    __tablename__ = "views"
    __table_args__ = (Index("ix_views_item", "item_id"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    count: Mapped[int] = mapped_column(Integer)
    last_viewed_at: Mapped[datetime] = mapped_column(DateTime)
    position: Mapped[float | None] = mapped_column(Float)  # seconds, for resuming a video


class Favorite(Base):
    __tablename__ = "favorites"
    __table_args__ = (Index("ix_favorites_item", "item_id"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Caption(Base):
    """One version of an item's caption; the newest is current. Written by a person
    (source manual, author_id) or by a generator (source ai, model, prompt)."""

    __tablename__ = "captions"
    __table_args__ = (Index("ix_captions_item", "item_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))  # manual | ai | sidecar | import
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    model: Mapped[str | None] = mapped_column(String(200))
    prompt: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Crop(Base):
    """A named crop of an item: a rectangle in 0..1 of the displayed (EXIF-rotated) image."""

    __tablename__ = "crops"
    __table_args__ = (UniqueConstraint("item_id", "name", name="uq_crops_item_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    x: Mapped[float] = mapped_column(Float)
    y: Mapped[float] = mapped_column(Float)
    width: Mapped[float] = mapped_column(Float)
    height: Mapped[float] = mapped_column(Float)
    aspect: Mapped[str | None] = mapped_column(String(20))  # a label such as "16:9"
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class ContentFilter(Base):
    """A site-wide hide set by an admin: items with this tag, performer or studio."""

    __tablename__ = "content_filters"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # tag | performer | studio
    target_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
