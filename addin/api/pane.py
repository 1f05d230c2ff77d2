"""The task pane: GET /taskpane.html and its files under /taskpane/ (plain ES modules).

Office loads the page in its own browser view, and caches hard: the files are sent with
``no-cache`` so a new version shows at the next open. JavaScript and CSS get their content
type here rather than from the OS's table (on Windows the registry can map .js to text/plain,
which browsers refuse for module scripts). No X-Frame-Options: Office on the web shows the
pane in a frame.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, send_from_directory

bp = Blueprint("pane", __name__)

ROOT = Path(__file__).resolve().parents[1] / "static" / "taskpane"
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}


def _send(filename: str) -> Response:
    response = send_from_directory(ROOT, filename, max_age=0,
                                   mimetype=_TYPES.get(Path(filename).suffix.lower()))
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/taskpane.html")
def taskpane() -> Response:
    return _send("taskpane.html")


@bp.get("/taskpane/<path:filename>")
def taskpane_file(filename: str) -> Response:
    return _send(filename)
