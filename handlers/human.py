"""The sender wants a person: name their liaison officer and tell that officer to get in touch."""

from __future__ import annotations

from bot.domain.messages import Actor, Reply, ToDepartment, ToOfficer
from bot.i18n import t
from handlers import render
from handlers.deps import Deps


async def ask_for_person(actor: Actor, deps: Deps, text: str) -> list[Reply]:
    async with deps.storage() as uow:
        enterprise = await uow.enterprises.get(actor.enterprise_id) if actor.enterprise_id else None

    def company(lang: str) -> str:
        return enterprise.name if enterprise else t(lang, "ticket.unverified_company")

    liaison = deps.directory.officers.get(enterprise.liaison_officer_id or "") if enterprise else None
    if liaison is not None:
        department = render.department_name(liaison.department_id, actor.lang, deps.directory)
        notice = t(
            liaison.lang, "human.notice", contact=actor.display_name, company=company(liaison.lang), text=text
        )
        return [
            Reply(t(actor.lang, "human.liaison", officer=liaison.name, department=department)),
            Reply(notice, to=ToOfficer(liaison.id)),
        ]
    department_id = deps.directory.lead_department("other")
    department = render.department_name(department_id, actor.lang, deps.directory)
    group_lang = deps.directory.group_lang(department_id)
    notice = t(group_lang, "human.notice", contact=actor.display_name, company=company(group_lang), text=text)
    return [
        Reply(t(actor.lang, "human.no_liaison", department=department)),
        Reply(notice, to=ToDepartment(department_id)),
    ]
