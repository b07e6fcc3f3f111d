"""sources.notice: what the last document read warned about, for the status

Repeated guids told apart, oversized fields cut, charset trouble: a source that fetched
well may still need its owner's attention; the status shows this beside its errors.

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
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("notice", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("notice")
