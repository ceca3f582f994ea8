"""Free text from an enterprise: understand it and act on it, or ask when the NLU is unsure.

A clarifying question offers the likeliest readings as buttons. The button carries the message
log entry, so the original text is read back from storage, never lost, and a reading acts once.
"""

from __future__ import annotations

from dataclasses import replace

from bot.domain.errors import DomainError
from bot.domain.messages import Actor, Button, Inbound, Reply
from bot.domain.tickets import Ticket
from bot.i18n import t
from handlers import follow_up, policy_questions, render, verification
from handlers.deps import Deps
from handlers.explain import explain
from handlers.help import greeting, not_understood
from handlers.human import ask_for_person
from handlers.identity import follow_language
from handlers.intake import continues_intake, open_demand
from handlers.numbers import small_number
from handlers.pending import TICKET_INTENTS, clearly_other, followed_by
from handlers.policy_answers import answer_inquiry
from nlu.types import NluUnavailable, Parse
from storage.protocols import LoggedMessage

MAX_CHOICES = 3
MIN_CHOICE_PROBABILITY = 0.1


# Offered when the NLU backend cannot be reached: the person still gets somewhere.
FALLBACK_RANKING = (("report_demand", 0.0), ("query_status", 0.0), ("human", 0.0))


async def understand(inbound: Inbound, actor: Actor, deps: Deps, log_entry: int) -> list[Reply]:
    text = inbound.text
    parse = await _parse(text, deps)
    # Xiaoer asked an unverified sender about its company: this is the answer, if shaped like one.
    verifying = actor.asking is not None and actor.to_ask is not None
    if verifying and verification.answers(actor.asking or "", text, parse, deps.clarify_below):
        answered = await verification.pending_answer(actor, deps, text)
        if answered is not None:
            return answered  # in the conversation's language: a name or a code says none
    actor = await follow_language(actor, deps, text)
    # An officer asked this enterprise something: what it writes now is the answer to that,
    # unless it is clearly something else (then the question is still open, and said so after).
    mine = await follow_up.own_tickets(actor, deps)
    waiting = follow_up.waiting_for_answer(mine)
    if waiting is not None:
        asked = next(ticket for ticket in mine if ticket.number == waiting)
        officers_question = await follow_up.question_of(deps, waiting)
        if follow_up.answers_officer(asked, text, parse, deps.clarify_below, officers_question):
            return await follow_up.add_information(actor, deps, waiting, text)
    # The sender pressed "ask a question" under a policy notice: this is the question, unless it
    # is a short greeting, thanks, urging … (then the question is asked for again, after it).
    aside = parse is not None and parse.intent not in TICKET_INTENTS
    aside = aside and clearly_other(parse, text, deps.clarify_below)
    if not aside:
        question = await policy_questions.pending_question(inbound, actor, deps, log_entry)
        if question is not None:
            return question
    if verifying and parse is not None:  # more about the demand whose company is being asked
        continued = await continues_intake(parse, inbound, actor, deps, log_entry, mine)
        if continued is not None:
            return await verification.then_ask_again(actor, deps, continued)
    replies = await _as_itself(parse, inbound, actor, deps, log_entry, mine)
    if verifying:
        replies = await verification.then_ask_again(actor, deps, replies)
    if waiting is not None:
        replies = followed_by(replies, await follow_up.still_asked(actor, deps, waiting))
    if aside:
        replies = followed_by(replies, await policy_questions.ask_again(actor, deps))
    return replies


async def _parse(text: str, deps: Deps) -> Parse | None:
    try:
        return await deps.nlu.parse(text)
    except NluUnavailable:
        return None


async def _as_itself(
    parse: Parse | None, inbound: Inbound, actor: Actor, deps: Deps, log_entry: int, mine: list[Ticket]
) -> list[Reply]:
    """Act on the message's own reading, or ask which reading is meant."""
    if parse is None:
        unsure = Parse(inbound.text, "zh", "out_of_scope", 0.0, FALLBACK_RANKING, None, 0.0, False)
        return [clarifying_question(unsure, actor, log_entry, min_probability=0.0)]
    replies: list[Reply] = []
    bad_code = parse.entities.get("uscc_invalid")
    if isinstance(bad_code, str):
        replies.append(Reply(t(actor.lang, "nlu.uscc_invalid", code=bad_code)))
        if len(inbound.text.replace(bad_code, "").strip()) < 6:
            return replies  # the message was the code alone: nothing else to act on
    if parse.confidence < deps.clarify_below:
        return [*replies, clarifying_question(parse, actor, log_entry)]
    try:
        return replies + await act(parse.intent, parse, inbound, actor, deps, log_entry, mine=mine)
    except DomainError as error:  # explained here, so that a question still open follows it
        return [*replies, Reply(explain(error, actor, deps.directory))]


async def act(
    intent: str,
    parse: Parse,
    inbound: Inbound,
    actor: Actor,
    deps: Deps,
    log_entry: int,
    *,
    check_repeats: bool = True,
    mine: list[Ticket] | None = None,
) -> list[Reply]:
    ref = parse.entities.get("ticket_ref")
    ticket_ref = ref if isinstance(ref, int) else None
    if intent == "policy_inquiry":  # answered from the policy registry; a ticket when nothing fits
        return await answer_inquiry(inbound, actor, replace(parse, intent=intent), deps, log_entry)
    if intent in TICKET_INTENTS:
        return await open_demand(
            inbound,
            actor,
            replace(parse, intent=intent),
            deps,
            log_entry,
            check_repeats=check_repeats,
            mine=mine,
        )
    if intent == "query_status":
        return await follow_up.progress(actor, deps, ticket_ref)
    if intent == "urge":
        return await follow_up.press(actor, deps, ticket_ref, inbound.text)
    if intent == "cancel":
        return await follow_up.take_back(actor, deps, ticket_ref, inbound.text)
    if intent == "feedback":
        return await follow_up.feedback(actor, deps, ticket_ref, inbound.text)
    if intent == "greeting":
        return [greeting(actor)]
    if intent == "human":
        return await ask_for_person(actor, deps, inbound.text)
    return [not_understood(actor)]


def clarifying_question(
    parse: Parse, actor: Actor, log_entry: int, min_probability: float = MIN_CHOICE_PROBABILITY
) -> Reply:
    choices = [
        intent
        for intent, probability in parse.intent_ranking
        if probability >= min_probability and intent != "out_of_scope"
    ][:MAX_CHOICES]
    buttons = [
        Button(_choice_label(intent, parse, actor.lang), f"clarify:{log_entry}:{intent}")
        for intent in choices
    ]
    buttons.append(Button(t(actor.lang, "clarify.none"), f"clarify:{log_entry}:none"))
    return Reply(t(actor.lang, "clarify.question"), buttons=tuple(buttons))


def _choice_label(intent: str, parse: Parse, lang: str) -> str:
    label = t(lang, f"intent.{intent}")
    if intent in TICKET_INTENTS and parse.category:
        label += (
            f"（{render.category_name(parse.category, lang)}）"
            if lang.startswith("zh")
            else (f" ({render.category_name(parse.category, lang)})")
        )
    return label


async def _own_unhandled(inbound: Inbound, deps: Deps, entry_text: str) -> LoggedMessage | None:
    """The logged message a button refers to, if the presser sent it, claimed so that the choice
    acts once however often the button is pressed."""
    entry = small_number(entry_text)
    if entry is None:
        return None
    async with deps.storage() as uow:
        logged = await uow.messages.get(entry)
        if (
            logged is None
            or logged.channel != inbound.sender.channel
            or logged.sender_id != inbound.sender.user_id
            or not await uow.messages.claim(entry, deps.clock())
        ):
            return None
        await uow.commit()
    return logged


async def similar_choice(inbound: Inbound, actor: Actor, deps: Deps, args: str) -> list[Reply]:
    """`similar:<entry>:add:<N>` or `similar:<entry>:new`: the answer to "add to your ticket?"."""
    entry_text, _, choice = args.partition(":")
    logged = await _own_unhandled(inbound, deps, entry_text)
    if logged is None:
        return [Reply(t(actor.lang, "error.stale_button"))]
    entry = int(entry_text)
    number = small_number(choice[4:]) if choice.startswith("add:") else None
    if number is not None:
        replies = await follow_up.add_information(actor, deps, number, logged.text)
        async with deps.storage() as uow:
            await uow.messages.link_ticket(entry, number)
            await uow.commit()
        return replies
    if choice == "new":
        original = replace(inbound, text=logged.text, chat_id=logged.chat_id, payload=None)
        parse = await deps.nlu.parse(logged.text)
        intent = parse.intent if parse.intent in TICKET_INTENTS else "report_demand"
        return await open_demand(
            original, actor, replace(parse, intent=intent), deps, entry, check_repeats=False
        )
    return [Reply(t(actor.lang, "error.stale_button"))]


async def clarified(inbound: Inbound, actor: Actor, deps: Deps, args: str) -> list[Reply]:
    """The sender picked a reading of an earlier message."""
    entry_text, _, intent = args.partition(":")
    stale = [Reply(t(actor.lang, "error.stale_button"))]
    logged = await _own_unhandled(inbound, deps, entry_text)
    if logged is None:
        return stale
    if intent == "none":
        return [Reply(t(actor.lang, "clarify.rephrase"))]
    if intent not in TICKET_INTENTS | {"query_status", "urge", "cancel", "feedback", "greeting", "human"}:
        return stale
    original = replace(inbound, text=logged.text, chat_id=logged.chat_id, payload=None)
    parse = await deps.nlu.parse(logged.text)
    return await act(intent, parse, original, actor, deps, int(entry_text), check_repeats=False)
