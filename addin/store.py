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

The tables are declared in :mod:`addin.schema`; ``create_all`` brings a database to the
current schema at start-up with the Alembic migrations of ``addin/migrations/``.
"""

from __future__ import annotations

import threading

try:
    import fcntl
except ImportError:  # Windows: SQLite migrations then rely on one process starting first
    fcntl = None  # type: ignore[assignment]
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alembic import command as alembic_command
from alembic.config import Config as AlembicConfig
from sqlalchemy import (
    Date,
    Select,
    Table,
    and_,
    case,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import StaticPool

from .models.base import Assignment, ProviderEntry
from .models.secrets import is_secret_key, is_secret_reference
from .models.usage import UsageRecord, UsageTotal
from .schema import (
    assignments_table,
    audit_table,
    feedback_table,
    providers_table,
    revision_table,
    settings_table,
    usage_table,
)

if TYPE_CHECKING:
    from flask import Flask

SQLITE_BUSY_TIMEOUT_S = 15.0
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BASELINE_REVISION = "0001"  # the schema of databases made before migrations
_MIGRATION_LOCK_KEY = 0x616464696E  # "addin": the advisory lock held while migrating


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


_PROVIDER_FIELDS = tuple(c.name for c in providers_table.columns if c.name != "updated_at")
_USAGE_FIELDS = tuple(c.name for c in usage_table.columns if c.name != "id")


def migration_config(url: str | None = None) -> AlembicConfig:
    """Alembic's configuration for our migrations (no alembic.ini needed)."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


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
        """Bring the database to the current schema (Alembic ``upgrade head``) and make the
        revision row. Idempotent, and safe when several workers start at once: the upgrade
        runs under a lock (a PostgreSQL advisory lock, or a lock file beside a SQLite file).
        A database made before migrations existed (tables, no ``alembic_version``) is
        stamped with the baseline first, then upgraded."""
        with self._migration_lock(), self._begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                   {"key": _MIGRATION_LOCK_KEY})
            config = migration_config()
            config.attributes["connection"] = connection
            tables = set(inspect(connection).get_table_names())
            if "alembic_version" not in tables and providers_table.name in tables:
                alembic_command.stamp(config, BASELINE_REVISION)
            alembic_command.upgrade(config, "head")
        try:
            with self._begin() as connection:
                if connection.scalar(select(revision_table.c.revision)) is None:
                    connection.execute(insert(revision_table).values(id=1, revision=0))
        except IntegrityError:  # another process made it first
            pass

    @contextmanager
    def _migration_lock(self) -> Iterator[None]:
        """An exclusive lock between processes migrating the same SQLite file."""
        database = self.engine.url.database or ""
        if self.engine.dialect.name != "sqlite" or database in ("", ":memory:") \
                or fcntl is None:
            yield
            return
        with open(f"{database}.migrate-lock", "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

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
            self._upsert(connection, settings_table,
                         {"key": key, "value": value, "updated_at": _now()})
            self._bump(connection)

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
    def _upsert(connection: Connection, table: Table, row: dict[str, Any]) -> None:
        """INSERT, or UPDATE the row with the same primary key, atomically (ON CONFLICT on
        PostgreSQL and SQLite: an UPDATE-then-INSERT would race between workers)."""
        keys = [column.name for column in table.primary_key.columns]
        dialect = {"postgresql": postgresql, "sqlite": sqlite}.get(connection.dialect.name)
        if dialect is None:  # another database: portable, but only safe from one writer
            key = and_(*(table.c[name] == row[name] for name in keys))
            if not connection.execute(update(table).where(key).values(row)).rowcount:
                connection.execute(insert(table).values(row))
            return
        statement = dialect.insert(table).values(row)
        changes = {name: statement.excluded[name] for name in row if name not in keys}
        connection.execute(statement.on_conflict_do_update(index_elements=keys, set_=changes))

    def upsert_provider(self, entry: ProviderEntry) -> None:
        """Insert or replace a provider. ValueError if it holds a secret value."""
        _refuse_secret_values(entry)
        row = {name: getattr(entry, name) for name in _PROVIDER_FIELDS}
        row["options"] = dict(entry.options)
        row["updated_at"] = _now()
        with self._begin() as connection:
            self._upsert(connection, providers_table, row)
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
        with self._begin() as connection:
            self._upsert(connection, assignments_table, row)
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

