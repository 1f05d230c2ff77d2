"""The admin console: server-rendered pages under ``/admin`` over the admin API's functions.

Pages: features (assignments), providers (add, edit, disable or delete, test), health,
usage (with an SVG chart), compare, limits and the audit log; plus sign-in. Every read and
change goes through the same functions as the JSON API (:mod:`addin.api.admin`), so the
checks, the store and the audit log are the same. Forms post back here with the session's
CSRF token (checked in :mod:`addin.auth` before any view runs); a refused change shows its
message next to the form, with the values entered. The pages' own JS (``/admin/static/``)
only enhances them, and calls the JSON API (with ``X-CSRF-Token``) where a page needs it.

Every console response carries a strict Content-Security-Policy (no inline script or
style), ``nosniff``, ``no-referrer`` and ``no-store``. Secrets are only ever references; a
value typed in clear is refused and never rendered back.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as BaseResponse

from .. import sessions
from ..auth import current_principal, require_admin, start_session
from ..errors import AddinError, BadRequest, NotFound, Unauthorized
from ..models import registry
from ..models.secrets import is_secret_key, is_secret_reference
from ..models.selector import LOCAL
from . import admin, svgchart
from .errors import error_response

bp = Blueprint("console", __name__, url_prefix="/admin")

STATIC = Path(__file__).resolve().parents[1] / "static" / "admin"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
NAV = (("features", "Features"), ("providers", "Providers"), ("health", "Health"),
       ("usage", "Usage"), ("compare", "Compare"), ("limits", "Limits"), ("audit", "Audit"))
_TYPES = {".js": "text/javascript", ".css": "text/css"}  # charset added by werkzeug
_TEXT_FIELDS = ("kind", "model", "endpoint", "secret", "region")
_NUMBER_FIELDS = {"price_in_per_mtok": (float, 0.0), "price_out_per_mtok": (float, 0.0),
                  "context_window": (int, 0), "timeout_s": (float, 60.0)}
_HIDDEN = "(hidden)"


# --- around every page ------------------------------------------------------------------

@bp.after_request
def _security_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def _dev() -> bool:
    return bool(current_app.config["ADDIN"]["AUTH"] == "dev")


@bp.context_processor
def _common() -> dict[str, Any]:
    return {"dev": _dev(), "csrf_token": sessions.csrf_token(), "nav": NAV,
            "user": sessions.user_name(), "csrf_field": sessions.CSRF_FIELD}


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


@bp.errorhandler(AddinError)
def _error_page(exc: AddinError) -> BaseResponse | tuple[str, int]:
    """Errors as a page (JSON for the console's own fetch calls, which ask for it)."""
    if _wants_json():
        return error_response(exc)
    signin = sessions.signin_url(request.path) if isinstance(exc, Unauthorized) else None
    return render_template("admin/error.html", title="Not possible", error=exc,
                           signin=signin), exc.status


def _page(template: str, page: str, title: str, status: int = 200,
          **context: Any) -> tuple[str, int]:
    return render_template(f"admin/{template}", page=page, title=title, **context), status


@bp.get("/static/<path:filename>")
def static_file(filename: str) -> Response:
    """The console's JS and CSS (public, like the sign-in page that needs them)."""
    return send_from_directory(STATIC, filename, max_age=0,
                               mimetype=_TYPES.get(Path(filename).suffix.lower()))


# --- sign-in ----------------------------------------------------------------------------

@bp.get("/signin")
def signin() -> tuple[str, int]:
    """The sign-in page: its JS signs in with MSAL.js and posts the token to /admin/session."""
    return _page("signin.html", "signin", "Sign in",
                 next=sessions.safe_next(request.args.get("next")))


@bp.post("/session")
@require_admin
def start() -> Response:
    """Turn an admin's bearer token into a console session (cookie); JSON for the JS."""
    if not _dev() and not request.headers.get("Authorization"):
        raise Unauthorized("Sign in with your work account: send the access token as "
                           "'Authorization: Bearer <token>'.")
    if _dev():
        sessions.csrf_token()
    else:
        start_session(current_principal())
    body = request.get_json(silent=True)
    wanted = body.get("next") if isinstance(body, dict) else None
    return jsonify(name=current_principal().name,
                   next=sessions.safe_next(wanted if isinstance(wanted, str) else None))


@bp.post("/signout")
def signout() -> BaseResponse:
    """End the console session (the CSRF check already ran: no forced sign-out)."""
    sessions.end()
    return redirect(url_for(".features") if _dev() else url_for(".signin"), 303)


# --- features ---------------------------------------------------------------------------

def _provider_ids() -> list[str]:
    ids = [entry.id for entry in admin._store().providers()]
    return ids if LOCAL.id in ids else [LOCAL.id, *ids]


def _number(raw: str, kind: type) -> Any:
    """A form field as a number for the shared checks: None when empty; the text itself
    when it is no (finite) number, so the check names the field and what it must be."""
    raw = raw.strip()
    if not raw:
        return None
    for parse in ((int, float) if kind is int else (float,)):
        try:
            value = parse(raw)
        except ValueError:
            continue
        return value if math.isfinite(value) else raw
    return raw


def _ids(raw: str) -> list[str]:
    return [part for part in re.split(r"[\s,]+", raw) if part]


def _assignment_body(form: MultiDict[str, str]) -> dict[str, Any]:
    return {"primary": form.get("primary", "").strip(),
            "fallbacks": _ids(form.get("fallbacks", "")),
            "temperature": _number(form.get("temperature", ""), float),
            "max_output_tokens": _number(form.get("max_output_tokens", ""), int),
            "confidential": form.get("confidential") == "on"}


def _features_page(status: int = 200, errors: Mapping[str, str] | None = None,
                   entered: Mapping[str, Mapping[str, Any]] | None = None) -> tuple[str, int]:
    return _page("features.html", "features", "Features", status,
                 features=admin.feature_rows(), providers=_provider_ids(),
                 errors=errors or {}, entered=entered or {})


@bp.get("")
@require_admin
def features() -> tuple[str, int]:
    """Each feature's model, fallbacks and parameters, and who would serve it now."""
    return _features_page()


@bp.post("/features/<feature>")
@require_admin
def save_feature(feature: str) -> BaseResponse | tuple[str, int]:
    """Save one feature's form through the API's own change (checked and audited)."""
    admin._known_feature(feature)
    try:
        admin.change_assignment(feature, _assignment_body(request.form))
    except BadRequest as exc:
        entered: dict[str, Any] = {name: request.form.get(name, "") for name in
                                   ("primary", "fallbacks", "temperature", "max_output_tokens")}
        entered["confidential"] = request.form.get("confidential") == "on"
        return _features_page(400, {feature: exc.message}, {feature: entered})
    flash(f"Saved the {feature} settings.")
    return redirect(url_for(".features") + f"#{feature}", 303)


# --- providers --------------------------------------------------------------------------

def _provider_body(form: MultiDict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {name: form.get(name, "").strip() for name in _TEXT_FIELDS}
    for name, (kind, default) in _NUMBER_FIELDS.items():
        value = _number(form.get(name, ""), kind)
        body[name] = default if value is None else value
    body["in_house"] = form.get("in_house") == "on"
    body["enabled"] = form.get("enabled") == "on"
    raw = form.get("options", "").strip()
    try:
        options = json.loads(raw) if raw else {}
    except ValueError:
        options = None
    if not isinstance(options, dict):
        raise BadRequest('Options must be a JSON object, e.g. {"api_version": "2024-10-21"}, '
                         "or empty.", code="bad_input")
    body["options"] = options
    return body


def _shown(key: str, value: Any) -> Any:
    """A value fit to show: a secret field holding anything but a reference is hidden."""
    if is_secret_key(key) and not (isinstance(value, str) and is_secret_reference(value)):
        return _HIDDEN
    return value


def _options_text(options: Mapping[str, Any]) -> str:
    return json.dumps({k: _shown(k, v) for k, v in options.items()}) if options else ""


def _entered_provider(form: MultiDict[str, str]) -> dict[str, Any]:
    """The form's values to show again after a refusal, without a secret typed in clear."""
    values: dict[str, Any] = {name: form.get(name, "") for name in
                              ("id", *_TEXT_FIELDS, *_NUMBER_FIELDS)}
    if not is_secret_reference(values["secret"].strip()):
        values["secret"] = ""
    values["in_house"] = form.get("in_house") == "on"
    values["enabled"] = form.get("enabled") == "on"
    raw = form.get("options", "")
    try:
        parsed = json.loads(raw) if raw.strip() else {}
        values["options"] = _options_text(parsed) if isinstance(parsed, dict) else raw
    except ValueError:
        values["options"] = raw
    return values


def _provider_values(entry: Any) -> dict[str, Any]:
    values = admin.provider_dict(entry)
    values["secret"] = _shown("secret", values["secret"])
    values["options"] = _options_text(values["options"])
    return values


@bp.get("/providers")
@require_admin
def providers() -> tuple[str, int]:
    """Every provider, with Edit, Test and Delete."""
    rows = [_provider_values(entry) for entry in admin._store().providers()]
    return _page("providers.html", "providers", "Providers", rows=rows)


def _provider_form(title: str, values: Mapping[str, Any], creating: bool, status: int = 200,
                   error: str | None = None) -> tuple[str, int]:
    return _page("provider_form.html", "providers", title, status, values=values,
                 creating=creating, kinds=sorted(registry.KINDS), error=error)


@bp.route("/providers/new", methods=["GET", "POST"])
@require_admin
def new_provider() -> BaseResponse | tuple[str, int]:
    """A form for a new provider; saved through the API's own create (checked, audited)."""
    if request.method == "GET":
        return _provider_form("New provider", {"enabled": True, "timeout_s": 60}, True)
    try:
        body = _provider_body(request.form)
        entry = admin.add_provider({**body, "id": request.form.get("id", "").strip()})
    except (BadRequest, admin.Conflict) as exc:
        return _provider_form("New provider", _entered_provider(request.form), True, 400,
                              exc.message)
    flash(f"Added the provider {entry.id}.")
    return redirect(url_for(".providers"), 303)


@bp.route("/providers/<provider_id>/edit", methods=["GET", "POST"])
@require_admin
def edit_provider(provider_id: str) -> BaseResponse | tuple[str, int]:
    """A provider's form; saved through the API's own change (checked, audited)."""
    entry = admin.existing_provider(provider_id)
    title = f"Provider {provider_id}"
    if request.method == "GET":
        return _provider_form(title, _provider_values(entry), False)
    try:
        admin.change_provider(provider_id, _provider_body(request.form))
    except BadRequest as exc:
        values = {**_entered_provider(request.form), "id": provider_id}
        return _provider_form(title, values, False, 400, exc.message)
    flash(f"Saved the provider {provider_id}.")
    return redirect(url_for(".providers"), 303)


@bp.post("/providers/<provider_id>/delete")
@require_admin
def delete_provider(provider_id: str) -> BaseResponse:
    """Delete a provider, or disable it when a feature uses it (the API's own rule)."""
    try:
        outcome = admin.remove_provider(provider_id)
    except admin.Conflict as exc:
        flash(exc.message, "error")
    else:
        if outcome["deleted"]:
            flash(f"Deleted the provider {provider_id}.")
        else:
            flash(f"{provider_id} is used by {', '.join(outcome['used_by'])}, so it was "
                  "disabled instead of deleted.")
    return redirect(url_for(".providers"), 303)


# --- health, usage, compare, limits, audit ----------------------------------------------

@bp.get("/health")
@require_admin
def health() -> tuple[str, int]:
    """Circuit, last error, latency and error rate per provider over the last hour."""
    return _page("health.html", "health", "Health", rows=admin.health_rows(),
                 window_min=int(admin.HEALTH_WINDOW.total_seconds() // 60))


def _cost_chart(rows: list[dict[str, Any]]) -> Markup:
    """Cost per day, stacked by provider, as inline SVG (every name escaped there)."""
    days = sorted({row["day"] for row in rows})
    cost: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in rows:
        cost[row["provider"]][row["day"]] += row["cost_usd"]
    series = {name: [cost[name][day] for day in days] for name in sorted(cost)}
    return Markup(svgchart.stacked_bars(days, series, label="Cost per day by provider"))


@bp.get("/usage")
@require_admin
def usage() -> tuple[str, int]:
    """Usage and cost by day, feature, provider and model; ratings per model."""
    since, feature = request.args.get("since", ""), request.args.get("feature", "")
    try:
        report = admin.usage_report(since or None, feature or None)
        error, status = None, 200
    except (BadRequest, NotFound) as exc:
        report = {"usage": [], "feedback": []}
        error, status = exc.message, 400
    rows = report["usage"]
    totals = {key: sum(row[key] for row in rows) for key in
              ("calls", "errors", "input_tokens", "output_tokens", "cost_usd")}
    return _page("usage.html", "usage", "Usage", status, rows=rows, totals=totals,
                 feedback=report["feedback"], chart=_cost_chart(rows) if rows else None,
                 since=since, feature=feature, features=admin._runner().selector.features,
                 error=error, money=svgchart.money)


@bp.get("/compare")
@require_admin
def compare() -> tuple[str, int]:
    """Pick 2 to 4 providers and a prompt or document; the page's JS runs the comparison."""
    enabled = [e.id for e in admin._store().providers() if e.enabled]
    return _page("compare.html", "compare", "Compare",
                 providers=enabled if LOCAL.id in enabled else [LOCAL.id, *enabled],
                 features=admin._runner().selector.features)


@bp.get("/limits")
@require_admin
def limits() -> tuple[str, int]:
    """Rate limit and monthly budgets; the page's JS reads and saves them via the API."""
    return _page("limits.html", "limits", "Limits",
                 features=admin._runner().selector.features)


def _flat(state: Mapping[str, Any] | None) -> dict[str, Any]:
    """An audited entry as ``{field: value}``, nested mappings as ``field.key``."""
    flat: dict[str, Any] = {}
    for key, value in (state or {}).items():
        if isinstance(value, Mapping):
            flat.update({f"{key}.{k}": v for k, v in _flat(value).items()})
        else:
            flat[key] = value
    return flat


def _compact(key: str, value: Any) -> str:
    shown = _shown(key.rsplit(".", 1)[-1], value)
    return shown if shown == _HIDDEN else json.dumps(shown, ensure_ascii=False)


def changes(before: Mapping[str, Any] | None,
            after: Mapping[str, Any] | None) -> list[tuple[str, str | None, str | None]]:
    """The fields that differ, as ``(field, before, after)`` in compact JSON (None: absent);
    a secret field holding anything but a reference shows as "(hidden)"."""
    old, new = _flat(before), _flat(after)
    return [(key, _compact(key, old[key]) if key in old else None,
             _compact(key, new[key]) if key in new else None)
            for key in sorted(old.keys() | new.keys()) if old.get(key) != new.get(key)
            or (key in old) != (key in new)]


@bp.get("/audit")
@require_admin
def audit() -> tuple[str, int]:
    """Who changed what and when, newest first, each change as its changed fields."""
    raw = request.args.get("limit", "100")
    limit = int(raw) if raw.isdigit() and 1 <= int(raw) <= admin.MAX_AUDIT else 100
    entries = [{**entry, "changes": changes(entry["before"], entry["after"])}
               for entry in admin.audit_rows(limit)]
    return _page("audit.html", "audit", "Audit log", entries=entries, limit=limit)
