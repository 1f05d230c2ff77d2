"""Build a :class:`Workbook` from the values the task pane sends (``range.values``).

The JSON shape is ``{"sheets": [{"name", "address", "values"}]}``: ``address`` is the
range the values came from (``"Sheet1!B3:F40"`` or ``"B3:F40"``), so the top-left value
is that range's first cell and every address in an answer is one of the user's real
cells. Values arrive as Office.js gives them: numbers (dates as serial numbers, kept as
numbers), strings (ISO dates become dates, ``"#DIV/0!"`` and the other error texts become
CellErrors), booleans, and ``""`` or null for empty cells. Anything else is a 400.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

from addin.documents.a1 import (
    MAX_COLS,
    MAX_ROWS,
    cell_address,
    format_range,
    parse_range,
    split_ref,
)
from addin.documents.excel_tables import EMPTY, Grid, find_tables
from addin.documents.workbook import ERROR_CODES, MAX_NUMBER, CellError, Sheet, Workbook
from addin.errors import BadRequest, PayloadTooLarge

MAX_CELLS = 5_000_000  # cells per request, over all ranges
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?$")
_ERRORS = frozenset(ERROR_CODES)


def workbook_from_values(sheets: Any) -> Workbook:
    """A Workbook (source "values") from the task pane's ranges; BadRequest on bad shapes.

    Several ranges of one sheet become one Sheet whose used range spans them all.
    """
    if not isinstance(sheets, list) or not sheets:
        raise BadRequest("'sheets' must be a non-empty list of {name, address, values}.")
    if _cell_count(sheets) > MAX_CELLS:
        raise PayloadTooLarge(
            f"The ranges sent hold more than {MAX_CELLS:,} cells, which is over the limit. "
            "Select a smaller range and try again.",
            code="too_many_cells",
        )
    by_name: dict[str, Sheet] = {}
    for index, entry in enumerate(sheets):
        name, top, left, rows = _entry(entry, index)
        _add_range(by_name.setdefault(name, Sheet(name=name)), top, left, rows)
    return Workbook(sheets=list(by_name.values()), source="values")


def _cell_count(sheets: list[Any]) -> int:
    """Cells in all well-shaped ranges, counted before any is converted."""
    total = 0
    for entry in sheets:
        values = entry.get("values") if isinstance(entry, dict) else None
        if isinstance(values, list):
            total += sum(len(row) for row in values if isinstance(row, list))
    return total


def _entry(entry: Any, index: int) -> tuple[str, int, int, list[list[Any]]]:
    """(sheet name, top row, left column, converted rows) of one range, validated."""
    where = f"sheets[{index}]"
    if not isinstance(entry, dict):
        raise BadRequest(f"{where} must be an object with 'name', 'address' and 'values'.")
    name, address = entry.get("name"), entry.get("address", "A1")
    if name is not None and not isinstance(name, str):
        raise BadRequest(f"{where}.name must be a string.")
    if not isinstance(address, str):
        raise BadRequest(f"{where}.address must be a string like 'Sheet1!B3:F40'.")
    try:
        ref_sheet, cells = split_ref(address)
        r1, c1, r2, c2 = parse_range(cells or "A1")
    except ValueError as exc:
        raise BadRequest(f"{where}.address {address!r} is not a range like 'B3:F40'.") from exc
    if name and ref_sheet and name != ref_sheet:
        raise BadRequest(f"{where}: name {name!r} and the sheet in address {address!r} differ.")
    rows = _rows(entry.get("values"), where)
    height, width = len(rows), len(rows[0]) if rows else 0
    is_range = ":" in (cells or "")
    if is_range and rows and (r2 - r1 + 1, c2 - c1 + 1) != (height, width):
        raise BadRequest(
            f"{where}.values is {height} x {width} but {address!r} is "
            f"{r2 - r1 + 1} x {c2 - c1 + 1}.")
    if r1 + height - 1 > MAX_ROWS or c1 + width - 1 > MAX_COLS:
        raise BadRequest(f"{where}.values run past the sheet's last cell (XFD1048576) from "
                         f"{address!r}.")
    return name or ref_sheet or f"Sheet{index + 1}", r1, c1, rows


def _rows(values: Any, where: str) -> list[list[Any]]:
    if not isinstance(values, list):
        raise BadRequest(f"{where}.values must be a list of rows (lists of cell values).")
    rows: list[list[Any]] = []
    width = None
    for i, row in enumerate(values):
        if not isinstance(row, list):
            raise BadRequest(f"{where}.values[{i}] must be a list of cell values.")
        if width is None:
            width = len(row)
        elif len(row) != width:
            raise BadRequest(
                f"{where}.values rows differ in length (row 0 has {width} cells, row {i} has "
                f"{len(row)}); send a rectangular range.")
        rows.append([_cell(v, f"{where}.values[{i}][{j}]") for j, v in enumerate(row)])
    return rows


def _cell(value: Any, where: str) -> Any:
    """One JSON cell as a grid cell ("" for empty)."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise BadRequest(f"{where} is not a finite number.")
        if abs(value) > MAX_NUMBER:  # an int too: 10**400 can't even become a float
            raise BadRequest(f"{where} is beyond Excel's number range (±{MAX_NUMBER:g}).")
        if isinstance(value, int):
            return value
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, str):
        return _text(value)
    raise BadRequest(f"{where} must be a number, text, true/false or null, not "
                     f"{type(value).__name__}.")


def _text(value: str) -> Any:
    stripped = value.strip()
    if stripped in _ERRORS:
        return CellError(stripped)
    if _ISO_DATE.match(stripped):
        try:
            moment = datetime.fromisoformat(stripped)
        except ValueError:
            return value
        return moment.date() if len(stripped) == 10 else moment
    return value


def _add_range(sheet: Sheet, top: int, left: int, rows: list[list[Any]]) -> None:
    """Add one range's tables, errors and extent to its sheet."""
    if not rows or not rows[0]:
        return
    grid = Grid(top, left, rows)
    sheet.tables.extend(find_tables(sheet.name, grid))
    sheet.errors.extend(
        (cell_address(top + r, left + c), value)
        for r, row in enumerate(rows) for c, value in enumerate(row)
        if isinstance(value, CellError))
    bottom, right = top + len(rows) - 1, left + len(rows[0]) - 1
    if sheet.used_range:
        u1, v1, u2, v2 = parse_range(sheet.used_range)
        top, left, bottom, right = min(u1, top), min(v1, left), max(u2, bottom), max(v2, right)
    sheet.used_range = format_range(top, left, bottom, right)


__all__ = ["workbook_from_values"]
