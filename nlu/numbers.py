"""Numbers as people write them: 1,200 / 1.5 / 两百 / 三千五百 / 五十."""

from __future__ import annotations

import math

_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "壹": 1,
    "二": 2,
    "两": 2,
    "贰": 2,
    "三": 3,
    "叁": 3,
    "四": 4,
    "肆": 4,
    "五": 5,
    "伍": 5,
    "六": 6,
    "陆": 6,
    "七": 7,
    "柒": 7,
    "八": 8,
    "捌": 8,
    "九": 9,
    "玖": 9,
}
_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
CHINESE_NUMERAL_CHARS = "".join(_DIGITS) + "".join(_UNITS)


def parse_number(text: str) -> float | None:
    """Arabic (with thousands separators) or Chinese numerals below 10,000; None if neither."""
    cleaned = text.replace(",", "").replace("，", "").replace(" ", "")
    try:
        value = float(cleaned)
    except ValueError:
        return _chinese(cleaned)
    return value if math.isfinite(value) else None  # "9"×400 is inf: no number anyone means


def _chinese(text: str) -> float | None:
    if "万" in text:  # 一万二千 = 1 * 10000 + 2000
        high, _, low = text.partition("万")
        high_value = _chinese(high) if high else 1.0
        low_value = _chinese(low) if low else 0.0
        if len(low) == 1 and low in _DIGITS and low_value is not None:
            low_value *= 1000  # 一万五 is 15000: a lone digit after 万 counts thousands
        if high_value is None or low_value is None:
            return None
        return high_value * 10_000 + low_value
    if not text or any(c not in _DIGITS and c not in _UNITS for c in text):
        return None
    total, digit = 0, None
    for char in text:
        if char in _DIGITS:
            digit = _DIGITS[char]
        else:
            total += (1 if digit is None else digit) * _UNITS[char]
            digit = None
    if digit is not None:
        # "三千五" means 3500: a trailing digit takes the unit below the last one
        last_unit = next((_UNITS[c] for c in reversed(text) if c in _UNITS), 10)
        total += digit * (
            last_unit // 10 if text[-1] in _DIGITS and len(text) > 1 and text[-2] in _UNITS else 1
        )
    return float(total)
