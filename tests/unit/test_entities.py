"""Rule-based entities and urgency, on sentences written for these tests."""

from __future__ import annotations

import pytest

from nlu.entities import extract
from nlu.urgency import is_urgent
from nlu.uscc import check_character, is_valid


def test_credit_code_check_character() -> None:
    assert check_character("91350206MA2Y3K8P1") == "3"
    assert is_valid("91350206ma2y3k8p13")
    assert not is_valid("91350206MA2Y3K8P14")
    assert check_character("9135020OMA2Y3K8P1") is None  # O is not in the code's character set


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("代码 91350206ma2y3k8p13", {"uscc": "91350206MA2Y3K8P13"}),
        ("代码91350206MA2Y3K8P14对吗", {"uscc_invalid": "91350206MA2Y3K8P14"}),
        ("电话0592-5678123", {"phone": "05925678123"}),
        ("手机 138 0000 1234 找张经理", {"phone": "13800001234"}),
        ("call +86 139-0000-1234", {"phone": "+8613900001234"}),
        ("热线 400-800-1234", {"phone": "4008001234"}),
        ("缺口200万", {"amount_yuan": 2000000}),
        ("投资1.5亿元", {"amount_yuan": 150000000}),
        ("补贴五十万元", {"amount_yuan": 500000}),
        ("欠款 80,000元", {"amount_yuan": 80000}),
        ("¥120万", {"amount_yuan": 1200000}),
        ("a loan of 3 million RMB", {"amount_yuan": 3000000}),
        ("CNY 2.5 million", {"amount_yuan": 2500000}),
        ("订单200万美元", {}),
        ("贷款200w急用", {"amount_yuan": 2000000}),
        ("欠款20多万", {"amount_yuan": 200000}),
        ("损失10余万元", {"amount_yuan": 100000}),
        ("人民币伍拾万元整", {"amount_yuan": 500000}),
        ("five hundred thousand yuan", {"amount_yuan": 500000}),
        ("营收5个亿", {"amount_yuan": 500000000}),
        ("www.example.com", {}),
        ("厂房3万平方米", {}),
        ("年产10万吨", {}),
        ("一天损失几十万", {}),
        ("工单42进度", {"ticket_ref": 42}),
        ("42号工单", {"ticket_ref": 42}),
        ("编号 42", {"ticket_ref": 42}),
        ("查询ticket 42", {"ticket_ref": 42}),
        ("No. 42", {"ticket_ref": 42}),
        ("#42", {"ticket_ref": 42}),
        ("我们是厦门鑫源精密机械有限公司，需要帮助", {"company": "厦门鑫源精密机械有限公司"}),
        ("This is Xiamen Haiyue Trading Co., Ltd. speaking", {"company": "Xiamen Haiyue Trading Co., Ltd."}),
        ("希望协调燃气公司尽快通气", {}),
        ("园区标准厂房不够用", {}),
    ],
)
def test_entities(text: str, expected: dict[str, object]) -> None:
    assert extract(text)[0] == expected


def test_first_occurrence_wins_and_codes_are_not_phones() -> None:
    found, _ = extract("代码91350206MA2Y3K8P13，电话13800001234，备用13900001234，缺口200万，另有300万")
    assert found == {"uscc": "91350206MA2Y3K8P13", "phone": "13800001234", "amount_yuan": 2000000}


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        ("生产线停产了，每天损失十几万", True),
        ("贷款明天到期，请尽快协调", True),
        ("We need this ASAP, the line has stopped", True),
        ("deadline is next Friday", True),
        ("不急，有空帮忙看看", False),
        ("not urgent, whenever you can", False),
        ("感谢帮我们解了燃眉之急", False),
        ("想了解应急转贷政策", False),
        ("能不能让联络员明天给我回个电话", False),
    ],
)
def test_urgency(text: str, urgent: bool) -> None:
    assert is_urgent(text) is urgent
