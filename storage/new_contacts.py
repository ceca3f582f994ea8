"""The contacts a transaction inserted, about which nothing else is stored yet.

A person's first message creates its contact, then asks for its tickets (a repeat of an open
one?) and for a policy question it was asked: reads whose answer is known, since rows naming a
contact no other transaction can see yet can only come from this one. The transaction notes the
contacts it inserts; writing a ticket or a policy response for one takes it off (those are then
read as usual); the note is forgotten at every commit and rollback (storage/sql.SqlUnitOfWork).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

KEY = "xiaoer_contacts_new"  # session.info: {contact id}


def note(session: AsyncSession, contact_id: int) -> None:
    session.info.setdefault(KEY, set()).add(contact_id)


def written_for(session: AsyncSession, contact_id: int | None) -> None:
    """A row naming the contact was written: it is read from now on."""
    session.info.get(KEY, set()).discard(contact_id)


def has_nothing(session: AsyncSession, contact_id: int) -> bool:
    """True when the contact was inserted by this transaction and nothing names it yet."""
    return contact_id in session.info.get(KEY, ())


def forget(session: AsyncSession) -> None:
    session.info.pop(KEY, None)
