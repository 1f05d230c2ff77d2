"""Reading Word packages: what a user sees in Word must come out, once, in order, with the
paragraph ids the task pane uses to select text in Word."""

from __future__ import annotations

import io
import re
import time
import zipfile

import pytest

from addin.documents import Document, Limits, read_document
from addin.errors import AddinError, UnsupportedMediaType
from tests.helpers import corpus_files

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
ID_PATTERN = re.compile(r"p\d+|tb\d+\.\d+|(fn|en|cm)-?\d+\.\d+")
DOCM = "application/vnd.ms-word.document.macroEnabled.main+xml"
DOTX = "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"
DOTM = "application/vnd.ms-word.template.macroEnabledTemplate.main+xml"


def texts(document: Document) -> list[str]:
    return [p.text for p in document.paragraphs]


def by_id(document: Document) -> dict[str, str]:
    return {p.id: p.text for p in document.paragraphs}


# ------------------------------------------------------------------ paragraphs & ids


def test_plain_paragraphs_in_order_with_whitespace_normalised(make) -> None:
    data = make.python_docx(lambda d: [d.add_paragraph(t) for t in
                                       ("First  paragraph ", "  Second\tone", "Third")])
    document = read_document(data, "plain.docx")
    assert texts(document) == ["First paragraph", "Second one", "Third"]
    assert [p.id for p in document.paragraphs] == ["p0", "p1", "p2"]
    assert document.source == "docx"
    assert document.word_count() == 5


def test_empty_paragraphs_keep_their_number(make) -> None:
    document = read_document(make.docx(
        make.para("one") + make.para() + "<w:p><w:r><w:t> </w:t></w:r></w:p>" + make.para("four")))
    assert by_id(document) == {"p0": "one", "p3": "four"}
    assert "p1" not in document


def test_tabs_breaks_and_hyphens(make) -> None:
    document = read_document(make.docx(
        "<w:p><w:r><w:t>a</w:t><w:tab/><w:t>b</w:t><w:br/><w:t>c</w:t><w:cr/><w:t>d</w:t>"
        "<w:t>e</w:t><w:noBreakHyphen/><w:t>mail</w:t><w:softHyphen/></w:r></w:p>"))
    assert texts(document) == ["a b c de-mail"]


def test_hyperlinks_smart_tags_and_inline_content_controls_are_read(make) -> None:
    document = read_document(make.docx(
        '<w:p><w:hyperlink r:id="rIdX"><w:r><w:t>link</w:t></w:r></w:hyperlink>'
        '<w:smartTag w:uri="u" w:element="place"><w:r><w:t xml:space="preserve"> Paris</w:t>'
        '</w:r></w:smartTag><w:sdt><w:sdtPr><w:alias w:val="Name"/></w:sdtPr><w:sdtContent>'
        '<w:r><w:t xml:space="preserve"> filled in</w:t></w:r></w:sdtContent></w:sdt></w:p>'))
    assert texts(document) == ["link Paris filled in"]


def test_block_content_controls_and_custom_xml_count_as_body_paragraphs(make) -> None:
    document = read_document(make.docx(
        make.para("before") + "<w:sdt><w:sdtPr/><w:sdtContent>" + make.para("inside control")
        + "</w:sdtContent></w:sdt><w:customXml w:element='x'>" + make.para("inside xml")
        + "</w:customXml>" + make.para("after")))
    assert by_id(document) == {"p0": "before", "p1": "inside control", "p2": "inside xml",
                               "p3": "after"}


def test_tracked_changes_keep_insertions_and_drop_deletions(make) -> None:
    document = read_document(make.docx(
        '<w:p><w:r><w:t xml:space="preserve">The </w:t></w:r>'
        '<w:del w:id="1" w:author="A"><w:r><w:delText>old </w:delText></w:r></w:del>'
        '<w:ins w:id="2" w:author="A"><w:r><w:t xml:space="preserve">new </w:t></w:r></w:ins>'
        '<w:moveFrom w:id="3" w:author="A"><w:r><w:t>moved-away </w:t></w:r></w:moveFrom>'
        '<w:r><w:t>text</w:t></w:r><w:moveTo w:id="4" w:author="A"><w:r>'
        '<w:t xml:space="preserve"> moved-here</w:t></w:r></w:moveTo></w:p>'))
    assert texts(document) == ["The new text moved-here"]


def test_field_instructions_are_hidden_but_results_kept(make) -> None:
    def field(instruction: str, result: str) -> str:
        return ('<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
                f'<w:r><w:instrText xml:space="preserve"> {instruction} </w:instrText></w:r>'
                '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
                f"<w:r><w:t>{result}</w:t></w:r>"
                '<w:r><w:fldChar w:fldCharType="end"/></w:r>')

    nested = ('<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText>IF </w:instrText>'
              "</w:r>" + field("DATE", "2024") + '<w:r><w:instrText> = 1 "x"</w:instrText></w:r>'
              '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>outer</w:t></w:r>'
              '<w:r><w:fldChar w:fldCharType="end"/></w:r>')
    document = read_document(make.docx(
        "<w:p><w:r><w:t xml:space='preserve'>By </w:t></w:r>" + field("AUTHOR \\* Upper", "ANNA")
        + "</w:p><w:p>" + nested + "</w:p>"
        + '<w:p><w:fldSimple w:instr=" PAGE "><w:r><w:t>7</w:t></w:r></w:fldSimple></w:p>'))
    assert texts(document) == ["By ANNA", "outer", "7"]


def test_field_result_spanning_paragraphs_like_a_toc(make) -> None:
    document = read_document(make.docx(
        '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText>TOC \\o "1-3"'
        '</w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>'
        "<w:r><w:t>Intro 1</w:t></w:r></w:p>"
        '<w:p><w:r><w:t>Method 2</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
        + make.para("Body")))
    assert texts(document) == ["Intro 1", "Method 2", "Body"]


def test_unterminated_field_instruction_hides_at_most_its_paragraph(make) -> None:
    document = read_document(make.docx(
        '<w:p><w:r><w:t xml:space="preserve">Kept </w:t></w:r><w:r>'
        '<w:fldChar w:fldCharType="begin"/></w:r><w:r><w:t>hidden</w:t></w:r></w:p>'
        + make.para("Next paragraph")))
    assert texts(document) == ["Kept", "Next paragraph"]


def test_equations_contribute_their_text(make) -> None:
    document = read_document(make.docx(
        '<w:p><w:r><w:t xml:space="preserve">Energy: </w:t></w:r><m:oMath><m:r><m:t>E=m</m:t>'
        "</m:r><m:sSup><m:e><m:r><m:t>c</m:t></m:r></m:e><m:sup><m:r><m:t>2</m:t></m:r>"
        "</m:sup></m:sSup></m:oMath></w:p>"))
    assert texts(document) == ["Energy: E=mc2"]


# ------------------------------------------------------------------ headings & sections


def test_headings_from_styles_make_sections_with_paths(make) -> None:
    def build(d) -> None:
        d.add_paragraph("Preamble text")
        d.add_heading("Chapter One", 1)
        d.add_paragraph("Intro text")
        d.add_heading("Part A", 2)
        d.add_paragraph("A text")
        d.add_heading("Chapter Two", 1)
        d.add_paragraph("Two text")

    document = read_document(make.python_docx(build))
    headings = [(p.text, p.kind, p.level, p.style) for p in document.paragraphs
                if p.kind == "heading"]
    assert headings == [("Chapter One", "heading", 1, "Heading 1"),
                        ("Part A", "heading", 2, "Heading 2"),
                        ("Chapter Two", "heading", 1, "Heading 1")]
    sections = document.sections
    assert [(s.index, s.title, s.level, s.heading_id) for s in sections] == [
        (0, "", 0, None), (1, "Chapter One", 1, "p1"), (2, "Part A", 2, "p3"),
        (3, "Chapter Two", 1, "p5")]
    assert sections[2].path == ("Chapter One", "Part A")
    assert sections[3].path == ("Chapter Two",)
    assert sections[0].paragraph_ids == ["p0"] and sections[2].paragraph_ids == ["p4"]
    assert [p.section for p in document.paragraphs] == [0, 1, 1, 2, 2, 3, 3]


def test_outline_levels_make_headings_directly_or_through_a_style(make) -> None:
    styles = make.styles(
        '<w:style w:type="paragraph" w:styleId="Chapter"><w:name w:val="Chapter"/>'
        '<w:pPr><w:outlineLvl w:val="0"/></w:pPr></w:style>'
        '<w:style w:type="paragraph" w:styleId="SubChapter"><w:name w:val="Sub Chapter"/>'
        '<w:basedOn w:val="Heading2"/></w:style>')
    document = read_document(make.docx(
        make.para("By style outline", style="Chapter")
        + make.para("Direct outline", ppr='<w:outlineLvl w:val="2"/>')
        + make.para("Inherited heading 2", style="SubChapter")
        + make.para("Heading style forced to body", style="Heading1",
                    ppr='<w:outlineLvl w:val="9"/>'),
        parts={"styles": styles}))
    assert [(p.kind, p.level) for p in document.paragraphs] == [
        ("heading", 1), ("heading", 3), ("heading", 2), ("body", 0)]
    assert document.paragraphs[2].style == "Sub Chapter"


def test_localised_style_ids_use_the_builtin_english_name(make) -> None:
    styles = make.styles('<w:style w:type="paragraph" w:styleId="berschrift1">'
                         '<w:name w:val="heading 1"/></w:style>')
    document = read_document(make.docx(make.para("Einleitung", style="berschrift1"),
                                       parts={"styles": styles}))
    assert (document.paragraphs[0].kind, document.paragraphs[0].style) == ("heading", "Heading 1")


def test_title_names_the_document_but_does_not_start_a_section(make) -> None:
    body = make.para("Annual Report", style="Title") + make.para("Summary") \
        + make.para("Results", style="Heading1")
    document = read_document(make.docx(body))
    assert document.paragraphs[0].kind == "title"
    assert document.title == "Annual Report"
    assert [s.title for s in document.sections] == ["", "Results"]
    assert read_document(make.docx(body, core={"title": "Official"})).title == "Official"


def test_a_heading_styled_paragraph_of_prose_is_body_text(make) -> None:
    prose = "This is a long sentence that someone styled as a heading for emphasis. " * 3
    document = read_document(make.docx(make.para(prose, style="Heading1")
                                       + make.para("Real heading", style="Heading1")))
    assert [p.kind for p in document.paragraphs] == ["body", "heading"]
    assert len(document.sections) == 2


def test_style_cycles_do_not_hang(make) -> None:
    styles = make.styles(
        '<w:style w:type="paragraph" w:styleId="A"><w:name w:val="A"/><w:basedOn w:val="B"/>'
        '</w:style><w:style w:type="paragraph" w:styleId="B"><w:name w:val="B"/>'
        '<w:basedOn w:val="A"/></w:style>')
    document = read_document(make.docx(make.para("loop", style="A"), parts={"styles": styles}))
    assert document.paragraphs[0].kind == "body"


# ------------------------------------------------------------------ lists


def test_lists_with_levels(make) -> None:
    numbering = (f'{make.XML_DECL}<w:numbering {make.NAMESPACES}><w:abstractNum '
                 'w:abstractNumId="0"/><w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>'
                 "</w:numbering>")
    styles = make.styles('<w:style w:type="paragraph" w:styleId="Bullets"><w:name w:val="Bullets"/>'
                         '<w:pPr><w:numPr><w:numId w:val="1"/></w:numPr></w:pPr></w:style>')

    def item(text: str, ilvl: int, num_id: int = 1) -> str:
        return make.para(text, ppr=f'<w:numPr><w:ilvl w:val="{ilvl}"/>'
                                   f'<w:numId w:val="{num_id}"/></w:numPr>')

    document = read_document(make.docx(
        item("top", 0) + item("nested", 1) + item("deeper", 2)
        + item("numbering switched off", 0, num_id=0) + item("undefined list", 0, num_id=9)
        + make.para("from style", style="Bullets"),
        parts={"styles": styles, "numbering": numbering}))
    assert [(p.text, p.kind, p.level) for p in document.paragraphs] == [
        ("top", "list", 0), ("nested", "list", 1), ("deeper", "list", 2),
        ("numbering switched off", "body", 0), ("undefined list", "body", 0),
        ("from style", "list", 0)]


def test_python_docx_list_styles_are_lists(make) -> None:
    document = read_document(make.python_docx(
        lambda d: [d.add_paragraph("one", style="List Number"),
                   d.add_paragraph("two", style="List Bullet")]))
    assert [p.kind for p in document.paragraphs] == ["list", "list"]


# ------------------------------------------------------------------ tables


def _cell(*texts: str, tcpr: str = "") -> str:
    paragraphs = "".join(f"<w:p><w:r><w:t>{t}</w:t></w:r></w:p>" for t in texts) or "<w:p/>"
    return f"<w:tc>{f'<w:tcPr>{tcpr}</w:tcPr>' if tcpr else ''}{paragraphs}</w:tc>"


def test_text_only_in_tables(make) -> None:
    table = ("<w:tbl><w:tr>" + _cell("Name") + _cell("Role") + "</w:tr><w:tr>"
             + _cell("Ada") + _cell("Engineer", "Lead") + "</w:tr></w:tbl>")
    document = read_document(make.docx(table + "<w:p/>"))
    assert texts(document) == ["Name", "Role", "Ada", "Engineer", "Lead"]
    assert {p.kind for p in document.paragraphs} == {"table"}
    assert {p.table for p in document.paragraphs} == {"t0"}
    [t0] = document.tables
    assert t0.rows == [["Name", "Role"], ["Ada", "Engineer\nLead"]]
    assert t0.paragraph_ids == ["p0", "p1", "p2", "p3", "p4"]
    assert document.word_count() == 5


def test_merged_cells_are_not_duplicated_and_ragged_rows_stay_ragged(make) -> None:
    table = ("<w:tbl>"
             "<w:tr>" + _cell("Wide", tcpr='<w:gridSpan w:val="2"/>') + _cell("C") + "</w:tr>"
             "<w:tr>" + _cell("Tall", tcpr='<w:vMerge w:val="restart"/>') + _cell("B")
             + _cell("C2") + "</w:tr>"
             "<w:tr>" + _cell(tcpr="<w:vMerge/>") + _cell("B3") + "</w:tr>"
             "<w:tr>" + _cell("Only") + "</w:tr>"
             "<w:tr>" + _cell("Bad span", tcpr='<w:gridSpan w:val="99999999"/>') + "</w:tr>"
             "</w:tbl>")
    document = read_document(make.docx(table))
    rows = document.tables[0].rows
    assert rows[:4] == [["Wide", "", "C"], ["Tall", "B", "C2"], ["", "B3"], ["Only"]]
    assert len(rows[4]) <= 64  # a hostile gridSpan can't allocate millions of cells
    assert texts(document).count("Wide") == 1 and texts(document).count("Tall") == 1


def test_nested_tables_are_tables_of_their_own(make) -> None:
    inner = "<w:tbl><w:tr>" + _cell("inner 1") + _cell("inner 2") + "</w:tr></w:tbl>"
    outer = ("<w:tbl><w:tr><w:tc><w:p><w:r><w:t>outer</w:t></w:r></w:p>" + inner
             + "<w:p/></w:tc>" + _cell("right") + "</w:tr></w:tbl>")
    document = read_document(make.docx(make.para("before") + outer + make.para("after")))
    assert by_id(document) == {"p0": "before", "p1": "outer", "p2": "inner 1", "p3": "inner 2",
                               "p5": "right", "p6": "after"}
    outer_table, inner_table = document.tables
    assert (outer_table.id, inner_table.id) == ("t0", "t1")
    assert outer_table.rows == [["outer", "right"]]
    assert inner_table.rows == [["inner 1", "inner 2"]]
    assert document.paragraph("p2").table == "t1" and document.paragraph("p5").table == "t0"
    assert document.paragraph("p6").kind == "body"


def test_tables_take_their_section(make) -> None:
    data = make.python_docx(lambda d: (d.add_heading("Data", 1),
                                       d.add_table(rows=1, cols=2).rows[0].cells[0]
                                       .paragraphs[0].add_run("x")))
    document = read_document(data)
    assert document.tables[0].section == 1
    assert document.paragraph("p1").section == 1


# ------------------------------------------------------------------ text boxes


def _text_box(text: str) -> str:
    """A Word 2010+ text box: DrawingML in mc:Choice and the VML copy in mc:Fallback."""
    content = f"<w:txbxContent><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:txbxContent>"
    return ('<w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wp:anchor>'
            '<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/'
            f'wordprocessingShape"><wps:wsp><wps:txbx>{content}</wps:txbx></wps:wsp>'
            "</a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice><mc:Fallback>"
            f"<w:pict><v:shape><v:textbox>{content}</v:textbox></v:shape></w:pict>"
            "</mc:Fallback></mc:AlternateContent></w:r>")


def test_text_boxes_are_read_once_after_their_anchor(make) -> None:
    body = ('<w:p><w:r><w:t xml:space="preserve">Anchor </w:t></w:r>' + _text_box("Boxed one")
            + _text_box("Boxed two") + "</w:p>" + "<w:p>" + _text_box("In empty paragraph")
            + "</w:p>" + make.para("Next body paragraph"))
    document = read_document(make.docx(body))
    assert [(p.id, p.text, p.kind) for p in document.paragraphs] == [
        ("p0", "Anchor", "body"),
        ("tb0.0", "Boxed one", "textbox"),
        ("tb1.0", "Boxed two", "textbox"),
        ("tb2.0", "In empty paragraph", "textbox"),
        ("p2", "Next body paragraph", "body")]


def test_legacy_vml_text_box_without_alternate_content(make) -> None:
    body = ("<w:p><w:r><w:pict><v:shape><v:textbox><w:txbxContent><w:p><w:r><w:t>VML box"
            "</w:t></w:r></w:p></w:txbxContent></v:textbox></v:shape></w:pict></w:r></w:p>")
    document = read_document(make.docx(body))
    assert [(p.id, p.text) for p in document.paragraphs] == [("tb0.0", "VML box")]


# ------------------------------------------------------------------ notes & comments


def test_footnotes_endnotes_and_comments_with_anchors(make) -> None:
    body = (make.para("Intro")
            + make.para("Chapter", style="Heading1")
            + '<w:p><w:r><w:t>Claim</w:t></w:r><w:r><w:footnoteReference w:id="1"/></w:r></w:p>'
            + '<w:p><w:commentRangeStart w:id="0"/><w:r><w:t>Disputed</w:t></w:r>'
              '<w:commentRangeEnd w:id="0"/><w:r><w:commentReference w:id="0"/></w:r></w:p>'
            + '<w:p><w:r><w:t>End</w:t></w:r><w:r><w:endnoteReference w:id="2"/></w:r></w:p>')
    parts = {"footnotes": make.notes("footnote", {1: "A source."}),
             "endnotes": make.notes("endnote", {2: "Later remark.", 3: "Orphan note."}),
             "comments": make.comments({0: ("Reviewer", "Check this.")})}
    document = read_document(make.docx(body, parts=parts))
    assert [p.id for p in document.paragraphs] == [
        "p0", "p1", "p2", "p3", "p4", "fn1.0", "en2.0", "en3.0", "cm0.0"]
    notes = {n.id: n for n in document.notes}
    assert set(notes) == {"fn1", "en2", "en3", "cm0"}  # separators skipped
    assert (notes["fn1"].kind, notes["fn1"].anchor, notes["fn1"].paragraph_ids) == (
        "footnote", "p2", ["fn1.0"])
    assert notes["en2"].anchor == "p4" and notes["en3"].anchor is None
    assert (notes["cm0"].kind, notes["cm0"].anchor, notes["cm0"].author) == (
        "comment", "p3", "Reviewer")
    paragraph = document.paragraph
    assert paragraph("fn1.0").kind == "footnote" and paragraph("fn1.0").section == 1
    assert paragraph("en3.0").section == 0
    assert paragraph("cm0.0").text == "Check this." and paragraph("cm0.0").kind == "comment"
    assert paragraph("p2").text == "Claim"  # the reference mark adds no text


def test_comment_range_between_paragraphs_anchors_the_next_one(make) -> None:
    body = make.para("first") + '<w:commentRangeStart w:id="5"/>' + make.para("second")
    document = read_document(make.docx(body, parts={"comments": make.comments({5: ("A", "hm")})}))
    assert document.notes[0].anchor == "p1"


# ------------------------------------------------------------------ package flavours


@pytest.mark.parametrize(("content_type", "source"), [(DOCM, "docm"), (DOTX, "dotx"),
                                                      (DOTM, "dotm")])
def test_macro_enabled_documents_and_templates(make, content_type: str, source: str) -> None:
    def retype(name: str, data: bytes) -> bytes:
        if name == "[Content_Types].xml":
            return re.sub(rb'(PartName="/word/document.xml" ContentType=")[^"]+',
                          rb"\g<1>" + content_type.encode(), data)
        return data

    original = make.python_docx(lambda d: d.add_paragraph("Template text"))
    document = read_document(make.rewrite(original, retype))
    assert document.source == source
    assert texts(document) == ["Template text"]


_STRICT = [
    (b"http://schemas.openxmlformats.org/wordprocessingml/2006/main",
     b"http://purl.oclc.org/ooxml/wordprocessingml/main"),
    (b"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
     b"http://purl.oclc.org/ooxml/officeDocument/relationships"),
    (b"http://schemas.openxmlformats.org/drawingml/2006/main",
     b"http://purl.oclc.org/ooxml/drawingml/main"),
]


def test_strict_ooxml_reads_like_its_transitional_twin(make) -> None:
    def build(d) -> None:
        d.add_heading("Strict heading", 1)
        d.add_paragraph("Strict body")
        d.add_table(rows=1, cols=1).rows[0].cells[0].paragraphs[0].add_run("cell")

    def to_strict(name: str, data: bytes) -> bytes:
        for transitional, strict in _STRICT:
            data = data.replace(transitional, strict)
        return data

    transitional = make.python_docx(build)
    strict = read_document(make.rewrite(transitional, to_strict))
    twin = read_document(transitional)
    assert strict.source == "docx-strict"
    assert [(p.id, p.text, p.kind) for p in strict.paragraphs] == [
        (p.id, p.text, p.kind) for p in twin.paragraphs]
    assert strict.sections[1].title == "Strict heading"
    assert strict.tables[0].rows == [["cell"]]


def test_broken_anchor_relationship_is_ignored(make) -> None:
    """python-docx crashes on an internal relationship whose target is "#_Toc123"."""
    data = make.docx(make.para("Still readable"), extra_rels=(
        f'<Relationship Id="rId99" Type="{make.REL}/hyperlink" Target="#_Toc123"/>'
        f'<Relationship Id="rId98" Type="{make.REL}/image" Target="media/missing.png"/>'
        f'<Relationship Id="rId97" Type="{make.REL}/hyperlink" Target="https://example.com" '
        'TargetMode="External"/>'))
    assert texts(read_document(data)) == ["Still readable"]


def test_minimal_package_without_styles_rels_or_properties(make) -> None:
    """Like a Teams export: a Default content type, an absolute target, no docProps."""
    files = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.wordprocessingml.document.main+xml"/><Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/></Types>'),
        "_rels/.rels": ('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                        f'relationships"><Relationship Id="R1" Type="{make.REL}/officeDocument" '
                        'Target="/word/document.xml"/></Relationships>'),
        "word/document.xml": (f"<w:document {make.NAMESPACES}><w:body>{make.para('Hi')}"
                              "</w:body></w:document>"),
    }
    document = read_document(make.zip({k: v.encode() for k, v in files.items()}))
    assert texts(document) == ["Hi"]
    assert (document.properties, document.language_hint, document.title) == ({}, None, "")
    assert document.paragraphs[0].style == "Normal"


def test_damaged_optional_part_does_not_stop_reading(make) -> None:
    data = make.docx(make.para("Body survives", style="Heading1"),
                     parts={"styles": "<w:styles><broken"})
    document = read_document(data)
    assert texts(document) == ["Body survives"]


def test_properties_and_language(make) -> None:
    label = "MSIP_Label_6f2a1b3c-0000-4000-8000-000000000001_Name"
    data = make.docx(make.para("Bonjour"), parts={"styles": make.styles(lang="fr-FR")},
                     core={"title": "Rapport", "creator": "Marie"},
                     custom={label: "Confidential", "title": "custom must not win"})
    document = read_document(data)
    assert document.properties["title"] == "Rapport"
    assert document.properties["creator"] == "Marie"
    assert document.properties[label] == "Confidential"
    assert document.title == "Rapport"
    assert document.language_hint == "fr"


def test_document_part_that_is_not_a_word_body_is_corrupt(make) -> None:
    data = make.docx("", document_xml="<notWord/>")
    with pytest.raises(AddinError) as caught:
        read_document(data)
    assert caught.value.status == 422


@pytest.mark.parametrize(("files", "expected"), [
    ({"[Content_Types].xml": b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
      b'content-types"><Override PartName="/xl/workbook.xml" ContentType="application/vnd.'
      b'openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>',
      "xl/workbook.xml": b"<workbook/>"}, "Excel workbook"),
    ({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"},
     "OpenDocument"),
    ({"photo.jpg": b"\xff\xd8\xff"}, "ZIP archive"),
])
def test_zips_that_are_not_word_documents(make, files: dict[str, bytes], expected: str) -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        read_document(make.zip(files))
    assert caught.value.code == "unsupported_type"
    assert expected in caught.value.message and ".docx" in caught.value.message


# ------------------------------------------------------------------ the real-world corpus

CORPUS_FILES = [p.name for p in corpus_files("docx")]


@pytest.mark.parametrize("name", CORPUS_FILES or ["(corpus absent)"])
def test_every_corpus_file_reads_or_fails_cleanly(corpus_docx, name: str) -> None:
    data = corpus_docx(name)
    try:
        document = read_document(data, name)
    except AddinError as error:
        assert 400 <= error.status < 500 and error.message
        return
    ids = [p.id for p in document.paragraphs]
    assert len(ids) == len(set(ids))
    assert all(ID_PATTERN.fullmatch(i) for i in ids)
    assert all(p.text and p.text == p.text.strip() for p in document.paragraphs)
    assert all(0 <= p.section < len(document.sections) for p in document.paragraphs)
    listed = set(ids)
    for section in document.sections:
        assert set(section.paragraph_ids) <= listed
    for note in document.notes:
        assert set(note.paragraph_ids) <= listed


def test_corpus_macro_document(corpus_docx) -> None:
    document = read_document(corpus_docx("poi_SimpleMacro.docm"))
    assert document.source == "docm"
    assert "macro" in texts(document)[0]


def test_corpus_text_boxes(corpus_docx) -> None:
    document = read_document(corpus_docx("docling_textbox.docx"))
    boxes = [p for p in document.paragraphs if p.kind == "textbox"]
    assert len(boxes) >= 15
    assert all(p.id.startswith("tb") for p in boxes)
    assert texts(document).count("Student falls ill") == 1  # Choice and Fallback: read once
    assert all(p.kind == "body" for p in document.paragraphs if p.id.startswith("p"))


def test_corpus_teams_chat_text_comes_from_its_table(corpus_docx) -> None:
    document = read_document(corpus_docx("unstructured_teams_chat.docx"))
    assert document.tables[0].rows == [["saved-by", "Dennis Forsythe"]]
    assert "James Bond" in " ".join(texts(document))


@pytest.mark.parametrize(("name", "kind"), [
    ("docling_docx_comments.docx", "comment"), ("mammoth_footnotes.docx", "footnote"),
    ("poi_endnotes.docx", "endnote"), ("oxsdk_wgig_background_report_2005_78p.docx",
                                       "footnote")])
def test_corpus_notes_have_anchors(corpus_docx, name: str, kind: str) -> None:
    document = read_document(corpus_docx(name))
    notes = [n for n in document.notes if n.kind == kind]
    assert notes and all(n.anchor in document for n in notes if n.anchor)
    assert all(n.anchor for n in notes)


def test_corpus_comments_have_authors(corpus_docx) -> None:
    document = read_document(corpus_docx("docling_docx_comments.docx"))
    assert {n.author for n in document.notes} >= {"John Reviewer", "Jane Editor"}


def test_corpus_long_report_has_many_sections_and_is_fast(corpus_docx) -> None:
    data = corpus_docx("oxsdk_complex2005_student_report_93p.docx")
    start = time.perf_counter()
    document = read_document(data)
    elapsed = time.perf_counter() - start
    assert len(document.sections) >= 25
    assert any(s.title == "Conclusion and Outlook" for s in document.sections)
    assert document.word_count() > 15_000
    assert elapsed < 1.0  # measured ~0.03 s; generous for slow CI machines


def test_corpus_12mb_document_xml_parses(corpus_docx) -> None:
    data = corpus_docx("poi_bug65649_ru_contract_15MB_xml.docx")
    start = time.perf_counter()
    document = read_document(data)
    assert time.perf_counter() - start < 5.0  # measured ~0.5 s
    assert len(document.tables) == 21 and document.word_count() > 30_000


def test_corpus_tracked_changes_drop_deleted_text(corpus_docx) -> None:
    data = corpus_docx("poi_delins_tracked_changes.docx")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("word/document.xml").decode()
    kept = " ".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", xml))
    deleted = [d.strip() for d in re.findall(r"<w:delText[^>]*>([^<]+)</w:delText>", xml)]
    only_deleted = [d for d in deleted if len(d) >= 5 and d not in kept]
    body = " ".join(texts(read_document(data)))
    assert only_deleted
    assert not [d for d in only_deleted if d in body]


def test_corpus_utf8_bom_and_empty_documents(corpus_docx) -> None:
    assert texts(read_document(corpus_docx("mammoth_utf8-bom.docx")))
    empty = read_document(corpus_docx("mammoth_empty.docx"))
    assert empty.is_empty and empty.paragraphs == []


def test_limits_are_honoured_for_corpus_files(corpus_docx) -> None:
    data = corpus_docx("poi_bug65649_ru_contract_15MB_xml.docx")
    with pytest.raises(AddinError) as caught:
        read_document(data, limits=Limits(max_part_bytes=5 * 1024 * 1024))
    assert caught.value.status == 413
