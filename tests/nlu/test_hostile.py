"""Hostile input: numbers of any length, long runs of separators and huge messages are read
without raising and without quadratic work (wall times are measured in benchmarks/nlu_bench.py,
not asserted here)."""

from __future__ import annotations

import pytest

from nlu.builtin import BuiltinNlu
from nlu.entities import extract
from nlu.numbers import parse_number


@pytest.mark.parametrize(
    "text",
    [
        "贷款" + "9" * 309 + "万元",
        "欠款" + "1" * 400 + "元",
        "RMB " + "9" * 400,
        "¥" + "9" * 400,
        "a loan of " + "9" * 400 + " yuan",
        "1," * 2000,
        "RMB " + "1," * 2000,
        "1." * 2000 + "万",
        "一" * 4000 + "万元",
    ],
)
def test_numbers_of_any_length_do_not_raise(text: str) -> None:
    found, _ = extract(text)
    assert "amount_yuan" not in found  # no one means a 400-digit amount


def test_a_number_too_large_for_a_float_is_no_number() -> None:
    assert parse_number("9" * 400) is None
    assert parse_number("1,200") == 1200.0


def test_a_long_number_is_not_read_from_its_tail() -> None:
    # the last digits of a long run are not an amount of their own
    assert extract("编号" + "1" * 30 + "万元")[0].get("amount_yuan") is None
    assert extract("1,000,000,000,000,000,000,000,000,000万元")[0].get("amount_yuan") is None
    assert extract("贷款1,500万元")[0]["amount_yuan"] == 15_000_000


@pytest.fixture(scope="module")
def nlu() -> BuiltinNlu:
    return BuiltinNlu.load()


@pytest.mark.parametrize(
    "text",
    ["9" * 309 + "万元", "1," * 2000, "A" * 4096, " " * 4096 + "急", "\u200b" * 4096, "工单" * 2048],
)
def test_the_model_answers_any_message(nlu: BuiltinNlu, text: str) -> None:
    parse = nlu.parse_now(text)
    assert parse.text == text
    assert 0.0 <= parse.confidence <= 1.0
