"""An unverified sender's ticket is accepted at once; then Xiaoer asks, one question at a time,
for the company's full name and its unified social credit code, so officers can check who it is
(binding to the enterprise stays an officer's act: /invite)."""

from __future__ import annotations

from bot.domain.messages import Actor, Reply
from bot.i18n import t
from handlers.deps import Deps
from handlers.follow_up import add_information, own_tickets
from nlu.entities import extract
from storage.protocols import UnitOfWork

SKIP = frozenset({"跳过", "没有", "不知道", "skip", "none", "n/a", "no"})


async def first_question(actor: Actor, uow: UnitOfWork) -> Reply | None:
    """After an unverified sender's ticket: the next thing to ask, if anything is missing (noted as
    asked in the caller's unit of work)."""
    if actor.to_ask is None or actor.contact_id is None:
        return None
    contact = await uow.contacts.get(actor.contact_id)
    if contact is None or contact.next_question is None:
        return None
    asking = contact.next_question
    await uow.contacts.set_claims(
        actor.contact_id, company=contact.claimed_company, uscc=contact.claimed_uscc, asking=asking
    )
    return Reply(t(actor.lang, f"verify.ask_{asking}"))


async def pending_answer(actor: Actor, deps: Deps, text: str) -> list[Reply] | None:
    """The sender's answer to Xiaoer's open question, or None when no question is open."""
    if actor.is_staff or actor.contact_id is None or actor.asking is None:
        return None
    async with deps.storage() as uow:
        contact = await uow.contacts.get(actor.contact_id)
    if contact is None or contact.asking is None:
        return None
    answer = text.strip()
    skipped = answer.lower() in SKIP
    company, uscc = contact.claimed_company, contact.claimed_uscc
    replies: list[Reply] = []
    if contact.asking == "company":
        company = None if skipped else answer[:300]
        asking: str | None = "uscc"
        replies.append(Reply(t(actor.lang, "verify.ask_uscc")))
    else:
        found, _ = extract(answer)
        if isinstance(found.get("uscc"), str):
            uscc, asking = str(found["uscc"]), None
        elif isinstance(found.get("uscc_invalid"), str):
            return [Reply(t(actor.lang, "nlu.uscc_invalid", code=found["uscc_invalid"]))]  # still asking
        elif skipped:
            asking = None
        else:
            return [Reply(t(actor.lang, "verify.uscc_format"))]
        replies.append(Reply(t(actor.lang, "verify.thanks")))
    async with deps.storage() as uow:
        await uow.contacts.set_claims(contact.id or 0, company=company, uscc=uscc, asking=asking)
        await uow.commit()
    if asking is None and (company or uscc):  # tell the officers on the sender's latest ticket
        open_tickets = [ticket for ticket in await own_tickets(actor, deps) if ticket.status.is_open]
        if open_tickets:
            said = t(deps.default_lang, "verify.claims", company=company or "-", uscc=uscc or "-")
            notices = await add_information(actor, deps, open_tickets[0].number, said)
            replies += [r for r in notices if r.to != replies[0].to]
    return replies
