"""Language tools for the offline engine: detect the language, split sentences, tokenize.

Everything here is pure and deterministic. The only module-level state is cached lookups
(stop-word sets, stemmers, stems) built on first use per language.

Language detection decides in two steps. Text written mostly in a non-Latin script is
named by its script (Han/Kana/Hangul/Cyrillic/Arabic/Hebrew/Greek/Devanagari/Thai).
Latin-script text is named by the hit rate of each language's most frequent function
words (en, fr, de, es, it, pt, nl), with diacritics as a tie-breaker. When there is no
evidence (no letters, or no function word of any language) the answer is ``"und"``
(undetermined) rather than a guess: the tokenizer then neither stems nor drops stop
words, which is harmless, and callers can say honestly that the language is unknown.
"""

# ruff: noqa: RUF001  (typographic quotes and CJK punctuation are what this module matches)
from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any

import snowballstemmer
import stop_words

UNDETERMINED = "und"


def _words(text: str) -> frozenset[str]:
    """The space-separated words of a literal list."""
    return frozenset(text.split())


_SNOWBALL = {
    "ar": "arabic", "ca": "catalan", "cs": "czech", "da": "danish", "de": "german",
    "el": "greek", "en": "english", "es": "spanish", "fi": "finnish", "fr": "french",
    "hi": "hindi", "hu": "hungarian", "id": "indonesian", "it": "italian", "nb": "norwegian",
    "nl": "dutch", "pl": "polish", "pt": "portuguese", "ro": "romanian", "ru": "russian",
    "sv": "swedish", "tr": "turkish", "fa": "persian",
}  # fmt: skip

# The most frequent function words of each Latin-script language we name.
_PROFILES: dict[str, frozenset[str]] = {
    lang: _words(words)
    for lang, words in {
        "en": "a the and of to in is that for it with as was on are be by this which or from at"
        " an have has not were their been will would they these its can but there into we you"
        " he she his her our",
        "fr": "le la les de des du et est un une en que qui dans pour par sur pas au aux avec"
        " ce cette ces sont il elle nous vous ne se ou mais plus été qu sa son leurs à",
        "de": "der die das und ist nicht ein eine zu den dem des mit sich auf für von im auch"
        " es als wie wird werden sind dass oder bei nach aus ich wir sie einer",
        "es": "el la los las de del y que en un una es por para con no se al lo como más pero"
        " sus su este esta son está también entre sobre",
        "it": "il lo la gli le di del della che è e un una per con non sono da nel nella dei"
        " delle anche come più questo questa alla al in ha",
        "pt": "o a os as de do da dos das e que em um uma para com não no na por se mais é são"
        " ao como pelo pela também foi",
        "nl": "de het een en van is dat op te in voor niet met zijn er aan ook als bij door"
        " maar om dan wordt worden deze wij ze hij",
    }.items()
}
_DIACRITICS = {
    "fr": "çàèêùœëîâ", "de": "äöüß", "es": "ñ¿¡áíóú", "it": "òìù", "pt": "ãõçâê", "nl": "ĳ",
}  # fmt: skip

_SCRIPT_RANGES = {
    "latin": r"A-Za-z\u00c0-\u024f",
    "kana": r"\u3040-\u30ff",
    "han": r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff",
    "hangul": r"\uac00-\ud7af\u1100-\u11ff",
    "cyrillic": r"\u0400-\u04ff",
    "arabic": r"\u0600-\u06ff\u0750-\u077f",
    "hebrew": r"\u0590-\u05ff",
    "greek": r"\u0370-\u03ff",
    "devanagari": r"\u0900-\u097f",
    "thai": r"\u0e00-\u0e7f",
}
_SCRIPT_RES = {name: re.compile(f"[{rng}]") for name, rng in _SCRIPT_RANGES.items()}
_SCRIPT_LANG = {"hangul": "ko", "hebrew": "he", "greek": "el", "devanagari": "hi", "thai": "th"}
_CJK = re.compile(f"[{_SCRIPT_RANGES['kana']}{_SCRIPT_RANGES['han']}{_SCRIPT_RANGES['hangul']}]")
_CJK_RUN = re.compile(f"{_CJK.pattern}+|[^{_CJK.pattern[1:-1]}]+")
_CJK_LANGS = frozenset({"zh", "ja", "ko"})

_LETTERS = re.compile(r"[^\W\d_]+")
_WORD = re.compile(r"\w+")
_SAMPLE_CHARS = 6000


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language, or ``"und"`` when there is no evidence."""
    sample = _sample(text)
    by_script = _language_by_script(sample)
    if by_script is not None:
        return by_script
    return _language_by_function_words(sample)


def _sample(text: str) -> str:
    """A few windows spread over a long text, so a foreign preamble does not decide alone."""
    if len(text) <= _SAMPLE_CHARS:
        return text
    window = _SAMPLE_CHARS // 4
    step = (len(text) - window) // 3
    return " ".join(text[i * step : i * step + window] for i in range(4))


def _language_by_script(sample: str) -> str | None:
    counts = {name: len(rx.findall(sample)) for name, rx in _SCRIPT_RES.items()}
    total = sum(counts.values())
    if total == 0 or counts["latin"] >= total / 2:
        return None
    if counts["kana"] + counts["han"] >= max(counts["hangul"], counts["cyrillic"], 1) and (
        counts["kana"] + counts["han"] >= total / 3
    ):
        return "ja" if counts["kana"] >= 0.1 * (counts["kana"] + counts["han"]) else "zh"
    script = max((n for n in counts if n not in ("latin", "kana", "han")), key=counts.__getitem__)
    if script == "cyrillic":
        ukrainian = sum(sample.count(c) for c in "іїєґІЇЄҐ")
        russian = sum(sample.count(c) for c in "ыэъЫЭЪ")
        return "uk" if ukrainian > russian else "ru"
    if script == "arabic":
        persian = sum(sample.count(c) for c in "پچژگکی")
        return "fa" if persian > 0.02 * counts["arabic"] else "ar"
    return _SCRIPT_LANG.get(script)


def _language_by_function_words(sample: str) -> str:
    words = _LETTERS.findall(sample.lower())
    if not words:
        return UNDETERMINED
    best, best_score, best_hits = UNDETERMINED, 0.0, 0.0
    for lang, profile in _PROFILES.items():
        hits = sum(1.0 if len(w) > 1 else 0.3 for w in words if w in profile)
        marks = sum(sample.count(c) for c in _DIACRITICS.get(lang, ""))
        score = (hits + 0.3 * marks) / len(words)
        if score > best_score:
            best, best_score, best_hits = lang, score, hits
    return best if best_hits >= 1 else UNDETERMINED  # one-letter words alone are no evidence


# --- sentences ---------------------------------------------------------------------------

_COMMON_ABBREVIATIONS = "e.g i.e cf vs al fig figs vol vols dr prof approx ca resp viz"
_ABBREVIATIONS: dict[str, frozenset[str]] = {
    lang: _words(_COMMON_ABBREVIATIONS + " " + words)
    for lang, words in {
        "en": "mr mrs ms sr jr st u.s u.k u.n dept est inc ltd co corp jan feb mar apr jun jul"
        " aug sep sept oct nov dec eq eqs ref refs ed eds rev gen col gov sen rep mt ft univ"
        " assoc",
        "fr": "m mm mme mmes mlle mlles me mgr pr av bd chap éd env ex hab nº vol st ste"
        " c.-à-d p.ex j.-c",
        "de": "z.b d.h u.a bzw nr s vgl ggf evtl inkl bspw jh abs hrsg ges str sog u.ä o.ä"
        " v.a z.t i.d.r m.e hr fr dipl",
        "es": "sr sra srta dra ud uds pág págs núm nº ej p.ej cap av lic ing arq ee.uu s.a",
        "it": "sig sigra dott ing avv pag pagg ecc es cfr",
        "pt": "sr sra dra pág ex nº",
        "nl": "dhr mevr bijv bv o.a nl d.w.z m.b.t z.g.a blz",
    }.items()
}
# Abbreviations only when a number follows: "No. 5", "p. 45", "art. 3", "Fig. 2".
_NUMBERED = _words("no nos nr n nº p pp art chap ch sec s pág blz fig figs vol")
_TERMINATOR = re.compile(r"[.!?…]+(?:\s?[»”\"’)\]])*(?=\s|$)")
_CJK_TERMINATOR = re.compile(r"[。！？]+[」』”\"’）)]*")
_LINE_BREAK = re.compile(r"[\n\r\v\f\u2028\u2029]+")
_DOTTED = re.compile(r"^(?:\w{1,2}\.)+\w{1,2}$")
_ENUMERATOR = re.compile(r"^[\W_]*(?:\d{1,3}|[ivxlcdm]{1,6}|[a-z])[.)]?[\W_]*$", re.IGNORECASE)
_OPENERS = "([{\"'«“‘¿¡"
_APOSTROPHE = re.compile(r"['’]")


def split_sentences(text: str, lang: str) -> list[str]:
    """Split text into sentences, whitespace collapsed, keeping abbreviations and decimals whole.

    Line breaks always end a sentence; CJK full stops end one without a following space.
    """
    abbreviations = _ABBREVIATIONS.get(lang, _ABBREVIATIONS["en"])
    sentences: list[str] = []
    for line in _LINE_BREAK.split(text):
        for chunk in _split_cjk(line):
            sentences.extend(_split_latin(chunk, lang, abbreviations))
    return _merge_enumerators([s for s in (" ".join(p.split()) for p in sentences) if s])


def _split_cjk(line: str) -> list[str]:
    if not _CJK_TERMINATOR.search(line):
        return [line]
    pieces, start = [], 0
    for match in _CJK_TERMINATOR.finditer(line):
        pieces.append(line[start : match.end()])
        start = match.end()
    pieces.append(line[start:])
    return pieces


def _split_latin(chunk: str, lang: str, abbreviations: frozenset[str]) -> list[str]:
    pieces, start = [], 0
    for match in _TERMINATOR.finditer(chunk):
        rest = chunk[match.end() :].lstrip()
        before = chunk[start : match.start()]
        if rest and _is_boundary(before, match.group(), rest, lang, abbreviations):
            pieces.append(chunk[start : match.end()])
            start = match.end()
    pieces.append(chunk[start:])
    return pieces


def _is_boundary(
    before: str, terminator: str, rest: str, lang: str, abbrevs: frozenset[str]
) -> bool:
    """Whether a terminator ends the sentence, judged by the word before and the text after."""
    following = rest[0]
    if following.isalpha() and following.islower():
        return False  # "etc. and", "approx. five", French "« Quoi ? » dit-il"
    if not terminator.startswith(".") or terminator.startswith(("..", ".…")):
        return True
    parts = before.rsplit(None, 1)
    word = parts[-1].lstrip(_OPENERS) if parts else ""
    low = _APOSTROPHE.split(word)[-1].lower()  # French elision: "l'art." -> "art"
    if not word or before[-1:].isspace():
        return True
    if low in abbrevs or _DOTTED.match(word):
        return False  # "Dr. Smith", "e.g. Python", "U.S. Army", "z.B. Kinder"
    if low in _NUMBERED and (following.isdigit() or following in "IVXLC"):
        return False
    if len(word) == 1 and word.isalpha():
        return False  # an initial or a one-letter abbreviation: "J. Smith", "Watkins u. Watkins"
    return not (lang == "de" and word.isdigit() and len(word) <= 2)  # "am 3. Oktober"


def _merge_enumerators(pieces: list[str]) -> list[str]:
    """Glue a lone list marker ("1.", "IV.", "a)") to the sentence that follows it."""
    merged: list[str] = []
    carry = ""
    for piece in pieces:
        if _ENUMERATOR.match(piece):
            carry = f"{carry} {piece}".strip()
            continue
        merged.append(f"{carry} {piece}".strip() if carry else piece)
        carry = ""
    if carry:
        merged.append(carry)
    return merged


# --- tokens -----------------------------------------------------------------------------

# The stop-words package's English list also holds content words; keep these as terms.
_EN_CONTENT = _words(
    "area areas bill billion case cases changes computer copy date detail effect example face"
    " faces fact facts fire free general goods group groups help home importance important"
    " index information interest interests invention large length line member members million"
    " money name novel number numbers order orders page pages part parts place places point"
    " points present problem problems research results room rooms section significant site"
    " state states system test text thousand trillion value website work works world year"
    " years young width microsoft netscape"
)
_ELISIONS = _words("qu jusqu lorsqu puisqu quoiqu")


@lru_cache(maxsize=64)
def stop_words_for(lang: str) -> frozenset[str]:
    """The stop words of a language (empty for languages the package does not know)."""
    try:
        words = frozenset(w.lower() for w in stop_words.get_stop_words(lang))
    except (stop_words.StopWordError, KeyError):
        return frozenset()
    if lang == "en":
        words -= _EN_CONTENT
    if lang == "fr":
        words |= _ELISIONS
    return words


@lru_cache(maxsize=64)
def _stemmer(lang: str) -> tuple[Any, threading.Lock] | None:
    """A Snowball stemmer and the lock that guards it (stemmer objects are stateful)."""
    name = _SNOWBALL.get(lang)
    return (snowballstemmer.stemmer(name), threading.Lock()) if name else None


@lru_cache(maxsize=200_000)
def _stem(lang: str, word: str) -> str:
    found = _stemmer(lang)
    if found is None:
        return word
    stemmer, lock = found
    with lock:
        return str(stemmer.stemWord(word))


def stem(word: str, lang: str) -> str:
    """The Snowball stem of a lowercase word (the word itself when there is no stemmer)."""
    return _stem(lang, word)


def tokenize(text: str, lang: str) -> list[str]:
    """Content terms of a text: lowercased words, stop words removed, stemmed.

    CJK runs become character bigrams (no word spaces to split on). Numbers of two or
    more digits stay as terms; single characters are dropped.
    """
    stops = stop_words_for(lang)
    terms: list[str] = []
    for word in _WORD.findall(text.lower()):
        if _CJK.search(word):
            terms.extend(_cjk_terms(word, stops))
        elif len(word) >= 2 and word not in stops and not word.startswith("_"):
            terms.append(word if word.isdigit() else _stem(lang, word))
    return terms


def _cjk_terms(word: str, stops: frozenset[str]) -> list[str]:
    terms: list[str] = []
    for run in _CJK_RUN.findall(word):
        if not _CJK.match(run):
            if len(run) >= 2:
                terms.append(run)
        elif len(run) == 1:
            terms.append(run)
        else:
            terms.extend(b for b in (run[i : i + 2] for i in range(len(run) - 1)) if b not in stops)
    return terms


def count_words(text: str) -> int:
    """Words in a text; a CJK run counts one word per two characters."""
    total = 0
    for word in _WORD.findall(text):
        cjk = len(_CJK.findall(word))
        total += max(1, cjk // 2) if cjk else 1
    return total


def is_cjk(lang: str) -> bool:
    """Whether the language is written without spaces between words."""
    return lang in _CJK_LANGS
