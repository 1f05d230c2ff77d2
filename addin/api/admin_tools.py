"""The admin's tools: test one provider, compare providers side by side, set usage limits.

* ``POST /api/v1/admin/providers/<id>/test``: a real, small call (a two-sentence summary,
  at most 64 output tokens) to that provider alone, even a disabled one; 200 with its latency
  and output, or with the vendor's error (``ok: false``).
* ``POST /api/v1/admin/compare``: a prompt (JSON ``{"providers", "prompt"}``) or a document
  (multipart ``file`` and ``providers``; .docx is summarized, .xlsx analyzed, or say
  ``feature``) run on 2 to 4 providers at once; each one's answer, latency, tokens and cost.
  A document marked confidential is only sent to in-house providers.
* ``GET``/``PUT /api/v1/admin/limits``: the per-user request rate and the per-feature monthly
  budgets (USD), with this month's spend. Changes are audited.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import PurePath
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from ..auth import current_principal, require_admin
from ..documents import read_document, read_workbook
from ..documents.plain import from_text
from ..errors import BadRequest
from ..features import analyze, compare, summarize
from ..limits import Limits, month_bounds
from ..models.base import ProviderEntry
from ..models.runner import Runner
from .admin import existing_provider, json_body, record_change
from .errors import request_id
from .features import document_limits, marked_confidential

bp = Blueprint("admin_tools", __name__, url_prefix="/api/v1/admin")

TEST_MAX_TOKENS = 64
_WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def _runner() -> Runner:
    runner: Runner = current_app.extensions["addin.runner"]
    return runner.for_user(current_principal().key)


def _limits_service() -> Limits:
    limits: Limits = current_app.extensions["addin.limits"]
    return limits


# --- test -------------------------------------------------------------------------------

@bp.post("/providers/<provider_id>/test")
@require_admin
def test_provider(provider_id: str) -> Response:
    """A small real call; always 200 for a known provider, ``ok`` saying how it went."""
    entry = existing_provider(provider_id)  # the built-in engine too: it is in the store
    options, _ = summarize.parse_options({"length": "short"})
    document = from_text(compare.TEST_TEXT)
    rid = request_id()

    def job(runner: Runner) -> Any:
        return summarize.run(document, options, runner, rid)

    [outcome] = compare.run_each(_runner(), [entry], job, [summarize.FEATURE],
                                 max_output_tokens=TEST_MAX_TOKENS)
    body: dict[str, Any] = {"id": entry.id, "model": entry.model, "ok": outcome.ok,
                            "latency_ms": outcome.latency_ms}
    if outcome.ok:
        body["output"] = outcome.answer[:300]
    else:
        body["error"] = outcome.error
    return jsonify(body)


# --- compare ----------------------------------------------------------------------------

def _providers(raw: Any) -> list[ProviderEntry]:
    """2 to 4 distinct known providers, from a list or comma-separated ids."""
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(p, str) for p in raw):
        raise BadRequest("providers must be a list of provider ids.", code="bad_input")
    ids = list(dict.fromkeys(p.strip() for item in raw for p in item.split(",") if p.strip()))
    if not 2 <= len(ids) <= compare.MAX_PROVIDERS:
        raise BadRequest(f"Choose 2 to {compare.MAX_PROVIDERS} different providers to compare "
                         f"({len(ids)} given).", code="bad_input")
    return [existing_provider(pid) for pid in ids]


def _prompt(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise BadRequest("Send a prompt (text) or a document (the multipart field 'file').",
                         code="no_input")
    if len(raw) > compare.MAX_PROMPT:
        raise BadRequest(f"The prompt is limited to {compare.MAX_PROMPT:,} characters.",
                         code="bad_input")
    return raw


def _document_job(rid: str) -> tuple[compare.Job, str]:
    """The job for the uploaded file: (job, its feature)."""
    upload = request.files["file"]
    data, filename = upload.read(), upload.filename or ""
    feature = request.form.get("feature") or (
        analyze.FEATURE if PurePath(filename).suffix.lower() in _WORKBOOK_SUFFIXES
        else summarize.FEATURE)
    if feature == summarize.FEATURE:
        options, confidential = summarize.parse_options({})
        document = read_document(data, filename, document_limits())
        confidential = confidential or marked_confidential(document)
        return (lambda runner: summarize.run(document, options, runner, rid,
                                             confidential=confidential)), feature
    if feature == analyze.FEATURE:
        question, confidential = analyze.parse_options(
            {"question": request.form["question"]} if request.form.get("question") else {})
        workbook = read_workbook(data, filename, document_limits())
        confidential = confidential or marked_confidential(workbook)
        return (lambda runner: analyze.run(workbook, question, runner, rid,
                                           confidential=confidential)), feature
    raise BadRequest(f"feature must be {summarize.FEATURE} or {analyze.FEATURE}.",
                     code="bad_option")


@bp.post("/compare")
@require_admin
def compare_providers() -> Response:
    """Run one prompt or document on 2 to 4 providers; their results side by side."""
    rid = request_id()
    if request.mimetype == "multipart/form-data":
        entries = _providers(request.form.getlist("providers"))
        if "file" in request.files:
            job, feature = _document_job(rid)
        else:
            job, feature = compare.prompt_job(_prompt(request.form.get("prompt")), rid), \
                compare.FEATURE
    else:
        body = json_body()
        entries = _providers(body.get("providers"))
        job, feature = compare.prompt_job(_prompt(body.get("prompt")), rid), compare.FEATURE
    outcomes = compare.run_each(_runner(), entries, job, [summarize.FEATURE, analyze.FEATURE])
    return jsonify(feature=feature, results=[asdict(o) for o in outcomes])


# --- limits -----------------------------------------------------------------------------

def _limits_state(limits: Limits) -> dict[str, Any]:
    start, _ = month_bounds(limits.now())
    return {**limits.settings().to_json(limits.features), "spent": limits.spent(),
            "month": f"{start:%Y-%m}"}


@bp.get("/limits")
@require_admin
def get_limits() -> Response:
    """The rate limit, the budgets and this month's spend per feature."""
    return jsonify(_limits_state(_limits_service()))


@bp.put("/limits")
@require_admin
def put_limits() -> Response:
    """Replace the limits: ``{"rate_limit": {"requests", "per_seconds"} | null,
    "budgets": {feature: dollars | null}}``."""
    limits = _limits_service()
    before, after = limits.update(json_body())
    if before != after:
        record_change("limits.update", "limits", before.to_json(limits.features),
               after.to_json(limits.features))
    return jsonify(_limits_state(limits))
