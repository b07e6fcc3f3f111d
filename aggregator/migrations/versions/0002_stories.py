"""stories across sources: item features, the candidate key index, term frequencies

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("features", sa.Text(), nullable=True))
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("priority", sa.Integer(), server_default="0", nullable=False))
    op.create_table(
        "story_keys",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column(
            "item_id", sa.Integer(), sa.ForeignKey("items.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("published", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", "item_id"),
    )
    op.create_index("ix_story_keys_key_published", "story_keys", ["key", "published"])
    op.create_index("ix_story_keys_item_id", "story_keys", ["item_id"])
    op.create_table(
        "term_stats",
        sa.Column("term", sa.String(64), primary_key=True),
        sa.Column("df", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("term_stats")
    op.drop_index("ix_story_keys_item_id", "story_keys")
    op.drop_index("ix_story_keys_key_published", "story_keys")
    op.drop_table("story_keys")
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("priority")
    with op.batch_alter_table("items") as batch:
        batch.drop_column("features")
