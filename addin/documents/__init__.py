"""Turn uploaded bytes into a :class:`Document` or a :class:`Workbook`, or a 4xx AddinError.

:func:`read_document` (Summarize) sniffs the bytes, refuses what isn't an Office package
(encrypted, legacy, PDF, RTF...), opens the package under :class:`Limits` and hands it to
the reader of its family; a workbook is refused with a 415 that points to Analyze.
:func:`read_workbook` (Analyze) does the same for Excel packages, and
:func:`workbook_from_values` builds a Workbook from the cell values the task pane sends.

This package is pure: no Flask, nothing from addin.models or addin.features.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from addin.documents.excel import ACCEPTED_WORKBOOKS, read_workbook
from addin.documents.model import Document, Note, Paragraph, Section, Table
from addin.documents.package import Package
from addin.documents.safety import Limits, reject, sniff
from addin.documents.values import workbook_from_values
from addin.documents.word import read_docx, read_word_package
from addin.documents.workbook import (
    CellError,
    CellValue,
    Column,
    DataTable,
    FormulaCell,
    Sheet,
    Workbook,
)
from addin.errors import UnreadableDocument, UnsupportedMediaType

__all__ = [
    "ACCEPTED",
    "ACCEPTED_WORKBOOKS",
    "CellError",
    "CellValue",
    "Column",
    "DataTable",
    "Document",
    "FormulaCell",
    "Limits",
    "Note",
    "Paragraph",
    "Section",
    "Sheet",
    "Table",
    "Workbook",
    "read_document",
    "read_docx",
    "read_workbook",
    "workbook_from_values",
]

ACCEPTED = "Word documents (.docx, .docm, .dotx, .dotm)"

_READERS: Mapping[str, Callable[[Package], Document]] = MappingProxyType({
    "word": read_word_package,
})

_FAMILY_NAMES = {"excel": "an Excel workbook", "powerpoint": "a PowerPoint presentation"}


def read_document(data: bytes, filename: str | None = None,
                  limits: Limits | None = None) -> Document:
    """Read an uploaded file into a Document.

    ``filename`` only tunes error messages; the format is decided from the bytes.
    Raises UnreadableDocument (422: empty, encrypted, corrupt, hostile XML),
    UnsupportedMediaType (415: legacy .doc, PDF, RTF, other packages) or
    PayloadTooLarge (413: expands past ``limits``).
    """
    if not data:
        raise UnreadableDocument(
            "The uploaded file is empty (0 bytes). Check that the document was saved, "
            "then upload it again.",
            code="empty_document",
        )
    kind = sniff(data)
    if kind != "zip":
        reject(data, kind, accepted=ACCEPTED, filename=filename)
    package = Package(data, limits or Limits())
    reader = _READERS.get(package.family or "")
    if reader is None:
        raise _unsupported_package(package)
    return reader(package)


def _unsupported_package(package: Package) -> UnsupportedMediaType:
    """The 415 for a ZIP that isn't a package we read, naming what it is when we can tell."""
    if package.family == "excel":
        return UnsupportedMediaType(
            f"This is an Excel workbook. Summarize reads {ACCEPTED}; use Analyze for "
            "workbooks.",
            code="unsupported_type",
        )
    if package.family in _FAMILY_NAMES:
        what = f"This is {_FAMILY_NAMES[package.family]}"
    elif package.has("mimetype"):
        what = "This is an OpenDocument file (.odt, .ods...)"
    else:
        what = "This is a ZIP archive, not an Office document"
    return UnsupportedMediaType(
        f"{what}. The add-in reads {ACCEPTED}: save your document in one of these "
        "formats and upload it again.",
        code="unsupported_type",
    )
