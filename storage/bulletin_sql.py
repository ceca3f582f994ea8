"""The leadership bulletin's queries and its archive in SQL (storage/bulletin_protocols.py),
written once for SQLite and PostgreSQL. Which tickets are blocking points is decided here: the
definitions are in bot/domain/bulletin.py's docstring, the statuses from storage/rules_sql.py."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.bulletin import ArchivedBulletin, BulletinContent, Note, PeriodDemand, Resolved, TicketMark
from bot.domain.campaigns import ItemKind
from bot.domain.tickets import Action, Status
from storage import rules_sql
from storage.bulletin_tables import BulletinRow
from storage.campaigns_sql import ENTERPRISES, ITEMS, RECORDED, VISITS
from storage.tables import EVENTS, TICKETS

BULLETINS: Table = BulletinRow.__table__  # type: ignore[attr-defined]

_t, _ev, _e, _b = TICKETS.c, EVENTS.c, ENTERPRISES.c, BULLETINS.c

_BLOCKING_EVENT = or_(
    _ev.action.in_([Action.RETURN.value, Action.REQUEST_EXTENSION.value]),
    _ev.to_status == Status.REOPENED.value,
)


def _company(row: Any) -> str | None:
    """The company as the bulletin may name it: never a confidential ticket's."""
    return None if row.confidential else row.company


def _how(note: str | None, outcome: str | None) -> str:
    """The officer's words with /resolve (the event's note reads "outcome: words")."""
    text = note or ""
    if outcome and text.startswith(f"{outcome}:"):
        text = text[len(outcome) + 1 :]
    return text.strip()


def _latest_resolve(since: datetime, until: datetime) -> Any:
    """Each ticket's latest /resolve event of the window: (ticket_id, event id)."""
    query = select(_ev.ticket_id, func.max(_ev.id).label("event_id")).where(
        _ev.action == Action.RESOLVE.value, _ev.at >= since, _ev.at < until
    )
    return query.group_by(_ev.ticket_id).subquery()


class SqlBulletins:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def period_demands(self, since: datetime, until: datetime) -> list[PeriodDemand]:
        query = (
            select(
                _t.id,
                _t.enterprise_id,
                _t.contact_id,
                _t.confidential,
                _t.category,
                _t.text,
                _t.status,
                _e.name.label("company"),
            )
            .select_from(TICKETS.outerjoin(ENTERPRISES, _e.id == _t.enterprise_id))
            .where(rules_sql.opened_between(since, until), _t.duplicate_of.is_(None))
            .order_by(_t.id)
        )
        return [
            PeriodDemand(
                number=r.id,
                company=_company(r),
                enterprise_key=r.enterprise_id or f"contact:{r.contact_id}",
                category=r.category,
                text=r.text,
                status=r.status,
            )
            for r in await self._s.execute(query)
        ]

    async def resolved(self, since: datetime, until: datetime) -> list[Resolved]:
        answer = _latest_resolve(since, until)
        query = (
            select(_t.id, _t.confidential, _t.category, _t.outcome, _e.name.label("company"), _ev.note)
            .select_from(
                answer.join(EVENTS, _ev.id == answer.c.event_id)
                .join(TICKETS, _t.id == answer.c.ticket_id)
                .outerjoin(ENTERPRISES, _e.id == _t.enterprise_id)
            )
            .order_by(_t.id)
        )
        return [
            Resolved(r.id, _company(r), r.category, r.outcome, _how(r.note, r.outcome))
            for r in await self._s.execute(query)
        ]

    async def marks(self, since: datetime, until: datetime, overdue_before: datetime) -> list[TicketMark]:
        columns = (
            _t.id,
            _t.confidential,
            _t.category,
            _t.text,
            _t.status,
            _e.name.label("company"),
        )
        events = (
            select(*columns, _ev.action, _ev.to_status, _ev.at, _ev.note)
            .select_from(
                EVENTS.join(TICKETS, _t.id == _ev.ticket_id).outerjoin(ENTERPRISES, _e.id == _t.enterprise_id)
            )
            .where(_ev.at >= since, _ev.at < until, _BLOCKING_EVENT, rules_sql.OPEN)
            .order_by(_t.id, _ev.id)
        )
        # long overdue: the limit still runs (not answered, not waiting on the enterprise)
        overdue = (
            select(*columns, _t.resolve_by)
            .select_from(TICKETS.outerjoin(ENTERPRISES, _e.id == _t.enterprise_id))
            .where(
                rules_sql.OPEN,
                rules_sql.UNANSWERED,
                _t.status != Status.WAITING_ENTERPRISE.value,
                _t.resolve_by < overdue_before,
            )
            .order_by(_t.id)
        )
        found = [
            TicketMark(r.id, _company(r), r.category, r.text, r.status, r.action, r.to_status, r.at, r.note)
            for r in await self._s.execute(events)
        ]
        found += [
            TicketMark(r.id, _company(r), r.category, r.text, r.status, "overdue", r.status, r.resolve_by)
            for r in await self._s.execute(overdue)
        ]
        return found

    async def notes(self, since: date, until: date) -> list[Note]:
        _v, _i = VISITS.c, ITEMS.c
        query = (
            select(_i.kind, _i.text, _e.name)
            .select_from(
                ITEMS.join(VISITS, _v.id == _i.visit_id).join(ENTERPRISES, _e.id == _v.enterprise_id)
            )
            .where(
                RECORDED,
                _i.kind.in_([ItemKind.OPINION.value, ItemKind.PLAN.value]),
                _v.visited_on >= since,
                _v.visited_on < until,
            )
            .order_by(_v.visited_on, _i.id)
        )
        return [Note(r.kind, r.name, r.text) for r in await self._s.execute(query)]

    async def claimed(self, schedule_key: str) -> bool:
        found = await self._s.execute(select(_b.id).where(_b.schedule_key == schedule_key))
        return found.first() is not None

    async def add(
        self,
        since: date,
        until: date,
        at: datetime,
        built_by: str,
        lang: str,
        content: dict[str, Any],
        markdown: str,
        sent: bool,
        schedule_key: str | None = None,
    ) -> int | None:
        row = {
            "since": since,
            "until": until,
            "built_at": at,
            "built_by": built_by,
            "lang": lang,
            "content": content,
            "markdown": markdown,
            "sent": sent,
            "schedule_key": schedule_key,
        }
        dialect = postgresql if self._s.get_bind().dialect.name == "postgresql" else sqlite
        statement = dialect.insert(BULLETINS).values(row).on_conflict_do_nothing().returning(_b.id)
        found = (await self._s.execute(statement)).first()
        return None if found is None else int(found[0])

    async def get(self, bulletin_id: int) -> ArchivedBulletin | None:
        row = (await self._s.execute(select(BULLETINS).where(_b.id == bulletin_id))).first()
        return None if row is None else _archived(row)

    async def latest(self) -> ArchivedBulletin | None:
        found = await self.listing(1)
        return found[0] if found else None

    async def listing(self, limit: int = 50) -> list[ArchivedBulletin]:
        query = select(BULLETINS).order_by(_b.built_at.desc(), _b.id.desc()).limit(limit)
        return [_archived(row) for row in await self._s.execute(query)]


def _archived(row: Any) -> ArchivedBulletin:
    return ArchivedBulletin(
        id=row.id,
        since=row.since,
        until=row.until,
        built_at=row.built_at,
        built_by=row.built_by,
        lang=row.lang,
        content=BulletinContent.from_dict(row.content),
        markdown=row.markdown,
        sent=row.sent,
        schedule_key=row.schedule_key,
    )
