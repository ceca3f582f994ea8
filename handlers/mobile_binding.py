"""Binding a member by the mobile their platform vouches for (WeCom): when an unbound member writes,
the platform's directory is asked for their mobile; where the app may not read it, the member is
offered a link to consent to it being read (WeCom's OAuth, handled by the channel's redirect route,
which calls `consent_given`). A mobile that exactly one enterprise's records list binds the member
to it; one listed by none, or by several (the records disagree about whose person this is), binds
nothing, and the member is told to ask their liaison officer for a code. Every binding is audited
in the organisation's log (kind `contact`, action `bind`), beside the codes' own record of use.

A link's secret is single use, expires, and is stored hashed (storage/binding_protocols.py)."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, replace
from datetime import timedelta
from enum import StrEnum

from bot.domain.enterprise import Enterprise
from bot.domain.messages import Actor, Inbound, Reply, ToChat
from bot.domain.org import OrgChange
from bot.domain.phones import comparable_phone
from bot.domain.web_console import token_hash
from bot.i18n import t
from handlers.campaigns.stand_in import hand_over_visit_tickets
from handlers.deps import Deps
from handlers.mobile_sources import MobileSource
from storage.protocols import UnitOfWork
from storage.web_protocols import TokenState

log = logging.getLogger(__name__)

STATE_BYTES = 20  # 160 bits, written as 40 hex digits: WeCom's state takes a-zA-Z0-9, up to 128


class Outcome(StrEnum):
    BOUND = "bound"
    UNKNOWN = "unknown"  # no enterprise lists the mobile
    AMBIGUOUS = "ambiguous"  # several do
    NO_MOBILE = "no_mobile"  # the platform gave none (or not a number)
    ALREADY = "already"  # the member was bound meanwhile (a code, another link)
    OTHER_MEMBER = "other_member"  # the link was made for someone else (it was passed on)
    FAILED = "failed"  # the platform would not say who consented, or their mobile


@dataclass(frozen=True, slots=True)
class Consented:
    """What a consent came to: for the page the member's browser shows, and for their chat."""

    outcome: Outcome | TokenState
    lang: str
    company: str | None = None
    replies: tuple[Reply, ...] = ()


@dataclass(frozen=True, slots=True)
class Bound:
    outcome: Outcome
    enterprise: Enterprise | None = None
    handed_over: tuple[Reply, ...] = ()  # the open tickets a visit opened for it, now its own


async def bind_by_mobile(
    uow: UnitOfWork,
    deps: Deps,
    contact_id: int,
    identity: str,
    mobile: str | None,
    how: str,
    *,
    international: bool = False,
) -> Bound:
    """Bind the contact to the one enterprise the mobile speaks for, with the number kept and the
    binding audited, and hand it the tickets a visit opened for that enterprise; `identity` names
    the chat (`wecom:ChenZong`), `how` the way the number came, `international` that the platform
    always gives the country code (Telegram's shared contacts)."""
    phone = comparable_phone(mobile or "", international=international)
    if phone is None:
        return Bound(Outcome.NO_MOBILE)
    now = deps.clock()
    candidates = await uow.mobile_binding.enterprises_of_mobile(phone, contact_id, now)
    if len(candidates) > 1:
        log.info(
            "%s: mobile ...%s is on record for %s enterprises: not bound",
            identity,
            phone[-4:],
            len(candidates),
        )
        return Bound(Outcome.AMBIGUOUS)
    enterprise = await uow.enterprises.get(candidates[0]) if candidates else None
    if enterprise is None:
        return Bound(Outcome.UNKNOWN)
    await uow.contacts.bind(contact_id, enterprise.id)
    await uow.onboarding.set_phone(contact_id, phone)
    await uow.mobile_binding.close_invites(phone, enterprise.id, contact_id, now)
    change = OrgChange(
        f"contact:{contact_id}",
        "contact",
        identity,
        "bind",
        {"enterprise_id": None},
        {"enterprise_id": enterprise.id, "phone": phone, "by": how},
    )
    await uow.org.record([change], now)
    handed_over = await hand_over_visit_tickets(uow, deps, contact_id)
    return Bound(Outcome.BOUND, enterprise, tuple(handed_over))


async def unbound_member(
    inbound: Inbound, actor: Actor, deps: Deps, *, first_message: bool
) -> tuple[Actor, list[Reply], list[Reply]] | None:
    """Before an unbound member's message is handled: bound by the mobile the platform gives, if
    it can; else, on their first message or a bare `/start`, told how to bind (the consent link
    and the code route). Returns the actor to handle the message as, what to say before its
    answers and what after; None where the sender's channel vouches for no mobile."""
    channel = inbound.sender.channel
    source = deps.mobile_sources.of(channel)
    if source is None or actor.is_staff or actor.enterprise_id is not None or actor.contact_id is None:
        return None
    text = inbound.text.strip()
    # a first message that redeems a code is using the other route: no need to offer this one
    speak = (first_message and not text.startswith("/start ")) or text == "/start"
    mobile = await source.mobile_of(inbound.sender.user_id)
    if mobile is not None:
        identity = f"{channel}:{inbound.sender.user_id}"
        async with deps.storage() as uow:
            bound = await bind_by_mobile(
                uow, deps, actor.contact_id, identity, mobile, f"{channel} directory"
            )
            await uow.commit()
        if bound.enterprise is not None:
            said = t(actor.lang, "mobile.bound", company=bound.enterprise.name, last4=_last4(mobile))
            return replace(actor, enterprise_id=bound.enterprise.id), [Reply(said)], [*bound.handed_over]
        if speak and bound.outcome is not Outcome.NO_MOBILE:
            said = t(actor.lang, f"mobile.{bound.outcome.value}", last4=_last4(mobile))
            return actor, [], [Reply(said)]
    if not speak:
        return actor, [], []
    offer = await _offer(inbound, actor, deps, source, asked=text == "/start")
    return actor, [], [offer] if offer is not None else []


async def _offer(
    inbound: Inbound, actor: Actor, deps: Deps, source: MobileSource, *, asked: bool
) -> Reply | None:
    """How to bind: a fresh consent link where the channel can make one, and the code route; with
    no link to give, the code route alone, only to a member who `asked` (a bare `/start`)."""
    state = secrets.token_hex(STATE_BYTES)
    link = source.consent_link(state)
    if link is None:
        return Reply(t(actor.lang, "mobile.offer_code")) if asked else None
    now = deps.clock()
    minutes = source.link_minutes
    async with deps.storage() as uow:
        await uow.mobile_binding.add_link(
            token_hash(state),
            inbound.sender.channel,
            inbound.sender.user_id,
            now,
            now + timedelta(minutes=minutes),
        )
        await uow.commit()
    return Reply(t(actor.lang, "mobile.offer", link=link, minutes=minutes))


async def refused_link(deps: Deps, state: str | None) -> Consented | None:
    """None while a consent link is still good (checked before the platform is asked anything
    about it); else why not, for the page. `state` None: not even shaped like one."""
    if state is None:
        return Consented(TokenState.UNKNOWN, deps.default_lang)
    async with deps.storage() as uow:
        found, _ = await uow.mobile_binding.look_at_link(token_hash(state), deps.clock())
    if found is TokenState.VALID:
        return None
    log.info("a mobile link refused: %s", found.value)
    return Consented(found, deps.default_lang)


def not_told(deps: Deps) -> Consented:
    """The platform would not say who consented or what their mobile is."""
    return Consented(Outcome.FAILED, deps.default_lang)


async def consent_given(deps: Deps, channel: str, state: str, user_id: str, mobile: str | None) -> Consented:
    """The member consented and the platform gave `user_id`'s mobile (None: it gave none): the
    link is used up, and the member bound by it if it speaks for one enterprise. Call it where
    the replies are queued in the same transaction (the channel's host does)."""
    now = deps.clock()
    async with deps.storage() as uow:
        found, link = await uow.mobile_binding.use_link(token_hash(state), now)
        contact = await uow.contacts.by_identity(channel, user_id)
        lang = contact.lang if contact is not None else deps.default_lang
        if found is not TokenState.VALID or link is None:
            await uow.commit()
            return Consented(found, lang)
        if (link.channel, link.external_id) != (channel, user_id) or contact is None or contact.id is None:
            log.warning(
                "a %s mobile link made for %s was opened by %s: refused", channel, link.external_id, user_id
            )
            await uow.commit()
            return Consented(Outcome.OTHER_MEMBER, lang)
        to = ToChat(channel, user_id)
        if contact.enterprise_id is not None:
            bound_to = await uow.enterprises.get(contact.enterprise_id)
            await uow.commit()
            return Consented(Outcome.ALREADY, lang, bound_to.name if bound_to else None)
        bound = await bind_by_mobile(
            uow, deps, contact.id, f"{channel}:{user_id}", mobile, f"{channel} consent"
        )
        await uow.commit()
    if bound.enterprise is not None:
        said = t(lang, "mobile.bound", company=bound.enterprise.name, last4=_last4(mobile or ""))
        handed_over = tuple(replace(reply, to=to) for reply in bound.handed_over)
        return Consented(bound.outcome, lang, bound.enterprise.name, (Reply(said, to=to), *handed_over))
    said = t(lang, f"mobile.{bound.outcome.value}", last4=_last4(mobile or ""))
    return Consented(bound.outcome, lang, None, (Reply(said, to=to),))


def page_text(consented: Consented) -> tuple[str, str]:
    """The title and the sentence of the page the member's browser shows after consenting."""
    outcome = consented.outcome
    key = f"link_{outcome.value}" if isinstance(outcome, TokenState) else outcome.value
    lang = consented.lang
    body = t(lang, f"mobile.page.{key}", company=consented.company or "")
    return t(lang, "mobile.page.title"), body


def _last4(mobile: str) -> str:
    digits = [c for c in mobile if c.isdigit()]
    return "".join(digits[-4:])
