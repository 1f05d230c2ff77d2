"""State shared through a real Redis: circuits, rate limits and spend agree across instances
(each test builds two, as two workers or two machines would), and an outage of Redis falls
back to each process's own state instead of failing requests."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from addin import create_app
from addin.shared import RedisCircuitBreakers, RedisRateLimiter, RedisSpend, connect
from tests.entra import BODY
from tests.fakes import Simulator, Step
from tests.helpers import inhouse_config
from tests.test_limits import FakeStore

pytest.importorskip("langchain_openai")

NOV = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))


def pair(redis_url: str, **kwargs: Any) -> tuple[RedisCircuitBreakers, RedisCircuitBreakers]:
    return (RedisCircuitBreakers(connect(redis_url), **kwargs),
            RedisCircuitBreakers(connect(redis_url), **kwargs))


def test_one_instances_failures_open_the_circuit_for_all(redis_url: str) -> None:
    a, b = pair(redis_url, threshold=3, cooldown_s=0.3)
    for _ in range(2):
        a.failure("claude", "server_error")
    assert b.allow("claude")
    b.failure("claude", "server_error")  # the third failure in a row, on another instance
    assert not a.allow("claude") and not b.allow("claude")
    a.success("claude")  # a late success of a call let through before: stays open
    assert a.snapshot("claude") == {"state": "open", "failures": 3,
                                    "last_error": "server_error"}
    time.sleep(0.35)
    assert b.snapshot("claude")["state"] == "half_open"
    assert a.allow("claude")  # the one probe, fleet-wide
    assert not b.allow("claude") and not a.allow("claude")
    a.success("claude")
    assert b.allow("claude") and b.snapshot("claude")["state"] == "closed"


def test_a_failed_probe_opens_again_and_wrong_credentials_open_at_once(redis_url: str) -> None:
    a, b = pair(redis_url, threshold=5, cooldown_s=0.2)
    a.failure("mistral", "auth")
    assert not b.allow("mistral") and b.allow("other")
    time.sleep(0.25)
    assert b.allow("mistral")
    b.failure("mistral", "timeout")
    assert not a.allow("mistral")


def test_a_probe_released_or_abandoned_lets_another_through(redis_url: str) -> None:
    a, b = pair(redis_url, threshold=1, cooldown_s=0.1, probe_lease_s=0.3)
    a.failure("gpt", "timeout")
    time.sleep(0.15)
    assert a.allow("gpt")
    a.release("gpt")  # the probe ended without a verdict
    assert b.allow("gpt")  # b's probe now; then b dies without a word...
    assert not a.allow("gpt")
    time.sleep(0.35)
    assert a.allow("gpt")  # ...and its lease runs out


def test_rate_limits_count_a_user_on_every_instance(redis_url: str) -> None:
    a, b = RedisRateLimiter(connect(redis_url)), RedisRateLimiter(connect(redis_url))
    assert a.take("tid:alice", 2, 60) is None
    assert b.take("tid:alice", 2, 60) is None
    wait = a.take("tid:alice", 2, 60)
    assert wait is not None and 59 < wait <= 60
    assert b.take("tid:bob", 2, 60) is None
    c = RedisRateLimiter(connect(redis_url))
    assert c.take("tid:carol", 1, 0.2) is None and c.take("tid:carol", 1, 0.2) is not None
    time.sleep(0.25)
    assert c.take("tid:carol", 1, 0.2) is None


def test_spend_is_seeded_from_the_store_then_added_to_by_every_instance(
        redis_url: str) -> None:
    store = FakeStore()
    store.costs = {"summarize": 3.0}
    at = datetime(2026, 11, 20, tzinfo=UTC)
    a, b = RedisSpend(connect(redis_url), store), RedisSpend(connect(redis_url), store)
    a.add("summarize", 5.0, at)  # before anyone asked: in the store's sums when seeded
    assert a.spent(*NOV) == {"summarize": 3.0}
    a.add("summarize", 0.25, at)
    b.add("analyze", 1.5, at)
    assert b.spent(*NOV) == {"summarize": 3.25, "analyze": 1.5}
    assert len(store.cost_reads) == 1  # seeded once, for the whole fleet


def test_an_outage_falls_back_to_local_state_and_says_so(
        caplog: pytest.LogCaptureFixture) -> None:
    dead = connect("redis://127.0.0.1:1/0")  # nothing listens there
    breakers = RedisCircuitBreakers(dead, threshold=1, cooldown_s=30)
    with caplog.at_level(logging.WARNING, logger="addin.shared"):
        assert breakers.allow("gpt")
        breakers.failure("gpt", "server_error")
        assert not breakers.allow("gpt")  # the local twin opened the circuit
    assert "Redis unavailable for circuit breakers" in caplog.text
    assert len([r for r in caplog.records if "Redis unavailable" in r.message]) == 1
    rate = RedisRateLimiter(dead)
    assert rate.take("u", 1, 60) is None and rate.take("u", 1, 60) is not None


# --- two app instances on one PostgreSQL and one Redis ----------------------------------

@pytest.fixture()
def instances(postgres_url: str, redis_url: str, simulator: Simulator,
              tmp_path: Path) -> tuple[Flask, Flask]:
    settings = {"DATABASE_URL": postgres_url, "REDIS_URL": redis_url,
                "CONFIG": inhouse_config(simulator, tmp_path), "RETRY_BACKOFF_S": 0.01,
                "MAX_RETRIES": 0, "CIRCUIT_THRESHOLD": 2, "CIRCUIT_COOLDOWN_S": 60}
    return create_app(settings), create_app(settings)


def test_instances_share_limits_circuits_and_configuration(
        instances: tuple[Flask, Flask], simulator: Simulator) -> None:
    one, two = (app.test_client() for app in instances)
    # configuration: a change made on one instance is served by the other
    response = one.put("/api/v1/admin/features/summarize", json={"temperature": 0.2})
    assert response.status_code == 200
    assert two.get("/api/v1/admin/features").json["features"][0]["temperature"] == 0.2
    # circuits: two failures on instance one open the circuit on instance two as well
    simulator.script(Step(kind="status", status=500), Step(kind="status", status=500))
    for _ in range(2):
        body = one.post("/api/v1/summarize", json=BODY).json
        assert body["provider"] == "local"  # failed over
    circuits = two.get("/readyz").json["circuits"]
    assert circuits["inhouse"]["state"] == "open"
    assert two.post("/api/v1/summarize", json=BODY).json["provider"] == "local"
    assert len(simulator.of("compat")) == 2  # instance two did not try the open circuit
    # rate limit: one request a minute per user, whichever instance it lands on
    one.put("/api/v1/admin/limits", json={"rate_limit": {"requests": 1, "per_seconds": 60}})
    assert one.post("/api/v1/summarize", json=BODY).status_code == 200
    refused = two.post("/api/v1/summarize", json=BODY)
    assert refused.status_code == 429 and refused.json["error"]["code"] == "rate_limited"
