"""Expired secrets are forgotten (storage/retention_sql.py), on SQLite and PostgreSQL: the web
console's links and sessions and the mobile-binding links that expired before the given moment go,
the others stay and still work."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.web_console import token_hash
from storage.protocols import UnitOfWorkFactory
from storage.web_protocols import TokenKind, TokenState
from tests.conftest import NOW

HOUR = timedelta(hours=1)


async def test_only_what_expired_before_then_is_forgotten(storage: UnitOfWorkFactory) -> None:
    async with storage() as uow:
        await uow.web.add_token(
            token_hash("old session"), TokenKind.SESSION, "wu_bin", "officer", NOW, NOW + HOUR
        )
        await uow.web.add_token(
            token_hash("live session"), TokenKind.SESSION, "wu_bin", "officer", NOW, NOW + 5 * HOUR
        )
        await uow.mobile_binding.add_link(token_hash("old link"), "wecom", "u1", NOW, NOW + HOUR)
        await uow.mobile_binding.add_link(token_hash("live link"), "wecom", "u2", NOW, NOW + 5 * HOUR)
        await uow.commit()
    async with storage() as uow:
        assert await uow.retention.forget_expired(NOW + 2 * HOUR) == 2
        await uow.commit()
    async with storage() as uow:
        at = NOW + 90 * timedelta(minutes=1)
        assert (await uow.web.session(token_hash("old session"), at))[0] is TokenState.UNKNOWN
        assert (await uow.web.session(token_hash("live session"), at))[0] is TokenState.VALID
        assert (await uow.mobile_binding.look_at_link(token_hash("old link"), at))[0] is TokenState.UNKNOWN
        assert (await uow.mobile_binding.look_at_link(token_hash("live link"), at))[0] is TokenState.VALID
        assert await uow.retention.forget_expired(NOW + 2 * HOUR) == 0
