"""Issue 21, item 5 end to end on Telegram (real NLU, fake Bot API): replies follow the language
a person writes in, whatever their app is set to, until they choose one with /lang."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.channels import test_telegram
from tests.channels.test_telegram import ENTREPRENEUR, Running

running = test_telegram.running  # the bot on SQLite over a fake Bot API (the fixture)
ENGLISH_CLIENT = 5002


async def test_replies_follow_the_message_and_a_choice_wins(running: Running) -> None:
    api = running.api
    # an app set to Chinese, a demand in English: English
    await api.user_sends(ENTREPRENEUR, "Our factory has had no power for two days, we need help urgently")
    await api.wait_text(ENTREPRENEUR, "Your request is registered as ticket #1")
    await api.wait_text(ENTREPRENEUR, "what is your company's full name?")
    await api.user_sends(ENTREPRENEUR, "/status")  # a command says nothing about language
    await api.wait_text(ENTREPRENEUR, "Your requests (1)")
    # an app set to English, a demand in Chinese: Chinese
    await api.user_sends(ENGLISH_CLIENT, "我们公司急需一笔200万的流动资金贷款", language_code="en")
    await api.wait_text(ENGLISH_CLIENT, "已受理您的诉求，工单号 #2")
    # a choice made with /lang is kept whatever the person writes
    await api.user_sends(ENGLISH_CLIENT, "/lang en", language_code="en")
    await api.wait_text(ENGLISH_CLIENT, "in English from now on")
    await api.user_sends(ENGLISH_CLIENT, "厂房租金太高，需要协调新的用地", language_code="en")
    await api.wait_text(ENGLISH_CLIENT, "Your request is registered as ticket #3")


LIAISON = 9002  # 王磊, xinyuan's liaison officer, reading English


@pytest.fixture
def english_liaison(monkeypatch: pytest.MonkeyPatch) -> None:
    """The `running` bot's config, with 王磊 on Telegram and `lang: en` (request this first)."""
    shipped = test_telegram.write_config

    def write_config(directory: Path) -> Path:
        config = shipped(directory)
        document = yaml.safe_load(config.read_text(encoding="utf-8"))
        for officer in document["officers"]:
            if officer["id"] == "wang_lei":
                officer.update(identities={"telegram": LIAISON}, lang="en")
        config.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
        return config

    monkeypatch.setattr(test_telegram, "write_config", write_config)


async def test_an_english_liaison_gets_the_new_ticket_card_in_english(
    english_liaison: None, running: Running
) -> None:
    api = running.api
    await api.user_sends(LIAISON, "/invite xinyuan", language_code="zh-hans")
    invited = await api.wait_text(LIAISON, "Invitation code for 厦门鑫源精密机械有限公司")  # config, not app
    code = invited.text.split("/start ")[1].split()[0]
    await api.user_sends(ENTREPRENEUR, f"/start {code}")
    await api.wait_text(ENTREPRENEUR, "绑定成功")
    await api.user_sends(ENTREPRENEUR, "我们公司急需一笔200万的流动资金贷款，下月发工资都困难了")
    await api.wait_text(ENTREPRENEUR, "已转交您的包联干部 王磊")
    card = await api.wait_text(LIAISON, "New ticket #1")
    assert "Category: finance and credit" in card.text
    assert card.buttons == [("Sign for it", "cmd:take:1")]
