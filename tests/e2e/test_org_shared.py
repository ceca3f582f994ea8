"""Issue 14 item 1: the organisation lives in the database. Two Xiaoers on one database: a change
made through one (or by `xiaoer import`) reaches the other's directory without a restart, and a
change to config.yaml's bootstrap does not overwrite what the database holds."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from bot.bootstrap import build_app
from bot.config import load_settings
from bot.runtime.org_watch import watch_organisation
from tests.conftest import ROOT


async def test_a_change_made_by_one_process_reaches_the_other(tmp_path: Path) -> None:
    settings = load_settings(ROOT / "config.yaml")
    url = f"sqlite+aiosqlite:///{tmp_path / 'org.db'}"
    first = await build_app(settings, url, load_nlu=False)
    second = await build_app(
        settings, url, load_nlu=False
    )  # finds the organisation there: no second bootstrap
    stop = asyncio.Event()
    watcher = asyncio.create_task(watch_organisation(first.deps, stop, every=0.05))
    try:
        async with second.storage() as uow:
            assert len(await uow.org.changes("officer")) == len(settings.officers)  # bootstrapped once
            wang = await uow.org.officer("wang_lei")
            assert wang is not None
            await uow.org.save_officer(
                replace(wang, identities={"telegram": "4242"}), "admin", datetime.now(UTC)
            )
            await uow.commit()
        for _ in range(200):
            if first.deps.directory.officer_by_identity("telegram", "4242") is not None:
                break
            await asyncio.sleep(0.05)
        officer = first.deps.directory.officer_by_identity("telegram", "4242")
        assert officer is not None
        assert officer.id == "wang_lei"
    finally:
        stop.set()
        await watcher
        await first.close()
        await second.close()


async def test_the_bootstrap_fills_only_an_empty_database(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'boot.db'}"
    app = await build_app(load_settings(ROOT / "config.yaml"), url, load_nlu=False)
    await app.close()
    renamed = tmp_path / "config.yaml"
    renamed.write_text(
        (ROOT / "config.yaml").read_text(encoding="utf-8").replace("name: 王磊", "name: 王小磊"),
        encoding="utf-8",
    )
    app = await build_app(load_settings(renamed), url, load_nlu=False)
    try:
        assert app.deps.directory.officers["wang_lei"].name == "王磊"  # the database's, not the file's
    finally:
        await app.close()
