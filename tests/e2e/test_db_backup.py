"""Issue 16 item 3: `xiaoer db backup FILE` and `xiaoer db restore FILE`, run as an operator runs
them, on SQLite and on PostgreSQL: tickets made through `xiaoer shell`, backed up, changed,
restored, and the original tickets are what the database holds again."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.e2e.test_shell import DEMAND, xiaoer

# three demands of different kinds: the same one again would be offered to ticket #1
HIRING = "我们公司招工难，缺50个普工，能不能帮忙对接人社局的招聘会"
ROADS = "厂区门口的道路坑洼严重，货车进出很困难，希望尽快修路"
CHANGE = f"""\
/as officer wang_lei
/take 1
/resolve 1 建设银行已审批200万元流动资金贷款，本周内放款。
/as enterprise xinyuan
{ROADS}
"""


def tickets_in_sqlite(path: Path) -> list[tuple[int, str]]:
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute("SELECT id, status FROM tickets ORDER BY id").fetchall()


def tickets_in_postgres(url: str) -> list[tuple[int, str]]:
    async def read() -> list[tuple[int, str]]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                rows = await connection.execute(text("SELECT id, status FROM tickets ORDER BY id"))
                return [(int(row[0]), str(row[1])) for row in rows]
        finally:
            await engine.dispose()

    return asyncio.run(read())


def one_line_failure(done: object) -> str:
    """The refusal an operator sees: status 2 and one line on stderr, no traceback."""
    assert getattr(done, "returncode", None) == 2, done
    lines = getattr(done, "stderr", "").strip().splitlines()
    assert len(lines) == 1, lines
    assert "Traceback" not in lines[0]
    return str(lines[0])


def round_trip(tmp_path: Path, database: str, backup: Path) -> tuple[str, str]:
    """Two tickets, a backup, one ticket resolved and a third opened, then the restore: refused
    without --force (the database holds tickets), done with it. Returns the two refusal/restore
    outputs for the caller's checks."""
    for demand in (DEMAND, HIRING):
        made = xiaoer("shell", "--database", database, stdin=f"{demand}\n", cwd=tmp_path)
        assert made.returncode == 0, made.stderr
    backed = xiaoer("db", "backup", str(backup), "--database", database, cwd=tmp_path)
    assert backed.returncode == 0, backed.stderr
    assert backup.stat().st_size > 0
    assert f"to {backup}" in backed.stdout
    changed = xiaoer("shell", "--database", database, stdin=CHANGE, cwd=tmp_path)
    assert changed.returncode == 0, changed.stderr
    assert "工单号 #3" in changed.stdout
    refused = one_line_failure(xiaoer("db", "restore", str(backup), "--database", database, cwd=tmp_path))
    restored = xiaoer("db", "restore", str(backup), "--force", "--database", database, cwd=tmp_path)
    assert restored.returncode == 0, restored.stderr
    return refused, restored.stdout


def test_sqlite_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "live.db"
    database = f"sqlite+aiosqlite:///{path}"
    refused, restored = round_trip(tmp_path, database, tmp_path / "backup.db")
    assert "holds data (tickets: 3" in refused
    assert "--force" in refused
    assert "restored" in restored
    assert "revision" in restored
    assert tickets_in_sqlite(path) == [(1, "dispatched"), (2, "dispatched")]
    # the restored database is one Xiaoer carries on with: the next ticket is #3 again
    again = xiaoer("shell", "--database", database, stdin=f"{ROADS}\n", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "工单号 #3" in again.stdout


def test_sqlite_backup_is_one_file_and_restores_into_a_new_database(tmp_path: Path) -> None:
    source = f"sqlite+aiosqlite:///{tmp_path / 'live.db'}"
    made = xiaoer("shell", "--database", source, stdin=f"{DEMAND}\n", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    backup = tmp_path / "backup.db"
    assert xiaoer("db", "backup", str(backup), "--database", source, cwd=tmp_path).returncode == 0
    assert sorted(p.name for p in tmp_path.glob("backup.db*")) == ["backup.db"]  # no -wal, no .partial
    fresh = tmp_path / "elsewhere.db"
    restored = xiaoer(
        "db", "restore", str(backup), "--database", f"sqlite+aiosqlite:///{fresh}", cwd=tmp_path
    )
    assert restored.returncode == 0, restored.stderr  # nothing there to lose: no --force needed
    assert tickets_in_sqlite(fresh) == [(1, "dispatched")]


def test_sqlite_backup_while_a_writer_holds_the_database(tmp_path: Path) -> None:
    """Online: a transaction the bot has open does not block the backup, nor end up in it."""
    path = tmp_path / "live.db"
    database = f"sqlite+aiosqlite:///{path}"
    made = xiaoer("shell", "--database", database, stdin=f"{DEMAND}\n", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    with closing(sqlite3.connect(path, isolation_level=None)) as writer:
        writer.execute("BEGIN IMMEDIATE")  # the write lock, as a handler's unit of work takes it
        writer.execute("UPDATE tickets SET status = 'closed'")
        backed = xiaoer("db", "backup", str(tmp_path / "backup.db"), "--database", database, cwd=tmp_path)
        writer.execute("COMMIT")
    assert backed.returncode == 0, backed.stderr
    assert tickets_in_sqlite(tmp_path / "backup.db") == [(1, "dispatched")]
    assert tickets_in_sqlite(path) == [(1, "closed")]


def test_restore_refuses_a_database_a_running_bot_uses(tmp_path: Path) -> None:
    path = tmp_path / "live.db"
    database = f"sqlite+aiosqlite:///{path}"
    assert xiaoer("db", "upgrade", "--database", database, cwd=tmp_path).returncode == 0
    assert (
        xiaoer("db", "backup", str(tmp_path / "empty.db"), "--database", database, cwd=tmp_path).returncode
        == 0
    )
    with closing(sqlite3.connect(path)) as connection, connection:
        # what a running `xiaoer run`'s outbox sender keeps fresh every few seconds
        connection.execute(
            "INSERT INTO outbox_senders (id, host, pid, started_at, heartbeat_at) "
            "VALUES ('s1', 'web1', 4242, datetime('now'), datetime('now'))"
        )
    refused = one_line_failure(
        xiaoer("db", "restore", str(tmp_path / "empty.db"), "--database", database, cwd=tmp_path)
    )
    assert "in use by a running bot (web1 pid 4242)" in refused
    forced = xiaoer(
        "db", "restore", str(tmp_path / "empty.db"), "--force", "--database", database, cwd=tmp_path
    )
    assert forced.returncode == 0, forced.stderr


def test_restore_refuses_what_is_not_a_backup_of_this_kind(tmp_path: Path) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'live.db'}"
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n", encoding="utf-8")
    assert "not a backup made by `xiaoer db backup`" in one_line_failure(
        xiaoer("db", "restore", str(notes), "--database", database, cwd=tmp_path)
    )
    dump = tmp_path / "server.dump"
    dump.write_bytes(b"PGDMP\x01\x0e\x00" + bytes(64))
    assert "is a PostgreSQL backup (pg_dump)" in one_line_failure(
        xiaoer("db", "restore", str(dump), "--database", database, cwd=tmp_path)
    )
    assert "cannot read" in one_line_failure(
        xiaoer("db", "restore", str(tmp_path / "missing.db"), "--database", database, cwd=tmp_path)
    )


@pytest.mark.postgres
def test_postgres_round_trip(tmp_path: Path, postgres_database: str) -> None:
    upgraded = xiaoer("db", "upgrade", "--database", postgres_database, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    backup = tmp_path / "xiaoer.dump"
    refused, restored = round_trip(tmp_path, postgres_database, backup)
    assert backup.read_bytes().startswith(b"PGDMP")  # pg_dump's custom format
    assert "holds data (tickets: 3" in refused
    assert "restored" in restored
    assert tickets_in_postgres(postgres_database) == [(1, "dispatched"), (2, "dispatched")]
    again = xiaoer("shell", "--database", postgres_database, stdin=f"{ROADS}\n", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "工单号 #3" in again.stdout  # the sequences came back with the rows


@pytest.mark.postgres
def test_postgres_backup_says_it_calls_pg_dump_and_fails_cleanly_without_it(
    tmp_path: Path, postgres_database: str
) -> None:
    assert xiaoer("db", "upgrade", "--database", postgres_database, cwd=tmp_path).returncode == 0
    backed = xiaoer("db", "backup", str(tmp_path / "a.dump"), "--database", postgres_database, cwd=tmp_path)
    assert backed.returncode == 0, backed.stderr
    assert "pg_dump --format=custom" in backed.stderr
    nowhere = tmp_path / "empty-path"
    nowhere.mkdir()
    missing = xiaoer(
        "db",
        "backup",
        str(tmp_path / "b.dump"),
        "--database",
        postgres_database,
        cwd=tmp_path,
        prefix=("/usr/bin/env", f"PATH={nowhere}"),
    )
    lines = missing.stderr.strip().splitlines()
    assert missing.returncode == 2, missing
    assert "pg_dump was not found on PATH" in lines[-1]
    assert "postgresql-client" in lines[-1]
    assert "Traceback" not in missing.stderr
    assert not (tmp_path / "b.dump").exists()
