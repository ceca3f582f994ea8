"""The tickets export (`xiaoer tickets export`): tickets opened in a period, page by page, and the
comments enterprises gave with their survey answers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.tickets import Action, Ticket
from storage.mapping import ticket_from_row
from storage.tables import EVENTS, TICKETS

_SURVEY = (Action.ANSWER_RESOLUTION.value, Action.ANSWER_SATISFACTION.value, Action.COMMENT.value)


class SqlTicketExport:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def opened_between(
        self, since: datetime, until: datetime, after: int = 0, limit: int = 1000
    ) -> list[Ticket]:
        statement = (
            select(TICKETS)
            .where(TICKETS.c.created_at >= since, TICKETS.c.created_at < until, TICKETS.c.id > after)
            .order_by(TICKETS.c.id)
            .limit(limit)
        )
        return [ticket_from_row(row) for row in (await self._s.execute(statement)).all()]

    async def survey_comments(self, numbers: Sequence[int]) -> dict[int, list[str]]:
        if not numbers:
            return {}
        statement = (
            select(EVENTS.c.ticket_id, EVENTS.c.note)
            .where(EVENTS.c.ticket_id.in_(list(numbers)), EVENTS.c.action.in_(_SURVEY), EVENTS.c.note != "")
            .order_by(EVENTS.c.ticket_id, EVENTS.c.id)
        )
        comments: dict[int, list[str]] = {}
        for number, note in (await self._s.execute(statement)).all():
            comments.setdefault(number, []).append(note)
        return comments
