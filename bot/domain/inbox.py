"""What arrived and waits to be handled: one entry per platform update, kept before the platform
is told it was received, handled in arrival order within its conversation.

A conversation is one chat on one channel. Its entries are handled one at a time, oldest first,
by whichever process gets to it; different conversations are handled side by side.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.messages import Inbound

MAX_HANDLING_ATTEMPTS = 5  # an entry whose handling keeps failing is given up, and the sender told


def conversation_of(inbound: Inbound) -> str:
    return f"{inbound.sender.channel}:{inbound.chat_id}"


@dataclass(frozen=True, slots=True)
class InboxEntry:
    id: int
    conversation: str
    inbound: Inbound
    attempts: int = 0  # handlings that failed (the database, a bug): retried with backoff


class UnreadableUpdate(Exception):
    """An inbox entry that cannot be read back (written by another version, or damaged): it is
    set aside with the reason, kept for inspection, so that the conversation's later updates are
    not held behind it for ever."""

    def __init__(self, entry_id: int, reason: str) -> None:
        super().__init__(f"inbox entry {entry_id} cannot be read: {reason}")
        self.entry_id = entry_id
        self.reason = reason
