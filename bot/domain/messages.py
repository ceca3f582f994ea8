"""The message types every channel speaks: who sent what, and what to say back to whom."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal


class Role(StrEnum):
    """What a sender may do. Officer roles are ordered by reach, not by rank."""

    ENTERPRISE = "enterprise"
    OFFICER = "officer"
    HEAD = "head"
    DISPATCHER = "dispatcher"
    ADMIN = "admin"

    @property
    def is_staff(self) -> bool:
        return self is not Role.ENTERPRISE


@dataclass(frozen=True, slots=True)
class Sender:
    """A platform identity as the channel adapter sees it, before we know who it is."""

    channel: str
    user_id: str
    display_name: str = ""
    language: str | None = None


@dataclass(frozen=True, slots=True)
class Actor:
    """A sender resolved against the directory and the contact book."""

    role: Role
    display_name: str
    lang: str
    officer_id: str | None = None
    department_id: str | None = None
    contact_id: int | None = None
    enterprise_id: str | None = None
    # What Xiaoer has asked this contact and waits to hear (verification: "company" | "uscc"), and
    # what it still has to ask; both read with the contact, so most messages need no second look.
    asking: str | None = None
    to_ask: str | None = None
    lang_chosen: bool = False  # a contact chose its language (/lang): messages do not change it

    @property
    def is_staff(self) -> bool:
        return self.role.is_staff

    @property
    def audit_id(self) -> str:
        """How the audit log names this actor: officers by id, contacts by number."""
        if self.officer_id is not None:
            return self.officer_id
        return f"contact:{self.contact_id}"


SYSTEM_ACTOR = Actor(role=Role.ADMIN, display_name="Xiaoer", lang="zh-CN", officer_id="system")


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What the sender's chat can do, so that handlers can word a reply for it."""

    buttons: bool = True  # buttons under messages (without them, the channel lists them as text to type)
    quoted_replies: bool = True  # a reply to one of Xiaoer's messages arrives linked to it (`reply_to`)
    shares_phone: bool = True  # a button can ask for the person's own number (`SHARE_PHONE`)


@dataclass(frozen=True, slots=True)
class Inbound:
    """One thing a person did in a chat: a text, a command, or a button press (`payload`)."""

    sender: Sender
    chat_id: str
    text: str
    received_at: datetime
    payload: str | None = None
    reply_to: str | None = None
    # The platform's id for this delivery (Telegram's update_id, WeCom's MsgId): a delivery seen
    # before is skipped, decided in the same transaction that logs the message.
    delivery_id: str | None = None
    capabilities: Capabilities = Capabilities()
    thread_id: str | None = None  # a thread or forum topic within the chat: answers stay in it
    # The sender's own phone number as the platform vouches for it (Telegram: a contact shared with
    # the contact button, whose user is the sender), never a number someone typed.
    shared_phone: str | None = None
    # The chat's new id, as the platform announces it (Telegram: a group upgraded to a supergroup);
    # `chat_id` is the old one. Set by a channel adapter only, never from what a person sent.
    moved_to: str | None = None


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    payload: str


# A button whose press shares the person's own phone number (Telegram: a keyboard button with
# request_contact); a channel that cannot ask for it leaves the button out.
SHARE_PHONE = "share:phone"


@dataclass(frozen=True, slots=True)
class ToSender:
    """Answer in the chat the inbound came from."""


@dataclass(frozen=True, slots=True)
class ToChat:
    """A known chat on a channel, e.g. the chat a ticket was opened from."""

    channel: str
    chat_id: str


@dataclass(frozen=True, slots=True)
class ToOfficer:
    """An officer, wherever the channels can reach them."""

    officer_id: str


@dataclass(frozen=True, slots=True)
class ToDepartment:
    """A department's officer group (or, where a channel has no groups, its officers)."""

    department_id: str


Recipient = ToSender | ToChat | ToOfficer | ToDepartment


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with a reply. A photo is shown as a picture, with the reply's text as its
    caption (Telegram: sendPhoto, where a caption holds at most 1024 characters); a document is
    sent as a file."""

    name: str  # a file name, e.g. "report.png"
    data: bytes
    kind: Literal["photo", "document"] = "photo"


@dataclass(frozen=True, slots=True)
class Reply:
    """Text for one recipient. Plain text: channels escape it for their markup."""

    text: str
    to: Recipient = field(default_factory=ToSender)
    buttons: tuple[Button, ...] = ()
    # The ticket the message is about: a channel remembers it for the sent message, so that a
    # reply to that message (an officer answering, an enterprise adding) finds its ticket.
    ticket: int | None = None
    # The ticket's post in its officer group: channels that can edit messages keep it current.
    post: bool = False
    attachment: Attachment | None = None
