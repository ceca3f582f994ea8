"""Binding by a vouched-for mobile (storage/binding_protocols.py) on SQLAlchemy Core."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, union, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.binding_protocols import MobileLink
from storage.tables import CONTACTS, INVITES, MOBILE_LINKS
from storage.web_protocols import TokenState

_l = MOBILE_LINKS.c
_c = CONTACTS.c
_i = INVITES.c


class SqlMobileBinding:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add_link(
        self, state_hash: str, channel: str, external_id: str, at: datetime, expires_at: datetime
    ) -> None:
        await self._s.execute(
            insert(MOBILE_LINKS).values(
                state_hash=state_hash,
                channel=channel,
                external_id=external_id,
                created_at=at,
                expires_at=expires_at,
            )
        )

    async def look_at_link(self, state_hash: str, at: datetime) -> tuple[TokenState, MobileLink | None]:
        row = (await self._s.execute(select(MOBILE_LINKS).where(_l.state_hash == state_hash))).first()
        if row is None:
            return TokenState.UNKNOWN, None
        link = MobileLink(row.channel, row.external_id, row.expires_at)
        if row.used_at is not None:
            return TokenState.USED, link
        if row.expires_at <= at:
            return TokenState.EXPIRED, link
        return TokenState.VALID, link

    async def use_link(self, state_hash: str, at: datetime) -> tuple[TokenState, MobileLink | None]:
        claimed = await self._s.execute(
            update(MOBILE_LINKS)
            .where(_l.state_hash == state_hash, _l.used_at.is_(None), _l.expires_at > at)
            .values(used_at=at)
            .returning(_l.channel, _l.external_id, _l.expires_at)
        )
        row = claimed.first()
        if row is not None:
            return TokenState.VALID, MobileLink(row.channel, row.external_id, row.expires_at)
        return await self.look_at_link(state_hash, at)

    async def enterprises_of_mobile(self, phone: str, contact_id: int, at: datetime) -> list[str]:
        on_record = select(_c.enterprise_id).where(
            _c.phone == phone, _c.enterprise_id.is_not(None), _c.id != contact_id
        )  # the roster's person, and any other chat already bound with that number
        invited = select(_i.enterprise_id).where(_i.phone == phone, _i.used_at.is_(None), _i.expires_at > at)
        statement = union(on_record, invited)
        found = {str(e) for e in (await self._s.execute(statement)).scalars() if e is not None}
        return sorted(found)

    async def close_invites(self, phone: str, enterprise_id: str, contact_id: int, at: datetime) -> None:
        await self._s.execute(
            update(INVITES)
            .where(
                _i.phone == phone, _i.enterprise_id == enterprise_id, _i.used_at.is_(None), _i.expires_at > at
            )
            .values(used_at=at, used_by_contact=contact_id)
        )
