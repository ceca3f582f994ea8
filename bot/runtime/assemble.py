"""The composition of a running Xiaoer from its configuration: the channels that are enabled,
plugged into one runtime, and what `xiaoer run` serves (the one web server, long polling, the
scheduler)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.runtime.runtime import Runtime
from bot.runtime.web import Routes, serve, web_app
from handlers.deps import Deps

if TYPE_CHECKING:  # a channel's modules (and its SDK, seconds to import) load only when it is enabled
    from bot.channels.telegram import TelegramChannel
    from bot.channels.wecom import WecomChannel


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
        from bot.channels.wecom import department_chats
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


async def run(
    settings: Settings,
    assembled: Assembled,
    echo: Callable[[str], None],
    database: str = "",
    stop: asyncio.Event | None = None,
) -> None:
    """`xiaoer run`: check the channels, serve them, handle, deliver and remind until `stop` (set
    on SIGTERM or SIGINT); then drain: take no more updates, finish those in hand, let the sender finish the
    message it is sending. A channel that cannot start raises ChannelUnusable before anything runs."""
    from bot.scheduler import build_scheduler

    runtime = assembled.runtime
    telegram, wecom = assembled.telegram, assembled.wecom
    webhook = telegram is not None and telegram_webhook(settings)
    try:
        if telegram is not None:
            await telegram.check()
        if wecom is not None:
            await wecom.check()
    except BaseException:
        await assembled.close()
        raise
    routes: list[Routes] = []
    address: tuple[str, int] | None = None
    channels: list[str] = []
    if telegram is not None:
        config = settings.channels.telegram
        if webhook:
            path = telegram.webhook_path(config.webhook_url or "")
            secret = config.webhook_secret or ""
            routes.append(lambda app: telegram.add_routes(app, path, secret))
            address = (config.host, config.port)
            channels.append(f"telegram (webhook {config.webhook_url})")
        else:
            channels.append(f"telegram (polling {config.api_base})")
    if wecom is not None:
        config_w = settings.channels.wecom
        routes.append(wecom.add_routes)
        address = address or (config_w.host, config_w.port)
        channels.append(f"wecom (callback {config_w.callback_path})")
    stop = stop or asyncio.Event()
    scheduler = build_scheduler(
        runtime.deps, settings.reminders, runtime.outgoing, runtime.metrics.sweep_done
    )
    scheduler.start()
    web = f"http://{address[0]}:{address[1]} (/healthz, /metrics)" if address else "none (polling only)"
    echo(
        f"xiaoer: ready: channels {', '.join(channels)}; mode {'webhook' if address else 'polling'}; "
        f"database {database or '?'}; web {web}; reminders every {settings.reminders.sweep_minutes} min"
    )
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(runtime.run(stop))
            if address is not None:
                group.create_task(serve(web_app(routes, runtime.metrics), *address, stop))
            if telegram is not None and webhook:
                config = settings.channels.telegram
                group.create_task(
                    telegram.register_webhook(config.webhook_url or "", config.webhook_secret or "")
                )
            elif telegram is not None:
                group.create_task(_poll_until(telegram, stop))
            if telegram is not None:
                group.create_task(report_unreachable_officers(runtime, telegram, echo))
    finally:
        stop.set()
        scheduler.shutdown(wait=False)
        await assembled.close()


async def _poll_until(telegram: TelegramChannel, stop: asyncio.Event) -> None:
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


async def report_unreachable_officers(
    runtime: Runtime, telegram: TelegramChannel, echo: Callable[[str], None]
) -> list[str]:
    """Heads hear which of their officers have not /start-ed the bot (it cannot write to them)."""
    from bot.channels.telegram_reach import unreachable_officers
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
