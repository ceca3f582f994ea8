"""Issue 21, item 5: replies follow the language of the message, not only the platform's
language_code; an explicit /lang wins; short or mixed messages keep the conversation's language;
officers read what is addressed to them in their configured language."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.config import Settings, load_settings
from bot.domain.messages import Sender, ToDepartment, ToOfficer
from nlu.lang import clear_lang
from tests.conftest import ROOT, Clock
from tests.fakes import Understood
from tests.world import DEMAND, WANG, XINYUAN, World, make_world, own

ENGLISH_DEMAND = "We urgently need help with a power outage at our factory"
ZH_CLIENT = Sender("telegram", "7001", "Bob", language="zh-hans")
EN_CLIENT = Sender("telegram", "7002", "Li", language="en-GB")
REGISTERED = "Your request is registered"
ACCEPTED = "已受理您的诉求"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        (ENGLISH_DEMAND, "en"),
        (DEMAND, "zh"),
        ("我们需要 ISO 9001 certification 的补贴", "zh"),  # Chinese with a few English terms
        ("Our supplier 厦门鹭江精工机械有限公司 has not paid us for months", "en"),  # a name is no language
        ("Thank you so much", "en"),
        ("谢谢你", "zh"),
        ("ok thanks", None),  # a word or two: too little to go by
        ("好的", None),
        ("\ufffd\ufffd GBK line", None),
        ("1", None),  # pressing a choice says nothing about the reader
        ("ok", None),
        ("好", None),
        ("91350206MA2Y3K8P13", None),
        ("厦门鹭江精工机械有限公司", None),
        ("Our 工厂 needs 电 now", None),  # mixed half and half
    ],
)
def test_only_a_clear_message_decides_the_language(text: str, lang: str | None) -> None:
    assert clear_lang(text) == lang


async def test_an_english_demand_from_a_chinese_client_is_answered_in_english(
    settings: Settings, clock: Clock
) -> None:
    w = await make_world(settings, clock)
    w.nlu.table["ok"] = Understood("out_of_scope", None, 0.9)
    replies = await w.say(ZH_CLIENT, ENGLISH_DEMAND)
    assert REGISTERED in own(replies)
    assert "full name" in own(replies)  # the verification question too
    # short answers and commands keep the conversation's language
    assert "unified social credit code" in own(await w.say(ZH_CLIENT, "Lujiang Precision"))
    assert "Thank you" in own(await w.say(ZH_CLIENT, "91350206MA2Y3K8P13"))
    assert "Your requests (1)" in own(await w.say(ZH_CLIENT, "/status"))
    assert "Sorry, I did not understand" in own(await w.say(ZH_CLIENT, "ok"))


async def test_a_chinese_message_from_an_english_client_is_answered_in_chinese(
    settings: Settings, clock: Clock
) -> None:
    w = await make_world(settings, clock)
    assert ACCEPTED in own(await w.say(EN_CLIENT, DEMAND))
    assert "您的诉求（1 件）" in own(await w.say(EN_CLIENT, "/status"))
    assert REGISTERED in own(await w.say(EN_CLIENT, ENGLISH_DEMAND))  # and back, when they write English


async def test_a_company_name_in_chinese_does_not_switch_an_english_conversation(
    settings: Settings, clock: Clock
) -> None:
    w = await make_world(settings, clock)
    await w.say(ZH_CLIENT, ENGLISH_DEMAND)
    assert "unified social credit code" in own(await w.say(ZH_CLIENT, "厦门鹭江精工机械有限公司"))


async def test_an_explicit_choice_wins_over_detection(settings: Settings, clock: Clock) -> None:
    w = await make_world(settings, clock)
    assert "之后我会用中文" in own(await w.say(EN_CLIENT, "/lang zh"))
    assert ACCEPTED in own(await w.say(EN_CLIENT, ENGLISH_DEMAND))
    assert "in English from now on" in own(await w.say(ZH_CLIENT, "/lang en"))
    assert REGISTERED in own(await w.say(ZH_CLIENT, DEMAND))


def english_officers(directory: Path) -> Settings:
    """The shipped config with 王磊 (xinyuan's liaison, industry_it) and the industry_it head
    reading English; the department's group stays Chinese, the service centre's reads English."""
    document = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    for officer in document["officers"]:
        if officer["id"] in ("wang_lei", "zheng_yu"):
            officer["lang"] = "en"
    for department in document["departments"]:
        if department["id"] == "service_center":
            department["lang"] = "en"
    config = directory / "config.yaml"
    config.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return load_settings(config)


async def english_world(tmp_path: Path, clock: Clock) -> World:
    return await make_world(english_officers(tmp_path), clock)


def to_officer(replies: list, officer_id: str) -> str:  # type: ignore[type-arg]
    return "\n".join(r.text for r in replies if r.to == ToOfficer(officer_id))


async def test_an_english_officer_gets_the_new_ticket_card_in_english(tmp_path: Path, clock: Clock) -> None:
    w = await english_world(tmp_path, clock)
    card = to_officer(await w.say(XINYUAN, DEMAND), "wang_lei")
    assert "New ticket #1" in card
    assert "Category: finance and credit" in card
    assert "Send /take 1" in card
    w.nlu.table["找人工"] = Understood("human")
    assert "would like to talk to an officer" in to_officer(await w.say(XINYUAN, "找人工"), "wang_lei")


async def test_an_english_officer_reads_an_unverified_senders_claims_in_english(
    tmp_path: Path, clock: Clock
) -> None:
    w = await english_world(tmp_path, clock)
    newcomer = Sender("wecom", "lisi", "李四")
    w.nlu.table["车间经常停电，影响生产"] = Understood("report_demand", "utilities")
    replies = await w.say(newcomer, "车间经常停电，影响生产")  # utilities: industry_it's group
    post = next(r for r in replies if isinstance(r.to, ToDepartment))
    assert "新工单" in post.text  # the group reads Chinese
    await w.say(WANG, f"/take {post.ticket}")
    await w.say(newcomer, "厦门鹭江精工机械有限公司")
    told = to_officer(await w.say(newcomer, "91350206MA2Y3K8P13"), "wang_lei")
    assert "The sender says: company 厦门鹭江精工机械有限公司" in told
    assert "企业自报" not in told


async def test_an_english_group_reads_who_asks_for_a_person_in_english(tmp_path: Path, clock: Clock) -> None:
    w = await english_world(tmp_path, clock)
    w.nlu.table["找人工"] = Understood("human")
    replies = await w.say(Sender("wecom", "lisi", "李四"), "找人工")
    told = next(r.text for r in replies if r.to == ToDepartment("service_center"))
    assert "李四 (unverified company) would like to talk to an officer" in told
