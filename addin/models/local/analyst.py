"""The offline engine's analysis writer: ranked findings and a short narrative, no model.

It knows nothing of Excel: it receives generic insights (title, detail, range, kind,
severity) and plain overview sentences, and cites each insight's range verbatim in a
``[[range]]`` marker, which the feature layer turns into a clickable citation.

Ranking: the answer to the user's question first, then critical findings, then trends,
outliers, other errors and quality problems (most severe first), correlations and
distributions; at most three of one kind while others wait, at most eight in all.
The narrative has three to six sentences: the answer (or an honest "I could not answer"),
what the data is, the main movement, the main problems, the most striking outlier.
Deterministic: ties keep the order the insights came in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

KEEP = 8
PER_KIND = 3
_SEVERITY = {"critical": 3, "warning": 2, "notice": 1, "info": 0}
_GROUP = {"answer": 0, "trend": 2, "outlier": 3, "error": 4, "quality": 4, "correlation": 5,
          "distribution": 6, "overview": 7}
_MORE = ("correlation", "distribution", "quality", "error")  # to reach three sentences
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9“\"'(#$€£])")


class InsightLike(Protocol):
    """What the writer reads of an insight (features.findings.Insight, without importing it)."""

    @property
    def title(self) -> str: ...
    @property
    def detail(self) -> str: ...
    @property
    def range(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def severity(self) -> str: ...


@dataclass(frozen=True, slots=True)
class AnalysisText:
    narrative: str  # 3-6 sentences with [[range]] markers
    insights: tuple[InsightLike, ...]  # the kept insights, most important first


def marker(ref: str) -> str:
    """``[[Sheet1!B2:B9]]``: the citation of a range, verbatim."""
    return f"[[{ref}]]" if ref else ""


def rank(insights: Sequence[InsightLike], keep: int = KEEP) -> tuple[InsightLike, ...]:
    """The ``keep`` most important insights, at most three of a kind while others wait."""
    order = sorted(range(len(insights)), key=lambda i: _priority(insights[i], i))
    chosen: list[int] = []
    per_kind: dict[str, int] = {}
    for i in order:
        kind = insights[i].kind
        if kind == "answer" or per_kind.get(kind, 0) < PER_KIND:
            chosen.append(i)
            per_kind[kind] = per_kind.get(kind, 0) + 1
    for i in order:  # room left: the others, in rank order
        if len(chosen) >= keep:
            break
        if i not in chosen:
            chosen.append(i)
    chosen = sorted(chosen[:keep], key=lambda i: _priority(insights[i], i))
    return tuple(insights[i] for i in chosen)


def _priority(insight: InsightLike, position: int) -> tuple[int, int, int]:
    severity = _SEVERITY.get(insight.severity, 0)
    group = 1 if severity == 3 and insight.kind != "answer" else _GROUP.get(insight.kind, 6)
    return group, -severity, position


def write_analysis(insights: Sequence[InsightLike], overview: Sequence[str],
                   question: str | None = None, answer: InsightLike | None = None
                   ) -> AnalysisText:
    """The ranked insights and a short narrative citing their ranges."""
    pool = [i for i in insights if i is not answer]
    kept = rank(([answer] if answer is not None else []) + pool)
    sentences: list[str] = []
    if question and question.strip():
        sentences.append(_answer(question.strip(), answer))
    sentences += _what(overview)
    trend = next((i for i in kept if i.kind == "trend"), None)
    if trend is not None:
        sentences.append(_cite(_first(trend.detail), trend.range))
    sentences.append(_problems(kept, pool))
    outlier = next((i for i in kept if i.kind == "outlier"), None)
    if outlier is not None and len(sentences) < 6:
        sentences.append(_cite(_first(outlier.detail), outlier.range))
    cited = [trend, outlier, answer]
    for extra in (i for i in kept if i not in cited and i.kind in _MORE):
        if len(sentences) >= 3:
            break
        sentences.append(_cite(_first(extra.detail), extra.range))
    return AnalysisText(" ".join(sentences[:6]), kept)


def _answer(question: str, answer: InsightLike | None) -> str:
    if answer is None:
        return (f"I could not answer “{question}” from the data: it does not name a column I "
                "can rank, total, average or compare over time (questions such as “top 5 "
                "products by revenue” or “total sales by region” work offline).")
    return _cite(answer.detail, answer.range)


def _what(overview: Sequence[str]) -> list[str]:
    """What the data is: the first table's sentence, or the workbook's."""
    if not overview:
        return []
    if len(overview) == 1:
        return [overview[0]]
    line = overview[1]
    if len(overview) > 2:
        line = line.rstrip(".") + f"; the workbook holds {len(overview) - 1} tables in all."
    return [line]


def _problems(kept: Sequence[InsightLike], pool: Sequence[InsightLike]) -> str:
    problems = [i for i in kept if i.kind in ("error", "quality")
                and _SEVERITY.get(i.severity, 0) >= 1][:3]
    if not problems:
        if any(i.kind in ("error", "quality") for i in pool):
            return "Only minor data-quality remarks came up; see the findings."
        return "I found no formula errors or data-quality problems."
    listed = "; ".join(f"{_lower_first(p.title)} {marker(p.range)}".strip() for p in problems)
    return f"To fix first: {listed}."


def _first(text: str) -> str:
    """The first sentence of a detail."""
    return _SENTENCE_END.split(text.strip(), maxsplit=1)[0]


def _cite(sentence: str, ref: str) -> str:
    """The sentence with the range's marker before its final full stop."""
    body = sentence.rstrip().rstrip(".")
    mark = marker(ref)
    return f"{body} {mark}." if mark else f"{body}."


def _lower_first(text: str) -> str:
    """Lowercase the first letter of an ordinary word ("The" → "the"; "SUM", "C7" stay)."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text
