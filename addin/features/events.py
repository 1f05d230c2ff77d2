"""The events a feature emits; the API writes them as Server-Sent Events or one JSON body."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Event:
    name: str  # meta, citation, delta, fallback, usage, done, error
    data: dict[str, Any]
