"""Urgency from stated time pressure and imminent harm, not from narration (issue 17)."""

from __future__ import annotations

import re
import warnings

import pytest

from nlu import urgency
from nlu.urgency import is_urgent


@pytest.mark.parametrize(
    "text",
    [
        "那边的矿在关停以后，原料供应出了问题，我们就把业务收回厦门",
        "这几年城市建设的加快，我们周边陆续建起了小区",
        "我们的款项一般是立即到账的，不需要担心资金问题",
        "天然气供应不稳定，锅炉常常停机",
        "冷库的压缩机好几次因为电压低自动停机",
        "去年停产过一次，现在想了解技改补贴",
        "如果还需要补充什么材料，我们马上准备",
        "Thank you, the officer solved our problem within two days.",
        "Immediately after the merger in 2019 we moved our headquarters here.",
        "Checking in on the power issue we reported on Monday. Any reply yet?",
    ],
)
def test_narration_is_not_urgency(text: str) -> None:
    assert not is_urgent(text)


@pytest.mark.parametrize(
    "text",
    [
        "工厂明天就要停产了",
        "客户要求下周三之前完成试生产",
        "从后天开始暂停接收我们的废水",
        "请立即协调供电部门",
        "能不能帮忙加快一下",
        "我哋间厂冇电，成条生产线停咗，唔该快啲派人嚟",
        "Our export licence expires this Friday and the renewal is pending.",
        "The hearing on our contract dispute is tomorrow and our lawyer just quit.",
        "We lose money every hour the line is down.",
        "The certificate expires next week.",
        "He starts work Monday and has no school place for his son.",
        "The permit was rejected over a typo - can you help us fix it quickly?",
    ],
)
def test_time_pressure_in_the_present_or_future_is_urgent(text: str) -> None:
    assert is_urgent(text)


def _starts(parsed: object) -> set[str]:
    """The characters a parsed pattern can start with (lookbehinds skipped)."""
    found: set[str] = set()
    for op, av in parsed:  # type: ignore[attr-defined]
        name = str(op)
        if name == "ASSERT_NOT" or (name == "ASSERT" and av[0] < 0):
            continue
        if name == "LITERAL":
            return found | {chr(av)}
        if name == "BRANCH":
            for branch in av[1]:
                found |= _starts(branch)
            return found
        if name == "SUBPATTERN":
            return found | _starts(av[3])
        if name == "IN":
            for kind, value in av:
                assert str(kind) in ("LITERAL", "RANGE"), kind
                low, high = (value, value) if str(kind) == "LITERAL" else value
                found |= {chr(c) for c in range(low, high + 1)}
            return found
        if name in ("MAX_REPEAT", "MIN_REPEAT"):
            found |= _starts(av[2])
            if av[0] > 0:
                return found
            continue
        raise AssertionError(f"cannot tell how {name} starts")
    raise AssertionError("a cue that can match nothing")


@pytest.mark.parametrize(
    ("pattern", "declared"),
    [
        (urgency._URGENT_WORDS_ZH, urgency._URGENT_WORDS_ZH_STARTS),
        (urgency._PRESSURE_ZH, urgency._PRESSURE_ZH_STARTS),
    ],
)
def test_every_chinese_cue_starts_with_a_declared_character(pattern: str, declared: str) -> None:
    # The scan refuses a position whose character is not declared: a cue added to the patterns
    # but not to the declaration would never be found.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import sre_parse

    declared_class = re.compile(f"[{declared}]")
    missing = {c for c in _starts(sre_parse.parse(pattern)) if not declared_class.fullmatch(c)}
    assert not missing
