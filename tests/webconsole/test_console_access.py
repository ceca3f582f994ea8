"""Around the console's pages: `xiaoer run` mounts it when `web.enabled` (on the channels' web
server, or on web.host:port when no channel listens); /web without the console, with a stray
word, or in a group (the link still goes privately); a session whose officer's role changed;
the figures refused to an officer and the same numbers as `xiaoer report` for a head."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import update

from bot.bootstrap import build_app
from bot.config import load_settings
from bot.runtime.assemble import assemble
from bot.runtime.web import web_app
from handlers.rate_trend import weekly_rates
from handlers.reports import load_report
from storage.tables import WEB_TOKENS
from tests.webconsole.console_run import (
    ENTREPRENEUR,
    GROUP,
    HEAD,
    OFFICER,
    ConsoleRun,
    console_config,
    console_running,
)
from tests.webconsole.test_console_http import audit_actions, form_token, sign_in, with_session


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[ConsoleRun]:
    async with console_running(tmp_path) as run:
        yield run


async def test_xiaoer_run_mounts_the_console_when_enabled(tmp_path: Path) -> None:
    settings = load_settings(console_config(tmp_path, 8099, host="127.0.0.2", port=8099))
    app = await build_app(settings, f"sqlite+aiosqlite:///{tmp_path / 'run.db'}", load_nlu=False)
    try:
        assembled = assemble(settings, app.deps)
        assert assembled.console_listen == ("127.0.0.2", 8099)
        served = web_app(assembled.console)
        paths = {resource.canonical for resource in served.router.resources()}
        assert "/console" in paths
        assert app.deps.console is not None
        assert app.deps.console.sign_in_link("abc") == "http://127.0.0.1:8099/console/signin?token=abc"
        await assembled.close()
    finally:
        await app.close()
    plain = load_settings(tmp_path / "config.yaml").model_copy(
        update={"web": settings.web.model_copy(update={"enabled": False})}
    )
    app = await build_app(plain, f"sqlite+aiosqlite:///{tmp_path / 'run.db'}", load_nlu=False)
    try:
        assembled = assemble(plain, app.deps)
        assert assembled.console == []
        assert assembled.console_listen is None
        assert app.deps.console is None
        await assembled.close()
    finally:
        await app.close()


async def test_web_in_a_group_sends_the_link_privately_and_refuses_stray_words(console: ConsoleRun) -> None:
    api = console.api
    await api.user_sends(HEAD, "/web", chat_id=GROUP)
    private = await api.wait_text(HEAD, "/console/signin?token=")
    assert "仅可使用一次" in private.text
    assert not [m for m in api.to(GROUP) if "token=" in m.text]  # nothing of it in the group
    await api.user_sends(OFFICER, "/web please")
    await api.wait_text(OFFICER, "/web logout 退出")


async def test_a_session_ends_when_the_officers_role_changes(console: ConsoleRun) -> None:
    async with aiohttp.ClientSession() as http:
        session = await sign_in(http, await console.link(OFFICER))
        async with console.app.engine.begin() as connection:  # as if they were made head since
            await connection.execute(update(WEB_TOKENS).values(role="head"))
        async with http.get(f"{console.base}/console/", headers=with_session(session)) as answer:
            assert answer.status == 401
    assert ("wu_bin", "session_refused", None, "role changed") in await audit_actions(console)


async def test_figures_are_the_reports_numbers_and_refused_to_officers(console: ConsoleRun) -> None:
    await console.demand()
    async with aiohttp.ClientSession() as http:
        officer = await sign_in(http, await console.link(OFFICER))
        async with http.get(f"{console.base}/console/figures", headers=with_session(officer)) as answer:
            assert answer.status == 403
        head = await sign_in(http, await console.link(HEAD))
        async with http.get(f"{console.base}/console/figures?weeks=4", headers=with_session(head)) as answer:
            assert answer.status == 200
            page = await answer.text()
        async with http.get(
            f"{console.base}/console/figures.svg?weeks=4&dept=finance_office", headers=with_session(head)
        ) as chart:
            assert chart.content_type == "image/svg+xml"
            assert (await chart.text()).lstrip().startswith("<?xml")
    assert ("wu_bin", "figures_refused", None, "officer") in await audit_actions(console)
    deps = console.app.deps
    weeks = await weekly_rates(deps, 4)
    report = await load_report(deps, weeks[-1].period.since, weeks[-1].period.until)
    assert report.counts == weeks[-1].counts  # the same counts as `xiaoer report` over that week
    assert report.counts.dispatched == 1
    last_row = page.rsplit("<tr><td>", 1)[1]
    assert last_row.startswith(
        f"{weeks[-1].period.first_day.isoformat()} – {weeks[-1].period.last_day.isoformat()}</td><td>1</td>"
    )


async def test_resolve_and_transfer_from_the_console_say_what_chat_says(console: ConsoleRun) -> None:
    await console.demand()
    api = console.api
    async with aiohttp.ClientSession() as http:
        head = await sign_in(http, await console.link(HEAD))
        url = f"{console.base}/console/tickets/1"
        csrf = await form_token(http, url, head)
        async with http.get(url, headers=with_session(head)) as answer:  # not signed for yet
            assert 'id="action-resolve"' not in await answer.text()
        async with http.post(f"{url}/take", data={"csrf": csrf}, headers=with_session(head)) as answer:
            assert 'id="action-resolve"' in await answer.text()
        async with http.post(
            f"{url}/resolve",
            data={"csrf": csrf, "outcome": "resolved", "result": "已对接建设银行，<b>本周</b>放款"},
            headers=with_session(head),
        ) as answer:
            page = await answer.text()
        assert "等待企业确认" in page  # what /resolve answers in chat
        told = await api.wait_text(ENTREPRENEUR, "办理结果")
        # as /resolve would say it: escaped by the channel for Telegram's HTML, shown as typed
        assert "已对接建设银行，&lt;b&gt;本周&lt;/b&gt;放款" in told.text
        assert [label for label, _ in told.buttons] == ["已解决", "部分解决", "未解决"]
        assert "&lt;b&gt;本周&lt;/b&gt;" in page  # and escaped on the page
        await api.user_sends(ENTREPRENEUR, "/notresolved 1 还没放款")
        await api.wait_text(HEAD, "#1")
        csrf = await form_token(http, url, head)
        async with http.post(
            f"{url}/transfer",
            data={"csrf": csrf, "department": "tax_bureau", "reason": "涉及出口退税"},
            headers=with_session(head),
        ) as answer:
            assert answer.status == 200
            assert "区税务局" in await answer.text()
    async with console.app.storage() as uow:
        ticket = await uow.tickets.get(1)
        events = await uow.events.for_ticket(1)
    assert ticket is not None
    assert ticket.department_id == "tax_bureau"
    assert [e.action.value for e in events][-1] == "transfer"
    actions = await audit_actions(console)
    assert ("lin_hui", "action:resolve", 1, "resolved 已对接建设银行，<b>本周</b>放款") in actions
