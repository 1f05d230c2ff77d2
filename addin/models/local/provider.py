"""The built-in offline engine as a provider: no key, no network, always available."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..base import CallParams, Delta, ModelRequest, Notice, ProviderEntry, Usage
from ..failures import ProviderFailure
from ..tokens import estimate_tokens
from .analyst import write_analysis
from .summarizer import Passage, SummaryOptions, render, summarize


@dataclass(frozen=True, slots=True)
class SummarizeTask:
    """The structured summarize job: the passages to draw from and the user's options."""

    passages: tuple[Passage, ...]
    options: SummaryOptions


@dataclass(frozen=True, slots=True)
class AnalyzeTask:
    """The structured analyze job: findings computed from the data (objects with title,
    detail, range, kind and severity), overview sentences, and the question with the answer
    computed for it, if any."""

    insights: tuple[Any, ...]
    overview: tuple[str, ...]
    question: str | None = None
    answer: Any = None


class LocalProvider:
    def __init__(self, entry: ProviderEntry) -> None:
        self.entry = entry

    def stream(self, request: ModelRequest,
               params: CallParams | None = None) -> Iterator[Delta | Notice | Usage]:
        task = request.task
        if isinstance(task, AnalyzeTask):
            yield from self._analyze(task)
            return
        if not isinstance(task, SummarizeTask):
            raise ProviderFailure("bad_request", "the offline engine only summarizes documents "
                                  "and analyzes workbooks; it does not answer free prompts")
        summary = summarize(task.passages, task.options)
        for note in summary.notes:
            yield Notice(note)
        produced: list[str] = []
        for chunk in render(summary, task.options.style):
            produced.append(chunk)
            yield Delta(chunk)
        input_tokens = sum(estimate_tokens(p.text) for p in task.passages)
        yield Usage(input_tokens, estimate_tokens("".join(produced)))

    @staticmethod
    def _analyze(task: AnalyzeTask) -> Iterator[Delta | Usage]:
        """The analysis as the JSON a language model is asked for, so both take one path."""
        written = write_analysis(task.insights, task.overview, task.question, task.answer)
        text = json.dumps({
            "narrative": written.narrative,
            "insights": [{"title": i.title, "detail": i.detail, "range": i.range,
                          "kind": i.kind, "severity": i.severity} for i in written.insights],
        }, ensure_ascii=False)
        yield Delta(text)
        yield Usage(sum(estimate_tokens(i.detail) for i in task.insights),
                    estimate_tokens(text))
