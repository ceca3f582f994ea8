"""The contract between a channel's package and the runtime it is plugged into.

A channel lives in `bot/channels/<name>/` and has a module `plugin` with one function,
`plug(host, settings) -> Plugged`, called when its config section (`channels.<name>`) is in use.
It builds its adapter on `host.accept` (updates into the inbox) and `host.say` (answers it must
give itself), plugs its addressing and transport into the host, and hands back what `xiaoer run`
serves for it: web routes, background tasks (polling, webhook registration, start-up checks),
and a line for the log. The runtime finds channels by their config sections
(bot/runtime/channels.py): adding one touches its package, its section and the catalogues."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from bot.domain.messages import Inbound, Reply
from bot.domain.outbox import Addressing, Origin
from bot.outbox import Transport
from handlers.deps import Deps

if TYPE_CHECKING:
    from aiohttp import web

Routes = Callable[["web.Application"], None]
Echo = Callable[[str], None]


class Host(Protocol):
    """What a channel is plugged into (the runtime)."""

    @property
    def deps(self) -> Deps: ...

    async def accept(self, inbound: Inbound) -> bool:
        """Keep an update in the inbox; False for one kept before. Only after it returns may the
        platform be told the update arrived."""
        ...

    async def say(self, replies: Sequence[Reply], origin: Origin | None = None) -> None:
        """Queue messages that answer no state change (a refusal at the door)."""
        ...

    async def act(self, work: Callable[[], Awaitable[Sequence[Reply]]], origin: Origin | None = None) -> None:
        """Do `work` (a change a channel's own route asks for) and queue what it says in the same
        transaction, as a conversation's handling is."""
        ...

    def plug(self, addressing: Addressing, transport: Transport) -> None: ...


@dataclass
class Plugged:
    """What a channel gives `xiaoer run` to serve."""

    name: str
    close: Callable[[], Awaitable[None]]
    routes: list[Routes] = field(default_factory=list)  # on the runtime's one web server
    listen: tuple[str, int] | None = None  # where its webhooks want that server, if it has any
    # run while the bot runs (polling, webhook registration, start-up checks); `echo` logs a line,
    # and a task that would run for ever (polling) ends once `stop` is set
    tasks: list[Callable[[Echo, asyncio.Event], Coroutine[Any, Any, object]]] = field(default_factory=list)
    ready: list[str] = field(default_factory=list)  # how it is served, one line each
    # before anything runs: the platform answers and takes the credentials (else ChannelUnusable)
    check: Callable[[], Awaitable[object]] | None = None
    # at start-up: build what reading the first update would otherwise build (its platform's
    # models), so that the first person after a start does not wait for it
    warm: Callable[[], object] | None = None
