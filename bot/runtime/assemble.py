"""The composition of a running Xiaoer from its configuration: the channels that are in use,
plugged into one runtime, and what `xiaoer run` serves (the one web server, each channel's
background tasks, the scheduler)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.runtime.channels import plug_channels
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


def assemble(settings: Settings, deps: Deps) -> Assembled:
    runtime = Runtime.build(deps)
    return Assembled(runtime, plug_channels(runtime, settings))


async def run(settings: Settings, assembled: Assembled, echo: Callable[[str], None]) -> None:
    """`xiaoer run`: serve the channels, handle, deliver and remind until cancelled."""
    from bot.scheduler import build_scheduler

    runtime = assembled.runtime
    channels = assembled.channels
    # one web server for every channel's routes, where the first channel with webhooks wants it
    address = next((c.listen for c in channels if c.listen is not None), None)
    for channel in channels:
        for line in channel.ready:
            echo(f"xiaoer: {line}")
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
                group.create_task(serve(web_app([r for c in channels for r in c.routes]), *address))
            for channel in channels:
                for task in channel.tasks:
                    group.create_task(task(echo))
    finally:
        stop.set()
        scheduler.shutdown(wait=False)
        await assembled.close()
