"""The admin console's cookie session and its CSRF token.

The console is a browser page: it signs in once (``POST /admin/session`` with an admin's
bearer token, see :mod:`addin.auth`) and then rides on a cookie. The cookie is Flask's signed
session (``addin_console``): HttpOnly, SameSite=Strict, Secure whenever the site is served over
HTTPS, and it ends with the token it was made from, at most 8 h later. It holds the principal's
claims (tenant, object id, name, roles, scopes), the time it ends (``exp``) and a random CSRF
token. Nothing else, and never the bearer token.

The CSRF rule: a request authenticated by this cookie must carry the session's token for any
unsafe method, as the form field ``csrf_token`` or the header ``X-CSRF-Token`` (compared in
constant time). A bearer request needs none: it carries no ambient credential.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
import urllib.parse
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface, SessionMixin

from .errors import Forbidden

log = logging.getLogger("addin.auth")

COOKIE = "addin_console"
SIGNIN_PATH = "/admin/signin"
MAX_AGE_S = 8 * 3600
CSRF_FIELD, CSRF_HEADER = "csrf_token", "X-CSRF-Token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_LOOPBACK = ("localhost", "127.0.0.1", "::1")


def is_console(path: str) -> bool:
    return path == "/admin" or path.startswith("/admin/")


def is_admin_path(path: str) -> bool:
    """Where the console session is accepted: the console's pages and the admin API."""
    return is_console(path) or path.startswith("/api/v1/admin/")


def signin_url(next_path: str) -> str:
    """The sign-in page, coming back to ``next_path`` afterwards."""
    return f"{SIGNIN_PATH}?{urllib.parse.urlencode({'next': next_path})}"


def safe_next(raw: str | None) -> str:
    """``raw`` when it is a console path on this site, else ``/admin``: no open redirect
    (``//host``, ``/\\host``, absolute URLs and control characters are refused)."""
    if not raw or any(c in raw for c in "\\\r\n\t") or raw.startswith("//"):
        return "/admin"
    parts = urllib.parse.urlsplit(raw)
    if parts.scheme or parts.netloc or not is_console(parts.path):
        return "/admin"
    return raw


class ConsoleSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, expiring when the session's own ``exp`` says, and
    Secure when the request came over HTTPS or the public URL is HTTPS (loopback aside)."""

    def get_expiration_time(self, app: Flask, session: SessionMixin) -> datetime | None:
        expires = session.get("exp")
        return datetime.fromtimestamp(expires, UTC) if isinstance(expires, int) else None

    def get_cookie_secure(self, app: Flask) -> bool:
        if not has_request_context():
            return bool(app.config["SESSION_COOKIE_SECURE"])
        host = urllib.parse.urlsplit(f"//{request.host}").hostname or ""
        public_https = str(app.config["ADDIN"]["PUBLIC_URL"]).startswith("https://")
        return request.is_secure or (public_https and host.lower() not in _LOOPBACK)


def init_app(app: Flask, settings: Mapping[str, Any]) -> None:
    """Sign sessions with ``SECRET_KEY`` (a random per-process key when it is empty)."""
    key = settings["SECRET_KEY"]
    if not key:
        key = secrets.token_hex(32)
        if settings["AUTH"] == "entra":
            log.warning("ADDIN_SECRET_KEY is not set: console sessions are signed with a key "
                        "made for this process; they end at a restart and do not span workers")
    elif len(key) < 32:
        log.warning("ADDIN_SECRET_KEY is shorter than 32 characters: use a long random value")
    app.secret_key = key
    app.session_interface = ConsoleSessionInterface()
    app.config.update(SESSION_COOKIE_NAME=COOKIE, SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Strict",
                      PERMANENT_SESSION_LIFETIME=timedelta(seconds=MAX_AGE_S))


def start(claims: Mapping[str, Any] | None, expires_at: int | None = None) -> str:
    """Begin a fresh session (replacing any other: no fixation) holding ``claims`` and
    ending at ``expires_at``, at most 8 h from now. Returns its CSRF token."""
    session.clear()
    now = int(time.time())
    session["exp"] = min(expires_at or now + MAX_AGE_S, now + MAX_AGE_S)
    session["csrf"] = secrets.token_urlsafe(32)
    if claims is not None:
        session["principal"] = dict(claims)
    return str(session["csrf"])


def end() -> None:
    """Forget the session (the cookie is removed with the response)."""
    session.clear()


def live() -> bool:
    """Whether the request carries a session that has not ended yet."""
    expires = session.get("exp")
    if not isinstance(expires, int):
        return False
    if time.time() >= expires:
        session.clear()
        return False
    return True


def claims() -> Mapping[str, Any] | None:
    """The principal's claims held by a live session, if any."""
    data = session.get("principal")
    return data if live() and isinstance(data, dict) else None


def csrf_token() -> str:
    """The live session's CSRF token; a session holding only a token is begun when there
    is none (dev mode, or a page opened with a bearer token)."""
    token = session.get("csrf")
    if live() and isinstance(token, str):
        return token
    return start(None)


def user_name() -> str | None:
    """The name of whoever signed in to the console, if a session holds one."""
    data = claims()
    return str(data.get("name") or "") if data is not None else None


def check_csrf() -> None:
    """Forbidden (403) unless a request with an unsafe method carries the session's token."""
    if request.method not in UNSAFE:
        return
    expected = session.get("csrf") if live() else None
    given = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD) or ""
    if not (isinstance(expected, str) and expected
            and hmac.compare_digest(given.encode(), expected.encode())):
        raise Forbidden("This change was refused: its security token (CSRF) is missing or "
                        "out of date. Reload the page and try again.", code="csrf_failed")
