"""The Excel reader: values, types, tables, errors, formulas and the hostile-input rules,
on workbooks built here with openpyxl (known values at known addresses) and on the corpus."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from addin.documents import Limits, read_document, read_workbook
from addin.documents.excel_formats import builtin_format, classify_format
from addin.documents.excel_tables import Grid, find_tables
from addin.documents.workbook import CellError, DataTable, Workbook
from addin.errors import AddinError, PayloadTooLarge, UnreadableDocument, UnsupportedMediaType
from tests.helpers import corpus_file, corpus_files

openpyxl = pytest.importorskip("openpyxl")

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


def save(book: Any) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def edit_zip(data: bytes, edits: dict[str, Callable[[bytes], bytes]],
             add: dict[str, bytes] | None = None) -> bytes:
    """Copy a package, passing the named members through their edit and adding others."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            content = src.read(name)
            dst.writestr(name, edits[name](content) if name in edits else content)
        for name, content in (add or {}).items():
            dst.writestr(name, content)
    return out.getvalue()


def table_named(workbook: Workbook, name: str) -> DataTable:
    return next(t for t in workbook.tables if t.name == name)


# ------------------------------------------------------------------ a typical workbook


@pytest.fixture(scope="module")
def sales() -> Workbook:
    """Dates, text, currency, percent, booleans and a formula column with a cached #DIV/0!
    at F4; a second sheet with an error value typed in at B2."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sales"
    sheet.append(["Date", "Region", "Amount", "Share", "Paid", "Per unit", "Units"])
    rows = [(date(2024, 1, 5), "North", 1250.5, 0.25, True, 4),
            (date(2024, 1, 6), "South", 980.0, 0.125, False, 0),
            (date(2024, 1, 7), "East", 1500.25, 0.5, True, 0),
            (date(2024, 1, 8), "West", 720.0, 0.125, True, 6)]
    for i, (day, region, amount, share, paid, units) in enumerate(rows, start=2):
        sheet.append([day, region, amount, share, paid, f"=C{i}/G{i}", units])
        sheet.cell(i, 1).number_format = "yyyy-mm-dd"
        sheet.cell(i, 3).number_format = '"$"#,##0.00'
        sheet.cell(i, 4).number_format = "0.0%"
    other = book.create_sheet("Checks")
    other.append(["Name", "Value"])
    other.append(["ratio", "#N/A"])  # openpyxl stores error texts as error cells
    data = save(book)

    def cached_values(xml: bytes) -> bytes:
        xml = xml.replace(b'<c r="F2"><f>C2/G2</f><v></v></c>',
                          b'<c r="F2"><f>C2/G2</f><v>312.625</v></c>')
        return re.sub(rb'<c r="F([34])"><f>(C\d/G\d)</f><v></v></c>',
                      rb'<c r="F\1" t="e"><f>\2</f><v>#DIV/0!</v></c>', xml)

    data = edit_zip(data, {"xl/worksheets/sheet1.xml": cached_values})
    return read_workbook(data, "sales.xlsx", Limits())


def test_sheets_and_used_range(sales: Workbook) -> None:
    assert [s.name for s in sales.sheets] == ["Sales", "Checks"]
    assert sales.source == "xlsx" and not sales.date1904
    assert sales.sheet("Sales").used_range == "A1:G5"  # type: ignore[union-attr]
    assert sales.sheet("sales") is sales.sheets[0]  # Excel sheet names ignore case


def test_typed_columns(sales: Workbook) -> None:
    table = sales.sheets[0].tables[0]
    assert (table.address, table.header_row, table.data_address) == ("A1:G5", 1, "A2:G5")
    kinds = {c.name: c.kind for c in table.columns}
    assert kinds == {"Date": "date", "Region": "text", "Amount": "currency", "Share": "percent",
                     "Paid": "boolean", "Per unit": "number", "Units": "number"}
    amount = table.column("Amount")
    assert amount is not None and amount.currency == "$"
    assert amount.values == [1250.5, 980, 1500.25, 720]
    assert table.columns[0].values[0] == date(2024, 1, 5)
    assert table.columns[3].number_format == "0.0%"
    assert table.columns[6].values == [4, 0, 0, 6] and type(table.columns[6].values[0]) is int


def test_errors_have_addresses_and_appear_in_columns(sales: Workbook) -> None:
    sheet = sales.sheets[0]
    assert sheet.errors == [("F3", CellError("#DIV/0!")), ("F4", CellError("#DIV/0!"))]
    per_unit = sheet.tables[0].columns[5]
    assert per_unit.values == [312.625, CellError("#DIV/0!"), CellError("#DIV/0!"), None]
    assert per_unit.mix == {"number": 1, "error": 2}
    assert sales.sheets[1].errors == [("B2", CellError("#N/A"))]


def test_formulas_with_text_and_cached_values(sales: Workbook) -> None:
    sheet = sales.sheets[0]
    assert sheet.formula_count == 4
    by_address = {f.address: f for f in sheet.formulas}
    assert by_address["F2"].formula == "=C2/G2" and by_address["F2"].value == 312.625
    assert by_address["F3"].value == CellError("#DIV/0!")


def test_addresses_of_a_table(sales: Workbook) -> None:
    table = sales.sheets[0].tables[0]
    assert table.column_address(2) == "C2:C5"
    assert table.cell_address(2, 5) == "F4"
    assert table.row_count == 4
    with pytest.raises(IndexError):
        table.cell_address(4, 0)


@pytest.mark.parametrize(("ref", "exists"), [
    ("Sales!A1:G5", True), ("'Sales'!C3", True), ("B2:C9", False), ("C2:C5", True),
    ("Sales!H1", False), ("Nope!A1", False), ("Checks!B2", True), ("not a ref", False),
])
def test_range_exists(sales: Workbook, ref: str, exists: bool) -> None:
    assert sales.range_exists(ref) is exists


def test_range_exists_with_a_default_sheet(sales: Workbook) -> None:
    assert sales.range_exists("A1:B2", default_sheet="Checks")
    assert not sales.range_exists("A1:C2", default_sheet="Checks")


# ------------------------------------------------------------------ dates


def test_1904_dates_read_as_the_same_calendar_dates() -> None:
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    def build(epoch: Any) -> bytes:
        book = openpyxl.Workbook()
        book.epoch = epoch
        book.active.append(["When", "Stamp"])
        book.active.append([date(2024, 3, 15), datetime(2023, 12, 31, 18, 30)])
        book.active["A2"].number_format = "yyyy-mm-dd"
        book.active["B2"].number_format = "yyyy-mm-dd hh:mm"
        return save(book)

    data_1904 = build(CALENDAR_MAC_1904)
    with zipfile.ZipFile(io.BytesIO(data_1904)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml")
    assert b"<v>43904</v>" in sheet_xml  # the 1904 serial (45366 - 1462)
    workbook = read_workbook(data_1904, "mac.xlsx")
    assert workbook.date1904
    columns = workbook.sheets[0].tables[0].columns
    assert columns[0].values == [date(2024, 3, 15)]
    assert columns[1].values == [datetime(2023, 12, 31, 18, 30)]
    standard = read_workbook(build(openpyxl.utils.datetime.CALENDAR_WINDOWS_1900))
    assert not standard.date1904
    assert standard.sheets[0].tables[0].columns[0].values == [date(2024, 3, 15)]


# ------------------------------------------------------------------ tables


def test_two_tables_on_one_sheet_with_a_title_and_merged_cells() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"] = "Quarterly report"
    sheet.merge_cells("A1:C1")
    for row in (["Region", "Q1", "Q2"], ["North", 10, 12], ["South", 7, 9]):
        sheet.append(row)  # rows 2-4
    sheet.append([])
    sheet.append([])
    for row in ([1, 2.5], [2, 3.5], [3, 4.5]):
        sheet.append(row)  # rows 7-9, no header
    for r, row in enumerate((["Name", "Score"], ["Ann", 3], ["Bob", 5]), start=2):
        for c, value in enumerate(row, start=6):
            sheet.cell(r, c, value)  # F2:G4, beside the first table
    workbook = read_workbook(save(book))
    tables = workbook.sheets[0].tables
    assert [t.address for t in tables] == ["A2:C4", "F2:G4", "A7:B9"]
    assert tables[0].title == "Quarterly report" and tables[0].header_row == 2
    assert [c.name for c in tables[0].columns] == ["Region", "Q1", "Q2"]
    assert tables[1].columns[1].values == [3, 5]
    assert tables[2].header_row == 0 and tables[2].data_address == "A7:B9"
    assert [c.name for c in tables[2].columns] == ["Column A", "Column B"]
    assert workbook.sheets[0].merged == ["A1:C1"]


def test_excel_table_keeps_its_name_and_totals_row_is_not_data() -> None:
    from openpyxl.worksheet.table import Table

    book = openpyxl.Workbook()
    sheet = book.active
    for row in (["Item", "Cost"], ["Rent", 800], ["Power", 120], ["Total", 920]):
        sheet.append(row)
    table = Table(displayName="Expenses", ref="A1:B4")
    table.totalsRowCount = 1
    sheet.add_table(table)
    workbook = read_workbook(save(book))
    expenses = table_named(workbook, "Expenses")
    assert (expenses.address, expenses.data_address) == ("A1:B3", "A2:B3")
    assert expenses.columns[1].values == [800, 120]
    assert len(workbook.tables) == 1  # the totals row is no table of its own


def test_currency_and_mixed_columns() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Price", "Note", "Count"])
    for price, note, count in ((9.5, "ok", 1), (12.0, 3, 2), (7.25, "late", 3)):
        sheet.append([price, note, count])
    for r in range(2, 5):
        sheet.cell(r, 1).number_format = "#,##0.00 [$€-407]"
    columns = read_workbook(save(book)).sheets[0].tables[0].columns
    assert (columns[0].kind, columns[0].currency) == ("currency", "€")
    assert (columns[1].kind, columns[1].mix) == ("mixed", {"text": 2, "number": 1})
    assert columns[2].kind == "number"


@pytest.mark.parametrize(("code", "expected"), [
    ("General", ("general", None)), ("0.00", ("number", None)), ("0%", ("percent", None)),
    ("0.00%;[Red]-0.00%", ("percent", None)), ('"$"#,##0.00', ("currency", "$")),
    ("[$€-407] #,##0.00", ("currency", "€")), ("#,##0 [$EUR]", ("currency", "EUR")),
    ("£#,##0", ("currency", "£")), ("[$-409]dddd, mmmm dd, yyyy", ("date", None)),
    ("yyyy-mm-dd", ("date", None)), ("m/d/yy h:mm", ("date", None)), ("h:mm", ("time", None)),
    ("[h]:mm:ss", ("time", None)), ("h:mm AM/PM", ("time", None)), ("mm:ss.0", ("time", None)),
    ("0.00E+00", ("number", None)), ("@", ("text", None)), ("#,##0 ;(#,##0)", ("number", None)),
])
def test_number_format_classes(code: str, expected: tuple[str, str | None]) -> None:
    assert classify_format(code) == expected


def test_builtin_currency_and_date_formats() -> None:
    assert classify_format(builtin_format(7)) == ("currency", "$")
    assert classify_format(builtin_format(44)) == ("currency", "$")
    assert classify_format(builtin_format(43))[0] == "currency"  # accounting, no symbol
    assert classify_format(builtin_format(14))[0] == "date"
    assert classify_format(builtin_format(31))[0] == "date"  # a CJK-locale date id


def test_crafted_nesting_does_not_recurse_without_end() -> None:
    """Nested L shapes, each cut needing the next: a thousand levels without the cap."""
    n = 1200
    rows = [[""] * n for _ in range(n)]
    r = c = 0
    while r < n - 2 and c < n - 2:
        for i in range(r, n):
            rows[i][c] = 1
        c += 2
        for j in range(c, n):
            rows[r][j] = 2
        r += 2
    assert find_tables("Spiral", Grid(1, 1, rows))


# ------------------------------------------------------------------ sheets of all kinds


def test_hidden_very_hidden_and_chart_sheets() -> None:
    book = openpyxl.Workbook()
    book.active.append(["x", "y"])
    book.active.append([1, 2])
    hidden = book.create_sheet("Hidden")
    hidden.sheet_state = "hidden"
    very = book.create_sheet("Secret")
    very.sheet_state = "veryHidden"
    very["A1"] = 1
    book.create_chartsheet("Chart")
    sheets = read_workbook(save(book)).sheets
    assert [(s.name, s.state, s.kind) for s in sheets] == [
        ("Sheet", "visible", "worksheet"), ("Hidden", "hidden", "worksheet"),
        ("Secret", "veryHidden", "worksheet"), ("Chart", "visible", "chartsheet")]
    assert sheets[3].tables == [] and sheets[3].used_range == ""
    assert sheets[1].is_empty and sheets[2].used_range == "A1"


def test_external_links_are_noted_not_followed() -> None:
    book = openpyxl.Workbook()
    book.active["A1"] = 5
    link = (f'<externalLink xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><externalBook r:id="rId1">'
            '<sheetNames><sheetName val="Prices"/></sheetNames></externalBook></externalLink>')
    link_rels = (f'<Relationships xmlns="{PKG_NS}"><Relationship Id="rId1" Type="{REL_NS}/'
                 'externalLinkPath" Target="file:///C:/Data/prices.xlsx" TargetMode="External"/>'
                 "</Relationships>")

    def wire(rels: bytes) -> bytes:
        return rels.replace(b"</Relationships>", (
            f'<Relationship Id="rId99" Type="{REL_NS}/externalLink" '
            'Target="externalLinks/externalLink1.xml"/></Relationships>').encode())

    data = edit_zip(save(book), {"xl/_rels/workbook.xml.rels": wire}, add={
        "xl/externalLinks/externalLink1.xml": link.encode(),
        "xl/externalLinks/_rels/externalLink1.xml.rels": link_rels.encode()})
    assert read_workbook(data).external_links == ["file:///C:/Data/prices.xlsx"]


def with_macro_sheet(data: bytes, sheet_xml: bytes | None = None) -> bytes:
    """Add an Excel 4 macro sheet, which makes calamine refuse the whole workbook."""
    macro = (f'<xm:macrosheet xmlns:xm="{MAIN_NS}"><xm:sheetData/></xm:macrosheet>').encode()

    def declare(workbook_xml: bytes) -> bytes:
        return workbook_xml.replace(b"</sheets>", (
            f'<sheet xmlns:r="{REL_NS}" name="Macro1" sheetId="9" r:id="rId98"/></sheets>'
        ).encode())

    def relate(rels: bytes) -> bytes:
        return rels.replace(b"</Relationships>", (
            b'<Relationship Id="rId98" Type="http://schemas.microsoft.com/office/2006/'
            b'relationships/xlMacrosheet" Target="macrosheets/sheet1.xml"/></Relationships>'
        ))

    edits = {"xl/workbook.xml": declare, "xl/_rels/workbook.xml.rels": relate}
    if sheet_xml is not None:
        edits["xl/worksheets/sheet1.xml"] = lambda _: sheet_xml
    return edit_zip(data, edits, add={"xl/macrosheets/sheet1.xml": macro})


def test_macro_sheet_makes_calamine_fail_and_values_are_read_from_xml() -> None:
    book = openpyxl.Workbook()
    book.active.append(["Name", "Qty"])
    book.active.append(["bolts", 40])
    workbook = read_workbook(with_macro_sheet(save(book)), "macro.xlsm")
    assert [s.name for s in workbook.sheets] == ["Sheet"]  # the macro sheet isn't listed
    assert workbook.sheets[0].tables[0].columns[1].values == [40]


def test_xml_fallback_reads_every_cell_type_and_the_1904_system() -> None:
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    book = openpyxl.Workbook()
    book.epoch = CALENDAR_MAC_1904
    book.active["A1"] = date(2024, 1, 1)
    book.active["A1"].number_format = "yyyy-mm-dd"  # makes style 1 a date style
    rows = [
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Kind</t></is></c>'
        '<c r="B1" t="inlineStr"><is><r><t>Val</t></r><r><t>ue</t></r></is></c></row>',
        '<row r="2"><c r="A2" t="str"><v>number</v></c><c r="B2"><v>2.5</v></c></row>',
        '<row r="3"><c r="A3" t="str"><v>bool</v></c><c r="B3" t="b"><v>1</v></c></row>',
        '<row r="4"><c r="A4" t="str"><v>error</v></c><c r="B4" t="e"><v>#REF!</v></c></row>',
        '<row r="5"><c r="A5" t="str"><v>iso</v></c><c r="B5" t="d"><v>2024-02-29</v></c></row>',
        '<row r="6"><c r="A6" t="str"><v>serial</v></c><c r="B6" s="1"><v>43904</v></c></row>',
        '<row r="0"><c r="A0"><v>9</v></c></row>',  # invalid: skipped, not misplaced
    ]
    sheet_xml = f'<worksheet xmlns="{MAIN_NS}"><sheetData>{"".join(rows)}</sheetData></worksheet>'
    workbook = read_workbook(with_macro_sheet(save(book), sheet_xml.encode()))
    sheet = workbook.sheets[0]
    assert workbook.date1904 and sheet.used_range == "A1:B6"
    value = sheet.tables[0].columns[1]
    assert value.name == "Value"
    assert value.values == [2.5, True, CellError("#REF!"), date(2024, 2, 29), date(2024, 3, 15)]
    assert sheet.errors == [("B4", CellError("#REF!"))]


# ------------------------------------------------------------------ refusals


def simple_book() -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["a", "b"])
    book.active.append([1, 2])
    return save(book)


def test_word_documents_are_refused_with_a_pointer_to_summarize(make: Any) -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        read_workbook(make.docx(make.para("Hello")), "notes.docx")
    assert "Summarize" in caught.value.message


def test_read_document_refuses_workbooks_with_a_pointer_to_analyze() -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        read_document(simple_book(), "book.xlsx")
    assert caught.value.status == 415 and "Analyze" in caught.value.message


def test_encrypted_and_legacy_workbooks(make: Any) -> None:
    encrypted = make.cfb({"EncryptionInfo": b"\x04\x00", "EncryptedPackage": b"x"})
    with pytest.raises(UnreadableDocument) as caught:
        read_workbook(encrypted, None)
    assert caught.value.code == "document_encrypted" and "Excel" in caught.value.message
    with pytest.raises(UnsupportedMediaType) as legacy:
        read_workbook(make.cfb({"Workbook": b"\x09\x08"}), "old.xls")
    assert legacy.value.code == "legacy_format" and ".xlsx" in legacy.value.message


@pytest.mark.parametrize("data", [b"", b"PK\x05\x06" + bytes(18), b"not a workbook at all"])
def test_empty_and_invalid_bytes(data: bytes) -> None:
    with pytest.raises(AddinError) as caught:
        read_workbook(data, "x.xlsx")
    assert 400 <= caught.value.status < 500


def test_truncated_workbook_is_unreadable() -> None:
    data = simple_book()
    with pytest.raises(UnreadableDocument):
        read_workbook(data[: len(data) // 2], "cut.xlsx")


def test_malformed_sheet_xml_is_unreadable() -> None:
    data = edit_zip(simple_book(), {"xl/worksheets/sheet1.xml":
                                    lambda xml: xml.replace(b"</sheetData>", b"")})
    with pytest.raises(UnreadableDocument) as caught:
        read_workbook(data)
    assert caught.value.code == "corrupt_document"


BOMB = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>')


@pytest.mark.parametrize("part", ["xl/sharedStrings.xml", "xl/worksheets/sheet1.xml",
                                  "xl/styles.xml"])
def test_entity_declarations_are_refused_in_every_part(part: str) -> None:
    book = openpyxl.Workbook()
    book.active["A1"] = "text"  # gives a sharedStrings part
    data = save(book)

    def poison(xml: bytes) -> bytes:
        return BOMB + re.sub(rb"^<\?xml[^>]*\?>", b"", xml)

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if part not in archive.namelist():
            data = edit_zip(data, {}, add={part: b"<sst/>"})
    with pytest.raises(UnreadableDocument) as caught:
        read_workbook(edit_zip(data, {part: poison}))
    assert caught.value.code == "xml_entities_forbidden"


def test_doctype_hidden_in_utf16_is_refused() -> None:
    def utf16(xml: bytes) -> bytes:
        body = re.sub(r"^<\?xml[^>]*\?>", "", xml.decode())
        return ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY e "e">]>'
                + body).encode("utf-16")

    data = edit_zip(simple_book(), {"xl/worksheets/sheet1.xml": utf16})
    with pytest.raises(UnreadableDocument) as caught:
        read_workbook(data)
    assert caught.value.code == "xml_entities_forbidden"


def test_zip_bomb_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(simple_book())) as src, \
            zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            dst.writestr(name, src.read(name))
        dst.writestr("xl/media/zeros.xml", bytes(40 * 1024 * 1024))
    limits = Limits(max_decompressed_bytes=20 * 1024 * 1024)
    with pytest.raises(PayloadTooLarge) as caught:
        read_workbook(buffer.getvalue(), "bomb.xlsx", limits)
    assert caught.value.code == "decompressed_too_large"


def test_far_apart_cells_are_refused_before_calamine_allocates_them() -> None:
    """Cells at A1 and XFD1048576 would make calamine allocate 17 billion cells (abort)."""
    data = edit_zip(simple_book(), {"xl/worksheets/sheet1.xml":
                                    lambda xml: xml.replace(b'r="B2"', b'r="XFD1048576"')})
    with pytest.raises(PayloadTooLarge) as caught:
        read_workbook(data)
    assert caught.value.code == "sheet_too_large"


# ------------------------------------------------------------------ the corpus

CORPUS = corpus_files("xlsx")


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_every_corpus_file_reads_or_fails_cleanly(path: Path) -> None:
    try:
        workbook = read_workbook(path.read_bytes(), path.name)
    except AddinError as exc:
        assert 400 <= exc.status < 500
        return
    assert workbook.sheets
    for sheet in workbook.sheets:
        for table in sheet.tables:
            assert all(len(c.values) == table.row_count for c in table.columns)
            assert workbook.range_exists(f"'{sheet.name}'!{table.address}".replace(
                "'" + sheet.name + "'", "'" + sheet.name.replace("'", "''") + "'"))


def read_corpus(name: str) -> Workbook:
    path = corpus_file("xlsx", name)
    return read_workbook(path.read_bytes(), name)


def corpus_error(name: str) -> AddinError:
    path = corpus_file("xlsx", name)
    with pytest.raises(AddinError) as caught:
        read_workbook(path.read_bytes(), name)
    return caught.value


@pytest.mark.parametrize("name", ["poi_encrypted_VelvetSweatshop.xlsx",
                                  "poi_encrypted_password-is-tika.xlsx",
                                  "poi_encrypted_pwd123.xlsx"])
def test_corpus_encrypted(name: str) -> None:
    error = corpus_error(name)
    assert (error.status, error.code) == (422, "document_encrypted")
    assert "Excel" in error.message


def test_corpus_billion_laughs() -> None:
    error = corpus_error("poi_poc-xmlbomb_billion_laughs.xlsx")
    assert (error.status, error.code) == (422, "xml_entities_forbidden")


def test_corpus_invalid_22_bytes() -> None:
    assert corpus_error("poi_invalid_22_bytes.xlsx").status == 422


def test_corpus_strict_ooxml_has_the_transitional_values() -> None:
    workbook = read_corpus("poi_SampleSS.strict.xlsx")
    assert workbook.source == "xlsx-strict"
    assert [s.name for s in workbook.sheets] == ["First Sheet", "Sheet Number 2", "Sheet3"]
    first, second = workbook.sheets[0], workbook.sheets[1]
    assert first.used_range == "A1:B4"
    assert first.tables[0].columns[1].values == ["2nd row 2nd column"]
    numbers = second.tables[-1]
    assert [c.name for c in numbers.columns] == ["cb=1", "cb=10", "cb=2", "cb=sum"]
    assert [c.values[0] for c in numbers.columns] == [1, 10, 2, 13]
    assert second.formulas[0].address == "D7" and second.formulas[0].formula == "=SUM(A7:C7)"


def test_corpus_1904_dates() -> None:
    workbook = read_corpus("poi_DateFormatTests.xlsx")
    assert workbook.date1904
    value = workbook.sheet("Tests").tables[0].column("Value")  # type: ignore[union-attr]
    assert value is not None and value.kind == "date"
    assert value.values[0] == datetime(1952, 10, 11, 14, 35, 27)


def test_corpus_iso_date_cells() -> None:
    column = read_corpus("calamine_date_iso_t_d_cells.xlsx").tables[0].columns[0]
    assert date(2021, 1, 1) in column.values


def test_corpus_chart_sheet() -> None:
    sheets = read_corpus("poi_chart_sheet.xlsx").sheets
    charts = [(s.name, s.kind) for s in sheets if s.kind == "chartsheet"]
    assert charts == [("Chart1", "chartsheet")]


def test_corpus_hidden_sheets() -> None:
    sheets = read_corpus("sheetjs_sheet_visibility_hidden_veryhidden.xlsx").sheets
    assert [s.state for s in sheets] == ["visible", "hidden", "veryHidden"]


def test_corpus_external_links() -> None:
    assert read_corpus("poi_link-external-workbook-b.xlsx").external_links == [
        "link-external-workbook-a.xlsx"]
    assert len(read_corpus("poi_46535_errors_extlink.xlsx").external_links) >= 2


def test_corpus_error_types() -> None:
    sheet = read_corpus("sheetjs_ErrorTypes.xlsx").sheets[0]
    codes = {error.code for _, error in sheet.errors}
    assert {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"} <= codes
    assert ("A2", CellError("#NULL!")) in sheet.errors


def test_corpus_table_with_title() -> None:
    table = read_corpus("docling_libreoffice_table_with_title.xlsx").tables[0]
    assert table.title == "Number of freshwater ducks per year"
    assert (table.address, [c.name for c in table.columns]) == (
        "B4:C10", ["Year", "Freshwater Ducks"])
    assert table.columns[0].values[0] == 2019


def test_corpus_named_tables() -> None:
    workbook = read_corpus("poi_simple-monthly-budget.xlsx")
    income = table_named(workbook, "tblIncome")
    assert income.address == "B4:C7" and income.title == "MONTHLY INCOME"
    assert income.columns[1].kind == "currency"


def test_corpus_one_megabyte_string_reads() -> None:
    table = read_corpus("poi_poc-shared-strings_1MB_string.xlsx").tables[0]
    assert len(table.columns[0].values[0]) > 1_000_000  # type: ignore[arg-type]


def test_corpus_excel4_macro_sheet_workbook_still_reads() -> None:
    workbook = read_corpus("poi_xlmmacro_excel4_macro_sheet.xlsm")
    assert workbook.source == "xlsm"
    assert [s.name for s in workbook.sheets] == ["Sheet1", "Sheet2"]
