"""sources.notice: what the last document read warned about, for the status

Repeated guids told apart, oversized fields cut, charset trouble: a source that fetched
well may still need its owner's attention; the status shows this beside its errors.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTERs: a batch would copy and drop the sources table, which the items'
    # foreign key forbids (SQLite 3.35+ drops a column in place).
    op.add_column("sources", sa.Column("notice", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("sources", "notice")
