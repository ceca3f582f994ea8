"""Every start-up problem of `xiaoer run` ends with status 2 and one line that says what to fix,
never a traceback: the real command in a subprocess, as an operator meets it."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from pathlib import Path

from bot.bootstrap import build_app
from bot.config import load_settings
from tests.channels.test_telegram import write_config
from tests.conftest import ROOT
from tests.e2e.test_shell import xiaoer
from tests.fake_telegram import FakeBotApi
from tests.processes import XIAOER, environment, free_port


async def refused(env: dict[str, str], *args: str, cwd: Path | None = None) -> str:
    """Run `xiaoer run ARGS`, assert status 2 and exactly one line without a traceback; the line."""
    process = await asyncio.create_subprocess_exec(
        XIAOER,
        "run",
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    text = (out + err).decode()
    assert process.returncode == 2, text
    assert "Traceback" not in text
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    return lines[0]


async def test_an_invalid_telegram_token(tmp_path: Path) -> None:
    api = FakeBotApi()
    await api.start()
    try:
        env = environment(api, write_config(tmp_path), XIAOER_CHANNELS__TELEGRAM__TOKEN="123456:WRONG-TOKEN")
        line = await refused(env, "--database", f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    finally:
        await api.stop()
    assert "refused the bot token" in line
    assert "XIAOER_CHANNELS__TELEGRAM__TOKEN" in line
    assert "WRONG-TOKEN" not in line


async def test_a_malformed_telegram_token_is_refused_before_aiogram_sees_it(tmp_path: Path) -> None:
    """aiogram raises a bare TokenValidationError on a token of the wrong shape (a pasted label, a
    trailing line break from a secrets file): the operator gets the config line, not a traceback."""
    env = environment(FakeBotApi(), write_config(tmp_path), XIAOER_CHANNELS__TELEGRAM__TOKEN="my-bot-token\n")
    line = await refused(env, "--database", f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    assert "channels.telegram.token: not a bot token (it contains a space or line break)" in line
    assert "XIAOER_CHANNELS__TELEGRAM__TOKEN" in line
    assert "my-bot-token" not in line


async def test_an_unreachable_bot_api(tmp_path: Path) -> None:
    base = f"http://127.0.0.1:{free_port()}"
    env = environment(FakeBotApi(), write_config(tmp_path), XIAOER_CHANNELS__TELEGRAM__API_BASE=base)
    line = await refused(env, "--database", f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    assert f"cannot reach the Telegram Bot API at {base}" in line
    assert "channels.telegram.api_base" in line


async def test_an_unreachable_wecom_api(tmp_path: Path) -> None:
    env = environment(
        FakeBotApi(),
        write_config(tmp_path),
        XIAOER_CHANNELS__TELEGRAM__TOKEN="",
        XIAOER_CHANNELS__WECOM__ENABLED="true",
        XIAOER_CHANNELS__WECOM__CORP_ID="ww0123456789",
        XIAOER_CHANNELS__WECOM__AGENT_ID="1000002",
        XIAOER_CHANNELS__WECOM__SECRET="the-app-secret-value",
        XIAOER_CHANNELS__WECOM__TOKEN="callbacktoken",
        XIAOER_CHANNELS__WECOM__ENCODING_AES_KEY="a" * 43,
        XIAOER_CHANNELS__WECOM__API_BASE=f"http://127.0.0.1:{free_port()}",
        XIAOER_CHANNELS__WECOM__PORT=str(free_port()),
        # no web.url here: keep bind_by_mobile's start-up warning out of the one line
        XIAOER_CHANNELS__WECOM__BIND_BY_MOBILE="false",
    )
    line = await refused(env, "--database", f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    assert "cannot reach the WeCom API" in line
    assert "channels.wecom.api_base" in line
    assert "the-app-secret-value" not in line


async def test_a_database_at_a_revision_this_xiaoer_does_not_know(tmp_path: Path) -> None:
    database = tmp_path / "future.db"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        connection.execute("INSERT INTO alembic_version VALUES ('0099')")
    env = environment(FakeBotApi(), write_config(tmp_path))
    line = await refused(env, "--database", f"sqlite+aiosqlite:///{database}")
    assert "does not know" in line
    assert "0099" in line


async def test_no_working_day_in_the_calendar(tmp_path: Path) -> None:
    env = environment(FakeBotApi(), write_config(tmp_path), XIAOER_CALENDAR__WEEKDAYS="[]")
    line = await refused(env, "--database", f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    assert "calendar.weekdays" in line
    assert "no working day" in line


async def test_an_empty_database_option_is_not_a_silent_default(tmp_path: Path) -> None:
    env = environment(FakeBotApi(), write_config(tmp_path))
    line = await refused(env, "--database", "", cwd=tmp_path)
    assert "--database was given an empty URL" in line
    assert not (tmp_path / "xiaoer.db").exists()  # no fallback to the default file here


async def started_and_stopped(env: dict[str, str], *args: str) -> str:
    """Run `xiaoer run ARGS` until it says it is ready, stop it with SIGINT; assert status 0 and
    no traceback; everything it logged."""
    process = await asyncio.create_subprocess_exec(
        XIAOER, "run", *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    assert process.stdout is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(120):
            while not any(" ready: " in line for line in lines):
                line = (await process.stdout.readline()).decode()
                assert line, "".join(lines)  # it ended before it was ready
                lines.append(line)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    text = "".join(lines) + out.decode()
    assert process.returncode == 0, text
    assert "Traceback" not in text
    return text


async def test_a_console_contact_left_without_its_enterprise_does_not_stop_the_start(tmp_path: Path) -> None:
    """The demo enterprises deleted by hand (their contacts outlive them): the next start seeds
    them again and used to stop on the left-over console contact's identity, every time. Now it
    binds the contact again and says so."""
    database = tmp_path / "left.db"
    config = write_config(tmp_path)
    app = await build_app(load_settings(config), f"sqlite+aiosqlite:///{database}", load_nlu=False)
    await app.close()
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE contacts SET enterprise_id = NULL")
        connection.execute("DELETE FROM enterprises")
    api = FakeBotApi()
    await api.start()
    try:
        said = await started_and_stopped(
            environment(api, config), "--allow-unreachable", "--database", f"sqlite+aiosqlite:///{database}"
        )
    finally:
        await api.stop()
    assert "contact console:enterprise:xinyuan" in said
    assert "bound again to the demo enterprise xinyuan" in said
    with sqlite3.connect(database) as connection:
        bound = connection.execute("SELECT external_id, enterprise_id FROM contacts ORDER BY id").fetchall()
    assert ("enterprise:xinyuan", "xinyuan") in bound
    assert len(bound) == len({external for external, _ in bound})  # no second contact


async def test_a_department_no_one_can_be_reached_in(tmp_path: Path) -> None:
    """The shipped config has no officer and no group on Telegram: no department would hear of its
    tickets there (issue 14 item 6); `--allow-unreachable` starts anyway (tests/channels/test_telegram)."""
    api = FakeBotApi()
    await api.start()
    try:
        env = environment(api, ROOT / "config.yaml")
        line = await refused(env, "--database", f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    finally:
        await api.stop()
    assert line.startswith(
        "xiaoer: no one can be reached on telegram in department(s) approval_bureau (区行政审批局),"
    )
    assert "service_center (区企业服务中心)" in line
    assert "justice (区司法局)" in line
    assert "--allow-unreachable" in line


def test_no_channel_in_use(tmp_path: Path) -> None:
    ran = xiaoer("run", "-d", f"sqlite+aiosqlite:///{tmp_path / 'r.db'}", cwd=tmp_path)
    assert ran.returncode == 2
    [line] = ran.stderr.strip().splitlines()
    assert line.startswith("xiaoer: no channel to run: set one up (channels.telegram, channels.wecom")
