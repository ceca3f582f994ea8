"""The benchmark's floor with every obligation (benchmarks/intake_floor_full.py) does what it
claims to do for each new demand, so that what it costs is the cost of those obligations: the
update kept once, the contact, the logged message, the routed ticket with its deadlines and two
audit events, the replies Xiaoer renders stored as pending (a group's masked) and then
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
from bot.domain.messages import Reply, ToDepartment
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
    outbox = db.execute("SELECT status, message_id, chat_id, post, buttons FROM outbox").fetchall()
    assert all(status == "sent" and message_id for status, message_id, *_ in outbox)
    # each demand: one post to the department's group, and to its sender the acknowledgement (the
    # one with buttons) and the verification question (a shared-problem notice may add group posts)
    assert sum(post for *_, post, _ in outbox) == DEMANDS
    senders = [(chat, buttons != "[]") for _, _, chat, _, buttons in outbox if chat != "-1000000"]
    assert len(senders) == 2 * DEMANDS
    assert sum(with_buttons for _, with_buttons in senders) == DEMANDS
    assert len({chat for chat, _ in senders}) == DEMANDS
    assert floor.commits == 2 * DEMANDS


async def test_an_update_sent_again_is_kept_once(floor: FloorFull) -> None:
    person = User(id=51, is_bot=False, first_name="王")
    text = "我们公司急需一笔200万的流动资金贷款，下月发工资都困难了"
    message = Message(
        message_id=7, date=datetime.now(UTC), chat=Chat(id=51, type="private"), from_user=person, text=text
    )
    parse = await floor.nlu.parse(text)

    with floor.transaction():
        first = await floor.keep_demand(message, text, parse)
    with floor.transaction():
        again = await floor.keep_demand(message, text, parse)

    assert first
    assert again == []
    assert floor.db.execute("SELECT count(*) FROM tickets").fetchone() == (1,)
    acknowledgement = next(m for _, m in first if m.chat_id == "51" and m.buttons)
    stored = floor.db.execute("SELECT buttons FROM outbox WHERE chat_id = '51' ORDER BY id").fetchone()[0]
    assert json.loads(stored) == [[b.label, b.payload] for b in acknowledgement.buttons]


def test_a_message_to_a_group_is_masked_and_one_to_the_sender_is_not(floor: FloorFull) -> None:
    said = "联系电话 138 0013 8000"

    to_group = floor.outgoing(Reply(said, to=ToDepartment("finance_office")), 51, "zh-CN")
    to_sender = floor.outgoing(Reply(said), 51, "zh-CN")

    assert to_group.chat_id == "-1000000"
    assert "138****8000" in to_group.text
    assert "0013" not in to_group.text
    assert to_sender.chat_id == "51"
    assert to_sender.text == said
