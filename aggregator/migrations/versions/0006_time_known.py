"""time_known: whether an item's source gave the time of day of its date

An HTML page that writes "25 ноября 2026" gives a day, not a moment; the page then shows
the date alone instead of a made-up "00:00".

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
    # A plain ADD COLUMN (SQLite allows NOT NULL with a constant default): a batch would
    # copy and drop the items table, which the story keys' foreign key forbids.
    op.add_column(
        "items", sa.Column("time_known", sa.Boolean, nullable=False, server_default=sa.true())
    )


def downgrade() -> None:
    op.drop_column("items", "time_known")  # SQLite 3.35+ drops a column in place
