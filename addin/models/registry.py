"""Provider kinds → factories. An unknown kind, or one whose package is missing, explains itself.

A kind's module is imported only when an entry of that kind is validated or built, so the
base install works without any partner package; when one is missing, the ConfigError says
what to ``pip install``. :func:`validate` is what the config loader calls: kind known,
package present, option keys known to the kind, and the kind's own checks.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

from ..errors import ConfigError
from .base import Provider, ProviderEntry

_PROVIDERS = "addin.models.providers"
# kind → (module, class, the pip extra that brings its packages; "" = the base install)
KINDS: dict[str, tuple[str, str, str]] = {
    "local": ("addin.models.local.provider", "LocalProvider", ""),
    "anthropic": (f"{_PROVIDERS}.anthropic", "AnthropicProvider", "anthropic"),
    "openai": (f"{_PROVIDERS}.openai", "OpenAIProvider", "openai"),
    "azure_openai": (f"{_PROVIDERS}.azure_openai", "AzureOpenAIProvider", "openai"),
    "openai_compatible": (f"{_PROVIDERS}.openai_compatible", "OpenAICompatibleProvider",
                          "openai"),
    "mistral": (f"{_PROVIDERS}.mistral", "MistralProvider", "mistral"),
    "ollama": (f"{_PROVIDERS}.ollama", "OllamaProvider", "ollama"),
}


def validate(entry: ProviderEntry) -> None:
    """ConfigError unless ``entry`` can be built: known kind, package installed, options
    all known to the kind and acceptable to its checks."""
    kind = _kind_class(entry)
    accepted: frozenset[str] = getattr(kind, "OPTIONS", frozenset())
    unknown = [key for key in entry.options if key not in accepted]
    if unknown:
        raise ConfigError(_unknown_options(entry, unknown, accepted))
    check: Callable[[ProviderEntry], None] | None = getattr(kind, "check", None)
    if check is not None:
        check(entry)


def build(entry: ProviderEntry) -> Provider:
    """Instantiate the provider for ``entry``; ConfigError says what to fix or install."""
    validate(entry)
    factory: Callable[[ProviderEntry], Provider] = _kind_class(entry)
    return factory(entry)


def _unknown_options(entry: ProviderEntry, unknown: list[str],
                     accepted: frozenset[str]) -> str:
    """Names the unknown keys, a likely intended one, and the options not yet given (the
    keys already given are left out, so a message names only the keys at fault)."""
    key = unknown[0]
    close = difflib.get_close_matches(key, sorted(accepted), n=1)
    others = sorted(accepted - set(entry.options))
    return (f"Provider {entry.id!r} (kind {entry.kind!r}): unknown option "
            f"{', '.join(repr(k) for k in unknown)}."
            + (f" Did you mean {close[0]!r}?" if close else "")
            + (f" Options of this kind: {', '.join(others)}." if others else
               " This kind takes no options." if not accepted else ""))


def _kind_class(entry: ProviderEntry) -> Any:
    module_name, class_name, _ = _kind(entry)
    return getattr(_import(entry, module_name), class_name)


def _kind(entry: ProviderEntry) -> tuple[str, str, str]:
    try:
        return KINDS[entry.kind]
    except KeyError:
        known = ", ".join(sorted(KINDS))
        raise ConfigError(
            f"Provider {entry.id!r} has unknown kind {entry.kind!r}. Known kinds: {known}."
        ) from None


def _import(entry: ProviderEntry, module_name: str) -> ModuleType:
    """The kind's module; a missing third-party package becomes a ConfigError saying what
    to install (an ImportError inside addin itself is a bug and propagates)."""
    try:
        return importlib.import_module(module_name)
    except ImportError as exc:
        missing = (exc.name or "").split(".")[0]
        if not missing or missing == "addin":
            raise
        extra = _kind(entry)[2]
        package = missing.replace("_", "-")
        install = f'pip install "addin[{extra}]"' if extra else f"pip install {package}"
        raise ConfigError(
            f"Provider {entry.id!r} (kind {entry.kind!r}) needs the package {package!r}, "
            f"which is not installed: {install} (or: pip install {package})."
        ) from None
