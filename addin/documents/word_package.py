"""What the Word body walk needs from the package besides the body: styles, numbering,
notes parts, the document's flavour (.docx/.docm/.dotx/.dotm/Strict) and its language.

Styles are resolved the way Word does it: a paragraph's style follows its ``basedOn``
chain; an explicit outline level (``w:outlineLvl``) decides heading-ness first, then the
built-in style names "heading 1".."heading 9" and "Title", which Word writes in English in
``w:name`` even in localised documents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from lxml import etree

from addin.documents.package import REL_NS, Package

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
W_VAL = W + "val"
_STYLE, _NAME, _BASED_ON, _PPR, _RPR = W + "style", W + "name", W + "basedOn", W + "pPr", W + "rPr"
_OUTLINE, _NUMPR, _ILVL, _NUMID = W + "outlineLvl", W + "numPr", W + "ilvl", W + "numId"
_LANG, _DOC_DEFAULTS, _RPR_DEFAULT = W + "lang", W + "docDefaults", W + "rPrDefault"

_SOURCES = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": "docx",
    "application/vnd.ms-word.document.macroenabled.main+xml": "docm",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml": "dotx",
    "application/vnd.ms-word.template.macroenabledtemplate.main+xml": "dotm",
}
_HEADING_NAME = re.compile(r"heading\s*([1-9])")
_LANG_TAG = re.compile(r"([a-z]{2,3})(?:[-_].*)?")
_MAX_CHAIN = 32  # basedOn hops before we assume a cycle

StyleKind = Literal["title", "heading", "body"]


def word_source(package: Package, root: etree._Element) -> str:
    """"docx", "docm", "dotx", "dotm" or "docx-strict" for the main document part.

    A main part without a Word content type (some generators declare only
    ``application/xml``) is read as .docx: its root element was already checked.
    """
    if package.is_strict or root.get(W + "conformance") == "strict":
        return "docx-strict"
    return _SOURCES.get(package.content_type(package.main_part or ""), "docx")


def int_or_none(value: str | None) -> int | None:
    """``int(value)`` for well-formed values, None otherwise (hostile files write anything)."""
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class ParaProps:
    """Paragraph properties that matter for structure, direct or from a style."""

    outline: int | None = None  # w:outlineLvl, 0-9
    num_id: str | None = None  # w:numPr/w:numId ("0" = numbering switched off)
    ilvl: int | None = None  # w:numPr/w:ilvl


_NO_PROPS = ParaProps()


def para_props(ppr: etree._Element | None) -> ParaProps:
    """Read outline level and numbering from a ``w:pPr`` (direct children only, so a
    tracked property change's old values are ignored). A loop, not find(): this runs for
    every paragraph and lxml's find() parses its path each time."""
    if ppr is None:
        return ParaProps()
    outline = num_id = ilvl = None
    for child in ppr:
        tag = child.tag
        if tag == _OUTLINE:
            outline = int_or_none(child.get(W_VAL))
        elif tag == _NUMPR:
            for item in child:
                if item.tag == _NUMID:
                    num_id = item.get(W_VAL)
                elif item.tag == _ILVL:
                    ilvl = int_or_none(item.get(W_VAL))
    if outline is None and num_id is None and ilvl is None:
        return _NO_PROPS
    return ParaProps(outline, num_id, ilvl)


@dataclass(frozen=True, slots=True)
class StyleInfo:
    """A paragraph style resolved along its basedOn chain."""

    name: str = ""  # display name, e.g. "Heading 1"
    kind: StyleKind = "body"
    level: int = 0  # heading level 1-9
    num_id: str | None = None
    ilvl: int | None = None


@dataclass(frozen=True, slots=True)
class _RawStyle:
    name: str
    based_on: str | None
    props: ParaProps


_UI_NAMES = {"annotation text": "Comment Text", "annotation reference": "Comment Reference",
             "annotation subject": "Comment Subject", "toa heading": "TOA Heading"}
_SMALL_WORDS = frozenset({"of", "and", "to", "a"})


def display_name(name: str) -> str:
    """Word's UI name for a built-in style, which styles.xml stores in lower case
    ("heading 1" → "Heading 1", "toc 2" → "TOC 2", "annotation text" → "Comment Text")."""
    if not name.islower():
        return name
    if name in _UI_NAMES:
        return _UI_NAMES[name]
    if name.startswith("toc "):
        return "TOC " + name[4:]
    words = name.split(" ")
    return " ".join(w if i and w in _SMALL_WORDS else w[:1].upper() + w[1:]
                    for i, w in enumerate(words))


def heading_from_outline(outline: int | None) -> tuple[StyleKind, int] | None:
    """Kind and level for an explicit outline level; None when it isn't set or is invalid."""
    if outline is None or not 0 <= outline <= 9:
        return None
    return ("heading", outline + 1) if outline <= 8 else ("body", 0)


def _heading_from_name(name: str) -> tuple[StyleKind, int] | None:
    lowered = name.strip().lower()
    if lowered == "title":
        return "title", 0
    match = _HEADING_NAME.fullmatch(lowered)
    return ("heading", int(match.group(1))) if match else None


class Styles:
    """The paragraph styles of styles.xml, resolved on demand and cached per document."""

    def __init__(self, root: etree._Element | None) -> None:
        self._raw: dict[str, _RawStyle] = {}
        self._resolved: dict[str, StyleInfo] = {}
        self.default_id: str | None = None
        self.language: str | None = None
        if root is None:
            return
        default_lang = None
        for el in root.iter(_STYLE):
            if el.get(W + "type", "paragraph") != "paragraph":
                continue
            style_id = el.get(W + "styleId") or ""
            name_el, based_el = el.find(_NAME), el.find(_BASED_ON)
            name = (name_el.get(W_VAL) if name_el is not None else None) or style_id
            based_on = based_el.get(W_VAL) if based_el is not None else None
            self._raw.setdefault(style_id, _RawStyle(name, based_on, para_props(el.find(_PPR))))
            if el.get(W + "default") in ("1", "true", "on") and self.default_id is None:
                self.default_id = style_id
                default_lang = el.find(f"{_RPR}/{_LANG}")
        self.language = _language(default_lang, root)

    def resolve(self, style_id: str | None) -> StyleInfo:
        """The style (or the default paragraph style when ``style_id`` is None or unknown)."""
        if style_id not in self._raw:
            style_id = self.default_id
        if style_id is None or style_id not in self._raw:
            return StyleInfo(name="Normal" if style_id is None else "")
        if style_id not in self._resolved:
            self._resolved[style_id] = self._walk_chain(style_id)
        return self._resolved[style_id]

    def _walk_chain(self, style_id: str) -> StyleInfo:
        heading: tuple[StyleKind, int] | None = None
        num_id: str | None = None
        ilvl: int | None = None
        current: str | None = style_id
        seen: set[str] = set()
        while current in self._raw and current not in seen and len(seen) < _MAX_CHAIN:
            seen.add(current)
            raw = self._raw[current]
            if heading is None:
                heading = heading_from_outline(raw.props.outline) or _heading_from_name(raw.name)
            if num_id is None and raw.props.num_id is not None:
                num_id, ilvl = raw.props.num_id, raw.props.ilvl
            current = raw.based_on
        kind, level = heading or ("body", 0)
        return StyleInfo(display_name(self._raw[style_id].name), kind, level, num_id, ilvl)


def _language(default_lang: etree._Element | None, root: etree._Element) -> str | None:
    """Primary language of the default paragraph style, else of the document defaults."""
    doc_default = root.find(f"{_DOC_DEFAULTS}/{_RPR_DEFAULT}/{_RPR}/{_LANG}")
    for lang in (default_lang, doc_default):
        value = (lang.get(W_VAL) or "").lower() if lang is not None else ""
        match = _LANG_TAG.fullmatch(value)
        if match:
            return match.group(1)
    return None


def numbering_ids(root: etree._Element | None) -> frozenset[str]:
    """The w:num ids defined in numbering.xml: a numId pointing nowhere shows no number."""
    if root is None:
        return frozenset()
    return frozenset(el.get(W + "numId") or "" for el in root.iter(W + "num"))


@dataclass(slots=True)
class WordParts:
    """The parsed parts around the body, any of which may be missing."""

    styles: Styles
    numbering: frozenset[str]
    footnotes: etree._Element | None
    endnotes: etree._Element | None
    comments: etree._Element | None


def load_word_parts(package: Package) -> WordParts:
    """Find the body's related parts through its relationships, tolerantly."""
    main = package.main_part or ""
    by_type: dict[str, str] = {}
    for rel in package.rels(main):
        if rel.type.startswith(REL_NS + "/") and package.has(rel.target):
            by_type.setdefault(rel.type[len(REL_NS) + 1 :], rel.target)
    return WordParts(
        styles=Styles(package.optional_xml(by_type.get("styles"))),
        numbering=numbering_ids(package.optional_xml(by_type.get("numbering"))),
        footnotes=package.optional_xml(by_type.get("footnotes")),
        endnotes=package.optional_xml(by_type.get("endnotes")),
        comments=package.optional_xml(by_type.get("comments")),
    )
