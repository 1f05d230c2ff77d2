"""Bounded byte scans of a worksheet's XML, for what calamine doesn't report.

calamine reads cell values fast but turns error cells into empty strings, drops formula
text and number formats. Parsing the sheet XML a second time would cost as much as reading
it, so this module only *scans* the bytes: one ``find`` pass for error cells, one for
formulas (a single ``<f`` search, which costs nothing when a sheet has none), and a look
at a few rows' ``s`` (style) attributes to learn each column's number format.

Cells are located by their ``r`` attribute, which Excel always writes; cells without one
(some generators omit it) are skipped by these scans, not misplaced.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import unescape

from addin.documents.a1 import parse_cell, parse_range

_ATTRS = re.compile(rb"""([A-Za-z_:][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c\s([^>]*?)/?>")
_VALUE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?v>([^<]*)<")
_MERGE = re.compile(rb"""<(?:[A-Za-z_][\w.-]*:)?mergeCell\s[^>]*?ref\s*=\s*["']([^"']+)["']""")
_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?worksheet[\s>]")
_QUOT = {"&quot;": '"', "&apos;": "'"}
_CELL_REF = re.compile(rb"""\br\s*=\s*["']([A-Za-z]{1,3})([0-9]{1,7})["']""")
_STYLE = re.compile(rb"""\bs\s*=\s*["']([0-9]{1,9})["']""")
_SAMPLE_WINDOW = 4 * 1024 * 1024  # bytes of sheet XML looked at for a style sample
# A value that may read as a number Excel can't hold: inf or NaN in words, a three-digit
# exponent, or 300 digits.
_HUGE_VALUE = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?v>\s*[-+]?(?:[iInN]|[0-9.]*[eE][-+]?[0-9]{3}|[0-9.]{300})")


def may_hold_huge_numbers(data: bytes) -> bool:
    """Whether the sheet XML may hold a number beyond Excel's range (one regex pass)."""
    return _HUGE_VALUE.search(data) is not None


def element_prefix(data: bytes) -> bytes:
    """The namespace prefix the sheet's elements carry (b"" or e.g. b"x:")."""
    match = _ROOT.search(data, 0, 4096)
    return match.group(1) or b"" if match else b""


def _attributes(tag: bytes) -> dict[bytes, str]:
    return {m.group(1): (m.group(2) if m.group(2) is not None else m.group(3) or b"").decode(
        "utf-8", "replace") for m in _ATTRS.finditer(tag)}


def _cell_at(data: bytes, inside: int) -> tuple[int, int, dict[bytes, str]] | None:
    """The ``<c>`` start tag around position ``inside``: (start, end, attributes)."""
    start = data.rfind(b"<", 0, inside)
    end = data.find(b">", inside)
    if start < 0 or end < 0:
        return None
    return start, end + 1, _attributes(data[start:end])


def _is_cell_tag(data: bytes, start: int) -> bool:
    name = data[start + 1:start + 24].split(None, 1)[0] if data[start + 1:start + 2] else b""
    return name.rsplit(b":", 1)[-1] == b"c"


def _position(attrs: dict[bytes, str]) -> tuple[int, int] | None:
    try:
        return parse_cell(attrs.get(b"r", ""))
    except ValueError:
        return None


def find_errors(data: bytes) -> list[tuple[int, int, str]]:
    """Every error cell as (row, col, code), rows and columns 1-based, in document order."""
    found: list[tuple[int, int, str]] = []
    patterns = [b't="e"'] + ([b"t='e'"] if b"'" in data else [])
    for pattern in patterns:
        at = data.find(pattern)
        while at >= 0:
            cell = _cell_error(data, at)
            if cell is not None:
                found.append(cell)
            at = data.find(pattern, at + 5)
    if len(patterns) > 1:
        found.sort()
    return found


def _cell_error(data: bytes, at: int) -> tuple[int, int, str] | None:
    cell = _cell_at(data, at)
    if cell is None or not _is_cell_tag(data, cell[0]):
        return None
    _, end, attrs = cell
    position = _position(attrs)
    if position is None or data[end - 2:end] == b"/>":
        return None
    value = _VALUE.search(data, end, end + 4096)
    closing = data.find(b"c>", end)
    if value is None or (closing >= 0 and value.start() > closing):
        return None
    code = value.group(1).decode("utf-8", "replace").strip()
    return (*position, code) if code.startswith("#") else None


def scan_formulas(data: bytes, prefix: bytes, cap: int) -> tuple[int, list[tuple[int, int, str]]]:
    """(number of formula cells, the first ``cap`` of them as (row, col, "=text")).

    Shared-formula dependents (``<f t="shared" si="0"/>``) are counted with text "".
    """
    pattern = re.compile(b"<" + re.escape(prefix) + rb"f[\s>/]")
    first = pattern.search(data)
    if first is None:
        return 0, []
    count = 0
    found: list[tuple[int, int, str]] = []
    for match in pattern.finditer(data, first.start()):
        count += 1
        if len(found) < cap:
            formula = _formula(data, match.start(), prefix)
            if formula is not None:
                found.append(formula)
    return count, found


def _formula(data: bytes, at: int, prefix: bytes) -> tuple[int, int, str] | None:
    cell_start = data.rfind(b"<", 0, at)
    if cell_start < 0 or not _is_cell_tag(data, cell_start):
        return None
    attrs = _attributes(data[cell_start:data.find(b">", cell_start)])
    position = _position(attrs)
    if position is None:
        return None
    tag_end = data.find(b">", at)
    if tag_end < 0 or data[tag_end - 1:tag_end] == b"/":
        return (*position, "")
    close = data.find(b"</" + prefix + b"f>", tag_end)
    if close < 0:
        return (*position, "")
    text = unescape(data[tag_end + 1:close].decode("utf-8", "replace"), _QUOT)
    return (*position, "=" + text if text else "")


def sample_styles(data: bytes, first_row: int, rows: int,
                  cols: range) -> dict[int, list[int]]:
    """Style indices (``s``, 0 when absent) of the cells of ``rows`` rows from ``first_row``.

    Keyed by 1-based column, only for columns in ``cols``. The first row is found with one
    ``find`` for its ``r`` attribute, and cells are read until a later row; when rows carry
    no ``r``, nothing is sampled.
    """
    start = _row_start(data, first_row)
    if start < 0:
        return {}
    last_row = first_row + rows - 1
    end = min(len(data), start + _SAMPLE_WINDOW)
    styles: dict[int, list[int]] = {}
    budget = rows * len(cols) * 4 + 256  # styled empty cells can pad rows far to the right
    for match in _CELL_TAG.finditer(data, start, end):
        budget -= 1
        if budget < 0:
            break
        tag = match.group(1)
        ref = _CELL_REF.search(tag)
        if ref is None:
            continue
        row = int(ref.group(2))
        if row > last_row:
            break
        col = _column_number(ref.group(1))
        if row >= first_row and col in cols:
            style = _STYLE.search(tag)
            styles.setdefault(col, []).append(int(style.group(1)) if style else 0)
    return styles


def _row_start(data: bytes, row: int, after: int = 0) -> int:
    """Position of the ``<row r="N"`` tag (cells' ``r`` always hold letters, rows' never)."""
    for quote in (b'"', b"'"):
        at = data.find(b" r=" + quote + str(row).encode() + quote, after)
        if at >= 0:
            return at
    return -1


def merged_ranges(data: bytes) -> list[str]:
    """The merged ranges of the sheet ("A1:D1"), from ``<mergeCells>`` after the cell data."""
    tail = data.rfind(b"sheetData>")
    found = []
    for match in _MERGE.finditer(data, max(tail, 0)):
        ref = match.group(1).decode("ascii", "replace")
        try:
            parse_range(ref)
        except ValueError:
            continue
        found.append(ref.replace("$", "").upper())
    return found


# A cell or row reference that may lie far from A1: two or more column letters, or a row
# number of six digits or more. Anything else lies within A1:Z99999.
_FAR_REF = re.compile(rb"""r=["'](?=[A-Za-z]{2}|[A-Za-z]*[0-9]{6})([A-Za-z]*)([0-9]*)["']""")
_ANY_REF = re.compile(rb"""r=["']([A-Za-z]{0,3})([0-9]{1,8})["']""")
_NEAR_ROWS, _NEAR_COLS = 99_999, 26


def grid_cells(data: bytes, limit: int) -> int:
    """How many cells (an upper bound) the rectangle holding all the sheet's cells spans.

    calamine allocates that whole rectangle, so two cells at A1 and XFD1048576 would cost
    it 17 billion slots; the reader checks this first. A quick pass over "far" references
    gives a bound; only when that bound is over ``limit`` are all references read.
    """
    far = _FAR_REF.findall(data)
    letters = {ref[0] for ref in far if ref[0]}
    digits = {ref[1] for ref in far if ref[1]}
    cols = max([_NEAR_COLS, *map(_column_number, letters)])
    rows = max([_NEAR_ROWS, *(int(d[:8]) for d in digits)])
    if rows * cols <= limit:
        return rows * cols
    return _exact_cells(data)


def _exact_cells(data: bytes) -> int:
    """Cells of the rectangle from the smallest to the largest row and column referenced."""
    refs = _ANY_REF.findall(data)
    rows = {int(digits) for _, digits in refs}
    cols = {_column_number(letters) for letters in {letters for letters, _ in refs} if letters}
    if not rows:
        return 0
    cols = cols or {1}
    return (max(rows) - min(rows) + 1) * (max(cols) - min(cols) + 1)


def _column_number(letters: bytes) -> int:
    index = 0
    for char in letters.upper()[:4]:
        index = index * 26 + char - 64
    return index
