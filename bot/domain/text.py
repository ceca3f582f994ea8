"""Text as every part of Xiaoer may keep it."""

from __future__ import annotations

import re

# what XML 1.0 forbids (C0 controls but tab, newline and return; lone surrogates; U+FFFE/U+FFFF):
# not in an .xlsx or .docx cell, nor in WeCom's XML; nobody types them, they come pasted
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def storable(text: str) -> str:
    """Text every database and every file Xiaoer writes accepts: no NUL or other control
    characters XML forbids, no unpaired surrogates (undecodable input)."""
    return NOT_XML.sub("", text.encode("utf-8", "replace").decode("utf-8"))
