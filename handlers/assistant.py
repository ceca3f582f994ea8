"""What a conversational assistant (a Rasa assistant, through `xiaoer rasa-actions`) may do for the
person it talks to: open a demand, hear how a ticket stands, urge it, ask about policies. The
assistant's slots map to Xiaoer's: `company` and `credit_code` name the enterprise (a credit code
registered with Xiaoer binds the conversation to it: the assistant is configured by the centre and
trusted as an API key is), `category` is the demand's category. Each use case returns what to say:
the replies for the person (the assistant utters them) and those for officers (queued in the
outbox by the caller, in the transaction of the change)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.domain.categories import CATEGORIES
from bot.domain.enterprise import Contact
from bot.domain.messages import Actor, Inbound, Reply, Sender, ToChat, ToSender
from bot.i18n import t
from handlers import follow_up, policy_answers
from handlers.deps import Deps
from handlers.identity import contact_actor
from handlers.intake import open_demand
from nlu.types import Parse

CHANNEL = "rasa"  # the identity of a person talking to the assistant: its sender_id


@dataclass(frozen=True)
class Slots:
    company: str | None = None
    credit_code: str | None = None
    category: str | None = None


async def assistant_actor(deps: Deps, sender_id: str, slots: Slots) -> Actor:
    """The person the assistant talks to, as a contact of Xiaoer (made on first use)."""
    async with deps.storage() as uow:
        contact = await uow.contacts.by_identity(CHANNEL, sender_id)
        if contact is None:
            contact = await uow.contacts.add(
                Contact(None, CHANNEL, sender_id, slots.company or "", deps.default_lang)
            )
        if contact.enterprise_id is None and slots.credit_code:
            code = slots.credit_code.strip().upper()
            match = next((e for e in await uow.enterprises.all() if (e.uscc or "").upper() == code), None)
            if match is not None:
                assert contact.id is not None
                await uow.contacts.bind(contact.id, match.id)
                contact = replace(contact, enterprise_id=match.id)
            else:
                assert contact.id is not None
                await uow.contacts.set_claims(contact.id, company=slots.company, uscc=code, asking=None)
        await uow.commit()
    return contact_actor(contact)


def for_person(replies: Sequence[Reply], sender_id: str) -> list[str]:
    """What the assistant utters: the replies to the person (to the sender, or to its chat)."""
    return [
        r.text
        for r in replies
        if isinstance(r.to, ToSender) or (isinstance(r.to, ToChat) and r.to == ToChat(CHANNEL, sender_id))
    ]


async def open_from_assistant(
    deps: Deps, actor: Actor, sender_id: str, text: str, parse: Parse, category: str | None
) -> tuple[int, list[Reply]]:
    if category in CATEGORIES:
        parse = replace(parse, category=category, category_confidence=1.0)
    parse = replace(parse, intent="report_demand")
    now = deps.clock()
    async with deps.storage() as uow:
        entry = await uow.messages.record(
            received_at=now, channel=CHANNEL, chat_id=sender_id, sender_id=sender_id, text=text, payload=None
        )
        await uow.commit()
    inbound = Inbound(Sender(CHANNEL, sender_id), sender_id, text, now)
    replies = await open_demand(inbound, actor, parse, deps, entry, check_repeats=False)
    number = next(r.ticket for r in replies if r.ticket is not None)
    return number, replies


async def status(deps: Deps, actor: Actor, number: int | None) -> list[Reply]:
    return await follow_up.progress(actor, deps, number)


async def urge(deps: Deps, actor: Actor, number: int | None, text: str) -> list[Reply]:
    return await follow_up.press(actor, deps, number, text)


async def policy_answer(
    deps: Deps, actor: Actor, question: str, category: str | None
) -> tuple[str, list[int]]:
    """The registry's answer to a policy question, and the policies it names (none: it says so)."""
    found = await policy_answers.matching_policies(deps, actor, question, category)
    if not found:
        return t(actor.lang, "assistant.no_policy"), []
    return policy_answers.answers_text(found, actor.lang, deps), [p.id for p in found if p.id is not None]
