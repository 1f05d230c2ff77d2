"""``GET /api/v1/openapi.json``: the OpenAPI 3.1 description of the public API.

The document is built here, as data, from the same constants the routes check (option
values, limits, provider kinds, the admin role), so a changed limit changes the description
too. It covers the feature routes, feedback, the feature catalogue, the sign-in settings,
liveness and readiness, and the admin JSON API. A test compares its paths with the app's URL
map under ``/api/v1`` (both ways), and a schemathesis run checks the app's answers against it.
The route is public (see ``auth.PUBLIC_PATHS``): it holds nothing secret.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from ..auth import ADMIN_ROLE
from ..features import analyze, compare, summarize
from ..models import registry
from ..store import MAX_FEEDBACK_COMMENT, RATINGS
from .admin import MAX_AUDIT
from .admin_tools import TEST_MAX_TOKENS

bp = Blueprint("openapi", __name__)

Schema = dict[str, Any]
JSON = "application/json"
_STRING: Schema = {"type": "string"}
_BINARY: Schema = {"type": "string", "format": "binary"}
WORD_TYPES = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
               "application/vnd.ms-word.document.macroenabled.12", "application/octet-stream")
EXCEL_TYPES = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "application/vnd.ms-excel.sheet.macroenabled.12", "application/octet-stream")
_REQUEST_ID = r"^[A-Za-z0-9._-]{8,64}$"
_ERRORS = {
    400: ("BadRequest", "Bad input: a missing or malformed field, an unknown option."),
    401: ("Unauthorized", "No bearer token, or one that is not valid (entra mode)."),
    403: ("Forbidden", "Signed in without the scope or role this call needs."),
    404: ("NotFound", "The named item does not exist."),
    409: ("Conflict", "The change contradicts the current state."),
    413: ("PayloadTooLarge", "The upload, or what it expands to, is over a limit."),
    415: ("UnsupportedMediaType", "A request or file type the route does not read."),
    422: ("UnreadableDocument", "The right kind of file, but unreadable (encrypted, corrupt, "
                                "hostile) or with nothing to read."),
    429: ("TooManyRequests", "A rate limit or monthly budget is reached; see Retry-After."),
    502: ("BadGateway", "Every model that may serve the request failed."),
    503: ("ServiceUnavailable", "No model may serve the request now, or sign-in cannot be "
                               "checked (signing keys unreachable)."),
}
_AUTH = (401, 403, 503)  # 503: the signing keys are unreachable (entra mode)
_FEATURE_ERRORS = (400, 413, 415, 422, 429, 502)
_ADMIN_NOTE = f" Needs the `{ADMIN_ROLE}` app role (any caller in dev mode)."


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _null(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def _obj(properties: dict[str, Schema], required: tuple[str, ...] | None = None,
         extra: bool | Schema = True) -> Schema:
    """An object schema; every property required unless ``required`` says which."""
    return {"type": "object", "properties": properties,
            "required": list(properties if required is None else required),
            "additionalProperties": extra}


def _array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def _json(schema: Schema) -> dict[str, Schema]:
    return {JSON: {"schema": schema}}


def _ok(schema: Schema, description: str = "OK") -> Schema:
    return {"description": description, "content": _json(schema)}


def _operation(summary: str, responses: dict[str, Schema], *, errors: tuple[int, ...] = (),
               admin: bool = False, public: bool = False, **extra: Any) -> Schema:
    operation: Schema = {"summary": summary, **extra}
    if admin:
        operation["description"] = operation.get("description", summary + ".") + _ADMIN_NOTE
        operation["tags"] = ["admin"]
    if public:
        operation["security"] = []
    codes = sorted(set(errors) | (set() if public else set(_AUTH)))
    operation["responses"] = {**responses, **{str(code): {
        "$ref": f"#/components/responses/{_ERRORS[code][0]}"} for code in codes}}
    return operation


def _query(name: str, schema: Schema, description: str = "") -> Schema:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


def _path(name: str, description: str) -> Schema:
    return {"name": name, "in": "path", "required": True, "schema": _STRING,
            "description": description}


# --------------------------------------------------------------------------- schemas

def _option_schemas() -> dict[str, dict[str, Schema]]:
    """Each feature's options, as JSON Schema properties."""
    flag = {"type": "boolean", "description": summarize.OPTIONS["confidential"]}
    return {
        "summarize": {
            "length": {"enum": list(summarize.LENGTHS), "description": summarize.OPTIONS["length"]},
            "style": {"enum": list(summarize.STYLES), "description": summarize.OPTIONS["style"]},
            "focus": {"type": "string", "maxLength": summarize.MAX_FOCUS,
                      "description": summarize.OPTIONS["focus"]},
            "language": {"type": "string", "pattern": summarize._LANGUAGE.pattern,
                         "description": summarize.OPTIONS["language"]},
            "confidential": flag,
        },
        "analyze": {
            "question": {"type": "string", "maxLength": analyze.MAX_QUESTION,
                         "description": analyze.OPTIONS["question"]},
            "confidential": {**flag, "description": analyze.OPTIONS["confidential"]},
        },
    }


def _feature_schemas() -> dict[str, Schema]:
    options = _option_schemas()
    paragraph = _obj({"text": _STRING, "id": {"type": "string", "pattern": r"^p\d{1,7}$"},
                      "style": _STRING, "level": {"type": "integer"}}, required=())
    cell = {"type": ["number", "string", "boolean", "null"]}
    usage = _obj({"input_tokens": {"type": "integer"}, "output_tokens": {"type": "integer"},
                  "cost_usd": {"type": "number"}})
    fallback = _obj({"from": _STRING, "to": _STRING, "model": _STRING, "reason": _STRING,
                     "restarted": {"type": "boolean"}})
    common = {"request_id": _STRING, "provider": _STRING, "model": _STRING,
              "confidential": {"type": "boolean"}, "fallbacks": _array(_ref("Fallback")),
              "usage": _ref("Usage"), "notes": _array(_STRING)}
    return {
        "Usage": usage,
        "Fallback": fallback,
        "SummarizeJson": {
            **_obj({"text": {"type": "string", "description": "Plain text; one paragraph a "
                                                              "line, markdown # headings."},
                    "paragraphs": _array({"anyOf": [_STRING, paragraph]}),
                    **options["summarize"]}, required=(), extra=False),
            "oneOf": [{"required": ["text"]}, {"required": ["paragraphs"]}],
        },
        "SummarizeForm": _obj({"file": _BINARY, **options["summarize"]}, required=("file",),
                              extra=False),
        "SummarizeResult": _obj({
            **common, "feature": {"const": "summarize"}, "text": _STRING,
            "options": _obj({k: _STRING for k in ("length", "style", "focus", "language")}),
            "parts": {"type": "integer"},
            "citations": _array(_obj({"n": {"type": "integer"},
                                      "paragraph_ids": _array(_STRING), "preview": _STRING})),
        }, required=("request_id", "feature", "provider", "model", "text", "citations",
                     "fallbacks", "notes")),
        "AnalyzeJson": _obj({
            "sheets": {"type": "array", "minItems": 1, "items": _obj({
                "name": _null(_STRING),
                "address": {"type": "string", "description": "The range the values came "
                                                             "from: Sheet1!B3:F40 or B3:F40."},
                "values": _array(_array(cell)),
            }, required=("values",))},
            **options["analyze"]}, required=("sheets",), extra=False),
        "AnalyzeForm": _obj({"file": _BINARY, **options["analyze"]}, required=("file",),
                            extra=False),
        "AnalyzeResult": _obj({
            **common, "feature": {"const": "analyze"}, "question": _null(_STRING),
            "narrative": _STRING,
            "insights": _array(_obj({"n": {"type": "integer"}, "title": _STRING,
                                     "detail": _STRING, "range": _STRING, "kind": _STRING,
                                     "severity": _STRING})),
            "citations": _array(_obj({"n": {"type": "integer"}, "range": _STRING})),
        }, required=("request_id", "feature", "provider", "model", "narrative", "insights",
                     "citations", "fallbacks", "notes")),
        "FeedbackInput": _obj({
            "request_id": {"type": "string", "pattern": _REQUEST_ID},
            "rating": {"enum": list(RATINGS)},
            "comment": _null({"type": "string", "maxLength": MAX_FEEDBACK_COMMENT}),
        }, required=("request_id", "rating"), extra=False),
        "Feedback": _obj({"request_id": _STRING, "rating": {"enum": list(RATINGS)},
                          "comment": _null(_STRING), "provider": _null(_STRING),
                          "model": _null(_STRING)}),
        "Error": _obj({"error": _obj({"code": _STRING, "message": _STRING,
                                      "request_id": _STRING, "details": {"type": "object"}},
                                     required=("code", "message", "request_id"))}),
    }


def _admin_schemas() -> dict[str, Schema]:
    number, integer, flag = {"type": "number"}, {"type": "integer"}, {"type": "boolean"}
    provider_fields = {
        "kind": {"enum": sorted(registry.KINDS)}, "model": _STRING, "endpoint": _STRING,
        "secret": {"type": "string", "description": "A reference, env:NAME; never a key."},
        "in_house": flag, "region": _STRING, "price_in_per_mtok": number,
        "price_out_per_mtok": number, "context_window": integer, "timeout_s": number,
        "enabled": flag, "options": {"type": "object"},
    }
    assignment = {"primary": _STRING, "fallbacks": _array(_STRING),
                  "temperature": _null(number), "max_output_tokens": _null(integer),
                  "confidential": flag}
    features = [summarize.FEATURE, analyze.FEATURE]
    return {
        "Provider": _obj({"id": _STRING, **provider_fields}),
        "ProviderInput": _obj({"id": {"type": "string", "pattern": r"^[A-Za-z0-9_.-]{1,64}$"},
                               **provider_fields, "base_url": _STRING, "api_key": _STRING},
                              required=("id", "kind")),
        "ProviderChange": _obj({**provider_fields, "base_url": _STRING, "api_key": _STRING},
                               required=()),
        "AssignmentInput": _obj({"feature": _STRING, **assignment}, required=(), extra=False),
        "FeatureAssignment": _obj({"feature": _STRING, **assignment,
                                   "serving": _array(_STRING), "excluded": _array(_STRING),
                                   "problem": _STRING},
                                  required=("feature", *assignment, "serving", "excluded")),
        "Limits": _obj({
            "rate_limit": _null(_obj({"requests": integer, "per_seconds": integer})),
            "budgets": _obj({f: _null(number) for f in features}),
        }),
        "LimitsInput": _obj({
            "rate_limit": _null(_obj({
                "requests": {"type": "integer", "minimum": 1, "maximum": 100_000},
                "per_seconds": {"type": "integer", "minimum": 1, "maximum": 86_400},
            }, required=("requests",), extra=False)),
            "budgets": _obj({f: _null({"type": "number", "minimum": 0}) for f in features},
                            required=(), extra=False),
        }, required=(), extra=False),
        "Outcome": _obj({"provider": _STRING, "model": _STRING, "ok": flag, "answer": _STRING,
                         "latency_ms": number, "input_tokens": integer,
                         "output_tokens": integer, "cost_usd": number,
                         "error": _null({"type": "object"})}),
    }


def _report_schemas() -> dict[str, Schema]:
    """What the admin's reads answer: limits, usage, ratings, audit, health, tests, compare."""
    number, integer, flag = {"type": "number"}, {"type": "integer"}, {"type": "boolean"}
    counts = {name: integer for name in ("calls", "errors", "input_tokens", "output_tokens")}
    return {
        "LimitsState": {"allOf": [_ref("Limits"), _obj({
            "spent": {"type": "object", "additionalProperties": number},
            "month": {"type": "string", "pattern": r"^\d{4}-\d{2}$"}})]},
        "UsageTotal": _obj({"day": {"type": "string", "format": "date"}, "feature": _STRING,
                            "provider": _STRING, "model": _STRING, **counts,
                            "cost_usd": number}),
        "Ratings": _obj({"provider": _null(_STRING), "model": _null(_STRING), "up": integer,
                         "down": integer, "comments": integer}),
        "AuditEntry": _obj({"id": integer, "at": {"type": "string", "format": "date-time"},
                            "actor": _STRING, "actor_name": _STRING, "action": _STRING,
                            "target": _STRING, "before": _null({"type": "object"}),
                            "after": _null({"type": "object"})}),
        "ProviderHealth": _obj({
            "id": _STRING, "enabled": flag, "circuit": {"enum": ["closed", "open", "half_open"]},
            "consecutive_failures": integer, "last_error": _null(_STRING),
            "last_error_at": _null(_STRING), "calls": integer, "error_rate": _null(number),
            "p50_latency_ms": _null(number), "p95_latency_ms": _null(number)}),
        "ProviderTest": _obj({"id": _STRING, "model": _STRING, "ok": flag, "latency_ms": number,
                              "output": _STRING, "error": {"type": "object"}},
                             required=("id", "model", "ok", "latency_ms")),
        "ProviderRemoval": _obj({"id": _STRING, "deleted": flag, "disabled": flag,
                                 "used_by": _array(_STRING)}),
        "CompareJson": _obj({"providers": {"anyOf": [_array(_STRING), _STRING]},
                             "prompt": {"type": "string", "maxLength": compare.MAX_PROMPT}}),
        "CompareForm": _obj({"providers": _array(_STRING), "prompt": _STRING, "file": _BINARY,
                             "feature": {"enum": [summarize.FEATURE, analyze.FEATURE]},
                             "question": _STRING}, required=("providers",)),
    }


def _responses_components() -> dict[str, Schema]:
    components: dict[str, Schema] = {}
    for code, (name, description) in _ERRORS.items():
        response: Schema = {"description": description, "content": _json(_ref("Error"))}
        if code == 429:
            response["headers"] = {"Retry-After": {
                "description": "Seconds until the limit resets.",
                "schema": {"type": "integer"}}}
        components[name] = response
    return components


# --------------------------------------------------------------------------- paths

_STREAM_NOTE = ("Send `Accept: text/event-stream` for Server-Sent Events (meta, delta, "
                "citation, insight, fallback, usage, done, error); otherwise one JSON body "
                "with the same content. A stream that ends without `done` failed.")


def _feature_path(feature: str, result: str, json_body: str, form: str,
                  raw_types: tuple[str, ...], description: str) -> Schema:
    options = _option_schemas()[feature]
    body = {JSON: {"schema": _ref(json_body)}, "multipart/form-data": {"schema": _ref(form)},
            **{kind: {"schema": _BINARY} for kind in raw_types}}
    ok = {"description": "The answer.", "content": {
        JSON: {"schema": _ref(result)},
        "text/event-stream": {"schema": {"type": "string", "description": _STREAM_NOTE}}}}
    return {"post": _operation(
        description.split(".")[0], {"200": ok}, errors=_FEATURE_ERRORS,
        description=f"{description} Options come from the query string, form fields or JSON "
                    f"keys. {_STREAM_NOTE}",
        tags=["features"], operationId=feature,
        parameters=[_query(name, schema) for name, schema in options.items()],
        requestBody={"required": True, "content": body})}


def _public_paths() -> dict[str, Schema]:
    readiness = _obj({
        "status": {"enum": ["ready", "not ready"]}, "store": {"type": "boolean"},
        "features": {"type": "object", "additionalProperties": _obj(
            {"ready": {"type": "boolean"}, "providers": _array(_STRING)})},
        "circuits": {"type": "object", "additionalProperties": _obj(
            {"state": {"enum": ["closed", "open", "half_open"]}, "failures": {"type": "integer"},
             "last_error": _null(_STRING)})},
    })
    catalogue = _obj({"features": _array(_obj({
        "name": _STRING, "options": {"type": "object", "additionalProperties": _STRING},
        "provider": _null(_STRING), "model": _null(_STRING), "fallbacks": _array(_STRING)}))})
    sign_in = _obj({"mode": {"enum": ["dev", "entra"]}, "client_id": _STRING,
                    "authority": _STRING, "scopes": _array(_STRING)}, required=("mode",))
    return {
        "/api/v1/summarize": _feature_path(
            "summarize", "SummarizeResult", "SummarizeJson", "SummarizeForm", WORD_TYPES,
            "Summarize a Word document (.docx, .docm, .dotx, .dotm) sent as the multipart "
            "field `file` or as the raw body, or text sent as JSON {text} or {paragraphs}."),
        "/api/v1/analyze": _feature_path(
            "analyze", "AnalyzeResult", "AnalyzeJson", "AnalyzeForm", EXCEL_TYPES,
            "Analyze an Excel workbook (.xlsx, .xlsm, .xltx, .xltm) sent as the multipart "
            "field `file` or as the raw body, or cell values sent as JSON {sheets}."),
        "/api/v1/feedback": {"post": _operation(
            "Rate one answer by its request id", {
                "200": _ok(_ref("Feedback"), "The rating replaced an earlier one."),
                "201": _ok(_ref("Feedback"), "The rating was recorded.")},
            errors=(400, 404, 413, 415), tags=["features"],
            requestBody={"required": True, "content": _json(_ref("FeedbackInput"))})},
        "/api/v1/features": {"get": _operation(
            "The features, their options and the model serving each now", {
                "200": _ok(catalogue)}, tags=["meta"])},
        "/api/v1/auth/config": {"get": _operation(
            "How the task pane gets a token for this service", {"200": _ok(sign_in)},
            public=True, tags=["meta"])},
        "/api/v1/openapi.json": {"get": _operation(
            "This document", {"200": _ok({"type": "object"})}, public=True, tags=["meta"])},
        "/healthz": {"get": _operation("Liveness", {"200": _ok(
            _obj({"status": {"const": "ok"}}))}, public=True, tags=["meta"])},
        "/readyz": {"get": _operation(
            "Readiness: the store answers and every feature has a usable provider", {
                "200": _ok(readiness, "Ready."), "503": _ok(readiness, "Not ready.")},
            public=True, tags=["meta"])},
    }


def _admin_paths() -> dict[str, Schema]:
    provider_id = _path("provider_id", "A provider's id (`local` is the built-in engine).")
    feature = {**_path("feature", "A feature."),
               "schema": {"enum": [summarize.FEATURE, analyze.FEATURE]}}
    json_body = {"required": True, "content": _json({"type": "object"})}

    def admin(summary: str, responses: dict[str, Schema], *errors: int, **extra: Any) -> Schema:
        return _operation(summary, responses, errors=errors, admin=True, **extra)

    prefix = "/api/v1/admin"
    return {
        f"{prefix}/features": {"get": admin(
            "Each feature's assignment and the providers that would serve it now",
            {"200": _ok(_obj({"features": _array(_ref("FeatureAssignment"))}))})},
        f"{prefix}/features/{{feature}}": {"put": admin(
            "Change a feature's assignment (the fields given replace the current ones; null "
            "clears temperature or max_output_tokens)",
            {"200": _ok(_ref("FeatureAssignment"))}, 400, 404, 413, 415, parameters=[feature],
            requestBody={**json_body, "content": _json(_ref("AssignmentInput"))})},
        f"{prefix}/providers": {
            "get": admin("Every configured provider; secrets as references (env:NAME)",
                         {"200": _ok(_obj({"providers": _array(_ref("Provider"))}))}),
            "post": admin("Add a provider", {"201": _ok(_ref("Provider"), "Created.")},
                          400, 409, 413, 415,
                          requestBody={**json_body, "content": _json(_ref("ProviderInput"))}),
        },
        f"{prefix}/providers/{{provider_id}}": {
            "put": admin("Change a provider (options are merged)",
                         {"200": _ok(_ref("Provider"))}, 400, 404, 413, 415,
                         parameters=[provider_id],
                         requestBody={**json_body, "content": _json(_ref("ProviderChange"))}),
            "delete": admin("Remove a provider; one an assignment names is disabled instead",
                            {"200": _ok(_ref("ProviderRemoval"))}, 404, 409,
                            parameters=[provider_id]),
        },
        f"{prefix}/providers/{{provider_id}}/test": {"post": admin(
            f"Test a provider with one small real call (at most {TEST_MAX_TOKENS} output "
            "tokens)", {"200": _ok(_ref("ProviderTest"), "How the call went (`ok`).")}, 404,
            parameters=[provider_id])},
        f"{prefix}/health": {"get": admin(
            "Per provider: circuit, last error, latency and error rate over the last hour",
            {"200": _ok(_obj({"window_s": {"type": "integer"},
                              "providers": _array(_ref("ProviderHealth"))}))})},
        f"{prefix}/usage": {"get": admin(
            "Usage totals per day, feature, provider and model, and the users' ratings",
            {"200": _ok(_obj({"since": _null(_STRING), "feature": _null(_STRING),
                              "usage": _array(_ref("UsageTotal")),
                              "feedback": _array(_ref("Ratings"))}))},
            400, 404, parameters=[
                _query("since", {"type": "string", "format": "date"}, "YYYY-MM-DD"),
                _query("feature", {"enum": [summarize.FEATURE, analyze.FEATURE]})])},
        f"{prefix}/audit": {"get": admin(
            "The audit log, newest first",
            {"200": _ok(_obj({"entries": _array(_ref("AuditEntry"))}))},
            400, parameters=[_query("limit", {"type": "integer", "minimum": 1,
                                              "maximum": MAX_AUDIT}, "Default 100.")])},
        f"{prefix}/compare": {"post": admin(
            f"Run one prompt or document on 2 to {compare.MAX_PROVIDERS} providers side by "
            "side", {"200": _ok(_obj({"feature": _STRING,
                                      "results": _array(_ref("Outcome"))}))},
            400, 404, 413, 415, 422,
            requestBody={"required": True, "content": {
                **_json(_ref("CompareJson")),
                "multipart/form-data": {"schema": _ref("CompareForm")}}})},
        f"{prefix}/limits": {
            "get": admin("The rate limit, the budgets and this month's spend per feature",
                         {"200": _ok(_ref("LimitsState"))}),
            "put": admin("Replace the limits", {"200": _ok(_ref("LimitsState"))}, 400, 413, 415,
                         requestBody={**json_body, "content": _json(_ref("LimitsInput"))}),
        },
    }


def build_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document (a fresh dict each call)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Office add-in API",
            "version": "1",
            "description": "Summarize Word documents and analyze Excel workbooks with "
                           "swappable models. Every error has the shape "
                           "{\"error\": {\"code\", \"message\", \"request_id\", \"details\"?}}; "
                           "every response carries X-Request-Id.",
        },
        "tags": [{"name": "features"}, {"name": "meta"},
                 {"name": "admin", "description": "Admin JSON API." + _ADMIN_NOTE}],
        "security": [{"bearer": []}],
        "paths": {**_public_paths(), **_admin_paths()},
        "components": {
            "securitySchemes": {"bearer": {
                "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": "An Entra ID access token for the add-in's API (ADDIN_AUTH="
                               "entra). In dev mode no token is needed."}},
            "schemas": {**_feature_schemas(), **_admin_schemas(), **_report_schemas()},
            "responses": _responses_components(),
        },
    }


@bp.get("/api/v1/openapi.json")
def openapi_document() -> Response:
    """The OpenAPI description (public)."""
    return jsonify(build_document())
