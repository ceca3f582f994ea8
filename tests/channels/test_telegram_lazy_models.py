"""aiogram's types are built on first use (bot/channels/telegram/lazy_models.py): importing the
Telegram channel builds none of them, and a type built later reads and writes the same as one
aiogram built at import. Each side runs in a fresh interpreter, since this one may have imported
aiogram already."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

USE = """
import json, sys
{first_import}
import aiogram.types as types
from aiogram.methods import SendMessage
models = [getattr(types, name) for name in types.__all__ if hasattr(getattr(types, name), "model_rebuild")]
built_at_import = sum(model.__pydantic_complete__ for model in models)
update = types.Update.model_validate({{
    "update_id": 1,
    "message": {{
        "message_id": 7, "date": 0, "chat": {{"id": 5, "type": "private"}},
        "from": {{"id": 5, "is_bot": False, "first_name": "A", "language_code": "zh-hans"}},
        "text": "欠薪", "entities": [{{"type": "bold", "offset": 0, "length": 2}}],
        "reply_to_message": {{
            "message_id": 6, "date": 0, "chat": {{"id": 5, "type": "private"}}, "text": "x"
        }},
    }},
    "callback_query": {{"id": "q", "from": {{"id": 5, "is_bot": False, "first_name": "A"}},
                       "chat_instance": "c", "data": "take:1"}},
}})
button = types.InlineKeyboardButton(text="签收", callback_data="take:1")
keyboard = types.InlineKeyboardMarkup(inline_keyboard=[[button]])
sent = SendMessage(chat_id=5, text="<b>hi</b>", parse_mode="HTML", reply_markup=keyboard)
print(json.dumps({{
    "models": len(models),
    "built_at_import": built_at_import,
    "update": update.model_dump(mode="json", exclude_none=True),
    "sent": sent.model_dump(exclude_none=True),
}}, ensure_ascii=False, default=str))
"""


def run(first_import: str) -> dict[str, object]:
    code = USE.format(first_import=first_import)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    answer: dict[str, object] = json.loads(result.stdout)
    return answer


def test_the_channel_builds_aiograms_types_when_used_and_they_behave_as_aiograms_own() -> None:
    lazy = run("import bot.channels.telegram.adapter, bot.channels.telegram.transport")
    eager = run("import aiogram")
    assert isinstance(lazy["models"], int)
    assert lazy["models"] > 300
    assert lazy["built_at_import"] == 0
    assert eager["built_at_import"] == eager["models"]  # aiogram's own way, for comparison
    assert lazy["update"] == eager["update"]
    assert lazy["sent"] == eager["sent"]
