"""Channels plugged into a runtime: each channel's way in (an adapter that keeps updates in the
inbox), its addressing (which chats a reply is for) and its way out (the outbox transport)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING

from bot.config import WecomConfig
from bot.runtime.runtime import Runtime

# Each channel's modules are imported when it is plugged in: a platform SDK takes seconds to
# import (aiogram's types alone about two), which a command that does not use it should not pay.
if TYPE_CHECKING:
    from bot.channels.telegram import TelegramChannel
    from bot.channels.wecom import WecomChannel


def plug_telegram(
    runtime: Runtime,
    token: str,
    api_base: str,
    department_chats: Mapping[str, int] | None = None,
    topic_chats: Collection[int] = (),
    *,
    polling_timeout: int = 10,
) -> TelegramChannel:
    from bot.channels.pacing import Pacer
    from bot.channels.telegram import TelegramAddressing, TelegramChannel, make_bot
    from bot.channels.telegram_outbox import TelegramTransport

    bot = make_bot(token, api_base)
    deps = runtime.deps
    runtime.plug(
        TelegramAddressing(deps.directory, department_chats, topic_chats),
        TelegramTransport(bot, Pacer(), topic_chats=topic_chats),
    )
    return TelegramChannel(
        bot,
        runtime.conversations.accept,
        runtime.outgoing.say,
        deps.directory,
        clock=deps.clock,
        default_lang=deps.default_lang,
        polling_timeout=polling_timeout,
        officer_groups=(department_chats or {}).values(),
        start_links=deps.start_links,
    )


def plug_wecom(
    runtime: Runtime, config: WecomConfig, department_chats: Mapping[str, str] | None = None
) -> WecomChannel:
    from bot.channels.wecom import WecomAddressing, WecomChannel
    from bot.channels.wecom_outbox import WecomTransport

    deps = runtime.deps

    async def lang_of(user_id: str) -> str:
        """A member's language: an officer's from the config, an enterprise contact's as stored."""
        officer = deps.directory.officer_by_identity("wecom", user_id)
        if officer is not None:
            return officer.lang
        async with deps.storage() as uow:
            contact = await uow.contacts.by_identity("wecom", user_id)
        return contact.lang if contact is not None else deps.default_lang

    channel = WecomChannel(
        config,
        deps.directory,
        runtime.conversations.accept,
        department_chats,
        now=deps.clock,
        lang_of=lang_of,
        default_lang=deps.default_lang,
    )
    runtime.plug(WecomAddressing(deps.directory, department_chats), WecomTransport(channel, config.robots))
    return channel


async def telegram_username(token: str, api_base: str) -> str | None:
    """The bot's username as Telegram knows it (getMe), for commands that make invite links."""
    from bot.channels.telegram import make_bot

    bot = make_bot(token, api_base)
    try:
        return (await bot.me()).username
    finally:
        await bot.session.close()
