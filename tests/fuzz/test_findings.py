"""What fuzzing found, kept as plain regression tests (each once a 500)."""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from addin.documents import CellError, Limits, read_workbook
from tests.fuzz import mutations

# --- schemathesis --------------------------------------------------------------------------


def test_a_form_field_whose_name_cannot_be_read_is_a_400(client: FlaskClient) -> None:
    """Werkzeug names such a multipart field None; sorting it with another unknown option's
    name raised TypeError."""
    response = client.post("/api/v1/summarize", data={
        "a\rb": "1", "other": "2",
        "file": (io.BytesIO(b"PK\x05\x06" + b"\x00" * 18), "a.docx")})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_option"


@pytest.mark.parametrize("fallbacks", [1.5, True, {"local": 1}])
def test_fallbacks_that_are_not_a_list_are_a_400(client: FlaskClient, fallbacks: object) -> None:
    """A number as fallbacks was unpacked with * before the catalog check (TypeError)."""
    response = client.put("/api/v1/admin/features/summarize", json={"fallbacks": fallbacks})
    assert response.status_code == 400
    assert "fallbacks" in response.json["error"]["message"]


BIG = "1" + "0" * 400  # a JSON integer no float holds


@pytest.mark.parametrize(("method", "path", "body"), [
    ("put", "/api/v1/admin/features/summarize", f'{{"max_output_tokens": {2**70}}}'),
    ("post", "/api/v1/admin/providers",
     f'{{"id": "p", "kind": "openai", "model": "m", "context_window": {2**70}}}'),
    ("post", "/api/v1/admin/providers",
     f'{{"id": "p", "kind": "openai", "model": "m", "price_in_per_mtok": {BIG}}}'),
    ("post", "/api/v1/admin/providers",
     f'{{"id": "p", "kind": "openai", "model": "m", "timeout_s": {BIG}}}'),
    ("put", "/api/v1/admin/limits", f'{{"budgets": {{"summarize": {BIG}}}}}'),
], ids=["max_output_tokens 2**70", "context_window 2**70", "price 1e400", "timeout 1e400",
        "budget 1e400"])
def test_numbers_past_the_stores_range_are_a_400(client: FlaskClient, method: str, path: str,
                                                  body: str) -> None:
    """The catalog check had no upper bounds: SQLite refused the integer (OverflowError) or
    SQLAlchemy the float (StatementError); the budget's round(float(...)) overflowed."""
    response = getattr(client, method)(path, data=body, content_type="application/json")
    assert response.status_code == 400, response.json


# --- reader fuzzing: numbers Excel can't hold, and numbers the statistics can't square -------


def _workbook_with(value: str) -> bytes:
    """The generated seed workbook with every cell value of its first sheet set to ``value``."""
    members = dict(mutations.unzip(mutations.seeds("xlsx")[0][1]))
    sheet = members["xl/worksheets/sheet1.xml"]
    members["xl/worksheets/sheet1.xml"] = re.sub(rb"<v>[-0-9.Ee+]+</v>",
                                                 b"<v>" + value.encode() + b"</v>", sheet)
    return mutations.rezip(list(members.items()))


@pytest.mark.parametrize("value", ["inf", "-INF", "NaN", "1e400", "9" * 400, "-1e308"])
def test_numbers_excel_cannot_hold_read_as_num_errors(client: FlaskClient, value: str) -> None:
    """inf and NaN reached the statistics (int(inf): OverflowError; fsum: OverflowError)."""
    data = _workbook_with(value)
    sheet = read_workbook(data, "w.xlsx", Limits()).sheets[0]
    assert ("D4", CellError("#NUM!")) in sheet.errors  # a Revenue cell
    values = [v for table in sheet.tables for column in table.columns for v in column.values]
    assert CellError("#NUM!") in values
    assert not any(isinstance(v, float) and not math.isfinite(v) for v in values)
    response = client.post("/api/v1/analyze", data={"file": (io.BytesIO(data), "w.xlsx")})
    assert response.status_code == 200, response.json


@pytest.mark.parametrize("value", ["1e200", "-9e307", "1.4e154"])
def test_numbers_too_large_to_analyze_are_a_422(client: FlaskClient, value: str) -> None:
    """Excel holds them, but their squares (and sums) overflow: a clear 422, not a 500."""
    response = client.post("/api/v1/analyze",
                           data={"file": (io.BytesIO(_workbook_with(value)), "w.xlsx")})
    assert response.status_code == 422
    assert response.json["error"]["code"] == "numbers_too_large"


@pytest.mark.parametrize(("cell", "status"), [("1" + "0" * 400, 400), ("-" + "9" * 320, 400),
                                              ("1e200", 422)])
def test_huge_numbers_sent_as_values(client: FlaskClient, cell: str, status: int) -> None:
    """A JSON integer past the float range reached float() in the statistics."""
    body = ('{"sheets": [{"name": "S", "address": "A1", "values": [["Year", "Amount"], '
            f'[2001, {cell}], [2002, {cell}], [2003, 5]]}}]}}')
    response = client.post("/api/v1/analyze", data=body, content_type="application/json")
    assert response.status_code == status, response.json


def _seed_with(part: str, edit: Callable[[bytes], bytes]) -> bytes:
    members = dict(mutations.unzip(mutations.seeds("xlsx")[0][1]))
    members[part] = edit(members[part])
    return mutations.rezip(list(members.items()))


@pytest.mark.parametrize("edit", [
    lambda xml: re.sub(rb"(<sheet [^>]*/>)", lambda m: m.group(1) * 501, xml, count=1),
    lambda xml: xml.replace(b'name="Sales"', b'name="' + b"S" * 1000 + b'"'),
], ids=["501 sheets", "a 1000-character sheet name"])
def test_the_offline_analysis_of_odd_workbooks_fits_the_schema(
        client: FlaskClient, edit: Callable[[bytes], bytes]) -> None:
    """The offline narrative (every sheet named) outgrew AnalysisOut's 4000 characters, and
    an insight's title its 160: pydantic's ValidationError."""
    data = _seed_with("xl/workbook.xml", edit)
    response = client.post("/api/v1/analyze", data={"file": (io.BytesIO(data), "w.xlsx")})
    assert response.status_code == 200, response.json
    assert 0 < len(response.json["narrative"]) <= 4000


def test_a_cell_past_the_last_column_is_left_out(client: FlaskClient) -> None:
    """calamine reads r="XFE3" (one column past XFD); the used range A1:XFE8 then failed to
    parse when the answer's ranges were checked (ValueError)."""
    data = _seed_with("xl/worksheets/sheet1.xml",
                      lambda xml: xml.replace(b'r="A3"', b'r="XFE3"', 1))
    sheet = read_workbook(data, "w.xlsx", Limits()).sheets[0]
    assert sheet.used_range == "A1:F8"
    response = client.post("/api/v1/analyze", data={"file": (io.BytesIO(data), "w.xlsx")})
    assert response.status_code == 200, response.json


def test_values_past_the_last_cell_are_a_400(client: FlaskClient) -> None:
    response = client.post("/api/v1/analyze", json={"sheets": [
        {"name": "S", "address": "XFC1", "values": [["a", "b", "c"], [1, 2, 3]]}]})
    assert response.status_code == 400
    assert "XFD1048576" in response.json["error"]["message"]


def test_a_blank_number_above_a_totals_row(client: FlaskClient) -> None:
    """The profile cut the totals row but kept the reader's type counts, so the blank cell
    was taken for a number (sorted([None, 1, ...]): TypeError). Found on a pivot table with
    one cell removed; any such table does it."""
    values = [["Region", "Units"], ["North", 1], ["South", None], ["East", 3], ["West", 4],
              ["Total", 8]]
    response = client.post("/api/v1/analyze", json={"sheets": [
        {"name": "S", "address": "A1:B6", "values": values}]})
    assert response.status_code == 200, response.json
    assert "totals row" in response.json["narrative"]
