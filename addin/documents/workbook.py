"""The workbook model: what the Excel readers produce and the Analyze features consume.

Pure data, like :mod:`addin.documents.model` for Word. Every address is a real A1 address
of the user's workbook (rows and columns 1-based), so an insight can cite ``C2:C120`` and
the task pane can select exactly those cells.

* A :class:`DataTable` is a rectangular block of data: an Excel table (ListObject, with
  its name) or a block detected on the sheet. Its header row (if any) is not a data row.
* A :class:`Column` holds one value per data row, in row order, typed from the values and
  the cells' number formats ("percent", "currency", "date"...).
* Error cells (``#DIV/0!``...) are :class:`CellError` values, listed per sheet with their
  addresses, whether or not they fall inside a table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Literal

from addin.documents.a1 import cell_address, column_letter, format_range, parse_range, split_ref

ERROR_CODES = (
    "#DIV/0!", "#REF!", "#N/A", "#VALUE!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!",
    "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!",
)
# The largest magnitude Excel stores; a cell beyond it (or inf, NaN) is read as #NUM!, as
# Excel shows it, so no infinity or NaN reaches the statistics.
MAX_NUMBER = 9.99999999999999e307

ColumnKind = Literal["number", "percent", "currency", "date", "text", "boolean", "mixed",
                     "empty"]
SheetState = Literal["visible", "hidden", "veryHidden"]
SheetKind = Literal["worksheet", "chartsheet"]
WorkbookSource = Literal["xlsx", "xlsm", "xlsx-strict", "values"]


@dataclass(frozen=True, slots=True)
class CellError:
    """An Excel error value such as ``#DIV/0!`` (the code exactly as Excel shows it)."""

    code: str

    def __str__(self) -> str:
        return self.code


# datetime before date: a datetime is also a date. time is a time of day without a date.
CellValue = float | int | str | bool | datetime | date | time | CellError | None


@dataclass(slots=True)
class Column:
    """One column of a DataTable: its header, its type and one value per data row."""

    index: int  # 0-based within the table
    letter: str  # the sheet column, e.g. "C"
    name: str  # header text, or "Column C" when the table has no header
    kind: ColumnKind
    values: list[CellValue] = field(default_factory=list)  # one per data row, in row order
    number_format: str = "General"  # the dominant number format of the data cells
    currency: str | None = None  # "$", "€", "EUR"... for currency columns
    mix: dict[str, int] = field(default_factory=dict)  # value kind → count (non-empty cells)


@dataclass(slots=True)
class DataTable:
    """A rectangular block of data on one sheet, with its header row if it has one."""

    sheet: str
    name: str | None  # the Excel table (ListObject) name, else None
    header_row: int  # 1-based; 0 when the table has no header row
    first_row: int  # first data row, 1-based
    last_row: int  # last data row (== first_row - 1 when there are no data rows)
    first_col: int  # 1-based
    last_col: int
    columns: list[Column] = field(default_factory=list)
    title: str | None = None  # a lone text cell just above the table, e.g. "Sales 2024"

    @property
    def top_row(self) -> int:
        return self.header_row or self.first_row

    @property
    def address(self) -> str:
        """The whole table, header included: "A1:F120"."""
        bottom = max(self.last_row, self.top_row)
        return format_range(self.top_row, self.first_col, bottom, self.last_col)

    @property
    def data_address(self) -> str:
        """The data rows only: "A2:F120" ("" when there are none)."""
        if self.row_count == 0:
            return ""
        return format_range(self.first_row, self.first_col, self.last_row, self.last_col)

    @property
    def row_count(self) -> int:
        return max(self.last_row - self.first_row + 1, 0)

    def column_address(self, index: int) -> str:
        """The data cells of column ``index`` (0-based in the table): "C2:C120"."""
        col = self._sheet_col(index)
        if self.row_count == 0:
            return ""
        return format_range(self.first_row, col, self.last_row, col)

    def cell_address(self, row_offset: int, col_index: int) -> str:
        """The cell of data row ``row_offset`` (0-based) in column ``col_index``: "C7"."""
        if not 0 <= row_offset < self.row_count:
            raise IndexError(f"row offset {row_offset} outside a table of {self.row_count} rows")
        return cell_address(self.first_row + row_offset, self._sheet_col(col_index))

    def _sheet_col(self, index: int) -> int:
        if not 0 <= index <= self.last_col - self.first_col:
            raise IndexError(f"column {index} outside the table {self.address}")
        return self.first_col + index

    def column(self, name: str) -> Column | None:
        """The first column whose header is ``name`` (case-insensitive)."""
        wanted = name.strip().lower()
        return next((c for c in self.columns if c.name.strip().lower() == wanted), None)


@dataclass(slots=True)
class FormulaCell:
    """A formula cell: its address, the formula text when known and its cached value."""

    address: str  # "C7"
    formula: str  # "=B7/A7", or "" when only the value is known
    value: CellValue


@dataclass(slots=True)
class Sheet:
    """One sheet of the workbook, in workbook order."""

    name: str
    state: SheetState = "visible"
    kind: SheetKind = "worksheet"
    used_range: str = ""  # "A1:T100001", or "" for an empty sheet
    tables: list[DataTable] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)  # A1 ranges, e.g. "A1:D1"
    errors: list[tuple[str, CellError]] = field(default_factory=list)  # every error cell
    formulas: list[FormulaCell] = field(default_factory=list)  # capped; see formula_count
    formula_count: int = 0  # all formula cells on the sheet, even past the cap

    @property
    def is_empty(self) -> bool:
        return not self.used_range


@dataclass(slots=True)
class Workbook:
    """A whole workbook: its sheets in order and what Analyze needs around them."""

    sheets: list[Sheet]
    date1904: bool = False
    external_links: list[str] = field(default_factory=list)  # targets, noted, never followed
    source: WorkbookSource = "xlsx"
    properties: dict[str, str] = field(default_factory=dict)  # core + custom properties

    def sheet(self, name: str) -> Sheet | None:
        """The sheet called ``name``; Excel compares sheet names case-insensitively."""
        exact = next((s for s in self.sheets if s.name == name), None)
        if exact is not None:
            return exact
        folded = name.casefold()
        return next((s for s in self.sheets if s.name.casefold() == folded), None)

    def range_exists(self, ref: str, default_sheet: str | None = None) -> bool:
        """True when ``ref`` names cells inside a sheet's used range.

        Accepts "Sheet1!A1:C9", "'My Sheet'!B2" and, using ``default_sheet`` (else the first
        worksheet), "B2:C9". Malformed references and unknown sheets are False.
        """
        try:
            sheet_name, cells = split_ref(ref)
            r1, c1, r2, c2 = parse_range(cells)
        except ValueError:
            return False
        sheet = self._target_sheet(sheet_name or default_sheet)
        if sheet is None or not sheet.used_range:
            return False
        u1, v1, u2, v2 = parse_range(sheet.used_range)
        return u1 <= r1 and v1 <= c1 and r2 <= u2 and c2 <= v2

    def _target_sheet(self, name: str | None) -> Sheet | None:
        if name is not None:
            return self.sheet(name)
        return next((s for s in self.sheets if s.kind == "worksheet"), None)

    @property
    def tables(self) -> list[DataTable]:
        """Every DataTable of every sheet, in order."""
        return [table for sheet in self.sheets for table in sheet.tables]

    @property
    def is_empty(self) -> bool:
        """True when no sheet holds any cell."""
        return all(sheet.is_empty for sheet in self.sheets)


def column_label(col: int) -> str:
    """The name of a column without a header: "Column C"."""
    return f"Column {column_letter(col)}"
