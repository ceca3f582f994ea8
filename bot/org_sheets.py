"""Spreadsheets of the organisation as files: .xlsx (openpyxl in read-only / write-only mode, which
streams rows instead of holding the workbook) and .csv (UTF-8 with or without a BOM, or GB18030 as
Excel saves it on a Chinese Windows). Rows come numbered as the spreadsheet numbers them."""

from __future__ import annotations

import codecs
import csv
import xml.etree.ElementTree as ElementTree
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from handlers.sheet_cells import csv_cell, csv_row, xlsx_row

SUFFIXES = (".xlsx", ".csv")


class SheetError(Exception):
    """The file cannot be read as a sheet; the message says why."""


@dataclass
class Sheet:
    headers: list[str]
    rows: Iterator[tuple[int, list[object]]]  # (row number, cells), after the header row
    size: int  # data rows, for the progress bar (an estimate for .xlsx: the sheet's dimension)


def read_sheet(path: Path) -> Sheet:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise SheetError(f"{path.name}: not a .xlsx or .csv file")
    if not path.is_file():
        raise SheetError(f"{path}: no such file")
    return _read_xlsx(path) if suffix == ".xlsx" else _read_csv(path)


EXCEL_ROWS = 1_048_576  # the most rows an Excel (or WPS) sheet has
_OLD_EXCEL = bytes.fromhex("D0CF11E0A1B11AE1")  # the start of an Excel 97-2003 .xls (an OLE file)


def _read_xlsx(path: Path) -> Sheet:
    from openpyxl import load_workbook

    with path.open("rb") as file:
        start = file.read(len(_OLD_EXCEL))
    if start == _OLD_EXCEL:
        raise SheetError(f"{path.name}: an Excel 97-2003 (.xls) workbook named .xlsx: save it as .xlsx")
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # a zip that is not a workbook, a damaged file
        raise SheetError(f"{path.name}: not a readable .xlsx workbook ({error})") from None
    if not book.worksheets:
        raise SheetError(f"{path.name}: the workbook has no worksheet")
    sheet = book.worksheets[0]
    declared = sheet.max_row  # the sheet's own count, from its <dimension>: an estimate only
    # read to the last row there is: read-only mode otherwise stops where <dimension> says the
    # data ends, and programs that write a stale one would have their other rows left out unsaid
    sheet.reset_dimensions()
    part = getattr(sheet, "_worksheet_path", None)  # the sheet's XML in the zip (read-only mode's)
    unsaved = _unsaved_formulas(path, part) if isinstance(part, str) else {}
    numbered = enumerate(sheet.iter_rows(values_only=True), start=1)
    rows = _readable(path, _marked(numbered, unsaved) if unsaved else numbered)
    for number, cells in rows:
        if any(cell is not None and str(cell).strip() for cell in cells):
            headers = ["" if cell is None else str(cell).strip() for cell in cells]
            size = max((declared or number) - number, 0)
            return Sheet(headers, ((n, list(c)) for n, c in rows), size)
    raise SheetError(f"{path.name}: the sheet is empty (the first row must name the columns)")


_FORMULA_TAGS = (b"<f>", b"<f ", b"<f/>", b":f>", b":f ", b":f/>")


def _unsaved_formulas(path: Path, part: str) -> dict[int, dict[int, str]]:
    """The cells holding a formula with no saved result (row -> column -> the formula, from 1).
    openpyxl's values-only reading gives such a cell as empty, and the row would be reported as
    missing what the cell plainly holds. The sheet is scanned for formulas first (cheap), and
    parsed for them only if it has any."""
    from openpyxl.utils.cell import coordinate_to_tuple

    try:
        with zipfile.ZipFile(path) as archive:
            with archive.open(part) as source:
                tail = b""
                while chunk := source.read(1 << 16):
                    if any(tag in tail + chunk for tag in _FORMULA_TAGS):
                        break
                    tail = chunk[-4:]
                else:
                    return {}
            found: dict[int, dict[int, str]] = {}
            with archive.open(part) as source:
                for _, element in ElementTree.iterparse(source):
                    if element.tag.rsplit("}", 1)[-1] != "c":
                        continue
                    children = {child.tag.rsplit("}", 1)[-1]: child for child in element}
                    formula, value = children.get("f"), children.get("v")
                    reference = element.get("r")
                    if formula is not None and (value is None or value.text is None) and reference:
                        row, column = coordinate_to_tuple(reference)
                        found.setdefault(row, {})[column] = f"={formula.text or ''}"
                    element.clear()
            return found
    except (OSError, KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        return {}  # reading the rows will say what is wrong with the sheet


def _marked(
    rows: Iterator[tuple[int, tuple[object, ...]]], unsaved: dict[int, dict[int, str]]
) -> Iterator[tuple[int, tuple[object, ...]]]:
    """The rows, an unsaved formula's cell holding it (`UnsavedFormula`) instead of None."""
    from handlers.roster.columns import UnsavedFormula

    for number, cells in rows:
        formulas = unsaved.get(number)
        if formulas:
            marked = list(cells) + [None] * (max(formulas) - len(cells))
            for column, formula in formulas.items():
                if marked[column - 1] is None:
                    marked[column - 1] = UnsavedFormula(formula)
            cells = tuple(marked)
        yield number, cells


def _readable(
    path: Path, rows: Iterator[tuple[int, tuple[object, ...]]]
) -> Iterator[tuple[int, tuple[object, ...]]]:
    """The rows, read lazily; a sheet damaged part-way (its XML cut short or invalid) is a
    SheetError naming the last row read, not a traceback."""
    number = 0
    while True:
        try:
            number, cells = next(rows)
        except StopIteration:
            return
        except Exception as error:
            raise SheetError(
                f"{path.name}: the sheet cannot be read from row {number + 1} on ({error}): "
                "open it in Excel or WPS and save it again"
            ) from None
        if number > EXCEL_ROWS:  # no spreadsheet program wrote this (a zip bomb, say)
            raise SheetError(f"{path.name}: more than Excel's {EXCEL_ROWS:,} rows: not a sheet to import")
        yield number, cells


def _read_csv(path: Path) -> Sheet:
    encoding, lines = _csv_encoding(path)
    rows = _csv_rows(path, encoding)
    for number, cells in rows:
        if any(cell.strip() for cell in cells):
            headers = [cell.strip() for cell in cells]
            return Sheet(headers, ((n, list[object](c)) for n, c in rows), max(lines - number, 0))
    raise SheetError(f"{path.name}: the file is empty (the first row must name the columns)")


def _csv_encoding(path: Path) -> tuple[str, int]:
    """The file's encoding, checked over the whole file 64 KiB at a time (so the rows can then
    be read one by one rather than held), and its count of lines, for the progress bar."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        lines = 0
        try:
            with path.open("rb") as file:
                while chunk := file.read(1 << 16):
                    decoder.decode(chunk)
                    lines += chunk.count(b"\n")
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding, lines
    raise SheetError(f"{path.name}: neither UTF-8 nor GB18030 text: save it as CSV UTF-8")


def _csv_rows(path: Path, encoding: str) -> Iterator[tuple[int, list[str]]]:
    """The rows, numbered from 1 as a spreadsheet numbers them, read as they are asked for."""
    with path.open(encoding=encoding, newline="") as file:
        for number, cells in enumerate(csv.reader(file), start=1):
            yield number, [csv_cell(cell) for cell in cells]  # what `write_sheet` wrote, as it was


def write_sheet(
    path: Path,
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    notes: Sequence[str] | None = None,
) -> None:
    """Write a sheet; `notes` (one per header) become the header cells' comments in .xlsx."""
    if path.suffix.lower() == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as out:  # the BOM: Excel reads it as UTF-8
            writer = csv.writer(out)
            writer.writerow(headers)
            writer.writerows(csv_row(row) for row in rows)  # people's names are never formulas
        return
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.comments import Comment

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    if notes is None:
        sheet.append(list(headers))
    else:
        cells = []
        for header, note in zip(headers, notes, strict=True):
            cell = WriteOnlyCell(sheet, value=header)
            if note:
                cell.comment = Comment(note, "xiaoer")
            cells.append(cell)
        sheet.append(cells)
    for row in rows:
        sheet.append(xlsx_row(sheet, row))
    book.save(path)
