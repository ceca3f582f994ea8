"""The outbox sender: delivers queued messages (bot.domain.outbox) through one transport per
platform, within each platform's limits, each message once.

Each round claims a few due messages atomically, at most one per chat (storage: `UPDATE …
RETURNING`, an advisory lock on PostgreSQL), in the transaction that records the previous round's
outcomes. For each message it waits for the platform's turn (token buckets; a chat that will not
be ready soon is put back with its due time rather than holding up the others), calls the
platform, and records the outcome: sent with the platform's message id; a 429 back to pending
after `retry_after`; a transient failure retried with doubling backoff for a day (MAX_ATTEMPTS);
blocked or chat-not-found recorded for good. Answers (a conversation's messages) have their
attempts noted in the claim and go side by side, one per chat; notices have each attempt noted
before their call and go one at a time (a broadcast is paced at 30 a second anyway).

Exactly once, and where that ends. A sender registers and beats every few seconds. Messages
claimed by a sender that stopped beating, or whose process is gone (same host), are taken back:
one that was never handed to the platform simply goes again. One that was being handed over when
the sender died is the single case nobody can decide, because Telegram offers no way to ask
whether a message arrived nor an idempotency key: it is sent again and marked `in_doubt`, and the
delivery report says how many such chats may have it twice. A crash leaves at most one such
message per chat (a chat has one message out at a time) and at most one notice of a broadcast;
a crash anywhere else (waiting for a turn, claiming) loses and repeats nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol, TypeVar, overload

from bot.domain.outbox import MAX_ATTEMPTS, DeliveryStatus, MessageKind, OutboxMessage, backoff
from handlers import chat_moves, delivery
from handlers.deps import Deps
from handlers.policy_status import queue_delivery_reports
from storage.protocols import UnitOfWork

log = logging.getLogger(__name__)

BATCH = 10  # claimed at once: what a crash can leave claimed until it is taken back
POLL_SECONDS = 1.0  # how often an idle sender looks for new messages
HEARTBEAT_SECONDS = 5.0
LEASE_SECONDS = 30.0  # a sender not heard from for this long is taken for dead
DEFER_AFTER = 0.25  # a chat not ready within this many seconds waits in the queue, not in the sender:
# the sender sends one message at a time, so waiting for one chat would hold up all the others


@dataclass(frozen=True)
class Sent:
    """Delivered. `more_ids`: the platform's ids of the further pieces of a long message;
    `thread_id`: a forum topic the send opened; `trackable`: the ids name messages that a reply
    can quote and an edit can rewrite (not so for WeCom, which offers neither)."""

    platform_id: str
    more_ids: tuple[str, ...] = ()
    thread_id: str | None = None
    trackable: bool = True


@dataclass(frozen=True)
class RetryAfter:
    """The platform refused for now (Telegram's 429) and said how long to wait: nothing arrived."""

    seconds: float
    error: str = "flood control"


@dataclass(frozen=True)
class Transient:
    """A failure that may pass (network, server error); `maybe_delivered` when the request may
    have reached the platform before it failed (a timeout, a broken connection)."""

    error: str
    maybe_delivered: bool = False


@dataclass(frozen=True)
class Refused:
    """For good: `blocked` (the person blocked the bot) or `failed` (chat not found, bad request)."""

    status: DeliveryStatus
    error: str


@dataclass(frozen=True)
class Moved:
    """The chat has a new id (a Telegram group upgraded to a supergroup): nothing arrived. The
    chat is moved to it everywhere, and the message goes again, to the new id."""

    chat_id: str
    error: str


Outcome = Sent | RetryAfter | Transient | Refused | Moved


class Transport(Protocol):
    """One platform's way out. Telegram's is bot.channels.telegram.transport; WeCom's group robots
    fit the same shape (their limit, 20 a minute per robot, is a bucket per robot)."""

    @property
    def channel(self) -> str: ...

    def ready_in(self, chat_id: str) -> float:
        """Seconds until a message to that chat would be within the limits (taking no turn)."""
        ...

    async def wait_turn(self, chat_id: str) -> None:
        """Take the chat's turn under the limits, waiting for it if need be."""
        ...

    async def send(self, message: OutboxMessage) -> Outcome:
        """One platform call. Never raises for what the platform answers; an exception is treated
        as a transient failure that may have delivered."""
        ...

    async def close(self) -> None:
        """Release its connections (a transport sharing a chat channel's leaves them to it)."""
        ...


@dataclass
class SenderStats:
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    retried: int = 0  # transient failures and 429s, to be tried again
    deferred: int = 0  # put back until its chat is ready
    taken_back: int = 0  # messages recovered from dead senders
    in_doubt: int = 0  # of those, the ones a dead sender was handing to the platform


Write = Callable[[UnitOfWork], Awaitable[bool]]
T = TypeVar("T")


def _waits(message: OutboxMessage, outcome: Outcome) -> bool:
    """The message is to be tried again (not sent, not given up)."""
    return isinstance(outcome, RetryAfter | Moved) or (
        isinstance(outcome, Transient) and message.attempts + 1 < MAX_ATTEMPTS
    )


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


@dataclass
class OutboxSender:
    deps: Deps
    transports: dict[str, Transport]
    batch: int = BATCH
    poll_seconds: float = POLL_SECONDS
    heartbeat_seconds: float = HEARTBEAT_SECONDS
    lease_seconds: float = LEASE_SECONDS
    on_progress: Callable[[SenderStats], None] | None = None
    # each platform call's result (sent, rate_limited, transient, blocked, failed) and each message
    # taken back in doubt: what /metrics counts
    on_result: Callable[[str, str], None] | None = None
    backoff: Callable[[int], timedelta] = backoff  # the wait after the n-th transient failure
    # a channel's own waits, where they differ (webhooks: configurable, short in tests)
    backoffs: dict[str, Callable[[int], timedelta]] = field(default_factory=dict)
    stats: SenderStats = field(default_factory=SenderStats)
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)
    id: str = ""
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    _unwritten: list[tuple[OutboxMessage, str, Write]] = field(default_factory=list)
    _stop: asyncio.Event | None = None
    _moved_chats: bool = False  # a chat moved in the outcomes being written: read departments again

    def __post_init__(self) -> None:
        self.id = self.id or f"{self.host[:40]}:{self.pid}:{uuid.uuid4().hex[:8]}"

    @property
    def channels(self) -> Collection[str]:
        return list(self.transports)

    async def run(self, stop: asyncio.Event | None = None, *, until_idle: bool = False) -> SenderStats:
        """Send until `stop` is set (or, `until_idle`, until nothing is pending on our channels).
        A stop lets the message being sent finish; the rest of its batch is put back untried."""
        self._stop = stop
        if not await self._register(stop):
            return self.stats
        # The heartbeat has its own task: a long send (a 429, a slow network) must not make this
        # sender look dead to the others.
        heart = asyncio.create_task(self._heartbeat())
        try:
            while stop is None or not stop.is_set():
                try:
                    if await self.step():
                        continue
                    async with self.deps.storage() as uow:
                        due = await uow.outbox.next_due(self.channels, self.deps.clock())
                except Exception:  # the database hiccuped: the messages wait in it, try again
                    if until_idle:
                        raise
                    log.exception("outbox sender %s: a round failed; trying again", self.id)
                    await self._idle(self.poll_seconds * 5, stop)
                    await self._after_failed_round()
                    continue
                if due is None and until_idle:
                    break
                pause = self.poll_seconds
                if due is not None:
                    pause = min(pause, max((due - self.deps.clock()).total_seconds(), 0.01))
                await self._idle(pause, stop)
        finally:
            heart.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heart
            try:
                await self.flush()
            except Exception:  # unwritten, those messages are taken back in doubt: never lost
                log.exception("outbox sender %s could not write its last outcomes", self.id)
            await self.retire()
        return self.stats

    async def _register(self, stop: asyncio.Event | None) -> bool:
        """Beat for the first time and take back what dead senders left; while the database is
        unreachable, tried again (a sender that gave up here would leave the process running
        without delivering anything). False if stopped first."""
        while True:
            try:
                await self.beat()
                await self.take_back()
                return True
            except Exception:
                log.exception("outbox sender %s could not register; trying again", self.id)
            if stop is not None and stop.is_set():
                return False
            await self._idle(self.poll_seconds * 5, stop)

    async def _after_failed_round(self) -> None:
        """A round that failed half-way (the database went away) left outcomes unwritten and
        messages claimed by this live sender, which no other sender takes back: the outcomes are
        written now, and the claimed messages released (those handed to the platform meanwhile,
        in doubt). If the database is still away, the next failed round tries again."""
        try:
            await self._write()
            async with self.deps.storage() as uow:
                returned, in_doubt = await uow.outbox.release_claims(self.id)
                await uow.commit()
        except Exception:
            log.warning("outbox sender %s: the database is still unavailable", self.id)
            return
        if returned or in_doubt:
            log.warning(
                "outbox sender %s: released %s messages it had claimed (%s possibly delivered)",
                self.id,
                returned + in_doubt,
                in_doubt,
            )

    async def _idle(self, seconds: float, stop: asyncio.Event | None) -> None:
        self.wake.clear()
        waits = [asyncio.create_task(self.wake.wait())]
        if stop is not None:
            waits.append(asyncio.create_task(stop.wait()))
        _, pending = await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            try:
                await self.beat()
                await self.take_back()
            except Exception:  # a missed beat is retried on the next; the sender goes on
                log.exception("outbox sender %s: heartbeat failed", self.id)

    async def beat(self) -> None:
        async with self.deps.storage() as uow:
            await uow.outbox.heartbeat(self.id, self.host, self.pid, self.deps.clock())
            await uow.commit()

    async def retire(self) -> None:
        try:
            async with self.deps.storage() as uow:
                await uow.outbox.forget_sender(self.id)
                await uow.commit()
        except Exception:  # stopping must not fail because the database went away
            log.exception("outbox sender %s could not unregister", self.id)

    async def take_back(self) -> tuple[int, int]:
        """Messages of senders that died: those on this host whose process is gone at once, others
        once they have been silent for the lease."""
        now = self.deps.clock()
        async with self.deps.storage() as uow:
            for sender in await uow.outbox.senders():
                gone = sender.host == self.host and sender.id != self.id and not process_alive(sender.pid)
                if gone or sender.heartbeat_at < now - timedelta(days=1):
                    await uow.outbox.forget_sender(sender.id)
            returned, in_doubt = await uow.outbox.release_abandoned(
                now - timedelta(seconds=self.lease_seconds)
            )
            await uow.commit()
        if returned or in_doubt:
            log.warning(
                "took back %s messages of stopped senders (%s possibly delivered)",
                returned + in_doubt,
                in_doubt,
            )
            self.stats.taken_back += returned + in_doubt
            self.stats.in_doubt += in_doubt
            if self.on_result is not None:
                for _ in range(in_doubt):
                    self.on_result("any", "in_doubt")
        return returned, in_doubt

    async def step(self) -> int:
        """Claim a round and deliver it; returns how many messages were claimed.

        One transaction writes the last round's outcomes and claims the next round (at most one
        message per chat), noting the attempts of its answers: one commit a round. The answers
        then go side by side, one per chat, so a crash leaves at most one of a conversation's
        messages in doubt; their outcomes are written with the next round's claim (or when the
        sender stops). Notices go one at a time, each attempt noted with the previous outcome
        before the call, so a broadcast cut short has at most one notice in doubt.

        A chat's messages go in order: once one of them has to wait (a 429, a failure, the chat's
        turn), the chat's later messages are not claimed until it has gone."""
        claimed = await self._write(self._claim)
        answers = [m for m in claimed if m.attempted_at is not None]
        others = [m for m in claimed if m.attempted_at is None]
        if answers:
            await asyncio.gather(*(self._deliver(message, noted=True) for message in answers))
        waiting: set[tuple[str, str]] = set()
        try:
            for message in others:
                chat = (message.channel, message.chat_id)
                if chat in waiting or (self._stop is not None and self._stop.is_set()):
                    self._put_back(message)
                elif not await self._deliver(message):
                    waiting.add(chat)
        finally:
            if others:
                await self._write()
        notices = {m.policy_id for m in claimed if m.kind is MessageKind.NOTICE and m.policy_id is not None}
        if notices:
            try:
                await queue_delivery_reports(self.deps, notices)
            except Exception:  # a report must never stop the deliveries
                log.exception("outbox sender %s: could not queue delivery reports", self.id)
        return len(claimed)

    async def _claim(self, uow: UnitOfWork) -> list[OutboxMessage]:
        return await uow.outbox.claim(
            self.id, self.channels, self.deps.clock(), self.batch, attempt_answers=True
        )

    async def flush(self) -> None:
        """Write the outcomes not yet written (a stopping sender, or one about to idle)."""
        if self._unwritten:
            await self._write()

    def _put_back(self, message: OutboxMessage) -> None:
        """Unclaimed again, untried, behind an earlier message of its chat that has to wait (the
        claim leaves it alone until that one has gone)."""
        now = self.deps.clock()
        self._record(
            message,
            "",
            lambda uow: uow.outbox.retry_later(
                message.id or 0, self.id, now, "after an earlier message", attempted=False
            ),
        )

    async def _deliver(self, message: OutboxMessage, *, noted: bool = False) -> bool:
        """Deliver one message; False if it has to wait (and its chat's later ones with it).
        `noted`: its attempt was noted when it was claimed."""
        assert message.id is not None
        if noted and self._stop is not None and self._stop.is_set():
            self._put_back(message)
            return False
        transport = self.transports[message.channel]
        wait = transport.ready_in(message.chat_id)
        if wait > DEFER_AFTER:
            self._record(
                message,
                "deferred",
                lambda uow: uow.outbox.retry_later(
                    message.id or 0,
                    self.id,
                    self.deps.clock() + timedelta(seconds=wait),
                    "waiting for the chat's turn",
                    attempted=False,
                ),
            )
            return False
        await transport.wait_turn(message.chat_id)
        if not noted:
            # The attempt is noted before the call (a crash during it leaves the message in doubt),
            # in one transaction with what the previous message's outcome was: one commit a message.
            mine = await self._write(
                lambda uow: uow.outbox.begin_attempt(message.id or 0, self.id, self.deps.clock())
            )
            if not mine:  # withdrawn meanwhile, or taken back from us
                return True
        try:
            outcome = await transport.send(message)
        except Exception as exc:  # the transport broke its promise: treat as maybe delivered
            log.exception("transport %s failed on message %s", message.channel, message.id)
            outcome = Transient(f"{type(exc).__name__}: {exc}", maybe_delivered=True)
        self._outcome(message, outcome)
        return not _waits(message, outcome)

    def _outcome(self, message: OutboxMessage, outcome: Outcome) -> None:
        self._report(message, outcome)
        number, now = message.id or 0, self.deps.clock()
        match outcome:
            case Sent(platform_id=platform_id, more_ids=more_ids, thread_id=thread_id, trackable=trackable):

                async def sent(uow: UnitOfWork) -> bool:
                    mine = await uow.outbox.mark_sent(number, self.id, platform_id, now, more_ids)
                    if mine and trackable:
                        await delivery.delivered(uow, message, (platform_id, *more_ids), thread_id)
                    return mine

                self._record(message, "sent", sent)
            case RetryAfter(seconds=seconds, error=error):
                due = now + timedelta(seconds=seconds)
                self._record(
                    message,
                    "retried",
                    lambda uow: uow.outbox.retry_later(number, self.id, due, error, attempted=False),
                )
            case Transient(error=error, maybe_delivered=maybe):
                if message.attempts + 1 >= MAX_ATTEMPTS:
                    self._record(
                        message,
                        "failed",
                        lambda uow: uow.outbox.give_up(number, self.id, DeliveryStatus.FAILED, error, now),
                    )
                else:
                    wait = self.backoffs.get(message.channel, self.backoff)
                    due = now + wait(message.attempts + 1)
                    self._record(
                        message,
                        "retried",
                        lambda uow: uow.outbox.retry_later(
                            number, self.id, due, error, attempted=True, in_doubt=maybe
                        ),
                    )
            case Refused(status=status, error=error):

                async def refused(uow: UnitOfWork) -> bool:
                    mine = await uow.outbox.give_up(number, self.id, status, error, now)
                    await delivery.refused(uow, message, status, now)  # blocked: officers are told
                    return mine

                self._record(message, status.value, refused)
            case Moved(chat_id=new_chat, error=error):

                async def moved(uow: UnitOfWork) -> bool:
                    if await chat_moves.loops(uow, message.channel, message.chat_id, new_chat):
                        # a platform naming the chat itself, or one that moved away before, would
                        # have the message sent round for ever: it fails, saying why
                        loop = f"{error} (the new id {new_chat} is this chat or one it moved from)"
                        return await uow.outbox.give_up(number, self.id, DeliveryStatus.FAILED, loop, now)
                    # the message's row moves with the chat's other messages still to send
                    await chat_moves.follow(uow, message.channel, message.chat_id, new_chat, now)
                    self._moved_chats = True
                    return await uow.outbox.retry_later(number, self.id, now, error, attempted=False)

                self._record(message, "retried", moved)

    def _report(self, message: OutboxMessage, outcome: Outcome) -> None:
        """A line in the log for every send that did not simply go, and the result's count."""
        results = {Sent: "sent", RetryAfter: "rate_limited", Transient: "transient", Moved: "moved"}
        result = results.get(type(outcome), "")
        if isinstance(outcome, Refused):
            result = outcome.status.value
        if self.on_result is not None:
            self.on_result(message.channel, result)
        if isinstance(outcome, Sent):
            return
        fields = {
            "message": message.id,
            "channel": message.channel,
            "chat": message.chat_id,
            "attempt": message.attempts + 1,
            "result": result,
            "error": outcome.error,
        }
        if isinstance(outcome, Transient):
            fields["in_doubt"] = outcome.maybe_delivered
            given_up = message.attempts + 1 >= MAX_ATTEMPTS
            log.warning(
                "send %s", "given up" if given_up else "failed, to be retried", extra={"fields": fields}
            )
        elif isinstance(outcome, Refused):
            log.warning("send refused for good", extra={"fields": fields})
        elif isinstance(outcome, Moved):
            log.warning("send refused: the chat moved to %s", outcome.chat_id, extra={"fields": fields})
        else:
            log.info("send rate limited", extra={"fields": fields})

    def _record(self, message: OutboxMessage, what: str, write: Write) -> None:
        """What happened to a message (counted at once), written with the next transaction the
        sender makes (the next attempt's or claim's, or the batch's last): a crash before then
        leaves the message attempted, so it is taken back in doubt, never lost."""
        if what:
            setattr(self.stats, what, getattr(self.stats, what) + 1)
        self._unwritten.append((message, what, write))

    @overload
    async def _write(self) -> None: ...

    @overload
    async def _write(self, then: Callable[[UnitOfWork], Awaitable[T]]) -> T: ...

    async def _write(self, then: Callable[[UnitOfWork], Awaitable[T]] | None = None) -> T | None:
        """Write the outcomes not yet written, and `then`, in one transaction; `then`'s answer.
        Outcomes that could not be written are kept for the next try."""
        unwritten, self._unwritten = self._unwritten, []
        answer: T | None = None
        try:
            async with self.deps.storage() as uow:
                recorded = [await write(uow) for _, _, write in unwritten]
                if then is not None:
                    answer = await then(uow)
                await uow.commit()
        except BaseException:
            # Not written: kept for the next transaction that works. A sent message whose outcome
            # were dropped here would stay claimed and be taken for in doubt, then sent again.
            self._unwritten[:0] = unwritten
            raise
        if self._moved_chats:  # this process addresses the departments' new groups at once
            self._moved_chats = False
            try:
                await chat_moves.adopt(self.deps)
            except Exception:  # the organisation's watcher reads them soon enough
                log.exception("outbox sender %s could not read the departments again", self.id)
        for (message, what, _), mine in zip(unwritten, recorded, strict=True):
            if not mine:  # taken back from us meanwhile (we looked dead): it will go again
                log.warning("outbox message %s was no longer this sender's when it was %s", message.id, what)
        if unwritten and self.on_progress is not None:
            self.on_progress(self.stats)
        return answer
