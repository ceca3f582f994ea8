"""What the database benchmarks share: a PostgreSQL schema of their own, created empty, migrated,
and dropped afterwards, and the load average printed around a run (the figures mean little
without it)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from storage import migrate

PG_URL = os.environ.get("XIAOER_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


@asynccontextmanager
async def migrated_schema(schema: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a fresh, migrated schema of the benchmark PostgreSQL database; dropped after."""
    admin = create_async_engine(PG_URL)
    async with admin.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_async_engine(PG_URL, connect_args={"server_settings": {"search_path": schema}})
    try:
        await migrate.upgrade(engine)
        yield engine
    finally:
        await engine.dispose()
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await admin.dispose()


async def with_load_average(run: Callable[[], Awaitable[None]]) -> None:
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    await run()
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
