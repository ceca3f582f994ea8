"""Which language a message is mostly written in."""

from __future__ import annotations

import re

from nlu.entities import extract
from nlu.types import Lang

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# Names, codes and numbers are written as they are whatever language their sender reads.
_NAMES = frozenset({"company", "uscc", "uscc_invalid", "phone", "ticket_ref", "amount_yuan"})


def detect_lang(text: str) -> Lang:
    """Chinese when Chinese characters outnumber English words: one 字 carries about a word."""
    head = text[:1000]  # the opening says which language a message is in; the rest costs time
    cjk = len(_CJK.findall(head))
    words = len(_LATIN_WORD.findall(head))
    return "zh" if cjk > 0 and cjk >= words else "en"


CLAUSE = 3  # characters or words: about the shortest clause that says something ("没有电", "no power here")


def clear_lang(text: str) -> Lang | None:
    """The language a message is clearly written in, or None when it does not say: a choice
    pressed ("1"), a word or two ("ok thanks", "好的"), a name or a code alone, or a mix where
    neither language has twice the other's weight (one 字 weighs about one word)."""
    _, spans = extract(text)
    for span in sorted((s for s in spans if s.key in _NAMES), key=lambda s: -s.start):
        text = text[: span.start] + " " + text[span.end :]
    cjk = len(_CJK.findall(text))
    words = _LATIN_WORD.findall(text)
    if cjk >= CLAUSE and cjk >= 2 * len(words):
        return "zh"
    if len(words) >= CLAUSE and sum(map(len, words)) >= 10 and len(words) >= 2 * cjk:
        return "en"
    return None
