"""What officer groups may read of what people wrote: ID-card numbers, bank-account numbers and
phone numbers masked, enough left to recognise them, not enough to use them. Only the assignee,
privately, sees them whole."""

from __future__ import annotations

import re

from nlu.uscc import is_valid as is_credit_code

# A run of digits standing alone (not inside a longer code), with the spaces or dashes people put
# into long numbers ("6222 0210 0101 2345 678"); an ID card may end in X.
_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d(?:[ -]?\d){14,18}[Xx]?(?![0-9A-Za-z])")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def is_id_card(code: str) -> bool:
    """A resident ID number (GB 11643-1999): 17 digits and the ISO 7064 MOD 11-2 check character."""
    if len(code) != 18 or not code[:17].isdigit():
        return False
    total = sum(int(c) * w for c, w in zip(code[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == code[17].upper()


def _masked(match: re.Match[str]) -> str:
    raw = match.group(0)
    compact = re.sub(r"[ -]", "", raw)
    if is_id_card(compact):
        return f"{compact[:6]}********{compact[-4:]}"  # the region, the last four: 350206********123X
    if compact.isdigit() and 16 <= len(compact) <= 19 and not is_credit_code(compact):
        return f"{compact[:4]} **** **** {compact[-4:]}"  # a bank card or account: its bank, its end
    return raw


def mask_identity_numbers(text: str) -> str:
    """ID-card numbers (with a valid check character) and bank-account numbers (16-19 digits)."""
    return _NUMBER.sub(_masked, text)
