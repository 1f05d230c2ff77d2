"""POST /api/v1/feedback: a rating of one answer, stored with the model that gave it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from addin import create_app
from addin.models.usage import UsageRecord
from addin.store import FeedbackTotal, Store
from tests.fakes import Simulator, Step
from tests.helpers import inhouse_config, make_docx

DOC = make_docx([
    ("Heading 1", "Results"),
    ("", "Lead levels fell in all four districts compared with the previous year."),
    ("", "Nitrate concentrations stayed well below the legal limit at every site."),
])


def answer(client: FlaskClient) -> str:
    """Summarize DOC; the answer's request id (its usage records are not flushed yet)."""
    response = client.post("/api/v1/summarize", data={"file": (io.BytesIO(DOC), "d.docx")})
    assert response.status_code == 200
    return str(response.json["request_id"])


def store_of(app: Flask) -> Store:
    store: Store = app.extensions["addin.store"]
    return store


def test_a_rating_is_stored_with_the_model_that_answered(app: Flask, client: FlaskClient):
    request_id = answer(client)
    response = client.post("/api/v1/feedback", json={"request_id": request_id, "rating": "up"})
    assert response.status_code == 201, response.json
    assert response.json == {"request_id": request_id, "rating": "up", "comment": None,
                             "provider": "local", "model": "extractive-v1"}
    assert store_of(app).feedback_summary() == [
        FeedbackTotal(provider="local", model="extractive-v1", up=1, down=0, comments=0)]


def test_a_new_rating_of_the_same_answer_replaces_the_first(app: Flask, client: FlaskClient):
    request_id = answer(client)
    client.post("/api/v1/feedback", json={"request_id": request_id, "rating": "up"})
    response = client.post("/api/v1/feedback", json={
        "request_id": request_id, "rating": "down", "comment": "  Missed the nitrate part.  "})
    assert response.status_code == 200 and response.json["comment"] == "Missed the nitrate part."
    other = answer(client)
    client.post("/api/v1/feedback", json={"request_id": other, "rating": "up", "comment": ""})
    assert store_of(app).feedback_summary() == [
        FeedbackTotal(provider="local", model="extractive-v1", up=1, down=1, comments=1)]


@pytest.mark.parametrize(("body", "code"), [
    ({"rating": "up"}, "bad_input"),
    ({"request_id": "short", "rating": "up"}, "bad_input"),
    ({"request_id": "a" * 65, "rating": "up"}, "bad_input"),
    ({"request_id": "abc def ghi", "rating": "up"}, "bad_input"),
    ({"request_id": 12345678, "rating": "up"}, "bad_input"),
    ({"request_id": "0123456789abcdef", "rating": "meh"}, "bad_input"),
    ({"request_id": "0123456789abcdef"}, "bad_input"),
    ({"request_id": "0123456789abcdef", "rating": "up", "comment": 5}, "bad_input"),
    ({"request_id": "0123456789abcdef", "rating": "up", "comment": "x" * 1001},
     "comment_too_long"),
    ({"request_id": "0123456789abcdef", "rating": "up", "stars": 5}, "bad_input"),
])
def test_malformed_feedback_is_a_400_that_says_why(client: FlaskClient, body: dict,
                                                   code: str) -> None:
    response = client.post("/api/v1/feedback", json=body)
    assert response.status_code == 400
    assert response.json["error"]["code"] == code and response.json["error"]["message"]


def test_an_analysis_can_be_rated(app: Flask, client: FlaskClient) -> None:
    response = client.post("/api/v1/analyze", json={"sheets": [{
        "name": "Sales", "address": "A1:B4",
        "values": [["Region", "Units"], ["North", 10], ["South", 8], ["East", 5]]}]})
    request_id = response.json["request_id"]
    feedback = client.post("/api/v1/feedback", json={"request_id": request_id,
                                                     "rating": "down"})
    assert feedback.status_code == 201 and feedback.json["provider"] == "local"


def test_a_comment_of_1000_characters_is_kept_whole(app: Flask, client: FlaskClient):
    request_id = answer(client)
    response = client.post("/api/v1/feedback", json={
        "request_id": request_id, "rating": "down", "comment": "é" * 1000})
    assert response.status_code == 201 and response.json["comment"] == "é" * 1000


def test_an_unknown_request_id_is_a_404(client: FlaskClient) -> None:
    response = client.post("/api/v1/feedback", json={"request_id": "0123456789abcdef",
                                                     "rating": "up"})
    assert response.status_code == 404
    assert response.json["error"]["code"] == "unknown_request"
    assert "0123456789abcdef" in response.json["error"]["message"]


def test_not_json_is_refused(client: FlaskClient) -> None:
    assert client.post("/api/v1/feedback", data={"rating": "up"}).status_code == 415
    response = client.post("/api/v1/feedback", data="[1, 2]",
                           content_type="application/json")
    assert response.status_code == 400 and response.json["error"]["code"] == "bad_json"


def test_after_a_failover_the_model_that_answered_is_credited(simulator: Simulator,
                                                               tmp_path: Path) -> None:
    config = inhouse_config(simulator, tmp_path)
    simulator.script(Step("cut", after_chunks=2))
    app = create_app({"CONFIG": config, "RETRY_BACKOFF_S": 0.01})
    client = app.test_client()
    request_id = answer(client)
    response = client.post("/api/v1/feedback", json={"request_id": request_id, "rating": "up"})
    assert (response.json["provider"], response.json["model"]) == ("local", "extractive-v1")


def test_store_feedback_round_trip(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/feedback.sqlite")
    store.create_all()
    store.record_usage_many([
        UsageRecord(request_id="r-failed-only", feature="summarize", provider="gpt",
                    model="gpt-test", outcome="server_error"),
        UsageRecord(request_id="r-answered", feature="summarize", provider="gpt",
                    model="gpt-test", outcome="server_error"),
        UsageRecord(request_id="r-answered", feature="summarize", provider="claude",
                    model="claude-test", outcome="ok", failover_reason="server_error"),
    ])
    assert store.answered_by("r-answered") == ("claude", "claude-test")
    assert store.answered_by("r-failed-only") == (None, None)
    assert store.answered_by("r-unknown") is None
    assert store.record_feedback("r-answered", "up", None, "claude", "claude-test") is False
    assert store.record_feedback("r-failed-only", "down", "it failed") is False
    assert store.record_feedback("r-answered", "down", "on second thought",
                                 "claude", "claude-test") is True
    assert store.feedback_summary() == [
        FeedbackTotal(provider=None, model=None, up=0, down=1, comments=1),
        FeedbackTotal(provider="claude", model="claude-test", up=0, down=1, comments=1),
    ]
    with pytest.raises(ValueError, match="rating"):
        store.record_feedback("r-answered", "sideways")
    with pytest.raises(ValueError, match="1000"):
        store.record_feedback("r-answered", "up", "x" * 1001)
    store.close()
