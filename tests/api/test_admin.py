"""The admin API: assignments, providers, health, usage and audit; sign-in; secrets."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.entra import BODY, token
from tests.fakes import Simulator

A = "/api/v1/admin"
GETS = [f"{A}/features", f"{A}/providers", f"{A}/health", f"{A}/usage", f"{A}/audit"]
ROUTES = [("get", path) for path in GETS] + [
    ("put", f"{A}/features/summarize"), ("post", f"{A}/providers"),
    ("put", f"{A}/providers/local"), ("delete", f"{A}/providers/local"),
]
COMPAT = {"kind": "openai_compatible", "model": "llama-test", "in_house": True,
          "endpoint": "http://127.0.0.1:9/v1"}


def _features(client: FlaskClient) -> dict[str, Any]:
    return {f["feature"]: f for f in client.get(f"{A}/features").json["features"]}


def test_features_list_each_assignment_and_who_serves_it(client: FlaskClient) -> None:
    summarize = _features(client)["summarize"]
    assert summarize["primary"] == "local" and summarize["fallbacks"] == []
    assert summarize["serving"] == ["local"] and summarize["confidential"] is False


def test_a_feature_update_is_validated_stored_and_audited(client: FlaskClient) -> None:
    response = client.put(f"{A}/features/summarize", json={"temperature": 0.3,
                                                             "max_output_tokens": 500})
    assert response.status_code == 200, response.json
    assert _features(client)["summarize"]["temperature"] == 0.3
    [entry] = client.get(f"{A}/audit").json["entries"]
    assert entry["action"] == "assignment.update" and entry["target"] == "summarize"
    assert entry["actor"] == "dev:dev-user" and entry["actor_name"] == "Local developer"
    assert entry["before"]["temperature"] is None and entry["after"]["temperature"] == 0.3
    assert entry["at"]


@pytest.mark.parametrize(("path", "body", "status", "words"), [
    (f"{A}/features/translate", {"primary": "local"}, 404, "translate"),
    (f"{A}/features/summarize", {"primary": "nope", "fallbacks": ["gone", "local"]}, 400,
     "nope, gone"),
    (f"{A}/features/summarize", {"temperature": 3}, 400, "at most 2"),
    (f"{A}/features/summarize", {"max_output_tokens": "many"}, 400, "whole number"),
    (f"{A}/features/summarize", {"colour": "red"}, 400, "unknown key"),
])
def test_a_bad_feature_update_is_refused(client: FlaskClient, path: str, body: dict[str, Any],
                                         status: int, words: str) -> None:
    response = client.put(path, json=body)
    assert response.status_code == status and words in response.json["error"]["message"]
    assert client.get(f"{A}/audit").json["entries"] == []


def test_a_confidential_feature_needs_an_in_house_chain(client: FlaskClient) -> None:
    client.post(f"{A}/providers", json={"id": "ext", **COMPAT, "in_house": False})
    response = client.put(f"{A}/features/summarize",
                          json={"primary": "ext", "confidential": True})
    assert response.status_code == 400 and "in-house" in response.json["error"]["message"]
    ok = client.put(f"{A}/features/summarize", json={"primary": "local", "confidential": True})
    assert ok.status_code == 200


def test_providers_are_created_edited_and_listed(client: FlaskClient) -> None:
    created = client.post(f"{A}/providers", json={"id": "llama", **COMPAT,
                                                  "api_key": "env:LLAMA_KEY"})
    assert created.status_code == 201, created.json
    assert created.json["secret"] == "env:LLAMA_KEY"
    assert client.post(f"{A}/providers", json={"id": "llama", **COMPAT}).status_code == 409
    edited = client.put(f"{A}/providers/llama", json={"model": "llama-2"})
    assert edited.status_code == 200 and edited.json["model"] == "llama-2"
    assert edited.json["secret"] == "env:LLAMA_KEY"
    listed = {p["id"]: p for p in client.get(f"{A}/providers").json["providers"]}
    assert listed["llama"]["model"] == "llama-2" and "local" in listed
    actions = [e["action"] for e in client.get(f"{A}/audit").json["entries"]]
    assert actions == ["provider.update", "provider.create"]  # newest first
    assert client.put(f"{A}/providers/ghost", json={}).status_code == 404


@pytest.mark.parametrize(("body", "words"), [
    ({"id": "x", "kind": "gemini", "model": "m"}, "Known kinds"),
    ({"id": "x", **COMPAT, "timeout_s": 0}, "above 0"),
    ({"id": "x", **{**COMPAT, "model": ""}}, "needs a model"),
    ({"id": "x y", **COMPAT}, "may use only"),
])
def test_a_bad_provider_is_refused(client: FlaskClient, body: dict[str, Any],
                                   words: str) -> None:
    response = client.post(f"{A}/providers", json=body)
    assert response.status_code == 400 and words in response.json["error"]["message"]


def test_local_cannot_be_deleted_or_change_kind(client: FlaskClient) -> None:
    assert client.delete(f"{A}/providers/local").status_code == 409
    response = client.put(f"{A}/providers/local", json={"kind": "openai"})
    assert response.status_code == 400 and "always of kind" in response.json["error"]["message"]


def test_a_used_provider_is_disabled_an_unused_one_deleted(client: FlaskClient) -> None:
    for provider_id in ("used", "spare"):
        client.post(f"{A}/providers", json={"id": provider_id, **COMPAT})
    client.put(f"{A}/features/analyze", json={"primary": "used", "fallbacks": ["local"]})
    disabled = client.delete(f"{A}/providers/used").json
    assert disabled == {"id": "used", "deleted": False, "disabled": True,
                        "used_by": ["analyze"]}
    assert client.delete(f"{A}/providers/spare").json["deleted"] is True
    listed = {p["id"]: p for p in client.get(f"{A}/providers").json["providers"]}
    assert listed["used"]["enabled"] is False and "spare" not in listed
    assert _features(client)["analyze"]["serving"] == ["local"]
    entries = client.get(f"{A}/audit?limit=2").json["entries"]
    assert [e["action"] for e in entries] == ["provider.delete", "provider.disable"]
    assert entries[0]["after"] is None and entries[1]["after"]["enabled"] is False


def test_health_usage_and_feedback(client: FlaskClient) -> None:
    answer = client.post("/api/v1/summarize", json=BODY).json
    client.post("/api/v1/feedback", json={"request_id": answer["request_id"], "rating": "up"})
    [local] = [p for p in client.get(f"{A}/health").json["providers"] if p["id"] == "local"]
    assert local["circuit"] == "closed" and local["calls"] == 1 and local["error_rate"] == 0
    assert local["p50_latency_ms"] is not None and local["p95_latency_ms"] is not None
    usage = client.get(f"{A}/usage?since=2000-01-01&feature=summarize").json
    [row] = usage["usage"]
    assert row["feature"] == "summarize" and row["provider"] == "local" and row["calls"] == 1
    assert usage["feedback"][0]["up"] == 1
    assert client.get(f"{A}/usage?since=yesterday").status_code == 400
    assert client.get(f"{A}/audit?limit=0").status_code == 400


def test_secrets_never_appear(client: FlaskClient, monkeypatch: pytest.MonkeyPatch,
                              caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("SECRET_X", "sk-live-123")
    caplog.set_level(logging.DEBUG)
    created = client.post(f"{A}/providers", json={"id": "x", **COMPAT, "api_key": "env:SECRET_X"})
    assert created.status_code == 201
    client.put(f"{A}/features/summarize", json={"primary": "x", "fallbacks": ["local"]})
    for path in GETS:
        response = client.get(path)
        assert response.status_code == 200 and "sk-live-123" not in response.get_data(True)
    refused = client.post(f"{A}/providers", json={"id": "y", **COMPAT, "api_key": "sk-live-123"})
    assert refused.status_code == 400 and "reference" in refused.json["error"]["message"]
    assert "sk-live-123" not in refused.get_data(as_text=True)
    edit = client.put(f"{A}/providers/x", json={"api_key": "sk-live-123"})
    assert edit.status_code == 400 and "sk-live-123" not in edit.get_data(as_text=True)
    assert "sk-live-123" not in caplog.text
    assert client.get(f"{A}/providers").json["providers"][1]["secret"] == "env:SECRET_X"


def test_an_assignment_change_takes_effect_on_the_next_request(
        client: FlaskClient, simulator: Simulator) -> None:
    pytest.importorskip("langchain_openai")
    assert client.post("/api/v1/summarize", json=BODY).json["provider"] == "local"
    client.post(f"{A}/providers", json={"id": "inhouse", **COMPAT,
                                        "endpoint": simulator.url("compat")})
    response = client.put(f"{A}/features/summarize",
                          json={"primary": "inhouse", "fallbacks": ["local"]})
    assert response.json["serving"] == ["inhouse", "local"]
    assert client.post("/api/v1/summarize", json=BODY).json["provider"] == "inhouse"
    assert len(simulator.of("compat")) == 1


class TestSignIn:
    @pytest.mark.parametrize(("method", "path"), ROUTES)
    def test_a_user_without_the_admin_role_is_forbidden(
            self, entra_app: Flask, method: str, path: str) -> None:
        headers = {"Authorization": f"Bearer {token(roles=['Other'])}"}
        response = getattr(entra_app.test_client(), method)(path, headers=headers, json={})
        assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"

    @pytest.mark.parametrize(("method", "path"), ROUTES)
    def test_no_token_is_401(self, entra_app: Flask, method: str,
                             path: str) -> None:
        response = getattr(entra_app.test_client(), method)(path, json={})
        assert response.status_code == 401

    def test_an_admin_token_is_accepted_and_audited_by_name(
            self, entra_app: Flask) -> None:
        headers = {"Authorization": f"Bearer {token(roles=['Addin.Admin'])}"}
        client = entra_app.test_client()
        response = client.put(f"{A}/features/analyze", json={"temperature": 0.1},
                              headers=headers)
        assert response.status_code == 200
        [entry] = client.get(f"{A}/audit", headers=headers).json["entries"]
        assert entry["actor_name"] == "Ada Lovelace" and entry["actor"].endswith(":user-oid-1")
