"""Security review as tests: every route refuses an anonymous call unless it is on the short
public list; the pane and everything else carry their Content-Security-Policy; no document
text reaches a log line, even when a run over the whole corpus goes through failures."""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

import pytest
from flask import Flask

from addin import create_app
from addin.documents import read_document, read_workbook
from addin.documents.package import Limits
from addin.errors import AddinError
from tests.fakes import Simulator, Step
from tests.helpers import corpus_files, inhouse_config, parse_sse

# Reachable without a token, on purpose: what Office and a browser fetch before sign-in.
PUBLIC = {
    ("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/manifest.xml"),
    ("GET", "/taskpane.html"), ("GET", "/taskpane/<path:filename>"),
    ("GET", "/assets/<name>"), ("GET", "/api/v1/auth/config"),
    ("GET", "/vendor/msal-browser.min.js"), ("GET", "/api/v1/openapi.json"),
    ("GET", "/admin/signin"), ("GET", "/admin/static/<path:filename>"),
}
_CONVERTERS = {"path": "x/y", "int": "1"}


def _url(rule: str) -> str:
    def value(match: re.Match[str]) -> str:
        converter = match.group(1) or ""
        return _CONVERTERS.get(converter.rstrip(":"), "x")

    return re.sub(r"<(?:(\w+):)?\w+>", value, rule)


def _routes(app: Flask) -> list[tuple[str, str]]:
    return sorted((method, rule.rule) for rule in app.url_map.iter_rules()
                  if rule.endpoint != "static"
                  for method in rule.methods or () if method not in ("HEAD", "OPTIONS"))


def test_every_route_but_the_public_ones_refuses_an_anonymous_call(entra_app: Flask) -> None:
    client = entra_app.test_client()
    routes = _routes(entra_app)
    assert {r for r in routes if r in PUBLIC} == PUBLIC, "a public route went missing"
    checked = 0
    for method, rule in routes:
        if (method, rule) in PUBLIC:
            continue
        response = client.open(_url(rule), method=method)
        location = response.headers.get("Location", "")
        assert response.status_code == 401 or (
            response.status_code == 302 and location.startswith("/admin/signin")), \
            f"{method} {rule} answered {response.status_code} to an anonymous caller"
        checked += 1
    assert checked >= 20  # the admin API, the console and the features are all walked


def test_a_bad_token_is_refused_on_every_protected_route(entra_app: Flask) -> None:
    client = entra_app.test_client()
    headers = {"Authorization": "Bearer not.a.token"}
    for method, rule in _routes(entra_app):
        if (method, rule) in PUBLIC or not rule.startswith("/api/"):
            continue
        response = client.open(_url(rule), method=method, headers=headers)
        assert response.status_code == 401, f"{method} {rule}: {response.status_code}"


def test_the_pane_may_run_only_our_code_and_offices_and_be_framed_only_by_office(
        client: Flask) -> None:
    policy = client.get("/taskpane.html").headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self' https://appsforoffice.microsoft.com"
    assert "'unsafe-eval'" not in policy and "unsafe-inline" not in directives["script-src"]
    ancestors = directives["frame-ancestors"].split()
    assert "https://*.officeapps.live.com" in ancestors and "*" not in ancestors
    assert directives["object-src"] == "'none'"


@pytest.mark.parametrize("path", ["/api/v1/features", "/healthz", "/manifest.xml",
                                  "/api/v1/nope"])
def test_other_responses_allow_nothing_and_no_framing(client: Flask, path: str) -> None:
    headers = client.get(path).headers
    assert headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"


def test_hsts_is_sent_over_https_only(client: Flask) -> None:
    assert "Strict-Transport-Security" not in client.get("/healthz").headers
    secure = client.get("/healthz", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def _sentences(texts: list[str]) -> set[str]:
    """Distinctive stretches of a document's text: 30 characters from its longer lines."""
    found = set()
    for text in texts:
        clean = " ".join(text.split())
        if len(clean) >= 40:
            found.add(clean[5:35])
    return found


def test_no_document_text_reaches_the_logs(simulator: Simulator, tmp_path: Path,
                                           caplog: pytest.LogCaptureFixture) -> None:
    documents = corpus_files("docx")[:15] + corpus_files("xlsx")[:10]
    if not documents:
        pytest.skip("the corpus is absent")
    app = create_app({"CONFIG": inhouse_config(simulator, tmp_path), "RETRY_BACKOFF_S": 0.01,
                      "MAX_RETRIES": 0, "LOG_LEVEL": "DEBUG"})
    client = app.test_client()
    secrets: set[str] = set()
    # every other Word call fails on the model and falls back, so error paths log too
    simulator.script(*[Step(kind="status", status=500) if i % 2 else Step()
                       for i in range(len(documents))])
    with caplog.at_level(logging.DEBUG):
        for path in documents:
            data = path.read_bytes()
            workbook = path.suffix == ".xlsx"
            try:
                if workbook:
                    book = read_workbook(data, path.name, Limits())
                    secrets |= _sentences([v for sheet in book.sheets
                                           for table in sheet.tables
                                           for column in table.columns
                                           for v in column.values if isinstance(v, str)])
                else:
                    secrets |= _sentences([p.text for p in read_document(
                        data, path.name, Limits()).paragraphs])
            except AddinError:
                pass
            endpoint = "/api/v1/analyze" if workbook else "/api/v1/summarize"
            client.post(endpoint, data={"file": (io.BytesIO(data), path.name)})
        app.extensions["addin.recorder"].flush()
    assert len(secrets) > 20, "too little text was read to make this test meaningful"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert logged.count("POST /api/v1/") >= len(documents)
    leaks = [s for s in secrets if s in logged]
    assert leaks == [], f"document text in the logs: {leaks[:3]}"


def test_a_request_past_its_time_limit_is_stopped(simulator: Simulator,
                                                  tmp_path: Path) -> None:
    app = create_app({"CONFIG": inhouse_config(simulator, tmp_path), "REQUEST_TIMEOUT_S": 0.5,
                      "STALL_TIMEOUT_S": 5})
    client = app.test_client()
    slow = Step(text=" ".join(["word"] * 40), tokens_per_second=20)
    simulator.script(slow, slow)
    body = {"text": "The city tested water at 120 sites. Lead levels fell in every district."}
    response = client.post("/api/v1/summarize", json=body)
    assert response.status_code == 504 and response.json["error"]["code"] == "too_slow"
    streamed = client.post("/api/v1/summarize", json=body,
                           headers={"Accept": "text/event-stream"})
    events = parse_sse(streamed.get_data(as_text=True))
    assert events[-1][0] == "error" and events[-1][1]["code"] == "too_slow"
    assert "done" not in [name for name, _ in events]
