"""The bulletin as a PDF (fpdf2, pure Python, fonts embedded). Chinese needs a font that can draw
it, found on this machine (handlers.chart_font); with none, no PDF is made — `NoFontForPdf` says
so — rather than one whose Chinese comes out as empty boxes. Text that Latin-1 holds (an English
bulletin naming no Chinese company) is written with the PDF's built-in Helvetica."""

from __future__ import annotations

from bot.domain.bulletin import BulletinContent
from bot.i18n import t
from handlers.bulletin.text import sections, title
from handlers.chart_font import FontLookup, cjk_font


class NoFontForPdf(Exception):
    def __init__(self, lang: str) -> None:
        super().__init__(t(lang, "dynamics.pdf_no_font"))


def to_pdf(content: BulletinContent, lang: str, find_font: FontLookup = cjk_font) -> bytes:
    from fpdf import FPDF

    head = title(content, lang)
    parts = sections(content, lang)
    every = head + "".join(heading + "".join(lines) for heading, lines in parts)
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    try:
        every.encode("latin-1")
        family = "helvetica"
    except UnicodeEncodeError:
        path = find_font("".join(sorted({ch for ch in every if ord(ch) > 0xFF and not ch.isspace()})))
        if path is None:
            raise NoFontForPdf(lang) from None
        pdf.add_font("cjk", fname=path)
        family = "cjk"
    pdf.add_page()
    pdf.set_font(family, size=16)
    pdf.multi_cell(0, 9, head, new_x="LMARGIN", new_y="NEXT")
    for heading, lines in parts:
        pdf.ln(3)
        pdf.set_font(family, size=13)
        pdf.multi_cell(0, 8, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, size=10.5)
        for line in lines:
            pdf.multi_cell(
                0, 6, f"• {line}" if family == "cjk" else f"- {line}", new_x="LMARGIN", new_y="NEXT"
            )
    return bytes(pdf.output())
