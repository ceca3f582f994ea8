"""Issue 21, item 5 end to end on Telegram (real NLU, fake Bot API): replies follow the language
a person writes in, whatever their app is set to, until they choose one with /lang."""

from __future__ import annotations

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
