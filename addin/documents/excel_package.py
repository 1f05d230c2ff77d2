"""The small parts of a workbook package, read with the hardened XML parser.

What python-calamine does not expose comes from here: the sheet list with states, kinds and
part names (workbook.xml), the 1904 date system, the number format of every cell style
(styles.xml), Excel table definitions (tables/*.xml) and external link targets. Also the
hostile-XML guard for the raw parts calamine parses on its own (:func:`guard_xml`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from addin.documents.a1 import parse_range
from addin.documents.excel_formats import builtin_format
from addin.documents.package import REL_NS, Package, rels_part, resolve_target
from addin.documents.safety import SafeZip, corrupt, parse_xml
from addin.errors import UnreadableDocument

S = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_R_ID = f"{{{REL_NS}}}id"
_PKG_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"

# Relationship type suffix → sheet kind. Macro and dialog sheets are listed but not read.
_SHEET_KINDS = {
    "/worksheet": "worksheet",
    "/chartsheet": "chartsheet",
    "/dialogsheet": "dialogsheet",
    "/xlMacrosheet": "macrosheet",
    "/xlIntlMacrosheet": "macrosheet",
}
_STATES = {"hidden": "hidden", "veryhidden": "veryHidden"}
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_LINK_PATH = "xternalLinkPath"  # externalLinkPath and xlExternalLinkPath/xlPathMissing


@dataclass(frozen=True, slots=True)
class SheetEntry:
    """One sheet declared in workbook.xml."""

    name: str
    state: str  # "visible" | "hidden" | "veryHidden"
    kind: str  # "worksheet" | "chartsheet" | "macrosheet" | "dialogsheet"
    part: str | None  # the sheet's part name, None when its relationship is broken


@dataclass(frozen=True, slots=True)
class TableDef:
    """An Excel table (ListObject) as tables/tableN.xml defines it. Rows, cols 1-based."""

    name: str
    first_row: int
    first_col: int
    last_row: int
    last_col: int
    header_rows: int  # 0 or 1
    totals_rows: int
    columns: tuple[str, ...]


@dataclass(slots=True)
class WorkbookParts:
    """Everything read from the workbook's small parts."""

    sheets: list[SheetEntry]
    date1904: bool = False
    formats: list[str] = field(default_factory=list)  # number format code per cell style
    external_links: list[str] = field(default_factory=list)


def load_workbook_parts(package: Package) -> WorkbookParts:
    """Read workbook.xml, styles.xml and the external links of an Excel package."""
    main = package.main_part
    if main is None:
        raise corrupt("it has no workbook part")
    root = package.xml(main)
    rels = _all_rels(package, main)
    pr = root.find(f"{S}workbookPr")
    date1904 = pr is not None and (pr.get("date1904") or "").lower() in ("1", "true")
    styles = package.related(main, "/styles")
    return WorkbookParts(
        sheets=_sheets(root, rels, package),
        date1904=date1904,
        formats=_formats(package.optional_xml(styles)),
        external_links=_external_links(package, rels),
    )


def _all_rels(package: Package, part: str) -> dict[str, tuple[str, str, bool]]:
    """Relationship id → (type, target, external) for ``part``, external ones included.

    :meth:`Package.rels` drops external targets; external links need them, verbatim.
    """
    root = package.optional_xml(rels_part(part))
    found: dict[str, tuple[str, str, bool]] = {}
    for el in root if root is not None else ():
        if el.tag != _PKG_RELS:
            continue
        external = (el.get("TargetMode") or "").lower() == "external"
        target = el.get("Target") or ""
        if not external:
            target = resolve_target(part, target) or ""
        found[el.get("Id") or ""] = (el.get("Type") or "", target, external)
    return found


def _sheets(root: etree._Element, rels: dict[str, tuple[str, str, bool]],
            package: Package) -> list[SheetEntry]:
    sheets = []
    for el in root.iterfind(f"{S}sheets/{S}sheet"):
        rel_type, target, _ = rels.get(el.get(_R_ID) or "", ("", "", False))
        kind = next((k for suffix, k in _SHEET_KINDS.items() if rel_type.endswith(suffix)),
                    "worksheet")
        part = target if target and package.has(target) else None
        state = _STATES.get((el.get("state") or "").lower(), "visible")
        sheets.append(SheetEntry(el.get("name") or "", state, kind, part))
    return sheets


def _formats(root: etree._Element | None) -> list[str]:
    """The number format code of each cell style (cellXfs), in style-index order."""
    if root is None:
        return []
    custom = {
        el.get("numFmtId") or "": el.get("formatCode") or ""
        for el in root.iterfind(f"{S}numFmts/{S}numFmt")
    }
    codes = []
    for xf in root.iterfind(f"{S}cellXfs/{S}xf"):
        fmt_id = xf.get("numFmtId") or "0"
        code = custom.get(fmt_id)
        codes.append(code if code is not None else builtin_format(_int(fmt_id)))
    return codes


def _external_links(package: Package, rels: dict[str, tuple[str, str, bool]]) -> list[str]:
    """Targets of the workbook's external links (other workbooks, DDE): noted only."""
    targets: list[str] = []
    for rel_type, part, external in rels.values():
        if external or not rel_type.endswith("/externalLink") or not package.has(part):
            continue
        paths = [target for link_type, target, is_external in _all_rels(package, part).values()
                 if is_external and _LINK_PATH in link_type]
        targets.extend(paths or _dde_links(package.optional_xml(part)))
    return list(dict.fromkeys(targets))


def _dde_links(root: etree._Element | None) -> list[str]:
    """A DDE link's "service|topic", for external links that have no path relationship."""
    if root is None:
        return []
    return [f"{el.get('ddeService') or ''}|{el.get('ddeTopic') or ''}"
            for el in root.iter(f"{S}ddeLink")]


def load_tables(package: Package, sheet_part: str) -> list[TableDef]:
    """The Excel tables of one worksheet, from its table parts."""
    tables = []
    for rel in package.rels(sheet_part):
        if not rel.type.endswith("/table"):
            continue
        root = package.optional_xml(rel.target)
        if root is None:
            continue
        table = _table(root)
        if table is not None:
            tables.append(table)
    return tables


def _table(root: etree._Element) -> TableDef | None:
    try:
        r1, c1, r2, c2 = parse_range(root.get("ref") or "")
    except ValueError:
        return None
    columns = tuple(el.get("name") or "" for el in root.iterfind(f"{S}tableColumns/{S}tableColumn"))
    return TableDef(
        name=root.get("displayName") or root.get("name") or "",
        first_row=r1, first_col=c1, last_row=r2, last_col=c2,
        header_rows=min(_int(root.get("headerRowCount"), 1), 1),
        totals_rows=_int(root.get("totalsRowCount"), 0),
        columns=columns,
    )


def _int(text: str | None, default: int = 0) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


# --------------------------------------------------------------------------- raw parts


def xml_part_names(zip_: SafeZip) -> list[str]:
    """The package's XML parts (what calamine may parse itself)."""
    return [name for name in zip_.names() if name.lower().endswith(_XML_SUFFIXES)]


def guard_xml(data: bytes, part_name: str) -> None:
    """Refuse a raw part that declares a DOCTYPE or entities, as :func:`parse_xml` would.

    Parts that calamine parses never reach lxml, so they are scanned here: every ``<!``
    (comments, CDATA and DOCTYPE are the only markup that starts so) is checked for a
    DOCTYPE or ENTITY, case-insensitively since some parsers accept ``<!doctype``. A part
    that isn't plain UTF-8 (a UTF-16/32 byte order mark, NUL bytes or another declared
    encoding) goes through :func:`parse_xml` whole, which transcodes before looking.
    """
    if not _plain_utf8(data):
        parse_xml(data, part_name)
        return
    at = data.find(b"<!")
    while at >= 0:
        word = data[at + 2:at + 9].upper()
        if word.startswith((b"DOCTYPE", b"ENTITY")):
            raise UnreadableDocument(
                f"This file contains XML entity declarations (in {part_name}), which Excel "
                "never writes, so it was refused for safety. Open it in Excel, save a new "
                "copy and upload that.",
                code="xml_entities_forbidden",
            )
        at = data.find(b"<!", at + 2)


def _plain_utf8(data: bytes) -> bool:
    head = data[:256]
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if b"\x00" in head[:4] or head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return False
    start = head.lstrip()
    if not start.startswith(b"<?xml"):
        return True
    decl = start[:start.find(b"?>") + 2].lower().replace(b"'", b'"')
    if b"encoding" not in decl:
        return True
    return any(f'encoding="{name}"'.encode() in decl.replace(b" ", b"")
               for name in ("utf-8", "utf8", "us-ascii", "ascii"))
