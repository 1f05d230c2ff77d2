"""The OpenAPI description against the running app: every route is described (and nothing
else), and a short schemathesis run finds no 5xx, no response off its schema and no
undocumented status or content type.

The app runs in dev auth mode with the offline engine, in process (WSGI). Each operation gets
a fresh app and database (the ``app`` fixture), so the admin routes that change state (limits,
assignments, providers) cannot make another operation's outcome depend on the order. Compare
and provider tests are left out: they call models. ``FUZZ_EXAMPLES`` (``make fuzz``) raises
the examples per operation and draws a new seed each run.
"""

from __future__ import annotations

import os
import re

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, reject, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from addin.api.openapi import EXCEL_TYPES, WORD_TYPES, build_document

LONG = bool(os.environ.get("FUZZ_EXAMPLES"))  # make fuzz: a new seed on every run
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "0")) or 25
SEED = 20240601
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
# They call models (a real call per provider), so they are not fuzzed.
EXCLUDED = r"^/api/v1/admin/(compare|providers/\{provider_id\}/test)$"
_PLACEHOLDER = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")


def _config() -> SchemathesisConfig:
    fixed = {} if LONG else {"seed": SEED}
    return SchemathesisConfig.from_dict({
        **fixed,
        "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
        "generation": {"max-examples": EXAMPLES, "deterministic": not LONG, "database": "none"},
        "phases": {"stateful": {"enabled": False}},
    })


# Raw Word and Excel bodies are bytes, like application/octet-stream.
for _media_type in (*WORD_TYPES, *EXCEL_TYPES):
    if _media_type != "application/octet-stream":
        schemathesis.serializer.alias(_media_type, "application/octet-stream")

# Loaded from the builder (pure), so collection needs no app; the test below checks that the
# app serves exactly this document.
schema = schemathesis.openapi.from_dict(build_document(), config=_config()).exclude(
    path_regex=EXCLUDED)


@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # one app per operation
def test_api_answers_as_described(case: schemathesis.Case, app: Flask) -> None:
    try:
        case.call_and_validate(checks=CHECKS, app=app)
    except ValueError as exc:  # a "?" in a path value that Werkzeug's test client won't send
        if "Query string is defined in the path" not in str(exc):
            raise
        reject()


def _flask_paths(app: Flask) -> set[tuple[str, str]]:
    return {(_PLACEHOLDER.sub(r"{\1}", rule.rule), method.lower())
            for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")
            for method in rule.methods or () if method not in ("HEAD", "OPTIONS")}


def test_every_api_route_is_described_and_nothing_else(app: Flask) -> None:
    document = build_document()
    described = {(path, method) for path, item in document["paths"].items()
                 for method in item if path.startswith("/api/v1/")}
    routes = _flask_paths(app)
    assert routes - described == set(), "routes missing from addin/api/openapi.py"
    assert described - routes == set(), "described operations the app does not have"


def test_routes_outside_the_api_prefix_exist(app: Flask) -> None:
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    others = [path for path in build_document()["paths"] if not path.startswith("/api/v1/")]
    assert others == ["/healthz", "/readyz"]
    assert set(others) <= rules


def test_the_document_is_served_without_sign_in(entra_app: Flask) -> None:
    response = entra_app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json == build_document()
    assert response.json["openapi"].startswith("3.1")

