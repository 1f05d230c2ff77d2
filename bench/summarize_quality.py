"""Summary quality of the offline engine against the documents' own summaries.

For each corpus document that has its own abstract / summary / overview section, that
section (its heading and paragraphs, plus any keyword lines and translated abstract) is
taken out of the input; the engine summarizes the rest, and its summary is compared with
the removed section by ROUGE-1/2/L F1. The baseline is lead-k: the first sentences of the
remaining body (titles, headings, table-of-contents lines and fragments skipped) up to the
same number of words as our summary, the last sentence cut to make the counts equal.

ROUGE uses a Unicode tokenizer (rouge_score's default drops every non-ASCII letter) with
Snowball stemming in the document's language; stop words are kept, as ROUGE does.

Run: .venv/bin/python bench/summarize_quality.py
"""

# ruff: noqa: RUF001  (headings are matched with their typographic dashes)
from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from statistics import mean

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rouge_score import rouge_scorer

from addin.models.local.scoring import clean_sentence, is_noise, looks_like_heading
from addin.models.local.summarizer import Passage, SummaryOptions, summarize
from addin.models.local.text import count_words, split_sentences, stem
from bench._corpus import CORPUS, load_passages

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")
_WORD = re.compile(r"\w+")
_KEYWORDS = re.compile(r"^(?:keywords?|key words|schlüsselwörter|mots[- ]clés|palabras clave)\b",
                       re.IGNORECASE)
_HEADING_LIKE = re.compile(r"[.!?;:…]$")


@dataclass(frozen=True)
class Case:
    """One benchmark document: which file, which section is the reference, which slice."""

    label: str
    file: str
    reference: str  # regex matching the whole reference heading (numbering and colon stripped)
    start: str | None = None  # regex of the line the document starts after (an article's
    # header in a journal issue; the "(?!.*/ *\d+$)" skips the issue's contents line)
    end: str | None = None  # regex of the line the document ends before
    also_remove: tuple[str, ...] = ()  # other summary blocks to take out (e.g. a translation)


CASES = (
    Case("PCB & lymphoma review (Abstract)", "poi_bug59058_cancer_stats_52p.docx", "abstract",
         start=r"^Journal of Environmental and Public Health", end=r"^References$"),
    Case("PCB & breast cancer paper (Abstract)", "poi_bug59058_cancer_stats_52p.docx",
         "abstract", start=r"^EPIDEMIOLOGY$", end=r"^References$"),
    Case("rural health survey (ABSTRACT)", "oxsdk_rural_health_tracked_changes_34p.docx",
         "abstract"),
    Case("DOJ budget (Overview)", "tika_govdocs_018367_doj_budget.docx", "overview"),
    Case("e-journal: Seibold (Zusammenfassung)", "poi_stress008_de_ejournal_50k_words.docx",
         "zusammenfassung", start=r"^Reiner SEIBOLD:(?!.*/ *\d+$)", end=r"^Literatur:",
         also_remove=("abstract",)),
    Case("e-journal: Armster (7. Zusammenfassung)", "poi_stress008_de_ejournal_50k_words.docx",
         "zusammenfassung", start=r"^Eleonore ARMSTER:(?!.*/ *\d+$)", end=r"^\*\s*Aus:"),
)


class UnicodeTokenizer:
    """rouge_score tokenizer: Unicode words, lowercased, Snowball-stemmed in ``lang``."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def tokenize(self, text: str) -> list[str]:
        return [stem(w, self.lang) for w in _WORD.findall(text.lower())]


def _bare(text: str) -> str:
    return re.sub(r"^[\W\d_]*", "", text.strip()).rstrip(": ").lower()


def _slice(passages: list[Passage], case: Case) -> list[Passage]:
    """The part of a file that is the document (one article of a journal issue)."""
    start, end = 0, len(passages)
    if case.start:
        start = next(i for i, p in enumerate(passages) if re.search(case.start, p.text)) + 1
    if case.end:
        end = next(i for i in range(start, len(passages)) if re.search(case.end, passages[i].text))
    return passages[start:end]


def _block(passages: list[Passage], pattern: str) -> tuple[int, int, str]:
    """[heading, stop) of the section whose heading matches ``pattern``, and its text.

    The heading is a paragraph of its own ("Abstract") or opens the paragraph it introduces
    ("Abstract Discrete windows of…"). The section ends at the next heading, at a short line
    without final punctuation (an unstyled heading) or at a keyword line.
    """
    inline = re.compile(rf"^{pattern}\b[\s:.—–-]*(?=\w)", re.IGNORECASE)
    head = next(i for i, p in enumerate(passages)
                if re.fullmatch(pattern, _bare(p.text)) or inline.match(p.text.strip()))
    first = passages[head].text.strip()
    texts = [inline.sub("", first)] if inline.match(first) else []
    stop = head + 1
    while stop < len(passages):
        p = passages[stop]
        short_line = len(p.text.split()) <= 8 and not _HEADING_LIKE.search(p.text.strip())
        if p.kind in ("heading", "title") or short_line or _KEYWORDS.match(p.text.strip()):
            break
        texts.append(p.text)
        stop += 1
    while stop < len(passages) and _KEYWORDS.match(passages[stop].text.strip()):
        stop += 1  # keyword lines go with the abstract, but are not part of the reference
    return head, stop, " ".join(texts)


def split_reference(passages: list[Passage], case: Case) -> tuple[list[Passage], str]:
    """(input without the summary sections, the reference summary text)."""
    doc = _slice(passages, case)
    head, stop, reference = _block(doc, case.reference)
    remove = set(range(head, stop))
    for pattern in case.also_remove:
        other_head, other_stop, _ = _block(doc, pattern)
        remove |= set(range(other_head, other_stop))
    return [p for i, p in enumerate(doc) if i not in remove], reference


def length_for(reference_words: int) -> str:
    """The length option closest to the reference (the prompts' budgets: 80/180/350 words)."""
    if reference_words <= 110:
        return "short"
    return "medium" if reference_words <= 240 else "long"


def lead_k(passages: list[Passage], lang: str, words: int) -> str:
    """The first clean body sentences, cut at exactly ``words`` words."""
    out: list[str] = []
    for p in passages:
        if p.kind in ("title", "heading", "comment"):
            continue
        for raw in split_sentences(p.text, lang):
            text = clean_sentence(raw)
            if not is_noise(text, count_words(text)) and not looks_like_heading(text):
                out.extend(text.split())
            if len(out) >= words:
                return " ".join(out[:words])
    return " ".join(out)


def evaluate(case: Case) -> dict[str, object] | None:
    path = CORPUS / case.file
    if not path.exists():
        return None
    rest, reference = split_reference(load_passages(path), case)
    ref_words = len(reference.split())
    summary = summarize(rest, SummaryOptions(length=length_for(ref_words)))
    ours = " ".join(p.text for p in summary.points)
    budget = len(ours.split())
    lead = lead_k(rest, summary.language, budget)
    tokenizer = UnicodeTokenizer(summary.language)
    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), tokenizer=tokenizer)
    return {
        "label": case.label, "lang": summary.language, "ref": ref_words, "words": budget,
        "ours": _f1(scorer.score(reference, ours)), "lead": _f1(scorer.score(reference, lead)),
    }


def _f1(scores: dict) -> tuple[float, ...]:
    return tuple(100 * scores[t].fmeasure for t in ROUGE_TYPES)


def _row(label: str, lang: str, ref: str, words: str, ours: tuple, lead: tuple) -> str:
    fmt = " ".join(f"{v:5.1f}" for v in ours), " ".join(f"{v:5.1f}" for v in lead)
    return f"{label:42} {lang:4} {ref:>5} {words:>5} | {fmt[0]} | {fmt[1]}"


def main() -> int:
    rows = [r for r in (evaluate(c) for c in CASES) if r is not None]
    if not rows:
        print(f"no benchmark document found under {CORPUS}")
        return 1
    print(f"{'document':42} {'lang':4} {'ref':>5} {'words':>5} | {'ours R1/R2/RL':17} | "
          "lead-k R1/R2/RL (same words)")
    for r in rows:
        print(_row(str(r["label"]), str(r["lang"]), str(r["ref"]), str(r["words"]),
                   r["ours"], r["lead"]))  # type: ignore[arg-type]
    ours = tuple(mean(r["ours"][i] for r in rows) for i in range(3))  # type: ignore[index]
    lead = tuple(mean(r["lead"][i] for r in rows) for i in range(3))  # type: ignore[index]
    print("-" * 100)
    print(_row(f"mean over {len(rows)} documents", "", "", "", ours, lead))
    wins = sum(r["ours"][2] > r["lead"][2] for r in rows)  # type: ignore[index]
    print(f"ROUGE-L: ours {ours[2]:.1f} vs lead-k {lead[2]:.1f}; ours ahead on {wins}/{len(rows)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
