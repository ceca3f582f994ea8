"""The inbox: updates kept as they arrive, handled oldest first within each conversation.

On PostgreSQL a transaction-scoped advisory lock per conversation makes processes take turns on
one conversation, so its updates are handled one at a time, in order, whichever process received
them. On SQLite every writing transaction holds the database's one write lock, which does the same.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, String, Table, and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.inbox import InboxEntry, UnreadableUpdate
from bot.domain.messages import Capabilities, Inbound, Sender
from storage import fast_statements as fast
from storage.tables import InboxRow

INBOX: Table = cast(Table, InboxRow.__table__)  # type: ignore[attr-defined]
_ACCEPT: dict[str, Any] = {
    "postgresql": postgresql_insert(INBOX).on_conflict_do_nothing(index_elements=["channel", "delivery_id"]),
    "sqlite": sqlite_insert(INBOX).on_conflict_do_nothing(index_elements=["channel", "delivery_id"]),
}
# every update handled as it arrives is kept by one of these (storage/fast_statements)
_KEEP = {name: fast.FastStatement(statement) for name, statement in _ACCEPT.items()}
_KEEP_UNKEYED = fast.FastStatement(insert(INBOX))


def _bound(column: str) -> int:
    length = cast(String, INBOX.c[column].type).length
    assert length is not None, f"inbox.{column} is bounded: that is why values are fitted to it"
    return length


_DELIVERY_ID_LENGTH = _bound("delivery_id")


def delivery_key(delivery_id: str | None) -> str | None:
    """The platform's id of an update as the inbox column holds it: itself, or, for one longer
    than the column (a DingTalk msgId has no documented bound), a digest of all of it, so that it
    fits on PostgreSQL and the same update again is still recognised. The entry keeps the id whole."""
    if delivery_id is None or len(delivery_id) <= _DELIVERY_ID_LENGTH:
        return delivery_id
    digest = hashlib.sha256(delivery_id.encode()).hexdigest()
    return f"sha256:{digest}"[:_DELIVERY_ID_LENGTH]


_OLDEST_WAITING = (
    select(INBOX.c.id, INBOX.c.conversation, INBOX.c.inbound, INBOX.c.attempts, INBOX.c.retry_at)
    .where(INBOX.c.done.is_(False), INBOX.c.conversation == bindparam("conversation"))
    .order_by(INBOX.c.id)
    .limit(1)
)
_OLDEST_WAITING_ID = (
    select(INBOX.c.id)
    .where(INBOX.c.done.is_(False), INBOX.c.conversation == bindparam("conversation"))
    .order_by(INBOX.c.id)
    .limit(1)
)
_OLDEST_WAITING_ID_FAST = fast.FastStatement(_OLDEST_WAITING_ID)
_SET_ASIDE = (
    update(INBOX)
    .where(INBOX.c.id == bindparam("entry_id"))
    .values(done=True, handled_at=bindparam("at"), retry_at=None, last_error=bindparam("reason"))
)
_DONE = (
    update(INBOX)
    .where(INBOX.c.id == bindparam("entry_id"))
    .values(done=True, handled_at=bindparam("at"), retry_at=None)
)


def inbound_values(inbound: Inbound) -> dict[str, Any]:
    sender = inbound.sender
    return {
        "sender": [sender.channel, sender.user_id, sender.display_name, sender.language],
        "chat_id": inbound.chat_id,
        "text": inbound.text,
        "received_at": inbound.received_at.isoformat(),
        "payload": inbound.payload,
        "reply_to": inbound.reply_to,
        "delivery_id": inbound.delivery_id,
        "capabilities": [inbound.capabilities.buttons, inbound.capabilities.quoted_replies],
        "thread_id": inbound.thread_id,
        "shared_phone": inbound.shared_phone,
        "moved_to": inbound.moved_to,
    }


def inbound_from_values(values: dict[str, Any]) -> Inbound:
    channel, user_id, display_name, language = values["sender"]
    buttons, quoted = values["capabilities"]
    return Inbound(
        sender=Sender(channel, user_id, display_name, language),
        chat_id=values["chat_id"],
        text=values["text"],
        received_at=datetime.fromisoformat(values["received_at"]),
        payload=values["payload"],
        reply_to=values["reply_to"],
        delivery_id=values["delivery_id"],
        capabilities=Capabilities(buttons=buttons, quoted_replies=quoted),
        thread_id=values["thread_id"],
        shared_phone=values.get("shared_phone"),  # absent from entries kept before it was
        moved_to=values.get("moved_to"),
    )


def _values(conversation: str, inbound: Inbound) -> dict[str, Any]:
    return {
        "channel": inbound.sender.channel,
        "delivery_id": delivery_key(inbound.delivery_id),
        "conversation": conversation,
        "inbound": inbound_values(inbound),
        "received_at": inbound.received_at,
        "done": False,
        "attempts": 0,
    }


class SqlInbox:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    def _dialect(self) -> str:
        return self._s.get_bind().dialect.name

    async def accept(self, conversation: str, inbound: Inbound) -> bool:
        """Keep an update; False if this delivery was kept before (the platform sent it again)."""
        values = _values(conversation, inbound)
        statement = _ACCEPT[self._dialect()] if inbound.delivery_id is not None else insert(INBOX)
        result = cast(CursorResult[Any], await self._s.execute(statement, values))
        return result.rowcount == 1

    async def keep_handled(self, conversation: str, inbound: Inbound, at: datetime) -> bool:
        """Keep an update as handled in this transaction (it was handled as it arrived); False if
        this delivery was kept before."""
        values = {**_values(conversation, inbound), "done": True, "handled_at": at}
        statement = _KEEP[self._dialect()] if inbound.delivery_id is not None else _KEEP_UNKEYED
        return await fast.changed(self._s, statement, values) == 1

    async def waiting_in(self, conversation: str) -> bool:
        """Whether the conversation has updates not yet handled; this transaction has the
        conversation to itself until it ends."""
        await self._lock(conversation)
        return bool(await fast.rows(self._s, _OLDEST_WAITING_ID_FAST, {"conversation": conversation}))

    async def _lock(self, conversation: str) -> None:
        if self._dialect() == "postgresql":
            await self._s.execute(select(func.pg_advisory_xact_lock(func.hashtext(conversation))))

    async def next_for(self, conversation: str, at: datetime) -> InboxEntry | None:
        """The conversation's oldest update not yet handled, if it may be handled now; this
        transaction has the conversation to itself until it ends."""
        await self._lock(conversation)
        try:
            row = (await self._s.execute(_OLDEST_WAITING, {"conversation": conversation})).first()
            if row is None or (row.retry_at is not None and row.retry_at > at):
                return None  # nothing, or the oldest waits to be tried again: the later ones wait too
            return InboxEntry(row.id, row.conversation, inbound_from_values(row.inbound), row.attempts)
        except (ValueError, KeyError, TypeError, IndexError) as exc:  # bad JSON or a foreign shape
            found = await self._s.execute(_OLDEST_WAITING_ID, {"conversation": conversation})
            raise UnreadableUpdate(found.scalar_one(), f"{type(exc).__name__}: {exc}") from exc

    async def set_aside(self, entry_id: int, reason: str, at: datetime) -> None:
        await self._s.execute(
            _SET_ASIDE, {"entry_id": entry_id, "at": at, "reason": f"unreadable: {reason}"[:300]}
        )

    async def done(self, entry_id: int, at: datetime) -> None:
        await self._s.execute(_DONE, {"entry_id": entry_id, "at": at})

    async def failed(self, entry_id: int, error: str, retry_at: datetime) -> int:
        """Count a failed handling and set when to try again; returns the failures so far."""
        statement = (
            update(INBOX)
            .where(INBOX.c.id == entry_id)
            .values(attempts=INBOX.c.attempts + 1, last_error=error[:300], retry_at=retry_at)
            .returning(INBOX.c.attempts)
        )
        attempts = (await self._s.execute(statement)).scalar_one_or_none()
        return int(attempts or 0)

    async def waiting(self, at: datetime, received_before: datetime, limit: int = 500) -> list[str]:
        """Conversations with updates that may be handled now: received before then (after a
        restart, or left behind by a process that stopped), or due to be tried again."""
        statement = (
            select(INBOX.c.conversation)
            .where(INBOX.c.done.is_(False))
            .where(
                or_(
                    and_(INBOX.c.retry_at.is_(None), INBOX.c.received_at <= received_before),
                    INBOX.c.retry_at <= at,
                )
            )
            .group_by(INBOX.c.conversation)
            .order_by(func.min(INBOX.c.id))
            .limit(limit)
        )
        return list((await self._s.execute(statement)).scalars())

    async def forget(self, handled_before: datetime) -> int:
        """Drop updates handled before then (a platform redelivers within hours, not days)."""
        statement = delete(INBOX).where(INBOX.c.done.is_(True), INBOX.c.handled_at < handled_before)
        return cast(CursorResult[Any], await self._s.execute(statement)).rowcount

    async def next_retry(self) -> datetime | None:
        statement = select(func.min(INBOX.c.retry_at)).where(INBOX.c.done.is_(False))
        found: datetime | None = (await self._s.execute(statement)).scalar_one_or_none()
        return found
