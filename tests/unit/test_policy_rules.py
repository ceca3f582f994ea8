"""The pure parts of policies: targeting, retrieval, what officers type, policy files."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.config import Settings
from bot.domain.markdown import excerpt, plain
from bot.domain.outbox import LONGEST_BACKOFF, MAX_ATTEMPTS, RETRY_FOR, backoff
from bot.domain.policies import Tags, enterprise_qualifies, group_matches, unmet
from bot.domain.policy_search import Index, terms
from bot.policy_file import PolicyFileError, read_policy
from handlers.policy_drafting import BadInput, parse_deadline, parse_tags
from tests import builders
from tests.conftest import NOW

XINYUAN = builders.enterprise(
    "xinyuan", industry="manufacturing", district="湖里区", size_class="规上", tags=("high_tech", "专精特新")
)
HAIYUE = builders.enterprise(
    "haiyue", industry="trade", district="湖里区", size_class="小微", tags=("export",)
)


def test_an_enterprise_qualifies_when_every_restricted_dimension_holds() -> None:
    policy = Tags.of({"size_class": ["规上"], "qualifications": ["专精特新", "High_Tech "]})
    assert enterprise_qualifies(policy, XINYUAN)
    assert not enterprise_qualifies(policy, HAIYUE)
    assert unmet(policy, HAIYUE) == ["size_class", "qualifications"]
    assert enterprise_qualifies(Tags(), HAIYUE)  # open to all
    assert not enterprise_qualifies(Tags.of({"district": ["思明区"]}), builders.enterprise("nowhere"))


def test_a_group_is_excluded_only_by_a_dimension_it_names() -> None:
    policy = Tags.of({"district": ["湖里区"], "size_class": ["规上"]})
    assert group_matches(policy, Tags.of({"district": ["湖里区"]}))  # mixed sizes: it hears of it
    assert not group_matches(policy, Tags.of({"district": ["思明区"]}))
    assert not group_matches(policy, Tags.of({"district": ["湖里区"], "size_class": ["小微"]}))
    assert group_matches(Tags(), Tags.of({"industry": ["trade"]}))


def test_question_words_are_dropped_before_chinese_is_cut_into_pairs() -> None:
    assert terms("我们是专精特新企业，有什么奖励政策吗") == ["专精", "精特", "特新", "奖励"]
    assert terms("Are there subsidies for exporting companies?") == ["subsidy", "export"]


POLICIES = {
    1: "专精特新企业奖励 对认定为国家级专精特新“小巨人”的企业给予一次性奖励50万元",
    2: "小微企业贷款贴息 对小微企业新增流动资金贷款给予50%贴息 loan interest subsidy",
    3: "出口信用保险保费补贴 对出口企业投保短期出口信用保险的保费给予补贴 export credit insurance",
}


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("专精特新企业有什么奖励？", 1),
        ("我们想申请流动资金贷款，有贴息吗", 2),
        ("出口信用保险的保费能补贴多少", 3),
        ("Is there an interest subsidy for small business loans?", 2),
    ],
)
def test_the_policy_that_speaks_to_the_question_ranks_first(question: str, expected: int) -> None:
    hits = Index(list(POLICIES.items())).search(question)
    assert hits[0].key == expected
    assert hits[0].coverage >= 0.5


def test_a_question_about_something_else_matches_nothing_well() -> None:
    hits = Index(list(POLICIES.items())).search("食堂的卫生许可证怎么办理")
    assert all(hit.coverage < 0.5 for hit in hits)


def test_markdown_is_made_plain_and_long_texts_cut_at_a_line() -> None:
    assert plain("## 对象\n**规上**企业，high_tech 见[通知](https://a.cn/1)\n- 一\n") == (
        "对象\n规上企业，high_tech 见通知 (https://a.cn/1)\n• 一"
    )
    text, cut = excerpt("一" * 15 + "\n" + "二" * 50, 20)
    assert (text, cut) == ("一" * 15 + "…", True)
    assert excerpt("短", 20) == ("短", False)


def test_tags_and_deadlines_as_officers_type_them() -> None:
    assert parse_tags("行业=制造业,软件 区域：湖里区 规模=规上 资质=专精特新、高新技术") == Tags.of(
        {
            "industry": ["制造业", "软件"],
            "district": ["湖里区"],
            "size_class": ["规上"],
            "qualifications": ["专精特新", "高新技术"],
        }
    )
    assert parse_tags("size=规上; qualification=high_tech") == Tags.of(
        {"size_class": ["规上"], "qualifications": ["high_tech"]}
    )
    assert parse_tags("不限") == Tags()
    for wrong in ("制造业", "颜色=红", "规模="):
        with pytest.raises(BadInput):
            parse_tags(wrong)
    today = date(2026, 11, 23)
    assert parse_deadline("2026-12-31", today) == date(2026, 12, 31)
    assert parse_deadline("2026年12月1日", today) == date(2026, 12, 1)
    assert parse_deadline("无", today) is None
    with pytest.raises(BadInput, match="past"):
        parse_deadline("2026-11-22", today)
    with pytest.raises(BadInput, match="bad_deadline"):
        parse_deadline("2026-02-30", today)


def test_backoff_doubles_and_stops_growing() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [2, 4, 8]
    assert backoff(40) == LONGEST_BACKOFF


def test_a_policy_file_reads_into_a_policy(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "p.md"
    path.write_text(
        "---\ntitle: 专精特新奖励\ndepartment: industry_it\ncategory: innovation\ndeadline: 2026-12-31\n"
        "eligibility:\n  size_class: 规上\n  qualifications: [专精特新]\nlinks: [https://a.cn/1]\n---\n"
        "**正文**\n",
        encoding="utf-8",
    )
    policy = read_policy(path, settings.bootstrap_directory(), date(2026, 11, 23), NOW)
    assert (policy.title, policy.department_id, policy.category) == (
        "专精特新奖励",
        "industry_it",
        "innovation",
    )
    assert policy.deadline == date(2026, 12, 31)
    assert policy.eligibility == Tags.of({"size_class": ["规上"], "qualifications": ["专精特新"]})
    assert policy.body == "**正文**"
    assert policy.created_by == "cli"


def test_a_bad_policy_file_names_every_problem(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "bad.md"
    path.write_text(
        "---\ndepartment: nowhere\ndeadline: 2026-11-01\n"
        "effective_from: 2027-01-01\neffective_until: 2026-01-01\n"
        "eligibility: {size: [规上]}\nlinks: [a.cn]\ncolour: red\n---\n",
        encoding="utf-8",
    )
    with pytest.raises(PolicyFileError) as raised:
        read_policy(path, settings.bootstrap_directory(), date(2026, 11, 23), NOW)
    problems = "\n".join(raised.value.problems)
    for fragment in (
        "unknown key 'colour'",
        "title: missing",
        "unknown department 'nowhere'",
        "deadline: 2026-11-01 has passed",
        "effective_until: it is before effective_from",
        "eligibility.size: unknown dimension",
        "'a.cn' is not a web address",
        "text: the policy's text",
    ):
        assert fragment in problems
    no_front = tmp_path / "plain.md"
    no_front.write_text("just text", encoding="utf-8")
    with pytest.raises(PolicyFileError, match="must start with a line '---'"):
        read_policy(no_front, settings.bootstrap_directory(), date(2026, 11, 23), NOW)


def test_an_outage_of_less_than_a_day_loses_no_message() -> None:
    """Found in review: eight attempts gave up after about eight minutes of outage."""
    retried = sum((backoff(n) for n in range(1, MAX_ATTEMPTS)), timedelta(0))
    assert retried < RETRY_FOR <= retried + backoff(MAX_ATTEMPTS)
