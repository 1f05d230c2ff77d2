"""Option checks every feature shares: unknown option names, and true/false flags."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import BadRequest


def check_known(raw: Mapping[str, Any], options: Mapping[str, str], feature: str) -> None:
    """BadRequest naming the first unknown option and listing the ones ``feature`` accepts."""
    # key=str: a multipart field whose name Werkzeug can't parse arrives named None
    unknown = sorted(set(raw) - set(options), key=str)
    if unknown:
        raise BadRequest(
            f"Unknown option {unknown[0]!r}. {feature} accepts: "
            + "; ".join(f"{k}: {v}" for k, v in options.items()) + ".",
            code="bad_option",
        )


def parse_flag(key: str, value: Any) -> bool:
    """A true/false option from JSON (a boolean) or a form field ("true", "1", "false"...)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0", ""):
        return value.strip().lower() in ("true", "1")
    raise BadRequest(f"{key} must be true or false, not {value!r}.", code="bad_option")
