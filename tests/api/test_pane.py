"""GET /taskpane.html and /taskpane/<file>: the pane's files, and the rules its code keeps."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from addin.api.pane import ROOT

MODULES = sorted(ROOT.glob("*.js"))


def test_the_page_and_its_modules_are_served(client: FlaskClient) -> None:
    page = client.get("/taskpane.html")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert page.headers["Cache-Control"] == "no-cache"
    html = page.get_data(as_text=True)
    for src in re.findall(r'(?:src|href)="(taskpane/[^"]+)"', html):
        assert client.get("/" + src).status_code == 200, src
    script = client.get("/taskpane/main.js")
    assert script.mimetype == "text/javascript"  # module scripts need a JavaScript type
    assert script.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/taskpane/taskpane.css").mimetype == "text/css"


@pytest.mark.parametrize("path", ["/taskpane/nothing.js", "/taskpane/../pane.py",
                                  "/taskpane/%2e%2e/pane.py", "/taskpane/../../store.py"])
def test_only_the_panes_files_are_served(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_office_js_comes_from_microsofts_cdn_before_the_modules() -> None:
    html = (ROOT / "taskpane.html").read_text()
    office = html.index('<script src="https://appsforoffice.microsoft.com/lib/1/hosted/office.js">')
    assert office < html.index('<script type="module" src="taskpane/main.js">')
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", html + "".join(
        p.read_text() for p in [*MODULES, ROOT / "taskpane.css"])))
    assert urls == {"https://appsforoffice.microsoft.com/lib/1/hosted/office.js"}


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_modules_stay_small_and_never_write_html(path) -> None:
    source = path.read_text()
    assert len(source.splitlines()) < 250
    assert not re.search(r"\.(innerHTML|outerHTML)\b|insertAdjacentHTML|document\.write\b|"
                         r"\beval\(|new Function\(", source)


def test_no_inline_script_or_event_handler() -> None:
    html = (ROOT / "taskpane.html").read_text()
    assert not re.search(r"\son[a-z]+\s*=", html)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # every script is a file
    assert "style=" not in html
