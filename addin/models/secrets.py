"""Secrets are references (``env:NAME``), resolved only when a call needs them.

A provider entry never holds a key in clear: it holds where to find it. ``resolve`` reads the
value at call time; a missing value is an ``auth`` failure, so the runner fails over and the
admin sees which variable to set. Only the ``env:`` scheme exists today.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from .failures import ProviderFailure

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SECRET_NAMES = {"secret", "api_key", "client_secret", "password", "token"}


def is_secret_key(key: str) -> bool:
    """Whether a provider field or option holds a secret, and so must be a reference."""
    key = key.lower()
    return key in _SECRET_NAMES or key.endswith(("_secret", "_key", "_password", "_token"))


def is_secret_reference(value: str) -> bool:
    """``""`` (no secret) or ``env:NAME`` with a valid variable name."""
    return value == "" or (value.startswith("env:") and bool(_ENV_NAME.fullmatch(value[4:])))


def resolve(reference: str, environ: Mapping[str, str] | None = None) -> str:
    """The secret a reference points to; ProviderFailure("auth") when it is not set."""
    if not reference:
        return ""
    environ = os.environ if environ is None else environ
    if reference.startswith("env:"):
        name = reference[4:]
        value = environ.get(name, "")
        if not value:
            raise ProviderFailure("auth", f"the environment variable {name} is not set")
        return value
    raise ProviderFailure("auth", "secrets must be references such as env:NAME")
