"""The Telegram channel plugged into a runtime: its bot (adapter), its addressing and transport,
and what `xiaoer run` serves for it (the webhook route or the polling loop, and a start-up check
of which officers the bot may write to)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING

from bot.channels.pacing import Pacer
from bot.channels.plugin import Echo, Host, Plugged
from bot.channels.telegram.adapter import (
    CHANNEL,
    TelegramAddressing,
    TelegramChannel,
    build_polled_reader,
    build_webhook_reader,
    make_bot,
)
from bot.channels.telegram.reach import unreachable_officers
from bot.channels.telegram.transport import TelegramTransport
from handlers.reach import unreachable_notices
from handlers.send_slots import shared_overall

if TYPE_CHECKING:
    from bot.config import Settings


def plug(host: Host, settings: Settings) -> Plugged:
    config = settings.channels.telegram
    # the departments' groups (and which are forums) are read from the directory as it is now
    channel = plug_bot(host, config.token or "", config.api_base, senders=config.senders)
    plugged = Plugged(CHANNEL, channel.close, check=channel.check)
    if config.webhook:
        url, secret = config.webhook_url or "", config.webhook_secret or ""
        path = channel.webhook_path(url)
        plugged.routes.append(lambda app: channel.add_routes(app, path, secret))
        plugged.listen = (config.host, config.port)
        plugged.tasks.append(lambda _echo, _stop: channel.register_webhook(url, secret))
        plugged.ready.append(f"telegram (webhook {url})")
        plugged.warm = build_webhook_reader
    else:
        plugged.tasks.append(lambda _echo, stop: poll_until(channel, stop))
        plugged.ready.append(f"telegram (polling {config.api_base})")
        plugged.warm = build_polled_reader
    plugged.tasks.append(lambda echo, _stop: report_unreachable_officers(host, channel, echo))
    return plugged


async def poll_until(telegram: TelegramChannel, stop: asyncio.Event) -> None:
    """Long polling until `stop`: the update in hand is kept before polling ends."""
    polling = asyncio.create_task(telegram.run_polling())
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait([polling, stopped], return_when=asyncio.FIRST_COMPLETED)
    if not polling.done():
        try:
            await telegram.dispatcher.stop_polling()
        except RuntimeError:  # still deleting the webhook, not polling yet
            polling.cancel()
    stopped.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await polling


def plug_bot(
    host: Host,
    token: str,
    api_base: str,
    department_chats: Mapping[str, int] | None = None,
    topic_chats: Collection[int] = (),
    *,
    polling_timeout: int = 10,
    senders: int = 1,
) -> TelegramChannel:
    """The bot's adapter on `host`, its addressing and transport plugged in; `senders`: how many
    processes send for this bot. Several keep the bot's overall limit together, taking its send
    slots in the database (handlers/send_slots.py); the per-chat and per-group limits stay each
    process's own (see Pacer.shared_by)."""
    bot = make_bot(token, api_base)
    deps = host.deps
    pacer = Pacer()
    if senders > 1:
        pacer.shared_overall = shared_overall(deps, f"telegram:{token.partition(':')[0]}", *Pacer.overall)
    host.plug(
        TelegramAddressing(deps.directory, department_chats, topic_chats),
        TelegramTransport(bot, pacer, topic_chats=topic_chats, directory=deps.directory),
    )
    return TelegramChannel(
        bot,
        host.accept,
        host.say,
        deps.directory,
        clock=deps.clock,
        default_lang=deps.default_lang,
        polling_timeout=polling_timeout,
        officer_groups=(department_chats or {}).values(),
        start_links=deps.start_links,
    )


async def report_unreachable_officers(host: Host, telegram: TelegramChannel, echo: Echo) -> list[str]:
    """Heads hear which of their officers have not /start-ed the bot (it cannot write to them)."""
    directory = host.deps.directory
    try:
        unreachable = await unreachable_officers(telegram.bot, directory.officers.values())
        if unreachable:
            await host.say(unreachable_notices(directory, unreachable))
    except Exception as error:  # a start-up check: it never stops the bot
        echo(f"xiaoer: could not check which officers Telegram lets Xiaoer reach: {error!r}")
        return []
    if unreachable:
        echo(
            "xiaoer: Telegram does not let Xiaoer write to officers "
            + ", ".join(o.id for o in unreachable)
            + " yet: each must send the bot /start privately (their heads have been told)"
        )
    return [o.id for o in unreachable]
