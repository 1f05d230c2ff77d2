"""Structure-aware mutations of Office packages, and the seeds they start from.

A mutation round either edits one XML part inside the ZIP (truncate it, duplicate, move or
remove an element, drop or garble attributes, write huge or nonsense numbers, insert bad
UTF-8, nest elements deeply, point relationships anywhere, send shared-string indexes out of
range, write impossible cell references...) or damages the ZIP itself (flip, insert or
delete bytes; drop, duplicate or rename members). Every choice comes from a :class:`Chooser`,
so the same code is driven by hypothesis (``tests/fuzz/test_reader_fuzz.py``, which shrinks
a failure to few choices) and by atheris (``tests/fuzz/atheris_readers.py``).
"""

from __future__ import annotations

import copy
import io
import re
import warnings
import zipfile
from collections.abc import Callable, Sequence
from functools import cache
from typing import Protocol, TypeVar

from lxml import etree

from tests.helpers import corpus_files

T = TypeVar("T")
Members = list[tuple[str, bytes]]

MAX_PART = 8 * 1024 * 1024  # a mutated part never grows past this (the test's own memory)
SEED_MAX_BYTES = 200 * 1024  # corpus files used as seeds by the short run
HUGE = ("99999999999999999999999999", "-1", "0", "-0", "1e308", "-1e308", "NaN", "inf",
        "4294967296", "2147483648", "-2147483649", "0x10", "1.5", " 7 ", "\u0661\u0662",
        "", "18446744073709551616", "9" * 400, "-" + "9" * 40, "1048577", "16385", "1e200",
        "-inf", "1.4e154", "9.99999999999999e307", "5e-324", "2958466", "60", "-693594")
CELL_REFS = ("A0", "XFD1048577", "XFE1", "ZZZZ1", "A-1", "1A", "", "a1", "$A$1", "A1048576",
             "XFD1", "A99999999999", "AAAAAAAAAAAAA1", "A1:B2", "R1C1", "A 1", "A\u0661")
TARGETS = ("", "/", "#anchor", "../../../../etc/passwd", "/etc/passwd", "http://example.invalid/x",
           "file:///etc/passwd", "C:\\Windows\\win.ini", "word/document.xml", "document.xml",
           "/xl/workbook.xml", "sheet1.xml", "worksheets/sheet1.xml", "%2e%2e/x", "x" * 5000,
           "..", ".", "//", "\\\\host\\share", "styles.xml#x", "_rels/.rels",
           "/[Content_Types].xml")
REL_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
REL_TYPES = (*(REL_TYPE + t for t in (
    "officeDocument", "styles", "numbering", "footnotes", "endnotes", "comments", "worksheet",
    "chartsheet", "sharedStrings", "table", "externalLink", "xlMacrosheet", "dialogsheet",
    "externalLinkPath", "metadata/core-properties", "custom-properties", "theme", "image")),
    "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument", "", "x")
CELL_TYPES = ("s", "str", "inlineStr", "b", "e", "d", "n", "x", "", "S")
BAD_BYTES = (b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x00", b"\xe2\x82",
             b"\x80", b"\xfe\xff", b"\xef\xbb\xbf", b"&#0;", b"&#xD800;", b"]]>", b"<", b"&")
DEPTHS = (2, 40, 120, 254, 255, 256, 300, 3000)
COPIES = (1, 2, 3, 50, 500)


class Chooser(Protocol):
    """Where the mutations' choices come from (hypothesis draws, or atheris' bytes)."""

    def integer(self, low: int, high: int) -> int: ...


def pick(chooser: Chooser, items: Sequence[T]) -> T:
    return items[chooser.integer(0, len(items) - 1)]


# --------------------------------------------------------------------------- zip


def unzip(data: bytes) -> Members:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()
                if not info.is_dir()]


def rezip(members: Members, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are one of the mutations
        with zipfile.ZipFile(buffer, "w", compression) as archive:
            for name, data in members:
                archive.writestr(name, data)
    return buffer.getvalue()


def _flip(chooser: Chooser, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(chooser.integer(1, 8)):
        at = chooser.integer(0, len(out) - 1)
        out[at] ^= chooser.integer(1, 255)
    return bytes(out)


def _insert(chooser: Chooser, data: bytes) -> bytes:
    at = chooser.integer(0, len(data))
    return data[:at] + pick(chooser, (*BAD_BYTES, b"PK\x03\x04", b"PK\x01\x02", b"\x00" * 64)) \
        + data[at:]


def _delete(chooser: Chooser, data: bytes) -> bytes:
    at = chooser.integer(0, len(data) - 1)
    return data[:at] + data[at + chooser.integer(1, 64):]


def _truncate(chooser: Chooser, data: bytes) -> bytes:
    return data[:chooser.integer(0, max(len(data) - 1, 0))]


BYTE_MUTATIONS: tuple[Callable[[Chooser, bytes], bytes], ...] = (_flip, _insert, _delete,
                                                                  _truncate)


def _member_mutation(chooser: Chooser, members: Members) -> Members:
    """Drop, duplicate, rename or add a member."""
    index = chooser.integer(0, len(members) - 1)
    name, data = members[index]
    action = chooser.integer(0, 5)
    if action == 0:
        return members[:index] + members[index + 1:]
    if action == 1:
        return [*members, (name, pick(chooser, (data, data[: len(data) // 2], b"")))]
    if action == 2:
        new = pick(chooser, (name.upper(), "/" + name, "../" + name, name + "/", name + "\x00",
                             name.replace("/", "\\")))
        return [*members[:index], (new, data), *members[index + 1:]]
    if action == 3:
        return [(name, data), *members[:index], *members[index + 1:]]
    if action == 4:
        return [*members, ("mimetype", b"application/vnd.oasis.opendocument.text")]
    return [*members, (name + ".rels", data)]


# --------------------------------------------------------------------------- xml


def _parse(data: bytes) -> etree._Element | None:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        return etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError):
        return None


def _elements(root: etree._Element, tag: str | None = None) -> list[etree._Element]:
    return [el for el in root.iter() if isinstance(el.tag, str)
            and (tag is None or el.tag.rsplit("}", 1)[-1] == tag)]


def _with_elements(chooser: Chooser, data: bytes, edit: Callable[[etree._Element], bool],
                   ) -> bytes:
    """Parse, ``edit`` the tree (False: nothing to edit), serialize; bytes unchanged else."""
    root = _parse(data)
    if root is None or not edit(root):
        return _truncate(chooser, data) if root is None else data
    out = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return out if len(out) <= MAX_PART else data


def _duplicate(chooser: Chooser, data: bytes) -> bytes:
    def edit(root: etree._Element) -> bool:
        elements = _elements(root)[1:]
        if not elements:
            return False
        element = pick(chooser, elements)
        copies = pick(chooser, COPIES)
        if len(etree.tostring(element)) * copies > MAX_PART:
            return False
        for _ in range(copies):
            element.addnext(copy.deepcopy(element))
        return True
    return _with_elements(chooser, data, edit)


def _remove(chooser: Chooser, data: bytes) -> bytes:
    def edit(root: etree._Element) -> bool:
        elements = _elements(root)[1:]
        if not elements:
            return False
        element = pick(chooser, elements)
        parent = element.getparent()
        if parent is None:
            return False
        parent.remove(element)
        return True
    return _with_elements(chooser, data, edit)


def _move(chooser: Chooser, data: bytes) -> bytes:
    """Put an element somewhere it doesn't belong (a paragraph in a run, a row in a cell)."""
    def edit(root: etree._Element) -> bool:
        elements = _elements(root)[1:]
        if len(elements) < 2:
            return False
        element, target = pick(chooser, elements), pick(chooser, _elements(root))
        if element is target or element in target.iterancestors():
            return False
        target.insert(chooser.integer(0, len(target)), element)
        return True
    return _with_elements(chooser, data, edit)


def _rename(chooser: Chooser, data: bytes) -> bytes:
    """Give an element another element's tag (same vocabulary, wrong place)."""
    def edit(root: etree._Element) -> bool:
        elements = _elements(root)
        element = pick(chooser, elements)
        element.tag = pick(chooser, elements).tag
        return True
    return _with_elements(chooser, data, edit)


def _attributes(chooser: Chooser, data: bytes) -> bytes:
    """Drop all attributes of an element, or one, or set one to a huge or odd value."""
    def edit(root: etree._Element) -> bool:
        element = pick(chooser, [el for el in _elements(root) if el.attrib] or [root])
        names = list(element.attrib)
        action = chooser.integer(0, 2)
        if action == 0 or not names:
            element.attrib.clear()
        elif action == 1:
            del element.attrib[pick(chooser, names)]
        else:
            element.set(pick(chooser, names), pick(chooser, HUGE))
        return True
    return _with_elements(chooser, data, edit)


def _numbers(chooser: Chooser, data: bytes) -> bytes:
    """Replace every run of digits (or one) in the part with a huge or odd number."""
    value = pick(chooser, HUGE).encode()
    count = 0 if chooser.integer(0, 1) else 1
    return re.sub(rb"(?<=[\">])-?[0-9]+(?:\.[0-9]+)?(?=[\"<])", lambda _: value, data,
                  count=count)


def _text(chooser: Chooser, data: bytes) -> bytes:
    """Set an element's text to something long, empty, numeric or full of control chars."""
    def edit(root: etree._Element) -> bool:
        element = pick(chooser, _elements(root))
        text = pick(chooser, ("x" * 1_000_000, "", " \t\n ", "#DIV/0!", "#N/A", "=1/0",
                              "[[Sheet1!A1]]", "\u202e\u200b", *HUGE))
        try:
            element.text = text
        except (TypeError, ValueError):
            return False
        return True
    return _with_elements(chooser, data, edit)


def _bad_utf8(chooser: Chooser, data: bytes) -> bytes:
    """Insert bytes that are not UTF-8 (or not XML) inside text or attribute values."""
    spots = [m.start() for m in re.finditer(rb">[^<]|=\"", data[:MAX_PART])]
    at = pick(chooser, spots) + 1 if spots else chooser.integer(0, len(data))
    return data[:at] + pick(chooser, BAD_BYTES) + data[at:]


def _nest(chooser: Chooser, data: bytes) -> bytes:
    """Wrap an element in many levels of its own tag (or its parent's)."""
    def edit(root: etree._Element) -> bool:
        elements = _elements(root)[1:]
        if not elements:
            return False
        element = pick(chooser, elements)
        parent = element.getparent()
        if parent is None:
            return False
        tag = pick(chooser, (element.tag, parent.tag))
        index = parent.index(element)
        outer = inner = etree.Element(tag)
        for _ in range(pick(chooser, DEPTHS) - 1):
            inner = etree.SubElement(inner, tag)
        parent.insert(index, outer)
        inner.append(element)
        return True
    return _with_elements(chooser, data, edit)


def _relationship(chooser: Chooser, data: bytes) -> bytes:
    """Point a relationship anywhere, give it another type or id, make it external."""
    def edit(root: etree._Element) -> bool:
        rels = _elements(root, "Relationship")
        if not rels:
            return False
        rel = pick(chooser, rels)
        action = chooser.integer(0, 3)
        if action == 0:
            rel.set("Target", pick(chooser, TARGETS))
        elif action == 1:
            rel.set("Type", pick(chooser, REL_TYPES))
        elif action == 2:
            rel.set("Id", pick(chooser, rels).get("Id") or "")
        else:
            rel.set("TargetMode", pick(chooser, ("External", "Internal", "")))
        return True
    return _with_elements(chooser, data, edit)


def _cells(chooser: Chooser, data: bytes) -> bytes:
    """Cells and rows with impossible references, other types, out-of-range string indexes."""
    def edit(root: etree._Element) -> bool:
        cells = _elements(root, "c") + _elements(root, "row")
        if not cells:
            return False
        cell = pick(chooser, cells)
        action = chooser.integer(0, 2)
        if action == 0:
            cell.set("r", pick(chooser, CELL_REFS) if cell.tag.endswith("}c")
                     else pick(chooser, HUGE))
        elif action == 1:
            cell.set("t", pick(chooser, CELL_TYPES))
        else:
            cell.set("t", "s")
            values = _elements(cell, "v")
            value = values[0] if values else etree.SubElement(cell, cell.tag[:-1] + "v")
            value.text = pick(chooser, ("999999999", "-1", "65536", "1.5", "x", *HUGE))
        return True
    return _with_elements(chooser, data, edit)


def _values(chooser: Chooser, data: bytes) -> bytes:
    """Write one odd number (huge, tiny, inf, NaN, a date serial out of range...) into every
    n-th cell value."""
    value, step, seen = pick(chooser, HUGE).encode(), pick(chooser, (1, 2, 3, 7)), [0]

    def replace(match: re.Match[bytes]) -> bytes:
        seen[0] += 1
        return match.group(1) + value + b"<" if seen[0] % step == 0 else match.group(0)
    return re.sub(rb"(<(?:\w+:)?v>)[^<]*<", replace, data)


XML_MUTATIONS: tuple[Callable[[Chooser, bytes], bytes], ...] = (
    _truncate, _duplicate, _remove, _move, _rename, _attributes, _numbers, _text, _bad_utf8,
    _nest, _relationship, _cells, _values)
# The parts most worth mutating; picked half the time when the package has them.
_MAIN_PARTS = re.compile(r"(document|sheet\d*|sharedStrings|workbook|styles|footnotes|comments"
                         r"|table\d*|\.rels|\[Content_Types\])(\.xml)?$", re.IGNORECASE)
_XML_NAME = re.compile(r"\.(xml|rels|vml)$", re.IGNORECASE)


def mutate(chooser: Chooser, data: bytes) -> bytes:
    """One to three mutation rounds of a package: XML parts edited, then maybe the ZIP."""
    members = unzip(data)
    xml = [i for i, (name, _) in enumerate(members) if _XML_NAME.search(name)]
    for _ in range(chooser.integer(1, 3)):
        kind = chooser.integer(0, 9)
        if kind < 8 and xml:
            main = [i for i in xml if _MAIN_PARTS.search(members[i][0])]
            index = pick(chooser, main if main and chooser.integer(0, 1) else xml)
            name, part = members[index]
            members[index] = (name, pick(chooser, XML_MUTATIONS)(chooser, part) if part else part)
        elif kind == 8 and members:
            members = _member_mutation(chooser, members)
            xml = [i for i, (name, _) in enumerate(members) if _XML_NAME.search(name)]
    stored = chooser.integer(0, 3) == 0
    out = rezip(members, zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
    if out and chooser.integer(0, 5) == 0:
        out = pick(chooser, BYTE_MUTATIONS)(chooser, out)
    return out


# --------------------------------------------------------------------------- seeds


def _generated_docx() -> bytes:
    """A python-docx document with headings, a list, a table and a core title."""
    import docx

    document = docx.Document()
    document.core_properties.title = "Fuzz seed"
    document.add_paragraph("Quarterly report", style="Title")
    document.add_paragraph("Summary", style="Heading 1")
    document.add_paragraph("Revenue grew 12% while costs fell. " * 3)
    document.add_paragraph("First point", style="List Bullet")
    document.add_paragraph("Second point", style="List Number")
    table = document.add_table(rows=3, cols=3)
    for r, row in enumerate(table.rows):
        for c, cell in enumerate(row.cells):
            cell.text = f"r{r}c{c}"
    table.cell(0, 0).merge(table.cell(0, 1))
    document.add_paragraph("Details", style="Heading 2")
    document.add_paragraph("The plan is on track. Risks are listed below.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_RICH_BODY = (
    '<w:p><w:pPr><w:pStyle w:val="Heading1"/><w:outlineLvl w:val="0"/></w:pPr><w:r><w:t>Rich'
    '</w:t></w:r></w:p><w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText>'
    ' PAGE </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>1'
    '</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r><w:r><w:t>Note</w:t></w:r>'
    '<w:r><w:footnoteReference w:id="1"/></w:r><w:commentRangeStart w:id="0"/><w:r>'
    '<w:commentReference w:id="0"/></w:r><w:r><w:tab/><w:br/><w:noBreakHyphen/></w:r></w:p>'
    '<w:sdt><w:sdtContent><w:p><w:pPr><w:numPr><w:ilvl w:val="1"/><w:numId w:val="1"/>'
    '</w:numPr></w:pPr><w:r><w:t>In a control</w:t></w:r></w:p></w:sdtContent></w:sdt>'
    '<w:tbl><w:tr><w:tc><w:tcPr><w:gridSpan w:val="2"/></w:tcPr><w:p><w:r><w:t>Span</w:t>'
    '</w:r></w:p><w:tbl><w:tr><w:tc><w:p><w:r><w:t>Nested</w:t></w:r></w:p></w:tc></w:tr>'
    '</w:tbl></w:tc></w:tr></w:tbl><w:p><w:r><w:drawing><mc:AlternateContent><mc:Choice '
    'Requires="wps"><w:txbxContent><w:p><w:r><w:t>Box</w:t></w:r></w:p></w:txbxContent>'
    '</mc:Choice><mc:Fallback><w:txbxContent><w:p><w:r><w:t>Box</w:t></w:r></w:p>'
    '</w:txbxContent></mc:Fallback></mc:AlternateContent></w:drawing></w:r><m:oMath><m:r>'
    '<m:t>x=1</m:t></m:r></m:oMath><w:r><w:ruby><w:rubyBase><w:r><w:t>Base</w:t></w:r>'
    '</w:rubyBase></w:ruby></w:r><w:ins><w:r><w:t>inserted</w:t></w:r></w:ins><w:del><w:r>'
    '<w:delText>gone</w:delText></w:r></w:del></w:p>')
_NS = (f'xmlns:w="{_W}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
       'relationships" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
       'xmlns:m="http://schemas.openxmlformats.org/officeDocument/2006/math"')


def _rich_docx() -> bytes:
    """The python-docx seed with fields, notes, comments, a text box, math and nesting."""
    members = dict(unzip(_generated_docx()))
    members["word/document.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {_NS}><w:body>'
        f"{_RICH_BODY}</w:body></w:document>").encode()
    members["word/footnotes.xml"] = (
        f'<w:footnotes {_NS}><w:footnote w:type="separator" w:id="-1"><w:p/></w:footnote>'
        '<w:footnote w:id="1"><w:p><w:r><w:t>A footnote.</w:t></w:r></w:p></w:footnote>'
        "</w:footnotes>").encode()
    members["word/comments.xml"] = (
        f'<w:comments {_NS}><w:comment w:id="0" w:author="Ann"><w:p><w:r><w:t>Check this.'
        "</w:t></w:r></w:p></w:comment></w:comments>").encode()
    rels = members["word/_rels/document.xml.rels"].decode()
    extra = "".join(f'<Relationship Id="rIdF{n}" Type="{REL_TYPE}{kind}" Target="{kind}.xml"/>'
                    for n, kind in enumerate(("footnotes", "comments")))
    members["word/_rels/document.xml.rels"] = rels.replace("</Relationships>",
                                                          extra + "</Relationships>").encode()
    return rezip(list(members.items()))


def _generated_xlsx() -> bytes:
    """An openpyxl workbook: a titled table with dates, money, an error, a formula, merged
    cells, an Excel table, and a second, hidden sheet."""
    from datetime import date

    from openpyxl import Workbook
    from openpyxl.worksheet.table import Table

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Sales"
    sheet["A1"] = "Sales 2024"
    sheet.merge_cells("A1:D1")
    sheet.append(["Region", "Month", "Units", "Revenue"])
    for n, region in enumerate(("North", "South", "East", "West", "North", "South")):
        sheet.append([region, date(2024, 1 + n, 1), 10 + n, 1000.5 * (n + 1)])
    sheet["D4"].number_format = '"$"#,##0.00'
    sheet["E3"] = "=D3/0"
    sheet["E2"] = "Ratio"
    sheet["F3"] = "#DIV/0!"
    sheet.add_table(Table(displayName="SalesTable", ref="A2:D8"))
    other = book.create_sheet("Hidden")
    other.sheet_state = "hidden"
    other.append(["Key", "Value"])
    other.append(["a", 1])
    other.append(["b", True])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@cache
def seeds(kind: str, max_bytes: int = SEED_MAX_BYTES) -> tuple[tuple[str, bytes], ...]:
    """(name, bytes) of the seeds of ``kind`` ("docx" or "xlsx"): generated ones, then the
    corpus files that are ZIP packages no larger than ``max_bytes`` (none when absent)."""
    generated = ([("generated.docx", _generated_docx()), ("rich.docx", _rich_docx())]
                 if kind == "docx" else [("generated.xlsx", _generated_xlsx())])
    corpus = [(path.name, path.read_bytes()) for path in corpus_files(kind)
              if path.stat().st_size <= max_bytes]
    return tuple(generated + [(name, data) for name, data in corpus
                              if data.startswith(b"PK\x03\x04") and _opens(data)])


def _opens(data: bytes) -> bool:
    try:
        unzip(data)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError,
            NotImplementedError):
        return False
    return True
