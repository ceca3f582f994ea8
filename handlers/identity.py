"""Who is speaking: an officer from the directory, or a contact from the contact book, and the
language to answer a contact in."""

from __future__ import annotations

from dataclasses import replace

from bot.domain.enterprise import Contact
from bot.domain.messages import Actor, Role, Sender
from bot.i18n import normalize_lang
from handlers.deps import Deps
from nlu.lang import clear_lang
from storage.protocols import UnitOfWork


async def resolve_actor(uow: UnitOfWork, sender: Sender, deps: Deps) -> Actor:
    """Officers are recognised by their configured chat identity; everyone else is a contact,
    created on first contact (unbound to any enterprise until verified)."""
    actor, _ = await resolve_sender(uow, sender, deps)
    return actor


async def resolve_sender(uow: UnitOfWork, sender: Sender, deps: Deps) -> tuple[Actor, bool]:
    """The actor (as `resolve_actor`), and whether it is a contact heard from for the first time."""
    officer = deps.directory.officer_by_identity(sender.channel, sender.user_id)
    if officer is not None:
        actor = Actor(
            role=officer.role,
            display_name=officer.name,
            lang=officer.lang,
            officer_id=officer.id,
            department_id=officer.department_id,
        )
        return actor, False
    contact = await uow.contacts.by_identity(sender.channel, sender.user_id)
    first = contact is None
    if contact is None:
        contact = await uow.contacts.add(
            Contact(
                id=None,
                channel=sender.channel,
                external_id=sender.user_id,
                display_name=sender.display_name or sender.user_id,
                lang=normalize_lang(sender.language, deps.default_lang),
            )
        )
    elif contact.unreachable_since is not None:  # they write to us: messages reach them again
        await uow.contacts.set_unreachable(sender.channel, sender.user_id, None)
    return contact_actor(contact), first


def contact_actor(contact: Contact) -> Actor:
    """A contact as the handlers see it: the enterprise it speaks for, what it is being asked."""
    return Actor(
        role=Role.ENTERPRISE,
        display_name=contact.display_name,
        lang=contact.lang,
        contact_id=contact.id,
        enterprise_id=contact.enterprise_id,
        asking=contact.asking,
        to_ask=contact.next_question,
        lang_chosen=contact.lang_chosen,
    )


async def follow_language(actor: Actor, deps: Deps, text: str) -> Actor:
    """Replies follow the language a contact writes in, not only its app's language setting: a
    message clearly written in one language switches the conversation to it, and the switch is
    stored, so that what says nothing about language (a number pressing a choice, "ok", a
    command, a name or a code) keeps the conversation's last language. A language the contact
    chose with /lang is kept whatever it writes. Officers read the language configured for them."""
    if actor.is_staff or actor.contact_id is None or actor.lang_chosen:
        return actor
    written = clear_lang(text)
    if written is None or normalize_lang(written) == normalize_lang(actor.lang):
        return actor
    lang = normalize_lang(written)
    async with deps.storage() as uow:
        await uow.contacts.set_lang(actor.contact_id, lang)
        await uow.commit()
    return replace(actor, lang=lang)


async def language_of(deps: Deps, channel: str, user_id: str) -> str:
    """The language to write to someone on `channel` in: an officer's from the directory, an
    enterprise contact's as stored, else the default (for a channel that renders choices in words)."""
    officer = deps.directory.officer_by_identity(channel, user_id)
    if officer is not None:
        return officer.lang
    async with deps.storage() as uow:
        contact = await uow.contacts.by_identity(channel, user_id)
    return contact.lang if contact is not None else deps.default_lang
