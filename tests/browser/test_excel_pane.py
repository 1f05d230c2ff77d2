"""The task pane in Excel: analyze the selection, the sheet or the workbook, insights with
ranges that select their cells, cited narrative, and the analysis written to a new sheet."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import pytest

from tests.browser.conftest import Pane, excel_config

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

SALES = [
    ["Region", "Month", "Units", "Revenue"],
    ["North", 45292, 10, 1000], ["South", 45292, 8, 800], ["East", 45292, 5, 500],
    ["North", 45323, 12, 1200], ["South", 45323, 7, 700], ["East", 45323, 5, "#DIV/0!"],
    ["North", 45352, 15, 1500], ["South", 45352, 6, 600],
]
SHEET = "My Sales"


def sales_config(**overrides: Any) -> dict[str, Any]:
    """Excel with SALES at B3:E11 of the sheet 'My Sales', all of it selected."""
    return excel_config(**{
        "sheets": {SHEET: {"address": "B3:E11", "values": SALES},
                   "Notes": {"address": "A1", "values": [["hello"]]}},
        "activeSheet": SHEET,
        "selectedRange": {"sheet": SHEET, "address": "B3:E11", "values": SALES},
        **overrides,
    })


def analyze(pane: Pane, question: str = "") -> None:
    if question:
        pane.page.fill("#question", question)
    pane.page.click("#run")
    expect(pane.page.locator("#status")).to_have_text("Done.", timeout=20_000)


def test_insights_are_listed_and_select_their_cells(open_pane) -> None:
    pane = open_pane(sales_config())
    page = pane.page
    page.fill("#question", "total units by region")
    with page.expect_request("**/api/v1/analyze") as sent:
        page.click("#run")
    expect(page.locator("#status")).to_have_text("Done.")
    assert json.loads(sent.value.post_data) == {
        "sheets": [{"name": SHEET, "address": "B3:E11", "values": SALES}],
        "question": "total units by region",
    }
    expected = pane.app.test_client().post("/api/v1/analyze", json={
        "sheets": [{"name": SHEET, "address": "B3:E11", "values": SALES}],
        "question": "total units by region"}).json
    items = page.locator("#insights > li")
    expect(items).to_have_count(len(expected["insights"]))
    for item, insight in zip(items.all(), expected["insights"], strict=True):
        expect(item.locator("strong")).to_have_text(insight["title"])
        expect(item.locator(".badge")).to_have_text(insight["severity"].capitalize())
        expect(item.locator("button.range")).to_have_text(insight["range"])
    error = next(i for i in expected["insights"] if i["kind"] == "error")
    assert error["range"] == f"'{SHEET}'!E9"
    page.locator("#insights button.range", has_text="E9").click()
    [selected] = pane.wait_calls("Range.select")
    assert selected == {"api": "Range.select", "sheet": SHEET, "address": "E9", "synced": True}
    assert pane.calls("Worksheets.getItem")[-1]["name"] == SHEET

    assert "Total Units by Region" in pane.answer_text()
    page.locator("#answer button.cite[data-cite='1']").click()
    selects = pane.wait_calls("Range.select", 2)
    first = next(i for i in expected["insights"] if i["n"] == 1)
    assert f"'{SHEET}'!{selects[-1]['address']}" == first["range"]


def test_the_analysis_is_written_to_a_new_sheet(open_pane) -> None:
    pane = open_pane(sales_config())
    analyze(pane)
    page = pane.page
    page.click("#write-sheet")
    expect(page.locator("#action-status")).to_have_text("Written to the sheet “Analysis”.")
    assert [c["name"] for c in pane.calls("Worksheets.add")] == ["Analysis"]
    writes = {c["address"]: c for c in pane.wait_calls("Range.values", 3)}
    assert all(w["sheet"] == "Analysis" and w["synced"] for w in writes.values())
    assert writes["A1"]["values"] == [["Summary"]]
    expected = pane.app.test_client().post("/api/v1/analyze", json={
        "sheets": [{"name": SHEET, "address": "B3:E11", "values": SALES}]}).json
    assert writes["A2"]["values"] == [[expected["narrative"].strip()]]  # with its [n]
    assert "[1]" in expected["narrative"]
    rows = len(expected["insights"])
    table = writes[f"A4:E{4 + rows}"]["values"]
    assert table[0] == ["#", "Title", "Detail", "Range", "Severity"]
    assert [row[0] for row in table[1:]] == list(range(1, rows + 1))
    assert any(row[3] == f"'{SHEET}'!E9" and row[4] == "Critical" for row in table[1:])

    page.click("#write-sheet")  # a second time: a new name, the first sheet is kept
    expect(page.locator("#action-status")).to_have_text("Written to the sheet “Analysis 2”.")
    assert [c["name"] for c in pane.calls("Worksheets.add")] == ["Analysis", "Analysis 2"]


def test_sheet_scope_sends_the_used_range(open_pane) -> None:
    pane = open_pane(sales_config(selectedRange={"sheet": SHEET, "address": "C4",
                                                 "values": [[10]]}))
    page = pane.page
    page.check("input[name=excel-scope][value=sheet]")
    with page.expect_request("**/api/v1/analyze") as sent:
        page.click("#run")
    expect(page.locator("#status")).to_have_text("Done.")
    assert json.loads(sent.value.post_data)["sheets"] == [
        {"name": SHEET, "address": "B3:E11", "values": SALES}]
    assert pane.calls("Worksheet.getUsedRange")[0]["sheet"] == SHEET


def test_workbook_scope_sends_the_file(open_pane) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Budget"
    sheet.append(["Team", "Spend"])
    for i in range(40):
        sheet.append([f"Team {i % 4}", 100 + i * (3 if i % 4 else -2)])
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    pane = open_pane(sales_config(file=base64.b64encode(data).decode(), maxSlice=2048))
    page = pane.page
    page.check("input[name=excel-scope][value=workbook]")
    with page.expect_request("**/api/v1/analyze**") as sent:
        page.click("#run")
    expect(page.locator("#status")).to_have_text("Done.")
    assert sent.value.post_data_buffer == data
    assert sent.value.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert len(pane.calls("File.closeAsync")) == 1
    expect(page.locator("#insights button.range").first).to_contain_text("Budget!")


def test_a_blank_sheet_is_said_so(open_pane) -> None:
    pane = open_pane(sales_config(sheets={"Empty": {"address": "A1", "values": [[""]]}},
                                  activeSheet="Empty"))
    pane.page.check("input[name=excel-scope][value=sheet]")
    pane.page.click("#run")
    expect(pane.page.locator("#error")).to_have_text("This sheet has no data to analyze.")
