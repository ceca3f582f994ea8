"""Whether a database's schema is the one this Xiaoer needs, and bringing it there; every failure
is a `DatabaseUnavailable` that says what to do."""

from __future__ import annotations

from alembic.util import CommandError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import migrate
from storage.engine import (
    DatabaseUnavailable,
    create_engine,
    describe_failure,
    ensure_usable,
    is_sqlite,
    mask_url,
)
from storage.start_turns import preparing_alone


async def upgrade_database(url: str, *, echo: bool = False) -> str:
    """`xiaoer db upgrade`: bring the schema to the newest revision; returns it."""
    engine = create_engine(url, echo=echo)
    try:
        await ensure_usable(engine)
        async with preparing_alone(engine):  # two upgrades at once: the second finds it done
            await _upgrade(engine)
        return migrate.head_revision()
    finally:
        await engine.dispose()


async def prepare_schema(engine: AsyncEngine) -> None:
    """The embedded SQLite upgrades itself; a server database is upgraded by its operator."""
    if is_sqlite(engine.url):
        await _upgrade(engine)
        return
    current, head = await migrate.current_revision(engine), migrate.head_revision()
    if current is not None and not migrate.is_known(current):
        raise DatabaseUnavailable(
            mask_url(engine.url),
            f"the schema is at revision {current}, which this Xiaoer does not know",
            "Was it upgraded by a newer Xiaoer? Run that version, or restore a backup.",
        )
    if current != head:
        raise DatabaseUnavailable(
            mask_url(engine.url),
            f"the schema is at revision {current or 'none'}, this Xiaoer needs {head}",
            "Run `xiaoer db upgrade --database <url>` first.",
        )


async def _upgrade(engine: AsyncEngine) -> None:
    try:
        await migrate.upgrade(engine)
    except CommandError as exc:  # a revision this Xiaoer does not know: a newer Xiaoer made it
        raise DatabaseUnavailable(
            mask_url(engine.url),
            f"the schema is at a revision this Xiaoer does not know ({exc})",
            "Was it upgraded by a newer Xiaoer? Run that version, or restore a backup.",
        ) from None
    except SQLAlchemyError as exc:
        failure = describe_failure(engine.url, exc)
        raise DatabaseUnavailable(
            failure.url,
            f"the schema upgrade failed ({failure.problem})",
            "It was rolled back and nothing was changed. Check that this database belongs to Xiaoer.",
        ) from None
