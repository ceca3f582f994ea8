"""Every command that writes a file says what to fix, with status 2, when it cannot write there
(a directory that does not exist, a file where a directory should be): `xiaoer export`,
`xiaoer import --template`, `xiaoer tickets export` and `xiaoer invites` ended with a
FileNotFoundError or NotADirectoryError traceback. The real command, a real database file."""

from __future__ import annotations

import csv
import errno
import os
import sqlite3
from pathlib import Path

import pytest

from tests.e2e.test_onboarding_cli import _config
from tests.e2e.test_shell import xiaoer

MISSING = "no/such/dir"


@pytest.mark.parametrize(
    ("command", "where"),
    [
        (
            ("export", "enterprises", f"{MISSING}/e.xlsx"),
            f"{MISSING}/e.xlsx: No such file or directory; choose another FILE",
        ),
        (
            ("export", "contacts", f"{MISSING}/c.csv"),
            f"{MISSING}/c.csv: No such file or directory; choose another FILE",
        ),
        (
            ("import", "--template", "officers", f"{MISSING}/o.xlsx"),
            f"{MISSING}/o.xlsx: No such file or directory; choose another FILE",
        ),
        (
            ("tickets", "export", "--from", "2026-01-01", "--to", "2026-02-01", "-o", f"{MISSING}/t.xlsx"),
            f"{MISSING}/t.xlsx: No such file or directory; choose another --out",
        ),
        (("invites", "--all", "-o", "a_file/out"), "a_file/out/qr: Not a directory; choose another --out"),
    ],
)
def test_an_output_that_cannot_be_written_is_said_not_raised(
    tmp_path: Path, command: tuple[str, ...], where: str
) -> None:
    (tmp_path / "a_file").write_text("in the way", encoding="utf-8")
    url = f"sqlite+aiosqlite:///{tmp_path / 'w.db'}"
    done = xiaoer(*command, "-d", url, cwd=tmp_path, config=_config(tmp_path))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert "Exception ignored" not in done.stderr  # nothing half-written left for the collector
    assert f"xiaoer: cannot write {where}" in done.stderr


def test_tickets_export_to_a_csv_name_writes_csv(tmp_path: Path) -> None:
    """`-o tickets.csv` without --format wrote a workbook under the .csv name."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'w.db'}"
    done = xiaoer(
        "tickets",
        "export",
        "--from",
        "2026-01-01",
        "--to",
        "2026-02-01",
        "-o",
        "t.csv",
        "-d",
        url,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    with (tmp_path / "t.csv").open(encoding="utf-8-sig", newline="") as f:
        header = next(csv.reader(f))
    assert header[:2] == ["number", "enterprise_id"]


def test_invites_that_cannot_be_written_leave_no_partial_file(tmp_path: Path) -> None:
    """The sheet is written beside its place and renamed there once whole (cli_common.writing):
    one that cannot take its place is said, with status 2, and nothing half-made is left."""
    (tmp_path / "out" / "invites.xlsx").mkdir(parents=True)  # in the way of the sheet
    url = f"sqlite+aiosqlite:///{tmp_path / 'w.db'}"
    done = xiaoer("invites", "--all", "-o", "out", "-d", url, cwd=tmp_path, config=_config(tmp_path))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert "xiaoer: cannot write out/invites.xlsx: Is a directory; choose another --out" in done.stderr
    assert [p.name for p in (tmp_path / "out").iterdir() if p.name != "qr"] == ["invites.xlsx"]
    assert not [p for p in (tmp_path / "out" / "qr").iterdir() if "partial" in p.name]


def test_invites_whose_sheet_cannot_be_written_are_not_made(tmp_path: Path) -> None:
    """The sheet is the only place the codes are handed out: its place is tried before any invite
    is made, as the QR codes' directory is, so a directory in the way leaves no invite in the
    database that nobody was given."""
    (tmp_path / "out" / "invites.xlsx").mkdir(parents=True)  # in the way of the sheet
    url = f"sqlite+aiosqlite:///{tmp_path / 'w.db'}"
    done = xiaoer("invites", "--all", "-o", "out", "-d", url, cwd=tmp_path, config=_config(tmp_path))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "xiaoer: cannot write out/invites.xlsx: Is a directory; choose another --out" in done.stderr
    with sqlite3.connect(tmp_path / "w.db") as db:
        assert db.execute("SELECT count(*) FROM invites").fetchone() == (0,)
    assert not list((tmp_path / "out").glob("qr/*.png"))


def test_invites_whose_qr_codes_fail_part_way_are_not_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A disk that fills while the QR codes are written (the third of four, here): the invites are
    stored only once every QR code and the sheet are written, so none is left in the database that
    nobody was given, and the QR codes already written are taken away again."""
    from typer.testing import CliRunner

    from bot.cli import app
    from bot.cli import invites as invites_command

    written = invites_command._write_qr
    calls = 0

    def disk_fills(link: str, path: Path) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written(link, path)

    monkeypatch.setattr(invites_command, "_write_qr", disk_fills)
    url = f"sqlite+aiosqlite:///{tmp_path / 'w.db'}"
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(
        app,
        ["invites", "--all", "-o", "out", "-d", url],
        env={"XIAOER_CONFIG": str(_config(tmp_path))},
    )
    assert done.exit_code == 2, done.output
    assert calls == 3
    assert "No space left on device" in done.output
    with sqlite3.connect(tmp_path / "w.db") as db:
        assert db.execute("SELECT count(*) FROM invites").fetchone() == (0,)
    assert not list((tmp_path / "out").glob("qr/*"))
    assert not (tmp_path / "out" / "invites.xlsx").exists()
