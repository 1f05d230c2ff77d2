"""Read a worksheet's values from its XML, for the files python-calamine refuses.

calamine stops on things Excel tolerates: a workbook holding an Excel 4 macro sheet, a row
numbered 0, a damaged package-level relationship. Those files are small in practice, so
this reader parses the sheet part with the hardened parser (a whole tree, under the
package's part-size limit) and yields the same :class:`Grid` calamine's values make. Cells
whose address is invalid are skipped, not guessed.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from typing import Any

from lxml import etree

from addin.documents.a1 import MAX_COLS, MAX_ROWS, column_index
from addin.documents.excel_formats import classify_format
from addin.documents.excel_package import S
from addin.documents.excel_tables import EMPTY, Grid
from addin.documents.package import Package
from addin.documents.workbook import CellError

_ROW, _CELL, _V, _IS, _T, _RPH = (f"{S}row", f"{S}c", f"{S}v", f"{S}is", f"{S}t", f"{S}rPh")
_EPOCH_1900 = datetime(1899, 12, 30)
_EPOCH_1904 = datetime(1904, 1, 1)


def shared_strings(package: Package) -> list[str]:
    """The workbook's shared strings, in index order (phonetic runs left out)."""
    main = package.main_part or ""
    root = package.optional_xml(package.related(main, "/sharedStrings"))
    if root is None:
        return []
    return [_text(si) for si in root]


def _text(element: etree._Element) -> str:
    """Concatenated ``<t>`` texts of a string item, skipping phonetic (``rPh``) runs."""
    parts = []
    for t in element.iter(_T):
        parent = t.getparent()
        if parent is not None and parent.tag == _RPH:
            continue
        parts.append(t.text or "")
    return "".join(parts)


def read_sheet_xml(package: Package, part: str, strings: list[str], formats: list[str],
                   date1904: bool) -> Grid:
    """The values of one worksheet part as a Grid (empty Grid for an empty sheet)."""
    root = package.xml(part)
    cells: dict[tuple[int, int], Any] = {}
    row_number = 0
    for row in root.iterfind(f"{S}sheetData/{_ROW}"):
        row_number = _number(row.get("r"), row_number + 1, MAX_ROWS)
        col = 0
        for cell in row.iterfind(_CELL):
            address = cell.get("r")
            position = _address(address) if address else (row_number, col + 1)
            if position is None:
                continue
            col = position[1]
            value = _value(cell, strings, formats, date1904)
            if value is not None and value != EMPTY and position[0] > 0:
                cells[position] = value
    return _grid(cells)


def _number(text: str | None, default: int, limit: int) -> int:
    """A 1-based row number; 0 (skipped) when it is present but invalid."""
    if text is None:
        return default
    number = _whole(text, 0)
    return number if 1 <= number <= limit else 0


def _whole(text: str | None, default: int) -> int:
    """A non-negative integer written in ASCII digits, else ``default``."""
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 12 else default


def _address(text: str) -> tuple[int, int] | None:
    letters = text.rstrip("0123456789")
    row = _whole(text[len(letters):], 0)
    if not letters.isascii() or not letters.isalpha() or not 1 <= row <= MAX_ROWS:
        return None
    try:
        col = column_index(letters)
    except ValueError:
        return None
    return (row, col) if col <= MAX_COLS else None


def _value(cell: etree._Element, strings: list[str], formats: list[str],
           date1904: bool) -> Any:
    kind = cell.get("t") or "n"
    if kind == "inlineStr":
        inline = cell.find(_IS)
        return _text(inline) if inline is not None else None
    v = cell.find(_V)
    text = v.text if v is not None else None
    if text is None:
        return None
    if kind == "s":
        index = _whole(text, -1)
        return strings[index] if 0 <= index < len(strings) else None
    if kind == "str":
        return text
    if kind == "b":
        return text.strip() in ("1", "true")
    if kind == "e":
        return CellError(text.strip())
    if kind == "d":
        return _iso(text.strip())
    return _number_value(text, cell.get("s"), formats, date1904)


def _number_value(text: str, style: str | None, formats: list[str], date1904: bool) -> Any:
    try:
        number = float(text)
    except ValueError:
        return text
    index = _whole(style, 0)
    fmt_kind = classify_format(formats[index])[0] if index < len(formats) else "general"
    if fmt_kind in ("date", "time"):
        return from_serial(number, date1904, time_only=fmt_kind == "time")
    return number


def from_serial(serial: float, date1904: bool,
                time_only: bool = False) -> datetime | date | time | float:
    """An Excel serial date as date/datetime (time when ``time_only`` and under a day).

    The 1900 system counts the fictitious 1900-02-29, so serials below 60 start one day
    later. Out-of-range serials (negative, past year 9999) stay numbers.
    """
    if not math.isfinite(serial):
        return serial
    if time_only and 0 <= serial < 1:
        seconds = round(serial * 86400)
        return time(min(seconds // 3600, 23), seconds // 60 % 60, seconds % 60)
    epoch = _EPOCH_1904 if date1904 else _EPOCH_1900
    if not date1904 and serial < 60:
        epoch += timedelta(days=1)
    try:
        moment = epoch + timedelta(milliseconds=round(serial * 86_400_000))
    except OverflowError:
        return serial
    if serial < 0 or moment.year > 9999:
        return serial
    return moment.date() if moment.time() == time(0) else moment


def _iso(text: str) -> Any:
    """A ``t="d"`` cell: an ISO 8601 date, date-time or time."""
    for parse in (date.fromisoformat, datetime.fromisoformat, time.fromisoformat):
        try:
            return parse(text.rstrip("Z"))
        except ValueError:
            continue
    return text


def _grid(cells: dict[tuple[int, int], Any]) -> Grid:
    if not cells:
        return Grid(1, 1, [])
    top = min(r for r, _ in cells)
    left = min(c for _, c in cells)
    height = max(r for r, _ in cells) - top + 1
    width = max(c for _, c in cells) - left + 1
    rows = [[EMPTY] * width for _ in range(height)]
    for (r, c), value in cells.items():
        rows[r - top][c - left] = value
    return Grid(top, left, rows)
