"""POST /api/v1/summarize through the Flask client: inputs, options, streaming, errors."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from tests.helpers import make_docx, parse_sse

REPORT = [
    ("Title", "Annual Water Quality Report"),
    ("Heading 1", "Introduction"),
    ("", "The city tested drinking water at 120 sites across four districts during the year. "
         "Every site was sampled monthly and analysed by an accredited laboratory."),
    ("", "Residents asked for clearer reporting after the pipe replacement programme began. "
         "This report answers that request with district-level results."),
    ("Heading 1", "Results"),
    ("", "Lead levels fell in all four districts compared with the previous year. "
         "The largest drop, 38 percent, was measured in the northern district."),
    ("", "Nitrate concentrations stayed well below the legal limit at every site. "
         "Two sites showed brief turbidity spikes after heavy storms in March."),
    ("List Bullet", "Replace the remaining 900 lead service lines by 2027."),
    ("Heading 1", "Conclusion"),
    ("", "Water quality improved overall, driven by the pipe replacement programme. "
         "The city will publish quarterly results from next year."),
]


@pytest.fixture()
def report() -> bytes:
    return make_docx(REPORT)


def post_file(client: FlaskClient, data: bytes, name: str = "report.docx", **options: str):
    return client.post("/api/v1/summarize", data={"file": (__import__("io").BytesIO(data), name),
                                                   **options})


def test_docx_upload_returns_a_cited_summary(client: FlaskClient, report: bytes) -> None:
    response = post_file(client, report)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["provider"] == "local" and body["feature"] == "summarize"
    assert body["text"].strip() and body["citations"]
    numbers = {int(n) for n in re.findall(r"\[(\d+)\]", body["text"])}
    assert numbers == {c["n"] for c in body["citations"]}
    real_ids = {f"p{i}" for i in range(len(REPORT))}
    for citation in body["citations"]:
        assert set(citation["paragraph_ids"]) <= real_ids
    assert body["usage"]["input_tokens"] > 0 and body["usage"]["cost_usd"] == 0.0
    assert response.headers["X-Request-Id"] == body["request_id"]


def test_every_bullet_carries_a_citation(client: FlaskClient, report: bytes) -> None:
    body = post_file(client, report, style="bullets").json
    bullets = [line for line in body["text"].splitlines() if line.startswith("- ")]
    assert bullets and all(re.search(r"\[\d+\]\s*$", b) for b in bullets)


def test_stream_sends_meta_then_deltas_then_usage_and_done(client: FlaskClient,
                                                           report: bytes) -> None:
    response = client.post("/api/v1/summarize", headers={"Accept": "text/event-stream"},
                           data={"file": (__import__("io").BytesIO(report), "r.docx")})
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    events = parse_sse(response.get_data(as_text=True))
    names = [name for name, _ in events]
    assert names[0] == "meta" and names[-2:] == ["usage", "done"]
    assert "delta" in names and "citation" in names
    assert names.index("citation") < max(i for i, n in enumerate(names) if n == "delta")
    meta = events[0][1]
    assert meta["provider"] == "local" and meta["request_id"] == events[-1][1]["request_id"]
    streamed = "".join(data["text"] for name, data in events if name == "delta")
    assert streamed.strip()


def test_stream_and_json_carry_the_same_answer(client: FlaskClient, report: bytes) -> None:
    as_json = post_file(client, report).json
    streamed = client.post("/api/v1/summarize", headers={"Accept": "text/event-stream"},
                           data={"file": (__import__("io").BytesIO(report), "r.docx")})
    events = parse_sse(streamed.get_data(as_text=True))
    assert "".join(d["text"] for n, d in events if n == "delta") == as_json["text"]


def test_json_text_input(client: FlaskClient) -> None:
    text = "\n".join(p[1] for p in REPORT[2:4] + REPORT[5:7])
    response = client.post("/api/v1/summarize", json={"text": text, "length": "short"})
    assert response.status_code == 200
    assert response.json["citations"]


def test_json_paragraphs_keep_the_panes_ids(client: FlaskClient) -> None:
    paragraphs = [{"id": f"p{40 + i}", "text": text} for i, (_, text) in enumerate(REPORT[2:8])]
    body = client.post("/api/v1/summarize", json={"paragraphs": paragraphs}).json
    cited = {pid for c in body["citations"] for pid in c["paragraph_ids"]}
    assert cited and cited <= {f"p{40 + i}" for i in range(6)}


def test_raw_docx_body_is_accepted(client: FlaskClient, report: bytes) -> None:
    response = client.post("/api/v1/summarize", data=report, content_type=(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"))
    assert response.status_code == 200 and response.json["citations"]


def test_length_option_changes_the_answer(client: FlaskClient) -> None:
    long_text = "\n".join(f"Finding {i}: the {w} district reported {i * 7} incidents in "
                          f"{m}, which the council reviewed in detail at its {m} meeting."
                          for i, (w, m) in enumerate(
                              [(w, m) for w in ("north", "south", "east", "west")
                               for m in ("January", "April", "July", "October")]))
    short = client.post("/api/v1/summarize", json={"text": long_text, "length": "short"}).json
    long = client.post("/api/v1/summarize", json={"text": long_text, "length": "long"}).json
    assert len(short["citations"]) < len(long["citations"])


@pytest.mark.parametrize(("options", "fragment"), [
    ({"length": "huge"}, "length must be one of short, medium, long"),
    ({"style": "poem"}, "style must be one of bullets, paragraph, executive"),
    ({"language": "french!"}, "language must be auto or a language code"),
    ({"focus": "x" * 301}, "focus is limited to 300 characters"),
    ({"lenght": "short"}, "Unknown option 'lenght'"),
    ({"length": 3}, "length must be text"),
])
def test_bad_options_are_400_with_the_allowed_values(client: FlaskClient, options: dict,
                                                     fragment: str) -> None:
    response = client.post("/api/v1/summarize", json={"text": "Some text.", **options})
    assert response.status_code == 400
    error = response.json["error"]
    assert fragment in error["message"] and error["code"] == "bad_option"
    assert error["request_id"] == response.headers["X-Request-Id"]


@pytest.mark.parametrize(("kwargs", "status", "code"), [
    ({"json": {}}, 400, "no_input"),
    ({"json": {"text": "a", "paragraphs": ["b"]}}, 400, "no_input"),
    ({"json": {"paragraphs": "not a list"}}, 400, "bad_input"),
    ({"json": {"paragraphs": [{"id": "x1", "text": "a"}]}}, 400, "bad_request"),
    ({"data": "not json", "content_type": "application/json"}, 400, "bad_json"),
    ({"data": "hello", "content_type": "text/plain"}, 415, "unsupported_type"),
    ({"json": {"text": "   \n  "}}, 422, "empty_document"),
    ({"data": {"other": "x"}, "content_type": "multipart/form-data"}, 400, "no_input"),
    ({"data": {"other": "x"}}, 415, "unsupported_type"),
])
def test_bad_input_gets_a_clear_error(client: FlaskClient, kwargs: dict, status: int,
                                      code: str) -> None:
    response = client.post("/api/v1/summarize", **kwargs)
    assert response.status_code == status
    assert response.json["error"]["code"] == code
    assert response.json["error"]["message"]


def test_upload_over_the_limit_is_413(monkeypatch: pytest.MonkeyPatch, report: bytes) -> None:
    from addin import create_app

    client = create_app({"MAX_UPLOAD_MB": 0.01}).test_client()
    response = post_file(client, report + b"\0" * 20_000)
    assert response.status_code == 413
    assert response.json["error"]["code"] == "upload_too_large"
    assert "0.01 MB" in response.json["error"]["message"]


def test_a_legacy_doc_is_415_and_encrypted_is_422(client: FlaskClient) -> None:
    ole_magic = bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 600
    response = post_file(client, ole_magic, "old.doc")
    assert response.status_code in (415, 422)
    assert response.json["error"]["message"]
