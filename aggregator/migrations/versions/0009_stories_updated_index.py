"""stories.updated indexed: workers notice each other's story decisions

Items join their stories after they are stored (all of one refresh together), so a
worker's output changes when another moves items between stories, with no new item.
The change marker reads the latest story update, from this index.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_stories_updated", "stories", ["updated"])


def downgrade() -> None:
    op.drop_index("ix_stories_updated", table_name="stories")
