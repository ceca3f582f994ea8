"""The centre-wide view's reads: `/find` over enterprises and tickets with each database's own text
search, and the open tickets of every department, filtered.

SQLite: FTS5 tables with the trigram tokenizer (`enterprise_search`, `ticket_search`, kept by
triggers; migration 0014), which find any substring of three characters or more, Chinese included.
PostgreSQL: pg_trgm GIN indexes serving `LIKE`/`ILIKE '%…%'`. Words shorter than three characters
have no trigram: they are looked for with LIKE among enterprises' names and the newest open
tickets only. How the newest matching tickets are found without reading every match:
storage/ticket_words_sql.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, Table, func, literal_column, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.enterprise import Enterprise
from bot.domain.tickets import Ticket
from storage import rules_sql
from storage.campaign_tables import VisitItemRow, VisitRow
from storage.mapping import enterprise_from_row, ticket_from_row
from storage.search_protocols import Found, OpenFilter, SearchTerms, TicketScope
from storage.tables import CONTACTS, ENTERPRISES, TICKETS
from storage.ticket_words_sql import TRIGRAM, contains, fts_phrase, newest_matching

_SEARCH_TABLES = ("enterprise_search", "ticket_search")  # with FTS5's shadow tables, same prefix
_SEARCH_INDEXES = frozenset({"ix_enterprises_name_trgm", "ix_enterprises_uscc_trgm", "ix_tickets_text_trgm"})
_t = TICKETS.c
_Found = TypeVar("_Found", Enterprise, Ticket)
_e = ENTERPRISES.c
_VISITS: Table = VisitRow.__table__  # type: ignore[attr-defined]
_ITEMS: Table = VisitItemRow.__table__  # type: ignore[attr-defined]


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


def open_conditions(wanted: OpenFilter, scope: TicketScope, as_of: datetime) -> list[ColumnElement[bool]]:
    """Open tickets the scope may see, as `wanted` filters them (/open and the web console's board)."""
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
    if wanted.campaign_id is not None:  # a visit's demand keeps the ticket it opened (visit_items)
        from_visits = (
            select(_ITEMS.c.ticket_id)
            .join(_VISITS, _VISITS.c.id == _ITEMS.c.visit_id)
            .where(_VISITS.c.campaign_id == wanted.campaign_id, _ITEMS.c.ticket_id.is_not(None))
        )
        conditions.append(_t.id.in_(from_visits))
    return conditions


class SqlSearch:
    """Exact keys (an enterprise's id, a credit code, a phone, a ticket number) are looked up by
    their own btree indexes first, apart from the words, whose text search could never be as
    cheap; what they find comes first."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    @property
    def _sqlite(self) -> bool:
        return self._s.get_bind().dialect.name == "sqlite"

    async def find(self, terms: SearchTerms, scope: TicketScope, limit: int = 10) -> Found:
        if not self._sqlite:
            # asyncpg prepares each statement; after five runs PostgreSQL may keep a generic plan
            # made without the words, whose best plan depends on how common they are (a walk
            # backwards by number for a common word, the trigram index for a rare one).
            await self._s.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        wanted = words(terms.text)
        contacts = await self._contacts_with(terms.phone)
        enterprises, more_e = await self._enterprises(terms, wanted, contacts, limit)
        tickets, more_t = await self._tickets(terms, wanted, contacts, scope, limit)
        return Found(enterprises, tickets, more_e, more_t)

    async def _contacts_with(self, phone: str | None) -> list[tuple[int, str | None]]:
        if phone is None:
            return []
        statement = select(CONTACTS.c.id, CONTACTS.c.enterprise_id).where(CONTACTS.c.phone == phone)
        return [(row.id, row.enterprise_id) for row in (await self._s.execute(statement)).all()]

    async def _enterprises(
        self,
        terms: SearchTerms,
        wanted: list[str],
        contacts: list[tuple[int, str | None]],
        limit: int,
    ) -> tuple[list[Enterprise], bool]:
        exact: list[ColumnElement[bool]] = [_e.id == terms.text.strip()]
        if terms.uscc is not None:
            exact.append(_e.uscc == terms.uscc)
        if owners := sorted({enterprise for _, enterprise in contacts if enterprise is not None}):
            exact.append(_e.id.in_(owners))
        rows = await self._all(select(ENTERPRISES).where(or_(*exact)).order_by(_e.id).limit(limit + 1))
        if wanted:
            statement = (
                select(ENTERPRISES).where(self._enterprise_words(wanted)).order_by(_e.id).limit(limit + 1)
            )
            rows += await self._all(statement)
        found = _unique([enterprise_from_row(row) for row in rows], key=lambda e: e.id)
        return found[:limit], len(found) > limit

    def _enterprise_words(self, wanted: list[str]) -> ColumnElement[bool]:
        if any(len(w) < TRIGRAM for w in wanted):
            return contains(_e.name, wanted, self._sqlite)
        if self._sqlite:
            return literal_column("enterprises.rowid").in_(
                select(literal_column("rowid"))
                .select_from(text("enterprise_search"))
                .where(text("enterprise_search MATCH :phrase").bindparams(phrase=fts_phrase(wanted)))
            )
        return or_(contains(_e.name, wanted, sqlite=False), contains(_e.uscc, wanted, sqlite=False))

    async def _tickets(
        self,
        terms: SearchTerms,
        wanted: list[str],
        contacts: list[tuple[int, str | None]],
        scope: TicketScope,
        limit: int,
    ) -> tuple[list[Ticket], bool]:
        keys: list[ColumnElement[bool]] = []
        if terms.ticket_number is not None:
            keys.append(_t.id == terms.ticket_number)
        if contacts:
            keys.append(_t.contact_id.in_(sorted(contact for contact, _ in contacts)))
        rows: list[Any] = []
        if keys:
            statement = (
                select(TICKETS).where(or_(*keys), *visible(scope)).order_by(_t.id.desc()).limit(limit + 1)
            )
            rows += await self._all(statement)
        if wanted:
            rows += await newest_matching(self._s, wanted, visible(scope), limit + 1)
        found = _unique([ticket_from_row(row) for row in rows], key=lambda t: t.number)
        return found[:limit], len(found) > limit

    async def open_tickets(
        self, wanted: OpenFilter, scope: TicketScope, as_of: datetime, offset: int = 0, limit: int = 20
    ) -> tuple[list[Ticket], int]:
        conditions = open_conditions(wanted, scope, as_of)
        total = (
            await self._s.execute(select(func.count()).select_from(TICKETS).where(*conditions))
        ).scalar_one()
        return await self.open_page(wanted, scope, as_of, offset, limit), int(total)

    async def open_page(
        self, wanted: OpenFilter, scope: TicketScope, as_of: datetime, offset: int = 0, limit: int = 20
    ) -> list[Ticket]:
        order = (_t.resolve_by, _t.id) if wanted.by_deadline else (_t.urgent.desc(), _t.resolve_by, _t.id)
        conditions = open_conditions(wanted, scope, as_of)
        page = select(TICKETS).where(*conditions).order_by(*order).offset(offset).limit(limit)
        return [ticket_from_row(row) for row in await self._all(page)]

    async def _all(self, statement: Select[Any]) -> list[Any]:
        return list((await self._s.execute(statement)).all())


def _unique(found: list[_Found], key: Callable[[_Found], object]) -> list[_Found]:
    """In order, each once: what an exact key found, the words may find again."""
    seen: set[object] = set()
    unique = []
    for item in found:
        if key(item) not in seen:
            seen.add(key(item))
            unique.append(item)
    return unique
