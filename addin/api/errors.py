"""Request ids and the one JSON error shape, for every error from every route."""

from __future__ import annotations

import re
import uuid

from flask import Flask, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from ..errors import AddinError, MethodNotAllowed, NotFound, PayloadTooLarge, TooManyRequests
from ..logs import log_unexpected

_INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def request_id() -> str:
    return str(getattr(g, "request_id", "")) or "-"


def error_response(error: AddinError) -> Response:
    response = jsonify(error.payload(request_id()))
    response.status_code = error.status
    if isinstance(error, TooManyRequests):
        response.headers["Retry-After"] = str(error.retry_after_s)
    return response


def _from_http(exc: HTTPException) -> AddinError:
    if exc.code == 404:
        return NotFound(f"No such endpoint: {request.path}. See GET /api/v1/features.")
    if exc.code == 405:
        return MethodNotAllowed(f"{request.method} is not allowed on {request.path}.")
    if exc.code == 413:
        limit = current_app.config["ADDIN"]["MAX_UPLOAD_MB"]
        return PayloadTooLarge(
            f"The upload is larger than the {limit:g} MB limit. Send a smaller file "
            "or ask an administrator to raise ADDIN_MAX_UPLOAD_MB.",
            code="upload_too_large",
        )
    code = (exc.name or "error").lower().replace(" ", "_")
    error = AddinError(exc.description or exc.name, code=code)
    error.status = exc.code or 500
    return error


def init_app(app: Flask) -> None:
    @app.before_request
    def _assign_request_id() -> None:
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming if _INCOMING_ID.match(incoming) else uuid.uuid4().hex

    @app.after_request
    def _echo_request_id(response: Response) -> Response:
        response.headers["X-Request-Id"] = request_id()
        return response

    @app.errorhandler(AddinError)
    def _addin_error(exc: AddinError) -> Response:
        return error_response(exc)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        return error_response(_from_http(exc))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log_unexpected(exc, request_id())
        return error_response(AddinError(
            "Something went wrong on our side. Try again; if it keeps failing, report the "
            "request id to your administrator.",
        ))
