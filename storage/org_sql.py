"""The organisation in the database: departments and officers read into the Directory, the
bootstrap of an empty database from the configuration, single changes made from chat, and the
audit log (org_changes) whose newest id is the version other processes poll."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.messages import Role
from bot.domain.org import Department, Directory, Officer, OrgChange, difference
from storage.tables import DEPARTMENTS, ENTERPRISES, OFFICERS, ORG_CHANGES

_d = DEPARTMENTS.c
_o = OFFICERS.c
_e = ENTERPRISES.c
_BOOTSTRAP_LOCK = 0x58_69_61_6F_00_01  # instances starting together take turns to fill an empty database
# The console addresses every officer as `officer:<id>`: an identity of the console's own, not stored.
_CONSOLE = "console"


def department_fields(d: Department, active: bool = True) -> dict[str, Any]:
    return {
        "name_zh": d.name_zh,
        "name_en": d.name_en,
        "head_officer_id": d.head_officer_id,
        "lang": d.lang,
        "chats": dict(sorted(d.chats.items())),
        "topics": sorted(d.topics),
        "aliases": list(d.aliases),
        "active": active,
    }


def officer_fields(o: Officer) -> dict[str, Any]:
    return {
        "name": o.name,
        "department_id": o.department_id,
        "role": o.role.value,
        "lang": o.lang,
        "identities": {k: v for k, v in sorted(o.identities.items()) if k != _CONSOLE},
        "active": o.active,
    }


def department_from_row(row: Any) -> Department:
    return Department(
        id=row.id,
        name_zh=row.name_zh,
        name_en=row.name_en,
        head_officer_id=row.head_officer_id,
        lang=row.lang,
        chats={str(k): str(v) for k, v in (row.chats or {}).items()},
        topics=frozenset(row.topics or ()),
        aliases=tuple(str(a) for a in row.aliases or ()),
    )


def officer_from_row(row: Any) -> Officer:
    return Officer(
        id=row.id,
        name=row.name,
        department_id=row.department_id,
        role=Role(row.role),
        lang=row.lang,
        identities={
            **{str(k): str(v) for k, v in (row.identities or {}).items()},
            _CONSOLE: f"officer:{row.id}",
        },
        active=bool(row.active),
    )


def change_rows(changes: Iterable[OrgChange], at: datetime) -> list[dict[str, Any]]:
    return [
        {
            "at": at,
            "actor": c.actor,
            "kind": c.kind,
            "key": c.key,
            "action": c.action,
            "before": dict(c.before) if c.before is not None else None,
            "after": dict(c.after) if c.after is not None else None,
        }
        for c in changes
    ]


class SqlOrg:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    def _insert_new(self, table: Any) -> Any:
        """INSERT that leaves a row whose key is already there alone (two processes bootstrapping)."""
        dialect = postgresql if self._s.get_bind().dialect.name == "postgresql" else sqlite
        return dialect.insert(table).on_conflict_do_nothing()

    async def bootstrap(self, directory: Directory, actor: str, at: datetime) -> bool:
        """Fill an empty organisation from `directory` (the configuration's bootstrap section);
        an organisation already in the database is left alone. True when it filled it."""
        if self._s.get_bind().dialect.name == "postgresql":
            # processes starting together on a fresh database take turns (for this transaction):
            # the second finds the first one's departments and does nothing
            await self._s.execute(select(func.pg_advisory_xact_lock(_BOOTSTRAP_LOCK)))
        if (await self._s.execute(select(_d.id).limit(1))).first() is not None:
            return False
        departments = list(directory.departments.values())
        officers = list(directory.officers.values())
        if departments:
            await self._s.execute(
                self._insert_new(DEPARTMENTS), [{"id": d.id, **department_fields(d)} for d in departments]
            )
        if officers:
            await self._s.execute(
                self._insert_new(OFFICERS), [{"id": o.id, **officer_fields(o)} for o in officers]
            )
        await self.record(
            [OrgChange(actor, "department", d.id, "add", None, department_fields(d)) for d in departments]
            + [OrgChange(actor, "officer", o.id, "add", None, officer_fields(o)) for o in officers],
            at,
        )
        return True

    async def departments(self) -> list[Department]:
        rows = (await self._s.execute(select(DEPARTMENTS).where(_d.active).order_by(_d.id))).all()
        return [department_from_row(row) for row in rows]

    async def officers(self, *, inactive: bool = False) -> list[Officer]:
        statement = select(OFFICERS).order_by(_o.id)
        if not inactive:
            statement = statement.where(_o.active)
        return [officer_from_row(row) for row in (await self._s.execute(statement)).all()]

    async def officer(self, officer_id: str) -> Officer | None:
        row = (await self._s.execute(select(OFFICERS).where(_o.id == officer_id))).first()
        return officer_from_row(row) if row is not None else None

    async def version(self) -> int:
        """The organisation's version: the newest change's id (an index-only read)."""
        return int((await self._s.execute(select(func.max(ORG_CHANGES.c.id)))).scalar_one() or 0)

    async def active_officer_ids(self) -> list[str]:
        statement = select(_o.id).where(_o.active).order_by(_o.id)
        return list((await self._s.execute(statement)).scalars())

    async def save_officer(self, officer: Officer, actor: str, at: datetime) -> OrgChange | None:
        """Add or change an officer (deactivate: `active=False`), audited; None when nothing changed."""
        current = await self.officer(officer.id)
        after = officer_fields(officer)
        if current is None:
            await self._s.execute(insert(OFFICERS).values(id=officer.id, **after))
            change = OrgChange(actor, "officer", officer.id, "add", None, after)
        else:
            before, changed = difference(officer_fields(current), after)
            if not changed:
                return None
            await self._s.execute(update(OFFICERS).where(_o.id == officer.id).values(**changed))
            action = "deactivate" if changed.get("active") is False else "change"
            change = OrgChange(actor, "officer", officer.id, action, before, changed)
        await self.record([change], at)
        return change

    async def set_liaison(
        self, enterprise_id: str, officer_id: str | None, actor: str, at: datetime
    ) -> OrgChange | None:
        current = (
            await self._s.execute(select(_e.liaison_officer_id).where(_e.id == enterprise_id))
        ).scalar_one_or_none()
        if current == officer_id:
            return None
        await self._s.execute(
            update(ENTERPRISES).where(_e.id == enterprise_id).values(liaison_officer_id=officer_id)
        )
        change = OrgChange(
            actor,
            "enterprise",
            enterprise_id,
            "change",
            {"liaison_officer_id": current},
            {"liaison_officer_id": officer_id},
        )
        await self.record([change], at)
        return change

    async def record(self, changes: Sequence[OrgChange], at: datetime) -> None:
        rows = change_rows(changes, at)
        if rows:
            await self._s.execute(insert(ORG_CHANGES), rows)

    async def changes(self, kind: str | None = None, key: str | None = None) -> list[OrgChange]:
        """The audit log, oldest first (for an enterprise's or officer's history, and tests)."""
        c = ORG_CHANGES.c
        statement = select(ORG_CHANGES).order_by(c.id)
        if kind is not None:
            statement = statement.where(c.kind == kind)
        if key is not None:
            statement = statement.where(c.key == key)
        return [
            OrgChange(r.actor, r.kind, r.key, r.action, r.before, r.after)
            for r in (await self._s.execute(statement)).all()
        ]
