"""Sign-in from the task pane against a service in Entra mode: a token from Office SSO or from
nested app authentication (MSAL.js, served from node_modules, talking to the office double's
bridge) reaches the service as a bearer token; a refused token is renewed once; sign-in
failures and 403s are said in words; dev mode shows its banner."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask

from addin.api import signin
from tests.browser.conftest import Pane, word_config
from tests.entra import CLIENT, token

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

PARAGRAPHS = [
    {"text": "Water quality report", "style": "Title"},
    {"text": "The city tested drinking water at 120 sites across four districts.",
     "style": "Normal"},
    {"text": "Lead levels fell in all four districts compared with the previous year.",
     "style": "Normal"},
]
SCOPE = f"api://{CLIENT}/access_as_user"
SIGN_IN = "Sign in to Office with your work or school account, then try again."
BANNER = "Development sign-in: no Entra ID check. Not for production."


def pane_config(**overrides: Any) -> dict[str, Any]:
    """Word with three paragraphs, all selected: Summarize sends them as JSON."""
    return word_config(paragraphs=PARAGRAPHS, selection=[0, 3], **overrides)


def summarize(pane: Pane) -> list[Any]:
    """Summarize the selection; the summarize requests the page sent, in order."""
    sent: list[Any] = []
    pane.page.on("request", lambda r: sent.append(r) if "/api/v1/summarize" in r.url else None)
    pane.page.check("input[name=scope][value=selection]")
    pane.page.click("#run")
    return sent


def bearer(request: Any) -> str | None:
    return request.headers.get("authorization")


def expired() -> str:
    now = int(time.time())
    return token(iat=now - 7200, nbf=now - 7200, exp=now - 3600)


def test_a_token_from_office_sso_reaches_the_service(open_pane, entra_app: Flask) -> None:
    valid = token()
    pane = open_pane(pane_config(accessToken=valid), entra_app)
    sent = summarize(pane)
    expect(pane.page.locator("#status")).to_have_text("Done.")
    assert "120 sites" in pane.answer_text()
    assert [bearer(r) for r in sent] == [f"Bearer {valid}"]
    [call] = pane.calls("auth.getAccessToken")
    assert call["options"] == {"allowSignInPrompt": True, "allowConsentPrompt": True,
                               "forMSGraphAccess": False}
    with pane.page.expect_response("**/api/v1/feedback") as answered:
        pane.page.click("#thumb-up")
    assert answered.value.status == 201  # the feedback call carries the token too
    assert answered.value.request.headers["authorization"] == f"Bearer {valid}"
    assert len(pane.calls("auth.getAccessToken")) == 1  # the token was kept, not asked again
    expect(pane.page.locator("#dev-banner")).to_be_hidden()
    assert not pane.calls("naa.GetToken")


def test_an_expired_token_is_renewed_once(open_pane, entra_app: Flask) -> None:
    old, fresh = expired(), token()
    pane = open_pane(pane_config(accessToken=[old, fresh]), entra_app)
    statuses: list[int] = []
    pane.page.on("response", lambda r: statuses.append(r.status)
                 if "/api/v1/summarize" in r.url else None)
    sent = summarize(pane)
    expect(pane.page.locator("#status")).to_have_text("Done.")
    assert "120 sites" in pane.answer_text()
    assert [bearer(r) for r in sent] == [f"Bearer {old}", f"Bearer {fresh}"]
    assert statuses == [401, 200]
    assert len(pane.calls("auth.getAccessToken")) == 2
    expect(pane.page.locator("#error")).to_be_empty()


def test_not_signed_in_to_office_says_so(open_pane, entra_app: Flask) -> None:
    pane = open_pane(pane_config(accessToken={"code": 13001, "message": "not signed in"}),
                     entra_app)
    sent = summarize(pane)
    expect(pane.page.locator("#error")).to_have_text(SIGN_IN)
    expect(pane.page.locator("#run")).to_be_enabled()
    expect(pane.page.locator("#result")).to_be_hidden()
    assert sent == []  # nothing was sent without a token


@pytest.mark.parametrize(("code", "message"), [
    (13002, "Sign-in was cancelled: press the button again to sign in."),
    (13012, "Office cannot sign you in to the add-in here: update Office, or close and reopen "
            "the add-in."),
    (13999, "Sign-in failed: close and reopen the add-in, then try again."),
])
def test_other_sso_failures_are_said_in_words(open_pane, entra_app: Flask, code: int,
                                              message: str) -> None:
    pane = open_pane(pane_config(accessToken={"code": code}), entra_app)
    summarize(pane)
    expect(pane.page.locator("#error")).to_have_text(message)


def test_sign_in_messages_in_french(open_pane, entra_app: Flask) -> None:
    pane = open_pane(pane_config(displayLanguage="fr-FR", accessToken={"code": 13001}),
                     entra_app)
    summarize(pane)
    expect(pane.page.locator("#error")).to_have_text(
        "Connectez-vous à Office avec votre compte professionnel ou scolaire, puis réessayez.")


def test_a_403_shows_the_services_message(open_pane, entra_app: Flask) -> None:
    pane = open_pane(pane_config(accessToken=token(scp="User.Read")), entra_app)
    answer = entra_app.test_client().post(
        "/api/v1/summarize", json={"text": "x"},
        headers={"Authorization": f"Bearer {token(scp='User.Read')}"})
    assert answer.status_code == 403
    sent = summarize(pane)
    expect(pane.page.locator("#error")).to_have_text(answer.json["error"]["message"])
    assert len(sent) == 1  # a 403 is not retried
    assert len(pane.calls("auth.getAccessToken")) == 1


def test_dev_mode_shows_the_banner(open_pane) -> None:
    pane = open_pane(pane_config())  # the default app: AUTH=dev
    banner = pane.page.locator("#dev-banner")
    expect(banner).to_have_text(BANNER)
    expect(banner).to_be_visible()
    assert banner.get_attribute("role") == "status"
    width, client = pane.page.evaluate(
        "[document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]")
    assert width <= client
    summarize(pane)  # the banner blocks nothing
    expect(pane.page.locator("#status")).to_have_text("Done.")
    assert not pane.calls("auth.getAccessToken")  # no token asked for in dev mode
    fr = open_pane(pane_config(displayLanguage="fr-FR"))
    expect(fr.page.locator("#dev-banner")).to_have_text(
        "Connexion de développement : aucune vérification Entra ID. Pas pour la production.")


def test_entra_mode_shows_no_banner(open_pane, entra_app: Flask) -> None:
    pane = open_pane(pane_config(accessToken=token()), entra_app)
    summarize(pane)
    expect(pane.page.locator("#status")).to_have_text("Done.")
    expect(pane.page.locator("#dev-banner")).to_be_hidden()


# --- nested app authentication: the real MSAL.js, the office double's bridge ---------------

@pytest.fixture()
def msal_installed() -> None:
    if not (signin.MSAL_DIR / signin.MSAL_FILE).is_file():
        pytest.skip("MSAL.js is not installed: run 'npm ci' (make test does) for the nested "
                    "app authentication tests")


def naa_config(silent: list[Any], popup: list[Any] | None = None, **overrides: Any) -> dict:
    sets = {"WordApi": "1.4", "NestedAppAuth": "1.1"}
    return pane_config(sets=sets, naa={"silent": silent, "popup": popup or []}, **overrides)


def test_nested_app_auth_sends_the_bridges_token(open_pane, entra_app: Flask,
                                                 msal_installed: None) -> None:
    valid = token()
    pane = open_pane(naa_config([valid]), entra_app)
    sent = summarize(pane)
    expect(pane.page.locator("#status")).to_have_text("Done.")
    assert "120 sites" in pane.answer_text()
    assert [bearer(r) for r in sent] == [f"Bearer {valid}"]
    assert pane.calls("naa.GetInitContext")
    [asked] = pane.calls("naa.GetToken")
    # MSAL names the app registration; the authority stays the host's (the user's account)
    assert (asked["clientId"], asked["forceRefresh"]) == (CLIENT, False)
    assert SCOPE in asked["scope"].split()
    assert not pane.calls("auth.getAccessToken")  # Office SSO was not used
    assert pane.page.evaluate("document.querySelectorAll('script[src$=\"msal-browser.min.js\"]')"
                              ".length") == 1


def test_nested_app_auth_renews_a_refused_token(open_pane, entra_app: Flask,
                                                msal_installed: None) -> None:
    old, fresh = expired(), token()
    pane = open_pane(naa_config([old, fresh]), entra_app)
    sent = summarize(pane)
    expect(pane.page.locator("#status")).to_have_text("Done.")
    assert [bearer(r) for r in sent] == [f"Bearer {old}", f"Bearer {fresh}"]
    assert [c["forceRefresh"] for c in pane.calls("naa.GetToken")] == [False, True]


def test_nested_app_auth_asks_interactively_when_it_must(open_pane, entra_app: Flask,
                                                        msal_installed: None) -> None:
    valid = token()
    needed = {"status": "USER_INTERACTION_REQUIRED", "code": "interaction_required",
              "description": "consent needed"}
    pane = open_pane(naa_config([needed], [valid]), entra_app)
    sent = summarize(pane)
    expect(pane.page.locator("#status")).to_have_text("Done.")
    assert [bearer(r) for r in sent] == [f"Bearer {valid}"]
    assert len(pane.calls("naa.GetToken")) == 1
    [popup] = pane.calls("naa.GetTokenPopup")
    assert SCOPE in popup["scope"].split()


def test_nested_app_auth_cancelled_says_so(open_pane, entra_app: Flask,
                                           msal_installed: None) -> None:
    needed = {"status": "USER_INTERACTION_REQUIRED", "code": "interaction_required"}
    pane = open_pane(naa_config([needed], [{"status": "USER_CANCEL"}]), entra_app)
    sent = summarize(pane)
    expect(pane.page.locator("#error")).to_have_text(
        "Sign-in was cancelled: press the button again to sign in.")
    assert sent == []


def test_without_msal_on_the_server_office_sso_is_used(open_pane, entra_app: Flask,
                                                       tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(signin, "MSAL_DIR", tmp_path)  # as if npm ci was never run
    valid = token()
    pane = open_pane(naa_config([], accessToken=valid), entra_app)
    sent = summarize(pane)
    expect(pane.page.locator("#status")).to_have_text("Done.")
    assert [bearer(r) for r in sent] == [f"Bearer {valid}"]
    assert len(pane.calls("auth.getAccessToken")) == 1
    assert not pane.calls("naa.GetToken")
