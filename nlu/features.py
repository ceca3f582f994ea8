"""What the classifier sees of a message: character n-grams of Chinese, words and character
n-grams of Latin script, and placeholders where entities stood (so "#42" and "#7" look alike)."""

from __future__ import annotations

import itertools
import re

from nlu.entities import normalize
from nlu.lexicon import cue_features

FEATURE_VERSION = "8"  # bump when features change: cached models are keyed by it

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]+|[a-z][a-z']*|\d+|<[a-z_]+>|[?!]|[^\s\w{_CJK}]", re.IGNORECASE)
_CJK_RUN = re.compile(rf"^[{_CJK}]+$")


_SENTENCE_END = frozenset(".?!;")


def _sentence_openings(words: list[str]) -> list[str]:
    """How each sentence of Latin script opens, its first word and first two: "Is there…", "What is…"
    and "Which…" ask about policy, "Our…" and "need…" tell of a difficulty, wherever the rest of
    the sentence has words the training data never had (a bigram alone is diluted by them)."""
    found = []
    for i, word in enumerate(words):
        if (i == 0 or words[i - 1] in _SENTENCE_END) and word not in ("<zh>", "0"):
            found.append(f"f:{word}")
            if i + 1 < len(words):
                found.append(f"f:{word} {words[i + 1]}")
    return found


def features(read: str) -> list[str]:
    """The features of a reading (`nlu.prepare.prepare`): entities are placeholders there already."""
    normalized = normalize(read).lower()
    tokens = _TOKEN.findall(normalized)
    found: list[str] = []
    words: list[str] = []
    for token in tokens:
        if _CJK_RUN.match(token):
            found.extend(f"c:{ch}" for ch in token)
            found.extend(f"c:{token[i : i + 2]}" for i in range(len(token) - 1))
            found.extend(f"c:{token[i : i + 3]}" for i in range(len(token) - 2))
            words.append("<zh>")
        elif token[0].isdigit():
            found.append("n:0")
            words.append("0")
        else:
            found.append(f"w:{token}")
            if token[0].isalpha() and len(token) > 3:
                padded = f"<{token}>"
                found.extend(f"g:{padded[i : i + 4]}" for i in range(len(padded) - 3))
            words.append(token)
    found.extend(f"b:{a} {b}" for a, b in itertools.pairwise(words) if a != "<zh>" or b != "<zh>")
    found.extend(_sentence_openings(words))
    # No length feature: "len:short" taught the model that short means out of scope, and a two-
    # character demand ("欠薪") is as much a demand as a letter.
    found.extend(cue_features(normalized))
    return found
