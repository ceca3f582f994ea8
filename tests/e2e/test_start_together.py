"""Issue 16 item 5: processes preparing one fresh PostgreSQL database at the same moment all succeed.

Before they took turns (storage/start_turns.py), two `xiaoer db upgrade` at once failed one time in
two or three with `duplicate key value violates unique constraint "pg_type_typname_nsp_index"`
(both created the same tables), and two `xiaoer run` at once on `departments_pkey` (both seeded
the organisation). Each round here gets a database created for it, dropped after.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.bootstrap import build_app, upgrade_database
from bot.config import Settings
from storage.migrate import head_revision
from tests.channels.test_telegram import write_config
from tests.conftest import created_database
from tests.fake_telegram import FakeBotApi
from tests.processes import XIAOER, ended, environment, free_port, healthy, start_webhook

pytestmark = pytest.mark.postgres

ROUNDS = 5


async def upgrade_process(env: dict[str, str], url: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        XIAOER,
        "db",
        "upgrade",
        "--database",
        url,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode()


async def counts(url: str) -> dict[str, int]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return {
                table: int((await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())
                for table in ("departments", "officers", "enterprises", "contacts", "member_groups")
            }
    finally:
        await engine.dispose()


async def test_upgrades_at_once_all_succeed(tmp_path: Path, postgres_url: str) -> None:
    env = environment(FakeBotApi(), write_config(tmp_path))
    for round_, processes in enumerate((2, 3, 2, 3)):
        async with created_database(postgres_url) as url:
            results = await asyncio.gather(*(upgrade_process(env, url) for _ in range(processes)))
            for status, said in results:
                assert status == 0, (round_, said)
                assert f"is at revision {head_revision()}" in said, said


async def test_start_ups_at_once_on_a_fresh_database_all_come_up(
    postgres_url: str, settings: Settings
) -> None:
    """The start-up path of `xiaoer run` (schema check and seed), three at once, in several rounds:
    all come up, and the organisation and demo enterprises are there once."""
    for round_ in range(ROUNDS):
        async with created_database(postgres_url) as url:
            await upgrade_database(url)
            apps = await asyncio.gather(
                *(build_app(settings, url, load_nlu=False) for _ in range(3)), return_exceptions=True
            )
            for app in apps:
                if not isinstance(app, BaseException):
                    await app.close()
            failures = [repr(app) for app in apps if isinstance(app, BaseException)]
            assert failures == [], (round_, failures)
            assert await counts(url) == {
                "departments": len(settings.departments),
                "officers": len(settings.officers),
                "enterprises": len(settings.demo.enterprises),
                "contacts": len(settings.demo.enterprises),
                "member_groups": len(settings.member_groups()),
            }


async def test_three_runs_started_at_once_all_serve(tmp_path: Path, postgres_url: str) -> None:
    """The operator's view: upgraded by two `xiaoer db upgrade` at once, then three `xiaoer run`
    started together, each becomes healthy and stops cleanly."""
    api = FakeBotApi()
    await api.start()
    config = write_config(tmp_path)
    try:
        async with created_database(postgres_url) as url:
            upgrades = await asyncio.gather(
                *(upgrade_process(environment(api, config), url) for _ in range(2))
            )
            assert [status for status, _ in upgrades] == [0, 0], upgrades
            ports = [free_port() for _ in range(3)]
            running = await asyncio.gather(
                *(
                    start_webhook(api, config, url, port, f"http://127.0.0.1:{port}/telegram/hook")
                    for port in ports
                )
            )
            try:
                await asyncio.gather(*(healthy(port) for port in ports))
            finally:
                for process in running:
                    process.send_signal(signal.SIGINT)
                logs = [await ended(process) for process in running]
            for process, log in zip(running, logs, strict=True):
                assert process.returncode == 0, log[-2000:]
    finally:
        await api.stop()
