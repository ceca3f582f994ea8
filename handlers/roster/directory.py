"""The Directory read from the database, and kept current when the organisation changes there
(an import, an admin in chat, another process): the one instance everybody holds adopts it."""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain.org import Directory
from handlers.deps import Deps
from storage.protocols import UnitOfWorkFactory


async def read_directory(
    storage: UnitOfWorkFactory,
    category_leads: Mapping[str, str],
    *,
    leadership_department: str | None = None,
    leaders: tuple[str, ...] = (),
) -> Directory:
    async with storage() as uow:
        version = await uow.org.version()
        departments = await uow.org.departments()
        officers = await uow.org.officers()
    return Directory.build(
        departments,
        officers,
        category_leads,
        leadership_department=leadership_department,
        leaders=leaders,
        version=version,
    )


async def refresh_directory(deps: Deps, *, force: bool = False) -> bool:
    """Read the organisation again if it changed since the directory was read (one cheap query
    when it did not); True when the directory changed."""
    directory = deps.directory
    if not force:
        async with deps.storage() as uow:
            if await uow.org.version() == directory.version:
                return False
    newer = await read_directory(
        deps.storage,
        directory.category_leads,
        leadership_department=directory.leadership_department,
        leaders=directory.leaders,
    )
    directory.adopt(newer)
    return True
