"""Edge cases found in review: odd input, odd configuration, odd URLs, precise refusals."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from bot.config import load_settings
from bot.domain.messages import ToDepartment
from bot.domain.text import storable
from storage.engine import DatabaseUnavailable, create_engine, describe_failure, mask_url
from tests.conftest import ROOT, Clock
from tests.unit.test_config import problems_of, shipped, write
from tests.world import DEMAND, HAIYUE, WANG, XINYUAN, make_world, own


def test_text_is_made_storable() -> None:
    assert storable("a\x00b") == "ab"
    assert storable("bad \udcff byte") == "bad ? byte"
    assert storable("正常 text 🙂") == "正常 text 🙂"
    # what an .xlsx, a .docx or WeCom's XML cannot hold goes too; tab and line ends stay
    assert storable("a\x01b\x0bc\x1f\ufffe\td\r\n") == "abc\td\r\n"


async def test_nul_characters_are_dropped_before_anything_is_kept(tmp_path: Path) -> None:
    settings = load_settings(ROOT / "config.yaml")
    w = await make_world(settings, Clock())
    await w.say(XINYUAN, "需要\x00帮助：" + DEMAND)
    async with w.storage() as uow:
        logged = await uow.messages.get(1)
        ticket = await uow.tickets.get(1)
    assert logged is not None
    assert "\x00" not in logged.text
    assert ticket is not None
    assert "\x00" not in ticket.text


async def test_enterprise_is_not_told_to_take_its_own_ticket() -> None:
    w = await make_world(load_settings(ROOT / "config.yaml"), Clock())
    await w.say(XINYUAN, DEMAND)
    text = own(await w.say(XINYUAN, "/confirm 1"))
    assert "当前状态为「已派单」" in text
    assert "/take" not in text


async def test_refusals_say_the_real_reason() -> None:
    w = await make_world(load_settings(ROOT / "config.yaml"), Clock())
    await w.say(XINYUAN, DEMAND)  # industry_it, assigned to wang_lei
    fang = replace(WANG, user_id="officer:fang_yi")  # hr_social
    assert "other department" in own(await w.say(fang, "/take 1"))
    assert "cannot view" in own(await w.say(fang, "/status 1"))
    assert "cannot view" in own(await w.say(fang, "/history 1"))
    assert "没有找到工单 #99999999999" in own(await w.say(WANG, "/take 99999999999"))
    assert "您已签收工单 #1" in own(await w.say(WANG, "/take\u30001"))  # an IME's full-width space
    assert "工单 #1" in own(await w.say(WANG, "/status\t1"))


async def test_department_group_notices_use_the_groups_language() -> None:
    w = await make_world(load_settings(ROOT / "config.yaml"), Clock())
    directory = w.deps.directory
    english_tax = replace(directory.departments["tax_bureau"], lang="en")
    w.deps = replace(
        w.deps, directory=replace(directory, departments={**directory.departments, "tax_bureau": english_tax})
    )
    replies = await w.say(HAIYUE, "出口退税一直没到账，资金很紧张，希望帮忙协调")  # tax, no liaison
    notice = next(r for r in replies if isinstance(r.to, ToDepartment))
    assert notice.text.startswith("📥 New ticket #1")
    assert "Category: tax and fees" in notice.text
    assert "Your request is registered" not in own(replies)  # the enterprise still reads Chinese


def _config_with(tmp_path: Path, **changes: object) -> Path:
    document = shipped()
    document.update(changes)
    return write(tmp_path, document)


def test_unknown_timezone_is_a_config_error(tmp_path: Path) -> None:
    [problem] = problems_of(_config_with(tmp_path, timezone="Asia/Xiamen"))
    assert problem.startswith("timezone: ")
    assert "unknown time zone 'Asia/Xiamen'" in problem


def test_config_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes("language: zh-CN\n# 企业服务\n".encode("gbk"))
    [problem] = problems_of(path)
    assert "not UTF-8" in problem


def test_environment_mistakes_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XIAOER_SLA__SURVEY_DAYS", "abc")
    monkeypatch.setenv("XIAOER_DATABASE_URL", "postgresql+asyncpg://typo")
    problems = problems_of(ROOT / "config.yaml")
    assert any("environment variable XIAOER_SLA__SURVEY_DAYS" in p for p in problems)
    assert any(
        p.startswith("environment variable XIAOER_DATABASE_URL: sets no configuration key") for p in problems
    )
    monkeypatch.delenv("XIAOER_SLA__SURVEY_DAYS")
    monkeypatch.delenv("XIAOER_DATABASE_URL")
    monkeypatch.setenv("XIAOER_DATABASE", "not json")
    assert any(p.startswith("environment:") for p in problems_of(ROOT / "config.yaml"))


def test_reserved_officer_id_and_duplicate_codes(tmp_path: Path) -> None:
    document = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    document["officers"][0]["id"] = "system"
    for department in document["departments"]:
        if department["head"] == "chen_jing":
            department["head"] = None
    document["demo"]["enterprises"][1]["uscc"] = document["demo"]["enterprises"][0]["uscc"]
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    problems = problems_of(path)
    assert any("'system' is reserved" in p for p in problems)
    assert any(p.startswith("demo.enterprises[].uscc:") for p in problems)


def test_database_urls_that_cannot_work_are_explained() -> None:
    with pytest.raises(DatabaseUnavailable, match="not async"):
        create_engine("sqlite:////tmp/x.db")
    with pytest.raises(DatabaseUnavailable, match="cannot be parsed"):
        create_engine("postgresql+asyncpg://x@db.example:notaport/xiaoer")
    masked = mask_url("postgresql+asyncpg://bob:pw1@h/db?password=pw2&sslmode=require")
    assert "pw1" not in masked
    assert "pw2" not in masked
    assert "sslmode=require" in masked
    role = describe_failure("postgresql+asyncpg://nobody@h/db", Exception('role "nobody" does not exist'))
    assert "user name" in role.hint
