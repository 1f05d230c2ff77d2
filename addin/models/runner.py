"""Calls the chosen provider for a request and streams its events, with cost added."""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import AddinError
from .base import Delta, ModelEvent, ModelRequest, Notice, Started, Usage
from .pricing import cost_usd
from .selector import Selector


class NoProvider(AddinError):
    status = 503
    code = "no_provider"


class Runner:
    def __init__(self, selector: Selector) -> None:
        self.selector = selector

    def stream(self, request: ModelRequest) -> Iterator[ModelEvent]:
        """Serve ``request`` from the feature's first candidate, yielding its events."""
        candidates = self.selector.candidates(request.feature)
        if not candidates:
            raise NoProvider(
                f"No model is assigned to {request.feature!r}. Ask an administrator to assign one."
            )
        provider = candidates[0]
        entry = provider.entry
        yield Started(provider=entry.id, model=entry.model)
        for event in provider.stream(request):
            if isinstance(event, Usage):
                cost = cost_usd(entry, event.input_tokens, event.output_tokens)
                yield Usage(event.input_tokens, event.output_tokens, cost)
            elif isinstance(event, Delta | Notice):
                yield event
