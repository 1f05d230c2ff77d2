"""An OPC package (the ZIP container of .docx, .xlsx, .pptx), read tolerantly and safely.

Shared by every Office reader: content types, relationships, the main part, Strict OOXML
namespace mapping and the core/custom document properties. Tolerant on purpose: real files
carry relationships to ``#anchors``, external targets and parts that don't exist, and
some producers write no ``[Content_Types].xml`` entry for the main part; none of that
stops reading. Only hostile or over-limit content raises.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from lxml import etree

from addin.documents.safety import Limits, SafeZip, parse_xml
from addin.errors import UnreadableDocument

_PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
STRICT_REL_NS = "http://purl.oclc.org/ooxml/officeDocument/relationships"
OFFICE_DOCUMENT = REL_NS + "/officeDocument"
_CORE_TYPES = (
    "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties",
    "http://schemas.openxmlformats.org/officedocument/2006/relationships/metadata/"
    "core-properties",
)
_CUSTOM_SUFFIXES = ("/custom-properties", "/customProperties")

# Strict OOXML namespace → Transitional namespace. The relationship namespace doubles as
# the prefix of relationship types, so one substitution maps both. Longest first.
STRICT_TO_TRANSITIONAL: tuple[tuple[bytes, bytes], ...] = tuple(
    (b"http://purl.oclc.org/ooxml/" + strict, b"http://schemas.openxmlformats.org/" + old)
    for strict, old in (
        (b"officeDocument/relationships", b"officeDocument/2006/relationships"),
        (b"officeDocument/customProperties", b"officeDocument/2006/custom-properties"),
        (b"officeDocument/extendedProperties", b"officeDocument/2006/extended-properties"),
        (b"officeDocument/docPropsVTypes", b"officeDocument/2006/docPropsVTypes"),
        (b"officeDocument/sharedTypes", b"officeDocument/2006/sharedTypes"),
        (b"officeDocument/math", b"officeDocument/2006/math"),
        (b"officeDocument/bibliography", b"officeDocument/2006/bibliography"),
        (b"wordprocessingml/main", b"wordprocessingml/2006/main"),
        (b"spreadsheetml/main", b"spreadsheetml/2006/main"),
        (b"presentationml/main", b"presentationml/2006/main"),
        (b"drawingml/wordprocessingDrawing", b"drawingml/2006/wordprocessingDrawing"),
        (b"drawingml/spreadsheetDrawing", b"drawingml/2006/spreadsheetDrawing"),
        (b"drawingml/main", b"drawingml/2006/main"),
        (b"drawingml/picture", b"drawingml/2006/picture"),
        (b"drawingml/chart", b"drawingml/2006/chart"),
    )
)

_STRICT_MARKER = b"http://purl.oclc.org/ooxml/"

# The main part's family, from words in its content type or, failing that, its folder.
_FAMILIES = (
    ("word", ("wordprocessingml", "ms-word"), "word/"),
    ("excel", ("spreadsheetml", "ms-excel"), "xl/"),
    ("powerpoint", ("presentationml", "ms-powerpoint"), "ppt/"),
)
_FALLBACK_MAIN_PARTS = ("word/document.xml", "xl/workbook.xml", "ppt/presentation.xml")


@dataclass(frozen=True, slots=True)
class Relationship:
    """One internal relationship: its type (Strict mapped to Transitional) and target part."""

    id: str
    type: str
    target: str  # part name inside the package, no leading "/"


def rels_part(part: str) -> str:
    """Name of the relationships part of ``part`` ("" is the package itself)."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def resolve_target(source: str, target: str) -> str | None:
    """The part a relative or absolute target points to, or None if it leaves the package."""
    target = target.split("#", 1)[0]
    if not target:
        return None
    if target.startswith("/"):
        path = posixpath.normpath(target.lstrip("/"))
    else:
        path = posixpath.normpath(posixpath.join(posixpath.dirname(source), target))
    if path == "." or path.startswith(".."):
        return None
    return path


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


class Package:
    """The parts of an Office package, with safe XML access and relationship lookups."""

    def __init__(self, data: bytes, limits: Limits) -> None:
        self.zip = SafeZip(data, limits)
        self._defaults, self._overrides = self._content_types()
        self._root_rels_raw = b""
        self.main_part = self._find_main_part()
        self.is_strict = STRICT_REL_NS.encode() in self._root_rels_raw

    # ----------------------------------------------------------------- parts & xml

    def has(self, part: str) -> bool:
        return self.zip.has(part)

    def xml(self, part: str) -> etree._Element:
        """Parse a part (Strict namespaces mapped to Transitional). KeyError when absent."""
        data = self.zip.read(part)
        strict = _STRICT_MARKER in data  # one scan instead of one per substitution
        return parse_xml(data, part, STRICT_TO_TRANSITIONAL if strict else ())

    def optional_xml(self, part: str | None) -> etree._Element | None:
        """Parse a part that reading can do without: absent or damaged → None.

        Hostile content (entity declarations) and over-limit sizes still raise.
        """
        if not part or not self.zip.has(part):
            return None
        try:
            return self.xml(part)
        except UnreadableDocument as exc:
            if exc.code == "corrupt_document":
                return None
            raise

    # ----------------------------------------------------------------- content types

    def _content_types(self) -> tuple[dict[str, str], dict[str, str]]:
        root = self.optional_xml("[Content_Types].xml")
        defaults: dict[str, str] = {}
        overrides: dict[str, str] = {}
        if root is None:
            return defaults, overrides
        for el in root:
            content_type = (el.get("ContentType") or "").strip().lower()
            if el.tag == f"{{{_CT_NS}}}Default":
                defaults[(el.get("Extension") or "").lower()] = content_type
            elif el.tag == f"{{{_CT_NS}}}Override":
                overrides[(el.get("PartName") or "").lstrip("/").lower()] = content_type
        return defaults, overrides

    @property
    def has_content_types(self) -> bool:
        return bool(self._defaults or self._overrides)

    def content_type(self, part: str) -> str:
        """The part's content type, lower-cased ("" when not declared)."""
        key = part.lower()
        if key in self._overrides:
            return self._overrides[key]
        return self._defaults.get(posixpath.splitext(key)[1].lstrip("."), "")

    # ----------------------------------------------------------------- relationships

    def rels(self, part: str) -> list[Relationship]:
        """Internal relationships of ``part``; external, ``#anchor`` and broken ones dropped."""
        name = rels_part(part)
        root = self.optional_xml(name)
        if root is None:
            return []
        found = []
        for el in root:
            if el.tag != f"{{{_PKG_RELS}}}Relationship":
                continue
            if (el.get("TargetMode") or "").lower() == "external":
                continue
            target = resolve_target(part, el.get("Target") or "")
            if target is not None:
                found.append(Relationship(el.get("Id") or "", el.get("Type") or "", target))
        return found

    def related(self, part: str, *type_suffixes: str) -> str | None:
        """First existing part related to ``part`` by a type ending in one of the suffixes."""
        for rel in self.rels(part):
            if rel.type.endswith(type_suffixes) and self.zip.has(rel.target):
                return rel.target
        return None

    def _find_main_part(self) -> str | None:
        raw_rels = b""
        if self.zip.has("_rels/.rels"):
            raw_rels = self.zip.read("_rels/.rels")
        self._root_rels_raw = raw_rels
        for rel in self.rels(""):
            if rel.type == OFFICE_DOCUMENT and self.zip.has(rel.target):
                return rel.target
        for part, content_type in self._overrides.items():
            if content_type.endswith(".main+xml") and self.zip.has(part):
                return part
        return next((p for p in _FALLBACK_MAIN_PARTS if self.zip.has(p)), None)

    @property
    def family(self) -> str | None:
        """"word", "excel" or "powerpoint" for the main part, None if there is none."""
        if self.main_part is None:
            return None
        content_type = self.content_type(self.main_part)
        folder = self.main_part.lower()
        for family, words, _prefix in _FAMILIES:
            if any(word in content_type for word in words):
                return family
        for family, _words, prefix in _FAMILIES:
            if folder.startswith(prefix):
                return family
        return None

    # ----------------------------------------------------------------- properties

    def properties(self) -> dict[str, str]:
        """Core properties (by local name: "title", "creator"...) then custom ones by name.

        Custom properties (e.g. ``MSIP_Label_<guid>_Name``, a sensitivity label) keep their
        own names; they never override a core property of the same name.
        """
        props: dict[str, str] = {}
        core = self.related("", *_CORE_TYPES) or _existing(self, "docProps/core.xml")
        root = self.optional_xml(core)
        for el in root if root is not None else ():
            text = (el.text or "").strip()
            if text and _local(el.tag):
                props.setdefault(_local(el.tag), text)
        custom = self.related("", *_CUSTOM_SUFFIXES) or _existing(self, "docProps/custom.xml")
        root = self.optional_xml(custom)
        for el in root if root is not None else ():
            name = (el.get("name") or "").strip()
            value = "".join(str(text) for text in el.itertext()).strip()
            if name and value:
                props.setdefault(name, value)
        return props


def _existing(package: Package, part: str) -> str | None:
    return part if package.has(part) else None
