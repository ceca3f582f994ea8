"""The newest tickets whose text holds some words, found without reading every match.

A common word ("流动资金贷款", "tax refund") is in a tenth of all tickets, a rare one in one; /find
wants the newest ten of either. Reading every match and sorting them costs as much as the word is
common; walking the tickets newest first and testing each costs as much as it is rare. So:

- SQLite: the FTS5 table drives the query in rowid order, newest first (FTS5 reads its doclists
  backwards without materialising them), each hit joined to its ticket by primary key and tested
  against the viewer's scope; the LIMIT stops the walk.
- PostgreSQL: the newest tickets are searched in widening windows of ticket numbers (2,000, then
  20,000, then all); a window is small enough for either plan (a backwards walk or the trigram
  index bounded by the range) to be cheap, and a word that fills no page in 20,000 tickets is rare
  enough for the trigram index to fetch all its matches cheaply.
- Words shorter than three characters have no trigram: they are looked for among the newest
  `RECENT_OPEN` open tickets the viewer may see, a bounded set (the live work is what such a
  search is for; older tickets are found by a longer word or their number).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, column, func, select, table, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage import rules_sql
from storage.tables import TICKETS

TRIGRAM = 3  # the shortest word the text indexes can find
RECENT_OPEN = 2_000  # how many of the newest open tickets a short word is looked for in
WINDOWS: tuple[int, ...] = (2_000, 20_000)  # PostgreSQL: the newest ticket numbers searched first
_t = TICKETS.c
_TICKET_SEARCH = table("ticket_search", column("rowid"))


def fts_phrase(words: Sequence[str]) -> str:
    """An FTS5 query: every word as a quoted phrase (FTS5's syntax characters lose their meaning
    inside quotes; a quote is doubled)."""
    return " AND ".join('"' + w.replace('"', '""') + '"' for w in words)


def like_pattern(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains(column_: Any, words: Sequence[str], sqlite: bool) -> ColumnElement[bool]:
    """Every word a substring of the column, letters in any case. A word without letters that
    have case (Chinese, digits) is compared as it is: folding the case of every character read
    makes PostgreSQL's ILIKE several times slower over Chinese text, and SQLite's instr() is
    cheaper than its LIKE."""
    return and_(*(_contains_word(column_, w, sqlite) for w in words))


def _contains_word(column_: Any, word: str, sqlite: bool) -> ColumnElement[bool]:
    if word.lower() != word.upper():
        return column_.ilike(like_pattern(word), escape="\\")  # type: ignore[no-any-return]
    if sqlite:
        return func.instr(column_, word) > 0
    return column_.like(like_pattern(word), escape="\\")  # type: ignore[no-any-return]


async def newest_matching(
    session: AsyncSession, words: Sequence[str], scope: Sequence[ColumnElement[bool]], limit: int
) -> list[Any]:
    """Rows of the newest `limit` tickets within scope holding every word, newest first."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    if any(len(w) < TRIGRAM for w in words):
        return await _all(session, _newest_open_matching(words, scope, limit, sqlite))
    if sqlite:
        return await _all(session, _fts_newest_first(words, scope, limit))
    return await _in_windows(session, words, scope, limit)


def _fts_newest_first(words: Sequence[str], scope: Sequence[ColumnElement[bool]], limit: int) -> Select[Any]:
    return (
        select(TICKETS)
        .select_from(_TICKET_SEARCH.join(TICKETS, _t.id == _TICKET_SEARCH.c.rowid))
        .where(text("ticket_search MATCH :phrase").bindparams(phrase=fts_phrase(words)), *scope)
        .order_by(_TICKET_SEARCH.c.rowid.desc())
        .limit(limit)
    )


async def _in_windows(
    session: AsyncSession, words: Sequence[str], scope: Sequence[ColumnElement[bool]], limit: int
) -> list[Any]:
    newest = (await session.execute(select(func.max(_t.id)))).scalar()
    if newest is None:
        return []
    found: list[Any] = []
    above: int | None = None  # the window before this one began above this number
    for width in (*WINDOWS, None):
        below = None if width is None else newest - width
        bounds = [*([] if below is None else [_t.id > below]), *([] if above is None else [_t.id <= above])]
        statement = (
            select(TICKETS)
            .where(contains(_t.text, words, sqlite=False), *scope, *bounds)
            .order_by(_t.id.desc())
            .limit(limit - len(found))
        )
        found += await _all(session, statement)
        if len(found) >= limit or below is None or below <= 0:
            return found
        above = below
    return found


def _newest_open_matching(
    words: Sequence[str], scope: Sequence[ColumnElement[bool]], limit: int, sqlite: bool
) -> Select[Any]:
    # A derived table with a LIMIT is read first (PostgreSQL would otherwise turn `id IN (newest
    # open)` into a join and test the words on every ticket).
    recent = (
        select(TICKETS).where(rules_sql.OPEN, *scope).order_by(_t.id.desc()).limit(RECENT_OPEN).subquery()
    )
    return (
        select(recent).where(contains(recent.c.text, words, sqlite)).order_by(recent.c.id.desc()).limit(limit)
    )


async def _all(session: AsyncSession, statement: Select[Any]) -> list[Any]:
    return list((await session.execute(statement)).all())
