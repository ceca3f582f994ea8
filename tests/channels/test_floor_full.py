"""The benchmark's floor with every obligation (benchmarks/intake_floor_full.py) does what it
claims to do for each new demand, so that what it costs is the cost of those obligations: the
update kept once, the contact, the logged message, the routed ticket with its deadlines and two
audit events, the replies Xiaoer renders stored as pending (the group's post masked) and then
sent through the fake Bot API and marked with the platform's ids, in two commits an update."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiogram.types import Chat, Message, User

from benchmarks.intake_floor_full import FloorFull
from benchmarks.telegram_intake import _run_bot, _wide_open
from bot.bootstrap import build_app
from bot.config import load_settings
from tests.conftest import ROOT

DEMANDS = 12


@pytest.fixture
async def floor(tmp_path: Path) -> AsyncIterator[FloorFull]:
    app = await build_app(load_settings(ROOT / "config.yaml"), f"sqlite+aiosqlite:///{tmp_path / 'org.db'}")
    floor = FloorFull(str(tmp_path / "floor.db"), app.deps, app.deps.nlu, _wide_open())
    try:
        yield floor
    finally:
        floor.close()
        await app.close()


async def test_each_demand_is_kept_routed_audited_and_its_replies_sent(floor: FloorFull) -> None:
    await _run_bot(DEMANDS, True, floor.handle)  # the fake Bot API in this process, each demand a new sender

    db = floor.db
    assert db.execute("SELECT count(*) FROM inbox").fetchone() == (DEMANDS,)
    assert db.execute("SELECT count(*) FROM contacts").fetchone() == (DEMANDS,)
    assert db.execute("SELECT count(*) FROM message_log WHERE ticket_id IS NOT NULL").fetchone() == (DEMANDS,)
    tickets = db.execute("SELECT id, status, department_id, respond_by, resolve_by FROM tickets").fetchall()
    assert len(tickets) == DEMANDS
    directory = floor.deps.directory
    for _, status, department, respond_by, resolve_by in tickets:
        assert status == "dispatched"
        assert department in directory.departments
        assert datetime.fromisoformat(respond_by) <= datetime.fromisoformat(resolve_by)
    events = db.execute(
        "SELECT action, count(*) FROM ticket_events GROUP BY action ORDER BY action"
    ).fetchall()
    assert events == [("create", DEMANDS), ("dispatch", DEMANDS)]
    outbox = db.execute("SELECT status, message_id, chat_id FROM outbox").fetchall()
    assert len(outbox) >= 3 * DEMANDS  # acknowledgement, the group's post, the verification question
    assert all(status == "sent" and message_id for status, message_id, _ in outbox)
    assert sum(chat == "-1000000" for _, _, chat in outbox) >= DEMANDS
    assert floor.commits == 2 * DEMANDS


async def test_an_update_sent_again_is_kept_once_and_the_groups_post_is_masked(floor: FloorFull) -> None:
    person = User(id=51, is_bot=False, first_name="王")
    text = "我们公司急需一笔200万的流动资金贷款，联系电话 138 0013 8000"
    message = Message(
        message_id=7, date=datetime.now(UTC), chat=Chat(id=51, type="private"), from_user=person, text=text
    )
    parse = await floor.nlu.parse(text)

    with floor._transaction():
        first = await floor._keep_demand(message, text, parse)
    with floor._transaction():
        again = await floor._keep_demand(message, text, parse)

    assert first
    assert again == []
    assert floor.db.execute("SELECT count(*) FROM tickets").fetchone() == (1,)
    # masked as a group may read it (the post's card masks the demand's text, and the floor masks the
    # whole post again as Xiaoer's `protect` does; this checks what the group would see)
    posts = [m for _, m in first if m.chat_id == "-1000000"]
    assert posts
    assert "138****8000" in posts[0].text
    assert "0013" not in posts[0].text
    acknowledgement = next(m for _, m in first if m.chat_id == "51" and m.buttons)
    stored = floor.db.execute("SELECT buttons FROM outbox WHERE chat_id = '51' ORDER BY id").fetchone()[0]
    assert json.loads(stored) == [[b.label, b.payload] for b in acknowledgement.buttons]
