"""Rows of stored text for a spreadsheet. openpyxl takes any string starting with "=" for a
formula, so a demand typed as `=HYPERLINK("http://…","点此")` became a live formula in an exported
.xlsx (formula injection); such text is written as a text cell. A .csv has no cell types: there a
text starting with = + - @ or a tab or return gets a leading apostrophe, as OWASP advises, so that
a spreadsheet opening it shows the text instead of running it. Also when spaces come first or the
sign is a full-width one (＝ ＋ － ＠, what a Chinese input method types): spreadsheets that trim
a cell or fold full-width signs as they read it would run those too, and the apostrophe costs
nothing in text people wrote.

`xiaoer import` reads the organisation's CSVs back (`csv_cell`), so the apostrophe must come off
exactly where `csv_row` put it: text that already starts with an apostrophe before such a sign
gets one more, and reading takes one off only where what follows would be quoted. An export read
back is what was exported, whatever people typed."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING

from bot.domain.text import sheet_row

if TYPE_CHECKING:  # openpyxl is imported when a sheet is written, not with the command line
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet
    from openpyxl.worksheet.worksheet import Worksheet

CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_SIGNS = frozenset("=+-@")


def xlsx_row(sheet: Worksheet | WriteOnlyWorksheet, values: Iterable[object]) -> list[object]:
    """`values` for `sheet.append`: cleaned of what XML forbids, text never a formula."""
    from openpyxl.cell import Cell

    row: list[object] = []
    for value in sheet_row(values):
        if isinstance(value, str) and value.startswith("="):
            cell = Cell(sheet, row=1, column=1, value=value)  # placed by `append`
            cell.data_type = "s"
            value = cell
        row.append(value)
    return row


def csv_row(values: Iterable[object]) -> list[object]:
    """`values` for a CSV writer: text a spreadsheet would run as a formula gets an apostrophe."""
    return [f"'{value}" if isinstance(value, str) and _quoted(value) else value for value in values]


def csv_cell(text: str) -> str:
    """A cell of a CSV as `csv_row` meant it: the apostrophe it added taken off."""
    return text[1:] if text.startswith("'") and _quoted(text[1:]) else text


def _quoted(text: str) -> bool:
    """Whether `csv_row` writes the text with an apostrophe before it: it would run, or it is
    apostrophes before text that would (so that `csv_cell` can tell the two apart)."""
    return _runs(text.lstrip("'"))


def _runs(text: str) -> bool:
    """Whether a spreadsheet might take the text for a formula: it starts with a formula sign,
    after any spaces (also the ideographic space), in its ASCII or full-width form (NFKC folds
    ＝ and ﹦ to =), or with a tab or return."""
    if text.startswith(CSV_FORMULA_STARTS):
        return True
    first = text.lstrip()[:1]
    return unicodedata.normalize("NFKC", first) in _FORMULA_SIGNS
