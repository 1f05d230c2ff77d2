"""The Analyze profile: statistics, outliers, errors, totals rows, text numbers, duplicates,
correlations, trends and the rendering, on small workbooks built here as model objects (and
a few written with openpyxl and read back by the Excel reader)."""

from __future__ import annotations

import io
import random
import statistics
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from addin.documents.a1 import column_letter
from addin.documents.workbook import CellError, CellValue, Column, DataTable, Sheet, Workbook
from addin.features.findings import Insight, fmt_number, fmt_pct
from addin.features.profile import ColumnProfile, TableProfile, profile_workbook
from addin.features.profile_render import render_profile
from addin.features.profile_stats import text_number
from addin.models.tokens import estimate_tokens

SHEET = "Sales 2024"  # a name that must be quoted: 'Sales 2024'!C2


def make_workbook(columns: dict[str, list[CellValue]], kinds: dict[str, str] | None = None,
                  sheet: str = SHEET, errors: list[tuple[str, CellError]] | None = None,
                  currency: dict[str, str] | None = None) -> Workbook:
    """One sheet, one table with its header on row 1 and data from row 2, column A on."""
    kinds, currency = kinds or {}, currency or {}
    rows = max(len(v) for v in columns.values())
    cols = [Column(i, column_letter(i + 1), name, kinds.get(name, "number"),  # type: ignore
                   list(values), currency=currency.get(name))
            for i, (name, values) in enumerate(columns.items())]
    table = DataTable(sheet, None, 1, 2, rows + 1, 1, len(cols), cols)
    used = f"A1:{column_letter(len(cols))}{rows + 1}"
    return Workbook([Sheet(sheet, used_range=used, tables=[table], errors=errors or [])])


def only_table(workbook: Workbook) -> TableProfile:
    return profile_workbook(workbook).tables[0]


def column(table: TableProfile, name: str) -> ColumnProfile:
    return next(c for c in table.columns if c.name == name)


def of_kind(table: TableProfile, kind: str) -> list[Insight]:
    return [i for i in table.insights if i.kind == kind]


# ---- statistics ---------------------------------------------------------------------------


def test_numeric_statistics_match_the_statistics_module_and_excel_quartiles() -> None:
    values: list[CellValue] = [2, 4, 4, 4, 5, 5, 7, 9]
    profile = column(only_table(make_workbook({"Units": values})), "Units")
    stats = profile.numeric
    assert stats is not None
    assert stats.count == 8 and stats.total == 40
    assert stats.mean == 5
    assert stats.median == statistics.median(values) == 4.5  # type: ignore[arg-type]
    assert stats.stdev == pytest.approx(statistics.stdev(values))  # type: ignore[arg-type]
    assert (stats.q1, stats.q3) == (4, 5.5)  # QUARTILE.INC
    assert (stats.minimum, stats.maximum) == (2, 9)
    assert stats.min_cell == "'Sales 2024'!A2" and stats.max_cell == "'Sales 2024'!A9"
    assert profile.distinct == 5 and profile.role == "number"
    assert profile.range == "'Sales 2024'!A2:A9"


def test_statistics_of_a_big_random_column_match_the_statistics_module() -> None:
    rnd = random.Random(3)
    values: list[CellValue] = [round(rnd.gauss(50, 12), 2) for _ in range(20_001)]
    values += [None] * 5  # gaps are not numbers
    stats = column(only_table(make_workbook({"Score": values})), "Score").numeric
    numbers = [v for v in values if v is not None]
    assert stats is not None and stats.count == 20_001
    assert stats.mean == pytest.approx(statistics.fmean(numbers))  # type: ignore[arg-type]
    assert stats.median == statistics.median(numbers)  # type: ignore[type-var]
    assert stats.stdev == pytest.approx(statistics.stdev(numbers), rel=1e-9)  # type: ignore
    assert stats.distinct == len(set(numbers))


def test_few_distinct_values_are_counted_not_sorted_with_the_same_results() -> None:
    rnd = random.Random(5)
    values: list[CellValue] = [rnd.randint(1, 5) for _ in range(10_000)]
    stats = column(only_table(make_workbook({"Rating": values})), "Rating").numeric
    ordered = sorted(values)  # type: ignore[type-var]
    assert stats is not None
    assert stats.median == statistics.median(ordered)  # type: ignore[type-var]
    assert stats.q1 == ordered[int(0.25 * 9_999)] and stats.distinct == 5
    assert stats.stdev == pytest.approx(statistics.stdev(ordered))  # type: ignore[arg-type]


def test_counts_missing_distinct_and_top_values_of_a_text_column() -> None:
    regions: list[CellValue] = ["North", "South", "North", None, "East", "North", "  ", "South"]
    profile = column(only_table(make_workbook({"Region": regions}, {"Region": "text"})),
                     "Region")
    assert (profile.count, profile.missing, profile.distinct) == (6, 2, 3)
    assert profile.top_values[0] == ("North", 3)
    assert profile.role == "category"


def test_date_column_range_and_identifier_column() -> None:
    days: list[CellValue] = [date(2024, 1, 1) + timedelta(days=i) for i in range(30)]
    ids: list[CellValue] = list(range(1001, 1031))
    table = only_table(make_workbook({"Day": days, "Order ID": ids}, {"Day": "date"}))
    assert column(table, "Day").date_range == (date(2024, 1, 1), date(2024, 1, 30))
    assert column(table, "Order ID").role == "identifier"
    assert not of_kind(table, "outlier")


# ---- findings -----------------------------------------------------------------------------


def test_an_outlier_is_reported_at_its_cell_with_the_method() -> None:
    values: list[CellValue] = [10, 11, 9, 10, 12, 10, 11, 9, 10, 500, 10, 11]
    table = only_table(make_workbook({"Region": ["N"] * 12, "Amount": values},
                                     {"Region": "text"}))
    outliers = of_kind(table, "outlier")
    assert len(outliers) == 1
    assert outliers[0].range == "'Sales 2024'!B11"
    assert "B11 holds 500" in outliers[0].detail and "median absolute deviation" in \
        outliers[0].detail
    assert column(table, "Amount").outliers == ("'Sales 2024'!B11",)


def test_a_formula_error_is_reported_at_its_address_and_left_out_of_the_statistics() -> None:
    values: list[CellValue] = [4.0, 6.0, 8.0, CellError("#DIV/0!"), 2.0]
    workbook = make_workbook({"A": [1, 2, 3, 4, 5], "Ratio": values},
                             errors=[("B5", CellError("#DIV/0!"))])
    profile = profile_workbook(workbook)
    error = next(i for i in profile.insights if i.kind == "error")
    assert error.range == "'Sales 2024'!B5" and error.severity == "critical"
    assert error.title == "#DIV/0! in Ratio" and "1 cell of sheet Sales 2024 shows #DIV/0!: B5" \
        in error.detail
    assert profile.insights[0] == error  # the most severe finding comes first
    ratio = column(profile.tables[0], "Ratio")
    assert ratio.errors == 1 and ratio.numeric is not None and ratio.numeric.mean == 5


def test_a_labelled_totals_row_is_left_out_of_the_statistics() -> None:
    workbook = make_workbook({"Region": ["N", "S", "E", "W", "Total"],
                              "Sales": [10, 20, 30, 40, 100]}, {"Region": "text"})
    table = only_table(workbook)
    assert table.rows == 4 and table.totals_row == "'Sales 2024'!A6:B6"
    sales = column(table, "Sales")
    assert sales.numeric is not None and sales.numeric.mean == 25 and sales.numeric.total == 100
    assert sales.range == "'Sales 2024'!B2:B5"
    note = next(i for i in table.insights if i.title == "Totals row left out")
    assert note.range == "'Sales 2024'!A6:B6" and "Total" in note.detail


def test_an_unlabelled_last_row_equal_to_the_sum_above_is_a_totals_row() -> None:
    workbook = make_workbook({"Units": [3, 5, 7, 9, 24], "Price": [1.5, 2.5, 2.0, 1.0, 7.0]})
    table = only_table(workbook)
    assert table.rows == 4 and "sum" in next(
        i.detail for i in table.insights if i.title == "Totals row left out")
    assert column(table, "Units").numeric.maximum == 9  # type: ignore[union-attr]


def test_a_last_row_that_is_not_a_sum_stays() -> None:
    table = only_table(make_workbook({"Units": [3, 5, 7, 9, 11]}))
    assert table.rows == 5 and not table.totals_row


def test_numbers_stored_as_text_are_flagged_with_their_cells() -> None:
    values: list[CellValue] = [100, 200, "1,200", 300, "45", 250, 150, 175]
    table = only_table(make_workbook({"Amount": values}))
    finding = next(i for i in table.insights if i.title == "Numbers stored as text in Amount")
    assert finding.range == "'Sales 2024'!A4:A6" and finding.severity == "warning"
    assert "A4 and A6" in finding.detail and "1,245" in finding.detail
    assert column(table, "Amount").text_numbers == 2
    assert column(table, "Amount").numeric.count == 6  # type: ignore[union-attr]


def test_a_whole_column_of_numbers_stored_as_text_is_flagged() -> None:
    values: list[CellValue] = ["10", "20", "30", "1 234,5", "(5)"]
    table = only_table(make_workbook({"Total": values}, {"Total": "text"}))
    finding = next(i for i in table.insights if "stored as text" in i.title)
    assert finding.range == "'Sales 2024'!A2:A6" and "1,290" in finding.detail


def test_text_placeholders_in_a_numeric_column_are_mixed_types() -> None:
    values: list[CellValue] = [5, 6, "n/a", 7, 8, "-", 9, 10]
    table = only_table(make_workbook({"Price": values}))
    mixed = next(i for i in table.insights if i.title == "Mixed types in Price")
    assert mixed.range == "'Sales 2024'!A4:A7" and "“n/a”" in mixed.detail


def test_duplicated_rows_are_counted_with_an_example() -> None:
    workbook = make_workbook({"Name": ["a", "b", "a", "c", "b"], "Qty": [1, 2, 1, 3, 5]},
                             {"Name": "text"})
    table = only_table(workbook)
    assert table.duplicate_rows == 1
    finding = next(i for i in table.insights if i.title.startswith("Duplicated rows"))
    assert finding.range == "'Sales 2024'!A4:B4" and "row 4 repeats row 2" in finding.detail


def test_empty_columns_and_gaps() -> None:
    values: list[CellValue] = [1.0, 2.0, None, None, None, 6.0, 7.0, None, 9.0, 10.0]
    table = only_table(make_workbook({"Level": values, "Spare": [None] * 10}))
    assert column(table, "Spare").role == "empty"
    assert any(i.title == "Spare is empty" for i in table.insights)
    gap = next(i for i in table.insights if i.title == "Gaps in Level")
    assert gap.range == "'Sales 2024'!A4:A6" and "4 rows" in gap.detail


def test_a_strong_correlation_is_reported_and_a_small_sample_is_not() -> None:
    rnd = random.Random(9)
    x: list[CellValue] = [rnd.uniform(0, 50) for _ in range(40)]
    y: list[CellValue] = [2 * v + rnd.uniform(-3, 3) for v in x]  # type: ignore[operator]
    noise: list[CellValue] = [rnd.uniform(0, 1) for _ in x]
    table = only_table(make_workbook({"Spend": x, "Sales": y, "Noise": noise}))
    assert [(c.first, c.second) for c in table.correlations] == [("Spend", "Sales")]
    expected = statistics.correlation(x, y)  # type: ignore[arg-type]
    assert table.correlations[0].r == pytest.approx(expected)
    assert table.correlations[0].range == "'Sales 2024'!A2:B41"
    few = only_table(make_workbook({"Spend": x[:8], "Sales": y[:8]}))
    assert not few.correlations


def monthly(values: list[float]) -> Workbook:
    months: list[CellValue] = [date(2023, 1 + i % 12, 1).replace(year=2023 + i // 12)
                               for i in range(len(values))]
    return make_workbook({"Month": months, "Revenue": list(values)}, {"Month": "date"},
                         currency={"Revenue": "$"})


def test_a_rising_trend_has_the_right_sign_slope_and_change() -> None:
    table = only_table(monthly([100 + 10 * i for i in range(12)]))
    trend = table.trends[0]
    assert (table.axis, table.period) == ("Month", "month")
    assert trend.direction == "up" and trend.slope == pytest.approx(10)
    assert trend.change == pytest.approx(1.1) and trend.periods == 12
    assert (trend.first_label, trend.last_label) == ("Jan 2023", "Dec 2023")
    insight = of_kind(table, "trend")[0]
    assert insight.title == "Revenue rising" and insight.range == "'Sales 2024'!B2:B13"
    assert "+$10 per month" not in insight.detail and "$10 per month" in insight.detail


def test_a_falling_trend_and_a_flat_one() -> None:
    falling = only_table(monthly([500 - 20 * i for i in range(10)])).trends[0]
    assert falling.direction == "down" and falling.slope == pytest.approx(-20)
    flat = only_table(monthly([100, 102, 99, 101, 100, 98, 101, 100])).trends[0]
    assert flat.direction == "flat"


def test_transactions_are_totalled_per_month_and_a_partial_last_month_left_out() -> None:
    start = datetime(2023, 1, 1)
    days: list[CellValue] = [start + timedelta(hours=12 * i) for i in range(760)]  # to 20 Jan
    amounts: list[CellValue] = [10.0 + d.month for d in days]  # type: ignore[union-attr]
    table = only_table(make_workbook({"Day": days, "Amount": amounts}, {"Day": "date"}))
    trend = table.trends[0]
    assert (table.period, trend.aggregate, trend.direction) == ("month", "total", "up")
    assert trend.last_label == "Dec 2023" and "partial last month (Jan 2024)" in trend.note
    assert trend.first_value == 62 * 11  # 62 half-days of January at 11


def test_a_table_where_nothing_moves_says_so() -> None:
    table = only_table(monthly([100, 102, 99, 101, 100, 98, 101, 100]))
    flat = of_kind(table, "trend")
    assert [i.title for i in flat] == ["No clear trend over Month"]
    assert "Revenue stays level" in flat[0].detail and flat[0].range == "'Sales 2024'!A2:A9"


def test_a_year_column_is_a_time_axis() -> None:
    years: list[CellValue] = list(range(2015, 2025))
    table = only_table(make_workbook({"Year": years, "Output": [50 - 2 * i for i in range(10)]}))
    assert table.axis == "Year" and table.trends[0].direction == "down"
    assert table.trends[0].slope == pytest.approx(-2)


def test_missing_months_are_a_finding() -> None:
    months: list[CellValue] = [date(2024, m, 1) for m in (1, 2, 3, 6, 7, 8)]
    table = only_table(make_workbook({"Month": months, "Sales": [1, 2, 3, 4, 5, 6]},
                                     {"Month": "date"}))
    gap = next(i for i in table.insights if i.title == "Missing months in Month")
    assert "Apr 2024" in gap.detail and "May 2024" in gap.detail


# ---- wording ------------------------------------------------------------------------------


def test_numbers_are_worded_for_people() -> None:
    assert fmt_number(1234567.891) == "1,234,568"
    assert fmt_number(12.3456) == "12.3" and fmt_number(0.012345) == "0.0123"
    assert fmt_number(0.1234, "percent") == "12.3%"
    assert fmt_number(-1200, "currency", "$") == "-$1,200"
    assert fmt_number(1200.5, "currency", "€") == "1,200 €" or fmt_number(
        1200.5, "currency", "€") == "1,201 €"
    assert fmt_pct(0.25, signed=True) == "+25%" and fmt_pct(-0.031) == "-3.1%"
    assert text_number("1,234.50") == 1234.5 and text_number("1 234,5") == 1234.5
    assert text_number("12%") == pytest.approx(0.12) and text_number("(300)") == -300
    assert text_number("ABC-12") is None and text_number("12/03/2024") is None


# ---- rendering ----------------------------------------------------------------------------


def big_workbook(rows: int) -> Workbook:
    rnd = random.Random(1)
    start = datetime(2022, 1, 1)
    data: dict[str, list[CellValue]] = {
        "Date": [start + timedelta(hours=i) for i in range(rows)],
        "Region": [rnd.choice(["North", "South", "East", "West"]) for _ in range(rows)],
        "Product": [f"Product {rnd.randint(1, 40)}" for _ in range(rows)],
    }
    for k in range(12):
        data[f"Measure {k}"] = [rnd.gauss(100 + k, 10) for _ in range(rows)]
    return make_workbook(data, {"Date": "date", "Region": "text", "Product": "text"})


@pytest.mark.parametrize("budget", [600, 1500, 4000])
def test_a_big_table_renders_within_budget_and_never_as_the_raw_sheet(budget: int) -> None:
    profile = profile_workbook(big_workbook(20_000))
    text = render_profile(profile, budget)
    assert estimate_tokens(text) <= budget
    assert "'Sales 2024'!A1:O20001" in text
    assert text.count("\n") < 200


def test_the_rendering_degrades_samples_first_then_columns_then_findings() -> None:
    profile = profile_workbook(big_workbook(2_000))
    full = render_profile(profile, 100_000)
    assert "Sample rows" in full and "mean" in full
    smaller = render_profile(profile, estimate_tokens(full) - 50)
    assert "Sample rows" not in smaller and "mean" in smaller
    assert estimate_tokens(render_profile(profile, 200)) <= 200


def test_the_rendering_cites_the_finding_ranges_verbatim() -> None:
    values: list[CellValue] = [10, 11, 9, 10, 12, 10, 11, 9, 10, 500, 10, 11]
    profile = profile_workbook(make_workbook({"Amount": values}))
    text = render_profile(profile, 3000)
    for insight in profile.insights:
        assert insight.range in text


# ---- through the Excel reader -------------------------------------------------------------


def read(book: Any) -> Workbook:
    from addin.documents import read_workbook

    buffer = io.BytesIO()
    book.save(buffer)
    return read_workbook(buffer.getvalue(), "book.xlsx")


def test_a_1904_workbook_has_the_right_date_range() -> None:
    openpyxl = pytest.importorskip("openpyxl")
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    book = openpyxl.Workbook()
    book.epoch = CALENDAR_MAC_1904
    sheet = book.active
    sheet.title = "Mac"
    sheet.append(["Day", "Value"])
    for i in range(10):
        sheet.append([datetime(2020, 3, 1) + timedelta(days=7 * i), i * 3])
    for row in sheet.iter_rows(min_row=2, max_col=1):
        row[0].number_format = "yyyy-mm-dd"
    workbook = read(book)
    profile = profile_workbook(workbook)
    assert profile.date1904
    day = column(profile.tables[0], "Day")
    low, high = day.date_range  # type: ignore[misc]
    assert (low.isoformat()[:10], high.isoformat()[:10]) == ("2020-03-01", "2020-05-03")


def test_an_error_and_a_totals_row_read_from_a_file() -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Q1 Sales"
    sheet.append(["Region", "Sales", "Share"])
    for region, sales in (("North", 10), ("South", 20), ("East", 30), ("West", 40)):
        sheet.append([region, sales, 0.25])
    sheet["C4"] = "#DIV/0!"
    sheet.append(["Total", 100, 1])
    profile = profile_workbook(read(book))
    error = next(i for i in profile.insights if i.kind == "error")
    assert error.range == "'Q1 Sales'!C4" and error.title == "#DIV/0! in Share"
    table = profile.tables[0]
    assert table.totals_row == "'Q1 Sales'!A6:C6"
    assert column(table, "Sales").numeric.mean == 25  # type: ignore[union-attr]
