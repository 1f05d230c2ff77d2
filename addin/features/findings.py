"""Findings of Analyze: the Insight type, number wording, cell references, and the checks
that point at problems (formula errors, numbers stored as text, mixed types, empty
columns, gaps, duplicated rows, totals rows, outliers).

Every finding names its cells with a sheet-qualified A1 reference built by the a1 helpers
("'Sales 2024'!C2:C120"), the exact string a model or the offline writer must cite. The
checks are pure functions over the workbook model; they run once per table or sheet, and
none walks a column more than once unless it already knows there is something to find.
"""

# ruff: noqa: RUF001, RUF003  (×, − and typographic quotes on purpose)
from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from itertools import pairwise
from typing import Literal

from ..documents.a1 import column_letter, format_range, format_ref, parse_cell
from ..documents.workbook import CellValue, DataTable, Sheet

InsightKind = Literal["overview", "trend", "outlier", "correlation", "quality", "error",
                      "distribution", "answer"]
Severity = Literal["info", "notice", "warning", "critical"]
SEVERITY_RANK: dict[str, int] = {"critical": 3, "warning": 2, "notice": 1, "info": 0}

# A total's label: "Total", "Grand total", "Totaux", "Summe", "Sum", "Gesamt", "Somme"...
_TOTAL_LABEL = re.compile(
    r"^\s*(grand\s+|sous[- ]?|sub[- ]?)?(total|totals|totaux|totale|sum|summe|somme|gesamt"
    r"|gesamtsumme)\b", re.IGNORECASE)
_CRITICAL_ERRORS = frozenset({"#REF!", "#DIV/0!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!"})
_MAX_LISTED = 5


@dataclass(frozen=True, slots=True)
class Insight:
    """One thing worth saying about the data, pointing at the cells that show it."""

    title: str
    detail: str  # plain-English sentences, numbers formatted for people
    range: str  # sheet-qualified A1 reference, e.g. "'Sales 2024'!C2:C120"
    kind: InsightKind
    severity: Severity


# ---- numbers and values for people -------------------------------------------------------


def fmt_number(x: float, kind: str = "number", currency: str | None = None) -> str:
    """ "1,234,568", "12.3", "0.0123"; "12.3%" for percent columns; "$1,200" for currency."""
    if kind == "percent":
        return _plain(x * 100) + "%"
    text = _plain(x)
    if currency:
        sign, digits = ("-", text[1:]) if text.startswith("-") else ("", text)
        if currency in ("$", "£", "¥"):
            return f"{sign}{currency}{digits}"
        return f"{text} {currency}"
    return text


def _plain(x: float) -> str:
    """Thousands separators; three significant digits below 1,000, whole numbers above."""
    if isinstance(x, int) or (math.isfinite(x) and x == int(x) and abs(x) < 1e15):
        return f"{int(x):,}"
    if not math.isfinite(x):
        return str(x)
    size = abs(x)
    if size >= 1000:
        return f"{x:,.0f}"
    decimals = max(0, 2 - math.floor(math.log10(size)))
    text = f"{x:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def fmt_pct(share: float, signed: bool = False) -> str:
    """A share or change as a percentage: 0.1234 → "12.3%" (or "+12.3%" when signed)."""
    text = _plain(round(share * 100, 1) if abs(share) >= 0.1 else share * 100) + "%"
    return ("+" + text) if signed and share > 0 else text


def fmt_count(n: int, noun: str) -> str:
    """ "1 row", "12,345 rows"."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def fmt_date(value: date | datetime) -> str:
    """ISO date, with the time only when there is one: "2024-03-01", "2024-03-01 14:30"."""
    if isinstance(value, datetime) and value.time() != time():
        return value.strftime("%Y-%m-%d %H:%M")
    return value.strftime("%Y-%m-%d")


def fmt_value(value: CellValue, limit: int = 24) -> str:
    """One cell for a sample row or a detail sentence, truncated to ``limit`` characters."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "TRUE" if value else "FALSE"
    elif isinstance(value, float | int):
        text = _plain(value) if abs(value) < 1e15 else f"{value:.3g}"
    elif isinstance(value, datetime | date):
        text = fmt_date(value)
    else:
        text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---- references ---------------------------------------------------------------------------


def table_ref(table: DataTable) -> str:
    return format_ref(table.sheet, table.address)


def column_ref(table: DataTable, index: int) -> str:
    """The data cells of one column, sheet-qualified ("" when the table has no rows)."""
    address = table.column_address(index)
    return format_ref(table.sheet, address) if address else ""


def row_ref(table: DataTable, offset: int) -> str:
    """One whole data row of the table: "'Sales'!A57:T57"."""
    row = table.first_row + offset
    return format_ref(table.sheet, format_range(row, table.first_col, row, table.last_col))


def cells_ref(table: DataTable, index: int, offsets: Sequence[int]) -> str:
    """The cell at one offset, the block of the column from the first to the last offset when
    they are close together, else the first cell (the detail names the others)."""
    return _span_ref(table.sheet, table.first_col + index,
                     [table.first_row + o for o in offsets])


def _span_ref(sheet: str, col: int, rows: Sequence[int]) -> str:
    top, bottom = min(rows), max(rows)
    if bottom - top + 1 > max(3 * len(rows), 10):
        bottom = top
    return format_ref(sheet, format_range(top, col, bottom, col))


def cell_names(table: DataTable, index: int, offsets: Sequence[int]) -> str:
    """ "C5, C9 and C12" (the first few, "and 7 more" after them)."""
    names = [table.cell_address(o, index) for o in offsets[:_MAX_LISTED]]
    extra = len(offsets) - len(names)
    if extra:
        return ", ".join(names) + f" and {extra:,} more"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# ---- totals rows --------------------------------------------------------------------------


def is_number(value: object) -> bool:
    return type(value) is float or type(value) is int


def totals_row(table: DataTable) -> str | None:
    """Why the table's last data row is a totals row ("labelled ..." / "sums ..."), or None.

    A totals row is labelled (Total, Grand total, Totaux, Summe, Sum...) in a text cell, or,
    with no date in it, holds in at least one numeric column (and in most of them) the sum
    of the column above it. Such a row would double every statistic, so it is excluded.
    """
    if table.row_count < 3 or not table.columns:
        return None
    last = [c.values[-1] if c.values else None for c in table.columns]
    for value in last:
        if isinstance(value, str) and _TOTAL_LABEL.match(value):
            return f"labelled “{value.strip()}”"
    if any(isinstance(v, date | time) for v in last):
        return None
    checked = matched = 0
    first_match = ""
    for column, value in zip(table.columns, last, strict=True):
        if not is_number(value):
            continue
        total, count = _sum_numbers(column.values[:-1])
        if count < 2:
            continue
        checked += 1
        if total and math.isclose(value, total, rel_tol=1e-3):  # type: ignore[arg-type]
            matched += 1
            first_match = first_match or column.name
    if matched and matched * 2 >= checked:
        return f"equal to the sum of the rows above in {first_match}"
    return None


def _sum_numbers(values: list[CellValue]) -> tuple[float, int]:
    """(exact sum, count) of the numbers among the values; C speed when all are numbers."""
    if set(map(type, values)) <= {float, int}:
        return math.fsum(values), len(values)  # type: ignore[arg-type]
    numbers = [v for v in values if type(v) is float or type(v) is int]
    return math.fsum(numbers), len(numbers)


# ---- sheet-level and column-level checks ---------------------------------------------------


def error_insights(sheet: Sheet) -> list[Insight]:
    """Formula error cells grouped by code and column, with their addresses and formulas."""
    groups: dict[tuple[str, int], list[tuple[int, str]]] = {}
    for address, error in sheet.errors:
        try:
            row, col = parse_cell(address)
        except ValueError:
            continue
        groups.setdefault((error.code, col), []).append((row, address))
    formulas = {f.address: f.formula for f in sheet.formulas if f.formula}
    found = []
    for (code, col), cells in sorted(groups.items(), key=lambda g: (-len(g[1]), g[0])):
        cells.sort()
        ref = _span_ref(sheet.name, col, [r for r, _ in cells])
        names = [a for _, a in cells]
        listed = ", ".join(names[:_MAX_LISTED]) + (
            f" and {len(names) - _MAX_LISTED:,} more" if len(names) > _MAX_LISTED else "")
        formula = formulas.get(names[0])
        verb = "shows" if len(cells) == 1 else "show"
        detail = (f"{fmt_count(len(cells), 'cell')} of sheet {sheet.name} {verb} {code}: "
                  f"{listed}." + (f" {names[0]} is {formula}." if formula else "")
                  + " Totals and averages over these cells fail or skip them.")
        severity: Severity = "critical" if code in _CRITICAL_ERRORS else "warning"
        where = _header(sheet, cells[0][0], col) or f"column {column_letter(col)}"
        found.append(Insight(f"{code} in {where}", detail, ref, "error", severity))
    return found


def loose_values_insight(sheet: Sheet) -> Insight:
    """A sheet with values but no table (a lone cell, a single row): say so, honestly."""
    return Insight(
        f"No table on {sheet.name}",
        f"Sheet {sheet.name} has values in {sheet.used_range} but no table (a header row "
        "with rows of data below it), so there is nothing to compute statistics on.",
        format_ref(sheet.name, sheet.used_range), "overview", "info")


def _header(sheet: Sheet, row: int, col: int) -> str:
    """The header of the table column holding a cell, or ""."""
    for table in sheet.tables:
        if table.first_col <= col <= table.last_col and table.top_row <= row <= table.last_row:
            return table.columns[col - table.first_col].name if table.columns else ""
    return ""


def text_number_insight(table: DataTable, index: int, offsets: list[int], values: list[float],
                        whole_column: bool) -> Insight:
    """Numbers stored as text: Excel's SUM and AVERAGE skip them."""
    column = table.columns[index]
    total = fmt_number(math.fsum(values), column.kind, column.currency)
    if whole_column:
        detail = (f"All {len(offsets):,} values of {column.name} are text that looks like "
                  f"numbers, so SUM and AVERAGE see nothing; as numbers they would total "
                  f"{total}. Convert the column to numbers.")
        ref = column_ref(table, index)
    else:
        what = ("holds a number stored as text" if len(offsets) == 1
                else f"hold numbers stored as text ({total} in all)")
        it = "it" if len(offsets) == 1 else "them"
        detail = (f"{cell_names(table, index, offsets)} in {column.name} {what}"
                  + (f" ({total})" if len(offsets) == 1 else "")
                  + f", which SUM and AVERAGE skip; the statistics here leave {it} out too.")
        ref = cells_ref(table, index, offsets)
    return Insight(f"Numbers stored as text in {column.name}", detail, ref, "quality",
                   "warning")


def mixed_insight(table: DataTable, index: int, role: str, offsets: list[int],
                  samples: Counter[str]) -> Insight:
    """A column of one type holding cells of another (often "n/a" or "-" in numbers)."""
    column = table.columns[index]
    shown = ", ".join(f"“{text}” ×{n:,}" if n > 1 else f"“{text}”"
                      for text, n in samples.most_common(3))
    verb = "holds another kind of value" if len(offsets) == 1 else "hold other kinds of values"
    detail = (f"{column.name} is a {role} column, but {cell_names(table, index, offsets)} "
              f"{verb} ({shown}); formulas over the column skip or trip on them.")
    return Insight(f"Mixed types in {column.name}", detail, cells_ref(table, index, offsets),
                   "quality", "notice")


def empty_column_insight(table: DataTable, index: int) -> Insight:
    column = table.columns[index]
    return Insight(f"{column.name} is empty",
                   f"Column {column.letter} ({column.name}) has a header but no values in "
                   f"its {fmt_count(table.row_count, 'row')}.",
                   column_ref(table, index), "quality", "info")


def gap_insight(table: DataTable, index: int, missing: list[int], role: str) -> Insight:
    """Missing values in a column: how many, and the longest run of them."""
    column = table.columns[index]
    start, length = longest_run(missing)
    share = len(missing) / max(table.row_count, 1)
    detail = f"{column.name} is empty in {fmt_count(len(missing), 'row')} ({fmt_pct(share)})"
    if length > 1:
        first = table.cell_address(start, index)
        last = table.cell_address(start + length - 1, index)
        detail += f"; the longest gap runs {length:,} rows, {first}:{last}."
    else:
        detail += f": {cell_names(table, index, missing)}."
    ref = cells_ref(table, index, [start, start + length - 1])
    severity: Severity = "notice" if role in ("number", "date") else "info"
    return Insight(f"Gaps in {column.name}", detail, ref, "quality", severity)


def sparse_insight(table: DataTable, index: int, missing: int) -> Insight:
    """A text column that is often left empty (comments, notes): how often."""
    column = table.columns[index]
    share = missing / max(table.row_count, 1)
    detail = (f"{column.name} is empty in {fmt_count(missing, 'row')} of {table.row_count:,} "
              f"({fmt_pct(share)}).")
    return Insight(f"Gaps in {column.name}", detail, column_ref(table, index), "quality", "info")


def longest_run(offsets: Sequence[int]) -> tuple[int, int]:
    """(first offset, length) of the longest run of consecutive offsets (sorted input)."""
    best_start, best_len = offsets[0], 1
    start, length = offsets[0], 1
    for previous, current in pairwise(offsets):
        if current == previous + 1:
            length += 1
        else:
            start, length = current, 1
        if length > best_len:
            best_start, best_len = start, length
    return best_start, best_len


def duplicate_rows(table: DataTable) -> tuple[int, list[tuple[int, int]]]:
    """(how many rows repeat an earlier row exactly, a few (row, earlier row) offset pairs).

    Rows are hashed whole; blank rows are not counted. Examples are checked value by value.
    (The profile skips this when a column holds a different value in every row.)
    """
    columns = [c.values for c in table.columns]
    if not columns or table.row_count < 2:
        return 0, []
    hashes = list(map(hash, zip(*columns, strict=False)))
    blank = hash((None,) * len(columns))
    distinct = set(hashes)
    repeats = len(hashes) - len(distinct) - max(hashes.count(blank) - 1, 0)
    if repeats <= 0:
        return 0, []
    seen: dict[int, int] = {}
    pairs: list[tuple[int, int]] = []
    for offset, key in enumerate(hashes):
        earlier = seen.setdefault(key, offset)
        if earlier != offset and key != blank and _same_row(columns, offset, earlier):
            pairs.append((offset, earlier))
            if len(pairs) == 3:
                break
    return repeats, pairs


def _same_row(columns: list[list[CellValue]], a: int, b: int) -> bool:
    return all(c[a] == c[b] for c in columns)


def duplicate_insight(table: DataTable, repeats: int, pairs: list[tuple[int, int]]) -> Insight:
    example = ""
    if pairs:
        row, earlier = pairs[0]
        example = (f" For example row {table.first_row + row:,} repeats row "
                   f"{table.first_row + earlier:,}.")
    detail = (f"{fmt_count(repeats, 'row')} of {table.row_count:,} repeat an earlier row "
              f"exactly, which inflates counts and totals.{example}")
    ref = row_ref(table, pairs[0][0]) if pairs else table_ref(table)
    return Insight(f"Duplicated rows in {table.name or table.sheet}", detail, ref, "quality",
                   "warning")


def outlier_insight(table: DataTable, index: int, cells: Sequence[tuple[int, float]],
                    count: int, center: float, scale: float, limit: float) -> Insight:
    """The most extreme cell of a column, with how many more lie beyond the limit."""
    column = table.columns[index]

    def show(x: float) -> str:
        return fmt_number(x, column.kind, column.currency)

    offset, value = cells[0]
    address = table.cell_address(offset, index)
    z = abs(value - center) / scale
    detail = (f"{address} holds {show(value)} in {column.name}, {_plain(z)} robust z-scores "
              f"from the median of {show(center)} (outliers lie beyond {limit:.1f}, with the "
              f"spread measured by the median absolute deviation).")
    if count > 1:
        others = ", ".join(f"{table.cell_address(o, index)} ({show(v)})" for o, v in cells[1:4])
        detail += (f" {fmt_count(count - 1, 'other cell')} "
                   f"{'lies' if count == 2 else 'lie'} beyond the limit too: {others}"
                   + (", …" if count > 4 else "") + ".")
    return Insight(f"Outlier in {column.name}", detail,
                   format_ref(table.sheet, address), "outlier", "notice")


def tail_insight(table: DataTable, index: int, count: int, rows: int, high: bool,
                 limit: float, mean: float, median: float) -> Insight:
    """Too many extreme values to call outliers: a long tail of the distribution."""
    column = table.columns[index]
    side = "high" if high else "low"
    detail = (f"{fmt_count(count, 'value')} of {column.name} ({fmt_pct(count / rows)}) lie "
              f"more than {limit:.1f} robust z-scores from the median, mostly "
              f"{'above' if high else 'below'} it: the distribution has a long {side} tail, "
              f"so its median ({fmt_number(median, column.kind, column.currency)}) says more "
              f"than its mean ({fmt_number(mean, column.kind, column.currency)}).")
    return Insight(f"{column.name} has a long {side} tail", detail, column_ref(table, index),
                   "distribution", "info")
