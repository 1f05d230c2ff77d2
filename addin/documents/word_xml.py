"""WordprocessingML vocabulary (Clark-notation tag names, precomputed so the walk compares
strings instead of running XPath) and the small tree helpers the body walk uses."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from addin.documents.word_package import W_VAL, W, int_or_none

_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_M = "{http://schemas.openxmlformats.org/officeDocument/2006/math}"

BODY, P, TBL, TR, TC = W + "body", W + "p", W + "tbl", W + "tr", W + "tc"
SDT, SDT_CONTENT, CUSTOM_XML = W + "sdt", W + "sdtContent", W + "customXml"
INS, DEL, MOVE_TO, MOVE_FROM = W + "ins", W + "del", W + "moveTo", W + "moveFrom"
R, T, TAB, PTAB, BR, CR = W + "r", W + "t", W + "tab", W + "ptab", W + "br", W + "cr"
NO_BREAK_HYPHEN, FLD_CHAR, FLD_TYPE = W + "noBreakHyphen", W + "fldChar", W + "fldCharType"
FOOTNOTE_REF, ENDNOTE_REF = W + "footnoteReference", W + "endnoteReference"
COMMENT_REF, COMMENT_START = W + "commentReference", W + "commentRangeStart"
DRAWING, PICT, OBJECT, TXBX = W + "drawing", W + "pict", W + "object", W + "txbxContent"
RUBY, RUBY_BASE, PPR, PSTYLE = W + "ruby", W + "rubyBase", W + "pPr", W + "pStyle"
TC_PR, GRID_SPAN, W_ID, W_TYPE = W + "tcPr", W + "gridSpan", W + "id", W + "type"
ALT, CHOICE, FALLBACK = _MC + "AlternateContent", _MC + "Choice", _MC + "Fallback"
OMATH, OMATH_PARA, M_T = _M + "oMath", _M + "oMathPara", _M + "t"

# Inline elements never read: properties, deleted text, and empty markers.
INLINE_SKIP = frozenset({PPR, DEL, MOVE_FROM, W + "rPr", W + "bookmarkStart",
                          W + "bookmarkEnd", W + "proofErr", W + "commentRangeEnd"})
BOX_CARRIERS = frozenset({DRAWING, PICT, OBJECT, ALT})
BLOCK_WRAPPERS = frozenset({CUSTOM_XML, INS, MOVE_TO, SDT_CONTENT})
_MAX_GRID_SPAN = 64  # Word allows 63 columns; a hostile gridSpan must not allocate millions


def choice(alternate: etree._Element) -> etree._Element | None:
    """The one branch of an mc:AlternateContent to read: the first Choice, else Fallback."""
    fallback = None
    for child in alternate:
        if child.tag == CHOICE:
            return child
        if child.tag == FALLBACK and fallback is None:
            fallback = child
    return fallback


def math_text(el: etree._Element) -> str:
    """The visible characters of an equation, in order."""
    return "".join(t.text or "" for t in el.iter(M_T))


def find_boxes(el: etree._Element, boxes: list[etree._Element]) -> None:
    """Collect the outermost w:txbxContent under ``el``, reading one AlternateContent branch.

    A text box drawn by Word 2010+ sits in mc:Choice (wps:txbx) and again, as VML, in
    mc:Fallback; reading one branch keeps its text once.
    """
    if el.tag == ALT:
        branch = choice(el)
        if branch is None:
            return
        el = branch
    for child in el:
        if child.tag == TXBX:
            boxes.append(child)
        elif isinstance(child.tag, str):
            find_boxes(child, boxes)


def first_child(el: etree._Element, tag: str) -> etree._Element | None:
    """``el``'s first child when it has ``tag``: where Word puts w:pPr, w:tcPr, w:rPr."""
    for child in el:
        return child if child.tag == tag else None
    return None


def grid_span(tc: etree._Element) -> int:
    """How many grid columns a cell spans (1 when unset or nonsense)."""
    tc_pr = first_child(tc, TC_PR)
    if tc_pr is None:
        return 1
    for child in tc_pr:
        if child.tag == GRID_SPAN:
            span = int_or_none(child.get(W_VAL)) or 1
            return min(max(span, 1), _MAX_GRID_SPAN)
    return 1


def wrapped(el: etree._Element, tag: str) -> Iterator[etree._Element]:
    """Children with ``tag``, looking through content controls and custom XML wrappers."""
    for child in el:
        child_tag = child.tag
        if child_tag == tag:
            yield child
        elif child_tag == SDT:
            content = child.find(SDT_CONTENT)
            if content is not None:
                yield from wrapped(content, tag)
        elif child_tag in (CUSTOM_XML, INS, MOVE_TO):
            yield from wrapped(child, tag)
