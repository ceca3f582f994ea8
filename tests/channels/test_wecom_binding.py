"""Binding an enterprise's person by code on WeCom, over real HTTP against the fake WeCom server: the
code comes from `xiaoer invites` (the real command, on the same database file) or from `/invite`
in chat; the person sends `/start CODE` to the app, is bound, and their demand is filed for the
enterprise."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook

from bot.config import load_settings
from tests.channels.test_wecom import DEMAND, HEAD, Running, app_on_wecom, wecom_document
from tests.e2e.test_shell import xiaoer
from tests.fake_wecom import FakeWecom

CHEN = "ChenZong"  # xinyuan's manager, on WeCom, not bound yet
LIN = "LinJingli"  # haiyue's manager, likewise
STRANGER = "Passerby"


@pytest.fixture
async def config(tmp_path: Path) -> AsyncIterator[tuple[Path, FakeWecom]]:
    api = FakeWecom()
    await api.start()
    document = wecom_document(api.base)
    document["channels"]["telegram"]["username"] = "@xiaoer_bot"  # invites carry its deep links too
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    try:
        yield path, api
    finally:
        await api.stop()


def _url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'wecom.db'}"


async def _enterprise_of_ticket(running: Running, number: int) -> tuple[str | None, str]:
    async with running.app.storage() as uow:
        ticket = await uow.tickets.get(number)
        assert ticket is not None
        contact = await uow.contacts.get(ticket.contact_id)
        assert contact is not None
    return ticket.enterprise_id, f"{contact.channel}:{contact.external_id}"


async def test_a_code_from_xiaoer_invites_binds_on_wecom(
    tmp_path: Path, config: tuple[Path, FakeWecom]
) -> None:
    path, api = config
    made = xiaoer(
        "invites", "--liaison", "wang_lei", "-o", "out", "-d", _url(tmp_path), cwd=tmp_path, config=path
    )
    assert made.returncode == 0, made.stderr
    sheet = load_workbook(tmp_path / "out" / "invites.xlsx").active
    assert sheet is not None
    header, row = [list(r) for r in sheet.iter_rows(values_only=True)]
    record = dict(zip(header, row, strict=True))
    assert record["企业编号"] == "xinyuan"
    send = str(record["企业微信发送"])  # what the sheet tells the person to send on WeCom
    code = send.removeprefix("/start ")

    async with app_on_wecom(load_settings(path), _url(tmp_path), api) as running:
        await running.says(CHEN, f"/start {code}。")  # copied with the sheet's punctuation
        await api.wait_text(CHEN, "绑定成功！您现在是厦门鑫源精密机械有限公司的联系人")
        await running.says(STRANGER, send)  # single use: nobody else binds with it
        await api.wait_text(STRANGER, "这个邀请码无效、已使用或已过期")
        await running.says(CHEN, DEMAND)
        await api.wait_text(CHEN, "工单号 #1")
        assert await _enterprise_of_ticket(running, 1) == ("xinyuan", f"wecom:{CHEN}")
        async with running.app.storage() as uow:
            stranger = await uow.contacts.by_identity("wecom", STRANGER)
        assert stranger is not None
        assert stranger.enterprise_id is None


async def test_a_code_from_invite_in_chat_binds_on_wecom(
    tmp_path: Path, config: tuple[Path, FakeWecom]
) -> None:
    path, api = config
    async with app_on_wecom(load_settings(path), _url(tmp_path), api) as running:
        await running.says(HEAD, "/invite haiyue")  # lin_hui, a head, may invite any enterprise
        invitation = await api.wait_text(HEAD, "/start ")
        match = re.search(r"/start ([A-Za-z0-9_-]{12})", invitation.content)
        assert match is not None, invitation.content
        assert f"https://t.me/xiaoer_bot?start={match.group(1)}" in invitation.content
        await running.says(LIN, "/start not-a-code")
        refused = await api.wait_text(LIN, "这个邀请码无效、已使用或已过期")
        assert "分享手机号" not in refused.content  # WeCom has no contact button: no word of one
        await running.says(LIN, f"/start {match.group(1)}")
        await api.wait_text(LIN, "绑定成功！您现在是厦门海悦进出口贸易有限公司的联系人")
        await running.says(LIN, DEMAND)
        await api.wait_text(LIN, "工单号 #1")
        assert await _enterprise_of_ticket(running, 1) == ("haiyue", f"wecom:{LIN}")
