"""Usage limits the admin sets: a request rate per user and a monthly budget per feature.

Both are checked before a feature runs; over either, the caller gets a 429 that says which
limit it hit and when it resets (also as ``Retry-After``):

* **Rate**: at most ``requests`` feature calls per user (tenant + object id) in any sliding
  window of ``per_seconds``. Counted in this process's memory.
* **Budget**: a feature's spend in USD over the calendar month (UTC), from the usage records.
  The month's spend is read from the store and kept current with this process's own calls;
  it is re-read every ``refresh_s`` so the calls of other workers count too. A call that
  starts under the budget is allowed to finish, so a month can end slightly over it.

The settings live in the store (key ``limits``); saving them bumps the store's revision, so
every worker and instance applies the admin's change at its next request.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from .errors import BadRequest, TooManyRequests
from .models.usage import UsageRecord

SETTING_KEY = "limits"
MAX_WINDOW_S = 86_400
MAX_BUDGET = 1e12  # dollars a month


class LimitStore(Protocol):
    def setting(self, key: str) -> Any: ...
    def set_setting(self, key: str, value: Any) -> None: ...
    def revision(self) -> int: ...
    def cost_by_feature(self, since: datetime, until: datetime | None = None
                        ) -> dict[str, float]: ...


@dataclass(frozen=True, slots=True)
class LimitSettings:
    """``rate_requests`` None: no rate limit. A feature missing from ``budgets``: no budget."""

    rate_requests: int | None = None
    rate_per_seconds: int = 60
    budgets: Mapping[str, float] = field(default_factory=dict)

    def to_json(self, features: Iterable[str]) -> dict[str, Any]:
        rate = None if self.rate_requests is None else {
            "requests": self.rate_requests, "per_seconds": self.rate_per_seconds}
        return {"rate_limit": rate,
                "budgets": {feature: self.budgets.get(feature) for feature in features}}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any], features: Iterable[str]) -> LimitSettings:
        """Check an admin's input; BadRequest saying what is wrong."""
        known = tuple(features)
        unknown = sorted(set(raw) - {"rate_limit", "budgets"})
        if unknown:
            raise BadRequest(f"Unknown field{'s' if len(unknown) > 1 else ''}: "
                             f"{', '.join(unknown)}. Send rate_limit and budgets.",
                             code="bad_input")
        rate, per = _rate(raw.get("rate_limit"))
        budgets_raw = raw.get("budgets") or {}
        if not isinstance(budgets_raw, Mapping):
            raise BadRequest("budgets must map a feature to dollars per month (or null).",
                             code="bad_input")
        budgets: dict[str, float] = {}
        for feature, value in budgets_raw.items():
            if feature not in known:
                raise BadRequest(f"No feature {feature!r}; known features: {', '.join(known)}.",
                                 code="unknown_feature")
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 \
                    or value != value or value > MAX_BUDGET:  # an int past it: no float
                raise BadRequest(f"The budget of {feature} must be a number of dollars, 0 or "
                                 f"more (up to {MAX_BUDGET:,.0f}), or null for none.",
                                 code="bad_input")
            budgets[feature] = round(float(value), 2)
        return cls(rate, per, budgets)


def _rate(raw: Any) -> tuple[int | None, int]:
    if raw is None:
        return None, 60
    message = ("rate_limit must be null or {\"requests\": 1..100000, \"per_seconds\": "
               f"1..{MAX_WINDOW_S}}}.")
    if not isinstance(raw, Mapping) or set(raw) - {"requests", "per_seconds"}:
        raise BadRequest(message, code="bad_input")
    requests, per = raw.get("requests"), raw.get("per_seconds", 60)
    for value, top in ((requests, 100_000), (per, MAX_WINDOW_S)):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
            raise BadRequest(message, code="bad_input")
    return requests, per


def month_bounds(now: datetime) -> tuple[datetime, datetime]:
    """The first instants of ``now``'s calendar month (UTC) and of the next one."""
    start = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 \
        else start.replace(month=start.month + 1)
    return start, end


class RateLimiter:
    """Sliding-window request counts per key, in memory (one deque of times per key)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._calls: dict[str, deque[float]] = {}
        self._swept = clock()

    def take(self, key: str, requests: int, window_s: float) -> float | None:
        """Count a request for ``key``; None if allowed, else seconds until one is."""
        now = self._clock()
        with self._lock:
            calls = self._calls.setdefault(key, deque())
            while calls and calls[0] <= now - window_s:
                calls.popleft()
            if len(calls) >= requests:
                return calls[len(calls) - requests] + window_s - now
            calls.append(now)
            if now - self._swept > window_s:  # drop idle users so memory stays bounded
                self._calls = {k: v for k, v in self._calls.items()
                               if v and v[-1] > now - window_s}
                self._swept = now
            return None


class RateCounter(Protocol):
    def take(self, key: str, requests: int, window_s: float) -> float | None: ...


class Spend(Protocol):
    """This month's spend per feature: read, and added to as calls finish."""

    def spent(self, start: datetime, end: datetime) -> dict[str, float]: ...
    def add(self, feature: str, cost_usd: float, at: datetime) -> None: ...


class LocalSpend:
    """Spend kept in this process: the store's sums, re-read every ``refresh_s`` (so other
    workers' calls count once written), plus this process's calls since."""

    def __init__(self, store: LimitStore, flush: Callable[[], None] = lambda: None,
                 refresh_s: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._store, self._flush, self._refresh_s, self._clock = store, flush, refresh_s, clock
        self._lock = threading.Lock()
        self._month: datetime | None = None
        self._spent: dict[str, float] = defaultdict(float)
        self._loaded_at = -float("inf")

    def spent(self, start: datetime, end: datetime) -> dict[str, float]:
        with self._lock:
            if start != self._month or self._clock() - self._loaded_at >= self._refresh_s:
                self._flush()  # so what this process recorded is in the store's sums
                self._spent = defaultdict(float, self._store.cost_by_feature(start, end))
                self._month, self._loaded_at = start, self._clock()
            return dict(self._spent)

    def add(self, feature: str, cost_usd: float, at: datetime) -> None:
        with self._lock:
            if self._month is not None and at >= self._month:
                self._spent[feature] += cost_usd


class Limits:
    """The limits service: settings, spend tracking, and the check before each call.
    ``rate`` and ``spend`` default to this process's memory; pass the Redis ones
    (:mod:`addin.shared`) to share them between workers and instances."""

    def __init__(self, store: LimitStore, features: Iterable[str], *,
                 flush: Callable[[], None] = lambda: None, refresh_s: float = 10.0,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC),
                 clock: Callable[[], float] = time.monotonic,
                 rate: RateCounter | None = None, spend: Spend | None = None) -> None:
        self.features = tuple(features)
        self._store, self._now = store, now
        self._rate = rate or RateLimiter(clock)
        self._spend = spend or LocalSpend(store, flush, refresh_s, clock)
        self._settings: LimitSettings = LimitSettings()
        self._settings_revision: int | None = None

    def now(self) -> datetime:
        return self._now()

    # --- settings --------------------------------------------------------------------------

    def settings(self) -> LimitSettings:
        """The admin's current settings (re-read when the store's revision changes)."""
        revision = self._store.revision()
        if revision != self._settings_revision:
            raw = self._store.setting(SETTING_KEY)
            settings = LimitSettings.from_json(raw, self.features) if raw else LimitSettings()
            self._settings, self._settings_revision = settings, revision
        return self._settings

    def update(self, raw: Mapping[str, Any]) -> tuple[LimitSettings, LimitSettings]:
        """Replace the settings with an admin's input; (before, after). BadRequest if bad."""
        before = self.settings()
        after = LimitSettings.from_json(raw, self.features)
        self._store.set_setting(SETTING_KEY, after.to_json(self.features))
        return before, after

    # --- spend -----------------------------------------------------------------------------

    def spent(self) -> dict[str, float]:
        """Dollars spent this month per feature (every feature named, 0.0 if none)."""
        totals = self._spend.spent(*month_bounds(self._now()))
        return {feature: round(totals.get(feature, 0.0), 6) for feature in self.features}

    def record(self, record: UsageRecord) -> None:
        """Count a call's cost now (the store sees it when the writer gets to it)."""
        if record.cost_usd:
            self._spend.add(record.feature, record.cost_usd, record.at)

    # --- the check -------------------------------------------------------------------------

    def check(self, user_key: str, feature: str) -> None:
        """Raise TooManyRequests if ``feature`` is over its budget or the user over the rate;
        otherwise count the request against the user's rate."""
        settings = self.settings()
        budget = settings.budgets.get(feature)
        if budget is not None:
            spent = self.spent()[feature]
            if spent >= budget:
                now = self._now()
                _, resets = month_bounds(now)
                raise TooManyRequests(
                    f"The monthly budget for {feature} (${budget:,.2f}) is used up "
                    f"(${spent:,.2f} spent). It resets on {resets:%B} 1 at 00:00 UTC; an "
                    "administrator can raise it before then.",
                    code="budget_exhausted", retry_after_s=int((resets - now).total_seconds()),
                    limit="budget", feature=feature, resets_at=resets.isoformat())
        if settings.rate_requests is not None:
            wait = self._rate.take(user_key, settings.rate_requests, settings.rate_per_seconds)
            if wait is not None:
                seconds = max(int(wait + 0.999), 1)
                again = self._now().timestamp() + seconds
                raise TooManyRequests(
                    f"Too many requests: the limit is {settings.rate_requests} every "
                    f"{_span(settings.rate_per_seconds, every=True)} per person. Try again in "
                    f"{_span(seconds)}.",
                    code="rate_limited", retry_after_s=seconds, limit="rate",
                    resets_at=datetime.fromtimestamp(again, UTC).isoformat())


def _span(seconds: int, *, every: bool = False) -> str:
    """``90`` → "90 seconds", ``120`` → "2 minutes"; with ``every``, ``60`` → "minute"."""
    for size, unit in ((3600, "hour"), (60, "minute"), (1, "second")):
        if seconds % size == 0:
            count = seconds // size
            if count == 1:
                return unit if every else f"1 {unit}"
            return f"{count} {unit}s"
    return f"{seconds} seconds"
