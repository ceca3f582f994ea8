"""The WeCom channel plugged into a runtime: the callback adapter, its addressing (a department's
group chat, else its members privately) and the transport for app messages and group robots."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING

from bot.channels.plugin import Host, Plugged
from bot.channels.wecom.adapter import CHANNEL, WecomAddressing, WecomChannel
from bot.channels.wecom.config import WecomConfig
from bot.channels.wecom.transport import WecomTransport
from handlers.identity import language_of

if TYPE_CHECKING:
    from bot.config import Settings


def plug(host: Host, settings: Settings) -> Plugged:
    config = settings.channels.wecom
    channel = plug_app(host, config)  # the departments' chats: from the directory, as it is now
    return Plugged(
        CHANNEL,
        channel.close,
        routes=[channel.add_routes],
        listen=(config.host, config.port),
        ready=[f"wecom (callback {config.callback_path})"],
        check=channel.check,
    )


def plug_app(
    host: Host, config: WecomConfig, department_chats: Mapping[str, str] | None = None
) -> WecomChannel:
    """The app's callback adapter on `host`, its addressing and transport plugged in."""
    deps = host.deps

    lang_of = functools.partial(language_of, deps, CHANNEL)

    channel = WecomChannel(
        config,
        deps.directory,
        host.accept,
        department_chats,
        now=deps.clock,
        lang_of=lang_of,
        default_lang=deps.default_lang,
    )
    host.plug(WecomAddressing(deps.directory, department_chats), WecomTransport(channel, config.robots))
    return channel
