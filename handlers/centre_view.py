"""The centre-wide view: `/open` lists open tickets of every department, filtered (`/open overdue
dept=tax`), and `/find` looks for enterprises and tickets by words, credit code, phone or number.
Dispatchers, heads, admins and the leadership see every department; other officers their own."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import replace

from bot.domain.errors import Usage
from bot.domain.messages import Actor, Reply, Role
from bot.domain.permissions import sees_every_department
from bot.domain.phones import comparable_phone
from bot.domain.tickets import Ticket
from bot.i18n import t
from handlers import render
from handlers.deps import Deps
from nlu.uscc import is_valid as is_credit_code
from storage.search_protocols import Found, OpenFilter, SearchTerms, TicketScope

PAGE = 20  # open tickets per reply: a screen or two; the transports split what is longer
FOUND = 10  # enterprises and tickets each, per /find
LONGEST_QUERY = 100
_TICKET_NUMBER = re.compile(r"^#?(\d{1,9})$")
_OVERDUE = {"overdue", "超期", "逾期"}
_URGENT = {"urgent", "紧急", "急件"}


def scope_of(actor: Actor, deps: Deps) -> TicketScope:
    every = sees_every_department(actor, deps.directory.leaders)
    return TicketScope(
        viewer_id=actor.officer_id,
        department_id=None if every else actor.department_id,
        confidential=actor.role is Role.ADMIN,
    )


def read_open_filter(args: str, deps: Deps) -> tuple[OpenFilter, int]:
    """`overdue urgent dept=tax cat=finance liaison=wang_lei page=2`, in any order; what is not
    understood is refused with the usage, a name not known with those that are."""
    wanted = OpenFilter()
    page = 1
    directory = deps.directory
    for word in args.split():
        key, has_value, value = word.partition("=")
        key = key.lower()
        if not has_value and key in _OVERDUE:
            wanted = replace(wanted, overdue=True)
        elif not has_value and key in _URGENT:
            wanted = replace(wanted, urgent=True)
        elif has_value and key in ("dept", "department", "部门"):
            wanted = replace(wanted, department_id=_known(value, directory.departments, "dept"))
        elif has_value and key in ("cat", "category", "类别"):
            wanted = replace(wanted, category=_known(value, directory.category_leads, "cat"))
        elif has_value and key in ("liaison", "包联"):
            wanted = replace(wanted, liaison_officer_id=_known(value, directory.officers, "liaison"))
        elif has_value and key in ("page", "页") and value.isdecimal() and 0 < int(value) < 10_000:
            page = int(value)
        else:
            raise Usage(command="open")
    return wanted, page


def _known(value: str, known: Collection[str], what: str) -> str:
    if value in known:
        return value
    raise OpenArgumentUnknown(what, value, sorted(known))


class OpenArgumentUnknown(Exception):
    """A department, category or officer `/open` does not know: the reply lists those it does."""

    def __init__(self, what: str, value: str, known: list[str]) -> None:
        super().__init__(f"{what}={value}")
        self.what, self.value, self.known = what, value, known


async def open_tickets(actor: Actor, deps: Deps, args: str) -> list[Reply]:
    try:
        wanted, page = read_open_filter(args, deps)
    except OpenArgumentUnknown as unknown:
        known = (
            "、".join(unknown.known[:30]) if actor.lang.startswith("zh") else ", ".join(unknown.known[:30])
        )
        return [Reply(t(actor.lang, f"centre.unknown_{unknown.what}", value=unknown.value[:40], known=known))]
    scope = scope_of(actor, deps)
    async with deps.storage() as uow:
        tickets, total = await uow.search.open_tickets(
            wanted, scope, deps.clock(), offset=(page - 1) * PAGE, limit=PAGE
        )
    if total == 0:
        return [Reply(t(actor.lang, "centre.open_none"))]
    pages = (total + PAGE - 1) // PAGE
    if not tickets:
        return [Reply(t(actor.lang, "centre.open_no_page", page=page, pages=pages))]
    heading_key = "centre.open_heading" if scope.department_id is None else "centre.open_heading_department"
    heading = t(
        actor.lang,
        heading_key,
        count=total,
        department=render.department_name(scope.department_id, actor.lang, deps.directory),
    )
    lines = [_line(ticket, actor, deps) for ticket in tickets]
    if pages > 1:
        following = " ".join(w for w in args.split() if not w.lower().startswith(("page=", "页=")))
        lines.append(
            t(
                actor.lang,
                "centre.open_page" if page < pages else "centre.open_last_page",
                page=page,
                pages=pages,
                next=" ".join(["/open", *following.split(), f"page={page + 1}"]),
            )
        )
    return [Reply(heading + "\n" + "\n".join(lines))]


def _line(ticket: Ticket, actor: Actor, deps: Deps) -> str:
    line = render.ticket_line(ticket, actor.lang, deps)
    if ticket.paused_at is None and ticket.status.is_open and ticket.resolve_by < deps.clock():
        line += t(actor.lang, "centre.overdue_mark")
    return line


def search_terms(query: str) -> SearchTerms:
    """What a /find may be besides words: a ticket number, a phone number, a credit code."""
    text = " ".join(query.split())[:LONGEST_QUERY]
    number = _TICKET_NUMBER.match(text)
    upper = text.upper()
    return SearchTerms(
        text=text,
        ticket_number=int(number.group(1)) if number else None,
        phone=comparable_phone(text),
        uscc=upper if len(upper) == 18 and is_credit_code(upper) else None,
    )


async def find(actor: Actor, deps: Deps, args: str) -> list[Reply]:
    if not args.strip():
        raise Usage(command="find")
    terms = search_terms(args)
    async with deps.storage() as uow:
        found = await uow.search.find(terms, scope_of(actor, deps), FOUND)
    if not found.enterprises and not found.tickets:
        return [Reply(t(actor.lang, "centre.find_none", query=terms.text))]
    return [Reply(_found_text(found, terms, actor, deps))]


def _found_text(found: Found, terms: SearchTerms, actor: Actor, deps: Deps) -> str:
    lang = actor.lang
    parts = [t(lang, "centre.find_heading", query=terms.text)]
    if found.enterprises:
        lines = [
            t(
                lang,
                "centre.find_enterprise",
                name=e.name,
                id=e.id,
                uscc=e.uscc or "—",
                liaison=render.officer_name(e.liaison_officer_id, lang, deps.directory),
            )
            for e in found.enterprises
        ]
        more = t(lang, "centre.find_more") if found.more_enterprises else ""
        parts.append(t(lang, "centre.find_enterprises", lines="\n".join(lines)) + more)
    if found.tickets:
        lines = [_line(ticket, actor, deps) for ticket in found.tickets]
        more = t(lang, "centre.find_more") if found.more_tickets else ""
        parts.append(t(lang, "centre.find_tickets", lines="\n".join(lines)) + more)
    return "\n\n".join(parts)
