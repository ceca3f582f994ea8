"""The base of every config section: frozen, and an unknown key is an error, never ignored.

Its own module so that a channel's package can define its section (`bot/channels/<name>/config.py`)
without importing the whole settings model, which gathers the sections."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ChannelSection(Section):
    """A channel's section under `channels:`. The runtime plugs in each channel whose section is
    in use, from the module `bot.channels.<name>.plugin` (bot/channels/plugin.py)."""

    # whether people in this channel's member-unit groups can press a message's buttons (a group
    # reached through a webhook robot cannot: its notices are worded for typed answers instead)
    group_buttons: ClassVar[bool] = True

    @property
    def in_use(self) -> bool:
        raise NotImplementedError

    def problems(self) -> list[str]:
        """What is wrong with the section on its own, one `key.path: what to fix` line each."""
        return []
