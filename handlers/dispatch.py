"""The one entry point for every channel: log what arrived, work out who sent it, then route a
command, a button press or free text to its handler, and turn refusals into clear replies."""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import replace

from bot.domain.errors import DomainError
from bot.domain.messages import Actor, Capabilities, Inbound, Reply, ToDepartment, ToOfficer
from bot.domain.text import storable_inbound
from bot.i18n import t
from handlers import (
    binding,
    chat_moves,
    follow_up,
    mobile_binding,
    officer,
    policy_answers,
    policy_buttons,
    policy_drafting,
    render,
)
from handlers.campaigns import visit_record
from handlers.commands import (
    COMMANDS,
    STAFF_BUTTONS,
    split_command,
    survey_button,
    ticket_button,
    unknown_command,
)
from handlers.deps import Deps
from handlers.explain import explain
from handlers.help import help_text, staff_free_text
from handlers.identity import resolve_sender
from handlers.understand import clarified, similar_choice, understand
from handlers.verification import then_ask_again

log = logging.getLogger(__name__)


async def handle(inbound: Inbound, deps: Deps) -> list[Reply]:
    if inbound.moved_to is not None:  # the platform's news, not a person's message
        return await chat_moves.announced(inbound, deps)
    inbound = storable_inbound(inbound)
    # What a person sent is logged before it is acted on. (A platform's second delivery of an
    # update never gets here: the inbox recognises it when it arrives, bot/runtime/conversations.)
    async with deps.storage() as uow:
        log_entry = await uow.messages.record(
            received_at=inbound.received_at,
            channel=inbound.sender.channel,
            chat_id=inbound.chat_id,
            sender_id=inbound.sender.user_id,
            text=inbound.text,
            payload=inbound.payload,
        )
        actor, first_message = await resolve_sender(uow, inbound.sender, deps)
        await uow.commit()
    try:
        before: list[Reply] = []
        after: list[Reply] = []
        if not actor.is_staff and actor.enterprise_id is None:  # bound by the platform's word?
            met = await mobile_binding.unbound_member(inbound, actor, deps, first_message=first_message)
            if met is not None:
                actor, before, after = met
                if inbound.text.strip() == "/start" and actor.enterprise_id is None:
                    return await protect([help_text(actor), *after], deps)  # no button to share a phone
        replies = before + await _route(inbound, actor, deps, log_entry) + after
    except DomainError as error:
        return [Reply(explain(error, actor, deps.directory))]
    except Exception:  # a bug or an outage: the message is logged, the person is told to retry
        log.exception("message %s from %s could not be handled", log_entry, inbound.sender.user_id)
        return [Reply(t(actor.lang, "error.internal"))]
    return await protect(replies, deps)


async def protect(replies: list[Reply], deps: Deps) -> list[Reply]:
    """What officer groups may read, decided once for every handler: phone, ID-card and
    bank-account numbers masked, and a confidential ticket's news goes to the department's head
    alone, never to the group."""
    numbers = {r.ticket for r in replies if isinstance(r.to, ToDepartment) and r.ticket is not None}
    confidential: set[int] = set()
    if numbers:
        async with deps.storage() as uow:  # the handler's own, joined, knows what it just wrote
            confidential = await uow.tickets.confidential(numbers)
    protected = []
    for reply in replies:
        if isinstance(reply.to, ToDepartment):
            if reply.ticket in confidential:
                department = deps.directory.departments.get(reply.to.department_id)
                head = department.head_officer_id if department else None
                if head is not None:
                    protected.append(replace(reply, to=ToOfficer(head)))
                continue
            reply = replace(reply, text=render.mask_private(reply.text))
        protected.append(reply)
    return protected


async def _route(inbound: Inbound, actor: Actor, deps: Deps, log_entry: int) -> list[Reply]:
    if inbound.shared_phone is not None:  # the contact button: the platform vouches for the number
        return await binding.shared_phone(inbound, actor, deps)
    if inbound.payload is not None:
        name, _, args = inbound.payload.partition(":")
        if name == "clarify" and not actor.is_staff:
            return await clarified(inbound, actor, deps, args)
        if name == "similar" and not actor.is_staff:
            return await similar_choice(inbound, actor, deps, args)
        if name == "survey" and not actor.is_staff:
            return await survey_button(actor, deps, args)
        if name == "ent" and not actor.is_staff:  # the buttons under an acknowledgement
            return await ticket_button(actor, deps, args, inbound.capabilities)
        if name == "pol":  # under policy notices (enterprises) and draft previews (officers)
            return await policy_buttons.press(inbound, actor, deps, args)
        if name == "polq" and not actor.is_staff:  # none of the policies found answers the question
            return await policy_answers.to_person(inbound, actor, deps, args)
        if name == "visit" and actor.is_staff:  # the questions of a visit being recorded
            return await visit_record.press(actor, deps, args)
        if name == "media":  # a picture, a voice message, a file: what the channel cannot pass on
            kind, _, ref = args.partition(":")
            kept = await visit_record.keep_file(actor, deps, kind, ref) if actor.is_staff and ref else None
            if not inbound.text.strip():
                return kept if kept is not None else [Reply(t(actor.lang, "error.text_only"))]
            # A caption is what the person wrote: read like a text, the attachment beside it kept
            # with a visit being recorded or else said to be unread (nothing is dropped silently).
            words = await _route(replace(inbound, payload=None), actor, deps, log_entry)
            unread = [] if kept else [Reply(t(actor.lang, "error.caption_only"))]
            return [*(kept or []), *unread, *words]
        if name == "edited":  # a message changed after it was sent: what it said first was acted on
            return [Reply(t(actor.lang, "error.edit_unread"))]
        if name == "cmd" and actor.is_staff:  # an officer's button: the same as typing the command
            command, _, command_args = args.partition(":")
            if command in STAFF_BUTTONS:
                return await _run_command(command, command_args, actor, deps)
        return [Reply(t(actor.lang, "error.stale_button"))]
    text = inbound.text.strip()
    if text.startswith("／"):  # a full-width keyboard's slash
        text = "/" + text[1:]
    if text.startswith("/"):
        name, args = split_command(text)
        replies = await _run_command(name, args, actor, deps, inbound.capabilities)
        replies += await visit_record.still_waiting(actor, deps, name)  # a visit being recorded
        return await then_ask_again(actor, deps, replies)  # a question Xiaoer still waits on
    if not visible(text):
        return [Reply(t(actor.lang, "error.empty_text"))]
    if inbound.reply_to is not None:
        async with deps.storage() as uow:
            number = await uow.sent.ticket_for(inbound.sender.channel, inbound.chat_id, inbound.reply_to)
        if number is not None:  # a reply to a message about a ticket continues that ticket
            if actor.is_staff:
                return await officer.reply_to_enterprise(actor, deps, number, text)
            return await follow_up.add_information(actor, deps, number, text)
    if actor.is_staff:
        visiting = await visit_record.answer(actor, deps, text)  # a visit being recorded in chat
        if visiting is not None:
            return visiting
        drafting = await policy_drafting.answer(actor, deps, text)  # a policy being written in chat
        return drafting if drafting is not None else [staff_free_text(actor)]
    return await understand(inbound, actor, deps, log_entry)


async def _run_command(
    name: str, args: str, actor: Actor, deps: Deps, chat: Capabilities | None = None
) -> list[Reply]:
    command = COMMANDS.get(name)
    if command is None:
        return [unknown_command(name, actor)]
    if command.who == "staff" and not actor.is_staff:
        return [Reply(t(actor.lang, "error.staff_only", command=name))]
    if command.who == "enterprise" and actor.is_staff:
        return [Reply(t(actor.lang, "error.enterprise_only", command=name))]
    if chat is not None and command.in_chat is not None:
        return await command.in_chat(actor, deps, args, chat)
    return await command.run(actor, deps, args)


def visible(text: str) -> bool:
    """Whether anything shows: zero-width spaces, direction marks and the like (Unicode's format
    characters) alone are an empty message, not a demand to ask about and open as a ticket."""
    return any(not c.isspace() and unicodedata.category(c) != "Cf" for c in text)
