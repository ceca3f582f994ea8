"""What people send on Telegram besides plain text, through real HTTP against the fake Bot API:
every message in a private chat gets an answer, and the words sent with a picture are read."""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest

from tests.channels.test_telegram import Running, running

__all__ = ["running"]  # the fixture, shared with the main Telegram suite

_people = itertools.count(7001)


def private_message(running: Running, user: int, **content: Any) -> dict[str, Any]:
    """An update of a message in `user`'s private chat, with whatever content Telegram allows."""
    api = running.api
    message = {
        "message_id": next(api._message_ids),
        "date": int(time.time()),
        "chat": {"id": user, "type": "private"},
        "from": {"id": user, "is_bot": False, "first_name": "U", "language_code": "zh-hans"},
        **content,
    }
    return {"update_id": next(api._update_ids), "message": message}


FILE = {"file_id": "F1", "file_unique_id": "u1"}
ATTACHMENTS: dict[str, dict[str, Any]] = {
    "voice": {"voice": {**FILE, "duration": 3}},
    "audio": {"audio": {**FILE, "duration": 3}},
    "video": {"video": {**FILE, "width": 1, "height": 1, "duration": 1}},
    "video_note": {"video_note": {**FILE, "length": 1, "duration": 1}},
    "sticker": {
        "sticker": {
            **FILE,
            "type": "regular",
            "width": 1,
            "height": 1,
            "is_animated": False,
            "is_video": False,
        }
    },
    "location": {"location": {"latitude": 24.48, "longitude": 118.09}},
    "venue": {
        "venue": {"location": {"latitude": 24.48, "longitude": 118.09}, "title": "厂房", "address": "湖里区"},
        "location": {"latitude": 24.48, "longitude": 118.09},
    },
    "dice": {"dice": {"emoji": "🎲", "value": 3}},
}


@pytest.mark.parametrize("kind", list(ATTACHMENTS))
async def test_a_message_without_text_is_answered_not_dropped(running: Running, kind: str) -> None:
    user = next(_people)
    await running.api.deliver(private_message(running, user, **ATTACHMENTS[kind]))
    await running.api.wait_text(user, "我目前只能读懂文字消息")


async def test_the_words_sent_with_a_photo_open_the_ticket(running: Running) -> None:
    """A caption is what the person wrote: the demand becomes a ticket, and they are told that the
    picture itself was not read (before, the caption was dropped and only "text only" came back)."""
    user = next(_people)
    photo = [{"file_id": "P1", "file_unique_id": "p1", "width": 1280, "height": 853}]
    caption = "我们公司急需一笔200万的流动资金贷款，下月发工资都困难了"
    await running.api.deliver(private_message(running, user, photo=photo, caption=caption))
    await running.api.wait_text(user, "附件本身我读不了，已按随附的文字办理")
    await running.api.wait_text(user, "工单号 #1")
    post = await running.api.wait_text(-100100, "新工单 #1")
    assert caption in post.text
    assert not [s for s in running.api.to(user) if "我目前只能读懂文字消息" in s.text]


async def test_an_edited_message_is_answered_with_what_to_do(running: Running) -> None:
    user = next(_people)
    message = private_message(running, user, text="我们公司急需贷款", edit_date=int(time.time()))["message"]
    await running.api.deliver({"update_id": next(running.api._update_ids), "edited_message": message})
    await running.api.wait_text(user, "修改已发出的消息不会改变已办理的事项")


async def test_a_service_message_in_a_private_chat_is_not_answered(running: Running) -> None:
    """A pin is no message from the person: nothing to answer (the next text still is)."""
    user = next(_people)
    pinned = {"message_id": 1, "date": 0, "chat": {"id": user, "type": "private"}}
    await running.api.deliver(private_message(running, user, pinned_message=pinned))
    await running.api.user_sends(user, "/help")
    await running.api.wait_text(user, "/status")
    assert len(running.api.to(user)) == 1


async def test_invisible_text_is_an_empty_message_not_a_ticket(running: Running) -> None:
    """Zero-width spaces or direction marks alone were asked about ("do you mean…?"), and choosing
    a demand opened a ticket with nothing in it for an officer to read."""
    user = next(_people)
    for invisible in ("\u200b\u200b\u200b", "\u2066\u2069\ufeff", "\u200e \u00a0\u3000"):
        await running.api.user_sends(user, invisible)
    await running.api.user_sends(user, "1")  # what would pick the first choice offered
    await running.api.wait_until(lambda: len(running.api.to(user)) >= 4, "four answers")
    texts = [s.text for s in running.api.to(user)]
    assert texts[:3] == ["内容不能为空，请写明具体内容。"] * 3, texts
    async with running.app.deps.storage() as uow:
        assert await uow.tickets.get(1) is None
