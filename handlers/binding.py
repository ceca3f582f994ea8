"""Who a chat speaks for: officers invite an enterprise's people with single-use codes
(`/invite`), people redeem them (`/start CODE`, which a Telegram deep link sends), and anyone
chooses the language Xiaoer answers in (`/lang`)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from bot.domain.errors import NotAllowed, Usage
from bot.domain.messages import Actor, Reply, Role
from bot.i18n import normalize_lang, t
from handlers.deps import Deps
from handlers.help import help_text

INVITE_VALID_FOR = timedelta(days=7)


async def invite(actor: Actor, deps: Deps, args: str) -> list[Reply]:
    """/invite ENTERPRISE: its liaison officer, heads, dispatchers and admins may invite."""
    enterprise_id = args.strip()
    if not enterprise_id:
        raise Usage(command="invite")
    async with deps.storage() as uow:
        enterprise = await uow.enterprises.get(enterprise_id)
        if enterprise is None:
            return [Reply(t(actor.lang, "binding.unknown_enterprise", id=enterprise_id))]
        may_invite = actor.role in (Role.HEAD, Role.DISPATCHER, Role.ADMIN) or (
            actor.officer_id is not None and actor.officer_id == enterprise.liaison_officer_id
        )
        if not may_invite:
            raise NotAllowed(action="invite", ticket=enterprise.name)
        code = secrets.token_urlsafe(9)  # 12 characters Telegram accepts in a deep link
        now = deps.clock()
        await uow.invites.create(code, enterprise.id, actor.audit_id, now, now + INVITE_VALID_FOR)
        await uow.commit()
    days = INVITE_VALID_FOR.days
    return [Reply(t(actor.lang, "binding.invited", company=enterprise.name, code=code, days=days))]


async def start(actor: Actor, deps: Deps, args: str) -> list[Reply]:
    """/start, or /start CODE from a deep link: binds this chat to the invited enterprise."""
    code = args.strip().strip("。.，,；;")  # copied with the sentence's punctuation
    if not code or actor.is_staff:
        return [help_text(actor)]
    assert actor.contact_id is not None
    async with deps.storage() as uow:
        enterprise_id = await uow.invites.redeem(code, actor.contact_id, deps.clock())
        enterprise = await uow.enterprises.get(enterprise_id) if enterprise_id else None
        if enterprise is None:
            return [Reply(t(actor.lang, "binding.bad_code"))]
        await uow.contacts.bind(actor.contact_id, enterprise.id)
        await uow.commit()
    return [Reply(t(actor.lang, "binding.bound", company=enterprise.name)), help_text(actor)]


async def language(actor: Actor, deps: Deps, args: str) -> list[Reply]:
    """/lang zh or /lang en (an officer's language is set in the configuration)."""
    wanted = args.strip().lower()
    if wanted not in ("zh", "zh-cn", "cn", "中文", "en", "english"):
        raise Usage(command="lang")
    lang = normalize_lang("en" if wanted in ("en", "english") else "zh")
    if actor.is_staff or actor.contact_id is None:
        return [Reply(t(actor.lang, "binding.officer_lang"))]
    async with deps.storage() as uow:
        await uow.contacts.set_lang(actor.contact_id, lang, chosen=True)
        await uow.commit()
    return [Reply(t(lang, "binding.lang_set"))]
