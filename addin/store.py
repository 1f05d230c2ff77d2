"""Persistence: configured providers, feature assignments, usage records and feedback.

SQLAlchemy Core, not the ORM: the domain types are frozen dataclasses owned by ``models/``
(which must not know about the database), so an explicit row ↔ dataclass mapping is
simpler than mapped classes, and Core keeps no session or identity map that could go stale
or be shared across threads. Every method is one short transaction on its own connection.

SQLite is the default (``sqlite:///<instance>/addin.sqlite``); PostgreSQL works through its
URL since only portable types are used (JSON as ``sqlalchemy.JSON``, times as naive UTC).
For a threaded server, SQLite connections are opened with ``check_same_thread=False``, a
file database runs in WAL mode (readers do not block the writer) with a busy timeout, and an
in-memory database (one shared connection) is guarded by a lock.

Secrets are stored only as references (``env:NAME``): ``upsert_provider`` refuses a value in
clear. Usage records hold counts and codes, never document text. Feedback (the task pane's
thumbs up or down on one answer) may hold the user's own comment, up to 1000 characters.

``create_all`` makes missing tables at start-up. TODO(PostgreSQL): replace it with Alembic
migrations once the schema must evolve in place.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ColumnElement,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    TypeDecorator,
    case,
    create_engine,
    delete,
    event,
    func,
    inspect,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, Dialect, Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import StaticPool

from .models.base import Assignment, ProviderEntry
from .models.secrets import is_secret_key, is_secret_reference
from .models.usage import UsageRecord, UsageTotal

if TYPE_CHECKING:
    from flask import Flask

SQLITE_BUSY_TIMEOUT_S = 15.0


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

RATINGS = ("up", "down")
MAX_FEEDBACK_COMMENT = 1000


@dataclass(frozen=True, slots=True)
class FeedbackTotal:
    """Ratings of the answers one provider and model gave (None: no successful call known)."""

    provider: str | None
    model: str | None
    up: int
    down: int
    comments: int


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One admin change, as recorded."""

    id: int
    at: datetime
    actor: str
    actor_name: str
    action: str
    target: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


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

_PROVIDER_FIELDS = tuple(c.name for c in providers_table.columns if c.name != "updated_at")
_USAGE_FIELDS = tuple(c.name for c in usage_table.columns if c.name != "id")


def _now() -> datetime:
    return datetime.now(UTC)


def _engine(url: str) -> tuple[Engine, bool]:
    """An engine for ``url``, and whether it is an in-memory SQLite database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True), False
    database = parsed.database or ""
    memory = database in ("", ":memory:") or parsed.query.get("mode") == "memory"
    connect_args: dict[str, Any] = {"check_same_thread": False}
    if memory:  # every connection would be a new empty database: share one
        engine = create_engine(url, connect_args=connect_args, poolclass=StaticPool)
    else:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        connect_args["timeout"] = SQLITE_BUSY_TIMEOUT_S
        engine = create_engine(url, connect_args=connect_args)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine, memory


def _refuse_secret_values(entry: ProviderEntry) -> None:
    """Defence in depth: whatever the caller checked, no secret value reaches the disk."""
    named = [("secret", entry.secret)]
    named += [(key, value) for key, value in entry.options.items() if is_secret_key(key)]
    for key, value in named:
        if not (isinstance(value, str) and is_secret_reference(value)):
            raise ValueError(f"provider {entry.id!r}: {key} must be a reference such as "
                             f"env:NAME; the store never holds a secret value")


def _to_provider(row: Any) -> ProviderEntry:
    values = {name: getattr(row, name) for name in _PROVIDER_FIELDS}
    return ProviderEntry(**{**values, "options": dict(values["options"] or {})})


def _to_assignment(row: Any) -> Assignment:
    return Assignment(
        feature=row.feature, primary=row.primary, fallbacks=tuple(row.fallbacks or ()),
        temperature=row.temperature, max_output_tokens=row.max_output_tokens,
        confidential=row.confidential,
    )


def _to_usage(row: Any) -> UsageRecord:
    return UsageRecord(id=row.id, **{name: getattr(row, name) for name in _USAGE_FIELDS})


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


class Store:
    """The service's database. Thread-safe; one instance per process."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine, memory = _engine(url)
        self._lock: AbstractContextManager[Any] = threading.Lock() if memory else nullcontext()

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        """One short transaction; committed on success, rolled back on error."""
        with self._lock, self.engine.begin() as connection:
            yield connection

    def create_all(self) -> None:
        """Create missing tables and the revision row (idempotent; safe from many workers)."""
        metadata.create_all(self.engine)
        self._add_missing_columns()
        try:
            with self._begin() as connection:
                if connection.scalar(select(revision_table.c.revision)) is None:
                    connection.execute(insert(revision_table).values(id=1, revision=0))
        except IntegrityError:  # another process made it first
            pass

    def _add_missing_columns(self) -> None:
        """Add the nullable columns that later versions put in existing tables (databases
        made before usage records carried the user)."""
        present = {c["name"] for c in inspect(self.engine).get_columns(usage_table.name)}
        for column in usage_table.columns:
            if column.name not in present and column.nullable:
                kind = column.type.compile(dialect=self.engine.dialect)
                with self._begin() as connection:
                    connection.execute(text(f'ALTER TABLE {usage_table.name} '
                                            f'ADD COLUMN "{column.name}" {kind}'))

    def close(self) -> None:
        self.engine.dispose()

    # --- settings ------------------------------------------------------------------------

    def setting(self, key: str) -> Any:
        """The value stored under ``key``, or None."""
        with self._begin() as connection:
            return connection.scalar(select(settings_table.c.value)
                                     .where(settings_table.c.key == key))

    def set_setting(self, key: str, value: Any) -> None:
        with self._begin() as connection:
            self._upsert(connection, settings_table, settings_table.c.key == key,
                         {"key": key, "value": value, "updated_at": _now()})

    # --- configuration -------------------------------------------------------------------

    def revision(self) -> int:
        """A number that changes whenever providers or assignments change: cache on it."""
        with self._begin() as connection:
            return int(connection.scalar(select(revision_table.c.revision)) or 0)

    @staticmethod
    def _bump(connection: Connection) -> None:
        connection.execute(update(revision_table).where(revision_table.c.id == 1)
                           .values(revision=revision_table.c.revision + 1))

    @staticmethod
    def _upsert(connection: Connection, table: Table, key: ColumnElement[bool],
                row: dict[str, Any]) -> None:
        """UPDATE, then INSERT if there was no row: portable, no dialect-specific upsert."""
        if not connection.execute(update(table).where(key).values(row)).rowcount:
            connection.execute(insert(table).values(row))

    def upsert_provider(self, entry: ProviderEntry) -> None:
        """Insert or replace a provider. ValueError if it holds a secret value."""
        _refuse_secret_values(entry)
        row = {name: getattr(entry, name) for name in _PROVIDER_FIELDS}
        row["options"] = dict(entry.options)
        row["updated_at"] = _now()
        with self._begin() as connection:
            self._upsert(connection, providers_table, providers_table.c.id == entry.id, row)
            self._bump(connection)

    def delete_provider(self, provider_id: str) -> bool:
        """Remove a provider; False if there was none. Assignments naming it are left."""
        with self._begin() as connection:
            deleted = connection.execute(
                delete(providers_table).where(providers_table.c.id == provider_id)).rowcount
            if deleted:
                self._bump(connection)
        return bool(deleted)

    def providers(self) -> list[ProviderEntry]:
        with self._begin() as connection:
            rows = connection.execute(select(providers_table).order_by(providers_table.c.id))
            return [_to_provider(row) for row in rows]

    def provider(self, provider_id: str) -> ProviderEntry | None:
        with self._begin() as connection:
            row = connection.execute(
                select(providers_table).where(providers_table.c.id == provider_id)).first()
        return None if row is None else _to_provider(row)

    def set_assignment(self, assignment: Assignment) -> None:
        """Insert or replace the assignment of ``assignment.feature``."""
        row = {
            "feature": assignment.feature, "primary": assignment.primary,
            "fallbacks": list(assignment.fallbacks), "temperature": assignment.temperature,
            "max_output_tokens": assignment.max_output_tokens,
            "confidential": assignment.confidential, "updated_at": _now(),
        }
        key = assignments_table.c.feature == assignment.feature
        with self._begin() as connection:
            self._upsert(connection, assignments_table, key, row)
            self._bump(connection)

    def assignments(self) -> dict[str, Assignment]:
        with self._begin() as connection:
            rows = connection.execute(
                select(assignments_table).order_by(assignments_table.c.feature))
            return {row.feature: _to_assignment(row) for row in rows}

    # --- usage ---------------------------------------------------------------------------

    def record_usage(self, record: UsageRecord) -> None:
        self.record_usage_many([record])

    def record_usage_many(self, records: Sequence[UsageRecord]) -> None:
        """Write records in one transaction (the background writer batches them)."""
        rows = [{name: getattr(r, name) for name in _USAGE_FIELDS} for r in records]
        if rows:
            with self._begin() as connection:
                connection.execute(insert(usage_table), rows)

    @staticmethod
    def _filtered(query: Select[Any], since: datetime | None, until: datetime | None,
                  feature: str | None) -> Select[Any]:
        if since is not None:
            query = query.where(usage_table.c.at >= since)
        if until is not None:
            query = query.where(usage_table.c.at < until)
        if feature is not None:
            query = query.where(usage_table.c.feature == feature)
        return query

    def usage(self, since: datetime | None = None, feature: str | None = None, *,
              until: datetime | None = None, limit: int | None = None) -> list[UsageRecord]:
        """Records from ``since`` (inclusive) to ``until`` (exclusive), oldest first."""
        query = self._filtered(select(usage_table), since, until, feature)
        query = query.order_by(usage_table.c.at, usage_table.c.id).limit(limit)
        with self._begin() as connection:
            return [_to_usage(row) for row in connection.execute(query)]

    def usage_totals(self, since: datetime | None = None, feature: str | None = None, *,
                     until: datetime | None = None) -> list[UsageTotal]:
        """Calls, errors, tokens and cost per UTC day, feature, provider and model."""
        u = usage_table.c
        day = func.date(u.at, type_=Date).label("day")
        groups = (day, u.feature, u.provider, u.model)
        query = select(
            *groups, func.count().label("calls"),
            func.sum(case((u.outcome != "ok", 1), else_=0)).label("errors"),
            func.sum(u.input_tokens).label("input_tokens"),
            func.sum(u.output_tokens).label("output_tokens"),
            func.sum(u.cost_usd).label("cost_usd"),
        )
        query = self._filtered(query, since, until, feature).group_by(*groups).order_by(*groups)
        with self._begin() as connection:
            return [
                UsageTotal(
                    day=_as_date(row.day), feature=row.feature, provider=row.provider,
                    model=row.model, calls=int(row.calls), errors=int(row.errors),
                    input_tokens=int(row.input_tokens), output_tokens=int(row.output_tokens),
                    cost_usd=round(float(row.cost_usd), 8),
                )
                for row in connection.execute(query)
            ]

    def cost_by_feature(self, since: datetime, until: datetime | None = None) -> dict[str, float]:
        """Dollars spent per feature from ``since`` (inclusive) to ``until`` (exclusive)."""
        u = usage_table.c
        query = self._filtered(select(u.feature, func.sum(u.cost_usd).label("cost")),
                               since, until, None).group_by(u.feature)
        with self._begin() as connection:
            return {row.feature: float(row.cost or 0.0) for row in connection.execute(query)}

    def answered_by(self, request_id: str) -> tuple[str | None, str | None] | None:
        """The provider and model of the last successful call of a request; (None, None)
        when every call of it failed; None when no call of it is recorded."""
        u = usage_table.c
        query = (select(u.provider, u.model, u.outcome).where(u.request_id == request_id)
                 .order_by(case((u.outcome == "ok", 1), else_=0).desc(), u.at.desc(),
                           u.id.desc())
                 .limit(1))
        with self._begin() as connection:
            row = connection.execute(query).first()
        if row is None:
            return None
        return (row.provider, row.model) if row.outcome == "ok" else (None, None)

    # --- feedback ------------------------------------------------------------------------

    def record_feedback(self, request_id: str, rating: str, comment: str | None = None,
                        provider: str | None = None, model: str | None = None) -> bool:
        """Store the rating of one answer, replacing an earlier one of the same request.
        Returns True when it replaced one. ValueError on a rating other than up or down, or
        a comment over the limit."""
        if rating not in RATINGS:
            raise ValueError(f"rating must be one of {RATINGS}, not {rating!r}")
        if comment is not None and len(comment) > MAX_FEEDBACK_COMMENT:
            raise ValueError(f"comment is limited to {MAX_FEEDBACK_COMMENT} characters")
        row = {"at": _now(), "request_id": request_id, "rating": rating, "comment": comment,
               "provider": provider, "model": model}
        key = feedback_table.c.request_id == request_id
        with self._begin() as connection:
            replaced = connection.execute(update(feedback_table).where(key).values(row)).rowcount
            if not replaced:
                connection.execute(insert(feedback_table).values(row))
        return bool(replaced)

    def feedback_summary(self, since: datetime | None = None) -> list[FeedbackTotal]:
        """Ratings up and down, and how many came with a comment, per provider and model."""
        f = feedback_table.c
        groups = (f.provider, f.model)
        query = select(
            *groups,
            func.sum(case((f.rating == "up", 1), else_=0)).label("up"),
            func.sum(case((f.rating == "down", 1), else_=0)).label("down"),
            func.count(f.comment).label("comments"),
        )
        if since is not None:
            query = query.where(f.at >= since)
        query = query.group_by(*groups).order_by(*groups)
        with self._begin() as connection:
            return [FeedbackTotal(provider=row.provider, model=row.model, up=int(row.up),
                                  down=int(row.down), comments=int(row.comments))
                    for row in connection.execute(query)]

    # --- audit log -----------------------------------------------------------------------

    def record_audit(self, actor: str, actor_name: str, action: str, target: str,
                     before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
        """Log one admin change. ``before``/``after`` are the entries as dicts, secrets as
        their references (ValueError if a provider's secret field holds anything else)."""
        for state in (before, after):
            if state and "kind" in state:  # a provider entry
                secrets = {k: v for k, v in {**state, **(state.get("options") or {})}.items()
                           if is_secret_key(k)}
                if any(not (isinstance(v, str) and is_secret_reference(v))
                       for v in secrets.values()):
                    raise ValueError(f"audit of {target!r}: a secret must be a reference")
        row = {"at": _now(), "actor": actor, "actor_name": actor_name, "action": action,
               "target": target, "before": before, "after": after}
        with self._begin() as connection:
            connection.execute(insert(audit_table).values(row))

    def audit(self, limit: int | None = 100) -> list[AuditEntry]:
        """The audit log, newest first."""
        a = audit_table.c
        query = select(audit_table).order_by(a.at.desc(), a.id.desc()).limit(limit)
        with self._begin() as connection:
            return [AuditEntry(id=row.id, at=row.at, actor=row.actor,
                               actor_name=row.actor_name, action=row.action,
                               target=row.target, before=row.before, after=row.after)
                    for row in connection.execute(query)]


def init_app(app: Flask, store: Store) -> None:
    """Make ``store`` the app's (``app.extensions["addin.store"]``).

    No teardown is needed: every method runs in its own transaction and returns its
    connection to the pool, so nothing is held per request.
    """
    app.extensions["addin.store"] = store

