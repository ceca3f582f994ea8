"""Phone numbers as binding compares them: digits only, with the country code (8613800001234),
whatever way a platform or a person wrote them (+86 138-0000-1234, 13800001234, (+86)138 0000
1234, full-width １３８００００１２３４ typed with a Chinese input method, 0086 13800001234)."""

from __future__ import annotations

import unicodedata

CHINA = "86"
_SEPARATORS = frozenset("+-() .")


def comparable_phone(raw: str, *, international: bool = False) -> str | None:
    """The number in the form kept on contacts and invites, or None if it is not one.
    `international`: the source always gives the country code, with or without "+" (Telegram's
    shared contacts)."""
    # NFKC folds the full-width digits, plus, brackets and spaces of Chinese input methods
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text or any(not (c in "0123456789" or c in _SEPARATORS) for c in text):
        return None
    digits = "".join(c for c in text if c in "0123456789")
    if not digits:
        return None
    bare = text.lstrip("(")
    plus = bare.startswith("+")
    if bare.startswith("00"):
        digits = digits[2:]
    elif not plus and len(digits) == 11 and digits.startswith("1"):
        digits = CHINA + digits  # a mainland mobile number written without the country code
    elif not (plus or international or digits.startswith(CHINA)):
        return None  # a local number without a country code: cannot be compared safely
    return digits if 8 <= len(digits) <= 15 else None
