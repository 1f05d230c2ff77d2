"""The admin's limits: settings checks, the sliding-window rate, the monthly budget."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from addin.errors import BadRequest, TooManyRequests
from addin.limits import Limits, LimitSettings, RateLimiter, month_bounds
from addin.models.usage import UsageRecord

FEATURES = ("summarize", "analyze")


class FakeStore:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.changes = 0
        self.costs: dict[str, float] = {}
        self.cost_reads: list[tuple[datetime, datetime | None]] = []

    def setting(self, key: str) -> Any:
        return self.values.get(key)

    def set_setting(self, key: str, value: Any) -> None:
        self.values[key] = value
        self.changes += 1

    def revision(self) -> int:
        return self.changes

    def cost_by_feature(self, since: datetime, until: datetime | None = None
                        ) -> dict[str, float]:
        self.cost_reads.append((since, until))
        return dict(self.costs)


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def limits(store: FakeStore, clock: Clock, now: datetime | None = None) -> Limits:
    moment = now or datetime(2026, 11, 22, 15, 30, tzinfo=UTC)
    return Limits(store, FEATURES, clock=clock, now=lambda: moment, refresh_s=10)


@pytest.mark.parametrize(("raw", "words"), [
    ({"rate_limit": {"requests": 0, "per_seconds": 60}}, "rate_limit must be"),
    ({"rate_limit": {"requests": 5, "per_seconds": 10**6}}, "rate_limit must be"),
    ({"rate_limit": {"requests": True}}, "rate_limit must be"),
    ({"rate_limit": 5}, "rate_limit must be"),
    ({"budgets": {"translate": 5}}, "No feature 'translate'"),
    ({"budgets": {"summarize": -1}}, "0 or more"),
    ({"budgets": {"summarize": "10"}}, "0 or more"),
    ({"budgets": {"summarize": float("nan")}}, "0 or more"),
    ({"budgets": [1]}, "budgets must map"),
    ({"colour": "red"}, "Unknown field: colour"),
])
def test_bad_settings_are_refused_with_the_reason(raw: dict[str, Any], words: str) -> None:
    with pytest.raises(BadRequest, match=words):
        LimitSettings.from_json(raw, FEATURES)


def test_settings_round_trip_through_json() -> None:
    raw = {"rate_limit": {"requests": 30, "per_seconds": 60},
           "budgets": {"summarize": 12.5, "analyze": None}}
    settings = LimitSettings.from_json(raw, FEATURES)
    assert settings.to_json(FEATURES) == raw
    assert LimitSettings.from_json(settings.to_json(FEATURES), FEATURES) == settings


def test_the_rate_window_slides() -> None:
    clock = Clock()
    rate = RateLimiter(clock)
    assert [rate.take("u", 3, 60) for _ in range(3)] == [None, None, None]
    clock.t += 20
    assert rate.take("u", 3, 60) == pytest.approx(40)  # the first call leaves the window
    assert rate.take("other", 3, 60) is None  # each user has their own count
    clock.t += 40
    assert rate.take("u", 3, 60) is None


def test_over_the_rate_the_user_gets_a_429_saying_when_to_retry() -> None:
    store, clock = FakeStore(), Clock()
    service = limits(store, clock)
    service.update({"rate_limit": {"requests": 2, "per_seconds": 60}})
    service.check("tid:alice", "summarize")
    service.check("tid:alice", "analyze")  # one rate for all features
    clock.t += 15
    with pytest.raises(TooManyRequests) as caught:
        service.check("tid:alice", "summarize")
    error = caught.value
    assert error.code == "rate_limited" and error.retry_after_s == 45
    assert "2 every minute per person" in error.message and "45 seconds" in error.message
    assert error.details["limit"] == "rate"
    service.check("tid:bob", "summarize")


def test_a_spent_budget_refuses_until_the_first_of_next_month() -> None:
    store, clock = FakeStore(), Clock()
    store.costs = {"summarize": 9.99}
    service = limits(store, clock)
    service.update({"budgets": {"summarize": 10}})
    service.check("u", "summarize")
    service.record(UsageRecord("r", "summarize", "gpt", "m", cost_usd=0.02,
                               at=datetime(2026, 11, 22, 15, 31, tzinfo=UTC)))
    with pytest.raises(TooManyRequests) as caught:
        service.check("u", "summarize")
    error = caught.value
    assert error.code == "budget_exhausted" and error.details["limit"] == "budget"
    assert "$10.00" in error.message and "$10.01 spent" in error.message
    assert "December 1" in error.message
    assert error.details["resets_at"] == "2026-12-01T00:00:00+00:00"
    seconds_left = (datetime(2026, 12, 1, tzinfo=UTC)
                    - datetime(2026, 11, 22, 15, 30, tzinfo=UTC)).total_seconds()
    assert error.retry_after_s == int(seconds_left)
    service.check("u", "analyze")  # another feature's budget is its own


def test_spend_is_reread_from_the_store_so_other_workers_count() -> None:
    store, clock = FakeStore(), Clock()
    service = limits(store, clock)
    assert service.spent() == {"summarize": 0.0, "analyze": 0.0}
    store.costs = {"summarize": 4.0}  # another worker's calls reach the store
    assert service.spent()["summarize"] == 0.0  # cached...
    clock.t += 11
    assert service.spent()["summarize"] == 4.0  # ...for refresh_s at most
    start, end = store.cost_reads[-1]
    assert (start, end) == month_bounds(datetime(2026, 11, 22, tzinfo=UTC))


def test_a_budget_of_zero_stops_the_feature_and_none_means_no_budget() -> None:
    store, clock = FakeStore(), Clock()
    service = limits(store, clock)
    service.update({"budgets": {"summarize": 0, "analyze": None}})
    with pytest.raises(TooManyRequests):
        service.check("u", "summarize")
    service.check("u", "analyze")


def test_december_resets_in_january() -> None:
    start, end = month_bounds(datetime(2026, 12, 31, 23, 59, tzinfo=UTC))
    assert start == datetime(2026, 12, 1, tzinfo=UTC)
    assert end == datetime(2027, 1, 1, tzinfo=UTC)
