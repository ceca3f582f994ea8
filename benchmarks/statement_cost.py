"""What one small statement costs in CPU through the storage's paths on the engine `xiaoer run`
uses against the sqlite3 driver alone, on the same database file: through an `AsyncSession`
(as before issue 22's fifth session), through the session's connection as driver SQL
(`exec_driver_sql`, SQLAlchemy's cheapest way with its execution context and result), and as a
`FastStatement` on the session's own sqlite3 connection (storage/fast_statements.py, what the
hot path uses now).

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
from storage import fast_statements as fast
from storage.tables import ContactRow

ROOT = Path(__file__).resolve().parent.parent
CONTACTS = ContactRow.__table__  # type: ignore[attr-defined]
LOOKUP = select(CONTACTS).where(
    CONTACTS.c.channel == bindparam("channel"), CONTACTS.c.external_id == bindparam("external_id")
)
FAST = fast.FastStatement(LOOKUP)
RAW = "SELECT * FROM contacts WHERE channel = ? AND external_id = ?"
WARM_UP = 200


async def through_storage(database: str, count: int) -> dict[str, float]:
    """Milliseconds of CPU per lookup on each of the storage's paths (caches warmed), in one
    session and transaction."""
    app = await build_app(load_settings(ROOT / "config.yaml"), f"sqlite+aiosqlite:///{database}")
    try:
        async with async_sessionmaker(app.engine)() as session:

            async def execute(i: int) -> None:
                (await session.execute(LOOKUP, {"channel": "telegram", "external_id": str(i)})).all()

            async def driver_sql(i: int) -> None:
                connection = await session.connection()
                (await connection.exec_driver_sql(RAW, ("telegram", str(i)))).all()

            async def fast_statement(i: int) -> None:
                await fast.rows(session, FAST, {"channel": "telegram", "external_id": str(i)})

            costs = {}
            for name, run in (
                ("AsyncSession.execute", execute),
                ("exec_driver_sql", driver_sql),
                ("FastStatement", fast_statement),
            ):
                for i in range(WARM_UP):
                    await run(i)
                start = time.process_time()
                for i in range(count):
                    await run(i)
                costs[name] = (time.process_time() - start) / count * 1000
            return costs
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
        costs = asyncio.run(through_storage(database, count))
        driver = through_driver(database, count)
    print(f"one contact lookup, {count} times, CPU each:")
    for name, cost in costs.items():
        print(f"  {name:22} {cost:.3f} ms ({cost / driver:.1f}x sqlite3 alone)")
    print(f"  {'sqlite3 alone':22} {driver:.3f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--statements", type=int, default=3000)
    main(parser.parse_args().statements)
