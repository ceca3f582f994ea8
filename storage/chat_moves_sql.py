"""A chat that became another (a Telegram group upgraded to a supergroup answers every send with
its new id): the old id replaced by the new everywhere Xiaoer keeps it, in the caller's
transaction, and the change audited in the organisation's log (whose new version makes every
process read the departments' groups again).

Moving twice is harmless (the second finds nothing left), and so is a new id already known: a
member-unit group the new id already belongs to is kept and the old one deactivated, and a queued
notice the new id already has is cancelled, not sent twice. The message log keeps the ids things
were said in: it is history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, and_, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.org import ChatMove, OrgChange
from bot.domain.outbox import DeliveryStatus
from storage import outbox_states as states
from storage.org_sql import change_rows
from storage.tables import (
    DEPARTMENTS,
    MEMBER_GROUPS,
    ORG_CHANGES,
    OUTBOX,
    SENT_MESSAGES,
    TICKETS,
    ForumTopicRow,
)

FORUM_TOPICS = ForumTopicRow.__table__  # type: ignore[attr-defined]  # SQLModel's table, untyped


class SqlChatMoves:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def move(self, channel: str, old: str, new: str, actor: str, at: datetime) -> ChatMove:
        if old == new:
            return ChatMove()
        changes: list[OrgChange] = []
        departments = await self._departments(channel, old, new, actor, changes)
        groups, merged = await self._groups(channel, old, new, actor, changes)
        tickets = await self._rows(
            update(TICKETS).where(TICKETS.c.channel == channel, TICKETS.c.chat_id == old).values(chat_id=new)
        )
        cancelled, outbox = await self._outbox(channel, old, new)
        sent = await self._unique(SENT_MESSAGES, channel, old, new, "message_id")
        topics = await self._unique(FORUM_TOPICS, channel, old, new, "ticket_number")
        moved = ChatMove(departments, groups, merged, tickets, outbox, cancelled, sent, topics)
        if moved.known:
            summary: dict[str, Any] = {"chat_id": new, "tickets": tickets, "outbox": outbox}
            summary |= {"cancelled": cancelled, "sent": sent, "topics": topics}
            changes.append(OrgChange(actor, "chat", f"{channel}:{old}", "move", {"chat_id": old}, summary))
        rows = change_rows(changes, at)
        if rows:
            await self._s.execute(ORG_CHANGES.insert(), rows)
        return moved

    async def _rows(self, statement: Any) -> int:
        result = await self._s.execute(statement.execution_options(synchronize_session=False))
        return cast(CursorResult[Any], result).rowcount

    async def _departments(
        self, channel: str, old: str, new: str, actor: str, changes: list[OrgChange]
    ) -> tuple[str, ...]:
        moved = []
        for row in (await self._s.execute(select(DEPARTMENTS.c.id, DEPARTMENTS.c.chats))).all():
            chats = {str(k): str(v) for k, v in (row.chats or {}).items()}
            if chats.get(channel) != old:
                continue
            after = dict(sorted((chats | {channel: new}).items()))
            await self._s.execute(update(DEPARTMENTS).where(DEPARTMENTS.c.id == row.id).values(chats=after))
            change = OrgChange(actor, "department", row.id, "change", {"chats": chats}, {"chats": after})
            changes.append(change)
            moved.append(row.id)
        return tuple(moved)

    async def _groups(
        self, channel: str, old: str, new: str, actor: str, changes: list[OrgChange]
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        g = MEMBER_GROUPS.c
        holding = select(g.id).where(g.channel == channel, g.chat_id == new, g.active)
        has_new = (await self._s.execute(holding.limit(1))).scalar_one_or_none() is not None
        olds = (await self._s.execute(select(g.id).where(g.channel == channel, g.chat_id == old))).scalars()
        moved, merged = [], []
        for group_id in list(olds):
            if has_new:  # the new id is a group of its own already: one group, not two notices
                statement = update(MEMBER_GROUPS).where(g.id == group_id).values(active=False)
                await self._s.execute(statement)
                changes.append(
                    OrgChange(actor, "group", group_id, "deactivate", {"chat_id": old}, {"merged_into": new})
                )
                merged.append(group_id)
                continue
            await self._s.execute(update(MEMBER_GROUPS).where(g.id == group_id).values(chat_id=new))
            changes.append(OrgChange(actor, "group", group_id, "change", {"chat_id": old}, {"chat_id": new}))
            moved.append(group_id)
        return tuple(moved), tuple(merged)

    async def _outbox(self, channel: str, old: str, new: str) -> tuple[int, int]:
        """Messages still to send: to the new id, but for a notice the new id has already (one
        recipient, one notice)."""
        o, there = OUTBOX.c, OUTBOX.alias("there").c
        waiting = and_(o.channel == channel, o.chat_id == old, states.unsent(o.status))
        duplicate = exists().where(
            there.kind == o.kind,
            there.policy_id == o.policy_id,
            there.channel == channel,
            there.chat_id == new,
        )
        cancelled = await self._rows(
            update(OUTBOX)
            .where(waiting, o.policy_id.is_not(None), duplicate)
            .values(
                status=DeliveryStatus.CANCELLED.value,
                claimed_by=None,
                claimed_at=None,
                last_error=f"the chat moved to {new}, which has this message already"[:300],
            )
        )
        moved = await self._rows(update(OUTBOX).where(waiting).values(chat_id=new))
        return cancelled, moved

    async def _unique(self, table: Any, channel: str, old: str, new: str, key: str) -> int:
        """Rows of a table unique by (channel, chat, key): moved unless the new chat has the key."""
        there = table.alias("there")
        taken = exists().where(
            there.c.channel == channel, there.c.chat_id == new, there.c[key] == table.c[key]
        )
        return await self._rows(
            update(table)
            .where(table.c.channel == channel, table.c.chat_id == old, ~taken)
            .values(chat_id=new)
        )
