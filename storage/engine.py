"""Database engines, and the first check that a database can be used at all.

Failures are turned into `DatabaseUnavailable`, which names the URL with its password masked and
says what to check, so the CLI can exit with status 2 before anything is written.
"""

from __future__ import annotations

import asyncio
import errno
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeAlias

from sqlalchemy import event, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from storage import sqlite_inline

SQLITE_BUSY_TIMEOUT_MS = 5000
CONNECT_TIMEOUT_S = 5

# Outside storage/ an engine is only held, handed back to storage and disposed of; naming its type
# here keeps SQLAlchemy out of every other import list (see the import contracts in pyproject.toml).
Engine: TypeAlias = AsyncEngine


class DatabaseUnavailable(Exception):
    def __init__(self, url: str, problem: str, hint: str) -> None:
        self.url = url
        self.problem = problem
        self.hint = hint
        super().__init__(f"database {url}: {problem}. {hint}")


def mask_url(url: str | URL) -> str:
    """The URL with every password hidden: the user's, and any `password=` in the query."""
    try:
        parsed = make_url(url)
    except Exception:  # ArgumentError, or ValueError for a port that is not a number
        return "<unparseable database URL>"
    secret_keys = [
        key for key in parsed.query if "password" in key.lower() or key.lower() in ("token", "secret")
    ]
    if secret_keys:
        parsed = parsed.update_query_dict(dict.fromkeys(secret_keys, "***"))
    return parsed.render_as_string(hide_password=True)


def is_sqlite(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str | URL) -> Path | None:
    """The file behind a SQLite URL, or None for an in-memory database."""
    parsed = make_url(url)
    database = parsed.database
    if not database or database == ":memory:" or parsed.query.get("mode") == "memory":
        return None
    if database.startswith("file:"):
        database = database[len("file:") :]
    return Path(database)


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    try:
        parsed = make_url(url)
        parsed.port  # noqa: B018  (a port that is not a number fails only when read)
    except Exception:
        raise DatabaseUnavailable(
            mask_url(url),
            "the URL cannot be parsed",
            "Use a URL such as sqlite+aiosqlite:///xiaoer.db or postgresql+asyncpg://user@host/db.",
        ) from None
    kwargs: dict[str, Any] = {"echo": echo}
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        if parsed.database and sqlite_path(parsed) is not None and not parsed.query:
            # a plain file: run SQLite in place rather than on aiosqlite's thread (see sqlite_inline)
            kwargs["async_creator"] = sqlite_inline.connector(parsed.database, SQLITE_BUSY_TIMEOUT_MS / 1000)
    elif backend == "postgresql":
        kwargs["connect_args"] = {"timeout": CONNECT_TIMEOUT_S}
        kwargs["pool_pre_ping"] = True
    else:
        backend = backend or "(none)"
        raise DatabaseUnavailable(
            mask_url(url),
            f"unsupported database '{backend}'",
            "Xiaoer runs on SQLite (sqlite+aiosqlite://) or PostgreSQL (postgresql+asyncpg://).",
        )
    try:
        engine = create_async_engine(parsed, **kwargs)
    except Exception as exc:  # a synchronous driver (sqlite://), an unknown one, a bad argument
        raise DatabaseUnavailable(
            mask_url(url),
            str(exc).splitlines()[0],
            "Use an async driver: sqlite+aiosqlite:///path.db or postgresql+asyncpg://user@host/db.",
        ) from None
    if backend == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


def _sqlite_begin(connection: Any) -> None:
    # We emit BEGIN ourselves (the driver's own handling is off, see _sqlite_pragmas):
    # - the driver would commit DDL implicitly, so a failed migration would be half applied;
    # - IMMEDIATE takes the write lock up front: a unit of work reads a ticket and then writes it,
    #   and a deferred transaction that must upgrade to a writer while another process writes
    #   fails at once with SQLITE_BUSY, which no busy timeout can wait out.
    driver = connection.connection.driver_connection
    if isinstance(driver, sqlite_inline.InlineConnection):
        driver.begin_immediate()  # in place: SQLAlchemy's statement machinery costs more than BEGIN
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers work while one writer writes; the busy timeout makes a second writer wait
    # instead of failing at once; SQLite enforces foreign keys only when asked to.
    dbapi_connection.isolation_level = None  # transactions are begun by _sqlite_begin
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


async def ensure_usable(engine: AsyncEngine) -> None:
    """Connect, and prove the database accepts writes, without writing anything."""
    url = mask_url(engine.url)
    if is_sqlite(engine.url):
        _precheck_sqlite_file(engine.url)
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT_S * 2), engine.connect() as conn:
            if is_sqlite(engine.url):
                # Begins with the write lock (see _sqlite_begin) and gives it back: fails on a
                # read-only file or directory.
                await conn.begin()
                await conn.rollback()
            else:
                read_only = (await conn.execute(text("SHOW transaction_read_only"))).scalar()
                if read_only == "on":
                    raise DatabaseUnavailable(
                        url,
                        "the server accepts only reads (a hot standby?)",
                        "Point XIAOER_DATABASE__URL at the primary server.",
                    )
    except DatabaseUnavailable:
        raise
    except (SQLAlchemyError, OSError, TimeoutError) as exc:
        raise describe_failure(engine.url, exc) from None


def _precheck_sqlite_file(url: URL) -> None:
    path = sqlite_path(url)
    if path is None:
        return
    masked = mask_url(url)
    parent = path.resolve().parent
    if not parent.is_dir():
        raise DatabaseUnavailable(
            masked, f"the directory {parent} does not exist", "Create it, or choose another --database path."
        )
    if path.is_dir():
        raise DatabaseUnavailable(masked, f"{path} is a directory", "Give the path of a database file.")
    if path.exists() and not os.access(path, os.W_OK):
        raise DatabaseUnavailable(
            masked, f"the file {path} is not writable", "Check its permissions and owner."
        )
    if not os.access(parent, os.W_OK):
        raise DatabaseUnavailable(
            masked,
            f"the directory {parent} is not writable",
            "SQLite needs to create its journal files there: check the directory's permissions.",
        )


def _disk_full(exc: BaseException, lowered: str) -> str | None:
    """The hint for a full disk (SQLite's SQLITE_FULL, PostgreSQL's DiskFull, ENOSPC), else None."""
    original = getattr(exc, "orig", None) or exc
    if (
        (isinstance(original, OSError) and original.errno == errno.ENOSPC)
        or "disk is full" in lowered
        or "no space left on device" in lowered
    ):
        return (
            "The disk holding the database is full: free space on it (or move the database to a "
            "larger disk), then try again."
        )
    return None


def describe_failure(url: URL | str, exc: BaseException) -> DatabaseUnavailable:
    """Translate a driver error into what an operator should check."""
    masked = mask_url(url)
    message = (
        str(getattr(exc, "orig", None) or exc).strip().splitlines()[0] if str(exc) else type(exc).__name__
    )
    lowered = message.lower()
    full = _disk_full(exc, lowered)
    if full is not None:
        return DatabaseUnavailable(masked, message, full)
    if is_sqlite(url):
        if "disk i/o error" in lowered:
            hint = (
                "Reading or writing the file failed on the disk: check the disk (and, for a network "
                "drive, its connection), and that the file was not removed while in use."
            )
        elif "readonly" in lowered or "read-only" in lowered:
            hint = "The database file or its directory is read-only: check permissions and the URL's mode."
        elif "unable to open" in lowered:
            hint = "Check that the file's directory exists and is writable."
        elif "locked" in lowered or "busy" in lowered:
            hint = "Another process holds the database lock; wait for it or stop it."
        else:
            hint = "Check the file path and that it is a SQLite database."
        return DatabaseUnavailable(masked, message, hint)
    if isinstance(exc, TimeoutError):
        return DatabaseUnavailable(
            masked, "no answer from the server in time", "Check the host and port and that the server runs."
        )
    if "password" in lowered or "authentication" in lowered:
        hint = "Check the user name and password."
    elif "role" in lowered and "does not exist" in lowered:
        hint = "Check the user name in the URL, or create that role on the server."
    elif "does not exist" in lowered:
        hint = "Create the database, or fix its name in the URL."
    else:
        hint = "Check that the server runs and the host, port and database in the URL are right."
    return DatabaseUnavailable(masked, message, hint)


@asynccontextmanager
async def disposed_on_failure(engine: AsyncEngine) -> AsyncIterator[None]:
    """Opening a database: if anything fails, the engine is disposed of, and a driver error becomes
    `DatabaseUnavailable`."""
    try:
        yield
    except SQLAlchemyError as exc:
        await engine.dispose()
        raise describe_failure(engine.url, exc) from None
    except BaseException:
        await engine.dispose()
        raise


def failure_during_work(url: URL | str, exc: BaseException) -> DatabaseUnavailable | None:
    """A database failure during work, described for the operator; None for other errors."""
    if isinstance(exc, DatabaseUnavailable):
        return exc
    # The database itself failing (connection lost, locked, read-only) ends the session; an
    # error about one message's data (DataError, IntegrityError) does not.
    if isinstance(exc, OperationalError | InterfaceError | OSError | TimeoutError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    ):
        return describe_failure(url, exc)
    return None
