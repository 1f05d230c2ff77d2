"""Feature → ordered candidate providers.

Today every feature is served by the built-in offline engine (``local``), which needs no key
and no network, so the service works on a fresh machine. Admin-chosen assignments with
fallback chains plug in here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..errors import ConfigError
from .base import Provider, ProviderEntry
from .registry import build

FEATURES: tuple[str, ...] = ("summarize",)
LOCAL = ProviderEntry(id="local", kind="local", model="extractive-v1", in_house=True)


class Selector:
    def __init__(
        self,
        entries: Sequence[ProviderEntry] = (LOCAL,),
        assignments: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self._providers: dict[str, Provider] = {entry.id: build(entry) for entry in entries}
        self._assignments: dict[str, tuple[str, ...]] = {f: ("local",) for f in FEATURES}
        for feature, chain in (assignments or {}).items():
            missing = [pid for pid in chain if pid not in self._providers]
            if missing:
                raise ConfigError(f"Feature {feature!r} names unknown providers: {missing}.")
            self._assignments[feature] = tuple(chain)

    def candidates(self, feature: str) -> list[Provider]:
        """The providers that may serve ``feature``, in order of preference."""
        return [self._providers[pid] for pid in self._assignments.get(feature, ())]

    def features(self) -> dict[str, list[str]]:
        return {feature: list(chain) for feature, chain in self._assignments.items()}
