"""Short messages ("欠薪", "路灯不亮") are enterprise matters often enough that Xiaoer asks back
rather than answering that it cannot help; chit-chat stays out of scope."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.config import Settings
from nlu.builtin import BuiltinNlu
from nlu.evaluate import read_jsonl
from tests.conftest import ROOT, Clock
from tests.world import XINYUAN, make_world, own

CLARIFY_BELOW = 0.5  # the default nlu.clarify_below
pytestmark = pytest.mark.usefixtures("fresh_databases")  # make_world's database


@pytest.fixture(scope="module")
def nlu() -> BuiltinNlu:
    return BuiltinNlu.load()


def short_rows() -> list[dict[str, object]]:
    path = ROOT / "tests" / "data" / "nlu_short_dev.jsonl"
    return read_jsonl(path.read_text(encoding="utf-8").splitlines())


def test_a_short_enterprise_matter_is_never_refused_with_confidence(nlu: BuiltinNlu) -> None:
    refused = []
    for row in short_rows():
        if row["intent"] == "out_of_scope":
            continue
        parse = nlu.parse_now(str(row["text"]))
        if parse.intent == "out_of_scope" and parse.confidence >= CLARIFY_BELOW:
            refused.append(row["text"])
    assert refused == []


def test_chit_chat_stays_out_of_scope(nlu: BuiltinNlu) -> None:
    for text in ("哈哈哈", "讲个笑话", "明天天气怎么样", "what's the weather"):
        parse = nlu.parse_now(text)
        assert (parse.intent, parse.confidence >= CLARIFY_BELOW) == ("out_of_scope", True), text


def test_an_unsure_short_message_keeps_the_model_probabilities(nlu: BuiltinNlu) -> None:
    parse = nlu.parse_now("欠薪")
    assert parse.intent != "out_of_scope" or parse.confidence < parse.intent_ranking[0][1]
    assert parse.intent_ranking[0][1] >= parse.confidence


async def test_xiaoer_asks_back_on_a_two_character_demand(
    settings: Settings, clock: Clock, nlu: BuiltinNlu
) -> None:
    w = await make_world(settings, clock)
    w.deps = replace(w.deps, nlu=nlu)
    replies = own(await w.say(XINYUAN, "欠薪"))
    assert "没有看懂" not in replies
    assert "我不太确定您的意思" in replies or "工单号" in replies
