"""Company names bounded by a legal form and a proper-name start (issue 17)."""

from __future__ import annotations

import pytest

from nlu.entities import extract


def company(text: str) -> object:
    return extract(text)[0].get("company")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("我们曾请记者采访过A8县水泥厂，至今没有回音", "A8县水泥厂"),
        ("今天上午福建三棵树涂料股份有限公司的人来了", "福建三棵树涂料股份有限公司"),
        ("欠我们货款的是泉州恒丰建材有限公司，拖了两年", "泉州恒丰建材有限公司"),
        ("我们公司（南安市恒通石材厂）提交的招工需求撤销", "南安市恒通石材厂"),
        ("writing on behalf of Harborview Optics Co., Ltd., a lens maker", "Harborview Optics Co., Ltd."),
    ],
)
def test_a_name_starts_where_the_sentence_around_it_ends(text: str, name: str) -> None:
    assert company(text) == name


@pytest.mark.parametrize(
    "text",
    [
        "时至今日全公司上下都很着急",
        "我是海沧一家生物医药公司的行政主管",
        "附近的污水处理厂要检修两周",
        "我们的客户是一家大型整车厂",
        "下周五新厂投产，想邀请区领导出席",
        "我们在厦门有加工厂和办公室",
    ],
)
def test_a_description_before_a_bare_form_is_no_name(text: str) -> None:
    assert company(text) is None
