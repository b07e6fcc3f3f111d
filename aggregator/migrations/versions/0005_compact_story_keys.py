"""compact candidate index: story_keys keyed by (key, published, item_id), no date keys

The lookup (key IN …, published BETWEEN …) is then answered from the primary key alone,
and each new item's keys are written to two B-trees instead of four (on SQLite the table
has no rowid). Date keys were stored but never looked up.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _create(name: str, primary_key: tuple[str, ...], pk_name: str, **options: bool) -> None:
    op.create_table(
        name,
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column(
            "item_id", sa.Integer(), sa.ForeignKey("items.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("published", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(*primary_key, name=pk_name),
        **options,
    )


def upgrade() -> None:
    _create(
        "story_keys_v2",
        ("key", "published", "item_id"),
        "pk_story_keys_v2",
        sqlite_with_rowid=False,
    )
    op.execute(
        "INSERT INTO story_keys_v2 (key, item_id, published) "
        "SELECT key, item_id, published FROM story_keys WHERE key NOT LIKE 'd:%'"
    )
    op.drop_table("story_keys")
    op.rename_table("story_keys_v2", "story_keys")
    op.create_index("ix_story_keys_item_id", "story_keys", ["item_id"])


def downgrade() -> None:
    _create("story_keys_v1", ("key", "item_id"), "pk_story_keys_v1")
    op.execute(
        "INSERT INTO story_keys_v1 (key, item_id, published) "
        "SELECT key, item_id, published FROM story_keys"
    )
    op.drop_table("story_keys")
    op.rename_table("story_keys_v1", "story_keys")
    op.create_index("ix_story_keys_key_published", "story_keys", ["key", "published"])
    op.create_index("ix_story_keys_item_id", "story_keys", ["item_id"])
