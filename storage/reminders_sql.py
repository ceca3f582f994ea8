"""The reminder sweep's queries on SQL: due tickets by the partial index on their check time, and
the nudge ledger, claimed with INSERT … ON CONFLICT DO NOTHING RETURNING (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any, cast

from sqlalchemy import Table, bindparam, literal, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from bot.domain.escalation import NudgeKey
from bot.domain.tickets import Status, Ticket
from storage.mapping import ticket_from_row
from storage.tables import NudgeRow, TicketRow

TICKETS: Table = SQLModel.metadata.tables[TicketRow.__tablename__]
NUDGES: Table = SQLModel.metadata.tables[NudgeRow.__tablename__]
_BATCH = 500  # rows per INSERT: well inside both databases' limits on bound parameters
_DIGEST = "digest"


class SqlReminders:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def due(
        self, now: datetime, after: tuple[datetime, int] | None = None, limit: int = 500
    ) -> list[tuple[Ticket, datetime]]:
        t = TICKETS.c
        # `status <> 'closed'` as written in the partial index, so that both databases use it.
        statement = select(TICKETS).where(t.status != Status.CLOSED.value, t.next_check_at <= now)
        if after is not None:
            checked_at, number = after
            later = tuple_(literal(checked_at, t.next_check_at.type), literal(number, t.id.type))
            statement = statement.where(tuple_(t.next_check_at, t.id) > later)
        statement = statement.order_by(t.next_check_at, t.id).limit(limit)
        rows = (await self._s.execute(statement)).all()
        # Core rows, not ORM objects: the sweep reads thousands at a time.
        return [(ticket_from_row(cast(TicketRow, row)), row.next_check_at) for row in rows]

    async def reschedule(self, checks: Sequence[tuple[Ticket, datetime | None]]) -> None:
        if not checks:
            return
        t = TICKETS.c
        statement = (
            update(TICKETS)
            .where(t.id == bindparam("number"), t.version == bindparam("read_version"))
            .values(next_check_at=bindparam("check_at"))
        )
        params = [
            {"number": ticket.number, "read_version": ticket.version, "check_at": at}
            for ticket, at in sorted(checks, key=lambda pair: pair[0].number or 0)
        ]
        await self._s.execute(statement, params)

    async def claim(self, keys: Sequence[NudgeKey], at: datetime) -> set[NudgeKey]:
        claimed: set[NudgeKey] = set()
        # One order for every instance: concurrent claims wait on each other, never in a cycle.
        ordered = sorted(set(keys))
        for start in range(0, len(ordered), _BATCH):
            rows = [
                {
                    "ticket_number": key.ticket,
                    "kind": key.kind,
                    "due_at": key.due_at,
                    "level": key.level,
                    "repeat": key.repeat,
                    "recipient": "",
                    "claimed_at": at,
                }
                for key in ordered[start : start + _BATCH]
            ]
            n = NUDGES.c
            statement = (
                self._insert()
                .values(rows)
                .on_conflict_do_nothing()
                .returning(n.ticket_number, n.kind, n.due_at, n.level, n.repeat)
            )
            result = await self._s.execute(statement)
            claimed |= {NudgeKey(*row) for row in result.all()}
        return claimed

    async def claimed(self, keys: Sequence[NudgeKey]) -> set[NudgeKey]:
        wanted = set(keys)
        if not wanted:
            return set()
        n = NUDGES.c
        statement = select(n.ticket_number, n.kind, n.due_at, n.level, n.repeat).where(
            n.ticket_number.in_(sorted({key.ticket for key in wanted})), n.recipient == ""
        )
        found = {NudgeKey(*row) for row in (await self._s.execute(statement)).all()}
        return found & wanted

    async def escalated(self, level: str, limit: int = 200) -> list[Ticket]:
        t, n = TICKETS.c, NUDGES.c
        statement = (
            select(TICKETS)
            .where(
                t.status != Status.CLOSED.value,
                t.id.in_(select(n.ticket_number).where(n.level == level, n.recipient == "")),
            )
            .order_by(t.id)
            .limit(limit)
        )
        rows = (await self._s.execute(statement)).all()
        return [ticket_from_row(cast(TicketRow, row)) for row in rows]

    async def claim_digest(self, kind: str, recipient: str, day: date, at: datetime) -> bool:
        row = {
            "ticket_number": 0,
            "kind": kind,
            "due_at": datetime.combine(day, time(), tzinfo=UTC),
            "level": _DIGEST,
            "repeat": 0,
            "recipient": recipient,
            "claimed_at": at,
        }
        statement = self._insert().values(row).on_conflict_do_nothing().returning(NUDGES.c.id)
        return (await self._s.execute(statement)).first() is not None

    def _insert(self) -> Any:
        """The dialect's INSERT, which knows ON CONFLICT (both spell it the same)."""
        if self._s.get_bind().dialect.name == "postgresql":
            return postgresql.insert(NUDGES)
        return sqlite.insert(NUDGES)
