"""Video facts on items, from ffprobe.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COLUMNS: list[sa.Column[object]] = [
    sa.Column("container", sa.String(32)),
    sa.Column("video_codec", sa.String(32)),
    sa.Column("audio_codec", sa.String(32)),
    sa.Column("rotation", sa.Integer),
    sa.Column("fps", sa.Float),
    sa.Column("bit_rate", sa.BigInteger),
    sa.Column("audio_channels", sa.Integer),
    sa.Column("subtitles", sa.Text),
    sa.Column("playable", sa.String(16)),
]


def upgrade() -> None:
    for column in COLUMNS:  # nullable: a plain ADD COLUMN on SQLite too, no table copy
        op.add_column("items", column)


def downgrade() -> None:
    with op.batch_alter_table("items") as batch:
        for column in COLUMNS:
            batch.drop_column(column.name)
