"""Issue 14's "done when", end to end: a district centre's spreadsheets imported with the real
`xiaoer import` (2,000 enterprises, 4,000 contacts, 60 officers; the first files carry 20 bad
rows, each reported, nothing written), invites made with `xiaoer invites`, ten contacts bound
through the fake Bot API and five through the fake WeCom server, the bound report, a dispatcher's
`/open overdue` and `/find` over that data, and export then re-import changing nothing."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import yaml
from openpyxl import load_workbook

from bot.bootstrap import build_app
from bot.config import load_settings
from bot.domain.messages import Inbound, Sender, ToSender
from handlers.dispatch import handle
from tests import org_sheets_data as data
from tests.channels.telegram_runtime import telegram_running
from tests.channels.test_wecom import wecom_document
from tests.channels.wecom_runtime import wecom_running
from tests.e2e.test_shell import xiaoer, xiaoer_ok
from tests.fake_telegram import FakeBotApi
from tests.fake_wecom import FakeWecom

ENTERPRISES, PER_ENTERPRISE, OFFICERS = 2000, 2, 60
DEMAND = "我们公司急需一笔200万的流动资金贷款，下月发工资都困难了"
DISPATCHER = Sender("console", "officer:li_na")


def _files(tmp_path: Path) -> tuple[Path, Path, Path]:
    """The three sheets, with 20 bad rows among the officers' and enterprises'; the good files too."""
    officers = list(data.officer_rows(OFFICERS))
    enterprises = list(data.enterprise_rows(ENTERPRISES, OFFICERS))
    bad_officers: list[list[object]] = [
        ["gb900", "无部门", "no_such_department", "officer", ""],
        ["gb901", "角色错", "finance_office", "emperor", ""],
        ["GB 902", "编号错", "finance_office", "officer", ""],
        ["gb903", "", "finance_office", "officer", ""],
        officers[5],  # a duplicate of row 7
        ["gb904", "部门名错", "不存在的局", "officer", ""],
    ]
    wrong_check = [[_mischeck(str(row[0])), *row[1:]] for row in enterprises[:8]]
    bad_enterprises: list[list[object]] = [
        *wrong_check,  # 8 bad check characters
        ["91350200MA31XQ7N4", "短码企业", "", "", "", "", "否", ""],  # 17 characters
        [data.credit_code(9000), "无名干部企业", "", "", "", "", "否", "no_such_officer"],
        [data.credit_code(9001), "", "", "", "", "", "否", ""],  # no name
        [data.credit_code(9002), "重点写错", "", "", "", "", "也许", ""],
        enterprises[10],  # a duplicate of row 12
        [data.credit_code(9003), "同名干部企业", "", "", "", "", "否", "干部 重名"],
    ]
    assert len(bad_officers) + len(bad_enterprises) == 20
    write = data.write
    write(tmp_path / "officers_bad.xlsx", data.OFFICER_HEADERS, iter(officers + bad_officers))
    write(tmp_path / "enterprises_bad.xlsx", data.ENTERPRISE_HEADERS, iter(enterprises + bad_enterprises))
    return (
        write(tmp_path / "officers.xlsx", data.OFFICER_HEADERS, iter(officers)),
        write(tmp_path / "enterprises.xlsx", data.ENTERPRISE_HEADERS, iter(enterprises)),
        write(
            tmp_path / "contacts.xlsx", data.CONTACT_HEADERS, data.contact_rows(ENTERPRISES, PER_ENTERPRISE)
        ),
    )


def _mischeck(code: str) -> str:
    """The code with another check character."""
    return code[:-1] + ("0" if code[-1] != "0" else "1")


def _count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(sql).fetchone()[0])


async def test_a_centres_spreadsheets_to_bound_contacts_and_back(tmp_path: Path) -> None:
    telegram, wecom = FakeBotApi(), FakeWecom()
    await telegram.start()
    await wecom.start()
    document = wecom_document(wecom.base)
    document["channels"]["telegram"]["username"] = "@xiaoer_bot"
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    db = tmp_path / "centre.db"
    url = f"sqlite+aiosqlite:///{db}"

    def run(*args: str) -> str:
        return xiaoer_ok(*args, "-d", url, cwd=tmp_path, config=config)

    try:
        officers, enterprises, contacts = _files(tmp_path)
        # the bad files: every bad row named with its row number and reason, nothing written
        bad = xiaoer("import", "officers", "officers_bad.xlsx", "-d", url, cwd=tmp_path, config=config)
        assert bad.returncode == 2
        assert "有问题 6" in bad.stdout
        for row, reason in [
            (62, "没有部门“no_such_department”"),
            (63, "角色：无法识别“emperor”"),
            (64, "编号“GB 902”只能包含"),
            (65, "缺少姓名"),
            (66, "与第 7 行重复（gb005）"),
            (67, "没有部门“不存在的局”"),
        ]:
            assert f"第 {row} 行：{reason}" in bad.stdout, bad.stdout
        assert "未写入任何数据" in bad.stderr
        assert _count(db, "SELECT count(*) FROM officers WHERE id LIKE 'gb%'") == 0
        run("import", "officers", officers.name)
        # two officers of one name, so that a sheet naming them by it is refused as ambiguous
        twin = tmp_path / "twins.csv"
        twin.write_text(
            "干部编号,姓名,所属部门\ngb998,干部 重名,commerce\ngb999,干部 重名,commerce\n", "utf-8"
        )
        run("import", "officers", twin.name)
        bad = xiaoer("import", "enterprises", "enterprises_bad.xlsx", "-d", url, cwd=tmp_path, config=config)
        assert bad.returncode == 2
        assert "有问题 14" in bad.stdout
        lines = [line for line in bad.stdout.splitlines() if line.startswith("  第 ")]
        assert len(lines) == 14
        assert sum("校验位不符" in line for line in lines) == 8
        assert "第 2010 行：统一社会信用代码“91350200MA31XQ7N4”不是 18 位有效字符" in bad.stdout
        assert "第 2011 行：没有名为“no_such_officer”的干部" in bad.stdout
        assert "第 2012 行：缺少企业名称" in bad.stdout
        assert "第 2013 行：重点帮扶：无法识别“也许”" in bad.stdout
        assert "第 2014 行：与第 12 行重复" in bad.stdout
        assert "第 2015 行：干部“干部 重名”有重名（gb998, gb999）" in bad.stdout
        assert _count(db, "SELECT count(*) FROM enterprises") == 4  # the demo's only

        # fixed: imported, then the same files again change nothing
        assert "新增 2000" in run("import", "enterprises", enterprises.name)
        assert "新增 4000" in run("import", "contacts", contacts.name)
        assert "新增 0，修改 0，未变 2000" in run("import", "enterprises", enterprises.name)
        assert "新增 0，修改 0，未变 4000" in run("import", "contacts", contacts.name)
        assert _count(db, "SELECT count(*) FROM org_changes WHERE actor = 'import'") == 60 + 2 + 2000 + 4000

        # invites for one liaison officer's enterprises: one per contact on the roster
        made = run("invites", "--liaison", "gb007", "-o", "out")
        # read-only workbooks keep their file open until closed (else a ResourceWarning, an error
        # here, surfaces in whichever later test the garbage collector runs)
        book = load_workbook(tmp_path / "out" / "invites.xlsx", read_only=True)
        header, *rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
        book.close()
        invites = [dict(zip(header, row, strict=True)) for row in rows]
        mine = [n for n in range(ENTERPRISES) if n % OFFICERS == 7]
        assert f"{len(mine) * PER_ENTERPRISE} invite(s) written" in made
        assert {str(i["统一社会信用代码"]) for i in invites} == {data.credit_code(n) for n in mine}
        assert all(str(i["包联干部"]) == "干部007" for i in invites)

        settings = load_settings(config)
        app = await build_app(settings, url)
        try:
            first = [i for i in invites if str(i["联系人"]).endswith("-0")]
            async with telegram_running(app.deps, telegram):
                for n, invite in enumerate(first[:10]):
                    await telegram.user_sends(800_000 + n, str(invite["企业微信发送"]))
                    await telegram.wait_text(800_000 + n, f"绑定成功！您现在是{invite['企业名称']}的联系人")
                for n in range(3):  # three of them have a demand, which the dispatcher will see overdue
                    await telegram.user_sends(800_000 + n, DEMAND)
                    await telegram.wait_text(800_000 + n, "已受理您的诉求")
            async with wecom_running(app.deps, settings.channels.wecom) as on_wecom:
                for n, invite in enumerate(first[10:15]):
                    member = f"Member{n}"
                    answer = await wecom.member_sends(on_wecom.url, member, str(invite["企业微信发送"]))
                    assert answer.status == 200
                    await wecom.wait_text(member, f"绑定成功！您现在是{invite['企业名称']}的联系人")

            report = run("invites", "report")
            assert f"干部007：企业 {len(mine)} 家，已绑定 15（" in report, report

            # the dispatcher, a month later: the three demands are overdue; /find reaches the roster
            later = replace(app.deps, clock=lambda: app.deps.clock() + timedelta(days=30))

            async def dispatcher(text: str) -> str:
                replies = await handle(Inbound(DISPATCHER, DISPATCHER.user_id, text, later.clock()), later)
                return "\n".join(r.text for r in replies if isinstance(r.to, ToSender))

            overdue = await dispatcher("/open overdue")
            assert "全部在办工单（3 件" in overdue, overdue
            assert overdue.count("⏰超期") == 3
            assert overdue.count("干部007") == 3  # their liaison officer has them
            found = await dispatcher(f"/find {first[12]['统一社会信用代码']}")
            assert str(first[12]["企业名称"]) in found, found
            by_name = await dispatcher("/find 测试000007号")
            assert "厦门测试000007号科技有限公司" in by_name, by_name
        finally:
            await app.close()

        # export, then import what was exported: nothing changes, and a second export is the same
        for kind in ("enterprises", "contacts", "officers", "departments", "liaisons"):
            run("export", kind, f"{kind}_out.csv")
            again = run("import", kind, f"{kind}_out.csv")
            assert "新增 0，修改 0" in again, again
            run("export", kind, f"{kind}_again.csv")
            first_export = (tmp_path / f"{kind}_out.csv").read_bytes()
            assert first_export == (tmp_path / f"{kind}_again.csv").read_bytes()
        exported = (tmp_path / "contacts_out.csv").read_text(encoding="utf-8-sig").splitlines()
        assert len(exported) == 1 + ENTERPRISES * PER_ENTERPRISE
        assert sum(line.endswith(",是") for line in exported) == 15  # the bound ones
    finally:
        await telegram.stop()
        await wecom.stop()
