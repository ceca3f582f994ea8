"""What one small statement costs in CPU through the storage's path (an `AsyncSession` on the
engine `xiaoer run` uses) against the sqlite3 driver alone, on the same database file: the share
of the intake's per-update CPU that is SQLAlchemy's machinery rather than SQLite's work.

    python -m benchmarks.statement_cost [--statements 3000]

The statement is the contact lookup every update from a person runs (an indexed read by channel
and identity), built once with bound parameters as storage/sql.py builds it.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from pathlib import Path

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.bootstrap import build_app
from bot.config import load_settings
from storage.tables import ContactRow

ROOT = Path(__file__).resolve().parent.parent
CONTACTS = ContactRow.__table__  # type: ignore[attr-defined]
LOOKUP = select(CONTACTS).where(
    CONTACTS.c.channel == bindparam("channel"), CONTACTS.c.external_id == bindparam("external_id")
)
RAW = "SELECT * FROM contacts WHERE channel = ? AND external_id = ?"
WARM_UP = 200


async def through_session(database: str, count: int) -> float:
    """Milliseconds of CPU per lookup through an AsyncSession (the statement's cache warmed)."""
    app = await build_app(load_settings(ROOT / "config.yaml"), f"sqlite+aiosqlite:///{database}")
    try:
        async with async_sessionmaker(app.engine)() as session:
            for i in range(WARM_UP):
                (await session.execute(LOOKUP, {"channel": "telegram", "external_id": str(i)})).all()
            start = time.process_time()
            for i in range(count):
                (await session.execute(LOOKUP, {"channel": "telegram", "external_id": str(i)})).all()
            return (time.process_time() - start) / count * 1000
    finally:
        await app.close()


def through_driver(database: str, count: int) -> float:
    """Milliseconds of CPU per lookup on a sqlite3 connection of its own."""
    connection = sqlite3.connect(database)
    try:
        start = time.process_time()
        for i in range(count):
            connection.execute(RAW, ("telegram", str(i))).fetchall()
        return (time.process_time() - start) / count * 1000
    finally:
        connection.close()


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        database = f"{tmp}/cost.db"
        session = asyncio.run(through_session(database, count))
        driver = through_driver(database, count)
    print(
        f"one contact lookup, {count} times: AsyncSession {session:.3f} ms CPU, "
        f"sqlite3 alone {driver:.3f} ms ({session / driver:.0f}x)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--statements", type=int, default=3000)
    main(parser.parse_args().statements)
