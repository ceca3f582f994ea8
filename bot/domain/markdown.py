"""Policy bodies are written in Markdown; chats get them as plain text (channels escape text for
their own markup, so Markdown's marks would otherwise show as literal asterisks)."""

from __future__ import annotations

import re
from collections.abc import Sequence

_LINK = re.compile(r"\[([^\]]+)\]\((\S+?)\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|`)(?=\S)(.+?)(?<=\S)\1")  # not a lone _: high_tech stays
_HEADING = re.compile(r"^#{1,6}\s+", re.MULTILINE)
_BULLET = re.compile(r"^(\s*)[-*+]\s+", re.MULTILINE)
_QUOTE = re.compile(r"^>\s?", re.MULTILINE)


def plain(markdown: str) -> str:
    """Readable plain text: links as "text (url)", bullets as "•", emphasis and headings unmarked."""
    text = _LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", markdown)
    text = _EMPHASIS.sub(r"\2", text)
    text = _HEADING.sub("", text)
    text = _BULLET.sub(r"\1• ", text)
    text = _QUOTE.sub("", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def excerpt(text: str, limit: int) -> tuple[str, bool]:
    """At most `limit` characters, cut at a line end where one is near; True if it was cut."""
    if len(text) <= limit:
        return text, False
    cut = text.rfind("\n", 0, limit)
    if cut < limit // 2:
        cut = limit
    return text[:cut].rstrip() + "…", True


def document(title: str, sections: Sequence[tuple[str, Sequence[str]]]) -> str:
    """A report as Markdown: the title, then each section's heading and its lines as bullets."""
    parts = [f"# {title}", ""]
    for heading, lines in sections:
        parts += [f"## {heading}", "", *(f"- {line}" for line in lines), ""]
    return "\n".join(parts)
