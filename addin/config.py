"""Settings, declared once.

Every setting has a name, a type, a default and a help line. Values come from, in order of
precedence: the ``config`` mapping given to ``create_app``, then ``ADDIN_<NAME>`` environment
variables, then the default. An unknown ``ADDIN_*`` variable or config key, or a value that
does not parse, stops start-up with a message naming the setting: a typo must never be
silently ignored.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from .errors import ConfigError

PREFIX = "ADDIN_"


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    parse: Callable[[str], Any]
    default: Any
    help: str
    choices: tuple[str, ...] = ()


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("expected true or false")


def _positive(kind: Callable[[str], float | int]) -> Callable[[str], Any]:
    def parse(raw: str) -> Any:
        value = kind(raw)
        if value <= 0:
            raise ValueError("must be greater than 0")
        return value

    parse.__name__ = f"positive {kind.__name__}"
    return parse


def _count(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError("must be 0 or more")
    return value


def _port(raw: str) -> int:
    value = int(raw)
    if not 0 < value < 65536:
        raise ValueError("must be between 1 and 65535")
    return value


def _url(raw: str) -> str:
    value = raw.strip().rstrip("/")
    if not value.startswith(("https://", "http://")):
        raise ValueError("must start with https://")
    return value


def _optional_url(raw: str) -> str:
    return _url(raw) if raw.strip() else ""


_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _tenants(raw: str) -> str:
    """Comma-separated tenant GUIDs, normalised to lower case: a tenant *name* (contoso.com)
    would never match a token's ``tid`` claim, so it is refused here rather than at sign-in."""
    items = [item.strip().lower() for item in raw.split(",") if item.strip()]
    for item in items:
        if not _GUID.match(item):
            raise ValueError(f"{item!r} is not a tenant GUID (Entra admin center > Overview > "
                             "Tenant ID)")
    return ",".join(items)


SETTINGS: tuple[Setting, ...] = (
    Setting("PUBLIC_URL", _url, "https://localhost:3000",
            "Public base URL of the service, as Office reaches it (used in the manifest)."),
    Setting("HOST", str, "localhost", "Interface `addin serve` listens on."),
    Setting("PORT", _port, 3000, "Port `addin serve` listens on."),
    Setting("TLS", _bool, True,
            "Serve HTTPS with the development certificate (Office requires HTTPS)."),
    Setting("CERT_DIR", str, "",
            "Folder of the development certificate; default: <instance>/certs."),
    Setting("MAX_UPLOAD_MB", _positive(float), 25.0, "Largest accepted upload, in MB (413 above)."),
    Setting("MAX_DECOMPRESSED_MB", _positive(float), 200.0,
            "Largest total a document may decompress to, in MB (413 above): stops zip bombs."),
    Setting("DATABASE_URL", str, "",
            "SQLAlchemy URL of the store (e.g. postgresql+psycopg://user:pw@host/db); "
            "default: SQLite in the instance folder."),
    Setting("REDIS_URL", str.strip, "",
            "Redis URL (redis://host:6379/0): rate limits, this month's spend and circuit "
            "breakers shared by every worker and instance. Empty: kept per process."),
    Setting("CONFIG", str, "",
            "A TOML file declaring providers and feature assignments, loaded at start-up."),
    Setting("CONFIDENTIAL_LABELS", str, "Confidential,Highly Confidential",
            "Sensitivity labels (comma-separated, matched at the start of the label's name) "
            "that keep a document on in-house models."),
    Setting("CONFIDENTIAL_PROPERTY", str, "",
            "A custom document property that, when true, keeps the document on in-house models."),
    Setting("STALL_TIMEOUT_S", _positive(float), 30.0,
            "Longest silence between two chunks of a model's answer before failing over."),
    Setting("REQUEST_TIMEOUT_S", _positive(float), 300.0,
            "Longest a summarize or analyze request may run, failovers included; past it the "
            "answer ends with a 504 (or an error event in a stream)."),
    Setting("RETRY_AFTER_CAP_S", _positive(float), 10.0,
            "Longest Retry-After the service waits for before failing over instead."),
    Setting("MAX_RETRIES", _count, 2,
            "Retries on the same model after a rate limit, overload or 5xx, before failover."),
    Setting("RETRY_BACKOFF_S", _positive(float), 0.5,
            "First wait between retries when the vendor gives no Retry-After (then doubled)."),
    Setting("CIRCUIT_THRESHOLD", _positive(int), 3,
            "Failures in a row that take a model out of service for a cooldown."),
    Setting("CIRCUIT_COOLDOWN_S", _positive(float), 30.0,
            "How long a failing model stays out before one probe call is let through."),
    Setting("AUTH", lambda raw: raw.strip().lower(), "dev",
            "Sign-in: 'entra' checks an Entra ID bearer token on every API call; 'dev' signs "
            "everyone in as a local admin and is refused unless HOST is localhost.",
            choices=("dev", "entra")),
    Setting("AUTH_TENANT_ID", _tenants, "",
            "Entra tenant GUIDs whose users may sign in (comma-separated); required for entra."),
    Setting("AUTH_CLIENT_ID", str.strip, "",
            "Application (client) id of the add-in's Entra app registration; required for entra."),
    Setting("AUTH_AUDIENCE", str, "",
            "Accepted token audiences (comma-separated); default: the client id and "
            "api://<client id>."),
    Setting("AUTH_JWKS_URL", _optional_url, "",
            "Where the signing keys are fetched; default: each tenant's "
            "login.microsoftonline.com/<tenant>/discovery/v2.0/keys."),
    Setting("AUTH_ISSUER", str, "",
            "Accepted token issuers (comma-separated); default: the v2.0 and v1 issuers of each "
            "configured tenant."),
    Setting("AUTH_SCOPE", str.strip, "access_as_user",
            "Delegated scope a user token must carry in 'scp' (403 without it)."),
    Setting("SECRET_KEY", str.strip, "",
            "Key that signs the admin console's session cookies (keep it secret; the same on "
            "every worker). Empty: a random key per process, so sessions end at a restart."),
    Setting("LOG_LEVEL", lambda raw: raw.strip().upper(), "INFO", "Logging level.",
            choices=("DEBUG", "INFO", "WARNING", "ERROR")),
    Setting("WORKERS", _positive(int),
            len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
            else (os.cpu_count() or 1),
            "`addin serve --prod`: worker processes (default: this machine's CPUs). Without "
            "ADDIN_REDIS_URL each keeps its own circuit breakers and rate-limit counts."),
    Setting("THREADS", _positive(int), 256,
            "`addin serve --prod`: threads per worker; each open answer stream holds one, so "
            "WORKERS x THREADS streams at once (waitress on Windows: THREADS in all)."),
)

_BY_NAME = {setting.name: setting for setting in SETTINGS}


def _unknown(name: str, where: str) -> ConfigError:
    close = difflib.get_close_matches(name, _BY_NAME, n=1)
    hint = f" Did you mean {where}{close[0]}?" if close else ""
    known = ", ".join(where + n for n in _BY_NAME)
    return ConfigError(f"Unknown setting {where}{name}.{hint} Known settings: {known}.")


def _coerce(setting: Setting, value: Any, source: str) -> Any:
    try:
        value = setting.parse(str(value))
    except ValueError as exc:
        raise ConfigError(f"{source} has a bad value {value!r}: {exc}. {setting.help}") from None
    if setting.choices and value not in setting.choices:
        raise ConfigError(f"{source} must be one of {', '.join(setting.choices)}, not {value!r}.")
    return value


def load_settings(
    environ: Mapping[str, str], overrides: Mapping[str, Any] | None = None
) -> Mapping[str, Any]:
    """Resolve every setting; raise ConfigError naming the first unknown or malformed one."""
    values = {setting.name: setting.default for setting in SETTINGS}
    for key, raw in environ.items():
        if not key.startswith(PREFIX):
            continue
        name = key[len(PREFIX):]
        if name not in _BY_NAME:
            raise _unknown(name, PREFIX)
        values[name] = _coerce(_BY_NAME[name], raw, key)
    for key, value in (overrides or {}).items():
        name = key.upper().removeprefix(PREFIX)
        if name not in _BY_NAME:
            raise _unknown(name, "")
        values[name] = _coerce(_BY_NAME[name], value, f"config[{key!r}]")
    return MappingProxyType(values)


def describe() -> str:
    """A table of every setting, for `addin settings` and the README."""
    lines = []
    for setting in SETTINGS:
        lines.append(f"{PREFIX}{setting.name} (default {setting.default!r}): {setting.help}")
    return "\n".join(lines)
