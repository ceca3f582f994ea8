"""Issue 21 item 20: a full disk is explained as a full disk, not as a wrong path."""

from __future__ import annotations

import errno
import sqlite3

import pytest

from storage.engine import describe_failure

SQLITE = "sqlite+aiosqlite:///xiaoer.db"


@pytest.mark.parametrize(
    "error",
    [
        sqlite3.OperationalError("database or disk is full"),
        OSError(errno.ENOSPC, "No space left on device"),
    ],
)
def test_a_full_disk_under_sqlite_says_so(error: Exception) -> None:
    failure = describe_failure(SQLITE, error)
    assert "disk" in failure.hint.lower()
    assert "free" in failure.hint.lower()
    assert "SQLite database" not in failure.hint


def test_a_full_disk_under_postgresql_says_so() -> None:
    error = Exception('could not extend file "base/16384/2619": No space left on device')
    failure = describe_failure("postgresql+asyncpg://x:secret@db/xiaoer", error)
    assert "free" in failure.hint.lower()
    assert "secret" not in str(failure)


def test_a_disk_io_error_points_at_the_disk() -> None:
    failure = describe_failure(SQLITE, sqlite3.OperationalError("disk I/O error"))
    assert "disk" in failure.hint.lower()
    assert "SQLite database" not in failure.hint


def test_a_file_that_is_no_database_still_says_so() -> None:
    failure = describe_failure(SQLITE, sqlite3.DatabaseError("file is not a database"))
    assert "SQLite database" in failure.hint
