"""The composition root: configuration in, a ready application out (storage, NLU, handlers)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from alembic.util import CommandError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.seed import seed
from handlers.deps import Deps
from nlu.types import NluBackend, NluUnavailable, Parse
from storage import migrate
from storage.engine import (
    DatabaseUnavailable,
    create_engine,
    describe_failure,
    ensure_usable,
    is_sqlite,
    mask_url,
)
from storage.sql import SqlStorage


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    storage: SqlStorage
    deps: Deps

    def storage_failure(self, exc: BaseException) -> DatabaseUnavailable | None:
        """A database failure during work, described for the operator; None for other errors."""
        if isinstance(exc, DatabaseUnavailable):
            return exc
        # The database itself failing (connection lost, locked, read-only) ends the session; an
        # error about one message's data (DataError, IntegrityError) does not.
        if isinstance(exc, OperationalError | InterfaceError | OSError | TimeoutError) or (
            isinstance(exc, DBAPIError) and exc.connection_invalidated
        ):
            return describe_failure(self.engine.url, exc)
        return None

    async def close(self) -> None:
        closer = getattr(self.deps.nlu, "aclose", None)
        if closer is not None:
            await closer()
        await self.engine.dispose()


def build_nlu(settings: Settings, on_build: Callable[[Path], None] | None = None) -> NluBackend:
    """The configured backend. The builtin model is trained here on first use (a few seconds)."""
    if settings.nlu.backend == "rasa":
        from nlu.rasa import RasaNlu  # imported only when configured

        rasa = settings.nlu.rasa
        return RasaNlu(rasa.url, token=rasa.token, timeout=rasa.timeout_seconds, intent_map=rasa.intent_map)
    from nlu.builtin import BuiltinNlu

    path = Path(settings.nlu.model_path) if settings.nlu.model_path else None
    builtin = BuiltinNlu.load(path, on_build=on_build)
    if settings.nlu.backend == "llm":
        from nlu.llm import LlmNlu  # imported only when configured

        llm = settings.nlu.llm
        return LlmNlu(llm.url, llm.model, fallback=builtin, api_key=llm.api_key, timeout=llm.timeout_seconds)
    return builtin


class NluNotLoaded:
    """For commands that read no messages (`xiaoer report`): no model is loaded or trained."""

    async def parse(self, text: str) -> Parse:
        raise NluUnavailable("this command does not load the NLU model")


async def upgrade_database(url: str, *, echo: bool = False) -> str:
    """`xiaoer db upgrade`: bring the schema to the newest revision; returns it."""
    engine = create_engine(url, echo=echo)
    try:
        await ensure_usable(engine)
        await _upgrade(engine)
        return migrate.head_revision()
    finally:
        await engine.dispose()


async def build_app(
    settings: Settings,
    database_url: str | None = None,
    on_nlu_build: Callable[[Path], None] | None = None,
    *,
    load_nlu: bool = True,
) -> App:
    url = database_url or settings.database.url
    engine = create_engine(url, echo=settings.database.echo)
    try:
        await ensure_usable(engine)
        await _prepare_schema(engine)
        storage = SqlStorage(engine)
        await seed(storage, settings)
    except SQLAlchemyError as exc:
        await engine.dispose()
        raise describe_failure(engine.url, exc) from None
    except BaseException:
        await engine.dispose()
        raise
    sla = settings.sla_policy()
    deps = Deps(
        storage=storage,
        directory=settings.directory(),
        nlu=build_nlu(settings, on_nlu_build) if load_nlu else NluNotLoaded(),
        sla=sla,
        ladder=settings.ladder(sla.calendar),
        default_lang=settings.language,
        clarify_below=settings.nlu.clarify_below,
        timezone=ZoneInfo(settings.timezone),
        policies=settings.policy_options(),
    )
    return App(settings=settings, engine=engine, storage=storage, deps=deps)


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


async def _prepare_schema(engine: AsyncEngine) -> None:
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
