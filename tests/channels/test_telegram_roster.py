"""Issue 14 item 4 over real HTTP against the fake Bot API: an admin gives an officer their
Telegram identity from chat, the officer is recognised at once; a head assigns a liaison officer
and looks an enterprise up; an officer is refused."""

from __future__ import annotations

from pathlib import Path

from bot.bootstrap import build_app
from bot.config import load_settings
from tests.channels.telegram_runtime import telegram_running
from tests.channels.test_telegram import write_config
from tests.fake_telegram import FakeBotApi

ADMIN = 9301  # admin
HEAD = 9302  # zheng_yu, head of industry_it
OFFICER = 9303  # wu_bin, finance's officer
NEWLY = 9304  # wang_lei, on Telegram once the admin says so


async def test_officers_and_liaisons_are_administered_from_telegram(tmp_path: Path) -> None:
    settings = load_settings(
        write_config(tmp_path, {"admin": ADMIN, "zheng_yu": HEAD, "wu_bin": OFFICER}, {})
    )
    api = FakeBotApi()
    await api.start()
    app = await build_app(settings, f"sqlite+aiosqlite:///{tmp_path / 'roster.db'}")
    try:
        async with telegram_running(app.deps, api):
            await api.user_sends(NEWLY, "/mine")  # not an officer yet: the enterprise's view
            await api.wait_text(NEWLY, "/mine 是工作人员使用的命令")
            await api.user_sends(ADMIN, f"/officer set wang_lei telegram={NEWLY}")
            await api.wait_text(ADMIN, "已修改工作人员 王磊（wang_lei）")
            await api.user_sends(NEWLY, "/whoami")
            await api.wait_text(NEWLY, "王磊")

            await api.user_sends(OFFICER, "/liaison haiyue wu_bin")
            await api.wait_text(OFFICER, "只有管理员和部门负责人可以指定包联干部")
            await api.user_sends(HEAD, "/liaison haiyue wang_lei")
            await api.wait_text(HEAD, "厦门海悦进出口贸易有限公司的包联干部已改为 王磊")
            await api.user_sends(HEAD, "/company 91350200MA31XQ7N4P")
            shown = await api.wait_text(HEAD, "包联干部：王磊")
            assert "厦门海悦进出口贸易有限公司（haiyue）" in shown.text
        async with app.storage() as uow:
            changes = [(c.actor, c.kind, c.key) for c in await uow.org.changes() if c.actor != "config"]
        assert changes == [("admin", "officer", "wang_lei"), ("zheng_yu", "enterprise", "haiyue")]
    finally:
        await app.close()
        await api.stop()
