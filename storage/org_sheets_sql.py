"""The organisation in bulk, for `xiaoer import` and `xiaoer export`: every record of a kind keyed
as the sheets match them (credit code, phone, id), and many records written at once (executemany
in chunks), with their audit rows. Records are dicts of the columns' names (see
handlers/roster/records.py for their shape)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, bindparam, exists, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.enterprise import VISIT, Enterprise
from bot.domain.org import OrgChange
from storage.mapping import enterprise_from_row
from storage.org_sql import change_rows
from storage.tables import (
    CONTACTS,
    DEPARTMENTS,
    ENTERPRISES,
    INVITES,
    MEMBER_GROUPS,
    OFFICERS,
    ORG_CHANGES,
    ROSTER,
)

CHUNK = 2000  # rows per executemany: large enough to be fast, small enough for progress and memory

_KEYS: dict[str, tuple[Table, str]] = {
    "enterprises": (ENTERPRISES, "uscc"),
    "liaisons": (ENTERPRISES, "uscc"),
    "contacts": (CONTACTS, "phone"),
    "officers": (OFFICERS, "id"),
    "departments": (DEPARTMENTS, "id"),
    "groups": (MEMBER_GROUPS, "id"),
}
_FIELDS = {
    "enterprises": (
        "uscc",
        "id",
        "name",
        "industry",
        "district",
        "size_class",
        "tags",
        "key_support",
        "liaison_officer_id",
    ),
    "liaisons": ("uscc", "name", "liaison_officer_id"),
    "contacts": ("phone", "display_name", "lang", "enterprise_id"),
    "officers": ("id", "name", "department_id", "role", "lang", "active", "identities"),
    "departments": (
        "id",
        "name_zh",
        "name_en",
        "head_officer_id",
        "lang",
        "topics",
        "chats",
        "active",
        "aliases",
    ),
    "groups": ("id", "name", "channel", "chat_id", "lang", "tags", "active"),
}
_c = CONTACTS.c


class SqlOrgSheets:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def existing(self, kind: str) -> dict[str, dict[str, Any]]:
        """Every record of the kind, by its sheet key (contacts: those of the roster)."""
        table, key = _KEYS[kind]
        statement = select(*(table.c[f] for f in _FIELDS[kind]))
        if kind == "contacts":
            statement = statement.where(_c.channel == ROSTER)
        if kind in ("enterprises", "liaisons"):
            statement = statement.where(table.c.uscc.is_not(None))
        result = await self._s.stream(statement.execution_options(yield_per=CHUNK))
        return {row[key]: dict(row) async for row in result.mappings()}

    async def enterprise_ids(self) -> dict[str, str]:
        """Credit code -> enterprise id."""
        rows = await self._s.execute(
            select(ENTERPRISES.c.uscc, ENTERPRISES.c.id).where(ENTERPRISES.c.uscc.is_not(None))
        )
        return {str(uscc): str(id_) for uscc, id_ in rows.all()}

    async def write(
        self,
        kind: str,
        added: Sequence[dict[str, Any]],
        changed: Sequence[dict[str, Any]],
        changes: Sequence[OrgChange],
        at: datetime,
        advance: Callable[[int], None] = lambda _n: None,
    ) -> None:
        """Insert `added`, update `changed` (each with its key and the fields to set), record
        `changes`; `advance(n)` after each chunk."""
        table, key = _KEYS[kind]
        for start in range(0, len(added), CHUNK):
            chunk = [self._new_row(kind, record) for record in added[start : start + CHUNK]]
            await self._s.execute(insert(table), chunk)
            advance(len(chunk))
        by_fields: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for record in changed:
            by_fields.setdefault(tuple(sorted(f for f in record if f != key)), []).append(record)
        for fields, records in by_fields.items():
            where = table.c[key] == bindparam("_key")
            if kind == "contacts":
                where = and_(where, _c.channel == ROSTER)
            statement = update(table).where(where).values({f: bindparam(f"_{f}") for f in fields})
            for start in range(0, len(records), CHUNK):
                chunk = records[start : start + CHUNK]
                params = [{"_key": r[key], **{f"_{f}": r[f] for f in fields}} for r in chunk]
                # executemany of an UPDATE: the Core statement with a list of parameters
                await self._s.execute(statement.execution_options(synchronize_session=False), params)
                advance(len(chunk))
        rows = change_rows(changes, at)
        for start in range(0, len(rows), CHUNK):
            await self._s.execute(insert(ORG_CHANGES), rows[start : start + CHUNK])

    @staticmethod
    def _new_row(kind: str, record: dict[str, Any]) -> dict[str, Any]:
        if kind == "contacts":
            return {**record, "channel": ROSTER, "external_id": record["phone"]}
        return record

    async def enterprises_named(self, text: str, limit: int = 6) -> list[Enterprise]:
        """Enterprises whose id or credit code is `text`, else whose name contains it."""
        e = ENTERPRISES.c
        exact = select(ENTERPRISES).where(or_(e.id == text, e.uscc == text.upper())).limit(limit)
        rows = (await self._s.execute(exact)).all()
        if not rows:
            named = (
                select(ENTERPRISES).where(e.name.contains(text, autoescape=True)).order_by(e.id).limit(limit)
            )
            rows = (await self._s.execute(named)).all()
        return [enterprise_from_row(row) for row in rows]

    async def contacts_of(self, enterprise_id: str) -> list[dict[str, Any]]:
        """An enterprise's people: the roster's (name, phone) and the chats bound to it (not the
        stand-in that holds a visit's tickets until someone binds: nobody to call)."""
        statement = (
            select(_c.display_name, _c.phone, _c.channel, _c.external_id)
            .where(_c.enterprise_id == enterprise_id, _c.channel != VISIT)
            .order_by(_c.channel != ROSTER, _c.id)
        )
        return [dict(row) for row in (await self._s.execute(statement)).mappings()]

    async def export(self, kind: str) -> list[dict[str, Any]]:
        """Every record of the kind, in key order; contacts with their enterprise's credit code and
        whether a chat speaks for them (an invite made for their phone was used, or a chat shared
        that phone), liaisons with the enterprise's name."""
        table, key = _KEYS[kind]
        if kind == "contacts":
            chat = CONTACTS.alias("chat")
            bound = or_(
                exists().where(INVITES.c.phone == _c.phone, INVITES.c.used_at.is_not(None)),
                exists().where(chat.c.phone == _c.phone, chat.c.channel != ROSTER),
            )
            statement = (
                select(ENTERPRISES.c.uscc, _c.display_name, _c.phone, _c.lang, bound.label("bound"))
                .select_from(CONTACTS.join(ENTERPRISES, ENTERPRISES.c.id == _c.enterprise_id))
                .where(_c.channel == ROSTER)
                .order_by(ENTERPRISES.c.uscc, _c.phone)
            )
        else:
            statement = select(*(table.c[f] for f in _FIELDS[kind])).order_by(table.c[key])
            if kind in ("enterprises", "liaisons"):
                statement = statement.where(table.c.uscc.is_not(None))
        return [dict(row) for row in (await self._s.execute(statement)).mappings()]
