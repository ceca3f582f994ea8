"""How alike two demands are: overlap of character pairs (Chinese) and words (Latin script).

Cheap and language-agnostic: "园区限电，生产线停了" and "园区又限电了，我们的线停了" share most of
their character pairs. Used to offer adding a repeated demand to the open ticket it repeats, and
to notice several enterprises raising the same problem.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
_WORD = re.compile(r"[a-z0-9]{2,}")
# Words every demand shares; they say nothing about which matter it is.
_COMMON = frozenset(
    {
        "我们",
        "公司",
        "企业",
        "希望",
        "帮忙",
        "协调",
        "一下",
        "能否",
        "能不能",
        "请问",
        "麻烦",
        "政府",
        "问题",
        "the",
        "and",
        "our",
        "we",
        "is",
        "to",
        "of",
        "for",
        "please",
        "help",
        "company",
        "can",
        "you",
    }
)


@lru_cache(maxsize=4096)  # a new demand is compared with the same recent tickets again and again
def shingles(text: str) -> frozenset[str]:
    folded = unicodedata.normalize("NFKC", text).lower()
    found: set[str] = set()
    for run in _CJK_RUN.findall(folded):
        found.update(run[i : i + 2] for i in range(len(run) - 1))
        if len(run) == 1:
            found.add(run)
    found.update(_WORD.findall(folded))
    return frozenset(found - _COMMON)


def similarity(a: str, b: str) -> float:
    """Dice coefficient of the two texts' shingles, 0 (nothing shared) to 1 (the same)."""
    left, right = shingles(a), shingles(b)
    if not left or not right:
        return 0.0
    return 2 * len(left & right) / (len(left) + len(right))
