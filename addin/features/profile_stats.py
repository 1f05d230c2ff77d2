"""The numbers behind a column's profile: its cells split by type, and one ordering of its
numbers.

:func:`split` sorts a column's cells by type (numbers, texts, dates, errors, blanks) in
C-speed passes (``set(map(type, ...))`` first), looking at cells one by one only where they
are not numbers; :func:`text_number` reads the numbers some texts hold ("1,234.5", "12%").

:func:`order` sorts the numbers once, or, when a column holds few distinct numbers (units,
ratings, flags), counts them instead, which is several times faster than sorting 100,000
values. Everything else reads the :class:`Ordered` values by rank: the median and
quartiles (Excel's PERCENTILE.INC interpolation), the distinct count, the median absolute
deviation (a k-th smallest deviation found by binary search, never a second sort) and the
outlier fences (counted by bisection).

Outlier method: robust z-score, |x − median| / (1.4826 × MAD) > 3.5 (Iglewicz and Hoaglin).
In big columns the limit rises to √(2·ln n) + 0.5 (5.3 for 100,000 values), about where the
largest of n normal values falls, so that the ordinary extremes of a big sample are not
called outliers. When more than half the values are equal (MAD = 0), the mean absolute
deviation × 1.2533 stands in. :func:`is_tail` tells a long tail from a few outliers.
"""

# ruff: noqa: RUF002, RUF003  (×, − and typographic quotes on purpose)
from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import accumulate, islice
from operator import eq, mul

from ..documents.workbook import CellError, CellValue

Z_LIMIT = 3.5
_FEW = 64  # distinct values in a sample below which the column is counted, not sorted
_PROBE = 1000
_TEXT_NUMBER = re.compile(
    r"^[-+(]?\s*[$€£¥]?\s*[-+]?(\d{1,3}([,\u00a0\u202f' ]\d{3})+|\d+)([.,]\d+)?\s*[%€$£]?\)?$")
_NUMBER_TYPES = frozenset({int, float})
_DATE_TYPES = frozenset({date, datetime, type(None)})
_ID_HINT = ("id", "no", "no.", "nr", "n°", "num", "number", "code", "ref", "key", "#")


@dataclass(frozen=True, slots=True)
class NumericStats:
    count: int
    total: float
    mean: float
    median: float
    stdev: float | None  # sample standard deviation (Excel's STDEV.S); None below 2 values
    minimum: float
    maximum: float
    q1: float  # quartiles as Excel's QUARTILE.INC computes them
    q3: float
    distinct: int
    min_cell: str = ""  # sheet-qualified address of the first minimum
    max_cell: str = ""


@dataclass(frozen=True, slots=True)
class Ordered:
    """Numbers in ascending order: the sorted list itself (``ends`` None), or the distinct
    values with the cumulative count of values up to each (``ends``)."""

    keys: list[float]
    ends: list[int] | None
    n: int

    def at(self, rank: int) -> float:
        """The value of 0-based rank ``rank``."""
        return self.keys[rank] if self.ends is None else self.keys[bisect_right(self.ends, rank)]

    def below(self, x: float) -> int:
        """How many values are < x."""
        i = bisect_left(self.keys, x)
        return i if self.ends is None else (self.ends[i - 1] if i else 0)

    def at_most(self, x: float) -> int:
        """How many values are ≤ x."""
        i = bisect_right(self.keys, x)
        return i if self.ends is None else (self.ends[i - 1] if i else 0)

    def quantile(self, p: float) -> float:
        """Linear interpolation between closest ranks (Excel's PERCENTILE.INC)."""
        position = (self.n - 1) * p
        below = math.floor(position)
        fraction = position - below
        value = self.at(below)
        return value + (self.at(below + 1) - value) * fraction if fraction else value


def order(numbers: Sequence[float]) -> tuple[Ordered, float, float]:
    """The numbers ordered, with their sum and their sum of squares."""
    probe = numbers[:: max(1, len(numbers) // _PROBE)]
    if len(set(probe)) <= _FEW:
        counts = Counter(numbers)
        if len(counts) <= 4 * _FEW:
            keys = sorted(counts)
            tally = [counts[k] for k in keys]
            total = math.fsum(map(mul, keys, tally))
            squares = math.fsum(k * k * c for k, c in zip(keys, tally, strict=True))
            return Ordered(keys, list(accumulate(tally)), len(numbers)), total, squares
    ordered = sorted(numbers)
    return Ordered(ordered, None, len(ordered)), sum(ordered), sum(map(mul, ordered, ordered))


def summarize(numbers: Sequence[float]) -> tuple[NumericStats, Ordered]:
    """Count, sum, mean, median, sample stdev, min, max, quartiles, distinct count."""
    ordered, total, squares = order(numbers)
    n = ordered.n
    mean = total / n
    stdev = None
    if n > 1:
        spread = squares - total * mean
        if spread < 1e-6 * squares:  # |mean| dwarfs the spread: Σx² − n·mean² cancels out
            mean = math.fsum(numbers) / n
            spread = math.fsum((x - mean) ** 2 for x in numbers)
        stdev = math.sqrt(max(spread, 0.0) / (n - 1))
    keys = ordered.keys
    distinct = len(keys) if ordered.ends is not None else (
        n - sum(map(eq, keys, islice(keys, 1, None))))
    stats = NumericStats(n, total, mean, ordered.quantile(0.5), stdev, keys[0], keys[-1],
                         ordered.quantile(0.25), ordered.quantile(0.75), distinct)
    return stats, ordered


def kth_deviation(ordered: Ordered, center: float, k: int) -> float:
    """The k-th smallest (0-based) |x − center|, in O(log² n): the values left and right of
    ``center`` are two sorted lists of deviations, merged by binary search."""
    at = ordered.at
    split = ordered.below(center)
    left, right = split, ordered.n - split
    lo, hi = max(0, k + 1 - right), min(k + 1, left)
    while lo < hi:  # how many of the k+1 smallest deviations lie left of center
        i = (lo + hi) // 2
        if center - at(split - 1 - i) < at(split + k - i) - center:
            lo = i + 1
        else:
            hi = i
    taken = k + 1 - lo
    candidates = [center - at(split - lo)] if lo else []
    if taken:
        candidates.append(at(split + taken - 1) - center)
    return max(candidates)


@dataclass(frozen=True, slots=True)
class Fences:
    low: float
    high: float
    below: int  # how many values lie under ``low``
    above: int  # how many lie over ``high``
    rare_only: bool  # the MAD was 0: a long tail is not worth a word
    limit: float  # the robust z-score limit used


def z_limit(n: int) -> float:
    """The robust z-score beyond which a value is an outlier, for a column of n numbers."""
    return max(Z_LIMIT, math.sqrt(2 * math.log(n)) + 0.5) if n > 1 else Z_LIMIT


def is_tail(found: Fences, n: int) -> bool:
    """Too many values beyond the fences to call them outliers: the column has a long tail."""
    return found.below + found.above > max(10, n // 1000)


def fences(ordered: Ordered, center: float) -> Fences | None:
    """The robust z-score fences around the median ``center``; None for a constant column."""
    n = ordered.n
    half = n // 2
    mad = kth_deviation(ordered, center, half) if n % 2 else (
        kth_deviation(ordered, center, half - 1) + kth_deviation(ordered, center, half)) / 2
    scale = 1.4826 * mad
    rare_only = not scale
    if rare_only:
        scale = 1.2533 * _absolute_deviations(ordered, center) / n
    if not scale or not math.isfinite(scale):
        return None
    limit = z_limit(n)
    low, high = center - limit * scale, center + limit * scale
    return Fences(low, high, ordered.below(low), n - ordered.at_most(high), rare_only, limit)


def _absolute_deviations(ordered: Ordered, center: float) -> float:
    """Σ |x − center|, from the sums on each side of the center."""
    keys, n = ordered.keys, ordered.n
    if ordered.ends is None:
        split = bisect_left(keys, center)
        return (center * split - math.fsum(keys[:split]) + math.fsum(keys[split:])
                - center * (n - split))
    counts = [end - start for start, end in zip([0, *ordered.ends], ordered.ends, strict=False)]
    return math.fsum(abs(k - center) * c for k, c in zip(keys, counts, strict=True))


def extremes(ordered: Ordered, found: Fences, center: float, limit: int = 6) -> list[float]:
    """The ``limit`` values farthest from the center beyond the fences, farthest first."""
    low = [ordered.at(r) for r in range(min(found.below, limit))]
    high = [ordered.at(ordered.n - 1 - r) for r in range(min(found.above, limit))]
    return sorted(low + high, key=lambda x: -abs(x - center))[:limit]


def locate(aligned: Sequence[object], values: Sequence[float]) -> list[tuple[int, float]]:
    """(row offset, value) of each value, a repeated value at its successive rows."""
    found, start = [], dict[float, int]()
    for value in values:
        offset = list.index(aligned, value, start.get(value, 0))  # type: ignore[arg-type]
        start[value] = offset + 1
        found.append((offset, value))
    return found


def positions(values: list[object], targets: Collection[object], expected: int) -> list[int]:
    """Sorted offsets of the cells equal to one of ``targets`` (strings or None): C-speed
    ``list.index`` scans when few cells are expected, one comprehension otherwise."""
    if expected > 2000 or len(targets) > 8:
        wanted = set(targets)
        return [i for i, v in enumerate(values) if v in wanted]
    found = []
    for target in targets:
        start = 0
        while True:
            try:
                start = values.index(target, start) + 1
            except ValueError:
                break
            found.append(start - 1)
    return sorted(found)


def text_number(text: str) -> float | None:
    """The number a text cell shows ("1,234.5", "1 234,5", "12%", "$1,200", "(300)"), or None."""
    raw = text.strip()
    if not raw or not _TEXT_NUMBER.match(raw):
        return None
    negative = (raw.startswith("(") and raw.endswith(")")) or raw.lstrip("(+$€£¥ ").startswith(
        "-")
    digits = re.sub(r"[^\d.,]", "", raw)
    if "," in digits and "." in digits:  # the later separator is the decimal one
        decimal = "," if digits.rfind(",") > digits.rfind(".") else "."
        digits = digits.replace("." if decimal == "," else ",", "").replace(",", ".")
    elif digits.count(",") == 1 and len(digits.split(",")[1]) != 3:
        digits = digits.replace(",", ".")  # "12,5": a decimal comma
    else:
        digits = digits.replace(",", "")
    try:
        value = float(digits)
    except ValueError:
        return None
    value = -value if negative else value
    return value / 100 if raw.endswith("%") else value


# ---- a column's cells by type ------------------------------------------------------------


@dataclass(slots=True)
class Parts:
    """One column's cells by type. ``aligned`` has one entry per row, None where no number."""

    aligned: Sequence[float | int | None]
    clean: bool  # every cell is a number
    numbers: list[float | int]
    texts: Counter[str] = field(default_factory=Counter)
    dates: list[date] = field(default_factory=list)
    missing: int = 0
    errors: int = 0
    others: int = 0  # booleans and times
    blanks: set[str] = field(default_factory=set)  # texts of spaces only, counted as missing
    odd: list[int] | None = None  # offsets of the cells that are not numbers, when known


def split(values: list[CellValue], mix: dict[str, int] | None = None) -> Parts:
    """Sort the cells by type: C-speed passes for single-type columns, a Python loop only
    over the cells that are not numbers in the others."""
    if mix and mix.get("number") == len(values) and len(mix) == 1:
        return Parts(values, True, values)  # type: ignore[arg-type]  # the reader counted
    types = set(map(type, values))
    if types <= _NUMBER_TYPES:
        return Parts(values, True, values)  # type: ignore[arg-type]
    if types <= _NUMBER_TYPES | {type(None)}:
        numbers = [v for v in values if v is not None]
        return Parts(values, False, numbers, missing=len(values) - len(numbers))  # type: ignore
    if types <= _DATE_TYPES:
        dates = [v for v in values if v is not None] if type(None) in types else values
        return Parts([None] * len(values), False, [], dates=dates,  # type: ignore[arg-type]
                      missing=len(values) - len(dates))
    if types <= {str, type(None)}:
        texts = Counter(values)
        missing = texts.pop(None, 0)
        blanks = {t for t in texts if not t.strip()}  # type: ignore[union-attr]
        missing += sum(texts.pop(blank) for blank in blanks)
        return Parts([None] * len(values), False, [], texts, missing=missing,  # type: ignore
                      blanks=blanks)  # type: ignore[arg-type]
    return _split_mixed(values)


def _split_mixed(values: list[CellValue]) -> Parts:
    """The offsets of the cells that are not numbers by one comprehension, then only those
    cells looked at one by one."""
    odd = [i for i, v in enumerate(values) if type(v) not in _NUMBER_TYPES]
    aligned: list[CellValue] = values.copy()
    for i in odd:
        aligned[i] = None
    parts = Parts(aligned, False, [v for v in aligned if v is not None], odd=odd)  # type: ignore
    for i in odd:
        value = values[i]
        kind = type(value)
        if value is None:
            parts.missing += 1
        elif kind is str and not value.strip():  # type: ignore[union-attr]
            parts.missing += 1
            parts.blanks.add(value)  # type: ignore[arg-type]
        elif kind is str:
            parts.texts[value] += 1  # type: ignore[index]
        elif isinstance(value, date):
            parts.dates.append(value)
        elif kind is CellError:
            parts.errors += 1
        else:
            parts.others += 1
    return parts


def find(values: list[CellValue], parts: Parts, targets: Sequence[str | None],
          expected: int) -> list[int]:
    """Offsets of the cells equal to one of the texts (or None) in ``targets``."""
    if parts.odd is not None:
        wanted = set(targets)
        return [i for i in parts.odd if values[i] in wanted]
    return positions(values, targets, expected)  # type: ignore[arg-type]


def text_numbers_of(parts: Parts) -> dict[str, float]:
    """The distinct texts that read as numbers, when they matter: in a numeric column, or
    when the first 50 distinct texts of a text column all read as numbers."""
    texts = parts.texts
    if not texts:
        return {}
    if len(parts.numbers) * 2 < parts.texts.total():
        probe = list(islice(texts, 50))
        if any(text_number(t) is None for t in probe):
            return {}
    return {t: x for t in texts if (x := text_number(t)) is not None}


def role_of(name: str, parts: Parts, counted: int, text_numbers: int) -> str:
    if counted == 0:
        return "empty"
    numbers = len(parts.numbers)
    if numbers and (numbers + text_numbers) * 2 >= counted:
        return "number"
    if len(parts.dates) * 2 >= counted:
        return "date"
    if parts.others * 2 >= counted:
        return "boolean"
    distinct = len(parts.texts)
    if distinct == counted and counted >= 10:
        return "identifier" if id_like(name) else "text"
    return "category" if distinct <= min(100, max(10, counted // 5)) else "text"


def id_like(name: str) -> bool:
    words = name.lower().replace("_", " ").replace("-", " ").split()
    return any(w in _ID_HINT for w in words) or name.lower().endswith("id")


def date_range(dates: list[date]) -> tuple[date, date]:
    if len(set(map(type, dates))) == 1:
        return min(dates), max(dates)
    return min(dates, key=date.toordinal), max(dates, key=date.toordinal)
