"""The admin JSON API (``/api/v1/admin``): model assignments, providers, health, usage, audit.

Every route needs the ``Addin.Admin`` role (any caller in dev mode). Input is checked by the
same code that checks the TOML catalog (:func:`catalog.check_provider`,
:func:`catalog.check_assignment`), so the file and the API accept exactly the same entries.
Secrets are references (``env:NAME``): a value in clear is refused with a 400 that does not
repeat it, and responses and the audit log only ever show the reference. Every change is
written to the store (bumping its revision, so the selector serves the new configuration on
the next request) and to the audit log, with who made it and the entry before and after.

Each read and each change is a plain function (``feature_rows``, ``change_assignment``,
``add_provider``, ``change_provider``, ``remove_provider``, ``health_rows``, ``usage_report``,
``audit_rows``) called by these JSON routes and by the console's pages alike
(:mod:`addin.api.console`), so both check, store and audit in exactly the same way.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import asdict, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from ..auth import current_principal, require_admin
from ..errors import AddinError, BadRequest, ConfigError, NotFound, UnsupportedMediaType
from ..models import catalog
from ..models.base import Assignment, ProviderEntry
from ..models.runner import Runner
from ..models.selector import LOCAL
from ..store import Store

bp = Blueprint("admin", __name__, url_prefix="/api/v1/admin")

_ASSIGNMENT_FIELDS = ("primary", "fallbacks", "temperature", "max_output_tokens",
                      "confidential")
_OPTIONAL = ("temperature", "max_output_tokens")  # null: the provider's default
HEALTH_WINDOW = timedelta(hours=1)
MAX_AUDIT = 1000


class Conflict(AddinError):
    """409: the change contradicts the current state (an id taken, the built-in provider)."""

    status = 409
    code = "conflict"


def _store() -> Store:
    store: Store = current_app.extensions["addin.store"]
    return store


def _runner() -> Runner:
    runner: Runner = current_app.extensions["addin.runner"]
    return runner


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a 415/400 saying what to send."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType(f"Unsupported request type {request.mimetype or 'none'!r}. "
                                   "Send a JSON object.")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("The body is not a JSON object.", code="bad_json")
    return body


def record_change(action: str, target: str, before: dict[str, Any] | None,
           after: dict[str, Any] | None) -> None:
    principal = current_principal()
    _store().record_audit(principal.key, principal.name, action, target, before, after)


def provider_dict(entry: ProviderEntry) -> dict[str, Any]:
    """A provider as JSON: every field, the secret as its reference (never a value)."""
    return {**asdict(entry), "options": dict(entry.options)}


def assignment_dict(assignment: Assignment) -> dict[str, Any]:
    """An assignment as JSON (without the feature name, which is its key)."""
    return {name: (list(value) if isinstance(value, tuple) else value)
            for name, value in asdict(assignment).items() if name != "feature"}


# --- features ---------------------------------------------------------------------------

def _known_feature(feature: str) -> str:
    features = _runner().selector.features
    if feature not in features:
        raise NotFound(f"No feature {feature!r}; known features: {', '.join(features)}.",
                       code="unknown_feature")
    return feature


def _serving(feature: str) -> dict[str, Any]:
    """The providers that would serve ``feature`` now, and those left out."""
    try:
        found = _runner().selector.candidates(feature)
    except AddinError as exc:
        return {"serving": [], "excluded": [], "problem": exc.message}
    return {"serving": [p.entry.id for p in found.providers], "excluded": list(found.excluded)}


def feature_rows() -> list[dict[str, Any]]:
    """Each feature's assignment and the providers that would serve it now."""
    assigned = _store().assignments()
    items = []
    for feature in _runner().selector.features:
        assignment = assigned.get(feature) or Assignment(feature=feature)
        items.append({"feature": feature, **assignment_dict(assignment), **_serving(feature)})
    return items


def change_assignment(feature: str, body: dict[str, Any]) -> dict[str, Any]:
    """Check, store and audit a change of ``feature``'s assignment: the fields given replace
    the current ones (null clears temperature or max_output_tokens). Returns the new state
    with who serves it; NotFound or BadRequest (with the reason) otherwise."""
    _known_feature(feature)
    body = dict(body)
    store = _store()
    before = store.assignments().get(feature) or Assignment(feature=feature)
    if body.get("feature", feature) != feature:
        raise BadRequest("The feature in the body differs from the one in the path.",
                         code="bad_input")
    body.pop("feature", None)
    fields = {**assignment_dict(before), **body}
    fields = {k: v for k, v in fields.items() if not (k in _OPTIONAL and v is None)}
    providers = {entry.id: entry for entry in store.providers()}
    providers.setdefault(LOCAL.id, LOCAL)
    fallbacks = fields.get("fallbacks") or []  # not a list: check_assignment says so (400)
    chain = [fields.get("primary"), *(fallbacks if isinstance(fallbacks, list) else [])]
    unknown = [p for p in chain if isinstance(p, str) and p not in providers]
    if unknown:
        raise BadRequest(f"Unknown provider{'s' if len(unknown) > 1 else ''}: "
                         f"{', '.join(unknown)}. Known providers: {', '.join(sorted(providers))}.",
                         code="unknown_provider", unknown=unknown)
    try:
        after = catalog.check_assignment(feature, fields, providers)
    except ConfigError as exc:
        raise BadRequest(str(exc), code="bad_input") from None
    if after != before:
        store.set_assignment(after)
        record_change("assignment.update", feature, assignment_dict(before), assignment_dict(after))
    return {"feature": feature, **assignment_dict(after), **_serving(feature)}


@bp.get("/features")
@require_admin
def list_features() -> Response:
    """Each feature's assignment and the providers that would serve it now."""
    return jsonify(features=feature_rows())


@bp.put("/features/<feature>")
@require_admin
def update_feature(feature: str) -> Response:
    """Change an assignment (see :func:`change_assignment`)."""
    _known_feature(feature)
    return jsonify(change_assignment(feature, json_body()))


# --- providers --------------------------------------------------------------------------

def _checked_provider(provider_id: str, fields: dict[str, Any]) -> ProviderEntry:
    """The entry for ``fields`` (options may be nested under "options"), checked as the
    catalog checks it; 400 with the reason (never a secret's value) otherwise."""
    options = fields.pop("options", None) or {}
    if not isinstance(options, dict):
        raise BadRequest("options must be a JSON object.", code="bad_input")
    fields.pop("id", None)
    try:
        return catalog.check_provider(provider_id, {**options, **fields})
    except ConfigError as exc:
        raise BadRequest(str(exc), code="bad_input") from None


def existing_provider(provider_id: str) -> ProviderEntry:
    entry = _store().provider(provider_id)
    if entry is None:
        raise NotFound(f"No provider {provider_id!r}. See GET /api/v1/admin/providers.",
                       code="unknown_provider")
    return entry


def _save(entry: ProviderEntry) -> None:
    try:
        _store().upsert_provider(entry)
    except ValueError as exc:  # the store's own refusal of a secret value
        raise BadRequest(str(exc), code="bad_input") from None


def add_provider(body: dict[str, Any]) -> ProviderEntry:
    """Check, store and audit a new provider ``{"id", "kind", "model", ...}``; BadRequest
    with the reason, or Conflict if the id is taken."""
    provider_id = body.get("id")
    if not isinstance(provider_id, str) or not provider_id:
        raise BadRequest("id must be the new provider's id (a string).", code="bad_input")
    entry = _checked_provider(provider_id, dict(body))
    if _store().provider(provider_id) is not None or provider_id == LOCAL.id:
        raise Conflict(f"A provider {provider_id!r} exists already; change it with "
                       f"PUT /api/v1/admin/providers/{provider_id}.", code="provider_exists")
    _save(entry)
    record_change("provider.create", provider_id, None, provider_dict(entry))
    return entry


def change_provider(provider_id: str, body: dict[str, Any]) -> ProviderEntry:
    """Check, store and audit a change of a provider: the fields given replace the current
    ones (options are merged). NotFound or BadRequest with the reason otherwise."""
    before = existing_provider(provider_id)
    if body.get("id", provider_id) != provider_id:
        raise BadRequest("A provider's id cannot change; create a new one instead.",
                         code="bad_input")
    fields = {**provider_dict(before)}
    new_options = body.get("options") or {}
    if not isinstance(new_options, dict):
        raise BadRequest("options must be a JSON object.", code="bad_input")
    options = {**fields.pop("options"), **new_options}
    given = {k: v for k, v in body.items() if k != "options"}
    for key in given:  # "api_key" replaces "secret", "base_url" replaces "endpoint"
        fields.pop(catalog.ALIASES.get(key, key), None)
    after = _checked_provider(provider_id, {**fields, **given, "options": options})
    if after != before:
        _save(after)
        record_change("provider.update", provider_id, provider_dict(before), provider_dict(after))
    return after


def remove_provider(provider_id: str) -> dict[str, Any]:
    """Remove a provider; one that an assignment names is disabled instead (and stays
    listed), so no feature is left pointing at nothing. ``local`` cannot be removed.
    Returns ``{"id", "deleted", "disabled", "used_by"}``."""
    before = existing_provider(provider_id)
    if provider_id == LOCAL.id:
        raise Conflict("The built-in provider 'local' cannot be deleted; it is the last "
                       "resort of every feature.", code="builtin_provider")
    used_by = sorted(feature for feature, a in _store().assignments().items()
                     if provider_id in a.chain)
    if used_by:
        after = replace(before, enabled=False)
        if after != before:
            _save(after)
            record_change("provider.disable", provider_id, provider_dict(before),
                          provider_dict(after))
        return {"id": provider_id, "deleted": False, "disabled": True, "used_by": used_by}
    _store().delete_provider(provider_id)
    record_change("provider.delete", provider_id, provider_dict(before), None)
    return {"id": provider_id, "deleted": True, "disabled": False, "used_by": []}


@bp.get("/providers")
@require_admin
def list_providers() -> Response:
    """Every configured provider; secrets as their references, e.g. ``env:NAME``."""
    return jsonify(providers=[provider_dict(entry) for entry in _store().providers()])


@bp.post("/providers")
@require_admin
def create_provider() -> tuple[Response, int]:
    """Add a provider (see :func:`add_provider`); 201 with it."""
    return jsonify(provider_dict(add_provider(json_body()))), 201


@bp.put("/providers/<provider_id>")
@require_admin
def update_provider(provider_id: str) -> Response:
    """Change a provider (see :func:`change_provider`)."""
    existing_provider(provider_id)
    return jsonify(provider_dict(change_provider(provider_id, json_body())))


@bp.delete("/providers/<provider_id>")
@require_admin
def delete_provider(provider_id: str) -> Response:
    """Remove or disable a provider (see :func:`remove_provider`)."""
    return jsonify(remove_provider(provider_id))


# --- health, usage, audit ---------------------------------------------------------------

def _percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(math.ceil(share * len(ordered)) - 1, 0)], 1)


def health_rows() -> list[dict[str, Any]]:
    """Per provider: circuit state, last error, and latency and error rate over the last
    hour (from the usage records)."""
    current_app.extensions["addin.recorder"].flush()
    since = datetime.now(UTC) - HEALTH_WINDOW
    calls: dict[str, list[Any]] = defaultdict(list)
    for record in _store().usage(since=since):
        calls[record.provider].append(record)
    breakers = _runner().breakers
    items = []
    for entry in _store().providers():
        records = calls.get(entry.id, [])
        failed = [r for r in records if r.outcome != "ok"]
        circuit = breakers.snapshot(entry.id)
        latencies = [float(r.latency_ms) for r in records]
        items.append({
            "id": entry.id, "enabled": entry.enabled, "circuit": circuit["state"],
            "consecutive_failures": circuit["failures"],
            "last_error": circuit["last_error"] or (failed[-1].outcome if failed else None),
            "last_error_at": failed[-1].at.isoformat() if failed else None,
            "calls": len(records),
            "error_rate": round(len(failed) / len(records), 4) if records else None,
            "p50_latency_ms": _percentile(latencies, 0.50),
            "p95_latency_ms": _percentile(latencies, 0.95),
        })
    return items


def usage_report(raw_since: str | None, feature: str | None) -> dict[str, Any]:
    """Usage totals per day, feature, provider and model from ``raw_since`` (YYYY-MM-DD) for
    ``feature`` (None: all), and the users' ratings per provider and model."""
    since = None
    if raw_since:
        try:
            since = datetime.combine(date.fromisoformat(raw_since), datetime.min.time(), UTC)
        except ValueError:
            raise BadRequest("since must be a date, YYYY-MM-DD.", code="bad_input") from None
    if feature is not None:
        _known_feature(feature)
    current_app.extensions["addin.recorder"].flush()
    totals = [{**asdict(t), "day": t.day.isoformat()}
              for t in _store().usage_totals(since, feature)]
    ratings = [asdict(f) for f in _store().feedback_summary(since)]
    return {"since": raw_since or None, "feature": feature, "usage": totals,
            "feedback": ratings}


def audit_rows(limit: int = 100) -> list[dict[str, Any]]:
    """The audit log, newest first, times as ISO 8601."""
    return [{**asdict(e), "at": e.at.isoformat()} for e in _store().audit(limit)]


@bp.get("/health")
@require_admin
def health() -> Response:
    """Per provider: circuit, last error, latency and error rate (see :func:`health_rows`)."""
    return jsonify(window_s=int(HEALTH_WINDOW.total_seconds()), providers=health_rows())


@bp.get("/usage")
@require_admin
def usage() -> Response:
    """Usage totals per day, feature, provider and model (``?since=YYYY-MM-DD&feature=``),
    and the users' ratings per provider and model."""
    return jsonify(usage_report(request.args.get("since"),
                                request.args.get("feature") or None))


@bp.get("/audit")
@require_admin
def audit() -> Response:
    """The audit log, newest first (``?limit=``, default 100)."""
    raw = request.args.get("limit", "100")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_AUDIT:
        raise BadRequest(f"limit must be a whole number from 1 to {MAX_AUDIT}.",
                         code="bad_input")
    return jsonify(entries=audit_rows(int(raw)))
