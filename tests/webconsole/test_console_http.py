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
from tests.channels.telegram_runtime import invite_code
from tests.webconsole.console_run import (
    DISPATCHER,
    ENTREPRENEUR,
    HEAD,
    HR_OFFICER,
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
            assert board.headers["Referrer-Policy"] == "same-origin"
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


async def test_a_page_or_week_count_of_thousands_of_digits_shows_the_default(console: ConsoleRun) -> None:
    """`?page=999…` (5,000 digits) passed str.isdecimal and made int() raise: a 500 in place of
    the board; now the first page, as for any page number that is not one."""
    await console.demand()
    link = await console.link(HEAD)
    huge = "9" * 5000
    async with aiohttp.ClientSession() as http:
        session = await sign_in(http, link)
        for path in (
            f"/console/?page={huge}",
            f"/console/figures?weeks={huge}",
            "/console/?page=%D9%A1",
            "/console/?page=０",
        ):
            async with http.get(console.base + path, headers=with_session(session)) as page:
                assert page.status == 200, (path, await page.text())


async def test_an_unreadable_form_is_refused_like_an_empty_one_not_a_500(console: ConsoleRun) -> None:
    """A multipart body without its field names (aiohttp raises ValueError reading it) was a 500
    to anyone, signed in or not."""
    body, multipart = b"--zz\r\n", {"Content-Type": "multipart/form-data; boundary=zz"}
    await console.demand()
    link = await console.link(HEAD)
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{console.base}/console/signin", data=body, headers=multipart) as answer:
            assert answer.status == 403
            assert "<!doctype html>" in await answer.text()
        session = await sign_in(http, link)
        headers = {**multipart, **with_session(session)}
        async with http.post(f"{console.base}/console/tickets/1/take", data=body, headers=headers) as answer:
            assert answer.status == 403  # no form token: refused as a forged form is
    assert ("lin_hui", "csrf_refused", None, "/console/tickets/1/take") in await audit_actions(console)


async def test_a_form_in_a_charset_nobody_knows_is_refused_not_a_500(console: ConsoleRun) -> None:
    """aiohttp decodes a form with the charset its Content-Type names: `charset=bogus` raised
    LookupError, a 500 to anyone, signed in or not (the sign-in form needs no session)."""
    bogus = {"Content-Type": "application/x-www-form-urlencoded; charset=bogus"}
    signin = f"{console.base}/console/signin"
    async with aiohttp.ClientSession() as http, http.post(signin, data=b"token=abc", headers=bogus) as answer:
        assert answer.status == 403
        assert "<!doctype html>" in await answer.text()


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


async def form_token(http: aiohttp.ClientSession, url: str, session: str) -> str:
    async with http.get(url, headers=with_session(session)) as page:
        match = CSRF.search(await page.text())
    assert match is not None
    return match.group(1)


async def test_a_session_replayed_after_logout_is_refused_and_audited(console: ConsoleRun) -> None:
    async with aiohttp.ClientSession() as http:
        stolen = await sign_in(http, await console.link(OFFICER))
        async with http.get(f"{console.base}/console/", headers=with_session(stolen)) as board:
            assert board.status == 200
        await console.api.user_sends(OFFICER, "/web logout")
        await console.api.wait_text(OFFICER, "已退出网页控制台")
        async with http.get(f"{console.base}/console/", headers=with_session(stolen)) as replayed:
            assert replayed.status == 401
            assert "/web" in await replayed.text()
            assert replayed.cookies[SESSION_COOKIE].value == ""  # told to forget it
    assert ("wu_bin", "session_refused", None, "revoked") in await audit_actions(console)


async def test_a_forged_form_token_is_refused_and_audited(console: ConsoleRun) -> None:
    await console.demand()
    async with aiohttp.ClientSession() as http:
        session = await sign_in(http, await console.link(HEAD))
        genuine = await form_token(http, f"{console.base}/console/tickets/1", session)
        forged = "0" * 64
        url = f"{console.base}/console/tickets/1/assign"
        async with http.post(
            url, data={"csrf": forged, "officer": "wu_bin"}, headers=with_session(session)
        ) as answer:
            assert answer.status == 403
        async with http.post(url, data={"officer": "wu_bin"}, headers=with_session(session)) as answer:
            assert answer.status == 403
    async with console.app.storage() as uow:
        ticket = await uow.tickets.get(1)
    assert ticket is not None
    assert ticket.assignee_id is None  # nothing was done
    assert genuine != forged
    refusals = [a for a in await audit_actions(console) if a[1] == "csrf_refused"]
    assert len(refusals) == 2


async def test_another_departments_confidential_ticket_is_refused_and_audited(console: ConsoleRun) -> None:
    await console.demand()
    await console.api.user_sends(HEAD, "/confidential 1 on")
    await console.api.wait_text(HEAD, "#1")
    async with aiohttp.ClientSession() as http:
        outsider = await sign_in(http, await console.link(HR_OFFICER))
        async with http.get(f"{console.base}/console/tickets/1", headers=with_session(outsider)) as page:
            assert page.status == 403
            text = await page.text()
        assert "may not see it" in text  # fang_yi reads English
        assert "流动资金" not in text
        async with http.get(f"{console.base}/console/?q=海悦", headers=with_session(outsider)) as found:
            assert "流动资金" not in await found.text()  # the search does not show it either
        colleague = await sign_in(http, await console.link(OFFICER))  # same department, not assignee
        async with http.get(f"{console.base}/console/tickets/1", headers=with_session(colleague)) as page:
            assert page.status == 403
    actions = await audit_actions(console)
    assert ("fang_yi", "view_refused", 1, "confidential") in actions
    assert ("wu_bin", "view_refused", 1, "confidential") in actions


async def test_html_in_what_people_wrote_is_escaped_on_every_page(console: ConsoleRun) -> None:
    _, code = await invite_code(console.api, HEAD, "haiyue")
    await console.api.user_sends(ENTREPRENEUR, f"/start {code}")
    await console.api.wait_text(ENTREPRENEUR, "绑定成功")
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)> 贷款困难，急需流动资金周转'
    await console.api.user_sends(ENTREPRENEUR, hostile)
    await console.api.wait_text(ENTREPRENEUR, "#1")
    await console.api.user_sends(HEAD, "/note 1 <b>内部</b> & <i>备注</i>")
    await console.api.wait_text(HEAD, "#1")
    async with aiohttp.ClientSession() as http:
        session = await sign_in(http, await console.link(DISPATCHER))
        bodies = {}
        for path in (
            "/console/",
            "/console/?q=流动资金",
            "/console/tickets/1",
            "/console/enterprises/haiyue",
        ):
            async with http.get(f"{console.base}{path}", headers=with_session(session)) as page:
                assert page.status == 200, path
                body = bodies[path] = await page.text()
            assert "<script>alert" not in body, path
            assert "<img src=x" not in body, path
            assert "&lt;script&gt;" in body or "&lt;img" in body, path
    assert "&lt;b&gt;内部&lt;/b&gt; &amp; &lt;i&gt;备注&lt;/i&gt;" in bodies["/console/tickets/1"]
    actions = await audit_actions(console)
    assert ("li_na", "view", 1, "") in actions  # every view of a ticket is audited
    assert ("li_na", "view_enterprise", None, "haiyue") in actions  # the trail


async def test_a_form_from_another_site_is_refused_before_it_is_read(console: ConsoleRun) -> None:
    link = await console.link(OFFICER)
    token = link.split("token=")[1]
    async with aiohttp.ClientSession() as http:
        # another site posting someone's link would sign this browser in as them
        async with http.post(
            link.split("?")[0], data={"token": token}, headers={"Origin": "https://evil.example"}
        ) as answer:
            assert answer.status == 403
        async with http.post(link.split("?")[0], data={"token": token}, headers={"Origin": "null"}) as answer:
            assert answer.status == 403  # what a page with no referrer makes its forms send
        session = await sign_in(http, link)  # the link was not used up by the refused posts
        async with http.get(f"{console.base}/console/", headers=with_session(session)) as board:
            assert board.status == 200
    assert (None, "origin_refused", None, "https://evil.example -> /console/signin") in await audit_actions(
        console
    )
