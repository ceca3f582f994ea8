"""`/web` on WeCom and DingTalk, over real HTTP against their fakes, composed as `xiaoer run`
composes them (bot/runtime/assemble.py: the channel's callback and the console on one web server):
the link reaches the officer's private chat, signs in once, and `/web logout` sent from that chat
ends the session. On DingTalk, `/web` sent in a group still answers privately."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import aiohttp
import yaml
from aiohttp.test_utils import TestServer

from bot.bootstrap import App, build_app
from bot.config import load_settings
from bot.runtime.assemble import Assembled, assemble
from bot.runtime.web import web_app
from tests.channels.test_dingtalk import FINANCE_GROUP, dingtalk_document
from tests.channels.test_dingtalk import HEAD as DINGTALK_HEAD
from tests.channels.test_dingtalk import OFFICER as DINGTALK_OFFICER
from tests.channels.test_wecom import OFFICER as WECOM_OFFICER
from tests.channels.test_wecom import wecom_document
from tests.fake_dingtalk import FakeDingtalk
from tests.fake_wecom import FakeWecom
from tests.webconsole.console_run import free_port
from tests.webconsole.test_console_http import sign_in, with_session

LINK = re.compile(r"(http://127\.0\.0\.1:\d+/console/signin\?token=[A-Za-z0-9_-]+)")


class Platform(Protocol):
    async def wait_text(self, recipient: str, fragment: str, within: float = 15.0) -> Any: ...


@dataclass
class Served:
    app: App
    assembled: Assembled
    base: str  # http://127.0.0.1:PORT: the console and the channel's callback alike

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


@asynccontextmanager
async def served(tmp_path: Path, document: dict[str, Any]) -> AsyncIterator[Served]:
    """The app as `xiaoer run` puts it together from this configuration (with the console on),
    its one web server on a free port, the runtime handling and sending until the block ends."""
    port = free_port()
    document["web"] = {"enabled": True, "url": f"http://127.0.0.1:{port}"}
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    settings = load_settings(config)
    app = await build_app(settings, f"sqlite+aiosqlite:///{tmp_path / 'console.db'}")
    assembled = assemble(settings, app.deps)
    routes = [route for channel in assembled.channels for route in channel.routes] + assembled.console
    server = TestServer(web_app(routes), host="127.0.0.1", port=port)
    await server.start_server()
    stop = asyncio.Event()
    running = asyncio.create_task(assembled.runtime.run(stop))
    try:
        yield Served(app, assembled, f"http://127.0.0.1:{port}")
    finally:
        await server.close()
        stop.set()
        await asyncio.wait_for(running, 15)
        await assembled.close()
        await app.close()


async def link_signs_in_and_logout_ends_it(
    served: Served, platform: Platform, officer: str, officer_id: str, logout: Any
) -> None:
    """The link the platform received signs in; the board greets the officer; `/web logout`
    sent through the platform ends that session."""
    sent = await platform.wait_text(officer, "/console/signin?token=")
    match = LINK.search(sent.content)
    assert match is not None, sent.content
    async with aiohttp.ClientSession() as http:
        session = await sign_in(http, match.group(1))
        async with http.get(served.url("/console/"), headers=with_session(session)) as board:
            assert board.status == 200
            assert "吴斌" in await board.text()
        await logout()
        await platform.wait_text(officer, "已退出网页控制台")
        async with http.get(served.url("/console/"), headers=with_session(session)) as board:
            assert board.status == 401
    actions = await audit_actions_of(served)
    assert (officer_id, "sign_in", None, "officer") in actions
    assert (officer_id, "session_refused", None, "revoked") in actions


async def audit_actions_of(served: Served) -> list[tuple[str | None, str, int | None, str]]:
    async with served.app.storage() as uow:
        trail = await uow.web.audit_trail(200)
    return [(entry.officer_id, entry.action, entry.ticket, entry.detail) for entry in trail]


async def test_web_on_wecom_sends_the_link_privately_and_it_signs_in(tmp_path: Path) -> None:
    api = FakeWecom()
    await api.start()
    try:
        async with served(tmp_path, wecom_document(api.base)) as run:
            callback = run.url("/wecom/callback")

            async def says(text: str) -> None:
                answer = await api.member_sends(callback, WECOM_OFFICER, text)
                assert (answer.status, answer.text) == (200, "")

            await says("/web")

            async def logout() -> None:
                await says("/web logout")

            await link_signs_in_and_logout_ends_it(run, api, WECOM_OFFICER, "wu_bin", logout)
    finally:
        await api.stop()


async def test_web_on_dingtalk_answers_privately_even_from_a_group(tmp_path: Path) -> None:
    api = FakeDingtalk(members={DINGTALK_HEAD, DINGTALK_OFFICER}, groups={FINANCE_GROUP})
    await api.start()
    try:
        async with served(tmp_path, dingtalk_document(api.base)) as run:
            callback = run.url("/dingtalk/callback")

            async def says(text: str, **options: Any) -> None:
                answer = await api.user_sends(callback, DINGTALK_OFFICER, text, **options)
                assert answer.status == 200, answer

            await says("/web", group=FINANCE_GROUP)

            async def logout() -> None:
                await says("/web logout")

            await link_signs_in_and_logout_ends_it(run, api, DINGTALK_OFFICER, "wu_bin", logout)
            assert not [s for s in api.to(FINANCE_GROUP) if "token=" in s.content]  # never in the group
    finally:
        await api.stop()
