"""Provider kinds → factories. An unknown kind, or one whose package is missing, explains itself."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from ..errors import ConfigError
from .base import Provider, ProviderEntry

# kind → (module, class, the pip package that provides it)
KINDS: dict[str, tuple[str, str, str]] = {
    "local": ("addin.models.local.provider", "LocalProvider", "addin"),
}


def build(entry: ProviderEntry) -> Provider:
    """Instantiate the provider for ``entry``; ConfigError says what to fix or install."""
    try:
        module_name, class_name, package = KINDS[entry.kind]
    except KeyError:
        known = ", ".join(sorted(KINDS))
        raise ConfigError(
            f"Provider {entry.id!r} has unknown kind {entry.kind!r}. Known kinds: {known}."
        ) from None
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(
            f"Provider {entry.id!r} (kind {entry.kind!r}) needs the package {package!r}: "
            f"pip install {package} ({exc})."
        ) from None
    factory: Callable[[ProviderEntry], Provider] = getattr(module, class_name)
    return factory(entry)
