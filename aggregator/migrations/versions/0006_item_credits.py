"""item credits: the credited chain read from an item's text, stored with the item

A publish used to read every shown entry's text again. The chain is now stored with the
key it was read under (reader version and directory fingerprint), and read again only
when that key changes or the item's content does.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("credits", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.drop_column("credits")
