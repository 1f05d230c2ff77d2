"""From passages to scored sentence candidates: cleaning, filtering, features, one score.

A candidate is one sentence of a content passage (headings and titles are context only).
Its score mixes centrality (TF-IDF cosine to the document's and to its top-level section's
centroid), closeness to the document title and to its own heading, its position in its
section, cue words in the section title and in the sentence, a length prior and the kind of
paragraph it sits in, and, when the user gave a focus, how many focus terms it holds.
"""

# ruff: noqa: RUF001  (typographic quotes, dashes and CJK punctuation are matched on purpose)
from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from . import cues
from .text import count_words, split_sentences, tokenize

Vector = dict[str, float]

_CONTEXT_KINDS = frozenset({"title", "heading"})
_SKIPPED_KINDS = frozenset({"comment"})
_KIND_WEIGHT = {"body": 1.0, "list": 0.9, "textbox": 0.8, "table": 0.55,
                "footnote": 0.45, "endnote": 0.45}
_MIN_WORDS = 6
_MAX_WORDS = 120
_NUMERIC_REFERENCE = re.compile(r"\s?\[\d+(?:\s*[-–,]\s*\d+)*\]")
_LEADING_MARKER = re.compile(
    r"^(?:[•·▪◦●○■□➢►‣⁃*-]|\(?\d{1,3}(?:\.\d{1,3})*[.)]|\(?[a-z][.)]|\(?[A-Z]\)|[IVXLC]{1,6}[.)])\s+"
)
_DOT_LEADER = re.compile(r"(?:\.\s?){4,}|…{2,}|_{4,}|\t\s*\d+\s*$")
_TRAILING_PAGE = re.compile(r"\s\d{1,3}$")
_BOILERPLATE = re.compile(
    r"copyright|©|all rights reserved|tous droits réservés|alle rechte vorbehalten"
    r"|^page \d+|^seite \d+|top of form|bottom of form|https?://|www\.|@\w+\.\w",
    re.IGNORECASE,
)


_SENTENCE_END = re.compile(r"[.!?…:;。！？][\"'”’»)\]]*$")
_CAPTION = re.compile(
    r"^(?:table|figure|fig\.|chart|graph|exhibit|box|tableau|graphique|encadré|abbildung|abb\."
    r"|tabelle|tabla|figura|gráfico|grafico|tabel|afbeelding)\s*[\dIVX]",
    re.IGNORECASE,
)


_BIBLIOGRAPHY = (  # reference-list entries: "B. Hill, …", "Hill, A. B. …", "Jung (1995): …"
    re.compile(r"^(?:[A-Z]\.\s?){1,3}[A-Z][\w'’-]+,"),
    re.compile(r"^[A-Z][\w'’-]+,\s(?:[A-Z]\.\s?){1,3}"),
    re.compile(r"^[^.]{0,80}\((?:19|20)\d\d[a-z]?\)\s*[:.]"),
    re.compile(r"\bdoi:|\bISBN\b|\bpp\.\s?\d", re.IGNORECASE),
)


class PassageLike(Protocol):
    """What scoring reads of a passage (summarizer.Passage, without importing it)."""

    @property
    def id(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def section(self) -> int: ...
    @property
    def section_title(self) -> str: ...
    @property
    def section_level(self) -> int: ...
    @property
    def kind(self) -> str: ...


@dataclass(slots=True)
class Candidate:
    """One sentence that may become a point."""

    order: int  # position among all candidates, document order
    passage: int  # index of its passage
    position: int  # index of the sentence in its passage
    text: str
    words: int
    group: int  # top-level section group
    terms: Vector = field(default_factory=dict)
    score: float = 0.0
    focus_hits: int = 0


@dataclass(slots=True)
class Scored:
    """Everything selection needs: candidates plus group sizes and what focus found."""

    candidates: list[Candidate]
    group_words: dict[int, int]
    sentences: dict[tuple[int, int], str]  # (passage, position) -> cleaned sentence
    focus_found: bool  # False only when a focus was given and no candidate holds its terms


def clean_sentence(sentence: str) -> str:
    """Drop list markers and numeric reference brackets ("[12]") that would read as citations."""
    text = _NUMERIC_REFERENCE.sub("", sentence)
    text = _LEADING_MARKER.sub("", text.strip())
    return " ".join(text.split())


def is_noise(text: str, words: int) -> bool:
    """Fragments, table-of-contents lines, boilerplate, number dumps and overlong runs."""
    if words < _MIN_WORDS or words > _MAX_WORDS:
        return True
    if _DOT_LEADER.search(text) or (_TRAILING_PAGE.search(text) and text[-5:].strip().isdigit()
                                    and not text.rstrip()[-1:].isalpha() and words < 15):
        return True
    if _BOILERPLATE.search(text) or any(rx.search(text) for rx in _BIBLIOGRAPHY):
        return True
    letters = sum(map(str.isalpha, text))
    return letters < 0.55 * len(text)


def looks_like_heading(text: str) -> bool:
    """An unstyled title or label: no sentence-ending punctuation, a caption, or capitals."""
    if not _SENTENCE_END.search(text) or _CAPTION.match(text):
        return True
    letters = [c for c in text if c.isalpha()]
    return len(letters) > 12 and sum(map(str.isupper, letters)) > 0.7 * len(letters)


def top_level_groups(passages: Sequence[PassageLike]) -> list[int]:
    """For each passage, the index of the top-level section group it belongs to.

    The top level is the smallest heading level in use; deeper sections join the group of
    the top-level section above them. The preamble (level 0) is its own group.
    """
    levels = [p.section_level for p in passages if p.section_level > 0]
    top = min(levels) if levels else 0
    groups: list[int] = []
    group, last_section = -1, None
    for p in passages:
        if p.section != last_section and (group < 0 or p.section_level <= top):
            group = p.section
        last_section = p.section
        groups.append(group)
    return groups


def build_candidates(passages: Sequence[PassageLike], lang: str, relaxed: bool = False) -> Scored:
    """Split content passages into clean, filtered candidates (no scores yet).

    ``relaxed`` keeps every non-empty sentence of the content passages, fragments and back
    matter included: the last resort for a very short text ("Budget approved."). Headings
    and titles stay context even then.
    """
    groups = top_level_groups(passages)
    excluded = _excluded(passages, groups)
    candidates: list[Candidate] = []
    sentences: dict[tuple[int, int], str] = {}
    group_words: Counter[int] = Counter()
    seen: set[str] = set()
    for index, p in enumerate(passages):
        context = p.kind in _SKIPPED_KINDS or p.kind in _CONTEXT_KINDS
        if context or (excluded[index] and not relaxed):
            continue
        for position, raw in enumerate(split_sentences(p.text, lang)):
            text = clean_sentence(raw)
            sentences[(index, position)] = text
            words = count_words(text)
            group_words[groups[index]] += words
            key = text.lower()
            if key in seen or not text or (not relaxed and is_noise(text, words)):
                continue
            seen.add(key)
            candidates.append(Candidate(len(candidates), index, position, text, words,
                                        groups[index]))
    return Scored(candidates, dict(group_words), sentences, focus_found=True)


def _excluded(passages: Sequence[PassageLike], groups: list[int]) -> list[bool]:
    """Which passages are back matter (references, appendices, contents…).

    A back-matter heading (or an unstyled line such as "References") in the second half of
    the document ends the content: what follows is excluded. Earlier, only that heading's
    own group is. Nothing is excluded when that would leave under 40% of the words, so a
    wrongly styled "Contents" heading cannot hide the document from its own summary.
    """
    sizes = [len(p.text.split()) for p in passages]
    total = sum(sizes) or 1
    out = [False] * len(passages)
    back_groups: set[int] = set()
    seen = 0
    for i, p in enumerate(passages):
        heading = p.section == groups[i] and cues.is_back_matter(p.section_title)
        line = p.kind in ("body", "heading") and sizes[i] <= 4 and cues.is_back_matter(p.text)
        if (heading or line) and seen >= total / 2:
            out[i:] = [True] * (len(passages) - i)
            break
        if heading:
            back_groups.add(groups[i])
        out[i] = groups[i] in back_groups
        seen += sizes[i]
    kept = sum(size for size, gone in zip(sizes, out, strict=True) if not gone)
    return out if kept >= 0.4 * total else [False] * len(passages)


def score(scored: Scored, passages: Sequence[PassageLike], lang: str, focus: str) -> None:
    """Give every candidate its score in place (see the module docstring for the mix)."""
    cands = scored.candidates
    if not cands:
        return
    vectors = _tfidf([tokenize(c.text, lang) for c in cands])
    for cand, vec in zip(cands, vectors, strict=True):
        cand.terms = vec
    doc_centroid = _centroid(vectors)
    group_centroids = {g: _centroid([c.terms for c in cands if c.group == g])
                       for g in {c.group for c in cands}}
    title = _normalize(Counter(tokenize(_title_text(passages), lang)))
    heading_vectors: dict[int, Vector] = {}
    focus_terms = set(tokenize(focus, lang)) if focus.strip() else set()
    first_in_section: dict[int, int] = {}
    for cand in cands:
        p = passages[cand.passage]
        rank = first_in_section.setdefault(p.section, cand.order)
        heading = heading_vectors.get(p.section)
        if heading is None:
            heading = _normalize(Counter(tokenize(p.section_title, lang)))
            heading_vectors[p.section] = heading
        centrality = (0.6 * _dot(cand.terms, doc_centroid)
                      + 0.4 * _dot(cand.terms, group_centroids[cand.group]))
        topical = max(_dot(cand.terms, title), 0.5 * _dot(cand.terms, heading))
        base = centrality + 0.25 * topical
        cand.score = base * _position_weight(cand.order - rank, cand.position) * _prior(cand, p)
        if focus_terms:
            cand.focus_hits = len(focus_terms & cand.terms.keys())
            heading_hit = bool(focus_terms & heading.keys())
            share = (cand.focus_hits + 0.5 * heading_hit) / len(focus_terms)
            cand.score *= 0.4 + 3.0 * min(share, 1.0)
    scored.focus_found = not focus_terms or any(c.focus_hits for c in cands)
    top = max(c.score for c in cands) or 1.0
    for cand in cands:
        cand.score /= top


def _position_weight(rank_in_section: int, position_in_paragraph: int) -> float:
    """Openings of sections and paragraphs carry the main point more often than not."""
    section_lead = 1.0 + 0.35 / (1.0 + rank_in_section)
    paragraph_lead = 1.08 if position_in_paragraph == 0 else 1.0
    return section_lead * paragraph_lead


def _prior(cand: Candidate, passage: PassageLike) -> float:
    """Section-title cues, sentence cues, length, paragraph kind, dangling openings, digits."""
    weight = _KIND_WEIGHT.get(passage.kind, 0.8)
    weight *= cues.section_weight(passage.section_title)
    if looks_like_heading(cand.text):
        weight *= 0.35
    if cand.text[:1].islower():
        weight *= 0.5  # the tail of a sentence cut by a page or column break
    if cues.has_sentence_cue(cand.text):
        weight *= 1.15
    if cues.is_dangling(cand.text):
        weight *= 0.85 if cand.position > 0 else 0.75  # mid-paragraph: its context can follow
    if cand.text.rstrip("\"'”’»)] ").endswith(("?", "？")):
        weight *= 0.7  # questions raise points more often than they make them
    if cand.words < 10:
        weight *= 0.6 + 0.04 * cand.words
    elif cand.words > 40:
        weight *= math.sqrt(40 / cand.words)
    digits = sum(map(str.isdigit, cand.text))
    if digits > 0.15 * len(cand.text):
        weight *= 0.6
    return weight


def _title_text(passages: Sequence[PassageLike]) -> str:
    return " ".join(p.text for p in passages if p.kind == "title")


def _tfidf(docs: list[list[str]]) -> list[Vector]:
    df: Counter[str] = Counter()
    for terms in docs:
        df.update(set(terms))
    n = len(docs)
    idf = {t: math.log((n + 1) / (d + 1)) + 1.0 for t, d in df.items()}
    vectors = []
    for terms in docs:
        tf = Counter(terms)
        vectors.append(_normalize({t: (1.0 + math.log(c)) * idf[t] for t, c in tf.items()}))
    return vectors


def _centroid(vectors: list[Vector]) -> Vector:
    total: Counter[str] = Counter()
    for vec in vectors:
        total.update(vec)
    return _normalize(dict(total))


def _normalize(vec: dict[str, float] | Counter[str]) -> Vector:
    norm = math.sqrt(sum(v * v for v in vec.values()))
    return {t: v / norm for t, v in vec.items()} if norm else {}


def _dot(a: Vector, b: Vector) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(t, 0.0) for t, v in a.items())


def similarity(a: Vector, b: Vector) -> float:
    """Cosine of two normalized sparse vectors."""
    return _dot(a, b)
