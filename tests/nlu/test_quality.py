"""Quality floors on held-out data: the build fails if the NLU gets worse.

`tests/data/nlu_eval.jsonl` was written apart from the training data and is never trained or
tuned on; the floors sit a little under the figures measured when they were set (see
benchmarks/RESULTS.md), so noise does not fail the build but a real drop does.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlu.builtin import BuiltinNlu
from nlu.evaluate import Report, evaluate, read_jsonl
from tests.conftest import ROOT, in_ci

CLINC = ROOT.parent / "shared" / "datasets" / "clinc150" / "data_full.json"


@pytest.fixture(scope="module")
def nlu() -> BuiltinNlu:
    return BuiltinNlu.load()


@pytest.fixture(scope="module")
def report(nlu: BuiltinNlu) -> Report:
    rows = read_jsonl((ROOT / "tests" / "data" / "nlu_eval.jsonl").read_text(encoding="utf-8").splitlines())
    assert len(rows) >= 400
    return evaluate(nlu.parse_now, rows)


def test_intent_accuracy(report: Report) -> None:
    assert report.intent_accuracy >= 0.955


def test_category_macro_f1(report: Report) -> None:
    assert report.category_macro_f1 >= 0.905


def test_urgency_accuracy(report: Report) -> None:
    assert report.urgent_accuracy >= 0.965


@pytest.mark.parametrize(
    ("key", "floor"),
    [
        ("uscc", 0.98),
        ("uscc_invalid", 0.98),
        ("phone", 0.97),
        ("ticket_ref", 0.97),
        ("amount_yuan", 0.95),
        ("company", 0.92),
    ],
)
def test_entity_f1(report: Report, key: str, floor: float) -> None:
    assert report.entity_scores()[key][2] >= floor


def test_clinc_out_of_scope_queries_rarely_become_demands(nlu: BuiltinNlu) -> None:
    if not CLINC.exists():
        if in_ci():
            pytest.fail(f"{CLINC} is missing; CI must measure the out-of-scope rate")
        pytest.skip(f"{CLINC} is not on this machine")
    queries = [text for text, _ in json.loads(CLINC.read_text(encoding="utf-8"))["oos_test"]]
    wrong = sum(nlu.parse_now(q).intent in ("report_demand", "policy_inquiry") for q in queries)
    assert wrong / len(queries) <= 0.02


def test_model_reloads_from_its_file(nlu: BuiltinNlu, tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    nlu.model.save(path)
    again = BuiltinNlu.load(path)
    text = "我们公司急需一笔200万的流动资金贷款"
    assert again.parse_now(text) == nlu.parse_now(text)
