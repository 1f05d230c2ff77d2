"""POST /api/v1/feedback: the task pane's thumbs up or down on one answer."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from ..errors import BadRequest, NotFound, UnsupportedMediaType
from ..store import MAX_FEEDBACK_COMMENT, RATINGS, Store

bp = Blueprint("feedback", __name__, url_prefix="/api/v1")

_HOW = "Send JSON {\"request_id\": ..., \"rating\": \"up\" or \"down\", \"comment\": ...}."
_KEYS = ("request_id", "rating", "comment")
# The ids the service hands out (and the incoming X-Request-Id it accepts): see api/errors.py.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


@bp.post("/feedback")
def feedback_view() -> tuple[Response, int]:
    if request.mimetype != "application/json":
        raise UnsupportedMediaType(f"Unsupported request type {request.mimetype or 'none'!r}. "
                                   + _HOW)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("The body is not a JSON object. " + _HOW, code="bad_json")
    request_id, rating, comment = _validated(body)
    store: Store = current_app.extensions["addin.store"]
    # the answer's usage records may still be queued for the background writer
    current_app.extensions["addin.recorder"].flush()
    answered_by = store.answered_by(request_id)
    if answered_by is None:
        raise NotFound(f"No answer has the request id {request_id!r}. Rate an answer with the "
                       "request_id of its meta or done event.", code="unknown_request")
    provider, model = answered_by
    replaced = store.record_feedback(request_id, rating, comment, provider, model)
    response = jsonify(request_id=request_id, rating=rating, comment=comment,
                       provider=provider, model=model)
    return response, 200 if replaced else 201


def _validated(body: dict[str, Any]) -> tuple[str, str, str | None]:
    unknown = sorted(set(body) - set(_KEYS))
    if unknown:
        raise BadRequest(f"Unknown field {unknown[0]!r}. " + _HOW, code="bad_input")
    request_id = body.get("request_id")
    if not isinstance(request_id, str) or not _REQUEST_ID.match(request_id):
        raise BadRequest("request_id must be the id of an answer (8 to 64 letters, digits, "
                         "'.', '_' or '-'). " + _HOW, code="bad_input")
    rating = body.get("rating")
    if rating not in RATINGS:
        raise BadRequest(f"rating must be one of {', '.join(RATINGS)}, not {rating!r}.",
                         code="bad_input")
    comment = body.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise BadRequest("comment must be text.", code="bad_input")
    comment = (comment or "").strip() or None
    if comment is not None and len(comment) > MAX_FEEDBACK_COMMENT:
        raise BadRequest(f"comment is limited to {MAX_FEEDBACK_COMMENT} characters; "
                         "shorten it.", code="comment_too_long")
    return request_id, rating, comment
