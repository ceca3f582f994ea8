"""What binding a member by the mobile their platform vouches for asks of storage: the single-use
links that let a member have their mobile read (WeCom's OAuth `state`, stored hashed), and which
enterprises a mobile speaks for. storage/binding_sql.py implements them;
tests/contract/test_mobile_binding.py holds it to them on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from storage.web_protocols import TokenState  # a link: VALID, UNKNOWN, USED or EXPIRED


@dataclass(frozen=True, slots=True)
class MobileLink:
    channel: str
    external_id: str  # the member it was made for
    expires_at: datetime


class MobileBinding(Protocol):
    async def add_link(
        self, state_hash: str, channel: str, external_id: str, at: datetime, expires_at: datetime
    ) -> None: ...

    async def look_at_link(self, state_hash: str, at: datetime) -> tuple[TokenState, MobileLink | None]:
        """What the link is now, without using it (before asking the platform anything)."""
        ...

    async def use_link(self, state_hash: str, at: datetime) -> tuple[TokenState, MobileLink | None]:
        """Mark an unused, unexpired link used and say whose it was. Atomic: of two requests using
        one link, one wins; the other hears USED."""
        ...

    async def enterprises_of_mobile(self, phone: str, contact_id: int, at: datetime) -> list[str]:
        """The enterprises the mobile (comparable form) speaks for, in id order: those whose roster
        lists it, those an open invite was made for it in, and those another chat that gave it is
        bound to (`contact_id`, the member's own contact, left out). More than one: the records
        disagree about whose person this is."""
        ...

    async def close_invites(self, phone: str, enterprise_id: str, contact_id: int, at: datetime) -> None:
        """The enterprise's open invites made for the mobile, used by the contact it bound (they
        would bind no one else: the person is bound)."""
        ...
