from __future__ import annotations

from addin.models.breaker import CircuitBreakers


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_opens_after_repeated_failures_and_probes_after_cooldown() -> None:
    clock = Clock()
    breakers = CircuitBreakers(threshold=3, cooldown_s=30, clock=clock)
    for _ in range(2):
        assert breakers.allow("claude")
        breakers.failure("claude", "server_error")
    assert breakers.allow("claude")
    breakers.failure("claude", "server_error")
    assert not breakers.allow("claude")
    assert breakers.snapshot("claude") == {"state": "open", "failures": 3,
                                           "last_error": "server_error"}
    clock.now += 31
    assert breakers.allow("claude")  # the one probe
    assert not breakers.allow("claude")  # nobody else while it runs
    breakers.success("claude")
    assert breakers.allow("claude") and breakers.snapshot("claude")["state"] == "closed"


def test_a_failed_probe_opens_again_for_a_full_cooldown() -> None:
    clock = Clock()
    breakers = CircuitBreakers(threshold=1, cooldown_s=10, clock=clock)
    breakers.failure("gpt", "timeout")
    clock.now += 11
    assert breakers.allow("gpt")
    breakers.failure("gpt", "timeout")
    clock.now += 5
    assert not breakers.allow("gpt")
    clock.now += 6
    assert breakers.allow("gpt")


def test_wrong_credentials_open_the_circuit_at_once() -> None:
    breakers = CircuitBreakers(threshold=5, clock=Clock())
    breakers.failure("mistral", "auth")
    assert not breakers.allow("mistral")
    assert breakers.allow("other")


def test_a_late_success_does_not_close_an_open_circuit() -> None:
    clock = Clock()
    breakers = CircuitBreakers(threshold=2, cooldown_s=30, clock=clock)
    breakers.failure("gpt", "server_error")
    breakers.failure("gpt", "server_error")
    breakers.success("gpt")  # a call let through before the circuit opened
    assert not breakers.allow("gpt") and breakers.snapshot("gpt")["state"] == "open"
    clock.now += 31
    assert breakers.allow("gpt")
    breakers.success("gpt")  # the probe
    assert breakers.snapshot("gpt")["state"] == "closed"
