"""What can go wrong when calling a model, in one vocabulary for every vendor.

Providers translate their SDK's exceptions (and what they see in a stream) into a
:class:`ProviderFailure` with one of the ``reason`` values below, at the boundary; the runner
decides from the reason alone whether to retry, fail over or give up. Nothing outside a
provider module looks at a vendor's own exception types.
"""

from __future__ import annotations

from typing import Literal

Reason = Literal[
    "rate_limited",    # 429
    "overloaded",      # 529 / 503 "overloaded"
    "server_error",    # other 5xx
    "timeout",         # no response in time
    "connection",      # could not connect, connection reset
    "auth",            # 401/403 from the vendor: our credentials are wrong (or missing)
    "bad_request",     # 400/404/422: the request itself is wrong; another vendor won't help
    "context_length",  # the prompt is larger than the model's window
    "stream_error",    # an error event inside a 200 stream
    "stream_cut",      # the stream ended without its finish marker
    "stall",           # no chunk for longer than the stall timeout
    "malformed",       # a chunk that does not parse
]

# Failures after which the next candidate may well succeed.
FAILOVER: frozenset[str] = frozenset({
    "rate_limited", "overloaded", "server_error", "timeout", "connection", "auth",
    "context_length", "stream_error", "stream_cut", "stall", "malformed",
})
# Failures worth retrying on the same provider (before any text has streamed).
RETRYABLE: frozenset[str] = frozenset({"rate_limited", "overloaded", "server_error"})


class ProviderFailure(Exception):
    """A model call failed. ``reason`` says how; ``retry_after`` is the vendor's hint, if any."""

    def __init__(self, reason: Reason, detail: str = "", *, status: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason: Reason = reason
        self.detail = detail
        self.status = status
        self.retry_after = retry_after

    @property
    def failover(self) -> bool:
        return self.reason in FAILOVER

    @property
    def retryable(self) -> bool:
        return self.reason in RETRYABLE
