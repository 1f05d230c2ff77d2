"""Circuit breakers: a provider that keeps failing is taken out for a cooldown.

Closed: calls go through; ``threshold`` failures in a row open the circuit (an ``auth``
failure opens it at once: our credentials are wrong and will stay wrong). Open: calls are
refused until ``cooldown_s`` has passed. Half-open: one probe call is let through; its
success closes the circuit, its failure opens it for another cooldown.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

State = Literal["closed", "open", "half_open"]
_IMMEDIATE = frozenset({"auth"})


@dataclass(slots=True)
class _Circuit:
    state: State = "closed"
    failures: int = 0
    opened_at: float = 0.0
    probing: bool = False
    last_error: str | None = None


class CircuitBreakers:
    """One circuit per provider id; safe to share between threads."""

    IMMEDIATE = _IMMEDIATE  # failure reasons that open the circuit at once

    def __init__(self, threshold: int = 3, cooldown_s: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold = threshold
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._circuits: dict[str, _Circuit] = {}
        self._lock = threading.Lock()

    def allow(self, provider_id: str) -> bool:
        """May a call go to ``provider_id`` now? (Claims the probe when half-open.)"""
        with self._lock:
            circuit = self._circuits.setdefault(provider_id, _Circuit())
            if circuit.state == "open" and self._clock() - circuit.opened_at >= self.cooldown_s:
                circuit.state, circuit.probing = "half_open", False
            if circuit.state == "half_open":
                if circuit.probing:
                    return False
                circuit.probing = True
                return True
            return circuit.state == "closed"

    def success(self, provider_id: str) -> None:
        """A call succeeded: closes a half-open circuit, resets the count of a closed one. An
        open circuit stays open: the success is of a call let through before it opened, and
        only the probe after the cooldown may close it (else the circuit flaps while a
        vendor fails one call in three)."""
        with self._lock:
            circuit = self._circuits.get(provider_id)
            if circuit is None or circuit.state != "open":
                self._circuits[provider_id] = _Circuit()

    def failure(self, provider_id: str, reason: str) -> None:
        with self._lock:
            circuit = self._circuits.setdefault(provider_id, _Circuit())
            circuit.failures += 1
            circuit.last_error = reason
            if (circuit.state == "half_open" or reason in _IMMEDIATE
                    or circuit.failures >= self.threshold):
                circuit.state, circuit.opened_at, circuit.probing = "open", self._clock(), False

    def release(self, provider_id: str) -> None:
        """A half-open probe ended without a verdict (e.g. the caller's own bad request)."""
        with self._lock:
            circuit = self._circuits.get(provider_id)
            if circuit and circuit.state == "half_open":
                circuit.probing = False

    def snapshot(self, provider_id: str) -> dict[str, object]:
        """State for /readyz and the admin: state, consecutive failures, last error."""
        with self._lock:
            circuit = self._circuits.get(provider_id, _Circuit())
            state = circuit.state
            if state == "open" and self._clock() - circuit.opened_at >= self.cooldown_s:
                state = "half_open"
            return {"state": state, "failures": circuit.failures,
                    "last_error": circuit.last_error}
