"""Language tools of the offline engine: detection, sentence splitting, tokenizing."""

# ruff: noqa: RUF001  (test texts in French and CJK use their own punctuation)
from __future__ import annotations

import pytest

from addin.models.local.text import (
    count_words,
    detect_language,
    split_sentences,
    stop_words_for,
    tokenize,
)

ENGLISH = (
    "The city council approved the new water management plan on Tuesday. The plan sets out how "
    "the utility will reduce leaks in the distribution network, which currently lose about a "
    "fifth of the treated water before it reaches homes. Officials said that the work would be "
    "financed by a combination of tariffs and a loan from the regional development bank."
)
FRENCH = (
    "Le conseil municipal a adopté mardi le nouveau plan de gestion de l'eau. Ce plan précise "
    "comment le service des eaux réduira les fuites du réseau de distribution, qui perd "
    "aujourd'hui près d'un cinquième de l'eau traitée avant qu'elle n'arrive dans les foyers. "
    "Les élus ont indiqué que les travaux seraient financés par les tarifs et par un prêt de la "
    "banque régionale de développement."
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (ENGLISH, "en"),
        (FRENCH, "fr"),
        ("Die Regierung hat am Dienstag ihr Gesetz über die Energie vorgestellt, das nach "
         "Ansicht der Opposition nicht weit genug geht.", "de"),
        ("El gobierno presentó el martes su proyecto de ley de energía, que según la oposición "
         "no va lo suficientemente lejos.", "es"),
        ("Il governo ha presentato martedì il suo disegno di legge sull'energia, che secondo "
         "l'opposizione non va abbastanza lontano.", "it"),
        ("O governo apresentou na terça-feira o seu projeto de lei sobre a energia, que segundo "
         "a oposição não vai suficientemente longe.", "pt"),
        ("De regering heeft dinsdag haar energiewet gepresenteerd, die volgens de oppositie "
         "niet ver genoeg gaat.", "nl"),
    ],
)
def test_detects_latin_script_languages_by_function_words(text: str, expected: str) -> None:
    assert detect_language(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("政府周二公布了能源法案，反对派认为力度不够。", "zh"),
        ("政府は火曜日にエネルギー法案を発表したが、野党は不十分だと述べた。", "ja"),
        ("정부는 화요일에 에너지 법안을 발표했다.", "ko"),
        ("Правительство во вторник представило законопроект об энергетике.", "ru"),
        ("الحكومة قدمت يوم الثلاثاء مشروع قانون الطاقة.", "ar"),
        ("הממשלה הציגה ביום שלישי את חוק האנרגיה.", "he"),
        ("Η κυβέρνηση παρουσίασε την Τρίτη το νομοσχέδιο για την ενέργεια.", "el"),
    ],
)
def test_detects_other_scripts_by_script(text: str, expected: str) -> None:
    assert detect_language(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "12 345 678", "—"])
def test_no_evidence_is_undetermined(text: str) -> None:
    assert detect_language(text) == "und"


def test_a_foreign_preamble_does_not_decide_a_long_document() -> None:
    text = ENGLISH[:200] + " " + " ".join([FRENCH] * 40)
    assert detect_language(text) == "fr"


def test_english_abbreviations_decimals_and_initials_do_not_split() -> None:
    text = (
        "Dr. Smith moved to the U.S. in 2003. Inflation reached 3.5 percent, e.g. in the "
        "housing sector, i.e. rents. Mr. J. K. Jones disagreed (see Fig. 2 and No. 5 on p. 7). "
        "Was it true? Yes! The rest followed."
    )
    assert split_sentences(text, "en") == [
        "Dr. Smith moved to the U.S. in 2003.",
        "Inflation reached 3.5 percent, e.g. in the housing sector, i.e. rents.",
        "Mr. J. K. Jones disagreed (see Fig. 2 and No. 5 on p. 7).",
        "Was it true?",
        "Yes!",
        "The rest followed.",
    ]


def test_french_abbreviations_spacing_and_guillemets() -> None:
    text = (
        "M. Dupont a rencontré Mme. Durand hier. Le rapport (cf. p. 45) cite les annexes, "
        "les tableaux, etc. et les notes. Est-ce vrai ? Oui ! Elle a dit : « C'est fini. » "
        "Puis elle est partie. L'art. 3 du code s'applique."
    )
    assert split_sentences(text, "fr") == [
        "M. Dupont a rencontré Mme. Durand hier.",
        "Le rapport (cf. p. 45) cite les annexes, les tableaux, etc. et les notes.",
        "Est-ce vrai ?",
        "Oui !",
        "Elle a dit : « C'est fini. »",
        "Puis elle est partie.",
        "L'art. 3 du code s'applique.",
    ]


def test_french_question_inside_guillemets_followed_by_lowercase_does_not_split() -> None:
    text = "« Pourquoi ? » demanda-t-il. Personne ne répondit."
    assert split_sentences(text, "fr") == ["« Pourquoi ? » demanda-t-il.", "Personne ne répondit."]


def test_german_ordinals_and_abbreviations() -> None:
    text = "Das gilt z.B. für Kinder. Am 3. Oktober kam er bzw. seine Frau. Dann ging er."
    assert split_sentences(text, "de") == [
        "Das gilt z.B. für Kinder.",
        "Am 3. Oktober kam er bzw. seine Frau.",
        "Dann ging er.",
    ]


def test_cjk_full_stops_split_without_spaces() -> None:
    assert split_sentences("今天天气很好。我们去公园吧！好吗？", "zh") == [
        "今天天气很好。", "我们去公园吧！", "好吗？",
    ]


def test_line_breaks_end_sentences_and_list_markers_stay_attached() -> None:
    text = "1. Reduce leaks in the network.\nII. Raise tariffs gradually"
    assert split_sentences(text, "en") == [
        "1. Reduce leaks in the network.", "II. Raise tariffs gradually",
    ]


def test_tokenize_drops_stop_words_and_stems_english() -> None:
    assert tokenize("The computers were tested in the research laboratories.", "en") == [
        "comput", "test", "research", "laboratori",
    ]


def test_tokenize_french_elisions_and_stems() -> None:
    terms = tokenize("L'économie nationale qu'on observe et les économies régionales.", "fr")
    assert "l" not in terms and "qu" not in terms and "et" not in terms
    assert terms.count("économ") == 2
    assert tokenize("économiques", "fr") == tokenize("économique", "fr")


def test_tokenize_cjk_into_bigrams_and_unknown_language_unstemmed() -> None:
    assert tokenize("天气很好", "zh") == ["天气", "气很", "很好"]
    assert tokenize("Running runners ran", "und") == ["running", "runners", "ran"]


def test_english_stop_list_keeps_content_words() -> None:
    stops = stop_words_for("en")
    assert "the" in stops and "which" in stops
    assert "research" not in stops and "system" not in stops and "test" not in stops


def test_count_words_counts_cjk_by_pairs() -> None:
    assert count_words("water and tariffs") == 3
    assert count_words("今天天气很好") == 3
