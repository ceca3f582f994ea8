"""`xiaoer run` as an operator watches it: JSON log lines (one per update, no whole phone number,
no token), `/metrics` scraped over real HTTP and parsed with prometheus-client's own parser, and a
SIGTERM that drains and ends with status 0 and a "stopped" line."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from tests.channels.test_telegram import write_config
from tests.fake_telegram import FakeBotApi
from tests.processes import (
    SECRET,
    ended,
    free_port,
    healthy,
    post,
    start,
    webhook_environment,
)

PHONE = "13812345678"
DEMAND_WITH_PHONE = f"我们公司急需一笔200万的流动资金贷款，下月发工资都困难了，电话{PHONE}"
PEOPLE = [810_001, 810_002, 810_003]


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_json_logs_and_metrics_of_a_running_bot(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    api = FakeBotApi()
    await api.start()
    port = free_port()
    env = webhook_environment(api, config, port, XIAOER_LOGGING__FORMAT="json")
    process = await start(env, f"sqlite+aiosqlite:///{tmp_path / 'observed.db'}")
    try:
        await healthy(port)
        async with aiohttp.ClientSession() as http:
            before = samples(await (await http.get(f"http://127.0.0.1:{port}/metrics")).text())
            for person in PEOPLE:
                await post(http, port, await api.user_sends(person, DEMAND_WITH_PHONE))
            for person in PEOPLE:
                await api.wait_text(person, "工单号", within=60)
            await post(http, port, await api.user_sends(PEOPLE[0], "/help"))
            await api.wait_until(lambda: len(api.to(PEOPLE[0])) >= 3, "the answer to /help", 60)
            scraped = await http.get(f"http://127.0.0.1:{port}/metrics")
            assert scraped.status == 200
            after = samples(await scraped.text())
        process.send_signal(signal.SIGTERM)
        log = await ended(process)
    finally:
        if process.returncode is None:
            process.kill()
            await ended(process)
        await api.stop()
    assert process.returncode == 0, log[-3000:]

    handled = (("channel", "telegram"), ("outcome", "handled"))
    assert ("xiaoer_updates_total", handled) not in before
    assert after[("xiaoer_updates_total", handled)] == len(PEOPLE) + 1
    assert after[("xiaoer_update_handling_seconds_count", (("channel", "telegram"),))] == len(PEOPLE) + 1
    assert after[("xiaoer_nlu_seconds_count", ())] >= len(PEOPLE)
    assert after[("xiaoer_tickets_opened_total", ())] == before[("xiaoer_tickets_opened_total", ())] + 3
    assert sum(v for (name, _), v in after.items() if name == "xiaoer_tickets") == len(PEOPLE)
    assert after[("xiaoer_sends_total", (("platform", "telegram"), ("result", "sent")))] >= len(PEOPLE)
    assert after[("xiaoer_database_up", ())] == 1
    assert ("xiaoer_outbox_backlog", ()) in after

    lines = [line for line in log.splitlines() if line.startswith("{")]
    entries = [json.loads(line) for line in lines]
    updates = [e for e in entries if e.get("outcome") == "handled"]
    assert len(updates) == len(PEOPLE) + 1
    for entry in updates:
        assert {"time", "level", "channel", "conversation", "intent", "ticket", "ms"} <= entry.keys()
    assert {e["ticket"] for e in updates} >= {1, 2, 3}
    assert any(e["intent"] for e in updates)
    assert any(e.get("action") for e in entries)  # a ticket's change of state has its line
    assert PHONE not in log
    assert api.token not in log
    assert SECRET not in log
    messages = [e["message"] for e in entries]
    assert any(m.startswith("ready: channels telegram (webhook") for m in messages)
    assert messages[-1] == "stopped"
