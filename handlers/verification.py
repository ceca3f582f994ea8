"""An unverified sender's ticket is accepted at once; then Xiaoer asks, one question at a time,
for the company's full name and its unified social credit code, so officers can check who it is
(binding to the enterprise stays an officer's act: /invite).

A question never swallows the next message: only a message shaped like the answer is taken as
it (a company name: a legal form, or a short name-like text the NLU sees nothing else in; a
credit code: a code, or a short try at one). Anything else is handled as itself and the question
is asked again after it, or dropped with a word once no open ticket is left to verify."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.domain.messages import Actor, Reply
from bot.i18n import t
from handlers.deps import Deps
from handlers.follow_up import add_information, own_tickets
from handlers.pending import clearly_other, followed_by, size
from nlu.entities import extract
from nlu.types import Parse
from storage.protocols import UnitOfWork

SKIP = frozenset({"跳过", "没有", "不知道", "skip", "none", "n/a", "no"})
# A short refusal, putting off or "no company" says "skip" too ("不方便", "稍后再说", "个体户").
SKIP_WORDS = re.compile(
    r"跳过|不方便|不便|不想说|不想提供|不提供|不告诉|保密|稍后|以后再|下次再|回头再"
    r"|没有公司|没注册|未注册|个体|\bskip\b"
)
SKIP_SIZE = 12
# How a name is introduced: "公司名称是…", "我们公司叫…", "全称：…".
NAME_INTRODUCED = re.compile(
    r"^\s*(?:我们|我司|本司|咱们)?(?:公司|企业|单位)?(?:的)?(?:全称|名称|名字|全名)?\s*(?:是|叫|为|[:：])\s*"
)
# Said to acknowledge the question, not to answer it: no company is called that.
ACKNOWLEDGEMENTS = frozenset(
    {"好", "好的", "嗯", "嗯嗯", "收到", "行", "明白", "知道了", "是", "是的", "对", "ok", "okay"}
)
NAME_SIZE = 20  # a company's name without its legal form is rarely longer (characters or words)
AROUND_NAME = 6  # "我们是…", "全称：…": what may stand around a full name given as the answer
SENTENCE_PUNCTUATION = frozenset("，。！？!?；;…")
# Words that make a text a sentence rather than a name: people, wishes, questions.
SENTENCE_WORDS = re.compile(
    r"我|你|您|咱|他们|她们|想|要|需要|请|帮|申请|能不能|可以|怎么|如何|什么|吗|呢|吧|了|没|问题|困难"
    r"|\b(?:we|our|i|you|please|need|want|help|how|what|can|could|would)\b",
    re.IGNORECASE,
)
_CODE_TRY = re.compile(r"[0-9A-Za-z]{10,}")  # a code mistyped, if mostly digits


def skipped(text: str) -> bool:
    bare = text.strip().lower().strip("。.!！")
    return bare in SKIP or (size(bare) <= SKIP_SIZE and SKIP_WORDS.search(bare) is not None)


def named(text: str) -> str:
    """The name itself, without the words that introduce it."""
    match = NAME_INTRODUCED.match(text)
    rest = text[match.end() :].strip() if match else ""
    return rest or text.strip()


def _sentence(text: str) -> bool:
    return any(c in SENTENCE_PUNCTUATION for c in text) or SENTENCE_WORDS.search(text) is not None


def _mostly_digits(run: str) -> bool:
    return sum(c.isdigit() for c in run) * 2 >= len(run)


def company_in(text: str) -> str | None:
    """The company's name, when the text is a name with a legal form (and little around it)."""
    name = extract(text)[0].get("company")
    if not isinstance(name, str) or "?" in text or "？" in text or _sentence(name):
        return None  # "我们还没注册公司": the legal form of a sentence, no name
    return name if size(text.replace(name, " ")) <= AROUND_NAME else None


def answers(asking: str, text: str, parse: Parse | None, clarify_below: float) -> bool:
    """Whether `text` is the answer to the verification question `asking` ("company" | "uscc")."""
    if skipped(text):
        return True
    if asking == "uscc":
        found, _ = extract(text)
        if (
            "uscc" in found
            or "uscc_invalid" in found
            or any(_mostly_digits(m) for m in _CODE_TRY.findall(text))
        ):
            return True
        short = size(text) <= NAME_SIZE and not any(c in SENTENCE_PUNCTUATION for c in text)
        return short and not clearly_other(parse, text, clarify_below)
    if company_in(text) is not None:
        return True
    name = named(text)
    if not _name_like(name):
        return False
    return name != text.strip() or not clearly_other(parse, text, clarify_below)  # introduced: a name


def _name_like(text: str) -> bool:
    """Short, no sentence, not a number, not an "ok"."""
    return (
        sum(c.isalnum() for c in text) >= 2
        and size(text) <= NAME_SIZE
        and not _sentence(text)
        and not text.strip().isdigit()
        and text.strip().lower().strip("。.!！~") not in ACKNOWLEDGEMENTS
    )


async def first_question(actor: Actor, uow: UnitOfWork) -> Reply | None:
    """After an unverified sender's ticket: the next thing to ask, if anything is missing (noted as
    asked in the caller's unit of work). The actor was resolved from the contact in this message's
    handling, and a message that opens a demand changes nothing of what the contact said about its
    company (an answer to the question is handled on its own), so its `to_ask` is the contact's
    next question: no second read."""
    if actor.to_ask is None or actor.contact_id is None:
        return None
    await uow.contacts.set_asking(actor.contact_id, actor.to_ask)
    return Reply(t(actor.lang, f"verify.ask_{actor.to_ask}"))


async def ask_again(actor: Actor, deps: Deps, already: Sequence[Reply] = ()) -> list[Reply]:
    """After a message that was not the answer: the open question once more (unless `already`
    says it), or, when the sender has no open ticket left to verify (or is bound now), the
    question dropped, with a word when the sender was waiting on it."""
    if actor.is_staff or actor.contact_id is None or actor.asking is None:  # asked nothing: no read
        return []
    async with deps.storage() as uow:
        contact = await uow.contacts.get(actor.contact_id)
    if contact is None or contact.asking is None:
        return []
    open_left = any(ticket.status.is_open for ticket in await own_tickets(actor, deps))
    if contact.next_question is None or not open_left:
        async with deps.storage() as uow:
            await uow.contacts.set_claims(
                contact.id or 0, company=contact.claimed_company, uscc=contact.claimed_uscc, asking=None
            )
            await uow.commit()
        return [] if contact.next_question is None else [Reply(t(contact.lang, "verify.dropped"))]
    question = t(contact.lang, f"verify.ask_{contact.asking}")
    return [] if any(reply.text == question for reply in already) else [Reply(question)]


async def then_ask_again(actor: Actor, deps: Deps, replies: list[Reply]) -> list[Reply]:
    """The replies to a message that was not the answer, then the open question (see ask_again)."""
    return followed_by(replies, await ask_again(actor, deps, replies))


async def pending_answer(actor: Actor, deps: Deps, text: str) -> list[Reply] | None:
    """The sender's answer to Xiaoer's open question, or None when no question is open."""
    if actor.is_staff or actor.contact_id is None or actor.asking is None:
        return None
    async with deps.storage() as uow:
        contact = await uow.contacts.get(actor.contact_id)
    if contact is None or contact.asking is None:
        return None
    answer = text.strip()
    skip = skipped(answer)
    company, uscc = contact.claimed_company, contact.claimed_uscc
    replies: list[Reply] = []
    if contact.asking == "company":
        company = None if skip else (company_in(answer) or named(answer))[:300]
        asking: str | None = "uscc"
        replies.append(Reply(t(actor.lang, "verify.ask_uscc")))
    else:
        found, _ = extract(answer)
        if isinstance(found.get("uscc"), str):
            uscc, asking = str(found["uscc"]), None
        elif isinstance(found.get("uscc_invalid"), str):
            return [Reply(t(actor.lang, "nlu.uscc_invalid", code=found["uscc_invalid"]))]  # still asking
        elif skip:
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

            def said(lang: str) -> str:
                return t(lang, "verify.claims", company=company or "-", uscc=uscc or "-")

            notices = await add_information(
                actor, deps, open_tickets[0].number, said(deps.default_lang), read_as=said
            )
            replies += [r for r in notices if r.to != replies[0].to]
    return replies
