"""Analyze: an Excel workbook (or a range of it) → a narrative and insights that cite cells.

The numbers are computed here (:func:`.profile.profile_workbook`), never by a model: a
language model gets a compact rendering of the profile and answers with JSON, which is
validated (one repair request, then the offline engine's insights with a note); the
offline engine writes its answer from the same profile. Either way every range is checked
against the workbook and ranges that do not exist are dropped.

Events: ``meta``, ``fallback`` (if another model took over), one ``insight`` per insight
(``n``, title, detail, range, kind, severity), ``citation`` for a range the narrative cites
that no insight holds, ``delta`` with the narrative (citations as ``[n]``), ``usage``, ``done``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..documents.workbook import Workbook
from ..errors import BadRequest, UnreadableDocument
from ..models.base import Delta, Message, ModelRequest, Started, Usage
from ..models.local.provider import AnalyzeTask
from ..models.runner import Fallback, Runner
from ..prompts import load as load_prompt
from .analysis_schema import AnalysisOut, InsightOut, InvalidAnalysis, parse_analysis, schema_text
from .events import Event
from .findings import Insight
from .options import check_known, parse_flag
from .profile import WorkbookProfile, profile_workbook
from .profile_render import render_profile
from .questions import answer as answer_question

FEATURE = "analyze"
OPTIONS = {
    "question": "free text, up to 500 characters: what you want to know about the data",
    "confidential": "true or false (default): only in-house models may read the workbook",
}
MAX_QUESTION = 500
MAX_OUTPUT_TOKENS = 1500
PROFILE_BUDGET = 6000  # tokens of profile for a model with a large window
_PROMPT_OVERHEAD = 1200
_RANGE_MARKER = re.compile(r"\[\[([^\[\]]{1,300})\]\]")
_CHUNK = 120  # characters per delta when the narrative is sent


def parse_options(raw: Mapping[str, Any]) -> tuple[str | None, bool]:
    """The question (or None) and whether the request is confidential; 400 otherwise."""
    check_known(raw, OPTIONS, "Analyze")
    question = raw.get("question", "")
    if not isinstance(question, str):
        raise BadRequest("question must be text.", code="bad_option")
    if len(question.strip()) > MAX_QUESTION:
        raise BadRequest(f"question is limited to {MAX_QUESTION} characters; shorten it.",
                         code="bad_option")
    return question.strip() or None, parse_flag("confidential", raw.get("confidential", False))


@dataclass(frozen=True, slots=True)
class _Prompt:
    profile: WorkbookProfile
    budget: int
    question: str | None
    answer: Insight | None

    def __call__(self) -> list[Message]:
        rendered = render_profile(self.profile, self.budget)
        hint = f"{self.answer.detail} (cells {self.answer.range})" if self.answer else ""
        if self.question:
            return load_prompt("analyze-question").render(
                profile=rendered, schema=schema_text(), question=self.question,
                answer_hint=hint)
        return load_prompt("analyze").render(profile=rendered, schema=schema_text(),
                                             answer_hint=hint)


@dataclass(frozen=True, slots=True)
class _RepairPrompt:
    error: str
    previous: str

    def __call__(self) -> list[Message]:
        return load_prompt("analyze-repair").render(schema=schema_text(), error=self.error,
                                                    previous=self.previous[:8000])


def run(workbook: Workbook, question: str | None, runner: Runner, request_id: str,
        *, confidential: bool = False) -> Iterator[Event]:
    """Profile the workbook now (an empty one raises here) and return the answer's events."""
    if workbook.is_empty:
        raise UnreadableDocument("The workbook has no data to analyze. Select a range with "
                                 "values, or upload a workbook that has some.",
                                 code="empty_workbook")
    try:
        profile = profile_workbook(workbook)
        answer = answer_question(question, profile) if question else None
    except OverflowError:  # squares and sums of numbers past ~1e154 leave the float range
        raise UnreadableDocument(
            "The workbook holds numbers too large to analyze (about 1e154 or more). Check the "
            "cells with huge values, correct them and try again.",
            code="numbers_too_large") from None
    primary = runner.selector.candidates(FEATURE, confidential).providers[0].entry
    budget = PROFILE_BUDGET
    if primary.context_window:
        budget = max(min(budget, primary.context_window - MAX_OUTPUT_TOKENS - _PROMPT_OVERHEAD),
                     500)
    request = ModelRequest(
        feature=FEATURE,
        task=AnalyzeTask(tuple(profile.insights), tuple(profile.overview), question, answer),
        prompt=_Prompt(profile, budget, question, answer),
        max_output_tokens=MAX_OUTPUT_TOKENS,
        prompt_version=load_prompt("analyze-question" if question else "analyze").version,
    )
    return _events(workbook, profile, request, runner, request_id, confidential,
                   question, answer)


@dataclass
class _Outcome:
    """What the model calls produced: their events for the user, the text, the usage."""

    held: list[Event] = field(default_factory=list)
    text: str = ""
    usage: Usage = field(default_factory=lambda: Usage(0, 0))
    provider: str = ""


def _call(runner: Runner, request: ModelRequest, confidential: bool, request_id: str,
          outcome: _Outcome, meta: dict[str, Any]) -> None:
    parts: list[str] = []
    for event in runner.stream(request, confidential=confidential, request_id=request_id):
        if isinstance(event, Started) and not outcome.held:
            outcome.held.append(Event("meta", {**meta, "provider": event.provider,
                                               "model": event.model}))
            outcome.provider = event.provider
        elif isinstance(event, Fallback):
            parts.clear()
            outcome.provider = event.to_provider
            outcome.held.append(Event("fallback", {
                "from": event.from_provider, "to": event.to_provider, "model": event.to_model,
                "reason": event.reason, "restarted": event.restarted}))
        elif isinstance(event, Delta):
            parts.append(event.text)
        elif isinstance(event, Usage):
            u = outcome.usage
            outcome.usage = Usage(u.input_tokens + event.input_tokens,
                                  u.output_tokens + event.output_tokens,
                                  round(u.cost_usd + event.cost_usd, 8))
    outcome.text = "".join(parts)


def _events(workbook: Workbook, profile: WorkbookProfile, request: ModelRequest,
            runner: Runner, request_id: str, confidential: bool, question: str | None,
            answer: Insight | None) -> Iterator[Event]:
    meta = {"request_id": request_id, "feature": FEATURE, "question": question,
            "confidential": confidential}
    outcome = _Outcome()
    notes: list[str] = []
    _call(runner, request, confidential, request_id, outcome, meta)
    try:
        analysis = parse_analysis(outcome.text)
    except InvalidAnalysis as first:
        repair = ModelRequest(feature=FEATURE, task=request.task,
                              prompt=_RepairPrompt(str(first), outcome.text),
                              max_output_tokens=MAX_OUTPUT_TOKENS,
                              prompt_version=load_prompt("analyze-repair").version)
        _call(runner, repair, confidential, request_id, outcome, meta)
        try:
            analysis = parse_analysis(outcome.text)
        except InvalidAnalysis:
            analysis = _offline(profile, question, answer)
            notes.append("The model's answer could not be read, twice; these insights come "
                         "from the built-in offline engine.")
    yield from outcome.held
    yield from _answer(workbook, analysis, notes)
    yield Event("usage", {"input_tokens": outcome.usage.input_tokens,
                          "output_tokens": outcome.usage.output_tokens,
                          "cost_usd": outcome.usage.cost_usd})
    yield Event("done", {"request_id": request_id, "notes": notes})


def _offline(profile: WorkbookProfile, question: str | None,
             answer: Insight | None) -> AnalysisOut:
    from ..models.local.analyst import write_analysis

    written = write_analysis(profile.insights, profile.overview, question, answer)
    # Clipped to the schema's limits: 500 sheets, or sheet names past Excel's 31 characters,
    # make the overview longer than a model's answer may be.
    return AnalysisOut(narrative=_clip(written.narrative, 4000), insights=[
        InsightOut(title=_clip(i.title, 160), detail=_clip(i.detail, 800), range=i.range,
                   kind=i.kind, severity=i.severity)  # type: ignore[arg-type]
        for i in written.insights if len(i.range) <= 300])


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _answer(workbook: Workbook, analysis: AnalysisOut, notes: list[str]) -> Iterator[Event]:
    """Insight events for the insights whose range exists, then the narrative with [n]."""
    numbers: dict[str, int] = {}
    dropped = 0
    for insight in analysis.insights:
        if not workbook.range_exists(insight.range):
            dropped += 1
            continue
        number = numbers.setdefault(_key(insight.range), len(numbers) + 1)
        yield Event("insight", {"n": number, **insight.model_dump()})
    citations: list[Event] = []

    def link(match: re.Match[str]) -> str:
        ref = match.group(1).strip()
        if _key(ref) not in numbers:
            if not workbook.range_exists(ref):
                return ""
            numbers[_key(ref)] = len(numbers) + 1
            citations.append(Event("citation", {"n": numbers[_key(ref)], "range": ref}))
        return f"[{numbers[_key(ref)]}]"

    narrative = _RANGE_MARKER.sub(link, analysis.narrative)
    yield from citations
    if dropped:
        notes.append(f"{dropped} insight(s) pointed at cells that are not in the workbook and "
                     "were left out.")
    for start in range(0, len(narrative), _CHUNK):
        yield Event("delta", {"text": narrative[start:start + _CHUNK]})


def _key(ref: str) -> str:
    return ref.replace("$", "").replace("'", "").lower()
