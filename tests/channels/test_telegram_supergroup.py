"""A department's group upgraded to a supergroup (a new chat id) is followed without the operator:
on Telegram's refusal naming the new id, or on the service messages announcing it, the id moves
everywhere Xiaoer keeps it, audited, and the refused message goes to the new id once. Real HTTP
against the fake Bot API, the departments' groups read from the database as `xiaoer run` does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.channels.test_telegram import DEMAND, ENTREPRENEUR, GROUP, HEAD, Running, telegram_world

SUPERGROUP = -1_001_234_567_890


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    async with telegram_world(tmp_path, configured_groups=False) as world:
        yield world


async def finance_chat(running: Running) -> str:
    async with running.app.deps.storage() as uow:
        department = next(d for d in await uow.org.departments() if d.id == "finance_office")
    return department.chats["telegram"]


async def test_a_post_refused_for_a_supergroup_goes_to_it_once_and_the_group_is_followed(
    running: Running,
) -> None:
    api = running.api
    await api.group_upgraded(GROUP, SUPERGROUP, by=HEAD, announced=False)
    await api.user_sends(ENTREPRENEUR, DEMAND)
    post = await api.wait_text(SUPERGROUP, "新工单 #1")
    assert api.sends_to_migrated == 1
    assert [s.chat_id for s in api.sent if "新工单 #1" in s.text] == [SUPERGROUP]  # once, not lost
    assert await finance_chat(running) == str(SUPERGROUP)
    async with running.app.deps.storage() as uow:
        changes = await uow.org.changes("department", "finance_office")
        moves = await uow.org.changes("chat", f"telegram:{GROUP}")
    assert (changes[-1].actor, changes[-1].after) == ("platform", {"chats": {"telegram": str(SUPERGROUP)}})
    assert [(m.before, m.after and m.after["outbox"]) for m in moves] == [({"chat_id": str(GROUP)}, 1)]
    # the officers work from the supergroup: a reply to the post there reaches the enterprise
    await api.user_sends(HEAD, "/take 1", chat_id=SUPERGROUP)
    await api.wait_text(SUPERGROUP, "您已签收工单 #1")
    await api.user_sends(HEAD, "您好，已对接建设银行", chat_id=SUPERGROUP, reply_to=post.message_id)
    await api.wait_text(ENTREPRENEUR, "已对接建设银行")
    # and the next ticket goes straight there
    await api.user_sends(ENTREPRENEUR + 1, DEMAND)
    await api.wait_text(SUPERGROUP, "新工单 #2")
    assert api.sends_to_migrated == 1


async def test_the_announced_upgrade_moves_the_group_once_before_anything_is_refused(
    running: Running,
) -> None:
    api = running.api
    await api.group_upgraded(GROUP, SUPERGROUP, by=HEAD)  # both service messages
    for _ in range(200):
        if await finance_chat(running) == str(SUPERGROUP):
            break
        await asyncio.sleep(0.05)
    assert await finance_chat(running) == str(SUPERGROUP)
    assert api.to(GROUP) == api.to(SUPERGROUP) == []  # the announcements are answered by no one
    await api.user_sends(ENTREPRENEUR, DEMAND)
    await api.wait_text(SUPERGROUP, "新工单 #1")
    assert api.sends_to_migrated == 0
    async with running.app.deps.storage() as uow:
        changes = await uow.org.changes("department", "finance_office")
    assert [c.after for c in changes if c.actor == "platform"] == [{"chats": {"telegram": str(SUPERGROUP)}}]


async def test_a_platform_that_moves_a_chat_back_where_it_was_is_not_followed_round_for_ever(
    running: Running,
) -> None:
    """A Bot API naming, for the new id, the old one again (no real Telegram does, a hostile or
    broken one may) gets the post sent once each way and then failed with the reason, not sent
    round the two ids for ever; the entrepreneur is answered all the same."""
    api = running.api
    await api.group_upgraded(GROUP, SUPERGROUP, by=HEAD, announced=False)
    await api.group_upgraded(SUPERGROUP, GROUP, by=HEAD, announced=False)
    await api.user_sends(ENTREPRENEUR, DEMAND)
    await api.wait_text(ENTREPRENEUR, "#1")
    for _ in range(200):
        if api.sends_to_migrated >= 2:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(1)  # time enough for hundreds of rounds, were it still going round
    assert api.sends_to_migrated == 2
    assert await finance_chat(running) == str(SUPERGROUP)  # the first, real-looking move was followed
