"""The bulletin as a Word document (python-docx): a title, a heading per section, a bulleted
paragraph per line. East Asian text gets a Chinese font name (Word otherwise picks a Latin one and
falls back glyph by glyph)."""

from __future__ import annotations

import io

from bot.domain.bulletin import BulletinContent
from handlers.bulletin.text import sections, title

EAST_ASIAN_FONT = "宋体"  # SimSun: on every Chinese Windows; WPS and LibreOffice map it too


def to_docx(content: BulletinContent, lang: str) -> bytes:
    from docx import Document
    from docx.oxml.ns import qn

    document = Document()
    normal = document.styles["Normal"]
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()  # the East Asian font of every run
    fonts.set(qn("w:eastAsia"), EAST_ASIAN_FONT)
    document.core_properties.title = title(content, lang)
    document.add_heading(title(content, lang), level=0)
    # The style's id, looked up once: python-docx resolves a style given by name by walking every
    # style of the document, per paragraph — 5 s for the 4,000 lines of a busy period.
    bullet = document.styles["List Bullet"].style_id
    for heading, lines in sections(content, lang):
        document.add_heading(heading, level=1)
        for line in lines:
            document.add_paragraph(line)._p.style = bullet
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def docx_text(data: bytes) -> str:
    """Every paragraph's text, a line each: what a reader of the document sees (for tests and
    `xiaoer bulletin show`'s checks)."""
    from docx import Document

    return "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
