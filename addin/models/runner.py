"""The runner: one retry loop, failover by failure type, circuit breakers, usage records.

For a request it walks the feature's candidates in order. On each it streams the provider's
events through; on a :class:`ProviderFailure` it decides from the reason alone:

* ``bad_request``: the request itself is wrong and another vendor will not fix it → the
  caller gets a 502 naming the model and what it said; no failover.
* rate limits, overload and 5xx, before any text has streamed → retry the same provider,
  honouring ``Retry-After`` up to ``retry_after_cap_s`` (a longer wait fails over at once),
  else exponential backoff; at most ``max_retries`` times.
* everything else, or retries used up → fail over to the next candidate. ``context_length``
  skips candidates whose window is not larger. If text had already streamed, the answer
  restarts on the next candidate; the feature hears of it through a :class:`Fallback` event
  before the new text.

A provider whose circuit is open is skipped. Every attempt, failed or not, leaves one usage
record (tokens, cost from the local price table, latency, outcome; never text). When every
candidate fails the caller gets one clear 502/503 naming what was tried.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, replace
from functools import partial

from ..errors import AddinError
from .base import (
    Assignment,
    CallParams,
    Delta,
    ModelRequest,
    Notice,
    Provider,
    ProviderEntry,
    Started,
    Usage,
)
from .breaker import CircuitBreakers
from .failures import ProviderFailure
from .pricing import cost_usd
from .selector import Selector, StaticSource
from .usage import UsageRecord

log = logging.getLogger("addin.models")


@dataclass(frozen=True, slots=True)
class Fallback:
    """The answer moves from one provider to another (``restarted``: text had streamed)."""

    from_provider: str
    to_provider: str
    to_model: str
    reason: str
    restarted: bool


class ProviderRejected(AddinError):
    status = 502
    code = "provider_rejected"


class AllProvidersFailed(AddinError):
    status = 502
    code = "providers_failed"


@dataclass(frozen=True, slots=True)
class RunnerSettings:
    max_retries: int = 2
    retry_after_cap_s: float = 10.0
    backoff_s: float = 0.5
    stall_timeout_s: float = 30.0


Recorder = Callable[[UsageRecord], None]
_READABLE = {
    "rate_limited": "rate limited", "overloaded": "overloaded", "server_error": "server error",
    "timeout": "timed out", "connection": "unreachable", "auth": "credentials refused",
    "context_length": "document too long for it", "stream_error": "error during the answer",
    "stream_cut": "answer cut off", "stall": "stopped answering", "malformed": "garbled answer",
    "circuit_open": "paused after repeated failures",
}


class Runner:
    def __init__(self, selector: Selector, breakers: CircuitBreakers | None = None,
                 settings: RunnerSettings | None = None, recorder: Recorder | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 on_failure: Callable[[str, ProviderFailure], None] | None = None) -> None:
        self.selector = selector
        self.breakers = breakers or CircuitBreakers()
        self.settings = settings or RunnerSettings()
        self._record = recorder or (lambda record: None)
        self._sleep = sleep
        self._on_failure = on_failure or (lambda provider_id, failure: None)

    @property
    def recorder(self) -> Recorder:
        """Where this runner sends its usage records."""
        return self._record

    def for_user(self, user_key: str) -> Runner:
        """This runner (same providers, circuits and settings) recording ``user_key`` as who
        asked in each usage record."""
        record = self._record

        def tagged(usage: UsageRecord) -> None:
            record(replace(usage, user_key=user_key))

        return Runner(self.selector, self.breakers, self.settings, tagged, self._sleep,
                      self._on_failure)

    def pinned(self, entry: ProviderEntry, features: Iterable[str], *,
               max_output_tokens: int | None = None, record: Recorder | None = None,
               on_failure: Callable[[str, ProviderFailure], None] | None = None) -> Runner:
        """A runner that sends ``features`` to ``entry`` alone, even if it is disabled: no
        fallback, no retry and circuits of its own (the admin's Test and Compare measure one
        provider as it is). ``on_failure`` hears each failure with the vendor's detail."""
        entry = replace(entry, enabled=True)
        assigned = {feature: Assignment(feature, primary=entry.id,
                                        max_output_tokens=max_output_tokens)
                    for feature in features}
        selector = Selector(StaticSource((entry,), assigned), assigned)
        return Runner(selector, CircuitBreakers(), replace(self.settings, max_retries=0),
                      record or self._record, self._sleep, on_failure)

    def stream(self, request: ModelRequest, *, confidential: bool = False,
               request_id: str = "") -> Iterator[Started | Delta | Notice | Usage | Fallback]:
        """Serve ``request``: Started, then the serving provider's events, with a Fallback
        before each change of provider. Raises AddinError when no candidate can answer."""
        candidates = self.selector.candidates(request.feature, confidential)
        assignment = candidates.assignment
        params = CallParams(
            temperature=assignment.temperature if request.temperature is None
            else request.temperature,
            # the admin's setting caps what the feature asks for
            max_output_tokens=min((n for n in (request.max_output_tokens,
                                               assignment.max_output_tokens) if n),
                                  default=None),
            stall_timeout_s=self.settings.stall_timeout_s,
        )
        first = candidates.providers[0].entry
        yield Started(provider=first.id, model=first.model)
        tried: list[tuple[str, str]] = []
        current, streamed, min_window = first.id, False, 0
        for provider in candidates.providers:
            entry = provider.entry
            if entry.context_window and entry.context_window <= min_window:
                tried.append((entry.id, "context_length"))
                continue
            if not self.breakers.allow(entry.id):
                tried.append((entry.id, "circuit_open"))
                continue
            if entry.id != current:
                reason = tried[-1][1] if tried else "unavailable"
                yield Fallback(current, entry.id, entry.model, reason, streamed)
                current, streamed = entry.id, False
            arrived_by = tried[-1][1] if tried else None
            outcome = yield from self._attempts(provider, request, params, request_id,
                                                arrived_by)
            if outcome is None:
                return
            reason, streamed_here = outcome
            streamed = streamed or streamed_here
            tried.append((entry.id, reason))
            if reason == "context_length":
                min_window = max(min_window, entry.context_window or 0)
        raise self._all_failed(request.feature, tried, candidates.excluded)

    def _attempts(self, provider: Provider, request: ModelRequest, params: CallParams,
                  request_id: str, arrived_by: str | None
                  ) -> Generator[Delta | Notice | Usage, None, tuple[str, bool] | None]:
        """Try one provider with retries. Returns None on success, else (reason, streamed).
        ``arrived_by`` is the failure that led here, kept on the usage records."""
        entry = provider.entry
        note = partial(self._note, request, entry.id, entry.model, request_id, arrived_by)
        for attempt in range(self.settings.max_retries + 1):
            started = time.perf_counter()
            streamed = False
            try:
                for event in provider.stream(request, params):
                    if isinstance(event, Usage):
                        usage = Usage(event.input_tokens, event.output_tokens,
                                      cost_usd(entry, event.input_tokens, event.output_tokens))
                        note(started, "ok", usage)
                        self.breakers.success(entry.id)
                        yield usage
                        return None
                    streamed = streamed or isinstance(event, Delta)
                    yield event
                raise ProviderFailure("stream_cut", "the provider ended without usage")
            except Exception as exc:
                failure = exc if isinstance(exc, ProviderFailure) else _unexpected(exc, entry.id)
                note(started, failure.reason)
                self._on_failure(entry.id, failure)
                log.warning("%s provider %s failed: %s (attempt %d)", request_id, entry.id,
                            failure.reason, attempt + 1)
                if failure.reason == "bad_request":
                    self.breakers.release(entry.id)
                    said = failure.detail or "bad request"
                    raise ProviderRejected(
                        f"The model {entry.id} refused the request ({said}). "
                        "Try a shorter document or other options.") from None
                if failure.reason != "context_length":
                    self.breakers.failure(entry.id, failure.reason)
                else:
                    self.breakers.release(entry.id)
                delay = self._retry_delay(failure, attempt, streamed)
                if delay is None or not self.breakers.allow(entry.id):
                    return failure.reason, streamed
                self._sleep(delay)
        return "retries_exhausted", False  # pragma: no cover - loop always returns

    def _retry_delay(self, failure: ProviderFailure, attempt: int,
                     streamed: bool) -> float | None:
        settings = self.settings
        if streamed or not failure.retryable or attempt >= settings.max_retries:
            return None
        if failure.retry_after is not None:
            return failure.retry_after if failure.retry_after <= settings.retry_after_cap_s \
                else None
        return float(settings.backoff_s * (2 ** attempt))

    def _note(self, request: ModelRequest, provider_id: str, model: str, request_id: str,
              arrived_by: str | None, started: float, outcome: str,
              usage: Usage | None = None) -> None:
        self._record(UsageRecord(
            request_id=request_id, feature=request.feature, provider=provider_id, model=model,
            input_tokens=usage.input_tokens if usage else 0,
            output_tokens=usage.output_tokens if usage else 0,
            cost_usd=usage.cost_usd if usage else 0.0,
            latency_ms=round((time.perf_counter() - started) * 1000, 2),
            outcome=outcome, failover_reason=arrived_by,
            prompt_version=request.prompt_version,
        ))

    @staticmethod
    def _all_failed(feature: str, tried: list[tuple[str, str]],
                    excluded: tuple[str, ...]) -> AddinError:
        said = ", ".join(f"{pid} ({_READABLE.get(reason, reason)})" for pid, reason in tried)
        error = AllProvidersFailed(
            f"No model could answer {feature} right now: {said}"
            f"{'; not allowed or unavailable: ' + ', '.join(excluded) if excluded else ''}. "
            "Try again in a minute.", tried=[pid for pid, _ in tried])
        if all(reason == "circuit_open" for _, reason in tried):
            error.status, error.code = 503, "providers_paused"
        return error


def _unexpected(exc: Exception, provider_id: str) -> ProviderFailure:
    """A bug or an untranslated error in a provider: fail over rather than fail the user."""
    log.error("provider %s raised %s (not translated to a ProviderFailure)", provider_id,
              type(exc).__name__)
    return ProviderFailure("server_error", type(exc).__name__)


def complete(runner: Runner, request: ModelRequest, *, confidential: bool = False,
             request_id: str = "") -> tuple[str, Usage]:
    """Run ``request`` to the end; return its text and usage (for steps not streamed to the
    user). After a restart only the final provider's text is kept."""
    parts: list[str] = []
    usage = Usage(0, 0)
    for event in runner.stream(request, confidential=confidential, request_id=request_id):
        if isinstance(event, Fallback):
            parts.clear()
        elif isinstance(event, Delta):
            parts.append(event.text)
        elif isinstance(event, Usage):
            usage = event
    return "".join(parts), usage


