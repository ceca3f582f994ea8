"""An imported list of enterprises for a campaign: credit codes from the first column of a .csv
(UTF-8, a BOM or not) or of the first sheet of an .xlsx, as offices keep their lists of key
enterprises. Rows whose first cell is no credit code (headings, notes) are skipped."""

from __future__ import annotations

import io

from bot.domain.campaigns import parse_code_list


class UnreadableList(ValueError):
    """The file is neither a readable .csv nor a readable .xlsx."""


def codes_from_file(name: str, data: bytes) -> list[str]:
    if name.lower().endswith(".xlsx"):
        return parse_code_list(_xlsx_first_cells(data))
    if name.lower().endswith((".csv", ".txt")):
        try:
            return parse_code_list(data.decode("utf-8-sig").splitlines())
        except UnicodeDecodeError:
            raise UnreadableList(f"{name} is not UTF-8 text") from None
    raise UnreadableList(f"{name}: use a .csv or an .xlsx file")


def _xlsx_first_cells(data: bytes) -> list[str]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises zipfile, KeyError, InvalidFileException … on junk
        raise UnreadableList(f"not a readable .xlsx file ({type(error).__name__})") from None
    sheet = book.worksheets[0]
    cells = [
        str(row[0]) for row in sheet.iter_rows(max_col=1, values_only=True) if row and row[0] is not None
    ]
    book.close()
    return cells
