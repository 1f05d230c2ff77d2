"""Questions answered from the data without a model: each pattern, in English and French,
column names matched loosely, and None when the question is beyond the patterns."""

# ruff: noqa: RUF002  (a multiplication sign in a docstring on purpose)
from __future__ import annotations

from datetime import date

import pytest

from addin.documents.a1 import column_letter
from addin.documents.workbook import CellValue, Column, DataTable, Sheet, Workbook
from addin.features.profile import profile_workbook
from addin.features.questions import answer

REGIONS = ("North", "South", "East")


def make_workbook(columns: dict[str, list[CellValue]], kinds: dict[str, str],
                  sheet: str = "Sales") -> Workbook:
    rows = max(len(v) for v in columns.values())
    cols = [Column(i, column_letter(i + 1), name, kinds.get(name, "number"),  # type: ignore
                   list(values), currency="$" if kinds.get(name) == "currency" else None)
            for i, (name, values) in enumerate(columns.items())]
    table = DataTable(sheet, None, 1, 2, rows + 1, 1, len(cols), cols)
    return Workbook([Sheet(sheet, used_range=f"A1:{column_letter(len(cols))}{rows + 1}",
                           tables=[table])])


def sales(names: tuple[str, str, str, str, str] = ("Month", "Region", "Product", "Revenue",
                                                   "Units")) -> Workbook:
    """12 months × 3 regions: North grows 100 → 210, South falls 200 → 145, East stays 150."""
    month, region, product, revenue, units = names
    data: dict[str, list[CellValue]] = {month: [], region: [], product: [], revenue: [],
                                        units: []}
    for m in range(12):
        for name, value in zip(REGIONS, (100 + 10 * m, 200 - 5 * m, 150), strict=True):
            data[month].append(date(2023, m + 1, 1))
            data[region].append(name)
            data[product].append("A" if m % 2 else "B")
            data[revenue].append(value)
            data[units].append(m + 1)
    return make_workbook(data, {month: "date", region: "text", product: "text",
                                revenue: "currency"})


def test_top_n_rows_by_a_column() -> None:
    found = answer("top 3 by revenue", sales())
    assert found is not None and found.kind == "answer" and found.severity == "info"
    assert found.title == "Top 3 by Revenue"
    assert "$210 in D35 (North); $200 in D3 (South); $200 in D32 (North)" in found.detail
    assert found.range == "Sales!D2:D37"


def test_highest_and_lowest_value_point_at_their_cell() -> None:
    highest = answer("What is the highest revenue?", sales())
    assert highest is not None and highest.range == "Sales!D35"
    assert highest.detail == "The highest Revenue is $210 in D35 (North)."
    lowest = answer("lowest revenue", sales())
    assert lowest is not None and lowest.range == "Sales!D2" and "$100" in lowest.detail


def test_bottom_n_groups_and_top_groups_by_a_measure() -> None:
    found = answer("top 2 regions by revenue", sales())
    assert found is not None and found.title == "Top 2 Region by total Revenue"
    assert "South $2,070" in found.detail and "North $1,860" in found.detail
    assert "East" not in found.detail
    bottom = answer("bottom 1 region by revenue", sales())
    assert bottom is not None and bottom.detail.startswith("East has the lowest total Revenue")


def test_total_and_average_by_a_category() -> None:
    total = answer("total revenue by region", sales())
    assert total is not None and total.title == "Total Revenue by Region"
    assert total.detail.startswith("Total Revenue by Region: South $2,070")
    assert total.range == "Sales!D2:D37"
    average = answer("average units per product", sales())
    assert average is not None and "B 6" in average.detail and "A 7" in average.detail


def test_a_column_total_and_a_count_by_category() -> None:
    total = answer("total revenue", sales())
    assert total is not None and total.detail == "The total of Revenue is $5,730 over 36 rows."
    count = answer("how many rows per region?", sales())
    assert count is not None and "North 12" in count.detail


def test_which_category_fell_and_grew_most_over_time() -> None:
    fell = answer("Which region fell most?", sales())
    assert fell is not None and fell.detail.startswith(
        "South fell the most: its total Revenue went from $200 in Jan 2023 to $145 in Dec 2023")
    grew = answer("which region grew the most", sales())
    assert grew is not None and grew.detail.startswith("North grew the most")
    assert fell.range == "Sales!D2:D37"


def test_french_questions() -> None:
    book = sales(("Mois", "Région", "Produit", "Ventes", "Quantité"))
    fell = answer("Quelle région a le plus baissé ?", book)
    assert fell is not None and fell.detail.startswith("South fell the most")
    total = answer("somme des ventes par région", book)
    assert total is not None and total.detail.startswith("Total Ventes by Région: South")
    average = answer("moyenne de la quantité par produit", book)
    assert average is not None and average.title == "Average Quantité by Produit"
    top = answer("les 3 plus grandes ventes", book)
    assert top is not None and top.title == "Top 3 by Ventes"


def test_column_names_match_loosely() -> None:
    found = answer("total revenu by regions", sales())
    assert found is not None and found.title == "Total Revenue by Region"
    found = answer("TOTAL REVENUE PER REGION", sales())
    assert found is not None and found.title == "Total Revenue by Region"


def test_a_totals_row_is_not_an_answer() -> None:
    book = make_workbook({"Region": ["N", "S", "E", "Total"], "Sales": [10, 30, 20, 60]},
                         {"Region": "text"})
    found = answer("highest sales", book)
    assert found is not None and found.range == "Sales!B3" and "30" in found.detail


def test_answers_from_a_profile_too() -> None:
    profile = profile_workbook(sales())
    found = answer("total revenue by region", profile)
    assert found is not None and found.title == "Total Revenue by Region"


@pytest.mark.parametrize("question", [
    "", "What is the weather tomorrow?", "top 3 by colour", "summarize this sheet",
    "which region fell most?",
])
def test_questions_beyond_the_patterns_get_none(question: str) -> None:
    book = make_workbook({"Region": ["N", "S", "E"], "Notes": ["a", "b", "c"]},
                         {"Region": "text", "Notes": "text"})
    assert answer(question, book) is None


def test_a_partial_last_period_is_not_compared() -> None:
    data: dict[str, list[CellValue]] = {"Day": [], "Region": [], "Sales": []}
    for month in range(1, 11):  # ten full months, four rows per region each
        for day in (1, 8, 15, 22):
            for name, value in (("North", 10 + month), ("South", 20 - month)):
                data["Day"].append(date(2024, month, day))
                data["Region"].append(name)
                data["Sales"].append(value)
    data["Day"].append(date(2024, 11, 1))  # one row of November: a partial month
    data["Region"].append("North")
    data["Sales"].append(1)
    found = answer("which region fell most", make_workbook(data, {"Day": "date",
                                                                  "Region": "text"}))
    assert found is not None
    assert found.detail.startswith("South fell the most: its total Sales went from 76 in "
                                   "Jan 2024 to 40 in Oct 2024 (-47.4%)")


def test_a_year_in_the_question_is_not_a_count() -> None:
    found = answer("top regions by revenue in 2023", sales())
    assert found is not None and found.title == "Top 3 Region by total Revenue"
    assert "(out of 3)" in found.detail
