"""The driver statements' own bind processors (storage/sqlite_binds.py) give what SQLAlchemy's
give for the same columns on SQLite, and the driver statements use them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import JSON, Boolean, bindparam, select, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import asyncpg

from storage import fast_statements as fast
from storage.sqlite_binds import fast_processor, fast_result_processor, utc_text
from storage.tables import OUTBOX, UtcDateTime

SQLITE = sqlite.dialect()
MOMENTS = [
    datetime(2026, 12, 6, 22, 45, 35, 998011, tzinfo=UTC),
    datetime(2026, 12, 6, 22, 45, 35, tzinfo=UTC),  # no microseconds: still written out
    datetime(2027, 1, 1, 7, 30, tzinfo=timezone(timedelta(hours=8))),  # the day before in UTC
    datetime(2026, 3, 8, 1, 59, 59, 1, tzinfo=timezone(timedelta(hours=-5))),
    datetime(999, 5, 17, 12, 0, tzinfo=UTC),  # a three-digit year, padded
]


def sqlalchemys(type_: Any, dialect: Any = SQLITE) -> Any:
    """SQLAlchemy's bind processor for the type."""
    return type_._cached_bind_processor(dialect)


@pytest.mark.parametrize("moment", MOMENTS, ids=str)
def test_a_utc_datetime_is_the_text_sqlalchemy_binds(moment: datetime) -> None:
    assert utc_text(moment) == sqlalchemys(UtcDateTime())(moment)


def test_a_naive_datetime_is_refused_as_sqlalchemys_way_refuses_it() -> None:
    naive = datetime(2026, 12, 6, 12, 0)
    with pytest.raises(ValueError, match="naive"):
        sqlalchemys(UtcDateTime())(naive)
    with pytest.raises(ValueError, match="naive"):
        utc_text(naive)


@pytest.mark.parametrize(
    "value",
    [[], [["确认", "ok:1"]], {}, {"text": "停电了", "n": 3, "nested": {"a": [1.5, None, True]}}, JSON.NULL],
    ids=repr,
)
def test_a_json_value_is_the_text_sqlalchemy_binds(value: Any) -> None:
    general = sqlalchemys(JSON())
    assert fast_processor(JSON(), SQLITE, general)(value) == general(value)


def test_other_types_and_other_databases_keep_sqlalchemys_processors() -> None:
    general = sqlalchemys(Boolean())
    assert fast_processor(Boolean(), SQLITE, general) is general
    postgres = asyncpg.dialect()  # type: ignore[no-untyped-call]  # SQLAlchemy's own, untyped
    for type_ in (UtcDateTime(), JSON()):
        theirs = sqlalchemys(type_, postgres)
        assert fast_processor(type_, postgres, theirs) is theirs


def test_a_driver_statement_binds_with_them() -> None:
    statement = fast.FastStatement(update(OUTBOX).where(OUTBOX.c.id == bindparam("number")))
    values = {"sent_at": MOMENTS[2], "more_ids": ["7"], "in_doubt": False, "number": 3}
    compiled = statement.compiled(SQLITE, values)
    assert compiled.binds["sent_at"] is utc_text
    assert compiled.parameters(values) == (sqlalchemys(UtcDateTime())(MOMENTS[2]), 0, '["7"]', 3)


def test_a_remembered_text_is_the_instants_whatever_the_zone_and_the_memory_stays_bounded() -> None:
    from storage import sqlite_binds

    utc = datetime(2026, 12, 7, 1, 50, 0, 123456, tzinfo=UTC)
    in_beijing = utc.astimezone(timezone(timedelta(hours=8)))
    assert utc_text(in_beijing) == "2026-12-07 01:50:00.123456"
    assert utc_text(utc) == utc_text(in_beijing) == sqlalchemys(UtcDateTime())(utc)
    with pytest.raises(ValueError, match="naive"):  # equal to no remembered aware instant
        utc_text(utc.replace(tzinfo=None))
    for minute in range(sqlite_binds._TEXTS_KEPT * 3):
        moment = utc + timedelta(minutes=minute)
        assert utc_text(moment) == sqlalchemys(UtcDateTime())(moment)
        assert len(sqlite_binds._TEXTS) <= sqlite_binds._TEXTS_KEPT


def sqlalchemys_reading(type_: Any, dialect: Any = SQLITE) -> Any:
    """SQLAlchemy's result processor for the type."""
    return type_._cached_result_processor(dialect, None)


STORED_TEXTS = [
    *(utc_text(moment) for moment in MOMENTS),  # as Xiaoer writes them (microseconds always)
    "2026-12-07 14:30:00",  # as SQL's own CURRENT_TIMESTAMP writes them: SQLAlchemy's way
    "2026-12-07 14:30:00.5",
    "2026-12-07T14:30:00.123456",
    None,
]


@pytest.mark.parametrize("text", STORED_TEXTS, ids=repr)
def test_a_stored_datetime_reads_as_sqlalchemy_reads_it(text: str | None) -> None:
    general = sqlalchemys_reading(UtcDateTime())
    fast_one = fast_result_processor(UtcDateTime(), SQLITE, general)
    assert fast_one is not general
    ours, theirs = fast_one(text), general(text)
    assert ours == theirs
    if theirs is not None:
        assert ours.tzinfo is UTC
        assert theirs.tzinfo is UTC


def test_other_types_and_other_databases_keep_sqlalchemys_result_processors() -> None:
    general = sqlalchemys_reading(JSON())
    assert fast_result_processor(JSON(), SQLITE, general) is general
    postgres = asyncpg.dialect()  # type: ignore[no-untyped-call]  # SQLAlchemy's own, untyped
    theirs = sqlalchemys_reading(UtcDateTime(), postgres)
    assert fast_result_processor(UtcDateTime(), postgres, theirs) is theirs


def test_a_driver_statement_reads_with_them() -> None:
    statement = fast.FastStatement(select(OUTBOX.c.id, OUTBOX.c.claimed_at))
    compiled = statement.compiled(SQLITE, {})
    ((index, process),) = compiled.results
    assert index == 1
    text = utc_text(MOMENTS[0])
    assert process(text) == MOMENTS[0]
    assert process(text).tzinfo is UTC
    assert compiled.rows([(7, text), (8, None)]) == [(7, MOMENTS[0]), (8, None)]
