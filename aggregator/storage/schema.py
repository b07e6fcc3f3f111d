"""The database schema (SQLAlchemy Core tables); Alembic migrations create it."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every dialect."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = sa.MetaData()

sources = sa.Table(
    "sources",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("current_url", sa.Text),
    sa.Column("site_link", sa.Text),
    sa.Column("etag", sa.Text),
    sa.Column("last_modified", sa.Text),
    sa.Column("last_fetch_at", UTCDateTime),
    sa.Column("last_success_at", UTCDateTime),
    sa.Column("last_status", sa.Integer),
    sa.Column("last_error", sa.Text),
    sa.Column("error_kind", sa.String(32)),
    sa.Column("error_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_fetch_at", UTCDateTime),
    sa.Column("disabled_reason", sa.Text),
    sa.Column("last_new_item_at", UTCDateTime),
    sa.Column("priority", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_fetch_reason", sa.Text),
    sa.Column("moved_url", sa.Text),
    sa.Column("moved_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("moved_since", UTCDateTime),
    sa.Column("lease_owner", sa.String(64)),
    sa.Column("lease_until", UTCDateTime),
    sa.Column("notice", sa.Text),
)

items = sa.Table(
    "items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source_id", sa.String(64), sa.ForeignKey("sources.id"), nullable=False),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("story_id", sa.String(64), nullable=False, index=True),
    sa.Column("guid", sa.Text),
    sa.Column("link", sa.Text),
    sa.Column("original_link", sa.Text),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("content_html", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("author", sa.Text),
    sa.Column("categories", sa.Text, nullable=False, server_default="[]"),
    sa.Column("image", sa.Text),
    sa.Column("enclosures", sa.Text, nullable=False, server_default="[]"),
    sa.Column("language", sa.String(16)),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("published", UTCDateTime, nullable=False, index=True),
    sa.Column("updated", UTCDateTime),
    sa.Column("first_seen", UTCDateTime, nullable=False),
    sa.Column("changed_at", UTCDateTime, nullable=False),
    sa.Column("features", sa.Text),
    # False: the source gave a day without a time of day (migration 0006).
    sa.Column("time_known", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("credits", sa.Text),  # the credited chain read from the text, keyed (0008)
    sa.UniqueConstraint("source_id", "key", name="uq_items_source_key"),
    sa.Index("ix_items_source_published", "source_id", "published"),
    sa.Index("ix_items_changed_at", "changed_at"),
)

stories = sa.Table(
    "stories",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("representative_id", sa.Integer, sa.ForeignKey("items.id"), nullable=False),
    sa.Column("published", UTCDateTime, nullable=False, index=True),
    sa.Column("updated", UTCDateTime, nullable=False),
    sa.Index("ix_stories_updated", "updated"),
)

story_keys = sa.Table(
    "story_keys",
    metadata,
    sa.Column("key", sa.String(64), nullable=False),
    sa.Column("item_id", sa.Integer, sa.ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    sa.Column("published", UTCDateTime, nullable=False),
    # The candidate lookup reads the primary key alone (migration 0005).
    sa.PrimaryKeyConstraint("key", "published", "item_id", name="pk_story_keys_v2"),
    sa.Index("ix_story_keys_item_id", "item_id"),
    sqlite_with_rowid=False,
)

term_stats = sa.Table(
    "term_stats",
    metadata,
    sa.Column("term", sa.String(64), primary_key=True),
    sa.Column("df", sa.Integer, nullable=False),
)
DOCUMENTS = " documents"
"""The row of ``term_stats`` that counts items with features (no term starts with a space)."""
