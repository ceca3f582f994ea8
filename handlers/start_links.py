"""Links that open a chat with Xiaoer and redeem an invite in one tap, from each channel that has
them (Telegram's `https://t.me/<bot>?start=<code>`).

A channel's section makes them when the configuration says enough (ChannelSection.start_link_maker);
a running channel may learn it later from its platform (Telegram's getMe) and offer it here. Until
some channel can, invites give the code to send instead. Handlers read the links here and so need
no channel."""

from __future__ import annotations

from collections.abc import Callable, Mapping


class StartLinks:
    def __init__(self, makers: Mapping[str, Callable[[str], str]] | None = None) -> None:
        self._makers = dict(makers or {})  # channel name -> code -> link

    def offer(self, channel: str, make: Callable[[str], str]) -> None:
        self._makers[channel] = make

    def has(self, channel: str) -> bool:
        return channel in self._makers

    def link(self, code: str) -> str | None:
        """The link for an invite's code: the first channel's that has links, if any has."""
        return next((make(code) for make in self._makers.values()), None)
