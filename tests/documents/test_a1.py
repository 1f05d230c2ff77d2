"""A1 references: letters, cells, ranges and sheet-qualified references."""

from __future__ import annotations

import pytest

from addin.documents.a1 import (
    cell_address,
    column_index,
    column_letter,
    format_range,
    format_ref,
    parse_cell,
    parse_range,
    quote_sheet,
    split_ref,
)


@pytest.mark.parametrize(("index", "letters"), [
    (1, "A"), (26, "Z"), (27, "AA"), (52, "AZ"), (53, "BA"), (702, "ZZ"), (703, "AAA"),
    (16384, "XFD"),
])
def test_column_letters_round_trip(index: int, letters: str) -> None:
    assert column_letter(index) == letters
    assert column_index(letters) == index
    assert column_index(letters.lower()) == index


@pytest.mark.parametrize("bad", ["", "A1", "1", "Ä", "A-"])
def test_column_index_refuses_non_letters(bad: str) -> None:
    with pytest.raises(ValueError):
        column_index(bad)


def test_column_letter_refuses_zero() -> None:
    with pytest.raises(ValueError):
        column_letter(0)


def test_cells() -> None:
    assert cell_address(7, 3) == "C7"
    assert parse_cell("C7") == (7, 3)
    assert parse_cell("$C$7") == (7, 3)
    assert parse_cell(" xfd1048576 ") == (1048576, 16384)


@pytest.mark.parametrize("bad", ["C0", "C", "7", "XFE1", "A1048577", "A1:B2", "Sheet1!A1"])
def test_parse_cell_refuses(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_cell(bad)


@pytest.mark.parametrize(("ref", "expected"), [
    ("B2:C9", (2, 2, 9, 3)),
    ("C9:B2", (2, 2, 9, 3)),  # corners normalised
    ("B2", (2, 2, 2, 2)),
    ("$A$1:$F$120", (1, 1, 120, 6)),
    ("C:C", (1, 3, 1048576, 3)),
    ("3:5", (3, 1, 5, 16384)),
])
def test_parse_range(ref: str, expected: tuple[int, int, int, int]) -> None:
    assert parse_range(ref) == expected


@pytest.mark.parametrize("bad", ["", "A1:", ":B2", "A1:B2:C3", "hello", "A0:B2"])
def test_parse_range_refuses(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_range(bad)


def test_format_range() -> None:
    assert format_range(1, 1, 120, 6) == "A1:F120"
    assert format_range(7, 3, 7, 3) == "C7"


@pytest.mark.parametrize(("name", "quoted"), [
    ("Sheet1", "Sheet1"),
    ("Data_2024", "Data_2024"),
    ("My Sheet", "'My Sheet'"),
    ("Bob's", "'Bob''s'"),
    ("A1", "'A1'"),  # would read as a cell
    ("R1C1", "'R1C1'"),
    ("2024", "'2024'"),
    ("Ventes-été", "'Ventes-été'"),
])
def test_quote_sheet(name: str, quoted: str) -> None:
    assert quote_sheet(name) == quoted
    assert split_ref(format_ref(name, "B2:C9")) == (name, "B2:C9")


@pytest.mark.parametrize(("ref", "expected"), [
    ("Sheet1!A1:C9", ("Sheet1", "A1:C9")),
    ("'My Sheet'!B2", ("My Sheet", "B2")),
    ("'Bob''s'!A1", ("Bob's", "A1")),
    ("'It!s'!A1", ("It!s", "A1")),
    ("B2:C9", (None, "B2:C9")),
])
def test_split_ref(ref: str, expected: tuple[str | None, str]) -> None:
    assert split_ref(ref) == expected


@pytest.mark.parametrize("bad", ["'Unclosed!A1", "!A1", "''!A1", "'Sheet'A1"])
def test_split_ref_refuses(bad: str) -> None:
    with pytest.raises(ValueError):
        split_ref(bad)


def test_format_ref_without_sheet() -> None:
    assert format_ref(None, "B2") == "B2"
