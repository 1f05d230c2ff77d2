"""The error hierarchy and the one JSON error shape.

Every failure a caller can see is an :class:`AddinError` subclass: it carries the HTTP
status, a stable machine-readable ``code`` and a ``message`` that says what to do. The API
turns any of them into ``{"error": {"code", "message", "request_id"}}``; nothing else
decides status codes. This module is pure: no Flask, so documents/ and models/ raise these
freely.
"""

from __future__ import annotations

from typing import Any


class AddinError(Exception):
    """Base of every error shown to a caller."""

    status: int = 500
    code: str = "internal_error"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details

    def payload(self, request_id: str | None) -> dict[str, Any]:
        """The one error shape: ``{"error": {"code", "message", "request_id"}}``."""
        body: dict[str, Any] = {
            "code": self.code, "message": self.message, "request_id": request_id,
        }
        if self.details:
            body["details"] = self.details
        return {"error": body}


class BadRequest(AddinError):
    """400: the request itself is wrong (missing field, bad option value)."""

    status = 400
    code = "bad_request"


class Unauthorized(AddinError):
    """401: no sign-in, or a token that is not valid (expired, wrong tenant, bad signature)."""

    status = 401
    code = "unauthorized"


class Forbidden(AddinError):
    """403: signed in, but without the scope or role this call needs."""

    status = 403
    code = "forbidden"


class NotFound(AddinError):
    status = 404
    code = "not_found"


class MethodNotAllowed(AddinError):
    status = 405
    code = "method_not_allowed"


class PayloadTooLarge(AddinError):
    """413: the upload, or what it decompresses to, is over a configured limit."""

    status = 413
    code = "too_large"


class TooManyRequests(AddinError):
    """429: a limit set by the administrator is reached; ``retry_after_s`` says when it
    resets (sent as the Retry-After header)."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_s: int, code: str | None = None,
                 **details: Any) -> None:
        super().__init__(message, code=code, **details)
        self.retry_after_s = max(int(retry_after_s), 1)


class TooSlow(AddinError):
    """504: the request ran past its time limit (``ADDIN_REQUEST_TIMEOUT_S``)."""

    status = 504
    code = "too_slow"


class UnsupportedMediaType(AddinError):
    """415: a format we do not read (legacy .doc, PDF, an image...)."""

    status = 415
    code = "unsupported_type"


class UnreadableDocument(AddinError):
    """422: the right kind of file, but it cannot be read (encrypted, corrupt, hostile)."""

    status = 422
    code = "unreadable_document"


class ConfigError(Exception):
    """A setting is unknown or malformed. Raised at start-up, never at request time."""
