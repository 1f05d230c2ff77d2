"""Feature endpoints: read the input, validate options, hand over to the feature, answer."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from ..auth import current_principal
from ..documents import Limits, read_document, read_workbook, workbook_from_values
from ..documents.model import Document
from ..documents.plain import from_paragraphs, from_text
from ..documents.workbook import Workbook
from ..errors import BadRequest, UnsupportedMediaType
from ..features import analyze, summarize
from ..features.events import Event
from ..models.runner import Runner
from .errors import request_id
from .streaming import gather, stream_response, wants_stream, within

bp = Blueprint("features", __name__, url_prefix="/api/v1")

_RAW_TYPES = {
    "application/octet-stream",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-word.document.macroenabled.12",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-excel.sheet.macroenabled.12",
}
_HOW = ("Send a .docx as the multipart field 'file', the file's bytes as the body, "
        "or JSON {\"text\": ...} or {\"paragraphs\": [...]}.")
_HOW_WORKBOOK = ("Send an .xlsx or .xlsm as the multipart field 'file', the file's bytes as "
                 "the body, or JSON {\"sheets\": [{\"name\", \"address\", \"values\"}]}.")
_DOCUMENT_KEYS = ("text", "paragraphs", "sheets")


def document_limits() -> Limits:
    settings = current_app.config["ADDIN"]
    return Limits(max_decompressed_bytes=int(settings["MAX_DECOMPRESSED_MB"] * 1024 * 1024))


def _json_document(body: Mapping[str, Any]) -> Document:
    has_text, has_paragraphs = "text" in body, "paragraphs" in body
    if has_text == has_paragraphs:
        raise BadRequest("Send exactly one of 'text' or 'paragraphs'. " + _HOW, code="no_input")
    if has_text:
        if not isinstance(body["text"], str):
            raise BadRequest("'text' must be a string.", code="bad_input")
        return from_text(body["text"])
    if not isinstance(body["paragraphs"], list):
        raise BadRequest("'paragraphs' must be a list of strings or objects.", code="bad_input")
    return from_paragraphs(body["paragraphs"])


def read_input(how: str) -> tuple[dict[str, Any] | None, bytes | None, str | None,
                                  dict[str, Any]]:
    """Split the request into its content (a JSON body, or file bytes and name) and its
    options (form fields, JSON keys and the query string)."""
    options: dict[str, Any] = dict(request.args.items())
    mimetype = request.mimetype
    if mimetype == "multipart/form-data":
        uploads = request.files.getlist("file")
        if len(uploads) != 1:
            raise BadRequest("Upload exactly one file in the field 'file'. " + how,
                             code="no_input")
        options.update(request.form.items())
        return None, uploads[0].read(), uploads[0].filename, options
    if mimetype == "application/json":
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise BadRequest("The body is not a JSON object. " + how, code="bad_json")
        options.update({k: v for k, v in body.items() if k not in _DOCUMENT_KEYS})
        return body, None, None, options
    if mimetype in _RAW_TYPES:
        return None, request.get_data(), None, options
    raise UnsupportedMediaType(f"Unsupported request type {mimetype or 'none'!r}. " + how)


def marked_confidential(content: Document | Workbook) -> bool:
    """Whether the file's own sensitivity label or property keeps it on in-house models."""
    return bool(current_app.extensions["addin.policy"].is_confidential(content))


def _runner_for(feature: str) -> Runner:
    """The runner for this caller, once the admin's limits allow the request (429 if not)."""
    user = current_principal().key
    current_app.extensions["addin.limits"].check(user, feature)
    runner: Runner = current_app.extensions["addin.runner"]
    return runner.for_user(user)


def _respond(events: Iterator[Event]) -> Response:
    events = within(events, current_app.config["ADDIN"]["REQUEST_TIMEOUT_S"])
    if wants_stream():
        return stream_response(events, request_id())
    return jsonify(gather(events))


@bp.post("/summarize")
def summarize_view() -> Response:
    runner = _runner_for("summarize")
    body, data, filename, raw_options = read_input(_HOW)
    options, confidential = summarize.parse_options(raw_options)
    if body is not None:
        document = _json_document(body)
    else:
        document = read_document(data or b"", filename, document_limits())
    confidential = confidential or marked_confidential(document)
    return _respond(summarize.run(document, options, runner,
                                  request_id(), confidential=confidential))


@bp.post("/analyze")
def analyze_view() -> Response:
    runner = _runner_for("analyze")
    body, data, filename, raw_options = read_input(_HOW_WORKBOOK)
    question, confidential = analyze.parse_options(raw_options)
    workbook: Workbook
    if body is not None:
        if "sheets" not in body:
            raise BadRequest("Send the cells as {\"sheets\": [...]}. " + _HOW_WORKBOOK,
                             code="no_input")
        workbook = workbook_from_values(body["sheets"])
    else:
        workbook = read_workbook(data or b"", filename, document_limits())
    confidential = confidential or marked_confidential(workbook)
    return _respond(analyze.run(workbook, question, runner,
                                request_id(), confidential=confidential))
