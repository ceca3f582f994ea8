"""Telegram delivery under pressure and at its edges: forum topics per ticket, users who blocked
the bot, and a flood-control storm in a busy minute. Real HTTP against the fake Bot API."""

from __future__ import annotations

import asyncio
import re

from bot.channels.pacing import Pacer
from tests.channels.test_telegram import DEMAND, ENTREPRENEUR, GROUP, HEAD, Running, running

__all__ = ["running"]  # the fixture, shared with the main Telegram suite


async def test_each_ticket_gets_its_own_topic_in_a_forum_group(running: Running) -> None:
    api = running.api
    api.forums.add(GROUP)
    running.run.give_topics(GROUP)
    await api.user_sends(ENTREPRENEUR, DEMAND)
    post = await api.wait_text(GROUP, "新工单 #1")
    await api.user_sends(ENTREPRENEUR + 1, DEMAND)
    second = await api.wait_text(GROUP, "新工单 #2")
    assert [name.split(" · ")[0] for _, name in api.topics[GROUP]] == ["📥 新工单 #1", "📥 新工单 #2"]
    first_topic, second_topic = (thread for thread, _ in api.topics[GROUP])
    assert (post.thread_id, second.thread_id) == (first_topic, second_topic)
    # later news of ticket 1 lands in ticket 1's topic, and replies to it still reach the enterprise
    await api.user_sends(ENTREPRENEUR, "/info 1 联系人：财务王会计")
    news = await api.wait_text(GROUP, "财务王会计")
    assert news.thread_id == first_topic
    await api.user_sends(HEAD, "/take 1", chat_id=GROUP, thread=first_topic)
    taken = await api.wait_text(GROUP, "您已签收工单 #1")
    assert taken.thread_id == first_topic  # the answer stays in the topic it was asked in
    await api.user_sends(
        HEAD, "收到，已对接银行", chat_id=GROUP, reply_to=news.message_id, thread=first_topic
    )
    await api.wait_text(ENTREPRENEUR, "收到，已对接银行")


async def test_a_group_that_is_not_a_forum_gets_plain_posts(running: Running) -> None:
    api = running.api
    running.run.give_topics(GROUP)  # configured for topics, but the group is no forum
    await api.user_sends(ENTREPRENEUR, DEMAND)
    post = await api.wait_text(GROUP, "新工单 #1")
    assert post.thread_id is None
    assert "createforumtopic" in api.calls


async def test_a_user_who_blocked_the_bot_is_marked_and_officers_are_told(running: Running) -> None:
    api = running.api
    await api.user_sends(ENTREPRENEUR, DEMAND)
    post = await api.wait_text(GROUP, "新工单 #1")
    await api.wait_text(ENTREPRENEUR, "贵公司的全称")
    await api.user_sends(HEAD, "/take 1", chat_id=GROUP)
    await api.wait_text(ENTREPRENEUR, "签收办理")
    api.blocked.add(ENTREPRENEUR)
    await api.user_sends(HEAD, "/reply 1 请提供近三个月流水", chat_id=GROUP)
    await api.wait_text(GROUP, "已将回复发送给工单 #1 的企业")
    for _ in range(200):  # the refused send is noted right after it fails
        async with running.app.deps.storage() as uow:
            contact = await uow.contacts.by_identity("telegram", str(ENTREPRENEUR))
        if contact is not None and contact.unreachable_since is not None:
            break
        await asyncio.sleep(0.05)
    assert contact is not None
    assert contact.unreachable_since is not None
    await api.user_sends(HEAD, "/reply 1 再补充：需要营业执照", chat_id=GROUP)
    warned = await api.wait_text(GROUP, "已屏蔽机器人")
    assert "请电话联系" in warned.text
    # they unblock and write again: reachable, and the bot keeps going for everyone meanwhile
    api.blocked.discard(ENTREPRENEUR)
    await api.user_sends(ENTREPRENEUR, "/status")
    await api.wait_text(ENTREPRENEUR, "您的诉求（1 件）")
    async with running.app.deps.storage() as uow:
        contact = await uow.contacts.by_identity("telegram", str(ENTREPRENEUR))
    assert contact is not None
    assert contact.unreachable_since is None
    assert post.chat_id == GROUP


async def test_a_flood_control_storm_in_a_busy_minute_loses_and_repeats_nothing(running: Running) -> None:
    api = running.api
    # Telegram's per-group budget (20 a minute) and per-chat pace (one a second, which a group's
    # posts also keep) on a ten-times faster clock, so the test is short and its wait for the
    # thirty posts far from the pace's own 30 s
    running.run.transport.pacer = Pacer(per_chat=(3, 10.0), per_group=(20, 20 / 6))
    people = [ENTREPRENEUR + i for i in range(30)]
    api.storm(2.0)  # every send is refused with retry_after for the first two seconds
    for person in people:
        await api.user_sends(person, DEMAND)
    for person in people:
        await api.wait_text(person, "工单号", within=60)
        await api.wait_text(person, "贵公司的全称", within=60)
    await api.wait_until(lambda: len([s for s in api.to(GROUP) if "新工单" in s.text]) >= 30, "30 posts", 60)
    for person in people:  # each person got one acknowledgement and one question, not two
        texts = [s.text for s in api.to(person)]
        assert len([x for x in texts if "工单号" in x]) == 1
        assert len([x for x in texts if "贵公司的全称" in x]) == 1
    posts = [s.text for s in api.to(GROUP) if "新工单" in s.text]
    numbers = sorted(int(re.search(r"新工单 #(\d+)", p).group(1)) for p in posts)  # type: ignore[union-attr]
    assert numbers == list(range(1, 31))
    assert api.calls.count("sendmessage") > len(api.sent)  # the storm did refuse sends
    assert api.too_early == 0  # and no chat was called again before its retry_after had passed


async def test_server_errors_are_retried_and_nothing_is_lost_or_repeated(running: Running) -> None:
    api = running.api
    api.server_errors_left = 3
    await api.user_sends(ENTREPRENEUR, DEMAND)
    await api.wait_text(ENTREPRENEUR, "工单号 #1", within=20)
    await api.wait_text(GROUP, "新工单 #1", within=20)
    await api.wait_text(ENTREPRENEUR, "贵公司的全称", within=20)
    assert api.server_errors_left == 0
    assert len([s for s in api.to(ENTREPRENEUR) if "工单号" in s.text]) == 1
    assert api.calls.count("sendmessage") == len(api.sent) + 3


async def test_a_report_chart_arrives_as_a_photo_with_its_caption(running: Running) -> None:
    api = running.api
    await api.user_sends(ENTREPRENEUR, DEMAND)
    await api.wait_text(GROUP, "新工单 #1")
    await api.user_sends(HEAD, "/report", chat_id=GROUP)
    await api.wait_until(lambda: any(s.file for s in api.to(GROUP)), "a photo in the group", 30)
    photo = next(s for s in api.to(GROUP) if s.file)
    assert photo.file.startswith(b"\x89PNG")
    assert "sendphoto" in api.calls
