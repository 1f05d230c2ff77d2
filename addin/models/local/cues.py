"""Cue words, in the languages the engine names: which sections and sentences tend to carry
a document's main points, which sections are back matter, which openings lean on context.

Matching is on lowercased text with accents kept; section titles are matched after their
numbering ("2.1", "IV.", "A.") is stripped.
"""

from __future__ import annotations

import re

_NUMBERING = re.compile(r"^[\s\W\d_]*(?:[ivxlcdm]+|[a-z])?[.)\t ]+\s*", re.IGNORECASE)

_KEY_SECTIONS = re.compile(
    r"^(?:abstract|summary|executive summary|overview|introduction|conclusions?"
    r"|concluding remarks|results|findings|key findings|discussion|recommendations|outlook"
    r"|résumé|synthèse|introduction générale|conclusions? générales?|résultats"
    r"|recommandations|perspectives|zusammenfassung|einleitung|fazit|ergebnisse|schluss"
    r"|schlussfolgerungen?|diskussion|ausblick|überblick|empfehlungen|resumen|introducción"
    r"|conclusi[oó]n(?:es)?|resultados|discusión|recomendaciones|síntesis|sommario|riassunto"
    r"|introduzione|conclusioni|risultati|resumo|introdução|conclusões|conclusão"
    r"|samenvatting|inleiding|conclusies?|resultaten)\b",
    re.IGNORECASE,
)
_BACK_MATTER = re.compile(
    r"^(?:references?|bibliography|works cited|appendi(?:x|ces)|annex(?:es)?|acknowledge?ments?"
    r"|table of contents|contents|index|glossary|list of (?:figures|tables|abbreviations)"
    r"|table of figures|abbreviations|références|bibliographie|annexes?|remerciements|sommaire"
    r"|table des matières|glossaire|index|literatur(?:verzeichnis)?|quellen(?:verzeichnis)?"
    r"|anhang|inhalt(?:sverzeichnis)?|danksagung|abkürzungsverzeichnis|referencias"
    r"|bibliografía|anexos?|índice|agradecimientos|glosario|riferimenti|bibliografia"
    r"|indice|ringraziamenti|referências|agradecimentos|literatuur(?:lijst)?|bijlagen?"
    r"|inhoud(?:sopgave)?)\b",
    re.IGNORECASE,
)
_SENTENCE_CUES = re.compile(
    r"\b(?:this (?:paper|report|study|document|article|review|chapter)|we (?:propose|present|"
    r"show|found|find|conclude|recommend)|results (?:show|indicate|suggest)|in conclusion"
    r"|in summary|the (?:aim|purpose|goal|objective) of|our (?:findings|results)"
    r"|(?:ce|cet|le présent) (?:rapport|article|document|travail|chapitre)|nous (?:proposons"
    r"|présentons|montrons|concluons|recommandons)|en conclusion|en résumé|les résultats"
    r"|l'objectif|diese[rs]? (?:arbeit|bericht|studie|beitrag|artikel)|zusammenfassend"
    r"|die ergebnisse|ziel (?:dieser|der)|este (?:documento|informe|estudio|trabajo|artículo)"
    r"|en conclusión|en resumen|los resultados|el objetivo|questo (?:documento|studio|rapporto)"
    r"|in conclusione|este (?:relatório|estudo)|em conclusão|dit (?:rapport|onderzoek)"
    r"|concluderend)\b",
    re.IGNORECASE,
)
_DANGLING = re.compile(
    r"^(?:however|therefore|thus|hence|moreover|furthermore|in addition|also|this|these|that"
    r"|those|it|they|such|cependant|toutefois|ainsi|donc|de plus|en outre|ce|cette|ces|cela"
    r"|il|elle|ils|elles|jedoch|daher|deshalb|außerdem|dies|diese|dieser|er|sie|es"
    r"|sin embargo|por lo tanto|además|esto|este|esta|estos|estas|ello)\b",
    re.IGNORECASE,
)


def bare_title(title: str) -> str:
    """A section title without its numbering: "2.1 Results" -> "Results"."""
    return _NUMBERING.sub("", title.strip(), count=1) if title else ""


def section_weight(title: str) -> float:
    """Above 1 for sections that usually state the main points (introduction, conclusion…)."""
    return 1.25 if title and _KEY_SECTIONS.match(bare_title(title)) else 1.0


def is_back_matter(title: str) -> bool:
    """References, appendices, tables of contents, indexes: never summary material."""
    return bool(title) and bool(_BACK_MATTER.match(bare_title(title)))


def has_sentence_cue(sentence: str) -> bool:
    """Whether the sentence announces a purpose, finding or conclusion."""
    return bool(_SENTENCE_CUES.search(sentence))


def is_dangling(sentence: str) -> bool:
    """Whether the sentence opens by leaning on the one before it ("However, …", "This …")."""
    return bool(_DANGLING.match(sentence))
