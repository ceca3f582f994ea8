"""Unified social credit codes (统一社会信用代码), GB 32100-2015."""

from __future__ import annotations

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {c: i for i, c in enumerate(CHARSET)}


def check_character(first17: str) -> str | None:
    """The 18th character the first 17 call for, or None if they hold a character outside the set."""
    total = 0
    for char, weight in zip(first17.upper(), WEIGHTS, strict=True):
        value = _VALUE.get(char)
        if value is None:
            return None
        total += value * weight
    return CHARSET[(31 - total % 31) % 31]


def is_valid(code: str) -> bool:
    code = code.upper()
    return len(code) == 18 and check_character(code[:17]) == code[17]
