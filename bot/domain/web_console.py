"""Signing in to the web console without passwords: a secret sent to the officer's private chat,
kept only as its hash, the form token derived from a session's secret, and when a session ends.
Pure: no I/O."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.workcalendar import WorkingCalendar

# A session opened just before the close still lasts this long: time to finish what the officer
# signed in for, not a session that ends as the page opens.
SHORTEST_SESSION = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class ConsoleAccess:
    """Where the console is and how long its links and sessions last (from `web:` in the config)."""

    url: str  # the public base address, without the trailing slash
    link_minutes: int = 10
    session_hours: float = 9.0  # a session opened outside the working day (see session_end)

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


def session_end(opened_at: datetime, calendar: WorkingCalendar, out_of_hours: timedelta) -> datetime:
    """When a console session opened at that moment ends: the working day's close.

    Opened on a working day (the calendar's: make-up workdays included, holidays not) before the
    end of its last business period, it ends then — however early the officer came in, and over
    lunch too — but lasts an hour at least (SHORTEST_SESSION). Opened after the close or on a day
    off (overtime), it lasts `out_of_hours`, but not into the next working day's hours: each
    working day starts with a fresh sign-in."""
    local = opened_at.astimezone(calendar.timezone)
    day = local.date()
    if calendar.is_working_day(day):
        close = datetime.combine(day, calendar.periods[-1][1], tzinfo=calendar.timezone)
        if local < close:
            return max(close.astimezone(opened_at.tzinfo), opened_at + SHORTEST_SESSION)
    return min(opened_at + out_of_hours, calendar.next_working_moment(opened_at))
