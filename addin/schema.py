"""The database schema: every table, as SQLAlchemy Core metadata.

The store reads and writes these tables; the Alembic migrations in ``addin/migrations/``
create and change them in existing databases. A test compares the migrated schema with this
one, so the two cannot drift: change a table here, then add a migration.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect


class UTCDateTime(TypeDecorator[datetime]):
    """A UTC instant, stored naive (SQLite has no time zones) and read back aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("times given to the store must be timezone-aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


metadata = MetaData()

providers_table = Table(
    "providers", metadata,
    Column("id", String(64), primary_key=True),
    Column("kind", String(64), nullable=False),
    Column("model", String(200), nullable=False),
    Column("endpoint", String(500), nullable=False),
    Column("secret", String(200), nullable=False),  # a reference such as env:NAME, never a key
    Column("in_house", Boolean, nullable=False),
    Column("region", String(64), nullable=False),
    Column("price_in_per_mtok", Float, nullable=False),
    Column("price_out_per_mtok", Float, nullable=False),
    Column("context_window", Integer, nullable=False),
    Column("timeout_s", Float, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("options", JSON, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

assignments_table = Table(
    "feature_assignments", metadata,
    Column("feature", String(64), primary_key=True),
    Column("primary", String(64), nullable=False),
    Column("fallbacks", JSON, nullable=False),
    Column("temperature", Float, nullable=True),
    Column("max_output_tokens", Integer, nullable=True),
    Column("confidential", Boolean, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

usage_table = Table(
    "usage_records", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("request_id", String(200), nullable=False, index=True),
    Column("feature", String(64), nullable=False),
    Column("provider", String(64), nullable=False),
    Column("model", String(200), nullable=False),
    Column("input_tokens", Integer, nullable=False),
    Column("output_tokens", Integer, nullable=False),
    Column("cost_usd", Float, nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("outcome", String(64), nullable=False),  # "ok" or a failure reason
    Column("failover_reason", String(64), nullable=True),
    Column("prompt_version", Integer, nullable=True),
    Column("user_key", String(200), nullable=True),
)

# One row per answer rated in the task pane: a later rating of the same answer replaces it.
feedback_table = Table(
    "feedback", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("request_id", String(200), nullable=False, unique=True),
    Column("rating", String(8), nullable=False),  # "up" or "down"
    Column("comment", String(1000), nullable=True),
    Column("provider", String(64), nullable=True),  # who answered, from the usage records
    Column("model", String(200), nullable=True),
)

# One row per admin change: who, when, what, and the entry before and after (secrets only as
# their references: the store never holds a value, so neither does the log).
audit_table = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("actor", String(200), nullable=False),  # the principal's key (tenant:object id)
    Column("actor_name", String(200), nullable=False),
    Column("action", String(64), nullable=False),  # e.g. "assignment.update"
    Column("target", String(200), nullable=False),  # a feature name or a provider id
    Column("before", JSON, nullable=True),
    Column("after", JSON, nullable=True),
)

# Service-wide settings the admin changes at run time (the usage limits), one JSON value a key.
settings_table = Table(
    "settings", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", JSON, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# One row (id 1): a counter bumped in the same transaction as every configuration change.
revision_table = Table(
    "config_revision", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("revision", Integer, nullable=False),
)
