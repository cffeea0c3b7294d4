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
