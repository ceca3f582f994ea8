"""How alike two demands are: overlap of character pairs (Chinese) and words (Latin script).

Cheap and language-agnostic: "园区限电，生产线停了" and "园区又限电了，我们的线停了" share most of
their character pairs. Used to offer adding a repeated demand to the open ticket it repeats, and
to notice several enterprises raising the same problem.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections import OrderedDict
from collections.abc import Callable

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


CACHE_BYTES = 16 * 2**20  # some 30 long demands' shingles, or over a thousand ordinary ones


class _ShingleCache:
    """Least recently used shingle sets, bounded by the bytes they hold rather than by their
    number: a long demand's set is half a megabyte, so 4,096 of them would be two gigabytes."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.held = 0
        self._entries: OrderedDict[str, tuple[frozenset[str], int]] = OrderedDict()

    def get(self, text: str) -> frozenset[str] | None:
        entry = self._entries.get(text)
        if entry is None:
            return None
        self._entries.move_to_end(text)
        return entry[0]

    def put(self, text: str, found: frozenset[str]) -> None:
        size = sys.getsizeof(text) + sys.getsizeof(found) + sum(sys.getsizeof(s) for s in found)
        if size > self.budget:
            return
        self._entries[text] = (found, size)
        self.held += size
        while self.held > self.budget:
            _, (_, dropped) = self._entries.popitem(last=False)
            self.held -= dropped


_CACHE = _ShingleCache(CACHE_BYTES)


def shingles(text: str) -> frozenset[str]:
    """The text's character pairs and words; cached, since a new demand is compared with the same
    recent tickets again and again."""
    cached = _CACHE.get(text)
    if cached is not None:
        return cached
    folded = unicodedata.normalize("NFKC", text).lower()
    found: set[str] = set()
    for run in _CJK_RUN.findall(folded):
        found.update(run[i : i + 2] for i in range(len(run) - 1))
        if len(run) == 1:
            found.add(run)
    found.update(_WORD.findall(folded))
    result = frozenset(found - _COMMON)
    _CACHE.put(text, result)
    return result


def similarity(a: str, b: str) -> float:
    """Dice coefficient of the two texts' shingles, 0 (nothing shared) to 1 (the same)."""
    return _dice(shingles(a), shingles(b))


def similarity_to(a: str) -> Callable[[str], float]:
    """`similarity(a, b)` for many `b`: `a`'s shingles found once (a new demand is compared with
    sixty recent ones; the cache's look-up is a third of each comparison)."""
    left = shingles(a)
    return lambda b: _dice(left, shingles(b))


def _dice(left: frozenset[str], right: frozenset[str]) -> float:
    if not left or not right:
        return 0.0
    return 2 * len(left & right) / (len(left) + len(right))
