"""The one entry point for every channel: log what arrived, work out who sent it, then route a
command, a button press or free text to its handler, and turn refusals into clear replies."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from bot.domain.errors import DomainError, NotFound, Usage
from bot.domain.messages import Actor, Inbound, Reply
from bot.i18n import t
from handlers import enterprise, officer
from handlers.deps import Deps
from handlers.explain import explain
from handlers.follow_up import press, take_back
from handlers.help import help_text, staff_free_text
from handlers.identity import resolve_actor
from handlers.understand import clarified, understand

Handler = Callable[[Actor, Deps, str], Awaitable[list[Reply]]]


@dataclass(frozen=True)
class Command:
    run: Handler
    who: str  # "staff", "enterprise" or "any"


_NUMBER = re.compile(r"^\s*#?(\d+)(?!\S)\s*(.*)$", re.DOTALL)
_LARGEST_NUMBER = 2**31 - 1  # beyond any stored ticket: answer "not found", not "bad format"


def _number_and_rest(command: str, args: str, need_text: bool) -> tuple[int, str]:
    match = _NUMBER.match(args)
    if match is None or (need_text and not match.group(2).strip()):
        raise Usage(command=command)
    number = int(match.group(1))
    if number > _LARGEST_NUMBER:
        raise NotFound(ticket=f"#{match.group(1)}")
    return number, match.group(2).strip()


async def _status(actor: Actor, deps: Deps, args: str) -> list[Reply]:
    """`/status` lists one's own tickets (an officer's: the queue); `/status N` shows one."""
    if args.strip():
        number, _ = _number_and_rest("status", args, need_text=False)
        return await enterprise.status(actor, deps, number)
    if actor.is_staff:
        return await officer.my_queue(actor, deps)
    return await enterprise.status(actor, deps)


def _numbered(command: str, run: Callable[[Actor, Deps, int], Awaitable[list[Reply]]]) -> Handler:
    async def handler(actor: Actor, deps: Deps, args: str) -> list[Reply]:
        number, _ = _number_and_rest(command, args, need_text=False)
        return await run(actor, deps, number)

    return handler


def _numbered_text(
    command: str, run: Callable[[Actor, Deps, int, str], Awaitable[list[Reply]]], text_required: bool = True
) -> Handler:
    async def handler(actor: Actor, deps: Deps, args: str) -> list[Reply]:
        number, text = _number_and_rest(command, args, need_text=text_required)
        return await run(actor, deps, number, text)

    return handler


async def _help(actor: Actor, deps: Deps, args: str) -> list[Reply]:
    return [help_text(actor)]


async def _mine(actor: Actor, deps: Deps, args: str) -> list[Reply]:
    return await officer.my_queue(actor, deps)


def _optional_number_text(
    command: str, run: Callable[[Actor, Deps, int | None, str], Awaitable[list[Reply]]]
) -> Handler:
    """`/urge`, `/urge 12`, `/urge 12 reason`: no number means the latest open ticket."""

    async def handler(actor: Actor, deps: Deps, args: str) -> list[Reply]:
        if not args.strip():
            return await run(actor, deps, None, "")
        number, text = _number_and_rest(command, args, need_text=False)
        return await run(actor, deps, number, text)

    return handler


COMMANDS: dict[str, Command] = {
    "start": Command(_help, "any"),
    "help": Command(_help, "any"),
    "status": Command(_status, "any"),
    "mine": Command(_mine, "staff"),
    "take": Command(_numbered("take", officer.take_ticket), "staff"),
    "reply": Command(_numbered_text("reply", officer.reply_to_enterprise), "staff"),
    "resolve": Command(_numbered_text("resolve", officer.resolve_ticket), "staff"),
    "history": Command(_numbered("history", officer.history), "staff"),
    "confirm": Command(_numbered("confirm", enterprise.confirm), "enterprise"),
    "notresolved": Command(
        _numbered_text("notresolved", enterprise.not_resolved, text_required=False), "enterprise"
    ),
    "urge": Command(_optional_number_text("urge", press), "enterprise"),
    "withdraw": Command(_optional_number_text("withdraw", take_back), "enterprise"),
}

# Buttons carry "command:args" payloads, handled exactly like the typed command.
_BUTTON_COMMANDS = frozenset({"confirm", "notresolved"})


def storable(text: str) -> str:
    """Text every database accepts: no NUL characters, no unpaired surrogates (undecodable input)."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


async def handle(inbound: Inbound, deps: Deps) -> list[Reply]:
    inbound = replace(
        inbound, text=storable(inbound.text), payload=storable(inbound.payload) if inbound.payload else None
    )
    # What a person sent is kept first, in its own transaction, whatever happens next.
    async with deps.storage() as uow:
        log_entry = await uow.messages.record(
            received_at=inbound.received_at,
            channel=inbound.sender.channel,
            chat_id=inbound.chat_id,
            sender_id=inbound.sender.user_id,
            text=inbound.text,
            payload=inbound.payload,
        )
        actor = await resolve_actor(uow, inbound.sender, deps)
        await uow.commit()
    try:
        return await _route(inbound, actor, deps, log_entry)
    except DomainError as error:
        return [Reply(explain(error, actor, deps.directory))]


async def _route(inbound: Inbound, actor: Actor, deps: Deps, log_entry: int) -> list[Reply]:
    if inbound.payload is not None:
        name, _, args = inbound.payload.partition(":")
        if name == "clarify" and not actor.is_staff:
            return await clarified(inbound, actor, deps, args)
        if name not in _BUTTON_COMMANDS:
            return [Reply(t(actor.lang, "error.stale_button"))]
        return await _run_command(name, args, actor, deps)
    text = inbound.text.strip()
    if text.startswith("/"):
        name, *rest = text[1:].split(maxsplit=1)  # any white space, the full-width one included
        return await _run_command(name.split("@")[0].lower(), rest[0] if rest else "", actor, deps)
    if not text:
        return [Reply(t(actor.lang, "error.empty_text"))]
    if actor.is_staff:
        return [staff_free_text(actor)]
    return await understand(inbound, actor, deps, log_entry)


async def _run_command(name: str, args: str, actor: Actor, deps: Deps) -> list[Reply]:
    command = COMMANDS.get(name)
    if command is None:
        return [Reply(t(actor.lang, "error.unknown_command", command=name))]
    if command.who == "staff" and not actor.is_staff:
        return [Reply(t(actor.lang, "error.staff_only", command=name))]
    if command.who == "enterprise" and actor.is_staff:
        return [Reply(t(actor.lang, "error.enterprise_only", command=name))]
    return await command.run(actor, deps, args)
