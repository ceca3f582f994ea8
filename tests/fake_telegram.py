"""A fake Telegram Bot API server on 127.0.0.1 for tests: real HTTP, the documented JSON shapes.

It keeps what a real server keeps for one bot (pending updates with offsets and long polling, the
messages the bot sent, edits, answered callbacks) and lets a test act as users and officers, send
the same update twice, or answer the next calls with 429 Too Many Requests.

Opt-in, for bulk sending: `enforce_limits()` answers sends beyond Telegram's limits (30 a second
overall, 20 a minute per group, about one a second per chat) with 429 and `retry_after`;
`missing` chats answer 400 "chat not found"; `on_send` sees each sendMessage before it is
accepted and may drop it (a test that kills the sender right then).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.loopback import LoopbackServer

BOT_USER = {"id": 777000, "is_bot": True, "first_name": "Xiaoer", "username": "xiaoer_bot"}


@dataclass
class Sent:
    chat_id: int
    message_id: int
    text: str
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (label, callback data)
    thread_id: int | None = None  # the forum topic it was posted in
    file: bytes = b""  # a photo's or document's bytes (its caption is `text`)
    # a reply keyboard's buttons (label, whether it asks for the person's own contact)
    keyboard: list[tuple[str, bool]] = field(default_factory=list)
    at: float = field(default_factory=time.monotonic)  # when it was sent (benchmarks' latencies)
    parse_mode: str | None = None  # how Telegram was asked to read the text ("HTML")


class FakeBotApi(LoopbackServer):
    def __init__(self, token: str = "123456:TEST-TOKEN") -> None:
        super().__init__()
        self.token = token
        self.pending: list[dict[str, Any]] = []
        self.sent: list[Sent] = []
        self.edits: list[dict[str, Any]] = []
        self.answered: list[str] = []
        self.answer_texts: dict[str, str] = {}  # callback query id -> the notice shown, if any
        self.started: set[int] = set()  # people who wrote to the bot privately: it may write to them
        self.calls: list[str] = []
        self.bodies: list[str] = []  # each call's content type, beside `calls`
        self.migrated: dict[int, int] = {}  # groups that became supergroups: old id -> new id
        self.sends_to_migrated = 0  # sends refused because their group had become a supergroup
        self.flood_left = 0
        self.flood_retry_after: int | None = 1  # None: a 429 without its parameters
        self.blocked: set[int] = set()  # private chats whose user blocked the bot (403)
        self.forums: set[int] = set()  # groups that are forums (createForumTopic works there)
        self.topics: dict[int, list[tuple[int, str]]] = {}  # chat -> (message_thread_id, name)
        self.storm_until = 0.0  # until then (monotonic time) every sendMessage gets 429
        self.too_early = 0  # calls made before the retry_after that chat was told had passed
        self._told_to_wait: dict[int, float] = {}
        self.server_errors_left = 0  # the next sendMessage calls answered 502 Bad Gateway
        self.down_until = 0.0  # until then (monotonic time) every send is answered 502 Bad Gateway
        self.missing: set[int] = set()  # chats that do not exist (400 chat not found)
        self.limits: dict[object, list[float]] | None = None  # bucket key -> [tokens, stamp], once enforced
        self.overall_limit: tuple[float, float] = (30, 30.0)
        self.limited = 0  # sends refused with 429 by the enforced limits
        self.refused_while_down = 0
        self.on_send: Callable[[int], bool] | None = None  # False: the request is dropped, not sent
        self._thread_ids = itertools.count(50)
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._arrived = asyncio.Condition()

    # --- running ---------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)

    # --- acting as people ------------------------------------------------------------------

    async def user_sends(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        name: str = "User",
        language_code: str = "zh-hans",
        reply_to: int | None = None,
        thread: int | None = None,
    ) -> dict[str, Any]:
        """A person writes; `thread` is the forum topic they write in (a message in a topic that
        replies to nothing replies, as Telegram has it, to the topic's first message)."""
        chat = chat_id if chat_id is not None else user_id
        if chat == user_id:
            self.started.add(user_id)
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {
                "id": chat,
                "type": "private" if chat > 0 else "supergroup",
                **({} if chat > 0 else {"title": "Group"}),
            },
            "from": {"id": user_id, "is_bot": False, "first_name": name, "language_code": language_code},
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        if thread is not None:
            message["chat"]["is_forum"] = True
            message.update(message_thread_id=thread, is_topic_message=True)
            if reply_to is None:
                message["reply_to_message"] = {
                    "message_id": thread,
                    "date": int(time.time()),
                    "chat": message["chat"],
                    "forum_topic_created": {"name": "topic", "icon_color": 7322096},
                }
        if reply_to is not None:
            original = next(s for s in self.sent if s.message_id == reply_to)
            message["reply_to_message"] = {
                "message_id": reply_to,
                "date": int(time.time()),
                "chat": message["chat"],
                "from": BOT_USER,
                "text": original.text,
            }
        return await self.deliver({"update_id": next(self._update_ids), "message": message})

    async def user_sends_photo(self, user_id: int, file_id: str, *, name: str = "User") -> dict[str, Any]:
        """A person sends a photo in their private chat (Telegram lists its sizes, largest last)."""
        self.started.add(user_id)
        sizes = [
            {"file_id": f"{file_id}-small", "file_unique_id": "s", "width": 90, "height": 60},
            {"file_id": file_id, "file_unique_id": "l", "width": 1280, "height": 853},
        ]
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private"},
            "from": {"id": user_id, "is_bot": False, "first_name": name, "language_code": "zh-hans"},
            "photo": sizes,
        }
        return await self.deliver({"update_id": next(self._update_ids), "message": message})

    async def user_shares_contact(
        self, user_id: int, phone: str, *, contact_user_id: int | None = None, name: str = "User"
    ) -> dict[str, Any]:
        """A person sends a contact in their private chat: their own (the contact button: the
        contact's user_id is theirs) unless `contact_user_id` says whose card it is."""
        self.started.add(user_id)
        contact: dict[str, Any] = {"phone_number": phone, "first_name": name}
        owner = user_id if contact_user_id is None else contact_user_id
        if owner:
            contact["user_id"] = owner
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private"},
            "from": {"id": user_id, "is_bot": False, "first_name": name, "language_code": "zh-hans"},
            "contact": contact,
        }
        return await self.deliver({"update_id": next(self._update_ids), "message": message})

    async def user_presses(self, user_id: int, sent: Sent, data: str, name: str = "User") -> dict[str, Any]:
        chat_type = "private" if sent.chat_id > 0 else "supergroup"
        query = {
            "id": str(next(self._update_ids)),
            "from": {"id": user_id, "is_bot": False, "first_name": name, "language_code": "zh-hans"},
            "chat_instance": "ci",
            "data": data,
            "message": {
                "message_id": sent.message_id,
                "date": int(time.time()),
                "from": BOT_USER,
                "text": sent.text,
                "chat": {
                    "id": sent.chat_id,
                    "type": chat_type,
                    **({} if sent.chat_id > 0 else {"title": "Group"}),
                },
            },
        }
        return await self.deliver({"update_id": next(self._update_ids), "callback_query": query})

    async def group_upgraded(self, old: int, new: int, by: int, *, announced: bool = True) -> None:
        """A group's admin `by` upgrades it to a supergroup: from now on Telegram refuses sends to
        the old id, naming the new one; `announced`, the bot hears the two service messages, in
        the old group (`migrate_to_chat_id`) and in the new supergroup (`migrate_from_chat_id`)."""
        self.migrated[old] = new
        if not announced:
            return
        user = {"id": by, "is_bot": False, "first_name": "Admin"}
        for chat, migration in (
            ({"id": old, "type": "group"}, {"migrate_to_chat_id": new}),
            ({"id": new, "type": "supergroup"}, {"migrate_from_chat_id": old}),
        ):
            message = {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": {**chat, "title": "Group"},
                "from": user,
                **migration,
            }
            await self.deliver({"update_id": next(self._update_ids), "message": message})

    async def deliver(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update (again, to imitate a redelivery after a crash)."""
        async with self._arrived:
            self.pending.append(update)
            self._arrived.notify_all()
        return update

    def outage(self, seconds: float) -> None:
        """Sending fails with 502 Bad Gateway for that long (updates still arrive)."""
        self.down_until = time.monotonic() + seconds

    def storm(self, seconds: float) -> None:
        """For `seconds`, answer every sendMessage with 429 and the time left; count a chat's calls
        that come back before the retry_after it was given (a bot that does not wait)."""
        self.storm_until = time.monotonic() + seconds

    def enforce_limits(self, overall: tuple[float, float] = (30, 30.0)) -> None:
        """From now on, refuse sends beyond Telegram's limits with 429 and the wait left: `overall`
        is the bot's bucket (burst, per second; Telegram's thirty a second unless a test narrows
        it so that a sender on a loaded machine still outruns it)."""
        self.limits = {}
        self.overall_limit = overall

    def _within_limits(self, chat_id: int) -> float:
        """0 if the send is within every limit (and counts it), else the seconds to wait."""
        assert self.limits is not None
        now = time.monotonic()
        buckets: list[tuple[object, float, float]] = [("all", *self.overall_limit), (chat_id, 3, 1.0)]
        if chat_id < 0:
            buckets.append((("group", chat_id), 20, 20 / 60))
        waits = []
        for key, capacity, rate in buckets:
            tokens, stamp = self.limits.get(key, [capacity, now])
            tokens = min(capacity, tokens + (now - stamp) * rate)
            self.limits[key] = [tokens, now]
            waits.append(0.0 if tokens >= 1 else (1 - tokens) / rate)
        if max(waits) > 0:
            return max(waits)
        for key, _, _ in buckets:
            self.limits[key][0] -= 1
        return 0.0

    def flood(self, calls: int, retry_after: int | None = 1) -> None:
        """Answer the next `calls` sendMessage calls with 429 and retry_after."""
        self.flood_left, self.flood_retry_after = calls, retry_after

    async def wait_for(self, count: int, within: float = 10.0) -> list[Sent]:
        """Until the bot has sent at least `count` messages in all."""
        deadline = time.monotonic() + within
        while len(self.sent) < count:
            if time.monotonic() > deadline:
                texts = "\n".join(f"{s.chat_id}: {s.text[:80]}" for s in self.sent)
                raise AssertionError(f"expected {count} messages, the bot sent {len(self.sent)}:\n{texts}")
            await asyncio.sleep(0.02)
        return self.sent

    async def wait_text(self, chat_id: int, fragment: str, within: float = 10.0) -> Sent:
        """Until the bot has sent that chat a message containing `fragment`; returns the latest."""
        deadline = time.monotonic() + within
        while True:
            found = [s for s in self.to(chat_id) if fragment in s.text]
            if found:
                return found[-1]
            if time.monotonic() > deadline:
                texts = "\n".join(f"{s.chat_id}: {s.text[:80]}" for s in self.sent)
                raise AssertionError(f"no message to {chat_id} with {fragment!r}; the bot sent:\n{texts}")
            await asyncio.sleep(0.02)

    async def wait_until(self, condition: Callable[[], bool], what: str, within: float = 10.0) -> None:
        deadline = time.monotonic() + within
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"still not true after {within} s: {what}")
            await asyncio.sleep(0.02)

    def to(self, chat_id: int) -> list[Sent]:
        return [s for s in self.sent if s.chat_id == chat_id]

    # --- the Bot API -------------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"].lower()
        self.calls.append(method)
        self.bodies.append(request.content_type)
        params: dict[str, Any] = dict(await request.post()) if request.can_read_body else {}
        if request.content_type == "application/json":
            params = await request.json()
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _error(404, f"Not Found: method {method} is not in this fake")
        return await handler(params)  # type: ignore[no-any-return]

    async def _api_getme(self, params: dict[str, Any]) -> web.Response:
        return _ok(BOT_USER)

    async def _api_deletewebhook(self, params: dict[str, Any]) -> web.Response:
        return _ok(True)

    async def _api_setwebhook(self, params: dict[str, Any]) -> web.Response:
        return _ok(True)

    async def _api_getupdates(self, params: dict[str, Any]) -> web.Response:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        async with self._arrived:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]  # confirmed ones go
            if not self.pending and timeout:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._arrived.wait(), timeout)
            # at most `limit` (Telegram's default and greatest: 100); the rest wait for the next call
            return _ok(self.pending[: int(params.get("limit") or 100)])

    def _refusal(self, chat_id: int) -> web.Response | None:
        now = time.monotonic()
        if now < self._told_to_wait.get(chat_id, 0.0) - 0.05:  # timer slack
            self.too_early += 1
        if chat_id in self.blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        if chat_id in self.migrated:
            self.sends_to_migrated += 1
            return _error(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self.migrated[chat_id]},
            )
        if self.server_errors_left > 0:
            self.server_errors_left -= 1
            return _error(502, "Bad Gateway")
        if now < self.down_until:
            self.refused_while_down += 1
            return _error(502, "Bad Gateway")
        if now < self.storm_until:
            retry_after = max(1, math.ceil(self.storm_until - now))
            self._told_to_wait[chat_id] = now + retry_after
            return _error(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})
        return None

    async def _api_createforumtopic(self, params: dict[str, Any]) -> web.Response:
        chat_id = int(params["chat_id"])
        if chat_id not in self.forums:
            return _error(400, "Bad Request: the chat is not a forum")
        thread_id = next(self._thread_ids)
        self.topics.setdefault(chat_id, []).append((thread_id, str(params["name"])))
        return _ok({"message_thread_id": thread_id, "name": params["name"], "icon_color": 7322096})

    async def _api_sendmessage(self, params: dict[str, Any]) -> web.Response:
        refusal = self._refusal(int(params["chat_id"]))
        if refusal is not None:
            return refusal
        if int(params["chat_id"]) in self.missing:
            return _error(400, "Bad Request: chat not found")
        if self.limits is not None:
            wait = self._within_limits(int(params["chat_id"]))
            if wait > 0:
                self.limited += 1
                retry_after = max(1, math.ceil(wait))
                self._told_to_wait[int(params["chat_id"])] = time.monotonic() + retry_after
                return _error(
                    429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
                )
        if self.on_send is not None and not self.on_send(int(params["chat_id"])):
            return _error(500, "Internal Server Error: dropped by the test")
        if self.flood_left > 0:
            self.flood_left -= 1
            return _error(
                429,
                f"Too Many Requests: retry after {self.flood_retry_after}",
                None if self.flood_retry_after is None else {"retry_after": self.flood_retry_after},
            )
        chat_id = int(params["chat_id"])
        markup = _markup(params)
        buttons = [(b["text"], b["callback_data"]) for row in markup.get("inline_keyboard", []) for b in row]
        keys = [
            (b["text"], bool(b.get("request_contact"))) for row in markup.get("keyboard", []) for b in row
        ]
        thread = int(params["message_thread_id"]) if params.get("message_thread_id") else None
        if thread is not None and thread not in [t for t, _ in self.topics.get(chat_id, [])]:
            return _error(400, "Bad Request: message thread not found")
        sent = Sent(
            chat_id,
            next(self._message_ids),
            str(params["text"]),
            buttons,
            thread,
            keyboard=keys,
            parse_mode=params.get("parse_mode"),
        )
        self.sent.append(sent)
        chat = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}
        if chat_id < 0:
            chat["title"] = "Group"
        message: dict[str, Any] = {
            "message_id": sent.message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": BOT_USER,
            "text": sent.text,
        }
        if thread is not None:
            chat["is_forum"] = True
            message.update(message_thread_id=thread, is_topic_message=True)
        return _ok(message)

    async def _api_sendphoto(self, params: dict[str, Any]) -> web.Response:
        return await self._send_file(params, "photo")

    async def _api_senddocument(self, params: dict[str, Any]) -> web.Response:
        return await self._send_file(params, "document")

    async def _send_file(self, params: dict[str, Any], field: str) -> web.Response:
        chat_id = int(params["chat_id"])
        refusal = self._refusal(chat_id)
        if refusal is not None:
            return refusal
        upload = params.get(field)
        if isinstance(upload, str) and upload.startswith("attach://"):  # the file is a part of its own
            upload = params.get(upload.removeprefix("attach://"))
        if not isinstance(upload, web.FileField):
            return _error(400, f"Bad Request: there is no {field} in the request")
        caption = str(params.get("caption") or "")
        if len(caption) > 1024:
            return _error(400, "Bad Request: message caption is too long")
        markup = _markup(params)
        buttons = [(b["text"], b["callback_data"]) for row in markup.get("inline_keyboard", []) for b in row]
        sent = Sent(
            chat_id,
            next(self._message_ids),
            caption,
            buttons,
            None,
            upload.file.read(),
            parse_mode=params.get("parse_mode"),
        )
        self.sent.append(sent)
        chat: dict[str, Any] = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}
        media: Any = {"file_id": f"file{sent.message_id}", "file_unique_id": f"u{sent.message_id}"}
        if field == "photo":
            media = [media | {"width": 1320, "height": 660}]
        return _ok(
            {
                "message_id": sent.message_id,
                "date": int(time.time()),
                "chat": chat,
                "from": BOT_USER,
                "caption": caption,
                field: media,
            }
        )

    async def _api_editmessagetext(self, params: dict[str, Any]) -> web.Response:
        self.edits.append(params)
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        sent = next((s for s in self.sent if s.chat_id == chat_id and s.message_id == message_id), None)
        if sent is None:
            return _error(400, "Bad Request: message to edit not found")
        if sent.text == params["text"]:
            return _error(400, "Bad Request: message is not modified")
        markup = _markup(params)
        sent.text = str(params["text"])
        sent.buttons = [
            (b["text"], b["callback_data"]) for row in markup.get("inline_keyboard", []) for b in row
        ]
        chat = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}
        if chat_id < 0:
            chat["title"] = "Group"
        return _ok(
            {
                "message_id": message_id,
                "date": int(time.time()),
                "edit_date": int(time.time()),
                "chat": chat,
                "from": BOT_USER,
                "text": sent.text,
            }
        )

    async def _api_editmessagereplymarkup(self, params: dict[str, Any]) -> web.Response:
        self.edits.append(params)
        return _ok(True)

    async def _api_sendchataction(self, params: dict[str, Any]) -> web.Response:
        chat_id = int(params["chat_id"])
        if chat_id > 0 and chat_id not in self.started:
            return _error(403, "Forbidden: bot can't initiate conversation with a user")
        return _ok(True)

    async def _api_answercallbackquery(self, params: dict[str, Any]) -> web.Response:
        self.answered.append(str(params["callback_query_id"]))
        if params.get("text"):
            self.answer_texts[str(params["callback_query_id"])] = str(params["text"])
        return _ok(True)


def _markup(params: dict[str, Any]) -> dict[str, Any]:
    """A reply markup: an object in a JSON body, a JSON-serialised string in a form (the Bot API
    takes either)."""
    markup = params.get("reply_markup")
    if isinstance(markup, str):
        return json.loads(markup) if markup else {}
    return markup or {}


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(code: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)
