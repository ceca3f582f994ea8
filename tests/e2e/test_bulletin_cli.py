"""`xiaoer bulletin build|list|show` as an operator runs them, on a real SQLite database: a bulletin
built on demand is archived, listed, and shown as Markdown, .docx, .xlsx and PDF from the content
it was built with; a confidential ticket's company is named in none of them."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime
from pathlib import Path

from openpyxl import load_workbook

from bot.domain.enterprise import Enterprise
from bot.domain.messages import Role
from bot.domain.tickets import Action, Status, TicketEvent
from handlers.bulletin.docx_file import docx_text
from handlers.chart_font import cjk_font
from storage.engine import create_engine
from storage.sql import SqlStorage
from tests import builders
from tests.e2e.test_shell import xiaoer

SECRET = "保密精工有限公司"
DAY = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Xiamen


async def _seed(url: str) -> None:
    """Two demands of 2026-11-24 (a quote per category: both are quoted), one confidential."""
    engine = create_engine(url)
    try:
        storage = SqlStorage(engine)
        async with storage() as uow:
            for key, name, text, category, secret in (
                ("b1", "厦门光明电子有限公司", "园区限电，生产线停了", "utilities", False),
                ("b2", SECRET, "用地指标迟迟批不下来", "land_space", True),
            ):
                await uow.enterprises.add(Enterprise(id=key, name=name))
                contact = await uow.contacts.add(builders.contact(key, external_id=key))
                assert contact.id is not None
                await uow.tickets.add(
                    builders.ticket(
                        contact.id,
                        key,
                        at=DAY,
                        text=text,
                        category=category,
                        status=Status.IN_PROGRESS,
                        confidential=secret,
                    )
                )
            await uow.commit()
    finally:
        await engine.dispose()


def test_build_list_and_show_in_every_format(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bulletin.db'}"
    empty = xiaoer("bulletin", "list", "-d", url, cwd=tmp_path)
    assert empty.returncode == 0, empty.stderr
    assert empty.stdout == ""
    assert "the archive is empty" in empty.stderr
    asyncio.run(_seed(url))

    built = xiaoer("bulletin", "build", "--from", "2026-11-23", "--to", "2026-11-30", "-d", url, cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert built.stdout.startswith("# 企业诉求动态（2026-11-23 至 2026-11-29）")
    assert "本期受理企业诉求 2 条，涉及 2 家企业；办理中 2 条，已答复 0 条，已办结 0 条。" in built.stdout
    assert "厦门光明电子有限公司：“园区限电，生产线停了”" in built.stdout
    assert "某企业：“用地指标迟迟批不下来”" in built.stdout
    assert SECRET not in built.stdout

    listed = xiaoer("bulletin", "list", "-d", url, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    (line,) = listed.stdout.strip().splitlines()
    assert line.startswith("D1 · 2026-11-23 至 2026-11-29 · ")
    assert line.endswith(" · cli")

    shown = xiaoer("bulletin", "show", "D1", "-d", url, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == built.stdout
    english = xiaoer("bulletin", "show", "1", "--lang", "en", "-d", url, cwd=tmp_path)
    assert "2 demands this period from 2 enterprises" in english.stdout
    assert "an enterprise: " in english.stdout
    assert SECRET not in english.stdout

    docx = tmp_path / "b.docx"
    written = xiaoer(
        "bulletin", "show", "D1", "--format", "docx", "--output", str(docx), "-d", url, cwd=tmp_path
    )
    assert written.returncode == 0, written.stderr
    document = docx_text(docx.read_bytes())
    assert "本期受理企业诉求 2 条" in document
    assert "某企业：“用地指标迟迟批不下来”" in document
    assert SECRET not in document

    xlsx = tmp_path / "b.xlsx"
    written = xiaoer(
        "bulletin", "show", "D1", "--format", "xlsx", "--output", str(xlsx), "-d", url, cwd=tmp_path
    )
    assert written.returncode == 0, written.stderr
    sheet = load_workbook(io.BytesIO(xlsx.read_bytes())).worksheets[0]
    cells = [str(c.value) for row in sheet.iter_rows() for c in row]
    assert "企业诉求动态（2026-11-23 至 2026-11-29）" in cells
    assert not any(SECRET in cell for cell in cells)

    pdf = tmp_path / "b.pdf"
    made = xiaoer("bulletin", "show", "D1", "--format", "pdf", "--output", str(pdf), "-d", url, cwd=tmp_path)
    if cjk_font("企业诉求动态") is None:  # this machine has no font for Chinese: refused, said why
        assert made.returncode == 2
        assert "No font on this machine can draw Chinese" in made.stderr
        assert not pdf.exists()
    else:
        assert made.returncode == 0, made.stderr
        assert pdf.read_bytes().startswith(b"%PDF")

    missing = xiaoer("bulletin", "show", "D9", "-d", url, cwd=tmp_path)
    assert missing.returncode == 2
    assert missing.stderr.strip() == "xiaoer: there is no bulletin D9: see `xiaoer bulletin list`"
    wrong = xiaoer("bulletin", "show", "D1", "--format", "docx", "-d", url, cwd=tmp_path)
    assert wrong.returncode == 2
    assert "--output PATH" in wrong.stderr
    backwards = xiaoer(
        "bulletin", "build", "--from", "2026-11-30", "--to", "2026-11-23", "-d", url, cwd=tmp_path
    )
    assert backwards.returncode == 2
    assert "must be after" in backwards.stderr


async def _seed_returned_after_midnight(url: str) -> None:
    """A ticket returned at 01:00 on 2026-11-25 in Xiamen: 17:00 on the 24th in UTC."""
    engine = create_engine(url)
    try:
        storage = SqlStorage(engine)
        async with storage() as uow:
            await uow.enterprises.add(Enterprise(id="b1", name="厦门光明电子有限公司"))
            contact = await uow.contacts.add(builders.contact("b1", external_id="b1"))
            assert contact.id is not None
            ticket = await uow.tickets.add(
                builders.ticket(contact.id, "b1", at=DAY, text="用地指标迟迟批不下来", status=Status.RETURNED)
            )
            assert ticket.number is not None
            returned_at = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
            await uow.events.append(
                TicketEvent(
                    ticket.number,
                    returned_at,
                    "wang_lei",
                    Role.OFFICER,
                    Action.RETURN,
                    None,
                    Status.RETURNED,
                    "不属于本部门",
                )
            )
            await uow.commit()
    finally:
        await engine.dispose()


def test_a_blocking_point_is_dated_on_the_office_clock(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bulletin.db'}"
    assert xiaoer("bulletin", "list", "-d", url, cwd=tmp_path).returncode == 0  # the schema made
    asyncio.run(_seed_returned_after_midnight(url))
    built = xiaoer("bulletin", "build", "--from", "2026-11-23", "--to", "2026-11-30", "-d", url, cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    (line,) = [line for line in built.stdout.splitlines() if line.startswith("- #1 ") and "，20" in line]
    assert line.endswith("（融资信贷，已退回待派，2026-11-25）：用地指标迟迟批不下来"), (
        line
    )  # not the 24th (UTC's)
