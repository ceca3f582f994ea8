"""`/web`: an officer asks for a link that signs them in to the web console (single use, valid for
minutes, sent to their private chat only); `/web logout` ends their sessions and unused links.

The link's secret is stored hashed (storage/web_protocols.py): whoever reads the database cannot
sign in with it. The session the link opens is tied to the officer and the role they have now."""

from __future__ import annotations

import secrets
from datetime import timedelta

from bot.domain.errors import Usage
from bot.domain.messages import Actor, Reply, ToOfficer
from bot.domain.web_console import token_hash
from bot.i18n import t
from handlers.deps import Deps
from storage.web_protocols import TokenKind

TOKEN_BYTES = 32  # 256 bits: guessing one is out of the question, so the hash needs no salt


async def web(actor: Actor, deps: Deps, args: str) -> list[Reply]:
    assert actor.officer_id is not None  # staff only (handlers/commands.py)
    access = deps.console
    if access is None:
        return [Reply(t(actor.lang, "web.not_enabled"))]
    word = args.strip().lower()
    now = deps.clock()
    if word == "logout":
        async with deps.storage() as uow:
            ended = await uow.web.revoke(actor.officer_id, now)
            await uow.web.audit(now, actor.officer_id, "logout", None, f"chat: {ended} ended")
            await uow.commit()
        return [Reply(t(actor.lang, "web.logged_out", count=ended))]
    if word:
        raise Usage(command="web")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    async with deps.storage() as uow:
        await uow.web.add_token(
            token_hash(token),
            TokenKind.LINK,
            actor.officer_id,
            actor.role.value,
            now,
            now + timedelta(minutes=access.link_minutes),
        )
        await uow.web.audit(now, actor.officer_id, "link_sent", None, actor.role.value)
        await uow.commit()
    # privately, whichever chat asked: a link in a group could be used by anyone who reads it
    text = t(actor.lang, "web.link", link=access.sign_in_link(token), minutes=access.link_minutes)
    return [Reply(text, to=ToOfficer(actor.officer_id))]
