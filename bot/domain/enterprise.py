"""The companies the hotline serves and the chat identities that speak for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Enterprise:
    id: str
    name: str
    uscc: str | None = None  # unified social credit code (统一社会信用代码)
    industry: str | None = None
    district: str | None = None
    size_class: str | None = None  # e.g. 规上 (above designated size), 小微 (small and micro)
    tags: tuple[str, ...] = ()
    liaison_officer_id: str | None = None  # 包联干部: first owner of the company's demands
    key_support: bool = False  # 重点帮扶: on the centre's list of key-support enterprises


# The channel of a contact known from a roster (`xiaoer import contacts`: a name and a phone under
# an enterprise), not a chat: binding makes a contact of the chat that redeems its invite.
ROSTER = "roster"
# The channel of the stand-in contact under which a visit's demand is opened for an enterprise that
# nobody has bound a chat for yet (handlers/campaigns/stand_in.py): no adapter has it, nothing is
# sent there; its tickets pass to the first person of the enterprise who binds.
VISIT = "visit"


@dataclass(frozen=True, slots=True)
class Contact:
    """A chat identity (channel + platform user id), bound to an enterprise once verified."""

    id: int | None
    channel: str
    external_id: str
    display_name: str
    lang: str
    enterprise_id: str | None = None
    # The contact chose `lang` (/lang): replies no longer follow the language of its messages.
    lang_chosen: bool = False
    # What an unbound contact says about its company, until an officer binds it (/invite).
    claimed_company: str | None = None
    claimed_uscc: str | None = None
    asking: str | None = None  # the question Xiaoer is waiting for an answer to: company | uscc
    # Since when the platform refuses messages to this contact (they blocked the bot); cleared
    # when they write again.
    unreachable_since: datetime | None = None

    @property
    def is_chat(self) -> bool:
        """A person Xiaoer can tell things: not a roster's name and phone, nor a visit's stand-in."""
        return self.channel not in (ROSTER, VISIT)

    @property
    def next_question(self) -> str | None:
        """What an unbound contact has not told about its company yet: "company", "uscc" or None."""
        if self.enterprise_id is not None:
            return None
        if not self.claimed_company:
            return "company"
        return None if self.claimed_uscc else "uscc"
