"""Similar demands across enterprises, grouped for the leadership bulletin, and explained.

Each demand becomes a TF-IDF vector of the project's own text features (bot.domain.similarity:
character pairs of Chinese, words of Latin script, less the words every demand shares); two demands
are alike when the cosine of their vectors reaches the threshold, and a cluster is a connected
group of alike demands. Nothing is downloaded and nothing is learnt beyond the period's demands.

A cluster is told by what explains it: the terms most of its members share (adjacent character
pairs joined back into words: 供电 + 电公 + 公司 → 供电公司), how many demands and how many
enterprises, and the demand closest to all the others as its quote. A problem raised by one
enterprise alone is not a cluster "across enterprises" and is left out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.similarity import shingles

LABEL_TERMS = 3  # terms that name a cluster
SHARED_BY = 0.5  # a term names the cluster when at least this share of its members have it
MIN_ENTERPRISES = 2


@dataclass(frozen=True, slots=True)
class Demand:
    key: int  # the ticket number
    text: str
    enterprise: str


@dataclass(frozen=True, slots=True)
class Group:
    terms: tuple[str, ...]
    members: tuple[int, ...]  # keys, ascending
    enterprises: int
    representative: int  # the member most like the others


def _features(text: str) -> list[str]:
    return sorted(shingles(text))


def cluster_demands(demands: Sequence[Demand], threshold: float) -> list[Group]:
    """Groups of alike demands raised by at least two enterprises, the largest first."""
    if len(demands) < 2:
        return []
    from scipy.sparse.csgraph import connected_components
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer=_features, sublinear_tf=True)
    try:
        vectors = vectorizer.fit_transform([d.text for d in demands])  # rows of unit length
    except ValueError:  # no features at all (every text empty or only common words)
        return []
    cosine = (vectors @ vectors.T).tocsr()
    cosine.data[cosine.data < threshold] = 0
    cosine.eliminate_zeros()
    count, labels = connected_components(cosine, directed=False)
    members: list[list[int]] = [[] for _ in range(count)]
    for row, label in enumerate(labels):
        members[label].append(row)
    vocabulary = vectorizer.get_feature_names_out()
    groups = []
    for rows in members:
        enterprises = {demands[r].enterprise for r in rows}
        if len(rows) < 2 or len(enterprises) < MIN_ENTERPRISES:
            continue
        part = vectors[rows]
        present = (part > 0).sum(axis=0).A1
        weight = part.sum(axis=0).A1
        need = max(2, math.ceil(SHARED_BY * len(rows)))  # shared: by two members at least
        shared = {str(vocabulary[i]): float(weight[i]) for i in present.nonzero()[0] if present[i] >= need}
        within = cosine[rows][:, rows].sum(axis=1).A1
        representative = rows[int(within.argmax())]
        groups.append(
            Group(
                terms=label_terms(shared, [demands[r].text for r in rows], need),
                members=tuple(sorted(demands[r].key for r in rows)),
                enterprises=len(enterprises),
                representative=demands[representative].key,
            )
        )
    return sorted(groups, key=lambda g: (-len(g.members), -g.enterprises, g.members[0]))


def label_terms(
    weights: dict[str, float], texts: Sequence[str], need: int, limit: int = LABEL_TERMS
) -> tuple[str, ...]:
    """The heaviest shared terms, each a Chinese character pair grown into the longest run that
    at least `need` of the texts hold (供电 → 供电公司), a pair already inside a chosen run not
    repeated."""
    words = [_grow(term, texts, need) for term in sorted(weights, key=lambda t: (-weights[t], t))]
    chosen: list[str] = []
    for word in words:
        if any(word in other for other in chosen):
            continue
        chosen = [other for other in chosen if other not in word]
        chosen.append(word)
        if len(chosen) == limit:
            break
    return tuple(chosen)


def _grow(term: str, texts: Sequence[str], need: int, longest: int = 12) -> str:
    """Extend a Chinese character pair a character at a time, on either side, while `need` texts
    still hold the longer run."""
    if len(term) != 2 or not _cjk(term):
        return term
    word = term
    while len(word) < longest:
        options: dict[str, int] = {}
        for text in texts:
            found = set()
            start = text.find(word)
            while start != -1:
                if start + len(word) < len(text) and _cjk(text[start + len(word)]):
                    found.add(word + text[start + len(word)])
                if start > 0 and _cjk(text[start - 1]):
                    found.add(text[start - 1] + word)
                start = text.find(word, start + 1)
            for longer in found:
                options[longer] = options.get(longer, 0) + 1
        held = [(count, longer) for longer, count in options.items() if count >= need]
        if not held:
            break
        word = max(held)[1]
    return word


def _cjk(text: str) -> bool:
    return all("\u3400" <= ch <= "\u9fff" for ch in text)
