"""GET /api/v1/auth/config and /vendor/msal-browser.min.js: what the pane needs to sign in,
reachable without a token."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from addin import create_app
from addin.api import signin
from tests.entra import CLIENT, OTHER_TENANT, TENANT, Jwks

MSAL_JS = "/*! msal test double */ var msal = {};\n"


@pytest.fixture()
def vendor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty node_modules/@azure/msal-browser/lib the route reads from."""
    folder = tmp_path / "msal-browser" / "lib"
    folder.mkdir(parents=True)
    monkeypatch.setattr(signin, "MSAL_DIR", folder)
    return folder


def entra(jwks: Jwks, **settings: str) -> Flask:
    return create_app({"AUTH": "entra", "AUTH_TENANT_ID": TENANT, "AUTH_CLIENT_ID": CLIENT,
                       "AUTH_JWKS_URL": jwks.url, **settings})


def test_dev_mode_needs_no_token(client: FlaskClient) -> None:
    response = client.get("/api/v1/auth/config")
    assert response.status_code == 200
    assert response.json == {"mode": "dev"}
    assert response.headers["X-Addin-Auth"] == "dev"
    assert response.headers["Cache-Control"] == "no-cache"


def test_entra_mode_names_the_registration_authority_and_scope(entra_app: Flask) -> None:
    response = entra_app.test_client().get("/api/v1/auth/config")  # no Authorization header
    assert response.status_code == 200
    assert response.json == {
        "mode": "entra", "client_id": CLIENT,
        "authority": f"https://login.microsoftonline.com/{TENANT}",
        "scopes": [f"api://{CLIENT}/access_as_user"],
    }
    assert "X-Addin-Auth" not in response.headers


def test_the_first_tenant_an_api_audience_and_the_scope_setting_are_used(jwks: Jwks) -> None:
    app = entra(jwks, AUTH_TENANT_ID=f"{OTHER_TENANT}, {TENANT}",
                AUTH_AUDIENCE=f"{CLIENT}, api://addin.contoso.example/{CLIENT}/",
                AUTH_SCOPE="Summaries.Read")
    config = app.test_client().get("/api/v1/auth/config").json
    assert config["authority"] == f"https://login.microsoftonline.com/{OTHER_TENANT}"
    assert config["scopes"] == [f"api://addin.contoso.example/{CLIENT}/Summaries.Read"]


def test_an_audience_without_api_uri_falls_back_to_the_client_id(jwks: Jwks) -> None:
    app = entra(jwks, AUTH_AUDIENCE=CLIENT)
    assert app.test_client().get("/api/v1/auth/config").json["scopes"] == [
        f"api://{CLIENT}/access_as_user"]


def test_msal_is_served_as_cacheable_javascript(vendor: Path, client: FlaskClient) -> None:
    (vendor / "msal-browser.min.js").write_text(MSAL_JS)
    response = client.get("/vendor/msal-browser.min.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.get_data(as_text=True) == MSAL_JS
    assert response.cache_control.public and response.cache_control.max_age == 86400
    assert not response.cache_control.no_cache
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers.get("ETag")
    again = client.get("/vendor/msal-browser.min.js",
                       headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_msal_is_public_in_entra_mode(vendor: Path, entra_app: Flask) -> None:
    (vendor / "msal-browser.min.js").write_text(MSAL_JS)
    assert entra_app.test_client().get("/vendor/msal-browser.min.js").status_code == 200
    assert entra_app.test_client().get("/api/v1/features").status_code == 401  # the API is not


def test_msal_missing_says_to_run_npm_ci(vendor: Path, client: FlaskClient) -> None:
    response = client.get("/vendor/msal-browser.min.js")
    assert response.status_code == 404
    error = response.json["error"]
    assert error["code"] == "not_installed"
    assert "npm ci" in error["message"]


@pytest.mark.parametrize("path", ["/vendor/msal-browser.js", "/vendor/../package.json",
                                  "/vendor/msal-browser.min.js.map"])
def test_nothing_else_of_node_modules_is_served(vendor: Path, client: FlaskClient,
                                                path: str) -> None:
    (vendor / "msal-browser.js").write_text(MSAL_JS)
    (vendor / "msal-browser.min.js.map").write_text("{}")
    assert client.get(path).status_code == 404


def test_the_default_path_is_the_repositorys_node_modules() -> None:
    repo = Path(__file__).resolve().parents[2]
    assert repo / "node_modules" / "@azure" / "msal-browser" / "lib" == signin.MSAL_DIR
