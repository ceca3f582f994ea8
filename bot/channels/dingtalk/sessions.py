"""The session webhooks of the conversations the robot has heard from, in memory.

Each message DingTalk delivers carries a webhook that answers in its conversation until the time
it states (about an hour and a half). A reply goes that way while it is valid, and through the
send API once it is not: so a webhook that is missing (another process heard the message, or
this one restarted) or expired costs nothing but the API call it saves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

MARGIN_MS = 60_000  # a webhook this close to its end is not used: the call must arrive in time
KEPT = 10_000  # conversations remembered; the oldest are forgotten first


@dataclass(frozen=True)
class Session:
    webhook: str
    expires_ms: int


class SessionWebhooks:
    def __init__(self, now_ms: Callable[[], int]) -> None:
        self.now_ms = now_ms
        self._sessions: dict[str, Session] = {}

    def remember(self, chat_id: str, webhook: str | None, expires_ms: int) -> None:
        if not webhook or expires_ms <= self.now_ms():
            return
        self._sessions.pop(chat_id, None)  # to the end: the most recent is kept longest
        self._sessions[chat_id] = Session(webhook, expires_ms)
        if len(self._sessions) > KEPT:
            del self._sessions[next(iter(self._sessions))]

    def valid(self, chat_id: str) -> str | None:
        """The conversation's webhook if it will still be valid when a call arrives."""
        session = self._sessions.get(chat_id)
        if session is None:
            return None
        if session.expires_ms - MARGIN_MS <= self.now_ms():
            del self._sessions[chat_id]
            return None
        return session.webhook

    def forget(self, chat_id: str, webhook: str) -> None:
        """DingTalk refused the webhook before its time: not used again."""
        session = self._sessions.get(chat_id)
        if session is not None and session.webhook == webhook:
            del self._sessions[chat_id]
