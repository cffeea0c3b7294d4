"""What people add on top of their files: tags, studios, performers, photosets, ratings,
views, favorites, captions, crops and content filters.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _fk(table: str, ondelete: str = "CASCADE") -> sa.ForeignKey:
    return sa.ForeignKey(f"{table}.id", ondelete=ondelete)


def _named(table: str, *extra: sa.Column[object]) -> None:
    """tags, studios, performers: a name, its folded key, aliases."""
    op.create_table(
        table,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("key", sa.String(200), nullable=False, unique=True),
        sa.Column("aliases", sa.Text, nullable=False),
        *extra,
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def _link(table: str, left: str, right: str) -> None:
    """A many-to-many link: both keys, an index on the right one."""
    op.create_table(
        table,
        sa.Column(f"{left}_id", sa.Integer, _fk(f"{left}s"), primary_key=True),
        sa.Column(f"{right}_id", sa.Integer, _fk(f"{right}s"), primary_key=True),
    )
    op.create_index(f"ix_{table}_{right}", table, [f"{right}_id"])


def _per_user(table: str, *extra: sa.Column[object]) -> None:
    op.create_table(
        table,
        sa.Column("user_id", sa.Integer, _fk("users"), primary_key=True),
        sa.Column("item_id", sa.Integer, _fk("items"), primary_key=True),
        *extra,
    )
    op.create_index(f"ix_{table}_item", table, ["item_id"])


def upgrade() -> None:
    _named("tags", sa.Column("category", sa.String(100)))
    _named(
        "studios",
        sa.Column("parent_id", sa.Integer, _fk("studios", "SET NULL")),
        sa.Column("image_item_id", sa.Integer, _fk("items", "SET NULL")),
    )
    _named("performers", sa.Column("image_item_id", sa.Integer, _fk("items", "SET NULL")))
    op.create_table(
        "photosets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("year", sa.Integer),
        sa.Column("date", sa.DateTime),
        sa.Column("source_url", sa.Text),
        sa.Column("original_filename", sa.Text),
        sa.Column("cover_item_id", sa.Integer, _fk("items", "SET NULL")),
        sa.Column("studio_id", sa.Integer, _fk("studios", "SET NULL")),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "photoset_items",
        sa.Column("photoset_id", sa.Integer, _fk("photosets"), primary_key=True),
        sa.Column("item_id", sa.Integer, _fk("items"), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_index("ix_photoset_items_item", "photoset_items", ["item_id"])
    _link("item_tags", "item", "tag")
    _link("item_performers", "item", "performer")
    _link("photoset_tags", "photoset", "tag")
    _link("photoset_performers", "photoset", "performer")
    op.create_table(
        "item_studios",
        sa.Column("item_id", sa.Integer, _fk("items"), primary_key=True),
        sa.Column("studio_id", sa.Integer, _fk("studios"), nullable=False),
    )
    op.create_index("ix_item_studios_studio", "item_studios", ["studio_id"])
    _per_user(
        "ratings",
        sa.Column("value", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    _per_user(
        "views",
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("last_viewed_at", sa.DateTime, nullable=False),
        sa.Column("position", sa.Float),
    )
    _per_user("favorites", sa.Column("created_at", sa.DateTime, nullable=False))
    op.create_table(
        "captions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("item_id", sa.Integer, _fk("items"), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("author_id", sa.Integer, _fk("users", "SET NULL")),
        sa.Column("model", sa.String(200)),
        sa.Column("prompt", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_captions_item", "captions", ["item_id", "id"])
    op.create_table(
        "crops",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("item_id", sa.Integer, _fk("items"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("x", sa.Float, nullable=False),
        sa.Column("y", sa.Float, nullable=False),
        sa.Column("width", sa.Float, nullable=False),
        sa.Column("height", sa.Float, nullable=False),
        sa.Column("aspect", sa.String(20)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("item_id", "name", name="uq_crops_item_name"),
    )
    op.create_table(
        "content_filters",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("target_id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "content_filters", "crops", "captions", "favorites", "views", "ratings",
        "item_studios", "photoset_performers", "photoset_tags", "item_performers",
        "item_tags", "photoset_items", "photosets", "performers", "studios", "tags",
    ):  # fmt: skip
        op.drop_table(table)
