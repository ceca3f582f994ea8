"""Signing in to the web console without passwords: a secret sent to the officer's private chat,
kept only as its hash, and the form token derived from a session's secret. Pure: no I/O."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ConsoleAccess:
    """Where the console is and how long its links and sessions last (from `web:` in the config)."""

    url: str  # the public base address, without the trailing slash
    link_minutes: int = 10
    session_hours: float = 9.0

    def sign_in_link(self, token: str) -> str:
        return f"{self.url.rstrip('/')}/console/signin?token={token}"


def token_hash(token: str) -> str:
    """How a link or session secret is stored and looked up."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def form_token(session_token: str) -> str:
    """The CSRF token of a session's forms: derived from the session's secret, which only the
    HttpOnly cookie carries, so another site can neither read nor forge it."""
    return hmac.new(session_token.encode("utf-8"), b"xiaoer console form", hashlib.sha256).hexdigest()


def form_token_matches(session_token: str, presented: str) -> bool:
    return hmac.compare_digest(form_token(session_token), presented)
