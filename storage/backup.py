"""Backing a database up to one file and restoring it (`xiaoer db backup`, `xiaoer db restore`).

SQLite: SQLite's online backup API, which copies a consistent snapshot while `xiaoer run` keeps
writing (WAL lets it read past the writer), into a temporary file renamed into place when complete,
so a half-written backup never carries the backup's name. A restore copies the backup into the
database the same way, under SQLite's own locks.

PostgreSQL: the server's own tools, `pg_dump --format=custom` and `pg_restore --clean`, with the
connection taken from the database URL (the password passed in the environment, never on the
command line, where `ps` would show it).

Every failure is a `BackupRefused` that says what went wrong and what to do about it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, inspect, make_url, select, table
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import migrate
from storage.engine import create_engine, ensure_usable, is_sqlite, mask_url, sqlite_path
from storage.tables import OutboxSenderRow

SQLITE_HEADER = b"SQLite format 3\x00"
PG_DUMP_HEADER = b"PGDMP"  # the first bytes of pg_dump's custom format
SQLITE_BUSY_SECONDS = 30  # a backup waits this long for a writer's lock, rather than failing
PG_LOCK_TIMEOUT_MS = 30_000  # pg_restore waits this long for tables a running bot holds
# --clean drops each object of the backup before recreating it; in one transaction, so a failure
# leaves the database as it was; objects owned by whoever connects, as on the server restored to
RESTORE_OPTIONS = ("--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error")
# The tables whose rows are what people did; the organisation and demo enterprises are re-seeded
# from the config on every start, so a database holding only those holds nothing to lose.
DATA_TABLES = ("tickets", "policies", "message_log")  # message_log: the messages people sent


class BackupRefused(Exception):
    def __init__(self, problem: str, hint: str) -> None:
        self.problem = problem
        self.hint = hint
        super().__init__(f"{problem}. {hint}")


@dataclass(frozen=True)
class Occupancy:
    """Whether a database is in use and holds data: a restore replaces both."""

    live_senders: tuple[str, ...]  # the running `xiaoer run` processes, "host pid N"
    rows: dict[str, int]  # rows in DATA_TABLES, only those with any

    @property
    def in_use(self) -> bool:
        return bool(self.live_senders)

    @property
    def holds_data(self) -> bool:
        return bool(self.rows)


async def occupancy(url: str, *, now: datetime, lease_seconds: float) -> Occupancy:
    """Who runs on the database (outbox senders heard from within the lease) and what it holds."""
    engine = create_engine(url)
    try:
        await ensure_usable(engine)
        async with engine.connect() as connection:
            return await _occupancy(connection, now, lease_seconds)
    finally:
        await engine.dispose()


async def _occupancy(connection: AsyncConnection, now: datetime, lease_seconds: float) -> Occupancy:
    tables = set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
    live: tuple[str, ...] = ()
    if OutboxSenderRow.__tablename__ in tables:
        senders = (await connection.execute(select(OutboxSenderRow))).all()
        live = tuple(
            f"{row.host} pid {row.pid}"
            for row in senders
            if (now - row.heartbeat_at).total_seconds() < lease_seconds
        )
    rows = {}
    for name in DATA_TABLES:
        if name in tables:
            count = (await connection.execute(select(func.count()).select_from(table(name)))).scalar_one()
            if count:
                rows[name] = int(count)
    return Occupancy(live, rows)


async def revision_of(url: str) -> str | None:
    """The schema revision the database is at (None: no Xiaoer schema)."""
    engine = create_engine(url)
    try:
        return await migrate.current_revision(engine)
    finally:
        await engine.dispose()


def describe(url: str) -> str:
    """How `xiaoer db backup` goes about this database, said before it starts."""
    if is_sqlite(url):
        return "SQLite: copying with SQLite's online backup API (safe while the bot runs)"
    return "PostgreSQL: calling pg_dump --format=custom (safe while the bot runs)"


def backup(url: str, target: Path) -> None:
    """Write a backup of the database to `target` (replaced only once the backup is complete)."""
    partial = target.with_name(target.name + ".partial")
    try:
        if is_sqlite(url):
            _backup_sqlite(_sqlite_file(url), partial)
        else:
            _pg_tool("pg_dump", ["--format=custom", f"--file={partial}", *_pg_connection(url)], url)
        os.replace(partial, target)
    except OSError as exc:
        raise BackupRefused(
            f"cannot write {target}: {exc.strerror or exc}", "Choose a writable place for the backup."
        ) from None
    finally:
        partial.unlink(missing_ok=True)


def check_backup(url: str, source: Path) -> None:
    """Refuse a file that is not a backup this database can be restored from."""
    try:
        with source.open("rb") as file:
            header = file.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise BackupRefused(f"cannot read {source}: {exc.strerror or exc}", "Check the path.") from None
    sqlite = is_sqlite(url)
    if header.startswith(PG_DUMP_HEADER) and sqlite:
        raise BackupRefused(
            f"{source} is a PostgreSQL backup (pg_dump) and {mask_url(url)} is SQLite",
            "Restore it into a PostgreSQL database: --database postgresql+asyncpg://user@host/db.",
        )
    if header == SQLITE_HEADER and not sqlite:
        raise BackupRefused(
            f"{source} is a SQLite backup and {mask_url(url)} is PostgreSQL",
            "Restore it into a SQLite file: --database sqlite+aiosqlite:///path.db.",
        )
    expected = SQLITE_HEADER if sqlite else PG_DUMP_HEADER
    if not header.startswith(expected):
        raise BackupRefused(f"{source} is not a backup made by `xiaoer db backup`", "Check the file name.")
    holds_schema = _sqlite_has_schema(source) if sqlite else "alembic_version" in _pg_listing(url, source)
    if not holds_schema:
        raise BackupRefused(
            f"{source} holds no Xiaoer database (no alembic_version table)", "Check the file."
        )


def restore(url: str, source: Path) -> None:
    """Replace the database's contents with the backup's (call check_backup first)."""
    if is_sqlite(url):
        _restore_sqlite(source, _sqlite_file(url))
        return
    _pg_tool(
        "pg_restore",
        [*RESTORE_OPTIONS, *_pg_connection(url), str(source)],
        url,
        extra_env={"PGOPTIONS": f"-c lock_timeout={PG_LOCK_TIMEOUT_MS}"},
    )


# SQLite


def _sqlite_file(url: str) -> Path:
    path = sqlite_path(url)
    if path is None:
        raise BackupRefused(
            f"{mask_url(url)} is an in-memory database", "Back up or restore a database file instead."
        )
    return path


def _backup_sqlite(database: Path, target: Path) -> None:
    if not database.is_file():
        raise BackupRefused(f"{database} does not exist", "Check the --database URL (or database.url).")
    target.unlink(missing_ok=True)
    try:
        # read and write, though it only reads: a read-only connection cannot open a WAL database
        # whose -shm file is not there (no bot running)
        _copy_sqlite(sqlite3.connect(database, timeout=SQLITE_BUSY_SECONDS), target)
        with closing(sqlite3.connect(target)) as copy:
            # one self-contained file: no -wal beside it to forget when it is copied away
            copy.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as exc:
        raise BackupRefused(
            f"SQLite could not copy {database}: {exc}", "Check the file and the disk."
        ) from None


def _restore_sqlite(source: Path, database: Path) -> None:
    try:
        _copy_sqlite(sqlite3.connect(f"file:{source}?mode=ro", uri=True), database)
    except sqlite3.Error as exc:
        raise BackupRefused(
            f"SQLite could not restore into {database}: {exc}",
            "Stop every `xiaoer` using it and try again; the database was left as it was.",
        ) from None


def _copy_sqlite(source: sqlite3.Connection, target: Path) -> None:
    """Every page of `source` into `target` in one step of the backup API, under SQLite's locks
    (a read lock on the source, the write lock on the target), then both closed."""
    with closing(source), closing(sqlite3.connect(target, timeout=SQLITE_BUSY_SECONDS)) as copy:
        source.backup(copy)


def _sqlite_has_schema(path: Path) -> bool:
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
            found = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).fetchone()
    except sqlite3.Error as exc:
        raise BackupRefused(f"{path} cannot be read as SQLite: {exc}", "Check the file.") from None
    return found is not None


# PostgreSQL


def _pg_connection(url: str) -> list[str]:
    """pg_dump's and pg_restore's connection options for the URL (the password goes in the
    environment: see _pg_environment)."""
    parsed = make_url(url)
    options = ["--no-password"]  # fail at once rather than wait for a prompt nobody answers
    if parsed.host:
        options.append(f"--host={parsed.host}")
    if parsed.port:
        options.append(f"--port={parsed.port}")
    if parsed.username:
        options.append(f"--username={parsed.username}")
    options.append(f"--dbname={parsed.database or ''}")
    return options


def _pg_environment(url: str) -> dict[str, str]:
    parsed = make_url(url)
    environment = dict(os.environ)
    if parsed.password:
        environment["PGPASSWORD"] = str(parsed.password)
    ssl = parsed.query.get("ssl") or parsed.query.get("sslmode")  # asyncpg's and libpq's names
    if isinstance(ssl, str):
        environment["PGSSLMODE"] = ssl
    return environment


def _pg_tool(
    tool: str, arguments: list[str], url: str, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    executable = shutil.which(tool)
    if executable is None:
        raise BackupRefused(
            f"{tool} was not found on PATH",
            "Install the PostgreSQL client tools of the server's major version or newer "
            "(Debian: apt install postgresql-client).",
        )
    done = subprocess.run(
        [executable, *arguments],
        env={**_pg_environment(url), **(extra_env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise BackupRefused(
            f"{tool} failed: {lines[-1] if lines else f'exit status {done.returncode}'}",
            f"Check the URL, the server, and that {tool} --version is at least the server's major version.",
        )
    return done


def _pg_listing(url: str, source: Path) -> str:
    return _pg_tool("pg_restore", ["--list", str(source)], url).stdout
