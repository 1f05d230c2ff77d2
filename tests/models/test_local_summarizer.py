"""The offline summarizer: selection, citations, lengths, focus, notes and rendering."""

# ruff: noqa: RUF001  (test texts in French and CJK use their own punctuation)
from __future__ import annotations

import re

import pytest

from addin.models.local.summarizer import (
    Passage,
    Point,
    Summary,
    SummaryOptions,
    render,
    summarize,
)

ENGLISH_REPORT: list[tuple[str, list[str]]] = [
    ("Introduction", [
        "This report reviews the performance of the municipal water utility during the 2023 "
        "financial year. It covers the demand for water, the state of the distribution network, "
        "the utility's finances and the investment plan adopted by the council in March.",
        "The utility serves about 420,000 residents and 9,000 businesses across the city and "
        "two neighbouring districts. It operates three treatment plants, twelve reservoirs and "
        "roughly 2,300 kilometres of pipes, many of which were laid before 1960.",
    ]),
    ("Water demand", [
        "Total consumption fell by 4 percent compared with 2022, mainly because households "
        "responded to the summer drought campaign. Average daily use per resident dropped to "
        "128 litres, the lowest figure recorded since metering began in 1998.",
        "Industrial demand remained stable, although two large breweries announced that they "
        "will recycle process water from next year. Forecasts suggest that population growth "
        "will raise demand again by 2027 unless efficiency programmes are extended.",
        "Peak demand during heat waves remains the main operational risk. On the hottest day "
        "of July the network delivered 96 percent of its maximum capacity, leaving very little "
        "margin for a failure at one of the treatment plants.",
    ]),
    ("Distribution network", [
        "Leakage is the network's most serious weakness: an estimated 21 percent of treated "
        "water is lost before it reaches customers. Most losses occur in cast-iron mains in the "
        "old town, where bursts are three times as frequent as in the rest of the city.",
        "The utility replaced 31 kilometres of mains in 2023 and installed pressure sensors in "
        "eight districts. Early results show that pressure management alone reduced bursts by "
        "a quarter in the districts where it was introduced.",
        "Inspections also found that 14 reservoirs and pumping stations need structural repairs "
        "within five years. Engineers recommend prioritising the two reservoirs that supply the "
        "hospital district.",
    ]),
    ("Finances", [
        "Revenue reached 186 million euros, an increase of 6 percent driven by the tariff "
        "adjustment approved in January. Operating costs rose faster, by 9 percent, because "
        "energy prices for pumping and treatment nearly doubled.",
        "The utility's debt stands at 410 million euros, and interest payments now absorb 11 "
        "percent of revenue. The rating agency confirmed its A rating but warned that further "
        "borrowing without tariff increases would put it under pressure.",
        "Customer arrears increased slightly, and the social tariff now supports 23,000 "
        "low-income households. The board considers the social tariff essential to keep water "
        "affordable while prices rise.",
    ]),
    ("Conclusion", [
        "The utility ended the year in a stable position, but leakage, ageing assets and energy "
        "costs threaten its finances. The council's investment plan, which doubles the pace of "
        "main replacement, is the main answer to these risks.",
        "The report recommends pursuing pressure management across the whole city, securing "
        "long-term energy contracts and reviewing tariffs every year.",
    ]),
]

FRENCH_REPORT: list[tuple[str, list[str]]] = [
    ("Introduction", [
        "Ce rapport présente le bilan de la transition énergétique de la région en 2023. Il "
        "examine la production d'électricité renouvelable, la consommation des ménages et des "
        "entreprises, ainsi que le financement des projets soutenus par le conseil régional.",
        "La région compte 1,2 million d'habitants et consomme environ 9 térawattheures "
        "d'électricité par an. Les objectifs fixés en 2020 prévoient de couvrir la moitié de "
        "cette consommation par des sources renouvelables d'ici à 2030.",
    ]),
    ("Production renouvelable", [
        "La production renouvelable a progressé de 18 % en un an, grâce surtout à la mise en "
        "service de trois parcs solaires au sud de la région. Elle couvre désormais 31 % de la "
        "consommation régionale d'électricité.",
        "L'éolien terrestre stagne, car plusieurs projets sont bloqués par des recours devant "
        "le tribunal administratif. Les porteurs de projets estiment que les délais "
        "d'instruction dépassent souvent quatre ans.",
        "La méthanisation agricole se développe lentement : douze unités fonctionnent "
        "aujourd'hui, et cinq autres sont en construction. Elles valorisent les effluents "
        "d'élevage et fournissent du gaz aux réseaux de chaleur.",
    ]),
    ("Consommation", [
        "La consommation d'électricité a baissé de 5 % par rapport à 2022. Les ménages ont "
        "réduit le chauffage pendant l'hiver, et de nombreuses entreprises ont modernisé leur "
        "éclairage et leurs moteurs.",
        "Le secteur des transports reste le premier consommateur d'énergie fossile de la "
        "région. Le nombre de véhicules électriques immatriculés a cependant doublé, et le "
        "réseau compte désormais 2 400 points de recharge publics.",
    ]),
    ("Financement", [
        "Le conseil régional a consacré 145 millions d'euros à la transition énergétique, dont "
        "la moitié sous forme de subventions à la rénovation des logements. Les prêts à taux "
        "zéro ont financé 6 800 chantiers de rénovation.",
        "Les collectivités locales peinent toutefois à financer leur part des projets. La "
        "hausse des taux d'intérêt a renchéri les emprunts, et plusieurs communes ont reporté "
        "la rénovation de leurs écoles.",
    ]),
    ("Conclusion", [
        "La région a accompli des progrès réels, mais le rythme actuel ne suffira pas pour "
        "atteindre l'objectif de 2030. Le rapport recommande d'accélérer l'instruction des "
        "projets éoliens et de renforcer l'aide aux communes.",
    ]),
]


def build(sections: list[tuple[str, list[str]]], title: str = "") -> list[Passage]:
    """Passages as the feature layer makes them: a title, headings, then their paragraphs."""
    passages: list[Passage] = []
    if title:
        passages.append(Passage("p0", title, 0, "", 0, "title"))
    for index, (heading, paragraphs) in enumerate(sections, start=1):
        passages.append(Passage(f"p{len(passages)}", heading, index, heading, 1, "heading"))
        for text in paragraphs:
            passages.append(Passage(f"p{len(passages)}", text, index, heading, 1))
    return passages


def ids_of(summary: Summary) -> set[str]:
    return {i for point in summary.points for i in point.ids}


@pytest.fixture
def english() -> list[Passage]:
    return build(ENGLISH_REPORT, "Municipal Water Utility: Annual Review 2023")


@pytest.fixture
def french() -> list[Passage]:
    return build(FRENCH_REPORT, "Bilan régional de la transition énergétique")


MARKER = re.compile(r"\[((?:p\d+)(?:, p\d+)*)\]")


def test_every_bullet_cites_only_input_ids(english: list[Passage]) -> None:
    known = {p.id for p in english}
    text = "".join(render(summarize(english, SummaryOptions()), "bullets"))
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines and all(line.startswith("- ") for line in lines)
    for line in lines:
        markers = MARKER.findall(line)
        assert line.rstrip().endswith("]") and markers, line
        assert all(pid in known for m in markers for pid in m.split(", "))


def test_points_are_sentences_of_body_paragraphs_never_headings(english: list[Passage]) -> None:
    summary = summarize(english, SummaryOptions(length="long"))
    by_id = {p.id: p for p in english}
    for point in summary.points:
        assert point.ids and all(by_id[i].kind == "body" for i in point.ids)
        assert point.text in " ".join(by_id[i].text for i in point.ids)
        assert point.section_title == by_id[point.ids[0]].section_title


def test_length_short_medium_long_grow(english: list[Passage]) -> None:
    counts = [len(summarize(english, SummaryOptions(length=n)).points)
              for n in ("short", "medium", "long")]
    assert counts[0] < counts[1] < counts[2]
    assert counts[0] == 3


def test_words_stay_within_each_lengths_budget(english: list[Passage]) -> None:
    for length, limit in (("short", 80), ("medium", 180), ("long", 350)):
        summary = summarize(english, SummaryOptions(length=length))
        assert sum(len(p.text.split()) for p in summary.points) <= limit


def test_a_small_document_gets_few_points() -> None:
    passages = build([("Notes", ENGLISH_REPORT[1][1])])
    summary = summarize(passages, SummaryOptions(length="long"))
    assert 1 <= len(summary.points) <= 4


def test_one_sentence_gives_one_point() -> None:
    passages = [Passage("p3", "The board approved the budget for the coming year.")]
    summary = summarize(passages, SummaryOptions(length="long"))
    assert [(p.text, p.ids) for p in summary.points] == [
        ("The board approved the budget for the coming year.", ("p3",)),
    ]


def test_a_fragment_alone_still_gives_a_point() -> None:
    passages = [Passage("p0", "Budget 2024", kind="heading"), Passage("p1", "Budget approved.")]
    summary = summarize(passages, SummaryOptions())
    assert [(p.text, p.ids) for p in summary.points] == [("Budget approved.", ("p1",))]


def test_headings_alone_are_never_points() -> None:
    passages = [Passage("p0", "Annual report", kind="title"),
                Passage("p1", "Introduction", 1, "Introduction", 1, "heading")]
    summary = summarize(passages, SummaryOptions())
    assert summary.points == () and summary.notes


def test_near_identical_paragraphs_are_never_both_selected(english: list[Passage]) -> None:
    at = next(i for i, p in enumerate(english) if p.text.startswith("Leakage"))
    leak = english[at]
    twin = Passage("p99", leak.text.replace("most serious weakness", "most serious problem"),
                   leak.section, leak.section_title, 1)
    passages = [*english[: at + 1], twin, *english[at + 1 :]]
    for length in ("short", "medium", "long"):
        summary = summarize(passages, SummaryOptions(length=length))
        texts = [p.text for p in summary.points]
        assert len(texts) == len(set(texts))
        assert not {leak.id, twin.id} <= ids_of(summary), texts


def test_focus_moves_the_selection_towards_it(english: list[Passage]) -> None:
    plain = summarize(english, SummaryOptions(length="short"))
    focused = summarize(english, SummaryOptions(length="short", focus="debt and interest rating"))
    assert [p.text for p in plain.points] != [p.text for p in focused.points]
    assert any("debt" in p.text or "rating" in p.text for p in focused.points)
    assert sum(p.section_title == "Finances" for p in focused.points) > sum(
        p.section_title == "Finances" for p in plain.points)
    assert not focused.notes


def test_focus_works_in_french_with_inflected_forms(french: list[Passage]) -> None:
    plain = summarize(french, SummaryOptions(length="short"))
    focused = summarize(french, SummaryOptions(length="short", focus="projets éoliens"))
    assert not any("éolien" in p.text for p in plain.points)
    assert any("éolien" in p.text for p in focused.points)


def test_focus_missing_from_the_document_is_said(english: list[Passage]) -> None:
    summary = summarize(english, SummaryOptions(focus="volcanoes"))
    assert summary.points
    assert any("volcanoes" in note for note in summary.notes)


def test_points_spread_over_the_sections(english: list[Passage]) -> None:
    summary = summarize(english, SummaryOptions(length="medium"))
    sections = {p.section for p in summary.points}
    assert len(sections) >= 4
    assert [p.section for p in summary.points] == sorted(p.section for p in summary.points)


def test_french_document_is_detected_and_summarized_in_french(french: list[Passage]) -> None:
    summary = summarize(french, SummaryOptions(length="medium"))
    assert summary.language == "fr"
    assert len(summary.points) >= 4 and not summary.notes
    assert len({p.section for p in summary.points}) >= 3


def test_translation_request_gets_a_note_not_silence(french: list[Passage]) -> None:
    summary = summarize(french, SummaryOptions(language="de"))
    assert summary.points
    assert len(summary.notes) == 1
    assert "de" in summary.notes[0] and "fr" in summary.notes[0]
    assert "translate" in summary.notes[0]


@pytest.mark.parametrize("language", ["auto", "fr", "fr-CA", "FR"])
def test_the_documents_own_language_needs_no_note(french: list[Passage], language: str) -> None:
    assert summarize(french, SummaryOptions(language=language)).notes == ()


@pytest.mark.parametrize("passages", [[], [Passage("p0", "   "), Passage("p1", "")]])
def test_empty_input_gives_no_points_and_a_note(passages: list[Passage]) -> None:
    summary = summarize(passages, SummaryOptions())
    assert summary.points == () and summary.notes
    assert list(render(summary, "bullets")) == []


def test_back_matter_and_contents_lines_are_not_points() -> None:
    sections = [
        ("Contents", ["Introduction .......... 1", "Water demand .......... 4"]),
        *ENGLISH_REPORT,
        ("References", [
            "Smith, J. (2019). Urban water losses in Europe. Water Policy 21, pp. 100-120.",
            "European Environment Agency (2021). Water resources across Europe: confronting "
            "water stress, an updated assessment. Copenhagen: EEA.",
        ]),
    ]
    passages = build(sections)
    summary = summarize(passages, SummaryOptions(length="long"))
    titles = {p.section_title for p in summary.points}
    assert "References" not in titles and "Contents" not in titles


def test_output_is_deterministic(english: list[Passage]) -> None:
    options = SummaryOptions(length="long", style="executive", focus="energy")
    first = "".join(render(summarize(english, options), "executive"))
    assert all("".join(render(summarize(english, options), "executive")) == first
               for _ in range(3))


def test_numeric_reference_brackets_are_removed_from_points() -> None:
    passages = [Passage("p0", "Exposure to the solvent doubled the risk of lymphoma in "
                               "exposed workers [12, 14]. The association held in later cohorts "
                               "of factory staff [3].")]
    summary = summarize(passages, SummaryOptions(length="short"))
    assert all("[1" not in p.text and "[3]" not in p.text for p in summary.points)


def test_paragraph_style_is_prose_with_a_marker_after_each_sentence(english) -> None:
    summary = summarize(english, SummaryOptions(style="paragraph"))
    chunks = list(render(summary, "paragraph"))
    text = "".join(chunks)
    assert len(chunks) >= len(summary.points)
    assert "- " not in text.splitlines()[0][:2]
    for point in summary.points:
        assert f"{point.text} [{', '.join(point.ids)}]" in text


def test_executive_style_has_an_overview_then_bullets_under_sections(english) -> None:
    summary = summarize(english, SummaryOptions(length="long", style="executive"))
    lines = [line for line in "".join(render(summary, "executive")).splitlines() if line]
    overview, rest = lines[0], lines[1:]
    assert not overview.startswith(("- ", "**")) and MARKER.search(overview)
    headings = [line for line in rest if line.startswith("**")]
    bullets = [line for line in rest if line.startswith("- ")]
    assert headings and all(re.fullmatch(r"\*\*[^*]+\*\*", h) for h in headings)
    assert len(bullets) == len(summary.points) - 1
    assert all(MARKER.search(b) for b in bullets)
    assert set(headings) <= {f"**{t}**" for t, _ in ENGLISH_REPORT}


def test_render_cites_several_ids_in_one_marker() -> None:
    summary = Summary((Point("Costs rose.", ("p3", "p7"), 1, "Finances"),), "en", ())
    assert "".join(render(summary, "bullets")) == "- Costs rose. [p3, p7]\n"


def test_render_streams_one_bullet_per_chunk(english: list[Passage]) -> None:
    summary = summarize(english, SummaryOptions(length="medium"))
    chunks = list(render(summary, "bullets"))
    assert len(chunks) == len(summary.points)


def test_cjk_document_is_summarized_with_citations() -> None:
    paragraphs = [
        "本报告介绍了城市供水公司二零二三年的运营情况。公司为四十二万居民提供服务。",
        "管网漏损是最严重的问题，约五分之一的净水在到达用户之前流失。老城区的铸铁管道爆管最为频繁。",
        "公司的收入增长了百分之六，但能源价格上涨导致运营成本增加了百分之九。",
    ]
    passages = [Passage(f"p{i}", t) for i, t in enumerate(paragraphs)]
    summary = summarize(passages, SummaryOptions(length="short"))
    assert summary.language == "zh"
    assert summary.points and ids_of(summary) <= {p.id for p in passages}


def test_point_length_is_capped() -> None:
    long_sentence = "The committee noted that " + ", ".join(
        f"district {n} reported higher losses than expected" for n in range(1, 15)) + "."
    passages = [Passage("p0", long_sentence), Passage("p1", ENGLISH_REPORT[0][1][0])]
    summary = summarize(passages, SummaryOptions(length="short"))
    assert all(len(p.text.split()) <= 46 for p in summary.points)
