"""Campaigns and visits in SQL (storage/campaign_protocols.py): the rows, and the queries that
count coverage and gather the bulletin's items, written once for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, and_, case, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.domain.campaigns import (
    Assignment,
    BulletinItem,
    Campaign,
    CampaignStatus,
    Coverage,
    ItemKind,
    Targeting,
    Visit,
    VisitItem,
    VisitStep,
)
from bot.domain.enterprise import Contact, Enterprise
from storage import rules_sql
from storage.campaign_protocols import CampaignEvent, TargetLine
from storage.campaign_tables import (
    CampaignEventRow,
    CampaignRow,
    CampaignTargetRow,
    VisitFileRow,
    VisitItemRow,
    VisitRow,
)
from storage.mapping import contact_from_row, enterprise_from_row
from storage.tables import TICKETS, ContactRow, EnterpriseRow

CAMPAIGNS: Table = CampaignRow.__table__  # type: ignore[attr-defined]
TARGETS: Table = CampaignTargetRow.__table__  # type: ignore[attr-defined]
VISITS: Table = VisitRow.__table__  # type: ignore[attr-defined]
ITEMS: Table = VisitItemRow.__table__  # type: ignore[attr-defined]
FILES: Table = VisitFileRow.__table__  # type: ignore[attr-defined]
CAMPAIGN_EVENTS: Table = CampaignEventRow.__table__  # type: ignore[attr-defined]
ENTERPRISES: Table = EnterpriseRow.__table__  # type: ignore[attr-defined]

_c, _tg, _v, _i, _e = CAMPAIGNS.c, TARGETS.c, VISITS.c, ITEMS.c, ENTERPRISES.c
RECORDED = _v.situation.is_not(None)  # a visit counts once the enterprise's situation is written


def _campaign(row: Any) -> Campaign:
    return Campaign(
        id=row.id,
        name=row.name,
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        lead_id=row.lead_id,
        targeting=Targeting.from_dict(row.targeting),
        departments=tuple(row.departments),
        status=CampaignStatus(row.status),
        created_at=row.created_at,
        closed_at=row.closed_at,
    )


def _visit(row: Any) -> Visit:
    return Visit(
        id=row.id,
        campaign_id=row.campaign_id,
        enterprise_id=row.enterprise_id,
        officer_id=row.officer_id,
        visited_on=row.visited_on,
        created_at=row.created_at,
        updated_at=row.updated_at,
        met=row.met,
        situation=row.situation,
        step=VisitStep(row.step) if row.step else None,
        pending_text=row.pending_text,
    )


def _visit_values(visit: Visit) -> dict[str, Any]:
    return {
        "campaign_id": visit.campaign_id,
        "enterprise_id": visit.enterprise_id,
        "officer_id": visit.officer_id,
        "visited_on": visit.visited_on,
        "met": visit.met,
        "situation": visit.situation,
        "step": visit.step.value if visit.step else None,
        "pending_text": visit.pending_text,
        "created_at": visit.created_at,
        "updated_at": visit.updated_at,
    }


class SqlCampaigns:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _one_id(self, table: Table, values: dict[str, Any]) -> int:
        result = await self.session.execute(insert(table).values(**values).returning(table.c.id))
        return int(result.scalar_one())

    # --- campaigns ------------------------------------------------------------------------------

    async def add(self, campaign: Campaign) -> Campaign:
        new_id = await self._one_id(CAMPAIGNS, self._campaign_values(campaign))
        return replace(campaign, id=new_id)

    @staticmethod
    def _campaign_values(campaign: Campaign) -> dict[str, Any]:
        return {
            "name": campaign.name,
            "starts_on": campaign.starts_on,
            "ends_on": campaign.ends_on,
            "lead_id": campaign.lead_id,
            "targeting": campaign.targeting.as_dict(),
            "departments": list(campaign.departments),
            "status": campaign.status.value,
            "created_at": campaign.created_at,
            "closed_at": campaign.closed_at,
        }

    async def get(self, campaign_id: int) -> Campaign | None:
        row = (await self.session.execute(select(CAMPAIGNS).where(_c.id == campaign_id))).first()
        return _campaign(row) if row is not None else None

    async def listing(self, open_only: bool = False) -> list[Campaign]:
        query = select(CAMPAIGNS).order_by(_c.id.desc())
        if open_only:
            query = query.where(_c.status == CampaignStatus.OPEN.value)
        return [_campaign(row) for row in await self.session.execute(query)]

    async def save(self, campaign: Campaign) -> None:
        await self.session.execute(
            update(CAMPAIGNS).where(_c.id == campaign.id).values(**self._campaign_values(campaign))
        )

    async def set_targets(self, campaign_id: int, assignments: Sequence[Assignment]) -> None:
        await self.session.execute(delete(TARGETS).where(_tg.campaign_id == campaign_id))
        if assignments:
            await self.session.execute(
                insert(TARGETS),
                [
                    {
                        "campaign_id": campaign_id,
                        "enterprise_id": a.enterprise_id,
                        "officer_id": a.officer_id,
                        "department_id": a.department_id,
                    }
                    for a in assignments
                ],
            )

    async def reassign(
        self, campaign_id: int, enterprise_ids: Sequence[str], officer_id: str, department_id: str
    ) -> int:
        result = await self.session.execute(
            update(TARGETS)
            .where(_tg.campaign_id == campaign_id, _tg.enterprise_id.in_(list(enterprise_ids)))
            .values(officer_id=officer_id, department_id=department_id)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def reassign_officer(
        self, campaign_id: int, from_officer: str, officer_id: str, department_id: str
    ) -> int:
        result = await self.session.execute(
            update(TARGETS)
            .where(_tg.campaign_id == campaign_id, _tg.officer_id == from_officer)
            .values(officer_id=officer_id, department_id=department_id)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def log(self, campaign_id: int, at: datetime, actor_id: str, action: str, note: str = "") -> None:
        await self.session.execute(
            insert(CAMPAIGN_EVENTS).values(
                campaign_id=campaign_id, at=at, actor_id=actor_id, action=action, note=note
            )
        )

    async def events(self, campaign_id: int) -> list[CampaignEvent]:
        ev = CAMPAIGN_EVENTS.c
        rows = await self.session.execute(
            select(ev.at, ev.actor_id, ev.action, ev.note)
            .where(ev.campaign_id == campaign_id)
            .order_by(ev.id)
        )
        return [CampaignEvent(r.at, r.actor_id, r.action, r.note) for r in rows]

    async def open_campaign_of(self, enterprise_id: str, day: date) -> Campaign | None:
        row = (
            await self.session.execute(
                select(CAMPAIGNS)
                .join(TARGETS, _tg.campaign_id == _c.id)
                .where(
                    _tg.enterprise_id == enterprise_id,
                    _c.status == CampaignStatus.OPEN.value,
                    _c.starts_on <= day,
                    _c.ends_on >= day,
                )
                .order_by(_c.id.desc())
                .limit(1)
            )
        ).first()
        return _campaign(row) if row is not None else None

    # --- coverage -------------------------------------------------------------------------------

    def _visited(self, campaign_id: int) -> Any:
        """The campaign's targets with a recorded visit."""
        return select(_v.enterprise_id).where(_v.campaign_id == campaign_id, RECORDED).distinct().subquery()

    async def coverage(self, campaign_id: int) -> list[Coverage]:
        visited = self._visited(campaign_id)
        counted = (
            select(
                _tg.officer_id,
                _tg.department_id,
                func.count().label("assigned"),
                func.count(visited.c.enterprise_id).label("visited"),
            )
            .select_from(TARGETS.outerjoin(visited, visited.c.enterprise_id == _tg.enterprise_id))
            .where(_tg.campaign_id == campaign_id)
            .group_by(_tg.officer_id, _tg.department_id)
        )
        t = TICKETS.c
        # What each officer brought back, counted on the visits they recorded for the campaign.
        brought = (
            select(
                _v.officer_id,
                func.sum(case((_i.kind == ItemKind.DEMAND.value, 1), else_=0)).label("demands"),
                func.sum(
                    case((and_(_i.kind == ItemKind.DEMAND.value, rules_sql.CLOSED_BY_HANDLING), 1), else_=0)
                ).label("resolved"),
                func.sum(case((_i.kind != ItemKind.DEMAND.value, 1), else_=0)).label("notes"),
            )
            .select_from(ITEMS.join(VISITS, _v.id == _i.visit_id).outerjoin(TICKETS, t.id == _i.ticket_id))
            .where(_v.campaign_id == campaign_id)
            .group_by(_v.officer_id)
        )
        items = {r.officer_id: r for r in await self.session.execute(brought)}
        lines = []
        for row in await self.session.execute(counted):
            got = items.pop(row.officer_id, None) if row.officer_id is not None else None
            lines.append(
                Coverage(
                    key=f"{row.officer_id or ''}|{row.department_id or ''}",
                    assigned=int(row.assigned),
                    visited=int(row.visited),
                    demands=int(got.demands or 0) if got else 0,
                    resolved=int(got.resolved or 0) if got else 0,
                    notes=int(got.notes or 0) if got else 0,
                )
            )
        return sorted(lines, key=lambda line: line.key or "")

    async def remaining(self, officer_id: str, day: date) -> list[tuple[Campaign, Enterprise]]:
        visited = (
            select(_v.id)
            .where(_v.campaign_id == _tg.campaign_id, _v.enterprise_id == _tg.enterprise_id, RECORDED)
            .exists()
        )
        rows = await self.session.execute(
            select(_tg.campaign_id.label("campaign_ref"), ENTERPRISES)
            .select_from(
                TARGETS.join(CAMPAIGNS, _c.id == _tg.campaign_id).join(
                    ENTERPRISES, _e.id == _tg.enterprise_id
                )
            )
            .where(
                _tg.officer_id == officer_id,
                _c.status == CampaignStatus.OPEN.value,
                _c.starts_on <= day,
                _c.ends_on >= day,
                ~visited,
            )
            .order_by(_c.id, _e.name, _e.id)
        )
        listed = list(rows)
        campaigns = {
            row.id: _campaign(row)
            for row in await self.session.execute(
                select(CAMPAIGNS).where(_c.id.in_({r.campaign_ref for r in listed}))
            )
        }
        return [(campaigns[row.campaign_ref], enterprise_from_row(row)) for row in listed]

    async def target_lines(self, campaign_id: int) -> list[TargetLine]:
        latest = (
            select(func.max(_v.id))
            .where(_v.campaign_id == campaign_id, _v.enterprise_id == _tg.enterprise_id, RECORDED)
            .scalar_subquery()
        )
        rows = await self.session.execute(
            select(
                ENTERPRISES,
                _tg.officer_id.label("t_officer"),
                _tg.department_id.label("t_department"),
                latest.label("visit_id"),
            )
            .select_from(TARGETS.join(ENTERPRISES, _e.id == _tg.enterprise_id))
            .where(_tg.campaign_id == campaign_id)
            .order_by(_e.name, _e.id)
        )
        listed = list(rows)
        visit_ids = [r.visit_id for r in listed if r.visit_id is not None]
        visits: dict[int, Any] = {}
        counts: dict[int, tuple[int, int]] = {}
        if visit_ids:
            visits = {r.id: r for r in await self.session.execute(select(VISITS).where(_v.id.in_(visit_ids)))}
            counted = await self.session.execute(
                select(
                    _i.visit_id,
                    func.sum(case((_i.kind == ItemKind.DEMAND.value, 1), else_=0)).label("demands"),
                    func.sum(case((_i.kind != ItemKind.DEMAND.value, 1), else_=0)).label("notes"),
                )
                .where(_i.visit_id.in_(visit_ids))
                .group_by(_i.visit_id)
            )
            counts = {r.visit_id: (int(r.demands or 0), int(r.notes or 0)) for r in counted}
        lines = []
        for row in listed:
            visit = visits.get(row.visit_id) if row.visit_id is not None else None
            demands, notes = counts.get(row.visit_id, (0, 0)) if row.visit_id is not None else (0, 0)
            lines.append(
                TargetLine(
                    enterprise=enterprise_from_row(row),
                    officer_id=row.t_officer,
                    department_id=row.t_department,
                    visited_on=visit.visited_on if visit else None,
                    met=visit.met if visit else None,
                    situation=visit.situation if visit else None,
                    demands=demands,
                    notes=notes,
                )
            )
        return lines

    async def visits_by_day(self, campaign_id: int) -> list[tuple[date, int]]:
        first = (
            select(_v.enterprise_id, func.min(_v.visited_on).label("day"))
            .join(TARGETS, and_(_tg.campaign_id == _v.campaign_id, _tg.enterprise_id == _v.enterprise_id))
            .where(_v.campaign_id == campaign_id, RECORDED)
            .group_by(_v.enterprise_id)
            .subquery()
        )
        rows = await self.session.execute(
            select(first.c.day, func.count()).group_by(first.c.day).order_by(first.c.day)
        )
        return [(row[0], int(row[1])) for row in rows]

    # --- visits ---------------------------------------------------------------------------------

    async def start_visit(self, visit: Visit) -> Visit:
        return replace(visit, id=await self._one_id(VISITS, _visit_values(visit)))

    async def visit(self, visit_id: int) -> Visit | None:
        row = (await self.session.execute(select(VISITS).where(_v.id == visit_id))).first()
        return _visit(row) if row is not None else None

    async def visit_being_recorded(self, officer_id: str) -> Visit | None:
        row = (
            await self.session.execute(
                select(VISITS)
                .where(_v.officer_id == officer_id, _v.step.is_not(None))
                .order_by(_v.id.desc())
                .limit(1)
            )
        ).first()
        return _visit(row) if row is not None else None

    async def save_visit(self, visit: Visit) -> None:
        await self.session.execute(update(VISITS).where(_v.id == visit.id).values(**_visit_values(visit)))

    async def add_item(self, item: VisitItem) -> VisitItem:
        new_id = await self._one_id(
            ITEMS,
            {
                "visit_id": item.visit_id,
                "kind": item.kind.value,
                "text": item.text,
                "ticket_id": item.ticket_number,
                "created_at": item.created_at,
            },
        )
        return replace(item, id=new_id)

    async def items(self, visit_id: int) -> list[VisitItem]:
        rows = await self.session.execute(select(ITEMS).where(_i.visit_id == visit_id).order_by(_i.id))
        return [
            VisitItem(r.id, r.visit_id, ItemKind(r.kind), r.text, r.created_at, r.ticket_id) for r in rows
        ]

    async def contacts_of(self, enterprise_id: str) -> list[Contact]:
        rows = await self.session.execute(
            select(ContactRow)
            .where(col(ContactRow.enterprise_id) == enterprise_id)
            .order_by(col(ContactRow.id))
        )
        return [contact_from_row(row) for row in rows.scalars()]

    async def add_file(self, visit_id: int, kind: str, ref: str, at: datetime) -> None:
        await self.session.execute(
            insert(FILES).values(visit_id=visit_id, kind=kind, ref=ref[:256], created_at=at)
        )

    async def files(self, visit_id: int) -> list[tuple[str, str]]:
        f = FILES.c
        rows = await self.session.execute(select(f.kind, f.ref).where(f.visit_id == visit_id).order_by(f.id))
        return [(r.kind, r.ref) for r in rows]

    async def bulletin_items(
        self, campaign_id: int, since: date | None = None, until: date | None = None
    ) -> list[BulletinItem]:
        t = TICKETS.c
        query = (
            select(
                _i.kind,
                _i.text,
                _e.name,
                _v.officer_id,
                _v.visited_on,
                _i.ticket_id,
                t.category,
                t.status,
                t.confidential,
            )
            .select_from(
                ITEMS.join(VISITS, _v.id == _i.visit_id)
                .join(ENTERPRISES, _e.id == _v.enterprise_id)
                .outerjoin(TICKETS, t.id == _i.ticket_id)
            )
            .where(_v.campaign_id == campaign_id, RECORDED)
            .order_by(_i.kind, _v.visited_on, _i.id)
        )
        if since is not None:
            query = query.where(_v.visited_on >= since)
        if until is not None:
            query = query.where(_v.visited_on < until)
        return [
            BulletinItem(
                kind=ItemKind(r.kind),
                text=r.text,
                enterprise_name=r.name,
                officer_id=r.officer_id,
                visited_on=r.visited_on,
                ticket_number=r.ticket_id,
                category=r.category,
                status=r.status,
                confidential=bool(r.confidential),
            )
            for r in await self.session.execute(query)
        ]
