"""Stored text in a spreadsheet stays text (formula injection): the rows every .xlsx writer of
people's words appends (tickets, campaign visits, bulletins, invites, the organisation), in both
of openpyxl's modes, and the CSV export's cells."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from handlers.sheet_cells import csv_cell, csv_row, xlsx_row


@pytest.mark.parametrize("write_only", [True, False])
def test_text_starting_with_an_equals_sign_is_written_as_text_not_a_formula(write_only: bool) -> None:
    book = Workbook(write_only=write_only)
    sheet = book.create_sheet("visits")
    sheet.append(
        xlsx_row(sheet, ["=1+1", '=HYPERLINK("http://evil.example")', "正常\x01", 3, None, "=", "+1"])
    )
    sheet.append(xlsx_row(sheet, ["=SUM(A1:A9)"]))
    buffer = io.BytesIO()
    book.save(buffer)
    rows = load_workbook(buffer)["visits"]
    assert [(c.value, c.data_type) for c in rows[1]] == [
        ("=1+1", "s"),
        ('=HYPERLINK("http://evil.example")', "s"),
        ("正常", "s"),
        (3, "n"),
        (None, "n"),
        ("=", "s"),
        ("+1", "s"),
    ]
    assert (rows["A2"].value, rows["A2"].data_type) == ("=SUM(A1:A9)", "s")


def test_a_csv_cell_a_spreadsheet_would_run_starts_with_an_apostrophe() -> None:
    values = ["=1+1", "+86 138", "-2", "@SUM(A1)", "\tx", "\rx", "厦门", 5, None, ""]
    assert csv_row(values) == ["'=1+1", "'+86 138", "'-2", "'@SUM(A1)", "'\tx", "'\rx", "厦门", 5, None, ""]


@pytest.mark.parametrize(
    "text",
    [
        " =1+1",  # a leading space: spreadsheets that trim a cell read it as a formula
        "\u3000=1+1",  # the ideographic space a Chinese input method types
        "\n=1+1",
        '＝HYPERLINK("http://evil.example")',  # full-width signs, as the input method types them
        "＋86 138",
        "－2",
        "＠SUM(A1)",
        "﹦1+1",  # the small equals sign, which NFKC folds to = as well
        "  ＋1",
    ],
)
def test_a_formula_sign_behind_spaces_or_in_full_width_gets_an_apostrophe_too(text: str) -> None:
    assert csv_row([text]) == [f"'{text}"]


@pytest.mark.parametrize("text", ["厦门 = 思明", " 厦门", "　", " ", "a-b", "'plain"])
def test_text_with_a_sign_only_after_its_first_character_is_left_alone(text: str) -> None:
    assert csv_row([text]) == [text]


ROUND_TRIP = [
    "=1+1",
    "+8613900000001",
    "'=1+1",  # an apostrophe someone typed before a formula sign
    "''@x",
    "'plain",  # an apostrophe before ordinary text is the text's own
    "'",
    "''",
    "厦门",
    "　＝HYPERLINK(1)",
    "",
]


@pytest.mark.parametrize("text", ROUND_TRIP)
def test_a_csv_cell_reads_back_as_the_text_that_was_written(text: str) -> None:
    [written] = csv_row([text])
    assert isinstance(written, str)
    assert csv_cell(written) == text


@given(st.text(alphabet=st.sampled_from("'=+-@ 　＝a厦\t"), max_size=6))
def test_any_text_of_apostrophes_and_signs_reads_back_as_written(text: str) -> None:
    [written] = csv_row([text])
    assert isinstance(written, str)
    assert csv_cell(written) == text
