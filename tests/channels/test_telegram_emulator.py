"""The Telegram adapter against a Bot API emulator it was not written against: jehy's
telegram-test-api (npm, pinned in tests/emulator/package.json), run by Node on loopback.

It proves the adapter depends on the documented Bot API, not on quirks of tests/fake_telegram.py.
The emulator is installed on first use (`npm ci` into tests/emulator/node_modules). Without Node
the test skips with the reason, and fails under CI=true.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.bootstrap import build_app
from bot.config import load_settings
from tests.channels.telegram_runtime import Endpoint, TelegramRun, telegram_running
from tests.channels.test_telegram import DEMAND, ENTREPRENEUR, GROUP, HEAD, write_config
from tests.conftest import ROOT, in_ci

EMULATOR = ROOT / "tests" / "emulator"
TOKEN = "424242:EMULATED"


def _emulator_installed() -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        reason = "Node.js and npm are needed to run the Telegram Bot API emulator"
        if in_ci():
            pytest.fail(reason)
        pytest.skip(reason)
    if not (EMULATOR / "node_modules" / "telegram-test-api").is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=EMULATOR,
            check=True,
            capture_output=True,
            timeout=300,
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Emulator:
    base: str

    async def _post(self, path: str, body: dict[str, Any]) -> Any:
        async with aiohttp.ClientSession() as session, session.post(self.base + path, json=body) as answer:
            return await answer.json()

    def _message(self, user: int, chat: int, text: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "botToken": TOKEN,
            "date": int(time.time()),
            "text": text,
            "from": {"id": user, "is_bot": False, "first_name": "User", "language_code": "zh-hans"},
            "chat": {"id": chat, "type": "private" if chat > 0 else "supergroup", "title": "Group"},
        }
        if text.startswith("/"):
            message["entities"] = [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}]
        return message

    async def says(self, user: int, text: str, chat: int | None = None) -> None:
        await self._post("/sendMessage", self._message(user, chat or user, text))

    async def presses(self, user: int, chat: int, data: str) -> None:
        message = self._message(user, chat, "button") | {"message_id": 1}
        await self._post(
            "/sendCallback", {"botToken": TOKEN, "from": message["from"], "message": message, "data": data}
        )

    async def bot_said(self, chat: int, fragment: str, within: float = 20.0) -> dict[str, Any]:
        """The bot's message to that chat containing `fragment` (the emulator's history)."""
        deadline = time.monotonic() + within
        while True:
            history = await self._post("/getUpdatesHistory", {"token": TOKEN})
            for update in history["result"]:
                message = update.get("message", {})
                if str(message.get("chat_id")) == str(chat) and fragment in str(message.get("text", "")):
                    return dict(message)
            if time.monotonic() > deadline:
                said = json.dumps(history["result"], ensure_ascii=False)[-2000:]
                raise AssertionError(f"the bot never told {chat} {fragment!r}; it said: {said}")
            await asyncio.sleep(0.1)


@pytest.fixture
async def emulator(tmp_path: Path) -> AsyncIterator[tuple[Emulator, TelegramRun]]:
    _emulator_installed()
    port = _free_port()
    node = await asyncio.create_subprocess_exec(
        "node", "serve.js", str(port), cwd=EMULATOR, stdout=asyncio.subprocess.PIPE
    )
    assert node.stdout is not None
    line = await asyncio.wait_for(node.stdout.readline(), 30)
    assert b"listening" in line, line
    settings = load_settings(write_config(tmp_path))
    app = await build_app(settings, f"sqlite+aiosqlite:///{tmp_path / 'emulated.db'}")
    groups = {d.id: int(d.chats["telegram"]) for d in settings.departments if "telegram" in d.chats}
    api = Emulator(f"http://127.0.0.1:{port}")
    try:
        async with telegram_running(app.deps, Endpoint(TOKEN, api.base), groups) as run:
            yield api, run
    finally:
        await app.close()
        node.terminate()
        await node.wait()


async def test_the_closed_loop_works_against_an_independent_emulator(
    emulator: tuple[Emulator, TelegramRun],
) -> None:
    api, _ = emulator
    await api.says(ENTREPRENEUR, DEMAND)
    ack = await api.bot_said(ENTREPRENEUR, "工单号 #1")
    assert ack["parse_mode"] == "HTML"
    assert "&lt;b&gt;急&lt;/b&gt;" not in ack["text"]  # the acknowledgement quotes nothing raw
    post = await api.bot_said(GROUP, "新工单 #1")
    assert "&lt;b&gt;急&lt;/b&gt; &amp; 谢谢" in post["text"]  # the sender's words, escaped
    assert post["reply_markup"]["inline_keyboard"] == [[{"text": "签收", "callback_data": "cmd:take:1"}]]

    await api.presses(HEAD, GROUP, "cmd:take:1")  # the officer signs for it with the post's button
    await api.bot_said(ENTREPRENEUR, "签收办理")
    await api.says(HEAD, "/reply 1 您好，已对接建设银行", chat=GROUP)
    await api.bot_said(ENTREPRENEUR, "已对接建设银行")
    await api.says(HEAD, "/resolve 1 建设银行已审批，本周放款", chat=GROUP)
    await api.bot_said(ENTREPRENEUR, "建设银行已审批")
    await api.presses(ENTREPRENEUR, ENTREPRENEUR, "survey:1:r:resolved")
    question = await api.bot_said(ENTREPRENEUR, "是否满意")
    satisfied = question["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await api.presses(ENTREPRENEUR, ENTREPRENEUR, satisfied)
    await api.bot_said(ENTREPRENEUR, "已办结")
