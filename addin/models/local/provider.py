"""The built-in offline engine as a provider: no key, no network, always available."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..base import CallParams, Delta, ModelRequest, Notice, ProviderEntry, Usage
from ..tokens import estimate_tokens
from .summarizer import Passage, SummaryOptions, render, summarize


@dataclass(frozen=True, slots=True)
class SummarizeTask:
    """The structured summarize job: the passages to draw from and the user's options."""

    passages: tuple[Passage, ...]
    options: SummaryOptions


class LocalProvider:
    def __init__(self, entry: ProviderEntry) -> None:
        self.entry = entry

    def stream(self, request: ModelRequest,
               params: CallParams | None = None) -> Iterator[Delta | Notice | Usage]:
        task = request.task
        if not isinstance(task, SummarizeTask):
            raise TypeError(f"the offline engine has no handler for {type(task).__name__}")
        summary = summarize(task.passages, task.options)
        for note in summary.notes:
            yield Notice(note)
        produced: list[str] = []
        for chunk in render(summary, task.options.style):
            produced.append(chunk)
            yield Delta(chunk)
        input_tokens = sum(estimate_tokens(p.text) for p in task.passages)
        yield Usage(input_tokens, estimate_tokens("".join(produced)))
