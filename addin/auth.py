"""Sign-in: Entra ID (Azure AD) bearer access tokens, checked on the server.

In ``AUTH=entra`` mode every ``/api/v1/`` call (and any route not in the public list) needs
``Authorization: Bearer <access token>`` issued by Entra ID for this add-in's app
registration. The token is checked with PyJWT against the tenant's published signing keys
(JWKS): RS256 only, so ``alg: none`` and an HMAC "signed" with the public key are refused;
issuer, audience, expiry and not-before (60 s leeway for clock skew); ``tid`` in the configured
tenants; and, for user tokens, the delegated scope in ``scp``. The caller becomes a
:class:`Principal` in ``g.principal``.

``AUTH=dev`` (the default) signs everyone in as a fixed local admin, so the add-in works with
no Entra set-up during development. It is refused at start-up unless the server listens on
localhost only, and every response says ``X-Addin-Auth: dev`` so the pane can show a banner.

The admin console and the admin API (``/admin/...``, ``/api/v1/admin/...``) also accept the
console's session cookie when a request has no Authorization header (see :mod:`addin.sessions`):
unsafe methods then need the session's CSRF token. Without either, a console page redirects
to ``/admin/signin``. In dev mode the console needs no sign-in, but its forms still carry the
CSRF token.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import jwt
from flask import Flask, Response, current_app, g, redirect, request
from jwt.algorithms import RSAAlgorithm
from werkzeug.wrappers import Response as BaseResponse

from . import sessions
from .errors import AddinError, ConfigError, Forbidden, Unauthorized

log = logging.getLogger("addin.auth")

ADMIN_ROLE = "Addin.Admin"
LEEWAY_S = 60
FETCH_TIMEOUT_S = 5.0
REFRESH_INTERVAL_S = 60.0  # at most one key refresh per minute on an unknown kid
MAX_KEY_AGE_S = 24 * 3600.0  # re-read the keys daily so a withdrawn key stops being trusted
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
# Reachable without a token: what Office and a browser load before anyone can sign in (the
# pane, the console's sign-in page, their files, MSAL.js and the sign-in settings they need).
PUBLIC_PATHS = ("/healthz", "/readyz", "/manifest.xml", "/taskpane.html", "/api/v1/auth/config",
                "/admin/signin", "/api/v1/openapi.json")
PUBLIC_PREFIXES = ("/assets/", "/taskpane/", "/vendor/", "/admin/static/")
_SIGN_IN_AGAIN = "Sign in again from the add-in (close and reopen the task pane)."


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: enough to key usage and limits, and to decide admin rights."""

    tenant_id: str
    object_id: str
    name: str
    roles: frozenset[str]
    scopes: frozenset[str]

    @property
    def key(self) -> str:
        """The user key for usage and limits: stable across renames and sign-ins."""
        return f"{self.tenant_id}:{self.object_id}"

    @property
    def is_admin(self) -> bool:
        return ADMIN_ROLE in self.roles


DEV_PRINCIPAL = Principal("dev", "dev-user", "Local developer", frozenset({ADMIN_ROLE}),
                          frozenset())


class AuthUnavailable(AddinError):
    """503: the signing keys cannot be fetched, so no token can be checked right now."""

    status = 503
    code = "auth_unavailable"


def _invalid(message: str) -> Unauthorized:
    return Unauthorized(message, code="invalid_token")


def _split(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


@dataclass(frozen=True, slots=True)
class AuthConfig:
    """What a token must match, resolved from the ``AUTH_*`` settings at start-up."""

    tenants: frozenset[str]
    audiences: tuple[str, ...]
    issuers: frozenset[str]
    jwks_urls: tuple[str, ...]
    scope: str

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> AuthConfig:
        """Raise ConfigError naming the setting when entra mode lacks what it needs."""
        tenants = _split(settings["AUTH_TENANT_ID"])
        client_id = settings["AUTH_CLIENT_ID"].strip()
        if not tenants:
            raise ConfigError("ADDIN_AUTH=entra needs ADDIN_AUTH_TENANT_ID: the tenant GUID "
                              "(Entra admin center > Overview > Tenant ID).")
        if not client_id:
            raise ConfigError("ADDIN_AUTH=entra needs ADDIN_AUTH_CLIENT_ID: the Application "
                              "(client) ID of the add-in's app registration.")
        audiences = _split(settings["AUTH_AUDIENCE"]) or [client_id, f"api://{client_id}"]
        issuers = _split(settings["AUTH_ISSUER"]) or [
            issuer for tid in tenants for issuer in (
                f"https://login.microsoftonline.com/{tid}/v2.0", f"https://sts.windows.net/{tid}/")]
        jwks = [settings["AUTH_JWKS_URL"]] if settings["AUTH_JWKS_URL"] else [
            f"https://login.microsoftonline.com/{tid}/discovery/v2.0/keys" for tid in tenants]
        return cls(frozenset(tenants), tuple(audiences), frozenset(issuers), tuple(jwks),
                   settings["AUTH_SCOPE"])


class TokenValidator:
    """Checks Entra access tokens; keeps the signing keys cached by ``kid``.

    Keys are fetched on first use (not at start-up, so the service starts without Entra
    reachable), again after a day, and once more when a token names a ``kid`` we do not know
    (Entra rotates keys), at most once per ``REFRESH_INTERVAL_S`` so a stream of forged kids
    cannot turn the service into a load generator against Entra.
    """

    def __init__(self, config: AuthConfig, *, clock: Callable[[], float] = time.monotonic,
                 fetch: Callable[[str], Mapping[str, Any]] | None = None) -> None:
        self.config = config
        self._clock = clock
        self._fetch = fetch or _fetch_json
        self._lock = threading.Lock()
        self._keys: dict[str, Any] = {}
        self._loaded_at: float | None = None
        self._refreshed_at: float | None = None

    def validate(self, token: str) -> Principal:
        """The caller behind ``token``; Unauthorized (401) or Forbidden (403) otherwise."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise _invalid("The access token is malformed. " + _SIGN_IN_AGAIN) from None
        if header.get("alg") != "RS256":
            raise _invalid("The access token is not signed with RS256, the only algorithm "
                           "Entra ID uses. " + _SIGN_IN_AGAIN)
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise _invalid("The access token names no signing key (kid). " + _SIGN_IN_AGAIN)
        claims = self._decode(token, self._key(kid))
        return self._principal(claims)

    def _decode(self, token: str, key: Any) -> dict[str, Any]:
        try:
            claims = jwt.decode(token, key, algorithms=["RS256"], audience=self.config.audiences,
                                leeway=LEEWAY_S,
                                options={"require": ["exp", "iss", "aud"], "verify_iss": False})
        except jwt.ExpiredSignatureError:
            raise _invalid("The access token has expired. " + _SIGN_IN_AGAIN) from None
        except jwt.ImmatureSignatureError:
            raise _invalid("The access token is not valid yet: check this computer's clock, "
                           "then sign in again.") from None
        except (jwt.InvalidAudienceError, jwt.MissingRequiredClaimError):
            raise _invalid("The access token was issued for another application or lacks a "
                           "required claim. Ask your administrator to check "
                           "ADDIN_AUTH_CLIENT_ID and ADDIN_AUTH_AUDIENCE.") from None
        except jwt.InvalidSignatureError:
            raise _invalid("The access token's signature does not verify. "
                           + _SIGN_IN_AGAIN) from None
        except jwt.InvalidTokenError:
            raise _invalid("The access token could not be read. " + _SIGN_IN_AGAIN) from None
        if claims.get("iss") not in self.config.issuers:
            raise _invalid("The access token comes from an issuer this service does not trust. "
                           "Ask your administrator to check ADDIN_AUTH_TENANT_ID.")
        return claims

    def _principal(self, claims: Mapping[str, Any]) -> Principal:
        tid, oid = claims.get("tid"), claims.get("oid")
        if not isinstance(tid, str) or tid.lower() not in self.config.tenants:
            raise _invalid("Your organisation (tenant) is not allowed to use this service. "
                           "Sign in with a work account of an allowed organisation.")
        if not isinstance(oid, str) or not oid:
            raise _invalid("The access token names no user or application (oid). "
                           + _SIGN_IN_AGAIN)
        roles = frozenset(r for r in claims.get("roles") or () if isinstance(r, str))
        scp = claims.get("scp")
        scopes = frozenset(scp.split()) if isinstance(scp, str) else frozenset()
        is_user = scp is not None or claims.get("idtyp") == "user"
        if is_user and self.config.scope not in scopes:
            raise Forbidden(f"Your sign-in does not grant the '{self.config.scope}' permission. "
                            "Ask your administrator to grant consent for the add-in.",
                            code="insufficient_scope")
        if not is_user and not roles:  # app-only token without any app role assigned
            raise Forbidden("This application has no role on the add-in's API. Ask your "
                            "administrator to assign one.", code="insufficient_scope")
        name = claims.get("name") or claims.get("preferred_username") or claims.get("appid")
        return Principal(tid.lower(), oid, str(name or ""), roles, scopes)

    def _key(self, kid: str) -> Any:
        with self._lock:
            now = self._clock()
            if self._loaded_at is None or now - self._loaded_at >= MAX_KEY_AGE_S:
                self._load(now)
            elif kid not in self._keys and (
                    self._refreshed_at is None or now - self._refreshed_at >= REFRESH_INTERVAL_S):
                self._refreshed_at = now
                self._load(now)
            key = self._keys.get(kid)
        if key is None:
            raise _invalid("The access token is signed with a key this service does not know. "
                           + _SIGN_IN_AGAIN)
        return key

    def _load(self, now: float) -> None:
        keys: dict[str, Any] = {}
        for url in self.config.jwks_urls:
            try:
                document = self._fetch(url)
            except (OSError, ValueError) as exc:
                log.error("could not fetch signing keys from %s: %s", url, type(exc).__name__)
                raise AuthUnavailable("Sign-in cannot be checked right now (the signing keys "
                                      "are unreachable). Try again in a minute.") from None
            for jwk in document.get("keys") or ():
                if not isinstance(jwk, dict) or jwk.get("kty") != "RSA" or not jwk.get("kid"):
                    continue
                if jwk.get("use", "sig") != "sig":
                    continue
                try:
                    keys[jwk["kid"]] = RSAAlgorithm.from_jwk(json.dumps(jwk))
                except (jwt.InvalidKeyError, ValueError, KeyError):
                    log.warning("skipped an unreadable signing key %s", jwk.get("kid"))
        self._keys = keys
        self._loaded_at = now


def _fetch_json(url: str) -> Mapping[str, Any]:
    with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_S) as response:
        document = json.load(response)
    if not isinstance(document, dict):
        raise ValueError("the JWKS is not a JSON object")
    return document


def _bearer(header: str) -> str:
    """The token from ``Authorization: Bearer <token>``; Unauthorized if absent or malformed."""
    if not header:
        raise Unauthorized("Sign-in required: send 'Authorization: Bearer <access token>' "
                           "(the add-in does this once you sign in).")
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise _invalid("The Authorization header must be 'Bearer <access token>'. "
                       + _SIGN_IN_AGAIN)
    return token


def _challenge(error: AddinError) -> str:
    """The WWW-Authenticate value (RFC 6750) matching an auth error."""
    if error.code == "unauthorized":
        return "Bearer"
    description = error.message.replace('"', "'").replace("\\", "")
    if error.code == "insufficient_scope":
        scope = current_app.extensions["addin.auth"].config.scope
        return f'Bearer error="insufficient_scope", scope="{scope}", ' \
               f'error_description="{description}"'
    return f'Bearer error="invalid_token", error_description="{description}"'


def _is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def init_app(app: Flask) -> None:
    """Install sign-in for the settings' ``AUTH`` mode; ConfigError on a bad set-up."""
    settings = app.config["ADDIN"]
    sessions.init_app(app, settings)
    if settings["AUTH"] == "dev":
        _init_dev(app, settings["HOST"])
        return
    validator = TokenValidator(AuthConfig.from_settings(settings))
    app.extensions["addin.auth"] = validator

    @app.before_request
    def _authenticate() -> BaseResponse | None:
        if _is_public(request.path):
            return None
        if not request.headers.get("Authorization") and sessions.is_admin_path(request.path):
            principal = session_principal()
            if principal is not None:
                g.principal = principal
                sessions.check_csrf()
                return None
            if sessions.is_console(request.path) and request.method in ("GET", "HEAD"):
                return redirect(sessions.signin_url(request.full_path.rstrip("?")))
        try:
            g.principal = validator.validate(_bearer(request.headers.get("Authorization", "")))
        except (Unauthorized, Forbidden) as exc:
            g.auth_challenge = _challenge(exc)
            raise
        return None

    @app.after_request
    def _add_challenge(response: Response) -> Response:
        challenge = g.get("auth_challenge")
        if challenge:
            response.headers["WWW-Authenticate"] = challenge
        return response


def _init_dev(app: Flask, host: str) -> None:
    if host.strip().strip("[]").lower() not in LOCAL_HOSTS:
        raise ConfigError(f"ADDIN_AUTH=dev is for local development only: it signs everyone in "
                          f"as an admin, but ADDIN_HOST is {host!r}. Listen on localhost, or "
                          "set ADDIN_AUTH=entra with ADDIN_AUTH_TENANT_ID and "
                          "ADDIN_AUTH_CLIENT_ID.")
    log.warning("AUTH=dev: every caller is signed in as a local admin (no Entra ID check)")

    @app.before_request
    def _dev_principal() -> None:
        g.principal = DEV_PRINCIPAL
        path = request.path
        if (sessions.is_admin_path(path) and not _is_public(path)
                and not request.headers.get("Authorization")
                and (sessions.is_console(path) or sessions.live())):
            sessions.check_csrf()  # the console's forms, and its fetch calls to the admin API

    @app.after_request
    def _dev_banner(response: Response) -> Response:
        response.headers["X-Addin-Auth"] = "dev"
        return response


def session_principal() -> Principal | None:
    """The admin behind the console's session cookie; None without a live session."""
    data = sessions.claims()
    if data is None:
        return None
    try:
        return Principal(str(data["tid"]), str(data["oid"]), str(data["name"]),
                         frozenset(data["roles"]), frozenset(data["scopes"]))
    except (KeyError, TypeError):
        return None


def start_session(principal: Principal) -> str:
    """Begin a console session for ``principal``, signed in by this request's bearer token
    (already validated), ending when the token does; returns the session's CSRF token."""
    expires = None
    try:
        exp = jwt.decode(_bearer(request.headers.get("Authorization", "")),
                         options={"verify_signature": False}).get("exp")
        expires = int(exp) if isinstance(exp, int | float) else None
    except (jwt.InvalidTokenError, Unauthorized):
        pass
    claims = {"tid": principal.tenant_id, "oid": principal.object_id, "name": principal.name,
              "roles": sorted(principal.roles), "scopes": sorted(principal.scopes)}
    return sessions.start(claims, expires)


F = TypeVar("F", bound=Callable[..., Any])


def current_principal() -> Principal:
    """The signed-in caller; Unauthorized if the route was reached without one."""
    principal = g.get("principal")
    if not isinstance(principal, Principal):
        raise Unauthorized("Sign-in required: send 'Authorization: Bearer <access token>'.")
    return principal


def require_admin(view: F) -> F:
    """Decorator for ``/api/v1/admin/...`` views: 403 unless the caller has Addin.Admin."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_principal().is_admin:
            error = Forbidden(f"This needs the {ADMIN_ROLE} role. Ask your administrator to "
                              "assign it to you in the add-in's enterprise application.")
            if "addin.auth" in current_app.extensions:
                g.auth_challenge = 'Bearer error="insufficient_scope", ' \
                                   f'error_description="{error.message}"'
            raise error
        return view(*args, **kwargs)

    return cast(F, wrapper)

