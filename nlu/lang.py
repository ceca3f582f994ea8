"""Which language a message is mostly written in."""

from __future__ import annotations

import re

from nlu.types import Lang

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def detect_lang(text: str) -> Lang:
    """Chinese when Chinese characters outnumber English words: one 字 carries about a word."""
    head = text[:1000]  # the opening says which language a message is in; the rest costs time
    cjk = len(_CJK.findall(head))
    words = len(_LATIN_WORD.findall(head))
    return "zh" if cjk > 0 and cjk >= words else "en"
