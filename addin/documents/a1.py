"""A1 references: column letters, cell and range addresses, sheet-qualified references.

Pure helpers shared by the workbook model, the readers and the features that cite cells.
Rows and columns are 1-based here, as Excel shows them. Sheet names that are not plain
identifiers are quoted the way Excel writes them: ``'My Sheet'!B2``, ``'Bob''s'!A1``.
"""

from __future__ import annotations

import re

MAX_ROWS = 1_048_576
MAX_COLS = 16_384

_CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")
_COL = re.compile(r"^\$?([A-Za-z]{1,3})$")
_ROW = re.compile(r"^\$?([0-9]{1,7})$")
_PLAIN_SHEET = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


def column_letter(index: int) -> str:
    """Letters of a 1-based column number: 1 → "A", 27 → "AA". ValueError when < 1."""
    if index < 1:
        raise ValueError(f"column index must be 1 or more, not {index}")
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str) -> int:
    """1-based column number of letters: "A" → 1, "aa" → 27. ValueError when not letters."""
    if not letters or not letters.isascii() or not letters.isalpha():
        raise ValueError(f"not a column: {letters!r}")
    index = 0
    for char in letters.upper():
        index = index * 26 + ord(char) - 64
    return index


def cell_address(row: int, col: int) -> str:
    """ "C7" from row 7, column 3 (both 1-based)."""
    return f"{column_letter(col)}{row}"


def parse_cell(address: str) -> tuple[int, int]:
    """(row, col), 1-based, of "C7" or "$C$7". ValueError when not a cell address."""
    match = _CELL.match(address.strip())
    if not match:
        raise ValueError(f"not a cell address: {address!r}")
    row, col = int(match.group(2)), column_index(match.group(1))
    if not (1 <= row <= MAX_ROWS and col <= MAX_COLS):
        raise ValueError(f"cell outside the sheet: {address!r}")
    return row, col


def parse_range(ref: str) -> tuple[int, int, int, int]:
    """(first_row, first_col, last_row, last_col) of "B2:C9", "B2", "C:C" or "3:5".

    Corners are normalised (``C9:B2`` is ``B2:C9``); whole columns and rows span the sheet.
    ValueError when the text is not a range.
    """
    parts = ref.strip().split(":")
    if len(parts) == 1:
        row, col = parse_cell(parts[0])
        return row, col, row, col
    if len(parts) != 2:
        raise ValueError(f"not a range: {ref!r}")
    first, last = _corner(parts[0], low=True), _corner(parts[1], low=False)
    if first is None or last is None:
        raise ValueError(f"not a range: {ref!r}")
    (r1, c1), (r2, c2) = first, last
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def _corner(text: str, *, low: bool) -> tuple[int, int] | None:
    """One end of a range: a cell, a whole column ("C") or a whole row ("5")."""
    text = text.strip()
    if _CELL.match(text):
        return parse_cell(text)
    col = _COL.match(text)
    if col:
        return (1 if low else MAX_ROWS), column_index(col.group(1))
    row = _ROW.match(text)
    if row and 1 <= int(row.group(1)) <= MAX_ROWS:
        return int(row.group(1)), (1 if low else MAX_COLS)
    return None


def format_range(first_row: int, first_col: int, last_row: int, last_col: int) -> str:
    """ "A1:F120", or "C7" for a single cell."""
    start = cell_address(first_row, first_col)
    if (first_row, first_col) == (last_row, last_col):
        return start
    return f"{start}:{cell_address(last_row, last_col)}"


def quote_sheet(name: str) -> str:
    """The sheet name as it appears before "!": quoted unless a plain identifier.

    Names that look like a cell ("A1", "R1C1") or hold spaces, quotes or punctuation are
    quoted, with embedded quotes doubled.
    """
    if _PLAIN_SHEET.match(name) and not _CELL.match(name) and not _looks_r1c1(name):
        return name
    return "'" + name.replace("'", "''") + "'"


def _looks_r1c1(name: str) -> bool:
    return re.match(r"^[Rr][0-9]*([Cc][0-9]*)?$", name) is not None or name.upper() in {
        "TRUE", "FALSE"}


def format_ref(sheet: str | None, ref: str) -> str:
    """ "'My Sheet'!B2:C9" from a sheet name and a range ("B2:C9" alone when no sheet)."""
    return f"{quote_sheet(sheet)}!{ref}" if sheet else ref


def split_ref(ref: str) -> tuple[str | None, str]:
    """(sheet or None, range) of "Sheet1!A1:C9", "'My Sheet'!B2", "'Bob''s'!A1" or "B2:C9".

    Only the sheet part is unquoted; the range part is returned stripped, unchecked.
    ValueError on an unterminated quote or an empty sheet name.
    """
    ref = ref.strip()
    if ref.startswith("'"):
        end = _closing_quote(ref)
        if end < 0 or end + 1 >= len(ref) or ref[end + 1] != "!":
            raise ValueError(f"not a sheet reference: {ref!r}")
        sheet = ref[1:end].replace("''", "'")
        rest = ref[end + 2:]
    elif "!" in ref:
        sheet, rest = ref.rsplit("!", 1)
    else:
        return None, ref
    if not sheet:
        raise ValueError(f"empty sheet name in {ref!r}")
    return sheet, rest.strip()


def _closing_quote(ref: str) -> int:
    """Index of the quote closing a quoted sheet name that starts at 0 ('' is an escape)."""
    i = 1
    while i < len(ref):
        if ref[i] == "'":
            if i + 1 < len(ref) and ref[i + 1] == "'":
                i += 2
                continue
            return i
        i += 1
    return -1
