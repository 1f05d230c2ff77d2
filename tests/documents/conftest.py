"""Builders for the documents tests: Word packages written from XML snippets, python-docx
documents, rewritten ZIPs and hand-made OLE2 (Compound File) containers.

The real-world corpus lives next to the repository (``../shared/corpus``) and is never
copied in; tests that need it skip when it is absent.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Callable, Mapping

import pytest

from tests.helpers import corpus_file

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
NAMESPACES = " ".join(
    f'xmlns:{prefix}="{uri}"'
    for prefix, uri in {
        "w": W_NS,
        "r": REL,
        "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
        "wps": "http://schemas.microsoft.com/office/word/2010/wordprocessingShape",
        "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
        "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
        "v": "urn:schemas-microsoft-com:vml",
        "m": "http://schemas.openxmlformats.org/officeDocument/2006/math",
    }.items()
)
XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

# Word's own definitions of the styles the tests use (names as Word writes them).
DEFAULT_STYLES = """
<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style>
<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/>
  <w:basedOn w:val="Normal"/></w:style>
<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/>
  <w:basedOn w:val="Normal"/></w:style>
<w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/>
  <w:basedOn w:val="Normal"/></w:style>
<w:style w:type="paragraph" w:styleId="Heading3"><w:name w:val="heading 3"/>
  <w:basedOn w:val="Normal"/></w:style>
<w:style w:type="paragraph" w:styleId="ListParagraph"><w:name w:val="List Paragraph"/>
  <w:basedOn w:val="Normal"/></w:style>
"""


def styles_xml(extra: str = "", lang: str | None = "en-US") -> str:
    """A styles.xml with Word's usual styles plus ``extra`` w:style elements."""
    defaults = (f'<w:docDefaults><w:rPrDefault><w:rPr><w:lang w:val="{lang}"/></w:rPr>'
                "</w:rPrDefault></w:docDefaults>") if lang else ""
    return f"{XML_DECL}<w:styles {NAMESPACES}>{defaults}{DEFAULT_STYLES}{extra}</w:styles>"


def para(text: str = "", style: str | None = None, ppr: str = "") -> str:
    """One w:p with a single run of ``text`` (no run when empty)."""
    style_xml = f'<w:pStyle w:val="{style}"/>' if style else ""
    props = f"<w:pPr>{style_xml}{ppr}</w:pPr>" if style or ppr else ""
    run = f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>' if text else ""
    return f"<w:p>{props}{run}</w:p>"


def notes_xml(kind: str, notes: Mapping[int, str], separators: bool = True) -> str:
    """footnotes.xml / endnotes.xml (kind "footnote"/"endnote") with Word's two separators."""
    body = ""
    if separators:
        body += (f'<w:{kind} w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r>'
                 f'</w:p></w:{kind}><w:{kind} w:type="continuationSeparator" w:id="0"><w:p>'
                 f"<w:r><w:continuationSeparator/></w:r></w:p></w:{kind}>")
    for note_id, text in notes.items():
        body += f'<w:{kind} w:id="{note_id}">{para(text)}</w:{kind}>'
    return f"{XML_DECL}<w:{kind}s {NAMESPACES}>{body}</w:{kind}s>"


def comments_xml(comments: Mapping[int, tuple[str, str]]) -> str:
    body = "".join(f'<w:comment w:id="{cid}" w:author="{author}">{para(text)}</w:comment>'
                   for cid, (author, text) in comments.items())
    return f"{XML_DECL}<w:comments {NAMESPACES}>{body}</w:comments>"


_PART_TYPES = {  # relationship type suffix and content type of optional word/ parts
    "styles": "wordprocessingml.styles+xml",
    "numbering": "wordprocessingml.numbering+xml",
    "footnotes": "wordprocessingml.footnotes+xml",
    "endnotes": "wordprocessingml.endnotes+xml",
    "comments": "wordprocessingml.comments+xml",
}


def build_docx(
    body: str,
    *,
    parts: Mapping[str, str] | None = None,
    main_type: str | None = DOCX_TYPE,
    extra_rels: str = "",
    core: Mapping[str, str] | None = None,
    custom: Mapping[str, str] | None = None,
    document_xml: str | None = None,
) -> bytes:
    """A Word package built from a body snippet. ``parts`` maps "styles", "numbering",
    "footnotes", "endnotes", "comments" to their XML; styles default to Word's usual ones."""
    parts = {"styles": styles_xml(), **(parts or {})}
    overrides = [("/word/document.xml", main_type)] if main_type else []
    doc_rels = extra_rels
    files: dict[str, str] = {}
    for n, (name, xml) in enumerate(parts.items()):
        files[f"word/{name}.xml"] = xml
        overrides.append((f"/word/{name}.xml",
                          f"application/vnd.openxmlformats-officedocument.{_PART_TYPES[name]}"))
        doc_rels += f'<Relationship Id="rIdP{n}" Type="{REL}/{name}" Target="{name}.xml"/>'
    root_rels = f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="word/document.xml"/>'
    if core:
        props = "".join(f"<dc:{k}>{v}</dc:{k}>" for k, v in core.items())
        files["docProps/core.xml"] = (
            f'{XML_DECL}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/'
            '2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"{props}</cp:coreProperties>")
        overrides.append(("/docProps/core.xml",
                          "application/vnd.openxmlformats-package.core-properties+xml"))
        root_rels += ('<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/'
                      '2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>')
    if custom:
        props = "".join(
            f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="{i + 2}" '
            f'name="{k}"><vt:lpwstr>{v}</vt:lpwstr></property>'
            for i, (k, v) in enumerate(custom.items()))
        files["docProps/custom.xml"] = (
            f'{XML_DECL}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
            'custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/'
            f'docPropsVTypes">{props}</Properties>')
        overrides.append(("/docProps/custom.xml",
                          "application/vnd.openxmlformats-officedocument.custom-properties+xml"))
        root_rels += (f'<Relationship Id="rId3" Type="{REL}/custom-properties" '
                      'Target="docProps/custom.xml"/>')
    files["word/document.xml"] = document_xml or (
        f"{XML_DECL}<w:document {NAMESPACES}><w:body>{body}<w:sectPr/></w:body></w:document>")
    files["_rels/.rels"] = _rels(root_rels)
    files["word/_rels/document.xml.rels"] = _rels(doc_rels)
    files["[Content_Types].xml"] = (
        f'{XML_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        + "".join(f'<Override PartName="{n}" ContentType="{t}"/>' for n, t in overrides)
        + "</Types>")
    return zip_bytes({name: text.encode() for name, text in files.items()})


def _rels(body: str) -> str:
    return (f'{XML_DECL}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            f'relationships">{body}</Relationships>')


def zip_bytes(files: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def rewrite_zip(data: bytes, edit: Callable[[str, bytes], bytes | None]) -> bytes:
    """Copy a ZIP, passing each member through ``edit`` (None drops the member)."""
    files = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            new = edit(name, archive.read(name))
            if new is not None:
                files[name] = new
    return zip_bytes(files)


def python_docx_bytes(build: Callable[[object], None]) -> bytes:
    """Bytes of a document made with python-docx; ``build`` adds the content."""
    docx = pytest.importorskip("docx")
    document = docx.Document()
    build(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# ------------------------------------------------------------------- OLE2 / CFB

_FREE, _END, _FATSECT, _NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def build_cfb(streams: Mapping[str, bytes]) -> bytes:
    """A minimal Compound File Binary (OLE2, version 3, 512-byte sectors) holding up to
    three root-level streams. Streams are padded to 4096 bytes so none lives in the mini
    stream. Sector 0 is the FAT, sector 1 the directory, then the streams' data."""
    assert len(streams) <= 3
    fat = [_FATSECT, _END]
    data = b""
    entries = [_dir_entry("Root Entry", 5, child=1 if streams else _NOSTREAM)]
    for index, (name, content) in enumerate(streams.items()):
        body = content.ljust(4096, b"\0")
        sectors = -(-len(body) // 512)
        start = len(fat)
        fat += [start + i + 1 for i in range(sectors - 1)] + [_END]
        data += body.ljust(sectors * 512, b"\0")
        right = index + 2 if index + 1 < len(streams) else _NOSTREAM
        entries.append(_dir_entry(name, 2, right=right, start=start, size=len(body)))
    while len(entries) < 4:
        entries.append(_dir_entry("", 0))
    assert len(fat) <= 128
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII109I", OLE2_MAGIC, b"", 0x3E, 3, 0xFFFE, 9, 6, b"",
        0, 1, 1, 0, 4096, _END, 0, _END, 0, 0, *([_FREE] * 108))
    fat_sector = struct.pack("<128I", *(fat + [_FREE] * (128 - len(fat))))
    return header + fat_sector + b"".join(entries) + data


def _dir_entry(name: str, kind: int, *, right: int = _NOSTREAM, child: int = _NOSTREAM,
               start: int = _END, size: int = 0) -> bytes:
    raw = name.encode("utf-16-le") + b"\0\0" if name else b""
    return struct.pack("<64sHBBIII16sIQQIQ", raw, len(raw), kind, 1, _NOSTREAM, right, child,
                       b"", 0, 0, 0, start, size)


@pytest.fixture
def corpus_docx() -> Callable[[str], bytes]:
    """Read one corpus .docx file by name; skip the test when the corpus is absent."""

    def read(name: str) -> bytes:
        return corpus_file("docx", name).read_bytes()

    return read


class Builders:
    """What the ``make`` fixture hands to tests (fixtures avoid importing from conftest)."""

    NAMESPACES = NAMESPACES
    XML_DECL = XML_DECL
    REL = REL
    docx = staticmethod(build_docx)
    para = staticmethod(para)
    styles = staticmethod(styles_xml)
    notes = staticmethod(notes_xml)
    comments = staticmethod(comments_xml)
    zip = staticmethod(zip_bytes)
    rewrite = staticmethod(rewrite_zip)
    python_docx = staticmethod(python_docx_bytes)
    cfb = staticmethod(build_cfb)


@pytest.fixture
def make() -> type[Builders]:
    """Builders for test files: ``make.docx(make.para("Hello"))`` and friends."""
    return Builders
