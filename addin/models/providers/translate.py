"""Every SDK exception, whichever vendor raised it, becomes one :class:`ProviderFailure`.

The partner packages do not agree on a transport (openai and anthropic ship on ``httpx2``,
mistral and ollama on ``httpx``, MSAL on ``requests``) nor on an exception tree, and LangChain
wraps some of them again. So this module never imports any of them: it walks the exception
and its causes and reads what they all expose, by duck typing: an HTTP status
(``status_code`` or ``response.status_code``), the response headers (for ``Retry-After``), the
message, and the class names along each MRO (``ReadTimeout``, ``ConnectError``,
``JSONDecodeError``...).
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Iterator, Mapping
from typing import Any

from ..failures import ProviderFailure, Reason

log = logging.getLogger("addin.models")

_TIMEOUTS = frozenset({"TimeoutException", "APITimeoutError", "ModelTimeoutError",
                       "TimeoutError", "Timeout"})
_CONNECTION = frozenset({"ConnectError", "NetworkError", "TransportError", "ProtocolError",
                         "RemoteProtocolError", "ReadError", "APIConnectionError",
                         "ModelConnectionError", "ConnectionError", "ChunkedEncodingError"})
_MALFORMED = frozenset({"JSONDecodeError", "APIResponseValidationError", "ValidationError",
                        "SSEError"})
_CONTEXT_WORDS = ("context_length", "context length", "context window", "prompt is too long",
                  "maximum context", "too many tokens", "input is too long",
                  "contextoverflow", "context_window")
_NO_CHUNKS = "No generation chunks were returned"


def translate(exc: BaseException, *, started: bool) -> ProviderFailure:
    """The failure ``exc`` stands for. ``started``: chunks had arrived before it was raised
    (a timeout is then a ``stall``, a broken connection a ``stream_cut``)."""
    if isinstance(exc, ProviderFailure):
        return exc
    chain = list(_chain(exc))
    names = {cls.__name__ for error in chain for cls in type(error).__mro__}
    detail = _detail(chain)
    status = _status(chain)
    if status is not None and status >= 400:
        return _from_status(status, detail, _headers(chain), names)
    if status is not None or "ResponseError" in names:  # an error event in a 200 stream
        return ProviderFailure("stream_error", detail, status=status)
    reason: Reason
    if names & _TIMEOUTS:
        reason = "stall" if started else "timeout"
    elif names & _MALFORMED:
        reason = "malformed"
    elif names & _CONNECTION:
        reason = "stream_cut" if started else "connection"
    elif "APIError" in names or "ModelError" in names:  # SDK error without a status: in-stream
        reason = "stream_error"
    elif isinstance(exc, ValueError) and _NO_CHUNKS in str(exc):  # 200 with an empty body
        reason = "stream_cut"
    else:
        log.warning("unclassified provider error, reported as malformed", exc_info=exc)
        reason = "malformed"
    return ProviderFailure(reason, detail)


def _from_status(status: int, detail: str, headers: Mapping[str, str] | None,
                 names: set[str]) -> ProviderFailure:
    """HTTP status (and, for 4xx, the wording) → reason; Retry-After kept for the runner."""
    text = detail.lower()
    reason: Reason
    if status in (401, 403):
        reason = "auth"
    elif status == 429:
        reason = "rate_limited"
    elif status == 529 or "OverloadedError" in names or (status == 503 and "overload" in text):
        reason = "overloaded"
    elif status == 408:
        reason = "timeout"
    elif status >= 500:
        reason = "server_error"
    elif "ContextOverflowError" in names or any(word in text for word in _CONTEXT_WORDS):
        reason = "context_length"
    else:
        reason = "bad_request"
    return ProviderFailure(reason, detail, status=status, retry_after=retry_after(headers))


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or an HTTP date) or ``retry-after-ms``."""
    if not headers:
        return None
    value = headers.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())
    millis = headers.get("retry-after-ms")
    try:
        return max(0.0, float(millis) / 1000) if millis else None
    except ValueError:
        return None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc``, then its causes and contexts (``raise ... from None`` still keeps a context)."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        error = todo.pop(0)
        if id(error) in seen:
            continue
        seen.add(id(error))
        yield error
        todo.extend(e for e in (error.__cause__, error.__context__) if e is not None)


def _status(chain: list[BaseException]) -> int | None:
    """The first HTTP status along the chain (ollama's in-stream errors carry -1)."""
    for error in chain:
        code = getattr(error, "status_code", None)
        if isinstance(code, int) and not isinstance(code, bool):
            return None if code < 0 else code
        code = getattr(_response(error), "status_code", None)
        if isinstance(code, int):
            return code
    return None


def _headers(chain: list[BaseException]) -> Mapping[str, str] | None:
    for error in chain:
        headers = getattr(_response(error), "headers", None)
        if headers is not None:
            return headers  # type: ignore[no-any-return]
    return None


def _response(error: BaseException) -> Any:
    try:
        return getattr(error, "response", None)
    except RuntimeError:  # httpx raises when a request/response was never attached
        return None


def _detail(chain: list[BaseException]) -> str:
    """One line for logs and the admin: the outermost message, plus a vendor body if any."""
    parts = [f"{type(error).__name__}: {error}" for error in chain[:2] if str(error)]
    body = getattr(chain[0], "body", None)
    if body and str(body) not in " ".join(parts):
        parts.append(str(body))
    return " | ".join(parts)[:500] or type(chain[0]).__name__
