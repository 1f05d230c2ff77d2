"""Summarize: a Word document (or a selection of it) → a streamed summary with citations.

Pure planning plus one call into the model layer. :func:`parse_options` validates what the
user asked for; :func:`run` turns a :class:`Document` into a model request, streams the
model's answer through the citation linker and yields the feature's events:
``meta``, then ``citation``/``delta`` as text arrives, ``usage``, and ``done``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..documents.model import Document
from ..errors import BadRequest, UnreadableDocument
from ..models.base import Delta, Message, ModelRequest, Notice, Started, Usage
from ..models.local.provider import SummarizeTask
from ..models.local.summarizer import Passage, SummaryOptions
from ..models.runner import Fallback, Runner
from ..prompts import load as load_prompt
from .citations import CitationLinker
from .events import Event
from .longdoc import (
    ReducePrompt,
    input_budget,
    map_notes,
    prompt_rows,
    prompt_tokens,
    split_parts,
)
from .options import check_known, parse_flag

FEATURE = "summarize"
LENGTHS = ("short", "medium", "long")
STYLES = ("bullets", "paragraph", "executive")
OPTIONS = {
    "length": f"one of {', '.join(LENGTHS)} (default medium)",
    "style": f"one of {', '.join(STYLES)} (default bullets)",
    "focus": "free text, up to 300 characters: what the reader cares most about",
    "language": "output language as a code such as en, fr, pt-BR, or auto (default)",
    "confidential": "true or false (default): only in-house models may read the document",
}
MAX_FOCUS = 300
_LANGUAGE = re.compile(r"^(auto|[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*)$")
_MAX_OUTPUT_TOKENS = {"short": 300, "medium": 700, "long": 1400}
_EXCLUDED_KINDS = frozenset({"comment"})  # reviewers' remarks are not the document's content


def parse_options(raw: Mapping[str, Any]) -> tuple[SummaryOptions, bool]:
    """Validate the user's options; BadRequest names the option and its allowed values.
    Returns the summary options and whether the user marked the request confidential."""
    check_known(raw, OPTIONS, "Summarize")
    confidential = parse_flag("confidential", raw.get("confidential", False))
    values = {key: _text(key, value) for key, value in raw.items() if key != "confidential"}
    length = values.get("length") or "medium"
    style = values.get("style") or "bullets"
    focus = values.get("focus", "")
    language = values.get("language") or "auto"
    if length not in LENGTHS:
        raise BadRequest(f"length must be one of {', '.join(LENGTHS)}, not {length!r}.",
                         code="bad_option")
    if style not in STYLES:
        raise BadRequest(f"style must be one of {', '.join(STYLES)}, not {style!r}.",
                         code="bad_option")
    if len(focus) > MAX_FOCUS:
        raise BadRequest(f"focus is limited to {MAX_FOCUS} characters; shorten it.",
                         code="bad_option")
    if not _LANGUAGE.match(language):
        raise BadRequest(
            f"language must be auto or a language code such as en, fr or pt-BR, not {language!r}.",
            code="bad_option",
        )
    options = SummaryOptions(length=length, style=style, focus=focus, language=language.lower())
    return options, confidential


def _text(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise BadRequest(f"{key} must be text, not {type(value).__name__}.", code="bad_option")
    return value.strip()


def passages(document: Document) -> tuple[Passage, ...]:
    """The document's paragraphs as the model layer sees them: id, text and section context."""
    sections = document.sections
    return tuple(
        Passage(
            id=p.id,
            text=p.text,
            section=p.section,
            section_title=sections[p.section].title if p.section < len(sections) else "",
            section_level=sections[p.section].level if p.section < len(sections) else 0,
            kind=p.kind,
        )
        for p in document.paragraphs
        if p.kind not in _EXCLUDED_KINDS and p.text.strip()
    )


@dataclass(frozen=True, slots=True)
class _Prompt:
    """Renders the chat messages only when a language model asks for them."""

    title: str
    items: tuple[Passage, ...]
    options: SummaryOptions

    def __call__(self) -> list[Message]:
        return load_prompt(FEATURE).render(
            title=self.title, passages=prompt_rows(self.items), length=self.options.length,
            style=self.options.style, focus=self.options.focus, language=self.options.language,
        )


def run(document: Document, options: SummaryOptions, runner: Runner, request_id: str,
        *, confidential: bool = False) -> Iterator[Event]:
    """Plan the summary of ``document`` now (bad input and policy refusals raise here, before
    any answer starts) and return its events: ``meta``, then ``citation``/``delta`` as text
    arrives (with a ``fallback`` event whenever another model takes over), ``usage``, ``done``.
    """
    items = passages(document)
    if not items:
        raise UnreadableDocument(
            "The document has no text to summarize. Check that it is not empty or only images.",
            code="empty_document",
        )
    primary = runner.selector.candidates(FEATURE, confidential).providers[0].entry
    max_output = _MAX_OUTPUT_TOKENS[options.length]
    budget = input_budget(primary.context_window, max_output)
    request = ModelRequest(
        feature=FEATURE, task=SummarizeTask(items, options),
        prompt=_Prompt(document.title, items, options), max_output_tokens=max_output,
        prompt_version=load_prompt(FEATURE).version,
    )
    long = bool(budget) and prompt_tokens(items) > budget
    return _events(document, options, request, runner, request_id, confidential,
                   split_parts(items, budget) if long else None)


def _events(document: Document, options: SummaryOptions, request: ModelRequest,
            runner: Runner, request_id: str, confidential: bool,
            parts: list[tuple[Passage, ...]] | None) -> Iterator[Event]:
    spent = Usage(0, 0)
    if parts:
        notes_per_part, spent = map_notes(runner, FEATURE, document.title, parts, options,
                                   confidential=confidential, request_id=request_id)
        request = ModelRequest(
            feature=FEATURE, task=request.task,
            prompt=ReducePrompt(document.title, tuple(notes_per_part), options),
            max_output_tokens=request.max_output_tokens,
            prompt_version=load_prompt("summarize-reduce").version,
        )

    def new_linker() -> CitationLinker:
        return CitationLinker(document.__contains__, lambda pid: _preview(document, pid))

    linker, notes = new_linker(), list[str]()
    # meta and fallback events are held back until the first model answers, so that a
    # request no model can serve still gets its HTTP error status, even as a stream.
    held: list[Event] | None = []
    for event in runner.stream(request, confidential=confidential, request_id=request_id):
        if isinstance(event, Started):
            held = [Event("meta", {"request_id": request_id, "feature": FEATURE,
                                   "provider": event.provider, "model": event.model,
                                   "options": _public(options), "confidential": confidential,
                                   "parts": len(parts) if parts else 1})]
            continue
        if isinstance(event, Fallback):
            linker, notes = new_linker(), list[str]()  # the answer restarts on the next model
            fallback = _fallback_event(event)
            if held is not None:
                held.append(fallback)
            else:
                yield fallback
            continue
        if held is not None:
            yield from held
            held = None
        if isinstance(event, Delta):
            yield from linker.feed(event.text)
        elif isinstance(event, Notice):
            notes.append(event.text)
        elif isinstance(event, Usage):
            yield from linker.flush()
            yield Event("usage", {"input_tokens": event.input_tokens + spent.input_tokens,
                                  "output_tokens": event.output_tokens + spent.output_tokens,
                                  "cost_usd": round(event.cost_usd + spent.cost_usd, 8)})
    yield from linker.flush()
    yield Event("done", {"request_id": request_id, "citations": len(linker.citations),
                         "notes": notes})


def _fallback_event(event: Fallback) -> Event:
    return Event("fallback", {"from": event.from_provider, "to": event.to_provider,
                              "model": event.to_model, "reason": event.reason,
                              "restarted": event.restarted})


def _public(options: SummaryOptions) -> dict[str, str]:
    return {"length": options.length, "style": options.style, "focus": options.focus,
            "language": options.language}


def _preview(document: Document, paragraph_id: str, limit: int = 160) -> str:
    paragraph = document.paragraph(paragraph_id)
    text = paragraph.text if paragraph else ""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
