"""Conversations: every update is kept in the inbox before the platform hears it was received,
then handled one at a time per conversation, in arrival order, conversations side by side.

Handling an update is one transaction: what the handlers change, the audit events, every message
they answer with (the outbox) and the update's mark as handled commit together, or not at all.
A crash or an outage mid-way leaves the update waiting, and it is handled again from the start
(by this process after a restart, or by another one); nothing it would have said is lost, and
nothing is said twice. An update whose handling keeps failing is tried again with backoff, its
conversation waiting behind it, and given up after MAX_HANDLING_ATTEMPTS with a word to the sender.

Several processes may share one PostgreSQL database: whichever receives an update handles it, and
the inbox's per-conversation lock keeps each conversation's updates in order across them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.domain.inbox import MAX_HANDLING_ATTEMPTS, InboxEntry, UnreadableUpdate, conversation_of
from bot.domain.messages import Inbound, Reply
from bot.domain.outbox import Origin
from bot.domain.text import storable_inbound
from bot.i18n import t
from bot.runtime.update_notes import noting
from handlers.deps import Deps
from handlers.dispatch import handle
from handlers.outgoing import Outgoing

if TYPE_CHECKING:
    from bot.runtime.metrics import Metrics

log = logging.getLogger(__name__)

RECOVERY_SECONDS = 5.0  # how often to look for updates nobody is handling (a stopped process's)
LEFT_BEHIND_AFTER = timedelta(seconds=10)  # an update this old and unhandled has been left behind
KEPT_FOR = timedelta(days=7)  # handled updates are kept this long: platforms redeliver within a day


async def _give_way() -> None:
    """A turn of the event loop for the other tasks between two updates. On SQLite run in place
    (storage/sqlite_inline.py) handling an update never waits for I/O, so a batch of a hundred
    polled updates, or a conversation with many waiting, would otherwise hold the loop for all of
    them: the outbox sender, whose every step needs a few turns (its claim, each HTTP call), would
    send next to nothing until the flood is over (tests/channels/test_answers_during_a_flood.py)."""
    await asyncio.sleep(0)


def origin_of(inbound: Inbound) -> Origin:
    return Origin(inbound.sender.channel, inbound.chat_id, inbound.thread_id)


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(2 ** max(attempts - 1, 0), 60))


@dataclass
class Conversations:
    deps: Deps
    outgoing: Outgoing
    recovery_seconds: float = RECOVERY_SECONDS
    metrics: Metrics | None = None
    _workers: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    _again: set[str] = field(default_factory=set)
    handled: int = 0

    async def accept(self, inbound: Inbound) -> bool:
        """Keep an update; False for one kept before. Only after this returns may the platform be
        told that it was received (webhook answer, polling offset)."""
        inbound = storable_inbound(inbound)
        try:
            return await self._accept(inbound)
        finally:
            await _give_way()

    async def _accept(self, inbound: Inbound) -> bool:
        conversation = conversation_of(inbound)
        if conversation not in self._workers:
            handled = await self._handle_at_once(conversation, inbound)
            if handled is not None:
                return handled
        async with self.deps.storage() as uow:
            fresh = await uow.inbox.accept(conversation, inbound)
            await uow.commit()
        if fresh:
            self.kick(conversation)
        else:
            self._observe(inbound, conversation, "duplicate", time.perf_counter())
        return fresh

    async def _handle_at_once(self, conversation: str, inbound: Inbound) -> bool | None:
        """The common case, a conversation with nothing waiting: keep the update as handled and
        handle it, in one transaction (one commit instead of two; the platform still hears of it
        only after the commit, so a crash loses nothing: it sends the update again). None when it
        must wait its turn (earlier updates are waiting) or handling failed: then it is kept and
        worked like any waiting update."""
        started = time.perf_counter()
        try:
            async with self.deps.storage() as uow:
                with uow.shared(), noting() as notes:
                    if await uow.inbox.waiting_in(conversation):
                        return None
                    if not await uow.inbox.keep_handled(conversation, inbound, self.deps.clock()):
                        self._observe(inbound, conversation, "duplicate", started)
                        return False  # the platform sent it again
                    replies = await handle(inbound, self.deps)
                    await self.outgoing.queue(uow, replies, origin_of(inbound))
                await uow.commit()
        except Exception:
            log.exception(
                "update %s of %s could not be handled at once; kept to retry",
                inbound.delivery_id,
                conversation,
            )
            self._observe(inbound, conversation, "deferred", started)
            return None
        self.handled += 1
        self._observe(inbound, conversation, "handled", started, notes.intent, replies)
        if replies:
            self.outgoing.on_queued()
        return True

    def _observe(
        self,
        inbound: Inbound,
        conversation: str,
        outcome: str,
        started: float,
        intent: str | None = None,
        replies: Sequence[Reply] = (),
    ) -> None:
        """The update's log line, and its counts in /metrics. Outcomes: handled, duplicate (the
        platform sent it again), deferred (kept to be handled after a failure), failed (to be
        tried again), gave_up (the person was told to try again)."""
        seconds = time.perf_counter() - started
        ticket = next((r.ticket for r in replies if r.ticket is not None), None)
        channel = inbound.sender.channel
        log.info(
            "update %s",
            outcome,
            extra={
                "fields": {
                    "channel": channel,
                    "conversation": conversation,
                    "update": inbound.delivery_id,
                    "intent": intent,
                    "ticket": ticket,
                    "outcome": outcome,
                    "ms": round(seconds * 1000, 1),
                }
            },
        )
        if self.metrics is not None:
            self.metrics.updates.labels(channel, outcome).inc()
            if outcome == "handled":
                self.metrics.handling_seconds.labels(channel).observe(seconds)

    def kick(self, conversation: str) -> None:
        self._again.add(conversation)
        if conversation not in self._workers:
            self._workers[conversation] = asyncio.create_task(self._work(conversation))

    @property
    def busy(self) -> bool:
        return bool(self._workers)

    async def _work(self, conversation: str) -> None:
        try:
            while True:
                self._again.discard(conversation)
                try:
                    handled = await self.handle_next(conversation)
                except Exception:  # the database: the update waits in the inbox for the next look
                    log.exception("conversation %s: could not take its next update", conversation)
                    handled = False
                if not handled and conversation not in self._again:
                    return
                await _give_way()
        finally:
            del self._workers[conversation]

    async def handle_next(self, conversation: str) -> bool:
        """Handle the conversation's oldest waiting update; False when there is none to handle now."""
        entry: InboxEntry | None = None
        started = time.perf_counter()
        try:
            async with self.deps.storage() as uow:
                with uow.shared(), noting() as notes:
                    entry = await uow.inbox.next_for(conversation, self.deps.clock())
                    if entry is None:
                        return False
                    replies = await handle(entry.inbound, self.deps)
                    await self.outgoing.queue(uow, replies, origin_of(entry.inbound))
                    await uow.inbox.done(entry.id, self.deps.clock())
                await uow.commit()
        except UnreadableUpdate as unreadable:
            return await self._set_aside(unreadable)
        except Exception as exc:
            if entry is None:
                raise
            await self._failed(entry, exc, started)
            return False
        self.handled += 1
        self._observe(entry.inbound, conversation, "handled", started, notes.intent, replies)
        if replies:
            self.outgoing.on_queued()
        return True

    async def _set_aside(self, unreadable: UnreadableUpdate) -> bool:
        """Nobody can be answered from an entry that cannot be read, and nobody to tell is known;
        it is kept, marked, and logged, and the conversation goes on with its next update."""
        log.error("%s; set aside, the conversation goes on", unreadable)
        async with self.deps.storage() as uow:
            await uow.inbox.set_aside(unreadable.entry_id, unreadable.reason, self.deps.clock())
            await uow.commit()
        return True

    async def _failed(self, entry: InboxEntry, exc: Exception, started: float) -> None:
        attempts = entry.attempts + 1
        error = f"{type(exc).__name__}: {exc}"
        log.error(
            "update %s of %s failed (attempt %s of %s): %s",
            entry.id,
            entry.conversation,
            attempts,
            MAX_HANDLING_ATTEMPTS,
            error,
            exc_info=exc,
        )
        now, delay = self.deps.clock(), retry_delay(attempts)
        try:
            async with self.deps.storage() as uow:
                await uow.inbox.failed(entry.id, error, now + delay)
                if attempts >= MAX_HANDLING_ATTEMPTS:  # given up: the sender is told, the rest go on
                    sender = entry.inbound.sender
                    lang = "en" if (sender.language or "").startswith("en") else self.deps.default_lang
                    await self.outgoing.queue(
                        uow, [Reply(t(lang, "error.internal"))], origin_of(entry.inbound)
                    )
                    await uow.inbox.done(entry.id, now)
                await uow.commit()
        except Exception:  # the database is down too: the update stays waiting, tried again later
            log.exception("could not record the failure of update %s", entry.id)
            self._observe(entry.inbound, entry.conversation, "failed", started)
            return
        gave_up = attempts >= MAX_HANDLING_ATTEMPTS
        self._observe(entry.inbound, entry.conversation, "gave_up" if gave_up else "failed", started)
        if gave_up:
            self.outgoing.on_queued()
        # try again when it is due (a periodic look would find it too, later)
        asyncio.get_running_loop().call_later(delay.total_seconds(), self.kick, entry.conversation)

    async def recover(self, *, everything: bool = False) -> int:
        """Start work on conversations with updates nobody is handling: after a restart
        (`everything`), and those a stopped process left behind or whose retry time has come."""
        now = self.deps.clock()
        async with self.deps.storage() as uow:
            waiting = await uow.inbox.waiting(now, now if everything else now - LEFT_BEHIND_AFTER)
            if everything:
                await uow.inbox.forget(now - KEPT_FOR)
                await uow.commit()
        started = 0
        for conversation in waiting:
            if conversation not in self._workers:
                self.kick(conversation)
                started += 1
        return started

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Look for waiting updates at start and then every few seconds, until stopped."""
        first = True
        while stop is None or not stop.is_set():
            try:
                await self.recover(everything=first)
                first = False
            except Exception:
                log.exception("looking for waiting updates failed; trying again")
            if stop is None:
                await asyncio.sleep(self.recovery_seconds)
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.recovery_seconds)

    async def drain(self) -> None:
        """Wait until no conversation has work in this process (tests, and a clean stop)."""
        while self._workers:
            await asyncio.gather(*list(self._workers.values()), return_exceptions=True)

    async def close(self, grace: float = 5.0) -> None:
        """Let updates being handled finish; any cut short stay in the inbox for the next start."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace):
                await self.drain()
        for task in list(self._workers.values()):
            task.cancel()
        await asyncio.gather(*list(self._workers.values()), return_exceptions=True)
