"""The web console's storage (storage/web_protocols.py) on SQLAlchemy Core."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.enterprise import VISIT, Contact
from storage.campaign_tables import CampaignRow, VisitRow
from storage.campaigns_sql import SqlCampaigns
from storage.mapping import contact_from_row
from storage.search_protocols import OpenFilter, TicketScope
from storage.search_sql import open_conditions
from storage.tables import CONTACTS, ENTERPRISES, EVENTS, TICKETS, WEB_AUDIT, WEB_TOKENS
from storage.web_protocols import (
    AuditEntry,
    BoardCount,
    EnterpriseVisit,
    TokenKind,
    TokenState,
    WebSession,
)

_TOKENS, _AUDIT = WEB_TOKENS, WEB_AUDIT
# the enterprise page's one question of the campaign tables: which visits, of which campaign
_CAMPAIGNS: Table = CampaignRow.__table__  # type: ignore[attr-defined]
_VISITS: Table = VisitRow.__table__  # type: ignore[attr-defined]
_k = _TOKENS.c


class SqlWebAccess:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add_token(
        self, token_hash: str, kind: TokenKind, officer_id: str, role: str, at: datetime, expires_at: datetime
    ) -> None:
        await self._s.execute(
            insert(_TOKENS).values(
                token_hash=token_hash,
                kind=kind.value,
                officer_id=officer_id,
                role=role,
                created_at=at,
                expires_at=expires_at,
            )
        )

    async def redeem_link(self, token_hash: str, at: datetime) -> tuple[TokenState, WebSession | None]:
        mine = (_k.token_hash == token_hash, _k.kind == TokenKind.LINK.value)
        claimed = await self._s.execute(
            update(_TOKENS)
            .where(*mine, _k.used_at.is_(None), _k.revoked_at.is_(None), _k.expires_at > at)
            .values(used_at=at)
            .returning(_k.officer_id, _k.role, _k.expires_at)
        )
        row = claimed.first()
        if row is not None:
            return TokenState.VALID, WebSession(row.officer_id, row.role, row.expires_at)
        seen = (await self._s.execute(select(_TOKENS).where(*mine))).first()
        if seen is None:
            return TokenState.UNKNOWN, None
        who = WebSession(seen.officer_id, seen.role, seen.expires_at)
        if seen.used_at is not None:
            return TokenState.USED, who
        if seen.revoked_at is not None:
            return TokenState.REVOKED, who
        return TokenState.EXPIRED, who

    async def session(self, token_hash: str, at: datetime) -> tuple[TokenState, WebSession | None]:
        row = (
            await self._s.execute(
                select(_TOKENS).where(_k.token_hash == token_hash, _k.kind == TokenKind.SESSION.value)
            )
        ).first()
        if row is None:
            return TokenState.UNKNOWN, None
        session = WebSession(row.officer_id, row.role, row.expires_at)
        if row.revoked_at is not None:
            return TokenState.REVOKED, session
        if row.expires_at <= at:
            return TokenState.EXPIRED, session
        return TokenState.VALID, session

    async def revoke(self, officer_id: str, at: datetime) -> int:
        result = await self._s.execute(
            update(_TOKENS)
            .where(
                _k.officer_id == officer_id, _k.revoked_at.is_(None), _k.used_at.is_(None), _k.expires_at > at
            )
            .values(revoked_at=at)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]  # an UPDATE's result has it

    async def audit(
        self, at: datetime, officer_id: str | None, action: str, ticket: int | None, detail: str
    ) -> None:
        await self._s.execute(
            insert(_AUDIT).values(
                at=at, officer_id=officer_id, action=action, ticket_id=ticket, detail=detail[:200]
            )
        )

    async def audit_trail(self, limit: int = 100) -> list[AuditEntry]:
        rows = await self._s.execute(select(_AUDIT).order_by(_AUDIT.c.id.desc()).limit(limit))
        return [AuditEntry(r.at, r.officer_id, r.action, r.ticket_id, r.detail) for r in rows]


class SqlConsoleQueries:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def open_counts(self, wanted: OpenFilter, scope: TicketScope, as_of: datetime) -> list[BoardCount]:
        # the same filter as the page of tickets beside them
        statement = (
            select(TICKETS.c.status, TICKETS.c.department_id, func.count())
            .where(*open_conditions(wanted, scope, as_of))
            .group_by(TICKETS.c.status, TICKETS.c.department_id)
        )
        return [BoardCount(row[0], row[1], int(row[2])) for row in await self._s.execute(statement)]

    async def contacts_of(self, enterprise_id: str) -> list[Contact]:
        """Its people, not the stand-in that holds a visit's tickets until someone binds."""
        rows = await self._s.execute(
            select(CONTACTS)
            .where(CONTACTS.c.enterprise_id == enterprise_id, CONTACTS.c.channel != VISIT)
            .order_by(CONTACTS.c.id)
        )
        return [contact_from_row(row) for row in rows]

    async def visits_of(self, enterprise_id: str, limit: int) -> list[EnterpriseVisit]:
        v = _VISITS.c
        rows = (
            await self._s.execute(
                select(v.id, _CAMPAIGNS.c.name)
                .outerjoin(_CAMPAIGNS, _CAMPAIGNS.c.id == v.campaign_id)
                .where(v.enterprise_id == enterprise_id, v.situation.is_not(None))
                .order_by(v.visited_on.desc(), v.id.desc())
                .limit(limit)
            )
        ).all()
        # each read as the campaign store reads it: a few visits per enterprise, one mapping of them
        campaigns = SqlCampaigns(self._s)
        found = []
        for visit_id, campaign_name in rows:
            visit = await campaigns.visit(visit_id)
            assert visit is not None
            found.append(EnterpriseVisit(visit, campaign_name, await campaigns.items(visit_id)))
        return found

    async def enterprise_names(self, ids: Sequence[str]) -> dict[str, str]:
        if not ids:
            return {}
        rows = await self._s.execute(
            select(ENTERPRISES.c.id, ENTERPRISES.c.name).where(ENTERPRISES.c.id.in_(sorted(set(ids))))
        )
        return {row.id: row.name for row in rows}

    async def last_change(self) -> int:
        return int((await self._s.execute(select(func.coalesce(func.max(EVENTS.c.id), 0)))).scalar_one())
