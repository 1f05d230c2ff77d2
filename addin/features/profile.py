"""Profile a workbook for Analyze: the numbers a good analyst would look at, computed here.

A model cannot read a 100,000-row sheet, so :func:`profile_workbook` reduces every table to
a compact, faithful profile: per column its count, missing cells, distinct values, min, max,
mean, median, sample standard deviation, quartiles, top values (text) or date range
(dates), its outliers; per table its trends over time, strong correlations, duplicated
rows and totals row; and the findings (:class:`~.findings.Insight`) that point at cells.

Outlier method: robust z-score, |x − median| / (1.4826 × MAD) > 3.5, the limit rising to
√(2·ln n) + 0.5 in big columns (see :mod:`.profile_stats`); a column with more than
max(10, n/1000) values beyond it is said to have a long tail instead.

Speed: each column is split by type in C-speed passes (``set(map(type, ...))`` first, a
Python loop only for columns that mix types), numbers are sorted once (median, quartiles,
min, max, distinct count and the MAD all come from the one sorted list) and outlier cells
are located with ``list.index``. A totals row is cut off before anything else is computed.
"""

# ruff: noqa: RUF001, RUF002, RUF003  (×, − and typographic quotes on purpose)
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from ..documents.a1 import format_ref
from ..documents.workbook import CellError, CellValue, Column, DataTable, Sheet, Workbook
from . import findings as fnd
from .correlations import Correlation, correlation_insight, correlations
from .findings import SEVERITY_RANK, Insight
from .profile_stats import (
    NumericStats,
    Parts,
    date_range,
    extremes,
    fences,
    find,
    id_like,
    is_tail,
    locate,
    role_of,
    split,
    summarize,
    text_numbers_of,
)
from .trends import (
    Axis,
    Series,
    Trend,
    date_axis,
    flat_insight,
    gap_period_insight,
    gap_periods,
    numeric_axis,
    trend_insight,
    trends,
)

_LISTED_GAPS = 1000  # a text column with more empty cells is described, not listed
_KIND_ORDER = ("error", "answer", "quality", "outlier", "trend", "correlation", "distribution",
               "overview")


@dataclass(frozen=True, slots=True)
class ColumnProfile:
    name: str
    letter: str
    index: int  # 0-based in the table
    range: str  # the data cells, sheet-qualified
    kind: str  # the reader's kind: number, percent, currency, date, text...
    role: str  # number, date, category, text, identifier, boolean, empty
    count: int  # non-empty cells, errors excluded
    missing: int
    errors: int
    distinct: int
    numeric: NumericStats | None = None
    top_values: tuple[tuple[str, int], ...] = ()
    date_range: tuple[date, date] | None = None
    outliers: tuple[str, ...] = ()  # sheet-qualified cells, most extreme first
    text_numbers: int = 0  # numbers stored as text (left out of the statistics)
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class TableProfile:
    sheet: str
    name: str | None
    title: str | None
    range: str  # the whole table, header included, sheet-qualified
    header_row: int
    rows: int  # data rows profiled (a totals row excluded)
    columns: tuple[ColumnProfile, ...]
    totals_row: str = ""  # sheet-qualified range of an excluded totals row
    axis: str | None = None  # the time axis column's name
    period: str | None = None
    trends: tuple[Trend, ...] = ()
    correlations: tuple[Correlation, ...] = ()
    duplicate_rows: int = 0
    sample: tuple[tuple[int, tuple[str, ...]], ...] = ()  # (row number, cells): header first
    insights: tuple[Insight, ...] = ()


@dataclass(frozen=True, slots=True)
class SheetProfile:
    name: str
    state: str
    used_range: str
    tables: tuple[TableProfile, ...]
    error_cells: int
    formula_cells: int
    insights: tuple[Insight, ...]  # errors of the sheet (table findings are in its tables)


@dataclass(frozen=True, slots=True)
class WorkbookProfile:
    sheets: tuple[SheetProfile, ...]
    date1904: bool
    overview: tuple[str, ...]  # plain sentences: what the workbook holds
    insights: tuple[Insight, ...]  # every finding, most severe first
    external_links: tuple[str, ...] = ()
    workbook: Workbook | None = field(default=None, repr=False, compare=False)

    @property
    def tables(self) -> list[TableProfile]:
        return [t for s in self.sheets for t in s.tables]


def profile_workbook(workbook: Workbook) -> WorkbookProfile:
    """Profile every table of every sheet; pure, deterministic."""
    sheets = tuple(_profile_sheet(sheet) for sheet in workbook.sheets)
    every = [i for s in sheets for i in s.insights]
    every += [i for s in sheets for t in s.tables for i in t.insights]
    return WorkbookProfile(sheets, workbook.date1904, _overview(workbook, sheets),
                           tuple(rank(every)), tuple(workbook.external_links), workbook)


def rank(insights: Sequence[Insight]) -> list[Insight]:
    """Most severe first; then errors, quality, outliers, trends...; stable otherwise."""
    return sorted(insights, key=lambda i: (-SEVERITY_RANK[i.severity],
                                           _KIND_ORDER.index(i.kind)))


def data_rows(table: DataTable) -> tuple[DataTable, str]:
    """The table without its totals row (and why it was cut), or the table itself and ""."""
    why = fnd.totals_row(table)
    if not why:
        return table, ""
    # mix={}: the reader's counts include the totals cell, so split() must count the rest
    columns = [replace(c, values=c.values[:-1], mix={}) for c in table.columns]
    return replace(table, last_row=table.last_row - 1, columns=columns), why


def _profile_sheet(sheet: Sheet) -> SheetProfile:
    tables = tuple(_profile_table(t) for t in sheet.tables)
    insights = fnd.error_insights(sheet)
    if sheet.used_range and not sheet.tables:
        insights.append(fnd.loose_values_insight(sheet))
    return SheetProfile(sheet.name, sheet.state, sheet.used_range, tables, len(sheet.errors),
                        sheet.formula_count, tuple(insights))


def _profile_table(original: DataTable) -> TableProfile:
    table, why = data_rows(original)
    insights: list[Insight] = []
    totals = ""
    if why:
        totals = fnd.row_ref(original, original.row_count - 1)
        insights.append(Insight(
            "Totals row left out", f"The last row of the table is a totals row ({why}); it "
            "is left out of every statistic here, which would otherwise count it twice.",
            totals, "quality", "notice"))
    columns, series, axis = [], [], None
    for index in range(len(table.columns)):
        profile, parts, found = _profile_column(table, index)
        columns.append(profile)
        insights += found
        if profile.role == "number":
            column = table.columns[index]
            series.append(Series(index, column.name, parts.aligned, parts.clean, column.kind,
                                 column.currency))
        if axis is None and profile.date_range:
            axis = date_axis(index, profile.name, table.columns[index].values,
                             profile.date_range, len(parts.dates) == len(parts.aligned))
    if axis is None:
        axis = next((a for s in series if (a := numeric_axis(s.index, s.name, s.values))), None)
    found_trends = _trends(table, axis, series, insights)
    found_links = correlations(table, [s for s in series if axis is None or s.index != axis.index])
    insights += [correlation_insight(c) for c in found_links[:5]]
    unique = any(c.distinct == table.row_count and not c.missing and not c.errors
                 for c in columns)
    repeats, pairs = fnd.duplicate_rows(table) if not unique else (0, [])
    if repeats:
        insights.append(fnd.duplicate_insight(table, repeats, pairs))
    insights.insert(0, _table_overview(original, table, columns))
    return TableProfile(
        table.sheet, table.name, table.title, fnd.table_ref(original), table.header_row,
        table.row_count, tuple(columns), totals, axis.name if axis else None,
        axis.period if axis else None, tuple(found_trends), tuple(found_links), repeats,
        _sample(original), tuple(rank(insights)))


def _trends(table: DataTable, axis: Axis | None, series: list[Series],
            insights: list[Insight]) -> list[Trend]:
    if axis is None:
        return []
    found = trends(table, axis, series)
    kinds = {c.name: (c.kind, c.currency) for c in table.columns}
    insights += [trend_insight(t, *kinds[t.column]) for t in found if t.direction != "flat"]
    if found and all(t.direction == "flat" for t in found):
        insights.append(flat_insight(table, axis, found))
    missing = gap_periods(axis)
    if missing:
        insights.append(gap_period_insight(table, axis, missing))
    return found


# ---- one column ---------------------------------------------------------------------------


def is_numeric(value: object) -> bool:
    return type(value) is float or type(value) is int


def _profile_column(table: DataTable, index: int) -> tuple[ColumnProfile, Parts, list[Insight]]:
    column = table.columns[index]
    values = column.values
    parts = split(values, column.mix)
    text_numbers = text_numbers_of(parts)
    counted = len(parts.numbers) + parts.texts.total() + len(parts.dates) + parts.others
    role = role_of(column.name, parts, counted, len(text_numbers))
    base = ColumnProfile(column.name, column.letter, index, fnd.column_ref(table, index),
                         column.kind, role, counted, parts.missing, parts.errors, 0,
                         currency=column.currency)
    insights: list[Insight] = []
    if role == "empty":
        return base, parts, ([fnd.empty_column_insight(table, index)]
                             if table.row_count and not parts.errors else [])
    if parts.missing > _LISTED_GAPS and role not in ("number", "date"):  # a sparse text column
        insights.append(fnd.sparse_insight(table, index, parts.missing))
    elif parts.missing:
        missing = find(values, parts, [None, *parts.blanks], parts.missing)
        insights.append(fnd.gap_insight(table, index, missing, role))
    if role == "number":
        profile = _numeric_profile(table, index, parts, base, insights)
        if text_numbers:
            offsets = find(values, parts, list(text_numbers),
                            sum(parts.texts[t] for t in text_numbers))
            numbers = [text_numbers[values[i]] for i in offsets]  # type: ignore[index]
            insights.append(fnd.text_number_insight(table, index, offsets, numbers, False))
            profile = replace(profile, text_numbers=len(offsets))
        _mixed(table, index, profile.role, _odd_cells(values, parts, text_numbers), insights)
        return profile, parts, insights
    if role == "date":
        low, high = date_range(parts.dates)
        profile = replace(base, distinct=len(set(parts.dates)), date_range=(low, high))
        if counted > len(parts.dates):
            _mixed(table, index, "date", _scan(values, lambda v: isinstance(v, date)), insights)
        return profile, parts, insights
    if text_numbers and len(text_numbers) == len(parts.texts) and not parts.numbers:
        offsets = find(values, parts, list(text_numbers), counted)
        numbers = [text_numbers[values[i]] for i in offsets]  # type: ignore[index]
        insights.append(fnd.text_number_insight(table, index, offsets, numbers, True))
    elif role != "boolean" and parts.numbers:
        _mixed(table, index, "text", _scan(values, lambda v: type(v) is str), insights)
    if role == "boolean":
        top = tuple(Counter(fnd.fmt_value(v) for v in values if type(v) is bool).most_common())
        return replace(base, distinct=len(top), top_values=top), parts, insights
    top = tuple(parts.texts.most_common(5)) if role != "identifier" else ()
    return replace(base, distinct=len(parts.texts), top_values=top), parts, insights


def _odd_cells(values: list[CellValue], parts: Parts, text_numbers: dict[str, float]
               ) -> list[int]:
    """Offsets of the cells of a numeric column that are neither numbers, blanks, errors nor
    numbers stored as text (those are reported on their own)."""
    odd_texts = [t for t in parts.texts if t not in text_numbers]
    if parts.dates or parts.others:
        return _scan(values, lambda v: is_numeric(v) or v in text_numbers)
    if not odd_texts:
        return []
    return find(values, parts, odd_texts, sum(parts.texts[t] for t in odd_texts))


def _scan(values: list[CellValue], fits: Callable[[CellValue], bool]) -> list[int]:
    """Offsets of the cells that are not blank, not errors, and do not ``fit``."""
    return [i for i, v in enumerate(values) if v is not None and type(v) is not CellError
            and not (type(v) is str and not v.strip()) and not fits(v)]


def _mixed(table: DataTable, index: int, role: str, offsets: list[int],
           insights: list[Insight]) -> None:
    """A "mixed types" finding for cells that are not of the column's type."""
    if offsets:
        values = table.columns[index].values
        samples = Counter(fnd.fmt_value(values[i], 16) for i in offsets[:1000])
        insights.append(fnd.mixed_insight(table, index, role, offsets, samples))


def _numeric_profile(table: DataTable, index: int, parts: Parts, base: ColumnProfile,
                     insights: list[Insight]) -> ColumnProfile:
    """Statistics from one ordering of the numbers; the outliers by robust z-score."""
    stats, ordered = summarize(parts.numbers)
    aligned = parts.aligned
    cell = table.cell_address
    stats = replace(stats, min_cell=format_ref(table.sheet, cell(
        list.index(aligned, stats.minimum), index)), max_cell=format_ref(  # type: ignore[arg-type]
        table.sheet, cell(list.index(aligned, stats.maximum), index)))  # type: ignore[arg-type]
    role = base.role
    n = stats.count
    years = stats.minimum >= 1900 and stats.maximum <= 2100
    counter = stats.maximum - stats.minimum == n - 1 and not years  # 1, 2, 3... not 2015...
    if stats.distinct == n >= 10 and (counter or id_like(base.name)) and all(
            map(is_integral, parts.numbers)):
        role = "identifier"
    profile = replace(base, role=role, distinct=stats.distinct, numeric=stats)
    if role != "number" or n < 5:
        return profile
    found = fences(ordered, stats.median)
    if found is None or not found.below + found.above:
        return profile
    count = found.below + found.above
    if is_tail(found, n):
        if not found.rare_only:
            insights.append(fnd.tail_insight(table, index, count, n, found.above >= found.below,
                                             found.limit, stats.mean, stats.median))
        return profile
    cells = locate(aligned, extremes(ordered, found, stats.median))
    scale = (found.high - stats.median) / found.limit
    insights.append(fnd.outlier_insight(table, index, cells, count, stats.median, scale,
                                        found.limit))
    return replace(profile, outliers=tuple(
        format_ref(table.sheet, cell(o, index)) for o, _ in cells))


def is_integral(x: float) -> bool:
    return math.isfinite(x) and x == int(x)


# ---- the table as a whole -----------------------------------------------------------------


def _sample(table: DataTable, head: int = 3, tail: int = 2) -> tuple[tuple[int, tuple[str, ...]],
                                                                     ...]:
    """The header row, the first ``head`` and the last ``tail`` data rows, cells shortened."""
    rows: list[tuple[int, tuple[str, ...]]] = []
    if table.header_row:
        rows.append((table.header_row, tuple(fnd.fmt_value(c.name) for c in table.columns)))
    count = table.row_count
    offsets = list(range(min(head, count))) + list(range(max(head, count - tail), count))
    for offset in offsets:
        cells = tuple(_cell(c, offset) for c in table.columns)
        rows.append((table.first_row + offset, cells))
    return tuple(rows)


def _cell(column: Column, offset: int) -> str:
    """One sample cell: numbers in the column's own format (12.3%, $1,200)."""
    value = column.values[offset] if offset < len(column.values) else None
    if is_numeric(value) and column.kind in ("percent", "currency"):
        return fnd.fmt_number(value, column.kind, column.currency)  # type: ignore[arg-type]
    return fnd.fmt_value(value)


def _table_overview(original: DataTable, table: DataTable,
                    columns: list[ColumnProfile]) -> Insight:
    where = original.name or original.title or original.sheet
    names = ", ".join(c.name for c in columns[:8]) + (", …" if len(columns) > 8 else "")
    detail = (f"{fnd.fmt_count(table.row_count, 'data row')} × "
              f"{fnd.fmt_count(len(columns), 'column')} ({names})")
    dated = next((c for c in columns if c.date_range), None)
    if dated and dated.date_range:
        detail += (f", {dated.name} from {fnd.fmt_date(dated.date_range[0])} to "
                   f"{fnd.fmt_date(dated.date_range[1])}")
    return Insight(f"Table {where}", detail + ".", fnd.table_ref(original), "overview", "info")


def _overview(workbook: Workbook, sheets: tuple[SheetProfile, ...]) -> tuple[str, ...]:
    """Plain sentences for the narrative: the workbook's sheets, then each table."""
    parts = []
    for sheet in sheets:
        state = "" if sheet.state == "visible" else f", {sheet.state}"
        what = (fnd.fmt_count(len(sheet.tables), "table") if sheet.tables
                else "empty" if not sheet.used_range else "no table")
        parts.append(f"{sheet.name} ({what}{state})")
    lines = [f"The workbook has {fnd.fmt_count(len(sheets), 'sheet')}: {', '.join(parts)}."]
    for table in (t for s in sheets for t in s.tables):
        label = f"table {table.name}" if table.name else "a table"
        if table.title:
            label += f" “{table.title}”"
        line = (f"Sheet {table.sheet} holds {label} of {fnd.fmt_count(table.rows, 'row')} and "
                f"{fnd.fmt_count(len(table.columns), 'column')}")
        dated = next((c for c in table.columns if c.date_range), None)
        if dated and dated.date_range:
            line += (f", dated from {fnd.fmt_date(dated.date_range[0])} to "
                     f"{fnd.fmt_date(dated.date_range[1])}")
        lines.append(line + ".")
    return tuple(lines)
