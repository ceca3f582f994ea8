"""Numbers people type or buttons carry: ticket numbers and message ids fit a database integer."""

from __future__ import annotations

import unicodedata

LARGEST = 2**31 - 1  # PostgreSQL's INTEGER; SQLite would take more, but both must agree


def small_number(text: str) -> int | None:
    """The number written (a full-width ＃１２ as #12), or None when it is not one or is beyond
    any stored id."""
    cleaned = unicodedata.normalize("NFKC", text).strip().lstrip("#")
    if not cleaned.isdecimal() or not cleaned.isascii() or len(cleaned.lstrip("0")) > len(str(LARGEST)):
        return None  # counted first: Python refuses to convert more than 4,300 digits
    value = int(cleaned)
    return value if value <= LARGEST else None
