"""Sign-in: Entra ID tokens signed by a test RSA key, checked against a JWKS served locally."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from jwt.algorithms import RSAAlgorithm

from addin import create_app
from addin.errors import ConfigError
from tests.entra import (
    BODY,
    CLIENT,
    OTHER_KEY,
    OTHER_TENANT,
    PUBLIC_PEM,
    TENANT,
    Jwks,
    token,
    unsigned_token,
)


def call(app: Flask, bearer: str | None = None, header: str | None = None):
    headers = {}
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    if header is not None:
        headers["Authorization"] = header
    return app.test_client().post("/api/v1/summarize", json=BODY, headers=headers)


def usage(app: Flask) -> list[Any]:
    app.extensions["addin.recorder"].flush()
    return list(app.extensions["addin.store"].usage())


def test_a_valid_user_token_is_accepted_and_recorded(entra_app: Flask, jwks: Jwks) -> None:
    response = call(entra_app, token())
    assert response.status_code == 200, response.json
    assert "X-Addin-Auth" not in response.headers and "WWW-Authenticate" not in response.headers
    assert usage(entra_app)
    assert jwks.fetches == 1
    call(entra_app, token())
    assert jwks.fetches == 1  # keys are cached


def test_the_principal_carries_tenant_user_roles_and_scopes(entra_app: Flask) -> None:
    from flask import g

    seen = {}

    @entra_app.get("/api/v1/_whoami")
    def whoami() -> dict[str, str]:
        seen["principal"] = g.principal
        return {}

    headers = {"Authorization": f"Bearer {token(roles=['Addin.Admin'])}"}
    assert entra_app.test_client().get("/api/v1/_whoami", headers=headers).status_code == 200
    principal = seen["principal"]
    assert principal.key == f"{TENANT}:user-oid-1" and principal.name == "Ada Lovelace"
    assert principal.is_admin and principal.scopes == frozenset({"access_as_user"})


def test_a_valid_admin_token_is_accepted(entra_app: Flask) -> None:
    assert call(entra_app, token(roles=["Addin.Admin"])).status_code == 200


def test_the_v1_issuer_and_the_api_audience_are_accepted(entra_app: Flask) -> None:
    assert call(entra_app, token(iss=f"https://sts.windows.net/{TENANT}/")).status_code == 200
    assert call(entra_app, token(aud=f"api://{CLIENT}")).status_code == 200


def _expect(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.json
    error = response.json["error"]
    assert error["code"] == code and error["message"]
    assert error["request_id"] == response.headers["X-Request-Id"]


@pytest.mark.parametrize("make", [
    pytest.param(lambda: token(exp=int(time.time()) - 120), id="expired"),
    pytest.param(lambda: token(nbf=int(time.time()) + 600), id="not-yet-valid"),
    pytest.param(lambda: token(aud="api://someone-else"), id="wrong-audience"),
    pytest.param(lambda: token(iss="https://evil.example/v2.0"), id="wrong-issuer"),
    pytest.param(lambda: token(tid=OTHER_TENANT,
                               iss=f"https://login.microsoftonline.com/{OTHER_TENANT}/v2.0"),
                 id="other-tenant-and-issuer"),
    pytest.param(lambda: token(tid=OTHER_TENANT), id="other-tenant"),
    pytest.param(lambda: token(key=OTHER_KEY), id="bad-signature"),
    pytest.param(lambda: token(oid=None), id="no-oid"),
    pytest.param(lambda: token(exp=None), id="no-exp"),
    pytest.param(lambda: unsigned_token("none"), id="alg-none"),
    pytest.param(lambda: unsigned_token("HS256", PUBLIC_PEM), id="hs256-with-public-key"),
    pytest.param(lambda: "not.a.token", id="garbage"),
])
def test_an_invalid_token_is_refused_and_nothing_is_recorded(
        entra_app: Flask, make: Callable[[], str]) -> None:
    raw = make()
    response = call(entra_app, raw)
    _expect(response, 401, "invalid_token")
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer error="invalid_token", error_description="')
    assert raw not in response.get_data(as_text=True) and raw not in challenge
    assert usage(entra_app) == []


def test_a_token_within_the_leeway_is_accepted(entra_app: Flask) -> None:
    now = int(time.time())
    assert call(entra_app, token(exp=now - 30, nbf=now + 30)).status_code == 200


def test_an_unknown_kid_refreshes_the_keys_once_then_is_refused(
        entra_app: Flask, jwks: Jwks) -> None:
    assert call(entra_app, token()).status_code == 200
    assert jwks.fetches == 1
    _expect(call(entra_app, token(kid="rotated")), 401, "invalid_token")
    assert jwks.fetches == 2
    _expect(call(entra_app, token(kid="another")), 401, "invalid_token")
    assert jwks.fetches == 2  # within 60 s: no refetch
    assert usage(entra_app)[0].outcome == "ok" and len(usage(entra_app)) == 1


def test_a_rotated_key_is_picked_up_on_refresh(entra_app: Flask, jwks: Jwks) -> None:
    assert call(entra_app, token()).status_code == 200
    jwk = json.loads(RSAAlgorithm.to_jwk(OTHER_KEY.public_key()))
    jwks.document["keys"].append({**jwk, "kid": "rotated"})
    assert call(entra_app, token(key=OTHER_KEY, kid="rotated")).status_code == 200
    assert jwks.fetches == 2


def test_a_user_token_without_the_scope_is_forbidden(entra_app: Flask) -> None:
    response = call(entra_app, token(scp="User.Read"))
    _expect(response, 403, "insufficient_scope")
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
    assert usage(entra_app) == []


def test_an_app_token_needs_a_role(entra_app: Flask) -> None:
    _expect(call(entra_app, token(scp=None, idtyp="app")), 403, "insufficient_scope")
    assert call(entra_app, token(scp=None, idtyp="app", roles=["Addin.Admin"])).status_code == 200


def test_no_authorization_header_is_401_with_a_challenge(entra_app: Flask) -> None:
    response = call(entra_app)
    _expect(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert usage(entra_app) == []


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer a b", "token"])
def test_a_malformed_authorization_header_is_401(entra_app: Flask, header: str) -> None:
    response = call(entra_app, header=header)
    _expect(response, 401, "invalid_token")
    assert "WWW-Authenticate" in response.headers
    assert usage(entra_app) == []


def test_other_api_routes_need_a_token_too(entra_app: Flask) -> None:
    client = entra_app.test_client()
    assert client.get("/api/v1/features").status_code == 401
    headers = {"Authorization": f"Bearer {token()}"}
    assert client.get("/api/v1/features", headers=headers).status_code == 200


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/manifest.xml", "/taskpane.html",
                                  "/taskpane/main.js"])
def test_public_routes_stay_open_in_entra_mode(entra_app: Flask, jwks: Jwks, path: str) -> None:
    response = entra_app.test_client().get(path)
    assert response.status_code == 200, path
    assert jwks.fetches == 0


def test_assets_stay_open_in_entra_mode(entra_app: Flask) -> None:
    import re

    manifest = entra_app.test_client().get("/manifest.xml").get_data(as_text=True)
    asset = re.search(r"/assets/[\w.-]+\.png", manifest)
    assert asset
    assert entra_app.test_client().get(asset.group(0)).status_code == 200


def test_unreachable_keys_are_503_not_401(jwks: Jwks) -> None:
    app = create_app({"AUTH": "entra", "AUTH_TENANT_ID": TENANT, "AUTH_CLIENT_ID": CLIENT,
                      "AUTH_JWKS_URL": "http://127.0.0.1:9/keys"})
    _expect(call(app, token()), 503, "auth_unavailable")


class TestAdmin:
    @pytest.fixture()
    def admin_app(self, entra_app: Flask) -> Flask:
        from addin.auth import require_admin

        @entra_app.get("/api/v1/admin/ping")
        @require_admin
        def ping() -> dict[str, bool]:
            return {"ok": True}

        return entra_app

    def test_an_admin_may_call_admin_routes(self, admin_app: Flask) -> None:
        headers = {"Authorization": f"Bearer {token(roles=['Addin.Admin'])}"}
        assert admin_app.test_client().get("/api/v1/admin/ping", headers=headers).json == {
            "ok": True}

    def test_a_user_without_the_role_is_forbidden(self, admin_app: Flask) -> None:
        headers = {"Authorization": f"Bearer {token(roles=['Other'])}"}
        response = admin_app.test_client().get("/api/v1/admin/ping", headers=headers)
        _expect(response, 403, "forbidden")
        assert "Addin.Admin" in response.json["error"]["message"]


class TestDevMode:
    def test_dev_mode_marks_every_response(self) -> None:
        client = create_app().test_client()
        response = client.post("/api/v1/summarize", json=BODY)
        assert response.status_code == 200 and response.headers["X-Addin-Auth"] == "dev"
        assert client.get("/healthz").headers["X-Addin-Auth"] == "dev"

    @pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
    def test_dev_mode_is_allowed_on_loopback(self, host: str) -> None:
        create_app({"HOST": host})

    def test_dev_mode_on_every_interface_fails_at_start_up(self) -> None:
        with pytest.raises(ConfigError, match="local development only"):
            create_app({"HOST": "0.0.0.0"})


class TestEntraConfig:
    def test_entra_without_a_tenant_fails_at_start_up(self) -> None:
        with pytest.raises(ConfigError, match="ADDIN_AUTH_TENANT_ID"):
            create_app({"AUTH": "entra", "AUTH_CLIENT_ID": CLIENT})

    def test_entra_without_a_client_id_fails_at_start_up(self) -> None:
        with pytest.raises(ConfigError, match="ADDIN_AUTH_CLIENT_ID"):
            create_app({"AUTH": "entra", "AUTH_TENANT_ID": TENANT})

    def test_a_tenant_name_instead_of_a_guid_fails_at_start_up(self) -> None:
        with pytest.raises(ConfigError, match="AUTH_TENANT_ID"):
            create_app({"AUTH": "entra", "AUTH_TENANT_ID": "contoso.com",
                        "AUTH_CLIENT_ID": CLIENT})

    def test_entra_mode_may_listen_on_every_interface(self, jwks: Jwks) -> None:
        create_app({"AUTH": "entra", "AUTH_TENANT_ID": TENANT, "AUTH_CLIENT_ID": CLIENT,
                    "HOST": "0.0.0.0"})

    def test_defaults_cover_both_issuers_and_audiences_of_each_tenant(self) -> None:
        from addin.auth import AuthConfig
        from addin.config import load_settings

        settings = load_settings({}, {"AUTH": "entra", "AUTH_CLIENT_ID": CLIENT,
                                      "AUTH_TENANT_ID": f"{TENANT},{OTHER_TENANT.upper()}"})
        config = AuthConfig.from_settings(settings)
        assert config.audiences == (CLIENT, f"api://{CLIENT}")
        assert f"https://sts.windows.net/{OTHER_TENANT}/" in config.issuers
        assert len(config.issuers) == 4 and len(config.jwks_urls) == 2
        assert config.jwks_urls[0] == (
            f"https://login.microsoftonline.com/{TENANT}/discovery/v2.0/keys")
