"""The KPI counts (bot.domain.kpi) as SQL aggregates, one query for tickets and one for events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, distinct, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.domain.kpi import KpiCounts
from bot.domain.tickets import Action, Status
from storage import rules_sql
from storage.tables import TicketEventRow, TicketRow


def _sign_by() -> Any:
    """The signing limit; tickets from before it existed use the response limit."""
    return func.coalesce(col(TicketRow.sign_by), col(TicketRow.respond_by))


def _response_pending(as_of: datetime) -> object:
    """Dispatched, neither limit missed (not done late, not passed undone at `as_of`), and not
    both done: its response is not settled yet (bot.domain.kpi)."""
    t = TicketRow
    sign_by = _sign_by()
    signed, contacted = col(t.signed_at), col(t.first_contact_at)
    return and_(
        col(t.department_id).is_not(None),
        or_(signed.is_(None), signed <= sign_by),
        or_(contacted.is_(None), contacted <= col(t.respond_by)),
        or_(signed.is_(None), contacted.is_(None)),
        or_(signed.is_not(None), sign_by >= as_of),
        or_(contacted.is_not(None), col(t.respond_by) >= as_of),
    )


def _count_if(condition: object) -> object:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)  # type: ignore[arg-type]


class SqlKpi:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def counts(
        self,
        since: datetime,
        until: datetime,
        as_of: datetime,
        *,
        department_id: str | None = None,
        category: str | None = None,
    ) -> KpiCounts:
        t = TicketRow
        in_period = rules_sql.opened_between(since, until)
        if department_id is not None:  # one department's or category's share (the web console)
            in_period = and_(in_period, col(t.department_id) == department_id)
        if category is not None:
            in_period = and_(in_period, col(t.category) == category)
        closed = rules_sql.CLOSED_BY_HANDLING
        e = TicketEventRow
        # when the officers gave their (last) answer; a ticket closed without one, when it closed
        answered = func.coalesce(rules_sql.last_answer_at(), col(t.closed_at))
        row = (
            await self._s.execute(
                select(
                    _count_if(col(t.department_id).is_not(None)),
                    _count_if(
                        and_(col(t.signed_at) <= _sign_by(), col(t.first_contact_at) <= col(t.respond_by))
                    ),
                    _count_if(_response_pending(as_of)),
                    _count_if(rules_sql.RATED),
                    _count_if(rules_sql.RESOLVED),
                    _count_if(rules_sql.SATISFIED),
                    _count_if(closed),
                    _count_if(and_(closed, answered <= col(t.resolve_by))),
                ).where(in_period)  # type: ignore[call-overload]
            )
        ).one()
        event_row = (
            await self._s.execute(
                select(
                    func.count(
                        distinct(case((col(e.action) == Action.START_SURVEY.value, col(e.ticket_id))))
                    ),
                    func.count(distinct(case((col(e.to_status) == Status.REOPENED.value, col(e.ticket_id))))),
                )
                .join(t, col(t.id) == col(e.ticket_id))
                .where(in_period)
            )
        ).one()
        dispatched, responded, pending, rated_count, resolved, satisfied, closed_count, on_time = (
            int(v) for v in row
        )
        return KpiCounts(
            dispatched=dispatched,
            responded_in_time=responded,
            response_pending=pending,
            rated=rated_count,
            resolved=resolved,
            satisfied=satisfied,
            closed=closed_count,
            closed_on_time=on_time,
            surveyed=int(event_row[0]),
            reopened=int(event_row[1]),
        )
