"""Answer simple questions from the data itself, without a model, in English or French.

Patterns understood (keywords in both languages; column names matched loosely):

* "top 5 products by revenue", "les 3 plus grandes ventes", "bottom 10 orders by margin";
* "highest revenue", "lowest price", "plus petit prix";
* "total revenue by region", "moyenne du prix par canal", "how many orders per region",
  "total revenue";
* "which region fell most", "quelle région a le plus augmenté" (needs a time axis: the first
  and last periods are compared per category).

Column names are matched case- and accent-insensitively, a plural "s" ignored, and close
spellings accepted (difflib ratio ≥ 0.8). The answer is an Insight of kind "answer" whose
range holds the cells behind it; None when the question is not one of these patterns or
names nothing the tables hold (the caller then says so honestly).
"""

from __future__ import annotations

import heapq
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from ..documents.workbook import CellValue, Column, DataTable, Workbook
from .findings import (
    Insight,
    column_ref,
    fmt_count,
    fmt_number,
    fmt_pct,
    fmt_value,
    is_number,
)
from .profile import WorkbookProfile, data_rows
from .trends import find_axis, is_measure, period_label, periods

_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10, "un": 1, "une": 1, "deux": 2, "trois": 3,
                 "quatre": 4, "cinq": 5, "sept": 7, "huit": 8, "neuf": 9, "dix": 10}
_TOP = re.compile(r"\b(top|highest|largest|biggest|greatest|most|best|max|maximum|premiers?"
                  r"|plus (grande?s?|eleve(e|s|es)?|haute?s?|forte?s?|importante?s?)"
                  r"|meilleure?s?)\b")
_BOTTOM = re.compile(r"\b(bottom|lowest|smallest|least|worst|min|minimum|fewest|derniers?"
                     r"|plus (petite?s?|basse?s?|faibles?)|moins (eleve(e|s|es)?|importante?s?)"
                     r"|pire?s?)\b")
_TOTAL = re.compile(r"\b(total|totals|sum|somme|cumul)\b")
_AVERAGE = re.compile(r"\b(average|mean|avg|moyenne?s?)\b")
_COUNT = re.compile(r"\b(how many|count|number of|nombre|combien)\b")
_GREW = re.compile(r"\b(grew|grow|grown|growth|increased?|rose|risen|rise|gained?"
                   r"|augmente|progresse|hausse|monte|croissance)\b")
_FELL = re.compile(r"\b(fell|fall|fallen|dropped|drop|declined?|decreased?|shrank|lost"
                   r"|baisse|diminue|chute|recule|recul|perdu)\b")
_STOP = frozenset({
    "the", "a", "an", "of", "by", "per", "in", "on", "for", "each", "what", "which",
    "who", "is", "are", "was", "were", "has", "have", "had", "show", "me", "give", "list",
    "top", "bottom", "highest", "lowest", "largest", "smallest", "most", "least", "best",
    "worst", "total", "sum", "average", "mean", "how", "many", "count", "number", "fell",
    "grew", "rise", "rose", "dropped", "increased", "decreased", "le", "la", "les", "l",
    "de", "des", "du", "d", "par", "pour", "chaque", "quel", "quelle", "quels", "quelles",
    "est", "sont", "ont", "qui", "plus", "moins", "grand", "grande", "grands",
    "grandes", "petit", "petite", "eleve", "elevee", "montre", "donne", "liste", "somme",
    "moyenne", "nombre", "combien", "en", "un", "une", "et", "or", "ou"})
_ID_WORDS = frozenset({"id", "no", "nr", "n", "num", "number", "code", "ref", "#", "numero"})
_MAX_LISTED = 5


@dataclass(frozen=True, slots=True)
class _Ask:
    """What the question asks: the pattern, how many, which way, how to aggregate."""

    words: list[str]  # normalized words of the question
    n: int | None
    top: bool
    bottom: bool
    aggregate: str | None  # "total", "average", "count" or None
    change: str | None  # "grew", "fell" or None


def answer(question: str, source: Workbook | WorkbookProfile) -> Insight | None:
    """An answer computed from the tables, or None when the question is beyond the patterns."""
    workbook = source.workbook if isinstance(source, WorkbookProfile) else source
    if workbook is None or not question.strip():
        return None
    ask = _parse(question)
    best: tuple[float, Insight] | None = None
    for original in workbook.tables:
        table, _ = data_rows(original)
        if table.row_count == 0:
            continue
        found = _answer_table(ask, table)
        if found is not None and (best is None or found[0] > best[0]):
            best = found
    return best[1] if best else None


def _parse(question: str) -> _Ask:
    text = _fold(question)
    counts = [int(d) for d in re.findall(r"\b(\d{1,3})\b", text) if 0 < int(d) <= 100]
    n = counts[0] if counts else next(  # "top 5", not the year of "in 2023"
        (v for w, v in _NUMBER_WORDS.items() if re.search(rf"\b{w}\b", text)), None)
    change = "fell" if _FELL.search(text) else "grew" if _GREW.search(text) else None
    aggregate = ("average" if _AVERAGE.search(text) else "count" if _COUNT.search(text)
                 else "total" if _TOTAL.search(text) else None)
    return _Ask(text.split(), n, bool(_TOP.search(text)), bool(_BOTTOM.search(text)),
                aggregate, change)


def _fold(text: str) -> str:
    """Lowercase, accents removed, punctuation to spaces."""
    plain = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w%#]+", " ", plain).split())


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


# ---- columns named in the question --------------------------------------------------------


def _match(ask: _Ask, column: Column) -> float:
    """How well the question names the column: 1.0 for its words, less for close spellings."""
    folded = _fold(column.name).split()
    name = [_stem(w) for w in folded if w not in _STOP and w not in _ID_WORDS] or [
        _stem(w) for w in folded]
    words = [_stem(w) for w in ask.words]
    if not name:
        return 0.0
    if all(w in words for w in name):
        return 1.0 + 0.01 * len(name)
    scores = [max((SequenceMatcher(None, part, w).ratio() for w in words), default=0.0)
              for part in name]
    score = sum(scores) / len(scores)
    return score if score >= 0.8 else 0.0


def _sample(column: Column) -> list[CellValue]:
    """About 500 non-empty values spread over the column: enough to tell its type."""
    values = column.values[:: max(1, len(column.values) // 500)]
    return [v for v in values if v is not None and v != ""]


def _is_numeric(column: Column) -> bool:
    sample = _sample(column)
    numbers = sum(1 for v in sample if is_number(v))
    return numbers > 0 and numbers * 2 >= len(sample)


def _is_label(column: Column) -> bool:
    sample = _sample(column)
    texts = sum(1 for v in sample if isinstance(v, str))
    return texts > 0 and texts * 2 >= len(sample)


def _best(ask: _Ask, columns: Sequence[tuple[int, Column]]) -> tuple[float, int] | None:
    scored = [(_match(ask, c), i) for i, c in columns]
    scored = [s for s in scored if s[0] > 0]
    return max(scored, key=lambda s: (s[0], -s[1])) if scored else None


def _measure(numeric: list[tuple[int, Column]]) -> int | None:
    """The column to use when the question names none: a sales-like name, then currency."""
    named = next((i for i, c in numeric if is_measure(c.name)), None)
    return named if named is not None else next(
        (i for i, c in numeric if c.kind == "currency"), None)


# ---- answers ------------------------------------------------------------------------------


def _answer_table(ask: _Ask, table: DataTable) -> tuple[float, Insight] | None:
    """(how well the question fits the table, the answer), or None."""
    columns = list(enumerate(table.columns))
    numeric = [(i, c) for i, c in columns if _is_numeric(c)]
    labels = [(i, c) for i, c in columns if _is_label(c)]
    value = _best(ask, numeric)
    group = _best(ask, [(i, c) for i, c in labels if value is None or i != value[1]])
    score = (value[0] if value else 0.0) + (group[0] if group else 0.0)
    value_index = value[1] if value else _measure(numeric)
    group_index = group[1] if group else None
    if ask.change and group_index is not None:
        if value_index is None:
            return None
        found = _change(ask, table, value_index, group_index)
        return (score, found) if found else None
    if ask.aggregate == "count" and group_index is not None:
        return score, _by_group(ask, table, None, group_index, "count")
    if ask.aggregate and group_index is not None and value_index is not None:
        return score, _by_group(ask, table, value_index, group_index, ask.aggregate)
    if (ask.top or ask.bottom) and value_index is not None:
        if group_index is not None and _repeats(table, group_index):
            limit = ask.n or (1 if _singular(ask) else _MAX_LISTED)
            return score, _by_group(ask, table, value_index, group_index,
                                    ask.aggregate or "total", limit)
        if value is None:
            return None  # "top 5" of what? no number column is named
        label = group_index if group_index is not None else (labels[0][0] if labels else None)
        return score, _top_rows(ask, table, value_index, label)
    if ask.aggregate and value is not None:
        return score, _column_total(table, value[1], ask.aggregate)
    return None


def _repeats(table: DataTable, index: int) -> bool:
    """The category repeats across rows, so "top regions" ranks its groups, not rows."""
    values = table.columns[index].values
    return len(set(values)) < len(values)


def _singular(ask: _Ask) -> bool:
    return any(w in ask.words for w in ("which", "quel", "quelle", "what", "who", "qui"))


def _rows_ref(table: DataTable, index: int, offsets: list[int]) -> str:
    """The cells of the listed rows in one column: the cell, the block, or the column."""
    if len(offsets) == 1:
        return column_ref(table, index).split("!")[0] + "!" + table.cell_address(offsets[0],
                                                                                 index)
    if max(offsets) - min(offsets) + 1 == len(offsets):
        ref = column_ref(table, index).split("!")[0]
        return (f"{ref}!{table.cell_address(min(offsets), index)}:"
                f"{table.cell_address(max(offsets), index)}")
    return column_ref(table, index)


def _top_rows(ask: _Ask, table: DataTable, index: int, label: int | None) -> Insight:
    """The N largest (or smallest) values of a column, with their cells and row labels."""
    column = table.columns[index]
    values = column.values
    rows = [i for i, v in enumerate(values) if type(v) is float or type(v) is int]
    highest = not (ask.bottom and not ask.top)
    count = max(1, min(ask.n or 1, 50, len(rows)))
    pick = heapq.nlargest if highest else heapq.nsmallest
    chosen = pick(count, rows, key=values.__getitem__)  # type: ignore[arg-type]
    word = "highest" if highest else "lowest"

    def item(offset: int) -> str:
        text = fmt_number(values[offset], column.kind, column.currency)  # type: ignore[arg-type]
        name = f" ({fmt_value(table.columns[label].values[offset])})" if label is not None else ""
        return f"{text} in {table.cell_address(offset, index)}{name}"

    if count == 1:
        detail = f"The {word} {column.name} is {item(chosen[0])}."
        title = f"{word.capitalize()} {column.name}"
    else:
        detail = (f"The {count} {word} values of {column.name} are: "
                  + "; ".join(item(o) for o in chosen) + f" (out of {len(rows):,} rows).")
        title = f"{'Top' if highest else 'Bottom'} {count} by {column.name}"
    return Insight(title, detail, _rows_ref(table, index, chosen), "answer", "info")


def _by_group(ask: _Ask, table: DataTable, value: int | None, group: int, aggregate: str,
              limit: int | None = None) -> Insight:
    """Total, average or count of a column per category, largest first (or smallest)."""
    keys = table.columns[group].values
    values: list[CellValue] = table.columns[value].values if value is not None else [1] * len(
        keys)
    sums: dict[str, list[float]] = {}
    for key, v in zip(keys, values, strict=False):
        if isinstance(key, str) and key.strip() and is_number(v):
            sums.setdefault(key.strip(), []).append(v)  # type: ignore[arg-type]
    result = {k: (len(v) if aggregate == "count" else math.fsum(v) / len(v)
                  if aggregate == "average" else math.fsum(v)) for k, v in sums.items()}
    reverse = not (ask.bottom and not ask.top)
    ranked = sorted(result.items(), key=lambda kv: (-kv[1] if reverse else kv[1], kv[0]))
    group_name = table.columns[group].name
    column = table.columns[value] if value is not None else None

    def show(x: float) -> str:
        if column is None or aggregate == "count":
            return f"{x:,.0f}"
        return fmt_number(x, column.kind, column.currency)

    what = ("rows" if column is None else
            f"{'total' if aggregate == 'total' else aggregate} {column.name}")
    whole = math.fsum(result.values())
    shown = ranked[: limit or _MAX_LISTED]
    share = aggregate in ("total", "count") and whole > 0 and min(result.values()) >= 0

    def item(key: str, x: float) -> str:
        return f"{key} {show(x)}" + (f" ({fmt_pct(x / whole)} of all)" if share else "")

    word = "highest" if reverse else "lowest"
    if limit == 1:
        key, x = shown[0]
        detail = (f"{key} has the {word} {what}: {show(x)}"
                  + (f" ({fmt_pct(x / whole)} of all)." if share else "."))
        title = f"{group_name} with the {word} {what}"
    elif limit:
        detail = (f"The {len(shown)} {group_name} values with the {word} {what}: "
                  + "; ".join(item(k, x) for k, x in shown)
                  + f" (out of {len(ranked):,}).")
        title = f"{'Top' if reverse else 'Bottom'} {len(shown)} {group_name} by {what}"
    else:
        more = f"; {len(ranked) - len(shown):,} more follow" if len(ranked) > len(shown) else ""
        detail = (f"{what[0].upper()}{what[1:]} by {group_name}: "
                  + "; ".join(item(k, x) for k, x in shown) + more + ".")
        title = f"{what[0].upper()}{what[1:]} by {group_name}"
    ref_index = value if value is not None else group
    return Insight(title, detail, column_ref(table, ref_index), "answer", "info")


def _column_total(table: DataTable, index: int, aggregate: str) -> Insight:
    column = table.columns[index]
    numbers = [v for v in column.values if is_number(v)]
    total = math.fsum(numbers)  # type: ignore[arg-type]
    if aggregate == "count":
        detail = f"{column.name} holds {fmt_count(len(numbers), 'number')}."
    else:
        value = total / len(numbers) if aggregate == "average" and numbers else total
        detail = (f"The {aggregate} of {column.name} is "
                  f"{fmt_number(value, column.kind, column.currency)} over "
                  f"{fmt_count(len(numbers), 'row')}.")
    return Insight(f"{aggregate.capitalize()} of {column.name}", detail,
                   column_ref(table, index), "answer", "info")


def _change(ask: _Ask, table: DataTable, value: int, group: int) -> Insight | None:
    """Which category grew or fell most between the first and the last period."""
    axis = find_axis(table)
    if axis is None:
        return None
    grouped = periods(axis.keys)
    first, last = grouped.complete()  # a partial first or last period would mislead
    if last <= first:
        return None
    first_key, last_key = grouped.keys[first], grouped.keys[last]
    keys, values = table.columns[group].values, table.columns[value].values
    before = _sums(keys, values, grouped.rows(first))
    after = _sums(keys, values, grouped.rows(last))
    names = sorted(set(before) | set(after))
    if not names:
        return None
    deltas = sorted(((after.get(k, 0.0) - before.get(k, 0.0), k) for k in names),
                    reverse=ask.change == "grew")
    column = table.columns[value]

    def show(x: float) -> str:
        return fmt_number(x, column.kind, column.currency)

    delta, name = deltas[0]
    if (delta >= 0 and ask.change == "fell") or (delta <= 0 and ask.change == "grew"):
        verb = "fell" if ask.change == "fell" else "grew"
        detail = (f"No {table.columns[group].name} {verb}: between "
                  f"{period_label(axis.period, first_key)} and "
                  f"{period_label(axis.period, last_key)}, the smallest change in total "
                  f"{column.name} is {name}'s ({'+' if delta >= 0 else '-'}{show(abs(delta))}).")
    else:
        start, end = before.get(name, 0.0), after.get(name, 0.0)
        pct = f" ({fmt_pct(delta / abs(start), signed=True)})" if start else ""
        verb = "fell" if delta < 0 else "grew"
        others = "; ".join(f"{k} {'+' if d >= 0 else '-'}{show(abs(d))}" for d, k in deltas[1:4])
        detail = (f"{name} {verb} the most: its total {column.name} went from {show(start)} in "
                  f"{period_label(axis.period, first_key)} to {show(end)} in "
                  f"{period_label(axis.period, last_key)}{pct}."
                  + (f" Next: {others}." if others else ""))
    title = f"{table.columns[group].name} that {ask.change} most"
    return Insight(title, detail, column_ref(table, value), "answer", "info")


def _sums(keys: Sequence[CellValue], values: Sequence[CellValue],
          rows: Sequence[int]) -> dict[str, float]:
    sums: dict[str, float] = {}
    for i in rows:
        key, v = keys[i], values[i]
        if isinstance(key, str) and key.strip() and is_number(v):
            sums[key.strip()] = sums.get(key.strip(), 0.0) + v  # type: ignore[operator]
    return sums


