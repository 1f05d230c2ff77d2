from __future__ import annotations

from flask.testing import FlaskClient


def test_healthz(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_readyz_reports_a_provider_per_feature(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["features"]["summarize"] == {"ready": True, "providers": ["local"]}


def test_features_lists_options_and_the_serving_model(client: FlaskClient) -> None:
    features = client.get("/api/v1/features").json["features"]
    summarize = next(f for f in features if f["name"] == "summarize")
    assert summarize["provider"] == "local" and set(summarize["options"]) >= {"length", "style"}


def test_unknown_route_and_wrong_method_use_the_error_shape(client: FlaskClient) -> None:
    missing = client.get("/api/v1/nope")
    assert missing.status_code == 404
    assert set(missing.json["error"]) == {"code", "message", "request_id"}
    wrong = client.get("/api/v1/summarize")
    assert wrong.status_code == 405 and wrong.json["error"]["code"] == "method_not_allowed"


def test_a_sane_incoming_request_id_is_kept(client: FlaskClient) -> None:
    response = client.get("/healthz", headers={"X-Request-Id": "abc12345-trace"})
    assert response.headers["X-Request-Id"] == "abc12345-trace"
    hostile = client.get("/healthz", headers={"X-Request-Id": "<script>alert(1)</script>"})
    assert hostile.headers["X-Request-Id"] != "<script>alert(1)</script>"
    assert len(hostile.headers["X-Request-Id"]) == 32
