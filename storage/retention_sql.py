"""Retention: what people wrote is kept while it may be needed, and no longer. The message log of
tickets closed long ago and the inbox's handled entries go; tickets, their audit events and so the
figures stay. Secrets that have expired (sign-in and binding links, sessions) go too."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import rules_sql
from storage.inbox_sql import INBOX
from storage.search_protocols import Purged
from storage.tables import MESSAGE_LOG, MOBILE_LINKS, TICKETS, WEB_TOKENS

_m = MESSAGE_LOG.c


class SqlRetention:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def purge(self, closed_before: datetime, *, dry_run: bool = False) -> Purged:
        closed_long_ago = select(TICKETS.c.id).where(rules_sql.CLOSED, TICKETS.c.closed_at < closed_before)
        messages = _m.ticket_id.in_(closed_long_ago)
        handled = (INBOX.c.done.is_(True), INBOX.c.received_at < closed_before)
        if dry_run:
            count_messages = select(func.count()).select_from(MESSAGE_LOG).where(messages)
            count_inbox = select(func.count()).select_from(INBOX).where(*handled)
            return Purged(
                int((await self._s.execute(count_messages)).scalar_one()),
                int((await self._s.execute(count_inbox)).scalar_one()),
            )
        gone_messages = cast(CursorResult[Any], await self._s.execute(delete(MESSAGE_LOG).where(messages)))
        gone_inbox = cast(CursorResult[Any], await self._s.execute(delete(INBOX).where(*handled)))
        return Purged(gone_messages.rowcount, gone_inbox.rowcount)

    async def forget_expired(self, expired_before: datetime, *, dry_run: bool = False) -> int:
        gone = 0
        for table in (WEB_TOKENS, MOBILE_LINKS):
            expired = table.c.expires_at < expired_before
            if dry_run:
                gone += int(
                    (
                        await self._s.execute(select(func.count()).select_from(table).where(expired))
                    ).scalar_one()
                )
            else:
                deleted = await self._s.execute(delete(table).where(expired))
                gone += cast(CursorResult[Any], deleted).rowcount
        return gone
