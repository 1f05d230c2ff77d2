"""POST /api/v1/analyze: workbooks and range values in, narrative and cited insights out."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from addin import create_app
from addin.documents import read_workbook
from addin.documents.safety import Limits
from tests.fakes import Simulator, Step
from tests.helpers import corpus_files, make_docx, parse_sse

XLSX = corpus_files("xlsx")
REFUSED = {
    "poi_encrypted_VelvetSweatshop.xlsx": (422, "document_encrypted"),
    "poi_encrypted_password-is-tika.xlsx": (422, "document_encrypted"),
    "poi_encrypted_pwd123.xlsx": (422, "document_encrypted"),
    "poi_poc-xmlbomb_billion_laughs.xlsx": (422, "xml_entities_forbidden"),
}
SALES = {"name": "Sales", "address": "B3:E11", "values": [
    ["Region", "Month", "Units", "Revenue"],
    ["North", 45292, 10, 1000], ["South", 45292, 8, 800], ["East", 45292, 5, 500],
    ["North", 45323, 12, 1200], ["South", 45323, 7, 700], ["East", 45323, 5, "#DIV/0!"],
    ["North", 45352, 15, 1500], ["South", 45352, 6, 600],
]}


def analyze(client: FlaskClient, **kwargs: Any):
    return client.post("/api/v1/analyze", **kwargs)


@pytest.mark.skipif(not XLSX, reason="../shared/corpus/xlsx is absent")
@pytest.mark.parametrize("path", XLSX, ids=[p.name for p in XLSX])
def test_corpus_workbook_is_analyzed_or_refused_clearly(client: FlaskClient, path: Path):
    response = analyze(client, data={"file": (io.BytesIO(path.read_bytes()), path.name)})
    assert response.status_code != 500, response.json
    body = response.json
    if path.name in REFUSED:
        assert (response.status_code, body["error"]["code"]) == REFUSED[path.name]
    if response.status_code != 200:
        assert 400 <= response.status_code < 500 and body["error"]["message"]
        return
    workbook = read_workbook(path.read_bytes(), path.name, Limits())
    assert body["insights"], "a non-empty workbook gets at least one insight"
    assert all(workbook.range_exists(i["range"]) for i in body["insights"])
    assert body["narrative"].strip()
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", body["narrative"])}
    assert cited <= {i["n"] for i in body["insights"]} | {c["n"] for c in body["citations"]}


def test_range_values_keep_the_users_addresses(client: FlaskClient) -> None:
    body = analyze(client, json={"sheets": [SALES]}).json
    ranges = {i["range"] for i in body["insights"]}
    assert "Sales!E9" in ranges  # the #DIV/0! cell: row 7 of the values, from B3
    error = next(i for i in body["insights"] if i["kind"] == "error")
    assert error["severity"] == "critical" and "#DIV/0!" in error["title"] + error["detail"]
    for insight in body["insights"]:
        assert re.match(r"^Sales![A-Z]+\d+(:[A-Z]+\d+)?$", insight["range"])
        rows = [int(r) for r in re.findall(r"(\d+)", insight["range"])]
        assert all(3 <= row <= 11 for row in rows)


def test_a_simple_question_is_answered_offline(client: FlaskClient) -> None:
    body = analyze(client, json={"sheets": [SALES], "question": "total units by region"}).json
    answer = next(i for i in body["insights"] if i["kind"] == "answer")
    assert "North" in answer["detail"] and "37" in answer["detail"]
    assert body["narrative"].startswith(answer["detail"].split(".")[0][:20]) or \
        "North" in body["narrative"]


def test_stream_sends_meta_insights_narrative_usage_done(client: FlaskClient) -> None:
    response = analyze(client, json={"sheets": [SALES]},
                       headers={"Accept": "text/event-stream"})
    names = [n for n, _ in parse_sse(response.get_data(as_text=True))]
    assert names[0] == "meta" and names[-2:] == ["usage", "done"]
    assert names.index("insight") < names.index("delta")


@pytest.mark.parametrize(("kwargs", "status", "code"), [
    ({"json": {"sheets": [SALES], "colour": "red"}}, 400, "bad_option"),
    ({"json": {"sheets": [SALES], "question": "x" * 501}}, 400, "bad_option"),
    ({"json": {"text": "not cells"}}, 400, "no_input"),
    ({"json": {"sheets": "nope"}}, 400, "bad_request"),
    ({"json": {"sheets": [{"name": "S", "address": "A1", "values": []}]}}, 422,
     "empty_workbook"),
])
def test_bad_analyze_input_gets_a_clear_error(client: FlaskClient, kwargs: dict, status: int,
                                              code: str) -> None:
    response = analyze(client, **kwargs)
    assert response.status_code == status, response.json
    assert response.json["error"]["code"] == code


def test_a_word_file_sent_to_analyze_and_a_workbook_sent_to_summarize(client: FlaskClient):
    docx = make_docx([("", "Hello there, this is a document.")])
    response = analyze(client, data={"file": (io.BytesIO(docx), "a.docx")})
    assert response.status_code == 415
    workbook = _tiny_xlsx()
    response = client.post("/api/v1/summarize", data={"file": (io.BytesIO(workbook), "b.xlsx")})
    assert response.status_code == 415 and "Analyze" in response.json["error"]["message"]


def _tiny_xlsx() -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["a", "b"])
    book.active.append([1, 2])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ---- on a language model (the simulator) ------------------------------------------------

def llm_app(simulator: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Flask:
    monkeypatch.setenv("SIM_OPENAI_KEY", "sk-sim")
    config = tmp_path / "models.toml"
    config.write_text(f"""
[providers.gpt]
kind = "openai"
model = "gpt-test"
endpoint = "{simulator.url('openai')}"
api_key = "env:SIM_OPENAI_KEY"
price_in_per_mtok = 2.5
price_out_per_mtok = 10.0

[features.analyze]
primary = "gpt"
fallbacks = ["local"]
""")
    return create_app({"CONFIG": str(config), "RETRY_BACKOFF_S": 0.01})


def answer_json(*ranges: str,
                narrative: str = "Revenue grew in the North [[Sales!E4:E11]].") -> str:
    return json.dumps({"narrative": narrative, "insights": [
        {"title": f"Point {i}", "detail": "Detail.", "range": r, "kind": "trend",
         "severity": "info"} for i, r in enumerate(ranges)]})


def test_a_model_answer_is_validated_and_its_ranges_checked(simulator, tmp_path, monkeypatch):
    simulator.script(Step(text=answer_json("Sales!E4:E11", "Sales!Z99", "Nope!A1")))
    client = llm_app(simulator, tmp_path, monkeypatch).test_client()
    body = analyze(client, json={"sheets": [SALES]}).json
    assert body["provider"] == "gpt"
    assert [i["range"] for i in body["insights"]] == ["Sales!E4:E11"]
    assert body["narrative"] == "Revenue grew in the North [1]."
    assert any("2 insight(s)" in note for note in body["notes"])
    prompt = simulator.of("openai")[0].body["messages"]
    assert "Sales!" in prompt[-1]["content"] and "narrative" in prompt[0]["content"]
    assert body["usage"]["cost_usd"] > 0


def test_invalid_json_gets_one_repair_request(simulator, tmp_path, monkeypatch):
    simulator.script(Step(text="Sure! Here are insights: revenue is up."),
                     Step(text=answer_json("Sales!E4:E11")))
    client = llm_app(simulator, tmp_path, monkeypatch).test_client()
    body = analyze(client, json={"sheets": [SALES]}).json
    calls = simulator.of("openai")
    assert len(calls) == 2 and "could not be used" in calls[1].body["messages"][0]["content"]
    assert [i["range"] for i in body["insights"]] == ["Sales!E4:E11"] and not body["notes"]


def test_invalid_twice_falls_back_to_the_offline_insights_with_a_note(simulator, tmp_path,
                                                                       monkeypatch):
    simulator.script(Step(text="not json"), Step(text='{"narrative": 3}'))
    client = llm_app(simulator, tmp_path, monkeypatch).test_client()
    body = analyze(client, json={"sheets": [SALES]}).json
    assert len(simulator.of("openai")) == 2
    assert any(i["kind"] == "error" for i in body["insights"])
    assert any("offline engine" in note for note in body["notes"])


def test_a_1904_dated_workbook_reports_its_real_dates(client: FlaskClient) -> None:
    import openpyxl
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    book = openpyxl.Workbook()
    book.epoch = CALENDAR_MAC_1904
    book.active.append(["Month", "Sales"])
    for month in range(1, 13):
        book.active.append([date(2023, month, 1), 100 + 10 * month])
        book.active.cell(row=month + 1, column=1).number_format = "yyyy-mm-dd"
    out = io.BytesIO()
    book.save(out)
    body = analyze(client, data={"file": (io.BytesIO(out.getvalue()), "mac.xlsx")}).json
    text = body["narrative"] + " ".join(i["detail"] for i in body["insights"])
    assert "2023-01-01" in text and "2023-12-01" in text  # not shifted by four years
    trend = next(i for i in body["insights"] if i["kind"] == "trend")
    assert "Sales" in trend["title"] and trend["range"] == "Sheet!B2:B13"
