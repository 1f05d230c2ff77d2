"""The task pane's values path: ranges of cell values become a Workbook whose addresses
are the user's real cells; bad shapes are 400s that say what is wrong."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from addin.documents import workbook_from_values
from addin.documents.workbook import CellError
from addin.errors import BadRequest, PayloadTooLarge

SALES = [
    ["Region", "Amount", "Ratio", "Day"],
    ["North", 1250.5, 0.25, "2024-01-05"],
    ["South", 980, "#DIV/0!", "2024-01-06"],
    ["East", 1500.25, 0.5, "2024-01-07T09:30:00"],
]


def test_addresses_start_at_the_ranges_first_cell() -> None:
    workbook = workbook_from_values([{"name": "Sales", "address": "Sales!B3:E6",
                                      "values": SALES}])
    assert workbook.source == "values"
    sheet = workbook.sheets[0]
    assert sheet.name == "Sales" and sheet.used_range == "B3:E6"
    table = sheet.tables[0]
    assert (table.address, table.header_row, table.data_address) == ("B3:E6", 3, "B4:E6")
    assert table.column_address(1) == "C4:C6"
    assert table.cell_address(1, 2) == "D5"
    assert sheet.errors == [("D5", CellError("#DIV/0!"))]
    assert workbook.range_exists("Sales!C4:C6") and not workbook.range_exists("Sales!A1")


def test_values_are_typed() -> None:
    table = workbook_from_values([{"address": "A1:D4", "values": SALES}]).sheets[0].tables[0]
    region, amount, ratio, day = table.columns
    assert (region.kind, amount.kind, day.kind) == ("text", "number", "date")
    assert amount.values == [1250.5, 980, 1500.25]
    assert ratio.values == [0.25, CellError("#DIV/0!"), 0.5]
    assert ratio.mix == {"number": 2, "error": 1}
    assert day.values == [date(2024, 1, 5), date(2024, 1, 6), datetime(2024, 1, 7, 9, 30)]


def test_serial_dates_stay_numbers_and_empty_cells_are_none() -> None:
    values = [["When", "Note"], [45296, ""], [45297.5, None], [45298, "x"]]
    table = workbook_from_values([{"address": "A1", "values": values}]).sheets[0].tables[0]
    assert table.columns[0].values == [45296, 45297.5, 45298]
    assert table.columns[1].values == [None, None, "x"]


def test_sheet_name_comes_from_the_address_or_a_default() -> None:
    workbook = workbook_from_values([
        {"address": "'My Sheet'!A1:B2", "values": [["a", "b"], [1, 2]]},
        {"values": [["c", "d"], [3, 4]]},
    ])
    assert [s.name for s in workbook.sheets] == ["My Sheet", "Sheet2"]
    assert workbook.range_exists("'My Sheet'!B2")


def test_ranges_of_one_sheet_share_it() -> None:
    workbook = workbook_from_values([
        {"name": "Data", "address": "A1:B3", "values": [["x", "y"], [1, 2], [3, 4]]},
        {"name": "Data", "address": "E10:F12", "values": [["p", "q"], [5, 6], [7, 8]]},
    ])
    sheet = workbook.sheets[0]
    assert len(workbook.sheets) == 1 and sheet.used_range == "A1:F12"
    assert [t.address for t in sheet.tables] == ["A1:B3", "E10:F12"]


@pytest.mark.parametrize(("sheets", "words"), [
    ([], "non-empty list"),
    ({"name": "x"}, "non-empty list"),
    (["Sheet1"], "must be an object"),
    ([{"values": "abc"}], "list of rows"),
    ([{"values": [[1, 2], 3]}], "values[1] must be a list"),
    ([{"values": [[1, 2], [3]]}], "differ in length"),
    ([{"values": [[1, {"a": 1}]]}], "values[0][1] must be a number"),
    ([{"values": [[1, [2]]]}], "must be a number"),
    ([{"values": [[float("nan")]]}], "finite"),
    ([{"address": "Z", "values": [[1]]}], "not a range"),
    ([{"address": 5, "values": [[1]]}], "address must be a string"),
    ([{"name": 7, "values": [[1]]}], "name must be a string"),
    ([{"address": "A1:B5", "values": [[1, 2]]}], "is 1 x 2 but"),
    ([{"name": "A", "address": "B!A1", "values": [[1]]}], "differ"),
])
def test_bad_shapes_are_400(sheets: Any, words: str) -> None:
    with pytest.raises(BadRequest) as caught:
        workbook_from_values(sheets)
    assert caught.value.status == 400 and words in caught.value.message


def test_too_many_cells_is_413() -> None:
    row = [1] * 1000
    with pytest.raises(PayloadTooLarge):
        workbook_from_values([{"values": [row] * 5001}])


def test_an_empty_range_gives_an_empty_sheet() -> None:
    workbook = workbook_from_values([{"name": "Empty", "address": "A1", "values": []}])
    assert workbook.sheets[0].is_empty and workbook.is_empty
