"""Read an Excel package (.xlsx, .xlsm, .xltx, .xltm, Strict OOXML) into a :class:`Workbook`.

Values come from python-calamine, which reads a 100,000-row sheet about ten times faster
than openpyxl; what calamine doesn't report comes from the package's small XML parts
(:mod:`excel_package`) and from byte scans of the sheet XML (:mod:`excel_scan`): error
cells, formulas, number formats, merged cells. Tables are found by :mod:`excel_tables`.

Safety: the upload passes the same guards as Word files (:mod:`safety`). calamine parses
XML and inflates members itself, with no limits of its own, so before it sees a part the
part has been inflated through :class:`SafeZip` (size and ratio budgets) and scanned for
DOCTYPE/ENTITY declarations; before it reads a sheet, the rectangle it would allocate is
bounded. Anything calamine raises becomes an UnreadableDocument (422).

When calamine refuses a file Excel opens (an Excel 4 macro sheet in the workbook, a row
numbered 0...), small sheets are read from their XML instead (:mod:`excel_fallback`).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, cast

import python_calamine

from addin.documents.a1 import MAX_COLS, MAX_ROWS, cell_address, format_range
from addin.documents.excel_fallback import read_sheet_xml, shared_strings
from addin.documents.excel_package import (
    SheetEntry,
    WorkbookParts,
    guard_xml,
    load_tables,
    load_workbook_parts,
    xml_part_names,
)
from addin.documents.excel_scan import (
    element_prefix,
    find_errors,
    grid_cells,
    may_hold_huge_numbers,
    merged_ranges,
    sample_styles,
    scan_formulas,
)
from addin.documents.excel_tables import EMPTY, Grid, TableSpec, find_tables
from addin.documents.package import Package
from addin.documents.safety import Limits, SafeZip, corrupt, reject, sniff
from addin.documents.workbook import (
    MAX_NUMBER,
    CellError,
    FormulaCell,
    Sheet,
    SheetKind,
    SheetState,
    Workbook,
    WorkbookSource,
)
from addin.errors import AddinError, PayloadTooLarge, UnreadableDocument, UnsupportedMediaType

ACCEPTED_WORKBOOKS = "Excel workbooks (.xlsx, .xlsm, .xltx, .xltm)"
FORMULA_CAP = 10_000  # FormulaCells listed per sheet; Sheet.formula_count has them all
MAX_GRID_CELLS = 25_000_000  # cells of the rectangle calamine allocates for one sheet
FALLBACK_MAX_BYTES = 16 * 1024 * 1024  # sheet XML read without calamine (a whole tree)
STYLE_SAMPLE_ROWS = 100  # data rows whose cell styles decide a column's number format


def read_workbook(data: bytes, filename: str | None = None,
                  limits: Limits | None = None) -> Workbook:
    """Read an uploaded workbook.

    ``filename`` only tunes error messages. Raises UnreadableDocument (422: empty,
    encrypted, corrupt, hostile XML, no sheets), UnsupportedMediaType (415: legacy .xls,
    Word files, other formats) or PayloadTooLarge (413: past ``limits``).
    """
    limits = limits or Limits()
    package = open_workbook_package(data, filename, limits)
    return read_excel_package(package, data, limits, filename)


def open_workbook_package(data: bytes, filename: str | None, limits: Limits) -> Package:
    """Sniff, refuse what isn't an Excel package, and open it under ``limits``."""
    if not data:
        raise UnreadableDocument(
            "The uploaded file is empty (0 bytes). Check that the workbook was saved, then "
            "upload it again.",
            code="empty_document",
        )
    kind = sniff(data)
    if kind != "zip":
        reject(data, kind, accepted=ACCEPTED_WORKBOOKS, filename=filename or "workbook.xlsx")
    package = Package(data, limits)
    if package.family != "excel":
        raise _not_a_workbook(package)
    return package


def _not_a_workbook(package: Package) -> AddinError:
    if package.family is None and not package.has("mimetype"):
        # Renamed archives and stripped packages alike: nothing says what it was meant to be.
        return corrupt("it holds no workbook part")
    if package.family == "word":
        what = "This is a Word document; Analyze reads Excel workbooks. Use Summarize for it"
    elif package.family == "powerpoint":
        what = "This is a PowerPoint presentation, which the add-in doesn't read"
    else:
        what = "This is an OpenDocument file (.ods, .odt...), not an Excel workbook"
    return UnsupportedMediaType(
        f"{what}. Analyze reads {ACCEPTED_WORKBOOKS}: save the workbook in one of these "
        "formats and upload it again.",
        code="unsupported_type",
    )


def read_excel_package(package: Package, data: bytes, limits: Limits,
                       filename: str | None = None) -> Workbook:
    """Read an opened Excel package (see :func:`read_workbook`)."""
    parts = load_workbook_parts(package)
    if not parts.sheets:
        raise UnreadableDocument(
            "This workbook declares no sheets, so there is nothing to analyze. Open it in "
            "Excel, check that it has a worksheet with data, save and upload it again.",
            code="no_sheets",
        )
    # The sheet XML is scanned as bytes, never built into a tree: it may be as large as
    # the whole budget, unlike the per-part limit meant for XML trees.
    raw = SafeZip(data, replace(limits, max_part_bytes=limits.max_decompressed_bytes))
    sheet_parts = {entry.part.lower() for entry in parts.sheets
                   if entry.part and entry.kind == "worksheet"}  # guarded as they're read
    for name in xml_part_names(raw):
        if name.lower() not in sheet_parts:
            guard_xml(raw.read(name), name)
    reader = _SheetReader(package, raw, parts, _open_calamine(data))
    sheets = [reader.read(entry) for entry in parts.sheets
              if entry.kind in ("worksheet", "chartsheet")]
    if not sheets:
        raise UnreadableDocument(
            "This workbook holds only macro or dialog sheets, which the add-in doesn't "
            "read. Copy the data to a worksheet, save and upload it again.",
            code="no_sheets",
        )
    return Workbook(
        sheets=sheets, date1904=parts.date1904, external_links=parts.external_links,
        source=_source(package, filename), properties=package.properties(),
    )


def _source(package: Package, filename: str | None) -> WorkbookSource:
    if package.is_strict:
        return "xlsx-strict"
    content_type = package.content_type(package.main_part or "")
    macro = "macroenabled" in content_type or (filename or "").lower().endswith((".xlsm", ".xltm"))
    return "xlsm" if macro else "xlsx"


# --------------------------------------------------------------------------- calamine


def _calamine_error(exc: BaseException) -> UnreadableDocument:
    detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
    return corrupt(f"the spreadsheet reader stopped: {detail}")


def _guarded(call: Callable[[], Any]) -> Any:
    """Run a calamine call; anything it raises (a Rust panic included) → UnreadableDocument."""
    try:
        return call()
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # pyo3's PanicException derives from BaseException
        raise _calamine_error(exc) from exc


def _open_calamine(data: bytes) -> python_calamine.CalamineWorkbook | UnreadableDocument:
    """The calamine workbook, or the error it raised (sheets may still be read from XML)."""
    try:
        return cast(python_calamine.CalamineWorkbook,
                    _guarded(lambda: python_calamine.CalamineWorkbook.from_filelike(
                        io.BytesIO(data))))
    except UnreadableDocument as exc:
        return exc


@dataclass(slots=True)
class _SheetReader:
    """Reads the sheets of one workbook, sharing its parts and calamine handle."""

    package: Package
    raw: SafeZip
    parts: WorkbookParts
    book: python_calamine.CalamineWorkbook | UnreadableDocument
    _strings: list[str] | None = field(default=None, init=False)

    def read(self, entry: SheetEntry) -> Sheet:
        sheet = Sheet(name=entry.name, state=cast(SheetState, entry.state),
                      kind=cast(SheetKind, entry.kind))
        if entry.kind != "worksheet" or entry.part is None:
            return sheet
        data = self.raw.read(entry.part)
        guard_xml(data, entry.part)
        if grid_cells(data, MAX_GRID_CELLS) > MAX_GRID_CELLS:
            raise _too_many_cells(entry.name)
        # calamine releases the GIL while it reads the values, so the byte scans of the same
        # XML run meanwhile on this thread: on a large sheet that hides most of their cost.
        with ThreadPoolExecutor(max_workers=1) as pool:
            values = pool.submit(self._grid, entry, data)
            errors = find_errors(data)
            sheet.formula_count, found = scan_formulas(data, element_prefix(data), FORMULA_CAP)
            sheet.merged = merged_ranges(data)
            grid = values.result()
        if may_hold_huge_numbers(data):
            errors = sorted(errors + _out_of_range(grid))
        _overlay_errors(grid, errors)
        grid = _within_sheet(grid)
        sheet.errors = [(cell_address(r, c), CellError(code)) for r, c, code in errors]
        sheet.formulas = [FormulaCell(cell_address(r, c), text, _cell(grid, r, c))
                          for r, c, text in found]
        sheet.used_range = _used_range(grid)
        specs = [TableSpec(t.name, t.first_row, t.first_col, t.last_row, t.last_col,
                           t.header_rows, t.totals_rows, t.columns)
                 for t in load_tables(self.package, entry.part)]
        sheet.tables = find_tables(entry.name, grid, specs, self._sampler(data))
        return sheet

    def _grid(self, entry: SheetEntry, data: bytes) -> Grid:
        """Values from calamine; from the XML when calamine fails or silently sees nothing."""
        failure: UnreadableDocument | None = None
        if isinstance(self.book, UnreadableDocument):
            failure = self.book
        else:
            try:
                grid = _calamine_grid(self.book, entry.name)
            except UnreadableDocument as exc:
                failure = exc
            else:
                if grid.rows or not _has_values(data):
                    return grid
        if len(data) > FALLBACK_MAX_BYTES:
            raise failure or corrupt(f"the sheet {entry.name!r} can't be read")
        return self._xml_grid(entry)

    def _xml_grid(self, entry: SheetEntry) -> Grid:
        if self._strings is None:
            self._strings = shared_strings(self.package)
        assert entry.part is not None
        return read_sheet_xml(self.package, entry.part, self._strings, self.parts.formats,
                              self.parts.date1904)

    def _sampler(self, data: bytes) -> Callable[[int, int, int, int], dict[int, list[str]]]:
        formats = self.parts.formats

        def sample(first_row: int, last_row: int, first_col: int,
                   last_col: int) -> dict[int, list[str]]:
            rows = min(last_row - first_row + 1, STYLE_SAMPLE_ROWS)
            styles = sample_styles(data, first_row, rows, range(first_col, last_col + 1))
            return {col: [formats[s] if s < len(formats) else "General" for s in indexes]
                    for col, indexes in styles.items()}

        return sample


def _calamine_grid(book: python_calamine.CalamineWorkbook, name: str) -> Grid:
    sheet = _guarded(lambda: book.get_sheet_by_name(name))
    start = sheet.start
    if start is None:
        return Grid(1, 1, [])
    rows = _guarded(sheet.to_python)
    width = max((len(row) for row in rows), default=0)
    if any(len(row) != width for row in rows):
        rows = [row + [EMPTY] * (width - len(row)) for row in rows]
    return Grid(start[0] + 1, start[1] + 1, rows)


def _has_values(data: bytes) -> bool:
    """Whether sheet XML holds any cell value (``<v>`` or an inline string)."""
    return b"v>" in data or b"is>" in data


def _too_many_cells(name: str) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The sheet {name!r} spans more than {MAX_GRID_CELLS:,} cells from its first to its "
        "last used cell, which is over the limit. Delete stray cells far from the data (or "
        "split the sheet), save and upload it again.",
        code="sheet_too_large",
    )


def _within_sheet(grid: Grid) -> Grid:
    """The grid without cells past XFD1048576: calamine reads a cell at XFE1, Excel has none
    (and no A1 reference names it)."""
    rows, cols = MAX_ROWS - grid.top + 1, MAX_COLS - grid.left + 1
    if len(grid.rows) <= rows and grid.width <= cols:
        return grid
    kept = [row[:cols] for row in grid.rows[:max(rows, 0)]] if cols > 0 else []
    width = 1 + max((i for row in kept for i, value in enumerate(row) if value != EMPTY),
                    default=-1)
    height = 1 + max((r for r, row in enumerate(kept) if any(v != EMPTY for v in row)),
                     default=-1)
    if not width:
        return Grid(1, 1, [])
    return Grid(grid.top, grid.left, [row[:width] for row in kept[:height]])


def _out_of_range(grid: Grid) -> list[tuple[int, int, str]]:
    """Numbers Excel can't hold (inf, NaN, past MAX_NUMBER) become #NUM! errors in place;
    returns them as (row, col, "#NUM!")."""
    found = []
    for r, row in enumerate(grid.rows):
        for c, value in enumerate(row):
            if type(value) is float and not -MAX_NUMBER <= value <= MAX_NUMBER:
                row[c] = CellError("#NUM!")
                found.append((grid.top + r, grid.left + c, "#NUM!"))
    return [cell for cell in found if cell[0] <= MAX_ROWS and cell[1] <= MAX_COLS]


def _overlay_errors(grid: Grid, errors: list[tuple[int, int, str]]) -> None:
    """Put CellErrors where calamine left "" for error cells."""
    for row, col, code in errors:
        r, c = row - grid.top, col - grid.left
        if 0 <= r < len(grid.rows) and 0 <= c < grid.width and grid.rows[r][c] == EMPTY:
            grid.rows[r][c] = CellError(code)


def _cell(grid: Grid, row: int, col: int) -> Any:
    r, c = row - grid.top, col - grid.left
    if 0 <= r < len(grid.rows) and 0 <= c < grid.width:
        value = grid.rows[r][c]
        if type(value) is float and value.is_integer():
            return int(value)
        return None if value == EMPTY else value
    return None


def _used_range(grid: Grid) -> str:
    if not grid.rows or not grid.width:
        return ""
    return format_range(grid.top, grid.left, grid.top + len(grid.rows) - 1,
                        grid.left + grid.width - 1)
