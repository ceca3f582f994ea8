"""A fake DingTalk on 127.0.0.1 for tests: real HTTP and DingTalk's documented JSON.

The new server API: `POST /v1.0/oauth2/accessToken` {appKey, appSecret} → {accessToken, expireIn};
`POST /v1.0/robot/oToMessages/batchSend` and `/v1.0/robot/groupMessages/send` with the token in
`x-acs-dingtalk-access-token` (HTTP 401 InvalidAuthentication for a token it never issued or has
expired; HTTP 403 Forbidden.AccessDenied.QpsLimitForAppkeyAndApi past 20 calls a second to one
API; a user outside the organisation comes back in invalidStaffIdList; a conversation the robot
is not in is HTTP 400). Session webhooks (`/robot/sendBySession?session=…`), issued with each
message it sends the bot and valid until the sessionWebhookExpiredTime it states (DingTalk does
not document what an expired one answers: this fake answers errcode 300001). Custom robots
(`/robot/send?access_token=…`): the signature and timestamp checked when the robot has a secret
(errcode 310000 "sign not match", or "invalid timestamp" more than an hour off), its keyword
required when it has one (310000 "keywords not in content"), 20000 bytes at most, and 20 messages
a minute counted over a sliding window on the clock it is given (130101 "send too fast, exceed 20
times per minute").

Files: `POST /media/upload?access_token=…&type=image|file` (multipart, the file in `media`; errcode
40014 for a token it never issued) answers a media id, which an app robot's sampleImageMsg
(photoURL) or sampleFile (mediaId) message must name, with the type it was uploaded as.

It also plays DingTalk's side of the robot's callback: a person's message, as the documented
JSON with `timestamp` and `sign` headers signed with the app's secret, POSTed to the bot.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientSession, web

from tests.loopback import LoopbackServer, wait_for_sent

APP_KEY = "dingxiaoer2026app"
APP_SECRET = "app-secret-for-dingtalk-tests"
ROBOT_CODE = "dingxiaoer2026app"
ROBOT_LIMIT = 20  # a custom robot's messages a minute
QPS_LIMIT = 20  # an app's calls a second to one API
TEXT_LIMIT = 20_000  # bytes
SESSION_LIFETIME_MS = 90 * 60 * 1000  # DingTalk's session webhooks last about an hour and a half


def signature(secret: str, timestamp_ms: int | str) -> str:
    """DingTalk's recipe, written here on its own: base64(HMAC-SHA256(secret, "ts\\nsecret"))."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode("ascii")


def wall_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class Sent:
    via: str  # "user" (batchSend), "group" (groupMessages/send), "session" or "robot"
    to: str  # staff id, openConversationId, or robot name
    content: str
    msg_key: str = "sampleText"


@dataclass
class Robot:
    name: str
    secret: str | None = None
    keyword: str | None = None


@dataclass
class Answer:
    status: int
    text: str


class FakeDingtalk(LoopbackServer):
    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        members: set[str] | None = None,
        groups: set[str] | None = None,
        robots: dict[str, Robot] | None = None,
    ) -> None:
        super().__init__()
        self.clock = clock  # the robots' per-minute window and the API's per-second one
        self.members = members if members is not None else set()  # staff ids in the organisation
        self.groups = groups if groups is not None else set()  # conversations the app robot is in
        self.robots = robots if robots is not None else {}  # access token -> custom robot
        self.qps_limit = QPS_LIMIT
        self.sent: list[Sent] = []
        self.media: dict[str, tuple[str, str, bytes]] = {}  # media id -> (type, file name, bytes)
        self.refused: list[tuple[str, str]] = []  # (what, code or errcode) of every refused call
        self.calls: list[str] = []
        self.token_requests = 0
        self._tokens: set[str] = set()
        self._sessions: dict[str, tuple[str, int]] = {}  # session -> (conversation key, expiry ms)
        self._failures: dict[str, list[int]] = defaultdict(list)  # path -> HTTP statuses to answer
        self._stamps: dict[str, list[float]] = defaultdict(list)
        self._ids = itertools.count(1)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/v1.0/oauth2/accessToken", self._access_token)
        app.router.add_post("/v1.0/robot/oToMessages/batchSend", self._batch_send)
        app.router.add_post("/v1.0/robot/groupMessages/send", self._group_send)
        app.router.add_post("/robot/sendBySession", self._session_send)
        app.router.add_post("/robot/send", self._robot_send)
        app.router.add_post("/media/upload", self._upload)

    # --- steering ------------------------------------------------------------------------------

    def expire_tokens(self) -> None:
        self._tokens.clear()

    def expire_sessions(self) -> None:
        """Every session webhook issued so far ends now (DingTalk's side; the bot is not told)."""
        self._sessions = {key: (conversation, 0) for key, (conversation, _) in self._sessions.items()}

    def fail(self, path: str, *statuses: int) -> None:
        """The next calls to `path` answer these HTTP statuses (5xx: a server error)."""
        self._failures[path].extend(statuses)

    def to(self, recipient: str) -> list[Sent]:
        return [s for s in self.sent if s.to == recipient]

    async def wait_text(self, recipient: str, fragment: str, within: float = 15.0) -> Sent:
        """Until the bot has said something containing `fragment` to that person, group or robot."""
        return await wait_for_sent(
            lambda: [s for s in self.to(recipient) if fragment in s.content],
            lambda: (
                f"nothing to {recipient} with {fragment!r}; the bot sent:\n"
                + "\n".join(f"{s.via} {s.to}: {s.content[:100]!r}" for s in self.sent)
            ),
            within,
        )

    # --- DingTalk's side of the callback -------------------------------------------------------

    def message(
        self,
        sender: str,
        text: str,
        *,
        group: str | None = None,
        nick: str = "",
        staff: bool = True,
        session_lifetime_ms: int = SESSION_LIFETIME_MS,
        msgtype: str = "text",
    ) -> dict[str, Any]:
        """The JSON DingTalk POSTs for a message `sender` sends the robot, privately or in `group`
        (an openConversationId), with a new session webhook for its conversation."""
        conversation = group or f"cidP2P{sender}"
        session = f"session{next(self._ids)}"
        expires = wall_ms() + session_lifetime_ms
        self._sessions[session] = (group or sender, expires)
        document: dict[str, Any] = {
            "msgId": f"msg{next(self._ids)}",
            "msgtype": msgtype,
            "createAt": wall_ms(),
            "conversationType": "2" if group else "1",
            "conversationId": conversation,
            "senderId": f"$:LWCP_v1:${sender}",
            "senderNick": nick or sender,
            "chatbotUserId": "$:LWCP_v1:$robot",
            "robotCode": ROBOT_CODE,
            "sessionWebhook": f"{self.base}/robot/sendBySession?session={session}",
            "sessionWebhookExpiredTime": expires,
            "isInAtList": bool(group),
            "isAdmin": False,
        }
        if staff:
            document["senderStaffId"] = sender
        if group:
            document["conversationTitle"] = "群聊"
        if msgtype == "text":
            document["text"] = {"content": f" {text}" if group else text}  # the @ is taken out
        return document

    async def post(
        self,
        url: str,
        document: dict[str, Any],
        *,
        secret: str = APP_SECRET,
        timestamp_ms: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        timestamp = str(timestamp_ms if timestamp_ms is not None else wall_ms())
        signed = {"timestamp": timestamp, "sign": signature(secret, timestamp)}
        body = json.dumps(document, ensure_ascii=False).encode("utf-8")
        async with (
            ClientSession() as session,
            session.post(url, data=body, headers=headers if headers is not None else signed) as response,
        ):
            return Answer(response.status, await response.text())

    async def user_sends(self, url: str, sender: str, text: str, **options: Any) -> Answer:
        return await self.post(url, self.message(sender, text, **options))

    # --- the server API ------------------------------------------------------------------------

    async def _access_token(self, request: web.Request) -> web.Response:
        self.calls.append("accessToken")
        self.token_requests += 1
        body = await request.json()
        if body.get("appKey") != APP_KEY or body.get("appSecret") != APP_SECRET:
            return self._api_error(
                "accessToken", 400, "invalidClientIdOrSecret", "无效的clientId或者clientSecret"
            )
        token = f"token{next(self._ids)}"
        self._tokens.add(token)
        return web.json_response({"accessToken": token, "expireIn": 7200})

    async def _app_call(self, request: web.Request, path: str) -> dict[str, Any] | web.Response:
        self.calls.append(path)
        if self._failures[path]:
            status = self._failures[path].pop(0)
            return self._api_error(path, status, "ServiceUnavailable", "injected failure")
        if request.headers.get("x-acs-dingtalk-access-token") not in self._tokens:
            return self._api_error(path, 401, "InvalidAuthentication", "不合法的access_token")
        if self._over(("api", path), self.qps_limit, 1.0):
            return self._api_error(path, 403, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", "qps limit")
        body = await request.json()
        if body.get("robotCode") != ROBOT_CODE:
            return self._api_error(path, 400, "invalidParameter.robotCode", "robotCode 不存在")
        if body.get("msgKey") not in ("sampleText", "sampleMarkdown", "sampleImageMsg", "sampleFile"):
            return self._api_error(path, 400, "invalidParameter.msgKey", "不支持的msgKey")
        param = json.loads(body.get("msgParam", "null"))
        content = param.get("content") if isinstance(param, dict) else None
        if body["msgKey"] == "sampleMarkdown" and isinstance(param, dict):
            content = param.get("text")
        if body["msgKey"] in ("sampleImageMsg", "sampleFile") and isinstance(param, dict):
            # the message names a file uploaded as its kind: its content here is "kind:file name"
            kind, media_id = (
                ("image", param.get("photoURL"))
                if body["msgKey"] == "sampleImageMsg"
                else ("file", param.get("mediaId"))
            )
            uploaded = self.media.get(str(media_id))
            content = f"{kind}:{uploaded[1]}" if uploaded is not None and uploaded[0] == kind else None
        if not isinstance(content, str) or not content:
            return self._api_error(path, 400, "invalidParameter.msgParam", "msgParam 不合法")
        return {"msgKey": body["msgKey"], "content": content, **body}

    async def _batch_send(self, request: web.Request) -> web.Response:
        call = await self._app_call(request, "batchSend")
        if isinstance(call, web.Response):
            return call
        users = call.get("userIds") or []
        invalid = [u for u in users if u not in self.members]
        for user in users:
            if user in self.members:
                self.sent.append(Sent("user", user, call["content"], call["msgKey"]))
        if invalid:
            self.refused.append(("batchSend", "invalidStaffIdList"))
        return web.json_response(
            {
                "processQueryKey": f"query{next(self._ids)}",
                "invalidStaffIdList": invalid,
                "flowControlledStaffIdList": [],
            }
        )

    async def _group_send(self, request: web.Request) -> web.Response:
        call = await self._app_call(request, "groupMessages")
        if isinstance(call, web.Response):
            return call
        conversation = call.get("openConversationId")
        if conversation not in self.groups:
            return self._api_error("groupMessages", 400, "resource.not.found", "机器人不在该群或群不存在")
        self.sent.append(Sent("group", conversation, call["content"], call["msgKey"]))
        return web.json_response({"processQueryKey": f"query{next(self._ids)}"})

    async def _upload(self, request: web.Request) -> web.Response:
        self.calls.append("upload")
        if request.query.get("access_token") not in self._tokens:
            return self._errcode("upload", 40014, "不合法的access_token")
        kind = request.query.get("type", "")
        if kind not in ("image", "file", "voice", "video"):
            return self._errcode("upload", 40004, "不合法的媒体文件类型")
        fields = await request.post()
        media = fields.get("media")
        if not isinstance(media, web.FileField):
            return self._errcode("upload", 40006, "缺少参数 media")
        media_id = f"@media{next(self._ids)}"
        self.media[media_id] = (kind, media.filename, media.file.read())
        return web.json_response(
            {"errcode": 0, "errmsg": "ok", "type": kind, "media_id": media_id, "created_at": wall_ms()}
        )

    def _api_error(self, what: str, status: int, code: str, message: str) -> web.Response:
        self.refused.append((what, code))
        return web.json_response({"code": code, "message": message, "requestid": "fake"}, status=status)

    # --- webhooks ------------------------------------------------------------------------------

    async def _session_send(self, request: web.Request) -> web.Response:
        self.calls.append("session")
        if self._failures["session"]:
            return web.Response(status=self._failures["session"].pop(0), text="Bad Gateway")
        conversation, expires = self._sessions.get(request.query.get("session", ""), ("", 0))
        if expires <= wall_ms():
            return self._errcode("session", 300001, "session expired")
        content = await self._content(request)
        if isinstance(content, web.Response):
            return content
        self.sent.append(Sent("session", conversation, content))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _robot_send(self, request: web.Request) -> web.Response:
        self.calls.append("robot")
        robot = self.robots.get(request.query.get("access_token", ""))
        if robot is None:
            return self._errcode("robot", 300005, "token is not exist")
        if robot.secret is not None:
            timestamp = request.query.get("timestamp", "")
            if not timestamp.isdigit() or abs(wall_ms() - int(timestamp)) > 3600 * 1000:
                return self._errcode("robot", 310000, "invalid timestamp")
            # aiohttp has decoded the query: the sign is compared as DingTalk computes it
            if request.query.get("sign") != signature(robot.secret, timestamp):
                return self._errcode("robot", 310000, "sign not match")
        content = await self._content(request)
        if isinstance(content, web.Response):
            return content
        if robot.keyword is not None and robot.keyword not in content:
            return self._errcode("robot", 310000, "keywords not in content")
        if self._over(("robot", robot.name), ROBOT_LIMIT, 60.0):
            return self._errcode("robot", 130101, "send too fast, exceed 20 times per minute")
        self.sent.append(Sent("robot", robot.name, content))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _content(self, request: web.Request) -> str | web.Response:
        body = await request.json()
        text = body.get("text") if body.get("msgtype") == "text" else None
        content = text.get("content") if isinstance(text, dict) else None
        if not isinstance(content, str) or not content.strip():
            return self._errcode("webhook", 40035, "缺少参数 content")
        if len(content.encode("utf-8")) > TEXT_LIMIT:
            return self._errcode("webhook", 460101, "message too long, exceed 20000 bytes")
        return content

    def _over(self, key: tuple[str, str], count: int, seconds: float) -> bool:
        """One more call within the sliding window: False, and counted; past it: True."""
        now = self.clock()
        stamps = [at for at in self._stamps[str(key)] if at > now - seconds]
        self._stamps[str(key)] = stamps
        if len(stamps) >= count:
            return True
        stamps.append(now)
        return False

    def _errcode(self, what: str, errcode: int, errmsg: str) -> web.Response:
        self.refused.append((what, str(errcode)))
        return web.json_response({"errcode": errcode, "errmsg": errmsg})


def channel_section(base: str, **extra: Any) -> dict[str, Any]:
    """`channels.dingtalk` for a bot that talks to this fake at `base`."""
    return {
        "enabled": True,
        "app_key": APP_KEY,
        "app_secret": APP_SECRET,
        "robot_code": ROBOT_CODE,
        "api_base": base,
        "oapi_base": base,
        **extra,
    }
