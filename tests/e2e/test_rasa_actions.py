"""`xiaoer rasa-actions` as a Rasa assistant calls it: Rasa's action request JSON posted to the
server's /webhook (rasa-sdk's own server, in a subprocess), and the events and responses it
returns. Needs the extra `xiaoer[rasa]`: skipped without it, except under CI=true, where .ci/run
installs it and a missing rasa-sdk is a failure."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.bootstrap import build_app
from bot.config import load_settings
from bot.domain.policies import Policy
from handlers.policy_publish import add_policy, publish
from tests.channels.test_telegram import write_config
from tests.conftest import in_ci
from tests.processes import XIAOER, free_port, healthy
from tests.world import DEMAND

if importlib.util.find_spec("rasa_sdk") is None:
    if in_ci():
        raise AssertionError("rasa-sdk is not installed: .ci/run installs the extra xiaoer[rasa]")
    pytest.skip("rasa-sdk is not installed (pip install -e '.[rasa]')", allow_module_level=True)

WANG = 9101  # 王磊, xinyuan's liaison officer, on Telegram
XINYUAN_USCC = "91350206MA2Y3K8P13"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[tuple[str, Path, str]]:
    config = write_config(tmp_path, officers={"wang_lei": WANG}, groups={})
    database = f"sqlite+aiosqlite:///{tmp_path / 'rasa.db'}"
    app = await build_app(load_settings(config), database, load_nlu=False)
    try:
        draft = await add_policy(
            app.deps,
            Policy(
                None,
                "专精特新企业贷款贴息",
                "专精特新企业的流动资金贷款可申请贴息。",
                "finance_office",
                "cli",
                app.deps.clock(),
                category="finance",
            ),
        )
        await publish(app.deps, draft.id or 0, via=None)
    finally:
        await app.close()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("XIAOER_") or k == "XIAOER_NLU_CACHE"}
    # Telegram is configured (so officers' notices are queued for it) but never called: this
    # process only queues; `xiaoer run` delivers
    env.update(
        XIAOER_CONFIG=str(config),
        XIAOER_CHANNELS__TELEGRAM__TOKEN="123:unused",
        XIAOER_CHANNELS__TELEGRAM__API_BASE="http://127.0.0.1:9",
    )
    process = await asyncio.create_subprocess_exec(
        XIAOER,
        "rasa-actions",
        "--port",
        str(port),
        "-d",
        database,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        await healthy(port, "/health")
        yield base, config, database
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 30)


def _call(action: str, text: str, slots: dict[str, Any], sender: str = "rasa-user-1") -> dict[str, Any]:
    """Rasa's action request (what Rasa Open Source posts to the action endpoint)."""
    return {
        "next_action": action,
        "sender_id": sender,
        "tracker": {
            "sender_id": sender,
            "slots": slots,
            "latest_message": {
                "text": text,
                "intent": {"name": "report_demand", "confidence": 0.9},
                "entities": [],
            },
            "latest_event_time": 1733390000.0,
            "followup_action": None,
            "paused": False,
            "events": [],
            "latest_input_channel": "rest",
            "active_loop": {},
            "latest_action": {"action_name": "action_listen"},
            "latest_action_name": "action_listen",
        },
        "domain": {
            "slots": {
                name: {"type": "any"}
                for name in ("company", "credit_code", "category", "ticket_number", "policy_ids")
            },
            "responses": {},
            "actions": [action],
        },
        "version": "3.21.1",
    }


async def _post(base: str, body: dict[str, Any]) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http, http.post(f"{base}/webhook", json=body) as answer:
        assert answer.status == 200, await answer.text()
        result: dict[str, Any] = await answer.json()
        return result


def _queued_for(database: str, chat: int) -> list[str]:
    """What the outbox holds for a Telegram chat (read straight from the SQLite file)."""
    with sqlite3.connect(database.removeprefix("sqlite+aiosqlite:///")) as conn:
        rows = conn.execute(
            "SELECT text FROM outbox WHERE channel = 'telegram' AND chat_id = ?", (str(chat),)
        )
        return [row[0] for row in rows]


async def test_the_assistant_opens_a_demand_reports_and_urges_it(server: tuple[str, Path, str]) -> None:
    base, config, database = server
    slots = {"company": "厦门鑫源精密机械有限公司", "credit_code": XINYUAN_USCC, "category": "finance"}
    opened = await _post(base, _call("action_xiaoer_open_demand", DEMAND, slots))
    assert [(e["event"], e["name"], e["value"]) for e in opened["events"]] == [("slot", "ticket_number", 1)]
    said = "\n".join(r["text"] for r in opened["responses"])
    assert "工单号 #1" in said
    assert "王磊" in said  # routed to the company's liaison officer, as from chat

    status = await _post(
        base, _call("action_xiaoer_ticket_status", "进度怎么样", {**slots, "ticket_number": 1})
    )
    assert status["events"] == []
    assert "#1" in status["responses"][0]["text"]

    urged = await _post(base, _call("action_xiaoer_urge_ticket", "都一周了，快点", slots))
    assert "已为您催办工单 #1" in urged["responses"][0]["text"]

    app = await build_app(load_settings(config), database, load_nlu=False)
    try:
        async with app.storage() as uow:
            ticket = await uow.tickets.get(1)
            actions = [e.action.value for e in await uow.events.for_ticket(1)]
    finally:
        await app.close()
    assert ticket is not None
    assert (ticket.enterprise_id, ticket.category, ticket.assignee_id) == ("xinyuan", "finance", "wang_lei")
    assert actions == ["create", "dispatch", "urge"]
    # the liaison officer is told of the new ticket and of the urging, through the outbox
    told = _queued_for(database, WANG)
    assert any("新工单 #1" in text for text in told)
    assert any("催办" in text for text in told)


async def test_the_assistant_answers_policy_questions_from_the_registry(
    server: tuple[str, Path, str],
) -> None:
    base, _, _ = server
    slots = {"credit_code": XINYUAN_USCC}
    found = await _post(base, _call("action_xiaoer_policy_answer", "专精特新企业贷款有贴息吗", slots))
    assert "专精特新企业贷款贴息" in found["responses"][0]["text"]
    assert found["events"][0]["name"] == "policy_ids"
    assert len(found["events"][0]["value"]) == 1
    none = await _post(
        base, _call("action_xiaoer_policy_answer", "出国旅游签证怎么办", slots, sender="rasa-user-2")
    )
    assert "没有找到能回答这个问题的已发布政策" in none["responses"][0]["text"]


async def test_the_assistant_is_told_what_is_missing(server: tuple[str, Path, str]) -> None:
    base, _, _ = server
    nameless = await _post(base, _call("action_xiaoer_open_demand", DEMAND, {}, sender="rasa-user-3"))
    assert nameless["events"] == []
    assert "请问您代表哪家企业" in nameless["responses"][0]["text"]
    unknown = await _post(
        base,
        _call(
            "action_xiaoer_ticket_status",
            "进度",
            {"credit_code": XINYUAN_USCC, "ticket_number": 99},
            sender="rasa-user-4",
        ),
    )
    assert "没有找到工单 #99" in unknown["responses"][0]["text"]
