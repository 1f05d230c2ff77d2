"""State shared by every worker and instance through Redis (``ADDIN_REDIS_URL``).

Three things must agree across a fleet behind a load balancer, or each instance would
enforce its own idea of them:

* **circuit breakers** (:class:`RedisCircuitBreakers`): one instance's failures open the
  circuit for all; one probe at a time when half-open, fleet-wide;
* **rate limits** (:class:`RedisRateLimiter`): one sliding window per user, whichever
  instance the request lands on;
* **this month's spend** (:class:`RedisSpend`): added to as calls finish, on every instance.

Each operation is one Lua script, so it is atomic in Redis, and uses Redis's clock, so the
instances' clocks need not agree. Redis is not a single point of failure: when it does not
answer (short socket timeouts), each object falls back to its in-process twin, logs a warning
(at most once a minute), and tries Redis again after a few seconds.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import redis

from .limits import LimitStore, LocalSpend, RateLimiter
from .models.breaker import CircuitBreakers

log = logging.getLogger("addin.shared")
T = TypeVar("T")

RETRY_AFTER_OUTAGE_S = 5.0
KEY_TTL_S = 86_400  # circuits of providers no longer used fade away
SPEND_TTL_S = 40 * 86_400  # a month's counter outlives its month, then goes


def connect(url: str) -> redis.Redis:
    """A client with short timeouts: a slow Redis must not hold up the answers."""
    return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5,
                                health_check_interval=30)


class _Fallback:
    """Runs a Redis operation, or the local twin while Redis is out."""

    def __init__(self, what: str, clock: Callable[[], float] = time.monotonic) -> None:
        self._what, self._clock = what, clock
        self._down_until = 0.0
        self._warned_at = -float("inf")
        self._lock = threading.Lock()

    def __call__(self, shared: Callable[[], T], local: Callable[[], T]) -> T:
        if self._clock() < self._down_until:
            return local()
        try:
            return shared()
        except redis.RedisError as exc:
            now = self._clock()
            with self._lock:
                self._down_until = now + RETRY_AFTER_OUTAGE_S
                if now - self._warned_at >= 60:
                    self._warned_at = now
                    log.warning("Redis unavailable for %s (%s): using this process's own "
                                "state for now", self._what, type(exc).__name__)
            return local()


_NOW = "local t = redis.call('TIME'); local now = tonumber(t[1]) + tonumber(t[2]) / 1e6\n"

_ALLOW = _NOW + """
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
if state == 'open' then
  local opened = tonumber(redis.call('HGET', KEYS[1], 'opened_at') or '0')
  if now - opened < tonumber(ARGV[1]) then return 0 end
  state = 'half_open'
  redis.call('HSET', KEYS[1], 'state', 'half_open', 'probe_until', '0')
end
if state == 'half_open' then
  if tonumber(redis.call('HGET', KEYS[1], 'probe_until') or '0') > now then return 0 end
  redis.call('HSET', KEYS[1], 'probe_until', tostring(now + tonumber(ARGV[2])))
end
return 1
"""

_FAILURE = _NOW + """
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
redis.call('HSET', KEYS[1], 'last_error', ARGV[2])
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
if state == 'half_open' or ARGV[3] == '1' or failures >= tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'state', 'open', 'opened_at', tostring(now), 'probe_until', '0')
end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return failures
"""

_SUCCESS = """
if redis.call('HGET', KEYS[1], 'state') ~= 'open' then redis.call('DEL', KEYS[1]) end
return 1
"""

_RELEASE = """
if redis.call('HGET', KEYS[1], 'state') == 'half_open' then
  redis.call('HSET', KEYS[1], 'probe_until', '0')
end
return 1
"""

_SNAPSHOT = _NOW + """
local v = redis.call('HMGET', KEYS[1], 'state', 'failures', 'opened_at', 'last_error')
local state = v[1] or 'closed'
if state == 'open' and now - tonumber(v[3] or '0') >= tonumber(ARGV[1]) then
  state = 'half_open'
end
return {state, v[2] or '0', v[4] or ''}
"""


class RedisCircuitBreakers(CircuitBreakers):
    """The circuit breakers of :mod:`addin.models.breaker`, kept in Redis (one hash per
    provider). A half-open probe is leased for ``probe_lease_s``, so an instance that dies
    mid-probe cannot keep the circuit shut."""

    def __init__(self, client: redis.Redis, threshold: int = 3, cooldown_s: float = 30.0,
                 prefix: str = "addin:circuit:", probe_lease_s: float = 120.0) -> None:
        super().__init__(threshold, cooldown_s)
        self._prefix, self._lease = prefix, probe_lease_s
        self._scripts = {name: client.register_script(body) for name, body in (
            ("allow", _ALLOW), ("success", _SUCCESS), ("failure", _FAILURE),
            ("release", _RELEASE),
            ("snapshot", _SNAPSHOT))}
        self._client = client
        self._fallback = _Fallback("circuit breakers")

    def _key(self, provider_id: str) -> str:
        return self._prefix + provider_id

    def allow(self, provider_id: str) -> bool:
        return self._fallback(
            lambda: bool(self._scripts["allow"](keys=[self._key(provider_id)],
                                                args=[self.cooldown_s, self._lease])),
            lambda: super(RedisCircuitBreakers, self).allow(provider_id))

    def success(self, provider_id: str) -> None:
        self._fallback(lambda: self._scripts["success"](keys=[self._key(provider_id)]),
                       lambda: super(RedisCircuitBreakers, self).success(provider_id))

    def failure(self, provider_id: str, reason: str) -> None:
        immediate = "1" if reason in self.IMMEDIATE else "0"
        self._fallback(
            lambda: self._scripts["failure"](keys=[self._key(provider_id)],
                                             args=[self.threshold, reason, immediate,
                                                   KEY_TTL_S]),
            lambda: super(RedisCircuitBreakers, self).failure(provider_id, reason))

    def release(self, provider_id: str) -> None:
        self._fallback(lambda: self._scripts["release"](keys=[self._key(provider_id)]),
                       lambda: super(RedisCircuitBreakers, self).release(provider_id))

    def snapshot(self, provider_id: str) -> dict[str, object]:
        def shared() -> dict[str, object]:
            state, failures, last = self._scripts["snapshot"](
                keys=[self._key(provider_id)], args=[self.cooldown_s])
            return {"state": _text(state), "failures": int(failures),
                    "last_error": _text(last) or None}

        return self._fallback(shared,
                              lambda: super(RedisCircuitBreakers, self).snapshot(provider_id))


_TAKE = _NOW + """
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local limit = tonumber(ARGV[1])
if count >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
  return tostring(tonumber(oldest[2]) + window - now)
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('EXPIRE', KEYS[1], math.ceil(window) + 1)
return false
"""


class RedisRateLimiter(RateLimiter):
    """The sliding window of :class:`addin.limits.RateLimiter` as a Redis sorted set per
    user (one member per request, scored by its time)."""

    def __init__(self, client: redis.Redis, prefix: str = "addin:rate:") -> None:
        super().__init__()
        self._prefix = prefix
        self._script = client.register_script(_TAKE)
        self._fallback = _Fallback("rate limits")

    def take(self, key: str, requests: int, window_s: float) -> float | None:
        def shared() -> float | None:
            wait = self._script(keys=[self._prefix + key],
                                args=[requests, window_s, uuid.uuid4().hex])
            return None if wait is None else float(wait)

        return self._fallback(shared, lambda: super(RedisRateLimiter, self).take(
            key, requests, window_s))


_SEED = f"""
if redis.call('EXISTS', KEYS[1]) == 0 then
  for i = 1, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
  redis.call('EXPIRE', KEYS[1], {SPEND_TTL_S})
end
return redis.call('HGETALL', KEYS[1])
"""

_ADD = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('HINCRBYFLOAT', KEYS[1], ARGV[1], ARGV[2])
end
return false
"""


class RedisSpend(LocalSpend):
    """This month's spend per feature in one Redis hash, seeded from the store's sums the
    first time any instance asks, then added to by every instance as calls finish. A cost
    recorded before the month's hash exists is not added: the seed, read from the store
    after it, includes it."""

    def __init__(self, client: redis.Redis, store: LimitStore,
                 flush: Callable[[], None] = lambda: None,
                 prefix: str = "addin:spend:") -> None:
        super().__init__(store, flush)
        self._prefix, self._client = prefix, client
        self._seed, self._add = client.register_script(_SEED), client.register_script(_ADD)
        self._fallback = _Fallback("budgets")

    def _key(self, at: datetime) -> str:
        return f"{self._prefix}{at:%Y-%m}"

    def spent(self, start: datetime, end: datetime) -> dict[str, float]:
        def shared() -> dict[str, float]:
            key = self._key(start)
            raw = self._client.hgetall(key)
            if not raw:
                self._flush()
                totals = self._store.cost_by_feature(start, end)
                pairs: list[Any] = ["_seeded", "1"]
                for feature, cost in totals.items():
                    pairs += [feature, repr(cost)]
                flat = self._seed(keys=[key], args=pairs)
                raw = dict(zip(flat[::2], flat[1::2], strict=True))
            return {_text(k): float(v) for k, v in raw.items() if _text(k) != "_seeded"}

        return self._fallback(shared, lambda: super(RedisSpend, self).spent(start, end))

    def add(self, feature: str, cost_usd: float, at: datetime) -> None:
        super().add(feature, cost_usd, at)  # the local twin stays current for an outage
        self._fallback(lambda: self._add(keys=[self._key(at)], args=[feature, repr(cost_usd)]),
                       lambda: None)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
