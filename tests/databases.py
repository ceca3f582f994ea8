"""Fresh SQLite databases for tests, on the engine `xiaoer run` uses (a WAL file, run in place).

Migrating a database from scratch runs every Alembic revision (about 80 ms here, and growing with
each migration); copying a file migrated once per run takes about 0.3 ms. So every test that
wants an empty, migrated database gets a copy of one template, in its own temporary directory,
and nothing one test writes is seen by another. (An in-memory SQLite database would need a pool
that shares one connection between units of work and a second code path in storage/engine.py; a
file copy exercises the real one.)

The `fresh_databases` fixture (tests/conftest.py) opens a `FreshDatabases` for the test and
disposes every engine it made when the test ends; `fresh_storage()` makes one more database inside
it, for helpers such as tests/world.py that are called without fixtures.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import migrate
from storage.engine import create_engine
from storage.sql import SqlStorage


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def migrate_template(path: Path) -> None:
    """Create the template: a SQLite file migrated to the head revision, its WAL folded in."""
    engine = create_engine(sqlite_url(path))
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()  # the last connection to close checkpoints the WAL into the file
    assert not path.with_name(path.name + "-wal").exists(), "the template must be one self-contained file"


def throwaway_engine(url: str) -> AsyncEngine:
    """The production engine (storage/engine.py) without waiting for the disk: a test's database
    is thrown away, so SQLite need not fsync each commit (on a busy machine that wait made the
    handler tests several times slower). Everything else, WAL and locking included, is as in
    production."""
    engine = create_engine(url)
    event.listen(engine.sync_engine, "connect", _without_fsync)
    return engine


def _without_fsync(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.close()


def copy_template(template: Path, path: Path) -> str:
    """Copy the template to `path`; returns the copy's URL."""
    shutil.copyfile(template, path)
    return sqlite_url(path)


class FreshDatabases:
    """Copies of the template in one directory; `close` disposes every engine made."""

    def __init__(self, template: Path, directory: Path) -> None:
        self._template = template
        self._directory = directory
        self._engines: list[AsyncEngine] = []
        self._made = 0

    def url(self) -> str:
        """The URL of a new migrated database file, with no engine on it yet."""
        self._made += 1
        return copy_template(self._template, self._directory / f"fresh-{self._made}.db")

    def storage(self) -> SqlStorage:
        engine = throwaway_engine(self.url())
        self._engines.append(engine)
        return SqlStorage(engine)

    async def close(self) -> None:
        engines, self._engines = self._engines, []
        for engine in engines:
            await engine.dispose()


_open: FreshDatabases | None = None


def opened(databases: FreshDatabases | None) -> None:
    """Make `fresh_storage()` use these databases (None: none, outside the fixture)."""
    global _open
    _open = databases


def fresh_storage() -> SqlStorage:
    """A new migrated SQLite database, disposed of when the test ends."""
    if _open is None:
        raise RuntimeError(
            "fresh_storage() needs the fresh_databases fixture (every test under tests/unit has it; "
            'elsewhere add `pytestmark = pytest.mark.usefixtures("fresh_databases")` to the module)'
        )
    return _open.storage()


@contextmanager
def statements_run(engine: AsyncEngine) -> Iterator[list[tuple[str, Any]]]:
    """Every statement run on the engine meanwhile, with its values, in order."""
    ran: list[tuple[str, Any]] = []

    def before(_conn: Any, _cursor: Any, sql: str, parameters: Any, *_: Any) -> None:
        ran.append((sql, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    try:
        yield ran
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", before)
