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
        shared = {
            str(vocabulary[i]): float(weight[i])
            for i in present.nonzero()[0]
            if present[i] >= SHARED_BY * len(rows)
        }
        within = cosine[rows][:, rows].sum(axis=1).A1
        representative = rows[int(within.argmax())]
        groups.append(
            Group(
                terms=label_terms(shared),
                members=tuple(sorted(demands[r].key for r in rows)),
                enterprises=len(enterprises),
                representative=demands[representative].key,
            )
        )
    return sorted(groups, key=lambda g: (-len(g.members), -g.enterprises, g.members[0]))


def label_terms(weights: dict[str, float], limit: int = LABEL_TERMS) -> tuple[str, ...]:
    """The heaviest shared terms, with overlapping character pairs joined into the words they
    spell (a pair already inside a chosen word is not repeated)."""
    words = [_grow(term, weights) for term in sorted(weights, key=lambda t: (-weights[t], t))]
    chosen: list[str] = []
    for word in words:
        if any(word in other for other in chosen):
            continue
        chosen = [other for other in chosen if other not in word]
        chosen.append(word)
        if len(chosen) == limit:
            break
    return tuple(chosen)


def _grow(term: str, weights: dict[str, float], longest: int = 8) -> str:
    """Extend a Chinese character pair both ways while a shared pair continues it."""
    if len(term) != 2 or not _cjk(term):
        return term
    word = term
    for _ in range(longest):
        after = [t for t in weights if len(t) == 2 and _cjk(t) and t[0] == word[-1] and t not in word]
        before = [t for t in weights if len(t) == 2 and _cjk(t) and t[1] == word[0] and t not in word]
        if not after and not before:
            break
        if after:
            word += max(after, key=lambda t: (weights[t], t))[1]
        if before:
            word = max(before, key=lambda t: (weights[t], t))[0] + word
    return word


def _cjk(text: str) -> bool:
    return all("\u3400" <= ch <= "\u9fff" for ch in text)
