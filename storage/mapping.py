"""Rows to domain objects and back: the one place that knows both shapes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from bot.domain.enterprise import Contact, Enterprise
from bot.domain.messages import Role
from bot.domain.tickets import (
    Action,
    ClosingReason,
    Outcome,
    Resolution,
    Satisfaction,
    Status,
    Ticket,
    TicketEvent,
)
from storage.tables import ContactRow, EnterpriseRow, TicketEventRow


def ticket_from_row(ticket: Row[Any]) -> Ticket:
    """A ticket from a row of `select(TICKETS)`, its columns read by name through `_mapping`: a
    `Row`'s attribute access by name cost 0.3 µs a column against 0.06 (34 columns, every ticket
    the app reads; the messages of a sweep describe 60 at a time)."""
    row = ticket._mapping
    assert row["id"] is not None
    return Ticket(
        number=row["id"],
        enterprise_id=row["enterprise_id"],
        contact_id=row["contact_id"],
        channel=row["channel"],
        chat_id=row["chat_id"],
        text=row["text"],
        lang=row["lang"],
        intent=row["intent"],
        category=row["category"],
        urgent=row["urgent"],
        status=Status(row["status"]),
        department_id=row["department_id"],
        assignee_id=row["assignee_id"],
        respond_by=row["respond_by"],
        resolve_by=row["resolve_by"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        closed_at=row["closed_at"],
        closing_reason=ClosingReason(row["closing_reason"]) if row["closing_reason"] else None,
        version=row["version"],
        co_departments=tuple(row["co_departments"]),
        confidential=row["confidential"],
        urge_count=row["urge_count"],
        paused_at=row["paused_at"],
        resume_status=Status(row["resume_status"]) if row["resume_status"] else None,
        extension_days=row["extension_days"],
        outcome=Outcome(row["outcome"]) if row["outcome"] else None,
        resolution=Resolution(row["resolution"]) if row["resolution"] else None,
        satisfaction=Satisfaction(row["satisfaction"]) if row["satisfaction"] else None,
        duplicate_of=row["duplicate_of"],
        signed_at=row["signed_at"],
        first_contact_at=row["first_contact_at"],
        cluster_of=row["cluster_of"],
        sign_by=row["sign_by"],
    )


def ticket_values(ticket: Ticket) -> dict[str, Any]:
    """Column values of a ticket, without its number and version (storage owns those)."""
    return {
        "enterprise_id": ticket.enterprise_id,
        "contact_id": ticket.contact_id,
        "channel": ticket.channel,
        "chat_id": ticket.chat_id,
        "text": ticket.text,
        "lang": ticket.lang,
        "intent": ticket.intent,
        "category": ticket.category,
        "urgent": ticket.urgent,
        "status": ticket.status.value,
        "department_id": ticket.department_id,
        "assignee_id": ticket.assignee_id,
        "respond_by": ticket.respond_by,
        "resolve_by": ticket.resolve_by,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "closed_at": ticket.closed_at,
        "closing_reason": ticket.closing_reason.value if ticket.closing_reason else None,
        "co_departments": list(ticket.co_departments),
        "confidential": ticket.confidential,
        "urge_count": ticket.urge_count,
        "paused_at": ticket.paused_at,
        "resume_status": ticket.resume_status.value if ticket.resume_status else None,
        "extension_days": ticket.extension_days,
        "outcome": ticket.outcome.value if ticket.outcome else None,
        "resolution": ticket.resolution.value if ticket.resolution else None,
        "satisfaction": ticket.satisfaction.value if ticket.satisfaction else None,
        "duplicate_of": ticket.duplicate_of,
        "signed_at": ticket.signed_at,
        "first_contact_at": ticket.first_contact_at,
        "cluster_of": ticket.cluster_of,
        "sign_by": ticket.sign_by,
    }


def ticket_check_values(ticket: Ticket, number: int, version: int) -> dict[str, Any]:
    """The reminder sweep's row of a ticket just written (see TicketCheckRow): a changed ticket is
    looked at again, a closed one never; with the columns the sweep's ladder reads, as written."""
    return {
        "ticket_id": number,
        "ticket_version": version,
        "next_check_at": None if ticket.status is Status.CLOSED else ticket.updated_at,
        "status": ticket.status.value,
        "department_id": ticket.department_id,
        "assignee_id": ticket.assignee_id,
        "created_at": ticket.created_at,
        "sign_by": ticket.sign_by,
        "respond_by": ticket.respond_by,
        "resolve_by": ticket.resolve_by,
        "signed_at": ticket.signed_at,
        "first_contact_at": ticket.first_contact_at,
        "paused_at": ticket.paused_at,
    }


def event_from_row(row: TicketEventRow | Row[Any]) -> TicketEvent:
    return TicketEvent(
        ticket_number=row.ticket_id,
        at=row.at,
        actor_id=row.actor_id,
        actor_role=Role(row.actor_role),
        action=Action(row.action),
        from_status=Status(row.from_status) if row.from_status else None,
        to_status=Status(row.to_status),
        note=row.note,
    )


def event_values(event: TicketEvent) -> dict[str, Any]:
    assert event.ticket_number is not None, "an event is stored only for a stored ticket"
    return {
        "ticket_id": event.ticket_number,
        "at": event.at,
        "actor_id": event.actor_id,
        "actor_role": event.actor_role.value,
        "action": event.action.value,
        "from_status": event.from_status.value if event.from_status else None,
        "to_status": event.to_status.value,
        "note": event.note,
    }


def enterprise_from_row(row: EnterpriseRow | Row[Any]) -> Enterprise:
    return Enterprise(
        id=row.id,
        name=row.name,
        uscc=row.uscc,
        industry=row.industry,
        district=row.district,
        size_class=row.size_class,
        tags=tuple(row.tags),
        liaison_officer_id=row.liaison_officer_id,
        key_support=bool(row.key_support),
    )


def enterprise_row(enterprise: Enterprise) -> EnterpriseRow:
    return EnterpriseRow(
        id=enterprise.id,
        name=enterprise.name,
        uscc=enterprise.uscc,
        industry=enterprise.industry,
        district=enterprise.district,
        size_class=enterprise.size_class,
        tags=list(enterprise.tags),
        liaison_officer_id=enterprise.liaison_officer_id,
        key_support=enterprise.key_support,
    )


# A language the contact chose (/lang) is stored with a BCP 47 private-use tag, "en-x-set" or
# "zh-x-set", so that the choice needs no column of its own and fits the column's 10 characters;
# anything else is the language followed from the contact's messages.
CHOSEN_LANG = "-x-set"


def stored_lang(lang: str, *, chosen: bool) -> str:
    return f"{lang.split('-')[0]}{CHOSEN_LANG}" if chosen else lang


def contact_lang(stored: str) -> tuple[str, bool]:
    """The contact's language and whether it chose it."""
    if not stored.endswith(CHOSEN_LANG):
        return stored, False
    base = stored.removesuffix(CHOSEN_LANG)
    return ("zh-CN" if base == "zh" else base), True


def contact_from_row(row: ContactRow | Row[Any]) -> Contact:
    lang, chosen = contact_lang(row.lang)
    return Contact(
        id=row.id,
        channel=row.channel,
        external_id=row.external_id,
        display_name=row.display_name,
        lang=lang,
        lang_chosen=chosen,
        enterprise_id=row.enterprise_id,
        claimed_company=row.claimed_company,
        claimed_uscc=row.claimed_uscc,
        asking=row.asking,
        unreachable_since=row.unreachable_since,
    )
