"""Movement in a table: the trends of its numeric columns over a time axis.

Trend method: the rows are bucketed into periods of the time axis (day, week, month,
quarter or year, whichever gives a readable number of periods for the span; or the values
of an ordered numeric axis such as a Year column). Each numeric column is aggregated per
period (its total, or its average for rates, prices and percentages), and the aggregates
are fitted by ordinary least squares against the period number, so the slope reads "per
month" (or per quarter...). The direction is "up" or "down" only when the fitted change
over the span is at least 5% of the column's level and the fit explains at least a quarter
of the variance (R² ≥ 0.25); otherwise it is "flat". With at least five periods, a first or
last period holding under half the usual number of rows is treated as partial and left out.
"""

# ruff: noqa: RUF003  (×, − and typographic quotes on purpose)
from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial
from itertools import islice, pairwise
from operator import is_not, itemgetter, le, mul
from statistics import median
from typing import Any, TypeVar

from ..documents.workbook import CellValue, DataTable
from .findings import Insight, Severity, column_ref, fmt_number, fmt_pct

T = TypeVar("T")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_AVERAGED = re.compile(r"price|rate|ratio|avg|average|mean|%|percent|pct|score|margin|temp"
                       r"|age\b|prix|taux|moyen|marge|preis|quote|durchschnitt", re.IGNORECASE)
_YEAR_NAME = re.compile(r"^(fiscal\s+)?(year|yr|fy|ann[ée]e|an|jahr|exercice)$", re.IGNORECASE)
_MEASURE = re.compile(r"revenue|sales|turnover|amount|income|montant|ventes?\b|chiffre"
                      r"|umsatz|betrag", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Series:
    """A numeric column as trends and correlations read it."""

    index: int  # 0-based in the table
    name: str
    values: Sequence[float | int | None]  # one per data row; None where there is no number
    clean: bool  # True when every value is a number
    kind: str = "number"
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class Axis:
    """The time axis of a table: a period key per data row (None where there is none)."""

    index: int
    name: str
    period: str  # "day", "week", "month", "quarter", "year", or "step" for a numeric axis
    keys: list[int | None]


@dataclass(frozen=True, slots=True)
class Trend:
    column: str
    axis: str
    period: str
    aggregate: str  # "total", "average" or "value" (one row per period)
    periods: int
    first_label: str
    last_label: str
    first_value: float
    last_value: float
    slope: float  # per period, in the column's unit
    r2: float
    change: float | None  # relative change from the first to the last period
    direction: str  # "up", "down" or "flat"
    range: str  # the column's data cells, sheet-qualified
    note: str = ""  # e.g. "the partial last month (Nov 2022) is left out"


# ---- the time axis ------------------------------------------------------------------------


def date_axis(index: int, name: str, values: Sequence[CellValue], span: tuple[date, date],
              only_dates: bool) -> Axis | None:
    """Periods of a date column, sized to its span; None with fewer than three periods.
    ``only_dates`` (every cell is a date) takes the fast path."""
    days = span[1].toordinal() - span[0].toordinal()
    period = ("day" if days <= 45 else "week" if days <= 183 else "month" if days <= 1100
              else "quarter" if days <= 2930 else "year")
    keys = _date_keys(values, period) if only_dates else [
        _KEYS[period](v) if isinstance(v, date) else None for v in values]
    return Axis(index, name, period, keys) if len(set(keys) - {None}) >= 3 else None


def _date_keys(values: Sequence[CellValue], period: str) -> list[int | None]:
    """Period keys of a column holding only dates, one list comprehension each."""
    dates: Sequence[date] = values  # type: ignore[assignment]
    if period == "month":
        return [d.year * 12 + d.month - 1 for d in dates]
    if period == "quarter":
        return [d.year * 4 + (d.month - 1) // 3 for d in dates]
    if period == "year":
        return [d.year for d in dates]
    if period == "week":
        return [(d.toordinal() - 1) // 7 for d in dates]
    return [d.toordinal() for d in dates]


_KEYS = {
    "day": lambda d: d.toordinal(),
    "week": lambda d: (d.toordinal() - 1) // 7,  # weeks starting on Monday
    "month": lambda d: d.year * 12 + d.month - 1,
    "quarter": lambda d: d.year * 4 + (d.month - 1) // 3,
    "year": lambda d: d.year,
}


def numeric_axis(index: int, name: str, values: Sequence[CellValue]) -> Axis | None:
    """A Year-like column: whole numbers named like a year, or sorted years (1900-2100)."""
    keys = [int(v) if (type(v) is int or type(v) is float) and v == int(v) else None
            for v in values]
    present = [k for k in keys if k is not None]
    if len(set(present)) < 3 or len(present) < len(keys) * 0.9:
        return None
    named = _YEAR_NAME.match(name.strip()) is not None
    years = all(1900 <= k <= 2100 for k in present)
    ordered = all(map(le, present, islice(present, 1, None)))
    if (named and years) or (years and ordered):
        return Axis(index, name, "year", keys)
    return None


def find_axis(table: DataTable) -> Axis | None:
    """The time axis of a table without its profile: the first column mostly of dates, else
    a Year-like column (as the profile chooses it)."""
    for index, column in enumerate(table.columns):
        dates = [v for v in column.values if isinstance(v, date)]
        filled = sum(1 for v in column.values if v is not None)
        if dates and len(dates) * 2 >= filled:
            span = (min(dates, key=date.toordinal), max(dates, key=date.toordinal))
            return date_axis(index, column.name, column.values, span, False)
    for index, column in enumerate(table.columns):
        axis = numeric_axis(index, column.name, column.values)
        if axis is not None:
            return axis
    return None


def is_measure(name: str) -> bool:
    """A column named like the table's main measure: revenue, sales, amount, montant..."""
    return _MEASURE.search(name) is not None


def period_label(period: str, key: int) -> str:
    if period == "day":
        return date.fromordinal(key).isoformat()
    if period == "week":
        return "week of " + date.fromordinal(key * 7 + 1).isoformat()
    if period == "month":
        return f"{_MONTHS[key % 12]} {key // 12}"
    if period == "quarter":
        return f"Q{key % 4 + 1} {key // 4}"
    return str(key)


@dataclass(frozen=True, slots=True)
class Periods:
    """The rows of a table grouped by period: ``keys`` in order, and the rows of period i at
    positions ``bounds[i]:bounds[i + 1]`` of ``order`` (None when the rows are already in
    period order, with a period each)."""

    keys: list[int]
    bounds: list[int]
    order: list[int] | None
    getter: Callable[[Sequence[Any]], Sequence[Any]] | None = None  # picks rows in order

    def rows(self, i: int) -> Sequence[int]:
        """The row offsets of the i-th period (negative i counts from the end)."""
        i %= len(self.keys)
        span = range(self.bounds[i], self.bounds[i + 1])
        return span if self.order is None else self.order[span.start:span.stop]

    def complete(self) -> tuple[int, int]:
        """The first and last periods that are not partial: with five periods or more, an
        end period holding under half the usual number of rows is left out."""
        first, last = 0, len(self.keys) - 1
        if len(self.keys) >= 5:
            counts = [b - a for a, b in pairwise(self.bounds)]
            usual = median(counts)
            first += counts[first] < usual / 2
            last -= counts[last] < usual / 2
        return first, last

    def arrange(self, values: Sequence[T]) -> Sequence[T]:
        """The values in period order (rows without a period left out), in one C call."""
        if self.getter is None:
            return values
        return self.getter(values)


def periods(keys: list[int | None]) -> Periods:
    """Group the rows by period key: sorted once, unless they already are in order."""
    present = [k for k in keys if k is not None]
    if len(present) == len(keys) and all(map(le, present, islice(present, 1, None))):
        distinct = sorted(set(present))
        return Periods(distinct, [bisect_left(present, k) for k in distinct] + [len(present)],
                       None)
    rows = range(len(keys)) if len(present) == len(keys) else (
        i for i, k in enumerate(keys) if k is not None)
    order = sorted(rows, key=keys.__getitem__)  # type: ignore[arg-type]
    present = [keys[i] for i in order]  # type: ignore[misc]
    distinct = sorted(set(present))
    bounds = [bisect_left(present, k) for k in distinct] + [len(present)]
    getter = itemgetter(*order) if len(order) > 1 else (lambda v: [v[i] for i in order])
    return Periods(distinct, bounds, order, getter)


def _numbers(chunk: Sequence[float | int | None], clean: bool) -> Sequence[float | int]:
    return chunk if clean else list(filter(partial(is_not, None), chunk))  # type: ignore


# ---- trends -------------------------------------------------------------------------------


def trends(table: DataTable, axis: Axis, series: Sequence[Series]) -> list[Trend]:
    """The trend of each numeric column over the axis, the main measure and the strongest
    movements first."""
    grouped = periods(axis.keys)
    if len(grouped.keys) < 3:
        return []
    found = []
    for item in series:
        if item.index == axis.index:
            continue
        trend = _trend(table, axis, item, grouped)
        if trend is not None:
            found.append(trend)
    found.sort(key=lambda t: (t.direction == "flat", not is_measure(t.column),
                              -abs(t.change or 0.0)))
    return found


def _trend(table: DataTable, axis: Axis, series: Series, grouped: Periods) -> Trend | None:
    bounds = grouped.bounds
    counts = [bounds[i + 1] - bounds[i] for i in range(len(grouped.keys))]
    averaged = series.kind == "percent" or _AVERAGED.search(series.name) is not None
    aggregate = "value" if max(counts) == 1 else "average" if averaged else "total"
    values = grouped.arrange(series.values)
    points: list[tuple[int, float, int]] = []
    for i, key in enumerate(grouped.keys):
        numbers = _numbers(values[bounds[i]:bounds[i + 1]], series.clean)
        if numbers:
            total = sum(numbers)
            points.append((key, total / len(numbers) if aggregate == "average" else total,
                           counts[i]))
    points, note = _drop_partial(points, axis.period, aggregate)
    if len(points) < 3:
        return None
    xs = [float(p[0]) for p in points]
    ys = [p[1] for p in points]
    slope, r2 = _least_squares(xs, ys)
    level = math.fsum(abs(y) for y in ys) / len(ys)
    fitted = slope * (xs[-1] - xs[0])
    moving = level > 0 and abs(fitted) >= 0.05 * level and r2 >= 0.25
    direction = ("up" if slope > 0 else "down") if moving else "flat"
    change = (ys[-1] - ys[0]) / abs(ys[0]) if ys[0] else None
    return Trend(series.name, axis.name, axis.period, aggregate, len(points),
                 period_label(axis.period, points[0][0]),
                 period_label(axis.period, points[-1][0]), ys[0], ys[-1], slope, r2, change,
                 direction, column_ref(table, series.index), note)


def _drop_partial(points: list[tuple[int, float, int]], period: str,
                  aggregate: str) -> tuple[list[tuple[int, float, int]], str]:
    """Leave out a first or last period with under half the usual rows (totals only)."""
    if aggregate != "total" or len(points) < 5:
        return points, ""
    usual = median(p[2] for p in points)
    dropped = []
    if points[-1][2] < usual / 2:
        dropped.append(f"the partial last {period} ({period_label(period, points[-1][0])})")
        points = points[:-1]
    if points[0][2] < usual / 2:
        dropped.insert(0, f"the partial first {period} ({period_label(period, points[0][0])})")
        points = points[1:]
    return points, (" and ".join(dropped) + " left out") if dropped else ""


def _least_squares(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """(slope, R²) of the ordinary least-squares line through the points."""
    n = len(xs)
    mx, my = math.fsum(xs) / n, math.fsum(ys) / n
    dx = [x - mx for x in xs]
    dy = [y - my for y in ys]
    sxx = math.fsum(map(mul, dx, dx))
    syy = math.fsum(map(mul, dy, dy))
    if not sxx:
        return 0.0, 0.0
    slope = math.fsum(map(mul, dx, dy)) / sxx
    return slope, (slope * slope * sxx / syy) if syy else 0.0


def trend_insight(trend: Trend, kind: str, currency: str | None) -> Insight:
    """ "Revenue rising": first → last period, the change, the least-squares slope."""
    def money(x: float) -> str:
        return fmt_number(x, kind, currency)

    what = {"total": f"{_adverb(trend.period)} total of {trend.column}",
            "average": f"{_adverb(trend.period)} average of {trend.column}",
            "value": trend.column}[trend.aggregate]
    change = f" ({fmt_pct(trend.change, signed=True)})" if trend.change is not None else ""
    verb = "adds" if trend.slope >= 0 else "takes off"
    unit = trend.period if trend.period != "step" else f"step of {trend.axis}"
    detail = (f"The {what} went from {money(trend.first_value)} in {trend.first_label} to "
              f"{money(trend.last_value)} in {trend.last_label}{change}. The least-squares "
              f"trend {verb} {money(abs(trend.slope))} per {unit} (R² {trend.r2:.2f}) over "
              f"{trend.periods} {unit}s of {trend.axis}"
              + (f"; {trend.note}." if trend.note else "."))
    word = {"up": "rising", "down": "falling"}.get(trend.direction, "flat")
    big = trend.change is not None and abs(trend.change) >= 0.2
    severity: Severity = "notice" if big and trend.direction != "flat" else "info"
    return Insight(f"{trend.column} {word}", detail, trend.range, "trend", severity)


def flat_insight(table: DataTable, axis: Axis, found: Sequence[Trend]) -> Insight:
    """No numeric column moves over time: worth saying, with the main one's change."""
    main = found[0]
    change = (f" ({fmt_pct(main.change, signed=True)} from {main.first_label} to "
              f"{main.last_label})" if main.change is not None else "")
    detail = (f"Over {main.periods} {main.period}s of {axis.name}, none of the "
              f"{len(found)} numeric columns shows a clear trend: {main.column} stays level"
              f"{change}.")
    return Insight(f"No clear trend over {axis.name}", detail, column_ref(table, axis.index),
                   "trend", "info")


def _adverb(period: str) -> str:
    return {"day": "daily", "week": "weekly", "month": "monthly", "quarter": "quarterly",
            "year": "yearly"}.get(period, "per-period")


def gap_periods(axis: Axis) -> list[int]:
    """Months, quarters or years between the first and last with no row at all."""
    if axis.period not in ("month", "quarter", "year"):
        return []
    present = {k for k in axis.keys if k is not None}
    return [k for k in range(min(present), max(present) + 1) if k not in present]


def gap_period_insight(table: DataTable, axis: Axis, missing: list[int]) -> Insight:
    labels = [period_label(axis.period, k) for k in missing[:6]]
    more = f" and {len(missing) - 6:,} more" if len(missing) > 6 else ""
    total = len(set(axis.keys) - {None}) + len(missing)
    detail = (f"No row of the table is dated in {', '.join(labels)}{more}: {len(missing):,} of "
              f"{total:,} {axis.period}s between the first and last date of {axis.name} are "
              f"missing, which bends any trend drawn over them.")
    return Insight(f"Missing {axis.period}s in {axis.name}", detail,
                   column_ref(table, axis.index), "quality", "notice")
