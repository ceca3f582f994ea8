"""The centre-wide view's reads: `/find` over enterprises and tickets with each database's own text
search, and the open tickets of every department, filtered.

SQLite: FTS5 tables with the trigram tokenizer (`enterprise_search`, `ticket_search`, kept by
triggers; migration 0014), which find any substring of three characters or more, Chinese included.
PostgreSQL: pg_trgm GIN indexes serving `ILIKE '%…%'`. Words shorter than three characters have no
trigram: they are looked for with LIKE among enterprises' names and open tickets only, a set
bounded by what is live rather than by all history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, literal_column, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.enterprise import Enterprise
from bot.domain.tickets import Ticket
from storage import rules_sql
from storage.mapping import enterprise_from_row, ticket_from_row
from storage.search_protocols import Found, OpenFilter, SearchTerms, TicketScope
from storage.tables import CONTACTS, ENTERPRISES, TICKETS

TRIGRAM = 3  # the shortest word the text indexes can find
_SEARCH_TABLES = ("enterprise_search", "ticket_search")  # with FTS5's shadow tables, same prefix
_SEARCH_INDEXES = frozenset({"ix_enterprises_name_trgm", "ix_enterprises_uscc_trgm", "ix_tickets_text_trgm"})
_t = TICKETS.c
_e = ENTERPRISES.c


def outside_search(name: str | None, type_: str, parent_names: Any) -> bool:
    """For schema comparisons (alembic's `include_name`): the search tables and indexes are made
    by migration 0014 in each database's own dialect, not described by storage/tables.py."""
    if name is None:
        return True
    if type_ == "table":
        return not name.startswith(_SEARCH_TABLES)
    if type_ == "index":
        return name not in _SEARCH_INDEXES
    return True


def words(query: str) -> list[str]:
    """The words of a query, each looked for as a substring; short ones are dropped when a longer
    one is there to narrow the search by index."""
    found = query.split()
    long = [w for w in found if len(w) >= TRIGRAM]
    return long or found


def fts_phrase(words_: list[str]) -> str:
    """An FTS5 query: every word as a quoted phrase (FTS5's syntax characters lose their meaning
    inside quotes; a quote is doubled)."""
    return " AND ".join('"' + w.replace('"', '""') + '"' for w in words_)


def like_pattern(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _contains(column: Any, words_: list[str]) -> ColumnElement[bool]:
    return and_(*(column.ilike(like_pattern(w), escape="\\") for w in words_))


def visible(scope: TicketScope) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if scope.department_id is not None:
        conditions.append(_t.department_id == scope.department_id)
    if not scope.confidential:
        if scope.viewer_id is not None:
            conditions.append(or_(_t.confidential.is_(False), _t.assignee_id == scope.viewer_id))
        else:
            conditions.append(_t.confidential.is_(False))
    return conditions


class SqlSearch:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    @property
    def _sqlite(self) -> bool:
        return self._s.get_bind().dialect.name == "sqlite"

    async def find(self, terms: SearchTerms, scope: TicketScope, limit: int = 10) -> Found:
        wanted = words(terms.text)
        indexed = bool(wanted) and all(len(w) >= TRIGRAM for w in wanted)
        enterprises, more_e = await self._enterprises(terms, wanted, indexed, limit)
        tickets, more_t = await self._tickets(terms, wanted, indexed, scope, limit)
        return Found(enterprises, tickets, more_e, more_t)

    async def _enterprises(
        self, terms: SearchTerms, wanted: list[str], indexed: bool, limit: int
    ) -> tuple[list[Enterprise], bool]:
        # One statement: the exact keys and the words together, exact hits first.
        exact: list[ColumnElement[bool]] = [_e.id == terms.text.strip()]
        if terms.uscc is not None:
            exact.append(_e.uscc == terms.uscc)
        if terms.phone is not None:
            exact.append(_e.id.in_(select(CONTACTS.c.enterprise_id).where(CONTACTS.c.phone == terms.phone)))
        matching = [self._enterprise_words(wanted, indexed)] if wanted else []
        statement = (
            select(ENTERPRISES)
            .where(or_(*exact, *matching))
            .order_by(case((or_(*exact), 0), else_=1), _e.id)
            .limit(limit + 1)
        )
        found = [enterprise_from_row(row) for row in await self._all(statement)]
        return found[:limit], len(found) > limit

    def _enterprise_words(self, wanted: list[str], indexed: bool) -> ColumnElement[bool]:
        if not indexed:
            return _contains(_e.name, wanted)
        if self._sqlite:
            return literal_column("enterprises.rowid").in_(
                select(literal_column("rowid"))
                .select_from(text("enterprise_search"))
                .where(text("enterprise_search MATCH :phrase").bindparams(phrase=fts_phrase(wanted)))
            )
        return or_(_contains(_e.name, wanted), _contains(_e.uscc, wanted))

    async def _tickets(
        self, terms: SearchTerms, wanted: list[str], indexed: bool, scope: TicketScope, limit: int
    ) -> tuple[list[Ticket], bool]:
        keys: list[ColumnElement[bool]] = []
        if terms.ticket_number is not None:
            keys.append(_t.id == terms.ticket_number)
        if terms.phone is not None:
            # read first: a list of ids lets PostgreSQL OR the contact index with the text index
            contacts = select(CONTACTS.c.id).where(CONTACTS.c.phone == terms.phone)
            ids = list((await self._s.execute(contacts)).scalars())
            if ids:
                keys.append(_t.contact_id.in_(ids))
        matching = [self._ticket_words(wanted, indexed)] if wanted else []
        if not keys and not matching:
            return [], False
        statement = (
            select(TICKETS)
            .where(or_(*keys, *matching), *visible(scope))
            .order_by(*([case((or_(*keys), 0), else_=1)] if keys else []), _t.id.desc())
            .limit(limit + 1)
        )
        found = [ticket_from_row(row) for row in await self._all(statement)]
        return found[:limit], len(found) > limit

    def _ticket_words(self, wanted: list[str], indexed: bool) -> ColumnElement[bool]:
        if not indexed:
            return and_(rules_sql.OPEN, _contains(_t.text, wanted))
        if self._sqlite:
            return _t.id.in_(
                select(literal_column("rowid"))
                .select_from(text("ticket_search"))
                .where(text("ticket_search MATCH :phrase").bindparams(phrase=fts_phrase(wanted)))
            )
        return _contains(_t.text, wanted)

    async def open_tickets(
        self, wanted: OpenFilter, scope: TicketScope, as_of: datetime, offset: int = 0, limit: int = 20
    ) -> tuple[list[Ticket], int]:
        conditions = [rules_sql.OPEN, *visible(scope)]
        if wanted.department_id is not None:
            conditions.append(_t.department_id == wanted.department_id)
        if wanted.category is not None:
            conditions.append(_t.category == wanted.category)
        if wanted.urgent:
            conditions.append(_t.urgent.is_(True))
        if wanted.overdue:  # answered tickets wait for the enterprise; a paused clock stands still
            conditions += [rules_sql.UNANSWERED, _t.paused_at.is_(None), _t.resolve_by < as_of]
        if wanted.liaison_officer_id is not None:
            conditions.append(
                _t.enterprise_id.in_(select(_e.id).where(_e.liaison_officer_id == wanted.liaison_officer_id))
            )
        total = (
            await self._s.execute(select(func.count()).select_from(TICKETS).where(*conditions))
        ).scalar_one()
        page = (
            select(TICKETS)
            .where(*conditions)
            .order_by(_t.urgent.desc(), _t.resolve_by, _t.id)
            .offset(offset)
            .limit(limit)
        )
        return [ticket_from_row(row) for row in await self._all(page)], int(total)

    async def _all(self, statement: Select[Any]) -> list[Any]:
        return list((await self._s.execute(statement)).all())
