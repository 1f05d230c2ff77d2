"""Security headers on every response, in one place.

* The task pane may run only our own code and Office's (office.js from Office's CDN, which
  also loads its host-specific scripts from there), and may be framed only by Office on the
  web (``frame-ancestors``); desktop Office shows it in a webview, where framing rules do not
  apply. Inline styles are allowed because office.js's web scripts set them.
* The console sets its own, stricter policy (see ``console.py``); it is left as it is.
* Everything else (JSON, event streams, files) gets a policy that allows nothing at all and no
  framing: a response of ours opened directly in a browser cannot run anything.
* ``nosniff`` everywhere, no referrer sent, and HSTS when served over https.
"""

from __future__ import annotations

from flask import Flask, Response, request

OFFICE_CDN = "https://appsforoffice.microsoft.com"
# Where Office on the web shows add-in panes (Microsoft 365, consumer Office, SharePoint and
# OneDrive-hosted files, the cloud.microsoft domains).
OFFICE_FRAME_ANCESTORS = (
    "https://*.officeapps.live.com", "https://*.office.com", "https://*.office365.com",
    "https://*.microsoft365.com", "https://*.cloud.microsoft", "https://*.sharepoint.com",
    "https://*.onedrive.live.com",
)

PANE_POLICY = "; ".join((
    "default-src 'self'",
    f"script-src 'self' {OFFICE_CDN}",
    f"style-src 'self' 'unsafe-inline' {OFFICE_CDN}",
    f"img-src 'self' data: {OFFICE_CDN}",
    f"connect-src 'self' {OFFICE_CDN}",
    f"frame-src 'self' {OFFICE_CDN}",
    "font-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'self' " + " ".join(OFFICE_FRAME_ANCESTORS),
))
NOTHING_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
HSTS = "max-age=31536000"

_PANE_PATHS = ("/taskpane.html",)


def init_app(app: Flask) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        if "Content-Security-Policy" not in headers:
            is_pane = request.path in _PANE_PATHS
            headers["Content-Security-Policy"] = PANE_POLICY if is_pane else NOTHING_POLICY
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "no-referrer")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response
