"""item credits: the credited chain read from an item's text, stored with the item

A publish used to read every shown entry's text again. The chain is now stored with the
key it was read under (reader version and directory fingerprint), and read again only
when that key changes or the item's content does.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: a batch would copy and drop the items table, which the story
    # keys' foreign key forbids.
    op.add_column("items", sa.Column("credits", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("items", "credits")
