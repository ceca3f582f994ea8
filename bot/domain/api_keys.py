"""Keys for the HTTP API: who may call it, with which scopes, how often."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

# read: tickets, enterprises, policies; write: demands, ticket events, closing, transfers;
# publish: policies
SCOPES = ("read", "write", "publish")

TOKEN_PREFIX = "xo_"  # tells a leaked token apart in logs and secret scanners


@dataclass(frozen=True, slots=True)
class ApiKey:
    name: str
    scopes: tuple[str, ...]
    rate_per_minute: int
    created_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def token_hash(token: str) -> str:
    """What is kept of a token: its SHA-256. A token is 32 random bytes, so a plain hash is
    enough (no salt or slow hash: nobody can guess one to compare against)."""
    return hashlib.sha256(token.encode()).hexdigest()


def bad_scopes(scopes: tuple[str, ...]) -> list[str]:
    return [scope for scope in scopes if scope not in SCOPES]
