"""The bulletin as one sheet of .xlsx (openpyxl): a row per line under each section's heading, for
readers who file everything in spreadsheets; the counts come out as the same sentences."""

from __future__ import annotations

import io

from bot.domain.bulletin import BulletinContent
from handlers.bulletin.text import sections, title
from handlers.sheet_cells import xlsx_row


def to_xlsx(content: BulletinContent, lang: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = content.since.isoformat()
    bold = Font(bold=True)
    sheet.append([title(content, lang)])
    sheet.cell(row=1, column=1).font = bold
    for heading, lines in sections(content, lang):
        sheet.append([])
        sheet.append([heading])
        sheet.cell(row=sheet.max_row, column=1).font = bold
        for line in lines:
            sheet.append(xlsx_row(sheet, [line]))  # quotes the demands' own words
    sheet.column_dimensions["A"].width = 120
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
