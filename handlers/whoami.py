"""/whoami: who Xiaoer takes the sender to be, on any channel (the shell has its own, for the
identities it switches between)."""

from __future__ import annotations

from bot.domain.messages import Actor, Reply
from bot.i18n import t
from handlers import render
from handlers.deps import Deps


async def whoami(actor: Actor, deps: Deps, args: str) -> list[Reply]:
    lang = actor.lang
    language = t(lang, "whoami.language")
    if actor.is_staff and actor.officer_id is not None:
        who = t(
            lang,
            "whoami.officer",
            name=actor.display_name,
            department=render.department_name(actor.department_id, lang, deps.directory),
            role=t(lang, f"whoami.role_{actor.role.value}"),
            id=actor.officer_id,
        )
        return [Reply(f"{who}\n{language}")]
    async with deps.storage() as uow:
        enterprise = await uow.enterprises.get(actor.enterprise_id) if actor.enterprise_id else None
    if enterprise is None:
        return [Reply(t(lang, "whoami.unbound", name=actor.display_name) + "\n" + language)]
    who = t(lang, "whoami.contact", name=actor.display_name, enterprise=enterprise.name, id=enterprise.id)
    return [Reply(f"{who}\n{language}")]
