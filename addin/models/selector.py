"""Feature → ordered candidate providers, under the confidentiality policy.

The selector reads provider entries and feature assignments from a source (the store, or a
fixed set in tests), caches the built providers, and rebuilds them when the source's revision
changes, so an admin's change takes effect on the next request. Every feature without an
assignment is served by the built-in offline engine (``local``): no key, no network.

Policy: a confidential request, or a feature marked confidential, may only use providers
marked ``in_house``; fallbacks never leave that set. If none is left, the request is refused
with a 503 that says so, and no external call is ever made.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from ..errors import AddinError, ConfigError
from .base import Assignment, Provider, ProviderEntry
from .registry import build

FEATURES: tuple[str, ...] = ("summarize", "analyze")
LOCAL = ProviderEntry(id="local", kind="local", model="extractive-v1", in_house=True)


class NoProvider(AddinError):
    status = 503
    code = "no_provider"


class Source(Protocol):
    def providers(self) -> list[ProviderEntry]: ...
    def assignments(self) -> dict[str, Assignment]: ...
    def revision(self) -> object: ...


@dataclass
class StaticSource:
    """A fixed set of providers and assignments (tests, and the default without a store)."""

    entries: tuple[ProviderEntry, ...] = (LOCAL,)
    assigned: Mapping[str, Assignment] | None = None

    def providers(self) -> list[ProviderEntry]:
        return list(self.entries)

    def assignments(self) -> dict[str, Assignment]:
        return dict(self.assigned or {})

    def revision(self) -> object:
        return 0


@dataclass(frozen=True, slots=True)
class Candidates:
    assignment: Assignment
    providers: tuple[Provider, ...]
    confidential: bool
    excluded: tuple[str, ...]  # ids left out by policy or because they are disabled/broken


class Selector:
    def __init__(self, source: Source | None = None,
                 features: Iterable[str] = FEATURES) -> None:
        self.source: Source = source or StaticSource()
        self.features = tuple(features)
        self._lock = threading.Lock()
        self._revision: object = object()
        self._providers: dict[str, Provider] = {}
        self._broken: dict[str, str] = {}
        self._assignments: dict[str, Assignment] = {}

    def _refresh(self) -> None:
        revision = self.source.revision()
        if revision == self._revision:
            return
        with self._lock:
            if revision == self._revision:
                return
            providers: dict[str, Provider] = {}
            broken: dict[str, str] = {}
            entries = {e.id: e for e in self.source.providers()}
            entries.setdefault(LOCAL.id, LOCAL)
            for entry in entries.values():
                if not entry.enabled:
                    broken[entry.id] = "disabled"
                    continue
                try:
                    providers[entry.id] = build(entry)
                except ConfigError as exc:
                    broken[entry.id] = str(exc)
            self._providers, self._broken = providers, broken
            self._assignments = self.source.assignments()
            self._revision = revision

    def assignment(self, feature: str) -> Assignment:
        self._refresh()
        return self._assignments.get(feature) or Assignment(feature=feature)

    def provider(self, provider_id: str) -> Provider | None:
        self._refresh()
        return self._providers.get(provider_id)

    def all_providers(self) -> dict[str, Provider]:
        self._refresh()
        return dict(self._providers)

    def candidates(self, feature: str, confidential: bool = False) -> Candidates:
        """The providers that may serve ``feature`` now, in order of preference."""
        assignment = self.assignment(feature)
        confidential = confidential or assignment.confidential
        chosen: list[Provider] = []
        excluded: list[str] = []
        for provider_id in assignment.chain:
            provider = self._providers.get(provider_id)
            if provider is None or (confidential and not provider.entry.in_house):
                excluded.append(provider_id)
                continue
            chosen.append(provider)
        if not chosen:
            if confidential:
                raise NoProvider(
                    f"This document is confidential and no in-house model is assigned to "
                    f"{feature} ({', '.join(assignment.chain)} are external or unavailable). "
                    "Ask an administrator to add an in-house model to its fallbacks.",
                    code="no_in_house_provider",
                )
            raise NoProvider(
                f"No usable model is assigned to {feature} (tried {', '.join(assignment.chain)}"
                f"{': ' + '; '.join(self._broken.values()) if self._broken else ''}). "
                "Ask an administrator to check the model settings.",
            )
        return Candidates(assignment, tuple(chosen), confidential, tuple(excluded))
