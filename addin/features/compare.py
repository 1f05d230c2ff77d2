"""Run the same job on several providers side by side, for the admin's Compare and Test.

Each provider gets a runner pinned to it (no fallback, no retry, circuits of its own), so the
figures are that provider's own: wall time, tokens and cost of the whole job, and its answer
or the failure with the vendor's detail. The jobs run in parallel threads, so comparing four
providers takes about as long as the slowest. Usage records are written as for any call, under
the feature ``compare``, so what comparing costs shows in the usage figures.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from ..errors import AddinError, ConfigError
from ..models.base import Delta, ModelRequest, ProviderEntry, Usage
from ..models.failures import ProviderFailure
from ..models.registry import build
from ..models.runner import Runner
from ..models.secrets import resolve
from ..models.usage import UsageRecord
from .events import Event

FEATURE = "compare"  # the feature a free prompt runs as, and the one its usage is filed under
MAX_PROVIDERS = 4
MAX_PROMPT = 20_000
TEST_TEXT = ("The quarterly report shows revenue grew eight percent while costs stayed flat.\n"
             "The board approved the budget for the new office and asked for a hiring plan.")

Job = Callable[[Runner], Iterator[Event]]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one provider did with the job."""

    provider: str
    model: str
    ok: bool
    answer: str
    latency_ms: float
    input_tokens: int
    output_tokens: int
    cost_usd: float
    error: dict[str, str] | None


def prompt_job(prompt: str, request_id: str, max_output_tokens: int | None = None) -> Job:
    """A job answering ``prompt`` as one user message."""

    def run(runner: Runner) -> Iterator[Event]:
        request = ModelRequest(feature=FEATURE, task=None, prompt=lambda: [("user", prompt)],
                               max_output_tokens=max_output_tokens)
        for event in runner.stream(request, request_id=request_id):
            if isinstance(event, Delta):
                yield Event("delta", {"text": event.text})
            elif isinstance(event, Usage):
                yield Event("usage", {"input_tokens": event.input_tokens,
                                      "output_tokens": event.output_tokens,
                                      "cost_usd": event.cost_usd})

    return run


def run_each(runner: Runner, entries: Sequence[ProviderEntry], job: Job,
             features: Iterable[str], *, max_output_tokens: int | None = None
             ) -> list[Outcome]:
    """Run ``job`` once per entry, in parallel; outcomes in the entries' order."""
    features = (*features, FEATURE)
    with ThreadPoolExecutor(max_workers=min(len(entries), MAX_PROVIDERS) or 1,
                            thread_name_prefix="compare") as pool:
        futures = [pool.submit(_one, runner, entry, job, features, max_output_tokens)
                   for entry in entries]
        return [future.result() for future in futures]


def _one(runner: Runner, entry: ProviderEntry, job: Job, features: tuple[str, ...],
         max_output_tokens: int | None) -> Outcome:
    try:
        build(entry)
    except ConfigError as exc:  # e.g. its key's variable is not set
        return Outcome(entry.id, entry.model, False, "", 0.0, 0, 0, 0.0,
                       {"code": "config", "message": str(exc)})
    failures: list[ProviderFailure] = []
    pinned = runner.pinned(entry, features, max_output_tokens=max_output_tokens,
                           record=_filed_as_compare(runner),
                           on_failure=lambda _id, failure: failures.append(failure))
    parts: list[str] = []
    usage: dict[str, Any] = {}
    error: dict[str, str] | None = None
    started = time.perf_counter()
    try:
        for event in job(pinned):
            if event.name == "delta":
                parts.append(event.data["text"])
            elif event.name == "usage":
                usage = event.data
    except AddinError as exc:
        error = _error(entry, exc, failures)
    latency = round((time.perf_counter() - started) * 1000, 1)
    return Outcome(
        provider=entry.id, model=entry.model, ok=error is None,
        answer="".join(parts) if error is None else "", latency_ms=latency,
        input_tokens=int(usage.get("input_tokens", 0)),
        output_tokens=int(usage.get("output_tokens", 0)),
        cost_usd=float(usage.get("cost_usd", 0.0)), error=error)


def _filed_as_compare(runner: Runner) -> Callable[[UsageRecord], None]:
    record = runner.recorder

    def filed(usage: UsageRecord) -> None:
        record(replace(usage, feature=FEATURE))

    return filed


def _error(entry: ProviderEntry, exc: AddinError,
           failures: list[ProviderFailure]) -> dict[str, str]:
    """The failure as the admin should see it: the vendor's own detail when there is one,
    with the provider's key blanked out should the vendor have echoed it."""
    if not failures:
        return {"code": exc.code, "message": exc.message}
    failure = failures[-1]
    detail = failure.detail or failure.reason.replace("_", " ")
    return {"code": failure.reason, "message": _redact(detail, entry)}


def _redact(text: str, entry: ProviderEntry) -> str:
    try:
        secret = resolve(entry.secret) if entry.secret else ""
    except ProviderFailure:  # an unset variable: nothing to hide
        secret = ""
    return text.replace(secret, "[secret]") if len(secret) >= 4 else text
