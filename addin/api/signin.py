"""What the task pane needs to sign in: the sign-in settings, and MSAL.js.

``GET /api/v1/auth/config`` tells the pane how to get a token: ``{"mode": "dev"}`` (no token
at all), or in entra mode the app registration's client id, the authority of the first
allowed tenant and the scope to ask for (``api://<client id>/access_as_user`` by default).
None of it is secret: it is what any token request to Entra ID names anyway.

``GET /vendor/msal-browser.min.js`` is Microsoft's MSAL.js as installed by ``npm ci`` from the
repository's package-lock.json (``node_modules/@azure/msal-browser/lib/``): a dependency, not a
copy in our source. The pane loads it only for nested app authentication; without it the pane
falls back to Office's own single sign-on. Both routes are public (see ``auth.PUBLIC_PATHS``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, send_from_directory

from ..errors import NotFound

bp = Blueprint("signin", __name__)

# Where npm puts MSAL.js; a module-level path so tests can point it elsewhere.
MSAL_DIR = Path(__file__).resolve().parents[2] / "node_modules" / "@azure" / "msal-browser" / "lib"
MSAL_FILE = "msal-browser.min.js"
VENDOR_MAX_AGE = 86400


def _split(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


def pane_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The pane's sign-in settings from the resolved ``ADDIN`` settings (pure).

    The audience is ``api://<client id>`` unless ADDIN_AUTH_AUDIENCE names an ``api://`` one
    (an Application ID URI of its own); the authority is the first allowed tenant's.
    """
    if settings["AUTH"] != "entra":
        return {"mode": "dev"}
    client_id = settings["AUTH_CLIENT_ID"]
    tenant = _split(settings["AUTH_TENANT_ID"])[0]
    named = [a for a in _split(settings["AUTH_AUDIENCE"]) if a.startswith("api://")]
    audience = (named[0] if named else f"api://{client_id}").rstrip("/")
    return {"mode": "entra", "client_id": client_id,
            "authority": f"https://login.microsoftonline.com/{tenant}",
            "scopes": [f"{audience}/{settings['AUTH_SCOPE']}"]}


@bp.get("/api/v1/auth/config")
def auth_config() -> Response:
    """How the pane gets a token for this service (public: asked before sign-in)."""
    response = jsonify(pane_settings(current_app.config["ADDIN"]))
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/vendor/msal-browser.min.js")
def msal_browser() -> Response:
    """MSAL.js from node_modules, cacheable for a day; 404 naming ``npm ci`` when absent."""
    if not (MSAL_DIR / MSAL_FILE).is_file():
        raise NotFound("MSAL.js is not installed on the server: run 'npm ci' (or 'make run') "
                       "in the add-in's folder. Until then the task pane signs in with Office "
                       "single sign-on only.", code="not_installed")
    response = send_from_directory(MSAL_DIR, MSAL_FILE, max_age=VENDOR_MAX_AGE,
                                   mimetype="text/javascript; charset=utf-8")
    response.cache_control.public = True
    response.cache_control.no_cache = None
    response.cache_control.max_age = VENDOR_MAX_AGE
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
