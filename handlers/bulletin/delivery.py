"""Building a bulletin into the archive, and what the leadership gets: its text in their own
language (a few items per list) and the whole as a .docx. Scheduled (weekly by default, the last
full week), the period is claimed in the archive first, in the transaction that queues the
messages (bot.scheduler runs it through Outgoing.run): of several `xiaoer run` processes one
builds and sends it, and a crash leaves it unclaimed for the next run."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

from bot.domain.bulletin import ArchivedBulletin, BulletinContent, Schedule, last_week, schedule_key
from bot.domain.messages import Actor, Attachment, Recipient, Reply, ToSender
from bot.domain.permissions import may_see_reports
from bot.i18n import t
from handlers.bulletin.content import gather
from handlers.bulletin.docx_file import to_docx
from handlers.bulletin.text import title, to_markdown
from handlers.deps import Deps
from handlers.reports import leadership_recipients

SCHEDULER = "scheduler"


async def replies_for(
    deps: Deps, bulletin_id: int, content: BulletinContent, readers: list[tuple[Recipient, str]]
) -> list[Reply]:
    """Its text (a few items per list: the whole is in the .docx) and the .docx, each reader in
    their own language."""
    replies: list[Reply] = []
    documents: dict[str, bytes] = {}
    for to, lang in readers:
        if lang not in documents:
            documents[lang] = await asyncio.to_thread(to_docx, content, lang)
        name = f"bulletin-D{bulletin_id}-{content.since.isoformat()}.docx"
        replies += [
            Reply(to_markdown(content, lang, deps.bulletin.quotes), to=to),
            Reply(title(content, lang), to=to, attachment=Attachment(name, documents[lang], "document")),
        ]
    return replies


async def build(
    deps: Deps,
    since: date,
    until: date,
    built_by: str,
    *,
    send: bool = False,
    key: str | None = None,
    lang: str | None = None,
) -> tuple[ArchivedBulletin | None, list[Reply]]:
    """Build the bulletin of [since, until) into the archive (with `key`, only if no process has
    claimed that period: else None) and, with `send`, what the leadership gets. Opens its unit of
    work; run it inside Outgoing.run for the messages to commit with the archive entry."""
    words = lang or deps.default_lang
    async with deps.storage() as uow:
        bulletin_id = await uow.bulletins.start(since, until, deps.clock(), built_by, words, key)
        if bulletin_id is None:
            return None, []
        content = await gather(uow, deps, deps.bulletin, since, until)
        markdown = to_markdown(content, words)
        await uow.bulletins.finish(bulletin_id, content.to_dict(), markdown, send)
        archived = await uow.bulletins.get(bulletin_id)
        await uow.commit()
    assert archived is not None
    replies = await replies_for(deps, bulletin_id, content, leadership_recipients(deps)) if send else []
    return archived, replies


async def scheduled(deps: Deps) -> list[Reply]:
    """The scheduled bulletin: last full week's, once, to the leadership."""
    if deps.bulletin.schedule is Schedule.OFF:
        return []
    today = deps.clock().astimezone(deps.timezone).date()
    since, until = last_week(today)
    _, replies = await build(deps, since, until, SCHEDULER, send=True, key=schedule_key(since, until))
    return replies


async def latest_command(actor: Actor, deps: Deps, args: str) -> list[Reply]:
    """`/bulletin`: the latest bulletin in the archive, its text and its .docx."""
    if not may_see_reports(actor, deps.directory.leaders):
        return [Reply(t(actor.lang, "dynamics.not_allowed"))]
    async with deps.storage() as uow:
        latest = await uow.bulletins.latest()
    if latest is None:
        return [Reply(t(actor.lang, "dynamics.latest_none"))]
    return await replies_for(deps, latest.id, latest.content, [(ToSender(), actor.lang)])


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
