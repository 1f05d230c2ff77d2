"""The admin's tools over HTTP: Test a provider, Compare providers, set limits (and the 429s
users then get). Vendors are played by the local simulator through the real clients."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from addin import create_app
from tests.entra import BODY, token
from tests.fakes import Simulator, Step
from tests.helpers import make_docx, vendor_config

pytest.importorskip("langchain_openai")
pytest.importorskip("langchain_anthropic")

A = "/api/v1/admin"
KEY = "sk-tools-0123456789-secret"


NOKEY = """
[providers.nokey]
kind = "openai"
model = "gpt-test"
endpoint = "{endpoint}"
api_key = "env:TOOLS_UNSET_KEY"
"""


@pytest.fixture()
def app(simulator: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Flask:
    monkeypatch.setenv("SIM_OPENAI_KEY", KEY)
    monkeypatch.setenv("SIM_ANTHROPIC_KEY", "sk-ant-tools-key")
    extra = NOKEY.format(endpoint=simulator.url("openai"))
    config = vendor_config(simulator, tmp_path, fallbacks=("local",), extra=extra)
    return create_app({"CONFIG": config, "RETRY_BACKOFF_S": 0.01, "STALL_TIMEOUT_S": 2})


# --- Test -----------------------------------------------------------------------------

def test_the_test_button_makes_one_small_real_call(client: FlaskClient,
                                                   simulator: Simulator) -> None:
    simulator.script(Step(text="Revenue grew eight percent."))
    response = client.post(f"{A}/providers/gpt/test")
    assert response.status_code == 200
    body = response.json
    assert body["ok"] is True and body["model"] == "gpt-test"
    assert "Revenue grew" in body["output"] and body["latency_ms"] > 0
    [call] = simulator.of("openai")
    assert call.body.get("max_completion_tokens", call.body.get("max_tokens")) == 64
    assert call.headers["authorization"] == f"Bearer {KEY}"


def test_the_test_button_shows_the_vendors_error_without_the_key(
        client: FlaskClient, simulator: Simulator) -> None:
    simulator.script(Step(kind="status", status=401, dialect="openai",
                          message=f"Incorrect API key provided: {KEY}"))
    body = client.post(f"{A}/providers/gpt/test").json
    assert body["ok"] is False and body["error"]["code"] == "auth"
    assert "Incorrect API key" in body["error"]["message"]
    assert KEY not in str(body)
    assert len(simulator.of("openai")) == 1  # no retry, no fallback to another model


def test_a_provider_whose_key_is_not_set_says_so(client: FlaskClient,
                                                 simulator: Simulator) -> None:
    body = client.post(f"{A}/providers/nokey/test").json
    assert body["ok"] is False and "TOOLS_UNSET_KEY" in body["error"]["message"]
    assert simulator.of("openai") == []


def test_a_disabled_provider_can_still_be_tested(client: FlaskClient,
                                                 simulator: Simulator) -> None:
    client.put(f"{A}/providers/claude", json={"enabled": False})
    simulator.script(Step(text="Fine."))
    assert client.post(f"{A}/providers/claude/test").json["ok"] is True


def test_testing_an_unknown_provider_is_a_404(client: FlaskClient) -> None:
    assert client.post(f"{A}/providers/nope/test").status_code == 404


# --- Compare --------------------------------------------------------------------------

def test_compare_runs_a_prompt_on_each_provider_side_by_side(
        client: FlaskClient, simulator: Simulator, app: Flask) -> None:
    simulator.script(Step(text="Answer from GPT.", dialect="openai"),
                     Step(text="Answer from Claude.", dialect="anthropic"))
    response = client.post(f"{A}/compare", json={"providers": ["gpt", "claude"],
                                                 "prompt": "Say hello."})
    assert response.status_code == 200, response.json
    gpt, claude = response.json["results"]
    assert (gpt["provider"], gpt["answer"], gpt["ok"]) == ("gpt", "Answer from GPT.", True)
    assert (claude["provider"], claude["answer"]) == ("claude", "Answer from Claude.")
    for result in (gpt, claude):
        assert result["input_tokens"] > 0 and result["output_tokens"] > 0
        assert result["cost_usd"] > 0 and result["latency_ms"] > 0
    assert simulator.of("openai")[0].body["messages"][-1]["content"] == "Say hello."
    app.extensions["addin.recorder"].flush()
    rows = client.get(f"{A}/usage").json["usage"]
    assert {r["feature"] for r in rows} == {"compare"}  # what comparing costs is visible


def test_compare_shows_one_providers_failure_beside_the_others_answer(
        client: FlaskClient, simulator: Simulator) -> None:
    simulator.script(Step(kind="status", status=500, dialect="openai"),
                     Step(text="Still here.", dialect="anthropic"))
    gpt, claude = client.post(f"{A}/compare", json={"providers": ["gpt", "claude"],
                                                    "prompt": "Hi"}).json["results"]
    assert gpt["ok"] is False and gpt["error"]["code"] == "server_error"
    assert claude["ok"] is True and claude["answer"] == "Still here."


def test_compare_on_a_document_summarizes_it_with_each(client: FlaskClient,
                                                      simulator: Simulator) -> None:
    simulator.script(Step(dialect="openai"))
    doc = make_docx([("", "Lead levels fell in all four districts."),
                     ("", "Nitrate stayed below the limit at every site.")])
    response = client.post(f"{A}/compare", data={
        "providers": "gpt,local", "file": (io.BytesIO(doc), "water.docx")})
    assert response.status_code == 200, response.json
    assert response.json["feature"] == "summarize"
    gpt, local = response.json["results"]
    assert gpt["ok"] and local["ok"] and local["answer"]
    assert local["cost_usd"] == 0.0
    assert "Lead levels" in simulator.of("openai")[0].body["messages"][-1]["content"]


def test_the_offline_engine_declines_a_free_prompt_clearly(client: FlaskClient,
                                                           simulator: Simulator) -> None:
    simulator.script(Step(text="Hello.", dialect="openai"))
    _, local = client.post(f"{A}/compare", json={"providers": ["gpt", "local"],
                                                 "prompt": "Hi"}).json["results"]
    assert local["ok"] is False and "only summarizes documents" in local["error"]["message"]


@pytest.mark.parametrize("providers", [["gpt"], ["gpt", "gpt"], ["gpt", "claude", "inhouse",
                                                                 "local", "nokey"]])
def test_compare_needs_two_to_four_providers(client: FlaskClient, providers: list[str]) -> None:
    response = client.post(f"{A}/compare", json={"providers": providers, "prompt": "Hi"})
    assert response.status_code == 400 and "2 to 4" in response.json["error"]["message"]


def test_compare_refuses_an_unknown_provider_or_no_prompt(client: FlaskClient) -> None:
    assert client.post(f"{A}/compare", json={"providers": ["gpt", "x"],
                                             "prompt": "Hi"}).status_code == 404
    response = client.post(f"{A}/compare", json={"providers": ["gpt", "claude"]})
    assert response.status_code == 400 and response.json["error"]["code"] == "no_input"


# --- Limits ---------------------------------------------------------------------------

def test_limits_are_shown_set_and_audited(client: FlaskClient) -> None:
    state = client.get(f"{A}/limits").json
    assert state["rate_limit"] is None
    assert state["budgets"] == {"summarize": None, "analyze": None}
    assert state["spent"] == {"summarize": 0.0, "analyze": 0.0} and len(state["month"]) == 7
    new = {"rate_limit": {"requests": 5, "per_seconds": 60}, "budgets": {"summarize": 20}}
    response = client.put(f"{A}/limits", json=new)
    assert response.status_code == 200
    assert response.json["rate_limit"] == {"requests": 5, "per_seconds": 60}
    assert response.json["budgets"]["summarize"] == 20.0
    [entry] = client.get(f"{A}/audit").json["entries"]
    assert entry["action"] == "limits.update" and entry["before"]["rate_limit"] is None
    assert entry["after"]["budgets"]["summarize"] == 20.0
    bad = client.put(f"{A}/limits", json={"rate_limit": {"requests": -1}})
    assert bad.status_code == 400
    assert client.get(f"{A}/limits").json["rate_limit"]["requests"] == 5


def test_over_the_rate_a_user_gets_429_naming_the_limit(client: FlaskClient,
                                                        simulator: Simulator) -> None:
    client.put(f"{A}/limits", json={"rate_limit": {"requests": 2, "per_seconds": 3600}})
    simulator.script(Step(), Step())
    for _ in range(2):
        assert client.post("/api/v1/summarize", json=BODY).status_code == 200
    response = client.post("/api/v1/summarize", json=BODY)
    assert response.status_code == 429
    error = response.json["error"]
    assert error["code"] == "rate_limited" and "2 every hour" in error["message"]
    assert error["details"]["limit"] == "rate"
    assert 3590 <= int(response.headers["Retry-After"]) <= 3600
    assert len(simulator.of("openai")) == 2  # the refused request reached no model


def test_a_feature_over_budget_gets_429_and_others_go_on(
        client: FlaskClient, simulator: Simulator, app: Flask) -> None:
    simulator.script(Step(text="A fairly long answer " * 50))
    assert client.post("/api/v1/summarize", json=BODY).status_code == 200
    app.extensions["addin.recorder"].flush()
    spent = client.get(f"{A}/limits").json["spent"]["summarize"]
    assert spent > 0
    client.put(f"{A}/limits", json={"budgets": {"summarize": spent / 2}})
    response = client.post("/api/v1/summarize", json=BODY)
    assert response.status_code == 429
    assert response.json["error"]["code"] == "budget_exhausted"
    assert "monthly budget for summarize" in response.json["error"]["message"]
    assert int(response.headers["Retry-After"]) > 0
    sheets = {"sheets": [{"name": "S", "address": "A1:B3",
                          "values": [["x", "y"], [1, 2], [3, 4]]}]}
    assert client.post("/api/v1/analyze", json=sheets).status_code == 200


def test_usage_records_who_asked(entra_app: Flask) -> None:
    client = entra_app.test_client()
    headers = {"Authorization": f"Bearer {token(oid='user-42')}"}
    assert client.post("/api/v1/summarize", json=BODY, headers=headers).status_code == 200
    entra_app.extensions["addin.recorder"].flush()
    [record] = entra_app.extensions["addin.store"].usage()
    assert record.user_key.endswith(":user-42")


def test_the_rate_limit_counts_each_signed_in_user_apart(entra_app: Flask) -> None:
    client = entra_app.test_client()
    admin = {"Authorization": f"Bearer {token(roles=['Addin.Admin'])}"}
    client.put(f"{A}/limits", json={"rate_limit": {"requests": 1, "per_seconds": 60}},
               headers=admin)
    alice = {"Authorization": f"Bearer {token(oid='alice')}"}
    bob = {"Authorization": f"Bearer {token(oid='bob')}"}
    assert client.post("/api/v1/summarize", json=BODY, headers=alice).status_code == 200
    assert client.post("/api/v1/summarize", json=BODY, headers=alice).status_code == 429
    assert client.post("/api/v1/summarize", json=BODY, headers=bob).status_code == 200


