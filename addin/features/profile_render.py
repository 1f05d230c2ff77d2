"""The profile as compact text for a language model, within a token budget.

The model never sees the raw sheet: it reads the workbook and sheet overview, one line of
statistics per column, the trends, correlations and findings with their ranges, and a few
sample rows (the header, the first three and the last two data rows, cells shortened).
Every range is written exactly as the model must cite it ("'Sales 2024'!C2:C120").

When the text is over budget it degrades in steps, checked with ``estimate_tokens``: first
the sample rows go, then the statistics of the less important columns (those no finding or
trend mentions shrink to a short line, then to a name in a list), then the findings of low
severity (info, then notice); as a last resort whole lines are cut from the end, with a
note saying so.
"""

# ruff: noqa: RUF001, RUF003  (×, − and typographic quotes on purpose)
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..models.tokens import estimate_tokens
from .correlations import Correlation
from .findings import SEVERITY_RANK, Insight, fmt_count, fmt_date, fmt_number, fmt_pct
from .profile import ColumnProfile, SheetProfile, TableProfile, WorkbookProfile
from .trends import Trend

_CUT = "[… the rest is cut to fit the budget]"


@dataclass(frozen=True, slots=True)
class _Level:
    """How much to show: sample rows, column detail (2 all, 1 key columns, 0 names only),
    and the least severity of the findings listed."""

    samples: bool
    columns: int
    severity: int


_LEVELS = (_Level(True, 2, 0), _Level(False, 2, 0), _Level(False, 1, 0), _Level(False, 0, 0),
           _Level(False, 0, 1), _Level(False, 0, 2))


def render_profile(profile: WorkbookProfile, budget_tokens: int = 3000) -> str:
    """The profile as text of at most ``budget_tokens`` (estimated), degrading gracefully."""
    text = ""
    for level in _LEVELS:
        text = "\n".join(_workbook(profile, level))
        if estimate_tokens(text) <= budget_tokens:
            return text
    return _cut(text.split("\n"), budget_tokens)


def _cut(lines: list[str], budget: int) -> str:
    """Keep the first lines that fit, then say the rest was cut."""
    kept: list[str] = []
    used = estimate_tokens(_CUT)
    for line in lines:
        cost = estimate_tokens(line) + 1
        if used + cost > budget:
            break
        kept.append(line)
        used += cost
    return "\n".join([*kept, _CUT])


def _workbook(profile: WorkbookProfile, level: _Level) -> Iterable[str]:
    tables = profile.tables
    yield (f"WORKBOOK: {fmt_count(len(profile.sheets), 'sheet')}, "
           f"{fmt_count(len(tables), 'table')}; "
           f"{'1904' if profile.date1904 else '1900'} date system.")
    if profile.external_links:
        yield "External links (not followed): " + ", ".join(profile.external_links[:5])
    yield "Cite cells with the exact references given here, e.g. " + (
        tables[0].range if tables else "Sheet1!A1") + "."
    for sheet in profile.sheets:
        yield ""
        yield from _sheet(sheet, level)


def _sheet(sheet: SheetProfile, level: _Level) -> Iterable[str]:
    facts = [f"used {sheet.used_range}" if sheet.used_range else "empty"]
    if sheet.state != "visible":
        facts.append(sheet.state)
    if sheet.error_cells:
        facts.append(fmt_count(sheet.error_cells, "error cell"))
    if sheet.formula_cells:
        facts.append(fmt_count(sheet.formula_cells, "formula"))
    yield f"SHEET {sheet.name} ({'; '.join(facts)})"
    yield from _findings(sheet.insights, level)
    for table in sheet.tables:
        yield from _table(table, level)


def _table(table: TableProfile, level: _Level) -> Iterable[str]:
    label = f"TABLE {table.name} at {table.range}" if table.name else f"TABLE {table.range}"
    if table.title:
        label += f" titled “{table.title}”"
    facts = [f"{fmt_count(table.rows, 'data row')} × {fmt_count(len(table.columns), 'column')}",
             f"header row {table.header_row}" if table.header_row else "no header row"]
    if table.totals_row:
        facts.append(f"totals row {table.totals_row} left out of the statistics")
    if table.axis:
        facts.append(f"time axis {table.axis} by {table.period}")
    if table.duplicate_rows:
        facts.append(fmt_count(table.duplicate_rows, "duplicated row"))
    yield f"{label}: {'; '.join(facts)}."
    yield from _columns(table, level)
    moving = [t for t in table.trends if t.direction != "flat"]
    flat = [t.column for t in table.trends if t.direction == "flat"]
    if moving or (flat and level.columns == 2):
        yield f"Trends (least squares over the {table.period}s of {table.axis}):"
        yield from (_trend(t, table) for t in moving)
        if flat and level.columns == 2:
            yield from (_trend(t, table) for t in table.trends if t.direction == "flat")
        elif flat:
            yield "- flat: " + ", ".join(flat)
    if table.correlations:
        yield "Correlations (Pearson):"
        yield from (_correlation(c) for c in table.correlations[:8])
    yield from _findings([i for i in table.insights if i.kind != "overview"], level)
    if level.samples and table.sample:
        yield "Sample rows (row: cells):"
        yield from (f"{row}: " + " | ".join(cells) for row, cells in table.sample)


def _columns(table: TableProfile, level: _Level) -> Iterable[str]:
    if level.columns == 0:
        yield "Columns: " + "; ".join(f"{c.letter} {c.name} ({c.role})" for c in table.columns)
        return
    key = _key_columns(table)
    yield "Columns (letter name [type] cells: statistics):"
    for column in table.columns:
        if level.columns == 2 or column.name in key:
            yield "- " + _column(column)
        else:
            yield f"- {column.letter} {column.name} [{column.role}]: {column.count:,} values"


def _key_columns(table: TableProfile) -> set[str]:
    """Columns a finding or trend is about, the time axis, and the numeric columns."""
    key = {c.name for c in table.columns if c.role in ("number", "date")}
    key |= {t.column for t in table.trends if t.direction != "flat"}
    key |= {name for i in table.insights for name in _names_in(i, table)}
    return key


def _names_in(insight: Insight, table: TableProfile) -> list[str]:
    return [c.name for c in table.columns if (c.range and c.range == insight.range)
            or insight.title.endswith(" " + c.name)]


def _column(column: ColumnProfile) -> str:
    kind = column.role if column.kind in (column.role, "mixed", "text") else (
        f"{column.role}, {column.kind}" + (f" {column.currency}" if column.currency else ""))
    head = f"{column.letter} {column.name} [{kind}] {column.range}: {column.count:,} values"
    facts = [head]
    if column.missing:
        facts.append(f"{column.missing:,} empty")
    if column.errors:
        facts.append(f"{fmt_count(column.errors, 'error')}")
    if column.distinct:
        facts.append(f"{column.distinct:,} distinct")
    stats = column.numeric
    if stats is not None:
        def num(x: float) -> str:
            return fmt_number(x, column.kind, column.currency)
        facts.append(f"min {num(stats.minimum)} at {stats.min_cell}, max {num(stats.maximum)} "
                     f"at {stats.max_cell}")
        if column.role == "number":
            total = "" if column.kind == "percent" else f"sum {num(stats.total)}, "
            facts.append(f"{total}mean {num(stats.mean)}, median "
                         f"{num(stats.median)}, Q1 {num(stats.q1)}, Q3 {num(stats.q3)}"
                         + (f", sd {num(stats.stdev)}" if stats.stdev is not None else ""))
    if column.date_range:
        facts.append(f"{fmt_date(column.date_range[0])} to {fmt_date(column.date_range[1])}")
    if column.top_values:
        count = max(column.count, 1)
        facts.append("top " + ", ".join(f"{_short(v)} {n:,} ({fmt_pct(n / count)})"
                                        for v, n in column.top_values[:4]))
    if column.text_numbers:
        facts.append(f"{column.text_numbers:,} numbers stored as text (left out)")
    if column.outliers:
        facts.append("outliers " + ", ".join(column.outliers[:3]))
    return "; ".join(facts)


def _short(text: str, limit: int = 20) -> str:
    text = " ".join(text.split())
    return f"“{text}”" if len(text) <= limit else f"“{text[: limit - 1]}…”"


def _trend(trend: Trend, table: TableProfile) -> str:
    column = next((c for c in table.columns if c.name == trend.column), None)

    def num(x: float) -> str:
        return fmt_number(x, column.kind, column.currency) if column else fmt_number(x)

    change = f", {fmt_pct(trend.change, signed=True)}" if trend.change is not None else ""
    slope = f"{'+' if trend.slope >= 0 else '-'}{num(abs(trend.slope))}"
    note = f"; {trend.note}" if trend.note else ""
    return (f"- {trend.column} ({trend.aggregate} per {trend.period}) {trend.direction}: "
            f"{num(trend.first_value)} in {trend.first_label} → {num(trend.last_value)} in "
            f"{trend.last_label}{change}; slope {slope} per {trend.period}, R² {trend.r2:.2f}, "
            f"{trend.periods} periods{note} {trend.range}")


def _correlation(item: Correlation) -> str:
    sample = f" of a {item.sampled_from:,}-row table" if item.sampled_from else ""
    return (f"- {item.first} ~ {item.second}: r = {item.r:.2f}, n = {item.n:,}{sample} "
            f"{item.range}")


def _findings(insights: Iterable[Insight], level: _Level) -> Iterable[str]:
    shown = [i for i in insights if SEVERITY_RANK[i.severity] >= level.severity]
    if not shown:
        return
    yield "Findings:"
    for insight in shown:
        yield f"- [{insight.severity}, {insight.kind}] {insight.title} {insight.range}: " \
              f"{insight.detail}"
