"""bot.domain.report's figures as SQL aggregates (the KPI rates are storage.kpi_sql's).

Time differences are computed in the database, which each dialect spells its own way: PostgreSQL
takes seconds since the epoch from a timestamptz, SQLite (which keeps naive UTC text) counts
Julian days.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.domain.report import OverdueTicket, ResolveTimes, VolumeCount
from bot.domain.tickets import Status
from storage import rules_sql
from storage.tables import TicketRow, UtcDateTime

_SECONDS_PER_DAY = 86400


class SqlReports:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    def _seconds(self, instant: Any) -> Any:
        """A timestamp as seconds on a scale where differences are durations."""
        if self._s.get_bind().dialect.name == "postgresql":
            return func.extract("epoch", instant)
        return func.julianday(instant) * _SECONDS_PER_DAY

    async def volume(self, since: datetime, until: datetime) -> list[VolumeCount]:
        t = TicketRow
        statement = (
            select(col(t.category), col(t.department_id), func.count())
            .where(rules_sql.opened_between(since, until))
            .group_by(col(t.category), col(t.department_id))
        )
        return [VolumeCount(row[0], row[1], int(row[2])) for row in (await self._s.execute(statement)).all()]

    async def resolve_times(self, since: datetime, until: datetime) -> ResolveTimes:
        t = TicketRow
        took = self._seconds(col(t.closed_at)) - self._seconds(col(t.created_at))
        statement = select(func.count(), func.coalesce(func.sum(took), 0)).where(
            rules_sql.opened_between(since, until),
            rules_sql.CLOSED_BY_HANDLING,
            col(t.closed_at).is_not(None),
        )
        row = (await self._s.execute(statement)).one()
        return ResolveTimes(closed=int(row[0]), total_seconds=float(row[1]))

    async def most_overdue(
        self, since: datetime, until: datetime, as_of: datetime, limit: int = 10
    ) -> list[OverdueTicket]:
        t = TicketRow
        # an answered ticket is measured at its last answer (what the on-time rate counts), not at
        # the enterprise's rating; an open one at the report's time, a paused one when it paused
        measured_at = func.coalesce(
            case((rules_sql.ANSWERED, rules_sql.last_answer_at())),
            col(t.closed_at),
            col(t.paused_at),
            literal(as_of, UtcDateTime()),
        )
        overdue = (self._seconds(measured_at) - self._seconds(col(t.resolve_by))).label("overdue")
        statement = (
            select(t, overdue)
            .where(rules_sql.opened_between(since, until), rules_sql.HANDLED, overdue > 0)
            .order_by(overdue.desc(), col(t.id))
            .limit(limit)
        )
        return [_overdue(ticket, seconds) for ticket, seconds in (await self._s.execute(statement)).all()]


def _overdue(row: TicketRow, seconds: Any) -> OverdueTicket:
    assert row.id is not None
    return OverdueTicket(
        number=row.id,
        category=row.category,
        department_id=row.department_id,
        assignee_id=row.assignee_id,
        status=Status(row.status),
        resolve_by=row.resolve_by,
        overdue_seconds=float(seconds),
        confidential=row.confidential,
    )
