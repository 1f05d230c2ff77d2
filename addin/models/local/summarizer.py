"""The offline summarizer: extractive, section-aware, every point citing its paragraphs.

``summarize`` detects the document's language, scores each sentence of the content
passages (``scoring``), then selects points greedily by maximal marginal relevance: score
minus similarity to what is already chosen, with near-duplicates refused outright, a soft
quota per top-level section in proportion to its size, and a word budget per length.
Points come back in document order. ``render`` streams them as bullets, prose, or an
executive brief, with ``[id]`` markers after every bullet or sentence.

Deterministic: no randomness, ties broken by document order.
"""

# ruff: noqa: RUF001  (typographic quotes, dashes and CJK punctuation are matched on purpose)
from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from . import cues
from .render import render_points
from .scoring import Candidate, Scored, build_candidates, score, similarity
from .text import UNDETERMINED, count_words, detect_language


@dataclass(frozen=True, slots=True)
class Passage:
    """One paragraph handed in by the feature layer; ``id`` is cited verbatim."""

    id: str
    text: str
    section: int = 0
    section_title: str = ""
    section_level: int = 0
    kind: str = "body"


@dataclass(frozen=True, slots=True)
class SummaryOptions:
    length: str = "medium"  # "short" | "medium" | "long"
    style: str = "bullets"  # "bullets" | "paragraph" | "executive"
    focus: str = ""  # free text: steer towards it
    language: str = "auto"  # requested output language ("auto" = the document's)


@dataclass(frozen=True, slots=True)
class Point:
    text: str  # one or more extracted sentences, cleaned
    ids: tuple[str, ...]  # the passage ids it comes from (>= 1, all real)
    section: int
    section_title: str


@dataclass(frozen=True, slots=True)
class Summary:
    points: tuple[Point, ...]
    language: str  # detected document language
    notes: tuple[str, ...]  # plain-words remarks for the user


@dataclass(frozen=True, slots=True)
class _Budget:
    points: int
    words: int  # whole summary, as the language-model prompts promise
    point_words: int  # one point


_BUDGETS = {
    "short": _Budget(3, 80, 40),
    "medium": _Budget(6, 180, 45),
    "long": _Budget(11, 350, 50),
}
_LAMBDA = 0.7  # MMR: weight of relevance against redundancy
_DUPLICATE = 0.6  # cosine above which a sentence repeats one already chosen
_OVER_QUOTA = 0.6  # score factor for a section that already has its share
_SAMPLE_PASSAGES = 400


def summarize(passages: Sequence[Passage], options: SummaryOptions) -> Summary:
    """Pick the sentences that best cover the document, within the requested length."""
    notes: list[str] = []
    if not any(p.text.strip() for p in passages):
        return Summary((), UNDETERMINED, ("The document has no text to summarize.",))
    lang = detect_language(_language_sample(passages))
    notes.extend(_language_notes(lang, options.language))
    scored = build_candidates(passages, lang)
    if not scored.candidates:
        scored = build_candidates(passages, lang, relaxed=True)  # only fragments
    if not scored.candidates:
        notes.append("The document has only headings or titles: there is no sentence to "
                     "summarize.")
        return Summary((), lang, tuple(notes))
    score(scored, passages, lang, options.focus)
    if options.focus.strip() and not scored.focus_found:
        notes.append(f"The document does not mention “{options.focus.strip()}”; "
                     "the summary covers the whole document.")
    budget = _budget(options.length, len(scored.candidates))
    chosen = sorted(_select(scored, budget), key=lambda pick: pick[0].order)
    points = tuple(_point(cand, text, passages) for cand, text in chosen)
    return Summary(points, lang, tuple(notes))


def render(summary: Summary, style: str) -> Iterator[str]:
    """Stream the summary as text chunks with ``[id]`` markers (see ``render.render_points``)."""
    return render_points(summary.points, style, summary.language)


def _language_sample(passages: Sequence[Passage]) -> str:
    body = [p.text for p in passages if p.kind not in ("title", "heading", "comment")]
    step = max(1, len(body) // _SAMPLE_PASSAGES)
    return "\n".join(body[::step]) or "\n".join(p.text for p in passages)


def _language_notes(detected: str, requested: str) -> list[str]:
    wanted = (requested or "auto").split("-")[0].lower()
    if wanted in ("auto", detected):
        return []
    if detected == UNDETERMINED:
        return [f"The offline engine cannot translate into “{requested}”: the summary keeps "
                "the document's own wording."]
    return [f"The offline engine extracts sentences and cannot translate into “{requested}”: "
            f"the summary is in “{detected}”, the document's language."]


def _budget(length: str, candidates: int) -> _Budget:
    """The length's budget, capped by the document's size: a short text gets few points."""
    base = _BUDGETS.get(length, _BUDGETS["medium"])
    points = max(1, min(base.points, math.ceil(candidates / 2.5)))
    return _Budget(points, base.words, base.point_words)


def _select(scored: Scored, budget: _Budget) -> list[tuple[Candidate, str]]:
    """Greedy MMR under a per-section soft quota and the word budget: (candidate, its text)."""
    cands = scored.candidates
    texts = [_point_text(c, scored, budget.point_words) for c in cands]
    costs = [count_words(t) for t in texts]
    quotas = _quotas(scored, budget.points)
    taken: dict[int, int] = {}
    redundancy = [0.0] * len(cands)
    chosen: list[tuple[Candidate, str]] = []
    words_left = budget.words
    available = set(range(len(cands)))
    while len(chosen) < budget.points and available:
        best, best_value = -1, -math.inf
        for i in sorted(available):
            cand = cands[i]
            if costs[i] > words_left and chosen:
                continue
            value = _LAMBDA * cand.score - (1 - _LAMBDA) * redundancy[i]
            if taken.get(cand.group, 0) >= quotas.get(cand.group, 1):
                value *= _OVER_QUOTA if value > 0 else 1 / _OVER_QUOTA
            if value > best_value:
                best, best_value = i, value
        if best < 0:
            break
        pick = cands[best]
        chosen.append((pick, texts[best]))
        words_left -= costs[best]
        taken[pick.group] = taken.get(pick.group, 0) + 1
        available.discard(best)
        for i in list(available):
            redundancy[i] = max(redundancy[i], similarity(cands[i].terms, pick.terms))
            if redundancy[i] >= _DUPLICATE:
                available.discard(i)
    return chosen


def _quotas(scored: Scored, points: int) -> dict[int, int]:
    """Each top-level section's share of the points, in proportion to its words (at least 1)."""
    total = sum(scored.group_words.values()) or 1
    return {g: max(1, math.ceil(points * w / total)) for g, w in scored.group_words.items()}


def _point_text(cand: Candidate, scored: Scored, max_words: int) -> str:
    """The sentence as it will read: with the sentence before it when it leans on it
    ("However, …", "This …") and that fits, and clipped to the point's word limit."""
    text = cand.text
    if cues.is_dangling(text) and cand.position > 0:
        before = scored.sentences.get((cand.passage, cand.position - 1), "")
        if before and count_words(before) + cand.words <= max_words:
            text = f"{before} {text}"
    return _clip(text, max_words)


def _point(cand: Candidate, text: str, passages: Sequence[Passage]) -> Point:
    passage = passages[cand.passage]
    return Point(text, (passage.id,), passage.section, passage.section_title)


def _clip(text: str, max_words: int) -> str:
    """Cut an overlong sentence at the word limit, marking the cut with an ellipsis."""
    if count_words(text) <= max_words:
        return text
    words = text.split()
    if len(words) <= max_words:  # CJK: no spaces, two characters to a word
        return text[: 2 * max_words].rstrip("，、；：,;:") + "…"
    return " ".join(words[:max_words]).rstrip(",;:") + " …"
