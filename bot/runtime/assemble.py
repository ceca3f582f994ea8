"""The composition of a running Xiaoer from its configuration: the channels that are enabled,
plugged into one runtime, and what `xiaoer run` serves (the one web server, long polling, the
scheduler)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.runtime.runtime import Runtime
from bot.runtime.web import Routes, serve, web_app
from handlers.deps import Deps

if TYPE_CHECKING:  # a channel's modules (and its SDK, seconds to import) load only when it is enabled
    from bot.channels.telegram.adapter import TelegramChannel
    from bot.channels.wecom.adapter import WecomChannel


@dataclass
class Assembled:
    runtime: Runtime
    telegram: TelegramChannel | None = None
    wecom: WecomChannel | None = None

    async def close(self) -> None:
        await self.runtime.close()
        if self.telegram is not None:
            await self.telegram.close()
        if self.wecom is not None:
            await self.wecom.close()


def telegram_webhook(settings: Settings) -> bool:
    telegram = settings.channels.telegram
    return bool(
        telegram.token and telegram.mode == "webhook" and telegram.webhook_url and telegram.webhook_secret
    )


def assemble(settings: Settings, deps: Deps) -> Assembled:
    runtime = Runtime.build(deps)
    assembled = Assembled(runtime)
    if settings.channels.wecom.enabled:
        from bot.channels.wecom.adapter import department_chats
        from bot.runtime.wiring import plug_wecom

        assembled.wecom = plug_wecom(runtime, settings.channels.wecom, department_chats(settings.departments))
    if settings.channels.telegram.token:
        from bot.runtime.wiring import plug_telegram

        groups = {d.id: d.telegram_chat_id for d in settings.departments if d.telegram_chat_id is not None}
        topics = {
            d.telegram_chat_id for d in settings.departments if d.telegram_topics and d.telegram_chat_id
        }
        assembled.telegram = plug_telegram(
            runtime, settings.channels.telegram.token, settings.channels.telegram.api_base, groups, topics
        )
    return assembled


async def run(settings: Settings, assembled: Assembled, echo: Callable[[str], None]) -> None:
    """`xiaoer run`: serve the channels, handle, deliver and remind until cancelled."""
    from bot.scheduler import build_scheduler

    runtime = assembled.runtime
    routes: list[Routes] = []
    address: tuple[str, int] | None = None
    telegram, wecom = assembled.telegram, assembled.wecom
    if telegram is not None and telegram_webhook(settings):
        config = settings.channels.telegram
        url, secret = config.webhook_url or "", config.webhook_secret or ""
        path = telegram.webhook_path(url)
        routes.append(lambda app: telegram.add_routes(app, path, secret))
        address = (config.host, config.port)
        echo(f"xiaoer: Telegram webhook {url} on {config.host}:{config.port}")
    if wecom is not None:
        config_w = settings.channels.wecom
        routes.append(wecom.add_routes)
        address = address or (config_w.host, config_w.port)
        echo(f"xiaoer: WeCom callback {config_w.callback_path} on {address[0]}:{address[1]}")
    scheduler = build_scheduler(runtime.deps, settings.reminders, runtime.outgoing)
    scheduler.start()
    echo(
        f"xiaoer: reminders every {settings.reminders.sweep_minutes} min in working hours, "
        f"digests at {settings.reminders.digest_at} on working days, the weekly report on Mondays"
    )
    stop = asyncio.Event()
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(runtime.run(stop))
            if address is not None:
                group.create_task(serve(web_app(routes), *address))
            if telegram is not None and telegram_webhook(settings):
                config = settings.channels.telegram
                group.create_task(
                    telegram.register_webhook(config.webhook_url or "", config.webhook_secret or "")
                )
            elif telegram is not None:
                echo(f"xiaoer: Telegram polling via {settings.channels.telegram.api_base}; Ctrl-C stops")
                group.create_task(telegram.run_polling())
            if telegram is not None:
                group.create_task(report_unreachable_officers(runtime, telegram, echo))
    finally:
        stop.set()
        scheduler.shutdown(wait=False)
        await assembled.close()


async def report_unreachable_officers(
    runtime: Runtime, telegram: TelegramChannel, echo: Callable[[str], None]
) -> list[str]:
    """Heads hear which of their officers have not /start-ed the bot (it cannot write to them)."""
    from bot.channels.telegram.reach import unreachable_officers
    from handlers.reach import unreachable_notices

    directory = runtime.deps.directory
    try:
        unreachable = await unreachable_officers(telegram.bot, directory.officers.values())
        if unreachable:
            await runtime.outgoing.say(unreachable_notices(directory, unreachable))
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
