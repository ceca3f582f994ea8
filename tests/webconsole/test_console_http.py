"""The web console over plain HTTP: signing in with the link `/web` sent through the fake Bot API,
the pages, and every refusal (an expired or reused link, a session replayed after logout, a forged
form token, another department's or a confidential ticket), each audited; what people wrote is
escaped on every page."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import update

from bot.webconsole.access import SESSION_COOKIE
from storage.tables import WEB_TOKENS
from tests.webconsole.console_run import (
    HEAD,
    OFFICER,
    ConsoleRun,
    console_running,
)

CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[ConsoleRun]:
    async with console_running(tmp_path) as run:
        yield run


async def sign_in(http: aiohttp.ClientSession, link: str) -> str:
    """Open the link, press the button; the session cookie's value."""
    async with http.get(link) as page:
        assert page.status == 200
        body = await page.text()
    token = link.split("token=")[1]
    assert f'value="{token}"' in body  # the page only offers the button: opening it used nothing
    async with http.post(link.split("?")[0], data={"token": token}, allow_redirects=False) as answer:
        assert answer.status == 303, await answer.text()
        cookie = answer.cookies[SESSION_COOKIE]
        assert cookie["httponly"]
        assert cookie["secure"]
        assert cookie["samesite"] == "Lax"
        assert cookie["path"] == "/console"
        return cookie.value


def with_session(session: str) -> dict[str, str]:
    return {"Cookie": f"{SESSION_COOKIE}={session}"}


async def audit_actions(console: ConsoleRun) -> list[tuple[str | None, str, int | None, str]]:
    async with console.app.storage() as uow:
        trail = await uow.web.audit_trail(200)
    return [(entry.officer_id, entry.action, entry.ticket, entry.detail) for entry in trail]


async def test_a_link_signs_in_once_and_the_board_shows_the_ticket(console: ConsoleRun) -> None:
    await console.demand()
    link = await console.link(HEAD)
    async with aiohttp.ClientSession() as http:
        session = await sign_in(http, link)
        async with http.get(f"{console.base}/console/", headers=with_session(session)) as board:
            assert board.status == 200
            assert board.headers["Cache-Control"] == "no-store"
            assert "frame-ancestors 'none'" in board.headers["Content-Security-Policy"]
            page = await board.text()
        assert "#1" in page
        assert "厦门海悦进出口贸易有限公司" in page
        assert "138****1234" in page  # masked on the board
        assert "13800001234" not in page
        # the same link again: refused, and said why
        async with http.post(link.split("?")[0], data={"token": link.split("token=")[1]}) as again:
            assert again.status == 403
            assert "已使用过" in await again.text()
        async with http.get(f"{console.base}/console/board.json", headers=with_session(session)) as state:
            assert (await state.json())["version"] > 0
    actions = await audit_actions(console)
    assert ("lin_hui", "sign_in_refused", None, "used") in actions
    assert ("lin_hui", "sign_in", None, "head") in actions


async def test_an_expired_link_is_refused_and_audited(console: ConsoleRun) -> None:
    link = await console.link(OFFICER)
    async with console.app.engine.begin() as connection:  # as if its minutes had passed
        expired = console.app.deps.clock() - timedelta(seconds=1)
        await connection.execute(update(WEB_TOKENS).values(expires_at=expired))
    async with (
        aiohttp.ClientSession() as http,
        http.post(link.split("?")[0], data={"token": link.split("token=")[1]}) as answer,
    ):
        assert answer.status == 403
        assert "已过期" in await answer.text()
    assert ("wu_bin", "sign_in_refused", None, "expired") in await audit_actions(console)
