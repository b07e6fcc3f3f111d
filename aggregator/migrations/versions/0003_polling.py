"""polling: the reason of each next-fetch time, permanent-redirect tracking

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("next_fetch_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("moved_url", sa.Text(), nullable=True))
        batch.add_column(sa.Column("moved_count", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("moved_since", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_items_source_published", "items", ["source_id", "published"])


def downgrade() -> None:
    op.drop_index("ix_items_source_published", "items")
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("moved_since")
        batch.drop_column("moved_count")
        batch.drop_column("moved_url")
        batch.drop_column("next_fetch_reason")
