"""Logging: one access line per request, and never a word of any document.

Lines carry the request id, method, path, status, duration and body size. Unexpected errors
are logged with their type and the code locations of the traceback, but not the exception's
message or local values, which could quote document text.
"""

from __future__ import annotations

import logging
import time
import traceback

from flask import Flask, Response, g, request

access_log = logging.getLogger("addin.access")
error_log = logging.getLogger("addin.errors")


def init_app(app: Flask, level: str) -> None:
    logger = logging.getLogger("addin")
    logger.setLevel(level)
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        logger.addHandler(handler)

    @app.before_request
    def _start_clock() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _log_when_closed(response: Response) -> Response:
        method, path = request.method, request.path
        size = request.content_length or 0
        request_id = getattr(g, "request_id", "-")
        started = getattr(g, "started", time.perf_counter())

        def log() -> None:
            elapsed = (time.perf_counter() - started) * 1000
            access_log.info("%s %s %s %d %.1fms in=%dB", request_id, method, path,
                            response.status_code, elapsed, size)

        if response.is_streamed:
            response.call_on_close(log)  # a stream's status and time are known at its end
        else:
            log()
        return response


def log_unexpected(exc: BaseException, request_id: str) -> None:
    """Log an unexpected exception by type and code location only (no message, no values)."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}:{f.name}"
                        for f in reversed(frames[-6:]))
    error_log.error("%s unexpected %s at %s", request_id, type(exc).__name__, where)
