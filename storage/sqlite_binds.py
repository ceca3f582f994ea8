"""The hot path's commonest values as SQLite stores them, and as they are read back, in one
call each.

A driver statement (storage/fast_statements.py) binds about 26 UTC datetimes and 10 JSON lists
for each Telegram update the intake handles, each through SQLAlchemy's processor chain: for a
`UtcDateTime` the TypeDecorator's wrapper, our `process_bind_param`, then SQLite's DATETIME
formatting through a `%`-dict (about 2.4 us each; 1.0 us here). These give the very text
SQLAlchemy's processors give (tests/unit/test_sqlite_binds.py compares them); any other type,
and any other database, keeps SQLAlchemy's processor.

Read back, a `UtcDateTime` went through the same chain the other way (2.2 us; 0.3 here): a
driver statement reads about 16 of them an update (the outbox claim's rows, the contact, the
inbox), and only the text SQLite's DATETIME storage writes is read here; any other text (one
written by SQL itself, without microseconds) keeps SQLAlchemy's processor.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

from storage.tables import UtcDateTime

Processor = Callable[[Any], Any]
_STORED_LENGTH = len("2026-01-01 00:00:00.000000")  # SQLite DATETIME's text: microseconds always
_encode = json.JSONEncoder().encode  # what json.dumps() with no options calls
# The texts of the last few datetimes bound: a unit of work binds its one `now` many times (26
# datetimes an intake update, 11 of them distinct), and a look-up here costs 0.06 us where the
# formatting below costs 2. Keyed by the datetime, whose equality is the instant's: the same
# instant in another zone has the same UTC text; a naive one equals no aware key, so it is refused
# below as ever. Emptied when full rather than kept in order: the values come and go with time.
_TEXTS: dict[datetime, str] = {}
_TEXTS_KEPT = 64


def utc_text(value: datetime) -> str:
    """An aware datetime as SQLite's DATETIME text of its UTC time (what `UtcDateTime` binds)."""
    known = _TEXTS.get(value)
    if known is not None:
        return known
    zone = value.tzinfo
    if zone is None:
        raise ValueError("naive datetime given to storage; use timezone-aware UTC")
    if zone is not UTC:
        value = value.astimezone(UTC)
    # isoformat pads the year to four digits, as SQLite's storage format does; the zone is cut off
    text = value.isoformat(" ", "microseconds")[:_STORED_LENGTH]
    if len(_TEXTS) >= _TEXTS_KEPT:
        _TEXTS.clear()
    _TEXTS[value] = text
    return text


def _utc_from_text(general: Processor) -> Processor:
    """The aware UTC datetime of a stored DATETIME text (`utc_text`'s shape), as `general` reads it."""

    def process(value: Any) -> Any:
        if type(value) is str and len(value) == _STORED_LENGTH and value[19] == "." and value[10] == " ":
            return datetime.fromisoformat(value + "+00:00")  # its zone is `UTC` itself
        return general(value)

    return process


def _as_json(general: Processor) -> Processor:
    """A list or dict as the dialect's default serialiser (json.dumps) writes it, the empty list
    (most of the outbox's buttons and more-ids) without the encoder; SQLAlchemy's JSON sentinels
    and other values through `general`."""

    def process(value: Any) -> Any:
        kind = type(value)
        if kind is list:
            return _encode(value) if value else "[]"
        if kind is dict:
            return _encode(value)
        return general(value)

    return process


def fast_processor(type_: TypeEngine[Any], dialect: Dialect, general: Processor) -> Processor:
    """The faster equivalent of `general` (SQLAlchemy's processor for `type_` on `dialect`) where
    there is one, else `general` itself."""
    if dialect.name != "sqlite":
        return general
    if isinstance(type_, UtcDateTime):
        return utc_text
    if type(type_) is JSON and getattr(dialect, "_json_serializer", None) is None:
        return _as_json(general)
    return general


def fast_result_processor(type_: TypeEngine[Any], dialect: Dialect, general: Processor) -> Processor:
    """The faster equivalent of `general` (SQLAlchemy's result processor for `type_` on `dialect`)
    where there is one, else `general` itself."""
    if dialect.name == "sqlite" and isinstance(type_, UtcDateTime):
        return _utc_from_text(general)
    return general
