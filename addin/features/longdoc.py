"""Long documents: split by sections to fit a model's window, summarize map-reduce.

When the prompt for the whole document would not fit the serving model's context window,
the passages are packed into parts along section boundaries (a section larger than a part is
split between paragraphs), each part is summarized by a *map* call — in parallel, with
bounded concurrency — and a *reduce* call combines the parts' notes into the answer. Every
note keeps its ``[p12]`` markers, so citations survive both stages and are checked against
the document at the end like any other answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ..models.base import Message, ModelRequest, Usage
from ..models.local.provider import SummarizeTask
from ..models.local.summarizer import Passage, SummaryOptions
from ..models.runner import Runner, complete
from ..models.tokens import estimate_tokens
from ..prompts import load as load_prompt

PROMPT_OVERHEAD_TOKENS = 600  # the system prompt and the framing around the passages
PER_PASSAGE_TOKENS = 6  # "[p123] " and the line break
MAP_CONCURRENCY = 4


def prompt_tokens(items: Sequence[Passage]) -> int:
    return PROMPT_OVERHEAD_TOKENS + sum(estimate_tokens(p.text) + PER_PASSAGE_TOKENS
                                        for p in items)


def input_budget(context_window: int, max_output_tokens: int) -> int:
    """Tokens of passages one call may carry; 0 means unlimited (no window declared)."""
    if context_window <= 0:
        return 0
    return max(context_window - max_output_tokens - PROMPT_OVERHEAD_TOKENS, 256)


def split_parts(items: Sequence[Passage], budget: int) -> list[tuple[Passage, ...]]:
    """Pack passages into parts of at most ``budget`` tokens, cutting between sections when
    possible and between paragraphs when a section alone is too large."""
    parts: list[list[Passage]] = [[]]
    used = 0
    sections: list[list[Passage]] = []
    for passage in items:
        if not sections or sections[-1][-1].section != passage.section:
            sections.append([])
        sections[-1].append(passage)
    for section in sections:
        size = sum(estimate_tokens(p.text) + PER_PASSAGE_TOKENS for p in section)
        if used and used + size > budget:
            parts.append([])
            used = 0
        for passage in section:
            cost = estimate_tokens(passage.text) + PER_PASSAGE_TOKENS
            if used and used + cost > budget:
                parts.append([])
                used = 0
            parts[-1].append(passage)
            used += cost
    return [tuple(part) for part in parts if part]


def prompt_rows(items: Sequence[Passage]) -> list[dict[str, object]]:
    """Passages as the summarize prompts list them: id, text, and whether it is a heading."""
    return [{"id": p.id, "text": p.text, "heading": p.kind in ("heading", "title")}
            for p in items]


@dataclass(frozen=True, slots=True)
class MapPrompt:
    title: str
    part: int
    parts: int
    items: tuple[Passage, ...]
    options: SummaryOptions

    def __call__(self) -> list[Message]:
        return load_prompt("summarize-map").render(
            title=self.title, part=self.part, parts=self.parts, passages=prompt_rows(self.items),
            focus=self.options.focus, language=self.options.language)


@dataclass(frozen=True, slots=True)
class ReducePrompt:
    title: str
    notes: tuple[str, ...]
    options: SummaryOptions

    def __call__(self) -> list[Message]:
        return load_prompt("summarize-reduce").render(
            title=self.title, notes=[{"part": i + 1, "text": t} for i, t in enumerate(self.notes)],
            length=self.options.length, style=self.options.style, focus=self.options.focus,
            language=self.options.language)


def map_notes(runner: Runner, feature: str, title: str, parts: Sequence[tuple[Passage, ...]],
              options: SummaryOptions, *, confidential: bool,
              request_id: str) -> tuple[list[str], Usage]:
    """Summarize every part (in parallel, at most MAP_CONCURRENCY at once): the notes in
    order, and the usage of all the map calls together."""
    def one(index: int) -> tuple[str, Usage]:
        items = parts[index]
        request = ModelRequest(
            feature=feature,
            task=SummarizeTask(items, SummaryOptions(length="medium", focus=options.focus,
                                                     language=options.language)),
            prompt=MapPrompt(title, index + 1, len(parts), items, options),
            prompt_version=load_prompt("summarize-map").version,
        )
        return complete(runner, request, confidential=confidential, request_id=request_id)

    with ThreadPoolExecutor(max_workers=min(MAP_CONCURRENCY, len(parts))) as pool:
        results = list(pool.map(one, range(len(parts))))
    total = Usage(sum(u.input_tokens for _, u in results),
                  sum(u.output_tokens for _, u in results),
                  round(sum(u.cost_usd for _, u in results), 8))
    return [text for text, _ in results], total
