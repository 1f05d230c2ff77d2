"""Strong correlations between the numeric columns of a table.

Pearson's r between every pair of numeric columns over the rows where both hold a number,
reported when |r| ≥ 0.8 with n ≥ 10. Tables over 5,000 rows are measured on an even sample
of about 5,000 rows (every k-th row), and the finding says so: at r = 0.8 the sampling error
is about ±0.005, well under the two decimals shown. Each column is centred once; a pair
costs one sum of products, corrected for the rows either column leaves empty.
"""


from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from operator import mul

from ..documents.a1 import format_range, format_ref
from ..documents.workbook import DataTable
from .findings import Insight
from .trends import Series

SAMPLE = 5000
MIN_R = 0.8
MIN_PAIRS = 10


@dataclass(frozen=True, slots=True)
class Correlation:
    first: str
    second: str
    r: float
    n: int  # rows where both hold a number (in the sample, when sampled)
    range: str  # the block spanning both columns, sheet-qualified
    sampled_from: int = 0  # the table's rows when r was measured on a sample, else 0


def correlations(table: DataTable, series: Sequence[Series]) -> list[Correlation]:
    """Pairs of numeric columns with |r| ≥ 0.8 over n ≥ 10 shared rows, strongest first.
    Tables over 5,000 rows are measured on an even sample of 5,000 of them."""
    if len(series) < 2:
        return []
    rows = len(series[0].values)
    step = max(1, rows // SAMPLE)
    sampled = [_Centered.of(s.values[::step]) for s in series]
    found = []
    for i, a in enumerate(series):
        for j in range(i + 1, len(series)):
            r, n = sampled[i].pearson(sampled[j])
            if abs(r) >= MIN_R and n >= MIN_PAIRS:
                b = series[j]
                found.append(Correlation(a.name, b.name, r, n, _span(table, a.index, b.index),
                                         rows if step > 1 else 0))
    found.sort(key=lambda c: -abs(c.r))
    return found


@dataclass(frozen=True, slots=True)
class _Centered:
    """A column ready for Pearson's r: values minus their mean with 0.0 where there is no
    number, the offsets of those empty rows, the sum and the sum of squares."""

    values: list[float]
    empty: list[int]
    total: float  # Σ (x - mean), zero but for rounding
    squares: float  # Σ (x - mean)²

    @classmethod
    def of(cls, values: Sequence[float | int | None]) -> _Centered:
        empty = [i for i, v in enumerate(values) if v is None] if None in values else []
        numbers = [v for v in values if v is not None] if empty else values
        mean = math.fsum(numbers) / len(numbers) if numbers else 0.0  # type: ignore[arg-type]
        centered = [0.0 if v is None else v - mean for v in values]
        return cls(centered, empty, math.fsum(centered), math.fsum(map(mul, centered, centered)))

    def pearson(self, other: _Centered) -> tuple[float, int]:
        """(r, n) over the rows where both hold a number; r is 0.0 when one is constant.
        Each column's sums are corrected for the rows empty in the other (few, as a rule)."""
        a, b = self.values, other.values
        n = len(a) - len(set(self.empty).union(other.empty))
        if n < 2:
            return 0.0, max(n, 0)
        sx = self.total - math.fsum(a[i] for i in other.empty)
        sy = other.total - math.fsum(b[i] for i in self.empty)
        vx = self.squares - math.fsum(a[i] * a[i] for i in other.empty) - sx * sx / n
        vy = other.squares - math.fsum(b[i] * b[i] for i in self.empty) - sy * sy / n
        if vx <= 1e-12 * self.squares or vy <= 1e-12 * other.squares:
            return 0.0, n
        covariance = sum(map(mul, a, b)) - sx * sy / n
        return max(-1.0, min(1.0, covariance / math.sqrt(vx * vy))), n


def _span(table: DataTable, i: int, j: int) -> str:
    if table.row_count == 0:
        return ""
    first, last = table.first_col + min(i, j), table.first_col + max(i, j)
    return format_ref(table.sheet, format_range(table.first_row, first, table.last_row, last))


def correlation_insight(item: Correlation) -> Insight:
    together = "high when the other is high" if item.r > 0 else "low when the other is high"
    rows = (f"an even sample of {item.n:,} of the {item.sampled_from:,} rows"
            if item.sampled_from else f"{item.n:,} rows")
    detail = (f"Across {rows}, {item.first} and {item.second} have a Pearson correlation of "
              f"{item.r:.2f}: one tends to be {together}.")
    if abs(item.r) > 0.999:
        detail += " They move in lockstep, so one is probably computed from the other."
    return Insight(f"{item.first} and {item.second} move together (r = {item.r:.2f})", detail,
                   item.range, "correlation", "info")
