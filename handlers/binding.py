"""Who a chat speaks for: officers invite an enterprise's people with single-use codes
(`/invite`), people redeem them (`/start CODE`, which a Telegram deep link sends) or share their
phone number where the platform vouches for it (Telegram's contact button), and anyone chooses
the language Xiaoer answers in (`/lang`). A chat that binds takes over the tickets opened for its
enterprise during visits before anyone was bound (handlers/campaigns/stand_in.py)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from bot.domain.errors import NotAllowed, Usage
from bot.domain.messages import SHARE_PHONE, Actor, Button, Capabilities, Inbound, Reply, Role
from bot.domain.phones import comparable_phone
from bot.i18n import normalize_lang, t
from handlers.campaigns.stand_in import hand_over_visit_tickets
from handlers.deps import Deps
from handlers.help import help_text
from handlers.mobile_binding import Outcome, bind_by_mobile

INVITE_VALID_FOR = timedelta(days=7)
TELEGRAM_LIKE = Capabilities()  # a chat with buttons and a contact button, when none is named


def new_code() -> str:
    return secrets.token_urlsafe(9)  # 12 characters Telegram accepts in a deep link


def invite_text(lang: str, company: str, code: str, deps: Deps) -> str:
    """How to redeem: a link where a channel has one (Telegram's, once the bot's username is known),
    and the code to send."""
    days = INVITE_VALID_FOR.days
    link = deps.start_links.link(code)
    if link is None:
        return t(lang, "binding.invited_code", company=company, code=code, days=days)
    return t(lang, "binding.invited", company=company, code=code, days=days, link=link)


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
        code = new_code()
        now = deps.clock()
        await uow.invites.create(code, enterprise.id, actor.audit_id, now, now + INVITE_VALID_FOR)
        await uow.commit()
    return [Reply(invite_text(actor.lang, enterprise.name, code, deps))]


async def start(actor: Actor, deps: Deps, args: str, chat: Capabilities = TELEGRAM_LIKE) -> list[Reply]:
    """/start, or /start CODE from a deep link: binds this chat to the invited enterprise."""
    code = args.strip().strip("。.，,；;")  # copied with the sentence's punctuation
    if not code or actor.is_staff:
        return [_with_share_button(actor, chat, help_text(actor))]
    assert actor.contact_id is not None
    async with deps.storage() as uow:
        enterprise_id = await uow.invites.redeem(code, actor.contact_id, deps.clock())
        enterprise = await uow.enterprises.get(enterprise_id) if enterprise_id else None
        if enterprise is None:
            return [_with_share_button(actor, chat, Reply(t(actor.lang, "binding.bad_code")))]
        await uow.contacts.bind(actor.contact_id, enterprise.id)
        handed_over = await hand_over_visit_tickets(uow, deps, actor.contact_id)
        await uow.commit()
    return [Reply(t(actor.lang, "binding.bound", company=enterprise.name)), help_text(actor), *handed_over]


def _with_share_button(actor: Actor, chat: Capabilities, reply: Reply) -> Reply:
    """An enterprise's person not bound yet may bind by sharing their number where the chat has a
    button for it; elsewhere (WeCom binds by the member's mobile on its own) neither button nor hint."""
    if actor.is_staff or actor.enterprise_id is not None or not chat.shares_phone:
        return reply
    button = Button(t(actor.lang, "binding.share_phone_button"), SHARE_PHONE)
    return Reply(reply.text + "\n\n" + t(actor.lang, "binding.share_phone_hint"), buttons=(button,))


async def shared_phone(inbound: Inbound, actor: Actor, deps: Deps) -> list[Reply]:
    """The sender shared their own number: the one enterprise it is on record for (its roster, an
    open invite made for it, another chat bound with it) takes the chat, audited as a binding by
    mobile is; several such enterprises bind nothing. The number is kept with the contact either way."""
    phone = comparable_phone(inbound.shared_phone or "", international=True)
    if actor.is_staff or actor.contact_id is None or phone is None:
        return [Reply(t(actor.lang, "binding.phone_unused"))]
    async with deps.storage() as uow:
        await uow.onboarding.set_phone(actor.contact_id, phone)
        if actor.enterprise_id is not None:
            await uow.commit()
            return [Reply(t(actor.lang, "binding.phone_kept"))]
        identity = f"{inbound.sender.channel}:{inbound.sender.user_id}"
        how = f"{inbound.sender.channel} shared contact"
        bound = await bind_by_mobile(uow, deps, actor.contact_id, identity, phone, how, international=True)
        await uow.commit()
    if bound.enterprise is None:
        if bound.outcome is Outcome.AMBIGUOUS:  # the records disagree whose person this is
            return [Reply(t(actor.lang, "mobile.ambiguous", last4=phone[-4:]))]
        return [Reply(t(actor.lang, "binding.phone_unknown"))]
    company = bound.enterprise.name
    return [Reply(t(actor.lang, "binding.bound", company=company)), help_text(actor), *bound.handed_over]


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
