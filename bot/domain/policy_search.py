"""Ranked retrieval over policy texts in Chinese and English, without a model: BM25 over Chinese
character bigrams and English words.

Chinese has no spaces, so a run of Chinese characters is cut into overlapping pairs (高新技术 →
高新 新技 技术). Question phrasing (有没有, 怎么, 请问, policy, how ...) is removed before the cut,
so it neither matches every policy nor joins the words around it into pairs that match nothing.

BM25 orders the candidates. Whether the best one answers the question at all is a separate
measure, `coverage`: the share of the question's terms (each weighted by how rare it is among the
policies) that the policy contains. A question whose words are mostly unknown to a policy is not
answered by it, however it ranks.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


def _words(text: str) -> list[str]:
    return text.split()


# Words that ask rather than say what about; longest first, so that 有没有 goes before 有没. Single
# characters only where they rarely sit inside a word (请 would break 申请, 会 社会, 能 节能; 有 and
# 是 do break a few, 有效 and 但是, but glue far more question words onto content).
_ZH_STOP = sorted(
    _words(
        """有没有 有哪些 是什么 什么样 怎么样 怎么办 可不可以 能不能 问一下 如何 怎么 怎样 什么 哪些 哪里
        多少 能否 是否 可以 请问 咨询 了解 一下 我们 我司 公司 企业 政策 相关 现在 目前 需要 想要 想问
        问问 有关 关于 有没 申请 申报 办理 吗 呢 吧 啊 的 了 么 我 你 谁 有 是 想"""
    ),
    key=len,
    reverse=True,
)
_EN_STOP = frozenset(
    _words(
        """a an the is are was were be been am do does did of for to in on at by with about from and or
        any there what which who whom how when where why can could may might should would will shall
        i we our us you your it its this that these those me my please tell know want like get got
        have has had policy policies company companies enterprise enterprises business firm
        apply applying application question ask"""
    )
)
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(rf"[{_CJK}]+|[a-z0-9]+")
_ZH_STOP_PATTERN = re.compile("|".join(map(re.escape, _ZH_STOP)))


def terms(text: str) -> list[str]:
    """The terms of a text: Chinese character bigrams and English words (a lone Chinese character left
    between question words says too little to match on, and is dropped)."""
    found: list[str] = []
    for run in _RUNS.findall(text.lower()):
        if run[0] >= "\u3400":
            for piece in _ZH_STOP_PATTERN.split(run):
                found.extend(piece[i : i + 2] for i in range(len(piece) - 1))
        elif len(run) > 1 and run not in _EN_STOP:
            found.append(_stem(run))
    return found


def _stem(word: str) -> str:
    """Plural and verb endings only: subsidies → subsidy, loans → loan, exporting → export."""
    for suffix, replacement in (("ies", "y"), ("ing", ""), ("es", "e"), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)] + replacement
    return word


@dataclass(frozen=True, slots=True)
class Hit(Generic[K]):
    key: K
    score: float  # BM25, for ordering
    coverage: float  # 0..1: how much of the question the document speaks to


@dataclass
class Index(Generic[K]):
    """Documents as (key, text); build once per question (policies are few: hundreds at most)."""

    documents: Sequence[tuple[K, str]]
    k1: float = 1.5
    b: float = 0.75

    def __post_init__(self) -> None:
        self._bags = [(key, Counter(terms(text))) for key, text in self.documents]
        self._lengths = [sum(bag.values()) for _, bag in self._bags]
        self._average = (sum(self._lengths) / len(self._lengths)) if self._lengths else 0.0
        self._df: Counter[str] = Counter()
        for _, bag in self._bags:
            self._df.update(bag.keys())

    def idf(self, term: str) -> float:
        n = len(self._bags)
        return math.log(1 + (n - self._df[term] + 0.5) / (self._df[term] + 0.5))

    def weight(self, term: str) -> float:
        """How much a question's term counts towards coverage: rarer counts more, but gently, so
        that with a handful of policies a term every one of them has still counts, and a word the
        registry has never seen does not outweigh the rest of the question."""
        n = len(self._bags)
        return math.log(1 + (n + 1) / (self._df[term] + 1))

    def search(self, question: str, boost: dict[K, float] | None = None) -> list[Hit[K]]:
        """Documents that share a term with the question, best first."""
        wanted = set(terms(question))
        if not wanted or not self._bags:
            return []
        idf = {term: self.idf(term) for term in wanted}
        weight = {term: self.weight(term) for term in wanted}
        total = sum(weight.values())
        hits: list[Hit[K]] = []
        for (key, bag), length in zip(self._bags, self._lengths, strict=True):
            shared = wanted & bag.keys()
            if not shared:
                continue
            norm = self.k1 * (1 - self.b + self.b * length / (self._average or 1))
            score = sum(idf[t] * bag[t] * (self.k1 + 1) / (bag[t] + norm) for t in shared)
            score *= (boost or {}).get(key, 1.0)
            hits.append(Hit(key, score, sum(weight[t] for t in shared) / total))
        return sorted(hits, key=lambda hit: -hit.score)
