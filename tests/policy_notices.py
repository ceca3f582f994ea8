"""A policy published to enterprises' private Telegram chats, one enterprise a chat: the notices
that the broadcast tests send through the outbox."""

from __future__ import annotations

from collections.abc import Iterable

from bot.bootstrap import App
from bot.domain.enterprise import Contact
from bot.domain.policies import Policy
from handlers.policy_publish import add_policy, publish
from tests import builders


async def publish_to_chats(app: App, chats: Iterable[int]) -> tuple[int, int]:
    """An enterprise and its Telegram contact for each chat, then a policy for all published: the
    policy's id and how many notices were queued (the configuration's groups get theirs too)."""
    async with app.deps.storage() as uow:
        for i, chat in enumerate(chats):
            await uow.enterprises.add(builders.enterprise(f"co{i}"))
            await uow.contacts.add(Contact(None, "telegram", str(chat), "x", "zh-CN", f"co{i}"))
        await uow.commit()
    draft = await add_policy(
        app.deps, Policy(None, "普惠政策", "所有企业适用。", "industry_it", "cli", app.deps.clock())
    )
    published = await publish(app.deps, draft.id or 0, via=None)
    return draft.id or 0, published.queued
