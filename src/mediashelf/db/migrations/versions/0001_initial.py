"""Roots, items and derived files.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "roots",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("path", sa.Text, nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("last_scan_at", sa.DateTime),
        sa.Column("last_scan_error", sa.Text),
    )
    op.create_table(
        "items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "root_id", sa.Integer, sa.ForeignKey("roots.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("rel_path", sa.Text, nullable=False),
        sa.Column("folder", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("mime", sa.String(100)),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("mtime_ns", sa.BigInteger, nullable=False),
        sa.Column("fingerprint", sa.String(32)),
        sa.Column("full_hash", sa.String(32)),
        sa.Column("width", sa.Integer),
        sa.Column("height", sa.Integer),
        sa.Column("taken_at", sa.DateTime),
        sa.Column("date", sa.DateTime, nullable=False),
        sa.Column("duration", sa.Float),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("missing_since", sa.DateTime),
        sa.UniqueConstraint("root_id", "rel_path", name="uq_items_root_path"),
    )
    op.create_index("ix_items_fingerprint", "items", ["fingerprint"])
    op.create_index("ix_items_status_date", "items", ["status", "date", "id"])
    op.create_index("ix_items_root_folder", "items", ["root_id", "folder"])
    op.create_table(
        "derived",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("fingerprint", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("variant", sa.String(32), nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("bytes", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("fingerprint", "kind", "variant", name="uq_derived_key"),
    )


def downgrade() -> None:
    op.drop_table("derived")
    op.drop_table("items")
    op.drop_table("roots")
