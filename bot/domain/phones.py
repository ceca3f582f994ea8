"""Phone numbers as binding compares them: digits only, with the country code (8613800001234),
whatever way a platform or a person wrote them (+86 138-0000-1234, 13800001234)."""

from __future__ import annotations

CHINA = "86"


def comparable_phone(raw: str, *, international: bool = False) -> str | None:
    """The number in the form kept on contacts and invites, or None if it is not one.
    `international`: the source always gives the country code, with or without "+" (Telegram's
    shared contacts)."""
    text = raw.strip()
    digits = "".join(c for c in text if c.isdigit())
    if not digits or any(not (c.isdigit() or c in "+-() .") for c in text):
        return None
    if text.startswith("00"):
        digits = digits[2:]
    elif not text.startswith("+") and len(digits) == 11 and digits.startswith("1"):
        digits = CHINA + digits  # a mainland mobile number written without the country code
    elif not (text.startswith("+") or international or digits.startswith(CHINA)):
        return None  # a local number without a country code: cannot be compared safely
    return digits if 8 <= len(digits) <= 15 else None
