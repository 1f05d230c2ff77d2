"""The admin console: its pages, the sign-in session, CSRF, secrets never shown, the SVG
chart and the security headers."""

from __future__ import annotations

import html
import logging
import re
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from addin import sessions
from addin.api import svgchart
from addin.api.console import CSP, changes
from addin.models.base import ProviderEntry
from addin.models.usage import UsageRecord
from tests.entra import BODY, TENANT, token
from tests.fakes import Simulator

A = "/api/v1/admin"
PAGES = ["/admin", "/admin/providers", "/admin/providers/new", "/admin/providers/local/edit",
         "/admin/health", "/admin/usage", "/admin/compare", "/admin/limits", "/admin/audit",
         "/admin/signin"]
BANNER = "Development sign-in: everyone is an admin. Not for production."
COMPAT = {"kind": "openai_compatible", "model": "llama-test", "in_house": True,
          "endpoint": "http://127.0.0.1:9/v1"}
ADMIN = {"Authorization": f"Bearer {token(roles=['Addin.Admin'])}"}
_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def csrf(client: FlaskClient, path: str = "/admin", **kwargs: Any) -> str:
    """The CSRF token of the client's console session (a page view begins one in dev)."""
    page = client.get(path, **kwargs)
    assert page.status_code == 200, page.status_code
    found = _CSRF.search(page.get_data(as_text=True))
    assert found
    return html.unescape(found.group(1))


def session_of(app: Flask, client: FlaskClient) -> dict[str, Any]:
    """What the client's console cookie holds (its signature checked)."""
    cookie = client.get_cookie(sessions.COOKIE)
    if cookie is None:
        return {}
    data: dict[str, Any] = app.session_interface.get_signing_serializer(app).loads(
        cookie.value)
    return data


def text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def assignment(app: Flask, feature: str = "summarize") -> Any:
    return app.extensions["addin.store"].assignments()[feature]


def audit(app: Flask) -> list[Any]:
    return app.extensions["addin.store"].audit()


def feature_form(token_: str | None, **fields: str) -> dict[str, str]:
    form = {"primary": "local", "fallbacks": "", "temperature": "", "max_output_tokens": "",
            **fields}
    if token_ is not None:
        form["csrf_token"] = token_
    return form


def provider_form(token_: str, **fields: str) -> dict[str, str]:
    return {"csrf_token": token_, "kind": "openai_compatible", "model": "llama-test",
            "endpoint": "http://127.0.0.1:9/v1", "secret": "", "region": "",
            "price_in_per_mtok": "", "price_out_per_mtok": "", "context_window": "",
            "timeout_s": "", "options": "", "in_house": "on", "enabled": "on", **fields}


class TestPages:
    @pytest.mark.parametrize("path", PAGES)
    def test_every_page_renders_with_the_banner_and_strict_headers(
            self, client: FlaskClient, path: str) -> None:
        response = client.get(path)
        assert response.status_code == 200 and response.mimetype == "text/html"
        body = text(response)
        assert BANNER in body
        assert response.headers["Content-Security-Policy"] == CSP
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "no-store"
        assert re.search(r"<script(?![^>]*\bsrc=)", body) is None  # no inline script
        assert " style=" not in body and "<style" not in body  # no inline style

    def test_static_files_have_their_types(self, client: FlaskClient) -> None:
        script = client.get("/admin/static/console.js")
        assert script.status_code == 200 and script.mimetype == "text/javascript"
        assert client.get("/admin/static/console.css").mimetype == "text/css"
        assert client.get("/admin/static/nope.js").status_code == 404

    def test_features_show_the_assignment_and_who_serves_it(self, client: FlaskClient) -> None:
        for provider_id in ("inhouse", "spare"):
            client.post(f"{A}/providers", json={"id": provider_id, **COMPAT})
        client.put(f"{A}/features/summarize", json={
            "primary": "inhouse", "fallbacks": ["spare", "local"], "temperature": 0.2})
        client.put(f"{A}/providers/spare", json={"enabled": False})
        body = text(client.get("/admin"))
        assert "Would be served now by:" in body and "inhouse → local" in body
        assert re.search(r"Left out[^<]*: spare", body)
        assert '<option value="inhouse" selected>' in body
        assert 'value="spare, local"' in body and 'value="0.2"' in body

    def test_providers_are_listed_with_their_secret_reference(self,
                                                              client: FlaskClient) -> None:
        client.post(f"{A}/providers", json={"id": "llama", **COMPAT, "api_key": "env:LLAMA_KEY"})
        body = text(client.get("/admin/providers"))
        assert 'id="provider-llama"' in body and "env:LLAMA_KEY" in body
        assert 'data-provider="llama"' in body  # its Test button
        edit = text(client.get("/admin/providers/llama/edit"))
        assert 'value="env:LLAMA_KEY"' in edit and 'value="llama-test"' in edit
        assert client.get("/admin/providers/ghost/edit").status_code == 404

    def test_health_usage_and_ratings(self, client: FlaskClient) -> None:
        answer = client.post("/api/v1/summarize", json=BODY).json
        client.post("/api/v1/feedback", json={"request_id": answer["request_id"],
                                              "rating": "down"})
        health = text(client.get("/admin/health"))
        row = re.search(r'<th scope="row">local</th>(.*?)</tr>', health, re.S)
        assert row and "closed" in row.group(1) and "0.0 %" in row.group(1)
        usage = text(client.get("/admin/usage?since=2000-01-01&feature=summarize"))
        assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"' in usage
        assert re.search(r"<td>summarize</td><td>local</td><td>extractive-v1</td>", usage)
        assert re.search(r"<td>local</td><td>extractive-v1</td><td[^>]*>0</td>"
                         r"<td[^>]*>1</td>", usage)  # one "not helpful"
        assert "No usage in this period." in text(client.get("/admin/usage?feature=analyze"))

    @pytest.mark.parametrize(("query", "words"), [
        ("since=yesterday", "since must be a date"), ("feature=translate", "No feature"),
    ])
    def test_a_bad_usage_filter_says_why(self, client: FlaskClient, query: str,
                                         words: str) -> None:
        response = client.get(f"/admin/usage?{query}")
        assert response.status_code == 400 and words in text(response)

    def test_the_audit_log_shows_the_changed_fields(self, client: FlaskClient) -> None:
        client.put(f"{A}/features/summarize", json={"temperature": 0.3})
        body = text(client.get("/admin/audit"))
        assert "assignment.update" in body and "Local developer" in body
        assert "<code>temperature</code>: <del>null</del> → <ins>0.3</ins>" in body
        assert "<code>primary</code>" not in body  # unchanged fields are left out


class TestForms:
    def test_a_feature_form_saves_and_audits(self, app: Flask, client: FlaskClient) -> None:
        client.post(f"{A}/providers", json={"id": "inhouse", **COMPAT})
        response = client.post("/admin/features/summarize", data=feature_form(
            csrf(client), primary="inhouse", fallbacks="local", temperature="0.5",
            max_output_tokens="400", confidential="on"))
        assert response.status_code == 303 and response.location.endswith("/admin#summarize")
        saved = assignment(app)
        assert (saved.primary, saved.fallbacks, saved.temperature, saved.max_output_tokens,
                saved.confidential) == ("inhouse", ("local",), 0.5, 400, True)
        entry = audit(app)[0]
        assert (entry.action, entry.target, entry.actor) == (
            "assignment.update", "summarize", "dev:dev-user")
        assert "Saved the summarize settings." in text(client.get("/admin"))

    @pytest.mark.parametrize(("fields", "words"), [
        ({"temperature": "3"}, "at most 2"),
        ({"temperature": "warm"}, "temperature"),
        ({"max_output_tokens": "1.5"}, "whole number"),
        ({"primary": "nope", "fallbacks": "gone, local"}, "nope, gone"),
    ])
    def test_a_refused_form_says_why_and_keeps_the_values(
            self, app: Flask, client: FlaskClient, fields: dict[str, str], words: str) -> None:
        before = app.extensions["addin.store"].assignments()
        response = client.post("/admin/features/summarize",
                               data=feature_form(csrf(client), **fields))
        assert response.status_code == 400
        body = text(response)
        assert words in re.search(r'id="error-summarize">([^<]*)<', body).group(1)
        for value in fields.values():
            assert f'value="{value}"' in body or f'<option value="{value}" selected>' in body
        assert app.extensions["addin.store"].assignments() == before and audit(app) == []

    @pytest.mark.parametrize("given", [None, "wrong-token"])
    def test_a_form_without_the_right_csrf_token_changes_nothing(
            self, app: Flask, client: FlaskClient, given: str | None) -> None:
        csrf(client)  # the session exists: only the token is missing or wrong
        response = client.post("/admin/features/summarize",
                               data=feature_form(given, temperature="0.5"))
        assert response.status_code == 403 and "CSRF" in text(response)
        assert assignment(app).temperature is None and audit(app) == []

    def test_the_console_cookie_on_the_json_api_needs_the_csrf_header(
            self, app: Flask, client: FlaskClient) -> None:
        token_ = csrf(client)
        refused = client.put(f"{A}/features/summarize", json={"temperature": 0.4})
        assert refused.status_code == 403 and refused.json["error"]["code"] == "csrf_failed"
        assert audit(app) == []
        done = client.put(f"{A}/features/summarize", json={"temperature": 0.4},
                          headers={"X-CSRF-Token": token_})
        assert done.status_code == 200 and assignment(app).temperature == 0.4

    def test_providers_are_added_edited_and_deleted(self, app: Flask,
                                                    client: FlaskClient) -> None:
        token_ = csrf(client)
        added = client.post("/admin/providers/new", data=provider_form(
            token_, id="llama", secret="env:LLAMA_KEY", price_in_per_mtok="0.5",
            context_window="8192"))
        assert added.status_code == 303, text(added)
        store = app.extensions["addin.store"]
        entry = store.provider("llama")
        assert (entry.secret, entry.price_in_per_mtok, entry.context_window) == (
            "env:LLAMA_KEY", 0.5, 8192) if entry else False
        edited = client.post("/admin/providers/llama/edit", data=provider_form(
            token_, model="llama-2", secret="env:LLAMA_KEY"))
        assert edited.status_code == 303 and store.provider("llama").model == "llama-2"
        deleted = client.post("/admin/providers/llama/delete", data={"csrf_token": token_})
        assert deleted.status_code == 303 and store.provider("llama") is None
        assert "Deleted the provider llama." in text(client.get("/admin/providers"))
        assert [e.action for e in audit(app)] == [
            "provider.delete", "provider.update", "provider.create"]

    def test_a_used_provider_is_disabled_and_local_is_kept(self, app: Flask,
                                                           client: FlaskClient) -> None:
        client.post(f"{A}/providers", json={"id": "used", **COMPAT})
        client.put(f"{A}/features/analyze", json={"primary": "used", "fallbacks": ["local"]})
        token_ = csrf(client)
        client.post("/admin/providers/used/delete", data={"csrf_token": token_})
        assert app.extensions["addin.store"].provider("used").enabled is False
        assert "used by analyze, so it was disabled" in text(client.get("/admin/providers"))
        client.post("/admin/providers/local/delete", data={"csrf_token": token_})
        assert "cannot be deleted" in text(client.get("/admin/providers"))

    @pytest.mark.parametrize(("fields", "words"), [
        ({"id": "x y"}, "may use only"), ({"kind": "gemini"}, "Known kinds"),
        ({"options": "[1]"}, "JSON object"), ({"timeout_s": "0"}, "above 0"),
        ({"id": "taken"}, "exists already"),
    ])
    def test_a_refused_provider_form_says_why(self, app: Flask, client: FlaskClient,
                                              fields: dict[str, str], words: str) -> None:
        app.extensions["addin.store"].upsert_provider(ProviderEntry(id="taken", kind="local"))
        response = client.post("/admin/providers/new",
                               data=provider_form(csrf(client), **{"id": "x", **fields}))
        assert response.status_code == 400 and words in text(response)
        assert audit(app) == []

    @pytest.mark.parametrize("fields", [
        {"secret": "sk-typed-in-clear-42"}, {"options": '{"api_key": "sk-typed-in-clear-42"}'},
    ])
    def test_a_secret_typed_in_clear_is_refused_and_never_shown_back(
            self, app: Flask, client: FlaskClient, fields: dict[str, str]) -> None:
        token_ = csrf(client)
        created = client.post("/admin/providers/new",
                              data=provider_form(token_, id="x", **fields))
        assert created.status_code == 400 and "reference" in text(created)
        assert "sk-typed-in-clear-42" not in created.get_data(as_text=True)
        client.post("/admin/providers/new", data=provider_form(token_, id="y"))
        edited = client.post("/admin/providers/y/edit", data=provider_form(token_, **fields))
        assert edited.status_code == 400
        assert "sk-typed-in-clear-42" not in edited.get_data(as_text=True)
        assert app.extensions["addin.store"].provider("x") is None


class TestEntraSignIn:
    def test_a_page_without_a_session_redirects_to_sign_in(self, entra_app: Flask) -> None:
        response = entra_app.test_client().get("/admin/usage?since=2020-01-01")
        assert response.status_code == 302
        assert response.location == "/admin/signin?next=%2Fadmin%2Fusage%3Fsince%3D2020-01-01"
        assert response.headers["Content-Security-Policy"] == CSP

    def test_without_a_session_the_json_api_still_says_401(self, entra_app: Flask) -> None:
        client = entra_app.test_client()
        assert client.get(f"{A}/features").status_code == 401
        refused = client.post("/admin/features/summarize", data=feature_form("x"))
        assert refused.status_code == 401 and "Sign in" in text(refused)

    @pytest.mark.parametrize(("raw", "kept"), [
        ("/admin/audit?limit=5", "/admin/audit?limit=5"), ("//evil.example/admin", "/admin"),
        ("https://evil.example/admin", "/admin"), ("/\\evil.example", "/admin"),
        ("/api/v1/features", "/admin"), ("javascript:alert(1)", "/admin"), ("", "/admin"),
    ])
    def test_sign_in_comes_back_only_to_a_console_page(self, entra_app: Flask, raw: str,
                                                       kept: str) -> None:
        assert sessions.safe_next(raw) == kept
        page = text(entra_app.test_client().get("/admin/signin", query_string={"next": raw}))
        assert f'data-next="{kept}"' in page and 'data-mode="entra"' in page
        assert BANNER not in page

    def test_an_admin_token_starts_a_session_that_opens_the_pages(
            self, entra_app: Flask) -> None:
        client = entra_app.test_client()
        started = client.post("/admin/session", headers=ADMIN, json={"next": "/admin/audit"})
        assert started.status_code == 200, started.json
        assert started.json == {"name": "Ada Lovelace", "next": "/admin/audit"}
        cookie = started.headers["Set-Cookie"]
        assert cookie.startswith(f"{sessions.COOKIE}=") and "HttpOnly" in cookie
        assert "SameSite=Strict" in cookie and "Path=/" in cookie and "Secure" not in cookie
        expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie).group(1))
        assert 3500 < (expires - datetime.now(UTC)).total_seconds() <= 3600  # the token's life
        held = session_of(entra_app, client)
        assert held["principal"] == {"tid": TENANT, "oid": "user-oid-1", "name": "Ada Lovelace",
                                     "roles": ["Addin.Admin"], "scopes": ["access_as_user"]}
        assert set(held) == {"principal", "csrf", "exp"}  # and never the token itself
        for path in PAGES:
            page = client.get(path)
            assert page.status_code == 200, path
            assert "Signed in as Ada Lovelace" in text(page) or path == "/admin/signin"
            assert BANNER not in text(page)
        assert client.get(f"{A}/features").status_code == 200  # the API too, by cookie

    def test_the_session_never_outlives_eight_hours(self, entra_app: Flask) -> None:
        day = token(roles=["Addin.Admin"], exp=int(time.time()) + 86400)
        started = entra_app.test_client().post("/admin/session",
                                               headers={"Authorization": f"Bearer {day}"})
        cookie = started.headers["Set-Cookie"]
        expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie).group(1))
        assert (expires - datetime.now(UTC)).total_seconds() <= 8 * 3600

    def test_the_session_ends_with_the_token(self, entra_app: Flask,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
        client = entra_app.test_client()
        assert client.post("/admin/session", headers=ADMIN).status_code == 200
        later = time.time() + 3700  # the token (1 h) has expired, the cookie's signature not
        monkeypatch.setattr(sessions.time, "time", lambda: later)
        assert client.get("/admin").status_code == 302
        assert client.get(f"{A}/features").status_code == 401

    def test_the_cookie_is_secure_over_https(self, entra_app: Flask) -> None:
        client = entra_app.test_client()
        response = client.post("/admin/session", headers=ADMIN,
                               base_url="https://console.example")
        assert "Secure" in response.headers["Set-Cookie"]

    def test_a_user_without_the_admin_role_is_refused(self, entra_app: Flask) -> None:
        client = entra_app.test_client()
        user = {"Authorization": f"Bearer {token(roles=['Other'])}"}
        refused = client.post("/admin/session", headers={**user, "Accept": "application/json"})
        assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
        assert "principal" not in session_of(entra_app, client)
        page = client.get("/admin", headers=user)
        assert page.status_code == 403 and "Addin.Admin" in text(page)
        assert page.mimetype == "text/html"
        assert client.get("/admin").status_code == 302  # no session was made

    def test_a_session_cannot_renew_itself(self, entra_app: Flask) -> None:
        client = entra_app.test_client()
        client.post("/admin/session", headers=ADMIN)
        again = client.post("/admin/session", headers={"X-CSRF-Token": csrf(client)})
        assert again.status_code == 401  # only a fresh token starts a session

    @pytest.mark.parametrize("given", [None, "wrong-token"])
    def test_a_cookie_form_needs_the_csrf_token(self, entra_app: Flask,
                                                given: str | None) -> None:
        client = entra_app.test_client()
        client.post("/admin/session", headers=ADMIN)
        response = client.post("/admin/features/summarize",
                               data=feature_form(given, temperature="0.5"))
        assert response.status_code == 403 and "CSRF" in text(response)
        assert assignment(entra_app).temperature is None and audit(entra_app) == []

    def test_the_right_csrf_token_saves_and_audits_by_name(self, entra_app: Flask) -> None:
        client = entra_app.test_client()
        client.post("/admin/session", headers=ADMIN)
        response = client.post("/admin/features/summarize",
                               data=feature_form(csrf(client), temperature="0.5"))
        assert response.status_code == 303 and assignment(entra_app).temperature == 0.5
        [entry] = audit(entra_app)
        assert entry.actor_name == "Ada Lovelace" and entry.actor.endswith(":user-oid-1")

    def test_a_cookie_api_call_needs_the_csrf_header_a_bearer_call_none(
            self, entra_app: Flask) -> None:
        client = entra_app.test_client()
        client.post("/admin/session", headers=ADMIN)
        token_ = csrf(client)
        for method, path, body in [("put", f"{A}/features/analyze", {"temperature": 0.1}),
                                   ("post", f"{A}/providers", {"id": "x", **COMPAT}),
                                   ("delete", f"{A}/providers/local", None)]:
            refused = getattr(client, method)(path, json=body)
            assert refused.status_code == 403, path
            assert refused.json["error"]["code"] == "csrf_failed"
        assert audit(entra_app) == []
        with_header = client.put(f"{A}/features/analyze", json={"temperature": 0.1},
                                 headers={"X-CSRF-Token": token_})
        assert with_header.status_code == 200
        by_bearer = entra_app.test_client().put(f"{A}/features/analyze",
                                                json={"temperature": 0.2}, headers=ADMIN)
        assert by_bearer.status_code == 200 and assignment(entra_app, "analyze").temperature == 0.2

    def test_sign_out_ends_the_session(self, entra_app: Flask) -> None:
        client = entra_app.test_client()
        client.post("/admin/session", headers=ADMIN)
        out = client.post("/admin/signout", data={"csrf_token": csrf(client)})
        assert out.status_code == 303 and out.location == "/admin/signin"
        assert client.get("/admin").status_code == 302


def test_a_secret_value_never_appears_anywhere(client: FlaskClient, simulator: Simulator,
                                               monkeypatch: pytest.MonkeyPatch,
                                               caplog: pytest.LogCaptureFixture) -> None:
    pytest.importorskip("langchain_openai")
    secret = "sk-console-distinctive-7f3a9"
    monkeypatch.setenv("SOME_NAME", secret)
    caplog.set_level(logging.DEBUG)
    client.post(f"{A}/providers", json={"id": "vault", **COMPAT, "secret": "env:SOME_NAME",
                                        "endpoint": simulator.url("compat")})
    client.put(f"{A}/features/summarize", json={"primary": "vault", "fallbacks": ["local"]})
    assert client.post("/api/v1/summarize", json=BODY).json["provider"] == "vault"
    assert simulator.of("compat")  # the key was resolved and used for a real call
    token_ = csrf(client)
    client.post("/admin/providers/vault/edit", data=provider_form(
        token_, secret="env:SOME_NAME", endpoint=simulator.url("compat"), model="llama-2"))
    responses = [client.get(path) for path in [*PAGES, "/admin/providers/vault/edit"]]
    responses += [client.get(f"{A}/{name}") for name in
                  ("features", "providers", "health", "usage", "audit")]
    responses.append(client.post(f"{A}/providers/vault/test",
                                 headers={"X-CSRF-Token": token_}))
    for response in responses:
        assert response.status_code == 200, response.request.path
        assert secret not in response.get_data(as_text=True), response.request.path
    assert "env:SOME_NAME" in text(client.get("/admin/providers"))
    assert secret not in caplog.text


class TestChart:
    def test_names_are_escaped_and_the_chart_is_accessible(self) -> None:
        name = '<script>alert("x")</script> & co'
        svg = svgchart.stacked_bars(["2026-01-01", "2026-01-02"],
                                    {name: [0.5, 0.0], "b'c": [0.25, 1.0]},
                                    label="Cost <per> day")
        assert "<script>" not in svg and "&lt;script&gt;" in svg
        root = ET.fromstring(svg)  # well-formed XML
        assert root.get("role") == "img"
        assert root.get("aria-label").startswith("Cost <per> day: 2 categories, total $1.75")
        tooltips = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
        assert f"2026-01-01 · {name}: $0.5" in tooltips and "2026-01-02 · b'c: $1.00" in tooltips
        bars = [r for r in root.iter("{http://www.w3.org/2000/svg}rect") if len(r)]
        assert len(bars) == 3  # zero values draw nothing

    def test_the_usage_page_escapes_what_the_records_say(self, app: Flask,
                                                          client: FlaskClient) -> None:
        evil = '<img src=x onerror="alert(1)">'
        app.extensions["addin.store"].record_usage(UsageRecord(
            request_id="r1", feature="summarize", provider=evil, model=evil, cost_usd=0.01))
        body = client.get("/admin/usage").get_data(as_text=True)
        assert evil not in body and "&lt;img src=x" in body

    @pytest.mark.parametrize(("maximum", "ticks"), [
        (0, [0.0, 1.0]), (1, [0, 0.2, 0.4, 0.6, 0.8, 1]), (7, [0, 2, 4, 6, 8]),
        (0.0123, [0, 0.0025, 0.005, 0.0075, 0.01, 0.0125]),
    ])
    def test_ticks_are_round(self, maximum: float, ticks: list[float]) -> None:
        assert svgchart.nice_ticks(maximum) == pytest.approx(ticks)


def test_audit_changes_are_compact_and_hide_secret_values() -> None:
    before = {"model": "a", "secret": "env:A", "options": {"api_version": "1"}}
    after = {"model": "b", "secret": "sk-leaked", "options": {"api_version": "1", "x": 2}}
    assert changes(before, after) == [("model", '"a"', '"b"'), ("options.x", None, "2"),
                                      ("secret", '"env:A"', "(hidden)")]
    assert changes(None, {"temperature": None}) == [("temperature", None, "null")]
