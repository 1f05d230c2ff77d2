"""The offline analysis writer: ranking of generic insights and the narrative's markers."""

# ruff: noqa: RUF001  (typographic quotes on purpose)
from __future__ import annotations

import re
from dataclasses import dataclass

from addin.models.local.analyst import AnalysisText, marker, rank, write_analysis


@dataclass(frozen=True)
class Item:
    """An insight as the writer sees it: nothing of Excel, five plain fields."""

    title: str
    detail: str
    range: str
    kind: str
    severity: str


OVERVIEW = ("The workbook has 1 sheet: Sales (1 table).",
            "Sheet Sales holds a table of 1,200 rows and 6 columns, dated from 2023-01-01 to "
            "2023-12-31.")
ERROR = Item("#DIV/0! errors on Sales", "3 cells show #DIV/0!: E5, E9 and E12.", "Sales!E5:E12",
             "error", "critical")
TREND = Item("Revenue rising", "The monthly total of Revenue went from $1,200 in Jan 2023 to "
             "$1,800 in Dec 2023 (+50%). The least-squares trend adds $52 per month.",
             "Sales!D2:D1201", "trend", "notice")
OUTLIER = Item("Outlier in Units", "C57 holds 900 in Units, 41 robust z-scores from the median "
               "of 12. 2 other cells lie beyond the limit too.", "Sales!C57", "outlier",
               "notice")
TEXT = Item("Numbers stored as text in Price", "B4 and B9 hold numbers stored as text.",
            "Sales!B4:B9", "quality", "warning")
GAPS = Item("Gaps in Notes", "Notes is empty in 40 rows.", "Sales!F2", "quality", "info")
LINK = Item("Revenue and Units move together (r = 0.93)", "Across 1,200 rows...",
            "Sales!C2:D1201", "correlation", "info")
TABLE = Item("Table Sales", "1,200 data rows × 6 columns.", "Sales!A1:F1201", "overview", "info")
ANSWER = Item("Total Revenue by Region", "Total Revenue by Region: North $9,000; South $6,000.",
              "Sales!D2:D1201", "answer", "info")
ALL = [TABLE, LINK, GAPS, TEXT, OUTLIER, TREND, ERROR]


def markers(text: str) -> list[str]:
    return re.findall(r"\[\[(.+?)\]\]", text)


def test_ranking_puts_answers_and_critical_errors_first_then_trends_outliers_quality() -> None:
    ranked = rank([*ALL, ANSWER])
    assert [i.title for i in ranked] == [
        ANSWER.title, ERROR.title, TREND.title, OUTLIER.title, TEXT.title, GAPS.title,
        LINK.title, TABLE.title]


def test_ranking_keeps_eight_and_at_most_three_of_a_kind_while_others_wait() -> None:
    trends = [Item(f"T{i}", "d.", f"S!A{i}", "trend", "notice") for i in range(6)]
    ranked = rank([*trends, OUTLIER, TEXT, GAPS, LINK])
    assert len(ranked) == 8
    assert [i.title for i in ranked if i.kind == "trend"] == ["T0", "T1", "T2", "T3"]
    assert OUTLIER in ranked and TEXT in ranked and GAPS in ranked and LINK in ranked
    assert len(rank(trends)) == 6  # nothing else waits: all of them


def test_the_narrative_cites_ranges_with_markers_in_three_to_six_sentences() -> None:
    written = write_analysis(ALL, OVERVIEW)
    assert isinstance(written, AnalysisText)
    text = written.narrative
    assert text.startswith("Sheet Sales holds a table of 1,200 rows")
    assert " The monthly total of Revenue went from $1,200 in Jan 2023 to $1,800 in Dec 2023 " \
           "(+50%) [[Sales!D2:D1201]]." in text
    assert "To fix first: #DIV/0! errors on Sales [[Sales!E5:E12]]; numbers stored as text " \
           "in Price [[Sales!B4:B9]]." in text
    assert "[[Sales!C57]]" in text
    kept = {i.range for i in written.insights}
    assert set(markers(text)) <= kept
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z“])", text)
    assert 3 <= len(sentences) <= 6


def test_an_answered_question_comes_first_in_the_narrative_and_the_insights() -> None:
    written = write_analysis(ALL, OVERVIEW, "total revenue by region", ANSWER)
    assert written.narrative.startswith(
        "Total Revenue by Region: North $9,000; South $6,000 [[Sales!D2:D1201]].")
    assert written.insights[0] is ANSWER


def test_an_unanswered_question_is_said_honestly() -> None:
    written = write_analysis(ALL, OVERVIEW, "Why did sales drop in Lyon?", None)
    assert written.narrative.startswith("I could not answer “Why did sales drop in Lyon?” "
                                        "from the data: ")
    assert all(i.kind != "answer" for i in written.insights)


def test_clean_data_says_so_and_the_writer_is_deterministic() -> None:
    clean = [TABLE, LINK]
    first = write_analysis(clean, OVERVIEW)
    assert "I found no formula errors or data-quality problems." in first.narrative
    assert write_analysis(clean, OVERVIEW) == first
    assert write_analysis([], []).narrative == \
        "I found no formula errors or data-quality problems."


def test_a_marker_is_the_range_verbatim() -> None:
    assert marker("'Sales 2024'!C2:C120") == "[['Sales 2024'!C2:C120]]"
    assert marker("") == ""


def test_a_short_story_is_filled_to_three_sentences_with_the_next_findings() -> None:
    written = write_analysis([TABLE, LINK, GAPS], OVERVIEW)
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z“])", written.narrative)
    assert len(sentences) == 3
    assert sentences[1] == "Only minor data-quality remarks came up; see the findings."
    assert sentences[-1] == "Notes is empty in 40 rows [[Sales!F2]]."
