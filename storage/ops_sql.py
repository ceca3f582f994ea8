"""The operator's figures (storage.protocols.OpsFigures) as aggregates, read at each `/metrics`
scrape: tickets by status, tickets ever opened, overdue tickets by department, the outbox backlog."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import outbox_states as states
from storage import rules_sql
from storage.policies_sql import OUTBOX
from storage.protocols import OpsFigures
from storage.tables import TICKETS

NO_DEPARTMENT = "none"  # the label of overdue tickets not yet given to a department

_t, _o = TICKETS.c, OUTBOX.c


class SqlOpsQueries:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def figures(self, now: datetime) -> OpsFigures:
        by_status = {
            str(status): int(count)
            for status, count in await self._s.execute(select(_t.status, func.count()).group_by(_t.status))
        }
        overdue = await self._s.execute(
            select(_t.department_id, func.count())
            .where(rules_sql.OPEN, rules_sql.UNANSWERED, _t.paused_at.is_(None), _t.resolve_by < now)
            .group_by(_t.department_id)
        )
        backlog, oldest = (
            await self._s.execute(
                select(func.count(), func.min(_o.created_at)).where(states.unsent(_o.status))
            )
        ).one()
        return OpsFigures(
            tickets_by_status=by_status,
            tickets_opened=sum(by_status.values()),
            overdue_by_department={str(d or NO_DEPARTMENT): int(n) for d, n in overdue},
            outbox_backlog=int(backlog),
            outbox_oldest=oldest,  # min() keeps the column's type: an aware UTC datetime
        )
