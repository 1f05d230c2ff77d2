"""Find the tables on a sheet's grid of values and type their columns.

Shared by the .xlsx reader and the task pane's values path. A sheet is a grid of cells
(``""`` means empty). Excel tables (ListObjects) are taken as defined; the rest of the grid
is cut into blocks of non-empty cells separated by fully empty rows or columns (recursively,
so two tables side by side or one above the other are found), and each block gets:

* a title when its first row is one lone text cell (``"Sales 2024"`` above the header), or
  when a one-row block of one text cell sits just above it;
* a header row when its first row is all distinct text, or mostly text above rows that are
  mostly not text;
* typed columns: the kind of their values, refined by the dominant number format
  (percent, currency); "mixed" when the values are of several kinds, with the counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import islice
from typing import Any

from addin.documents.a1 import column_letter
from addin.documents.excel_formats import classify_format
from addin.documents.workbook import CellError, CellValue, Column, ColumnKind, DataTable

EMPTY = ""
MAX_BLOCKS = 500  # detected blocks per sheet; the rest of a pathological sheet is ignored
MAX_DEPTH = 40  # nested cuts of one block (a crafted spiral could otherwise recurse deeply)
_HEADER_SAMPLE = 50  # data rows looked at to decide whether the first row is a header

# (first_row, last_row, first_col, last_col), 1-based → {col: [format code per sampled cell]}
FormatSampler = Callable[[int, int, int, int], dict[int, list[str]]]

_KIND_OF: dict[type, str] = {
    float: "number", int: "number", str: "text", bool: "boolean", datetime: "date",
    date: "date", time: "date", timedelta: "number", CellError: "error",
}


@dataclass(frozen=True, slots=True)
class Grid:
    """A sheet's values: ``rows[0][0]`` is the cell at (top, left), both 1-based.

    Every row has the same length; empty cells are ``""``.
    """

    top: int
    left: int
    rows: list[list[Any]]

    @property
    def width(self) -> int:
        return len(self.rows[0]) if self.rows else 0


@dataclass(frozen=True, slots=True)
class TableSpec:
    """A table whose place is known (an Excel table): 1-based, header row included."""

    name: str
    first_row: int
    first_col: int
    last_row: int
    last_col: int
    header_rows: int = 1
    totals_rows: int = 0
    columns: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Block:
    """Grid-relative, half-open: rows [r1, r2), columns [c1, c2)."""

    r1: int
    r2: int
    c1: int
    c2: int


def find_tables(sheet: str, grid: Grid, specs: Sequence[TableSpec] = (),
                formats: FormatSampler | None = None) -> list[DataTable]:
    """The DataTables of one sheet: its Excel tables first, then detected blocks."""
    if not grid.rows:
        return []
    rows, tables = grid.rows, []
    for spec in specs:
        table = _defined_table(sheet, grid, spec, formats)
        if table is not None:
            tables.append(table)
            rows = _blank(rows, grid, spec)
    columns = list(zip(*rows, strict=True))
    blocks = _merge_gaps(_split(rows, columns, _Block(0, len(rows), 0, grid.width), []))
    labels = [(block, text) for block in blocks if block.r2 - block.r1 == 1
              and (text := _lone_text(rows, block)) is not None]
    for table in tables:
        spec_block = _Block(table.top_row - grid.top, table.last_row - grid.top + 1,
                            table.first_col - grid.left, table.last_col - grid.left + 1)
        table.title = _title_above(spec_block, labels)
    for block in blocks:
        table = _detected_table(sheet, grid, rows, columns, block, formats)
        if table is not None:
            table.title = table.title or _title_above(block, labels)
            tables.append(table)
    tables.sort(key=lambda t: (t.top_row, t.first_col))
    return tables


def _title_above(block: _Block, labels: list[tuple[_Block, str]]) -> str | None:
    """The lone text cell ending at most two rows above ``block``, over its columns."""
    for label, text in labels:
        if 0 < block.r1 - label.r1 <= 2 and block.c1 <= label.c1 < block.c2:
            return text
    return None


def _blank(rows: list[list[Any]], grid: Grid, spec: TableSpec) -> list[list[Any]]:
    """A copy of ``rows`` with the Excel table's cells emptied (copied rows only)."""
    r1, r2 = max(spec.first_row - grid.top, 0), min(spec.last_row - grid.top + 1, len(rows))
    c1, c2 = max(spec.first_col - grid.left, 0), min(spec.last_col - grid.left + 1, grid.width)
    if r1 >= r2 or c1 >= c2:
        return rows
    copy = rows[:]
    for r in range(r1, r2):
        row = copy[r][:]
        row[c1:c2] = [EMPTY] * (c2 - c1)
        copy[r] = row
    return copy


# --------------------------------------------------------------------------- blocks


def _split(rows: list[list[Any]], columns: list[tuple[Any, ...]], block: _Block,
           found: list[_Block], depth: int = 0) -> list[_Block]:
    """Cut ``block`` at fully empty rows, then fully empty columns, recursively.

    Past ``MAX_DEPTH`` nested cuts (only a crafted sheet gets there) a block stays whole.
    """
    c1, c2 = block.c1, block.c2
    filled = [r for r in range(block.r1, block.r2)
              if rows[r][c1] != EMPTY or _any_filled(rows[r], c1 + 1, c2)]
    row_runs = _runs(filled)
    if len(row_runs) != 1 and depth < MAX_DEPTH:
        for r1, r2 in row_runs:
            if len(found) < MAX_BLOCKS:
                _split(rows, columns, _Block(r1, r2, c1, c2), found, depth + 1)
        return found
    if not row_runs:
        return found
    r1, r2 = row_runs[0][0], row_runs[-1][1]
    used = [c for c in range(c1, c2) if _any_filled(columns[c], r1, r2)]
    col_runs = _runs(used)
    if not col_runs:
        return found
    if len(col_runs) == 1 or depth >= MAX_DEPTH:
        found.append(_Block(r1, r2, col_runs[0][0], col_runs[-1][1]))
        return found
    for start, stop in col_runs:
        if len(found) < MAX_BLOCKS:
            _split(rows, columns, _Block(r1, r2, start, stop), found, depth + 1)
    return found


def _merge_gaps(blocks: list[_Block]) -> list[_Block]:
    """Join side-by-side blocks split by one empty column that end on the same row and
    start within a row of each other (a spacer column inside one table, e.g. B:D and F)."""
    merged: list[_Block] = []
    for block in sorted(blocks, key=lambda b: (b.r2, b.c1)):
        last = merged[-1] if merged else None
        if (last is not None and last.r2 == block.r2 and block.c1 == last.c2 + 1
                and abs(last.r1 - block.r1) <= 1 and min(last.r2 - last.r1,
                                                          block.r2 - block.r1) >= 2):
            merged[-1] = _Block(min(last.r1, block.r1), block.r2, last.c1, block.c2)
        else:
            merged.append(block)
    return sorted(merged, key=lambda b: (b.r1, b.c1))


def _any_filled(cells: Sequence[Any], start: int, stop: int) -> bool:
    """Whether cells[start:stop] holds a non-empty cell (stops at the first one)."""
    return any(v != EMPTY for v in islice(cells, start, stop))


def _runs(indexes: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs of sorted indexes as half-open (start, stop) pairs."""
    if not indexes:
        return []
    if indexes[-1] - indexes[0] + 1 == len(indexes):
        return [(indexes[0], indexes[-1] + 1)]
    runs: list[tuple[int, int]] = []
    for i in indexes:
        if runs and runs[-1][1] == i:
            runs[-1] = (runs[-1][0], i + 1)
        else:
            runs.append((i, i + 1))
    return runs


def _lone_text(rows: list[list[Any]], block: _Block, r: int | None = None) -> str | None:
    """The text of row ``r`` (default: the block's first) when it is its only cell."""
    cells = [v for v in rows[block.r1 if r is None else r][block.c1:block.c2] if v != EMPTY]
    if len(cells) == 1 and isinstance(cells[0], str) and cells[0].strip():
        return cells[0].strip()
    return None


# --------------------------------------------------------------------------- tables


def _detected_table(sheet: str, grid: Grid, rows: list[list[Any]],
                    columns: list[tuple[Any, ...]], block: _Block,
                    formats: FormatSampler | None) -> DataTable | None:
    r1, title = block.r1, None
    width = block.c2 - block.c1
    if width > 1 and block.r2 - r1 >= 3:
        title = _lone_text(rows, block)
        if title is not None and _count_filled(rows[r1 + 1][block.c1:block.c2]) >= 2:
            r1 += 1
        else:
            title = None
    if block.r2 - r1 < 2:
        return None
    header = _is_header(rows, r1, block)
    first_data = r1 + 1 if header else r1
    table = DataTable(
        sheet=sheet, name=None,
        header_row=grid.top + r1 if header else 0,
        first_row=grid.top + first_data, last_row=grid.top + block.r2 - 1,
        first_col=grid.left + block.c1, last_col=grid.left + block.c2 - 1, title=title,
    )
    names = [rows[r1][c] if header else EMPTY for c in range(block.c1, block.c2)]
    table.columns = _columns(table, columns, block.c1, first_data, block.r2, names, formats)
    return table


def _defined_table(sheet: str, grid: Grid, spec: TableSpec,
                   formats: FormatSampler | None) -> DataTable | None:
    """The DataTable of an Excel table, clipped to the grid (which holds its values)."""
    first_data = spec.first_row + spec.header_rows
    last_data = spec.last_row - spec.totals_rows
    if spec.last_col < spec.first_col:
        return None
    table = DataTable(
        sheet=sheet, name=spec.name or None,
        header_row=spec.first_row if spec.header_rows else 0,
        first_row=first_data, last_row=max(last_data, first_data - 1),
        first_col=spec.first_col, last_col=spec.last_col,
    )
    columns = _padded_columns(grid, spec.first_col, spec.last_col)
    r1, r2 = first_data - grid.top, last_data - grid.top + 1
    names: list[Any] = list(spec.columns)
    if len(names) != spec.last_col - spec.first_col + 1:
        names = [_cell(grid, spec.first_row, c) if spec.header_rows else EMPTY
                 for c in range(spec.first_col, spec.last_col + 1)]
    table.columns = _columns(table, columns, 0, r1, r2, names, formats)
    return table


def _padded_columns(grid: Grid, first_col: int, last_col: int) -> list[tuple[Any, ...]]:
    """Columns first_col..last_col of the grid, as tuples over the grid's rows."""
    out = []
    for col in range(first_col, last_col + 1):
        c = col - grid.left
        if 0 <= c < grid.width:
            out.append(tuple(row[c] for row in grid.rows))
        else:
            out.append((EMPTY,) * len(grid.rows))
    return out


def _cell(grid: Grid, row: int, col: int) -> Any:
    r, c = row - grid.top, col - grid.left
    if 0 <= r < len(grid.rows) and 0 <= c < grid.width:
        return grid.rows[r][c]
    return EMPTY


def _count_filled(cells: Sequence[Any]) -> int:
    return len(cells) - list(cells).count(EMPTY)


def _is_header(rows: list[list[Any]], r: int, block: _Block) -> bool:
    """Whether row ``r`` heads the block.

    Its cells must be mostly distinct texts (a stray number, e.g. a helper column, is
    allowed) covering half the width; then a full row of texts is a header, and so is one
    over data that is mostly not text or whose labels don't recur in their columns.
    """
    first = [v for v in rows[r][block.c1:block.c2] if v != EMPTY]
    texts = [v.strip().casefold() for v in first if isinstance(v, str) and v.strip()]
    width = block.c2 - block.c1
    if 2 * len(texts) <= len(first) or len(set(texts)) != len(texts) or 2 * len(first) < width:
        return False
    if len(texts) == width:
        return True
    sample = rows[r + 1:min(r + 1 + _HEADER_SAMPLE, block.r2)]
    cells = [v for row in sample for v in row[block.c1:block.c2] if v != EMPTY]
    if 2 * sum(1 for v in cells if isinstance(v, str)) < len(cells):
        return True
    # Text over text: a header's labels don't recur in their own columns.
    return not any(row[c] == rows[r][c] for row in sample
                   for c in range(block.c1, block.c2) if rows[r][c] != EMPTY)


# --------------------------------------------------------------------------- columns


def _columns(table: DataTable, columns: list[tuple[Any, ...]], offset: int, r1: int, r2: int,
             names: Sequence[Any], formats: FormatSampler | None) -> list[Column]:
    """Typed Columns of ``table`` from grid columns offset.., grid rows [r1, r2)."""
    width = table.last_col - table.first_col + 1
    sampled = formats(table.first_row, table.last_row, table.first_col, table.last_col) \
        if formats is not None and table.row_count else {}
    result = []
    for i in range(width):
        col = table.first_col + i
        raw = columns[offset + i][max(r1, 0):max(r2, 0)] if offset + i < len(columns) else ()
        name = names[i] if i < len(names) else EMPTY
        label = _label(name) or f"Column {column_letter(col)}"
        result.append(make_column(i, col, label, raw, sampled.get(col, [])))
    return result


def _label(value: Any) -> str:
    """A header cell as a column name ("" when empty); 2019.0 → "2019"."""
    if value is None or value == EMPTY:
        return ""
    if type(value) is float and value.is_integer():
        return str(int(value))
    return str(value).strip()


def make_column(index: int, col: int, name: str, raw: Sequence[Any],
                format_codes: Sequence[str]) -> Column:
    """A typed Column from its raw cells ("" for empty) and sampled number formats."""
    counts = Counter(map(type, raw))
    mix: Counter[str] = Counter()
    for kind_type, n in counts.items():
        mix[_KIND_OF.get(kind_type, "text")] += n
    empties = raw.count(EMPTY) if str in counts else 0
    mix["text"] -= empties
    mix = +mix  # drops kinds left at zero
    values = _values(raw, counts, empties)
    number_format = Counter(format_codes).most_common(1)[0][0] if format_codes else "General"
    kind, currency = _kind(mix, number_format)
    return Column(index=index, letter=column_letter(col), name=name, kind=kind, values=values,
                  number_format=number_format, currency=currency, mix=dict(mix))


def _values(raw: Sequence[Any], counts: Counter[type], empties: int) -> list[CellValue]:
    """Cells as CellValues: "" → None, durations → days (float), and the floats of a
    column whose numbers are all whole → int (calamine returns every number as float)."""
    if timedelta in counts:
        raw = [v / timedelta(days=1) if type(v) is timedelta else v for v in raw]
        counts = Counter(map(type, raw))
    values: list[Any] = [None if v == EMPTY else v for v in raw] if empties else list(raw)
    if float not in counts:
        return values
    if counts.keys() <= {float, str} and counts[str] == empties:
        if all(map(float.is_integer, filter(None, values))):
            return [None if v is None else int(v) for v in values] if empties \
                else list(map(int, values))
        return values
    floats = [v for v in values if type(v) is float]
    if all(map(float.is_integer, floats)):
        return [int(v) if type(v) is float else v for v in values]
    return values


def _kind(mix: Counter[str], number_format: str) -> tuple[ColumnKind, str | None]:
    kinds = [k for k in mix if k != "error"]
    if not kinds:
        return "empty", None
    if len(kinds) > 1:
        return "mixed", None
    kind = kinds[0]
    if kind == "number":
        fmt_kind, symbol = classify_format(number_format)
        if fmt_kind == "percent":
            return "percent", None
        if fmt_kind == "currency":
            return "currency", symbol
    return _COLUMN_KINDS[kind], None


_COLUMN_KINDS: dict[str, ColumnKind] = {
    "number": "number", "text": "text", "boolean": "boolean", "date": "date",
}
