"""Binding WeCom members by the mobile WeCom vouches for, over real HTTP against the fake WeCom
server: five members bound (three by the directory's `user/get`, as apps created before
2022-06-20 read it; two by consenting on the OAuth page, the test following the redirects as the
member's browser would), a link refused when expired, used, passed on to another member, or
carrying a bad code; a mobile that no enterprise lists, or that two do, refused with what to do;
then the five enterprises bound in `xiaoer invites report`, and each binding audited."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import yaml

from bot.bootstrap import App, build_app
from bot.config import load_settings
from bot.domain.enterprise import Enterprise
from bot.domain.phones import comparable_phone
from storage.search_protocols import NewInvite
from tests.channels.test_wecom import DEMAND, wecom_document
from tests.channels.wecom_runtime import WecomRun, wecom_running
from tests.conftest import Clock
from tests.e2e.test_shell import xiaoer
from tests.fake_wecom import AGENT_ID, CORP_ID, FakeWecom
from tests.loopback import wait_for_sent

LIAISON = "wu_bin"  # 吴斌, the liaison officer of the enterprises below
# member -> (the mobile on their WeCom profile, as WeCom writes it; the enterprise whose roster lists it)
MEMBERS = {
    "ZhouA": ("13900000001", "e1"),
    "ZhouB": ("+86 13900000002", "e2"),
    "ZhouC": ("+86 139-0000-0003", "e3"),
    "QianD": ("13900000004", "e4"),
    "QianE": ("13900000005", "e5"),
    "Ambi": ("13900000006", "e6"),  # e6's roster, and an open invite of e7: two enterprises
    "Nobody": ("13900000099", None),  # on no roster
}
LINK = re.compile(r"https?://\S+#wechat_redirect")


@dataclass
class World:
    api: FakeWecom
    app: App
    run: WecomRun
    clock: Clock

    async def says(self, user: str, text: str) -> None:
        # signed at the app's clock (which the test moves on), so the callback is recent to it
        stamp = int(self.clock().timestamp())
        answer = await self.api.post(
            self.run.url, *self.api.callback(self.api.text_xml(user, text), timestamp=stamp)
        )
        assert (answer.status, answer.text) == (200, "")

    async def link_for(self, user: str, after: int = 0) -> str:
        """The consent link in the newest message to `user` offering one (past the first `after`)."""

        def links() -> list[str]:
            return [m for s in self.api.to(user)[after:] for m in LINK.findall(s.content)]

        return await wait_for_sent(links, lambda: f"no consent link to {user}: {self.api.to(user)}", 15.0)

    async def enterprise_of(self, user: str) -> str | None:
        async with self.app.deps.storage() as uow:
            contact = await uow.contacts.by_identity("wecom", user)
        assert contact is not None
        return contact.enterprise_id


async def _roster(app: App, at: datetime) -> None:
    """Seven enterprises of one liaison officer, their people on the roster by mobile (as
    `xiaoer import` keeps them), an invite made for e1's person and one for e6's person in e7."""
    async with app.deps.storage() as uow:
        for n in range(1, 8):
            await uow.enterprises.add(
                Enterprise(f"e{n}", f"测试企业{n}号有限公司", liaison_officer_id=LIAISON)
            )
        rows = [
            {"phone": comparable_phone(mobile), "display_name": user, "lang": "zh-CN", "enterprise_id": e}
            for user, (mobile, e) in MEMBERS.items()
            if e is not None
        ]
        await uow.org_sheets.write("contacts", rows, [], [], at)
        invites = [
            NewInvite("forE1person", "e1", "ZhouA", comparable_phone(MEMBERS["ZhouA"][0])),
            NewInvite("forE6personInE7", "e7", "Ambi", comparable_phone(MEMBERS["Ambi"][0])),
        ]
        await uow.onboarding.create_invites(invites, LIAISON, at, at + timedelta(days=7))
        await uow.commit()


@asynccontextmanager
async def _world(tmp_path: Path) -> AsyncIterator[tuple[World, Path, str]]:
    api = FakeWecom()
    await api.start()
    api.members = {user: mobile for user, (mobile, _) in MEMBERS.items()}
    document = wecom_document(api.base, oauth_base=api.base, mobile_link_minutes=30)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    url = f"sqlite+aiosqlite:///{tmp_path / 'wecom.db'}"
    clock = Clock(datetime.now(UTC).replace(microsecond=0))
    app = await build_app(load_settings(path), url)
    try:
        await _roster(app, clock())
        deps = replace(app.deps, clock=clock)
        async with wecom_running(deps, load_settings(path).channels.wecom, public=True) as run:
            yield World(api, app, run, clock), path, url
    finally:
        await app.close()
        await api.stop()


async def test_five_members_bound_by_their_wecom_mobile(tmp_path: Path) -> None:
    async with _world(tmp_path) as (w, config, url):
        api = w.api
        # --- an app that reads mobiles from the directory: bound on the first message ---
        await w.says("ZhouA", DEMAND)
        await api.wait_text(
            "ZhouA", "已按您在企业微信登记的手机号（尾号 0001）完成绑定！您现在是测试企业1号有限公司的联系人"
        )
        ack = await api.wait_text("ZhouA", "工单号 #1")
        assert "包联干部 吴斌" in ack.content  # the demand is filed for e1, to its liaison officer
        await w.says("ZhouB", "/start")
        await api.wait_text("ZhouB", "您现在是测试企业2号有限公司的联系人")
        await w.says("ZhouC", "你好")
        await api.wait_text("ZhouC", "您现在是测试企业3号有限公司的联系人")
        # a mobile no roster lists, and one two enterprises' records claim: refused, with what to do
        await w.says("Nobody", "你好")
        await api.wait_text(
            "Nobody", "尾号 0099）还没有登记在任何企业名下，无法自动绑定。请向您的包联干部索取邀请码"
        )
        await w.says("Ambi", "你好")
        await api.wait_text(
            "Ambi",
            "登记在不止一家企业名下，无法确定您代表哪一家，因此没有自动绑定。请向您的包联干部索取邀请码",
        )
        assert [await w.enterprise_of(u) for u in ("ZhouA", "ZhouB", "ZhouC", "Nobody", "Ambi")] == [
            "e1",
            "e2",
            "e3",
            None,
            None,
        ]

        # --- a newer app: user/get has no mobile, so the member is offered the consent link ---
        api.directory_mobiles = False
        await w.says("QianD", "你好")
        link = await w.link_for("QianD")
        query = parse_qs(urlsplit(link).query)
        assert link.startswith(f"{api.base}/connect/oauth2/authorize?")
        assert {k: v[0] for k, v in query.items() if k != "state"} == {
            "appid": CORP_ID,
            "redirect_uri": w.run.url.replace("/wecom/callback", "/wecom/mobile"),
            "response_type": "code",
            "scope": "snsapi_privateinfo",
            "agentid": str(AGENT_ID),
        }
        assert re.fullmatch(r"[0-9a-f]{40}", query["state"][0])
        w.clock.now += timedelta(minutes=31)  # too late: refused before WeCom is asked anything
        page, _ = await api.member_consents(link, "QianD")
        assert (page.status, "这个链接已过期。请在企业微信中向小二发送 /start 获取新链接" in page.text) == (
            403,
            True,
        )
        assert "auth/getuserinfo" not in api.calls
        seen = len(api.to("QianD"))
        await w.says("QianD", "/start")
        link = await w.link_for("QianD", after=seen)
        page, redirected = await api.member_consents(link, "QianD")
        assert page.status == 200
        assert "绑定成功：您现在是测试企业4号有限公司的联系人" in page.text
        await api.wait_text("QianD", "已按您在企业微信登记的手机号（尾号 0004）完成绑定")
        again = await api.browser_opens(redirected)  # the same redirect once more: the link is used
        assert (again.status, "这个链接已经使用过了" in again.text) == (403, True)

        await w.says("QianE", "你好")
        link = await w.link_for("QianE")
        # passed on to someone else, who consents as themself: refused (the link is spent)
        page, _ = await api.member_consents(link, "Nobody")
        assert (page.status, "这个链接是发给另一位成员的" in page.text) == (200, True)
        assert await w.enterprise_of("QianE") is None
        seen = len(api.to("QianE"))
        await w.says("QianE", "/start")
        link = await w.link_for("QianE", after=seen)
        # a code WeCom never issued (or one already used): 40029, nothing bound, the link kept
        state = parse_qs(urlsplit(link).query)["state"][0]
        bogus = await api.browser_opens(
            f"{w.run.url.replace('/wecom/callback', '/wecom/mobile')}?code=forged&state={state}"
        )
        assert (bogus.status, "暂时无法从企业微信读取您的身份或手机号" in bogus.text) == (502, True)
        assert ("auth/getuserinfo", 40029) in api.refused
        page, _ = await api.member_consents(link, "QianE")
        assert "绑定成功：您现在是测试企业5号有限公司的联系人" in page.text
        await api.wait_text("QianE", "您现在是测试企业5号有限公司的联系人")
        assert [await w.enterprise_of(u) for u in ("QianD", "QianE")] == ["e4", "e5"]

        async with w.app.deps.storage() as uow:
            bindings = [c for c in await uow.org.changes("contact") if c.action == "bind"]
        assert sorted(
            (c.key, dict(c.after or {})["enterprise_id"], dict(c.after or {})["by"]) for c in bindings
        ) == [
            ("wecom:QianD", "e4", "wecom consent"),
            ("wecom:QianE", "e5", "wecom consent"),
            ("wecom:ZhouA", "e1", "wecom directory"),
            ("wecom:ZhouB", "e2", "wecom directory"),
            ("wecom:ZhouC", "e3", "wecom directory"),
        ]

    # the bound report, by the real command on the same database: five of seven bound; the
    # invite made for e1's person was closed by the binding, e7's (for e6's person) is still open
    report = xiaoer("invites", "report", "-d", url, cwd=tmp_path, config=config)
    assert report.returncode == 0, report.stderr
    assert "吴斌：企业 7 家，已绑定 5（71%），未绑定 2，待用邀请 1 个" in report.stdout, report.stdout
