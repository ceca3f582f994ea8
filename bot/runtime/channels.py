"""Which channels run: each one whose section under `channels:` is in use, plugged in from its
own package's `plugin` module (the contract is bot/channels/plugin.py). Nothing here names a
channel, so adding one touches only its package, its config section and the catalogues."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from bot.config import Settings

if TYPE_CHECKING:
    from bot.channels.plugin import Host, Plugged


def channels_in_use(settings: Settings) -> list[str]:
    return [name for name, section in settings.channel_sections().items() if section.in_use]


def plug_channels(host: Host, settings: Settings) -> list[Plugged]:
    # imported only when in use: a platform SDK takes seconds to import (aiogram's types alone
    # about two), which a command that does not use the channel should not pay
    return [
        importlib.import_module(f"bot.channels.{name}.plugin").plug(host, settings)
        for name in channels_in_use(settings)
    ]
