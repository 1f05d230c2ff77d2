"""What one model call cost and how it went: records and their totals, as plain data.

The runner builds a :class:`UsageRecord` per call (one per provider tried, so a failover
leaves a failed record then a successful one) without importing the store; the store writes
and reads them. A record holds counts, codes and identifiers only, never document text: the
free-form-looking fields are checked to be short codes so nothing else can slip in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

# "ok" or a failure reason such as "rate_limited" (see failures.Reason): a short code.
_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")
# Identifiers: request ids, feature and provider ids, model names (which may hold spaces):
# one short line, so a passage of a document cannot be passed off as one.
_IDENT = re.compile(r"[^\x00-\x1f\x7f]{0,200}")


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class UsageRecord:
    """One provider call. ``at`` is timezone-aware (UTC); ``id`` is set by the store on read."""

    request_id: str
    feature: str
    provider: str
    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    outcome: str = "ok"  # "ok" or a failure reason
    failover_reason: str | None = None  # why the previous provider was left, if one was
    prompt_version: int | None = None  # the prompt file's ``version``
    user_key: str | None = None  # who asked: the principal's tenant:object id
    at: datetime = field(default_factory=_now)
    id: int | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("UsageRecord.at must be timezone-aware (UTC)")
        for name in ("outcome", "failover_reason"):
            value = getattr(self, name)
            if value is not None and not _CODE.fullmatch(value):
                raise ValueError(f"UsageRecord.{name} must be a short code, not {value[:40]!r}")
        for name in ("request_id", "feature", "provider", "model", "user_key"):
            value = getattr(self, name)
            if value is not None and not _IDENT.fullmatch(value):
                raise ValueError(f"UsageRecord.{name} must be one short line, not {value[:40]!r}")
        if self.prompt_version is not None and not isinstance(self.prompt_version, int):
            raise ValueError("UsageRecord.prompt_version must be a number")
        if min(self.input_tokens, self.output_tokens, self.latency_ms) < 0 or self.cost_usd < 0:
            raise ValueError("UsageRecord counts and cost cannot be negative")

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


@dataclass(frozen=True, slots=True)
class UsageTotal:
    """Calls of one day (UTC) for one feature, provider and model, summed."""

    day: date
    feature: str
    provider: str
    model: str
    calls: int
    errors: int  # calls whose outcome is not "ok"
    input_tokens: int
    output_tokens: int
    cost_usd: float
