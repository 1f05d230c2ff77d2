"""What Office fetches to load the add-in: the manifest and the icons.

``GET /manifest.xml`` is the manifest rendered for ``ADDIN_PUBLIC_URL`` (what Office on the
web's "Upload My Add-in" and ``addin check-manifest`` read). ``GET /assets/<file>`` serves
``addin/static/assets/`` (the icons) with ``Cache-Control: public, max-age=86400``: Office
caches add-in icons and refuses, or shows blank, icons sent with ``no-cache``, which is what
Flask sends for static files by default.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, send_from_directory

from ..icons import ASSETS
from ..manifest import manifest_for

bp = Blueprint("addin_files", __name__)

ASSET_MAX_AGE = 86400


@bp.get("/manifest.xml")
def manifest() -> Response:
    """The add-in manifest, with every URL under the configured public URL (and Office SSO
    declared when sign-in is Entra)."""
    xml = manifest_for(current_app.config["ADDIN"])
    response = Response(xml, mimetype="application/xml")
    response.headers["Cache-Control"] = "no-cache"  # a new deployment shows at once
    return response


@bp.get("/assets/<name>")
def asset(name: str) -> Response:
    """A file of ``addin/static/assets/`` (404 for anything else), cacheable for a day."""
    response = send_from_directory(ASSETS, name, max_age=ASSET_MAX_AGE)
    response.cache_control.public = True
    response.cache_control.no_cache = None
    response.cache_control.max_age = ASSET_MAX_AGE
    return response
