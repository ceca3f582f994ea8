"""The DingTalk channel plugged into a runtime: the app robot's callback, its addressing (a
department's group conversation, else its officers privately) and the transport for the app
robot and the member-unit groups' custom robots."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from bot.channels.dingtalk.adapter import CHANNEL, DingtalkAddressing, DingtalkChannel, now_ms
from bot.channels.dingtalk.api import DingtalkApi
from bot.channels.dingtalk.config import DingtalkConfig
from bot.channels.dingtalk.transport import DingtalkTransport
from bot.channels.plugin import Host, Plugged
from handlers.identity import language_of

if TYPE_CHECKING:
    from bot.config import Settings


def plug(host: Host, settings: Settings) -> Plugged:
    config = settings.channels.dingtalk
    channel, _ = plug_app(host, config)
    return Plugged(
        CHANNEL,
        _nothing_to_close,  # the transport closes its HTTP session with the runtime
        routes=[channel.add_routes],
        listen=(config.host, config.port),
        ready=[f"dingtalk (callback {config.callback_path})"],
    )


def plug_app(
    host: Host, config: DingtalkConfig, api: DingtalkApi | None = None
) -> tuple[DingtalkChannel, DingtalkTransport]:
    """The robot's callback adapter on `host`, its addressing and transport plugged in."""
    deps = host.deps

    lang_of = functools.partial(language_of, deps, CHANNEL)

    channel = DingtalkChannel(config, host.accept, now=deps.clock)
    transport = DingtalkTransport(
        channel, api or DingtalkApi(config, now_ms=now_ms(deps.clock)), config.robots, lang_of
    )
    host.plug(DingtalkAddressing(deps.directory), transport)
    return channel, transport


async def _nothing_to_close() -> None:
    return None
