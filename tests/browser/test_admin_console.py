"""The admin console in a real browser: changing a feature's model, the fallback editor, the
providers' Test button, Compare, Limits, the audit log, and signing in with (a stand-in for)
MSAL.js in entra mode."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from addin import create_app
from addin.models.base import ProviderEntry
from tests.browser.conftest import Console
from tests.entra import BODY, CLIENT, TENANT, Jwks, token
from tests.fakes import Simulator, Step
from tests.helpers import make_docx, parse_sse

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

BANNER = "Development sign-in: everyone is an admin. Not for production."
NAV = ["Features", "Providers", "Health", "Usage", "Compare", "Limits", "Audit"]
MISSING = {"status": 404, "content_type": "application/json", "body": json.dumps(
    {"error": {"code": "not_found", "message": "No such endpoint.", "request_id": "r"}})}


@pytest.fixture()
def console_app(simulator: Simulator, tmp_path: Path) -> Callable[..., Flask]:
    """An app with an in-house model played by the simulator, assigned to nothing yet."""
    pytest.importorskip("langchain_openai")

    def make(**settings: Any) -> Flask:
        config = tmp_path / "models.toml"
        config.write_text(f"""
[providers.inhouse]
kind = "openai_compatible"
model = "llama-test"
endpoint = "{simulator.url('compat')}"
in_house = true
""")
        return create_app({"CONFIG": str(config), "RETRY_BACKOFF_S": 0.01, **settings})

    return make


def summarize_by_stream(console: Console) -> list[tuple[str, dict[str, Any]]]:
    """POST /api/v1/summarize from the page, as the task pane would, asking for SSE."""
    body = console.page.evaluate("""async (body) => {
        const response = await fetch("/api/v1/summarize", {method: "POST",
            headers: {"Content-Type": "application/json", Accept: "text/event-stream"},
            body: JSON.stringify(body)});
        return await response.text();
    }""", BODY)
    return parse_sse(body)


def test_the_admin_moves_summarize_to_the_in_house_model(
        open_console: Callable[..., Console], console_app: Callable[..., Flask],
        simulator: Simulator) -> None:
    console = open_console(console_app())
    page = console.page
    expect(page.locator(".dev-banner")).to_have_text(BANNER)
    [meta] = [data for name, data in summarize_by_stream(console) if name == "meta"]
    assert meta["provider"] == "local"

    page.select_option("#primary-summarize", "inhouse")
    page.select_option("#fallbacks-summarize-add", "local")
    page.get_by_role("button", name="Add the chosen fallback").first.click()
    expect(page.locator("#fallbacks-summarize")).to_have_value("local")
    page.get_by_role("button", name="Save summarize").click()
    expect(page.locator(".notice")).to_have_text("Saved the summarize settings.")
    expect(page.locator("#summarize .serving strong")).to_have_text("inhouse → local")

    events = summarize_by_stream(console)
    [meta] = [data for name, data in events if name == "meta"]
    assert (meta["provider"], meta["model"]) == ("inhouse", "llama-test")
    assert events[-1][0] == "done" and len(simulator.of("compat")) == 1

    page.get_by_role("link", name="Audit").click()
    row = page.locator("table.audit tbody tr").first
    expect(row).to_contain_text("assignment.update")
    expect(row).to_contain_text("summarize")
    expect(row).to_contain_text("Local developer")
    expect(row.locator("li", has_text="primary")).to_have_text('primary: "local" → "inhouse"')


def test_the_fallbacks_are_reordered_from_the_keyboard(
        open_console: Callable[..., Console], console_app: Callable[..., Flask]) -> None:
    console = open_console(console_app())
    page = console.page
    field = page.locator("#fallbacks-summarize")
    field.fill("inhouse, local")
    page.get_by_role("button", name="Move local up").focus()
    page.keyboard.press("Enter")
    expect(field).to_have_value("local, inhouse")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Move local down"
    page.keyboard.press("Enter")
    expect(field).to_have_value("inhouse, local")
    page.get_by_role("button", name="Remove inhouse").press("Enter")
    expect(field).to_have_value("local")
    page.select_option("#primary-summarize", "inhouse")
    page.get_by_role("button", name="Save summarize").press("Enter")
    expect(page.locator(".notice")).to_have_text("Saved the summarize settings.")
    assert console.app.extensions["addin.store"].assignments()["summarize"].fallbacks == (
        "local",)


def test_a_refused_change_is_shown_next_to_its_form(
        open_console: Callable[..., Console]) -> None:
    console = open_console()
    page = console.page
    page.fill("#temperature-analyze", "7")
    page.get_by_role("button", name="Save analyze").click()
    expect(page.locator("#error-analyze")).to_contain_text("at most 2")
    expect(page.locator("#temperature-analyze")).to_have_value("7")
    assert console.app.extensions["addin.store"].audit() == []


def test_every_page_is_labelled_and_fits_1024_pixels(
        open_console: Callable[..., Console]) -> None:
    console = open_console()
    page = console.page
    for label in NAV:
        page.get_by_role("link", name=label, exact=True).click()
        expect(page.locator("h1")).to_be_visible()
        expect(page.get_by_role("link", name=label, exact=True)).to_have_attribute(
            "aria-current", "page")
        expect(page.locator(".dev-banner")).to_be_visible()
        unlabeled = page.evaluate("""() => [...document.querySelectorAll(
            "input:not([type=hidden]), select, textarea")]
            .filter(el => !el.labels.length && !el.getAttribute("aria-label")).map(el => el.id)""")
        assert unlabeled == [], label
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1024, f"{label} is {width}px wide"
        cut = page.evaluate("""() => [...document.querySelectorAll(".scroll")]
            .filter(el => el.scrollWidth > el.clientWidth).length""")
        assert cut == 0, f"a table of {label} needs scrolling"


def test_the_usage_chart_is_drawn_inline(open_console: Callable[..., Console]) -> None:
    app = create_app()
    app.test_client().post("/api/v1/summarize", json=BODY)
    console = open_console(app, "/admin/usage")
    chart = console.page.get_by_role("img", name="Cost per day by provider", exact=False)
    expect(chart).to_be_visible()
    expect(console.page.locator("table").first).to_contain_text("extractive-v1")


# --- these use the lead's endpoints (admin_tools.py): provider test, compare, limits ------

def test_the_test_button_shows_the_latency(open_console: Callable[..., Console],
                                           console_app: Callable[..., Flask]) -> None:
    console = open_console(console_app(), "/admin/providers")
    console.page.get_by_role("button", name="Test inhouse").click()
    expect(console.page.locator("#test-inhouse")).to_have_text(
        re.compile(r"^Works: answered in \d+ ms\.$"))


def test_the_test_button_shows_the_vendors_error(open_console: Callable[..., Console],
                                                 console_app: Callable[..., Flask],
                                                 simulator: Simulator) -> None:
    app = console_app(MAX_RETRIES=0)
    simulator.script(Step(kind="status", status=401, message="Incorrect API key provided"))
    console = open_console(app, "/admin/providers")
    console.page.get_by_role("button", name="Test inhouse").click()
    expect(console.page.locator("#test-inhouse")).to_have_text(re.compile(r"^Failed after"))


def test_compare_shows_the_answers_side_by_side(open_console: Callable[..., Console],
                                                console_app: Callable[..., Flask]) -> None:
    console = open_console(console_app(), "/admin/compare")
    page = console.page
    page.get_by_label("inhouse").check()
    page.get_by_label("local").check()
    page.fill("#prompt", "Summarize: the city tested water at 120 sites; lead levels fell.")
    page.get_by_role("button", name="Compare").click()
    results = page.locator("#compare-results article.result")
    expect(results).to_have_count(2)
    expect(results.nth(0).locator("h2")).to_have_text("inhouse")
    expect(results.nth(1).locator("h2")).to_have_text("local")
    expect(results.nth(0)).to_contain_text("Latency")
    expect(results.nth(0).locator(".answer")).to_contain_text("Simulated")
    # the offline engine answers documents, not free prompts: its card says why
    expect(results.nth(1).locator(".problem")).not_to_be_empty()
    expect(page.locator("#compare-status")).to_contain_text("Done: 1 of 2 answered")


def test_compare_takes_a_document(open_console: Callable[..., Console]) -> None:
    console = open_console(path="/admin/compare")
    page = console.page
    store = console.app.extensions["addin.store"]
    store.upsert_provider(ProviderEntry(id="local2", kind="local", model="extractive-v1"))
    page.reload()
    page.get_by_label("local", exact=True).check()
    page.get_by_label("local2").check()
    docx = make_docx([("Heading 1", "Results"), ("", "Lead levels fell in every district.")])
    page.set_input_files("#file", files=[{"name": "r.docx", "buffer": docx,
                                           "mimeType": "application/octet-stream"}])
    page.get_by_role("button", name="Compare").click()
    expect(page.locator("#compare-results article.result")).to_have_count(2)
    expect(page.locator("#compare-status")).to_contain_text("(summarize)")


def test_limits_are_read_and_saved(open_console: Callable[..., Console]) -> None:
    console = open_console(path="/admin/limits")
    page = console.page
    expect(page.locator("#limits-form")).to_be_visible()
    page.fill("#rate-requests", "30")
    page.fill("#budget-summarize", "12.5")
    page.get_by_role("button", name="Save limits").click()
    expect(page.locator("#limits-status")).to_have_text("Saved the limits.")
    state = console.app.test_client().get("/api/v1/admin/limits").json
    assert state["rate_limit"] == {"requests": 30, "per_seconds": 60}
    assert state["budgets"]["summarize"] == 12.5 and state["budgets"]["analyze"] is None
    page.reload()
    expect(page.locator("#budget-summarize")).to_have_value("12.5")
    expect(page.locator("#spent-summarize")).to_contain_text("of $12.50")
    [entry] = console.app.extensions["addin.store"].audit()
    assert entry.action == "limits.update"


# --- the same pages when those endpoints are missing (an older server) ------------------

def test_without_the_tools_endpoints_the_pages_say_so(
        open_console: Callable[..., Console]) -> None:
    console = open_console(path=None)
    page = console.page
    for path in ("**/api/v1/admin/providers/*/test", "**/api/v1/admin/compare",
                 "**/api/v1/admin/limits"):
        page.route(path, lambda route: route.fulfill(**MISSING))
    console.goto("/admin/providers")
    page.get_by_role("button", name="Test local").click()
    expect(page.locator("#test-local")).to_have_text(
        "Testing a provider is not available on this server yet.")
    console.goto("/admin/limits")
    expect(page.locator("#limits-status")).to_have_text(
        "Limits are not available on this server yet.")
    console.app.extensions["addin.store"].upsert_provider(
        ProviderEntry(id="local2", kind="local", model="extractive-v1"))
    console.goto("/admin/compare")
    page.get_by_label("local", exact=True).check()
    page.fill("#prompt", "Hello")
    page.get_by_role("button", name="Compare").click()
    expect(page.locator("#compare-status")).to_have_text("Choose 2 to 4 providers.")
    page.get_by_label("local2").check()
    page.get_by_role("button", name="Compare").click()
    expect(page.locator("#compare-status")).to_have_text(
        "Comparing providers is not available on this server yet.")


# --- entra mode -------------------------------------------------------------------------

FAKE_MSAL = """window.msal = { PublicClientApplication: class {
    constructor(config) { window.__msalConfig = config; }
    async initialize() {}
    getAllAccounts() { return []; }
    async loginPopup(request) { window.__loginScopes = request.scopes; return {account: {}}; }
    async acquireTokenSilent() { return {accessToken: %s}; }
    async acquireTokenPopup() { throw new Error("no popup in tests"); }
} };"""


def _entra_console(open_console: Callable[..., Console], jwks: Jwks, roles: list[str]) -> Console:
    app = create_app({"AUTH": "entra", "AUTH_TENANT_ID": TENANT, "AUTH_CLIENT_ID": CLIENT,
                      "AUTH_JWKS_URL": jwks.url})
    console = open_console(app, path=None)
    console.page.route("**/vendor/msal-browser.min.js", lambda route: route.fulfill(
        status=200, content_type="text/javascript",
        body=FAKE_MSAL % json.dumps(token(roles=roles))))
    return console


def test_an_admin_signs_in_with_msal_and_out_again(open_console: Callable[..., Console],
                                                  jwks: Jwks) -> None:
    console = _entra_console(open_console, jwks, ["Addin.Admin"])
    page = console.page
    console.goto("/admin/usage")
    assert page.url.endswith("/admin/signin?next=%2Fadmin%2Fusage")
    expect(page.locator(".dev-banner")).to_have_count(0)
    expect(page.get_by_role("button", name="Sign in with Microsoft")).to_be_enabled()
    config = page.evaluate("window.__msalConfig")
    assert config["auth"]["clientId"] == CLIENT
    assert config["auth"]["authority"].endswith(TENANT)
    page.get_by_role("button", name="Sign in with Microsoft").click()
    page.wait_for_url("**/admin/usage")
    expect(page.locator("h1")).to_have_text("Usage")
    expect(page.locator(".signout")).to_contain_text("Signed in as Ada Lovelace")
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["addin_console"]["httpOnly"] and cookies["addin_console"]["sameSite"] == "Strict"
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/admin/signin")
    console.goto("/admin")
    assert "/admin/signin" in page.url


def test_a_user_without_the_admin_role_is_told_why(open_console: Callable[..., Console],
                                                   jwks: Jwks) -> None:
    console = _entra_console(open_console, jwks, ["Other"])
    page = console.page
    console.goto("/admin/signin")
    page.get_by_role("button", name="Sign in with Microsoft").click()
    expect(page.locator("#signin-status")).to_contain_text("Addin.Admin")
    serializer = console.app.session_interface.get_signing_serializer(console.app)
    held = [serializer.loads(c["value"]) for c in page.context.cookies()
            if c["name"] == "addin_console"]
    assert all("principal" not in data for data in held)
