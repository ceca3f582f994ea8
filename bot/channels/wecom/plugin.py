"""The WeCom channel plugged into a runtime: the callback adapter, its addressing (a department's
group chat, else its members privately) and the transport for app messages and group robots."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING

from bot.channels.plugin import Host, Plugged
from bot.channels.wecom.adapter import CHANNEL, WecomAddressing, WecomChannel
from bot.channels.wecom.config import WecomConfig
from bot.channels.wecom.mobiles import WecomMobiles
from bot.channels.wecom.transport import WecomTransport
from handlers.identity import language_of

if TYPE_CHECKING:
    from bot.config import Settings


def plug(host: Host, settings: Settings) -> Plugged:
    config = settings.channels.wecom
    # the departments' chats: from the directory, as it is now; consent links lead to the
    # runtime's web server at its public address
    channel = plug_app(host, config, public_url=settings.web.url)
    return Plugged(
        CHANNEL,
        channel.close,
        routes=[channel.add_routes],
        listen=(config.host, config.port),
        ready=[f"wecom (callback {config.callback_path})"],
        check=channel.check,
    )


def plug_app(
    host: Host,
    config: WecomConfig,
    department_chats: Mapping[str, str] | None = None,
    *,
    public_url: str | None = None,
) -> WecomChannel:
    """The app's callback adapter on `host`, its addressing and transport plugged in, and (with
    `bind_by_mobile`) the members' mobiles offered to the handlers, with the consent redirect."""
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
    if config.bind_by_mobile:
        channel.mobiles = WecomMobiles(channel.api, config, host, public_url)
        deps.mobile_sources.offer(CHANNEL, channel.mobiles)
    return channel
