"""Where a channel's platform vouches for a member's mobile (WeCom: its directory's `user/get`,
or the member's consent through OAuth), told by the channel when it is plugged in. Handlers read
the sources here and so need no channel (as with handlers/start_links.py)."""

from __future__ import annotations

from typing import Protocol


class MobileSource(Protocol):
    @property
    def link_minutes(self) -> int:
        """How long a consent link stays valid."""
        ...

    async def mobile_of(self, user_id: str) -> str | None:
        """The member's mobile as the platform's directory gives it to this app, quickly; None
        when it does not (a newer app that may not read it, a member without one, a failure)."""
        ...

    def consent_link(self, state: str) -> str | None:
        """The link a member opens to let the app read their mobile, carrying `state` back; None
        when the channel cannot make one (no public address configured)."""
        ...


class MobileSources:
    def __init__(self) -> None:
        self._sources: dict[str, MobileSource] = {}

    def offer(self, channel: str, source: MobileSource) -> None:
        self._sources[channel] = source

    def of(self, channel: str) -> MobileSource | None:
        return self._sources.get(channel)
