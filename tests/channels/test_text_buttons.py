"""Buttons written out as text for WeCom's button-less app messages."""

from __future__ import annotations

from bot.channels.text_buttons import TextButtons, typed_command
from bot.domain.messages import Button

SURVEY = (Button("已解决", "survey:7:r:resolved"), Button("未解决", "survey:7:r:not_resolved"))
APPROVE = Button("批准延期", "cmd:approve:3")


def test_staff_buttons_become_the_command_to_send() -> None:
    assert typed_command("cmd:take:12") == "/take 12"
    assert typed_command("cmd:history") == "/history"
    text = TextButtons().for_group("⏳ 申请延期 #3", [APPROVE, *SURVEY], "zh-CN")
    assert text == "⏳ 申请延期 #3\n\n批准延期：发送 /approve 3"  # other buttons cannot be answered there
    said = TextButtons().for_group("请发送 /approve 3 批准", [APPROVE], "en")
    assert said == "请发送 /approve 3 批准"  # already said: not repeated


def test_numbered_choices_are_picked_by_their_number_once() -> None:
    buttons = TextButtons()
    text = buttons.for_member("ZhangSan", "问题解决了吗？", SURVEY, "en")
    assert text.endswith("Reply with a number to choose:\n1. 已解决\n2. 未解决")
    assert buttons.pick("LiSi", "1") is None  # someone else's choices
    assert buttons.pick("ZhangSan", "3") is None  # no such choice
    assert buttons.pick("ZhangSan", "200万") is None
    assert buttons.pick("ZhangSan", " ２ ") == "survey:7:r:not_resolved"  # full-width digits too
    assert buttons.pick("ZhangSan", "2") is None  # used up


def test_a_later_message_without_choices_retires_the_old_ones() -> None:
    buttons = TextButtons()
    buttons.for_member("ZhangSan", "问题解决了吗？", SURVEY, "zh-CN")
    buttons.for_member("ZhangSan", "员工多少人？直接回复即可", (), "zh-CN")  # an officer's question
    assert buttons.pick("ZhangSan", "2") is None  # "2" is the answer, not the old menu's choice
