"""The store on real SQLite (a file and in memory): round trips, revision, usage, secrets."""

from __future__ import annotations

import ast
import threading
from collections.abc import Iterator
from dataclasses import fields, replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command as alembic_command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from flask import Flask
from sqlalchemy import text

from addin.models.base import Assignment, ProviderEntry
from addin.models.usage import UsageRecord, UsageTotal
from addin.schema import metadata
from addin.store import BASELINE_REVISION, MIGRATIONS, Store, init_app, providers_table, usage_table

REPO = Path(__file__).resolve().parents[1]
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
CLAUDE = ProviderEntry(
    id="claude", kind="anthropic", model="claude-sonnet-4-5",
    endpoint="https://api.anthropic.com", secret="env:ANTHROPIC_API_KEY", region="eu",
    price_in_per_mtok=3.0, price_out_per_mtok=15.0, context_window=200000, timeout_s=45.5,
)
AZURE = ProviderEntry(
    id="azure-gpt", kind="azure_openai", model="gpt-4o-prod", enabled=False,
    options={"api_version": "2024-10-21", "client_secret": "env:AZURE_CLIENT_SECRET",
             "scopes": ["a", "b"], "nested": {"n": 1}},
)


@pytest.fixture(params=["file", "memory", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
    elif request.param == "file":
        url = f"sqlite:///{tmp_path}/instance/addin.sqlite"
    else:
        url = "sqlite://"
    store = Store(url)
    store.create_all()
    yield store
    store.close()


def usage(**changes: object) -> UsageRecord:
    record = UsageRecord(request_id="r1", feature="summarize", provider="claude",
                         model="claude-sonnet-4-5", input_tokens=1000, output_tokens=200,
                         cost_usd=0.006, latency_ms=1500.25, at=T0)
    return replace(record, **changes)  # type: ignore[arg-type]


# --- providers and assignments ----------------------------------------------------------

def test_provider_round_trip(store: Store) -> None:
    assert store.providers() == [] and store.provider("claude") is None
    store.upsert_provider(CLAUDE)
    store.upsert_provider(AZURE)
    assert store.providers() == [AZURE, CLAUDE]  # by id
    assert store.provider("claude") == CLAUDE
    store.upsert_provider(replace(CLAUDE, model="claude-opus-4-1", in_house=True))
    assert store.provider("claude") == replace(CLAUDE, model="claude-opus-4-1", in_house=True)
    assert len(store.providers()) == 2


def test_delete_provider(store: Store) -> None:
    store.upsert_provider(CLAUDE)
    assert store.delete_provider("claude") is True
    assert store.delete_provider("claude") is False
    assert store.providers() == []


def test_assignment_round_trip(store: Store) -> None:
    summarize = Assignment("summarize", "claude", ("azure-gpt", "local"), 0.2, 800, False)
    store.set_assignment(summarize)
    store.set_assignment(Assignment("analyze", confidential=True))
    assert store.assignments() == {
        "analyze": Assignment("analyze", "local", confidential=True), "summarize": summarize}
    store.set_assignment(Assignment("summarize", "local"))
    assert store.assignments()["summarize"] == Assignment("summarize", "local")


def test_revision_changes_with_configuration_only(store: Store) -> None:
    seen = [store.revision()]
    store.upsert_provider(CLAUDE)
    seen.append(store.revision())
    store.set_assignment(Assignment("summarize", "claude"))
    seen.append(store.revision())
    store.delete_provider("claude")
    seen.append(store.revision())
    assert len(set(seen)) == 4
    store.delete_provider("claude")  # nothing deleted
    store.record_usage(usage())
    assert store.revision() == seen[-1]


def test_data_survives_a_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/addin.sqlite"
    first = Store(url)
    first.create_all()
    first.upsert_provider(CLAUDE)
    revision = first.revision()
    first.close()
    second = Store(url)
    second.create_all()  # idempotent
    assert second.providers() == [CLAUDE] and second.revision() == revision
    second.close()


def test_file_database_uses_wal(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/addin.sqlite")
    with store.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    store.close()


def test_provider_table_matches_the_entry() -> None:
    """A field added to ProviderEntry must be added to the table (and so to this store)."""
    columns = {column.name for column in providers_table.columns} - {"updated_at"}
    assert columns == {f.name for f in fields(ProviderEntry)}


# --- secrets ------------------------------------------------------------------------------

def test_no_secret_value_reaches_the_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    value = "sk-ant-api03-VERY-SECRET-VALUE-0123456789"
    monkeypatch.setenv("ANTHROPIC_API_KEY", value)
    monkeypatch.setenv("AZURE_CLIENT_SECRET", value + "-azure")
    store = Store(f"sqlite:///{tmp_path}/addin.sqlite")
    store.create_all()
    store.upsert_provider(CLAUDE)
    store.upsert_provider(AZURE)
    for bad in (replace(CLAUDE, id="leak", secret=value),
                replace(AZURE, id="leak", options={"client_secret": value})):
        with pytest.raises(ValueError, match="never holds a secret value") as info:
            store.upsert_provider(bad)
        assert value not in str(info.value)
    assert store.provider("leak") is None
    store.close()
    stored = b"".join(path.read_bytes() for path in tmp_path.iterdir())
    assert b"env:ANTHROPIC_API_KEY" in stored
    assert value.encode() not in stored


# --- usage --------------------------------------------------------------------------------

def test_usage_round_trip_and_filters(store: Store) -> None:
    first = usage()
    second = usage(request_id="r2", feature="analyze", outcome="timeout",
                   failover_reason=None, prompt_version=2, at=T0 + timedelta(hours=1))
    third = usage(request_id="r2", provider="local", model="extractive-v1", cost_usd=0.0,
                  failover_reason="timeout", at=T0 + timedelta(hours=2))
    for record in (third, first, second):
        store.record_usage(record)
    records = store.usage()
    assert records == [first, second, third]  # oldest first
    assert all(r.id is not None and r.at.tzinfo is not None for r in records)
    assert records[0].at == T0
    assert store.usage(since=T0 + timedelta(hours=1)) == [second, third]
    assert store.usage(feature="analyze") == [second]
    assert store.usage(until=T0 + timedelta(hours=1), limit=5) == [first]
    with pytest.raises(Exception, match="timezone-aware"):
        store.usage(since=datetime(2025, 1, 1))


def test_usage_time_zones_are_normalised_to_utc(store: Store) -> None:
    paris = timezone(timedelta(hours=2))
    store.record_usage(usage(at=datetime(2025, 3, 2, 1, 30, tzinfo=paris)))
    [record] = store.usage()
    assert record.at == datetime(2025, 3, 1, 23, 30, tzinfo=UTC)
    assert store.usage_totals()[0].day == date(2025, 3, 1)


def test_usage_totals(store: Store) -> None:
    day2 = T0 + timedelta(days=1)
    records = [
        usage(),
        usage(input_tokens=500, output_tokens=100, cost_usd=0.003, at=T0 + timedelta(hours=14)),
        usage(outcome="rate_limited", input_tokens=0, output_tokens=0, cost_usd=0.0),
        usage(provider="local", model="extractive-v1", cost_usd=0.0, failover_reason="timeout"),
        usage(feature="analyze", at=day2),
        usage(at=day2 + timedelta(hours=14, minutes=59)),  # 23:59 UTC
    ]
    for record in records:
        store.record_usage(record)
    assert store.usage_totals() == [
        UsageTotal(date(2025, 3, 1), "summarize", "claude", "claude-sonnet-4-5",
                   calls=3, errors=1, input_tokens=1500, output_tokens=300, cost_usd=0.009),
        UsageTotal(date(2025, 3, 1), "summarize", "local", "extractive-v1",
                   calls=1, errors=0, input_tokens=1000, output_tokens=200, cost_usd=0.0),
        UsageTotal(date(2025, 3, 2), "analyze", "claude", "claude-sonnet-4-5",
                   calls=1, errors=0, input_tokens=1000, output_tokens=200, cost_usd=0.006),
        UsageTotal(date(2025, 3, 2), "summarize", "claude", "claude-sonnet-4-5",
                   calls=1, errors=0, input_tokens=1000, output_tokens=200, cost_usd=0.006),
    ]
    assert [t.day for t in store.usage_totals(since=day2, feature="summarize")] == [day2.date()]
    assert store.usage_totals(until=T0) == []


def test_usage_table_holds_no_text() -> None:
    assert {column.name for column in usage_table.columns} == {
        "id", "at", "request_id", "feature", "provider", "model", "input_tokens",
        "output_tokens", "cost_usd", "latency_ms", "outcome", "failover_reason",
        "prompt_version", "user_key",
    }


def test_settings_round_trip(store: Store) -> None:
    assert store.setting("limits") is None
    store.set_setting("limits", {"budgets": {"summarize": 5.0}})
    store.set_setting("limits", {"budgets": {"summarize": 7.5}})
    assert store.setting("limits") == {"budgets": {"summarize": 7.5}}


def test_cost_by_feature_sums_a_period(store: Store) -> None:
    for at, feature, cost in [(T0, "summarize", 0.5), (T0, "summarize", 0.25),
                              (T0, "analyze", 1.0), (T0 + timedelta(days=40), "analyze", 9.0)]:
        store.record_usage(usage(at=at, feature=feature, cost_usd=cost))
    assert store.cost_by_feature(T0, T0 + timedelta(days=30)) == {"summarize": 0.75,
                                                                  "analyze": 1.0}


def _migrate(url: str, revision: str) -> None:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    alembic_command.upgrade(config, revision)


def test_a_database_made_before_migrations_is_stamped_and_upgraded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/old.sqlite"
    _migrate(url, BASELINE_REVISION)  # the 0.1 tables, as its create_all made them...
    old = Store(url)
    with old.engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))  # ...with no migration record
        connection.execute(text("INSERT INTO providers VALUES ('p', 'openai', 'm', '', "
                                "'env:K', 0, '', 0, 0, 0, 60, 1, '{}', '2025-01-01')"))
    old.close()
    store = Store(url)
    store.create_all()
    store.record_usage(usage(user_key="tid:oid"))
    [record] = store.usage()
    assert record.user_key == "tid:oid"
    assert [p.id for p in store.providers()] == ["p"]  # nothing lost on the way


def test_the_migrations_build_exactly_the_declared_schema(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/new.sqlite")
    store.create_all()
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_start_up_twice_changes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/twice.sqlite"
    first = Store(url)
    first.create_all()
    first.upsert_provider(ProviderEntry("p", "openai", "m", secret="env:K"))
    second = Store(url)
    second.create_all()
    assert [p.id for p in second.providers()] == ["p"] and second.revision() == 1


@pytest.mark.parametrize("changes", [
    {"outcome": "The lead levels fell in every district"},
    {"failover_reason": "Rate limited: please retry"},
    {"prompt_version": "summarize the document below: ..."},
    {"model": "a long passage\nover several lines"},
    {"provider": "x" * 201},
    {"at": datetime(2025, 1, 1)},
    {"input_tokens": -1},
])
def test_usage_records_refuse_text_and_naive_times(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        usage(**changes)


def test_threads_record_and_configure_concurrently(store: Store) -> None:
    threads, per_thread = 8, 25
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(per_thread):
                store.record_usage(usage(request_id=f"t{n}-{i}", latency_ms=i))
                if i % 5 == 0:
                    store.upsert_provider(replace(CLAUDE, model=f"m{n}-{i}"))
                    store.set_assignment(Assignment("summarize", "claude"))
                    store.providers()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert len(store.usage()) == threads * per_thread
    [total] = store.usage_totals()
    assert total.calls == threads * per_thread
    assert total.input_tokens == 1000 * threads * per_thread
    assert store.revision() == 2 * threads * (per_thread // 5)


# --- wiring -------------------------------------------------------------------------------

def test_init_app_registers_the_store(store: Store) -> None:
    app = Flask(__name__)
    init_app(app, store)
    assert app.extensions["addin.store"] is store


@pytest.mark.parametrize("module", ["addin/store.py", "addin/models/catalog.py",
                                    "addin/models/usage.py"])
def test_no_module_level_flask_import(module: str) -> None:
    tree = ast.parse((REPO / module).read_text(encoding="utf-8"))
    for node in tree.body:  # module level only; TYPE_CHECKING blocks are not run
        names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                 else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
        assert not any(name.split(".")[0] == "flask" for name in names), module
