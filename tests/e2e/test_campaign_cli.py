"""`xiaoer campaign …` as an operator runs it, and a visit recorded in the console shell (issue 15):
the real commands on a real SQLite database."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from openpyxl import load_workbook

from tests.conftest import ROOT
from tests.e2e.test_shell import xiaoer

XINYUAN_CODE = "91350206MA2Y3K8P13"
HAIYUE_CODE = "91350200MA31XQ7N4P"
UNKNOWN_CODE = "91350200MA00000000"


def test_a_campaign_from_an_imported_list_a_visit_in_the_shell_the_report_and_the_bulletin(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'camp.db'}"
    today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date()
    period = (
        "--from",
        (today - timedelta(days=1)).isoformat(),
        "--to",
        (today + timedelta(days=30)).isoformat(),
    )
    listing = tmp_path / "重点企业.csv"
    listing.write_text(
        f"统一社会信用代码,企业\n{XINYUAN_CODE},鑫源\n{HAIYUE_CODE},海悦\n{UNKNOWN_CODE},?\n", "utf-8-sig"
    )

    refused = xiaoer(
        "campaign",
        "create",
        "敲门行动",
        *period,
        "--lead",
        "wang_lei",
        "--list",
        str(listing),
        "-d",
        url,
        cwd=tmp_path,
    )
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        "xiaoer: --lead 'wang_lei' is not a head or an admin of the organisation"
    ]
    created = xiaoer(
        "campaign", "create", "敲门行动", *period, "--lead", "chen_jing", "--list", str(listing),
        "--departments", "industry_it", "-d", url, cwd=tmp_path,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "C1 敲门行动: 2 targets, 0 unassigned"
    assert UNKNOWN_CODE in created.stderr

    session = "\n".join(
        [
            "/as officer wang_lei",
            "/visits",
            "/visit 2",
            "今天",
            "陈总（总经理）",
            "订单饱满，正在扩产",
            "诉求：新厂房用电需要扩容",
            "意见：希望多组织政策宣讲",
            "/done",
            "/as enterprise xinyuan",
        ]
    )
    shell = xiaoer("shell", "-d", url, stdin=session + "\n", cwd=tmp_path)
    assert shell.returncode == 0, shell.stderr
    assert "您还有 2 家企业待走访" in shell.stdout
    assert "开始记录走访 V1：厦门鑫源精密机械有限公司（C1 敲门行动）" in shell.stdout
    assert "已为企业建立工单 #1" in shell.stdout
    assert "诉求 1 条，意见建议 1 条，项目计划 0 条" in shell.stdout
    assert "王磊 在走访中记录了贵企业的诉求，已为您建立工单 #1" in shell.stdout  # the enterprise's inbox

    listed = xiaoer("campaign", "list", "-d", url, cwd=tmp_path)
    assert "C1\t敲门行动" in listed.stdout
    assert "visited 1/2, 1 left, 50.0% done" in listed.stdout

    report = xiaoer("campaign", "report", "C1", "-o", "r.xlsx", "--chart", "c.png", "-d", url, cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    assert "合计 已走访 1/2，剩余 1，完成 50.0%" in report.stdout
    assert (tmp_path / "c.png").read_bytes().startswith(b"\x89PNG")
    book = load_workbook(tmp_path / "r.xlsx")
    rows = list(book.worksheets[1].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[5], r[6], r[7], r[8]) for r in rows] == [
        ("厦门海悦进出口贸易有限公司", None, None, 0, 0),
        ("厦门鑫源精密机械有限公司", "陈总（总经理）", "订单饱满，正在扩产", 1, 1),
    ]

    bulletin = xiaoer(
        "campaign", "bulletin", "--campaign", "1", "--output-dir", str(tmp_path), "-d", url, cwd=tmp_path
    )
    assert bulletin.returncode == 0, bulletin.stderr
    text = (tmp_path / "xiaoer-bulletin-1.md").read_text("utf-8")
    assert "# 企业诉求动态 · C1「敲门行动」（活动以来）" in text
    assert "- 共 1 条：办理中 1 条，已答复 0 条，已办结 0 条" in text
    assert "- #1 厦门鑫源精密机械有限公司: 新厂房用电需要扩容" in text
    assert "- 厦门鑫源精密机械有限公司: 希望多组织政策宣讲" in text
    assert "<li>厦门鑫源精密机械有限公司: 希望多组织政策宣讲</li>" in (
        tmp_path / "xiaoer-bulletin-1.html"
    ).read_text("utf-8")

    assert xiaoer("campaign", "close", "1", "-d", url, cwd=tmp_path).returncode == 0
    again = xiaoer("campaign", "close", "1", "-d", url, cwd=tmp_path)
    assert again.returncode == 2
    assert again.stderr.strip() == "xiaoer: Campaign C1 is closed already."
    missing = xiaoer("campaign", "report", "7", "-d", url, cwd=tmp_path)
    assert missing.returncode == 2
    assert "No campaign C7" in missing.stderr


def test_the_bulletin_is_queued_for_the_leadership_with_send(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'send.db'}"
    document = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    document["channels"]["telegram"].update(
        token="123456:TEST", api_base="http://127.0.0.1:9"
    )  # never called
    for officer in document["officers"]:
        if officer["id"] == "chen_jing":
            officer["identities"] = {"telegram": 9101}
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date()
    period = ("--from", today.isoformat(), "--to", (today + timedelta(days=30)).isoformat())
    created = xiaoer(
        "campaign", "create", "敲门行动", *period, "--lead", "admin", "-d", url, cwd=tmp_path, config=config
    )
    assert created.returncode == 0, created.stderr
    sent = xiaoer(
        "campaign", "bulletin", "--campaign", "C1", "--send", "--output-dir", str(tmp_path), "-d", url,
        cwd=tmp_path, config=config,
    )  # fmt: skip
    assert sent.returncode == 0, sent.stderr
    assert "queued 2 messages for the leadership" in sent.stderr
    with sqlite3.connect(tmp_path / "send.db") as conn:
        rows = conn.execute("SELECT channel, chat_id, text, status FROM outbox ORDER BY id").fetchall()
    assert [(r[0], r[1], r[3]) for r in rows] == [
        ("telegram", "9101", "pending"),
        ("telegram", "9101", "pending"),
    ]
    assert rows[0][2].startswith("# 企业诉求动态 · C1「敲门行动」")
