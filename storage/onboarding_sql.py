"""Onboarding at scale: whom to invite (the roster of selected enterprises), invites made in bulk,
binding by a shared phone number, and how far binding has come per liaison officer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.enterprise import VISIT, Enterprise
from storage.mapping import enterprise_from_row
from storage.search_protocols import Coverage, NewInvite, RosterEntry, Selection
from storage.tables import CONTACTS, ENTERPRISES, INVITES, ROSTER

_e = ENTERPRISES.c
_c = CONTACTS.c
_i = INVITES.c

# An enterprise is bound when a chat speaks for it: a contact bound to it with a chat identity
# (a roster's contact, known by name and phone from an import, is no chat; nor is the stand-in a
# visit's demand is opened under while nobody is bound: bot.domain.enterprise.Contact.is_chat).
_BOUND = exists().where(_c.enterprise_id == _e.id, _c.channel.not_in((ROSTER, VISIT)))


class SqlOnboarding:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def roster(self, selection: Selection) -> list[RosterEntry]:
        conditions: list[Any] = []
        if selection.district is not None:
            conditions.append(_e.district == selection.district)
        if selection.liaison_officer_id is not None:
            conditions.append(_e.liaison_officer_id == selection.liaison_officer_id)
        if selection.unbound_only:
            conditions.append(~_BOUND)
        rows = (await self._s.execute(select(ENTERPRISES).where(*conditions).order_by(_e.id))).all()
        # Tags are a JSON list: compared here, the same on both databases, over what was selected.
        enterprises = [
            enterprise_from_row(row) for row in rows if all(tag in row.tags for tag in selection.tags)
        ]
        people: dict[str, list[tuple[str, str]]] = {}
        if enterprises:
            statement = (
                select(_c.enterprise_id, _c.display_name, _c.phone)
                .where(_c.phone.is_not(None), _c.enterprise_id.is_not(None))
                .order_by(_c.enterprise_id, _c.id)
            )
            seen: set[tuple[str, str]] = set()
            for enterprise_id, name, phone in (await self._s.execute(statement)).all():
                if (enterprise_id, phone) not in seen:  # on the roster and bound with that number too
                    seen.add((enterprise_id, phone))
                    people.setdefault(enterprise_id, []).append((name, phone))
        entries: list[RosterEntry] = []
        for enterprise in enterprises:
            known = people.get(enterprise.id)
            if not known:
                entries.append(RosterEntry(enterprise, None, None))
            entries += [RosterEntry(enterprise, name, phone) for name, phone in known or ()]
        return entries

    async def create_invites(
        self, invites: Sequence[NewInvite], created_by: str, at: datetime, expires_at: datetime
    ) -> None:
        if not invites:
            return
        rows = [
            {
                "code": invite.code,
                "enterprise_id": invite.enterprise_id,
                "created_by": created_by,
                "created_at": at,
                "expires_at": expires_at,
                "contact_name": invite.contact_name,
                "phone": invite.phone,
            }
            for invite in invites
        ]
        await self._s.execute(insert(INVITES), rows)

    async def set_phone(self, contact_id: int, phone: str) -> None:
        await self._s.execute(update(CONTACTS).where(_c.id == contact_id).values(phone=phone))

    async def coverage_by_liaison(self, at: datetime) -> list[Coverage]:
        statement = select(
            _e.liaison_officer_id, func.count(), func.sum(case((_BOUND, 1), else_=0))
        ).group_by(_e.liaison_officer_id)
        groups = {key: (int(n), int(b or 0)) for key, n, b in (await self._s.execute(statement)).all()}
        open_statement = (
            select(_e.liaison_officer_id, func.count())
            .select_from(INVITES.join(ENTERPRISES, _i.enterprise_id == _e.id))
            .where(_i.used_at.is_(None), _i.expires_at > at)
            .group_by(_e.liaison_officer_id)
        )
        waiting = {key: int(n) for key, n in (await self._s.execute(open_statement)).all()}
        return [
            Coverage(key, total, bound, waiting.get(key, 0))
            for key, (total, bound) in sorted(groups.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))
        ]

    async def unbound_of(self, liaison_officer_id: str, limit: int = 20) -> tuple[list[Enterprise], int]:
        mine = and_(_e.liaison_officer_id == liaison_officer_id, ~_BOUND)
        total = (
            await self._s.execute(select(func.count()).select_from(ENTERPRISES).where(mine))
        ).scalar_one()
        rows = (await self._s.execute(select(ENTERPRISES).where(mine).order_by(_e.id).limit(limit))).all()
        return [enterprise_from_row(row) for row in rows], int(total)
