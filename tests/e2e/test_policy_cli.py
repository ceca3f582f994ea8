"""`xiaoer policy …` as an operator uses it: the real command, a real database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import yaml

from tests.conftest import ROOT
from tests.e2e.test_shell import xiaoer

POLICY = """\
---
title: 2026年湖里区专精特新企业奖励
department: industry_it
deadline: 2099-12-31
eligibility:
  size_class: [规上]
  qualifications: [专精特新, 高新技术]
links: [https://example.gov.cn/p/1]
how_to_apply: 点击“我要申报”。
---
**对象**：规上专精特新企业。
"""


def test_publish_list_status_and_withdraw(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    url = f"sqlite+aiosqlite:///{db}"
    (tmp_path / "good.md").write_text(POLICY, encoding="utf-8")
    (tmp_path / "bad.md").write_text("---\ntitle: x\ndepartment: nowhere\n---\n", encoding="utf-8")

    bad = xiaoer("policy", "publish", "bad.md", "-d", url, cwd=tmp_path)
    assert bad.returncode == 2
    assert "unknown department 'nowhere'" in bad.stderr
    assert "text: the policy's text after the closing '---' is empty" in bad.stderr

    declined = xiaoer("policy", "publish", "good.md", "-d", url, stdin="n\n", cwd=tmp_path)
    assert declined.returncode == 1
    # the configured language (zh-CN) speaks; xinyuan is the one of the demo four it reaches
    assert "送达 0 个群、1 家企业（其中 0 家可在聊天中联系），共 0 个会话" in declined.stdout
    assert "没有任何群或企业带有 高新技术" in declined.stderr  # the demo data says high_tech
    assert "未发布任何政策。" in declined.stdout

    published = xiaoer("policy", "publish", "good.md", "-d", url, "--yes", cwd=tmp_path)
    assert published.returncode == 0, published.stderr
    assert "已发布 P1：0 条通知已排队" in published.stdout
    assert "将由 `xiaoer run` 发送" in published.stdout  # no Telegram token here

    listed = xiaoer("policy", "list", "-d", url, cwd=tmp_path)
    assert "P1 [已发布] 2026年湖里区专精特新企业奖励（申报截止：2099年12月31日）" in listed.stdout

    status = xiaoer("policy", "status", "P1", "-d", url, cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    assert "适用对象：规模：规上；资质：专精特新、高新技术" in status.stdout
    assert "申报：0 件" in status.stdout

    withdrawn = xiaoer("policy", "withdraw", "1", "--yes", "-d", url, cwd=tmp_path)
    assert withdrawn.returncode == 0, withdrawn.stderr
    assert "已撤回 P1" in withdrawn.stdout
    again = xiaoer("policy", "withdraw", "1", "--yes", "-d", url, cwd=tmp_path)
    assert again.returncode == 2
    assert "already withdrawn" in again.stderr
    missing = xiaoer("policy", "status", "P9", "-d", url, cwd=tmp_path)
    assert missing.returncode == 2
    assert "There is no policy P9" in missing.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT status FROM policies").fetchall() == [("withdrawn",)]


def test_an_english_configuration_gets_english_with_real_plurals(tmp_path: Path) -> None:
    document = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    document["language"] = "en"
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    (tmp_path / "good.md").write_text(POLICY, encoding="utf-8")
    url = f"sqlite+aiosqlite:///{tmp_path / 'p.db'}"
    declined = xiaoer("policy", "publish", "good.md", "-d", url, stdin="n\n", cwd=tmp_path, config=config)
    assert "reaches 0 groups and 1 enterprise (0 reachable in chat): 0 chats" in declined.stdout
    assert "Nothing was published." in declined.stdout
    published = xiaoer("policy", "publish", "good.md", "-d", url, "--yes", cwd=tmp_path, config=config)
    assert "published P1: 0 notices queued" in published.stdout
    withdrawn = xiaoer("policy", "withdraw", "1", "--yes", "-d", url, cwd=tmp_path, config=config)
    assert "withdrew P1: 0 unsent messages cancelled" in withdrawn.stdout


def test_an_impossible_deadline_is_reported_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "p.md").write_text(POLICY.replace("2099-12-31", "2026-13-01"), encoding="utf-8")
    url = f"sqlite+aiosqlite:///{tmp_path / 'p.db'}"
    result = xiaoer("policy", "publish", "p.md", "-d", url, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "deadline: '2026-13-01' is not a date" in result.stderr


def test_send_without_any_channel_in_use_says_which_sections_to_set_up(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'p.db'}"
    sent = xiaoer("policy", "send", "-d", url, cwd=tmp_path)
    assert sent.returncode == 2
    [line] = sent.stderr.strip().splitlines()
    assert line.startswith("xiaoer: nothing to send with: no channel is in use")
    assert "channels.telegram, channels.wecom, channels.dingtalk" in line
