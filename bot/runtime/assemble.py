"""The composition of a running Xiaoer from its configuration: the channels that are in use,
plugged into one runtime, and what `xiaoer run` serves (the one web server, each channel's
background tasks, the scheduler)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from bot.channels.unusable import ChannelUnusable
from bot.config import Settings
from bot.runtime.channels import channels_in_use, plug_channels
from bot.runtime.org_watch import watch_organisation
from bot.runtime.runtime import Runtime
from bot.runtime.web import serve, web_app
from handlers.deps import Deps

if TYPE_CHECKING:
    from bot.channels.plugin import Plugged


@dataclass
class Assembled:
    runtime: Runtime
    channels: list[Plugged] = field(default_factory=list)

    async def close(self) -> None:
        await self.runtime.close()
        for channel in self.channels:
            await channel.close()


log = logging.getLogger("xiaoer")


def assemble(settings: Settings, deps: Deps) -> Assembled:
    runtime = Runtime.build(replace(deps, reach_channels=frozenset(channels_in_use(settings))))
    return Assembled(runtime, plug_channels(runtime, settings))


def check_reach(assembled: Assembled, echo: Callable[[str], None], *, allow_unreachable: bool) -> None:
    """Every department must be reachable on a channel in use (its group chat there, or an officer
    with an identity there), or its tickets would reach no one: refused, or with
    `--allow-unreachable` said as a warning (its tickets then go to the dispatchers)."""
    channels = [c.name for c in assembled.channels]
    directory = assembled.runtime.deps.directory
    unreachable = directory.unreachable_departments(channels)
    if not unreachable:
        return
    names = ", ".join(f"{d.id} ({d.name_zh})" for d in unreachable)
    where = "/".join(channels)
    if allow_unreachable:
        echo(
            f"xiaoer: warning: no one can be reached on {where} in department(s) {names}: "
            "their tickets go to the dispatchers"
        )
        return
    raise ChannelUnusable(
        f"xiaoer: no one can be reached on {where} in department(s) {names}: give each a group chat "
        f"(chats: {{{channels[0] if channels else 'telegram'}: …}}) or an officer an identity there "
        "(config bootstrap or `xiaoer import departments|officers`), or start with --allow-unreachable"
    )


async def run(
    settings: Settings,
    assembled: Assembled,
    echo: Callable[[str], None],
    database: str = "",
    stop: asyncio.Event | None = None,
    *,
    allow_unreachable: bool = True,
) -> None:
    """`xiaoer run`: check the channels, serve them, handle, deliver and remind until `stop` (set
    on SIGTERM or SIGINT); then drain: take no more updates, finish those in hand, let the sender
    finish the message it is sending. A channel that cannot start raises ChannelUnusable before
    anything runs."""
    from bot.scheduler import build_scheduler

    runtime = assembled.runtime
    channels = assembled.channels
    try:
        for channel in channels:
            if channel.check is not None:
                await channel.check()
        check_reach(assembled, echo, allow_unreachable=allow_unreachable)
    except BaseException:
        await assembled.close()
        raise
    # one web server for every channel's routes, where the first channel with webhooks wants it
    address = next((c.listen for c in channels if c.listen is not None), None)
    stop = stop or asyncio.Event()
    scheduler = build_scheduler(
        runtime.deps, settings.reminders, runtime.outgoing, runtime.metrics.sweep_done
    )
    scheduler.start()
    web = f"http://{address[0]}:{address[1]} (/healthz, /metrics)" if address else "none (polling only)"
    echo(
        f"xiaoer: ready: channels {', '.join(line for c in channels for line in c.ready)}; "
        f"mode {'webhook' if address else 'polling'}; database {database or '?'}; web {web}; "
        f"reminders every {settings.reminders.sweep_minutes} min"
    )
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(runtime.run(stop))
            group.create_task(watch_organisation(runtime.deps, stop))
            if address is not None:
                routes = [r for c in channels for r in c.routes]
                group.create_task(serve(web_app(routes, runtime.metrics), *address, stop))
            for channel in channels:
                for task in channel.tasks:
                    group.create_task(task(echo, stop))
    finally:
        stop.set()
        scheduler.shutdown(wait=False)
        await assembled.close()
