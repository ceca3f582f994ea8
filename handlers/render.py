"""How tickets, people and times are written in replies (always through the catalogues)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.escalation import Clock, most_pressing
from bot.domain.messages import SYSTEM_ACTOR
from bot.domain.org import Directory
from bot.domain.sla import LimitKind
from bot.domain.tickets import Action, Ticket, TicketEvent
from bot.i18n import t
from handlers.deps import Deps
from handlers.masking import mask_identity_numbers
from nlu.entities import phones


def when(at: datetime, lang: str, deps: Deps) -> str:
    return at.astimezone(deps.timezone).strftime(t(lang, "time.format"))


def department_name(department_id: str | None, lang: str, directory: Directory) -> str:
    if department_id is None or department_id not in directory.departments:
        return t(lang, "ticket.nobody")
    return directory.departments[department_id].name(lang)


def officer_name(officer_id: str | None, lang: str, directory: Directory) -> str:
    if officer_id is None:
        return t(lang, "ticket.nobody")
    officer = directory.officers.get(officer_id)
    return officer.name if officer is not None else officer_id


def status_name(ticket: Ticket, lang: str) -> str:
    return t(lang, f"status.{ticket.status.value}")


def category_name(category: str | None, lang: str) -> str:
    return t(lang, f"category.{category or 'other'}")


def ticket_line(ticket: Ticket, lang: str, deps: Deps) -> str:
    """One line per ticket for lists: number, status, category, who has it, the first words."""
    return t(
        lang,
        "ticket.line",
        ref=ticket.ref,
        status=status_name(ticket, lang),
        category=category_name(ticket.category, lang),
        handler=_handler(ticket, lang, deps),
        urgent=t(lang, "ticket.urgent_mark") if ticket.urgent else "",
        excerpt=excerpt(ticket.text),
    )


def ticket_card(
    ticket: Ticket, lang: str, deps: Deps, *, for_group: bool = False, for_enterprise: bool = False
) -> str:
    """The facts of one ticket, for officers and for the enterprise's status view. A post to a
    group masks phone, ID-card and bank-account numbers: only the assignee sees them whole."""
    text = mask_private(ticket.text) if for_group else ticket.text
    card = t(
        lang,
        "ticket.card",
        ref=ticket.ref,
        status=status_name(ticket, lang),
        category=category_name(ticket.category, lang),
        urgent=t(lang, "ticket.urgent_mark") if ticket.urgent else "",
        handler=_handler(ticket, lang, deps),
        created=when(ticket.created_at, lang, deps),
        respond_by=when(ticket.respond_by, lang, deps),
        resolve_by=when(ticket.resolve_by, lang, deps),
        text=text,
    )
    if for_group:  # a group post is edited only when the ticket changes: a countdown would go stale
        return card
    clock_line = time_left_line(ticket, lang, deps, resolution_only=for_enterprise)
    return f"{card}\n{clock_line}" if clock_line else card


def time_left_line(ticket: Ticket, lang: str, deps: Deps, *, resolution_only: bool = False) -> str | None:
    """The most pressing running limit and the working time left on it, or that the clock stands
    while the enterprise is asked; None once the ticket is answered. The enterprise is shown the
    resolution clock: signing for and first contact are the office's own steps."""
    kinds = (LimitKind.RESOLVE,) if resolution_only else tuple(LimitKind)
    pressing = most_pressing(ticket, deps.clock(), deps.sla.calendar, kinds)
    if pressing is None:
        if ticket.status.is_open and ticket.paused_at is not None:
            return t(lang, "reminder.paused")
        return None
    clock, left = pressing
    return t(
        lang,
        "reminder.card_line",
        limit=limit_name(clock, lang),
        due=when(clock.due_at, lang, deps),
        state=time_state(left, lang, deps),
    )


def limit_name(clock: Clock, lang: str) -> str:
    return limit_kind_name(clock.kind, lang)


def limit_kind_name(kind: LimitKind, lang: str) -> str:
    return t(lang, f"reminder.limit.{kind.value}")


def time_state(left: timedelta, lang: str, deps: Deps) -> str:
    """ "2 working days 3 h left" or "overdue by 45 min"."""
    if left >= timedelta(0):
        return t(lang, "reminder.left", duration=working_duration(left, lang, deps))
    return t(lang, "reminder.overdue", duration=working_duration(-left, lang, deps))


def working_duration(amount: timedelta, lang: str, deps: Deps) -> str:
    """Working time in working days (of the calendar's length), hours and minutes."""
    # in whole microseconds, as timedelta's own division does it (floored), without building a
    # timedelta for each step: a sweep's messages say a duration on every line
    day = deps.sla.calendar.day_length
    days, rest = divmod(_micros(amount), _micros(day))
    hours, rest = divmod(rest, _HOUR_MICROS)
    minutes = rest // _MINUTE_MICROS
    parts = []
    if days:
        parts.append(t(lang, "reminder.day") if days == 1 else t(lang, "reminder.days", days=days))
    if hours:
        parts.append(t(lang, "reminder.hours", hours=hours))
    if minutes and not days:
        parts.append(t(lang, "reminder.minutes", minutes=minutes))
    return t(lang, "reminder.joiner").join(parts) if parts else t(lang, "reminder.moment")


_MINUTE_MICROS = 60_000_000
_HOUR_MICROS = 60 * _MINUTE_MICROS


def _micros(amount: timedelta) -> int:
    return (amount.days * 86_400 + amount.seconds) * 1_000_000 + amount.microseconds


def event_line(event: TicketEvent, lang: str, deps: Deps, contact_names: dict[str, str]) -> str:
    """`contact_names` maps audit ids of contacts ("contact:3") to the names they gave."""
    if event.actor_id == SYSTEM_ACTOR.officer_id:
        actor = t(lang, "history.system")
    elif event.actor_role.is_staff:
        actor = officer_name(event.actor_id, lang, deps.directory)
    else:
        actor = contact_names.get(event.actor_id, event.actor_id)
    readable = event_note(event, lang, deps.directory)
    note = f" — {excerpt(readable, 60)}" if readable else ""
    return t(
        lang,
        "history.line",
        at=when(event.at, lang, deps),
        actor=actor,
        action=t(lang, f"action.{event.action.value}"),
        to_status=t(lang, f"status.{event.to_status.value}"),
        note=note,
    )


def event_note(event: TicketEvent, lang: str, directory: Directory) -> str:
    """The audit keeps ids in its notes (`tax/wu_bin` for a dispatch, `tax: reason` for a transfer)
    so that they stay true when names change; a reader is shown the names they stand for."""
    note = event.note
    if event.action is Action.ASSIGN:
        return officer_name(note, lang, directory)
    if event.action is Action.CO_HANDLE:
        return _department_or_id(note, lang, directory)
    if event.action is Action.DISPATCH:
        department, _, officer = note.partition("/")
        named = _department_or_id(department, lang, directory)
        return f"{named} / {officer_name(officer, lang, directory)}" if officer else named
    if event.action is Action.TRANSFER and not note.startswith("external:"):
        department, sep, reason = note.partition(": ")
        if sep and department in directory.departments:
            return f"{_department_or_id(department, lang, directory)}: {reason}"
    return note


def _department_or_id(department_id: str, lang: str, directory: Directory) -> str:
    """A department gone from the directory since is still named by its id, not "nobody"."""
    return (
        department_name(department_id, lang, directory)
        if department_id in directory.departments
        else department_id
    )


def mask_private(text: str) -> str:
    """What a group post may show of what a person wrote: ID-card and bank-account numbers masked
    (handlers/masking.py), then phone numbers."""
    return mask_phones(mask_identity_numbers(text))


def mask_phones(text: str) -> str:
    """138 0000 1234 -> 138****1234: enough to recognise, not enough to call. Phones are found
    by the NLU's own rule, so credit codes and amounts are never taken for them."""
    for span in sorted(phones(text), key=lambda s: -s.start):
        digits = str(span.value)
        text = text[: span.start] + f"{digits[:3]}****{digits[-4:]}" + text[span.end :]
    return text


def excerpt(text: str, limit: int = 30) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _handler(ticket: Ticket, lang: str, deps: Deps) -> str:
    department = department_name(ticket.department_id, lang, deps.directory)
    if ticket.assignee_id is None:
        return department
    return f"{officer_name(ticket.assignee_id, lang, deps.directory)} · {department}"
