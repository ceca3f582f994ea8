"""The builtin statistical model: TF-IDF over our features, logistic regression for the intent and
for the category, exported to plain arrays so that prediction needs only numpy and dict lookups.

scikit-learn is used to fit; the fitted weights are saved to an .npz file that loads in well
under a second and predicts in tens of microseconds.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bot.domain.categories import CATEGORIES
from nlu.features import features
from nlu.prepare import prepare
from nlu.training_data import Example

FloatArray = npt.NDArray[np.float32]
CATEGORY_INTENTS = frozenset({"report_demand", "policy_inquiry"})


@dataclass(frozen=True)
class LinearHead:
    labels: tuple[str, ...]
    weights: FloatArray  # (features, labels)
    bias: FloatArray  # (labels,)

    def probabilities(self, index: npt.NDArray[np.int64], values: FloatArray) -> FloatArray:
        scores = values @ self.weights[index] + self.bias if len(index) else self.bias.copy()
        scores = scores - scores.max()
        exp = np.exp(scores)
        result: FloatArray = exp / exp.sum()
        return result


@dataclass(frozen=True)
class Model:
    vocabulary: dict[str, int]
    idf: FloatArray
    intent: LinearHead
    category: LinearHead

    def vectorize(self, feats: Sequence[str]) -> tuple[npt.NDArray[np.int64], FloatArray]:
        counts = Counter(map(self.vocabulary.get, feats))  # counted in C; unknown features as None
        counts.pop(None, None)
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        index = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter((1.0 + math.log(c) for c in counts.values()), dtype=np.float32, count=len(counts))
        values = tf * self.idf[index]
        norm = float(np.sqrt(values @ values))
        return index, values / norm if norm else values

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        words = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        tmp = path.with_suffix(".tmp.npz")
        np.savez_compressed(
            tmp,
            vocabulary=np.array(words),
            idf=self.idf,
            intent_labels=np.array(self.intent.labels),
            intent_weights=self.intent.weights,
            intent_bias=self.intent.bias,
            category_labels=np.array(self.category.labels),
            category_weights=self.category.weights,
            category_bias=self.category.bias,
        )
        tmp.replace(path)  # readers never see a half-written model

    @classmethod
    def load(cls, path: Path) -> Model:
        with np.load(path, allow_pickle=False) as data:
            return cls(
                vocabulary={str(w): i for i, w in enumerate(data["vocabulary"].tolist())},
                idf=data["idf"],
                intent=LinearHead(
                    tuple(data["intent_labels"].tolist()), data["intent_weights"], data["intent_bias"]
                ),
                category=LinearHead(
                    tuple(data["category_labels"].tolist()), data["category_weights"], data["category_bias"]
                ),
            )


def example_features(text: str) -> list[str]:
    """The features of a message as the model reads it (see nlu/prepare.py)."""
    return features(prepare(text).read)


def train(
    examples: Sequence[Example],
    *,
    c_intent: float = 16.0,
    c_category: float = 16.0,
    balanced: bool = True,
    min_df: int = 2,
) -> Model:
    """Defaults chosen by cross-validation on the training data and the dev set
    (tests/data/nlu_dev.jsonl); the evaluation set was not used to choose them."""
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    featurized = [example_features(e.text) for e in examples]
    document_frequency: Counter[str] = Counter()
    for feats in featurized:
        document_frequency.update(set(feats))
    kept = sorted(f for f, df in document_frequency.items() if df >= min_df)
    vocabulary = {f: i for i, f in enumerate(kept)}
    n = len(featurized)
    idf = np.array([math.log((1 + n) / (1 + document_frequency[f])) + 1.0 for f in kept], dtype=np.float32)
    model = Model(vocabulary, idf, _empty_head(), _empty_head())
    rows, cols, vals = [], [], []
    for row, feats in enumerate(featurized):
        index, values = model.vectorize(feats)
        rows.extend([row] * len(index))
        cols.extend(index.tolist())
        vals.extend(values.tolist())
    matrix = csr_matrix((vals, (rows, cols)), shape=(n, len(vocabulary)), dtype=np.float32)

    weights = "balanced" if balanced else None
    intent = _fit(
        LogisticRegression(C=c_intent, max_iter=3000, class_weight=weights),
        matrix,
        [e.intent for e in examples],
    )
    with_category = [i for i, e in enumerate(examples) if e.intent in CATEGORY_INTENTS and e.category]
    category_labels = [examples[i].category or "other" for i in with_category]
    unknown = set(category_labels) - set(CATEGORIES)
    if unknown:
        raise ValueError(f"unknown categories in training data: {sorted(unknown)}")
    category = _fit(
        LogisticRegression(C=c_category, max_iter=3000, class_weight=weights),
        matrix[with_category],
        category_labels,
    )
    return Model(vocabulary, idf, intent, category)


def _fit(classifier: object, matrix: object, labels: list[str]) -> LinearHead:
    classifier.fit(matrix, labels)  # type: ignore[attr-defined]
    classes = tuple(str(c) for c in classifier.classes_)  # type: ignore[attr-defined]
    weights = np.asarray(classifier.coef_, dtype=np.float32).T  # type: ignore[attr-defined]
    bias = np.asarray(classifier.intercept_, dtype=np.float32)  # type: ignore[attr-defined]
    if len(classes) == 2:  # binary logistic regression keeps one row; make it two-sided
        weights = np.hstack([-weights / 2, weights / 2])
        bias = np.array([-bias[0] / 2, bias[0] / 2], dtype=np.float32)
    return LinearHead(classes, np.ascontiguousarray(weights), bias)


def _empty_head() -> LinearHead:
    return LinearHead((), np.zeros((0, 0), dtype=np.float32), np.zeros(0, dtype=np.float32))
