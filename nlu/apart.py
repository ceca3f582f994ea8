"""Keeping training data apart from the sets we measure on.

A measured set is only worth its figure if the model never saw its sentences. Two texts are the
same sentence when they agree after case, spaces and punctuation are dropped ("Tell me a joke."
and "tell me a joke"), and one is a copy of the other when it holds the other whole ("人才公寓的
申请条件是什么" inside "人才公寓的申请条件是什么？本科生可以申请吗").

A formula as short as "你好", "转人工", "有结果了吗" or "good morning" is written the same by
anyone: it may be in both, since leaving it out of training would only make the model worse at
the commonest messages. Chinese characters weigh three Latin letters (a character carries about
a word's worth of meaning).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_NOT_WORD = re.compile(r"[\W_]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

# A text lighter than this is a formula (at most five Chinese characters or 15 Latin letters).
FORMULA = 16
# A text at least this heavy, held whole by another, makes that other a copy of it.
COPIED = 24


def key(text: str) -> str:
    return _NOT_WORD.sub("", text.lower())


def weight(folded: str) -> int:
    return len(folded) + 2 * len(_CJK.findall(folded))


def overlaps(training: Iterable[str], measured: Iterable[str]) -> list[tuple[str, str]]:
    """(training text, measured text) pairs that are the same sentence or a copy of each other."""
    train_keys: dict[str, str] = {}
    for text in training:
        train_keys.setdefault(key(text), text)
    measured_keys: dict[str, str] = {}
    for text in measured:
        measured_keys.setdefault(key(text), text)
    found = [
        (train_keys[k], text) for k, text in measured_keys.items() if k in train_keys and weight(k) >= FORMULA
    ]
    # "\n" never occurs in a key, so a match in the joined text lies within one key
    all_training, all_measured = "\n".join(train_keys), "\n".join(measured_keys)
    for k, text in measured_keys.items():
        if weight(k) >= COPIED and k not in train_keys and k in all_training:
            found += [(t, text) for tk, t in train_keys.items() if k in tk]
    for k, text in train_keys.items():
        if weight(k) >= COPIED and k not in measured_keys and k in all_measured:
            found += [(text, m) for mk, m in measured_keys.items() if k in mk]
    return found
