"""Items' title (shown instead of the file's name) and source URL (where the file came
from): people's data, set in the app (PATCH /api/v1/items/{id}) or filled in from a
sidecar (library/sidecars.py), never overwritten by one.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("title", sa.Text, nullable=True))
        batch.add_column(sa.Column("source_url", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.drop_column("source_url")
        batch.drop_column("title")
