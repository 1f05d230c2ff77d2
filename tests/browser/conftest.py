"""Browser tests: the task pane in headless Chromium against a live server.

The app runs on werkzeug's server in a thread (plain HTTP on 127.0.0.1). Office is played by
``office_double.js``, served in place of Microsoft's office.js; the page may load nothing else
from outside (any other request is refused, and fails the test). A failed test leaves a
screenshot of each page it opened in ``test-output/screenshots/``.

Chromium is Debian's (``/usr/bin/chromium``; ``PANE_TEST_CHROMIUM`` names another): the tests
are skipped when it is absent. ``playwright install`` is never needed.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from addin import create_app
from tests.fakes import Simulator, Step
from tests.helpers import inhouse_config

CHROMIUM = Path(os.environ.get("PANE_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
OFFICE_JS = "https://appsforoffice.microsoft.com/lib/1/hosted/office.js"
DOUBLE = (Path(__file__).parent / "office_double.js").read_text(encoding="utf-8")
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-output" / "screenshots"
PAGES = pytest.StashKey[list[Any]]()


def screenshot_dir() -> Path:
    """``test-output/screenshots/``, made on first use; the folder ignores itself in git."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    ignore = SCREENSHOTS.parent / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# screenshots of browser tests\n*\n")
    return SCREENSHOTS


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    report = yield
    if report.when == "call" and report.failed:
        saved = []
        for number, page in enumerate(item.stash.get(PAGES, [])):
            name = re.sub(r"[^\w.-]+", "_", item.name) + (f"-{number}" if number else "")
            path = screenshot_dir() / f"{name}.png"
            try:
                page.screenshot(path=str(path), full_page=True)
                saved.append(str(path))
            except Exception as exc:  # a crashed page must not hide the test's own failure
                saved.append(f"(no screenshot: {type(exc).__name__})")
        if saved:
            report.sections.append(("screenshots", "\n".join(saved)))
    return report


# One browser per module, not per session: while Playwright's sync API runs, its event loop
# counts as running in this thread, and tests elsewhere that call asyncio.run() would fail.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (Debian: apt-get install "
                    "chromium; or set PANE_TEST_CHROMIUM)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        # launch() gives every run a fresh, throwaway user-data directory
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def serve() -> Iterator[Callable[[Flask], str]]:
    """Start an app on a free port in a thread; returns its base URL."""
    servers = []

    def start(app: Flask) -> str:
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@dataclass
class Pane:
    """One task pane page, its server and what the page did."""

    page: Any
    url: str
    app: Flask
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def calls(self, api: str | None = None) -> list[dict[str, Any]]:
        """The Office calls the page made (window.__officeCalls), of one api if given."""
        calls: list[dict[str, Any]] = self.page.evaluate("window.__officeCalls")
        return [c for c in calls if api is None or c["api"] == api]

    def wait_calls(self, api: str, count: int = 1) -> list[dict[str, Any]]:
        """The calls of ``api`` once at least ``count`` of them were synced (Office calls are
        asynchronous: a click returns before the pane has made them)."""
        self.page.wait_for_function(
            "([api, count]) => window.__officeCalls.filter("
            "c => c.api === api && c.synced).length >= count", arg=[api, count])
        return self.calls(api)

    def answer_text(self) -> str:
        return str(self.page.locator("#answer").inner_text())


def word_config(**overrides: Any) -> dict[str, Any]:
    return {"host": "Word", "displayLanguage": "en-US", "sets": {"WordApi": "1.4"},
            **overrides}


def excel_config(**overrides: Any) -> dict[str, Any]:
    return {"host": "Excel", "displayLanguage": "en-US", "sets": {"ExcelApi": "1.12"},
            **overrides}


def _guarded_page(browser: Any, url: str, width: int, request: pytest.FixtureRequest,
                  contexts: list[Any], context_options: dict[str, Any]
                  ) -> tuple[Any, list[str], list[str]]:
    """A page in a new browser context (added to ``contexts`` for closing) that may load only
    from ``url``: (page, the requests it refused, its uncaught errors). Its screenshot is
    kept should the test fail."""
    context = browser.new_context(viewport={"width": width, "height": 900}, **context_options)
    contexts.append(context)
    page = context.new_page()
    page.set_default_timeout(10_000)
    request.node.stash.setdefault(PAGES, []).append(page)
    blocked: list[str] = []
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def guard(route: Any) -> None:
        if route.request.url.startswith(url + "/"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    return page, blocked, errors


@pytest.fixture()
def open_pane(browser: Any, serve: Callable[[Flask], str],
              request: pytest.FixtureRequest) -> Iterator[Callable[..., Pane]]:
    """open_pane(office_config, app=None, width=320, **context_options) → a Pane showing
    /taskpane.html, once the pane's form is visible."""
    contexts = []
    panes: list[Pane] = []

    def open_(config: dict[str, Any], app: Flask | None = None, width: int = 320,
              **context_options: Any) -> Pane:
        app = app or create_app()
        url = serve(app)
        page, blocked, errors = _guarded_page(browser, url, width, request, contexts,
                                              context_options)
        pane = Pane(page, url, app, blocked, errors)
        panes.append(pane)
        # nothing leaves this machine but the office.js double
        page.route(OFFICE_JS, lambda route: route.fulfill(
            status=200, content_type="text/javascript", body=DOUBLE))
        page.add_init_script(f"window.__officeConfig = {json.dumps(config)};")
        page.goto(url + "/taskpane.html")
        page.locator("#ask").wait_for(state="visible")
        return pane

    yield open_
    for context in contexts:
        context.close()
    for pane in panes:
        assert not pane.blocked, f"the pane tried to load outside resources: {pane.blocked}"
        assert not pane.errors, f"uncaught errors in the page: {pane.errors}"


@pytest.fixture()
def model_app(simulator: Simulator, tmp_path: Path) -> Callable[..., Flask]:
    """An app whose Summarize goes first to an in-house OpenAI-compatible model played by the
    vendor simulator (scripted with ``steps``), then to the offline engine."""

    def make(*steps: Step) -> Flask:
        simulator.script(*steps)
        return create_app({"CONFIG": inhouse_config(simulator, tmp_path),
                           "RETRY_BACKOFF_S": 0.01,
                           "STALL_TIMEOUT_S": 5})

    return make


@dataclass
class Console:
    """One admin console page, its server and what the page did."""

    page: Any
    url: str
    app: Flask
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def goto(self, path: str) -> None:
        self.page.goto(self.url + path)


@pytest.fixture()
def open_console(browser: Any, serve: Callable[[Flask], str],
                 request: pytest.FixtureRequest) -> Iterator[Callable[..., Console]]:
    """open_console(app=None, path="/admin", width=1024, **context_options) → a Console
    showing ``path`` (None: nothing yet, so routes can be added first). Requests outside
    the server are refused, and any, or an uncaught page error, fails the test."""
    contexts = []
    consoles: list[Console] = []

    def open_(app: Flask | None = None, path: str | None = "/admin", width: int = 1024,
              **context_options: Any) -> Console:
        app = app or create_app()
        url = serve(app)
        page, blocked, errors = _guarded_page(browser, url, width, request, contexts,
                                              context_options)
        console = Console(page, url, app, blocked, errors)
        consoles.append(console)
        if path is not None:
            console.goto(path)
        return console

    yield open_
    for context in contexts:
        context.close()
    for console in consoles:
        assert not console.blocked, f"the console loaded outside resources: {console.blocked}"
        assert not console.errors, f"uncaught errors in the console: {console.errors}"
