"""Text as every part of Xiaoer may keep it."""

from __future__ import annotations


def storable(text: str) -> str:
    """Text every database accepts: no NUL characters, no unpaired surrogates (undecodable input)."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
