"""No sentence of a set we measure on (the held-out set, the dev sets) is in the training data,
neither as it stands nor inside a longer line (nlu/apart.py says what counts)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlu.apart import overlaps
from nlu.training_data import load_examples
from tests.conftest import ROOT

MEASURED = sorted((ROOT / "tests" / "data").glob("nlu_*.jsonl"))


def test_every_measured_set_is_found() -> None:
    names = {path.name for path in MEASURED}
    assert {"nlu_eval.jsonl", "nlu_dev.jsonl", "nlu_english_dev.jsonl", "nlu_long_dev.jsonl"} <= names


@pytest.mark.parametrize("path", MEASURED, ids=lambda path: path.stem)
def test_no_measured_sentence_is_in_the_training_data(path: Path) -> None:
    measured = [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line]
    assert overlaps((e.text for e in load_examples()), measured) == []


def test_a_copy_is_found_whatever_its_case_punctuation_or_surroundings() -> None:
    training = ["Tell me a joke.", "人才公寓的申请条件是什么", "I want to talk to a real person."]
    measured = [
        "人才公寓的申请条件是什么？本科生可以申请吗",
        "i want to talk to a REAL person",
        "tell me a joke",
    ]
    assert sorted(overlaps(training, measured)) == [
        ("I want to talk to a real person.", "i want to talk to a REAL person"),
        ("人才公寓的申请条件是什么", "人才公寓的申请条件是什么？本科生可以申请吗"),
    ]  # "tell me a joke" is a formula anyone writes the same way
