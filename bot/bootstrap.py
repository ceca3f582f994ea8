"""The composition root: configuration in, a ready application out (storage, NLU, handlers)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.domain.web_console import ConsoleAccess
from bot.seed import seed
from handlers.deps import Deps
from handlers.roster.directory import read_directory
from handlers.start_links import StartLinks
from nlu.types import NluBackend, NluUnavailable, Parse
from storage.engine import (
    DatabaseUnavailable,
    Engine,
    create_engine,
    disposed_on_failure,
    ensure_usable,
    failure_during_work,
)
from storage.schema import prepare_schema
from storage.schema import upgrade_database as upgrade_database  # `xiaoer db upgrade` finds it here
from storage.sql import SqlStorage
from storage.start_turns import preparing_alone


@dataclass
class App:
    settings: Settings
    engine: Engine
    storage: SqlStorage
    deps: Deps

    def storage_failure(self, exc: BaseException) -> DatabaseUnavailable | None:
        """A database failure during work, described for the operator; None for other errors."""
        return failure_during_work(self.engine.url, exc)

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


def console_access(settings: Settings) -> ConsoleAccess | None:
    web = settings.web
    if not web.enabled or web.url is None:
        return None
    return ConsoleAccess(web.url, web.link_minutes, web.session_hours)


async def build_app(
    settings: Settings,
    database_url: str | None = None,
    on_nlu_build: Callable[[Path], None] | None = None,
    *,
    load_nlu: bool = True,
) -> App:
    if database_url is not None and not database_url.strip():  # `--database ""`: never a silent default
        raise DatabaseUnavailable(
            "(empty)",
            "--database was given an empty URL",
            "Give one, e.g. sqlite+aiosqlite:///xiaoer.db, or leave the option out to use database.url.",
        )
    url = database_url if database_url is not None else settings.database.url
    engine = create_engine(url, echo=settings.database.echo)
    async with disposed_on_failure(engine):
        await ensure_usable(engine)
        storage = SqlStorage(engine)
        async with preparing_alone(engine):  # processes starting together take turns
            await prepare_schema(engine)
            await seed(storage, settings)
        directory = await read_directory(
            storage,
            settings.category_leads(),
            leadership_department=settings.leadership.department,
            leaders=settings.leaders(),
        )
    sla = settings.sla_policy()
    deps = Deps(
        storage=storage,
        directory=directory,
        nlu=build_nlu(settings, on_nlu_build) if load_nlu else NluNotLoaded(),
        sla=sla,
        ladder=settings.ladder(sla.calendar),
        default_lang=settings.language,
        clarify_below=settings.nlu.clarify_below,
        timezone=ZoneInfo(settings.timezone),
        policies=settings.policy_options(),
        robot_group_channels=settings.robot_group_channels(),
        console=console_access(settings),
        bulletin=settings.bulletin.rules(),
        start_links=StartLinks(
            {
                name: make
                for name, section in settings.channel_sections().items()
                if (make := section.start_link_maker()) is not None
            }
        ),
    )
    return App(settings=settings, engine=engine, storage=storage, deps=deps)
