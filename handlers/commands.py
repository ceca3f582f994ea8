"""The chat commands: each name, who may use it, and how its arguments are read."""

from __future__ import annotations

import difflib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.domain.errors import NotFound, Usage
from bot.domain.lifecycle import withdraw
from bot.domain.messages import Actor, Button, Capabilities, Reply
from bot.i18n import t
from handlers import (
    binding,
    centre_view,
    clusters,
    enterprise,
    follow_up,
    officer,
    onboarding,
    policy_drafting,
    reports,
    survey,
    web_signin,
)
from handlers.bulletin import delivery as bulletin
from handlers.campaigns import chat as campaign_chat
from handlers.campaigns import coverage as campaign_coverage
from handlers.campaigns import visit_record
from handlers.changes import load_ticket
from handlers.deps import Deps
from handlers.guides import guide
from handlers.help import help_text
from handlers.numbers import small_number
from handlers.roster import admin
from handlers.whoami import whoami

Handler = Callable[[Actor, Deps, str], Awaitable[list[Reply]]]
# A command whose answer depends on what the sender's chat can do (a contact button, say).
ChatHandler = Callable[[Actor, Deps, str, Capabilities], Awaitable[list[Reply]]]


@dataclass(frozen=True)
class Command:
    run: Handler
    who: str  # "staff", "enterprise" or "any"
    in_chat: ChatHandler | None = None  # how it runs when a chat sent it, if that differs from `run`


# A ticket's number as people type it: 12, #12, ＃１２ (a Chinese keyboard's full-width forms),
# 12号, 第12号, No.12; then white space or Chinese punctuation before the rest (12，已办结).
_AFTER_NUMBER = "，,。、：:；;！!"
_NUMBER = re.compile(
    rf"^\s*(?:[#＃]|第|No\.?\s*)?(\d+)(?:\s*号)?(?=$|[\s{_AFTER_NUMBER}])[\s{_AFTER_NUMBER}]*(.*)$",
    re.DOTALL | re.IGNORECASE,
)
_LARGEST_NUMBER = 2**31 - 1  # beyond any stored ticket: answer "not found", not "bad format"


_MOST_DIGITS = len(str(_LARGEST_NUMBER))


def _number_and_rest(command: str, args: str, need_text: bool) -> tuple[int, str]:
    match = _NUMBER.match(args)
    if match is None or (need_text and not match.group(2).strip()):
        raise Usage(command=command)
    digits = match.group(1)
    # Counted before int(): Python refuses to convert more than 4,300 digits, and no ticket has them.
    if len(digits.lstrip("0")) > _MOST_DIGITS or int(digits) > _LARGEST_NUMBER:
        shown = digits if len(digits) <= _MOST_DIGITS + 2 else digits[: _MOST_DIGITS + 2] + "…"
        raise NotFound(ticket=f"#{shown}")
    return int(digits), match.group(2).strip()


def split_command(text: str) -> tuple[str, str]:
    """`/take@xiaoer_bot 12 …` → ("take", "12 …"); a bare `/` (or one followed only by white
    space) names no command: ("", "")."""
    parts = text.removeprefix("/").split(maxsplit=1)  # any white space, the full-width one included
    if not parts:
        return "", ""
    return parts[0].split("@")[0].lower(), parts[1] if len(parts) > 1 else ""


def unknown_command(name: str, actor: Actor) -> Reply:
    """No such command: say so, and name the nearest one this person may use, if any is near."""
    if not name:
        return Reply(t(actor.lang, "error.no_command"))
    usable = [
        known
        for known, command in COMMANDS.items()
        if command.who == "any" or (command.who == "staff") == actor.is_staff
    ]
    near = difflib.get_close_matches(name, usable, n=1, cutoff=0.6)
    if near:
        return Reply(t(actor.lang, "error.unknown_command_near", command=name[:40], near=near[0]))
    return Reply(t(actor.lang, "error.unknown_command", command=name[:40]))


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
    return [help_text(actor, deps.directory)]


async def _mine(actor: Actor, deps: Deps, args: str) -> list[Reply]:
    return await officer.my_queue(actor, deps)


def _optional_number_text(
    command: str, run: Callable[[Actor, Deps, int | None, str], Awaitable[list[Reply]]]
) -> Handler:
    """`/urge`, `/urge 12`, `/urge 12 reason`, `/urge reason`: no number means the latest open ticket."""

    async def handler(actor: Actor, deps: Deps, args: str) -> list[Reply]:
        if not _NUMBER.match(args):
            return await run(actor, deps, None, args.strip())
        number, text = _number_and_rest(command, args, need_text=False)
        return await run(actor, deps, number, text)

    return handler


def _answer(question: str, value: str) -> Handler:
    """/confirm N, /partly N, /notresolved N [reason]: the survey's first question, typed."""
    command = {"resolved": "confirm", "partly": "partly", "not_resolved": "notresolved"}[value]

    async def handler(actor: Actor, deps: Deps, args: str) -> list[Reply]:
        number, text = _number_and_rest(command, args, need_text=False)
        return await survey.answer(actor, deps, number, question, value, text)

    return handler


async def _rate(actor: Actor, deps: Deps, args: str) -> list[Reply]:
    """/rate N satisfied|basically|dissatisfied [comment]"""
    number, rest = _number_and_rest("rate", args, need_text=True)
    value, _, text = rest.partition(" ")
    if value not in ("satisfied", "basically", "dissatisfied"):
        raise Usage(command="rate")
    return await survey.answer(actor, deps, number, "s", value, text)


def _extension(approve: bool) -> Handler:
    async def handler(actor: Actor, deps: Deps, args: str) -> list[Reply]:
        number, text = _number_and_rest("approve" if approve else "rejectext", args, need_text=not approve)
        return await officer.decide_extension(actor, deps, number, text, approve)

    return handler


COMMANDS: dict[str, Command] = {
    "start": Command(binding.start, "any", in_chat=binding.start),
    "invite": Command(binding.invite, "staff"),
    "lang": Command(binding.language, "any"),
    "help": Command(_help, "any"),
    "whoami": Command(whoami, "any"),
    "status": Command(_status, "any"),
    "mine": Command(_mine, "staff"),
    "open": Command(centre_view.open_tickets, "staff"),  # the centre-wide view
    "find": Command(centre_view.find, "staff"),
    "invites": Command(onboarding.report_command, "staff"),  # how far binding has come
    "officer": Command(admin.officer_command, "staff"),  # the organisation, for admins and heads
    "liaison": Command(admin.liaison_command, "staff"),
    "company": Command(admin.company_command, "staff"),
    "take": Command(_numbered("take", officer.take_ticket), "staff"),
    "reply": Command(_numbered_text("reply", officer.reply_to_enterprise), "staff"),
    "resolve": Command(_numbered_text("resolve", officer.resolve_ticket), "staff"),
    "history": Command(_numbered("history", officer.history), "staff"),
    "ask": Command(_numbered_text("ask", officer.ask_enterprise), "staff"),
    "note": Command(_numbered_text("note", officer.note), "staff"),
    "transfer": Command(_numbered_text("transfer", officer.transfer), "staff"),
    "cohandle": Command(_numbered_text("cohandle", officer.co_handle), "staff"),
    "return": Command(_numbered_text("return", officer.return_to_dispatch), "staff"),
    "dispatch": Command(_numbered_text("dispatch", officer.redispatch), "staff"),
    "assign": Command(_numbered_text("assign", officer.assign), "staff"),
    "extend": Command(_numbered_text("extend", officer.request_extension), "staff"),
    "approve": Command(_extension(approve=True), "staff"),
    "rejectext": Command(_extension(approve=False), "staff"),
    "merge": Command(_numbered_text("merge", officer.merge), "staff"),
    "confidential": Command(_numbered_text("confidential", officer.confidential), "staff"),
    "cluster": Command(_numbered_text("cluster", clusters.group), "staff"),
    "replyall": Command(_numbered_text("replyall", clusters.reply_all), "staff"),
    "resolveall": Command(_numbered_text("resolveall", clusters.resolve_all), "staff"),
    "report": Command(reports.report_command, "staff"),
    "bulletin": Command(bulletin.latest_command, "staff"),  # the latest leadership bulletin (动态)
    "confirm": Command(_answer("r", "resolved"), "enterprise"),
    "partly": Command(_answer("r", "partly"), "enterprise"),
    "notresolved": Command(_answer("r", "not_resolved"), "enterprise"),
    "rate": Command(_rate, "enterprise"),
    "comment": Command(_numbered_text("comment", survey.add_comment), "enterprise"),
    "info": Command(_optional_number_text("info", follow_up.add_information), "enterprise"),
    "urge": Command(_optional_number_text("urge", follow_up.press), "enterprise"),
    "withdraw": Command(_optional_number_text("withdraw", follow_up.take_back), "enterprise"),
    "publish": Command(policy_drafting.start, "staff"),
    "guide": Command(guide, "staff"),  # the next-step buttons under a ticket's group post
    # door-knocking campaigns (handlers/campaigns): heads and admins run them, officers visit
    "campaign": Command(campaign_chat.campaign_command, "staff"),
    "visit": Command(visit_record.command, "staff"),
    "visits": Command(campaign_coverage.my_visits, "staff"),
    "done": Command(visit_record.done, "staff"),
    "web": Command(web_signin.web, "staff"),  # a sign-in link for the web console
}


# Commands officers may also give by pressing a button under a notice ("cmd:take:12").
STAFF_BUTTONS = frozenset({"take", "approve", "history", "guide"})


async def ticket_button(actor: Actor, deps: Deps, args: str, capabilities: Capabilities) -> list[Reply]:
    """`ent:info:N` asks for the information (a reply to that message adds it, or, where a chat
    has no quoted replies, `/info N`), `ent:urge:N` urges, `ent:withdraw:N` asks to confirm,
    `ent:withdraw!:N` withdraws."""
    action, _, number_text = args.partition(":")
    number = small_number(number_text)
    if number is None:
        raise NotFound(ticket=f"#{number_text[:12]}")
    if action in ("info", "withdraw"):
        # Asked only about the presser's own ticket, and a withdrawal only while it can be: a
        # stale or forged button is refused now, not after its "are you sure?" was answered.
        ticket = await load_ticket(deps, actor, number)
        if action == "withdraw":
            withdraw(ticket, actor, "", deps.clock())  # the domain's refusal, nothing stored
    if action == "info":
        if not capabilities.quoted_replies:
            return [Reply(t(actor.lang, "capability.info_prompt", ref=f"#{number}", number=number))]
        return [Reply(t(actor.lang, "intake.info_prompt", ref=f"#{number}"), ticket=number)]
    if action == "urge":
        return await follow_up.press(actor, deps, number, "")
    if action == "withdraw":
        confirm = Button(t(actor.lang, "intake.button_withdraw_confirm"), f"ent:withdraw!:{number}")
        return [Reply(t(actor.lang, "intake.withdraw_confirm", ref=f"#{number}"), buttons=(confirm,))]
    if action == "withdraw!":
        return await follow_up.take_back(actor, deps, number, "")
    return [Reply(t(actor.lang, "error.stale_button"))]


async def survey_button(actor: Actor, deps: Deps, args: str) -> list[Reply]:
    """`survey:N:r:resolved` / `survey:N:s:satisfied`."""
    number_text, question, value = ([*args.split(":"), "", "", ""])[:3]
    number = small_number(number_text)
    if number is None:
        raise NotFound(ticket=f"#{number_text[:12]}")
    return await survey.answer(actor, deps, number, question, value)
