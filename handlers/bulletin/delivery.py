"""Building a bulletin into the archive, and what the leadership gets: its text in their own
language (a few items per list) and the whole as a .docx.

Built in two steps so that no transaction is held while it is computed (on SQLite a transaction
holds the one write lock): `prepare` reads the period in a unit of work of its own and renders
everything; `keep` archives it in the caller's transaction — for the scheduled bulletin, the one
Outgoing.run queues the messages in (bot.scheduler). A scheduled period's key is unique in the
archive, and inserting it is the claim: of several `xiaoer run` processes exactly one keeps and
sends it (the others find it claimed before building, or, building at the same moment, see their
insert refused and send nothing), and a crash before the commit leaves it unclaimed."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from bot.domain.bulletin import ArchivedBulletin, BulletinContent, Schedule, schedule_key, scheduled_period
from bot.domain.messages import Actor, Attachment, Recipient, Reply, ToSender
from bot.domain.permissions import may_see_reports
from bot.i18n import t
from handlers.bulletin.content import compose, read
from handlers.bulletin.docx_file import to_docx
from handlers.bulletin.text import title, to_markdown
from handlers.deps import Deps
from handlers.reports import leadership_recipients

SCHEDULER = "scheduler"


async def replies_for(
    deps: Deps, content: BulletinContent, readers: list[tuple[Recipient, str]]
) -> list[Reply]:
    """Its text (a few items per list: the whole is in the .docx) and the .docx, each reader in
    their own language."""
    replies: list[Reply] = []
    documents: dict[str, bytes] = {}
    name = f"bulletin-{content.since.isoformat()}-{content.until.isoformat()}.docx"
    for to, lang in readers:
        if lang not in documents:
            documents[lang] = await asyncio.to_thread(to_docx, content, lang)
        replies += [
            Reply(to_markdown(content, lang, deps.bulletin.quotes), to=to),
            Reply(title(content, lang), to=to, attachment=Attachment(name, documents[lang], "document")),
        ]
    return replies


@dataclass(frozen=True)
class Prepared:
    """A bulletin built, not yet archived: its content, its Markdown, and (to send) the replies."""

    content: BulletinContent
    markdown: str
    lang: str
    key: str | None
    replies: list[Reply]


async def prepare(
    deps: Deps,
    since: date,
    until: date,
    *,
    send: bool = False,
    key: str | None = None,
    lang: str | None = None,
) -> Prepared | None:
    """The bulletin of [since, until); None if `key`'s period is in the archive already."""
    words = lang or deps.default_lang
    async with deps.storage() as uow:
        if key is not None and await uow.bulletins.claimed(key):
            return None
        rows = await read(uow, deps, deps.bulletin, since, until)
    content = await compose(rows, deps.bulletin)
    replies = await replies_for(deps, content, leadership_recipients(deps)) if send else []
    return Prepared(content, to_markdown(content, words), words, key, replies)


async def keep(deps: Deps, prepared: Prepared, built_by: str) -> ArchivedBulletin | None:
    """Archive it (joining the caller's transaction if it shares one); None if its period was
    claimed meanwhile."""
    content = prepared.content
    async with deps.storage() as uow:
        bulletin_id = await uow.bulletins.add(
            content.since,
            content.until,
            deps.clock(),
            built_by,
            prepared.lang,
            content.to_dict(),
            prepared.markdown,
            bool(prepared.replies),
            prepared.key,
        )
        if bulletin_id is None:
            return None
        archived = await uow.bulletins.get(bulletin_id)
        await uow.commit()
    return archived


async def scheduled(deps: Deps) -> Prepared | None:
    """Last full week's bulletin for the leadership, unless it is off or claimed already."""
    if deps.bulletin.schedule is Schedule.OFF:
        return None
    rules = deps.bulletin
    now = deps.clock().astimezone(deps.timezone)
    since, until = scheduled_period(now.replace(tzinfo=None), rules.weekday, rules.at)
    return await prepare(deps, since, until, send=True, key=schedule_key(since, until))


async def keep_scheduled(deps: Deps, prepared: Prepared) -> list[Reply]:
    """Run inside the transaction that queues what it returns: claimed, or nothing to say."""
    return prepared.replies if await keep(deps, prepared, SCHEDULER) is not None else []


async def latest_command(actor: Actor, deps: Deps, args: str) -> list[Reply]:
    """`/bulletin`: the latest bulletin in the archive, its text and its .docx."""
    if not may_see_reports(actor, deps.directory.leaders):
        return [Reply(t(actor.lang, "dynamics.not_allowed"))]
    async with deps.storage() as uow:
        latest = await uow.bulletins.latest()
    if latest is None:
        return [Reply(t(actor.lang, "dynamics.latest_none"))]
    return await replies_for(deps, latest.content, [(ToSender(), actor.lang)])


def archive_line(bulletin: ArchivedBulletin, lang: str, timezone: Any) -> str:
    return t(
        lang,
        "dynamics.archive_line",
        id=bulletin.id,
        since=bulletin.since.isoformat(),
        until=(bulletin.until - timedelta(days=1)).isoformat(),
        built_at=bulletin.built_at.astimezone(timezone).strftime("%Y-%m-%d %H:%M"),
        by=bulletin.built_by,
    )
