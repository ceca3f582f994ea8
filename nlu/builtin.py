"""The default NLU backend: the builtin model plus rule-based entities and urgency.

The model is trained from `nlu/data` on first use (a few seconds) and cached, keyed by a
fingerprint of the training data and the feature version, so a changed data set is never
served by a stale model. `xiaoer nlu train` rebuilds it on purpose.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from nlu.features import FEATURE_VERSION, features
from nlu.lang import detect_lang
from nlu.lexicon import cue_features
from nlu.model import CATEGORY_INTENTS, Model, train
from nlu.prepare import load_tables, prepare
from nlu.training_data import DATA_DIR, data_fingerprint, load_examples
from nlu.types import Parse
from nlu.urgency import is_urgent

CACHE_ENV = "XIAOER_NLU_CACHE"


# The modules that decide what the model sees: a change to any of them calls for a new model.
_FEATURE_SOURCES = (
    "features.py",
    "entities.py",
    "companies.py",
    "lexicon.py",
    "numbers.py",
    "model.py",
    "prepare.py",
)


def _code_fingerprint() -> str:
    digest = hashlib.sha256(FEATURE_VERSION.encode())
    for name in _FEATURE_SOURCES:
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()[:8]


def default_model_path(data_dir: Path = DATA_DIR) -> Path:
    cache = os.environ.get(CACHE_ENV)
    base = (
        Path(cache) if cache else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "xiaoer"
    )
    return base / f"nlu-{_code_fingerprint()}-{data_fingerprint(data_dir)}.npz"


def build_model(path: Path | None = None, data_dir: Path = DATA_DIR) -> Path:
    """Train from the data directory and save; returns where the model went."""
    target = path or default_model_path(data_dir)
    train(load_examples(data_dir)).save(target)
    return target


OUT_OF_SCOPE = "out_of_scope"
# A message this short (as read, in characters) says little: "欠薪", "路灯不亮", "need 30 welders".
SHORT_MESSAGE = 15
# A reading of a short message is only sure when it outweighs every other reading by this much.
SHORT_MARGIN = 0.5


def _short_message_confidence(ranking: tuple[tuple[str, float], ...]) -> float:
    """The confidence in the likeliest reading of a short message that says little: out of
    scope, or no domain word at all. It is the reading's lead over the next one, unless that lead
    is at least SHORT_MARGIN. "嗯嗯" stays out of scope; "欠薪", where out of scope barely leads a
    demand, falls under the clarification threshold, so Xiaoer asks back (its choices leave out
    `out_of_scope`) instead of answering that it cannot help; a stray "GBK line" opens no ticket.
    The ranking keeps the model's probabilities."""
    (_, top), (_, second) = ranking[0], ranking[1]
    lead = top - second
    return round(top if lead >= SHORT_MARGIN else lead, 4)


class BuiltinNlu:
    def __init__(self, model: Model) -> None:
        self.model = model

    @classmethod
    def load(cls, path: Path | None = None, on_build: Callable[[Path], None] | None = None) -> BuiltinNlu:
        """Load the model, training it first if it is not there (`on_build` hears about that), and
        the conversion tables every message with Chinese in it is read with."""
        target = path or default_model_path()
        if not target.exists():
            if on_build is not None:
                on_build(target)
            build_model(target)
        load_tables()
        return cls(Model.load(target))

    async def parse(self, text: str) -> Parse:
        return self.parse_now(text)

    def parse_now(self, text: str) -> Parse:
        prepared = prepare(text)
        read = prepared.read
        index, values = self.model.vectorize(features(read))
        intent_probabilities = self.model.intent.probabilities(index, values)
        order = np.argsort(-intent_probabilities)
        ranking = tuple(
            (self.model.intent.labels[i], round(float(intent_probabilities[i]), 4)) for i in order[:5]
        )
        intent, confidence = ranking[0]
        if len(read) <= SHORT_MESSAGE and (intent == OUT_OF_SCOPE or not cue_features(read.lower())):
            confidence = _short_message_confidence(ranking)
        category, category_confidence = None, 0.0
        if intent in CATEGORY_INTENTS or (confidence < ranking[0][1] and ranking[1][0] in CATEGORY_INTENTS):
            category_probabilities = self.model.category.probabilities(index, values)
            best = int(np.argmax(category_probabilities))
            category = self.model.category.labels[best]
            category_confidence = round(float(category_probabilities[best]), 4)
        return Parse(
            text=text,
            lang=detect_lang(prepared.capped),
            intent=intent,
            confidence=confidence,
            intent_ranking=ranking,
            category=category,
            category_confidence=category_confidence,
            urgent=is_urgent(prepared.simple),
            entities=prepared.entities,
        )
