"""Summarize through real vendor clients against the local simulator: failover, policy, usage.

Each test declares providers in a TOML file (as an admin would), points them at the
simulator, scripts the primary to fail in one way, and checks what the user gets (events,
answer, citations) and what the vendors saw (the simulator's request log).
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from addin import create_app
from tests.fakes import Simulator, Step
from tests.helpers import make_docx, parse_sse, vendor_config

pytest.importorskip("langchain_openai")
pytest.importorskip("langchain_anthropic")

DOC = make_docx([
    ("Heading 1", "Results"),
    ("", "Lead levels fell in all four districts compared with the previous year."),
    ("", "Nitrate concentrations stayed well below the legal limit at every site."),
    ("Heading 1", "Conclusion"),
    ("", "Water quality improved overall, driven by the pipe replacement programme."),
])


@pytest.fixture()
def make_app(simulator: Simulator, tmp_path: Path,
             monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SIM_OPENAI_KEY", "sk-sim-openai")
    monkeypatch.setenv("SIM_ANTHROPIC_KEY", "sk-sim-anthropic")

    def make(**kwargs: Any) -> Flask:
        settings = {"CONFIG": vendor_config(simulator, tmp_path, **kwargs), "RETRY_BACKOFF_S": 0.01,
                    "STALL_TIMEOUT_S": 0.5}
        return create_app(settings)

    return make


def stream(client: FlaskClient, **form: str) -> tuple[int, list[tuple[str, dict[str, Any]]]]:
    response = client.post("/api/v1/summarize", headers={"Accept": "text/event-stream"},
                           data={"file": (io.BytesIO(DOC), "doc.docx"), **form})
    if response.mimetype != "text/event-stream":
        return response.status_code, [("http_error", response.json)]
    return response.status_code, parse_sse(response.get_data(as_text=True))


def test_a_healthy_primary_answers_with_cited_text_and_cost(make_app, simulator: Simulator):
    client = make_app().test_client()
    status, events = stream(client)
    names = [n for n, _ in events]
    assert status == 200 and names[0] == "meta" and names[-2:] == ["usage", "done"]
    assert events[0][1]["provider"] == "gpt" and "fallback" not in names
    text = "".join(d["text"] for n, d in events if n == "delta")
    assert "Simulated point one [1]" in text
    usage = dict(events)["usage"]
    expected = (usage["input_tokens"] * 2.5 + usage["output_tokens"] * 10.0) / 1e6
    assert usage["output_tokens"] > 0 and usage["cost_usd"] == pytest.approx(expected)
    [call] = simulator.of("openai")
    assert call.headers.get("authorization") == "Bearer sk-sim-openai"
    assert call.stream and "[p1]" in str(call.body)


FAILURES = [  # (steps for the primary, expected reason, requests the primary sees)
    ([Step("status", status=429, retry_after=0)] * 3, "rate_limited", 3),
    ([Step("status", status=429, retry_after=60)], "rate_limited", 1),
    ([Step("status", status=529, error_type="overloaded_error")] * 3, "overloaded", 3),
    ([Step("status", status=500)] * 3, "server_error", 3),
    ([Step("status", status=401)], "auth", 1),
    ([Step("error_in_stream")], "stream_error", 1),
    ([Step("cut")], "stream_cut", 1),
    ([Step("stall", stall_seconds=1.5)], "stall", 1),
    ([Step("stall", after_chunks=0, stall_seconds=1.5)], "timeout", 1),
    ([Step("malformed")], "malformed", 1),
]


@pytest.mark.parametrize(("steps", "reason", "primary_calls"), FAILURES,
                         ids=[f"{r}-{n}" for _, r, n in FAILURES])
def test_each_failure_fails_over_to_the_healthy_fallback(
        make_app, simulator: Simulator, steps: list[Step], reason: str,
        primary_calls: int) -> None:
    simulator.script(*[Step(**{**s.__dict__, "dialect": "openai"}) for s in steps])
    client = make_app().test_client()
    status, events = stream(client)
    names = [n for n, _ in events]
    assert status == 200 and names[0] == "meta" and names[-1] == "done", events
    assert events[0][1]["provider"] == "gpt"
    fallback = dict(events)["fallback"]
    assert (fallback["from"], fallback["to"], fallback["reason"]) == ("gpt", "claude", reason)
    after = names[names.index("fallback") + 1:]
    assert "delta" in after and "citation" in after
    text = "".join(d["text"] for n, d in events[names.index("fallback"):] if n == "delta")
    assert text.startswith("- Simulated point one [1]")
    assert len(simulator.of("openai")) == primary_calls
    assert len(simulator.of("anthropic")) == 1


def test_text_already_streamed_is_restarted_and_said_so(make_app, simulator: Simulator):
    simulator.script(Step("cut", after_chunks=3, dialect="openai"))
    status, events = stream(make_app().test_client())
    names = [n for n, _ in events]
    assert status == 200 and names[-1] == "done"
    first = names.index("delta")
    assert first < names.index("fallback")  # text had streamed before the failure
    assert dict(events)["fallback"]["restarted"] is True


def test_json_answer_is_the_fallbacks_only(make_app, simulator: Simulator):
    simulator.script(Step("cut", after_chunks=3, dialect="openai"))
    body = make_app().test_client().post(
        "/api/v1/summarize", data={"file": (io.BytesIO(DOC), "doc.docx")}).json
    assert body["provider"] == "claude" and body["fallbacks"][0]["reason"] == "stream_cut"
    assert body["text"].startswith("- Simulated point one [1]")
    assert {c["n"] for c in body["citations"]} == {1, 2, 3}


def test_wrong_credentials_open_the_circuit_for_the_next_request(make_app,
                                                                 simulator: Simulator):
    simulator.script(Step("status", status=401, dialect="openai"))
    client = make_app().test_client()
    stream(client)
    status, events = stream(client)
    assert status == 200 and dict(events)["fallback"]["reason"] == "circuit_open"
    assert len(simulator.of("openai")) == 1  # the second request never reached it
    readiness = client.get("/readyz").json
    assert readiness["circuits"]["gpt"]["state"] == "open"


def test_a_bad_request_is_not_failed_over(make_app, simulator: Simulator):
    simulator.script(Step("status", status=400, message="invalid temperature",
                          dialect="openai"))
    status, events = stream(make_app().test_client())
    assert status == 502 and events[0][1]["error"]["code"] == "provider_rejected"
    assert not simulator.of("anthropic")


def test_context_too_long_goes_to_a_larger_window(make_app, simulator: Simulator):
    simulator.script(Step("status", status=400, error_type="invalid_request_error",
                          message="maximum context length exceeded",
                          dialect="openai"))
    status, events = stream(make_app().test_client())
    assert status == 200 and dict(events)["fallback"]["reason"] == "context_length"
    assert dict(events)["meta"]["provider"] == "gpt" and len(simulator.of("anthropic")) == 1


def test_unreachable_primary_fails_over(make_app, simulator: Simulator):
    client = make_app(gpt_endpoint="http://127.0.0.1:9/v1").test_client()
    status, events = stream(client)
    assert status == 200 and dict(events)["fallback"]["reason"] == "connection"


def test_every_candidate_failing_is_one_clear_error(make_app, simulator: Simulator):
    simulator.script(*[Step("status", status=500)] * 6)
    client = make_app(fallbacks=("claude",)).test_client()
    status, events = stream(client)
    error = events[0][1]["error"]
    assert status == 502 and error["code"] == "providers_failed"
    assert "gpt (server error)" in error["message"] and "claude (server error)" in error["message"]


def test_usage_records_every_attempt_with_cost_and_no_text(make_app, simulator: Simulator):
    simulator.script(Step("status", status=429, retry_after=60, dialect="openai"))
    app = make_app()
    stream(app.test_client())
    app.extensions["addin.recorder"].flush()
    records = app.extensions["addin.store"].usage()
    assert [(r.provider, r.outcome) for r in records] == [("gpt", "rate_limited"),
                                                          ("claude", "ok")]
    ok = records[1]
    assert ok.failover_reason == "rate_limited" and ok.cost_usd > 0 and ok.output_tokens > 0
    assert ok.prompt_version == 1 and ok.latency_ms > 0


class TestConfidential:
    def test_a_confidential_request_stays_in_house(self, make_app, simulator: Simulator):
        status, events = stream(make_app(fallbacks=("claude", "inhouse")).test_client(),
                                confidential="true")
        assert status == 200 and dict(events)["meta"]["provider"] == "inhouse"
        assert dict(events)["meta"]["confidential"] is True
        assert not simulator.of("openai") and not simulator.of("anthropic")
        assert len(simulator.of("compat")) == 1

    def test_fallbacks_never_leave_the_in_house_set(self, make_app, simulator: Simulator):
        simulator.script(*[Step("status", status=500, dialect="compat")] * 3)
        client = make_app(primary="inhouse", fallbacks=("claude", "local")).test_client()
        status, events = stream(client, confidential="true")
        assert status == 200 and dict(events)["fallback"]["to"] == "local"
        assert not simulator.of("openai") and not simulator.of("anthropic")
        assert len(simulator.of("compat")) == 3

    def test_no_in_house_model_is_a_503_and_no_call(self, make_app, simulator: Simulator):
        status, events = stream(make_app(fallbacks=("claude",)).test_client(),
                                confidential="true")
        assert status == 503 and events[0][1]["error"]["code"] == "no_in_house_provider"
        assert not simulator.requests

    def test_a_sensitivity_label_makes_the_document_confidential(self, make_app,
                                                                 simulator: Simulator):
        data = _with_custom_properties(DOC, {
            "MSIP_Label_0f0e-11_Enabled": "true", "MSIP_Label_0f0e-11_Name": "Confidential"})
        client = make_app(fallbacks=("claude", "inhouse")).test_client()
        response = client.post("/api/v1/summarize",
                               data={"file": (io.BytesIO(data), "labelled.docx")})
        assert response.json["provider"] == "inhouse"
        assert not simulator.of("openai") and not simulator.of("anthropic")


def _with_custom_properties(data: bytes, properties: dict[str, str]) -> bytes:
    """Add docProps/custom.xml (as Word writes sensitivity labels) to a .docx."""
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    items = "".join(
        f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="{i + 2}" '
        f'name="{name}"><vt:lpwstr>{value}</vt:lpwstr></property>'
        for i, (name, value) in enumerate(properties.items()))
    custom = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Properties xmlns="http://'
              'schemas.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http:'
              '//schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
              f'{items}</Properties>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "[Content_Types].xml":
                content = content.replace(b"</Types>", (
                    b'<Override PartName="/docProps/custom.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.custom-properties+xml"/></Types>'))
            if info.filename == "_rels/.rels":
                content = content.replace(b"</Relationships>", (
                    b'<Relationship Id="rIdCustom" Type="http://schemas.openxmlformats.org/'
                    b'officeDocument/2006/relationships/custom-properties" '
                    b'Target="docProps/custom.xml"/></Relationships>'))
            target.writestr(info, content)
        target.writestr("docProps/custom.xml", custom)
    return out.getvalue()


def test_a_document_larger_than_the_window_is_summarized_map_reduce(make_app,
                                                                     simulator: Simulator):
    paragraphs = [("Heading 1", f"Chapter {c}") if i == 0 else
                  ("", f"In chapter {c} the committee reviewed item {i}, which concerned "
                       f"budget line {c * 100 + i} and its effect on the regional programme.")
                  for c in range(1, 9) for i in range(12)]
    data = make_docx(paragraphs)
    client = make_app(gpt_window=2200).test_client()
    response = client.post("/api/v1/summarize", headers={"Accept": "text/event-stream"},
                           data={"file": (io.BytesIO(data), "long.docx")})
    events = parse_sse(response.get_data(as_text=True))
    meta = dict(events)["meta"]
    assert response.status_code == 200 and meta["parts"] > 1
    calls = simulator.of("openai")
    assert len(calls) == meta["parts"] + 1  # one map call per part, then the reduce call
    reduce = str(calls[-1].body)
    assert "notes on each of its parts" in reduce
    mapped_ids = [set(re.findall(r"\[(p\d+)\]", c.body["messages"][-1]["content"]))
                  for c in calls[:-1]]
    assert all(mapped_ids) and not set.intersection(*mapped_ids)  # parts do not overlap
    cited = {pid for n, d in events if n == "citation" for pid in d["paragraph_ids"]}
    assert cited and cited <= set.union(*mapped_ids)
    reduce_words = sum(len(m["content"].split()) for m in calls[-1].body["messages"])
    assert dict(events)["usage"]["input_tokens"] > 2 * reduce_words  # map calls counted too
