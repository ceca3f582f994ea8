"""`xiaoer apikey …` and `xiaoer webhook …` as an admin uses them: the real command, a real
database file; bad input is one line and status 2."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.domain.api_keys import token_hash
from tests.e2e.test_shell import xiaoer


def test_api_keys_are_created_listed_and_revoked(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'k.db'}"
    for args, message in [
        (("--name", "p", "--scopes", "read,admin"), "--scopes read,admin: give some of read, write, publish"),
        (("--name", "p", "--rate", "0"), "--rate 0: give a number of calls a minute"),
    ]:
        refused = xiaoer("apikey", "create", *args, "-d", url, cwd=tmp_path)
        assert (refused.returncode, refused.stderr.strip().count("\n")) == (2, 0), refused.stderr
        assert message in refused.stderr
    made = xiaoer(
        "apikey",
        "create",
        "--name",
        "portal",
        "--scopes",
        "read,write",
        "--rate",
        "30",
        "-d",
        url,
        cwd=tmp_path,
    )
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip().splitlines()[-1]
    assert token.startswith("xo_")
    with sqlite3.connect(tmp_path / "k.db") as conn:
        stored = conn.execute("SELECT secret_hash FROM api_keys WHERE name = 'portal'").fetchone()[0]
    assert stored == token_hash(token)  # only the hash is kept
    again = xiaoer("apikey", "create", "--name", "portal", "-d", url, cwd=tmp_path)
    assert (again.returncode, "a key named portal exists" in again.stderr) == (2, True)
    listed = xiaoer("apikey", "list", "-d", url, cwd=tmp_path)
    assert "portal\tread,write\t30/min" in listed.stdout
    with sqlite3.connect(tmp_path / "k.db") as conn:
        (created,) = conn.execute("SELECT created_at FROM api_keys WHERE name = 'portal'").fetchone()
    local = datetime.fromisoformat(created).replace(tzinfo=UTC).astimezone(ZoneInfo("Asia/Shanghai"))
    assert f"created {local:%Y-%m-%d %H:%M} +0800" in listed.stdout  # the office's time, said so
    assert "last used never" in listed.stdout
    assert xiaoer("apikey", "revoke", "portal", "-d", url, cwd=tmp_path).returncode == 0
    assert "revoked" in xiaoer("apikey", "list", "-d", url, cwd=tmp_path).stdout
    twice = xiaoer("apikey", "revoke", "portal", "-d", url, cwd=tmp_path)
    assert (twice.returncode, "no active key is named portal" in twice.stderr) == (2, True)


def test_webhooks_are_added_and_listed(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'w.db'}"
    for args, message in [
        (("http://127.0.0.1:9/h", "--events", "ticket.exploded"), "--events: unknown ticket.exploded"),
        (("ftp://x/h", "--events", "ticket.opened"), "give an http:// or https:// URL"),
        (("http://127.0.0.1:9/h",), "give --events"),
    ]:
        refused = xiaoer("webhook", "add", *args, "-d", url, cwd=tmp_path)
        assert (refused.returncode, refused.stderr.strip().count("\n")) == (2, 0), refused.stderr
        assert message in refused.stderr
    added = xiaoer(
        "webhook",
        "add",
        "http://127.0.0.1:9/h",
        "--events",
        "ticket.opened,ticket.closed",
        "-d",
        url,
        cwd=tmp_path,
    )
    assert added.returncode == 0, added.stderr
    assert len(added.stdout.strip().splitlines()[-1]) == 64  # the secret, shown once
    city = xiaoer(
        "webhook", "add", "http://127.0.0.1:9/c", "--external-platform", "city", "-d", url, cwd=tmp_path
    )
    assert "as external platform city" in city.stdout
    clash = xiaoer(
        "webhook", "add", "http://127.0.0.1:9/d", "--external-platform", "city", "-d", url, cwd=tmp_path
    )
    assert (clash.returncode, "named city is registered already" in clash.stderr) == (2, True)
    listed = xiaoer("webhook", "list", "-d", url, cwd=tmp_path).stdout
    assert "1\thttp://127.0.0.1:9/h\tticket.opened,ticket.closed\tactive" in listed
    assert "2\thttp://127.0.0.1:9/c\t-\tplatform city\tactive" in listed
    assert "nothing delivered yet" in xiaoer("webhook", "deliveries", "-d", url, cwd=tmp_path).stdout
