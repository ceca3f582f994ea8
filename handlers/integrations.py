"""What the HTTP API does, as use cases: a demand opened on an enterprise's behalf (routed and
announced exactly as one from chat), events added to a ticket by another platform, a ticket
closed as resolved elsewhere, and a ticket handed to an external platform. Each returns the
replies to queue; the API queues them in the transaction of the change (Outgoing.run)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from bot.domain import lifecycle
from bot.domain.enterprise import Contact
from bot.domain.errors import DomainError
from bot.domain.messages import Actor, Inbound, Reply, Role, Sender
from bot.domain.outbox import Origin
from bot.domain.text import storable
from bot.domain.tickets import Outcome
from handlers import officer
from handlers.changes import change_ticket
from handlers.deps import Deps
from handlers.identity import contact_actor
from handlers.intake import open_demand
from nlu.types import Parse

API_CHANNEL = "api"  # the identity of an enterprise that has no contact on a chat channel yet


class UnknownEnterprise(DomainError):
    key = "api.unknown_enterprise"


class UnknownPlatform(DomainError):
    key = "api.unknown_platform"


def api_actor(key_name: str, lang: str) -> Actor:
    """An API key acts as an administrator in the audit log, named `api:<key name>`."""
    return Actor(role=Role.ADMIN, display_name=key_name, lang=lang, officer_id=f"api:{key_name}")


async def enterprise_contact(deps: Deps, enterprise_id: str, channels: Collection[str]) -> Contact:
    """Whom a demand opened for the enterprise belongs to: one of its people on a chat channel that
    runs (so it hears of its ticket there, as from chat), else its identity on the API."""
    async with deps.storage() as uow:
        enterprise = await uow.enterprises.get(enterprise_id)
        if enterprise is None:
            raise UnknownEnterprise(enterprise=enterprise_id)
        bound = [c for c in await uow.audience.bound_contacts(channels) if c.enterprise_id == enterprise_id]
        if bound:
            return bound[0]
        contact = await uow.contacts.by_identity(API_CHANNEL, enterprise_id)
        if contact is None:
            contact = await uow.contacts.add(
                Contact(None, API_CHANNEL, enterprise_id, enterprise.name, deps.default_lang, enterprise_id)
            )
            await uow.commit()
    return contact


async def open_for_enterprise(
    deps: Deps, contact: Contact, text: str, parse: Parse
) -> tuple[int, list[Reply], Origin]:
    """Open, route and announce a demand as the contact; the ticket's number, what to say, and
    where the contact's answers go."""
    text = storable(text)  # as a chat's message is kept (handlers.dispatch)
    now = deps.clock()
    origin = contact_origin(contact)
    async with deps.storage() as uow:
        entry = await uow.messages.record(
            received_at=now,
            channel=contact.channel,
            chat_id=contact.external_id,
            sender_id=contact.external_id,
            text=text,
            payload=None,
        )
        await uow.commit()
    actor = contact_actor(contact)
    inbound = Inbound(Sender(contact.channel, contact.external_id), contact.external_id, text, now)
    replies = await open_demand(inbound, actor, parse, deps, entry, check_repeats=False)
    number = next(r.ticket for r in replies if r.ticket is not None)
    return number, replies, origin


def contact_origin(contact: Contact) -> Origin:
    """Where the contact's answers go (its private chat: the chat id is its user id)."""
    return Origin(contact.channel, contact.external_id)


def as_demand(parse: Parse, category: str | None, urgent: bool | None) -> Parse:
    """What the caller says of the demand overrides what the model made of it."""
    parse = replace(parse, intent="report_demand")
    if category is not None:
        parse = replace(parse, category=category, category_confidence=1.0)
    if urgent is not None:
        parse = replace(parse, urgent=urgent)
    return parse


async def add_event(actor: Actor, deps: Deps, number: int, kind: str, text: str) -> list[Reply]:
    """`reply`: to the enterprise, as an officer's answer; `external_status`: the other platform's
    status, kept as a note; `note`: an internal note."""
    if kind == "reply":
        return await officer.reply_to_enterprise(actor, deps, number, text)
    if kind == "external_status":
        text = f"[{actor.display_name}] {text}"
    await change_ticket(deps, actor, number, lambda t: lifecycle.add_note(t, actor, text, deps.clock()))
    return []


async def close_resolved_elsewhere(actor: Actor, deps: Deps, number: int, result: str) -> list[Reply]:
    """The other platform resolved it: the result goes to the enterprise, which is asked, as after
    any answer, whether it is resolved (its verdict closes or reopens the ticket)."""
    return await officer.resolve_ticket(actor, deps, number, f"{Outcome.RESOLVED.value} {result}")


async def transfer_to_platform(
    actor: Actor, deps: Deps, number: int, platform: str, reason: str
) -> list[Reply]:
    """Hand the ticket to the external platform registered under that name; its subscription is
    sent the ticket (the `ticket.transferred` webhook) in the same transaction."""
    async with deps.storage() as uow:
        subscription = await uow.webhooks.platform(platform)
    if subscription is None:
        raise UnknownPlatform(platform=platform)
    await change_ticket(
        deps, actor, number, lambda t: lifecycle.hand_to_platform(t, actor, platform, reason, deps.clock())
    )
    return []
